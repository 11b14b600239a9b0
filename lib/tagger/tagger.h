/*
 * Statistical sequence labeller: a first-order linear-chain model over
 * BILUO tags trained as an averaged structured perceptron, with hashed
 * sparse features of the words (Ratinov & Roth 2009 style), document-level
 * features, constrained Viterbi decoding into valid spans, and a per-entity
 * confidence from forward-backward marginals.
 *
 * Pure model code: it takes arrays of token strings and knows nothing of
 * docs or pipelines.
 *
 * TAGS
 *   Tag 0 is O; label k (0-based) has B = 1 + 4k, I = 2 + 4k, L = 3 + 4k and
 *   U = 4 + 4k.  Decoding only produces valid BILUO sequences.
 *
 * THREADS
 *   A loaded ntg_model is never written: any number of threads may call
 *   ntg_predict with it at once.  A trainer belongs to one thread.
 *
 * MODEL FILE (little-endian; see model_impl.h for the exact layout)
 *   magic "NERTAGR1", format version, header size, sizes and offsets of
 *   every section, file size and a 64-bit checksum of everything else.
 *   Files of another format version are refused with a message saying so.
 *   Loading checks every size against the file size before touching a
 *   section, validates the hash table and every weight row, and refuses
 *   anything inconsistent with NER_EFORMAT; nothing is allocated from a
 *   size read in the file before that check.
 */
#ifndef NER_TAGGER_TAGGER_H
#define NER_TAGGER_TAGGER_H

#include <stddef.h>
#include <stdint.h>

#define NTG_MAX_LABELS 255       /* entity types a model may have */
#define NTG_MAX_LABEL_BYTES 256  /* bytes of one label */
#define NTG_AFFIX_MAX 6          /* prefixes/suffixes of 1..6 code points */
#define NTG_MAX_FEATS 160        /* features of one token, at most */
#define NTG_TAG_O 0

#define NTG_TAG_B(k) (1u + 4u * (uint32_t)(k))
#define NTG_TAG_I(k) (2u + 4u * (uint32_t)(k))
#define NTG_TAG_L(k) (3u + 4u * (uint32_t)(k))
#define NTG_TAG_U(k) (4u + 4u * (uint32_t)(k))
#define NTG_N_TAGS(nlabels) (1u + 4u * (uint32_t)(nlabels))
/* 'O', 'B', 'I', 'L' or 'U' and the label of tag t. */
#define NTG_TAG_KIND(t) ((t) == 0 ? 'O' : "BILU"[((t) - 1) % 4])
#define NTG_TAG_LABEL(t) (((t) - 1) / 4)

/* Feature options (saved in the model). */
#define NTG_F_DOC    0x1u /* document-level features */
#define NTG_F_GAZ    0x2u /* gazetteer of the training entities */
#define NTG_F_BIGRAM 0x4u /* neighbouring-word bigrams */
#define NTG_F_XGAZ_LC 0x8u /* external gazetteers also match lowercased */
#define NTG_F_KNOWN  (NTG_F_DOC | NTG_F_GAZ | NTG_F_BIGRAM | NTG_F_XGAZ_LC)

/* External gazetteers (ntg_trainer_add_phrase): at most this many labels,
 * each of 1..NTG_XGAZ_LABEL_BYTES - 1 bytes; phrases of 1..NTG_GAZ_MAX_LEN
 * tokens. */
#define NTG_MAX_XGAZ 8
#define NTG_XGAZ_LABEL_BYTES 64
#define NTG_GAZ_MAX_LEN 8        /* tokens of a gazetteer phrase, at most */

typedef struct ntg_feat_opts {
    uint32_t flags;      /* NTG_F_* */
    uint32_t prefix_max; /* 0..NTG_AFFIX_MAX */
    uint32_t suffix_max; /* 0..NTG_AFFIX_MAX */
    uint32_t window;     /* neighbours on each side: 1..3 */
    uint32_t agg_max;    /* other occurrences looked at by NTG_F_DOC: 0..32 */
} ntg_feat_opts;

void ntg_feat_opts_default(ntg_feat_opts *o);

/* One document: n tokens (UTF-8 byte strings, need not be NUL-terminated).
 * sent_start[i] is 1 where a sentence begins (NULL: only token 0). */
typedef struct ntg_doc {
    const char *const *words;
    const size_t *lens;
    size_t n;
    const uint8_t *sent_start;
} ntg_doc;

/* Fills out[0..n) with sentence starts: the first token, a token that has a
 * line break before it (nl_before may be NULL), a token after ".", "!",
 * "?" or "..." tokens. */
void ntg_sentence_starts(const char *const *words, const size_t *lens,
                         size_t n, const uint8_t *nl_before, uint8_t *out);

/* A predicted entity over tokens [start, end). */
typedef struct ntg_span {
    size_t start, end;
    uint32_t label;
    double score;        /* in [0, 1] */
} ntg_span;

/* ------------------------------------------------------------ model */

typedef struct ntg_model ntg_model;

/* Validates and loads a model image.  ntg_model_load_mem copies nothing:
 * data must outlive the model, unless own is 1, when the model takes the
 * malloc'd buffer over (and frees it, also on failure).  ntg_model_load_file
 * maps the file (or reads it when mmap is not possible).
 * NER_EFORMAT with the byte offset or section at fault, NER_EIO, NER_ENOMEM. */
int ntg_model_load_mem(ntg_model **out, const void *data, size_t len, int own,
                       char *errbuf, size_t errlen);
int ntg_model_load_file(ntg_model **out, const char *path,
                        char *errbuf, size_t errlen);
void ntg_model_free(ntg_model *m);

