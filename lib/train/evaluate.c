/* ner_evaluate: a pipeline against gold data, with lib/eval's scorer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>
#include "core/params.h"
#include "eval/scorer.h"
#include "io/buf.h"
#include "ner/ner_component.h"
#include "ner/ner_train.h"
#include "text/rule_tokenizer.h"
#include "text/utf8.h"
#include "train/data.h"

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The source line of the sentence holding code point cp of doc d. */
static size_t line_of(const ntr_doc *d, size_t cp)
{
    if (!d->sent_tok || d->n_sents == 0)
        return d->line;
    size_t line = d->sent_line[0];
    for (size_t s = 0; s < d->n_sents; s++) {
        size_t t = d->sent_tok[s];
        if (t < d->n_tok && d->tcs[t] <= cp)
            line = d->sent_line[s];
        else
            break;
    }
    return line;
}

static void add_text(json_t *span, const ner_doc *pd)
{
    if (!json_is_object(span))
        return;
    size_t s = (size_t)json_integer_value(json_object_get(span, "start"));
    size_t e = (size_t)json_integer_value(json_object_get(span, "end"));
    size_t bs = 0, be = 0, len = 0;
    const char *text = ner_doc_text(pd, &len);
    if (ner_doc_char_to_byte(pd, s, &bs) != NER_OK ||
        ner_doc_char_to_byte(pd, e, &be) != NER_OK || be < bs)
        return;
    json_object_set_new(span, "text", json_stringn(text + bs, be - bs));
}

/* Whether code point cp of d is whitespace as the tokenizer sees it (or
 * past the end). */
static int space_at(const ner_doc *d, const char *text, size_t len, size_t cp)
{
    size_t b = 0;
    if (ner_doc_char_to_byte(d, cp, &b) != NER_OK || b >= len)
        return 1;
    return nt_is_space(nt_utf8_next(text, len, &b));
}

/* Adds "line", span texts and a context excerpt to every example. */
static void decorate(json_t *root, const ntr_corpus *c, ner_doc **docs)
{
    json_t *ex = json_object_get(root, "error_examples");
    const char *cat;
    json_t *arr;
    json_object_foreach(ex, cat, arr) {
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
            size_t di = (size_t)json_integer_value(json_object_get(e, "doc"));
            if (di >= c->n_docs)
                continue;
            json_t *g = json_object_get(e, "gold"), *p = json_object_get(e, "pred");
            json_t *any = json_is_object(g) ? g : p;
            size_t s = (size_t)json_integer_value(json_object_get(any, "start"));
            size_t en = (size_t)json_integer_value(json_object_get(any, "end"));
            if (json_is_object(p)) {
                size_t ps = (size_t)json_integer_value(json_object_get(p, "start"));
                size_t pe = (size_t)json_integer_value(json_object_get(p, "end"));
                if (ps < s) s = ps;
                if (pe > en) en = pe;
            }
            json_object_set_new(e, "line", json_integer((json_int_t)line_of(&c->docs[di], s)));
            add_text(g, docs[di]);
            add_text(p, docs[di]);
            size_t len = 0, bs = 0, be = 0;
            const char *text = ner_doc_text(docs[di], &len);
            size_t nch = ner_doc_length_chars(docs[di]);
            size_t cs = s > 30 ? s - 30 : 0, ce = en + 30;
            if (ce > nch)
                ce = nch;
            /* Widen to whole words (at most 15 code points more a side) so
             * that the excerpt does not open or close mid-word. */
            for (int k = 0; k < 15 && cs > 0 && !space_at(docs[di], text, len, cs - 1); k++)
                cs--;
            for (int k = 0; k < 15 && ce < nch && !space_at(docs[di], text, len, ce); k++)
                ce++;
            if (ner_doc_char_to_byte(docs[di], cs, &bs) == NER_OK &&
                ner_doc_char_to_byte(docs[di], ce, &be) == NER_OK && be >= bs) {
                char *ctx = malloc(be - bs + 1);
                if (ctx) {
                    for (size_t k = 0; k < be - bs; k++) {
                        char ch = text[bs + k];
                        ctx[k] = (ch == '\n' || ch == '\t' || ch == '\r') ? ' ' : ch;
                    }
                    json_object_set_new(e, "context", json_stringn(ctx, be - bs));
                    json_object_set_new(e, "context_start", json_integer((json_int_t)cs));
                    free(ctx);
                }
            }
        }
    }
}

