/* transformers' token-classification post-processing (see bert_aggregate.h). */
#include "components/bert_aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"

int nc_agg_parse(const char *name)
{
    static const char *const names[] = {"none", "simple", "first", "average", "max"};
    if (!name)
        return -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *nc_agg_name(int strategy)
{
    static const char *const names[] = {"none", "simple", "first", "average", "max"};
    return strategy >= 0 && strategy < 5 ? names[strategy] : "?";
}

/* numpy's @TYPE@_pairwise_sum for float32 with unit stride. */
float nc_agg_pairwise_sum(const float *a, size_t n)
{
    if (n < 8) {
        float res = 0.0f;
        for (size_t i = 0; i < n; i++)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8];
        for (size_t j = 0; j < 8; j++)
            r[j] = a[j];
        size_t i;
        for (i = 8; i < n - (n % 8); i += 8)
            for (size_t j = 0; j < 8; j++)
                r[j] += a[i + j];
        float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return nc_agg_pairwise_sum(a, n2) + nc_agg_pairwise_sum(a + n2, n - n2);
}

void nc_agg_softmax(float *x, size_t rows, size_t cols)
{
    if (!cols)
        return;
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * cols;
        float mx = row[0];
        for (size_t j = 1; j < cols; j++)
            if (row[j] > mx)
                mx = row[j];
        for (size_t j = 0; j < cols; j++)
            row[j] = expf(row[j] - mx);
        float s = nc_agg_pairwise_sum(row, cols);
        for (size_t j = 0; j < cols; j++)
            row[j] = row[j] / s;
    }
}

/* ------------------------------------------------------------ labels */

struct nc_agg_labels {
    size_t n;
    char **label;       /* id2label */
    char **tag;         /* get_tag's X, per label */
    int *is_b;          /* get_tag's B, per label */
    const char **group; /* split("-", 1)[-1], per label (points into label) */
    int *ign_label;     /* label in ignore_labels */
    int *ign_group;     /* group in ignore_labels */
    const char **out_none, **out_groups;
    size_t n_out_none, n_out_groups;
};

static char *sdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

void nc_agg_labels_free(nc_agg_labels *L)
{
    if (!L)
        return;
    for (size_t i = 0; i < L->n; i++) {
        if (L->label)
            free(L->label[i]);
        if (L->tag)
            free(L->tag[i]);
    }
    free(L->label);
    free(L->tag);
    free(L->is_b);
    free(L->group);
    free(L->ign_label);
    free(L->ign_group);
    free(L->out_none);
    free(L->out_groups);
    free(L);
}

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

nc_agg_labels *nc_agg_labels_new(const char *const *id2label, size_t n,
                                 const char *const *ignore, size_t nignore)
{
    if (!id2label && n)
        return NULL;
    nc_agg_labels *L = calloc(1, sizeof *L);
    if (!L)
        return NULL;
    size_t m = n ? n : 1;
    L->label = calloc(m, sizeof *L->label);
    L->tag = calloc(m, sizeof *L->tag);
    L->is_b = calloc(m, sizeof *L->is_b);
    L->group = calloc(m, sizeof *L->group);
    L->ign_label = calloc(m, sizeof *L->ign_label);
    L->ign_group = calloc(m, sizeof *L->ign_group);
    L->out_none = calloc(m, sizeof *L->out_none);
    L->out_groups = calloc(m, sizeof *L->out_groups);
    if (!L->label || !L->tag || !L->is_b || !L->group || !L->ign_label ||
        !L->ign_group || !L->out_none || !L->out_groups) {
        nc_agg_labels_free(L);
        return NULL;
    }
    L->n = n;
    for (size_t i = 0; i < n; i++) {
        const char *s = id2label[i] ? id2label[i] : "";
        if (!(L->label[i] = sdup(s))) {
            nc_agg_labels_free(L);
            return NULL;
        }
        const char *x = s;
        if (strncmp(s, "B-", 2) == 0) {
            L->is_b[i] = 1;
            x = s + 2;
        } else if (strncmp(s, "I-", 2) == 0) {
            x = s + 2;
        }
        if (!(L->tag[i] = sdup(x))) {
            nc_agg_labels_free(L);
            return NULL;
        }
        const char *dash = strchr(L->label[i], '-');
        L->group[i] = dash ? dash + 1 : L->label[i];
        L->ign_label[i] = in_list(L->label[i], ignore, nignore);
        L->ign_group[i] = in_list(L->group[i], ignore, nignore);
        if (!L->ign_label[i])
            L->out_none[L->n_out_none++] = L->label[i];
        if (!L->ign_group[i]) {
            int seen = 0;
            for (size_t k = 0; k < L->n_out_groups && !seen; k++)
                seen = strcmp(L->out_groups[k], L->group[i]) == 0;
            if (!seen)
                L->out_groups[L->n_out_groups++] = L->group[i];
        }
    }
    return L;
}

