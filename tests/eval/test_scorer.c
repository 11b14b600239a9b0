/* The scorer on cases counted by hand; every number is checked.  Then a
 * randomised comparison with a naive implementation of the same rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/conll_eval.h"
#include "eval/scorer.h"
#include "io/conll.h"
#include "ner/ner.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void near(double got, double want)
{
    if (fabs(got - want) > 1e-12)
        fail_msg("%.17g != %.17g", got, want);
}

static nev_scorer *new_scorer(size_t k)
{
    nev_scorer *s = NULL;
    assert_int_equal(nev_scorer_new(&s, k), NER_OK);
    return s;
}

static void check_label(const nev_scorer *s, const char *label, size_t tp,
                        size_t fp, size_t fn, double p, double r, double f)
{
    nev_prf x;
    assert_int_equal(nev_scorer_label_prf(s, label, &x), NER_OK);
    assert_int_equal(x.tp, tp);
    assert_int_equal(x.fp, fp);
    assert_int_equal(x.fn, fn);
    near(x.p, p);
    near(x.r, r);
    near(x.f, f);
}

static void check_micro(const nev_scorer *s, size_t tp, size_t fp, size_t fn,
                        double p, double r, double f)
{
    nev_prf x;
    nev_scorer_micro(s, &x);
    assert_int_equal(x.tp, tp);
    assert_int_equal(x.fp, fp);
    assert_int_equal(x.fn, fn);
    near(x.p, p);
    near(x.r, r);
    near(x.f, f);
}

static void check_errors(const nev_scorer *s, size_t type, size_t boundary,
                         size_t boundary_type, size_t spurious, size_t missing)
{
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_TYPE), type);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_BOUNDARY), boundary);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_BOUNDARY_TYPE), boundary_type);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_SPURIOUS), spurious);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_MISSING), missing);
}

static void check_example(const nev_scorer *s, nev_error_kind k, size_t i,
                          size_t doc, const char *gold, const char *pred)
{
    const nev_example *e = nev_scorer_example(s, k, i);
    assert_non_null(e);
    assert_int_equal(e->doc, doc);
    char g[64] = "-", p[64] = "-";
    if (e->gold.label)
        snprintf(g, sizeof g, "[%zu,%zu)%s", e->gold.start, e->gold.end,
                 e->gold.label);
    if (e->pred.label)
        snprintf(p, sizeof p, "[%zu,%zu)%s", e->pred.start, e->pred.end,
                 e->pred.label);
    assert_string_equal(g, gold);
    assert_string_equal(p, pred);
}

/* The sum of the confusion table, through the JSON. */
static size_t confusion_total(const nev_scorer *s)
{
    json_t *j = nev_scores_to_json(s);
    assert_non_null(j);
    size_t total = 0;
    const char *k1, *k2;
    json_t *row, *v;
    json_object_foreach(json_object_get(j, "confusion"), k1, row)
        json_object_foreach(row, k2, v) total += (size_t)json_integer_value(v);
    json_decref(j);
    return total;
}

/* Case 1: a perfect prediction, in another order. */
static void test_perfect(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(5);
    nev_span gold[] = {{0, 2, "PER"}, {5, 6, "LOC"}};
    nev_span pred[] = {{5, 6, "LOC"}, {0, 2, "PER"}};
    assert_int_equal(nev_scorer_add(s, gold, 2, pred, 2), NER_OK);
    check_micro(s, 2, 0, 0, 1, 1, 1);
    check_label(s, "PER", 1, 0, 0, 1, 1, 1);
    check_label(s, "LOC", 1, 0, 0, 1, 1, 1);
    check_errors(s, 0, 0, 0, 0, 0);
    assert_int_equal(nev_scorer_confusion(s, "PER", "PER"), 1);
    assert_int_equal(nev_scorer_confusion(s, "LOC", "LOC"), 1);
    assert_int_equal(nev_scorer_confusion(s, "LOC", "PER"), 0);
    assert_int_equal(confusion_total(s), 2);
    assert_int_equal(nev_scorer_doc_count(s), 1);
    nev_scorer_free(s);
}

