/* Averaged structured perceptron over the BILUO chain (Collins 2002), with
 * the lazy averaging trick (Daume III): w_avg = w - u / c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/errbuf.h"
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
    /* documents as added (until prepare) */
    char *wbuf;
    size_t wbuf_n, wbuf_cap;
    size_t *woff;            /* token i's bytes: wbuf + woff[i], wlen[i] */
    size_t *wlen;
    uint8_t *wstart;         /* sentence starts */
    size_t w_cap;
    size_t *doff;            /* doc d: tokens [doff[d], doff[d+1]) */
    size_t n_docs, doff_cap;
    /* gazetteer: phrase keys with label counts, overall and per fold */
    uint64_t *gkey;
    uint32_t *gcount;        /* n_phr * L */
    uint32_t *gfold;         /* n_phr * NTG_FOLDS * L */
    size_t n_phr;
    uint32_t *gslot;         /* open addressing: phrase + 1 */
    size_t gslots;
    /* external lists: keys (as written and lowercased, with the prefixes
     * of longer phrases) and their NTG_XG_* masks */
    char *xlabels[NTG_MAX_XGAZ];
    uint32_t n_xl, xmax_len;
    uint64_t *xkey;
    uint32_t *xmask;
    size_t n_x, x_cap, n_xphr;
    uint32_t *xslot;         /* open addressing: key index + 1 */
    size_t xslots;
    /* scratch */
    ntg_featbuf fb;
    uint64_t feats[NTG_MAX_FEATS];
    float *em;
    uint16_t *bp, *pred, *best;
    size_t scratch_cap;
    float *delta, *ctrans, *cstart, *cend;
};

#define NTG_FOLDS 10

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
        nu_errf(errbuf, errlen, "a tagger needs 1 to %d entity labels, not %zu",
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
            nu_errf(errbuf, errlen, "label %zu is empty or too long", i);
            ntg_trainer_free(t);
            return NER_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(labels[i], labels[j]) == 0) {
                nu_errf(errbuf, errlen, "label \"%s\" is given twice", labels[i]);
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
    free(t->wbuf);
    free(t->woff);
    free(t->wlen);
    free(t->wstart);
    free(t->doff);
    free(t->gkey);
    free(t->gcount);
    free(t->gfold);
    free(t->gslot);
    for (uint32_t i = 0; i < t->n_xl; i++)
        free(t->xlabels[i]);
    free(t->xkey);
    free(t->xmask);
    free(t->xslot);
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
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += doc->lens[i];
    int rc;
    if ((rc = grow((void **)&t->wbuf, &t->wbuf_cap, t->wbuf_n + bytes + 1, 1)) ||
        (rc = grow((void **)&t->gold, &t->tok_cap, t->n_tok + n, sizeof *t->gold)) ||
        (rc = grow((void **)&t->doff, &t->doff_cap, t->n_docs + 2, sizeof *t->doff)))
        return rc;
    if (t->n_tok + n > t->w_cap) {
        size_t c = t->w_cap ? t->w_cap : 64;
        while (c < t->n_tok + n)
            c *= 2;
        size_t *wo = realloc(t->woff, c * sizeof *wo);
        if (!wo)
            return NER_ENOMEM;
        t->woff = wo;
        size_t *wl = realloc(t->wlen, c * sizeof *wl);
        if (!wl)
            return NER_ENOMEM;
        t->wlen = wl;
        uint8_t *ws = realloc(t->wstart, c);
        if (!ws)
            return NER_ENOMEM;
        t->wstart = ws;
        t->w_cap = c;
    }
    if (t->n_docs == 0)
        t->doff[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = t->n_tok + i;
        t->woff[k] = t->wbuf_n;
        t->wlen[k] = doc->lens[i];
        memcpy(t->wbuf + t->wbuf_n, doc->words[i], doc->lens[i]);
        t->wbuf_n += doc->lens[i];
        t->wstart[k] = (uint8_t)(i == 0 || (doc->sent_start && doc->sent_start[i]));
        t->gold[k] = gold[i];
    }
    t->n_tok += n;
    t->doff[++t->n_docs] = t->n_tok;
    return NER_OK;
}

