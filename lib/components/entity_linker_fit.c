/* Fitting and evaluating the entity linker on annotated mentions:
 * ner_linker_fit and ner_linker_evaluate of ner_kb.h.
 *
 * Fitting, in order:
 *   1. every document is tokenized and, for each mention, the term counts
 *      of its context window (the linker's "window") are kept;
 *   2. idf over every mention context and every KB description;
 *   3. a profile per entity with mentions: the summed context counts of its
 *      mentions, cut to the profile_size terms of highest tf-idf; besides
 *      it, one profile per fold left out, so that the features of a
 *      document in fold k use a profile learned without fold k (what the
 *      linker meets on new text: a profile that never saw the mention);
 *   4. the features of every (mention, candidate) pair; a conditional
 *      logit (softmax over each mention's candidates and NIL, the gold
 *      entity or NIL as the answer), L2-regularised, by Newton's method,
 *      the penalty pulling towards the starting weights (so a feature the
 *      data never shows keeps its configured weight); with
 *      NER_LINKER_FIT_LOO_PRIORS each mention sees leave-one-out priors;
 *   5. the threshold on the best score that handles the most training
 *      mentions right (a link to the gold entity, or NIL for a mention
 *      whose entity is not in the KB);
 *   6. kb.sqlite with the full profiles and the idf, linker.json with the
 *      settings, in the output folder. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "components/entity_linker.h"

#define DEFAULT_FOLDS 5
#define DEFAULT_PROFILE_SIZE 100
#define L2_PENALTY 1.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ params */

NER_API int ner_linker_fit_params_init(ner_linker_fit_params *p, size_t size)
{
    if (!p || size < offsetof(ner_linker_fit_params, flags) + sizeof p->flags)
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)(size < sizeof *p ? size : sizeof *p);
    if (size >= offsetof(ner_linker_fit_params, folds) + sizeof p->folds)
        p->folds = DEFAULT_FOLDS;
    if (size >= offsetof(ner_linker_fit_params, profile_size) + sizeof p->profile_size)
        p->profile_size = DEFAULT_PROFILE_SIZE;
    return NER_OK;
}

NER_API int ner_linker_eval_params_init(ner_linker_eval_params *p, size_t size)
{
    if (!p || size < offsetof(ner_linker_eval_params, flags) + sizeof p->flags)
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)(size < sizeof *p ? size : sizeof *p);
    return NER_OK;
}

#define PARAM(p, type, field, dflt)                                           \
    (((p) && (p)->size >= offsetof(type, field) + sizeof((p)->field))         \
         ? (p)->field : (dflt))

/* ------------------------------------------------------------ tokenizer */

int nel_tokenizer(const char *model_dir, ner_pipeline **out, char *errbuf,
                  size_t errlen)
{
    *out = NULL;
    ner_builder *b = NULL;
    int rc;
    if (!model_dir) {
        rc = ner_builder_new(&b, "en", errbuf, errlen);
    } else {
        rc = ner_builder_from_dir(&b, model_dir, errbuf, errlen);
        /* keep the tokenizer only: mentions come from the data */
        char *pj = nk_path_join(model_dir, "pipeline.json");
        json_t *root = pj && rc == NER_OK ? json_load_file(pj, 0, NULL) : NULL;
        json_t *comps = json_object_get(root, "components");
        size_t i;
        json_t *c;
        json_array_foreach(comps, i, c) {
            const char *f = json_string_value(json_object_get(c, "factory"));
            const char *n = json_string_value(json_object_get(c, "name"));
            if (f && strcmp(f, "tokenizer") != 0)
                ner_builder_remove(b, n ? n : f);
        }
        json_decref(root);
        free(pj);
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, out, errbuf, errlen);
    ner_builder_free(b);
    return rc;
}

/* ------------------------------------------------------------ data */

typedef struct gold_ment {
    size_t start, end;      /* code points */
    const char *label;      /* "" when none; borrowed from the JSON */
    const char *kb_id;      /* NULL: NIL */
} gold_ment;

typedef int (*doc_fn)(void *user, const ner_doc *doc, size_t docno,
                      size_t lineno, const gold_ment *m, size_t n,
                      char *errbuf, size_t errlen);

static int ent_field(json_t *e, size_t idx, const char *key, json_t **out)
{
    if (json_is_array(e)) {
        *out = json_array_get(e, idx);
        return idx < json_array_size(e);
    }
    *out = json_object_get(e, key);
    return *out != NULL;
}

static int parse_mentions(json_t *ents, const char *path, size_t lineno,
                          size_t nchars, gold_ment **out, size_t *n,
                          char *errbuf, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!ents || json_is_null(ents))
        return NER_OK;
    if (!json_is_array(ents)) {
        nk_errf(errbuf, errlen, "%s: line %zu: \"entities\" must be a list", path, lineno);
        return NER_EFORMAT;
    }
    size_t m = json_array_size(ents);
    gold_ment *v = calloc(m ? m : 1, sizeof *v);
    if (!v)
        return NER_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        json_t *e = json_array_get(ents, i), *js, *je, *jl, *jk;
        if (!json_is_array(e) && !json_is_object(e)) {
            nk_errf(errbuf, errlen, "%s: line %zu: entity %zu must be [start, end, "
                    "label, kb_id] or an object", path, lineno, i);
            free(v);
            return NER_EFORMAT;
        }
        ent_field(e, 0, "start", &js);
        ent_field(e, 1, "end", &je);
        int has_l = ent_field(e, 2, "label", &jl);
        int has_k = ent_field(e, 3, "kb_id", &jk);
        if (!json_is_integer(js) || !json_is_integer(je) ||
            (has_l && !json_is_string(jl) && !json_is_null(jl)) ||
            (json_is_array(e) && json_array_size(e) > 4)) {
            nk_errf(errbuf, errlen, "%s: line %zu: entity %zu must be [start, end, "
                    "label, kb_id] (whole numbers, a string or null, a string or "
                    "null)", path, lineno, i);
            free(v);
            return NER_EFORMAT;
        }
        if (!has_k || (!json_is_string(jk) && !json_is_null(jk))) {
            nk_errf(errbuf, errlen, "%s: line %zu: entity %zu needs a kb_id (a "
                    "string, or null for an entity outside the KB)", path, lineno, i);
            free(v);
            return NER_EFORMAT;
        }
        json_int_t s = json_integer_value(js), t = json_integer_value(je);
        if (s < 0 || t <= s || (size_t)t > nchars) {
            nk_errf(errbuf, errlen, "%s: line %zu: entity %zu [%lld, %lld) is not "
                    "inside the text (%zu code points)", path, lineno, i,
                    (long long)s, (long long)t, nchars);
            free(v);
            return NER_ERANGE;
        }
        v[i].start = (size_t)s;
        v[i].end = (size_t)t;
        v[i].label = json_is_string(jl) ? json_string_value(jl) : "";
        v[i].kb_id = json_is_string(jk) ? json_string_value(jk) : NULL;
    }
    *out = v;
    *n = m;
    return NER_OK;
}

