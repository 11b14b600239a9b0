/* Tag parsing, scheme detection, lenient decoding with repair counts and
 * encoding, on hand-written sequences. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "io/strtab.h"
#include "io/tags.h"
#include "ner/ner.h"

#define MAXT 32

/* Parses "B-PER I-PER O" into tags; types interned in tab. */
static size_t tags_from(nio_strtab *tab, const char *s, nio_tag *out)
{
    size_t n = 0;
    char word[64];
    int used;
    while (sscanf(s, "%63s%n", word, &used) == 1) {
        char prefix;
        const char *type;
        size_t tl;
        assert_int_equal(nio_tag_parse(word, strlen(word), &prefix, &type, &tl),
                         NER_OK);
        uint32_t id = 0;
        if (prefix != 'O')
            assert_int_equal(nio_strtab_intern(tab, type, tl, &id), NER_OK);
        assert_true(n < MAXT);
        out[n++] = (nio_tag){prefix, id};
        s += used;
    }
    return n;
}

/* "[0,2)PER [3,4)LOC" for the spans. */
static void spans_str(const nio_strtab *tab, const nio_span *sp, size_t n,
                      char *buf, size_t len)
{
    buf[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s[%zu,%zu)%s",
                               i ? " " : "", sp[i].start, sp[i].end,
                               nio_strtab_get(tab, sp[i].label));
}

static void check_decode(const char *tags, nio_scheme scheme,
                         const char *want, size_t i_start, size_t b_start,
                         size_t unclosed, size_t foreign)
{
    nio_strtab tab;
    nio_strtab_init(&tab);
    nio_tag t[MAXT];
    nio_span sp[MAXT];
    size_t n = tags_from(&tab, tags, t);
    nio_repairs r = {0, 0, 0, 0};
    size_t ns = nio_tags_decode(t, n, scheme, sp, &r);
    char got[512];
    spans_str(&tab, sp, ns, got, sizeof got);
    print_message("%s [%s] -> %s\n", tags, nio_scheme_name(scheme), got);
    assert_string_equal(got, want);
    assert_int_equal(r.i_start, i_start);
    assert_int_equal(r.b_start, b_start);
    assert_int_equal(r.unclosed, unclosed);
    assert_int_equal(r.foreign, foreign);
    nio_strtab_free(&tab);
}

