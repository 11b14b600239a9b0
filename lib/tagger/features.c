/* Token facts and hashed features. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "ner/ner.h"
#include "tagger/features.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define GOLD 0x9E3779B97F4A7C15ULL
#define MAX_WORD_BYTES 256 /* longer words: hashed whole, shaped up to here */

/* Feature templates.  Never renumber: the numbers are part of saved models. */
enum {
    T_BIAS = 1, T_W, T_LO, T_SHAPE, T_SSHAPE, T_FLAGS, T_PRE, T_SUF = T_PRE + 8,
    T_LO_AT = T_SUF + 8,          /* + offset + 4 (offsets -3..3) */
    T_SS_AT = T_LO_AT + 8,
    T_BI_L0 = T_SS_AT + 8, T_BI_0R, T_BI_LR, T_SS_L0, T_SS_0R, T_SS_L0R,
    T_FIRST_SS, T_FIRST_LO, T_W_SSL, T_W_SSR, T_SUF3_L, T_SUF3_R,
    T_DOC_LC, T_DOC_CAP, T_AGG_LO_L, T_AGG_LO_R, T_AGG_SS_L, T_AGG_SS_R,
    T_LEN, T_PRE_FLAGS, T_GAZ,
    T_XGAZ, T_XGAZ_SS, T_XGAZ_LC, T_XGAZ_LC_SS, T_XGAZ_L, T_XGAZ_R
};

uint64_t ntg_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t ntg_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = FNV_OFFSET ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return h;
}

static inline uint64_t f1(uint32_t t, uint64_t a)
{
    return ntg_mix64(a + (uint64_t)t * GOLD);
}

static inline uint64_t f2(uint32_t t, uint64_t a, uint64_t b)
{
    return ntg_mix64(a * 31 + ((b << 29) | (b >> 35)) + (uint64_t)t * GOLD);
}

static inline uint64_t f3(uint32_t t, uint64_t a, uint64_t b, uint64_t c)
{
    return f2(t, a * 1000003 + b, c);
}

void ntg_feat_opts_default(ntg_feat_opts *o)
{
    memset(o, 0, sizeof *o);
    o->flags = NTG_F_DOC | NTG_F_BIGRAM | NTG_F_GAZ;
    o->prefix_max = 4;
    o->suffix_max = 4;
    o->window = 2;
    o->agg_max = 8;
}

void ntg_featbuf_free(ntg_featbuf *b)
{
    if (!b)
        return;
    free(b->ti);
    free(b->keys);
    free(b->vals);
    memset(b, 0, sizeof *b);
}

static int is_sent_end(const char *w, size_t n)
{
    if (n == 1)
        return w[0] == '.' || w[0] == '!' || w[0] == '?';
    return (n == 3 && memcmp(w, "...", 3) == 0) ||
           (n == 3 && memcmp(w, "\xE2\x80\xA6", 3) == 0);
}

void ntg_sentence_starts(const char *const *words, const size_t *lens,
                         size_t n, const uint8_t *nl_before, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = i == 0 || (nl_before && nl_before[i]) ||
                 is_sent_end(words[i - 1], lens[i - 1]);
}

/* One shape character for a code point. */
static char shape_char(int32_t cp)
{
    if (cp < 128) {
        if (cp >= 'A' && cp <= 'Z') return 'X';
        if (cp >= 'a' && cp <= 'z') return 'x';
        if (cp >= '0' && cp <= '9') return 'd';
        return (char)cp;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: return 'X';
    case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return 'x';
    case UTF8PROC_CATEGORY_ND: return 'd';
    default: return 'o';
    }
}

