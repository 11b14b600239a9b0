/*
 * BERT text normalisation with alignments, as the Rust tokenizers library
 * (tokenizer.json "BertNormalizer") does it, plus the character classes its
 * pre-tokenizer uses.  Bytes in, code points with original offsets out; no
 * docs here.
 *
 * STEPS (each optional, in this order; ../shared/REFERENCE.md, steps 1-3)
 *   clean_text            drop U+0000, U+FFFD and "other" characters (Cc, Cf,
 *                         Co) except tab, LF and CR; then map tab, LF, CR and
 *                         every White_Space character to U+0020.
 *   handle_chinese_chars  put U+0020 on both sides of each CJK ideograph.
 *   strip_accents         canonical decomposition (NFD, with canonical
 *                         reordering), then drop the Mn characters.
 *   lowercase             Rust's char::to_lowercase per character (full
 *                         mapping: U+0130 becomes "i" + U+0307).
 *
 * ALIGNMENTS
 *   Every normalised code point carries the byte range [ostart, oend) of the
 *   original text it came from, computed exactly as Rust's NormalizedString
 *   does: a replaced character keeps the range of the character it replaces,
 *   a character inserted by a transformation takes the range of the last
 *   original character consumed before it ([0, 0) at the very start), removed
 *   characters vanish.  Ranges always fall on code-point boundaries.
 *
 * UNICODE VERSIONS
 *   The Rust library mixes tables of several Unicode versions (the
 *   unicode_categories crate for Cc/Cf/Co, Mn and P*, the
 *   unicode-normalization-alignments crate for NFD, Rust's std for White_Space
 *   and lower-casing).  libner uses utf8proc plus a table of the code points
 *   where these differ (bert_unicode_tables.h, made by comparing every code
 *   point with the tokenizers library itself), so each class answers exactly
 *   as the Rust library does.
 *
 * LIMITS
 *   Texts up to UINT32_MAX - 1 bytes (offsets are 32-bit); NER_ETOOBIG above.
 *
 * THREADS
 *   No state: any number of threads may call these functions, each with its
 *   own nt_normtext.
 */
#ifndef NER_TEXT_BERT_NORMALIZE_H
#define NER_TEXT_BERT_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nt_bert_opts {
    int clean_text;           /* default 1 */
    int handle_chinese_chars; /* default 1 */
    int strip_accents;        /* -1: follow lowercase (default), 0, 1 */
    int lowercase;            /* default 1 */
} nt_bert_opts;

/* Sets the defaults above (those of an uncased BERT). */
void nt_bert_opts_init(nt_bert_opts *o);

/* Normalised text: n code points with their original byte ranges. */
typedef struct nt_normtext {
    int32_t *cp;
    uint32_t *ostart, *oend;
    size_t n, cap;
    /* scratch of the passes (private) */
    int32_t *tcp;
    uint32_t *ts, *te;
    int32_t *tch;
    size_t tcap;
} nt_normtext;

void nt_normtext_init(nt_normtext *t);
void nt_normtext_free(nt_normtext *t);

/* Normalises text[0..len) (valid UTF-8) into out (its previous content is
 * replaced).  base is added to every original offset, so a piece of a longer
 * text can be normalised with offsets into the whole.  NER_OK, NER_ENOMEM, or
 * NER_ETOOBIG when base + len does not fit 32 bits. */
int nt_bert_normalize(const nt_bert_opts *o, const char *text, size_t len,
                      size_t base, nt_normtext *out);

/* Character classes, exactly as the Rust library answers them. */
int nt_bert_is_control(int32_t c);     /* removed by clean_text */
int nt_bert_is_whitespace(int32_t c);  /* mapped to U+0020 by clean_text */
int nt_bert_is_chinese(int32_t c);     /* REFERENCE.md's CJK ranges */
int nt_bert_is_punct(int32_t c);       /* a pre-token of its own */
int nt_rust_is_whitespace(int32_t c);  /* Rust char::is_whitespace: splits */
int nt_bert_is_mn(int32_t c);          /* dropped by strip_accents */
/* Rust char::to_lowercase: writes 1 to 3 code points into out, returns the
 * count. */
int nt_rust_to_lower(int32_t c, int32_t out[3]);
/* Canonical decomposition of one code point (recursive, Hangul included) as
 * the normalisation crate has it; writes up to cap code points, returns the
 * count (at most 4 for Unicode's data; 1 when c does not decompose). */
int nt_bert_nfd_char(int32_t c, int32_t *out, int cap);
/* Canonical combining class as the normalisation crate has it. */
int nt_bert_ccc(int32_t c);

#endif