static void test_parse(void **state)
{
    (void)state;
    char p;
    const char *type;
    size_t tl;
    assert_int_equal(nio_tag_parse("O", 1, &p, &type, &tl), NER_OK);
    assert_int_equal(p, 'O');
    assert_null(type);
    assert_int_equal(nio_tag_parse("B-creative-work", 15, &p, &type, &tl), NER_OK);
    assert_int_equal(p, 'B');
    assert_int_equal(tl, 13);
    assert_memory_equal(type, "creative-work", 13);
    const char *bad[] = {"", "o", "B", "B-", "X-PER", "BPER", "I_PER", "OO",
                         "O-PER"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(nio_tag_parse(bad[i], strlen(bad[i]), &p, &type, &tl),
                         NER_EFORMAT);
    for (const char *q = "BILUES"; *q; q++) {
        char t[4] = {*q, '-', 'X', 0};
        assert_int_equal(nio_tag_parse(t, 3, &p, &type, &tl), NER_OK);
        assert_int_equal(p, *q);
    }
}

static void test_scheme_names(void **state)
{
    (void)state;
    nio_scheme s;
    assert_int_equal(nio_scheme_parse("BIO", &s), NER_OK);
    assert_int_equal(s, NIO_SCHEME_IOB2);
    assert_int_equal(nio_scheme_parse("iob1", &s), NER_OK);
    assert_int_equal(s, NIO_SCHEME_IOB1);
    assert_int_equal(nio_scheme_parse("IOBES", &s), NER_OK);
    assert_int_equal(s, NIO_SCHEME_BIOES);
    assert_int_equal(nio_scheme_parse("Bilou", &s), NER_OK);
    assert_int_equal(s, NIO_SCHEME_BILOU);
    assert_int_equal(nio_scheme_parse("iob3", &s), NER_ENOTFOUND);
    assert_string_equal(nio_scheme_name(NIO_SCHEME_IOB1), "IOB1");
    assert_string_equal(nio_scheme_name(NIO_SCHEME_BIOES), "BIOES");
    assert_string_equal(nio_scheme_name((nio_scheme)42), "?");
}

static void test_decode_valid(void **state)
{
    (void)state;
    check_decode("B-PER I-PER O B-LOC", NIO_SCHEME_IOB2, "[0,2)PER [3,4)LOC",
                 0, 0, 0, 0);
    check_decode("B-PER B-PER I-PER", NIO_SCHEME_IOB2, "[0,1)PER [1,3)PER",
                 0, 0, 0, 0);
    check_decode("I-PER I-PER B-PER O I-LOC I-ORG", NIO_SCHEME_IOB1,
                 "[0,2)PER [2,3)PER [4,5)LOC [5,6)ORG", 0, 0, 0, 0);
    check_decode("B-PER L-PER U-LOC O B-ORG I-ORG L-ORG", NIO_SCHEME_BILOU,
                 "[0,2)PER [2,3)LOC [4,7)ORG", 0, 0, 0, 0);
    check_decode("S-A B-B E-B B-B I-B E-B", NIO_SCHEME_BIOES,
                 "[0,1)A [1,3)B [3,6)B", 0, 0, 0, 0);
    check_decode("O O O", NIO_SCHEME_IOB2, "", 0, 0, 0, 0);
    check_decode("", NIO_SCHEME_IOB2, "", 0, 0, 0, 0);
    /* BILOU and BIOES letters are the same scheme: no repair. */
    check_decode("S-A B-B L-B", NIO_SCHEME_BILOU, "[0,1)A [1,3)B", 0, 0, 0, 0);
}

static void test_decode_repairs(void **state)
{
    (void)state;
    /* IOB2: I-X after O, at the start, after another type: a new entity. */
    check_decode("O I-PER I-PER B-PER", NIO_SCHEME_IOB2, "[1,3)PER [3,4)PER",
                 1, 0, 0, 0);
    check_decode("I-PER B-LOC I-PER", NIO_SCHEME_IOB2,
                 "[0,1)PER [1,2)LOC [2,3)PER", 2, 0, 0, 0);
    check_decode("B-PER I-LOC", NIO_SCHEME_IOB2, "[0,1)PER [1,2)LOC", 1, 0, 0, 0);
    /* The same IOB1 sequence counted as IOB2: every I- start is a repair. */
    check_decode("I-PER I-PER B-PER O I-LOC I-ORG", NIO_SCHEME_IOB2,
                 "[0,2)PER [2,3)PER [4,5)LOC [5,6)ORG", 3, 0, 0, 0);
    /* IOB1: B-X not after a token of type X. */
    check_decode("O B-PER I-PER B-LOC", NIO_SCHEME_IOB1, "[1,3)PER [3,4)LOC",
                 0, 2, 0, 0);
    /* BILOU: B-PER cut by O (unclosed); I-LOC opens (i_start) and L-LOC
     * closes; a lone L-LOC opens and closes (i_start); U-ORG; B-X cut by the
     * sentence end (unclosed). */
    check_decode("B-PER O I-LOC L-LOC L-LOC U-ORG B-X", NIO_SCHEME_BILOU,
                 "[0,1)PER [2,4)LOC [4,5)LOC [5,6)ORG [6,7)X", 2, 0, 2, 0);
    /* BILOU: a new B- or U- cuts an open entity. */
    check_decode("B-A I-A B-A L-A U-A", NIO_SCHEME_BILOU, "[0,2)A [2,4)A [4,5)A",
                 0, 0, 1, 0);
    check_decode("B-A U-A", NIO_SCHEME_BIOES, "[0,1)A [1,2)A", 0, 0, 1, 0);
    /* IOB2 reading L/U letters: foreign, yet decoded the same way. */
    check_decode("U-A B-B L-B", NIO_SCHEME_IOB2, "[0,1)A [1,3)B", 0, 0, 0, 2);
    check_decode("O L-B", NIO_SCHEME_IOB2, "[1,2)B", 0, 0, 0, 1);
    /* AUTO/NONE count nothing; NULL repairs is allowed. */
    check_decode("O I-PER", NIO_SCHEME_AUTO, "[1,2)PER", 0, 0, 0, 0);
    nio_tag t[2] = {{'O', 0}, {'I', 0}};
    nio_span sp[2];
    assert_int_equal(nio_tags_decode(t, 2, NIO_SCHEME_IOB2, sp, NULL), 1);
    nio_repairs r = {1, 2, 3, 4};
    assert_int_equal(nio_repairs_total(&r), 10);
}

static nio_scheme detect(const char *const *sents, size_t n)
{
    nio_strtab tab;
    nio_strtab_init(&tab);
    nio_scheme_stats st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < n; i++) {
        nio_tag t[MAXT];
        size_t k = tags_from(&tab, sents[i], t);
        nio_scheme_stats_add(&st, t, k);
    }
    nio_strtab_free(&tab);
    return nio_scheme_decide(&st);
}

