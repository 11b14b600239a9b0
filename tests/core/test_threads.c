/* One shared pipeline, eight threads, thousands of docs: every result must
 * equal the one computed on a single thread.  Run under ThreadSanitizer in
 * CI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner_component.h"
#include "plugins.h"

enum { NTEXT = 600, NTHREAD = 8 };

static ner_pipeline *pl;
static char *texts[NTEXT];
static char *expected[NTEXT];

static char *doc_json(const ner_doc *d)
{
    char *s = NULL;
    if (ner_doc_to_json(d, NER_JSON_TOKENS | NER_JSON_SPANS, &s, NULL) != NER_OK)
        return NULL;
    return s;
}

static void *worker(void *arg)
{
    size_t id = (size_t)arg;
    long bad = 0;
    for (size_t k = 0; k < NTEXT; k++) {
        size_t i = (k * 7 + id * 131) % NTEXT; /* each thread its own order */
        ner_doc *d = NULL;
        if (ner_pipeline_process(pl, texts[i], strlen(texts[i]), &d, NULL, 0) != NER_OK) {
            bad++;
            continue;
        }
        char *js = doc_json(d);
        bad += !js || strcmp(js, expected[i]) != 0;
        ner_string_free(js);
        ner_doc_free(d);
    }
    return (void *)bad;
}

static const char *const words[] = {
    "Apple", "bought", "U.S.", "startup", "for", "$1", "billion", "in", "New",
    "York", "(", "said", "Dr.", "Smith's", "team", ")", "—", "Zoë", "東京",
    "don't", "e-mail", "x@y.com", "https://example.com/a?b=1", "12%", "3:30pm",
    "😀", "naïve", "café.", "O'Neil", "well-known", "...", "UN", "\t", "\n",
};

static int setup(void **st)
{
    test_register_plugins();
    ner_builder *b = NULL;
    char err[NER_ERRBUF_SIZE];
    if (ner_builder_new(&b, "en", err, sizeof err) != NER_OK ||
        ner_builder_add(b, "test_caps", NULL, NULL, err, sizeof err) != NER_OK ||
        ner_builder_build(b, &pl, err, sizeof err) != NER_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    ner_builder_free(b);
    unsigned seed = 12345;
    size_t nw = sizeof words / sizeof *words;
    for (size_t i = 0; i < NTEXT; i++) {
        char buf[2048] = "";
        size_t n = 3 + i % 40;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(buf, words[(seed >> 16) % nw]);
            strcat(buf, (seed >> 8) % 5 ? " " : "  ");
        }
        texts[i] = strdup(buf);
        ner_doc *d = NULL;
        if (ner_pipeline_process(pl, texts[i], strlen(texts[i]), &d, err, sizeof err) != NER_OK)
            return -1;
        expected[i] = doc_json(d);
        ner_doc_free(d);
    }
    return 0;
}

static int teardown(void **st)
{
    for (size_t i = 0; i < NTEXT; i++) {
        free(texts[i]);
        ner_string_free(expected[i]);
    }
    ner_pipeline_free(pl);
    return 0;
}

static void test_shared_pipeline(void **st)
{
    pthread_t t[NTHREAD];
    for (size_t i = 0; i < NTHREAD; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)i), 0);
    long bad = 0;
    for (size_t i = 0; i < NTHREAD; i++) {
        void *r;
        pthread_join(t[i], &r);
        bad += (long)r;
    }
    assert_int_equal(bad, 0);
}

static void test_batch_threads(void **st)
{
    ner_doc *docs[NTEXT];
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = NTHREAD;
    bp.batch_size = 5;
    assert_int_equal(ner_pipeline_process_batch(pl, (const char *const *)texts, NULL,
                                                NTEXT, docs, &bp, NULL, 0), NER_OK);
    for (size_t i = 0; i < NTEXT; i++) {
        char *js = doc_json(docs[i]);
        assert_non_null(js);
        assert_string_equal(js, expected[i]);
        ner_string_free(js);
        ner_doc_free(docs[i]);
    }
}

static void test_docs_outlive_pipeline_across_threads(void **st)
{
    /* A pipeline freed while other threads still hold its docs. */
    ner_builder *b = NULL;
    ner_pipeline *p2 = NULL;
    assert_int_equal(ner_builder_new(&b, "en", NULL, 0), NER_OK);
    assert_int_equal(ner_builder_build(b, &p2, NULL, 0), NER_OK);
    ner_builder_free(b);
    ner_doc *docs[NTEXT];
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = NTHREAD;
    assert_int_equal(ner_pipeline_process_batch(p2, (const char *const *)texts, NULL,
                                                NTEXT, docs, &bp, NULL, 0), NER_OK);
    ner_pipeline_free(p2);
    for (size_t i = 0; i < NTEXT; i++) {
        assert_string_equal(ner_pipeline_lang(ner_doc_pipeline(docs[i])), "en");
        ner_doc_free(docs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_pipeline),
        cmocka_unit_test(test_batch_threads),
        cmocka_unit_test(test_docs_outlive_pipeline_across_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