/* Case 2: one error of each category in one document. */
static void test_each_category(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(5);
    nev_span gold[] = {{0, 2, "PER"}, {4, 6, "ORG"}, {8, 10, "LOC"},
                       {12, 13, "MISC"}, {20, 22, "PER"}};
    nev_span pred[] = {{0, 2, "PER"},    /* correct */
                       {4, 6, "LOC"},    /* type */
                       {8, 11, "LOC"},   /* boundary */
                       {12, 14, "PER"},  /* boundary_type */
                       {16, 18, "ORG"}}; /* spurious; gold [20,22) missing */
    assert_int_equal(nev_scorer_add(s, gold, N(gold), pred, N(pred)), NER_OK);
    check_micro(s, 1, 4, 4, 0.2, 0.2, 0.2);
    check_label(s, "PER", 1, 1, 1, 0.5, 0.5, 0.5);
    check_label(s, "ORG", 0, 1, 1, 0, 0, 0);
    check_label(s, "LOC", 0, 2, 1, 0, 0, 0);
    check_label(s, "MISC", 0, 0, 1, 0, 0, 0);
    check_errors(s, 1, 1, 1, 1, 1);
    check_example(s, NEV_ERR_TYPE, 0, 0, "[4,6)ORG", "[4,6)LOC");
    check_example(s, NEV_ERR_BOUNDARY, 0, 0, "[8,10)LOC", "[8,11)LOC");
    check_example(s, NEV_ERR_BOUNDARY_TYPE, 0, 0, "[12,13)MISC", "[12,14)PER");
    check_example(s, NEV_ERR_SPURIOUS, 0, 0, "-", "[16,18)ORG");
    check_example(s, NEV_ERR_MISSING, 0, 0, "[20,22)PER", "-");
    assert_null(nev_scorer_example(s, NEV_ERR_TYPE, 1));
    assert_int_equal(nev_scorer_confusion(s, "PER", "PER"), 1);
    assert_int_equal(nev_scorer_confusion(s, "ORG", "LOC"), 1);
    assert_int_equal(nev_scorer_confusion(s, "LOC", "LOC"), 1);
    assert_int_equal(nev_scorer_confusion(s, "MISC", "PER"), 1);
    assert_int_equal(nev_scorer_confusion(s, NULL, "ORG"), 1);
    assert_int_equal(nev_scorer_confusion(s, "O", "ORG"), 1);
    assert_int_equal(nev_scorer_confusion(s, "PER", NULL), 1);
    assert_int_equal(nev_scorer_confusion(s, "PER", "O"), 1);
    assert_int_equal(nev_scorer_confusion(s, "XYZ", "O"), 0);
    assert_int_equal(confusion_total(s), 6); /* 5 predictions + 1 missing */

    /* The JSON holds the same numbers. */
    json_t *j = nev_scores_to_json(s);
    assert_non_null(j);
    near(json_real_value(json_object_get(j, "ents_p")), 0.2);
    near(json_real_value(json_object_get(j, "ents_r")), 0.2);
    near(json_real_value(json_object_get(j, "ents_f")), 0.2);
    assert_true(json_is_real(json_object_get(j, "ents_f")));
    assert_int_equal(json_integer_value(json_object_get(j, "ents_tp")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "ents_fp")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "ents_fn")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "docs")), 1);
    json_t *per = json_object_get(j, "ents_per_type");
    assert_int_equal(json_object_size(per), 4);
    /* sorted labels */
    const char *order[] = {"LOC", "MISC", "ORG", "PER"};
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(per, key, v) assert_string_equal(key, order[i++]);
    json_t *pe = json_object_get(per, "PER");
    near(json_real_value(json_object_get(pe, "p")), 0.5);
    near(json_real_value(json_object_get(pe, "r")), 0.5);
    near(json_real_value(json_object_get(pe, "f")), 0.5);
    assert_int_equal(json_integer_value(json_object_get(pe, "tp")), 1);
    assert_int_equal(json_integer_value(json_object_get(pe, "fp")), 1);
    assert_int_equal(json_integer_value(json_object_get(pe, "fn")), 1);
    json_t *lo = json_object_get(per, "LOC");
    assert_int_equal(json_integer_value(json_object_get(lo, "fp")), 2);
    near(json_real_value(json_object_get(lo, "f")), 0);
    json_t *errs = json_object_get(j, "errors");
    assert_int_equal(json_object_size(errs), 5);
    for (int k = 0; k < NEV_ERR_COUNT; k++)
        assert_int_equal(json_integer_value(json_object_get(errs, nev_error_name(k))), 1);
    json_t *ex = json_object_get(json_object_get(j, "error_examples"), "boundary_type");
    assert_int_equal(json_array_size(ex), 1);
    json_t *want = json_pack("{sIs{sIsIss}s{sIsIss}}", "doc", (json_int_t)0,
                             "gold", "start", (json_int_t)12, "end", (json_int_t)13,
                             "label", "MISC", "pred", "start", (json_int_t)12,
                             "end", (json_int_t)14, "label", "PER");
    assert_true(json_equal(json_array_get(ex, 0), want));
    json_decref(want);
    ex = json_object_get(json_object_get(j, "error_examples"), "spurious");
    assert_true(json_is_null(json_object_get(json_array_get(ex, 0), "gold")));
    json_t *conf = json_object_get(j, "confusion");
    char *dump = json_dumps(conf, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_string_equal(dump, "{\"LOC\":{\"LOC\":1},\"MISC\":{\"PER\":1},"
                              "\"ORG\":{\"LOC\":1},\"PER\":{\"PER\":1,\"O\":1},"
                              "\"O\":{\"ORG\":1}}");
    free(dump);
    json_decref(j);
    nev_scorer_free(s);
}