/* Facts of one word. */
static void word_facts(const ntg_feat_opts *o, const char *w, size_t n,
                       ntg_tokinfo *t)
{
    memset(t, 0, sizeof *t);
    t->w = ntg_hash_bytes(w, n, 0);
    uint64_t hlo = FNV_OFFSET, hsh = FNV_OFFSET, hss = FNV_OFFSET;
    /* Code point boundaries of the lowercase form for affixes. */
    size_t cpend[MAX_WORD_BYTES + 1];
    uint64_t cphash[MAX_WORD_BYTES + 1]; /* hash of lowercase prefix */
    unsigned char lob[4 * MAX_WORD_BYTES + 8];
    size_t lolen = 0, ncp = 0;
    char last = 0;
    int run = 0;
    unsigned letters = 0, uppers = 0, lowers = 0, digits = 0, alnum = 0;
    unsigned upper_after_first = 0;
    size_t lim = n < MAX_WORD_BYTES ? n : MAX_WORD_BYTES;
    size_t i = 0;
    while (i < n) {
        int32_t cp;
        utf8proc_ssize_t k;
        unsigned char c = (unsigned char)w[i];
        if (c < 128) {
            cp = c;
            k = 1;
        } else {
            k = utf8proc_iterate((const utf8proc_uint8_t *)w + i,
                                 (utf8proc_ssize_t)(n - i), &cp);
            if (k <= 0) {
                cp = 0xFFFD;
                k = 1;
            }
        }
        char sc = shape_char(cp);
        int32_t lc = cp;
        if (sc == 'X') {
            uppers++;
            letters++;
            if (ncp > 0)
                upper_after_first++;
            lc = cp < 128 ? cp + 32 : utf8proc_tolower(cp);
        } else if (sc == 'x') {
            lowers++;
            letters++;
        } else if (sc == 'd') {
            digits++;
        }
        if (sc == 'X' || sc == 'x' || sc == 'd')
            alnum++;
        if (cp == '-')
            t->flags |= NTG_W_HYPHEN;
        if (cp == '.')
            t->flags |= NTG_W_PERIOD;
        if (ncp == 0 && sc == 'X')
            t->flags |= NTG_W_INITCAP;
        /* lowercase bytes */
        unsigned char enc[8];
        utf8proc_ssize_t el = lc < 128 ? (enc[0] = (unsigned char)lc, 1)
                                       : utf8proc_encode_char(lc, enc);
        for (utf8proc_ssize_t q = 0; q < el; q++) {
            hlo ^= enc[q];
            hlo *= FNV_PRIME;
            if (lolen < sizeof lob - 8)
                lob[lolen++] = enc[q];
        }
        /* shapes */
        if (i < lim) {
            if (sc == last) {
                run++;
            } else {
                run = 1;
                hss ^= (unsigned char)sc;
                hss *= FNV_PRIME;
            }
            if (run <= 4) {
                hsh ^= (unsigned char)sc;
                hsh *= FNV_PRIME;
            }
            last = sc;
            if (ncp < MAX_WORD_BYTES) {
                cpend[ncp] = lolen;
                cphash[ncp] = hlo;
            }
        }
        ncp++;
        i += (size_t)k;
    }
    t->lo = hlo;
    t->shape = hsh;
    t->sshape = hss;
    if (letters && uppers == letters) t->flags |= NTG_W_ALLCAP;
    if (digits) t->flags |= NTG_W_HASDIGIT;
    if (digits && digits == ncp) t->flags |= NTG_W_ALLDIGIT;
    if (!alnum) t->flags |= NTG_W_NOALNUM;
    if (lowers && upper_after_first) t->flags |= NTG_W_MIXED;
    if (lowers) t->flags |= NTG_W_HASLOWER;
    if (uppers) t->flags |= NTG_W_HASUPPER;
    if (ncp > 12) t->flags |= NTG_W_LONG;
    /* affixes over the lowercase form (only on the first MAX_WORD_BYTES) */
    size_t have = n <= MAX_WORD_BYTES ? ncp : 0;
    size_t np = o->prefix_max < have ? o->prefix_max : have;
    /* a prefix as long as the word is the word: skip it */
    if (np == have && np > 0)
        np--;
    for (size_t k = 0; k < np; k++)
        t->pre[k] = cphash[k];
    t->npre = (uint8_t)np;
    size_t ns = o->suffix_max < have ? o->suffix_max : have;
    if (ns == have && ns > 0)
        ns--;
    size_t total = have ? cpend[have - 1] : 0;
    for (size_t k = 0; k < ns; k++) {
        size_t from = cpend[have - 2 - k]; /* start of the last k+1 cps */
        t->suf[k] = ntg_hash_bytes(lob + from, total - from, 7);
    }
    t->nsuf = (uint8_t)ns;
}

