/* Corpora for training and evaluation: JSONL through the pipeline's
 * tokenizer with alignment, column files with their own tokens. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/buf.h"
#include "io/conll.h"
#include "io/jsonl_corpus.h"
#include "ner/ner_component.h"
#include "ner/ner_train.h"
#include "tagger/tagger.h"
#include "text/utf8.h"
#include "train/data.h"

void ntr_log(ner_log_fn log, void *user, int level, const char *fmt, ...)
{
    if (!log)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(user, level, msg);
}

void ntr_excerpt(const char *text, size_t len, size_t a, size_t b, char *out,
                 size_t cap)
{
    if (cap == 0)
        return;
    if (a > len) a = len;
    if (b > len) b = len;
    if (b < a) b = a;
    size_t max = cap > 8 ? cap - 8 : 0;
    if (max > 60) max = 60;
    size_t n = b - a;
    int cut = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)text[a + n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        char ch = text[a + i];
        out[k++] = (ch == '\n' || ch == '\t' || ch == '\r') ? ' ' : ch;
    }
    if (cut && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k++] = '"';
    out[k < cap ? k : cap - 1] = '\0';
}

static void doc_free(ntr_doc *d)
{
    free(d->text);
    free(d->tb);
    free(d->te);
    free(d->tcs);
    free(d->tce);
    free(d->words);
    free(d->wlen);
    free(d->sent_start);
    free(d->ents);
    free(d->sent_line);
    free(d->sent_tok);
}

void ntr_corpus_free(ntr_corpus *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_docs; i++)
        doc_free(&c->docs[i]);
    free(c->docs);
    nio_strtab_free(&c->labels);
    for (size_t i = 0; i < c->n_problems; i++)
        free(c->problems[i].msg);
    free(c);
}

static void add_problem(ntr_corpus *c, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void add_problem(ntr_corpus *c, size_t line, const char *fmt, ...)
{
    if (c->n_problems >= NTR_MAX_PROBLEMS)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *m = strdup(msg);
    if (!m)
        return;
    c->problems[c->n_problems].line = line;
    c->problems[c->n_problems].msg = m;
    c->n_problems++;
}

int ntr_detect_format(const char *path, int *format, char *errbuf, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        nio_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NER_EIO;
    }
    unsigned char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t i = 0;
    while (i + 3 <= n && buf[i] == 0xEF && buf[i + 1] == 0xBB && buf[i + 2] == 0xBF)
        i += 3;
    while (i < n && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    *format = (i >= n || buf[i] == '{') ? NER_FORMAT_JSONL : NER_FORMAT_CONLL;
    return NER_OK;
}

int ntr_tokenizer_pipeline(const char *base_dir, ner_pipeline **out,
                           char *errbuf, size_t errlen)
{
    *out = NULL;
    ner_builder *b = NULL;
    int rc;
    if (!base_dir) {
        rc = ner_builder_new(&b, "en", errbuf, errlen);
    } else {
        ner_pipeline *full = NULL;
        rc = ner_pipeline_load(&full, base_dir, NULL, errbuf, errlen);
        if (rc != NER_OK)
            return rc;
        rc = ner_builder_from_dir(&b, base_dir, errbuf, errlen);
        for (size_t i = 0; rc == NER_OK && i < ner_pipeline_component_count(full); i++)
            if (strcmp(ner_pipeline_component_factory(full, i), "tokenizer") != 0)
                rc = ner_builder_remove(b, ner_pipeline_component_name(full, i));
        ner_pipeline_free(full);
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, out, errbuf, errlen);
    ner_builder_free(b);
    return rc;
}

static int doc_alloc_tokens(ntr_doc *d, size_t n)
{
    size_t m = n ? n : 1;
    d->tb = malloc(m * sizeof *d->tb);
    d->te = malloc(m * sizeof *d->te);
    d->tcs = malloc(m * sizeof *d->tcs);
    d->tce = malloc(m * sizeof *d->tce);
    d->words = malloc(m * sizeof *d->words);
    d->wlen = malloc(m * sizeof *d->wlen);
    d->sent_start = malloc(m);
    if (!d->tb || !d->te || !d->tcs || !d->tce || !d->words || !d->wlen ||
        !d->sent_start)
        return NER_ENOMEM;
    d->n_tok = n;
    return NER_OK;
}

/* Words and sentence starts from the token offsets (as the component does). */
static int doc_finish(ntr_doc *d)
{
    uint8_t *nl = malloc(d->n_tok ? d->n_tok : 1);
    if (!nl)
        return NER_ENOMEM;
    size_t prev = 0;
    for (size_t i = 0; i < d->n_tok; i++) {
        d->words[i] = d->text + d->tb[i];
        d->wlen[i] = d->te[i] - d->tb[i];
        nl[i] = i > 0 && memchr(d->text + prev, '\n', d->tb[i] - prev) != NULL;
        prev = d->te[i];
    }
    ntg_sentence_starts(d->words, d->wlen, d->n_tok, nl, d->sent_start);
    free(nl);
    return NER_OK;
}

