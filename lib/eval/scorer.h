/* Span scorer: exact-match precision, recall and F1 (micro and per label),
 * error categories with examples, and a label confusion table, accumulated
 * over documents of (gold spans, predicted spans).
 *
 * SPANS
 *   A span is [start, end) with start < end and a non-empty label, in any
 *   offset unit the caller uses consistently (tokens, bytes, code points).
 *   Two spans overlap when they share at least one unit
 *   (a.start < b.end && b.start < a.end).  Spans of one list may overlap and
 *   repeat; the order does not matter.
 *
 * MATCHING
 *   Within a document, a prediction is correct (tp) when a gold span has the
 *   same start, end and label; gold and predicted spans are matched one to
 *   one, so with duplicates each gold span matches at most one prediction.
 *   Unmatched predictions are false positives (fp, counted under the
 *   predicted label), unmatched gold spans false negatives (fn, counted
 *   under the gold label).
 *
 * SCORES (the conventions of spaCy's PRFScore, as fractions in [0, 1])
 *   p = tp / (tp + fp), 0 when tp + fp == 0 (nothing predicted);
 *   r = tp / (tp + fn), 0 when tp + fn == 0 (nothing to find);
 *   f = 2 p r / (p + r), 0 when p + r == 0.
 *   Micro scores sum tp, fp and fn over all labels.  (spaCy reports null
 *   instead of 0 when there are neither gold nor predicted spans at all;
 *   here all three are 0.)
 *
 * ERROR CATEGORIES (every unmatched span is looked at once)
 *   Each unmatched prediction gets exactly one category, decided against
 *   its best gold span: among the gold spans overlapping it (matched or
 *   not, except gold spans identical to it in start, end and label, which
 *   a duplicate prediction may meet), the one with the same boundaries,
 *   else the largest overlap, then the same label, then the earliest
 *   (smallest start, then end).  Against that gold span:
 *     type           same start and end, different label;
 *     boundary       different boundaries, same label;
 *     boundary_type  different boundaries, different label;
 *     spurious       no gold span overlaps the prediction.
 *   Each unmatched gold span that overlaps no unmatched prediction is
 *     missing.
 *   An unmatched gold span overlapped by some unmatched prediction is not
 *   counted again: that prediction's error accounts for it, even when the
 *   prediction was judged against another gold span.  Hence
 *     fp == type + boundary + boundary_type + spurious
 *     fn == missing + (unmatched gold spans overlapped by an unmatched
 *                      prediction)  >= missing.
 *   For each category the first max_examples errors (in document order,
 *   then by start) are kept with the document index and both spans.
 *
 * CONFUSION (gold label x predicted label, "O" for none)
 *   One count per predicted span: a correct one at (label, label), a wrong
 *   one at (label of its best gold span, predicted label), a spurious one at
 *   ("O", predicted label); plus one count per missing gold span at
 *   (gold label, "O").  The table sums to n_pred + missing.
 */
#ifndef NER_EVAL_SCORER_H
#define NER_EVAL_SCORER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nev_span {
    size_t start, end;
    const char *label;
} nev_span;

typedef enum nev_error_kind {
    NEV_ERR_TYPE = 0,
    NEV_ERR_BOUNDARY,
    NEV_ERR_BOUNDARY_TYPE,
    NEV_ERR_SPURIOUS,
    NEV_ERR_MISSING,
    NEV_ERR_COUNT
} nev_error_kind;

/* "type", "boundary", "boundary_type", "spurious", "missing"; NULL when k
 * is out of range. */
const char *nev_error_name(nev_error_kind k);

/* The label of "no entity" in the confusion table. */
#define NEV_NONE_LABEL "O"

/* One kept error.  gold.label is NULL for spurious, pred.label NULL for
 * missing.  Labels are valid until the scorer is freed. */
typedef struct nev_example {
    size_t doc;
    nev_span gold, pred;
} nev_example;

typedef struct nev_prf {
    size_t tp, fp, fn;
    double p, r, f;
} nev_prf;

/* Fills p, r and f of x from its tp, fp and fn (see SCORES). */
void nev_prf_compute(nev_prf *x);

typedef struct nev_scorer nev_scorer;

/* A scorer keeping up to max_examples examples per error category.
 * Caller frees with nev_scorer_free.  NER_EINVAL or NER_ENOMEM. */
int nev_scorer_new(nev_scorer **out, size_t max_examples);
void nev_scorer_free(nev_scorer *s);

/* Scores one document; its index is the number of documents added before.
 * Labels are copied.  NER_EINVAL (a span with start >= end or no label;
 * nothing is counted) or NER_ENOMEM. */
int nev_scorer_add(nev_scorer *s, const nev_span *gold, size_t n_gold,
                   const nev_span *pred, size_t n_pred);

size_t nev_scorer_doc_count(const nev_scorer *s);
/* Micro-averaged counts and scores over all labels. */
void nev_scorer_micro(const nev_scorer *s, nev_prf *out);
/* Labels seen so far, in order of first sight; NULL when out of range. */
size_t nev_scorer_label_count(const nev_scorer *s);
const char *nev_scorer_label(const nev_scorer *s, size_t i);
/* Counts and scores of one label; NER_ENOTFOUND (and zeros) when unseen. */
int nev_scorer_label_prf(const nev_scorer *s, const char *label, nev_prf *out);
/* Errors of a category, and the examples kept (NULL when out of range). */
size_t nev_scorer_errors(const nev_scorer *s, nev_error_kind k);
size_t nev_scorer_example_count(const nev_scorer *s, nev_error_kind k);
const nev_example *nev_scorer_example(const nev_scorer *s, nev_error_kind k,
                                      size_t i);
/* A cell of the confusion table; NULL (or NEV_NONE_LABEL) stands for none. */
size_t nev_scorer_confusion(const nev_scorer *s, const char *gold_label,
                            const char *pred_label);

/* Everything as a new JSON object (caller json_decref's it; NULL when out of
 * memory):
 *   {"ents_p", "ents_r", "ents_f": reals,
 *    "ents_tp", "ents_fp", "ents_fn": integers,
 *    "ents_per_type": {label: {"p", "r", "f", "tp", "fp", "fn"}},
 *    "errors": {"type": n, "boundary": n, "boundary_type": n,
 *               "spurious": n, "missing": n},
 *    "error_examples": {category: [{"doc": i, "gold": {"start", "end",
 *                       "label"} or null, "pred": {...} or null}]},
 *    "confusion": {gold label: {predicted label: n}},
 *    "docs": n}
 * Labels in ents_per_type and confusion are sorted by byte order, "O" last;
 * a label appears in ents_per_type when tp + fp + fn > 0. */
json_t *nev_scores_to_json(const nev_scorer *s);

#endif
