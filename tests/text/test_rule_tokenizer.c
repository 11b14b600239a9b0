/* Tests of the rule tokenizer (lib/text/rule_tokenizer.h): exact token lists,
 * the offset invariants on varied text, pathological input, bad rules. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ner/ner.h"
#include "text/rule_tokenizer.h"
#include "text/utf8.h"

static nt_rules *en;

static int setup(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nt_rules_builtin(&en, "en", err, sizeof err);
    if (rc) fprintf(stderr, "built-in rules: %s\n", err);
    return rc;
}

static int teardown(void **st)
{
    (void)st;
    nt_rules_free(en);
    en = NULL;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------ invariants */

static int is_space_at(const char *t, size_t len, size_t *i)
{
    size_t j = *i;
    int32_t cp = nt_utf8_next(t, len, &j);
    if (!nt_is_space(cp)) return 0;
    *i = j;
    return 1;
}

static int on_boundary(const char *t, size_t len, size_t off)
{
    return off == len || ((unsigned char)t[off] & 0xC0) != 0x80;
}

/* Checks every promise of nt_tokenize on one output; returns a message or
 * NULL. */
static const char *check_invariants(const char *t, size_t len, const nt_tokbuf *b)
{
    static char msg[256];
    size_t prev = 0;
    char *rebuilt = malloc(len + 1);
    size_t k = 0;
    assert_non_null(rebuilt);
    for (size_t i = 0; i < b->n; i++) {
        size_t s = b->starts[i], e = b->ends[i];
        if (s >= e) { snprintf(msg, sizeof msg, "token %zu empty", i); goto bad; }
        if (s < prev) { snprintf(msg, sizeof msg, "token %zu overlaps or unsorted", i); goto bad; }
        if (e > len) { snprintf(msg, sizeof msg, "token %zu past the end", i); goto bad; }
        if (!on_boundary(t, len, s) || !on_boundary(t, len, e)) {
            snprintf(msg, sizeof msg, "token %zu [%zu,%zu) not on code points", i, s, e);
            goto bad;
        }
        for (size_t g = prev; g < s;) {
            if (!is_space_at(t, len, &g)) {
                snprintf(msg, sizeof msg, "non-space in gap before token %zu at %zu", i, g);
                goto bad;
            }
        }
        for (size_t g = s; g < e;) {
            size_t h = g;
            if (is_space_at(t, len, &h)) {
                snprintf(msg, sizeof msg, "space inside token %zu at %zu", i, g);
                goto bad;
            }
            nt_utf8_next(t, len, &g);
        }
        memcpy(rebuilt + k, t + prev, s - prev); k += s - prev;
        memcpy(rebuilt + k, t + s, e - s); k += e - s;
        prev = e;
    }
    for (size_t g = prev; g < len;) {
        if (!is_space_at(t, len, &g)) {
            snprintf(msg, sizeof msg, "text after the last token at %zu is not space", g);
            goto bad;
        }
    }
    if (len > prev) memcpy(rebuilt + k, t + prev, len - prev);
    k += len - prev;
    if (k != len || (len && memcmp(rebuilt, t, len) != 0)) {
        snprintf(msg, sizeof msg, "tokens and gaps do not rebuild the text");
        goto bad;
    }
    free(rebuilt);
    return NULL;
bad:
    free(rebuilt);
    return msg;
}

static void tokenize_checked(const nt_rules *r, const char *t, size_t len, nt_tokbuf *b)
{
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nt_tokenize(r, t, len, b, err, sizeof err);
    if (rc) fail_msg("nt_tokenize: %d %s", rc, err);
    const char *m = check_invariants(t, len, b);
    if (m) fail_msg("invariant broken on \"%.80s\": %s", t, m);
}

/* ------------------------------------------------------------ exact lists */

static void expect_tokens(const nt_rules *r, const char *text, const char *const *want)
{
    nt_tokbuf b = {0};
    size_t len = strlen(text), nw = 0;
    tokenize_checked(r, text, len, &b);
    while (want[nw]) nw++;
    int ok = b.n == nw;
    for (size_t i = 0; ok && i < nw; i++)
        ok = strlen(want[i]) == b.ends[i] - b.starts[i] &&
             memcmp(want[i], text + b.starts[i], b.ends[i] - b.starts[i]) == 0;
    if (!ok) {
        char got[2048];
        size_t k = 0;
        for (size_t i = 0; i < b.n && k + 8 < sizeof got; i++)
            k += (size_t)snprintf(got + k, sizeof got - k, "%s%.*s", i ? " | " : "",
                                  (int)(b.ends[i] - b.starts[i]), text + b.starts[i]);
        nt_tokbuf_free(&b);
        fail_msg("\"%s\": expected %zu tokens, got %s", text, nw, got);
    }
    nt_tokbuf_free(&b);
}

