/* Fuzz target: the column (CoNLL) reader and writer, and the scorer on what
 * they produce.
 *
 * The input is read as a column file.  A failure must come with a message
 * (and NER_EUTF8 exactly when the input is not UTF-8); a success must give
 * a well-formed corpus: documents covering the sentences in order,
 * sentences covering the tokens, spans sorted, not overlapping and inside
 * their sentence, labels known.  The corpus is then written in IOB1, IOB2,
 * BILOU and BIOES (with and without the middle columns), read back, and
 * must give the same sentences and spans with no repair; scoring it against
 * the re-read copy must be perfect.  A broken promise traps.
 * Build with clang -fsanitize=fuzzer,address, or link with
 * tests/fuzz/replay_main.c to replay a corpus (tests/fuzz/corpus/conll). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval/conll_eval.h"
#include "eval/scorer.h"
#include "io/conll.h"
#include "ner/ner.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check_corpus(const nio_conll *c)
{
    size_t sent = 0, tok = 0, span = 0;
    for (size_t d = 0; d < c->n_docs; d++) {
        CHECK(c->docs[d].first_sentence == sent);
        sent += c->docs[d].n_sentences;
    }
    CHECK(sent == c->n_sents);
    for (size_t i = 0; i < c->n_sents; i++) {
        const nio_conll_sentence *s = &c->sents[i];
        CHECK(s->first_token == tok && s->n_tokens > 0);
        CHECK(s->first_span == span);
        tok += s->n_tokens;
        span += s->n_spans;
        size_t prev_end = 0;
        for (size_t k = 0; k < s->n_spans; k++) {
            const nio_span *sp = &c->spans[s->first_span + k];
            CHECK(sp->start >= prev_end && sp->start < sp->end);
            CHECK(sp->end <= s->n_tokens);
            CHECK(sp->label < nio_strtab_count(&c->labels));
            prev_end = sp->end;
        }
    }
    CHECK(tok == c->n_tokens && span == c->n_spans && span <= tok);
    for (size_t i = 0; i < c->n_tokens; i++) {
        const nio_conll_token *t = &c->tokens[i];
        CHECK(t->text[0] != '\0' && !strchr(t->text, '\n'));
        CHECK(nt_utf8_valid(t->text, strlen(t->text), NULL));
        CHECK(t->tag[0] != '\0' && t->mid != NULL);
        CHECK(c->tags[i].prefix == 'O' ||
              c->tags[i].type < nio_strtab_count(&c->labels));
    }
    if (c->n_tokens)
        CHECK(c->n_columns >= 2 && (c->sep == ' ' || c->sep == '\t'));
}

static void same_spans(const nio_conll *a, const nio_conll *b)
{
    CHECK(a->n_sents == b->n_sents && a->n_spans == b->n_spans);
    CHECK(a->n_tokens == b->n_tokens && a->n_docs == b->n_docs);
    for (size_t i = 0; i < a->n_tokens; i++)
        CHECK(strcmp(a->tokens[i].text, b->tokens[i].text) == 0);
    for (size_t i = 0; i < a->n_spans; i++) {
        CHECK(a->spans[i].start == b->spans[i].start);
        CHECK(a->spans[i].end == b->spans[i].end);
        CHECK(strcmp(nio_conll_label(a, a->spans[i].label),
                     nio_conll_label(b, b->spans[i].label)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[NER_ERRBUF_SIZE];
    memset(err, 'x', sizeof err);
    nio_conll *c = NULL;
    int rc = nio_conll_read_mem(&c, text, size, NIO_SCHEME_AUTO, err, sizeof err);
    if (rc) {
        CHECK(c == NULL);
        CHECK(memchr(err, '\0', sizeof err) && err[0] != '\0');
        CHECK(rc == NER_EFORMAT || rc == NER_EUTF8 || rc == NER_ENOMEM);
        CHECK((rc == NER_EUTF8) == !nt_utf8_valid(text, size, NULL));
        return 0;
    }
    CHECK(nt_utf8_valid(text, size, NULL));
    check_corpus(c);

    static const nio_scheme schemes[] = {NIO_SCHEME_IOB1, NIO_SCHEME_IOB2,
                                         NIO_SCHEME_BILOU, NIO_SCHEME_BIOES};
    for (size_t k = 0; k < 8; k++) {
        nio_scheme scheme = schemes[k % 4];
        unsigned flags = k < 4 ? 0 : NIO_CONLL_KEEP_COLUMNS;
        nio_buf b;
        nio_buf_init(&b);
        rc = nio_conll_write(c, scheme, flags, &b, err, sizeof err);
        if (rc == NER_ENOMEM) {
            nio_buf_free(&b);
            continue;
        }
        CHECK(rc == NER_OK);
        nio_conll *c2 = NULL;
        rc = nio_conll_read_mem(&c2, b.data, b.len, NIO_SCHEME_AUTO, err,
                                sizeof err);
        nio_buf_free(&b);
        if (rc == NER_ENOMEM)
            continue;
        CHECK(rc == NER_OK);
        check_corpus(c2);
        same_spans(c, c2);
        CHECK(nio_repairs_total(&c2->repairs) == 0);
        if (c->n_spans)
            CHECK(c2->scheme == scheme);
        if (k == 0) {
            nev_scorer *s = NULL;
            if (nev_scorer_new(&s, 2) == NER_OK &&
                nev_scorer_add_conll(s, c, c2, err, sizeof err) == NER_OK) {
                nev_prf m;
                nev_scorer_micro(s, &m);
                CHECK(m.tp == c->n_spans && m.fp == 0 && m.fn == 0);
                json_t *j = nev_scores_to_json(s);
                json_decref(j);
            }
            nev_scorer_free(s);
        }
        nio_conll_free(c2);
    }
    nio_conll_free(c);
    return 0;
}
