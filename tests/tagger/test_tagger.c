/* lib/tagger: tags and spans, training to overfit, determinism, the model
 * image round trip, and hostile model files (errors, never crashes). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ner/ner.h"
#include "tagger/model_impl.h"
#include "tagger/tagger.h"

/* Two drug lines, pre-tokenized, with BILUO gold. */
static const char *const L1[] = {"Aspirin", "500mg", "twice", "daily", "for", "7", "days"};
static const char *const L2[] = {"Ibuprofen", "200mg", "three", "times", "a", "day",
                                 "for", "5", "days"};
static const char *const LABELS[] = {"DRUG", "DOSAGE", "FREQUENCY", "DURATION"};

static void make_doc(const char *const *w, size_t n, size_t *lens, ntg_doc *d)
{
    for (size_t i = 0; i < n; i++)
        lens[i] = strlen(w[i]);
    d->words = w;
    d->lens = lens;
    d->n = n;
    d->sent_start = NULL;
}

static ntg_model *train_drugs(void)
{
    ntg_train_opts o;
    ntg_train_opts_default(&o);
    ntg_trainer *t = NULL;
    char err[256] = "";
    assert_int_equal(ntg_trainer_new(&t, &o, LABELS, 4, err, sizeof err), NER_OK);
    size_t l1[7], l2[9];
    ntg_doc d1, d2;
    make_doc(L1, 7, l1, &d1);
    make_doc(L2, 9, l2, &d2);
    ntg_span s1[] = {{0, 1, 0, 1}, {1, 2, 1, 1}, {2, 4, 2, 1}, {5, 7, 3, 1}};
    ntg_span s2[] = {{0, 1, 0, 1}, {1, 2, 1, 1}, {2, 6, 2, 1}, {7, 9, 3, 1}};
    uint16_t t1[7], t2[9];
    assert_true(ntg_spans_to_tags(s1, 4, 7, t1));
    assert_true(ntg_spans_to_tags(s2, 4, 9, t2));
    int16_t g1[7], g2[9];
    for (int i = 0; i < 7; i++) g1[i] = (int16_t)t1[i];
    for (int i = 0; i < 9; i++) g2[i] = (int16_t)t2[i];
    assert_int_equal(ntg_trainer_add(t, &d1, g1), NER_OK);
    assert_int_equal(ntg_trainer_add(t, &d2, g2), NER_OK);
    assert_int_equal(ntg_trainer_prepare(t, err, sizeof err), NER_OK);
    assert_int_equal(ntg_trainer_sentence_count(t), 2);
    for (int s = 0; s < 20; s++)
        assert_int_equal(ntg_trainer_step(t, 2, NULL, NULL), NER_OK);
    ntg_model *m = NULL;
    assert_int_equal(ntg_trainer_snapshot(t, 1.0, &m, err, sizeof err), NER_OK);
    ntg_trainer_free(t);
    return m;
}

static void check_drugs(const ntg_model *m)
{
    ntg_scratch *s = ntg_scratch_new();
    size_t l1[7];
    ntg_doc d1;
    make_doc(L1, 7, l1, &d1);
    const ntg_span *sp = NULL;
    size_t ns = 0;
    assert_int_equal(ntg_predict(m, &d1, s, 0, &sp, &ns, NULL), NER_OK);
    assert_int_equal(ns, 4);
    size_t want[4][3] = {{0, 1, 0}, {1, 2, 1}, {2, 4, 2}, {5, 7, 3}};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(sp[k].start, want[k][0]);
        assert_int_equal(sp[k].end, want[k][1]);
        assert_int_equal(sp[k].label, want[k][2]);
        assert_true(sp[k].score >= 0.0 && sp[k].score <= 1.0);
    }
    ntg_scratch_free(s);
}