#define EXPECT(r, text, ...) expect_tokens((r), (text), (const char *const[]){__VA_ARGS__, NULL})

static void test_required_examples(void **st)
{
    (void)st;
    EXPECT(en, "Elon Musk sold $4 billion of Tesla stock on January 15, 2025.",
           "Elon", "Musk", "sold", "$", "4", "billion", "of", "Tesla", "stock",
           "on", "January", "15", ",", "2025", ".");
    EXPECT(en, "I don't live in the U.S. anymore.",
           "I", "do", "n't", "live", "in", "the", "U.S.", "anymore", ".");
    EXPECT(en, "Email me at john.doe@example.com or visit https://example.com/a?b=c.",
           "Email", "me", "at", "john.doe@example.com", "or", "visit",
           "https://example.com/a?b=c", ".");
    EXPECT(en, "(Dr. Smith's)", "(", "Dr.", "Smith", "'s", ")");
    EXPECT(en, "500mg", "500", "mg");
    EXPECT(en, "12%", "12", "%");
    EXPECT(en, "€3.5m", "€", "3.5", "m");
    EXPECT(en, "3:30pm", "3:30", "pm");
}

static void test_contractions(void **st)
{
    (void)st;
    EXPECT(en, "can't won't I'm Don't CAN'T", "ca", "n't", "wo", "n't", "I", "'m",
           "Do", "n't", "CA", "N'T");
    EXPECT(en, "don’t it’s I’m", "do", "n’t", "it", "’s", "I", "’m");
    EXPECT(en, "they're we've you'll she'd", "they", "'re", "we", "'ve", "you",
           "'ll", "she", "'d");
    /* not in the special cases: the suffix rules do it */
    EXPECT(en, "Obama's doesn't Mary'll couldn’t", "Obama", "'s", "does", "n't",
           "Mary", "'ll", "could", "n’t");
    EXPECT(en, "cannot gonna", "can", "not", "gon", "na");
    EXPECT(en, "'s n't 'S", "'s", "n't", "'S");
    EXPECT(en, "the dogs' toys", "the", "dogs", "'", "toys");
}

static void test_abbreviations(void **st)
{
    (void)st;
    EXPECT(en, "Mr. and Mrs. Smith of Acme Inc. met Dr. Jones Jr. on Jan. 5 in St. Louis.",
           "Mr.", "and", "Mrs.", "Smith", "of", "Acme", "Inc.", "met", "Dr.",
           "Jones", "Jr.", "on", "Jan.", "5", "in", "St.", "Louis", ".");
    EXPECT(en, "e.g., i.e. etc. vs. U.K. Ltd. Corp. Co.", "e.g.", ",", "i.e.",
           "etc.", "vs.", "U.K.", "Ltd.", "Corp.", "Co.");
    EXPECT(en, "(U.S.)", "(", "U.S.", ")");
    EXPECT(en, "U.S.,", "U.S.", ",");
    /* not listed: two capitals before the period keep it split, one keeps it */
    EXPECT(en, "USA. J. Smith", "USA", ".", "J.", "Smith");
    EXPECT(en, "10 a.m. to 5 p.m.", "10", "a.m.", "to", "5", "p.m.");
}

static void test_numbers_units(void **st)
{
    (void)st;
    EXPECT(en, "4,000 3.5 15:30 1996-08-30 -5 +5 1/2", "4,000", "3.5", "15:30",
           "1996-08-30", "-5", "+5", "1/2");
    EXPECT(en, "5km 80km/h 3kg 10am 7pm $5M 2.5bn 20°C", "5", "km", "80", "km/h",
           "3", "kg", "10", "am", "7", "pm", "$", "5", "M", "2.5", "bn", "20°C");
    EXPECT(en, "1st 2nd 4th MP3 B2B COVID-19", "1st", "2nd", "4th", "MP3", "B2B",
           "COVID-19");
    EXPECT(en, "£50, ¥100.", "£", "50", ",", "¥", "100", ".");
    EXPECT(en, "5-year 10-20", "5", "-", "year", "10-20");
}

