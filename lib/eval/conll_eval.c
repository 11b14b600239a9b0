#include "eval/conll_eval.h"

#include <stdlib.h>
#include <string.h>

#include "io/buf.h"
#include "ner/ner.h"

static int check_aligned(const nio_conll *g, const nio_conll *p,
                         char *errbuf, size_t errlen)
{
    if (g->n_sents != p->n_sents) {
        nio_errf(errbuf, errlen,
                 "the gold file has %zu sentences, the predicted file %zu",
                 g->n_sents, p->n_sents);
        return NER_EINVAL;
    }
    for (size_t i = 0; i < g->n_sents; i++) {
        const nio_conll_sentence *a = &g->sents[i], *b = &p->sents[i];
        if (a->n_tokens != b->n_tokens) {
            nio_errf(errbuf, errlen,
                     "sentence %zu: %zu tokens in the gold file (line %zu), "
                     "%zu in the predicted file (line %zu)", i, a->n_tokens,
                     a->line, b->n_tokens, b->line);
            return NER_EINVAL;
        }
        for (size_t k = 0; k < a->n_tokens; k++) {
            const nio_conll_token *x = &g->tokens[a->first_token + k];
            const nio_conll_token *y = &p->tokens[b->first_token + k];
            if (strcmp(x->text, y->text) != 0) {
                nio_errf(errbuf, errlen,
                         "tokens differ: \"%.60s\" (gold line %zu) and "
                         "\"%.60s\" (predicted line %zu)", x->text, x->line,
                         y->text, y->line);
                return NER_EINVAL;
            }
        }
    }
    return NER_OK;
}

static size_t doc_spans(const nio_conll *c, size_t first_sent, size_t n_sents,
                        nev_span *out)
{
    size_t n = 0, base = 0;
    for (size_t i = first_sent; i < first_sent + n_sents; i++) {
        const nio_conll_sentence *st = &c->sents[i];
        for (size_t k = 0; k < st->n_spans; k++) {
            const nio_span *sp = &c->spans[st->first_span + k];
            out[n++] = (nev_span){base + sp->start, base + sp->end,
                                  nio_strtab_get(&c->labels, sp->label)};
        }
        base += st->n_tokens;
    }
    return n;
}

int nev_scorer_add_conll(nev_scorer *s, const nio_conll *gold,
                         const nio_conll *pred, char *errbuf, size_t errlen)
{
    if (!s || !gold || !pred) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    int rc = check_aligned(gold, pred, errbuf, errlen);
    if (rc)
        return rc;
    size_t n = gold->n_spans + pred->n_spans;
    nev_span *buf = n ? malloc(n * sizeof *buf) : NULL;
    if (n && !buf) {
        nio_errf(errbuf, errlen, "out of memory");
        return NER_ENOMEM;
    }
    for (size_t d = 0; d < gold->n_docs && !rc; d++) {
        const nio_conll_doc *doc = &gold->docs[d];
        size_t ng = doc_spans(gold, doc->first_sentence, doc->n_sentences, buf);
        nev_span *pbuf = buf ? buf + ng : NULL;
        size_t np = doc_spans(pred, doc->first_sentence, doc->n_sentences,
                              pbuf);
        rc = nev_scorer_add(s, buf, ng, pbuf, np);
        if (rc)
            nio_errf(errbuf, errlen, "document %zu: %s", d,
                     rc == NER_ENOMEM ? "out of memory" : "invalid span");
    }
    free(buf);
    return rc;
}
