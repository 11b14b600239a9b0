/* Tests of lib/rules: token attributes, the vocab, the phrase trie, token
 * patterns and their operators, pattern sets (loading errors, regex rules
 * and their alignment), the choice of entities among matches, and nr_align
 * against ner_doc_align_bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ner/ner.h"
#include "ner/ner_component.h"
#include "rules/attrs.h"
#include "rules/phrase.h"
#include "rules/ruleset.h"
#include "rules/tokpat.h"
#include "rules/vocab.h"
#include "text/rule_tokenizer.h"

/* ------------------------------------------------------------ attributes */

static void check_shape(const char *s, const char *want)
{
    char out[512];
    size_t n = nr_shape(s, strlen(s), out);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static void check_lower(const char *s, const char *want)
{
    char out[512];
    size_t n = nr_lower(s, strlen(s), out);
    out[n] = '\0';
    assert_string_equal(out, want);
}

static uint32_t fl(const char *s) { return nr_token_flags(s, strlen(s)); }

static void test_attrs(void **st)
{
    (void)st;
    check_shape("Apple", "Xxxxx");
    check_shape("1903", "dddd");
    check_shape("123456", "dddd");
    check_shape("C3-PO", "Xd-XX");
    check_shape("élan", "xxxx");
    check_shape("3:30", "d:dd");
    check_shape("$", "$");
    char longw[160];
    memset(longw, 'a', 120);
    longw[120] = '\0';
    check_shape(longw, "LONG");
    check_lower("ÉCOLE Normale", "école normale");
    check_lower("ABC", "abc");
    check_lower("ΣΟΦΙΑ", "σοφια");
    assert_int_equal(nr_length("été", strlen("été")), 3);

    assert_true(fl("Apple") & NR_F_TITLE);
    assert_true(fl("O'Neil") & NR_F_TITLE);
    assert_false(fl("USA") & NR_F_TITLE);
    assert_true(fl("USA") & NR_F_UPPER);
    assert_false(fl("Usa") & NR_F_UPPER);
    assert_true(fl("usa") & NR_F_LOWER);
    assert_true(fl("1903") & NR_F_DIGIT);
    assert_false(fl("19a3") & NR_F_DIGIT);
    assert_true(fl("Zürich") & NR_F_ALPHA);
    assert_false(fl("R2D2") & NR_F_ALPHA);
    assert_true(fl("...") & NR_F_PUNCT);
    assert_true(fl("«") & NR_F_PUNCT);
    assert_false(fl("$") & NR_F_PUNCT);
    assert_true(fl("€") & NR_F_CURRENCY);
    assert_true(fl("(") & NR_F_BRACKET);
    assert_true(fl("(") & NR_F_LEFT_PUNCT);
    assert_true(fl("”") & NR_F_RIGHT_PUNCT);
    assert_true(fl("“") & NR_F_QUOTE);
    assert_true(fl("abc") & NR_F_ASCII);
    assert_false(fl("é") & NR_F_ASCII);

    const char *nums[] = {"10", "-3", "1,000.5", "3/4", "ten", "Ten", "first", "21st",
                          "±5", "٣", "billion", NULL};
    for (size_t i = 0; nums[i]; i++)
        assert_true(nr_like_num(nums[i], strlen(nums[i])));
    const char *not_nums[] = {"3:30", "abc", "-", "1/2/3", "st", "x1", "", NULL};
    for (size_t i = 0; not_nums[i]; i++)
        assert_false(nr_like_num(not_nums[i], strlen(not_nums[i])));
    assert_true(fl("john.doe@example.com") & NR_F_LIKE_EMAIL);
    assert_true(fl("a+b@mail.example.org") & NR_F_LIKE_EMAIL);
    assert_false(fl("@handle") & NR_F_LIKE_EMAIL);
    assert_false(fl("a@b") & NR_F_LIKE_EMAIL);
    assert_false(fl("a@-b.com") & NR_F_LIKE_EMAIL);
    const char *urls[] = {"http://x", "https://example.com/a?b=1", "www.example.org",
                          "example.com", "bbc.co.uk", "example.io:8080", "x.y/", NULL};
    for (size_t i = 0; urls[i]; i++)
        assert_true(nr_like_url(urls[i], strlen(urls[i])));
    const char *not_urls[] = {"U.S.", "e.g.", "a@b.com", "Node.jsx", "3.5", ".com",
                              "example.", "Example.COM", NULL};
    for (size_t i = 0; not_urls[i]; i++)
        assert_false(nr_like_url(not_urls[i], strlen(not_urls[i])));
}

/* ------------------------------------------------------------ vocab */

static void test_vocab(void **st)
{
    (void)st;
    nr_vocab v;
    nr_vocab_init(&v);
    assert_int_equal(nr_vocab_find(&v, "a", 1), NR_NONE);
    uint32_t id = 0, id2 = 0;
    assert_int_equal(nr_vocab_add(&v, "apple", 5, &id), NER_OK);
    assert_int_equal(id, 0);
    assert_int_equal(nr_vocab_add(&v, "", 0, &id), NER_OK);
    assert_int_equal(id, 1);
    assert_int_equal(nr_vocab_add(&v, "apple", 5, &id2), NER_OK);
    assert_int_equal(id2, 0);
    assert_int_equal(nr_vocab_reserve(&v, 5000), NER_OK);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(nr_vocab_add(&v, buf, (size_t)n, &id), NER_OK);
        assert_int_equal(id, (uint32_t)i + 2);
    }
    for (int i = 0; i < 20000; i += 7) {
        int n = snprintf(buf, sizeof buf, "w%d", i);
        assert_int_equal(nr_vocab_find(&v, buf, (size_t)n), (uint32_t)i + 2);
        size_t len;
        assert_string_equal(nr_vocab_str(&v, (uint32_t)i + 2, &len), buf);
        assert_int_equal(len, (size_t)n);
    }
    assert_int_equal(nr_vocab_find(&v, "w20000", 6), NR_NONE);
    assert_int_equal(nr_vocab_find(&v, "appl", 4), NR_NONE);
    assert_int_equal(nr_vocab_find(&v, "", 0), 1);
    assert_null(nr_vocab_str(&v, 999999, NULL));
    assert_true(nr_vocab_bytes(&v) > 0);
    nr_vocab_free(&v);
}

