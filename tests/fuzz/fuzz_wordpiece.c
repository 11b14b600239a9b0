/* Fuzz target: WordPiece tokenizer loading (lib/text/wordpiece.h) and
 * encoding.  The first byte picks what the rest is:
 *   0  a tokenizer.json
 *   1  a vocab.txt
 *   2  a tokenizer_config.json next to a small fixed vocab.txt
 *   3  a text encoded with a small fixed vocabulary
 * A load must succeed or fail with a message; a loaded tokenizer encodes a
 * few tricky texts, and every piece must lie inside its text with byte and
 * code-point offsets that agree. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "text/utf8.h"
#include "text/wordpiece.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\nworld\n##s\n##o\na\n##a\n.\ni\n##\xcc\x87\n";

static void check(const nt_wordpiece *wp, const char *text, size_t len, nt_wp_out *o)
{
    if (!nt_utf8_valid(text, len, NULL))
        return;
    int rc = nt_wordpiece_encode(wp, text, len, o);
    if (rc != NER_OK) {
        if (rc != NER_ENOMEM && rc != NER_ETOOBIG)
            abort();
        return;
    }
    for (size_t i = 0; i < o->n; i++) {
        const nt_wp_piece *p = &o->p[i];
        if (p->start_byte > p->end_byte || p->end_byte > len ||
            nt_utf8_count(text, p->start_byte) != p->start_char ||
            nt_utf8_count(text, p->end_byte) != p->end_char ||
            (size_t)p->id >= nt_wordpiece_vocab_size(wp) + 100000u)
            abort();
    }
}

static void exercise(const nt_wordpiece *wp)
{
    static const char *const texts[] = {
        "hello worlds. HELLO", "\xc4\xb0stanbul \xef\xac\x81 A\xcc\x8a \xc3\x9f",
        "[SEP]x[CLS] [MASK", "\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\x01\xe2\x80\x8b",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "e\xcc\x82\xcc\xa3 \xea\xb0\x81 \xcc\x81\xcc\x81x", ""};
    nt_wp_out o;
    nt_wp_out_init(&o);
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        check(wp, texts[i], strlen(texts[i]), &o);
    nt_wp_out_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t n = size - 1;
    nt_wordpiece *wp = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc;
    switch (data[0] & 3) {
    case 0:
        rc = nt_wordpiece_load_mem(&wp, "fuzz", body, n, NULL, 0, NULL, 0, err, sizeof err);
        break;
    case 1:
        rc = nt_wordpiece_load_mem(&wp, "fuzz", NULL, 0, body, n, NULL, 0, err, sizeof err);
        break;
    case 2:
        rc = nt_wordpiece_load_mem(&wp, "fuzz", NULL, 0, fixed_vocab, strlen(fixed_vocab),
                                   body, n, err, sizeof err);
        break;
    default:
        rc = nt_wordpiece_load_mem(&wp, "fuzz", NULL, 0, fixed_vocab, strlen(fixed_vocab),
                                   NULL, 0, err, sizeof err);
        if (rc == NER_OK) {
            nt_wp_out o;
            nt_wp_out_init(&o);
            check(wp, body, n, &o);
            nt_wp_out_free(&o);
        }
        break;
    }
    if (rc != NER_OK) {
        if (wp || (!err[0] && rc != NER_ENOMEM))
            abort();
        return 0;
    }
    exercise(wp);
    nt_wordpiece_free(wp);
    return 0;
}