static void test_infixes_punct(void **st)
{
    (void)st;
    EXPECT(en, "well-known and/or a,b re:Invent", "well", "-", "known", "and", "/",
           "or", "a", ",", "b", "re", ":", "Invent");
    EXPECT(en, "wait...what end.Start", "wait", "...", "what", "end", ".", "Start");
    EXPECT(en, "Hello!!! Really?!", "Hello", "!", "!", "!", "Really", "?", "!");
    EXPECT(en, "\"Hello,\" she said.", "\"", "Hello", ",", "\"", "she", "said", ".");
    EXPECT(en, "“quoted” ‘single’ «guillemets»", "“", "quoted", "”", "‘", "single",
           "’", "«", "guillemets", "»");
    EXPECT(en, "((a))", "(", "(", "a", ")", ")");
    EXPECT(en, "Note: see [1]; done", "Note", ":", "see", "[", "1", "]", ";", "done");
    EXPECT(en, "mother-in-law", "mother", "-", "in", "-", "law");
    EXPECT(en, "a--b", "a", "--", "b");
}

static void test_urls_emails(void **st)
{
    (void)st;
    EXPECT(en, "(see https://en.wikipedia.org/wiki/NER).", "(", "see",
           "https://en.wikipedia.org/wiki/NER", ")", ".");
    EXPECT(en, "www.example.com/path, then", "www.example.com/path", ",", "then");
    EXPECT(en, "example.org/a-b/c?x=1,", "example.org/a-b/c?x=1", ",");
    EXPECT(en, "<jane_doe+tag@mail.co.uk>", "<", "jane_doe+tag@mail.co.uk", ">");
    EXPECT(en, "http://example.com/5km", "http://example.com/5km");
    EXPECT(en, "ftp://files.example.net/x.tar.gz!", "ftp://files.example.net/x.tar.gz", "!");
}

static void test_unicode(void **st)
{
    (void)st;
    EXPECT(en, "😀😀😀", "😀", "😀", "😀");
    EXPECT(en, "I❤you", "I", "❤", "you");
    EXPECT(en, "family 👨‍👩‍👧 ok", "family", "👨‍👩‍👧", "ok");
    EXPECT(en, "👍🏽👍", "👍🏽", "👍");
    EXPECT(en, "🇺🇸🇬🇧", "🇺🇸", "🇬🇧");
    EXPECT(en, "hi!😀", "hi", "!", "😀");
    /* CJK without spaces stays one token; CJK punctuation is split off */
    EXPECT(en, "東京は日本の首都です。", "東京は日本の首都です", "。");
    EXPECT(en, "naïve café, Zürich", "naïve", "café", ",", "Zürich");
    EXPECT(en, "a\xc2\xa0" "b\xe3\x80\x80" "c\xe2\x80\xa8" "d\te\nf\r\ng\vh\fi\xc2\x85j",
           "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    /* zero-width space is not whitespace */
    EXPECT(en, "a\xe2\x80\x8b" "b", "a\xe2\x80\x8b" "b");
    EXPECT(en, "مرحبا، بالعالم", "مرحبا", "،", "بالعالم");
}

static void test_empty_and_blank(void **st)
{
    (void)st;
    nt_tokbuf b = {0};
    tokenize_checked(en, "", 0, &b);
    assert_int_equal(b.n, 0);
    tokenize_checked(en, NULL, 0, &b);
    assert_int_equal(b.n, 0);
    tokenize_checked(en, " \t\n\xc2\xa0\xe3\x80\x80", 8, &b);
    assert_int_equal(b.n, 0);
    tokenize_checked(en, "  x  ", 5, &b);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.starts[0], 2);
    assert_int_equal(b.ends[0], 3);
    /* NUL bytes are text, not separators */
    tokenize_checked(en, "a\0b c", 5, &b);
    assert_int_equal(b.n, 2);
    assert_int_equal(b.ends[0], 3);
    nt_tokbuf_free(&b);
}

/* ------------------------------------------------------------ invariants */

