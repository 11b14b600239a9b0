/*
 * Token-classification post-processing exactly as transformers'
 * TokenClassificationPipeline does it (../shared/REFERENCE.md, "Token
 * classification pipeline"): softmax, sub-word grouping into words, the
 * aggregation strategies, ignore_labels, and the merge of the entities of
 * overlapping windows.  Pure: arrays in, arrays out; no docs, no model.
 *
 * FLOAT32, AS NUMPY DOES IT
 *   softmax      p = exp(l - max) / sum, all in float32; the sum in numpy's
 *                pairwise order (8 accumulators from 8 values up, halves
 *                above 128), exp from libm's expf (numpy's SIMD expf may
 *                differ in the last bit).
 *   average      per label, the word's token probabilities summed in order
 *                in float32, then divided by the count in double and
 *                rounded to float32 (numpy's nanmean).
 *   group score  the mean of the member scores: float32 pairwise sum, divided
 *                in double, rounded to float32.
 * Ties: argmax takes the first maximum; "max" takes the first token with the
 * highest top probability.
 *
 * LABELS
 *   A label "B-X" parses to (B, X), "I-X" to (I, X), anything else to
 *   (I, label).  A word joins the open group when its X equals the group's
 *   and its tag is not B.  The group's label is its first member's label
 *   after the first "-" (the whole label when it has none), as transformers'
 *   entities[0]["entity"].split("-", 1)[-1].
 *
 * THREADS
 *   nc_agg_labels is immutable after nc_agg_labels_new; the other calls
 *   touch only what they are given.
 */
#ifndef NER_COMPONENTS_BERT_AGGREGATE_H
#define NER_COMPONENTS_BERT_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#define NC_AGG_NONE    0
#define NC_AGG_SIMPLE  1
#define NC_AGG_FIRST   2
#define NC_AGG_AVERAGE 3
#define NC_AGG_MAX     4

/* "none", "simple", "first", "average", "max" -> NC_AGG_*; -1 otherwise. */
int nc_agg_parse(const char *name);
/* The name of a strategy ("?" when unknown); a static string. */
const char *nc_agg_name(int strategy);

/* In place: each of rows rows of cols floats becomes its softmax. */
void nc_agg_softmax(float *x, size_t rows, size_t cols);

/* float32 sum of n floats in numpy's pairwise order. */
float nc_agg_pairwise_sum(const float *a, size_t n);

/* The model's labels, parsed once. */
typedef struct nc_agg_labels nc_agg_labels;

/* id2label: n label strings (copied).  ignore: nignore labels (copied),
 * compared with a token's label for "none" and with a group's label
 * otherwise.  NULL on out of memory. */
nc_agg_labels *nc_agg_labels_new(const char *const *id2label, size_t n,
                                 const char *const *ignore, size_t nignore);
void nc_agg_labels_free(nc_agg_labels *L);
size_t nc_agg_labels_count(const nc_agg_labels *L);
/* The labels a strategy can output once ignore_labels are applied: for
 * "none" the model's labels, otherwise the distinct group labels; in id
 * order.  *out borrowed from L. */
size_t nc_agg_output_labels(const nc_agg_labels *L, int strategy,
                            const char *const **out);

/* One token of a window (special tokens left out). */
typedef struct nc_agg_token {
    const float *probs;  /* num_labels probabilities */
    size_t start, end;   /* code points of the original text */
    size_t piece;        /* the caller's index, carried to the entities */
    int is_subword;      /* transformers' sub-word test (see the component) */
} nc_agg_token;

/* One result: a token ("none") or a group. */
typedef struct nc_agg_entity {
    const char *label;   /* borrowed from the nc_agg_labels */
    float score;
    size_t start, end;   /* code points */
    size_t first, last;  /* piece of the first and the last member token */
} nc_agg_entity;

/* A growable array of results. */
typedef struct nc_agg_vec {
    nc_agg_entity *e;
    size_t n, cap;
} nc_agg_vec;

void nc_agg_vec_free(nc_agg_vec *v);

/* Aggregates the n tokens of one window with a strategy, applies
 * ignore_labels, and appends the results to out.  NER_OK, NER_ENOMEM,
 * NER_EINVAL (unknown strategy). */
int nc_agg_window(const nc_agg_labels *L, int strategy, const nc_agg_token *toks,
                  size_t n, nc_agg_vec *out);

/* transformers' aggregate_overlapping_entities over the results of all
 * windows: stable sort by start; an entity starting inside the one kept
 * before replaces it when longer (in code points), or as long with a higher
 * score.  Rewrites v in place.  NER_OK or NER_ENOMEM. */
int nc_agg_merge_windows(nc_agg_vec *v);

/* Windows over npieces pieces: at most len pieces each, starting every
 * len - stride pieces, the last one reaching the end (the Rust tokenizers'
 * overflowing tokens with stride).  Writes the starts into starts (may be
 * NULL to count) and returns their number; 0 pieces give 0 windows.
 * Requires stride < len. */
size_t nc_agg_windows(size_t npieces, size_t len, size_t stride, size_t *starts);

#endif