/* Case 3: a wrong prediction overlapping several gold spans is one error,
 * judged against the gold span it overlaps most; the other gold spans it
 * overlaps are not "missing". */
static void test_prediction_over_several_golds(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(5);
    nev_span gold[] = {{0, 2, "PER"}, {3, 6, "ORG"}, {7, 8, "LOC"}};
    nev_span pred[] = {{1, 8, "ORG"}};
    assert_int_equal(nev_scorer_add(s, gold, 3, pred, 1), NER_OK);
    check_micro(s, 0, 1, 3, 0, 0, 0);
    check_label(s, "ORG", 0, 1, 1, 0, 0, 0);
    check_label(s, "PER", 0, 0, 1, 0, 0, 0);
    check_label(s, "LOC", 0, 0, 1, 0, 0, 0);
    check_errors(s, 0, 1, 0, 0, 0);
    check_example(s, NEV_ERR_BOUNDARY, 0, 0, "[3,6)ORG", "[1,8)ORG");
    assert_int_equal(nev_scorer_confusion(s, "ORG", "ORG"), 1);
    assert_int_equal(confusion_total(s), 1);

    /* Ties on overlap: the same label wins, then the earlier gold span. */
    nev_span g2[] = {{0, 2, "PER"}, {2, 4, "ORG"}};
    nev_span p2[] = {{1, 3, "ORG"}};
    nev_span p3[] = {{1, 3, "LOC"}};
    assert_int_equal(nev_scorer_add(s, g2, 2, p2, 1), NER_OK);
    assert_int_equal(nev_scorer_add(s, g2, 2, p3, 1), NER_OK);
    check_errors(s, 0, 2, 1, 0, 0);
    check_example(s, NEV_ERR_BOUNDARY, 1, 1, "[2,4)ORG", "[1,3)ORG");
    check_example(s, NEV_ERR_BOUNDARY_TYPE, 0, 2, "[0,2)PER", "[1,3)LOC");
    /* Same boundaries beat a larger overlap with the same label. */
    nev_span g4[] = {{0, 6, "PER"}, {2, 4, "ORG"}};
    nev_span p4[] = {{2, 4, "PER"}};
    assert_int_equal(nev_scorer_add(s, g4, 2, p4, 1), NER_OK);
    check_errors(s, 1, 2, 1, 0, 0);
    check_example(s, NEV_ERR_TYPE, 0, 3, "[2,4)ORG", "[2,4)PER");
    /* A larger overlap beats the same label. */
    nev_span g5[] = {{0, 2, "PER"}, {2, 6, "ORG"}};
    nev_span p5[] = {{1, 5, "PER"}};
    assert_int_equal(nev_scorer_add(s, g5, 2, p5, 1), NER_OK);
    check_errors(s, 1, 2, 2, 0, 0);
    check_example(s, NEV_ERR_BOUNDARY_TYPE, 1, 4, "[2,6)ORG", "[1,5)PER");
    assert_int_equal(nev_scorer_doc_count(s), 5);
    /* fp = 5 predictions, all wrong; fn = 3 + 2 + 2 + 2 + 2 gold spans */
    check_micro(s, 0, 5, 11, 0, 0, 0);
    nev_scorer_free(s);
}

