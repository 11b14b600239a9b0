/* transformers' token-classification post-processing
 * (lib/components/bert_aggregate.h) on hand-made probabilities: every
 * strategy, the tie and sub-word rules, label parsing, ignore_labels, the
 * float32 arithmetic, windows and their merge. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "components/bert_aggregate.h"
#include "ner/ner.h"

static const char *const L5[] = {"O", "B-PER", "I-PER", "B-ORG", "I-ORG"};
static const char *const IGN_O[] = {"O"};

/* Probability rows for 5 labels. */
#define ROW(o, bp, ip, bo, io) {o, bp, ip, bo, io}

typedef struct tok {
    float p[5];
    int sub;
} tok;

static size_t run(const nc_agg_labels *L, int strategy, const tok *t, size_t n, nc_agg_vec *v)
{
    nc_agg_token in[16];
    assert_true(n <= 16);
    for (size_t i = 0; i < n; i++) {
        in[i].probs = t[i].p;
        in[i].start = 10 * i;
        in[i].end = 10 * i + (t[i].sub ? 4 : 5);
        in[i].piece = 100 + i;
        in[i].is_subword = t[i].sub;
    }
    v->n = 0;
    assert_int_equal(nc_agg_window(L, strategy, in, n, v), NER_OK);
    return v->n;
}

static void check(const nc_agg_entity *e, const char *label, float score, size_t first,
                  size_t last)
{
    assert_string_equal(e->label, label);
    assert_true(e->score == score);
    assert_int_equal(e->first, 100 + first);
    assert_int_equal(e->last, 100 + last);
    assert_int_equal(e->start, 10 * first);
}

static float mean2(float a, float b)
{
    float s = a + b;
    return (float)((double)s / 2.0);
}

static void test_parse(void **s)
{
    (void)s;
    assert_int_equal(nc_agg_parse("none"), NC_AGG_NONE);
    assert_int_equal(nc_agg_parse("simple"), NC_AGG_SIMPLE);
    assert_int_equal(nc_agg_parse("first"), NC_AGG_FIRST);
    assert_int_equal(nc_agg_parse("average"), NC_AGG_AVERAGE);
    assert_int_equal(nc_agg_parse("max"), NC_AGG_MAX);
    assert_int_equal(nc_agg_parse("Simple"), -1);
    assert_int_equal(nc_agg_parse(NULL), -1);
    assert_string_equal(nc_agg_name(NC_AGG_AVERAGE), "average");
}

static void test_none_and_simple(void **s)
{
    (void)s;
    nc_agg_labels *L = nc_agg_labels_new(L5, 5, IGN_O, 1);
    nc_agg_vec v = {0};
    const tok t[] = {
        {ROW(.1f, .6f, .1f, .1f, .1f), 0},   /* B-PER .6 */
        {ROW(.1f, .1f, .7f, .05f, .05f), 1}, /* I-PER .7 (a sub-word) */
        {ROW(.8f, .05f, .05f, .05f, .05f), 0}, /* O */
        {ROW(.1f, .1f, .5f, .2f, .1f), 0},   /* I-PER after O: a new group */
        {ROW(.1f, .1f, .1f, .1f, .6f), 0},   /* I-ORG after I-PER: a new group */
        {ROW(.1f, .1f, .1f, .6f, .1f), 0},   /* B-ORG: never joins */
        {ROW(.1f, .1f, .1f, .1f, .6f), 0},   /* I-ORG joins the B-ORG */
    };
    assert_int_equal(run(L, NC_AGG_NONE, t, 7, &v), 6);
    check(&v.e[0], "B-PER", .6f, 0, 0);
    check(&v.e[1], "I-PER", .7f, 1, 1);
    check(&v.e[2], "I-PER", .5f, 3, 3);
    check(&v.e[5], "I-ORG", .6f, 6, 6);
    assert_int_equal(run(L, NC_AGG_SIMPLE, t, 7, &v), 4);
    check(&v.e[0], "PER", mean2(.6f, .7f), 0, 1);
    assert_int_equal(v.e[0].end, 14);
    check(&v.e[1], "PER", .5f, 3, 3);
    check(&v.e[2], "ORG", .6f, 4, 4);
    check(&v.e[3], "ORG", mean2(.6f, .6f), 5, 6);
    /* B-PER B-PER: two groups */
    const tok bb[] = {{ROW(0, 1, 0, 0, 0), 0}, {ROW(0, 1, 0, 0, 0), 1}};
    assert_int_equal(run(L, NC_AGG_SIMPLE, bb, 2, &v), 2);
    /* argmax tie: the first label wins (B-PER before B-ORG) */
    const tok tie[] = {{ROW(.1f, .4f, .05f, .4f, .05f), 0}};
    assert_int_equal(run(L, NC_AGG_SIMPLE, tie, 1, &v), 1);
    check(&v.e[0], "PER", .4f, 0, 0);
    nc_agg_vec_free(&v);
    nc_agg_labels_free(L);
}

