/* Scoring a predicted column file against a gold one. */
#ifndef NER_EVAL_CONLL_EVAL_H
#define NER_EVAL_CONLL_EVAL_H

#include <stddef.h>

#include "eval/scorer.h"
#include "io/conll.h"

/* Adds one scorer document per gold document.  The two corpora must hold
 * the same sentences with the same tokens (the predicted file's documents
 * are ignored); spans are compared in token offsets counted from the start
 * of the gold document, so the examples name document-level tokens.
 * NER_EINVAL with errbuf naming the first mismatch (sentence count, token
 * count or text, with both line numbers; nothing is added), or NER_ENOMEM
 * (the documents before the failure stay added). */
int nev_scorer_add_conll(nev_scorer *s, const nio_conll *gold,
                         const nio_conll *pred, char *errbuf, size_t errlen);

#endif