static int read_data(const char *path, const ner_pipeline *tok, doc_fn fn,
                     void *user, size_t *ndocs, char *errbuf, size_t errlen)
{
    *ndocs = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        nk_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = NER_OK;
    for (;;) {
        errno = 0;
        ssize_t r = getline(&line, &cap, f);
        if (r < 0) {
            if (errno == ENOMEM)
                rc = NER_ENOMEM;
            else if (ferror(f)) {
                nk_errf(errbuf, errlen, "%s: read error after line %zu", path, lineno);
                rc = NER_EIO;
            }
            break;
        }
        lineno++;
        size_t n = (size_t)r, skip = 0;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
            skip = 3;
        size_t k = skip;
        while (k < n && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == n)
            continue;
        json_error_t je;
        json_t *o = json_loadb(line + skip, n - skip, JSON_REJECT_DUPLICATES, &je);
        if (!o) {
            nk_errf(errbuf, errlen, "%s: line %zu, column %d: malformed JSON: %s",
                    path, lineno, je.column, je.text);
            rc = NER_EFORMAT;
            break;
        }
        json_t *jt = json_object_get(o, "text");
        json_t *ents = json_object_get(o, "entities");
        if (!ents)
            ents = json_object_get(o, "spans");
        if (!json_is_object(o) || !json_is_string(jt)) {
            nk_errf(errbuf, errlen, "%s: line %zu: expected an object with a "
                    "\"text\" string", path, lineno);
            json_decref(o);
            rc = NER_EFORMAT;
            break;
        }
        ner_doc *doc = NULL;
        char derr[NER_ERRBUF_SIZE] = "";
        rc = ner_pipeline_process(tok, json_string_value(jt), json_string_length(jt),
                                  &doc, derr, sizeof derr);
        gold_ment *m = NULL;
        size_t nm = 0;
        if (rc != NER_OK)
            nk_errf(errbuf, errlen, "%s: line %zu: %s", path, lineno, derr);
        else
            rc = parse_mentions(ents, path, lineno, ner_doc_length_chars(doc), &m,
                                &nm, errbuf, errlen);
        if (rc == NER_OK)
            rc = fn(user, doc, *ndocs, lineno, m, nm, errbuf, errlen);
        (*ndocs)++;
        free(m);
        ner_doc_free(doc);
        json_decref(o);
        if (rc != NER_OK)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------ metrics */

typedef struct metrics {
    size_t mentions, linkable, correct, gold_in_cands, pred_nil, nil_correct,
           gold_nil;
    size_t outside_kb;      /* gold id not in the KB */
    size_t nil_kb_correct;  /* predicted NIL: gold NIL or not in the KB */
    size_t levels[4];       /* none, exact, fold, norm */
} metrics;

static void count(metrics *m, const char *gold, const char *pred, int in_cands,
                  int level, int in_kb)
{
    m->outside_kb += gold && !in_kb;
    m->nil_kb_correct += !pred && (!gold || !in_kb);
    m->mentions++;
    m->levels[level + 1 >= 0 && level + 1 < 4 ? level + 1 : 0]++;
    if (gold) {
        m->linkable++;
        m->correct += pred && strcmp(pred, gold) == 0;
        m->gold_in_cands += in_cands;
    } else {
        m->gold_nil++;
    }
    if (!pred) {
        m->pred_nil++;
        m->nil_correct += !gold;
    }
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

static json_t *metrics_json(const metrics *m)
{
    json_t *lv = json_pack("{s:I,s:I,s:I,s:I}", "none", (json_int_t)m->levels[0],
                           "exact", (json_int_t)m->levels[1], "fold",
                           (json_int_t)m->levels[2], "norm", (json_int_t)m->levels[3]);
    json_t *j = json_pack("{s:I,s:I,s:I,s:f,s:I,s:f,s:f,s:I,s:I,s:I,s:f,s:f,s:f,s:o*}",
        "mentions", (json_int_t)m->mentions,
        "linkable", (json_int_t)m->linkable,
        "correct", (json_int_t)m->correct,
        "accuracy", ratio(m->correct, m->linkable),
        "gold_in_candidates", (json_int_t)m->gold_in_cands,
        "candidate_recall", ratio(m->gold_in_cands, m->linkable),
        "in_kb_accuracy", ratio(m->correct, m->gold_in_cands),
        "gold_nil", (json_int_t)m->gold_nil,
        "predicted_nil", (json_int_t)m->pred_nil,
        "nil_correct", (json_int_t)m->nil_correct,
        "nil_precision", ratio(m->nil_correct, m->pred_nil),
        "nil_recall", ratio(m->nil_correct, m->gold_nil),
        "overall_accuracy", ratio(m->correct + m->nil_correct, m->mentions),
        "levels", lv);
    if (j) {
        json_object_set_new(j, "gold_outside_kb", json_integer((json_int_t)m->outside_kb));
        json_object_set_new(j, "nil_kb_precision",
                            json_real(ratio(m->nil_kb_correct, m->pred_nil)));
    }
    return j;
}

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
}

/* ------------------------------------------------------------ evaluate */

typedef struct eval_ctx {
    const ner_linker *lk;
    nel_scratch sc;
    metrics m;
} eval_ctx;

static int eval_doc(void *user, const ner_doc *doc, size_t docno, size_t lineno,
                    const gold_ment *gm, size_t n, char *errbuf, size_t errlen)
{
    (void)docno;
    eval_ctx *e = user;
    size_t len;
    const char *text = ner_doc_text(doc, &len);
    for (size_t i = 0; i < n; i++) {
        size_t bs, be, ts, te;
        if (nel_mention_tokens(doc, gm[i].start, gm[i].end, &bs, &be, &ts, &te) != NER_OK)
            return NER_ERANGE;
        long best;
        double score, top;
        int rc = nel_link_one(e->lk, doc, ts, te, text + bs, be - bs, gm[i].label,
                              &e->sc, &best, &score, &top);
        if (rc != NER_OK) {
            nk_errf(errbuf, errlen, "line %zu: entity %zu: lookup failed (%s)",
                    lineno, i, ner_strerror(rc));
            return rc;
        }
        int in_cands = 0;
        const nk_cands *c = &e->sc.cands;
        for (size_t k = 0; gm[i].kb_id && k < c->n && !in_cands; k++)
            in_cands = strcmp(nk_cand_str(c, c->v[k].id), gm[i].kb_id) == 0;
        int64_t eid = 0;
        int in_kb = gm[i].kb_id && (in_cands ||
                    nk_kb_find_entity(e->lk->kb, gm[i].kb_id, &eid) == NER_OK);
        count(&e->m, gm[i].kb_id,
              best >= 0 ? nk_cand_str(c, c->v[best].id) : NULL, in_cands, c->level,
              in_kb);
    }
    return NER_OK;
}

NER_API int ner_linker_evaluate(const ner_linker *lk, const char *data_path,
                                const ner_linker_eval_params *p,
                                char **json_out, char *errbuf, size_t errlen)
{
    if (!lk || !data_path || !json_out) {
        nk_errf(errbuf, errlen, "ner_linker_evaluate: linker, data and output are required");
        return NER_EINVAL;
    }
    *json_out = NULL;
    if (p && p->size < offsetof(ner_linker_eval_params, flags) + sizeof p->flags) {
        nk_errf(errbuf, errlen, "ner_linker_eval_params: size %u is too small", p->size);
        return NER_EABI;
    }
    double t0 = now_s();
    ner_pipeline *tok = NULL;
    int rc = nel_tokenizer(PARAM(p, ner_linker_eval_params, model_dir, NULL), &tok,
                           errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    eval_ctx e;
    memset(&e, 0, sizeof e);
    e.lk = lk;
    nel_scratch_init(&e.sc);
    size_t ndocs = 0;
    rc = read_data(data_path, tok, eval_doc, &e, &ndocs, errbuf, errlen);
    nel_scratch_free(&e.sc);
    ner_pipeline_free(tok);
    if (rc != NER_OK)
        return rc;
    json_t *j = metrics_json(&e.m);
    if (j) {
        json_object_set_new(j, "docs", json_integer((json_int_t)ndocs));
        json_object_set_new(j, "seconds", json_real(now_s() - t0));
        *json_out = dump(j);
    }
    json_decref(j);
    return *json_out ? NER_OK : NER_ENOMEM;
}

/* ------------------------------------------------------------ fit: data */

typedef struct fit_ment {
    uint32_t fold;
    char *text;             /* the mention, owned */
    char *label;            /* owned */
    char *gold;             /* owned; NULL: NIL */
    int64_t geid;           /* gold eid; 0: NIL or not in the KB */
    size_t raw, nraw;       /* context counts in the pool */
} fit_ment;

typedef struct fit_ctx {
    const ner_linker *lk;
    uint32_t folds;
    fit_ment *m;
    size_t n, cap;
    nk_bow pool;            /* context counts of every mention */
    nk_bow raw;
    size_t linkable, unknown_gold;
} fit_ctx;

static int fit_doc(void *user, const ner_doc *doc, size_t docno, size_t lineno,
                   const gold_ment *gm, size_t n, char *errbuf, size_t errlen)
{
    fit_ctx *c = user;
    size_t len;
    const char *text = ner_doc_text(doc, &len);
    for (size_t i = 0; i < n; i++) {
        size_t bs, be, ts, te;
        if (nel_mention_tokens(doc, gm[i].start, gm[i].end, &bs, &be, &ts, &te) != NER_OK)
            return NER_ERANGE;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 1024;
            fit_ment *v = realloc(c->m, cap * sizeof *v);
            if (!v)
                return NER_ENOMEM;
            c->m = v;
            c->cap = cap;
        }
        fit_ment *x = &c->m[c->n];
        memset(x, 0, sizeof *x);
        x->fold = (uint32_t)(docno % c->folds);
        x->text = strndup(text + bs, be - bs);
        x->label = strdup(gm[i].label);
        x->gold = gm[i].kb_id ? strdup(gm[i].kb_id) : NULL;
        c->n++;
        if (!x->text || !x->label || (gm[i].kb_id && !x->gold))
            return NER_ENOMEM;
        if (x->gold) {
            c->linkable++;
            int rc = nk_kb_find_entity(c->lk->kb, x->gold, &x->geid);
            if (rc == NER_ENOTFOUND)
                c->unknown_gold++;
            else if (rc != NER_OK) {
                nk_errf(errbuf, errlen, "line %zu: entity %zu: KB lookup failed (%s)",
                        lineno, i, ner_strerror(rc));
                return rc;
            }
        }
        int rc = nel_context_raw(c->lk->window, doc, ts, te, &c->raw);
        x->raw = c->pool.n;
        for (size_t k = 0; k < c->raw.n && rc == NER_OK; k++)
            rc = nk_bow_push(&c->pool, c->raw.v[k].h, c->raw.v[k].w);
        x->nraw = c->pool.n - x->raw;
        if (rc != NER_OK)
            return rc;
    }
    return NER_OK;
}

static void fit_ctx_free(fit_ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->m[i].text);
        free(c->m[i].label);
        free(c->m[i].gold);
    }
    free(c->m);
    nk_bow_free(&c->pool);
    nk_bow_free(&c->raw);
}

