/* Docs: text, tokens, entities and span groups, and their getters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "text/utf8.h"

ner_doc *nc_doc_new(ner_pipeline *pl, const char *text, size_t len)
{
    ner_doc *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->text = malloc(len + 1);
    if (!d->text) {
        free(d);
        return NULL;
    }
    if (len)
        memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    d->nchars = nt_utf8_count(d->text, len);
    d->pl = pl;
    if (pl)
        nc_pipeline_ref(pl);
    return d;
}

static void ents_clear(ner_ents *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].kb_id);
        free(e->v[i].ent_id);
    }
    e->n = 0;
}

static void ents_free(ner_ents *e)
{
    ents_clear(e);
    free(e->v);
    free(e->name);
    memset(e, 0, sizeof *e);
}

static void groups_free(ner_doc *d)
{
    for (size_t i = 0; i < d->ngroups; i++)
        ents_free(&d->groups[i]);
    free(d->groups);
    d->groups = NULL;
    d->ngroups = 0;
}

static void attachments_free(ner_doc *d)
{
    for (size_t i = 0; i < d->natt; i++) {
        if (d->att[i].free_fn)
            d->att[i].free_fn(d->att[i].data);
        free(d->att[i].key);
    }
    free(d->att);
    d->att = NULL;
    d->natt = 0;
}

/* Drops tokens, entities, groups and attachments (a failed doc keeps
 * nothing half-built). */
void nc_doc_reset(ner_doc *d)
{
    ents_clear(&d->ents);
    groups_free(d);
    attachments_free(d);
    d->ntok = 0;
}

NER_API int ner_doc_attach(ner_doc *d, const char *key, void *data,
                           void (*free_fn)(void *))
{
    if (!d || !key)
        return NER_EINVAL;
    for (size_t i = 0; i < d->natt; i++) {
        if (strcmp(d->att[i].key, key) == 0) {
            if (d->att[i].free_fn && d->att[i].data != data)
                d->att[i].free_fn(d->att[i].data);
            d->att[i].data = data;
            d->att[i].free_fn = free_fn;
            return NER_OK;
        }
    }
    nc_attach *v = realloc(d->att, (d->natt + 1) * sizeof *v);
    if (!v)
        return NER_ENOMEM;
    d->att = v;
    char *k = nc_strdup(key);
    if (!k)
        return NER_ENOMEM;
    v[d->natt++] = (nc_attach){k, data, free_fn};
    return NER_OK;
}

NER_API void *ner_doc_attachment(const ner_doc *d, const char *key)
{
    if (!d || !key)
        return NULL;
    for (size_t i = 0; i < d->natt; i++)
        if (strcmp(d->att[i].key, key) == 0)
            return d->att[i].data;
    return NULL;
}

NER_API void ner_doc_free(ner_doc *d)
{
    if (!d)
        return;
    ents_free(&d->ents);
    groups_free(d);
    attachments_free(d);
    for (size_t i = 0; i < d->nlabels; i++)
        free(d->labels[i]);
    free(d->labels);
    free(d->toks);
    free(d->text);
    ner_pipeline *pl = d->pl;
    free(d);
    if (pl)
        nc_pipeline_unref(pl);
}

NER_API int ner_doc_status(const ner_doc *d) { return d ? d->status : NER_EINVAL; }
NER_API const char *ner_doc_errmsg(const ner_doc *d) { return d ? d->errmsg : ""; }

NER_API int ner_doc_set_error(ner_doc *d, int status, const char *fmt, ...)
{
    if (!d)
        return status;
    d->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->errmsg, sizeof d->errmsg, fmt, ap);
    va_end(ap);
    return status;
}

NER_API const char *ner_doc_text(const ner_doc *d, size_t *len)
{
    if (!d) {
        if (len) *len = 0;
        return NULL;
    }
    if (len)
        *len = d->len;
    return d->text;
}

NER_API size_t ner_doc_length_chars(const ner_doc *d) { return d ? d->nchars : 0; }
NER_API const ner_pipeline *ner_doc_pipeline(const ner_doc *d) { return d ? d->pl : NULL; }

/* ------------------------------------------------------------- tokens */

