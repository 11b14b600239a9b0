#include "eval/scorer.h"

#include <stdlib.h>
#include <string.h>

#include "io/strtab.h"
#include "ner/ner.h"

#define NONE_ID UINT32_MAX

typedef struct cell {
    uint64_t key; /* (gold id + 1) << 32 | (pred id + 1); 0 = empty slot */
    size_t count;
} cell;

struct nev_scorer {
    nio_strtab labels;
    size_t *tp, *fp, *fn;   /* per label id */
    size_t cap_labels;
    size_t n_docs;
    size_t errors[NEV_ERR_COUNT];
    size_t max_examples;
    nev_example *examples[NEV_ERR_COUNT];
    size_t n_examples[NEV_ERR_COUNT];
    cell *cells;            /* confusion, open addressing */
    size_t n_cells, cap_cells;
};

/* A span during one document. */
typedef struct ispan {
    size_t start, end;
    uint32_t label;
    int matched;
} ispan;

static const char *const error_names[NEV_ERR_COUNT] = {
    "type", "boundary", "boundary_type", "spurious", "missing",
};

const char *nev_error_name(nev_error_kind k)
{
    return (unsigned)k < NEV_ERR_COUNT ? error_names[k] : NULL;
}

void nev_prf_compute(nev_prf *x)
{
    x->p = x->tp + x->fp ? (double)x->tp / (double)(x->tp + x->fp) : 0.0;
    x->r = x->tp + x->fn ? (double)x->tp / (double)(x->tp + x->fn) : 0.0;
    x->f = x->p + x->r > 0.0 ? 2.0 * x->p * x->r / (x->p + x->r) : 0.0;
}

int nev_scorer_new(nev_scorer **out, size_t max_examples)
{
    if (!out)
        return NER_EINVAL;
    nev_scorer *s = calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return NER_ENOMEM;
    nio_strtab_init(&s->labels);
    s->max_examples = max_examples;
    return NER_OK;
}

void nev_scorer_free(nev_scorer *s)
{
    if (!s)
        return;
    nio_strtab_free(&s->labels);
    free(s->tp);
    free(s->fp);
    free(s->fn);
    for (int k = 0; k < NEV_ERR_COUNT; k++)
        free(s->examples[k]);
    free(s->cells);
    free(s);
}

static int grow_counts(size_t **a, size_t old, size_t cap)
{
    size_t *n = realloc(*a, cap * sizeof *n);
    if (!n)
        return NER_ENOMEM;
    memset(n + old, 0, (cap - old) * sizeof *n);
    *a = n;
    return NER_OK;
}

static int intern(nev_scorer *s, const char *label, uint32_t *id)
{
    int rc = nio_strtab_intern(&s->labels, label, strlen(label), id);
    if (rc)
        return rc;
    if (*id >= s->cap_labels) {
        size_t cap = s->cap_labels ? s->cap_labels * 2 : 16;
        while (cap <= *id)
            cap *= 2;
        if (grow_counts(&s->tp, s->cap_labels, cap) ||
            grow_counts(&s->fp, s->cap_labels, cap) ||
            grow_counts(&s->fn, s->cap_labels, cap))
            return NER_ENOMEM;
        s->cap_labels = cap;
    }
    return NER_OK;
}

static uint64_t cell_key(uint32_t g, uint32_t p)
{
    uint64_t a = g == NONE_ID ? 0 : (uint64_t)g + 1;
    uint64_t b = p == NONE_ID ? 0 : (uint64_t)p + 1;
    return a << 32 | b;
}

static size_t cell_slot(const cell *cells, size_t cap, uint64_t key)
{
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    size_t i = (size_t)(h >> 17) & (cap - 1);
    while (cells[i].key && cells[i].key != key)
        i = (i + 1) & (cap - 1);
    return i;
}