static const char *const varied[] = {
    "",
    " ",
    "   \t\n  ",
    "\xc2\xa0\xc2\xa0",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading and trailing spaces  ",
    "tabs\tand\nnewlines\r\nand\vvertical\ffeeds",
    "NBSP\xc2\xa0inside and\xe2\x80\xafnarrow\xe2\x80\x89thin",
    "ideographic\xe3\x80\x80space",
    "line\xe2\x80\xa8separator\xe2\x80\xa9paragraph",
    "Crème brûlée à la française, s'il vous plaît.",
    "Ångström Øresund Łódź Ñandú",
    "e\xcc\x81" "cole (combining acute)",
    "😀",
    "😀😃😄😁 grinning",
    "👨‍👩‍👧‍👦 family, 👩🏽‍💻 coder, 🏳️‍🌈 flag",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland",
    "keycap 1️⃣ and #️⃣",
    "I❤️NY",
    "東京は日本の首都です。大阪も大きい都市です。",
    "中文，标点！还有？",
    "한국어 텍스트입니다.",
    "ภาษาไทยไม่มีช่องว่าง",
    "مرحبا بالعالم، كيف حالك؟",
    "שלום עולם!",
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε;",
    "हिन्दी में पाठ। क्या?",
    "RTL \xe2\x80\x8f mark and \xe2\x80\x8e LTR mark",
    "zero\xe2\x80\x8bwidth\xe2\x80\x8cjoiners\xe2\x80\x8d",
    "BOM \xef\xbb\xbf inside",
    "https://example.com/path?q=1&r=2#frag",
    "(https://example.com/a_(b)).",
    "Visit www.example.org, or example.net/x.",
    "mailto: someone@example.com; another.one+tag@sub.domain.co.uk!",
    "user@localhost @handle #hashtag",
    "$4,000.00 €3.5m £12bn ¥100 ₹50",
    "1,000,000 3.14159 -42 +7 1e10 0x1F 50% 12.5%",
    "15:30 3:30pm 10am 7 p.m. 1996-08-30 2025/01/15",
    "5km 80km/h 3kg 100mg 2ml 6ft 10m² 25°C",
    "...!?;:,.-–—/\\|@#$%^&*()[]{}<>\"'`~",
    "!!!???...,,,;;;",
    "''quoted'' ``tex quotes'' “curly” ‘single’",
    "don't can't won't I'm you're it's y'all o'clock",
    "DON'T CAN'T WON'T I'M",
    "don’t can’t won’t I’m",
    "U.S. U.K. e.g. i.e. etc. vs. Dr. Mr. Mrs. Ms. Inc. Ltd.",
    "mother-in-law state-of-the-art and/or re:Invent",
    "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p",
    "C++ C# .NET node.js F#",
    "emoji😀glued😀between😀words",
    "x\x01y\x7fz control characters",
    "a\x1f" "b unit separator",
    "ﬁ ligature ＦＵＬＬ ｗｉｄｔｈ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math 𝟙𝟚𝟛",
    "\xf4\x8f\xbf\xbf max code point",
    "((((((((((deep))))))))))",
    "\"Nested 'quotes' here,\" he said.",
    "end.",
    ".",
    "'",
    "a",
    "©2024 ®™ °F",
};

static void test_invariants_varied(void **st)
{
    (void)st;
    nt_tokbuf b = {0};
    size_t n = sizeof varied / sizeof varied[0];
    assert_true(n >= 50);
    for (size_t i = 0; i < n; i++) {
        tokenize_checked(en, varied[i], strlen(varied[i]), &b);
        if (strlen(varied[i]) > 0 && strspn(varied[i], " \t\n\r\v\f") < strlen(varied[i]) &&
            strcmp(varied[i], "\xc2\xa0\xc2\xa0") != 0)
            assert_true(b.n > 0);
    }
    /* every suffix of every text too: cuts inside words and clusters */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(varied[i]);
        for (size_t s = 0; s < len; s++)
            if (on_boundary(varied[i], len, s))
                tokenize_checked(en, varied[i] + s, len - s, &b);
    }
    nt_tokbuf_free(&b);
}