NER_API int ner_doc_set_tokens(ner_doc *d, const size_t *starts,
                               const size_t *ends, size_t n)
{
    if (!d || (n && (!starts || !ends)))
        return NER_EINVAL;
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        size_t s = starts[i], e = ends[i];
        if (s >= e || s < prev || e > d->len)
            return ner_doc_set_error(d, NER_ERANGE,
                "token %zu [%zu, %zu) is empty, out of order or past the "
                "end of the text (%zu bytes)", i, s, e, d->len);
        if (((unsigned char)d->text[s] & 0xC0) == 0x80 ||
            (e < d->len && ((unsigned char)d->text[e] & 0xC0) == 0x80))
            return ner_doc_set_error(d, NER_ERANGE,
                "token %zu [%zu, %zu) does not fall on code-point boundaries",
                i, s, e);
        prev = e;
    }
    if (n > d->captok) {
        nc_tok *t = realloc(d->toks, n * sizeof *t);
        if (!t)
            return ner_doc_set_error(d, NER_ENOMEM, "out of memory for %zu tokens", n);
        d->toks = t;
        d->captok = n;
    }
    nc_doc_reset(d);
    size_t bpos = 0, cpos = 0;
    for (size_t i = 0; i < n; i++) {
        cpos += nt_utf8_count(d->text + bpos, starts[i] - bpos);
        d->toks[i].start = starts[i];
        d->toks[i].cstart = cpos;
        cpos += nt_utf8_count(d->text + starts[i], ends[i] - starts[i]);
        d->toks[i].end = ends[i];
        d->toks[i].cend = cpos;
        bpos = ends[i];
    }
    d->ntok = n;
    return NER_OK;
}

NER_API size_t ner_doc_token_count(const ner_doc *d) { return d ? d->ntok : 0; }

NER_API int ner_doc_token_bytes(const ner_doc *d, size_t i, size_t *start,
                                size_t *end, size_t *ws_end)
{
    if (!d)
        return NER_EINVAL;
    if (i >= d->ntok)
        return NER_ERANGE;
    if (start) *start = d->toks[i].start;
    if (end) *end = d->toks[i].end;
    if (ws_end) *ws_end = i + 1 < d->ntok ? d->toks[i + 1].start : d->len;
    return NER_OK;
}

NER_API int ner_doc_token_chars(const ner_doc *d, size_t i, size_t *start,
                                size_t *end, size_t *ws_end)
{
    if (!d)
        return NER_EINVAL;
    if (i >= d->ntok)
        return NER_ERANGE;
    if (start) *start = d->toks[i].cstart;
    if (end) *end = d->toks[i].cend;
    if (ws_end) *ws_end = i + 1 < d->ntok ? d->toks[i + 1].cstart : d->nchars;
    return NER_OK;
}

NER_API size_t ner_doc_copy_token_offsets(const ner_doc *d, size_t first,
                                          size_t count, uint64_t *buf)
{
    if (!d || !buf || first >= d->ntok)
        return 0;
    if (count > d->ntok - first)
        count = d->ntok - first;
    for (size_t i = first; i < first + count; i++) {
        const nc_tok *t = &d->toks[i];
        int last = i + 1 == d->ntok;
        uint64_t *o = buf + 6 * (i - first);
        o[0] = t->start;
        o[1] = t->end;
        o[2] = last ? d->len : d->toks[i + 1].start;
        o[3] = t->cstart;
        o[4] = t->cend;
        o[5] = last ? d->nchars : d->toks[i + 1].cstart;
    }
    return count;
}

NER_API size_t ner_doc_leading_ws_bytes(const ner_doc *d)
{
    if (!d)
        return 0;
    return d->ntok ? d->toks[0].start : d->len;
}

NER_API const char *ner_doc_token_text(const ner_doc *d, size_t i, size_t *len)
{
    if (!d || i >= d->ntok) {
        if (len) *len = 0;
        return NULL;
    }
    if (len)
        *len = d->toks[i].end - d->toks[i].start;
    return d->text + d->toks[i].start;
}

/* First token whose end is > b (tokens sorted, disjoint). */
static size_t first_end_after(const ner_doc *d, size_t b)
{
    size_t lo = 0, hi = d->ntok;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->toks[mid].end > b) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* First token whose start is >= b. */