NER_API int ner_evaluate(const ner_pipeline *pl, const char *data_path,
                         const ner_eval_params *p, char **json_out,
                         char *errbuf, size_t errlen)
{
    if (json_out)
        *json_out = NULL;
    if (!pl || !data_path || !json_out) {
        nio_errf(errbuf, errlen, "ner_evaluate: pipeline, data path and json_out are required");
        return NER_EINVAL;
    }
    if (p && p->size < NC_PARAMS_MIN(ner_eval_params, flags)) {
        nio_errf(errbuf, errlen, "ner_eval_params: size %u is too small", p->size);
        return NER_EABI;
    }
    uint32_t threads = NC_PARAM(p, ner_eval_params, n_threads, 1);
    uint32_t format = NC_PARAM(p, ner_eval_params, format, NER_FORMAT_AUTO);
    uint32_t max_ex = NC_PARAM(p, ner_eval_params, max_examples, 5);
    uint32_t flags = NC_PARAM(p, ner_eval_params, flags, 0);
    int gold_only = (flags & NER_EVAL_GOLD_LABELS) != 0;
    int sentences = (flags & NER_EVAL_SENTENCES) != 0;
    size_t ignored = 0;
    ner_log_fn log = NC_PARAM(p, ner_eval_params, log, NULL);
    void *user = NC_PARAM(p, ner_eval_params, log_user, NULL);
    if (format > NER_FORMAT_CONLL) {
        nio_errf(errbuf, errlen, "ner_evaluate: unknown format %u", format);
        return NER_EINVAL;
    }
    double t0 = now_sec();
    ntr_corpus *c = NULL;
    int rc = ntr_corpus_read(&c, data_path, (int)format, NULL, NER_ALIGN_STRICT, threads,
                             sentences ? NTR_READ_SENTENCES : 0, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    if (c->n_repairs)
        ntr_log(log, user, NER_LOG_WARN, "%s: %zu invalid tag sequences were repaired "
                "while reading", data_path, c->n_repairs);
    size_t n = c->n_docs;
    const char **texts = malloc((n ? n : 1) * sizeof *texts);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    ner_doc **docs = calloc(n ? n : 1, sizeof *docs);
    nev_scorer *s = NULL;
    nev_span *g = NULL, *q = NULL;
    json_t *root = NULL;
    if (!texts || !lens || !docs) {
        rc = NER_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = c->docs[i].text;
        lens[i] = c->docs[i].len;
    }
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = threads;
    char sub[NER_ERRBUF_SIZE] = "";
    rc = ner_pipeline_process_batch(pl, texts, lens, n, docs, &bp, sub, sizeof sub);
    if (rc != NER_OK) {
        nio_errf(errbuf, errlen, "%s: processing: %s", data_path, sub);
        goto done;
    }
    double secs = now_sec() - t0;
    if ((rc = nev_scorer_new(&s, max_ex)) != NER_OK)
        goto done;
    size_t tokens = 0;
    for (size_t i = 0; i < n; i++) {
        const ntr_doc *d = &c->docs[i];
        const ner_ents *pe = ner_doc_ents(docs[i]);
        size_t np = ner_ents_count(pe);
        tokens += ner_doc_token_count(docs[i]);
        free(g);
        free(q);
        g = malloc((d->n_ents ? d->n_ents : 1) * sizeof *g);
        q = malloc((np ? np : 1) * sizeof *q);
        if (!g || !q) {
            rc = NER_ENOMEM;
            goto done;
        }
        for (size_t k = 0; k < d->n_ents; k++)
            g[k] = (nev_span){d->ents[k].start_char, d->ents[k].end_char,
                              nio_strtab_get(&c->labels, d->ents[k].label)};
        size_t nq = 0;
        for (size_t k = 0; k < np; k++) {
            const ner_span *sp = ner_ents_get(pe, k);
            const char *label = ner_span_label(sp);
            uint32_t id;
            if (gold_only && nio_strtab_find(&c->labels, label, strlen(label), &id) != NER_OK) {
                ignored++;
                continue;
            }
            q[nq++] = (nev_span){ner_span_start_char(sp), ner_span_end_char(sp), label};
        }
        if ((rc = nev_scorer_add(s, g, d->n_ents, q, nq)) != NER_OK)
            goto done;
    }
    root = nev_scores_to_json(s);
    if (!root) {
        rc = NER_ENOMEM;
        goto done;
    }
    decorate(root, c, docs);
    json_object_set_new(root, "tokens", json_integer((json_int_t)tokens));
    json_object_set_new(root, "format", json_string(c->format == NER_FORMAT_JSONL ? "jsonl" : "conll"));
    json_object_set_new(root, "seconds", json_real(secs));
    json_object_set_new(root, "ignored_pred", json_integer((json_int_t)ignored));
    *json_out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!*json_out)
        rc = NER_ENOMEM;
done:
    if (rc == NER_ENOMEM)
        nio_errf(errbuf, errlen, "ner_evaluate: out of memory");
    json_decref(root);
    free(g);
    free(q);
    nev_scorer_free(s);
    if (docs)
        for (size_t i = 0; i < n; i++)
            ner_doc_free(docs[i]);
    free(docs);
    free(texts);
    free(lens);
    ntr_corpus_free(c);
    return rc;
}