/* ------------------------------------------------------------ phrases */

typedef struct hits {
    size_t s[64], e[64];
    uint32_t v[64];
    size_t n;
} hits;

static int hit_cb(void *u, size_t s, size_t e, uint32_t v)
{
    hits *h = u;
    if (h->n < 64) {
        h->s[h->n] = s;
        h->e[h->n] = e;
        h->v[h->n] = v;
        h->n++;
    }
    return 0;
}

static int stop_cb(void *u, size_t s, size_t e, uint32_t v)
{
    (void)u; (void)s; (void)e; (void)v;
    return 42;
}

static void test_phrases(void **st)
{
    (void)st;
    nr_phrases p;
    nr_phrases_init(&p);
    uint32_t ny[] = {1, 2}, nyt[] = {1, 2, 3}, york[] = {2}, dup[] = {1, 2};
    assert_int_equal(nr_phrases_add(&p, ny, 0, 0), NER_EINVAL);
    assert_int_equal(nr_phrases_add(&p, nyt, 3, 5), NER_OK);
    assert_int_equal(nr_phrases_add(&p, ny, 2, 3), NER_EINVAL); /* values increase */
    assert_int_equal(nr_phrases_add(&p, ny, 2, 7), NER_OK);
    assert_int_equal(nr_phrases_add(&p, york, 1, 8), NER_OK);
    assert_int_equal(nr_phrases_add(&p, dup, 2, 9), NER_OK);
    assert_int_equal(nr_phrases_build(&p, 10), NER_OK);
    assert_int_equal(nr_phrases_add(&p, york, 1, 10), NER_EINVAL); /* built */
    /* text: 1 2 3 1 2 4 NONE 2 */
    uint32_t text[] = {1, 2, 3, 1, 2, 4, NR_NONE, 2};
    hits h = {0};
    assert_int_equal(nr_phrases_match(&p, text, 8, hit_cb, &h), 0);
    /* by start, then length, then value */
    size_t want_s[] = {0, 0, 0, 1, 3, 3, 4, 7}, want_e[] = {2, 2, 3, 2, 5, 5, 5, 8};
    uint32_t want_v[] = {7, 9, 5, 8, 7, 9, 8, 8};
    assert_int_equal(h.n, 8);
    for (size_t i = 0; i < h.n; i++) {
        assert_int_equal(h.s[i], want_s[i]);
        assert_int_equal(h.e[i], want_e[i]);
        assert_int_equal(h.v[i], want_v[i]);
    }
    assert_int_equal(nr_phrases_match(&p, text, 8, stop_cb, NULL), 42);
    assert_true(nr_phrases_bytes(&p) > 0);
    nr_phrases_free(&p);

    /* empty trie, never built */
    nr_phrases_init(&p);
    assert_int_equal(nr_phrases_match(&p, text, 8, hit_cb, &h), 0);
    assert_int_equal(nr_phrases_build(&p, 0), NER_OK);
    assert_int_equal(nr_phrases_match(&p, text, 8, hit_cb, &h), 0);
    nr_phrases_free(&p);
}