static size_t first_start_at(const ner_doc *d, size_t b)
{
    size_t lo = 0, hi = d->ntok;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->toks[mid].start >= b) hi = mid; else lo = mid + 1;
    }
    return lo;
}

NER_API int ner_doc_align_bytes(const ner_doc *d, size_t start, size_t end,
                                int mode, size_t *ts, size_t *te)
{
    if (!d || !ts || !te)
        return NER_EINVAL;
    if (start > end || end > d->len)
        return NER_ERANGE;
    size_t a, b;
    switch (mode) {
    case NER_ALIGN_STRICT:
        a = first_start_at(d, start);
        if (a >= d->ntok || d->toks[a].start != start)
            return NER_EALIGN;
        b = first_end_after(d, end - (end > 0));
        if (b >= d->ntok || d->toks[b].end != end)
            return NER_EALIGN;
        b++;
        break;
    case NER_ALIGN_CONTRACT:
        a = first_start_at(d, start);
        b = a;
        while (b < d->ntok && d->toks[b].end <= end)
            b++;
        break;
    case NER_ALIGN_EXPAND:
        a = first_end_after(d, start);
        b = a;
        while (b < d->ntok && d->toks[b].start < end)
            b++;
        break;
    default:
        return NER_EINVAL;
    }
    if (a >= b)
        return NER_EALIGN;
    *ts = a;
    *te = b;
    return NER_OK;
}

NER_API int ner_doc_char_to_byte(const ner_doc *d, size_t cp, size_t *byte)
{
    if (!d || !byte)
        return NER_EINVAL;
    if (cp > d->nchars)
        return NER_ERANGE;
    /* Start from the last token starting at or before cp, then walk. */
    size_t lo = 0, hi = d->ntok;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->toks[mid].cstart > cp) hi = mid; else lo = mid + 1;
    }
    size_t b = 0, c = 0;
    if (lo > 0) {
        b = d->toks[lo - 1].start;
        c = d->toks[lo - 1].cstart;
    }
    while (c < cp && b < d->len) {
        b++;
        while (b < d->len && ((unsigned char)d->text[b] & 0xC0) == 0x80)
            b++;
        c++;
    }
    *byte = b;
    return NER_OK;
}

NER_API int ner_doc_align_chars(const ner_doc *d, size_t start, size_t end,
                                int mode, size_t *ts, size_t *te)
{
    size_t bs, be;
    if (!d)
        return NER_EINVAL;
    if (start > end || end > d->nchars)
        return NER_ERANGE;
    int rc = ner_doc_char_to_byte(d, start, &bs);
    if (rc == NER_OK)
        rc = ner_doc_char_to_byte(d, end, &be);
    if (rc != NER_OK)
        return rc;
    return ner_doc_align_bytes(d, bs, be, mode, ts, te);
}

/* ------------------------------------------------------------- spans */

static const char *intern_label(ner_doc *d, const char *label)
{
    for (size_t i = 0; i < d->nlabels; i++)
        if (strcmp(d->labels[i], label) == 0)
            return d->labels[i];
    char **v = realloc(d->labels, (d->nlabels + 1) * sizeof *v);
    if (!v)
        return NULL;
    d->labels = v;
    char *s = nc_strdup(label);
    if (!s)
        return NULL;
    d->labels[d->nlabels++] = s;
    return s;
}

static int make_span(ner_doc *d, size_t ts, size_t te, const char *label,
                     double score, ner_span *out)
{
    if (!label || !*label)
        return ner_doc_set_error(d, NER_EINVAL, "a span needs a non-empty label");
    if (ts >= te || te > d->ntok)
        return ner_doc_set_error(d, NER_ERANGE,
            "span tokens [%zu, %zu) out of range (doc has %zu tokens)",
            ts, te, d->ntok);
    if (score != score || score < 0.0 || score > 1.0)
        return ner_doc_set_error(d, NER_ERANGE, "span score %g is not in [0, 1]", score);
    const char *l = intern_label(d, label);
    if (!l)
        return ner_doc_set_error(d, NER_ENOMEM, "out of memory");
    memset(out, 0, sizeof *out);
    out->doc = d;
    out->ts = ts;
    out->te = te;
    out->bs = d->toks[ts].start;
    out->be = d->toks[te - 1].end;
    out->cs = d->toks[ts].cstart;
    out->ce = d->toks[te - 1].cend;
    out->score = score;
    out->label = l;
    return NER_OK;
}