/* ------------------------------------------------------------ external lists */

static size_t xfind(const ntg_trainer *t, uint64_t key)
{
    size_t mask = t->xslots - 1, i = (size_t)ntg_mix64(key) & mask;
    while (t->xslot[i] && t->xkey[t->xslot[i] - 1] != key)
        i = (i + 1) & mask;
    return i;
}

/* ORs bits into key's mask, adding the key when new. */
static int xput(ntg_trainer *t, uint64_t key, uint32_t bits)
{
    if (!t->xslots) {
        t->xslot = calloc(1024, sizeof *t->xslot);
        if (!t->xslot)
            return NER_ENOMEM;
        t->xslots = 1024;
    }
    size_t s = xfind(t, key);
    if (t->xslot[s]) {
        t->xmask[t->xslot[s] - 1] |= bits;
        return NER_OK;
    }
    if (t->n_x == t->x_cap) {
        size_t cap = t->x_cap ? t->x_cap * 2 : 1024;
        uint64_t *k = realloc(t->xkey, cap * sizeof *k);
        if (!k)
            return NER_ENOMEM;
        t->xkey = k;
        uint32_t *m = realloc(t->xmask, cap * sizeof *m);
        if (!m)
            return NER_ENOMEM;
        t->xmask = m;
        t->x_cap = cap;
    }
    if ((t->n_x + 1) * 2 > t->xslots) {
        uint32_t *g = calloc(t->xslots * 2, sizeof *g);
        if (!g)
            return NER_ENOMEM;
        free(t->xslot);
        t->xslot = g;
        t->xslots *= 2;
        for (size_t q = 0; q < t->n_x; q++)
            t->xslot[xfind(t, t->xkey[q])] = (uint32_t)(q + 1);
        s = xfind(t, key);
    }
    t->xkey[t->n_x] = key;
    t->xmask[t->n_x] = bits;
    t->xslot[s] = (uint32_t)(++t->n_x);
    return NER_OK;
}

static uint32_t xget(const ntg_trainer *t, uint64_t key)
{
    if (!t->xslots)
        return 0;
    size_t s = xfind(t, key);
    return t->xslot[s] ? t->xmask[t->xslot[s] - 1] : 0;
}

int ntg_trainer_add_phrase(ntg_trainer *t, const char *gaz_label,
                           const char *const *words, const size_t *lens,
                           size_t n)
{
    if (!t || t->prepared || !gaz_label || n == 0 || (!words && n))
        return NER_EINVAL;
    size_t ll = strlen(gaz_label);
    if (ll == 0 || ll >= NTG_XGAZ_LABEL_BYTES)
        return NER_EINVAL;
    for (size_t i = 0; i < ll; i++)
        if ((unsigned char)gaz_label[i] < 0x20)
            return NER_EINVAL;
    if (n > NTG_GAZ_MAX_LEN)
        return NER_ETOOBIG;
    uint32_t j = 0;
    while (j < t->n_xl && strcmp(t->xlabels[j], gaz_label) != 0)
        j++;
    if (j == t->n_xl) {
        if (t->n_xl == NTG_MAX_XGAZ)
            return NER_ETOOBIG;
        if (!(t->xlabels[j] = strdup(gaz_label)))
            return NER_ENOMEM;
        t->n_xl++;
    }
    uint64_t kw = NTG_XGAZ_SEED, kl = NTG_XGAZ_LC_SEED;
    int rc = NER_OK;
    for (size_t i = 0; i < n && rc == NER_OK; i++) {
        uint64_t w, lo;
        ntg_word_hashes(words[i], lens[i], &w, &lo);
        kw = ntg_gaz_key(kw, w);
        kl = ntg_gaz_key(kl, lo);
        int last = i + 1 == n;
        if (last && !(xget(t, kw) & NTG_XG_EXACT(j)))
            t->n_xphr++;
        rc = xput(t, kw, last ? NTG_XG_EXACT(j) : NTG_XG_MORE);
        if (rc == NER_OK)
            rc = xput(t, kl, last ? NTG_XG_LC(j) : NTG_XG_LC_MORE);
    }
    if (rc == NER_OK && n > t->xmax_len)
        t->xmax_len = (uint32_t)n;
    return rc;
}