static void test_tags_spans(void **st)
{
    (void)st;
    ntg_span in[] = {{0, 1, 2, 1}, {2, 5, 0, 1}, {5, 7, 1, 1}};
    uint16_t tags[8];
    assert_true(ntg_spans_to_tags(in, 3, 8, tags));
    assert_int_equal(tags[0], NTG_TAG_U(2));
    assert_int_equal(tags[1], NTG_TAG_O);
    assert_int_equal(tags[2], NTG_TAG_B(0));
    assert_int_equal(tags[3], NTG_TAG_I(0));
    assert_int_equal(tags[4], NTG_TAG_L(0));
    ntg_span out[8];
    size_t n = ntg_tags_to_spans(tags, 8, out);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(out[i].start, in[i].start);
        assert_int_equal(out[i].end, in[i].end);
        assert_int_equal(out[i].label, in[i].label);
    }
    ntg_span bad[] = {{2, 5, 0, 1}, {4, 6, 0, 1}};
    assert_false(ntg_spans_to_tags(bad, 2, 8, tags));
    /* lenient decoding of an invalid sequence: B then O */
    uint16_t inv[] = {NTG_TAG_B(1), NTG_TAG_O, NTG_TAG_I(0), NTG_TAG_I(0)};
    n = ntg_tags_to_spans(inv, 4, out);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].end, 1);
    assert_int_equal(out[1].start, 2);
    assert_int_equal(out[1].end, 4);
}

static void test_sentence_starts(void **st)
{
    (void)st;
    const char *w[] = {"Hi", ".", "Bob", "went", "!", "x", "y"};
    size_t l[7];
    for (int i = 0; i < 7; i++) l[i] = strlen(w[i]);
    uint8_t nl[7] = {0, 0, 0, 0, 0, 0, 1}, out[7];
    ntg_sentence_starts(w, l, 7, nl, out);
    uint8_t want[7] = {1, 0, 1, 0, 0, 1, 1};
    assert_memory_equal(out, want, 7);
}

static void test_overfit_and_determinism(void **st)
{
    (void)st;
    ntg_model *a = train_drugs(), *b = train_drugs();
    check_drugs(a);
    size_t la, lb;
    const void *ia = ntg_model_image(a, &la), *ib = ntg_model_image(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ia, ib, la); /* training is deterministic */
    /* the same doc twice, with one scratch and with a fresh one */
    ntg_scratch *s1 = ntg_scratch_new(), *s2 = ntg_scratch_new();
    size_t l2[9];
    ntg_doc d2;
    make_doc(L2, 9, l2, &d2);
    const ntg_span *p1, *p2;
    size_t n1, n2;
    for (int r = 0; r < 3; r++) {
        assert_int_equal(ntg_predict(a, &d2, s1, 0, &p1, &n1, NULL), NER_OK);
        ntg_span c1[16];
        memcpy(c1, p1, n1 * sizeof *p1);
        assert_int_equal(ntg_predict(a, &d2, s2, 0, &p2, &n2, NULL), NER_OK);
        assert_int_equal(n1, n2);
        assert_memory_equal(c1, p2, n1 * sizeof *p2);
    }
    ntg_scratch_free(s1);
    ntg_scratch_free(s2);
    ntg_model_free(a);
    ntg_model_free(b);
}

static void test_save_load(void **st)
{
    (void)st;
    ntg_model *m = train_drugs();
    char path[] = "/tmp/ntg_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256] = "";
    assert_int_equal(ntg_model_save(m, path, err, sizeof err), NER_OK);
    ntg_model *r = NULL;
    assert_int_equal(ntg_model_load_file(&r, path, err, sizeof err), NER_OK);
    size_t la, lb;
    const void *ia = ntg_model_image(m, &la), *ib = ntg_model_image(r, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ia, ib, la);
    check_drugs(r);
    assert_int_equal(ntg_model_label_count(r), 4);
    assert_string_equal(ntg_model_label(r, 2), "FREQUENCY");
    assert_null(ntg_model_label(r, 4));
    /* temperature copy */
    ntg_model *t = NULL;
    assert_int_equal(ntg_model_with_temperature(r, 3.5, &t), NER_OK);
    assert_true(ntg_model_temperature(t) > 3.49 && ntg_model_temperature(t) < 3.51);
    check_drugs(t);
    ntg_model_free(t);
    ntg_model_free(r);
    ntg_model_free(m);
    unlink(path);
    assert_int_equal(ntg_model_load_file(&r, "/nonexistent/model.bin", err, sizeof err),
                     NER_ENOTFOUND);
}

/* ------------------------------------------------------------ hostile */

static unsigned char *img_copy(const ntg_model *m, size_t *len)
{
    const void *img = ntg_model_image(m, len);
    unsigned char *c = malloc(*len);
    memcpy(c, img, *len);
    return c;
}