/* Case 4: duplicates are matched one to one. */
static void test_duplicates(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(5);
    nev_span gold[] = {{0, 2, "PER"}};
    nev_span pred[] = {{0, 2, "PER"}, {0, 2, "PER"}};
    assert_int_equal(nev_scorer_add(s, gold, 1, pred, 2), NER_OK);
    /* The twin prediction overlaps only its (matched) twin: spurious. */
    check_micro(s, 1, 1, 0, 0.5, 1, 2.0 / 3.0);
    check_label(s, "PER", 1, 1, 0, 0.5, 1, 2.0 / 3.0);
    check_errors(s, 0, 0, 0, 1, 0);
    assert_int_equal(nev_scorer_confusion(s, "PER", "PER"), 1);
    assert_int_equal(nev_scorer_confusion(s, "O", "PER"), 1);
    /* A duplicated gold span predicted once: the other is missing. */
    nev_span g2[] = {{0, 2, "PER"}, {0, 2, "PER"}};
    nev_span p2[] = {{0, 2, "PER"}};
    assert_int_equal(nev_scorer_add(s, g2, 2, p2, 1), NER_OK);
    check_micro(s, 2, 1, 1, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0);
    check_errors(s, 0, 0, 0, 1, 1);
    check_example(s, NEV_ERR_MISSING, 0, 1, "[0,2)PER", "-");
    assert_int_equal(confusion_total(s), 4); /* 3 predictions + 1 missing */
    nev_scorer_free(s);
}

/* Case 5: empty sides and the zero conventions. */
static void test_zero_conventions(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(5);
    check_micro(s, 0, 0, 0, 0, 0, 0);
    assert_int_equal(nev_scorer_add(s, NULL, 0, NULL, 0), NER_OK);
    check_micro(s, 0, 0, 0, 0, 0, 0);
    json_t *j = nev_scores_to_json(s);
    assert_non_null(j);
    assert_true(json_is_real(json_object_get(j, "ents_p")));
    near(json_real_value(json_object_get(j, "ents_p")), 0);
    assert_int_equal(json_object_size(json_object_get(j, "ents_per_type")), 0);
    assert_int_equal(json_object_size(json_object_get(j, "confusion")), 0);
    json_decref(j);
    /* gold only: nothing predicted, p = 0 (0/0), r = 0, f = 0 */
    nev_span gold[] = {{3, 4, "X"}};
    assert_int_equal(nev_scorer_add(s, gold, 1, NULL, 0), NER_OK);
    check_micro(s, 0, 0, 1, 0, 0, 0);
    check_errors(s, 0, 0, 0, 0, 1);
    /* predictions only: spurious */
    nev_span pred[] = {{3, 4, "Y"}, {7, 9, "X"}};
    assert_int_equal(nev_scorer_add(s, NULL, 0, pred, 2), NER_OK);
    check_micro(s, 0, 2, 1, 0, 0, 0);
    check_label(s, "X", 0, 1, 1, 0, 0, 0);
    check_label(s, "Y", 0, 1, 0, 0, 0, 0);
    check_errors(s, 0, 0, 0, 2, 1);
    nev_prf x;
    assert_int_equal(nev_scorer_label_prf(s, "Z", &x), NER_ENOTFOUND);
    assert_int_equal(x.tp + x.fp + x.fn, 0);
    /* touching spans do not overlap */
    nev_span g3[] = {{0, 2, "X"}};
    nev_span p3[] = {{2, 4, "X"}};
    assert_int_equal(nev_scorer_add(s, g3, 1, p3, 1), NER_OK);
    check_errors(s, 0, 0, 0, 3, 2);
    /* invalid spans: refused, nothing counted */
    nev_span bad[] = {{0, 1, "X"}, {2, 2, "X"}};
    nev_span nolabel[] = {{0, 1, NULL}};
    nev_span empty[] = {{0, 1, ""}};
    assert_int_equal(nev_scorer_add(s, bad, 2, NULL, 0), NER_EINVAL);
    assert_int_equal(nev_scorer_add(s, NULL, 0, nolabel, 1), NER_EINVAL);
    assert_int_equal(nev_scorer_add(s, empty, 1, NULL, 0), NER_EINVAL);
    assert_int_equal(nev_scorer_add(s, NULL, 3, NULL, 0), NER_EINVAL);
    assert_int_equal(nev_scorer_doc_count(s), 4);
    check_micro(s, 0, 3, 2, 0, 0, 0);
    nev_scorer_free(s);
    nev_scorer_free(NULL);
    assert_int_equal(nev_scorer_new(NULL, 1), NER_EINVAL);
    assert_null(nev_error_name(NEV_ERR_COUNT));
}

