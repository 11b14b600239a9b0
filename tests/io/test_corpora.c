/* The column reader on the real corpora in ../shared/data (SOURCES.md):
 * every count published there must come out exactly, and writing a corpus
 * in another scheme and reading it back must give the same entities.
 * Each test skips, saying why, when LIBNER_SHARED_DIR is unset or the file
 * is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/conll.h"
#include "ner/ner.h"

typedef struct expect {
    const char *file;          /* under $LIBNER_SHARED_DIR/data */
    nio_scheme scheme;
    size_t docs, sents, toks;  /* docs: -DOCSTART- lines */
    size_t columns;
    char sep;
    size_t total;
    struct { const char *label; size_t n; } ents[7];
    size_t b_tags;             /* IOB1: B- tags (SOURCES.md) */
    int same_bytes;            /* written back as read gives the same file */
    size_t b_start;            /* IOB1 repairs: B-X after O (lines 152428
                                  and 175436 of eng.train, B-MISC) */
} expect;

static const expect conll_train = {
    "conll2003/eng.train", NIO_SCHEME_IOB1, 946, 14041, 203621, 4, ' ', 23499,
    {{"PER", 6600}, {"ORG", 6321}, {"LOC", 7140}, {"MISC", 3438}},
    11 + 37 + 24, 1, 2};
static const expect conll_dev = {
    "conll2003/eng.testa", NIO_SCHEME_IOB1, 216, 3250, 51362, 4, ' ', 5942,
    {{"PER", 1842}, {"ORG", 1341}, {"LOC", 1837}, {"MISC", 922}}, 4, 0, 0};
static const expect ncbi_train = {
    "ncbi-disease/train.tsv", NIO_SCHEME_IOB2, 0, 5432, 136086, 2, '\t', 5145,
    {{"Disease", 5145}}, 0, 1, 0};
static const expect ncbi_dev = {
    "ncbi-disease/devel.tsv", NIO_SCHEME_IOB2, 0, 923, 23969, 2, '\t', 787,
    {{"Disease", 787}}, 0, 1, 0};
static const expect bc5_train = {
    "bc5cdr/train.tsv", NIO_SCHEME_IOB2, 0, 4560, 118170, 6, '\t', 9385,
    {{"Chemical", 5203}, {"Disease", 4182}}, 0, 1, 0};
static const expect bc5_dev = {
    "bc5cdr/devel.tsv", NIO_SCHEME_IOB2, 0, 4579, 117453, 6, '\t', 9591,
    {{"Chemical", 5347}, {"Disease", 4244}}, 0, 1, 0};
static const expect wnut_train = {
    "wnut17/wnut17train.conll", NIO_SCHEME_IOB2, 0, 3394, 62730, 2, '\t', 1975,
    {{"person", 660}, {"location", 548}, {"group", 264}, {"corporation", 221},
     {"product", 142}, {"creative-work", 140}}, 0, 0, 0};
static const expect wnut_dev = {
    "wnut17/emerging.dev.conll", NIO_SCHEME_IOB2, 0, 1009, 15733, 2, '\t', 836,
    {{"person", 470}, {"product", 114}, {"creative-work", 105},
     {"location", 74}, {"group", 39}, {"corporation", 34}}, 0, 1, 0};

static int n_skipped; /* tests skipped: all of them makes main return 77 */

/* The path of a corpus file, or 0 after saying why it is not there. */
static int corpus_path(char *buf, size_t len, const char *rel)
{
    const char *dir = getenv("LIBNER_SHARED_DIR");
    if (!dir || !*dir) {
        print_message("skipped: LIBNER_SHARED_DIR is not set, so the real "
                      "corpora (../shared/data) cannot be found\n");
        return 0;
    }
    snprintf(buf, len, "%s/data/%s", dir, rel);
    if (access(buf, R_OK) != 0) {
        print_message("skipped: %s is missing (LIBNER_SHARED_DIR=%s)\n", buf,
                      dir);
        return 0;
    }
    return 1;
}

static void spans_equal(const nio_conll *a, const nio_conll *b)
{
    assert_int_equal(a->n_sents, b->n_sents);
    assert_int_equal(a->n_spans, b->n_spans);
    for (size_t i = 0; i < a->n_sents; i++) {
        assert_int_equal(a->sents[i].n_tokens, b->sents[i].n_tokens);
        assert_int_equal(a->sents[i].n_spans, b->sents[i].n_spans);
    }
    for (size_t i = 0; i < a->n_spans; i++) {
        assert_int_equal(a->spans[i].start, b->spans[i].start);
        assert_int_equal(a->spans[i].end, b->spans[i].end);
        assert_string_equal(nio_conll_label(a, a->spans[i].label),
                            nio_conll_label(b, b->spans[i].label));
    }
}