/* ------------------------------------------------------------ rulesets */

static nt_rules *g_en;

static int group_setup(void **st)
{
    (void)st;
    return nt_rules_builtin(&g_en, "en", NULL, 0) == NER_OK ? 0 : -1;
}

static int group_teardown(void **st)
{
    (void)st;
    nt_rules_free(g_en);
    return 0;
}

/* Loads JSONL patterns; returns the status, errbuf in err. */
static int load(nr_ruleset **rs, int attr, const char *jsonl, char *err, size_t errlen)
{
    assert_int_equal(nr_ruleset_new(rs, attr), NER_OK);
    int rc = nr_ruleset_add_jsonl(*rs, jsonl, strlen(jsonl), "p.jsonl", g_en, err, errlen);
    if (rc == NER_OK) rc = nr_ruleset_finish(*rs);
    return rc;
}

/* Matches text with the set; writes "label:start-end(tokens);..." of every
 * match into out, and of the chosen entities into ents (may be NULL). */
static void run(const nr_ruleset *rs, const char *text, int align, char *out,
                size_t cap, char *ents, size_t ecap)
{
    nt_tokbuf tb;
    nt_tokbuf_init(&tb);
    assert_int_equal(nt_tokenize(g_en, text, strlen(text), &tb, NULL, 0), NER_OK);
    nr_scratch *s = nr_scratch_new();
    assert_non_null(s);
    const nr_match *m = NULL;
    size_t n = 0;
    assert_int_equal(nr_ruleset_match(rs, text, strlen(text), tb.starts, tb.ends, tb.n,
                                      align, s, &m, &n), NER_OK);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s:%u-%u;", nr_ruleset_label(rs, m[i].pattern),
                              m[i].start, m[i].end);
    if (ents) {
        const uint32_t *sel = NULL;
        size_t ns = 0;
        assert_int_equal(nr_select(m, n, tb.n, NULL, NULL, s, &sel, &ns), NER_OK);
        o = 0;
        ents[0] = '\0';
        for (size_t i = 0; i < ns; i++)
            o += (size_t)snprintf(ents + o, ecap - o, "%s:%u-%u;",
                                  nr_ruleset_label(rs, m[sel[i]].pattern),
                                  m[sel[i]].start, m[sel[i]].end);
    }
    nr_scratch_free(s);
    nt_tokbuf_free(&tb);
}

static void expect(const char *jsonl, const char *text, const char *want_matches,
                   const char *want_ents)
{
    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = load(&rs, NR_ATTR_ORTH, jsonl, err, sizeof err);
    if (rc != NER_OK) fail_msg("load failed: %s", err);
    char out[2048], ents[2048];
    run(rs, text, NR_ALIGN_STRICT, out, sizeof out, ents, sizeof ents);
    if (strcmp(out, want_matches) != 0)
        fail_msg("patterns %s\ntext \"%s\"\nmatches %s\nwanted  %s", jsonl, text, out,
                 want_matches);
    if (want_ents && strcmp(ents, want_ents) != 0)
        fail_msg("patterns %s\ntext \"%s\"\nents   %s\nwanted %s", jsonl, text, ents,
                 want_ents);
    nr_ruleset_free(rs);
}

