/* Feature extraction shared by training and prediction (private to
 * lib/tagger).  Features are 64-bit hashes of (template, value): no string
 * is formatted and nothing is allocated per token. */
#ifndef NER_TAGGER_FEATURES_H
#define NER_TAGGER_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include "tagger/tagger.h"

/* Per-token facts computed once per document. */
typedef struct ntg_tokinfo {
    uint64_t w, lo, shape, sshape;
    uint64_t pre[NTG_AFFIX_MAX], suf[NTG_AFFIX_MAX];
    uint32_t flags;
    uint32_t next_same;  /* next token with the same word, UINT32_MAX: none */
    uint32_t first_same; /* first token with the same word */
    uint32_t sent_lo, sent_hi; /* the token's sentence [lo, hi) */
    uint8_t npre, nsuf, first, doc;  /* doc: NTG_DOC_* bits */
    uint16_t gaz;        /* 0, or (kind 1..4 = B I L U) << 8 | label */
    uint32_t xgaz;       /* external list j: kind 1..4 in bits 4j..4j+3 */
    uint32_t xgaz_lc;    /* the same for the lowercase matches */
} ntg_tokinfo;

/* flags */
#define NTG_W_INITCAP  0x001u
#define NTG_W_ALLCAP   0x002u
#define NTG_W_HASDIGIT 0x004u
#define NTG_W_ALLDIGIT 0x008u
#define NTG_W_HYPHEN   0x010u
#define NTG_W_PERIOD   0x020u
#define NTG_W_NOALNUM  0x040u
#define NTG_W_MIXED    0x080u
#define NTG_W_HASLOWER 0x100u
#define NTG_W_HASUPPER 0x200u
#define NTG_W_LONG     0x400u

/* doc bits */
#define NTG_DOC_LC_SEEN   0x1u /* its lowercase form occurs in lowercase */
#define NTG_DOC_CAP_SEEN  0x2u /* occurs capitalised not sentence-initially */

/* Scratch for one document's facts. */
typedef struct ntg_featbuf {
    ntg_tokinfo *ti;
    size_t cap;
    uint64_t *keys;     /* doc tables: open addressing */
    uint32_t *vals;
    size_t nslots;
} ntg_featbuf;

void ntg_featbuf_free(ntg_featbuf *b);

/* A gazetteer of entity phrases: lookup(ctx, key) gives label + 1 for the
 * phrase whose key is key (see ntg_gaz_key), or 0. */
typedef struct ntg_gaz_view {
    uint32_t (*lookup)(const void *ctx, uint64_t key);
    const void *ctx;
} ntg_gaz_view;

#define NTG_GAZ_SEED 0x6a09e667f3bcc908ULL
/* The key of a phrase: k = NTG_GAZ_SEED, then k = ntg_gaz_key(k, w) for the
 * word hash (ntg_tokinfo.w) of each of its tokens. */
uint64_t ntg_gaz_key(uint64_t k, uint64_t word_hash);

/* External gazetteers: one table of phrase keys, each with a mask of
 * NTG_XG_* bits.  The key of a phrase as written chains ntg_gaz_key from
 * NTG_XGAZ_SEED over the word hashes (ntg_tokinfo.w) of its tokens; the
 * key of its lowercase form chains from NTG_XGAZ_LC_SEED over the
 * lowercase hashes (ntg_tokinfo.lo).  A key that begins a longer phrase
 * carries the MORE bit, so that matching stops at the first key without
 * it.  lookup(ctx, key) gives the mask, or 0 for an unknown key. */
#define NTG_XGAZ_SEED 0xbb67ae8584caa73bULL
#define NTG_XGAZ_LC_SEED 0x3c6ef372fe94f82bULL
#define NTG_XG_EXACT(j) (1u << (j))        /* a phrase of list j */
#define NTG_XG_MORE 0x8000u                /* a longer phrase continues */
#define NTG_XG_LC(j) (1u << (16 + (j)))    /* a lowercased phrase of list j */
#define NTG_XG_LC_MORE 0x80000000u
#define NTG_XG_VALID(n) ((((1u << (n)) - 1u) * 0x10001u) | NTG_XG_MORE | \
                         NTG_XG_LC_MORE)
typedef struct ntg_xgaz_view {
    uint32_t (*lookup)(const void *ctx, uint64_t key);
    const void *ctx;
    uint32_t n_lists;   /* 1..NTG_MAX_XGAZ */
    uint32_t max_len;   /* tokens of the longest phrase */
} ntg_xgaz_view;

/* The word hash and the lowercase hash of a token (ntg_tokinfo.w, .lo). */
void ntg_word_hashes(const char *w, size_t n, uint64_t *word, uint64_t *lower);

/* Computes the facts of every token of doc (sentences from doc->sent_start);
 * with NTG_F_GAZ and gz, marks the longest phrases of gz found left to right
 * in each sentence; with xg (may be NULL), the same for every external list
 * (and, with NTG_F_XGAZ_LC, for their lowercase forms).  NER_OK or
 * NER_ENOMEM. */
int ntg_doc_facts(const ntg_feat_opts *o, const ntg_doc *doc,
                  const ntg_gaz_view *gz, const ntg_xgaz_view *xg,
                  ntg_featbuf *b);

/* Writes the features of token i into out (room for NTG_MAX_FEATS) and
 * returns how many. */
size_t ntg_token_features(const ntg_feat_opts *o, const ntg_tokinfo *ti,
                          size_t n, size_t i, uint64_t *out);

uint64_t ntg_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t ntg_mix64(uint64_t x);

#endif
