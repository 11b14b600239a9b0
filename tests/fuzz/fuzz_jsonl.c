/* Fuzz target: the JSONL corpus reader and writer.
 *
 * The input is read as a JSONL corpus.  A failure must come with a
 * "line L: ..." message (and NER_EUTF8 whenever a line is not UTF-8 while
 * the lines before it parse); a success must give records whose text is
 * valid UTF-8 of the stated lengths and whose entities are sorted, not
 * overlapping, inside the text, with byte offsets that match the code-point
 * offsets.  The corpus is then written, read back, and must come out the
 * same.  A broken promise traps.  Build with clang -fsanitize=fuzzer,address
 * or link with tests/fuzz/replay_main.c (tests/fuzz/corpus/jsonl). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/jsonl_corpus.h"
#include "ner/ner.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check_corpus(const nio_jsonl *c)
{
    for (size_t i = 0; i < c->n_recs; i++) {
        const nio_record *r = &c->recs[i];
        CHECK(r->line >= 1 && (i == 0 || r->line > c->recs[i - 1].line));
        CHECK(strlen(r->text) == r->len_bytes);
        CHECK(nt_utf8_valid(r->text, r->len_bytes, NULL));
        CHECK(nt_utf8_count(r->text, r->len_bytes) == r->len_chars);
        size_t prev_end = 0;
        for (size_t k = 0; k < r->n_ents; k++) {
            const nio_ent *e = &r->ents[k];
            CHECK(e->start_char >= prev_end && e->start_char < e->end_char);
            CHECK(e->end_char <= r->len_chars);
            CHECK(e->start_byte < e->end_byte && e->end_byte <= r->len_bytes);
            CHECK(nt_utf8_count(r->text, e->start_byte) == e->start_char);
            CHECK(nt_utf8_count(r->text + e->start_byte,
                                e->end_byte - e->start_byte) ==
                  e->end_char - e->start_char);
            CHECK(e->end_byte == r->len_bytes ||
                  ((unsigned char)r->text[e->end_byte] & 0xC0) != 0x80);
            const char *l = nio_jsonl_label(c, e->label);
            CHECK(l && *l);
            prev_end = e->end_char;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char err[NER_ERRBUF_SIZE];
    memset(err, 'x', sizeof err);
    nio_jsonl *c = NULL;
    int rc = nio_jsonl_read_mem(&c, text, size, err, sizeof err);
    if (rc) {
        CHECK(c == NULL);
        CHECK(memchr(err, '\0', sizeof err) && strncmp(err, "line ", 5) == 0);
        CHECK(rc == NER_EFORMAT || rc == NER_EUTF8 || rc == NER_ERANGE ||
              rc == NER_EOVERLAP || rc == NER_ENOMEM);
        if (rc == NER_EUTF8)
            CHECK(!nt_utf8_valid(text, size, NULL));
        return 0;
    }
    check_corpus(c);

    nio_buf b;
    nio_buf_init(&b);
    rc = nio_jsonl_write(c, &b, err, sizeof err);
    if (rc == NER_OK) {
        nio_jsonl *c2 = NULL;
        rc = nio_jsonl_read_mem(&c2, b.data, b.len, err, sizeof err);
        CHECK(rc == NER_OK || rc == NER_ENOMEM);
        if (rc == NER_OK) {
            check_corpus(c2);
            CHECK(c2->n_recs == c->n_recs);
            for (size_t i = 0; i < c->n_recs; i++) {
                const nio_record *a = &c->recs[i], *z = &c2->recs[i];
                CHECK(z->line == i + 1);
                CHECK(a->len_bytes == z->len_bytes && a->n_ents == z->n_ents);
                CHECK(memcmp(a->text, z->text, a->len_bytes) == 0);
                for (size_t k = 0; k < a->n_ents; k++) {
                    CHECK(a->ents[k].start_byte == z->ents[k].start_byte);
                    CHECK(a->ents[k].end_byte == z->ents[k].end_byte);
                    CHECK(strcmp(nio_jsonl_label(c, a->ents[k].label),
                                 nio_jsonl_label(c2, z->ents[k].label)) == 0);
                }
            }
            nio_jsonl_free(c2);
        }
    } else {
        CHECK(rc == NER_ENOMEM);
    }
    nio_buf_free(&b);
    nio_jsonl_free(c);
    return 0;
}