void ntg_word_hashes(const char *w, size_t n, uint64_t *word, uint64_t *lower)
{
    ntg_feat_opts o;
    memset(&o, 0, sizeof o);
    ntg_tokinfo t;
    word_facts(&o, w, n, &t);
    *word = t.w;
    *lower = t.lo;
}

/* Doc tables: open addressing of 64-bit keys (0 is mapped to 1). */
static size_t tab_find(const ntg_featbuf *b, uint64_t key, int *found)
{
    if (!key)
        key = 1;
    size_t mask = b->nslots - 1, i = (size_t)ntg_mix64(key) & mask;
    while (b->keys[i] && b->keys[i] != key)
        i = (i + 1) & mask;
    *found = b->keys[i] == key;
    return i;
}

uint64_t ntg_gaz_key(uint64_t k, uint64_t word_hash)
{
    return ntg_mix64(k ^ (word_hash + GOLD));
}

static void mark_gazetteer(const ntg_gaz_view *gz, ntg_tokinfo *ti, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t hi = ti[i].sent_hi, max = hi - i;
        if (max > NTG_GAZ_MAX_LEN)
            max = NTG_GAZ_MAX_LEN;
        uint64_t keys[NTG_GAZ_MAX_LEN];
        uint64_t k = NTG_GAZ_SEED;
        for (size_t j = 0; j < max; j++) {
            k = ntg_gaz_key(k, ti[i + j].w);
            keys[j] = k;
        }
        size_t len = 0;
        uint32_t lab = 0;
        for (size_t l = max; l > 0 && !lab; l--) {
            lab = gz->lookup(gz->ctx, keys[l - 1]);
            if (lab)
                len = l;
        }
        if (!lab) {
            i++;
            continue;
        }
        uint16_t L = (uint16_t)(lab - 1);
        if (len == 1) {
            ti[i].gaz = (uint16_t)(4u << 8 | L);
        } else {
            ti[i].gaz = (uint16_t)(1u << 8 | L);
            for (size_t j = 1; j + 1 < len; j++)
                ti[i + j].gaz = (uint16_t)(2u << 8 | L);
            ti[i + len - 1].gaz = (uint16_t)(3u << 8 | L);
        }
        i += len;
    }
}

/* Marks the phrases of every external list: per list, the longest phrase
 * starting at each token not covered by an earlier match, left to right
 * within each sentence; a pass over the words as written and, with
 * NTG_F_XGAZ_LC, one over their lowercase forms. */
static void mark_xgaz(const ntg_feat_opts *o, const ntg_xgaz_view *xg,
                      ntg_tokinfo *ti, size_t n)
{
    uint32_t L = xg->n_lists < NTG_MAX_XGAZ ? xg->n_lists : NTG_MAX_XGAZ;
    size_t maxl = xg->max_len < NTG_GAZ_MAX_LEN ? xg->max_len : NTG_GAZ_MAX_LEN;
    int passes = (o->flags & NTG_F_XGAZ_LC) ? 2 : 1;
    for (int lc = 0; lc < passes; lc++) {
        size_t next[NTG_MAX_XGAZ] = {0}; /* first token not yet covered */
        uint32_t more = lc ? NTG_XG_LC_MORE : NTG_XG_MORE;
        unsigned shift = lc ? 16 : 0;
        for (size_t i = 0; i < n; i++) {
            size_t max = ti[i].sent_hi - i;
            if (max > maxl)
                max = maxl;
            size_t len[NTG_MAX_XGAZ] = {0};
            uint64_t k = lc ? NTG_XGAZ_LC_SEED : NTG_XGAZ_SEED;
            for (size_t l = 1; l <= max; l++) {
                k = ntg_gaz_key(k, lc ? ti[i + l - 1].lo : ti[i + l - 1].w);
                uint32_t m = xg->lookup(xg->ctx, k);
                uint32_t hits = (m >> shift) & 0xFFu;
                for (uint32_t j = 0; j < L; j++)
                    if (hits & (1u << j))
                        len[j] = l;
                if (!(m & more))
                    break;
            }
            for (uint32_t j = 0; j < L; j++) {
                if (!len[j] || next[j] > i)
                    continue;
                unsigned sh = 4 * j;
                for (size_t q = 0; q < len[j]; q++) {
                    uint32_t kind = len[j] == 1 ? 4u : q == 0 ? 1u
                                  : q + 1 == len[j] ? 3u : 2u;
                    if (lc)
                        ti[i + q].xgaz_lc |= kind << sh;
                    else
                        ti[i + q].xgaz |= kind << sh;
                }
                next[j] = i + len[j];
            }
        }
    }
}