static void test_invalid_utf8(void **st)
{
    (void)st;
    nt_tokbuf b = {0};
    char err[NER_ERRBUF_SIZE] = "";
    static const char *const bad[] = {"abc\xff", "\xc3", "a\xed\xa0\x80", "\xc0\xaf",
                                      "\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(nt_tokenize(en, bad[i], strlen(bad[i]), &b, err, sizeof err),
                         NER_EUTF8);
        assert_non_null(strstr(err, "UTF-8"));
        assert_int_equal(b.n, 0);
    }
    assert_int_equal(nt_tokenize(en, "abc\xff", 4, &b, err, sizeof err), NER_EUTF8);
    assert_non_null(strstr(err, "offset 3"));
    assert_int_equal(nt_tokenize(NULL, "a", 1, &b, NULL, 0), NER_EINVAL);
    assert_int_equal(nt_tokenize(en, NULL, 1, &b, NULL, 0), NER_EINVAL);
    assert_int_equal(nt_tokenize(en, "a", 1, NULL, NULL, 0), NER_EINVAL);
    nt_tokbuf_free(&b);
    nt_tokbuf_free(NULL);
}

/* ------------------------------------------------------------ pathological */

static char *repeat(const char *unit, size_t total, size_t *len)
{
    size_t u = strlen(unit), n = total / u;
    char *s = malloc(n * u + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    s[n * u] = '\0';
    *len = n * u;
    return s;
}

static void test_pathological(void **st)
{
    (void)st;
    static const char *const units[] = {
        "(", ")", ".", "a", "a-", ",a", "(a)", "😀", "'s", "5m", "東", "a@",
        "-", "...a", "a.", "\"", "¡", "$", "%", "n't", "aa:bb/", "1,", "e\xcc\x81",
        ".,", "www.", "http://a", "👨‍👩‍👧", "\xe2\x80\x8b",
    };
    nt_tokbuf b = {0};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t len;
        char *s = repeat(units[i], (size_t)1 << 20, &len);
        double t0 = now();
        tokenize_checked(en, s, len, &b);
        double dt = now() - t0;
        if (dt > 5.0) fail_msg("1 MiB of \"%s\" took %.2f s", units[i], dt);
        assert_true(b.n > 0);
        free(s);
    }
    /* a huge URL and e-mail-like chunks */
    size_t len;
    char *s = repeat("a", (size_t)1 << 20, &len);
    memcpy(s, "http://", 7);
    tokenize_checked(en, s, len, &b);
    assert_int_equal(b.n, 1);
    s[len - 3] = '@';
    s[len - 1] = '.';
    memcpy(s, "aaaaaaa", 7);
    tokenize_checked(en, s, len, &b);
    free(s);
    /* many short pathological chunks */
    s = repeat("))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"
               "))))))))))) ", (size_t)1 << 20, &len);
    double t0 = now();
    tokenize_checked(en, s, len, &b);
    assert_true(now() - t0 < 10.0);
    free(s);
    nt_tokbuf_free(&b);
}

/* ------------------------------------------------------------ rules files */

static int load(const char *json, char *err, size_t errlen, nt_rules **out)
{
    err[0] = '\0';
    return nt_rules_load(out, json, strlen(json), "test.json", err, errlen);
}

static void expect_load_error(const char *json, int code, const char *needle)
{
    char err[NER_ERRBUF_SIZE];
    nt_rules *r = (nt_rules *)&err; /* must be reset to NULL */
    int rc = load(json, err, sizeof err, &r);
    if (rc != code || r != NULL || !strstr(err, needle) || !strstr(err, "test.json"))
        fail_msg("rules %s: got %d \"%s\", expected %d with \"%s\"", json, rc, err,
                 code, needle);
}