/* ------------------------------------------------------------ fit: idf */

static int df_push(void *user, int64_t eid, const nk_term *t, size_t n)
{
    (void)eid;
    nk_bow *df = user;
    for (size_t k = 0; k < n; k++)
        if (nk_bow_push(df, t[k].h, 1.0f) != NER_OK)
            return NER_ENOMEM;
    return NER_OK;
}

static int count_desc(void *user, int64_t eid, const nk_term *t, size_t n)
{
    (void)eid;
    (void)t;
    if (n)
        (*(uint64_t *)user)++;
    return NER_OK;
}

static int build_idf(const fit_ctx *c, nk_bow *idf, uint64_t *ndocs)
{
    int rc = NER_OK;
    uint64_t ndesc = 0;
    for (size_t i = 0; i < c->n && rc == NER_OK; i++)
        for (size_t k = 0; k < c->m[i].nraw && rc == NER_OK; k++)
            rc = nk_bow_push(idf, c->pool.v[c->m[i].raw + k].h, 1.0f);
    if (rc == NER_OK)
        rc = nk_kb_each_dvec(c->lk->kb, df_push, idf);
    if (rc == NER_OK)
        rc = nk_kb_each_dvec(c->lk->kb, count_desc, &ndesc);
    if (rc != NER_OK)
        return rc;
    nk_bow_finish(idf);
    *ndocs = c->n + ndesc;
    for (size_t k = 0; k < idf->n; k++)
        idf->v[k].w = (float)(log((1.0 + (double)*ndocs) / (1.0 + idf->v[k].w)) + 1.0);
    return NER_OK;
}