static void test_token_patterns(void **st)
{
    (void)st;
    /* attributes; keys are case-insensitive */
    expect("{\"label\":\"GPE\",\"pattern\":[{\"LOWER\":\"san\"},{\"lower\":\"francisco\"}]}",
           "I left San Francisco and SAN FRANCISCO.", "GPE:2-4;GPE:5-7;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"Apple\"}]}", "apple Apple APPLE",
           "X:1-2;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"TEXT\":{\"IN\":[\"a\",\"b\",\"a\"]}}]}", "a b c",
           "X:0-1;X:1-2;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"TEXT\":{\"NOT_IN\":[\"a\",\"b\"]}}]}", "a b c",
           "X:2-3;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"SHAPE\":\"dddd\"}]}", "in 1903 and 12345 or 123",
           "X:1-2;X:3-4;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"LENGTH\":{\">=\":3,\"<\":5}}]}", "a bb ccc dddd eeeee",
           "X:2-3;X:3-4;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"LENGTH\":2}]}", "a bb ccc", "X:1-2;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"LENGTH\":{\"IN\":[1,3]}}]}", "a bb ccc", "X:0-1;X:2-3;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"IS_DIGIT\":true},{\"IS_ALPHA\":true,\"IS_TITLE\":false}]}",
           "7 days 8 Days", "X:0-2;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"LIKE_NUM\":true},{\"IS_PUNCT\":true}]}",
           "ten. 3, x.", "X:0-2;X:2-4;", NULL);
    expect("{\"label\":\"E\",\"pattern\":[{\"LIKE_EMAIL\":true}]}"
           "\n{\"label\":\"U\",\"pattern\":[{\"LIKE_URL\":true}]}",
           "mail a@b.com or see example.com", "E:1-2;U:4-5;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"TEXT\":{\"REGEX\":\"^[A-Z]{2,}$\"}}]}", "NASA and Nasa",
           "X:0-1;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"REGEX\":\"ing$\"}]}", "sing song singing",
           "X:0-1;X:2-3;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"LOWER\":{\"REGEX\":\"^ap\"}}]}", "Apple apricot cat",
           "X:0-1;X:1-2;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"SHAPE\":{\"REGEX\":\"^X+$\"}}]}", "NASA and Nasa",
           "X:0-1;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{},{\"ORTH\":\"b\"}]}", "a b b", "X:0-2;X:1-3;", NULL);
    expect("{\"label\":\"X\",\"pattern\":[{\"IS_CURRENCY\":true},{\"LIKE_NUM\":true}]}",
           "paid €3 and $ 4", "X:1-3;X:4-6;", NULL);
}

static void test_operators(void **st)
{
    (void)st;
    const char *opt = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\"},{\"ORTH\":\"b\",\"OP\":\"?\"},{\"ORTH\":\"c\"}]}";
    expect(opt, "a c a b c a b b c", "X:0-2;X:2-5;", NULL);
    const char *star = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\"},{\"ORTH\":\"b\",\"OP\":\"*\"},{\"ORTH\":\"c\"}]}";
    expect(star, "a c a b c a b b c", "X:0-2;X:2-5;X:5-9;", NULL);
    const char *plus = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\"},{\"ORTH\":\"b\",\"OP\":\"+\"},{\"ORTH\":\"c\"}]}";
    expect(plus, "a c a b c a b b c", "X:2-5;X:5-9;", NULL);
    /* "!" is one token that does not match */
    const char *neg = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\"},{\"ORTH\":\"b\",\"OP\":\"!\"}]}";
    expect(neg, "a b a c a", "X:2-4;", NULL);
    /* a final optional: the longest per start */
    const char *tail = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\"},{\"ORTH\":\"b\",\"OP\":\"?\"}]}";
    expect(tail, "a b a", "X:0-2;X:2-3;", NULL);
    /* + at the end: one match per start, the longest; the one from the
     * earliest start when they end together */
    const char *digits = "{\"label\":\"N\",\"pattern\":[{\"IS_DIGIT\":true,\"OP\":\"+\"}]}";
    expect(digits, "x 1 2 3 y 4", "N:1-4;N:5-6;", "N:1-4;N:5-6;");
    /* counted repeats */
    const char *n2 = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"{2}\"}]}";
    expect(n2, "a a a", "X:0-2;X:1-3;", "X:0-2;");
    const char *n13 = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"b\"},{\"ORTH\":\"a\",\"OP\":\"{1,3}\"}]}";
    expect(n13, "b a a a a b", "X:0-4;", NULL);
    const char *n2p = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"b\"},{\"ORTH\":\"a\",\"OP\":\"{2,}\"}]}";
    expect(n2p, "b a b a a a", "X:2-6;", NULL);
    const char *n02 = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"b\"},{\"ORTH\":\"a\",\"OP\":\"{,2}\"},{\"ORTH\":\"c\"}]}";
    expect(n02, "b c b a a c b a a a c", "X:0-2;X:2-6;", NULL);
    /* a pattern of optional tokens only never matches empty */
    const char *allopt = "{\"label\":\"X\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"*\"}]}";
    expect(allopt, "b a a b", "X:1-3;", NULL);
}