static void test_bad_rules(void **st)
{
    (void)st;
    expect_load_error("", NER_EFORMAT, "line 1");
    expect_load_error("{\"version\": 1,\n \"prefixes\": [\"(\"\n", NER_EFORMAT, "line 3");
    expect_load_error("{\"version\": 1, \"prefixes\": [\"(\",]}", NER_EFORMAT, "column");
    expect_load_error("[1, 2]", NER_EFORMAT, "must be a JSON object");
    expect_load_error("{}", NER_EFORMAT, "\"version\" is missing");
    expect_load_error("{\"version\": 2}", NER_EFORMAT, "\"version\" must be");
    expect_load_error("{\"version\": \"1\"}", NER_EFORMAT, "\"version\" must be");
    expect_load_error("{\"version\": 1, \"format\": \"x\"}", NER_EFORMAT, "\"format\"");
    expect_load_error("{\"version\": 1, \"prefix\": []}", NER_EFORMAT, "unknown key \"prefix\"");
    expect_load_error("{\"version\": 1, \"version\": 1}", NER_EFORMAT, "duplicate");
    expect_load_error("{\"version\": 1, \"prefixes\": \"(\"}", NER_EFORMAT,
                      "\"prefixes\" must be an array");
    expect_load_error("{\"version\": 1, \"suffixes\": [1]}", NER_EFORMAT,
                      "suffixes[0] must be a string");
    expect_load_error("{\"version\": 1, \"infixes\": [\"a\", \"(b\"]}", NER_EFORMAT,
                      "infixes[1] does not compile: missing closing parenthesis at offset 2");
    expect_load_error("{\"version\": 1, \"prefixes\": [\"[z-a]\"]}", NER_EFORMAT,
                      "prefixes[0] does not compile: range out of order");
    expect_load_error("{\"version\": 1, \"suffixes\": [\"(?<=a+)b\"]}", NER_EFORMAT,
                      "suffixes[0] does not compile");
    expect_load_error("{\"version\": 1, \"token_match\": [\"\\\\C\"]}", NER_EFORMAT,
                      "token_match[0] does not compile");
    expect_load_error("{\"version\": 1, \"infixes\": [\"\"]}", NER_EFORMAT, "infixes[0] is empty");
    expect_load_error("{\"version\": 1, \"infixes\": [\"(a)\\\\1\"]}", NER_EFORMAT,
                      "back-reference");
    expect_load_error("{\"version\": 1, \"infixes\": [\"(a)(?1)\"]}", NER_EFORMAT,
                      "subroutine");
    expect_load_error("{\"version\": 1, \"infixes\": [\"(a)\\\\g<1>\"]}", NER_EFORMAT,
                      "subroutine");
    expect_load_error("{\"version\": 1, \"infixes\": [\"(?x)a # comment\", \"c\"]}",
                      NER_EFORMAT, "not together");
    expect_load_error("{\"version\": 1, \"infixes\": [\"{{NOPE}}\"]}", NER_EFORMAT,
                      "{{NOPE}} is not in \"defines\"");
    expect_load_error("{\"version\": 1, \"defines\": {\"A\": 1}}", NER_EFORMAT,
                      "defines: \"A\" must be a string");
    expect_load_error("{\"version\": 1, \"defines\": {\"a-b\": \"x\"}}", NER_EFORMAT,
                      "is not a name");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"don't\": [\"do\", \"nt\"]}}",
                      NER_EFORMAT, "concatenate to the key");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"don't\": [\"do\"]}}",
                      NER_EFORMAT, "concatenate to the key");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"ab\": [\"\", \"ab\"]}}",
                      NER_EFORMAT, "non-empty");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"ab\": []}}", NER_EFORMAT,
                      "1 to 64 pieces");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"ab\": \"ab\"}}", NER_EFORMAT,
                      "must be an array");
    expect_load_error("{\"version\": 1, \"special_cases\": {\"a b\": [\"a b\"]}}", NER_EFORMAT,
                      "whitespace");
    expect_load_error("{\"version\": 1, \"exceptions\": [\"\"]}", NER_EFORMAT, "empty string");
    expect_load_error("{\"version\": 1, \"exceptions\": [\"x\", 3]}", NER_EFORMAT,
                      "exceptions[1] must be a string");
    expect_load_error("{\"version\": 1, \"exceptions\": [\"x\", \"x\"]}", NER_EFORMAT,
                      "listed twice");
    expect_load_error("{\"version\": 1, \"ascii_fast_path\": 1}", NER_EFORMAT,
                      "true or false");
    expect_load_error("{\"version\": 1, \"ascii_fast_path\": true, \"suffixes\": [\"s\"]}",
                      NER_EFORMAT, "ascii_fast_path");
    expect_load_error("{\"version\": 1, \"lang\": 5}", NER_EFORMAT, "\"lang\" must be a string");

    /* a pattern too long after substitution */
    size_t big = NT_PATTERN_MAX_BYTES / 4 + 10;
    char *json = malloc(big + 200);
    assert_non_null(json);
    int k = sprintf(json, "{\"version\": 1, \"defines\": {\"X\": \"");
    memset(json + k, 'x', big);
    strcpy(json + k + big, "\"}, \"infixes\": [\"{{X}}{{X}}{{X}}{{X}}{{X}}\"]}");
    expect_load_error(json, NER_ETOOBIG, "longer than");
    free(json);

    char err[64];
    nt_rules *r;
    assert_int_equal(nt_rules_load(&r, NULL, 5, NULL, err, sizeof err), NER_EINVAL);
    assert_int_equal(nt_rules_load(NULL, "{}", 2, NULL, NULL, 0), NER_EINVAL);
    /* short error buffers are cut, never overrun */
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    assert_int_equal(nt_rules_load(&r, "{", 1, "x", tiny, 5), NER_EFORMAT);
    assert_int_equal(strlen(tiny), 4);
    assert_int_equal(tiny[5], 'z');
    assert_int_equal(nt_rules_builtin(&r, "xx", err, sizeof err), NER_ENOTFOUND);
    assert_null(r);
    assert_null(nt_rules_builtin_json("xx", NULL));
}

