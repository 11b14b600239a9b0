/* Corpus prediction on threads and scoring. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner.h"
#include "train/predict.h"

void ntr_preds_free(ntr_preds *p)
{
    if (!p)
        return;
    if (p->spans)
        for (size_t i = 0; i < p->n_docs; i++)
            free(p->spans[i]);
    free(p->spans);
    free(p->n);
    memset(p, 0, sizeof *p);
}

typedef struct pjob {
    const ntg_model *m;
    const ntr_corpus *c;
    ntr_preds *out;
    uint32_t flags;
    atomic_size_t next;
    atomic_int failed;
} pjob;

static void *pworker(void *arg)
{
    pjob *j = arg;
    ntg_scratch *s = ntg_scratch_new();
    if (!s) {
        atomic_store(&j->failed, NER_ENOMEM);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->c->n_docs || atomic_load(&j->failed))
            break;
        const ntr_doc *d = &j->c->docs[i];
        ntg_doc nd = {d->words, d->wlen, d->n_tok, d->sent_start};
        const ntg_span *sp = NULL;
        size_t ns = 0;
        int rc = ntg_predict(j->m, &nd, s, j->flags, &sp, &ns, NULL);
        if (rc == NER_OK && ns) {
            j->out->spans[i] = malloc(ns * sizeof *sp);
            if (!j->out->spans[i])
                rc = NER_ENOMEM;
            else
                memcpy(j->out->spans[i], sp, ns * sizeof *sp);
        }
        if (rc != NER_OK) {
            atomic_store(&j->failed, rc);
            break;
        }
        j->out->n[i] = ns;
    }
    ntg_scratch_free(s);
    return NULL;
}

int ntr_predict_corpus(const ntg_model *m, const ntr_corpus *c,
                       uint32_t n_threads, uint32_t flags, ntr_preds *out)
{
    memset(out, 0, sizeof *out);
    size_t n = c->n_docs;
    out->spans = calloc(n ? n : 1, sizeof *out->spans);
    out->n = calloc(n ? n : 1, sizeof *out->n);
    out->n_docs = n;
    if (!out->spans || !out->n) {
        ntr_preds_free(out);
        return NER_ENOMEM;
    }
    pjob j = {.m = m, .c = c, .out = out, .flags = flags};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    if (n_threads < 1)
        n_threads = 1;
    if (n_threads > 64)
        n_threads = 64;
    pthread_t tids[64];
    uint32_t started = 0;
    for (; started + 1 < n_threads; started++)
        if (pthread_create(&tids[started], NULL, pworker, &j) != 0)
            break;
    pworker(&j);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    int rc = atomic_load(&j.failed);
    if (rc != NER_OK)
        ntr_preds_free(out);
    return rc;
}

int ntr_score(const ntr_corpus *c, const ntr_preds *p, const ntg_model *m,
              size_t max_examples, nev_scorer **out)
{
    nev_scorer *s = NULL;
    int rc = nev_scorer_new(&s, max_examples);
    if (rc != NER_OK)
        return rc;
    nev_span *g = NULL, *q = NULL;
    size_t gcap = 0, qcap = 0;
    for (size_t i = 0; rc == NER_OK && i < c->n_docs; i++) {
        const ntr_doc *d = &c->docs[i];
        if (d->n_ents > gcap) {
            gcap = d->n_ents * 2;
            nev_span *ng = realloc(g, gcap * sizeof *g);
            if (!ng) { rc = NER_ENOMEM; break; }
            g = ng;
        }
        size_t np = p->n[i];
        if (np > qcap) {
            qcap = np * 2;
            nev_span *nq = realloc(q, qcap * sizeof *q);
            if (!nq) { rc = NER_ENOMEM; break; }
            q = nq;
        }
        for (size_t k = 0; k < d->n_ents; k++)
            g[k] = (nev_span){d->ents[k].start_char, d->ents[k].end_char,
                              nio_strtab_get(&c->labels, d->ents[k].label)};
        for (size_t k = 0; k < np; k++) {
            const ntg_span *sp = &p->spans[i][k];
            q[k] = (nev_span){d->tcs[sp->start], d->tce[sp->end - 1],
                              ntg_model_label(m, sp->label)};
        }
        rc = nev_scorer_add(s, g, d->n_ents, q, np);
    }
    free(g);
    free(q);
    if (rc != NER_OK) {
        nev_scorer_free(s);
        return rc;
    }
    *out = s;
    return NER_OK;
}