/* ------------------------------------------------------------ fit: profiles */

typedef struct profiles {
    int64_t *eids;          /* sorted; entities with mentions */
    size_t n;
    uint32_t nf;            /* folds + 1: [folds] is the full profile */
    size_t *start, *len;    /* n * nf ranges in pool */
    nk_bow pool;
} profiles;

static void profiles_free(profiles *p)
{
    free(p->eids);
    free(p->start);
    free(p->len);
    nk_bow_free(&p->pool);
}

/* Profile of eid for fold f (folds: the full one); NULL when none. */
static const nk_term *profile_of(const profiles *p, int64_t eid, uint32_t f,
                                 size_t *n)
{
    *n = 0;
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->eids[mid] < eid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == p->n || p->eids[lo] != eid)
        return NULL;
    size_t r = lo * p->nf + f;
    *n = p->len[r];
    return *n ? p->pool.v + p->start[r] : NULL;
}

typedef struct scored {
    nk_term t;
    double s;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s != y->s)
        return x->s > y->s ? -1 : 1;
    return x->t.h < y->t.h ? -1 : x->t.h > y->t.h;
}

static int cmp_term_h(const void *a, const void *b)
{
    uint32_t x = ((const nk_term *)a)->h, y = ((const nk_term *)b)->h;
    return x < y ? -1 : x > y;
}

/* Appends the top `keep` terms of counts (sorted by hash) to pool, sorted
 * by hash. */
static int keep_top(const nk_bow *counts, const nk_term *idf, size_t nidf,
                    size_t keep, nk_bow *pool, scored **tmp, size_t *tmpcap)
{
    if (counts->n > *tmpcap) {
        scored *t = realloc(*tmp, counts->n * sizeof *t);
        if (!t)
            return NER_ENOMEM;
        *tmp = t;
        *tmpcap = counts->n;
    }
    size_t m = 0;
    for (size_t i = 0; i < counts->n; i++) {
        if (counts->v[i].w <= 0)
            continue;
        float d = nk_terms_find(idf, nidf, counts->v[i].h);
        (*tmp)[m].t = counts->v[i];
        (*tmp)[m].s = (1.0 + log(counts->v[i].w)) * d;
        m++;
    }
    if (m > keep) {
        qsort(*tmp, m, sizeof **tmp, cmp_scored);
        m = keep;
    }
    size_t start = pool->n;
    for (size_t i = 0; i < m; i++)
        if (nk_bow_push(pool, (*tmp)[i].t.h, (*tmp)[i].t.w) != NER_OK)
            return NER_ENOMEM;
    if (m)
        qsort(pool->v + start, m, sizeof *pool->v, cmp_term_h);
    return NER_OK;
}

static int cmp_by_eid(const void *a, const void *b, void *ctx)
{
    const fit_ctx *c = ctx;
    int64_t x = c->m[*(const size_t *)a].geid, y = c->m[*(const size_t *)b].geid;
    return x < y ? -1 : x > y;
}