static void test_load_file(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    nt_rules *r;
    assert_int_equal(nt_rules_load_file(&r, "/nonexistent/rules.json", err, sizeof err),
                     NER_EIO);
    assert_non_null(strstr(err, "/nonexistent/rules.json"));
    char path[] = "/tmp/ner_tok_rules_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"version\": 1,\n  \"infixes\": [\"a(\"]}\n", f);
    fclose(f);
    assert_int_equal(nt_rules_load_file(&r, path, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "infixes[0]"));
    f = fopen(path, "w");
    fputs("{\"version\": 1, \"infixes\": [\"-\"]}", f);
    fclose(f);
    assert_int_equal(nt_rules_load_file(&r, path, err, sizeof err), NER_OK);
    EXPECT(r, "a-b c", "a", "-", "b", "c");
    nt_rules_free(r);
    remove(path);
}

static void test_round_trip(void **st)
{
    (void)st;
    size_t len, blen;
    const char *json = nt_rules_json(en, &len);
    const char *builtin = nt_rules_builtin_json("en", &blen);
    assert_non_null(builtin);
    assert_int_equal(len, blen);
    assert_memory_equal(json, builtin, len);
    assert_int_equal(json[len], '\0');
    assert_string_equal(nt_rules_lang(en), "en");
    nt_rules *again;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(nt_rules_load(&again, json, len, "copy", err, sizeof err), NER_OK);
    nt_tokbuf a = {0}, b = {0};
    for (size_t i = 0; i < sizeof varied / sizeof varied[0]; i++) {
        tokenize_checked(en, varied[i], strlen(varied[i]), &a);
        tokenize_checked(again, varied[i], strlen(varied[i]), &b);
        assert_int_equal(a.n, b.n);
        assert_memory_equal(a.starts, b.starts, a.n * sizeof(size_t));
        assert_memory_equal(a.ends, b.ends, a.n * sizeof(size_t));
    }
    nt_tokbuf_free(&a);
    nt_tokbuf_free(&b);
    nt_rules_free(again);
    nt_rules_free(NULL);
}

static void test_custom_rules(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    nt_rules *r;
    /* nothing but whitespace splitting */
    assert_int_equal(load("{\"version\": 1}", err, sizeof err, &r), NER_OK);
    EXPECT(r, " (a,b)  c. ", "(a,b)", "c.");
    assert_string_equal(nt_rules_lang(r), "");
    nt_rules_free(r);

    /* an empty infix cuts without a token; a match at the core start does not
     * cut; special cases win over affixes; {{NAME}} and "_" comments */
    const char *json =
        "{\"version\": 1, \"format\": \"libner-tokenizer-rules\", \"lang\": \"xx\",\n"
        " \"_comment\": \"ignored\",\n"
        " \"defines\": {\"OPEN\": \"[(\\\\[]\"},\n"
        " \"prefixes\": [\"{{OPEN}}\"], \"suffixes\": [\"[)\\\\]]\", \"!+\"],\n"
        " \"infixes\": [\"(?<=[a-z])(?=[0-9])\", \"_\"],\n"
        " \"special_cases\": {\"(x)\": [\"(x\", \")\"], \"abc!\": [\"ab\", \"c!\"]},\n"
        " \"exceptions\": [\"[y]\"]}";
    assert_int_equal(load(json, err, sizeof err, &r), NER_OK);
    assert_string_equal(nt_rules_lang(r), "xx");
    EXPECT(r, "abc123 _lead mid_dle (x) [y] ((x)) abc!!! [abc!]",
           "abc", "123", "_lead", "mid", "_", "dle", "(x", ")", "[y]", "(", "(x", ")",
           ")", "abc", "!!!", "[", "ab", "c!", "]");
    nt_rules_free(r);

    /* \\Q without \\E stays inside its own pattern; defines are substituted
     * once, not recursively */
    json = "{\"version\": 1, \"infixes\": [\"\\\\Q+\", \"{{X}}\"],"
           " \"defines\": {\"X\": \"{{X}}\"}}";
    assert_int_equal(load(json, err, sizeof err, &r), NER_OK);
    EXPECT(r, "a+b a{{X}}b", "a", "+", "b", "a", "{{X}}", "b");
    nt_rules_free(r);

    /* token_match is tried before peeling, url_match only after */
    json = "{\"version\": 1, \"suffixes\": [\"\\\\.\", \"b\"], \"prefixes\": [\"<\"],"
           " \"token_match\": [\"t\\\\.b\"], \"url_match\": [\"u\\\\.b\"]}";
    assert_int_equal(load(json, err, sizeof err, &r), NER_OK);
    EXPECT(r, "t.b u.b <t.b. <u.b.", "t.b", "u", ".", "b", "<", "t.b", ".", "<", "u",
           ".", "b", ".");
    nt_rules_free(r);

    /* the fast path is only taken when the rules allow it */
    json = "{\"version\": 1, \"infixes\": [\"(?<=[a-z])(?=[A-Z])\"]}";
    assert_int_equal(load(json, err, sizeof err, &r), NER_OK);
    EXPECT(r, "camelCaseWord", "camel", "Case", "Word");
    nt_rules_free(r);
}