size_t nc_agg_labels_count(const nc_agg_labels *L)
{
    return L ? L->n : 0;
}

size_t nc_agg_output_labels(const nc_agg_labels *L, int strategy,
                            const char *const **out)
{
    if (!L) {
        if (out)
            *out = NULL;
        return 0;
    }
    if (strategy == NC_AGG_NONE) {
        if (out)
            *out = L->out_none;
        return L->n_out_none;
    }
    if (out)
        *out = L->out_groups;
    return L->n_out_groups;
}

/* ------------------------------------------------------------ windows */

void nc_agg_vec_free(nc_agg_vec *v)
{
    if (!v)
        return;
    free(v->e);
    v->e = NULL;
    v->n = v->cap = 0;
}

static int vec_push(nc_agg_vec *v, const nc_agg_entity *e)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 32;
        nc_agg_entity *p = realloc(v->e, nc * sizeof *p);
        if (!p)
            return NER_ENOMEM;
        v->e = p;
        v->cap = nc;
    }
    v->e[v->n++] = *e;
    return NER_OK;
}

static size_t argmax(const float *p, size_t n)
{
    size_t best = 0;
    for (size_t j = 1; j < n; j++)
        if (p[j] > p[best])
            best = j;
    return best;
}

/* One token or word before grouping: its label id and score. */
typedef struct pre_item {
    size_t label;
    float score;
    size_t start, end, first, last;
} pre_item;

static float mean_f32(const float *s, size_t n)
{
    return (float)((double)nc_agg_pairwise_sum(s, n) / (double)n);
}