static void test_phrase_patterns(void **st)
{
    (void)st;
    /* nested phrases all reported; the longest becomes the entity */
    const char *p = "{\"label\":\"GPE\",\"pattern\":\"New York\"}\n"
                    "{\"label\":\"ORG\",\"pattern\":\"New York Times\",\"id\":\"nyt\"}\n"
                    "{\"label\":\"ORG\",\"pattern\":\"Times\"}\n";
    expect(p, "The New York Times and New York.", "ORG:1-4;GPE:1-3;ORG:3-4;GPE:5-7;",
           "ORG:1-4;GPE:5-7;");
    /* phrases are tokenized like the text: "U.S." stays whole, "Dr." too,
     * "don't" is two tokens, whitespace inside does not matter */
    expect("{\"label\":\"X\",\"pattern\":\"U.S. Army\"}\n{\"label\":\"Y\",\"pattern\":\"don't   stop\"}",
           "The U.S. Army: don't stop.", "X:1-3;Y:4-7;", NULL);
    expect("{\"label\":\"M\",\"pattern\":\"$4\"}", "It cost $4 or $ 4.", "M:2-4;M:5-7;", NULL);

    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(load(&rs, NR_ATTR_LOWER, "{\"label\":\"ORG\",\"pattern\":\"Apple Inc\"}",
                          err, sizeof err), NER_OK);
    char out[512];
    run(rs, "APPLE INC and apple inc and Apple Inc today", NR_ALIGN_STRICT, out, sizeof out, NULL, 0);
    assert_string_equal(out, "ORG:0-2;ORG:3-5;ORG:6-8;");
    nr_ruleset_free(rs);
    assert_int_equal(load(&rs, NR_ATTR_SHAPE, "{\"label\":\"ID\",\"pattern\":\"AB-123\"}",
                          err, sizeof err), NER_OK);
    run(rs, "XY-987 and xy-987", NR_ALIGN_STRICT, out, sizeof out, NULL, 0);
    assert_string_equal(out, "ID:0-1;");
    nr_ruleset_free(rs);
}

static void test_regex_alignment(void **st)
{
    (void)st;
    const char *jsonl = "{\"label\":\"SKU\",\"regex\":\"SKU-\\\\d+\"}\n"
                        "{\"label\":\"PART\",\"regex\":\"ello Wor\"}\n"
                        "{\"label\":\"EMPTY\",\"regex\":\"x*\"}\n";
    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(load(&rs, NR_ATTR_ORTH, jsonl, err, sizeof err), NER_OK);
    const char *text = "Order SKU-123, Hello World!";
    /* tokens: Order SKU-123 , Hello World ! */
    char out[512];
    run(rs, text, NR_ALIGN_STRICT, out, sizeof out, NULL, 0);
    assert_string_equal(out, "SKU:1-2;");
    run(rs, text, NR_ALIGN_CONTRACT, out, sizeof out, NULL, 0);
    assert_string_equal(out, "SKU:1-2;");
    run(rs, text, NR_ALIGN_EXPAND, out, sizeof out, NULL, 0);
    assert_string_equal(out, "SKU:1-2;PART:3-5;");
    nr_ruleset_free(rs);
    /* a regex over several tokens, and one that needs lookbehind */
    expect("{\"label\":\"Y\",\"regex\":\"(?<=in )\\\\d{4}\\\\b\"}\n"
           "{\"label\":\"P\",\"regex\":\"\\\\(\\\\d{3}\\\\) \\\\d{3}-\\\\d{4}\"}",
           "Born in 1903, call (555) 123-4567 by 2024.", "Y:2-3;P:5-9;", NULL);
}

