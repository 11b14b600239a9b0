/* lib/tagger: tags and spans, training to overfit, determinism, the model
 * image round trip, hostile model files (errors, never crashes), and
 * external gazetteers (matching, features, their effect, their storage). */
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
#include "tagger/features.h"
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
        /* the fast weight lookup against the plain one: the same bits */
        assert_int_equal(ntg_predict(a, &d2, s2, r == 2 ? NTG_PREDICT_REFERENCE : 0,
                                     &p2, &n2, NULL), NER_OK);
        assert_int_equal(n1, n2);
        for (size_t k = 0; k < n1; k++) { /* field by field: not the padding */
            assert_int_equal(c1[k].start, p2[k].start);
            assert_int_equal(c1[k].end, p2[k].end);
            assert_int_equal(c1[k].label, p2[k].label);
            assert_memory_equal(&c1[k].score, &p2[k].score, sizeof c1[k].score);
        }
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


/* ------------------------------------------------------------ gazetteers */

/* "we visited W today": W is ORG or LOC; only an external list tells them
 * apart (LOC is the more frequent, so an unseen word leans LOC). */
#define N_GZ_ORG 6
#define N_GZ_LOC 10
static const char *const GZ_ORG[N_GZ_ORG] = {"Acmeco", "Brixon", "Corvant", "Dexlor", "Empira",
                                             "Fonzig"};
static const char *const GZ_LOC[N_GZ_LOC] = {"Gulmar", "Hestia", "Ilvern", "Jorvik", "Kelsan",
                                             "Lutmor", "Morvel", "Nessa", "Orbury", "Pelton"};
static const char *const GZ_LABELS[] = {"ORG", "LOC"};

static void add_visit(ntg_trainer *t, const char *w, uint32_t label)
{
    const char *words[] = {"we", "visited", w, "today", "."};
    size_t lens[5];
    ntg_doc d;
    make_doc(words, 5, lens, &d);
    int16_t g[5] = {0, 0, (int16_t)NTG_TAG_U(label), 0, 0};
    assert_int_equal(ntg_trainer_add(t, &d, g), NER_OK);
}

static int add_list_phrase(ntg_trainer *t, const char *label, const char *text)
{
    /* split on spaces */
    const char *w[NTG_GAZ_MAX_LEN + 2];
    size_t l[NTG_GAZ_MAX_LEN + 2], n = 0;
    const char *p = text;
    while (*p && n < NTG_GAZ_MAX_LEN + 2) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        w[n] = p;
        l[n++] = len;
        p += len + (e ? 1 : 0);
    }
    return ntg_trainer_add_phrase(t, label, w, l, n);
}

/* with_list: the ORG words and "Quxwu" are an ORG list; lc: the
 * lowercase variant too. */
static ntg_model *train_visits(int with_list, int lc)
{
    ntg_train_opts o;
    ntg_train_opts_default(&o);
    if (lc)
        o.feat.flags |= NTG_F_XGAZ_LC;
    ntg_trainer *t = NULL;
    char err[256] = "";
    assert_int_equal(ntg_trainer_new(&t, &o, GZ_LABELS, 2, err, sizeof err), NER_OK);
    for (size_t i = 0; i < N_GZ_ORG; i++)
        add_visit(t, GZ_ORG[i], 0);
    for (size_t i = 0; i < N_GZ_LOC; i++)
        add_visit(t, GZ_LOC[i], 1);
    if (with_list) {
        for (size_t i = 0; i < N_GZ_ORG; i++)
            assert_int_equal(add_list_phrase(t, "ORG", GZ_ORG[i]), NER_OK);
        assert_int_equal(add_list_phrase(t, "ORG", "Quxwu"), NER_OK);
        assert_int_equal(add_list_phrase(t, "ORG", "Quxwu"), NER_OK); /* twice: one phrase */
        assert_int_equal(add_list_phrase(t, "ORG", "Quell Holdings Group"), NER_OK);
        assert_int_equal(ntg_trainer_phrase_count(t), N_GZ_ORG + 2);
        /* refused: empty, too long, bad label, a ninth list */
        assert_int_equal(ntg_trainer_add_phrase(t, "ORG", NULL, NULL, 0), NER_EINVAL);
        assert_int_equal(add_list_phrase(t, "ORG", "a b c d e f g h i"), NER_ETOOBIG);
        assert_int_equal(add_list_phrase(t, "", "x"), NER_EINVAL);
        assert_int_equal(add_list_phrase(t, "A\tB", "x"), NER_EINVAL);
        char lab[8];
        for (int k = 1; k < NTG_MAX_XGAZ; k++) {
            snprintf(lab, sizeof lab, "L%d", k);
            assert_int_equal(add_list_phrase(t, lab, "Nowhere Land"), NER_OK);
        }
        assert_int_equal(add_list_phrase(t, "ONE-TOO-MANY", "x"), NER_ETOOBIG);
    }
    assert_int_equal(ntg_trainer_prepare(t, err, sizeof err), NER_OK);
    /* after prepare: refused */
    if (with_list)
        assert_int_equal(add_list_phrase(t, "ORG", "Late"), NER_EINVAL);
    for (int s = 0; s < 30; s++)
        assert_int_equal(ntg_trainer_step(t, 4, NULL, NULL), NER_OK);
    ntg_model *m = NULL;
    assert_int_equal(ntg_trainer_snapshot(t, 1.0, &m, err, sizeof err), NER_OK);
    ntg_trainer_free(t);
    return m;
}

