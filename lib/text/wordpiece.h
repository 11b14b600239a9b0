/*
 * WordPiece tokenizer as Hugging Face's Rust tokenizers library runs a BERT
 * tokenizer.json: bytes in, piece ids with offsets into the original text out
 * (no docs here).  ../shared/REFERENCE.md, "BERT text normalisation and
 * WordPiece", steps 1-6.
 *
 * ENCODING A TEXT
 *   1. Added tokens whose "normalized" is false (the special tokens [PAD],
 *      [UNK], [CLS], [SEP], [MASK] of every BERT tokenizer) are found in the
 *      raw text first, leftmost-longest, anywhere (even inside a word): each
 *      is a piece of its own with its id.  What lies between is encoded by
 *      steps 2-4.
 *   2. BERT normalisation (bert_normalize.h) with alignments.
 *   3. Pre-tokenisation: split on White_Space (removed), then every
 *      punctuation character (ASCII 33-47, 58-64, 91-96, 123-126, Unicode P*)
 *      is a word of its own.
 *   4. WordPiece per word: a word of more than max_input_chars_per_word code
 *      points is one [UNK]; otherwise greedy longest-match-first, pieces after
 *      the first prefixed with continuing_subword_prefix ("##"); if some
 *      position matches nothing the whole word is one [UNK].
 *   Offsets: each piece maps back to the original text as Rust does it: from
 *   the original range of its first normalised code point's start to its last
 *   one's end, as UTF-8 bytes and as code points.  Special tokens [CLS]/[SEP]
 *   are not produced here: the caller adds them around its windows.
 *
 * LOADING (nt_wordpiece_load_dir)
 *   From a Hugging Face folder: tokenizer.json when there is one (model type
 *   "WordPiece": "vocab", "unk_token", "continuing_subword_prefix",
 *   "max_input_chars_per_word"; normalizer "BertNormalizer" or null;
 *   pre_tokenizer "BertPreTokenizer"; "added_tokens"; [CLS]/[SEP] from the
 *   post_processor when it names them), otherwise vocab.txt (line i, without
 *   its line end, is token i; a repeated token keeps its last line).  Then
 *   tokenizer_config.json, when there is one: "do_lower_case",
 *   "strip_accents", "tokenize_chinese_chars" override the normaliser (the
 *   way transformers' BertTokenizerFast rebuilds it when they differ);
 *   "model_max_length"; "unk_token", "cls_token", "sep_token", "pad_token",
 *   "mask_token" (string or {"content": ...}) for a vocab.txt folder.
 *   Defaults for a vocab.txt folder are those of transformers' BertTokenizer:
 *   lower-casing on, accents follow it, CJK spacing on, [UNK], "##", 100.
 *   Added tokens that ask for normalized, single_word, lstrip or rstrip
 *   matching are refused (NER_EUNSUPPORTED, naming the token): BERT folders
 *   do not use them.
 *   The vocabulary lookup is a hash table built at load.
 *
 * THREADS
 *   A loaded nt_wordpiece is immutable: any number of threads may encode
 *   with it at once, each with its own nt_wp_out.
 *
 * Status codes are libner's NER_* codes; messages go to errbuf/errlen (may be
 * NULL/0), never to stderr.
 */
#ifndef NER_TEXT_WORDPIECE_H
#define NER_TEXT_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

#include "text/bert_normalize.h"

typedef struct nt_wordpiece nt_wordpiece;

/* Largest id a vocabulary may use, and the most entries it may have. */
#define NT_WP_MAX_ID ((int32_t)((1 << 24) - 1))
/* Longest vocabulary entry, in bytes. */
#define NT_WP_MAX_TOKEN_BYTES 1024

/* One piece of an encoded text. */
typedef struct nt_wp_piece {
    int32_t id;
    uint32_t word;                  /* index of its pre-tokenised word */
    uint32_t start_byte, end_byte;  /* original text, half-open */
    uint32_t start_char, end_char;  /* the same in code points */
    uint32_t flags;                 /* NT_WP_* */
    uint32_t tok_chars;             /* code points of the id's token string
                                       (what convert_ids_to_tokens gives) */
} nt_wp_piece;