static void check(const expect *e)
{
    char path[4096], err[NER_ERRBUF_SIZE];
    if (!corpus_path(path, sizeof path, e->file)) {
        n_skipped++;
        skip();
        return;
    }
    nio_conll *c = NULL;
    int rc = nio_conll_read_file(&c, path, NIO_SCHEME_AUTO, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    print_message("%s: %zu -DOCSTART-, %zu docs, %zu sentences, %zu tokens, "
                  "%zu entities, %zu columns, scheme %s, %zu repairs\n",
                  e->file, c->n_docstart, c->n_docs, c->n_sents, c->n_tokens,
                  c->n_spans, c->n_columns, nio_scheme_name(c->scheme),
                  nio_repairs_total(&c->repairs));
    assert_int_equal(c->n_docstart, e->docs);
    assert_int_equal(c->n_docs, e->docs ? e->docs : 1);
    assert_int_equal(c->n_sents, e->sents);
    assert_int_equal(c->n_tokens, e->toks);
    assert_int_equal(c->n_columns, e->columns);
    assert_int_equal(c->sep, e->sep);
    assert_int_equal(c->scheme, e->scheme);
    assert_int_equal(c->n_spans, e->total);
    size_t sum = 0, n_labels = 0;
    for (size_t k = 0; k < 7 && e->ents[k].label; k++) {
        size_t n = nio_conll_count_entities(c, e->ents[k].label);
        print_message("  %-14s %zu\n", e->ents[k].label, n);
        assert_int_equal(n, e->ents[k].n);
        sum += n;
        n_labels++;
    }
    assert_int_equal(sum, e->total);
    assert_int_equal(nio_strtab_count(&c->labels), n_labels);
    /* No sequence needed a repair, except two B-MISC after O in eng.train
     * (IOB1 wants I-MISC there; either way an entity starts). */
    assert_int_equal(c->repairs.b_start, e->b_start);
    assert_int_equal(nio_repairs_total(&c->repairs), e->b_start);
    if (e->scheme == NIO_SCHEME_IOB1)
        assert_int_equal(c->stats.n_b, e->b_tags);

    /* The file written back with its columns in its own scheme. */
    nio_buf b;
    nio_buf_init(&b);
    assert_int_equal(nio_conll_write(c, e->scheme, NIO_CONLL_KEEP_COLUMNS, &b,
                                     err, sizeof err), NER_OK);
    if (e->same_bytes) {
        char *orig;
        size_t len;
        assert_int_equal(nio_read_file(path, &orig, &len, err, sizeof err),
                         NER_OK);
        /* Byte for byte, except the repaired lines: B-X written as I-X. */
        assert_int_equal(b.len, len);
        size_t diff = 0, line = 1, ls = 0;
        for (size_t i = 0; i < len; i++) {
            if (orig[i] == '\n') {
                line++;
                ls = i + 1;
                continue;
            }
            if (orig[i] == b.data[i])
                continue;
            print_message("  line %zu differs: %.*s\n", line,
                          (int)(strchr(orig + ls, '\n') - (orig + ls)),
                          orig + ls);
            assert_int_equal(orig[i], 'B');
            assert_int_equal(b.data[i], 'I');
            assert_int_equal(orig[i + 1], '-');
            diff++;
        }
        assert_int_equal(diff, e->b_start);
        free(orig);
    }
    /* Converted to every scheme and read back: the same entities. */
    static const nio_scheme all[] = {NIO_SCHEME_IOB1, NIO_SCHEME_IOB2,
                                     NIO_SCHEME_BILOU, NIO_SCHEME_BIOES};
    for (size_t k = 0; k < 4; k++) {
        nio_buf_free(&b);
        assert_int_equal(nio_conll_write(c, all[k], 0, &b, err, sizeof err),
                         NER_OK);
        nio_conll *c2 = NULL;
        rc = nio_conll_read_mem(&c2, b.data, b.len, NIO_SCHEME_AUTO, err,
                                sizeof err);
        if (rc)
            print_message("%s\n", err);
        assert_int_equal(rc, NER_OK);
        assert_int_equal(c2->scheme, all[k]);
        assert_int_equal(nio_repairs_total(&c2->repairs), 0);
        assert_int_equal(c2->n_docs, c->n_docs);
        assert_int_equal(c2->n_columns, 2);
        spans_equal(c, c2);
        nio_conll_free(c2);
    }
    nio_buf_free(&b);
    nio_conll_free(c);
}

static void test_conll2003_train(void **s) { (void)s; check(&conll_train); }
static void test_conll2003_dev(void **s) { (void)s; check(&conll_dev); }
static void test_ncbi_train(void **s) { (void)s; check(&ncbi_train); }
static void test_ncbi_dev(void **s) { (void)s; check(&ncbi_dev); }
static void test_bc5cdr_train(void **s) { (void)s; check(&bc5_train); }
static void test_bc5cdr_dev(void **s) { (void)s; check(&bc5_dev); }
static void test_wnut17_train(void **s) { (void)s; check(&wnut_train); }
static void test_wnut17_dev(void **s) { (void)s; check(&wnut_dev); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conll2003_train),
        cmocka_unit_test(test_conll2003_dev),
        cmocka_unit_test(test_ncbi_train),
        cmocka_unit_test(test_ncbi_dev),
        cmocka_unit_test(test_bc5cdr_train),
        cmocka_unit_test(test_bc5cdr_dev),
        cmocka_unit_test(test_wnut17_train),
        cmocka_unit_test(test_wnut17_dev),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    /* 77 tells meson the whole test was skipped. */
    if (!failed && n_skipped == (int)(sizeof tests / sizeof tests[0]))
        return 77;
    return failed;
}