static void test_word_strategies(void **s)
{
    (void)s;
    nc_agg_labels *L = nc_agg_labels_new(L5, 5, IGN_O, 1);
    nc_agg_vec v = {0};
    /* word 1 = tokens 0,1 (1 a sub-word); word 2 = tokens 2,3,4 */
    const tok t[] = {
        {ROW(.2f, .5f, .1f, .1f, .1f), 0},    /* B-PER .5 */
        {ROW(.9f, .025f, .025f, .025f, .025f), 1}, /* O .9 */
        {ROW(.1f, .1f, .1f, .3f, .4f), 0},    /* I-ORG .4 */
        {ROW(.1f, .1f, .1f, .6f, .1f), 1},    /* B-ORG .6 */
        {ROW(.2f, .2f, .2f, .2f, .2f), 1},    /* all equal */
    };
    /* first: the word takes its first token's label and score */
    assert_int_equal(run(L, NC_AGG_FIRST, t, 5, &v), 2);
    check(&v.e[0], "PER", .5f, 0, 1);
    assert_int_equal(v.e[0].end, 14);
    check(&v.e[1], "ORG", .4f, 2, 4);
    /* max: the token with the highest top probability */
    assert_int_equal(run(L, NC_AGG_MAX, t, 5, &v), 1); /* word 1 is O (.9): ignored */
    check(&v.e[0], "ORG", .6f, 2, 4);
    /* average: mean of the probability vectors, then argmax */
    assert_int_equal(run(L, NC_AGG_AVERAGE, t, 5, &v), 1);
    float o = (float)((double)(.2f + .9f) / 2.0);
    float b = (float)((double)(.5f + .025f) / 2.0);
    assert_true(o > b); /* word 1 averages to O */
    float bo = (float)((double)((.3f + .6f) + .2f) / 3.0);
    float io = (float)((double)((.4f + .1f) + .2f) / 3.0);
    assert_true(bo > io);
    check(&v.e[0], "ORG", bo, 2, 4);
    /* max, ties: the first of the tokens with the same top probability */
    const tok mt[] = {{ROW(.1f, .7f, .1f, .05f, .05f), 0}, {ROW(.1f, .05f, .05f, .7f, .1f), 1}};
    assert_int_equal(run(L, NC_AGG_MAX, mt, 2, &v), 1);
    check(&v.e[0], "PER", .7f, 0, 1);
    /* a window starting with a sub-word: it opens a word of its own */
    const tok sw[] = {{ROW(.1f, .1f, .7f, .05f, .05f), 1}, {ROW(.1f, .1f, .7f, .05f, .05f), 1}};
    assert_int_equal(run(L, NC_AGG_FIRST, sw, 2, &v), 1);
    check(&v.e[0], "PER", .7f, 0, 1);
    /* words group as in simple: B-PER word, I-PER word -> one PER group */
    const tok g[] = {{ROW(0, .8f, .2f, 0, 0), 0}, {ROW(0, .1f, .9f, 0, 0), 1},
                     {ROW(0, .3f, .7f, 0, 0), 0}};
    assert_int_equal(run(L, NC_AGG_FIRST, g, 3, &v), 1);
    check(&v.e[0], "PER", mean2(.8f, .7f), 0, 2);
    nc_agg_vec_free(&v);
    nc_agg_labels_free(L);
}

static void test_labels(void **s)
{
    (void)s;
    /* labels without a prefix, BIOES labels, and a custom ignore list */
    static const char *const lab[] = {"O", "PER", "S-LOC", "E-LOC", "B-X-Y"};
    static const char *const ign[] = {"O", "Y"};
    nc_agg_labels *L = nc_agg_labels_new(lab, 5, ign, 2);
    const char *const *out;
    size_t n = nc_agg_output_labels(L, NC_AGG_SIMPLE, &out);
    assert_int_equal(n, 3);          /* PER, LOC and "X-Y" (B-X-Y's group) */
    assert_string_equal(out[0], "PER");
    assert_string_equal(out[1], "LOC");
    assert_string_equal(out[2], "X-Y");
    n = nc_agg_output_labels(L, NC_AGG_NONE, &out);
    assert_int_equal(n, 4);          /* all but "O" */
    nc_agg_vec v = {0};
    /* PER PER: tag PER both, not B -> one group "PER" */
    const tok t[] = {{ROW(0, 1, 0, 0, 0), 0}, {ROW(0, 1, 0, 0, 0), 0},
                     /* S-LOC then E-LOC: tags differ ("S-LOC" vs "E-LOC") -> two
                      * groups, both called "LOC" (split on the first '-') */
                     {ROW(0, 0, 1, 0, 0), 0}, {ROW(0, 0, 0, 1, 0), 0},
                     /* B-X-Y: group label "X-Y", not ignored ("Y" is not it) */
                     {ROW(0, 0, 0, 0, 1), 0}};
    assert_int_equal(run(L, NC_AGG_SIMPLE, t, 5, &v), 4);
    assert_string_equal(v.e[0].label, "PER");
    assert_int_equal(v.e[0].last, 101);
    assert_string_equal(v.e[1].label, "LOC");
    assert_string_equal(v.e[2].label, "LOC");
    assert_string_equal(v.e[3].label, "X-Y");
    nc_agg_vec_free(&v);
    nc_agg_labels_free(L);

    /* ignore nothing: O groups come out too */
    L = nc_agg_labels_new(L5, 5, NULL, 0);
    const tok o[] = {{ROW(1, 0, 0, 0, 0), 0}, {ROW(1, 0, 0, 0, 0), 0}};
    assert_int_equal(run(L, NC_AGG_SIMPLE, o, 2, &v), 1);
    assert_string_equal(v.e[0].label, "O");
    assert_int_equal(nc_agg_window(L, 9, NULL, 0, &v), NER_EINVAL);
    nc_agg_vec_free(&v);
    nc_agg_labels_free(L);
}