size_t ntg_trainer_phrase_count(const ntg_trainer *t) { return t->n_xphr; }

static uint32_t xgaz_lookup_train(const void *ctx, uint64_t key)
{
    return xget(ctx, key);
}

/* ------------------------------------------------------------ gazetteer */

static size_t gaz_find(const ntg_trainer *t, uint64_t key)
{
    size_t mask = t->gslots - 1, i = (size_t)ntg_mix64(key) & mask;
    while (t->gslot[i] && t->gkey[t->gslot[i] - 1] != key)
        i = (i + 1) & mask;
    return i;
}

typedef struct gaz_ctx {
    const ntg_trainer *t;
    int fold;   /* -1: every fold */
} gaz_ctx;

/* The most frequent label of phrase p + 1 (0: none), leaving out one fold. */
static uint32_t gaz_label(const ntg_trainer *t, size_t p, int fold)
{
    uint32_t L = t->n_labels, best = 0, arg = 0;
    for (uint32_t l = 0; l < L; l++) {
        uint32_t c = t->gcount[p * L + l];
        if (fold >= 0)
            c -= t->gfold[(p * NTG_FOLDS + (size_t)fold) * L + l];
        if (c > best) {
            best = c;
            arg = l;
        }
    }
    return best ? arg + 1 : 0;
}

static uint32_t gaz_lookup_train(const void *ctx, uint64_t key)
{
    const gaz_ctx *g = ctx;
    const ntg_trainer *t = g->t;
    if (!t->gslots)
        return 0;
    size_t s = gaz_find(t, key);
    return t->gslot[s] ? gaz_label(t, t->gslot[s] - 1, g->fold) : 0;
}

/* Every gold entity phrase of the training docs, counted by label and by
 * fold (doc index mod NTG_FOLDS): a training doc only sees the phrases of
 * the other folds, as unseen text would (jackknifing). */