static int build_profiles(const fit_ctx *c, const nk_term *idf, size_t nidf,
                          uint32_t folds, size_t keep, profiles *p)
{
    memset(p, 0, sizeof *p);
    p->nf = folds + 1;
    size_t nl = 0;
    size_t *idx = malloc((c->n ? c->n : 1) * sizeof *idx);
    if (!idx)
        return NER_ENOMEM;
    for (size_t i = 0; i < c->n; i++)
        if (c->m[i].geid > 0)
            idx[nl++] = i;
    qsort_r(idx, nl, sizeof *idx, cmp_by_eid, (void *)c);
    size_t ngroups = 0;
    for (size_t i = 0; i < nl; i++)
        ngroups += i == 0 || c->m[idx[i]].geid != c->m[idx[i - 1]].geid;
    p->eids = malloc((ngroups ? ngroups : 1) * sizeof *p->eids);
    p->start = calloc((ngroups ? ngroups : 1) * p->nf, sizeof *p->start);
    p->len = calloc((ngroups ? ngroups : 1) * p->nf, sizeof *p->len);
    nk_bow all = {0}, part = {0}, rest = {0};
    scored *tmp = NULL;
    size_t tmpcap = 0;
    int rc = p->eids && p->start && p->len ? NER_OK : NER_ENOMEM;
    for (size_t i = 0; i < nl && rc == NER_OK;) {
        size_t j = i;
        int64_t eid = c->m[idx[i]].geid;
        while (j < nl && c->m[idx[j]].geid == eid)
            j++;
        size_t g = p->n++;
        p->eids[g] = eid;
        nk_bow_clear(&all);
        for (size_t k = i; k < j && rc == NER_OK; k++) {
            const fit_ment *x = &c->m[idx[k]];
            for (size_t t = 0; t < x->nraw && rc == NER_OK; t++)
                rc = nk_bow_push(&all, c->pool.v[x->raw + t].h, c->pool.v[x->raw + t].w);
        }
        nk_bow_finish(&all);
        for (uint32_t f = 0; f <= folds && rc == NER_OK; f++) {
            const nk_bow *src = &all;
            if (f < folds) {
                /* rest = all minus the counts of fold f */
                nk_bow_clear(&part);
                for (size_t k = i; k < j && rc == NER_OK; k++) {
                    const fit_ment *x = &c->m[idx[k]];
                    if (x->fold != f)
                        continue;
                    for (size_t t = 0; t < x->nraw && rc == NER_OK; t++)
                        rc = nk_bow_push(&part, c->pool.v[x->raw + t].h,
                                         c->pool.v[x->raw + t].w);
                }
                nk_bow_finish(&part);
                nk_bow_clear(&rest);
                size_t q = 0;
                for (size_t k = 0; k < all.n && rc == NER_OK; k++) {
                    float w = all.v[k].w;
                    while (q < part.n && part.v[q].h < all.v[k].h)
                        q++;
                    if (q < part.n && part.v[q].h == all.v[k].h)
                        w -= part.v[q].w;
                    if (w > 0.5f)
                        rc = nk_bow_push(&rest, all.v[k].h, w);
                }
                src = &rest;
            }
            size_t r = g * p->nf + f, s0 = p->pool.n;
            if (rc == NER_OK)
                rc = keep_top(src, idf, nidf, keep, &p->pool, &tmp, &tmpcap);
            p->start[r] = s0;
            p->len[r] = p->pool.n - s0;
        }
        i = j;
    }
    free(tmp);
    free(idx);
    nk_bow_free(&all);
    nk_bow_free(&part);
    nk_bow_free(&rest);
    return rc;
}

/* ------------------------------------------------------------ fit: LR */

typedef struct rows {
    double *x;              /* n * NEL_NF */
    unsigned char *y;
    size_t n, cap;
} rows;

static int rows_push(rows *r, const double *f, int y)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        double *x = realloc(r->x, cap * NEL_NF * sizeof *x);
        if (!x)
            return NER_ENOMEM;
        r->x = x;
        unsigned char *yy = realloc(r->y, cap);
        if (!yy)
            return NER_ENOMEM;
        r->y = yy;
        r->cap = cap;
    }
    memcpy(r->x + r->n * NEL_NF, f, NEL_NF * sizeof *f);
    r->y[r->n] = (unsigned char)y;
    r->n++;
    return NER_OK;
}

/* Solves A x = b (A symmetric positive definite, NEL_NF square) in place
 * by Cholesky; returns -1 when A is not positive definite. */
static int cholesky_solve(double *a, double *b)
{
    const int n = NEL_NF;
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (int k = 0; k < j; k++)
            s -= a[j * n + k] * a[j * n + k];
        if (s <= 1e-12)
            return -1;
        a[j * n + j] = sqrt(s);
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (int k = 0; k < j; k++)
                t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / a[j * n + j];
        }
    }
    for (int i = 0; i < n; i++) {
        double t = b[i];
        for (int k = 0; k < i; k++)
            t -= a[i * n + k] * b[k];
        b[i] = t / a[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double t = b[i];
        for (int k = i + 1; k < n; k++)
            t -= a[k * n + i] * b[k];
        b[i] = t / a[i * n + i];
    }
    return 0;
}

typedef struct ment_rows {
    size_t first, n;        /* rows of the mention's candidates */
    long gold_row;          /* -1 when the gold entity is not a candidate */
    int level;
} ment_rows;

/* Conditional logit over each mention's candidates and NIL (z = 0), by
 * Newton's method; penalty lambda * |w - w0|^2 / 2 (a hundredth of it on
 * the bias).
 * p has room for the largest candidate list.  Returns the iterations. */
