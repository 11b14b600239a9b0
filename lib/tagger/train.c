/* Averaged structured perceptron over the BILUO chain (Collins 2002), with
 * the lazy averaging trick (Daume III): w_avg = w - u / c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner.h"
#include "tagger/features.h"
#include "tagger/model_impl.h"

struct ntg_trainer {
    ntg_train_opts o;
    char **labels;
    uint32_t n_labels, T;
    /* tokens */
    uint64_t *raw;           /* feature hashes (until prepare) */
    size_t raw_n, raw_cap;
    uint32_t *ids;           /* feature ids (after prepare) */
    size_t *foff;            /* token i's features: [foff[i], foff[i+1]) */
    int16_t *gold;
    size_t n_tok, tok_cap, foff_cap;
    size_t *soff;            /* sentence k: tokens [soff[k], soff[k+1]) */
    uint8_t *smissing;       /* sentence has unknown gold tags */
    size_t n_sent, sent_cap, soff_cap;
    /* model */
    uint64_t *fhash;
    size_t n_feats;
    float *W;
    double *U;
    float *Wt;               /* T*T transitions, T start, T end */
    double *Ut;
    double c;
    int prepared;
    /* order */
    uint32_t *order;
    size_t pos, epoch;
    uint64_t rng;
    /* scratch */
    ntg_featbuf fb;
    uint64_t feats[NTG_MAX_FEATS];
    float *em;
    uint16_t *bp, *pred, *best;
    size_t scratch_cap;
    float *delta, *ctrans, *cstart, *cend;
};

static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

void ntg_train_opts_default(ntg_train_opts *o)
{
    memset(o, 0, sizeof *o);
    ntg_feat_opts_default(&o->feat);
    o->min_count = 1;
    o->seed = 1;
    o->learning_rate = 1.0;
    o->prune = 0.0;
}

int ntg_trainer_new(ntg_trainer **out, const ntg_train_opts *o,
                    const char *const *labels, size_t n_labels, char *errbuf,
                    size_t errlen)
{
    *out = NULL;
    if (n_labels == 0 || n_labels > NTG_MAX_LABELS) {
        errf(errbuf, errlen, "a tagger needs 1 to %d entity labels, not %zu",
             NTG_MAX_LABELS, n_labels);
        return NER_EINVAL;
    }
    ntg_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return NER_ENOMEM;
    if (o)
        t->o = *o;
    else
        ntg_train_opts_default(&t->o);
    if (!(t->o.learning_rate > 0))
        t->o.learning_rate = 1.0;
    t->n_labels = (uint32_t)n_labels;
    t->T = NTG_N_TAGS(n_labels);
    t->rng = t->o.seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (!t->rng)
        t->rng = 1;
    t->labels = calloc(n_labels, sizeof *t->labels);
    t->soff = malloc(sizeof *t->soff * 16);
    t->foff = malloc(sizeof *t->foff * 16);
    if (!t->labels || !t->soff || !t->foff) {
        ntg_trainer_free(t);
        return NER_ENOMEM;
    }
    t->soff_cap = 16;
    t->foff_cap = 16;
    t->soff[0] = 0;
    t->foff[0] = 0;
    for (size_t i = 0; i < n_labels; i++) {
        size_t l = strlen(labels[i]);
        if (l == 0 || l >= NTG_MAX_LABEL_BYTES) {
            errf(errbuf, errlen, "label %zu is empty or too long", i);
            ntg_trainer_free(t);
            return NER_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i], labels[j]) == 0) {
                errf(errbuf, errlen, "label \"%s\" is given twice", labels[i]);
                ntg_trainer_free(t);
                return NER_EINVAL;
            }
        if (!(t->labels[i] = strdup(labels[i]))) {
            ntg_trainer_free(t);
            return NER_ENOMEM;
        }
    }
    *out = t;
    return NER_OK;
}

void ntg_trainer_free(ntg_trainer *t)
{
    if (!t)
        return;
    if (t->labels)
        for (uint32_t i = 0; i < t->n_labels; i++)
            free(t->labels[i]);
    free(t->labels);
    free(t->raw);
    free(t->ids);
    free(t->foff);
    free(t->gold);
    free(t->soff);
    free(t->smissing);
    free(t->fhash);
    free(t->W);
    free(t->U);
    free(t->Wt);
    free(t->Ut);
    free(t->order);
    ntg_featbuf_free(&t->fb);
    free(t->em);
    free(t->bp);
    free(t->pred);
    free(t->best);
    free(t->delta);
    free(t->ctrans);
    free(t);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return NER_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (!q)
        return NER_ENOMEM;
    *p = q;
    *cap = c;
    return NER_OK;
}