/* The image (the file's bytes).  Valid until the model is freed. */
const void *ntg_model_image(const ntg_model *m, size_t *len);
int ntg_model_save(const ntg_model *m, const char *path,
                   char *errbuf, size_t errlen);

size_t ntg_model_label_count(const ntg_model *m);
/* NUL-terminated; valid until the model is freed; NULL out of range. */
const char *ntg_model_label(const ntg_model *m, size_t i);
const char *const *ntg_model_labels(const ntg_model *m);
size_t ntg_model_feature_count(const ntg_model *m);
double ntg_model_temperature(const ntg_model *m);
void ntg_model_feat_opts(const ntg_model *m, ntg_feat_opts *out);
/* External gazetteers baked into the model: their labels (NUL-terminated,
 * valid until the model is freed; NULL out of range) and the number of
 * phrase keys stored (with the lowercase variant: both forms). */
size_t ntg_model_xgaz_count(const ntg_model *m);
const char *ntg_model_xgaz_label(const ntg_model *m, size_t i);
size_t ntg_model_xgaz_keys(const ntg_model *m);

/* A copy of the image with another confidence temperature (> 0). */
int ntg_model_with_temperature(const ntg_model *m, double temperature,
                               ntg_model **out);

/* Per-call scratch for ntg_predict: one per thread, reused across calls. */
typedef struct ntg_scratch ntg_scratch;
ntg_scratch *ntg_scratch_new(void);
void ntg_scratch_free(ntg_scratch *s);

#define NTG_PREDICT_NO_SCORES 0x1u /* skip forward-backward: scores are 1 */
#define NTG_PREDICT_REFERENCE 0x2u /* the plain weight lookup, without the
                                       prefetching passes (for tests) */

/* Tags doc and writes its entities into *spans (count *n_spans), sorted and
 * never overlapping; the array lives in the scratch until its next use.
 * tags (may be NULL) receives the n decoded tags.  NER_OK or NER_ENOMEM. */
int ntg_predict(const ntg_model *m, const ntg_doc *doc, ntg_scratch *s,
                uint32_t flags, const ntg_span **spans, size_t *n_spans,
                uint16_t *tags);

/* Entities from a valid BILUO tag sequence: writes at most n spans to out
 * (score 1) and returns the count.  Lenient on invalid input (a B or I
 * without its L closes at the change). */
size_t ntg_tags_to_spans(const uint16_t *tags, size_t n, ntg_span *out);
/* BILUO tags of spans (sorted, disjoint, inside [0, n)); 0 when a span is
 * bad. */
int ntg_spans_to_tags(const ntg_span *spans, size_t n_spans, size_t n,
                      uint16_t *tags);

/* ------------------------------------------------------------ training */

typedef struct ntg_train_opts {
    ntg_feat_opts feat;
    uint32_t min_count;     /* keep features seen at least this often */
    uint64_t seed;          /* shuffling */
    double learning_rate;   /* update size (the averaged perceptron is
                               invariant to it; kept >0) */
    double prune;           /* drop averaged weights with |w| < prune */
} ntg_train_opts;

void ntg_train_opts_default(ntg_train_opts *o);

typedef struct ntg_trainer ntg_trainer;

int ntg_trainer_new(ntg_trainer **out, const ntg_train_opts *o,
                    const char *const *labels, size_t n_labels,
                    char *errbuf, size_t errlen);
void ntg_trainer_free(ntg_trainer *t);

/* Adds a training document; gold[i] is token i's tag or -1 when unknown
 * (a span that could not be aligned): the update then follows the best
 * sequence consistent with the known tags.  Copies what it needs. */
int ntg_trainer_add(ntg_trainer *t, const ntg_doc *doc, const int16_t *gold);

/* Adds a phrase of an external gazetteer (a list of names such as company
 * names, not tied to the model's labels): its n tokens, split the way the
 * text will be at run time.  gaz_label names the list ("ORG"); phrases of
 * one label form one list.  Every sentence of training and prediction is
 * then matched against the lists (longest match left to right, per list,
 * case as written; with NTG_F_XGAZ_LC also on lowercased tokens as a
 * separate feature) and the tokens get features of the list, their
 * position in the match (B I L U) and their shape.  The phrases are stored
 * (hashed) in the model.  Call before ntg_trainer_prepare.  NER_EINVAL for
 * n == 0, a bad label or after prepare; NER_ETOOBIG when n exceeds
 * NTG_GAZ_MAX_LEN or the label would be list NTG_MAX_XGAZ + 1 (the
 * phrase is not added). */
int ntg_trainer_add_phrase(ntg_trainer *t, const char *gaz_label,
                           const char *const *words, const size_t *lens,
                           size_t n);
/* Distinct phrases added so far (over every list). */
size_t ntg_trainer_phrase_count(const ntg_trainer *t);

/* Counts and prunes features; call once after the last add. */
int ntg_trainer_prepare(ntg_trainer *t, char *errbuf, size_t errlen);
size_t ntg_trainer_sentence_count(const ntg_trainer *t);
size_t ntg_trainer_token_count(const ntg_trainer *t);
size_t ntg_trainer_feature_count(const ntg_trainer *t);

/* Trains on the next n sentences (a new shuffled epoch starts whenever the
 * previous one is used up).  *mistakes / *tokens (may be NULL) get the
 * tokens tagged wrongly before the updates and the tokens seen. */
int ntg_trainer_step(ntg_trainer *t, size_t n, size_t *mistakes,
                     size_t *tokens);
/* Epochs begun so far. */
size_t ntg_trainer_epoch(const ntg_trainer *t);

/* The averaged model as of now. */
int ntg_trainer_snapshot(const ntg_trainer *t, double temperature,
                         ntg_model **out, char *errbuf, size_t errlen);

#endif