#define NT_WP_CONTINUATION 0x1u /* a later piece of its word ("##...") */
#define NT_WP_UNK          0x2u /* the unknown token (a whole word) */
#define NT_WP_ADDED        0x4u /* an added/special token found in the text */

/* Output and scratch of nt_wordpiece_encode; reuse it between calls. */
typedef struct nt_wp_out {
    nt_wp_piece *p;
    size_t n, cap;
    /* scratch (private) */
    nt_normtext norm;
    char *word;
    size_t word_cap;
    size_t *cbyte; /* byte offset of each code point of the word, + end */
    size_t cbyte_cap;
} nt_wp_out;

void nt_wp_out_init(nt_wp_out *o);
void nt_wp_out_free(nt_wp_out *o);

/* Loads the tokenizer of a Hugging Face folder (see LOADING).  NER_ENOTFOUND
 * when it has neither tokenizer.json nor vocab.txt; NER_EFORMAT for a bad
 * file (errbuf names the file, line or key); NER_EUNSUPPORTED for a
 * tokenizer.json that is not a BERT WordPiece. */
int nt_wordpiece_load_dir(nt_wordpiece **out, const char *dir, char *errbuf,
                          size_t errlen);

/* The same from file contents held in memory: tokenizer_json (may be NULL)
 * or vocab_txt (used when tokenizer_json is NULL), plus tokenizer_config.json
 * (may be NULL).  name is used in messages.  The bytes are copied (kept for
 * nt_wordpiece_save). */
int nt_wordpiece_load_mem(nt_wordpiece **out, const char *name,
                          const char *tokenizer_json, size_t tj_len,
                          const char *vocab_txt, size_t vt_len,
                          const char *config_json, size_t cj_len,
                          char *errbuf, size_t errlen);

void nt_wordpiece_free(nt_wordpiece *wp);

/* Writes the files it was loaded from (tokenizer.json or vocab.txt, and
 * tokenizer_config.json when there was one) into dir, byte for byte. */
int nt_wordpiece_save(const nt_wordpiece *wp, const char *dir, char *errbuf,
                      size_t errlen);

/* Encodes text[0..len) (valid UTF-8, at most UINT32_MAX - 1 bytes) into
 * out->p[0..out->n).  NER_OK, NER_ENOMEM, NER_ETOOBIG. */
int nt_wordpiece_encode(const nt_wordpiece *wp, const char *text, size_t len,
                        nt_wp_out *out);

/* Vocabulary.  token_id: -1 when absent.  id_token: NULL when no entry has
 * that id; *len (may be NULL) gets its length in bytes.  id_chars: the
 * length of the id's token in code points (0 when none). */
int32_t nt_wordpiece_token_id(const nt_wordpiece *wp, const char *tok, size_t len);
const char *nt_wordpiece_id_token(const nt_wordpiece *wp, int32_t id, size_t *len);
size_t nt_wordpiece_id_chars(const nt_wordpiece *wp, int32_t id);
size_t nt_wordpiece_vocab_size(const nt_wordpiece *wp); /* largest id + 1 */

/* Special ids (-1 when the vocabulary lacks them), settings. */
typedef struct nt_wp_info {
    int32_t unk_id, cls_id, sep_id, pad_id, mask_id;
    size_t model_max_length;  /* 0 when tokenizer_config.json does not say */
    size_t max_input_chars_per_word;
    const char *prefix;       /* continuing_subword_prefix */
    nt_bert_opts norm;        /* normaliser settings in force */
    int from_tokenizer_json;  /* 1: tokenizer.json, 0: vocab.txt */
} nt_wp_info;

const nt_wp_info *nt_wordpiece_info(const nt_wordpiece *wp);

#endif