static int gaz_build(ntg_trainer *t)
{
    uint32_t L = t->n_labels;
    size_t cap = 0;
    t->gslots = 1024;
    t->gslot = calloc(t->gslots, sizeof *t->gslot);
    uint16_t *tags = malloc((t->n_tok ? t->n_tok : 1) * sizeof *tags);
    ntg_span *sp = malloc((t->n_tok ? t->n_tok : 1) * sizeof *sp);
    int rc = (!t->gslot || !tags || !sp) ? NER_ENOMEM : NER_OK;
    for (size_t d = 0; d < t->n_docs && rc == NER_OK; d++) {
        size_t a = t->doff[d], b = t->doff[d + 1];
        for (size_t i = a; i < b; i++)
            tags[i - a] = t->gold[i] < 0 ? 0 : (uint16_t)t->gold[i];
        size_t ns = ntg_tags_to_spans(tags, b - a, sp);
        for (size_t k = 0; k < ns && rc == NER_OK; k++) {
            size_t len = sp[k].end - sp[k].start;
            if (len > NTG_GAZ_MAX_LEN)
                continue;
            uint64_t key = NTG_GAZ_SEED;
            for (size_t i = a + sp[k].start; i < a + sp[k].end; i++)
                key = ntg_gaz_key(key, ntg_hash_bytes(t->wbuf + t->woff[i], t->wlen[i], 0));
            size_t s = gaz_find(t, key);
            if (!t->gslot[s]) {
                if (t->n_phr == cap) {
                    cap = cap ? cap * 2 : 1024;
                    uint64_t *k2 = realloc(t->gkey, cap * sizeof *k2);
                    if (k2) t->gkey = k2;
                    uint32_t *c2 = realloc(t->gcount, cap * L * sizeof *c2);
                    if (c2) t->gcount = c2;
                    uint32_t *f2 = realloc(t->gfold, cap * NTG_FOLDS * L * sizeof *f2);
                    if (f2) t->gfold = f2;
                    if (!k2 || !c2 || !f2) {
                        rc = NER_ENOMEM;
                        break;
                    }
                }
                size_t p = t->n_phr++;
                t->gkey[p] = key;
                memset(t->gcount + p * L, 0, L * sizeof *t->gcount);
                memset(t->gfold + p * NTG_FOLDS * L, 0, NTG_FOLDS * L * sizeof *t->gfold);
                t->gslot[s] = (uint32_t)(p + 1);
                if (t->n_phr * 2 > t->gslots) {
                    uint32_t *g2 = calloc(t->gslots * 2, sizeof *g2);
                    if (!g2) {
                        rc = NER_ENOMEM;
                        break;
                    }
                    free(t->gslot);
                    t->gslot = g2;
                    t->gslots *= 2;
                    for (size_t q = 0; q < t->n_phr; q++)
                        t->gslot[gaz_find(t, t->gkey[q])] = (uint32_t)(q + 1);
                }
            }
            size_t p = t->gslot[gaz_find(t, key)] - 1;
            t->gcount[p * L + sp[k].label]++;
            t->gfold[(p * NTG_FOLDS + d % NTG_FOLDS) * L + sp[k].label]++;
        }
    }
    free(tags);
    free(sp);
    return rc;
}