/* The label of the one entity predicted on "we visited W today ." (-1: none). */
static int visit_label(const ntg_model *m, const char *w)
{
    const char *words[] = {"we", "visited", w, "today", "."};
    size_t lens[5];
    ntg_doc d;
    make_doc(words, 5, lens, &d);
    ntg_scratch *s = ntg_scratch_new();
    const ntg_span *sp;
    size_t ns;
    assert_int_equal(ntg_predict(m, &d, s, 0, &sp, &ns, NULL), NER_OK);
    int lab = -1;
    for (size_t k = 0; k < ns; k++)
        if (sp[k].start == 2 && sp[k].end == 3)
            lab = (int)sp[k].label;
    ntg_scratch_free(s);
    return lab;
}

static uint64_t phrase_key(uint64_t seed, int lower, const char *const *w, size_t n)
{
    uint64_t k = seed;
    for (size_t i = 0; i < n; i++) {
        uint64_t wh, lo;
        ntg_word_hashes(w[i], strlen(w[i]), &wh, &lo);
        k = ntg_gaz_key(k, lower ? lo : wh);
    }
    return k;
}

/* A hand-made table: list 0 has "Acme" and "Acme Corp Ltd", list 1
 * "Corp" and (lowercased) "ltd". */
typedef struct toy_table {
    uint64_t key[8];
    uint32_t mask[8];
    size_t n;
} toy_table;

static uint32_t toy_lookup(const void *ctx, uint64_t key)
{
    const toy_table *t = ctx;
    for (size_t i = 0; i < t->n; i++)
        if (t->key[i] == key)
            return t->mask[i];
    return 0;
}

