/* Fuzz target: the tokenizer rules JSON parser and the rule tokenizer.
 *
 * Input: RULES_JSON [NUL TEXT].  The bytes before the first NUL are loaded
 * as rules; the bytes after it (or, without a NUL, the whole input) are
 * tokenized with the built-in English rules and, when they loaded, with the
 * fuzzed rules.  Every promise of nt_tokenize is checked; a broken one traps.
 * Build with clang -fsanitize=fuzzer,address (meson -Dfuzzers=true), or link
 * with tests/fuzz/replay_main.c to replay a corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "text/rule_tokenizer.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check_errbuf(const char *err, size_t cap)
{
    CHECK(memchr(err, '\0', cap) != NULL);
}

static void check_tokens(const nt_rules *r, const char *t, size_t len)
{
    nt_tokbuf b = {0};
    char err[NER_ERRBUF_SIZE];
    err[0] = '\0';
    int rc = nt_tokenize(r, t, len, &b, err, sizeof err);
    check_errbuf(err, sizeof err);
    int valid = nt_utf8_valid(t, len, NULL);
    if (!valid) {
        CHECK(rc == NER_EUTF8 && b.n == 0 && err[0] != '\0');
        nt_tokbuf_free(&b);
        return;
    }
    if (rc == NER_ENOMEM) { nt_tokbuf_free(&b); return; }
    CHECK(rc == NER_OK);
    size_t prev = 0;
    for (size_t i = 0; i < b.n; i++) {
        size_t s = b.starts[i], e = b.ends[i];
        CHECK(prev <= s && s < e && e <= len);
        CHECK(((unsigned char)t[s] & 0xC0) != 0x80);
        CHECK(e == len || ((unsigned char)t[e] & 0xC0) != 0x80);
        for (size_t g = prev; g < s;)          /* gaps: whitespace only */
            CHECK(nt_is_space(nt_utf8_next(t, len, &g)));
        for (size_t g = s; g < e;)             /* tokens: no whitespace */
            CHECK(!nt_is_space(nt_utf8_next(t, len, &g)));
        prev = e;
    }
    for (size_t g = prev; g < len;)
        CHECK(nt_is_space(nt_utf8_next(t, len, &g)));
    /* a second call on the same buffer gives the same tokens */
    size_t n = b.n;
    size_t *s0 = malloc((n ? n : 1) * sizeof *s0);
    if (s0) {
        if (n) memcpy(s0, b.starts, n * sizeof *s0);
        CHECK(nt_tokenize(r, t, len, &b, NULL, 0) == NER_OK);
        CHECK(b.n == n && (n == 0 || memcmp(s0, b.starts, n * sizeof *s0) == 0));
        free(s0);
    }
    nt_tokbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nt_rules *en;
    if (!en && nt_rules_builtin(&en, "en", NULL, 0) != NER_OK) __builtin_trap();

    const char *p = (const char *)data;
    const char *nul = size ? memchr(p, '\0', size) : NULL;
    size_t jlen = nul ? (size_t)(nul - p) : size;
    const char *text = nul ? nul + 1 : p;
    size_t tlen = nul ? size - jlen - 1 : size;

    char err[NER_ERRBUF_SIZE];
    err[0] = '\0';
    nt_rules *r = (nt_rules *)err;
    int rc = nt_rules_load(&r, p, jlen, "fuzz.json", err, sizeof err);
    check_errbuf(err, sizeof err);
    if (rc == NER_OK) {
        CHECK(r != NULL);
        size_t n;
        const char *json = nt_rules_json(r, &n);
        CHECK(n == jlen && memcmp(json, p, n) == 0 && json[n] == '\0');
        (void)nt_rules_lang(r);
        check_tokens(r, text, tlen);
        nt_rules_free(r);
    } else {
        CHECK(r == NULL && rc < 0 && err[0] != '\0');
    }
    check_tokens(en, text, tlen);
    return 0;
}
