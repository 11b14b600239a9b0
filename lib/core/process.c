/* Running a pipeline over texts: one at a time, or batches on threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "core/params.h"
#include "text/utf8.h"

/* Runs every component over the docs whose status is still NER_OK.  A doc
 * that fails is reset (no tokens, no entities) and keeps its message. */
int nc_pipeline_run(const ner_pipeline *pl, ner_doc *const *docs, size_t n)
{
    ner_doc **live = malloc((n ? n : 1) * sizeof *live);
    if (!live)
        return NER_ENOMEM;
    int first = NER_OK;
    for (size_t c = 0; c < pl->ncomp; c++) {
        const nc_comp *comp = &pl->comps[c];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (docs[i]->status == NER_OK)
                live[m++] = docs[i];
        if (m == 0)
            break;
        const ner_component_vtable *vt = comp->vt;
        int has_batch = vt->size >= offsetof(ner_component_vtable, process_batch) +
                                        sizeof vt->process_batch && vt->process_batch;
        if (has_batch) {
            int rc = vt->process_batch(comp->state, live, m);
            if (rc != NER_OK) {
                int marked = 0;
                for (size_t i = 0; i < m; i++)
                    marked |= live[i]->status != NER_OK;
                for (size_t i = 0; !marked && i < m; i++)
                    ner_doc_set_error(live[i], rc, "component \"%s\" failed: %s",
                                      comp->name, ner_strerror(rc));
            }
        } else {
            for (size_t i = 0; i < m; i++) {
                int rc = vt->process(comp->state, live[i]);
                if (rc != NER_OK && live[i]->status == NER_OK)
                    ner_doc_set_error(live[i], rc, "component \"%s\" failed: %s",
                                      comp->name, ner_strerror(rc));
            }
        }
        for (size_t i = 0; i < m; i++) {
            if (live[i]->status != NER_OK) {
                nc_doc_reset(live[i]);
                if (first == NER_OK)
                    first = live[i]->status;
            }
        }
    }
    free(live);
    return first;
}

/* Makes a doc for one text; a text that is not valid UTF-8 or too long
 * gets an empty doc carrying the error. */
static ner_doc *make_doc(const ner_pipeline *pl, const char *text, size_t len)
{
    size_t bad = 0;
    int rc = NER_OK;
    if (len > NER_MAX_TEXT_BYTES)
        rc = NER_ETOOBIG;
    else if (len && !text)
        rc = NER_EINVAL;
    else if (!nt_utf8_valid(text, len, &bad))
        rc = NER_EUTF8;
    ner_doc *d = nc_doc_new((ner_pipeline *)pl, rc == NER_OK ? text : "",
                            rc == NER_OK ? len : 0);
    if (!d)
        return NULL;
    if (rc == NER_ETOOBIG)
        ner_doc_set_error(d, rc, "text of %zu bytes is over the limit of %zu",
                          len, (size_t)NER_MAX_TEXT_BYTES);
    else if (rc == NER_EINVAL)
        ner_doc_set_error(d, rc, "text is NULL but its length is %zu", len);
    else if (rc == NER_EUTF8)
        ner_doc_set_error(d, rc, "invalid UTF-8 at byte offset %zu (byte 0x%02X)",
                          bad, (unsigned)(unsigned char)text[bad]);
    return d;
}

NER_API int ner_pipeline_process(const ner_pipeline *pl, const char *text,
                                 size_t len, ner_doc **out, char *errbuf,
                                 size_t errlen)
{
    if (!out)
        return NER_EINVAL;
    *out = NULL;
    if (!pl) {
        nu_errf(errbuf, errlen, "ner_pipeline_process: pipeline is NULL");
        return NER_EINVAL;
    }
    ner_doc *d = make_doc(pl, text, len);
    if (!d)
        return NER_ENOMEM;
    int rc = d->status;
    if (rc == NER_OK) {
        ner_doc *one[1] = {d};
        rc = nc_pipeline_run(pl, one, 1);
    }
    if (rc != NER_OK) {
        nu_errf(errbuf, errlen, "%s", d->errmsg);
        ner_doc_free(d);
        return rc;
    }
    *out = d;
    return NER_OK;
}

typedef struct batch_job {
    const ner_pipeline *pl;
    const char *const *texts;
    const size_t *lens;
    size_t n, chunk;
    ner_doc **docs;
    atomic_size_t next;
    atomic_int oom;
} batch_job;

static void run_chunks(batch_job *job)
{
    for (;;) {
        size_t i0 = atomic_fetch_add(&job->next, job->chunk);
        if (i0 >= job->n)
            return;
        size_t i1 = i0 + job->chunk < job->n ? i0 + job->chunk : job->n;
        for (size_t i = i0; i < i1; i++) {
            const char *t = job->texts[i];
            size_t len = job->lens ? job->lens[i] : (t ? strlen(t) : 0);
            job->docs[i] = make_doc(job->pl, t, len);
            if (!job->docs[i])
                atomic_store(&job->oom, 1);
        }
        if (atomic_load(&job->oom))
            return;
        if (nc_pipeline_run(job->pl, job->docs + i0, i1 - i0) == NER_ENOMEM)
            atomic_store(&job->oom, 1);
    }
}

static void *worker(void *arg)
{
    run_chunks(arg);
    return NULL;
}

NER_API int ner_pipeline_process_batch(const ner_pipeline *pl,
                                       const char *const *texts,
                                       const size_t *lens, size_t n,
                                       ner_doc **docs,
                                       const ner_batch_params *p,
                                       char *errbuf, size_t errlen)
{
    if (!pl || (n && (!texts || !docs))) {
        nu_errf(errbuf, errlen, "ner_pipeline_process_batch: pipeline, texts "
                "and docs are required");
        return NER_EINVAL;
    }
    if (p && p->size < NC_PARAMS_MIN(ner_batch_params, n_threads)) {
        nu_errf(errbuf, errlen, "ner_batch_params: size %u is too small", p->size);
        return NER_EABI;
    }
    if (n)
        memset(docs, 0, n * sizeof *docs);
    uint32_t threads = NC_PARAM(p, ner_batch_params, n_threads, 1);
    uint32_t bs = NC_PARAM(p, ner_batch_params, batch_size, 64);
    if (bs == 0)
        bs = 64;
    if (threads == 0)
        threads = 1;
    if (threads > 256)
        threads = 256;
    batch_job job = {.pl = pl, .texts = texts, .lens = lens, .n = n, .chunk = bs,
                     .docs = docs};
    atomic_init(&job.next, 0);
    atomic_init(&job.oom, 0);
    size_t want = (n + bs - 1) / bs;
    if (threads > want)
        threads = want ? (uint32_t)want : 1;
    pthread_t *tids = NULL;
    size_t started = 0;
    if (threads > 1 && (tids = malloc((threads - 1) * sizeof *tids)))
        for (; started < threads - 1; started++)
            if (pthread_create(&tids[started], NULL, worker, &job) != 0)
                break;
    run_chunks(&job);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    free(tids);
    if (atomic_load(&job.oom)) {
        for (size_t i = 0; i < n; i++) {
            ner_doc_free(docs[i]);
            docs[i] = NULL;
        }
        nu_errf(errbuf, errlen, "out of memory processing a batch of %zu texts", n);
        return NER_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (docs[i]->status != NER_OK) {
            nu_errf(errbuf, errlen, "text %zu: %s", i, docs[i]->errmsg);
            return docs[i]->status;
        }
    }
    return NER_OK;
}