int ntg_doc_facts(const ntg_feat_opts *o, const ntg_doc *doc,
                  const ntg_gaz_view *gz, const ntg_xgaz_view *xg,
                  ntg_featbuf *b)
{
    size_t n = doc->n;
    if (n > b->cap) {
        ntg_tokinfo *ti = realloc(b->ti, n * sizeof *ti);
        if (!ti)
            return NER_ENOMEM;
        b->ti = ti;
        b->cap = n;
    }
    for (size_t i = 0; i < n; i++) {
        word_facts(o, doc->words[i], doc->lens[i], &b->ti[i]);
        b->ti[i].first = (uint8_t)(i == 0 || (doc->sent_start && doc->sent_start[i]));
    }
    /* sentences */
    size_t lo = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || b->ti[i].first) {
            for (size_t k = lo; k < i; k++) {
                b->ti[k].sent_lo = (uint32_t)lo;
                b->ti[k].sent_hi = (uint32_t)i;
            }
            lo = i;
        }
    }
    for (size_t i = 0; i < n; i++) {
        b->ti[i].next_same = UINT32_MAX;
        b->ti[i].first_same = (uint32_t)i;
    }
    if ((o->flags & NTG_F_GAZ) && gz && gz->lookup)
        mark_gazetteer(gz, b->ti, n);
    if (xg && xg->lookup && xg->n_lists)
        mark_xgaz(o, xg, b->ti, n);
    if (!(o->flags & NTG_F_DOC) || n < 2)
        return NER_OK;
    /* two tables in one: word -> first index; lowercase form -> bits */
    size_t want = 16;
    while (want < 4 * n)
        want *= 2;
    if (want > b->nslots) {
        uint64_t *k = realloc(b->keys, want * sizeof *k);
        if (!k)
            return NER_ENOMEM;
        b->keys = k;
        uint32_t *v = realloc(b->vals, want * sizeof *v);
        if (!v)
            return NER_ENOMEM;
        b->vals = v;
        b->nslots = want;
    }
    memset(b->keys, 0, b->nslots * sizeof *b->keys);
    const uint64_t WTAG = 0x5bd1e9955bd1e995ULL;
    uint32_t *last = b->vals; /* reused below: vals of word keys = last idx */
    for (size_t i = 0; i < n; i++) {
        ntg_tokinfo *t = &b->ti[i];
        int found;
        size_t s = tab_find(b, t->w ^ WTAG, &found);
        if (found) {
            uint32_t prev = last[s];
            b->ti[prev].next_same = (uint32_t)i;
            t->first_same = b->ti[prev].first_same;
            last[s] = (uint32_t)i;
        } else {
            b->keys[s] = (t->w ^ WTAG) ? (t->w ^ WTAG) : 1;
            last[s] = (uint32_t)i;
        }
        uint32_t bits = 0;
        if ((t->flags & NTG_W_HASLOWER) && !(t->flags & NTG_W_HASUPPER))
            bits |= NTG_DOC_LC_SEEN;
        if ((t->flags & NTG_W_INITCAP) && !t->first)
            bits |= NTG_DOC_CAP_SEEN;
        if (bits) {
            s = tab_find(b, t->lo, &found);
            if (!found) {
                b->keys[s] = t->lo ? t->lo : 1;
                b->vals[s] = 0;
            }
            b->vals[s] |= bits;
        }
    }
    for (size_t i = 0; i < n; i++) {
        ntg_tokinfo *t = &b->ti[i];
        int found;
        size_t s = tab_find(b, t->lo, &found);
        uint32_t bits = found ? b->vals[s] : 0;
        t->doc = (uint8_t)bits;
    }
    return NER_OK;
}