/* Features of every stored doc, and its sentences. */
static int extract_all(ntg_trainer *t)
{
    const char **words = NULL;
    size_t cap = 0;
    int rc = grow((void **)&t->foff, &t->foff_cap, t->n_tok + 1, sizeof *t->foff);
    if (rc != NER_OK)
        return rc;
    t->foff[0] = 0;
    for (size_t d = 0; d < t->n_docs && rc == NER_OK; d++) {
        size_t a = t->doff[d], n = t->doff[d + 1] - a;
        if (n > cap) {
            cap = n;
            const char **w = realloc(words, cap * sizeof *w);
            if (!w) {
                rc = NER_ENOMEM;
                break;
            }
            words = w;
        }
        for (size_t i = 0; i < n; i++)
            words[i] = t->wbuf + t->woff[a + i];
        ntg_doc doc = {words, t->wlen + a, n, t->wstart + a};
        gaz_ctx gc = {t, (int)(d % NTG_FOLDS)};
        ntg_gaz_view gz = {gaz_lookup_train, &gc};
        ntg_xgaz_view xg = {xgaz_lookup_train, t, t->n_xl, t->xmax_len};
        if ((rc = ntg_doc_facts(&t->o.feat, &doc, &gz, t->n_xl ? &xg : NULL,
                                &t->fb)) != NER_OK)
            break;
        for (size_t i = 0; i < n && rc == NER_OK; i++) {
            size_t nf = ntg_token_features(&t->o.feat, t->fb.ti, n, i, t->feats);
            if ((rc = grow((void **)&t->raw, &t->raw_cap, t->raw_n + nf, sizeof *t->raw)))
                break;
            memcpy(t->raw + t->raw_n, t->feats, nf * sizeof *t->raw);
            t->raw_n += nf;
            t->foff[a + i + 1] = t->raw_n;
        }
        size_t lo = 0;
        while (lo < n && rc == NER_OK) {
            size_t hi = t->fb.ti[lo].sent_hi;
            if ((rc = grow((void **)&t->soff, &t->soff_cap, t->n_sent + 2, sizeof *t->soff)) ||
                (rc = grow((void **)&t->smissing, &t->sent_cap, t->n_sent + 1, 1)))
                break;
            uint8_t miss = 0;
            for (size_t i = lo; i < hi; i++)
                miss |= t->gold[a + i] < 0;
            t->smissing[t->n_sent] = miss;
            t->soff[t->n_sent + 1] = a + hi;
            t->n_sent++;
            lo = hi;
        }
    }
    free(words);
    return rc;
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
    if (t->n_docs == 0) {
        nu_errf(errbuf, errlen, "no training tokens");
        return NER_EINVAL;
    }
    int rc0 = NER_OK;
    if (t->o.feat.flags & NTG_F_GAZ)
        rc0 = gaz_build(t);
    if (rc0 == NER_OK)
        rc0 = extract_all(t);
    if (rc0 != NER_OK) {
        nu_errf(errbuf, errlen, "out of memory extracting features");
        return rc0;
    }
    free(t->wbuf);
    t->wbuf = NULL;
    t->wbuf_n = t->wbuf_cap = 0;
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
    /* shrinking: when realloc fails, the larger block serves */
    uint64_t *shrunk = realloc(sorted, (nk ? nk : 1) * sizeof *sorted);
    t->fhash = shrunk ? shrunk : sorted;
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
        nu_errf(errbuf, errlen, "out of memory for %zu features x %u tags", nk, T);
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
        nu_errf(errbuf, errlen, "the model is too large (%zu weight words)", rows_len);
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
    size_t ng = (t->o.feat.flags & NTG_F_GAZ) ? t->n_phr : 0;
    uint32_t *glab = malloc((ng ? ng : 1) * sizeof *glab);
    if (!glab) {
        rc = NER_ENOMEM;
        goto done;
    }
    for (size_t p = 0; p < ng; p++)
        glab[p] = gaz_label(t, p, -1) - 1;
    /* external lists: without the lowercase variant, only the keys as
     * written; sorted, so that the image does not depend on the order the
     * phrases came in */
    uint32_t keep = (t->o.feat.flags & NTG_F_XGAZ_LC) ? 0xFFFFFFFFu : 0xFFFFu;
    size_t nx = 0;
    uint64_t *xk = malloc((t->n_x ? t->n_x : 1) * sizeof *xk);
    uint32_t *xm = malloc((t->n_x ? t->n_x : 1) * sizeof *xm);
    uint64_t *pairs = malloc((t->n_x ? t->n_x : 1) * 2 * sizeof *pairs);
    if (!xk || !xm || !pairs) {
        free(glab);
        free(xk);
        free(xm);
        free(pairs);
        rc = NER_ENOMEM;
        goto done;
    }
    for (size_t q = 0; q < t->n_x; q++) {
        if (t->xmask[q] & keep) {
            pairs[2 * nx] = t->xkey[q];
            pairs[2 * nx + 1] = t->xmask[q] & keep;
            nx++;
        }
    }
    qsort(pairs, nx, 2 * sizeof *pairs, cmp_u64); /* keys are distinct */
    for (size_t q = 0; q < nx; q++) {
        xk[q] = pairs[2 * q];
        xm[q] = (uint32_t)pairs[2 * q + 1];
    }
    free(pairs);
    ntg_xgaz_image xg = {(const char *const *)t->xlabels, t->n_xl, t->xmax_len,
                         xk, xm, nx};
    rc = ntg_image_build((const char *const *)t->labels, t->n_labels, &t->o.feat,
                         (float)temperature, tr, tr + (size_t)T * T,
                         tr + (size_t)T * T + T, hashes, row_of, nf, rows,
                         rows_len, t->gkey, glab, ng, nx ? &xg : NULL, &img, &len);
    free(glab);
    free(xk);
    free(xm);
    if (rc == NER_OK)
        rc = ntg_model_load_mem(out, img, len, 1, errbuf, errlen);
    else
        nu_errf(errbuf, errlen, "cannot build the model image: %s", ner_strerror(rc));
done:
    free(tr);
    free(rows);
    free(hashes);
    free(row_of);
    return rc;
}