static void test_selection(void **st)
{
    (void)st;
    /* longest first; then earliest; then the pattern written first */
    const char *p = "{\"label\":\"A\",\"pattern\":\"b c\"}\n"
                    "{\"label\":\"B\",\"pattern\":\"a b\"}\n"
                    "{\"label\":\"C\",\"pattern\":\"c d\"}\n"
                    "{\"label\":\"D\",\"pattern\":\"a b c\"}\n"
                    "{\"label\":\"E\",\"pattern\":\"e\"}\n"
                    "{\"label\":\"F\",\"pattern\":\"e\"}\n";
    expect(p, "a b c d e", "D:0-3;B:0-2;A:1-3;C:2-4;E:4-5;F:4-5;", "D:0-3;E:4-5;");
    expect(p, "x b c d", "A:1-3;C:2-4;", "A:1-3;");

    /* blocked spans (entities already there) */
    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(load(&rs, NR_ATTR_ORTH, p, err, sizeof err), NER_OK);
    nr_match m[] = {{0, 3, 3}, {1, 3, 0}, {3, 4, 2}};
    nr_scratch *s = nr_scratch_new();
    const uint32_t *sel = NULL;
    size_t ns = 0;
    assert_int_equal(nr_select(m, 3, 5, NULL, NULL, s, &sel, &ns), NER_OK);
    assert_int_equal(ns, 2);
    assert_int_equal(sel[0], 0);
    assert_int_equal(sel[1], 2);
    nr_scratch_free(s);
    nr_ruleset_free(rs);
}

static void expect_error(const char *jsonl, const char *needle)
{
    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = load(&rs, NR_ATTR_ORTH, jsonl, err, sizeof err);
    if (rc == NER_OK) fail_msg("loaded, but should fail: %s", jsonl);
    if (!strstr(err, needle))
        fail_msg("patterns %s\nerror \"%s\"\nshould say \"%s\"", jsonl, err, needle);
    nr_ruleset_free(rs);
}

