/* Private to lib/tagger: the model image layout and its builder. */
#ifndef NER_TAGGER_MODEL_IMPL_H
#define NER_TAGGER_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include "tagger/tagger.h"

/* Layout of the 184-byte header (all little-endian):
 *   0  magic "NERTAGR1"           8  u32 version (2)   12 u32 header size (184)
 *   16 u64 file size              24 u64 checksum of the file with these 8
 *                                    bytes read as zero
 *   32 u32 n_labels  36 u32 n_tags  40 u32 feature flags  44 u32 prefix_max
 *   48 u32 suffix_max  52 u32 window  56 u32 agg_max  60 f32 temperature
 *   64 u64 labels offset  72 u64 labels bytes (n_labels NUL-terminated)
 *   80 u64 transitions offset (f32: n_tags x n_tags [prev][cur], then
 *      n_tags start, then n_tags end weights)
 *   88 u64 slots offset  96 u64 slot count (power of two; each slot is
 *      u32 fingerprint = hash >> 32, u32 row or 0xFFFFFFFF when empty;
 *      a feature lives at the first free slot from hash & (slots - 1))
 *   104 u64 rows offset  112 u64 rows length in u32 words (a row is
 *      u32 count in 1..n_tags, then count pairs u32 tag, f32 weight)
 *   120 u64 feature count (occupied slots)
 *   128 u64 gazetteer offset  136 u64 gazetteer slot count (0: none, else a
 *      power of two; each slot is u64 phrase key (ntg_gaz_key), u32 label + 1
 *      or 0 when empty, u32 zero; a phrase lives at the first free slot from
 *      key & (slots - 1))
 *   -- version 2 --
 *   144 u64 external gazetteer offset  152 u64 its slot count (0 when there
 *      are no lists, else a power of two; each slot is u64 key, u32 mask of
 *      NTG_XG_* bits (features.h) or 0 when empty, u32 zero; placed like the
 *      gazetteer's)
 *   160 u64 external list labels offset  168 u64 their bytes (NUL-terminated)
 *   176 u32 external list count (0..NTG_MAX_XGAZ)  180 u32 tokens of the
 *      longest external phrase (1..NTG_GAZ_MAX_LEN; 0 without lists)
 * Sections start at multiples of 8. */
#define NTG_MAGIC "NERTAGR1"
#define NTG_VERSION 2u
#define NTG_HEADER_SIZE 184u
#define NTG_EMPTY 0xFFFFFFFFu
#define NTG_MAX_SLOTS ((uint64_t)1 << 30)

/* External lists for an image: keys[i] carries masks[i] (NTG_XG_* bits of
 * lists below n_labels; keys distinct). */
typedef struct ntg_xgaz_image {
    const char *const *labels;
    uint32_t n_labels;      /* 0..NTG_MAX_XGAZ */
    uint32_t max_len;       /* tokens of the longest phrase */
    const uint64_t *keys;
    const uint32_t *masks;
    size_t n_keys;
} ntg_xgaz_image;

/* Builds an image.  hashes[i]'s row starts at row_of[i] in rows; xg may be
 * NULL (no external lists).  On success *out is malloc'd.  NER_EINVAL /
 * NER_ETOOBIG / NER_ENOMEM. */
int ntg_image_build(const char *const *labels, uint32_t n_labels,
                    const ntg_feat_opts *fo, float temperature,
                    const float *trans, const float *start, const float *end,
                    const uint64_t *hashes, const uint32_t *row_of,
                    size_t n_feats, const uint32_t *rows, size_t rows_len,
                    const uint64_t *gaz_keys, const uint32_t *gaz_labels,
                    size_t n_gaz, const ntg_xgaz_image *xg,
                    unsigned char **out, size_t *len);

uint64_t ntg_checksum(const unsigned char *p, size_t len);

/* BILUO validity of a transition (prev = UINT32_MAX: sentence start) and of
 * an end tag. */
int ntg_trans_ok(uint32_t prev, uint32_t cur);
int ntg_end_ok(uint32_t tag);

#define NTG_NEG (-1e30f)

/* Copies learned transition, start and end weights into c* with NTG_NEG
 * where BILUO forbids the move. */
void ntg_constrain(uint32_t T, const float *trans, const float *start,
                   const float *end, float *ctrans, float *cstart, float *cend);

/* Viterbi over n positions with emission scores em[n * T] and constrained
 * transitions (see ntg_constrain); when allowed is not NULL, position i may only take tag
 * allowed[i] unless it is -1.  Writes tags into out.  bp is scratch of
 * n * T uint16 and delta of 2 * T floats.  Returns 0 when no sequence fits
 * (only with allowed). */
int ntg_viterbi(const float *em, size_t n, uint32_t T, const float *trans,
                const float *start, const float *end, const int16_t *allowed,
                uint16_t *bp, float *delta, uint16_t *out);

#endif