static int confuse(nev_scorer *s, uint32_t g, uint32_t p)
{
    uint64_t key = cell_key(g, p);
    if ((s->n_cells + 1) * 2 > s->cap_cells) {
        size_t cap = s->cap_cells ? s->cap_cells * 2 : 64;
        cell *cells = calloc(cap, sizeof *cells);
        if (!cells)
            return NER_ENOMEM;
        for (size_t i = 0; i < s->cap_cells; i++)
            if (s->cells[i].key)
                cells[cell_slot(cells, cap, s->cells[i].key)] = s->cells[i];
        free(s->cells);
        s->cells = cells;
        s->cap_cells = cap;
    }
    size_t i = cell_slot(s->cells, s->cap_cells, key);
    if (!s->cells[i].key) {
        s->cells[i].key = key;
        s->n_cells++;
    }
    s->cells[i].count++;
    return NER_OK;
}

static int keep_example(nev_scorer *s, nev_error_kind k, const ispan *g,
                        const ispan *p)
{
    s->errors[k]++;
    if (s->n_examples[k] >= s->max_examples)
        return NER_OK;
    if (!s->examples[k]) {
        size_t cap = s->max_examples < 64 ? s->max_examples : 64;
        s->examples[k] = malloc(cap * sizeof *s->examples[k]);
        if (!s->examples[k])
            return NER_ENOMEM;
    } else if (s->n_examples[k] >= 64 &&
               (s->n_examples[k] & (s->n_examples[k] - 1)) == 0) {
        /* capacities: 64, 128, 256, ... capped by max_examples */
        size_t cap = s->n_examples[k] * 2;
        if (cap > s->max_examples)
            cap = s->max_examples;
        nev_example *e = realloc(s->examples[k], cap * sizeof *e);
        if (!e)
            return NER_ENOMEM;
        s->examples[k] = e;
    }
    nev_example *e = &s->examples[k][s->n_examples[k]++];
    memset(e, 0, sizeof *e);
    e->doc = s->n_docs;
    if (g)
        e->gold = (nev_span){g->start, g->end,
                             nio_strtab_get(&s->labels, g->label)};
    if (p)
        e->pred = (nev_span){p->start, p->end,
                             nio_strtab_get(&s->labels, p->label)};
    return NER_OK;
}

static int ispan_cmp(const void *a, const void *b)
{
    const ispan *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return x->label < y->label ? -1 : x->label > y->label;
}

/* The first index i of a (sorted by start) with a[i].start >= pos. */
static size_t lower_start(const ispan *a, size_t n, size_t pos)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].start < pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }
static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* The best gold span for the unmatched prediction p (see the header), or
 * NULL.  g is sorted by start; maxend[i] = max end of g[0..i]. */
static const ispan *best_gold(const ispan *g, const size_t *maxend, size_t n,
                              const ispan *p)
{
    const ispan *best = NULL;
    size_t best_ov = 0;
    int best_exact = 0, best_same = 0;
    for (size_t i = lower_start(g, n, p->end); i-- > 0 && maxend[i] > p->start;) {
        const ispan *c = &g[i];
        if (c->end <= p->start)
            continue;
        int exact = c->start == p->start && c->end == p->end;
        int same = c->label == p->label;
        if (exact && same)
            continue; /* a duplicate prediction meets its twin */
        size_t ov = min_sz(c->end, p->end) - max_sz(c->start, p->start);
        /* Scanning backwards, so ">=" on full ties prefers the earlier. */
        if (!best || exact > best_exact ||
            (exact == best_exact &&
             (ov > best_ov || (ov == best_ov && same >= best_same)))) {
            best = c;
            best_ov = ov;
            best_exact = exact;
            best_same = same;
        }
    }
    return best;
}

static int overlaps_any(const ispan *a, const size_t *maxend, size_t n,
                        const ispan *x)
{
    for (size_t i = lower_start(a, n, x->end); i-- > 0 && maxend[i] > x->start;)
        if (a[i].end > x->start)
            return 1;
    return 0;
}

static void prefix_max_end(const ispan *a, size_t n, size_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].end > m)
            m = a[i].end;
        out[i] = m;
    }
}