/* Case 6: documents accumulate; at most K examples are kept, in order. */
static void test_documents_and_example_limit(void **state)
{
    (void)state;
    nev_scorer *s = new_scorer(2);
    nev_span gold[] = {{0, 1, "A"}, {2, 3, "B"}};
    nev_span pred[] = {{0, 1, "A"}, {5, 6, "C"}};
    for (int d = 0; d < 3; d++)
        assert_int_equal(nev_scorer_add(s, gold, 2, pred, 2), NER_OK);
    check_micro(s, 3, 3, 3, 0.5, 0.5, 0.5);
    check_label(s, "A", 3, 0, 0, 1, 1, 1);
    check_label(s, "B", 0, 0, 3, 0, 0, 0);
    check_label(s, "C", 0, 3, 0, 0, 0, 0);
    check_errors(s, 0, 0, 0, 3, 3);
    assert_int_equal(nev_scorer_example_count(s, NEV_ERR_SPURIOUS), 2);
    assert_int_equal(nev_scorer_example_count(s, NEV_ERR_MISSING), 2);
    check_example(s, NEV_ERR_SPURIOUS, 0, 0, "-", "[5,6)C");
    check_example(s, NEV_ERR_SPURIOUS, 1, 1, "-", "[5,6)C");
    check_example(s, NEV_ERR_MISSING, 1, 1, "[2,3)B", "-");
    assert_null(nev_scorer_example(s, NEV_ERR_MISSING, 2));
    assert_int_equal(nev_scorer_label_count(s), 3);
    assert_string_equal(nev_scorer_label(s, 2), "C");
    assert_null(nev_scorer_label(s, 3));
    json_t *j = nev_scores_to_json(s);
    json_t *ex = json_object_get(json_object_get(j, "error_examples"), "missing");
    assert_int_equal(json_array_size(ex), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ex, 1), "doc")), 1);
    json_decref(j);
    nev_scorer_free(s);

    /* K = 0 keeps none; K = 1000 grows past its first block. */
    s = new_scorer(0);
    assert_int_equal(nev_scorer_add(s, NULL, 0, pred, 2), NER_OK);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_SPURIOUS), 2);
    assert_int_equal(nev_scorer_example_count(s, NEV_ERR_SPURIOUS), 0);
    nev_scorer_free(s);
    s = new_scorer(1000);
    nev_span many[300];
    for (size_t i = 0; i < 300; i++)
        many[i] = (nev_span){2 * i, 2 * i + 1, "M"};
    assert_int_equal(nev_scorer_add(s, NULL, 0, many, 300), NER_OK);
    assert_int_equal(nev_scorer_add(s, many, 300, NULL, 0), NER_OK);
    assert_int_equal(nev_scorer_example_count(s, NEV_ERR_SPURIOUS), 300);
    assert_int_equal(nev_scorer_example_count(s, NEV_ERR_MISSING), 300);
    check_example(s, NEV_ERR_SPURIOUS, 299, 0, "-", "[598,599)M");
    check_example(s, NEV_ERR_MISSING, 150, 1, "[300,301)M", "-");
    nev_scorer_free(s);
}