static void test_errors(void **st)
{
    (void)st;
    const char *ok = "{\"label\":\"A\",\"pattern\":\"a\"}\n\n";
    char buf[1024];
#define BAD(line, needle) \
    do { snprintf(buf, sizeof buf, "%s%s\n", ok, line); expect_error(buf, needle); } while (0)
    BAD("{\"label\":\"A\",\"pattern\":\"a\"", "p.jsonl:3: malformed JSON");
    BAD("[1, 2]", "p.jsonl:3: a pattern must be a JSON object");
    BAD("{\"label\":\"A\",\"pattern\":\"a\"} x", "p.jsonl:3: malformed JSON");
    BAD("{\"label\":\"A\",\"label\":\"B\",\"pattern\":\"a\"}", "p.jsonl:3: malformed JSON");
    BAD("{\"pattern\":\"a\"}", "p.jsonl:3: \"label\" must be a non-empty string");
    BAD("{\"label\":\"\",\"pattern\":\"a\"}", "p.jsonl:3: \"label\" must be a non-empty string");
    BAD("{\"label\":3,\"pattern\":\"a\"}", "\"label\" must be a non-empty string");
    BAD("{\"label\":\"A\\u0000B\",\"pattern\":\"a\"}", "p.jsonl:3: malformed JSON");
    BAD("{\"label\":\"A\"}", "exactly one of \"pattern\"");
    BAD("{\"label\":\"A\",\"pattern\":\"a\",\"regex\":\"a\"}", "exactly one of \"pattern\"");
    BAD("{\"label\":\"A\",\"pattern\":3}", "\"pattern\" must be a string");
    BAD("{\"label\":\"A\",\"pattern\":\"a\",\"id\":3}", "\"id\" must be a string");
    BAD("{\"label\":\"A\",\"pattern\":\"a\",\"lable\":\"x\"}", "unknown key \"lable\"");
    BAD("{\"label\":\"A\",\"pattern\":\"\"}", "p.jsonl:3: empty pattern");
    BAD("{\"label\":\"A\",\"pattern\":\" \\t \"}", "empty pattern");
    BAD("{\"label\":\"A\",\"pattern\":[]}", "empty pattern");
    BAD("{\"label\":\"A\",\"regex\":\"\"}", "empty pattern");
    BAD("{\"label\":\"A\",\"regex\":\"a(b\"}", "p.jsonl:3: \"regex\" does not compile at offset 3");
    BAD("{\"label\":\"A\",\"regex\":\"\\\\C\"}", "does not compile");
    BAD("{\"label\":\"A\",\"pattern\":[{\"FOO\":\"x\"}]}", "pattern[0]: unknown attribute \"FOO\"");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\"},{\"POS\":\"NOUN\"}]}",
        "pattern[1]: attribute \"POS\" is not supported");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"%\"}]}", "unknown operator \"%\"");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"{2,1}\"}]}", "unknown operator");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"{101}\"}]}", "unknown operator");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":1}]}", "OP must be a string");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":\"a\",\"OP\":\"{0}\"}]}", "matches no token");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":3}]}", "ORTH must be a string or an object");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":{}}]}", "ORTH must be a string or an object");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":{\"IN\":\"a\"}}]}", "must be a list of strings");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":{\"IN\":[1]}}]}", "IN[0] is not a string");
    BAD("{\"label\":\"A\",\"pattern\":[{\"ORTH\":{\"FUZZY\":\"a\"}}]}", "unknown predicate \"FUZZY\"");
    BAD("{\"label\":\"A\",\"pattern\":[{\"TEXT\":{\"REGEX\":\"(\"}}]}", "pattern[0]: TEXT REGEX: regex does not compile");
    BAD("{\"label\":\"A\",\"pattern\":[{\"REGEX\":5}]}", "REGEX must be a string");
    BAD("{\"label\":\"A\",\"pattern\":[{\"LENGTH\":\"3\"}]}", "LENGTH must be an integer");
    BAD("{\"label\":\"A\",\"pattern\":[{\"LENGTH\":{\">=\":\"3\"}}]}", "LENGTH >= needs an integer");
    BAD("{\"label\":\"A\",\"pattern\":[{\"LENGTH\":{\"~\":3}}]}", "unknown predicate \"~\"");
    BAD("{\"label\":\"A\",\"pattern\":[{\"LENGTH\":{\"IN\":[\"a\"]}}]}", "is not an integer");
    BAD("{\"label\":\"A\",\"pattern\":[{\"IS_DIGIT\":1}]}", "IS_DIGIT must be true or false");
    BAD("{\"label\":\"A\",\"pattern\":[3]}", "a token spec must be an object");
    BAD("{\"label\":\"A\",\"pattern\":\"a\\udc00\"}", "malformed JSON");
#undef BAD
    /* bad UTF-8 in the file */
    expect_error("{\"label\":\"A\",\"pattern\":\"\xff\"}\n", "p.jsonl:1: malformed JSON");
    /* not a phrase without a tokenizer */
    nr_ruleset *rs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nr_ruleset_new(&rs, NR_ATTR_ORTH), NER_OK);
    const char *ph = "{\"label\":\"A\",\"pattern\":\"a\"}";
    assert_int_equal(nr_ruleset_add_jsonl(rs, ph, strlen(ph), NULL, NULL, err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "patterns:1: phrase patterns need a tokenizer"));
    /* a failed add leaves the set as it was */
    assert_int_equal(nr_ruleset_count(rs), 0);
    assert_int_equal(nr_ruleset_finish(rs), NER_OK);
    assert_int_equal(nr_ruleset_finish(rs), NER_EINVAL);
    assert_int_equal(nr_ruleset_add_jsonl(rs, ph, strlen(ph), NULL, g_en, err, sizeof err), NER_EINVAL);
    nr_ruleset_free(rs);
    assert_int_equal(nr_ruleset_new(&rs, 7), NER_EINVAL);
    assert_null(rs);
}

