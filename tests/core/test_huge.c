/* A 100 MB text goes through the default English tokenizer, and the tokens
 * and their whitespace give it back byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner.h"

static void test_100mb(void **st)
{
    static const char *const para =
        "Elon Musk sold $4 billion of Tesla stock on January 15, 2025. "
        "Zoë visited 東京 (Tokyo) with Dr. Smith's team; they don't mind.\n"
        "E-mail x@example.com or see https://example.com/a?b=c. 12% 😀 ";
    size_t plen = strlen(para), target = (size_t)100 << 20;
    char *text = malloc(target + plen);
    assert_non_null(text);
    size_t len = 0;
    while (len < target) {
        memcpy(text + len, para, plen);
        len += plen;
    }
    char err[NER_ERRBUF_SIZE];
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl, text, len, &d, err, sizeof err), NER_OK);
    size_t n = ner_doc_token_count(d);
    assert_true(n > len / 8);
    size_t pos = ner_doc_leading_ws_bytes(d);
    assert_int_equal(pos, 0);
    for (size_t i = 0; i < n; i++) {
        size_t s, e, w;
        assert_int_equal(ner_doc_token_bytes(d, i, &s, &e, &w), NER_OK);
        assert_int_equal(s, pos);
        assert_true(e > s);
        for (size_t k = e; k < w; k++) /* the gaps are whitespace */
            assert_true(text[k] == ' ' || text[k] == '\n');
        pos = w;
    }
    assert_int_equal(pos, len);
    size_t cs, ce;
    assert_int_equal(ner_doc_token_chars(d, n - 1, &cs, &ce, NULL), NER_OK);
    assert_true(ce <= ner_doc_length_chars(d));
    ner_doc_free(d);
    ner_pipeline_free(pl);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_100mb)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