static int ents_reserve(ner_ents *e, size_t n)
{
    if (n <= e->cap)
        return NER_OK;
    size_t cap = e->cap ? e->cap * 2 : 8;
    while (cap < n)
        cap *= 2;
    ner_span *v = realloc(e->v, cap * sizeof *v);
    if (!v)
        return NER_ENOMEM;
    e->v = v;
    e->cap = cap;
    return NER_OK;
}

/* Index of the first entity whose end token is > ts. */
static size_t ents_first_ending_after(const ner_ents *e, size_t ts)
{
    size_t lo = 0, hi = e->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->v[mid].te > ts) hi = mid; else lo = mid + 1;
    }
    return lo;
}

NER_API int ner_doc_ents_overlap(const ner_doc *d, size_t ts, size_t te)
{
    if (!d || ts >= te)
        return 0;
    size_t i = ents_first_ending_after(&d->ents, ts);
    return i < d->ents.n && d->ents.v[i].ts < te;
}

NER_API int ner_doc_add_ent(ner_doc *d, size_t ts, size_t te, const char *label,
                            double score, uint32_t flags, size_t *index)
{
    if (!d)
        return NER_EINVAL;
    ner_span s;
    int rc = make_span(d, ts, te, label, score, &s);
    if (rc != NER_OK)
        return rc;
    ner_ents *e = &d->ents;
    size_t i = ents_first_ending_after(e, ts);
    size_t j = i;
    while (j < e->n && e->v[j].ts < te)
        j++;
    if (j > i) {
        if (!(flags & NER_ENT_OVERWRITE))
            return NER_EOVERLAP;
        for (size_t k = i; k < j; k++) {
            free(e->v[k].kb_id);
            free(e->v[k].ent_id);
        }
        memmove(e->v + i, e->v + j, (e->n - j) * sizeof *e->v);
        e->n -= j - i;
    }
    if (ents_reserve(e, e->n + 1) != NER_OK)
        return ner_doc_set_error(d, NER_ENOMEM, "out of memory");
    memmove(e->v + i + 1, e->v + i, (e->n - i) * sizeof *e->v);
    e->v[i] = s;
    e->n++;
    if (index)
        *index = i;
    return NER_OK;
}

NER_API int ner_doc_remove_ent(ner_doc *d, size_t i)
{
    if (!d)
        return NER_EINVAL;
    ner_ents *e = &d->ents;
    if (i >= e->n)
        return NER_ERANGE;
    free(e->v[i].kb_id);
    free(e->v[i].ent_id);
    memmove(e->v + i, e->v + i + 1, (e->n - i - 1) * sizeof *e->v);
    e->n--;
    return NER_OK;
}

NER_API void ner_doc_clear_ents(ner_doc *d)
{
    if (d)
        ents_clear(&d->ents);
}

static int set_owned_str(char **slot, const char *s)
{
    char *c = NULL;
    if (s && !(c = nc_strdup(s)))
        return NER_ENOMEM;
    free(*slot);
    *slot = c;
    return NER_OK;
}

NER_API int ner_doc_set_ent_kb(ner_doc *d, size_t i, const char *kb_id,
                               double kb_score)
{
    if (!d)
        return NER_EINVAL;
    if (i >= d->ents.n)
        return NER_ERANGE;
    if (kb_score != kb_score || kb_score < 0.0 || kb_score > 1.0)
        return NER_ERANGE;
    int rc = set_owned_str(&d->ents.v[i].kb_id, kb_id);
    if (rc == NER_OK)
        d->ents.v[i].kb_score = kb_score;
    return rc;
}

NER_API int ner_doc_set_ent_ent_id(ner_doc *d, size_t i, const char *ent_id)
{
    if (!d)
        return NER_EINVAL;
    if (i >= d->ents.n)
        return NER_ERANGE;
    return set_owned_str(&d->ents.v[i].ent_id, ent_id);
}

