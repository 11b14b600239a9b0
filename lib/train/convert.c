/* ner_convert: column files <-> JSONL. */
#include <stdlib.h>
#include <string.h>
#include "core/params.h"
#include "io/buf.h"
#include "io/conll.h"
#include "io/jsonl_corpus.h"
#include "ner/ner_component.h"
#include "ner/ner_train.h"
#include "train/data.h"

static int map_scheme(uint32_t s, nio_scheme *out)
{
    switch (s) {
    case NER_SCHEME_IOB2: *out = NIO_SCHEME_IOB2; return NER_OK;
    case NER_SCHEME_IOB1: *out = NIO_SCHEME_IOB1; return NER_OK;
    case NER_SCHEME_BILOU: *out = NIO_SCHEME_BILOU; return NER_OK;
    case NER_SCHEME_BIOES: *out = NIO_SCHEME_BIOES; return NER_OK;
    default: return NER_EINVAL;
    }
}

/* Column file to JSONL, per sentence or per document. */
static int conll_to_jsonl(const ntr_corpus *c, int per_doc, nio_buf *out,
                          char *errbuf, size_t errlen)
{
    nio_char_span *sp = NULL;
    size_t cap = 0;
    int rc = NER_OK;
    for (size_t i = 0; rc == NER_OK && i < c->n_docs; i++) {
        const ntr_doc *d = &c->docs[i];
        size_t units = per_doc ? 1 : d->n_sents;
        for (size_t u = 0; rc == NER_OK && u < units; u++) {
            size_t t0 = per_doc ? 0 : d->sent_tok[u];
            size_t t1 = per_doc || u + 1 == d->n_sents ? d->n_tok : d->sent_tok[u + 1];
            if (t1 <= t0)
                continue;
            if (d->n_ents > cap) {
                cap = d->n_ents * 2;
                nio_char_span *n = realloc(sp, cap * sizeof *sp);
                if (!n) {
                    rc = NER_ENOMEM;
                    break;
                }
                sp = n;
            }
            size_t k = 0;
            size_t cbase = d->tcs[t0], bbase = d->tb[t0];
            for (size_t e = 0; e < d->n_ents; e++) {
                const ntr_ent *x = &d->ents[e];
                if (x->tok_start < t0 || x->tok_start >= t1)
                    continue;
                sp[k++] = (nio_char_span){x->start_char - cbase, x->end_char - cbase,
                                          nio_strtab_get(&c->labels, x->label)};
            }
            rc = nio_jsonl_write_record(out, d->text + bbase, d->te[t1 - 1] - bbase, sp, k,
                                        errbuf, errlen);
        }
    }
    free(sp);
    return rc;
}

/* JSONL (tokenized and aligned) to a column file. */
static int jsonl_to_conll(const ntr_corpus *c, nio_scheme scheme, nio_buf *out,
                          char *errbuf, size_t errlen)
{
    size_t nl = nio_strtab_count(&c->labels);
    const char **labels = malloc((nl ? nl : 1) * sizeof *labels);
    if (!labels)
        return NER_ENOMEM;
    for (size_t i = 0; i < nl; i++)
        labels[i] = nio_strtab_get(&c->labels, (uint32_t)i);
    int rc = NER_OK;
    for (size_t i = 0; rc == NER_OK && i < c->n_docs; i++) {
        const ntr_doc *d = &c->docs[i];
        if (d->n_tok == 0)
            continue;
        char **toks = calloc(d->n_tok, sizeof *toks);
        nio_span *sp = malloc((d->n_ents ? d->n_ents : 1) * sizeof *sp);
        if (!toks || !sp) {
            free(toks);
            free(sp);
            rc = NER_ENOMEM;
            break;
        }
        for (size_t t = 0; t < d->n_tok && rc == NER_OK; t++) {
            toks[t] = malloc(d->wlen[t] + 1);
            if (!toks[t]) {
                rc = NER_ENOMEM;
                break;
            }
            memcpy(toks[t], d->words[t], d->wlen[t]);
            toks[t][d->wlen[t]] = '\0';
        }
        size_t k = 0;
        for (size_t e = 0; e < d->n_ents; e++)
            if (d->ents[e].tok_start < d->ents[e].tok_end)
                sp[k++] = (nio_span){d->ents[e].tok_start, d->ents[e].tok_end, d->ents[e].label};
        if (rc == NER_OK)
            rc = nio_conll_write_sentence(out, (const char *const *)toks, NULL, d->n_tok,
                                          sp, k, labels, nl, scheme, '\t', errbuf, errlen);
        for (size_t t = 0; t < d->n_tok; t++)
            free(toks[t]);
        free(toks);
        free(sp);
    }
    free(labels);
    return rc;
}