static void test_detect(void **state)
{
    (void)state;
    const char *iob1[] = {"I-PER I-PER O", "I-LOC B-LOC O I-MISC"};
    assert_int_equal(detect(iob1, 2), NIO_SCHEME_IOB1);
    const char *iob2[] = {"B-PER I-PER", "O B-LOC B-LOC"};
    assert_int_equal(detect(iob2, 2), NIO_SCHEME_IOB2);
    /* A sentence boundary resets: B- at a sentence start is not IOB1. */
    const char *iob2b[] = {"B-PER", "B-PER"};
    assert_int_equal(detect(iob2b, 2), NIO_SCHEME_IOB2);
    const char *bilou[] = {"U-PER", "B-LOC L-LOC"};
    assert_int_equal(detect(bilou, 2), NIO_SCHEME_BILOU);
    const char *bioes[] = {"S-PER", "B-LOC E-LOC"};
    assert_int_equal(detect(bioes, 2), NIO_SCHEME_BIOES);
    const char *none[] = {"O O", ""};
    assert_int_equal(detect(none, 2), NIO_SCHEME_NONE);
    assert_int_equal(detect(NULL, 0), NIO_SCHEME_NONE);
    /* Both kinds of violation: the scheme with fewer wins. */
    const char *mostly2[] = {"B-PER O B-LOC B-ORG", "I-PER"};
    assert_int_equal(detect(mostly2, 2), NIO_SCHEME_IOB2);
    const char *mostly1[] = {"I-A O I-B O I-C", "O B-D"};
    assert_int_equal(detect(mostly1, 2), NIO_SCHEME_IOB1);
    /* Mixed BILOU/BIOES letters: the more frequent pair. */
    const char *mixed[] = {"S-A S-A U-A"};
    assert_int_equal(detect(mixed, 1), NIO_SCHEME_BIOES);
}