NER_API int ner_doc_add_span(ner_doc *d, const char *group, size_t ts,
                             size_t te, const char *label, double score)
{
    if (!d || !group || !*group)
        return NER_EINVAL;
    ner_span s;
    int rc = make_span(d, ts, te, label, score, &s);
    if (rc != NER_OK)
        return rc;
    ner_ents *g = NULL;
    for (size_t i = 0; i < d->ngroups; i++)
        if (strcmp(d->groups[i].name, group) == 0)
            g = &d->groups[i];
    if (!g) {
        ner_ents *v = realloc(d->groups, (d->ngroups + 1) * sizeof *v);
        if (!v)
            return ner_doc_set_error(d, NER_ENOMEM, "out of memory");
        d->groups = v;
        g = &d->groups[d->ngroups];
        memset(g, 0, sizeof *g);
        if (!(g->name = nc_strdup(group)))
            return ner_doc_set_error(d, NER_ENOMEM, "out of memory");
        d->ngroups++;
    }
    if (ents_reserve(g, g->n + 1) != NER_OK)
        return ner_doc_set_error(d, NER_ENOMEM, "out of memory");
    g->v[g->n++] = s;
    return NER_OK;
}

NER_API const ner_ents *ner_doc_ents(const ner_doc *d) { return d ? &d->ents : NULL; }
NER_API size_t ner_doc_span_group_count(const ner_doc *d) { return d ? d->ngroups : 0; }

NER_API const char *ner_doc_span_group_name(const ner_doc *d, size_t i)
{
    return d && i < d->ngroups ? d->groups[i].name : NULL;
}

NER_API const ner_ents *ner_doc_spans(const ner_doc *d, const char *group)
{
    if (!d || !group)
        return NULL;
    for (size_t i = 0; i < d->ngroups; i++)
        if (strcmp(d->groups[i].name, group) == 0)
            return &d->groups[i];
    return NULL;
}

NER_API size_t ner_ents_count(const ner_ents *e) { return e ? e->n : 0; }

NER_API const ner_span *ner_ents_get(const ner_ents *e, size_t i)
{
    return e && i < e->n ? &e->v[i] : NULL;
}

NER_API const char *ner_span_label(const ner_span *s) { return s ? s->label : NULL; }

NER_API const char *ner_span_text(const ner_span *s, size_t *len)
{
    if (!s) {
        if (len) *len = 0;
        return NULL;
    }
    if (len)
        *len = s->be - s->bs;
    return s->doc->text + s->bs;
}

NER_API size_t ner_span_start_byte(const ner_span *s) { return s ? s->bs : 0; }
NER_API size_t ner_span_end_byte(const ner_span *s) { return s ? s->be : 0; }
NER_API size_t ner_span_start_char(const ner_span *s) { return s ? s->cs : 0; }
NER_API size_t ner_span_end_char(const ner_span *s) { return s ? s->ce : 0; }
NER_API size_t ner_span_start_token(const ner_span *s) { return s ? s->ts : 0; }
NER_API size_t ner_span_end_token(const ner_span *s) { return s ? s->te : 0; }
NER_API double ner_span_score(const ner_span *s) { return s ? s->score : 0.0; }
NER_API const char *ner_span_kb_id(const ner_span *s) { return s ? s->kb_id : NULL; }
NER_API double ner_span_kb_score(const ner_span *s) { return s ? s->kb_score : 0.0; }
NER_API const char *ner_span_ent_id(const ner_span *s) { return s ? s->ent_id : NULL; }

NER_API size_t ner_doc_copy_ents(const ner_doc *d, ner_span_record *buf, size_t cap)
{
    if (!d)
        return 0;
    size_t n = d->ents.n < cap ? d->ents.n : cap;
    for (size_t i = 0; buf && i < n; i++) {
        const ner_span *s = &d->ents.v[i];
        ner_span_record *r = &buf[i];
        memset(r, 0, sizeof *r);
        r->start_byte = s->bs;
        r->end_byte = s->be;
        r->start_char = s->cs;
        r->end_char = s->ce;
        r->start_token = (uint32_t)s->ts;
        r->end_token = (uint32_t)s->te;
        r->score = s->score;
        r->label = s->label;
        r->kb_id = s->kb_id;
        r->kb_score = s->kb_score;
        r->ent_id = s->ent_id;
    }
    return d->ents.n;
}