/* ------------------------------------------------------------ JSONL */

static const char *align_name(int mode)
{
    return mode == NER_ALIGN_CONTRACT ? "contract" : mode == NER_ALIGN_EXPAND ? "expand" : "strict";
}

static int read_jsonl(ntr_corpus *c, const char *path, const ner_pipeline *tok,
                      int align, uint32_t n_threads, char *errbuf, size_t errlen)
{
    nio_jsonl *j = NULL;
    int rc = nio_jsonl_read_file(&j, path, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    size_t n = j->n_recs;
    c->docs = calloc(n ? n : 1, sizeof *c->docs);
    const char **texts = malloc((n ? n : 1) * sizeof *texts);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    ner_doc **docs = calloc(n ? n : 1, sizeof *docs);
    if (!c->docs || !texts || !lens || !docs) {
        rc = NER_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = j->recs[i].text;
        lens[i] = j->recs[i].len_bytes;
    }
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = n_threads;
    char sub[NER_ERRBUF_SIZE] = "";
    if (tok) {
        rc = ner_pipeline_process_batch(tok, texts, lens, n, docs, &bp, sub, sizeof sub);
        if (rc != NER_OK) {
            nio_errf(errbuf, errlen, "%s: tokenizing: %s", path, sub);
            goto done;
        }
    }
    for (size_t r = 0; r < n; r++) {
        const nio_record *rec = &j->recs[r];
        ntr_doc *d = &c->docs[c->n_docs++];
        d->line = rec->line;
        d->n_sents = 1;
        d->len = rec->len_bytes;
        if (!(d->text = malloc(d->len + 1))) {
            rc = NER_ENOMEM;
            goto done;
        }
        memcpy(d->text, rec->text, d->len + 1);
        size_t nt = tok ? ner_doc_token_count(docs[r]) : 0;
        if ((rc = doc_alloc_tokens(d, nt)) != NER_OK)
            goto done;
        for (size_t i = 0; i < nt; i++) {
            ner_doc_token_bytes(docs[r], i, &d->tb[i], &d->te[i], NULL);
            ner_doc_token_chars(docs[r], i, &d->tcs[i], &d->tce[i], NULL);
        }
        if ((rc = doc_finish(d)) != NER_OK)
            goto done;
        c->n_tokens += nt;
        c->n_sents++;
        d->ents = calloc(rec->n_ents ? rec->n_ents : 1, sizeof *d->ents);
        if (!d->ents) {
            rc = NER_ENOMEM;
            goto done;
        }
        size_t last_end = 0;
        for (size_t k = 0; k < rec->n_ents; k++) {
            const nio_ent *e = &rec->ents[k];
            ntr_ent *x = &d->ents[d->n_ents++];
            const char *lab = nio_jsonl_label(j, e->label);
            if ((rc = nio_strtab_intern(&c->labels, lab, strlen(lab), &x->label)) != NER_OK)
                goto done;
            x->start_char = e->start_char;
            x->end_char = e->end_char;
            x->start_byte = e->start_byte;
            x->end_byte = e->end_byte;
            c->n_ents++;
            size_t a = 0, b = 0;
            char ex[96];
            if (!tok)
                continue; /* not tokenized: evaluation only */
            int arc = ner_doc_align_bytes(docs[r], e->start_byte, e->end_byte,
                                          NER_ALIGN_STRICT, &a, &b);
            if (arc != NER_OK) {
                c->n_misaligned++;
                ntr_excerpt(d->text, d->len, e->start_byte, e->end_byte, ex, sizeof ex);
                size_t xa = 0, xb = 0;
                int ok = align != NER_ALIGN_STRICT &&
                         ner_doc_align_bytes(docs[r], e->start_byte, e->end_byte,
                                             align, &xa, &xb) == NER_OK;
                if (ok) {
                    char ex2[96];
                    ntr_excerpt(d->text, d->len, d->tb[xa], d->te[xb - 1], ex2, sizeof ex2);
                    c->n_adjusted++;
                    add_problem(c, rec->line, "line %zu: entity [%zu, %zu) %s %s does "
                                "not fall on token boundaries; %s gives %s", rec->line,
                                e->start_char, e->end_char, lab, ex, align_name(align), ex2);
                    a = xa;
                    b = xb;
                } else {
                    c->n_dropped++;
                    add_problem(c, rec->line, "line %zu: entity [%zu, %zu) %s %s does "
                                "not fall on token boundaries (alignment %s): its "
                                "tokens are left out of training", rec->line,
                                e->start_char, e->end_char, lab, ex, align_name(align));
                    a = b = 0;
                }
            }
            if (a < b && a < last_end) {
                c->n_clash++;
                ntr_excerpt(d->text, d->len, e->start_byte, e->end_byte, ex, sizeof ex);
                add_problem(c, rec->line, "line %zu: entity [%zu, %zu) %s %s falls on "
                            "the same tokens as the entity before it: left out of "
                            "training", rec->line, e->start_char, e->end_char, lab, ex);
                a = b = 0;
            }
            x->tok_start = a;
            x->tok_end = b;
            if (a < b)
                last_end = b;
        }
    }
    rc = NER_OK;
done:
    if (docs)
        for (size_t i = 0; i < n; i++)
            ner_doc_free(docs[i]);
    free(docs);
    free(texts);
    free(lens);
    nio_jsonl_free(j);
    return rc;
}

/* ------------------------------------------------------------ columns */

static int read_conll(ntr_corpus *c, const char *path, unsigned flags, char *errbuf,
                      size_t errlen)
{
    nio_conll *cc = NULL;
    int rc = nio_conll_read_file(&cc, path, NIO_SCHEME_AUTO, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    c->scheme = nio_scheme_name(cc->scheme);
    c->n_repairs = nio_repairs_total(&cc->repairs);
    int per_sent = cc->n_docstart == 0 || (flags & NTR_READ_SENTENCES);
    size_t units = per_sent ? cc->n_sents : cc->n_docs;
    c->docs = calloc(units ? units : 1, sizeof *c->docs);
    if (!c->docs) {
        rc = NER_ENOMEM;
        goto done;
    }
    for (size_t u = 0; u < units; u++) {
        size_t s0 = per_sent ? u : cc->docs[u].first_sentence;
        size_t s1 = per_sent ? u + 1 : s0 + cc->docs[u].n_sentences;
        size_t nt = 0, bytes = 0, nsp = 0;
        for (size_t s = s0; s < s1; s++) {
            nt += cc->sents[s].n_tokens;
            nsp += cc->sents[s].n_spans;
            for (size_t t = 0; t < cc->sents[s].n_tokens; t++)
                bytes += strlen(cc->tokens[cc->sents[s].first_token + t].text) + 1;
        }
        if (nt == 0)
            continue;
        ntr_doc *d = &c->docs[c->n_docs++];
        d->line = cc->sents[s0].line;
        d->n_sents = s1 - s0;
        if ((rc = doc_alloc_tokens(d, nt)) != NER_OK)
            goto done;
        d->text = malloc(bytes + 1);
        d->ents = calloc(nsp ? nsp : 1, sizeof *d->ents);
        d->sent_line = malloc(d->n_sents * sizeof *d->sent_line);
        d->sent_tok = malloc(d->n_sents * sizeof *d->sent_tok);
        if (!d->text || !d->ents || !d->sent_line || !d->sent_tok) {
            rc = NER_ENOMEM;
            goto done;
        }
        size_t pos = 0, cpos = 0, k = 0;
        for (size_t s = s0; s < s1; s++) {
            const nio_conll_sentence *S = &cc->sents[s];
            d->sent_line[s - s0] = S->line;
            d->sent_tok[s - s0] = k;
            size_t first = k;
            for (size_t t = 0; t < S->n_tokens; t++, k++) {
                const char *w = cc->tokens[S->first_token + t].text;
                size_t l = strlen(w);
                if (k > 0) {
                    d->text[pos++] = t == 0 ? '\n' : ' ';
                    cpos++;
                }
                d->tb[k] = pos;
                d->tcs[k] = cpos;
                memcpy(d->text + pos, w, l);
                pos += l;
                cpos += nt_utf8_count(w, l);
                d->te[k] = pos;
                d->tce[k] = cpos;
            }
            for (size_t q = 0; q < S->n_spans; q++) {
                const nio_span *sp = &cc->spans[S->first_span + q];
                ntr_ent *x = &d->ents[d->n_ents++];
                const char *lab = nio_conll_label(cc, sp->label);
                if ((rc = nio_strtab_intern(&c->labels, lab, strlen(lab), &x->label)) != NER_OK)
                    goto done;
                x->tok_start = first + sp->start;
                x->tok_end = first + sp->end;
                x->start_byte = d->tb[x->tok_start];
                x->end_byte = d->te[x->tok_end - 1];
                x->start_char = d->tcs[x->tok_start];
                x->end_char = d->tce[x->tok_end - 1];
            }
        }
        d->text[pos] = '\0';
        d->len = pos;
        if ((rc = doc_finish(d)) != NER_OK)
            goto done;
        c->n_tokens += nt;
        c->n_ents += d->n_ents;
        c->n_sents += d->n_sents;
    }
    rc = NER_OK;
done:
    nio_conll_free(cc);
    return rc;
}

int ntr_corpus_read(ntr_corpus **out, const char *path, int format,
                    const ner_pipeline *tok, int align, uint32_t n_threads,
                    unsigned flags, char *errbuf, size_t errlen)
{
    *out = NULL;
    int rc;
    if (format == NER_FORMAT_AUTO &&
        (rc = ntr_detect_format(path, &format, errbuf, errlen)) != NER_OK)
        return rc;
    if (format != NER_FORMAT_JSONL && format != NER_FORMAT_CONLL) {
        nio_errf(errbuf, errlen, "unknown data format %d", format);
        return NER_EINVAL;
    }
    ntr_corpus *c = calloc(1, sizeof *c);
    if (!c)
        return NER_ENOMEM;
    nio_strtab_init(&c->labels);
    c->format = format;
    if (format == NER_FORMAT_JSONL) {
        rc = read_jsonl(c, path, tok, align, n_threads, errbuf, errlen);
    } else {
        rc = read_conll(c, path, flags, errbuf, errlen);
    }
    if (rc != NER_OK) {
        if (rc == NER_ENOMEM)
            nio_errf(errbuf, errlen, "%s: out of memory", path);
        ntr_corpus_free(c);
        return rc;
    }
    *out = c;
    return NER_OK;
}