int nev_scorer_add(nev_scorer *s, const nev_span *gold, size_t n_gold,
                   const nev_span *pred, size_t n_pred)
{
    if (!s || (!gold && n_gold) || (!pred && n_pred))
        return NER_EINVAL;
    for (size_t i = 0; i < n_gold; i++)
        if (gold[i].start >= gold[i].end || !gold[i].label || !*gold[i].label)
            return NER_EINVAL;
    for (size_t i = 0; i < n_pred; i++)
        if (pred[i].start >= pred[i].end || !pred[i].label || !*pred[i].label)
            return NER_EINVAL;

    int rc = NER_OK;
    size_t n = n_gold + n_pred;
    ispan *g = n ? malloc(n * sizeof *g) : NULL;
    size_t *gmax = n ? malloc(n * sizeof *gmax) : NULL;
    ispan *u = n_pred ? malloc(n_pred * sizeof *u) : NULL; /* unmatched preds */
    if (n && (!g || !gmax || (n_pred && !u))) {
        rc = NER_ENOMEM;
        goto out;
    }
    ispan *p = n ? g + n_gold : NULL;
    size_t *pmax = n ? gmax + n_gold : NULL;
    for (size_t i = 0; i < n_gold && !rc; i++) {
        g[i] = (ispan){gold[i].start, gold[i].end, 0, 0};
        rc = intern(s, gold[i].label, &g[i].label);
    }
    for (size_t i = 0; i < n_pred && !rc; i++) {
        p[i] = (ispan){pred[i].start, pred[i].end, 0, 0};
        rc = intern(s, pred[i].label, &p[i].label);
    }
    if (rc)
        goto out;
    if (n_gold > 1)
        qsort(g, n_gold, sizeof *g, ispan_cmp);
    if (n_pred > 1)
        qsort(p, n_pred, sizeof *p, ispan_cmp);

    /* Exact matches: a merge of the two sorted lists. */
    for (size_t i = 0, j = 0; i < n_gold && j < n_pred;) {
        int c = ispan_cmp(&g[i], &p[j]);
        if (c == 0) {
            g[i++].matched = 1;
            p[j++].matched = 1;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    prefix_max_end(g, n_gold, gmax);

    /* Predictions. */
    size_t n_u = 0;
    for (size_t j = 0; j < n_pred && !rc; j++) {
        const ispan *x = &p[j];
        if (x->matched) {
            s->tp[x->label]++;
            rc = confuse(s, x->label, x->label);
            continue;
        }
        u[n_u++] = *x;
        s->fp[x->label]++;
        const ispan *b = best_gold(g, gmax, n_gold, x);
        nev_error_kind k;
        if (!b)
            k = NEV_ERR_SPURIOUS;
        else if (b->start == x->start && b->end == x->end)
            k = NEV_ERR_TYPE;
        else if (b->label == x->label)
            k = NEV_ERR_BOUNDARY;
        else
            k = NEV_ERR_BOUNDARY_TYPE;
        rc = keep_example(s, k, b, x);
        if (!rc)
            rc = confuse(s, b ? b->label : NONE_ID, x->label);
    }

    /* Gold spans. */
    prefix_max_end(u, n_u, pmax);
    for (size_t i = 0; i < n_gold && !rc; i++) {
        const ispan *x = &g[i];
        if (x->matched)
            continue;
        s->fn[x->label]++;
        if (!overlaps_any(u, pmax, n_u, x)) {
            rc = keep_example(s, NEV_ERR_MISSING, x, NULL);
            if (!rc)
                rc = confuse(s, x->label, NONE_ID);
        }
    }
    s->n_docs++;
out:
    free(g);
    free(gmax);
    free(u);
    return rc;
}

size_t nev_scorer_doc_count(const nev_scorer *s)
{
    return s ? s->n_docs : 0;
}

void nev_scorer_micro(const nev_scorer *s, nev_prf *out)
{
    memset(out, 0, sizeof *out);
    if (s)
        for (size_t i = 0; i < s->labels.n; i++) {
            out->tp += s->tp[i];
            out->fp += s->fp[i];
            out->fn += s->fn[i];
        }
    nev_prf_compute(out);
}

size_t nev_scorer_label_count(const nev_scorer *s)
{
    return s ? s->labels.n : 0;
}

const char *nev_scorer_label(const nev_scorer *s, size_t i)
{
    return s && i < s->labels.n ? s->labels.strs[i] : NULL;
}

int nev_scorer_label_prf(const nev_scorer *s, const char *label, nev_prf *out)
{
    uint32_t id;
    memset(out, 0, sizeof *out);
    if (!s || !label)
        return NER_EINVAL;
    if (nio_strtab_find(&s->labels, label, strlen(label), &id) != NER_OK)
        return NER_ENOTFOUND;
    out->tp = s->tp[id];
    out->fp = s->fp[id];
    out->fn = s->fn[id];
    nev_prf_compute(out);
    return NER_OK;
}

size_t nev_scorer_errors(const nev_scorer *s, nev_error_kind k)
{
    return s && (unsigned)k < NEV_ERR_COUNT ? s->errors[k] : 0;
}

size_t nev_scorer_example_count(const nev_scorer *s, nev_error_kind k)
{
    return s && (unsigned)k < NEV_ERR_COUNT ? s->n_examples[k] : 0;
}

const nev_example *nev_scorer_example(const nev_scorer *s, nev_error_kind k,
                                      size_t i)
{
    if (!s || (unsigned)k >= NEV_ERR_COUNT || i >= s->n_examples[k])
        return NULL;
    return &s->examples[k][i];
}

/* NONE_ID for NULL or "O" when no label "O" was seen; UINT32_MAX - 1 when
 * the label is unknown. */
static uint32_t lookup_label(const nev_scorer *s, const char *label)
{
    uint32_t id;
    if (label && nio_strtab_find(&s->labels, label, strlen(label), &id) == NER_OK)
        return id;
    if (!label || strcmp(label, NEV_NONE_LABEL) == 0)
        return NONE_ID;
    return UINT32_MAX - 1;
}

size_t nev_scorer_confusion(const nev_scorer *s, const char *gold_label,
                            const char *pred_label)
{
    if (!s || !s->cap_cells)
        return 0;
    uint32_t g = lookup_label(s, gold_label), p = lookup_label(s, pred_label);
    if (g == UINT32_MAX - 1 || p == UINT32_MAX - 1)
        return 0;
    size_t i = cell_slot(s->cells, s->cap_cells, cell_key(g, p));
    return s->cells[i].key ? s->cells[i].count : 0;
}

/* ------------------------------------------------------------- JSON */

typedef struct lab_ref {
    const char *name;
    uint32_t id;
} lab_ref;

static int lab_cmp(const void *a, const void *b)
{
    const lab_ref *x = a, *y = b;
    return strcmp(x->name, y->name);
}

typedef struct cell_ref {
    size_t g, p;   /* ranks in the sorted labels, "O" last */
    size_t count;
} cell_ref;

static int cell_ref_cmp(const void *a, const void *b)
{
    const cell_ref *x = a, *y = b;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    return x->p < y->p ? -1 : x->p > y->p;
}

static json_t *span_json(const nev_span *sp)
{
    if (!sp->label)
        return json_null();
    return json_pack("{sIsIss}", "start", (json_int_t)sp->start, "end",
                     (json_int_t)sp->end, "label", sp->label);
}

/* json_object_set_new that remembers a failure. */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
    if (!v || json_object_set_new(o, k, v))
        *bad = 1;
}

json_t *nev_scores_to_json(const nev_scorer *s)
{
    if (!s)
        return NULL;
    int bad = 0;
    size_t nl = s->labels.n;
    lab_ref *labs = malloc((nl + 1) * sizeof *labs);
    json_t *root = json_object();
    if (!labs || !root) {
        free(labs);
        json_decref(root);
        return NULL;
    }
    for (size_t i = 0; i < nl; i++)
        labs[i] = (lab_ref){s->labels.strs[i], (uint32_t)i};
    if (nl > 1)
        qsort(labs, nl, sizeof *labs, lab_cmp);
    labs[nl] = (lab_ref){NEV_NONE_LABEL, NONE_ID};

    nev_prf m;
    nev_scorer_micro(s, &m);
    put(root, "ents_p", json_real(m.p), &bad);
    put(root, "ents_r", json_real(m.r), &bad);
    put(root, "ents_f", json_real(m.f), &bad);
    put(root, "ents_tp", json_integer((json_int_t)m.tp), &bad);
    put(root, "ents_fp", json_integer((json_int_t)m.fp), &bad);
    put(root, "ents_fn", json_integer((json_int_t)m.fn), &bad);

    json_t *per = json_object();
    for (size_t i = 0; per && i < nl; i++) {
        uint32_t id = labs[i].id;
        nev_prf x = {s->tp[id], s->fp[id], s->fn[id], 0, 0, 0};
        if (!x.tp && !x.fp && !x.fn)
            continue;
        nev_prf_compute(&x);
        put(per, labs[i].name,
            json_pack("{sfsfsfsIsIsI}", "p", x.p, "r", x.r, "f", x.f, "tp",
                      (json_int_t)x.tp, "fp", (json_int_t)x.fp, "fn",
                      (json_int_t)x.fn),
            &bad);
    }
    put(root, "ents_per_type", per, &bad);

    json_t *errs = json_object(), *exs = json_object();
    for (int k = 0; errs && exs && k < NEV_ERR_COUNT; k++) {
        put(errs, error_names[k], json_integer((json_int_t)s->errors[k]), &bad);
        json_t *list = json_array();
        for (size_t i = 0; list && i < s->n_examples[k]; i++) {
            const nev_example *e = &s->examples[k][i];
            json_t *o = json_object();
            if (!o || json_array_append_new(list, o)) {
                bad = 1;
                break;
            }
            put(o, "doc", json_integer((json_int_t)e->doc), &bad);
            put(o, "gold", span_json(&e->gold), &bad);
            put(o, "pred", span_json(&e->pred), &bad);
        }
        put(exs, error_names[k], list, &bad);
    }
    put(root, "errors", errs, &bad);
    put(root, "error_examples", exs, &bad);

    /* Confusion: the cells sorted by (gold label, predicted label). */
    json_t *conf = json_object();
    size_t *rank = malloc((nl + 1) * sizeof *rank);
    cell_ref *cr = s->n_cells ? malloc(s->n_cells * sizeof *cr) : NULL;
    if (!conf || !rank || (s->n_cells && !cr)) {
        bad = 1;
    } else {
        for (size_t i = 0; i <= nl; i++)
            rank[i < nl ? labs[i].id : nl] = i;
        size_t n = 0;
        for (size_t i = 0; i < s->cap_cells; i++) {
            uint64_t key = s->cells[i].key;
            if (!key)
                continue;
            uint64_t g = key >> 32, p = key & 0xFFFFFFFFu;
            cr[n++] = (cell_ref){g ? rank[g - 1] : nl, p ? rank[p - 1] : nl,
                                 s->cells[i].count};
        }
        if (n > 1)
            qsort(cr, n, sizeof *cr, cell_ref_cmp);
        json_t *row = NULL;
        for (size_t i = 0; i < n && !bad; i++) {
            if (i == 0 || cr[i].g != cr[i - 1].g) {
                row = json_object();
                put(conf, labs[cr[i].g].name, row, &bad);
                if (bad)
                    break;
            }
            put(row, labs[cr[i].p].name, json_integer((json_int_t)cr[i].count),
                &bad);
        }
    }
    free(rank);
    free(cr);
    put(root, "confusion", conf, &bad);
    put(root, "docs", json_integer((json_int_t)s->n_docs), &bad);
    free(labs);
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}