static int fit_clogit(const rows *r, const ment_rows *mr, size_t nm,
                      const double *w0, double *w, double *p)
{
    memcpy(w, w0, NEL_NF * sizeof *w);
    int it;
    for (it = 1; it <= 100; it++) {
        double g[NEL_NF], h[NEL_NF * NEL_NF];
        for (int k = 0; k < NEL_NF; k++) {
            double pen = k == NEL_F_BIAS ? 0.01 : L2_PENALTY;
            g[k] = -pen * (w[k] - w0[k]);
            for (int l = 0; l < NEL_NF; l++)
                h[k * NEL_NF + l] = k == l ? pen : 0.0;
        }
        for (size_t m = 0; m < nm; m++) {
            if (mr[m].n == 0)
                continue;
            const double *x0 = r->x + mr[m].first * NEL_NF;
            for (size_t j = 0; j < mr[m].n; j++)
                p[j] = nel_z(w, x0 + j * NEL_NF);
            nel_probs(p, mr[m].n, p);
            double mu[NEL_NF] = {0};
            for (size_t j = 0; j < mr[m].n; j++) {
                const double *x = x0 + j * NEL_NF;
                for (int k = 0; k < NEL_NF; k++) {
                    if (x[k] == 0.0)
                        continue;
                    mu[k] += p[j] * x[k];
                    for (int l = 0; l <= k; l++)
                        h[k * NEL_NF + l] += p[j] * x[k] * x[l];
                }
            }
            if (mr[m].gold_row >= 0) {
                const double *xg = r->x + (size_t)mr[m].gold_row * NEL_NF;
                for (int k = 0; k < NEL_NF; k++)
                    g[k] += xg[k];
            }
            for (int k = 0; k < NEL_NF; k++) {
                g[k] -= mu[k];
                for (int l = 0; l <= k; l++)
                    h[k * NEL_NF + l] -= mu[k] * mu[l];
            }
        }
        for (int k = 0; k < NEL_NF; k++)
            for (int l = k + 1; l < NEL_NF; l++)
                h[k * NEL_NF + l] = h[l * NEL_NF + k];
        if (cholesky_solve(h, g) != 0)
            break;
        double step = 0;
        for (int k = 0; k < NEL_NF; k++)
            step = fmax(step, fabs(g[k]));
        double scale = step > 5.0 ? 5.0 / step : 1.0; /* damped far from the optimum */
        for (int k = 0; k < NEL_NF; k++)
            w[k] += scale * g[k];
        if (step < 1e-7)
            break;
    }
    return it;
}

/* The best candidate row of mention m under w (-1: none) and its P. */
static long best_row(const rows *r, const ment_rows *m, const double *w,
                     double *p, double *pbest)
{
    *pbest = 0;
    if (m->n == 0)
        return -1;
    const double *x0 = r->x + m->first * NEL_NF;
    for (size_t j = 0; j < m->n; j++)
        p[j] = nel_z(w, x0 + j * NEL_NF);
    nel_probs(p, m->n, p);
    long bi = 0;
    for (size_t j = 1; j < m->n; j++)
        if (p[j] > p[bi])
            bi = (long)j;
    *pbest = p[bi];
    return (long)m->first + bi;
}

/* ------------------------------------------------------------ fit */

/* Mentions per exact text, for NER_LINKER_FIT_LOO_PRIORS. */
typedef struct text_count {
    const char *text;
    size_t n;
} text_count;

static int cmp_tc(const void *a, const void *b)
{
    return strcmp(((const text_count *)a)->text, ((const text_count *)b)->text);
}

static size_t texts_count(const text_count *tc, size_t n, const char *text)
{
    text_count key = {text, 0};
    const text_count *f = bsearch(&key, tc, n, sizeof *tc, cmp_tc);
    return f ? f->n : 0;
}

static int cmp_prior_desc(const void *pa, const void *pb)
{
    const nk_cand *a = pa, *b = pb;
    if (a->prior != b->prior)
        return a->prior > b->prior ? -1 : 1;
    return a->eid < b->eid ? -1 : a->eid > b->eid;
}

/* The priors of an exact match as if the mention had not been counted:
 * count = round(prior * T) over the T mentions of this text. */
static void leave_one_out(nk_cands *c, size_t t, int64_t geid)
{
    if (c->level != NK_LEVEL_EXACT)
        return;
    if (t <= 1) {
        c->n = 0;       /* the alias exists only through this mention */
        c->level = NK_LEVEL_NONE;
        return;
    }
    size_t w = 0;
    for (size_t i = 0; i < c->n; i++) {
        double cnt = floor(c->v[i].prior * (double)t + 0.5);
        if (c->v[i].eid == geid)
            cnt -= 1.0;
        if (cnt < 0.5)
            continue;   /* seen only in this mention: not a candidate */
        c->v[w] = c->v[i];
        c->v[w].prior = cnt / (double)(t - 1);
        w++;
    }
    c->n = w;
    if (w == 0)
        c->level = NK_LEVEL_NONE;
    qsort(c->v, c->n, sizeof *c->v, cmp_prior_desc);
}