NER_API int ner_convert(const char *in_path, const char *out_path,
                        const ner_convert_params *p, char *errbuf, size_t errlen)
{
    if (!in_path || !out_path) {
        nio_errf(errbuf, errlen, "ner_convert: input and output paths are required");
        return NER_EINVAL;
    }
    if (p && p->size < NC_PARAMS_MIN(ner_convert_params, flags)) {
        nio_errf(errbuf, errlen, "ner_convert_params: size %u is too small", p->size);
        return NER_EABI;
    }
    uint32_t flags = NC_PARAM(p, ner_convert_params, flags, 0);
    uint32_t from = NC_PARAM(p, ner_convert_params, from_format, NER_FORMAT_AUTO);
    uint32_t to = NC_PARAM(p, ner_convert_params, to_format, NER_FORMAT_AUTO);
    uint32_t sch = NC_PARAM(p, ner_convert_params, scheme, NER_SCHEME_IOB2);
    uint32_t align = NC_PARAM(p, ner_convert_params, align, NER_ALIGN_STRICT);
    const char *model_dir = NC_PARAM(p, ner_convert_params, model_dir, NULL);
    ner_log_fn log = NC_PARAM(p, ner_convert_params, log, NULL);
    void *user = NC_PARAM(p, ner_convert_params, log_user, NULL);
    nio_scheme scheme;
    if (map_scheme(sch, &scheme) != NER_OK || align > NER_ALIGN_EXPAND ||
        from > NER_FORMAT_CONLL || to > NER_FORMAT_CONLL) {
        nio_errf(errbuf, errlen, "ner_convert: bad format, scheme or alignment");
        return NER_EINVAL;
    }
    int rc;
    if (from == NER_FORMAT_AUTO) {
        int f = 0;
        if ((rc = ntr_detect_format(in_path, &f, errbuf, errlen)) != NER_OK)
            return rc;
        from = (uint32_t)f;
    }
    if (to == NER_FORMAT_AUTO)
        to = from == NER_FORMAT_JSONL ? NER_FORMAT_CONLL : NER_FORMAT_JSONL;
    nio_buf out;
    nio_buf_init(&out);
    if (from == NER_FORMAT_CONLL && to == NER_FORMAT_CONLL) {
        nio_conll *cc = NULL;
        rc = nio_conll_read_file(&cc, in_path, NIO_SCHEME_AUTO, errbuf, errlen);
        if (rc == NER_OK)
            rc = nio_conll_write_file(cc, out_path, scheme, NIO_CONLL_KEEP_COLUMNS,
                                      errbuf, errlen);
        nio_conll_free(cc);
        return rc;
    }
    if (from == NER_FORMAT_JSONL && to == NER_FORMAT_JSONL) {
        nio_errf(errbuf, errlen, "ner_convert: %s is JSONL already", in_path);
        return NER_EINVAL;
    }
    ner_pipeline *tok = NULL;
    ntr_corpus *c = NULL;
    if (from == NER_FORMAT_JSONL) {
        const char *dir = model_dir ? model_dir : ner_default_pipeline_dir();
        rc = ntr_tokenizer_pipeline(dir, &tok, errbuf, errlen);
        if (rc != NER_OK)
            return rc;
    }
    rc = ntr_corpus_read(&c, in_path, (int)from, tok, (int)align, 1, 0, errbuf, errlen);
    if (rc == NER_OK) {
        if (c->n_misaligned || c->n_clash) {
            ntr_log(log, user, NER_LOG_WARN, "%s: %zu of %zu entities do not fall on token "
                    "boundaries (%zu adjusted, %zu left out); %zu fall on the tokens of "
                    "another entity and were left out", in_path, c->n_misaligned, c->n_ents,
                    c->n_adjusted, c->n_dropped, c->n_clash);
            for (size_t i = 0; i < c->n_problems; i++)
                ntr_log(log, user, NER_LOG_WARN, "%s: %s", in_path, c->problems[i].msg);
        }
        rc = from == NER_FORMAT_CONLL
                 ? conll_to_jsonl(c, (flags & NER_CONVERT_DOCS) != 0, &out, errbuf, errlen)
                 : jsonl_to_conll(c, scheme, &out, errbuf, errlen);
    }
    if (rc == NER_OK)
        rc = nio_write_file(out_path, out.data ? out.data : "", out.len, errbuf, errlen);
    nio_buf_free(&out);
    ntr_corpus_free(c);
    ner_pipeline_free(tok);
    return rc;
}