int ntg_trainer_add(ntg_trainer *t, const ntg_doc *doc, const int16_t *gold)
{
    if (t->prepared)
        return NER_EINVAL;
    size_t n = doc->n;
    if (n == 0)
        return NER_OK;
    for (size_t i = 0; i < n; i++)
        if (gold[i] >= (int)t->T || gold[i] < -1)
            return NER_EINVAL;
    int rc = ntg_doc_facts(&t->o.feat, doc, &t->fb);
    if (rc != NER_OK)
        return rc;
    if ((rc = grow((void **)&t->foff, &t->foff_cap, t->n_tok + n + 1, sizeof *t->foff)) ||
        (rc = grow((void **)&t->gold, &t->tok_cap, t->n_tok + n, sizeof *t->gold)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        size_t nf = ntg_token_features(&t->o.feat, t->fb.ti, n, i, t->feats);
        if ((rc = grow((void **)&t->raw, &t->raw_cap, t->raw_n + nf, sizeof *t->raw)))
            return rc;
        memcpy(t->raw + t->raw_n, t->feats, nf * sizeof *t->raw);
        t->raw_n += nf;
        t->gold[t->n_tok + i] = gold[i];
        t->foff[t->n_tok + i + 1] = t->raw_n;
    }
    /* sentences */
    size_t lo = 0;
    while (lo < n) {
        size_t hi = t->fb.ti[lo].sent_hi;
        if ((rc = grow((void **)&t->soff, &t->soff_cap, t->n_sent + 2, sizeof *t->soff)) ||
            (rc = grow((void **)&t->smissing, &t->sent_cap, t->n_sent + 1, 1)))
            return rc;
        uint8_t miss = 0;
        for (size_t i = lo; i < hi; i++)
            miss |= gold[i] < 0;
        t->smissing[t->n_sent] = miss;
        t->soff[t->n_sent + 1] = t->n_tok + hi;
        t->n_sent++;
        lo = hi;
    }
    t->n_tok += n;
    return NER_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static size_t find_u64(const uint64_t *v, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo < n && v[lo] == key ? lo : SIZE_MAX;
}

int ntg_trainer_prepare(ntg_trainer *t, char *errbuf, size_t errlen)
{
    if (t->prepared)
        return NER_OK;
    if (t->n_sent == 0) {
        errf(errbuf, errlen, "no training tokens");
        return NER_EINVAL;
    }
    uint64_t *sorted = malloc((t->raw_n ? t->raw_n : 1) * sizeof *sorted);
    if (!sorted)
        return NER_ENOMEM;
    memcpy(sorted, t->raw, t->raw_n * sizeof *sorted);
    qsort(sorted, t->raw_n, sizeof *sorted, cmp_u64);
    size_t nk = 0;
    for (size_t i = 0; i < t->raw_n;) {
        size_t j = i;
        while (j < t->raw_n && sorted[j] == sorted[i])
            j++;
        if (j - i >= t->o.min_count)
            sorted[nk++] = sorted[i];
        i = j;
    }
    t->n_feats = nk;
    t->fhash = realloc(sorted, (nk ? nk : 1) * sizeof *sorted);
    if (!t->fhash) {
        free(sorted);
        return NER_ENOMEM;
    }
    t->ids = malloc((t->raw_n ? t->raw_n : 1) * sizeof *t->ids);
    if (!t->ids)
        return NER_ENOMEM;
    size_t w = 0;
    for (size_t i = 0; i < t->n_tok; i++) {
        size_t a = t->foff[i], b = t->foff[i + 1];
        t->foff[i] = w;
        for (size_t k = a; k < b; k++) {
            size_t id = find_u64(t->fhash, nk, t->raw[k]);
            if (id != SIZE_MAX)
                t->ids[w++] = (uint32_t)id;
        }
    }
    t->foff[t->n_tok] = w;
    free(t->raw);
    t->raw = NULL;
    t->raw_n = t->raw_cap = 0;
    uint32_t T = t->T;
    size_t nw = (nk ? nk : 1) * (size_t)T;
    size_t nt = (size_t)T * T + 2 * (size_t)T;
    t->W = calloc(nw, sizeof *t->W);
    t->U = calloc(nw, sizeof *t->U);
    t->Wt = calloc(nt, sizeof *t->Wt);
    t->Ut = calloc(nt, sizeof *t->Ut);
    t->order = malloc(t->n_sent * sizeof *t->order);
    t->delta = malloc(2 * (size_t)T * sizeof *t->delta);
    t->ctrans = malloc(nt * sizeof *t->ctrans);
    if (!t->W || !t->U || !t->Wt || !t->Ut || !t->order || !t->delta || !t->ctrans) {
        errf(errbuf, errlen, "out of memory for %zu features x %u tags", nk, T);
        return NER_ENOMEM;
    }
    t->cstart = t->ctrans + (size_t)T * T;
    t->cend = t->cstart + T;
    for (size_t i = 0; i < t->n_sent; i++)
        t->order[i] = (uint32_t)i;
    t->pos = t->n_sent; /* the first step shuffles */
    t->c = 1;
    ntg_featbuf_free(&t->fb);
    t->prepared = 1;
    return NER_OK;
}

size_t ntg_trainer_sentence_count(const ntg_trainer *t) { return t->n_sent; }
size_t ntg_trainer_token_count(const ntg_trainer *t) { return t->n_tok; }
size_t ntg_trainer_feature_count(const ntg_trainer *t) { return t->n_feats; }
size_t ntg_trainer_epoch(const ntg_trainer *t) { return t->epoch; }

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline void upd(float *W, double *U, size_t i, float d, double c)
{
    W[i] += d;
    U[i] += c * d;
}

static int train_sentence(ntg_trainer *t, size_t k, size_t *mistakes)
{
    uint32_t T = t->T;
    size_t a = t->soff[k], b = t->soff[k + 1], n = b - a;
    if (n == 0)
        return NER_OK;
    if (n > t->scratch_cap) {
        size_t cap = n * 2;
        float *em = realloc(t->em, cap * T * sizeof *em);
        if (!em)
            return NER_ENOMEM;
        t->em = em;
        uint16_t *bp = realloc(t->bp, cap * T * sizeof *bp);
        if (!bp)
            return NER_ENOMEM;
        t->bp = bp;
        uint16_t *p = realloc(t->pred, cap * sizeof *p);
        if (!p)
            return NER_ENOMEM;
        t->pred = p;
        uint16_t *g = realloc(t->best, cap * sizeof *g);
        if (!g)
            return NER_ENOMEM;
        t->best = g;
        t->scratch_cap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        float *e = t->em + i * T;
        memset(e, 0, T * sizeof *e);
        for (size_t q = t->foff[a + i]; q < t->foff[a + i + 1]; q++) {
            const float *row = t->W + (size_t)t->ids[q] * T;
            for (uint32_t y = 0; y < T; y++)
                e[y] += row[y];
        }
    }
    float *Wtr = t->Wt, *Wst = t->Wt + (size_t)T * T, *Wen = Wst + T;
    ntg_constrain(T, Wtr, Wst, Wen, t->ctrans, t->cstart, t->cend);
    ntg_viterbi(t->em, n, T, t->ctrans, t->cstart, t->cend, NULL, t->bp,
                t->delta, t->pred);
    const int16_t *g = t->gold + a;
    uint16_t *gs = t->best;
    if (t->smissing[k]) {
        if (!ntg_viterbi(t->em, n, T, t->ctrans, t->cstart, t->cend, g, t->bp,
                         t->delta, gs))
            return NER_OK; /* known tags are not a valid sequence: skip */
    } else {
        for (size_t i = 0; i < n; i++)
            gs[i] = (uint16_t)g[i];
    }
    size_t wrong = 0;
    for (size_t i = 0; i < n; i++)
        wrong += gs[i] != t->pred[i] && (g[i] >= 0);
    *mistakes += wrong;
    int differ = 0;
    for (size_t i = 0; i < n && !differ; i++)
        differ = gs[i] != t->pred[i];
    if (differ) {
        float lr = (float)t->o.learning_rate;
        double c = t->c;
        for (size_t i = 0; i < n; i++) {
            uint32_t yg = gs[i], yp = t->pred[i];
            if (yg != yp) {
                for (size_t q = t->foff[a + i]; q < t->foff[a + i + 1]; q++) {
                    size_t base = (size_t)t->ids[q] * T;
                    upd(t->W, t->U, base + yg, lr, c);
                    upd(t->W, t->U, base + yp, -lr, c);
                }
            }
            if (i == 0) {
                if (yg != yp) {
                    upd(t->Wt, t->Ut, (size_t)T * T + yg, lr, c);
                    upd(t->Wt, t->Ut, (size_t)T * T + yp, -lr, c);
                }
            } else {
                uint32_t pg = gs[i - 1], pp = t->pred[i - 1];
                if (pg != pp || yg != yp) {
                    upd(t->Wt, t->Ut, (size_t)pg * T + yg, lr, c);
                    upd(t->Wt, t->Ut, (size_t)pp * T + yp, -lr, c);
                }
            }
        }
        uint32_t eg = gs[n - 1], ep = t->pred[n - 1];
        if (eg != ep) {
            upd(t->Wt, t->Ut, (size_t)T * T + T + eg, lr, c);
            upd(t->Wt, t->Ut, (size_t)T * T + T + ep, -lr, c);
        }
    }
    t->c += 1;
    return NER_OK;
}

int ntg_trainer_step(ntg_trainer *t, size_t n, size_t *mistakes,
                     size_t *tokens)
{
    if (!t->prepared)
        return NER_EINVAL;
    size_t mis = 0, toks = 0;
    for (size_t s = 0; s < n; s++) {
        if (t->pos >= t->n_sent) {
            for (size_t i = t->n_sent; i > 1; i--) {
                size_t j = (size_t)(rnd(&t->rng) % i);
                uint32_t tmp = t->order[i - 1];
                t->order[i - 1] = t->order[j];
                t->order[j] = tmp;
            }
            t->pos = 0;
            t->epoch++;
        }
        size_t k = t->order[t->pos++];
        toks += t->soff[k + 1] - t->soff[k];
        int rc = train_sentence(t, k, &mis);
        if (rc != NER_OK)
            return rc;
    }
    if (mistakes)
        *mistakes = mis;
    if (tokens)
        *tokens = toks;
    return NER_OK;
}

int ntg_trainer_snapshot(const ntg_trainer *t, double temperature,
                         ntg_model **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (!t->prepared)
        return NER_EINVAL;
    uint32_t T = t->T;
    double c = t->c;
    double prune = t->o.prune > 0 ? t->o.prune : 1e-9;
    size_t nt = (size_t)T * T + 2 * (size_t)T;
    float *tr = malloc(nt * sizeof *tr);
    if (!tr)
        return NER_ENOMEM;
    for (size_t i = 0; i < nt; i++)
        tr[i] = (float)(t->Wt[i] - t->Ut[i] / c);
    /* count rows */
    size_t rows_len = 0, nf = 0;
    for (size_t f = 0; f < t->n_feats; f++) {
        size_t cnt = 0;
        for (uint32_t y = 0; y < T; y++) {
            size_t i = f * T + y;
            double v = t->W[i] - t->U[i] / c;
            cnt += fabs(v) >= prune;
        }
        if (cnt) {
            nf++;
            rows_len += 1 + 2 * cnt;
        }
    }
    uint32_t *rows = malloc((rows_len ? rows_len : 1) * sizeof *rows);
    uint64_t *hashes = malloc((nf ? nf : 1) * sizeof *hashes);
    uint32_t *row_of = malloc((nf ? nf : 1) * sizeof *row_of);
    int rc = NER_OK;
    if (!rows || !hashes || !row_of) {
        rc = NER_ENOMEM;
        goto done;
    }
    if (rows_len >= NTG_EMPTY) {
        errf(errbuf, errlen, "the model is too large (%zu weight words)", rows_len);
        rc = NER_ETOOBIG;
        goto done;
    }
    size_t r = 0, k = 0;
    for (size_t f = 0; f < t->n_feats; f++) {
        size_t start = r;
        uint32_t cnt = 0;
        r++;
        for (uint32_t y = 0; y < T; y++) {
            size_t i = f * T + y;
            float v = (float)(t->W[i] - t->U[i] / c);
            if (fabs((double)v) >= prune) {
                rows[r++] = y;
                memcpy(&rows[r++], &v, 4);
                cnt++;
            }
        }
        if (!cnt) {
            r = start;
            continue;
        }
        rows[start] = cnt;
        hashes[k] = t->fhash[f];
        row_of[k] = (uint32_t)start;
        k++;
    }
    unsigned char *img = NULL;
    size_t len = 0;
    rc = ntg_image_build((const char *const *)t->labels, t->n_labels, &t->o.feat,
                         (float)temperature, tr, tr + (size_t)T * T,
                         tr + (size_t)T * T + T, hashes, row_of, nf, rows,
                         rows_len, &img, &len);
    if (rc == NER_OK)
        rc = ntg_model_load_mem(out, img, len, 1, errbuf, errlen);
    else
        errf(errbuf, errlen, "cannot build the model image: %s", ner_strerror(rc));
done:
    free(tr);
    free(rows);
    free(hashes);
    free(row_of);
    return rc;
}