NER_API int ner_linker_fit(const char *kb_dir, const char *data_path,
                           const char *output_dir, const char *config_json,
                           const ner_linker_fit_params *p, char **report_json,
                           char *errbuf, size_t errlen)
{
    if (report_json)
        *report_json = NULL;
    if (!kb_dir || !data_path) {
        nk_errf(errbuf, errlen, "ner_linker_fit: a KB folder and a data file are required");
        return NER_EINVAL;
    }
    if (p && p->size < offsetof(ner_linker_fit_params, flags) + sizeof p->flags) {
        nk_errf(errbuf, errlen, "ner_linker_fit_params: size %u is too small", p->size);
        return NER_EABI;
    }
    uint32_t flags = PARAM(p, ner_linker_fit_params, flags, 0u);
    uint32_t folds = PARAM(p, ner_linker_fit_params, folds, (uint32_t)DEFAULT_FOLDS);
    uint32_t keep = PARAM(p, ner_linker_fit_params, profile_size,
                          (uint32_t)DEFAULT_PROFILE_SIZE);
    const char *model_dir = PARAM(p, ner_linker_fit_params, model_dir, NULL);
    ner_log_fn log = PARAM(p, ner_linker_fit_params, log, NULL);
    void *log_user = PARAM(p, ner_linker_fit_params, log_user, NULL);
    if (folds < 2 || folds > 100)
        folds = folds == 0 ? DEFAULT_FOLDS : folds < 2 ? 2 : 100;
    if (keep == 0)
        keep = DEFAULT_PROFILE_SIZE;
    if (!output_dir)
        output_dir = kb_dir;
    double t0 = now_s();

    ner_linker *lk = NULL;
    ner_pipeline *tok = NULL;
    fit_ctx c;
    memset(&c, 0, sizeof c);
    nk_bow idf = {0};
    profiles prof = {0};
    rows r = {0};
    ment_rows *mr = NULL;
    text_count *tc = NULL;
    size_t ntc = 0;
    double *pbuf = NULL;
    nel_scratch sc;
    nel_scratch_init(&sc);
    json_t *report = NULL;
    char *dst = NULL;
    size_t ndocs = 0;
    uint64_t idf_docs = 0;

    int rc = nel_open(&lk, kb_dir, config_json, errbuf, errlen);
    if (rc != NER_OK)
        goto out;
    if ((rc = nel_tokenizer(model_dir, &tok, errbuf, errlen)) != NER_OK)
        goto out;
    c.lk = lk;
    c.folds = folds;
    rc = read_data(data_path, tok, fit_doc, &c, &ndocs, errbuf, errlen);
    if (rc != NER_OK) {
        if (rc == NER_ENOMEM)
            nk_errf(errbuf, errlen, "%s: out of memory", data_path);
        goto out;
    }
    nk_logf(log, log_user, NER_LOG_INFO, "fit: %zu documents, %zu mentions, %zu "
            "linkable, %zu with an entity outside the KB (%.1f s)", ndocs, c.n,
            c.linkable, c.unknown_gold, now_s() - t0);
    if (c.n == 0) {
        nk_errf(errbuf, errlen, "%s: no mentions to fit on", data_path);
        rc = NER_EFORMAT;
        goto out;
    }

    /* idf and profiles */
    const nk_term *idf_t;
    size_t nidf;
    if (flags & NER_LINKER_FIT_NO_PROFILES) {
        idf_t = nk_kb_idf_terms(lk->kb, &nidf);
    } else {
        if ((rc = build_idf(&c, &idf, &idf_docs)) != NER_OK ||
            (rc = build_profiles(&c, idf.v, idf.n, folds, keep, &prof)) != NER_OK)
            goto out;
        idf_t = idf.v;
        nidf = idf.n;
        nk_logf(log, log_user, NER_LOG_INFO, "fit: %zu context profiles, %zu terms "
                "(%.1f s)", prof.n, idf.n, now_s() - t0);
    }

    /* features */
    if (!(mr = calloc(c.n, sizeof *mr)) || !(tc = calloc(c.n, sizeof *tc))) {
        rc = NER_ENOMEM;
        goto out;
    }
    if (flags & NER_LINKER_FIT_LOO_PRIORS) {
        for (size_t i = 0; i < c.n; i++)
            tc[i].text = c.m[i].text;
        qsort(tc, c.n, sizeof *tc, cmp_tc);
        for (size_t i = 0; i < c.n; i++) {
            if (ntc && strcmp(tc[ntc - 1].text, tc[i].text) == 0) {
                tc[ntc - 1].n++;
            } else {
                tc[ntc] = tc[i];
                tc[ntc++].n = 1;
            }
        }
    }
    nk_bow raw = {0};
    for (size_t i = 0; i < c.n && rc == NER_OK; i++) {
        fit_ment *x = &c.m[i];
        rc = nk_kb_lookup(lk->kb, x->text, strlen(x->text), lk->max_level,
                          lk->max_cands, NK_WITH_VECS, &sc.cands);
        if (rc != NER_OK)
            break;
        if (flags & NER_LINKER_FIT_LOO_PRIORS) {
            size_t t = texts_count(tc, ntc, x->text);
            if (sc.cands.level == NK_LEVEL_EXACT && t <= 1 &&
                lk->max_level > NK_LEVEL_EXACT)
                /* the alias exists only through this mention: without it
                 * the lookup would go on to the other levels */
                rc = nk_kb_lookup_ex(lk->kb, x->text, strlen(x->text),
                                     NK_LEVEL_FOLD, lk->max_level, x->text,
                                     strlen(x->text), lk->max_cands,
                                     NK_WITH_VECS, &sc.cands);
            else
                leave_one_out(&sc.cands, t, x->geid);
            if (rc != NER_OK)
                break;
        }
        raw.v = c.pool.v + x->raw;
        raw.n = raw.cap = x->nraw;
        if ((rc = nel_weigh(&raw, idf_t, nidf, &sc.q, &sc.qnorm)) != NER_OK)
            break;
        mr[i].first = r.n;
        mr[i].n = sc.cands.n;
        mr[i].gold_row = -1;
        mr[i].level = sc.cands.level;
        for (size_t k = 0; k < sc.cands.n && rc == NER_OK; k++) {
            const nk_cand *cd = &sc.cands.v[k];
            const nk_term *pv;
            size_t npv;
            if (flags & NER_LINKER_FIT_NO_PROFILES) {
                pv = cd->npvec ? sc.cands.terms.v + cd->pvec : NULL;
                npv = cd->npvec;
            } else {
                pv = profile_of(&prof, cd->eid, x->fold, &npv);
            }
            double f[NEL_NF];
            nel_features(lk, &sc.cands, k, x->label, &sc.q, sc.qnorm, pv, npv,
                         idf_t, nidf, f);
            int y = x->geid > 0 && cd->eid == x->geid;
            if (y)
                mr[i].gold_row = (long)r.n;
            rc = rows_push(&r, f, y);
        }
    }
    if (rc != NER_OK)
        goto out;
    nk_logf(log, log_user, NER_LOG_INFO, "fit: %zu candidate rows (%.1f s)", r.n,
            now_s() - t0);

    /* weights */
    size_t maxn = 1;
    for (size_t i = 0; i < c.n; i++)
        maxn = mr[i].n > maxn ? mr[i].n : maxn;
    if (!(pbuf = malloc(maxn * sizeof *pbuf))) {
        rc = NER_ENOMEM;
        goto out;
    }
    double w0[NEL_NF], w[NEL_NF];
    memcpy(w0, lk->w, sizeof w0);
    int iters = fit_clogit(&r, mr, c.n, w0, w, pbuf);
    memcpy(lk->w, w, sizeof w);

    /* threshold: the most mentions right on the training data (a link to
     * the gold entity, or NIL for an entity outside the KB) */
    size_t right[101] = {0};
    for (size_t i = 0; i < c.n; i++) {
        double bs;
        long bi = best_row(&r, &mr[i], w, pbuf, &bs);
        int ok_link = bi >= 0 && bi == mr[i].gold_row;
        int nil_ok = c.m[i].geid == 0;
        for (int t = 0; t <= 100; t++) {
            int linked = bi >= 0 && bs >= t / 100.0;
            right[t] += linked ? ok_link : nil_ok;
        }
    }
    if (!(flags & NER_LINKER_FIT_NO_THRESHOLD)) {
        int bt = 0;
        for (int t = 1; t < 100; t++)
            if (right[t] > right[bt])
                bt = t;
        lk->threshold = bt / 100.0;
    }

    /* the scores on the training data with the fitted settings */
    metrics m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < c.n; i++) {
        double bs;
        long bi = best_row(&r, &mr[i], w, pbuf, &bs);
        /* a wrong link only needs to differ from the gold id */
        const char *pred = NULL;
        if (bi >= 0 && bs >= lk->threshold)
            pred = bi == mr[i].gold_row ? c.m[i].gold : "";
        count(&m, c.m[i].gold, pred, mr[i].gold_row >= 0, mr[i].level,
              c.m[i].geid > 0);
    }
    nk_logf(log, log_user, NER_LOG_INFO, "fit: threshold %.2f; on the training "
            "data: accuracy %.4f, in-KB accuracy %.4f, NIL precision %.4f",
            lk->threshold, ratio(m.correct, m.linkable),
            ratio(m.correct, m.gold_in_cands), ratio(m.nil_correct, m.pred_nil));

    /* write the folder */
    if ((rc = nk_mkdir_p(output_dir, errbuf, errlen)) != NER_OK)
        goto out;
    if (!(dst = nk_path_join(output_dir, NK_FILE))) {
        rc = NER_ENOMEM;
        goto out;
    }
    if (!(flags & NER_LINKER_FIT_NO_PROFILES)) {
        nk_profile *pp = calloc(prof.n ? prof.n : 1, sizeof *pp);
        if (!pp) {
            rc = NER_ENOMEM;
            goto out;
        }
        for (size_t g = 0; g < prof.n; g++) {
            pp[g].eid = prof.eids[g];
            pp[g].t = profile_of(&prof, prof.eids[g], folds, &pp[g].n);
        }
        rc = nk_kb_write_profiles(lk->kb_file, dst, pp, prof.n, idf.v, idf.n,
                                  idf_docs, errbuf, errlen);
        free(pp);
    } else if (strcmp(lk->kb_file, dst) != 0) {
        rc = nel_copy_file(lk->kb_file, dst, errbuf, errlen);
    }
    if (rc != NER_OK)
        goto out;
    report = json_object();
    json_t *wj = json_object();
    for (int k = 0; report && wj && k < NEL_NF; k++)
        json_object_set_new(wj, nel_feature_names[k], json_real(w[k]));
    json_t *tm = metrics_json(&m);
    if (!report || !wj || !tm) {
        json_decref(wj);
        json_decref(tm);
        rc = NER_ENOMEM;
        goto out;
    }
    json_object_set_new(report, "docs", json_integer((json_int_t)ndocs));
    json_object_set_new(report, "mentions", json_integer((json_int_t)c.n));
    json_object_set_new(report, "candidate_rows", json_integer((json_int_t)r.n));
    json_object_set_new(report, "profiles", json_integer((json_int_t)prof.n));
    json_object_set_new(report, "folds", json_integer(folds));
    json_object_set_new(report, "loo_priors",
                        json_boolean(flags & NER_LINKER_FIT_LOO_PRIORS));
    json_object_set_new(report, "iterations", json_integer(iters));
    json_object_set_new(report, "weights", wj);
    json_object_set_new(report, "threshold", json_real(lk->threshold));
    json_object_set_new(report, "train", tm);
    json_object_set_new(report, "seconds", json_real(now_s() - t0));
    json_t *extra = json_pack("{s:O}", "_fit", report);
    rc = extra ? nel_write_settings(lk, output_dir, extra, errbuf, errlen) : NER_ENOMEM;
    json_decref(extra);
    if (rc == NER_OK && report_json && !(*report_json = dump(report)))
        rc = NER_ENOMEM;
out:
    json_decref(report);
    free(dst);
    free(mr);
    free(tc);
    free(pbuf);
    free(r.x);
    free(r.y);
    profiles_free(&prof);
    nk_bow_free(&idf);
    nel_scratch_free(&sc);
    fit_ctx_free(&c);
    ner_pipeline_free(tok);
    nel_close(lk);
    return rc;
}