/* ------------------------------------------------------------ threads */

typedef struct job {
    size_t ntexts;
    size_t *want_n;
    int ok;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    nt_tokbuf b = {0};
    j->ok = 1;
    for (int rep = 0; rep < 50; rep++)
        for (size_t i = 0; i < j->ntexts; i++) {
            if (nt_tokenize(en, varied[i], strlen(varied[i]), &b, NULL, 0) != NER_OK ||
                b.n != j->want_n[i] || check_invariants(varied[i], strlen(varied[i]), &b))
                j->ok = 0;
        }
    nt_tokbuf_free(&b);
    return NULL;
}

static void test_threads(void **st)
{
    (void)st;
    size_t n = sizeof varied / sizeof varied[0];
    size_t want[sizeof varied / sizeof varied[0]];
    nt_tokbuf b = {0};
    for (size_t i = 0; i < n; i++) {
        tokenize_checked(en, varied[i], strlen(varied[i]), &b);
        want[i] = b.n;
    }
    nt_tokbuf_free(&b);
    pthread_t th[4];
    job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){n, want, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].ok);
    }
}

/* ------------------------------------------------------------ real text */

static void test_conll_text(void **st)
{
    (void)st;
    const char *dir = getenv("LIBNER_SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/data/conll2003/eng.testa", dir ? dir : "../shared");
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "skipped: %s not found (set LIBNER_SHARED_DIR)\n", path);
        skip();
    }
    /* the first column joined with spaces: gold tokens, mostly kept */
    size_t cap = (size_t)1 << 20, n = 0, gold = 0;
    char *text = malloc(cap), line[1024];
    assert_non_null(text);
    while (fgets(line, sizeof line, f)) {
        char *sp = strchr(line, ' ');
        if (!sp || strncmp(line, "-DOCSTART-", 10) == 0) continue;
        size_t w = (size_t)(sp - line);
        if (n + w + 2 > cap) {
            cap *= 2;
            text = realloc(text, cap);
            assert_non_null(text);
        }
        memcpy(text + n, line, w);
        n += w;
        text[n++] = ' ';
        gold++;
    }
    fclose(f);
    nt_tokbuf b = {0};
    tokenize_checked(en, text, n, &b);
    /* hyphenated words are split (all-rounder -> all - rounder), the rest
     * should stay as CoNLL has it */
    assert_true(b.n >= gold);
    assert_true(b.n < gold + gold / 20);
    nt_tokbuf_free(&b);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_examples),
        cmocka_unit_test(test_contractions),
        cmocka_unit_test(test_abbreviations),
        cmocka_unit_test(test_numbers_units),
        cmocka_unit_test(test_infixes_punct),
        cmocka_unit_test(test_urls_emails),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_invariants_varied),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_pathological),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_custom_rules),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_conll_text),
    };
    return cmocka_run_group_tests_name("rule_tokenizer", tests, setup, teardown);
}
