/* Running a tagger model over a corpus and scoring it (private to
 * lib/train). */
#ifndef NER_TRAIN_PREDICT_H
#define NER_TRAIN_PREDICT_H

#include "eval/scorer.h"
#include "tagger/tagger.h"
#include "train/data.h"

/* Predicted spans of every doc, in token units. */
typedef struct ntr_preds {
    ntg_span **spans;
    size_t *n;
    size_t n_docs;
} ntr_preds;

void ntr_preds_free(ntr_preds *p);

/* Predicts every doc of c with m on n_threads threads (the result does not
 * depend on the thread count).  flags: NTG_PREDICT_*. */
int ntr_predict_corpus(const ntg_model *m, const ntr_corpus *c,
                       uint32_t n_threads, uint32_t flags, ntr_preds *out);

/* Scores predictions against the gold entities of c in code points.
 * *out is a new scorer. */
int ntr_score(const ntr_corpus *c, const ntr_preds *p, const ntg_model *m,
              size_t max_examples, nev_scorer **out);

#endif