static void fixture(char *buf, size_t len, const char *name)
{
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    snprintf(buf, len, "%s/tests/fixtures/eval/%s", root ? root : ".", name);
}

static nio_conll *read_fixture(const char *name)
{
    char path[1024], err[NER_ERRBUF_SIZE];
    fixture(path, sizeof path, name);
    nio_conll *c = NULL;
    int rc = nio_conll_read_file(&c, path, NIO_SCHEME_AUTO, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    return c;
}

/* Case 7: IOB1 gold and predicted column files through the CoNLL reader
 * (tests/fixtures/eval/gold_iob1.conll, pred_iob1.conll).  Offsets are
 * tokens from the start of each document.
 *   gold doc 0: LOC[0,1) Germany, PER[3,5) Werner Zwingmann, LOC[7,8) Japan,
 *               LOC[9,10) Syria, LOC[10,11) Spain (B-LOC after I-LOC)
 *   gold doc 1: ORG[0,3) New York Times, ORG[4,5) Reuters
 *   pred doc 0: LOC[0,1) correct; PER[3,4) boundary; ORG[7,8) type;
 *               LOC[9,11) boundary (ties Syria and Spain: the earlier);
 *               MISC[11,12) "." spurious
 *   pred doc 1: LOC[0,2) boundary_type, ORG[2,3) boundary (both against
 *               New York Times); Reuters missing
 *   tp 1, fp 6, fn 6: P = R = F = 1/7;  LOC tp 1 fp 2 fn 3: P 1/3 R 1/4
 *   F 2/7;  Spain, Syria... overlapped by wrong predictions: not missing. */
static void test_iob1_files(void **state)
{
    (void)state;
    nio_conll *gold = read_fixture("gold_iob1.conll");
    nio_conll *pred = read_fixture("pred_iob1.conll");
    assert_int_equal(gold->scheme, NIO_SCHEME_IOB1);
    assert_int_equal(pred->scheme, NIO_SCHEME_IOB1);
    assert_int_equal(gold->n_spans, 7);
    assert_int_equal(pred->n_spans, 7);
    nev_scorer *s = new_scorer(10);
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(nev_scorer_add_conll(s, gold, pred, err, sizeof err), NER_OK);
    assert_int_equal(nev_scorer_doc_count(s), 2);
    check_micro(s, 1, 6, 6, 1.0 / 7, 1.0 / 7, 1.0 / 7);
    check_label(s, "LOC", 1, 2, 3, 1.0 / 3, 1.0 / 4, 2.0 / 7);
    check_label(s, "PER", 0, 1, 1, 0, 0, 0);
    check_label(s, "ORG", 0, 2, 2, 0, 0, 0);
    check_label(s, "MISC", 0, 1, 0, 0, 0, 0);
    check_errors(s, 1, 3, 1, 1, 1);
    check_example(s, NEV_ERR_TYPE, 0, 0, "[7,8)LOC", "[7,8)ORG");
    check_example(s, NEV_ERR_BOUNDARY, 0, 0, "[3,5)PER", "[3,4)PER");
    check_example(s, NEV_ERR_BOUNDARY, 1, 0, "[9,10)LOC", "[9,11)LOC");
    check_example(s, NEV_ERR_BOUNDARY, 2, 1, "[0,3)ORG", "[2,3)ORG");
    check_example(s, NEV_ERR_BOUNDARY_TYPE, 0, 1, "[0,3)ORG", "[0,2)LOC");
    check_example(s, NEV_ERR_SPURIOUS, 0, 0, "-", "[11,12)MISC");
    check_example(s, NEV_ERR_MISSING, 0, 1, "[4,5)ORG", "-");
    assert_int_equal(nev_scorer_confusion(s, "LOC", "LOC"), 2);
    assert_int_equal(nev_scorer_confusion(s, "PER", "PER"), 1);
    assert_int_equal(nev_scorer_confusion(s, "LOC", "ORG"), 1);
    assert_int_equal(nev_scorer_confusion(s, "O", "MISC"), 1);
    assert_int_equal(nev_scorer_confusion(s, "ORG", "LOC"), 1);
    assert_int_equal(nev_scorer_confusion(s, "ORG", "ORG"), 1);
    assert_int_equal(nev_scorer_confusion(s, "ORG", "O"), 1);
    assert_int_equal(confusion_total(s), 8);

    /* the gold file against itself */
    nev_scorer *self = new_scorer(1);
    assert_int_equal(nev_scorer_add_conll(self, gold, gold, err, sizeof err), NER_OK);
    check_micro(self, 7, 0, 0, 1, 1, 1);
    nev_scorer_free(self);

    /* files that do not line up */
    nio_conll *other = read_fixture("misaligned.conll");
    assert_int_equal(nev_scorer_add_conll(s, gold, other, err, sizeof err), NER_EINVAL);
    print_message("%s\n", err);
    assert_string_equal(err, "tokens differ: \"Zwingmann\" (gold line 7) and "
                             "\"Zwingman\" (predicted line 5)");
    assert_int_equal(nev_scorer_doc_count(s), 2);
    nio_conll_free(other);
    nev_scorer_free(s);
    nio_conll_free(gold);
    nio_conll_free(pred);
}

/* ---------------------------------------------------------- randomised */

typedef struct rs { size_t start, end; int label; } rs;

static unsigned long rng_state = 12345;
static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((rng_state >> 33) % n);
}

