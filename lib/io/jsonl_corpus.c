#include "io/jsonl_corpus.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "text/utf8.h"

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

nio_jsonl *nio_jsonl_new(void)
{
    nio_jsonl *c = calloc(1, sizeof *c);
    if (c)
        nio_strtab_init(&c->labels);
    return c;
}

void nio_jsonl_free(nio_jsonl *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_recs; i++) {
        free(c->recs[i].text);
        free(c->recs[i].ents);
    }
    free(c->recs);
    nio_strtab_free(&c->labels);
    free(c);
}

const char *nio_jsonl_label(const nio_jsonl *c, uint32_t id)
{
    return c ? nio_strtab_get(&c->labels, id) : NULL;
}

/* An entity while a line is checked. */
typedef struct pent {
    json_int_t start, end;
    const char *label;
    size_t label_len;
    size_t index;            /* position in the input list */
} pent;

static int pent_cmp(const void *a, const void *b)
{
    const pent *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int quote_len(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return (int)len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* Reads one offset; NER_OK or a message and NER_EFORMAT. */
static int get_offset(const json_t *v, const char *what, size_t lineno,
                      size_t k, json_int_t *out, char *errbuf, size_t errlen)
{
    if (!v) {
        nio_errf(errbuf, errlen, "line %zu: entity %zu: \"%s\" is missing",
                 lineno, k, what);
        return NER_EFORMAT;
    }
    if (!json_is_integer(v)) {
        if (json_is_real(v))
            nio_errf(errbuf, errlen,
                     "line %zu: entity %zu: %s offset %g is not an integer",
                     lineno, k, what, json_real_value(v));
        else
            nio_errf(errbuf, errlen,
                     "line %zu: entity %zu: %s offset is %s, not an integer",
                     lineno, k, what, json_kind(v));
        return NER_EFORMAT;
    }
    *out = json_integer_value(v);
    return NER_OK;
}

int nio_jsonl_parse_line(nio_jsonl *c, const char *line, size_t len,
                         size_t lineno, char *errbuf, size_t errlen)
{
    if (!c || (!line && len)) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    while (len > 0 && is_blank(line[len - 1]))
        len--;
    size_t lead = 0;
    while (lead < len && is_blank(line[lead]))
        lead++;
    if (lead == len)
        return NER_OK;

    size_t bad;
    if (!nt_utf8_valid(line, len, &bad)) {
        nio_errf(errbuf, errlen, "line %zu: invalid UTF-8 at byte %zu",
                 lineno, bad + 1);
        return NER_EUTF8;
    }
    json_error_t jerr;
    json_t *root = json_loadb(line, len, 0, &jerr);
    if (!root) {
        nio_errf(errbuf, errlen, "line %zu: malformed JSON at column %d: %s",
                 lineno, jerr.column, jerr.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    pent *pe = NULL;
    nio_ent *ents = NULL;
    char *text_copy = NULL;

    if (!json_is_object(root)) {
        nio_errf(errbuf, errlen, "line %zu: %s, not a JSON object", lineno,
                 json_kind(root));
        rc = NER_EFORMAT;
        goto out;
    }
    json_t *jt = json_object_get(root, "text");
    if (!jt || !json_is_string(jt)) {
        if (jt)
            nio_errf(errbuf, errlen, "line %zu: \"text\" is %s, not a string",
                     lineno, json_kind(jt));
        else
            nio_errf(errbuf, errlen, "line %zu: \"text\" is missing", lineno);
        rc = NER_EFORMAT;
        goto out;
    }
    const char *text = json_string_value(jt);
    size_t tlen = json_string_length(jt);
    size_t nchars = nt_utf8_count(text, tlen);

    /* "entities" (the seed format), else "ents" (our own doc JSON, so `ner
     * run` output can be gold), else "spans" (Prodigy's list; the doc JSON's
     * "spans" object of groups is never entities: "ents" comes first). */
    static const char *const keys[] = {"entities", "ents", "spans"};
    const char *key = keys[0];
    json_t *je = NULL;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        json_t *jk = json_object_get(root, keys[k]);
        if (jk && !json_is_null(jk)) {
            key = keys[k];
            je = jk;
            break;
        }
    }
    if (je && json_is_null(je))
        je = NULL;
    if (je && !json_is_array(je)) {
        nio_errf(errbuf, errlen, "line %zu: \"%s\" is %s, not a list", lineno,
                 key, json_kind(je));
        rc = NER_EFORMAT;
        goto out;
    }
    size_t n = je ? json_array_size(je) : 0;
    if (n) {
        pe = malloc(n * sizeof *pe);
        ents = malloc(n * sizeof *ents);
        if (!pe || !ents) {
            rc = NER_ENOMEM;
            nio_errf(errbuf, errlen, "line %zu: out of memory", lineno);
            goto out;
        }
    }
    for (size_t k = 0; k < n; k++) {
        json_t *e = json_array_get(je, k), *js, *jn, *jl;
        if (json_is_array(e) && json_array_size(e) == 3) {
            js = json_array_get(e, 0);
            jn = json_array_get(e, 1);
            jl = json_array_get(e, 2);
        } else if (json_is_object(e)) {
            js = json_object_get(e, "start");
            jn = json_object_get(e, "end");
            jl = json_object_get(e, "label");
        } else {
            nio_errf(errbuf, errlen,
                     "line %zu: entity %zu is neither [start, end, label] nor "
                     "{\"start\", \"end\", \"label\"}", lineno, k);
            rc = NER_EFORMAT;
            goto out;
        }
        pe[k].index = k;
        if ((rc = get_offset(js, "start", lineno, k, &pe[k].start, errbuf,
                             errlen)) ||
            (rc = get_offset(jn, "end", lineno, k, &pe[k].end, errbuf,
                             errlen)))
            goto out;
        if (!jl || !json_is_string(jl) || json_string_length(jl) == 0) {
            nio_errf(errbuf, errlen,
                     "line %zu: entity %zu: the label is %s, not a non-empty "
                     "string", lineno, k,
                     !jl ? "missing" : json_is_string(jl) ? "empty"
                                                          : json_kind(jl));
            rc = NER_EFORMAT;
            goto out;
        }
        pe[k].label = json_string_value(jl);
        pe[k].label_len = json_string_length(jl);
        if (pe[k].start < 0 || pe[k].end < 0 ||
            (unsigned long long)pe[k].end > (unsigned long long)nchars ||
            pe[k].start >= pe[k].end) {
            nio_errf(errbuf, errlen,
                     "line %zu: entity %zu [%lld,%lld) %.*s: %s (the text has "
                     "%zu code points)", lineno, k, (long long)pe[k].start,
                     (long long)pe[k].end,
                     quote_len(pe[k].label, pe[k].label_len, 60), pe[k].label,
                     pe[k].start >= pe[k].end ? "start >= end"
                                              : "offset out of range",
                     nchars);
            rc = NER_ERANGE;
            goto out;
        }
    }
    if (n > 1)
        qsort(pe, n, sizeof *pe, pent_cmp);
    for (size_t k = 1; k < n; k++)
        if (pe[k].start < pe[k - 1].end) {
            const pent *a = &pe[k - 1], *b = &pe[k];
            nio_errf(errbuf, errlen,
                     "line %zu: entities [%lld,%lld) %.*s and [%lld,%lld) %.*s "
                     "overlap", lineno, (long long)a->start, (long long)a->end,
                     quote_len(a->label, a->label_len, 60), a->label,
                     (long long)b->start, (long long)b->end,
                     quote_len(b->label, b->label_len, 60), b->label);
            rc = NER_EOVERLAP;
            goto out;
        }

    /* Valid: convert the offsets, intern the labels, keep the record. */
    size_t b = 0, cp = 0;
    for (size_t k = 0; k < n; k++) {
        size_t s = (size_t)pe[k].start, e = (size_t)pe[k].end;
        while (cp < s) {
            b++;
            while (b < tlen && ((unsigned char)text[b] & 0xC0) == 0x80)
                b++;
            cp++;
        }
        ents[k].start_char = s;
        ents[k].start_byte = b;
        while (cp < e) {
            b++;
            while (b < tlen && ((unsigned char)text[b] & 0xC0) == 0x80)
                b++;
            cp++;
        }
        ents[k].end_char = e;
        ents[k].end_byte = b;
        rc = nio_strtab_intern(&c->labels, pe[k].label, pe[k].label_len,
                               &ents[k].label);
        if (rc) {
            nio_errf(errbuf, errlen, "line %zu: out of memory", lineno);
            goto out;
        }
    }
    text_copy = malloc(tlen + 1);
    if (!text_copy)
        goto nomem;
    memcpy(text_copy, text, tlen);
    text_copy[tlen] = '\0';
    if (c->n_recs == c->cap_recs) {
        size_t cap = c->cap_recs ? c->cap_recs * 2 : 64;
        nio_record *r = realloc(c->recs, cap * sizeof *r);
        if (!r)
            goto nomem;
        c->recs = r;
        c->cap_recs = cap;
    }
    c->recs[c->n_recs++] = (nio_record){text_copy, tlen, nchars, ents, n,
                                        lineno};
    text_copy = NULL;
    ents = NULL;
    goto out;

nomem:
    rc = NER_ENOMEM;
    nio_errf(errbuf, errlen, "line %zu: out of memory", lineno);
out:
    free(text_copy);
    free(ents);
    free(pe);
    json_decref(root);
    return rc;
}

int nio_jsonl_read_mem(nio_jsonl **out, const char *data, size_t len,
                       char *errbuf, size_t errlen)
{
    if (!out || (!data && len)) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    *out = NULL;
    nio_jsonl *c = nio_jsonl_new();
    if (!c) {
        nio_errf(errbuf, errlen, "out of memory");
        return NER_ENOMEM;
    }
    size_t pos = 0, lineno = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        lineno++;
        const char *p = data + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - p) : len - pos;
        pos += n + (nl != NULL);
        int rc = nio_jsonl_parse_line(c, p, n, lineno, errbuf, errlen);
        if (rc) {
            nio_jsonl_free(c);
            return rc;
        }
    }
    *out = c;
    return NER_OK;
}

int nio_jsonl_read_file(nio_jsonl **out, const char *path,
                        char *errbuf, size_t errlen)
{
    char *data;
    size_t len;
    if (out)
        *out = NULL;
    int rc = nio_read_file(path, &data, &len, errbuf, errlen);
    if (rc)
        return rc;
    char msg[NER_ERRBUF_SIZE];
    msg[0] = '\0';
    rc = nio_jsonl_read_mem(out, data, len, msg, sizeof msg);
    free(data);
    if (rc)
        nio_errf(errbuf, errlen, "%s: %s", path, msg);
    return rc;
}

/* ------------------------------------------------------------- writing */

int nio_jsonl_write_record(nio_buf *out, const char *text, size_t len_bytes,
                           const nio_char_span *ents, size_t n_ents,
                           char *errbuf, size_t errlen)
{
    if (!out || (!text && len_bytes) || (!ents && n_ents)) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    if (!text)
        text = "";
    size_t bad;
    if (!nt_utf8_valid(text, len_bytes, &bad)) {
        nio_errf(errbuf, errlen, "invalid UTF-8 at byte %zu of the text", bad);
        return NER_EUTF8;
    }
    if (len_bytes && memchr(text, '\0', len_bytes)) {
        nio_errf(errbuf, errlen, "the text holds a NUL byte");
        return NER_EINVAL;
    }
    size_t nchars = nt_utf8_count(text, len_bytes);
    for (size_t k = 0; k < n_ents; k++) {
        if (!ents[k].label || !*ents[k].label ||
            !nt_utf8_valid(ents[k].label, strlen(ents[k].label), NULL)) {
            nio_errf(errbuf, errlen,
                     "entity %zu: the label is missing, empty or not UTF-8", k);
            return NER_EINVAL;
        }
        if (ents[k].start >= ents[k].end || ents[k].end > nchars) {
            nio_errf(errbuf, errlen,
                     "entity %zu [%zu,%zu): %s (the text has %zu code points)",
                     k, ents[k].start, ents[k].end,
                     ents[k].start >= ents[k].end ? "start >= end"
                                                  : "offset out of range",
                     nchars);
            return NER_ERANGE;
        }
    }
    int rc = NER_ENOMEM;
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr || json_object_set_new(root, "text",
                                             json_stringn(text, len_bytes)) ||
        json_object_set(root, "entities", arr))
        goto out;
    for (size_t k = 0; k < n_ents; k++) {
        json_t *e = json_pack("[IIs]", (json_int_t)ents[k].start,
                              (json_int_t)ents[k].end, ents[k].label);
        if (!e || json_array_append_new(arr, e))
            goto out;
    }
    char *s = json_dumps(root, JSON_PRESERVE_ORDER);
    if (!s)
        goto out;
    rc = nio_buf_puts(out, s);
    if (!rc)
        rc = nio_buf_putc(out, '\n');
    free(s);
out:
    json_decref(arr);
    json_decref(root);
    if (rc)
        nio_errf(errbuf, errlen, "out of memory");
    return rc;
}