int nc_agg_window(const nc_agg_labels *L, int strategy, const nc_agg_token *toks,
                  size_t n, nc_agg_vec *out)
{
    if (!L || !out || (!toks && n) || strategy < 0 || strategy > NC_AGG_MAX)
        return NER_EINVAL;
    if (n == 0)
        return NER_OK;
    size_t nl = L->n;
    if (nl == 0)
        return NER_EINVAL;
    pre_item *items = malloc(n * sizeof *items);
    float *avg = strategy == NC_AGG_AVERAGE ? malloc(nl * sizeof *avg) : NULL;
    float *gs = NULL;
    int rc = NER_OK;
    if (!items || (strategy == NC_AGG_AVERAGE && !avg)) {
        rc = NER_ENOMEM;
        goto out;
    }
    size_t ni = 0;
    if (strategy == NC_AGG_NONE || strategy == NC_AGG_SIMPLE) {
        for (size_t i = 0; i < n; i++) {
            size_t a = argmax(toks[i].probs, nl);
            items[ni++] = (pre_item){a, toks[i].probs[a], toks[i].start, toks[i].end,
                                     toks[i].piece, toks[i].piece};
        }
    } else {
        /* words: a sub-word joins the word before it */
        size_t w0 = 0;
        for (size_t i = 1; i <= n; i++) {
            if (i < n && toks[i].is_subword)
                continue;
            const nc_agg_token *w = toks + w0;
            size_t k = i - w0, lab = 0;
            float sc = 0.0f;
            if (strategy == NC_AGG_FIRST) {
                lab = argmax(w[0].probs, nl);
                sc = w[0].probs[lab];
            } else if (strategy == NC_AGG_MAX) {
                size_t bt = 0;
                float bm = w[0].probs[argmax(w[0].probs, nl)];
                for (size_t t = 1; t < k; t++) {
                    float m = w[t].probs[argmax(w[t].probs, nl)];
                    if (m > bm) {
                        bm = m;
                        bt = t;
                    }
                }
                lab = argmax(w[bt].probs, nl);
                sc = w[bt].probs[lab];
            } else { /* average */
                for (size_t j = 0; j < nl; j++) {
                    float s = 0.0f;
                    for (size_t t = 0; t < k; t++)
                        s += w[t].probs[j];
                    avg[j] = (float)((double)s / (double)k);
                }
                lab = argmax(avg, nl);
                sc = avg[lab];
            }
            items[ni++] = (pre_item){lab, sc, w[0].start, w[k - 1].end, w[0].piece,
                                     w[k - 1].piece};
            w0 = i;
        }
    }
    if (strategy == NC_AGG_NONE) {
        for (size_t i = 0; i < ni && rc == NER_OK; i++) {
            if (L->ign_label[items[i].label])
                continue;
            nc_agg_entity e = {L->label[items[i].label], items[i].score, items[i].start,
                               items[i].end, items[i].first, items[i].last};
            rc = vec_push(out, &e);
        }
        goto out;
    }
    /* group: a member joins when its tag equals the last member's and it is
     * not a B */
    gs = malloc(ni * sizeof *gs);
    if (!gs) {
        rc = NER_ENOMEM;
        goto out;
    }
    size_t g0 = 0;
    for (size_t i = 1; i <= ni && rc == NER_OK; i++) {
        if (i < ni && !L->is_b[items[i].label] &&
            strcmp(L->tag[items[i].label], L->tag[items[i - 1].label]) == 0)
            continue;
        size_t k = i - g0;
        const pre_item *f = &items[g0];
        if (!L->ign_group[f->label]) {
            for (size_t t = 0; t < k; t++)
                gs[t] = f[t].score;
            nc_agg_entity e = {L->group[f->label], mean_f32(gs, k), f->start,
                               f[k - 1].end, f->first, f[k - 1].last};
            rc = vec_push(out, &e);
        }
        g0 = i;
    }
out:
    free(items);
    free(avg);
    free(gs);
    return rc;
}

/* Stable merge sort by start. */
static void sort_by_start(nc_agg_entity *a, nc_agg_entity *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_by_start(a, tmp, h);
    sort_by_start(a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = a[j].start < a[i].start ? a[j++] : a[i++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int nc_agg_merge_windows(nc_agg_vec *v)
{
    if (!v || v->n == 0)
        return NER_OK;
    /* tmp is the sort's scratch, then the output (an empty first entity is
     * kept twice, as in transformers: n + 1 slots) */
    nc_agg_entity *tmp = malloc((v->n + 1) * sizeof *tmp);
    if (!tmp)
        return NER_ENOMEM;
    sort_by_start(v->e, tmp, v->n);
    size_t w = 0;
    nc_agg_entity prev = v->e[0];
    for (size_t i = 0; i < v->n; i++) {
        const nc_agg_entity *e = &v->e[i];
        if (prev.start <= e->start && e->start < prev.end) {
            size_t cur = e->end - e->start, pl = prev.end - prev.start;
            if (cur > pl || (cur == pl && e->score > prev.score))
                prev = *e;
        } else {
            tmp[w++] = prev;
            prev = *e;
        }
    }
    tmp[w++] = prev;
    if (w > v->cap) {
        free(v->e);
        v->e = tmp;
        v->cap = v->n + 1;
    } else {
        memcpy(v->e, tmp, w * sizeof *tmp);
        free(tmp);
    }
    v->n = w;
    return NER_OK;
}

size_t nc_agg_windows(size_t npieces, size_t len, size_t stride, size_t *starts)
{
    if (npieces == 0 || len == 0 || stride >= len)
        return 0;
    size_t step = len - stride, k = 0;
    for (size_t s = 0; s < npieces; s += step) {
        if (starts)
            starts[k] = s;
        k++;
        if (s + len >= npieces)
            break;
    }
    return k;
}