static int rs_cmp(const rs *a, const rs *b)
{
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    return a->label - b->label;
}

static int ov(const rs *a, const rs *b)
{
    return a->start < b->end && b->start < a->end;
}

/* The rules of scorer.h written the slow, obvious way. */
static void naive(const rs *g, size_t ng, const rs *p, size_t np,
                  size_t errors[NEV_ERR_COUNT], size_t conf[4][4], size_t *tp)
{
    int gm[64] = {0}, pm[64] = {0};
    for (size_t j = 0; j < np; j++)
        for (size_t i = 0; i < ng; i++)
            if (!gm[i] && rs_cmp(&g[i], &p[j]) == 0) {
                gm[i] = pm[j] = 1;
                (*tp)++;
                conf[g[i].label + 1][p[j].label + 1]++;
                break;
            }
    for (size_t j = 0; j < np; j++) {
        if (pm[j])
            continue;
        const rs *best = NULL;
        size_t best_ov = 0;
        int best_exact = 0, best_same = 0;
        for (size_t i = 0; i < ng; i++) {
            if (!ov(&g[i], &p[j]) || rs_cmp(&g[i], &p[j]) == 0)
                continue;
            int exact = g[i].start == p[j].start && g[i].end == p[j].end;
            int same = g[i].label == p[j].label;
            size_t o = (g[i].end < p[j].end ? g[i].end : p[j].end) -
                       (g[i].start > p[j].start ? g[i].start : p[j].start);
            int better = !best || exact > best_exact ||
                         (exact == best_exact &&
                          (o > best_ov ||
                           (o == best_ov &&
                            (same > best_same ||
                             (same == best_same && rs_cmp(&g[i], best) < 0)))));
            if (better) {
                best = &g[i];
                best_ov = o;
                best_exact = exact;
                best_same = same;
            }
        }
        int k = !best ? NEV_ERR_SPURIOUS
                : best_exact ? NEV_ERR_TYPE
                : best_same ? NEV_ERR_BOUNDARY : NEV_ERR_BOUNDARY_TYPE;
        errors[k]++;
        conf[best ? best->label + 1 : 0][p[j].label + 1]++;
    }
    for (size_t i = 0; i < ng; i++) {
        if (gm[i])
            continue;
        int covered = 0;
        for (size_t j = 0; j < np; j++)
            covered |= !pm[j] && ov(&g[i], &p[j]);
        if (!covered) {
            errors[NEV_ERR_MISSING]++;
            conf[g[i].label + 1][0]++;
        }
    }
}