static void test_gazetteer_matching(void **st)
{
    (void)st;
    toy_table tb = {{0}, {0}, 0};
    const char *acme[] = {"Acme", "Corp", "Ltd"};
    tb.key[tb.n] = phrase_key(NTG_XGAZ_SEED, 0, acme, 1);
    tb.mask[tb.n++] = NTG_XG_EXACT(0) | NTG_XG_MORE;
    tb.key[tb.n] = phrase_key(NTG_XGAZ_SEED, 0, acme, 2);
    tb.mask[tb.n++] = NTG_XG_MORE;
    tb.key[tb.n] = phrase_key(NTG_XGAZ_SEED, 0, acme, 3);
    tb.mask[tb.n++] = NTG_XG_EXACT(0);
    tb.key[tb.n] = phrase_key(NTG_XGAZ_SEED, 0, acme + 1, 1);
    tb.mask[tb.n++] = NTG_XG_EXACT(1);
    tb.key[tb.n] = phrase_key(NTG_XGAZ_LC_SEED, 1, acme + 2, 1);
    tb.mask[tb.n++] = NTG_XG_LC(1);
    ntg_xgaz_view xg = {toy_lookup, &tb, 2, 3};
    /* "Acme Corp Ltd said Acme Corp . ACME LTD" */
    const char *w[] = {"Acme", "Corp", "Ltd", "said", "Acme", "Corp", ".", "ACME", "LTD"};
    size_t l[9];
    ntg_doc d;
    make_doc(w, 9, l, &d);
    ntg_feat_opts o;
    ntg_feat_opts_default(&o);
    ntg_featbuf fb;
    memset(&fb, 0, sizeof fb);
    assert_int_equal(ntg_doc_facts(&o, &d, NULL, &xg, &fb), NER_OK);
    /* list 0: the longest match "Acme Corp Ltd" (B I L), then "Acme" alone
     * (U; "Acme Corp" is no phrase); list 1: "Corp" twice (U) */
    uint32_t want[9] = {1, 2 | 4 << 4, 3, 0, 4, 4 << 4, 0, 0, 0};
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(fb.ti[i].xgaz, want[i]);
        assert_int_equal(fb.ti[i].xgaz_lc, 0); /* no lowercase pass */
    }
    /* the token's own and its neighbours' list features fire */
    uint64_t f0[NTG_MAX_FEATS], f3[NTG_MAX_FEATS];
    size_t n0 = ntg_token_features(&o, fb.ti, 9, 0, f0);
    size_t n3 = ntg_token_features(&o, fb.ti, 9, 3, f3);
    fb.ti[0].xgaz = 0;
    fb.ti[1].xgaz = 0;
    fb.ti[2].xgaz = 0;
    uint64_t g0[NTG_MAX_FEATS], g3[NTG_MAX_FEATS];
    size_t m0 = ntg_token_features(&o, fb.ti, 9, 0, g0);
    size_t m3 = ntg_token_features(&o, fb.ti, 9, 3, g3);
    assert_int_equal(n0, m0 + 2 + 2);     /* 2 own (B), 2 of the right neighbour */
    assert_int_equal(n3, m3 + 1);         /* "Ltd" on its left */
    /* lowercase pass: "LTD" matches list 1 lowercased; "ACME" does not
     * (list 0 has no lowercase keys here) */
    o.flags |= NTG_F_XGAZ_LC;
    assert_int_equal(ntg_doc_facts(&o, &d, NULL, &xg, &fb), NER_OK);
    assert_int_equal(fb.ti[8].xgaz_lc, 4u << 4);
    assert_int_equal(fb.ti[7].xgaz_lc, 0);
    assert_int_equal(fb.ti[2].xgaz_lc, 4u << 4); /* "Ltd" lowercased too */
    assert_int_equal(fb.ti[8].xgaz, 0);
    /* a phrase never crosses a sentence end: "Corp ." then "ACME" */
    ntg_featbuf_free(&fb);
}