static void check_encode(nio_scheme scheme, const char *want)
{
    nio_strtab tab;
    nio_strtab_init(&tab);
    uint32_t a, b;
    nio_strtab_intern(&tab, "A", 1, &a);
    nio_strtab_intern(&tab, "B", 1, &b);
    nio_span sp[] = {{0, 2, a}, {2, 3, a}, {4, 5, b}, {5, 8, a}};
    nio_tag t[8];
    assert_int_equal(nio_tags_encode(sp, 4, 8, scheme, t), NER_OK);
    char got[128];
    size_t at = 0;
    for (size_t i = 0; i < 8; i++) {
        if (t[i].prefix == 'O')
            at += (size_t)snprintf(got + at, sizeof got - at, "%sO", i ? " " : "");
        else
            at += (size_t)snprintf(got + at, sizeof got - at, "%s%c-%s",
                                   i ? " " : "", t[i].prefix,
                                   nio_strtab_get(&tab, t[i].type));
    }
    assert_string_equal(got, want);
    /* Decoding gives the spans back without repairs. */
    nio_span back[8];
    nio_repairs r = {0, 0, 0, 0};
    assert_int_equal(nio_tags_decode(t, 8, scheme, back, &r), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(back[i].start, sp[i].start);
        assert_int_equal(back[i].end, sp[i].end);
        assert_int_equal(back[i].label, sp[i].label);
    }
    assert_int_equal(nio_repairs_total(&r), 0);
    nio_strtab_free(&tab);
}

static void test_encode(void **state)
{
    (void)state;
    check_encode(NIO_SCHEME_IOB1, "I-A I-A B-A O I-B I-A I-A I-A");
    check_encode(NIO_SCHEME_IOB2, "B-A I-A B-A O B-B B-A I-A I-A");
    check_encode(NIO_SCHEME_BILOU, "B-A L-A U-A O U-B B-A I-A L-A");
    check_encode(NIO_SCHEME_BIOES, "B-A E-A S-A O S-B B-A I-A E-A");

    nio_tag t[4];
    nio_span overlap[] = {{0, 2, 0}, {1, 3, 0}};
    nio_span unsorted[] = {{2, 3, 0}, {0, 1, 0}};
    nio_span outside[] = {{3, 5, 0}};
    nio_span empty[] = {{1, 1, 0}};
    assert_int_equal(nio_tags_encode(overlap, 2, 4, NIO_SCHEME_IOB2, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(unsorted, 2, 4, NIO_SCHEME_IOB2, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(outside, 1, 4, NIO_SCHEME_IOB2, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(empty, 1, 4, NIO_SCHEME_IOB2, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(NULL, 0, 4, NIO_SCHEME_NONE, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(NULL, 0, 4, NIO_SCHEME_AUTO, t), NER_EINVAL);
    assert_int_equal(nio_tags_encode(NULL, 0, 4, NIO_SCHEME_IOB2, t), NER_OK);
    assert_int_equal(t[3].prefix, 'O');
}

static void test_strtab(void **state)
{
    (void)state;
    nio_strtab t;
    nio_strtab_init(&t);
    uint32_t id;
    char name[16];
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "L%u", i);
        assert_int_equal(nio_strtab_intern(&t, name, strlen(name), &id), NER_OK);
        assert_int_equal(id, i);
    }
    assert_int_equal(nio_strtab_intern(&t, "L500", 4, &id), NER_OK);
    assert_int_equal(id, 500);
    assert_int_equal(nio_strtab_count(&t), 1000);
    assert_string_equal(nio_strtab_get(&t, 999), "L999");
    assert_null(nio_strtab_get(&t, 1000));
    assert_int_equal(nio_strtab_find(&t, "L1000", 5, &id), NER_ENOTFOUND);
    /* Embedded NUL and the empty string are distinct keys. */
    assert_int_equal(nio_strtab_intern(&t, "a\0b", 3, &id), NER_OK);
    assert_int_equal(id, 1000);
    assert_int_equal(nio_strtab_intern(&t, "a", 1, &id), NER_OK);
    assert_int_equal(id, 1001);
    assert_int_equal(nio_strtab_intern(&t, "", 0, &id), NER_OK);
    assert_int_equal(id, 1002);
    nio_strtab_free(&t);
    assert_int_equal(nio_strtab_find(&t, "a", 1, &id), NER_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_scheme_names),
        cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_repairs),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_strtab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