static void test_float32(void **s)
{
    (void)s;
    /* softmax of 9 logits: numpy's order (8 accumulators, then the 9th) */
    float x[9] = {1.5f, -2.0f, 0.25f, 3.0f, 3.0f, -1.0f, 0.0f, 2.5f, 1.0f};
    float y[9];
    memcpy(y, x, sizeof x);
    nc_agg_softmax(y, 1, 9);
    float e[9];
    for (int i = 0; i < 9; i++)
        e[i] = expf(x[i] - 3.0f);
    float sum = ((e[0] + e[1]) + (e[2] + e[3])) + ((e[4] + e[5]) + (e[6] + e[7]));
    sum += e[8];
    for (int i = 0; i < 9; i++)
        assert_true(y[i] == e[i] / sum);
    assert_true(y[3] == y[4]);
    /* pairwise sums: sequential below 8, blocks above, halves above 128 */
    float a[300];
    for (int i = 0; i < 300; i++)
        a[i] = 1.0f / (float)(i + 1);
    float seq = 0.0f;
    for (int i = 0; i < 5; i++)
        seq += a[i];
    assert_true(nc_agg_pairwise_sum(a, 5) == seq);
    float r[8];
    for (int j = 0; j < 8; j++)
        r[j] = a[j] + a[8 + j];
    float blk = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    blk += a[16];
    assert_true(nc_agg_pairwise_sum(a, 17) == blk);
    assert_true(nc_agg_pairwise_sum(a, 300) ==
                nc_agg_pairwise_sum(a, 144) + nc_agg_pairwise_sum(a + 144, 156));
    assert_true(fabs(nc_agg_pairwise_sum(a, 300) - 6.2827) < 1e-3);
}

static void test_windows_and_merge(void **s)
{
    (void)s;
    size_t st[16];
    assert_int_equal(nc_agg_windows(10, 4, 1, st), 3); /* 0..4, 3..7, 6..10 */
    assert_int_equal(st[0], 0);
    assert_int_equal(st[1], 3);
    assert_int_equal(st[2], 6);
    assert_int_equal(nc_agg_windows(4, 4, 2, st), 1);
    assert_int_equal(nc_agg_windows(5, 4, 0, st), 2);
    assert_int_equal(st[1], 4);
    assert_int_equal(nc_agg_windows(11, 4, 1, st), 4); /* 9..11 is the last */
    assert_int_equal(st[3], 9);
    assert_int_equal(nc_agg_windows(0, 4, 1, st), 0);
    assert_int_equal(nc_agg_windows(10, 4, 4, NULL), 0); /* stride must be < len */

    nc_agg_vec v = {0};
    nc_agg_entity in[] = {
        /* window 1 */
        {"A", .5f, 0, 10, 0, 3},
        {"B", .9f, 20, 25, 6, 7},
        /* window 2 (overlaps from 5 on) */
        {"C", .99f, 5, 8, 2, 2},   /* inside A, shorter: dropped */
        {"D", .95f, 20, 25, 6, 7}, /* as long as B, higher score: replaces B */
        {"E", .4f, 24, 30, 7, 9},  /* starts inside D, longer: replaces D */
        {"F", .9f, 40, 45, 12, 13},
        {"G", .9f, 40, 45, 12, 13}, /* same length and score: F stays */
    };
    v.e = malloc(sizeof in);
    memcpy(v.e, in, sizeof in);
    v.n = v.cap = 7;
    assert_int_equal(nc_agg_merge_windows(&v), NER_OK);
    assert_int_equal(v.n, 3);
    assert_string_equal(v.e[0].label, "A");
    assert_string_equal(v.e[1].label, "E");
    assert_string_equal(v.e[2].label, "F");
    nc_agg_vec_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_none_and_simple),
        cmocka_unit_test(test_word_strategies),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_float32),
        cmocka_unit_test(test_windows_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