static void test_gazetteer_changes_prediction(void **st)
{
    (void)st;
    ntg_model *plain = train_visits(0, 0), *listed = train_visits(1, 0);
    ntg_model *lower = train_visits(1, 1);
    /* the training words are learned either way */
    assert_int_equal(visit_label(plain, "Acmeco"), 0);
    assert_int_equal(visit_label(listed, "Gulmar"), 1);
    /* an unseen word: LOC without the list, ORG when the list has it */
    assert_int_equal(visit_label(plain, "Quxwu"), 1);
    assert_int_equal(visit_label(listed, "Quxwu"), 0);
    assert_int_equal(visit_label(listed, "Yarrow"), 1); /* not listed */
    /* with the lowercase variant too (its matching: test_gazetteer_matching) */
    assert_int_equal(visit_label(lower, "Quxwu"), 0);
    /* the lists are in the model */
    assert_int_equal(ntg_model_xgaz_count(plain), 0);
    assert_int_equal(ntg_model_xgaz_count(listed), NTG_MAX_XGAZ);
    assert_string_equal(ntg_model_xgaz_label(listed, 0), "ORG");
    assert_string_equal(ntg_model_xgaz_label(listed, 1), "L1");
    assert_null(ntg_model_xgaz_label(listed, NTG_MAX_XGAZ));
    /* keys: the phrases (Nowhere Land once for 7 lists), 2 prefixes of
     * "Quell Holdings Group", 1 of "Nowhere Land" */
    assert_int_equal(ntg_model_xgaz_keys(listed), N_GZ_ORG + 3 + 2 + 1);
    assert_int_equal(ntg_model_xgaz_keys(lower), 2 * (N_GZ_ORG + 3 + 2 + 1));
    ntg_feat_opts fo;
    ntg_model_feat_opts(lower, &fo);
    assert_true(fo.flags & NTG_F_XGAZ_LC);
    /* deterministic, and a saved model predicts the same */
    ntg_model *again = train_visits(1, 0);
    size_t la, lb;
    const void *ia = ntg_model_image(listed, &la), *ib = ntg_model_image(again, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(ia, ib, la);
    char path[] = "/tmp/ntg_gaz_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256] = "";
    assert_int_equal(ntg_model_save(listed, path, err, sizeof err), NER_OK);
    ntg_model *r = NULL;
    assert_int_equal(ntg_model_load_file(&r, path, err, sizeof err), NER_OK);
    assert_int_equal(visit_label(r, "Quxwu"), 0);
    assert_int_equal(ntg_model_xgaz_keys(r), ntg_model_xgaz_keys(listed));
    unlink(path);
    ntg_model_free(r);
    ntg_model_free(again);
    ntg_model_free(plain);
    ntg_model_free(listed);
    ntg_model_free(lower);
}

/* External list sections with hostile contents, each resealed. */
static void test_bad_gazetteer_sections(void **st)
{
    (void)st;
    ntg_model *m = train_visits(1, 0);
    size_t len;
    unsigned char *good = img_copy(m, &len);
    unsigned char *p = malloc(len);
    uint64_t off_xg = get64(good, 144), xslots = get64(good, 152);
    uint64_t off_xl = get64(good, 160), xl_len = get64(good, 168);
    assert_true(off_xg && xslots && off_xl && xl_len);
    assert_int_equal(get32(good, 176), NTG_MAX_XGAZ);
    assert_int_equal(get32(good, 180), 3);
    struct { size_t off; uint64_t val; int is32; const char *what; } hostile[] = {
        {144, UINT64_MAX - 15, 0, "list table offset"},
        {144, 4, 0, "list table offset unaligned"},
        {152, 0, 0, "no list slots"},
        {152, 3, 0, "list slots not a power of two"},
        {152, (uint64_t)1 << 44, 0, "list slots huge"},
        {160, UINT64_MAX - 7, 0, "list labels offset"},
        {168, UINT64_MAX, 0, "list labels length"},
        {168, 1, 0, "list labels short"},
        {176, NTG_MAX_XGAZ + 1, 1, "too many lists"},
        {176, 0, 1, "lists without a count"},
        {180, 0, 1, "no longest phrase"},
        {180, NTG_GAZ_MAX_LEN + 1, 1, "longest phrase too long"},
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
    /* a mask naming a list past the count, a lowercase bit without the
     * lowercase option, a nonzero pad word, every slot used */
    size_t first = SIZE_MAX;
    for (uint64_t i = 0; i < xslots && first == SIZE_MAX; i++)
        if (get32(good, off_xg + i * 16 + 8))
            first = (size_t)i;
    assert_true(first != SIZE_MAX);
    size_t sb = off_xg + first * 16;
    memcpy(p, good, len);
    set32(p, sb + 8, 1u << 12);
    reseal(p, len);
    expect_bad(p, len, "mask past the lists");
    memcpy(p, good, len);
    set32(p, sb + 8, NTG_XG_LC(0));
    reseal(p, len);
    expect_bad(p, len, "lowercase mask without the option");
    memcpy(p, good, len);
    set32(p, sb + 12, 7);
    reseal(p, len);
    expect_bad(p, len, "pad word");
    memcpy(p, good, len);
    for (uint64_t i = 0; i < xslots; i++)
        set32(p, off_xg + i * 16 + 8, NTG_XG_EXACT(0));
    reseal(p, len);
    expect_bad(p, len, "full list table");
    memcpy(p, good, len);
    memset(p + off_xl, 'A', xl_len);
    reseal(p, len);
    expect_bad(p, len, "list label NUL");
    memcpy(p, good, len);
    memcpy(p + off_xl + 4, "ORG", 4); /* "ORG\0ORG\0..." : a repeated label */
    reseal(p, len);
    expect_bad(p, len, "list label twice");
    /* a model without lists must have every list field zero */
    ntg_model *plain = train_visits(0, 0);
    size_t plen;
    unsigned char *pg = img_copy(plain, &plen);
    set32(pg, 180, 2);
    reseal(pg, plen);
    expect_bad(pg, plen, "longest phrase without lists");
    free(pg);
    /* a version 1 file: refused with a message naming the version */
    memcpy(p, good, len);
    set32(p, 8, 1);
    reseal(p, len);
    ntg_model *r = NULL;
    char err[256] = "";
    assert_int_equal(ntg_model_load_mem(&r, p, len, 0, err, sizeof err), NER_EFORMAT);
    assert_null(r);
    assert_non_null(strstr(err, "version 1"));
    assert_non_null(strstr(err, "retrain"));
    /* the good one loads */
    assert_int_equal(ntg_model_load_mem(&r, good, len, 0, err, sizeof err), NER_OK);
    ntg_model_free(r);
    ntg_model_free(plain);
    free(p);
    free(good);
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
        cmocka_unit_test(test_gazetteer_matching),
        cmocka_unit_test(test_gazetteer_changes_prediction),
        cmocka_unit_test(test_bad_gazetteer_sections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