static void set64(unsigned char *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }
static void set32(unsigned char *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static uint64_t get64(const unsigned char *p, size_t off) { uint64_t v; memcpy(&v, p + off, 8); return v; }
static uint32_t get32(const unsigned char *p, size_t off) { uint32_t v; memcpy(&v, p + off, 4); return v; }

static void reseal(unsigned char *p, size_t len) { set64(p, 24, ntg_checksum(p, len)); }

static void expect_bad(const unsigned char *p, size_t len, const char *what)
{
    ntg_model *m = NULL;
    char err[256] = "";
    int rc = ntg_model_load_mem(&m, p, len, 0, err, sizeof err);
    if (rc == NER_OK) {
        ntg_model_free(m);
        fail_msg("%s: a bad model was accepted", what);
    }
    assert_null(m);
    assert_true(err[0] != '\0');
}

static void test_bad_models(void **st)
{
    (void)st;
    ntg_model *m = train_drugs();
    size_t len;
    unsigned char *good = img_copy(m, &len);
    /* every truncation */
    for (size_t n = 0; n < len; n += (n < 256 ? 1 : 97))
        expect_bad(good, n, "truncated");
    unsigned char *p = malloc(len + 64);
    /* wrong magic, version, header size */
    memcpy(p, good, len);
    p[0] = 'X';
    expect_bad(p, len, "magic");
    memcpy(p, good, len);
    set32(p, 8, 99);
    reseal(p, len);
    expect_bad(p, len, "version");
    /* a flipped byte anywhere: the checksum catches it */
    memcpy(p, good, len);
    p[len / 2] ^= 0x40;
    expect_bad(p, len, "checksum");
    /* padding after the end */
    memcpy(p, good, len);
    memset(p + len, 0, 64);
    expect_bad(p, len + 64, "padded");
    /* hostile sizes, each with a valid checksum */
    struct { size_t off; uint64_t val; int is32; const char *what; } hostile[] = {
        {32, 0, 1, "no labels"},
        {32, 1000000, 1, "a million labels"},
        {36, 5, 1, "tags for labels"},
        {44, 99, 1, "prefix_max"},
        {52, 0, 1, "window"},
        {64, UINT64_MAX - 3, 0, "labels offset"},
        {72, UINT64_MAX, 0, "labels length"},
        {72, 1, 0, "labels length short"},
        {80, (uint64_t)1 << 62, 0, "transitions offset"},
        {88, 3, 0, "slots offset unaligned"},
        {96, (uint64_t)1 << 40, 0, "slot count huge"},
        {96, 3, 0, "slot count not a power of two"},
        {104, UINT64_MAX - 7, 0, "rows offset"},
        {112, (uint64_t)1 << 61, 0, "rows length huge"},
        {112, 1, 0, "rows length short"},
        {120, (uint64_t)1 << 50, 0, "feature count"},
        {120, 0, 0, "feature count zero"},
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        memcpy(p, good, len);
        if (hostile[i].is32)
            set32(p, hostile[i].off, (uint32_t)hostile[i].val);
        else
            set64(p, hostile[i].off, hostile[i].val);
        reseal(p, len);
        expect_bad(p, len, hostile[i].what);
    }
    /* NaN temperature */
    memcpy(p, good, len);
    float nan = 0.0f / 0.0f;
    memcpy(p + 60, &nan, 4);
    reseal(p, len);
    expect_bad(p, len, "temperature");
    /* rows: a count past the tags, a tag out of range, a NaN weight */
    uint64_t off_sl = get64(good, 88), nslots = get64(good, 96), off_rows = get64(good, 104);
    size_t first = SIZE_MAX;
    for (uint64_t i = 0; i < nslots && first == SIZE_MAX; i++)
        if (get32(good, off_sl + i * 8 + 4) != NTG_EMPTY)
            first = (size_t)i;
    assert_true(first != SIZE_MAX);
    uint32_t row = get32(good, off_sl + first * 8 + 4);
    size_t rb = off_rows + (size_t)row * 4;
    memcpy(p, good, len);
    set32(p, rb, 1000);
    reseal(p, len);
    expect_bad(p, len, "row count");
    memcpy(p, good, len);
    set32(p, rb + 4, 77);
    reseal(p, len);
    expect_bad(p, len, "row tag");
    memcpy(p, good, len);
    memcpy(p + rb + 8, &nan, 4);
    reseal(p, len);
    expect_bad(p, len, "row weight");
    memcpy(p, good, len);
    set32(p, off_sl + first * 8 + 4, 0x7FFFFFFF);
    reseal(p, len);
    expect_bad(p, len, "slot row");
    /* a table with no empty slot */
    memcpy(p, good, len);
    for (uint64_t i = 0; i < nslots; i++)
        set32(p, off_sl + i * 8 + 4, row);
    set64(p, 120, nslots);
    reseal(p, len);
    expect_bad(p, len, "full table");
    /* a label without its NUL */
    memcpy(p, good, len);
    uint64_t off_lab = get64(good, 64), lab_len = get64(good, 72);
    memset(p + off_lab, 'A', lab_len);
    reseal(p, len);
    expect_bad(p, len, "label NUL");
    /* the good one still loads, from an unaligned buffer too */
    ntg_model *r = NULL;
    char err[256] = "";
    memcpy(p + 1, good, len);
    assert_int_equal(ntg_model_load_mem(&r, p + 1, len, 0, err, sizeof err), NER_OK);
    check_drugs(r);
    ntg_model_free(r);
    free(p);
    free(good);
    ntg_model_free(m);
}

static void test_unknown_gold(void **st)
{
    (void)st;
    /* tokens with unknown gold tags train without crashing and the known
     * part is learned */
    ntg_train_opts o;
    ntg_train_opts_default(&o);
    ntg_trainer *t = NULL;
    char err[256] = "";
    assert_int_equal(ntg_trainer_new(&t, &o, LABELS, 1, err, sizeof err), NER_OK);
    size_t l1[7];
    ntg_doc d1;
    make_doc(L1, 7, l1, &d1);
    int16_t g[7] = {(int16_t)NTG_TAG_U(0), -1, -1, 0, 0, 0, 0};
    assert_int_equal(ntg_trainer_add(t, &d1, g), NER_OK);
    int16_t bad[7] = {99, 0, 0, 0, 0, 0, 0};
    assert_int_equal(ntg_trainer_add(t, &d1, bad), NER_EINVAL);
    assert_int_equal(ntg_trainer_prepare(t, err, sizeof err), NER_OK);
    for (int i = 0; i < 10; i++)
        assert_int_equal(ntg_trainer_step(t, 1, NULL, NULL), NER_OK);
    ntg_model *m = NULL;
    assert_int_equal(ntg_trainer_snapshot(t, 1.0, &m, err, sizeof err), NER_OK);
    ntg_scratch *s = ntg_scratch_new();
    const ntg_span *sp;
    size_t ns;
    assert_int_equal(ntg_predict(m, &d1, s, 0, &sp, &ns, NULL), NER_OK);
    assert_true(ns >= 1);
    assert_int_equal(sp[0].start, 0);
    assert_int_equal(sp[0].end, 1);
    ntg_scratch_free(s);
    ntg_model_free(m);
    ntg_trainer_free(t);
    /* bad label sets */
    const char *dup[] = {"A", "A"};
    assert_int_equal(ntg_trainer_new(&t, &o, dup, 2, err, sizeof err), NER_EINVAL);
    assert_int_equal(ntg_trainer_new(&t, &o, LABELS, 0, err, sizeof err), NER_EINVAL);
}

static void test_long_and_odd_tokens(void **st)
{
    (void)st;
    ntg_model *m = train_drugs();
    char *big = malloc(5000);
    memset(big, 'A', 4999);
    big[4999] = '\0';
    const char *w[] = {big, "\xC3\x89" "cole", "\xF0\x9F\x98\x80", "\xFF\xFE", "Aspirin", "x"};
    size_t l[6];
    for (int i = 0; i < 6; i++) l[i] = strlen(w[i]);
    ntg_doc d = {w, l, 6, NULL};
    ntg_scratch *s = ntg_scratch_new();
    const ntg_span *sp;
    size_t ns;
    assert_int_equal(ntg_predict(m, &d, s, 0, &sp, &ns, NULL), NER_OK);
    for (size_t k = 0; k < ns; k++)
        assert_true(sp[k].end <= 6 && sp[k].start < sp[k].end);
    ntg_doc empty = {w, l, 0, NULL};
    assert_int_equal(ntg_predict(m, &empty, s, 0, &sp, &ns, NULL), NER_OK);
    assert_int_equal(ns, 0);
    ntg_scratch_free(s);
    free(big);
    ntg_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_spans),
        cmocka_unit_test(test_sentence_starts),
        cmocka_unit_test(test_overfit_and_determinism),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_bad_models),
        cmocka_unit_test(test_unknown_gold),
        cmocka_unit_test(test_long_and_odd_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