static void test_fast_and_slow_parse_agree(void **st)
{
    (void)st;
    /* the same patterns written in ways only jansson reads, and plainly */
    const char *plain = "{\"label\": \"ORG\", \"pattern\": \"Caf\xc3\xa9 \\\"Nord\\\"\", \"id\": \"c\\/1\"}\n";
    const char *fancy = "{\"_note\": 1, \"id\": \"c/1\", \"pattern\": \"Caf\\u00e9 \\\"Nord\\\"\", "
                        "\"label\": \"OR\\u0047\"}\n";
    nr_ruleset *a = NULL, *b = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(load(&a, NR_ATTR_ORTH, plain, err, sizeof err), NER_OK);
    assert_int_equal(load(&b, NR_ATTR_ORTH, fancy, err, sizeof err), NER_OK);
    const char *text = "At Caf\xc3\xa9 \"Nord\" today";
    char oa[256], ob[256];
    run(a, text, NR_ALIGN_STRICT, oa, sizeof oa, NULL, 0);
    run(b, text, NR_ALIGN_STRICT, ob, sizeof ob, NULL, 0);
    assert_string_equal(oa, "ORG:1-5;");
    assert_string_equal(oa, ob);
    assert_string_equal(nr_ruleset_ent_id(a, 0), "c/1");
    assert_string_equal(nr_ruleset_ent_id(b, 0), "c/1");
    assert_int_equal(nr_ruleset_kind(a, 0), NR_KIND_PHRASE);
    const char *const *labels = NULL;
    assert_int_equal(nr_ruleset_labels(b, &labels), 1);
    assert_string_equal(labels[0], "ORG");
    assert_null(labels[1]);
    nr_ruleset_free(a);
    nr_ruleset_free(b);
}

/* nr_align agrees with ner_doc_align_bytes on every range of a few texts. */
static void test_align_parity(void **st)
{
    (void)st;
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_new(&b, "en", NULL, 0), NER_OK);
    assert_int_equal(ner_builder_build(b, &pl, NULL, 0), NER_OK);
    ner_builder_free(b);
    const char *texts[] = {"  Hello,  wörld! (x)  ", "a", "", "Don't stop-me now.\n\nOK",
                           "€3.5m in 2025-01-15"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        ner_doc *d = NULL;
        size_t len = strlen(texts[t]);
        assert_int_equal(ner_pipeline_process(pl, texts[t], len, &d, NULL, 0), NER_OK);
        size_t n = ner_doc_token_count(d);
        size_t starts[64], ends[64];
        for (size_t i = 0; i < n; i++) ner_doc_token_bytes(d, i, &starts[i], &ends[i], NULL);
        for (int mode = 0; mode < 4; mode++)
            for (size_t s = 0; s <= len + 1; s++)
                for (size_t e = s; e <= len + 1; e++) {
                    size_t a1 = 0, b1 = 0, a2 = 0, b2 = 0;
                    int r1 = ner_doc_align_bytes(d, s, e, mode, &a1, &b1);
                    int r2 = nr_align(starts, ends, n, len, s, e, mode, &a2, &b2);
                    if (s == e && r1 != NER_OK) continue; /* empty ranges: no matter */
                    if (r1 != r2 || (r1 == NER_OK && (a1 != a2 || b1 != b2)))
                        fail_msg("text %zu mode %d [%zu,%zu): doc %d %zu-%zu, rules %d %zu-%zu",
                                 t, mode, s, e, r1, a1, b1, r2, a2, b2);
                }
        ner_doc_free(d);
    }
    ner_pipeline_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attrs),
        cmocka_unit_test(test_vocab),
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_token_patterns),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_phrase_patterns),
        cmocka_unit_test(test_regex_alignment),
        cmocka_unit_test(test_selection),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_fast_and_slow_parse_agree),
        cmocka_unit_test(test_align_parity),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