static void test_random_against_naive(void **state)
{
    (void)state;
    static const char *names[3] = {"A", "B", "C"};
    nev_scorer *s = new_scorer(0);
    /* fix the label ids: A, B, C */
    nev_span abc[] = {{0, 1, "A"}, {0, 1, "B"}, {0, 1, "C"}};
    assert_int_equal(nev_scorer_add(s, abc, 3, abc, 3), NER_OK);
    size_t errors[NEV_ERR_COUNT] = {0}, conf[4][4] = {{0}}, tp = 3;
    conf[1][1] = conf[2][2] = conf[3][3] = 1;
    size_t n_pred = 3;
    for (int doc = 0; doc < 3000; doc++) {
        rs g[64], p[64];
        nev_span gs[64], ps[64];
        size_t ng = rnd(8), np = rnd(8);
        for (size_t i = 0; i < ng; i++) {
            size_t a = rnd(12);
            g[i] = (rs){a, a + 1 + rnd(4), (int)rnd(3)};
            gs[i] = (nev_span){g[i].start, g[i].end, names[g[i].label]};
        }
        for (size_t j = 0; j < np; j++) {
            if (ng && rnd(3) == 0) {
                p[j] = g[rnd((unsigned)ng)];      /* a copy of a gold span */
                if (rnd(2)) p[j].label = (int)rnd(3);
            } else {
                size_t a = rnd(12);
                p[j] = (rs){a, a + 1 + rnd(4), (int)rnd(3)};
            }
            ps[j] = (nev_span){p[j].start, p[j].end, names[p[j].label]};
        }
        n_pred += np;
        naive(g, ng, p, np, errors, conf, &tp);
        assert_int_equal(nev_scorer_add(s, gs, ng, ps, np), NER_OK);
    }
    nev_prf m;
    nev_scorer_micro(s, &m);
    assert_int_equal(m.tp, tp);
    assert_int_equal(m.tp + m.fp, n_pred);
    for (int k = 0; k < NEV_ERR_COUNT; k++) {
        print_message("%-14s naive %zu scorer %zu\n", nev_error_name(k),
                      errors[k], nev_scorer_errors(s, k));
        assert_int_equal(nev_scorer_errors(s, k), errors[k]);
    }
    assert_int_equal(m.fp, errors[0] + errors[1] + errors[2] + errors[3]);
    assert_true(m.fn >= errors[NEV_ERR_MISSING]);
    const char *cl[4] = {"O", "A", "B", "C"};
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            assert_int_equal(nev_scorer_confusion(s, cl[a], cl[b]), conf[a][b]);
    assert_int_equal(confusion_total(s), n_pred + errors[NEV_ERR_MISSING]);
    nev_scorer_free(s);
}

/* Large documents stay fast (the overlap search is not quadratic). */
static void test_large_document(void **state)
{
    (void)state;
    size_t n = 200000;
    nev_span *g = malloc(n * sizeof *g), *p = malloc(n * sizeof *p);
    assert_non_null(g);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) {
        g[i] = (nev_span){10 * i, 10 * i + 3, i % 2 ? "A" : "B"};
        p[i] = (nev_span){10 * i + (i % 3 == 0), 10 * i + 3, i % 2 ? "A" : "B"};
    }
    nev_scorer *s = new_scorer(3);
    assert_int_equal(nev_scorer_add(s, g, n, p, n), NER_OK);
    nev_prf m;
    nev_scorer_micro(s, &m);
    size_t wrong = (n + 2) / 3;
    assert_int_equal(m.tp, n - wrong);
    assert_int_equal(m.fp, wrong);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_BOUNDARY), wrong);
    assert_int_equal(nev_scorer_errors(s, NEV_ERR_MISSING), 0);
    nev_scorer_free(s);
    free(g);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect),
        cmocka_unit_test(test_each_category),
        cmocka_unit_test(test_prediction_over_several_golds),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_zero_conventions),
        cmocka_unit_test(test_documents_and_example_limit),
        cmocka_unit_test(test_iob1_files),
        cmocka_unit_test(test_random_against_naive),
        cmocka_unit_test(test_large_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