/* the fixed features of a token (word, affixes, window, bigrams, first,
 * flags, gazetteers, external lists, doc) leave room for context ones */
_Static_assert(6 + 2 * NTG_AFFIX_MAX + 12 + 10 + 2 + 1 + 2 + 6 * NTG_MAX_XGAZ + 2 + 4 <=
               NTG_MAX_FEATS, "NTG_MAX_FEATS is too small");

#define PAD_L 0x1234567812345678ULL
#define PAD_R 0x8765432187654321ULL

size_t ntg_token_features(const ntg_feat_opts *o, const ntg_tokinfo *ti,
                          size_t n, size_t i, uint64_t *out)
{
    (void)n;
    const ntg_tokinfo *t = &ti[i];
    size_t lo = t->sent_lo, hi = t->sent_hi;
    size_t k = 0;
#define LOAT(d) ((ptrdiff_t)i + (d) < (ptrdiff_t)lo ? PAD_L : \
                 (size_t)((ptrdiff_t)i + (d)) >= hi ? PAD_R : ti[(ptrdiff_t)i + (d)].lo)
#define SSAT(d) ((ptrdiff_t)i + (d) < (ptrdiff_t)lo ? PAD_L : \
                 (size_t)((ptrdiff_t)i + (d)) >= hi ? PAD_R : ti[(ptrdiff_t)i + (d)].sshape)
    out[k++] = f1(T_BIAS, 0);
    out[k++] = f1(T_W, t->w);
    out[k++] = f1(T_LO, t->lo);
    out[k++] = f1(T_SHAPE, t->shape);
    out[k++] = f1(T_SSHAPE, t->sshape);
    out[k++] = f1(T_FLAGS, t->flags);
    for (unsigned p = 0; p < t->npre; p++)
        out[k++] = f1(T_PRE + p, t->pre[p]);
    for (unsigned s = 0; s < t->nsuf; s++)
        out[k++] = f1(T_SUF + s, t->suf[s]);
    int win = (int)(o->window > 3 ? 3 : o->window);
    for (int d = -win; d <= win; d++) {
        if (d == 0)
            continue;
        out[k++] = f1((uint32_t)(T_LO_AT + d + 4), LOAT(d));
        out[k++] = f1((uint32_t)(T_SS_AT + d + 4), SSAT(d));
    }
    uint64_t lL = LOAT(-1), lR = LOAT(1), sL = SSAT(-1), sR = SSAT(1);
    if (o->flags & NTG_F_BIGRAM) {
        out[k++] = f2(T_BI_L0, lL, t->lo);
        out[k++] = f2(T_BI_0R, t->lo, lR);
        out[k++] = f2(T_BI_LR, lL, lR);
        out[k++] = f2(T_SS_L0, sL, t->sshape);
        out[k++] = f2(T_SS_0R, t->sshape, sR);
        out[k++] = f3(T_SS_L0R, sL, t->sshape, sR);
        out[k++] = f2(T_W_SSL, t->lo, sL);
        out[k++] = f2(T_W_SSR, t->lo, sR);
        uint64_t s3l = i > lo && ti[i - 1].nsuf >= 3 ? ti[i - 1].suf[2] : lL;
        uint64_t s3r = i + 1 < hi && ti[i + 1].nsuf >= 3 ? ti[i + 1].suf[2] : lR;
        out[k++] = f1(T_SUF3_L, s3l);
        out[k++] = f1(T_SUF3_R, s3r);
    }
    if (t->first) {
        out[k++] = f1(T_FIRST_SS, t->sshape);
        out[k++] = f1(T_FIRST_LO, t->lo);
    }
    out[k++] = f2(T_PRE_FLAGS, i > lo ? ti[i - 1].flags : 0xFFFF, t->flags);
    if (o->flags & NTG_F_GAZ) {
        out[k++] = f1(T_GAZ, t->gaz);
        if (t->gaz)
            out[k++] = f2(T_GAZ, t->gaz, t->sshape);
    }
    /* external lists, at most 6 features for each of NTG_MAX_XGAZ lists
     * (before the open-ended context features below).  First the matches
     * of the neighbours: the kind as written, else the lowercase kind + 8
     * (a list of name parts marks each part alone: the neighbours tell a
     * whole name from the start of a longer one) */
    {
        uint32_t lx = i > lo ? ti[i - 1].xgaz : 0, ll = i > lo ? ti[i - 1].xgaz_lc : 0;
        uint32_t rx = i + 1 < hi ? ti[i + 1].xgaz : 0, rl = i + 1 < hi ? ti[i + 1].xgaz_lc : 0;
        for (uint32_t j = 0; (lx | ll | rx | rl) && j < NTG_MAX_XGAZ; j++) {
            uint32_t a = (lx >> (4 * j)) & 15u, b = (ll >> (4 * j)) & 15u;
            uint32_t c = (rx >> (4 * j)) & 15u, d = (rl >> (4 * j)) & 15u;
            if (a | b)
                out[k++] = f2(T_XGAZ_L, j, a ? a : b + 8);
            if (c | d)
                out[k++] = f2(T_XGAZ_R, j, c ? c : d + 8);
        }
    }
    /* then the token's own: kind, and kind with the shape */
    if (t->xgaz | t->xgaz_lc) {
        for (uint32_t j = 0; j < NTG_MAX_XGAZ; j++) {
            uint32_t kx = (t->xgaz >> (4 * j)) & 15u, kl = (t->xgaz_lc >> (4 * j)) & 15u;
            if (kx) {
                out[k++] = f2(T_XGAZ, j, kx);
                out[k++] = f3(T_XGAZ_SS, j, kx, t->sshape);
            }
            if (kl) {
                out[k++] = f2(T_XGAZ_LC, j, kl);
                out[k++] = f3(T_XGAZ_LC_SS, j, kl, t->sshape);
            }
        }
    }
    if ((o->flags & NTG_F_DOC) && (t->flags & NTG_W_HASUPPER)) {
        out[k++] = f2(T_DOC_LC, t->doc & NTG_DOC_LC_SEEN, t->first);
        out[k++] = f2(T_DOC_CAP, t->doc & NTG_DOC_CAP_SEEN, t->first);
        unsigned seen = 0;
        for (uint32_t j = t->first_same; j != UINT32_MAX && seen < o->agg_max &&
                                         k + 4 <= NTG_MAX_FEATS;
             j = ti[j].next_same) {
            if (j == i)
                continue;
            seen++;
            const ntg_tokinfo *u = &ti[j];
            uint64_t a = j > u->sent_lo ? ti[j - 1].lo : PAD_L;
            uint64_t b = j + 1 < u->sent_hi ? ti[j + 1].lo : PAD_R;
            uint64_t c = j > u->sent_lo ? ti[j - 1].sshape : PAD_L;
            uint64_t d = j + 1 < u->sent_hi ? ti[j + 1].sshape : PAD_R;
            out[k++] = f1(T_AGG_LO_L, a);
            out[k++] = f1(T_AGG_LO_R, b);
            out[k++] = f1(T_AGG_SS_L, c);
            out[k++] = f1(T_AGG_SS_R, d);
        }
    }
#undef LOAT
#undef SSAT
    return k;
}