int nio_jsonl_write(const nio_jsonl *c, nio_buf *out,
                    char *errbuf, size_t errlen)
{
    if (!c || !out) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    size_t max = 0;
    for (size_t i = 0; i < c->n_recs; i++)
        if (c->recs[i].n_ents > max)
            max = c->recs[i].n_ents;
    nio_char_span *tmp = max ? malloc(max * sizeof *tmp) : NULL;
    if (max && !tmp) {
        nio_errf(errbuf, errlen, "out of memory");
        return NER_ENOMEM;
    }
    int rc = NER_OK;
    for (size_t i = 0; i < c->n_recs && !rc; i++) {
        const nio_record *r = &c->recs[i];
        for (size_t k = 0; k < r->n_ents; k++)
            tmp[k] = (nio_char_span){r->ents[k].start_char, r->ents[k].end_char,
                                     nio_strtab_get(&c->labels,
                                                    r->ents[k].label)};
        char msg[NER_ERRBUF_SIZE];
        rc = nio_jsonl_write_record(out, r->text, r->len_bytes, tmp,
                                    r->n_ents, msg, sizeof msg);
        if (rc)
            nio_errf(errbuf, errlen, "record %zu (line %zu): %s", i, r->line,
                     msg);
    }
    free(tmp);
    return rc;
}

int nio_jsonl_write_file(const nio_jsonl *c, const char *path,
                         char *errbuf, size_t errlen)
{
    nio_buf b;
    nio_buf_init(&b);
    int rc = nio_jsonl_write(c, &b, errbuf, errlen);
    if (!rc)
        rc = nio_write_file(path, b.data ? b.data : "", b.len, errbuf, errlen);
    nio_buf_free(&b);
    return rc;
}
