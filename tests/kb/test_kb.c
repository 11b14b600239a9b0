/* Tests of lib/kb: alias keys, bags of words, building a KB from entities
 * JSONL and aliases TSV (every kind of bad row fails with its line), the
 * candidate lookup levels, damaged files, and lookups from many threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kb/kb.h"
#include "ner/ner.h"
#include "ner/ner_kb.h"

static char tmpdir[64];

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_kb_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path_in(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

#define WRITE(name, s) write_file(path_in(name), s, sizeof(s) - 1)

static const char apple_ents[] =
    "{\"id\": \"Q312\", \"name\": \"Apple Inc.\", \"type\": \"ORG\", \"description\": "
    "\"American technology company that designs the iPhone, iPad and Mac; its CEO "
    "reports quarterly revenue.\", \"frequency\": 1234}\n"
    "{\"id\": \"Q89\", \"name\": \"apple\", \"type\": \"FOOD\", \"description\": "
    "\"The round edible fruit of the apple tree, eaten raw as a snack or at lunch.\"}\n"
    "{\"id\": \"Q90\", \"name\": \"Paris\", \"type\": \"LOC\", \"frequency\": null}\n"
    "{\"id\": \"Q91\", \"name\": \"São Paulo\", \"type\": \"LOC\"}\n";

static const char apple_aliases[] =
    "alias\tentity_id\tprior\n"
    "Apple\tQ312\t0.7\n"
    "Apple\tQ89\t0.3\n"
    "apple\tQ89\t0.8\n"
    "apple\tQ312\t0.2\n"
    "Paris\tQ90\t\n"
    "São Paulo\tQ91\t1\n";

static int build(const char *ents, size_t el, const char *als, size_t al,
                 const char *out, char *err)
{
    write_file(path_in("e.jsonl"), ents, el);
    write_file(path_in("a.tsv"), als, al);
    err[0] = '\0';
    return ner_kb_build(path_in("e.jsonl"), path_in("a.tsv"), path_in(out), NULL,
                        err, NER_ERRBUF_SIZE);
}

#define BUILD(e, a, out, err) build(e, sizeof(e) - 1, a, sizeof(a) - 1, out, err)

/* ------------------------------------------------------------ keys */

static void test_keys(void **st)
{
    (void)st;
    struct { const char *in, *fold, *norm; } cases[] = {
        {"CHINA", "china", "china"},
        {"China", "china", "china"},
        {"São-Paulo!", "são-paulo!", "saopaulo"},
        {"U.S.", "u.s.", "us"},
        {"P. Simmons", "p. simmons", "psimmons"},
        {"P.Simmons", "p.simmons", "psimmons"},
        {"Straße", "strasse", "strasse"},
        {"ＡＢＣ", "ａｂｃ", "abc"},            /* full width: NFKD */
        {"e\xcc\x81t\xc3\xa9", "\xc3\xa9t\xc3\xa9", "ete"},
        {"...", "...", ""},
        {"", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *f = NULL, *n = NULL;
        size_t fl, nl;
        assert_int_equal(nk_fold(cases[i].in, strlen(cases[i].in), &f, &fl), NER_OK);
        assert_int_equal(nk_norm(cases[i].in, strlen(cases[i].in), &n, &nl), NER_OK);
        assert_string_equal(f, cases[i].fold);
        assert_string_equal(n, cases[i].norm);
        assert_int_equal(fl, strlen(f));
        assert_int_equal(nl, strlen(n));
        free(f);
        free(n);
    }
    char *x = NULL;
    assert_int_equal(nk_fold("\xff", 1, &x, NULL), NER_EUTF8);
    assert_null(x);
    assert_int_equal(nk_norm("a\xc3", 2, &x, NULL), NER_EUTF8);
    assert_int_equal(ner_kb_normalize("ABC", 3, NER_KB_MATCH_NORM, &x), NER_OK);
    assert_string_equal(x, "abc");
    ner_string_free(x);
    assert_int_equal(ner_kb_normalize("ABC", 3, NER_KB_MATCH_EXACT, &x), NER_EINVAL);
}

static void test_bow(void **st)
{
    (void)st;
    nk_bow b = {0};
    const char *t = "The CEO of Apple said the iPhone's revenue rose; Apple, APPLE "
                    "and café Cafe 2024 x";
    assert_int_equal(nk_bow_add_text(&b, t, strlen(t)), NER_OK);
    nk_bow_finish(&b);
    float apple = 0, cafe = 0, the = 0, year = 0, x = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (b.v[i].h == nk_hash("apple", 5)) apple = b.v[i].w;
        if (b.v[i].h == nk_hash("cafe", 4)) cafe = b.v[i].w;
        if (b.v[i].h == nk_hash("the", 3)) the = b.v[i].w;
        if (b.v[i].h == nk_hash("2024", 4)) year = b.v[i].w;
        if (b.v[i].h == nk_hash("x", 1)) x = b.v[i].w;
        if (i) assert_true(b.v[i - 1].h < b.v[i].h);
    }
    assert_true(apple == 3.0f);
    assert_true(cafe == 2.0f);      /* accents stripped */
    assert_true(the == 0.0f);       /* stop word */
    assert_true(year == 0.0f);      /* digits only */
    assert_true(x == 0.0f);         /* one letter */
    /* invalid bytes end a word and never crash */
    nk_bow_clear(&b);
    assert_int_equal(nk_bow_add_text(&b, "ab\xff\xfe" "cd\xc3", 7), NER_OK);
    /* pack / unpack round trip; bad blobs are refused */
    nk_bow_finish(&b);
    unsigned char *blob;
    size_t len;
    assert_int_equal(nk_terms_pack(b.v, b.n, &blob, &len), NER_OK);
    nk_bow c = {0};
    assert_int_equal(nk_terms_unpack(blob, len, &c), NER_OK);
    assert_int_equal(c.n, b.n);
    assert_memory_equal(c.v, b.v, b.n * sizeof *b.v);
    assert_int_equal(nk_terms_unpack(blob, len - 1, &c), NER_EFORMAT);
    free(blob);
    nk_bow_free(&b);
    nk_bow_free(&c);
}

/* ------------------------------------------------------------ build */

static void test_build_and_lookup(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(BUILD(apple_ents, apple_aliases, "kb", err), NER_OK);
    ner_kb *kb = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("kb"), err, sizeof err), NER_OK);
    assert_int_equal(ner_kb_entity_count(kb), 4);
    assert_int_equal(ner_kb_alias_count(kb), 4);
    assert_int_equal(ner_kb_profile_count(kb), 0);
    ner_kb_candidates *c = NULL;
    assert_int_equal(ner_kb_candidates_new(&c), NER_OK);

    assert_int_equal(ner_kb_lookup(kb, "Apple", 5, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 2);
    assert_int_equal(ner_kb_candidates_level(c), NER_KB_MATCH_EXACT);
    assert_string_equal(ner_kb_candidate_id(c, 0), "Q312");
    assert_string_equal(ner_kb_candidate_name(c, 0), "Apple Inc.");
    assert_string_equal(ner_kb_candidate_type(c, 0), "ORG");
    assert_non_null(ner_kb_candidate_description(c, 0));
    assert_int_equal(ner_kb_candidate_frequency(c, 0), 1234);
    assert_true(ner_kb_candidate_prior(c, 0) > 0.69 && ner_kb_candidate_prior(c, 0) < 0.71);
    assert_string_equal(ner_kb_candidate_id(c, 1), "Q89");
    assert_int_equal(ner_kb_candidate_frequency(c, 1), -1);
    assert_null(ner_kb_candidate_id(c, 2));
    assert_true(ner_kb_candidate_prior(c, 2) < 0);

    /* CHINA/China/china: the case-folded level merges "Apple" and "apple"
     * (mean priors) */
    assert_int_equal(ner_kb_lookup(kb, "APPLE", 5, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_level(c), NER_KB_MATCH_FOLD);
    assert_int_equal(ner_kb_candidates_count(c), 2);
    assert_string_equal(ner_kb_candidate_id(c, 0), "Q89");      /* (0.3+0.8)/2 */
    assert_true(ner_kb_candidate_prior(c, 0) > 0.549 && ner_kb_candidate_prior(c, 0) < 0.551);
    /* not past the level asked */
    assert_int_equal(ner_kb_lookup(kb, "APPLE", 5, NER_KB_MATCH_EXACT, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 0);
    assert_int_equal(ner_kb_candidates_level(c), NER_KB_MATCH_NONE);
    /* normalised: accents, punctuation, spaces */
    const char *norm_hits[] = {"PARÍS", "paris!", "sao paulo", "SÃO-PAULO", "Sao  Paulo"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ner_kb_lookup(kb, norm_hits[i], strlen(norm_hits[i]),
                                       NER_KB_MATCH_NORM, 0, c), NER_OK);
        assert_int_equal(ner_kb_candidates_count(c), 1);
        assert_true(ner_kb_candidates_level(c) >= NER_KB_MATCH_FOLD);
    }
    assert_int_equal(ner_kb_lookup(kb, "paris", 5, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_level(c), NER_KB_MATCH_FOLD);
    /* a prior missing on a lone row: all of 1 */
    assert_true(ner_kb_candidate_prior(c, 0) == 1.0);
    /* max_candidates */
    assert_int_equal(ner_kb_lookup(kb, "apple", 5, NER_KB_MATCH_NORM, 1, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 1);
    assert_string_equal(ner_kb_candidate_id(c, 0), "Q89");
    /* nothing, empty, not UTF-8 */
    assert_int_equal(ner_kb_lookup(kb, "Berlin", 6, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 0);
    assert_int_equal(ner_kb_lookup(kb, "", 0, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_lookup(kb, "\xff\xfe", 2, NER_KB_MATCH_NORM, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 0);
    assert_int_equal(ner_kb_lookup(kb, "x", 1, 7, 0, c), NER_EINVAL);
    assert_int_equal(ner_kb_lookup(NULL, "x", 1, 0, 0, c), NER_EINVAL);
    /* the file given directly */
    ner_kb *kb2 = NULL;
    assert_int_equal(ner_kb_load(&kb2, path_in("kb/kb.sqlite"), err, sizeof err), NER_OK);
    ner_kb_free(kb2);
    ner_kb_candidates_free(c);
    ner_kb_free(kb);
    ner_kb_free(NULL);
    ner_kb_candidates_free(NULL);
}

static void test_missing_priors(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    static const char e[] = "{\"id\":\"A\"}\n{\"id\":\"B\"}\n{\"id\":\"C\"}\n";
    /* 0.4 given, two missing share 0.6 */
    static const char a[] = "alias\tentity_id\tprior\nx\tA\t0.4\nx\tB\t\nx\tC\n"
                            "y\tA\ny\tB\n";
    assert_int_equal(BUILD(e, a, "kbp", err), NER_OK);
    ner_kb *kb = NULL;
    ner_kb_candidates *c = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("kbp"), err, sizeof err), NER_OK);
    assert_int_equal(ner_kb_candidates_new(&c), NER_OK);
    assert_int_equal(ner_kb_lookup(kb, "x", 1, 0, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 3);
    assert_true(ner_kb_candidate_prior(c, 0) > 0.39 && ner_kb_candidate_prior(c, 0) < 0.41);
    assert_true(ner_kb_candidate_prior(c, 1) > 0.29 && ner_kb_candidate_prior(c, 1) < 0.31);
    assert_int_equal(ner_kb_lookup(kb, "y", 1, 0, 0, c), NER_OK);
    assert_true(ner_kb_candidate_prior(c, 0) == 0.5 && ner_kb_candidate_prior(c, 1) == 0.5);
    ner_kb_candidates_free(c);
    ner_kb_free(kb);
    /* a header without the prior column; BOM and CRLF */
    static const char a2[] = "\xEF\xBB\xBF" "alias\tentity_id\r\nx\tA\r\nx\tB\r\n";
    static const char e2[] = "\xEF\xBB\xBF{\"id\":\"A\"}\r\n\r\n{\"id\":\"B\"}\r\n";
    assert_int_equal(BUILD(e2, a2, "kbp2", err), NER_OK);
}

typedef struct bad_case {
    const char *ents, *als;
    int rc;
    const char *msg;    /* must appear in the error */
} bad_case;

static void test_bad_rows(void **st)
{
    (void)st;
    static const char ok_e[] = "{\"id\":\"A\"}\n{\"id\":\"B\"}\n";
    static const char ok_a[] = "alias\tentity_id\tprior\nx\tA\t0.5\n";
    const bad_case cases[] = {
        {"{\"id\":\"A\"}\n{\"id\":\"B\"}\n\n{\"id\":\"A\"}\n", ok_a, NER_EEXIST,
         "line 4: duplicate id \"A\" (first on line 1)"},
        {"{\"id\":\"A\"}\n{\"id\":\"B\"\n", ok_a, NER_EFORMAT, "line 2, column"},
        {"{\"id\":\"A\"}\n[1]\n", ok_a, NER_EFORMAT, "line 2: expected a JSON object"},
        {"{\"id\":\"\"}\n", ok_a, NER_EFORMAT, "line 1: \"id\" must be a non-empty"},
        {"{\"id\":7}\n", ok_a, NER_EFORMAT, "line 1: \"id\" must be"},
        {"{\"name\":\"x\"}\n", ok_a, NER_EFORMAT, "line 1: \"id\""},
        {"{\"id\":\"A\",\"name\":3}\n", ok_a, NER_EFORMAT, "line 1: \"name\" must be a string"},
        {"{\"id\":\"A\",\"frequency\":-1}\n", ok_a, NER_EFORMAT, "line 1: \"frequency\""},
        {"{\"id\":\"A\",\"frequency\":1.5}\n", ok_a, NER_EFORMAT, "line 1: \"frequency\""},
        {"{\"id\":\"A\",\"id\":\"B\"}\n", ok_a, NER_EFORMAT, "line 1"},
        {"{\"id\":\"\xff\"}\n", ok_a, NER_EFORMAT, "line 1"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t0.5\ny\tC\t0.5\n", NER_ENOTFOUND,
         "line 3: unknown entity \"C\""},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t0.6\ny\tA\t\nx\tB\t0.6\n", NER_ERANGE,
         "line 4: the priors of alias \"x\" sum to 1.2"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t0.6\nx\tA\t0.1\n", NER_EEXIST,
         "line 3: alias \"x\" names the same entity twice (also on line 2)"},
        {ok_e, "alias\tentity\tprior\nx\tA\t0.6\n", NER_EFORMAT, "line 1: expected the header"},
        {ok_e, "", NER_EFORMAT, "empty file"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t1.5\n", NER_EFORMAT, "line 2: prior \"1.5\""},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t-0.1\n", NER_EFORMAT, "line 2: prior"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\tnan\n", NER_EFORMAT, "line 2: prior"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t0.5x\n", NER_EFORMAT, "line 2: prior"},
        {ok_e, "alias\tentity_id\tprior\nx\tA\t0.5\tz\n", NER_EFORMAT,
         "line 2: expected 2 or 3 TAB-separated fields"},
        {ok_e, "alias\tentity_id\nx\tA\t0.5\n", NER_EFORMAT, "line 2: expected 2"},
        {ok_e, "alias\tentity_id\tprior\nx\n", NER_EFORMAT, "line 2: expected"},
        {ok_e, "alias\tentity_id\tprior\n\tA\t0.5\n", NER_EFORMAT, "line 2: empty alias"},
        {ok_e, "alias\tentity_id\tprior\nok\tA\n\xc3(\tA\t0.5\n", NER_EUTF8,
         "line 3, byte 1: invalid UTF-8"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[NER_ERRBUF_SIZE];
        int rc = build(cases[i].ents, strlen(cases[i].ents), cases[i].als,
                       strlen(cases[i].als), "bad", err);
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            print_error("case %zu: rc %d (%s), error \"%s\"\n", i, rc,
                        ner_strerror(rc), err);
        assert_int_equal(rc, cases[i].rc);
        assert_non_null(strstr(err, cases[i].msg));
    }
    /* a NUL byte in the aliases */
    static const char nul[] = "alias\tentity_id\tprior\nx\0y\tA\t0.5\n";
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(build(ok_e, sizeof ok_e - 1, nul, sizeof nul - 1, "bad", err),
                     NER_EFORMAT);
    assert_non_null(strstr(err, "line 2: NUL byte"));
    /* missing files */
    assert_int_equal(ner_kb_build(path_in("none.jsonl"), path_in("a.tsv"),
                                  path_in("bad"), NULL, err, sizeof err), NER_ENOTFOUND);
    assert_int_equal(ner_kb_build(NULL, NULL, NULL, NULL, err, sizeof err), NER_EINVAL);
    /* params too small */
    ner_kb_build_params p;
    assert_int_equal(ner_kb_build_params_init(&p, 2), NER_EINVAL);
    assert_int_equal(ner_kb_build_params_init(&p, sizeof p), NER_OK);
    p.size = 4;
    assert_int_equal(ner_kb_build(path_in("e.jsonl"), path_in("a.tsv"), path_in("bad"),
                                  &p, err, sizeof err), NER_EABI);
}

static int warned;
static void count_warn(void *user, int level, const char *msg)
{
    (void)user;
    if (level == NER_LOG_WARN && strstr(msg, "unknown key \"descr\""))
        warned++;
}

static void test_unknown_key_warns(void **st)
{
    (void)st;
    static const char e[] = "{\"id\":\"A\",\"descr\":\"x\"}\n";
    static const char a[] = "alias\tentity_id\nx\tA\n";
    write_file(path_in("e.jsonl"), e, sizeof e - 1);
    write_file(path_in("a.tsv"), a, sizeof a - 1);
    ner_kb_build_params p;
    ner_kb_build_params_init(&p, sizeof p);
    p.log = count_warn;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(ner_kb_build(path_in("e.jsonl"), path_in("a.tsv"), path_in("kbw"),
                                  &p, err, sizeof err), NER_OK);
    assert_int_equal(warned, 1);
}

/* ------------------------------------------------------------ damaged files */

static void test_damaged(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    ner_kb *kb = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("nothing"), err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "no knowledge base here"));
    mkdir(path_in("junk"), 0777);
    WRITE("junk/kb.sqlite", "this is not a database at all, just some bytes.........");
    assert_int_equal(ner_kb_load(&kb, path_in("junk"), err, sizeof err), NER_EFORMAT);
    assert_null(kb);
    WRITE("junk/kb.sqlite", "");
    assert_int_equal(ner_kb_load(&kb, path_in("junk"), err, sizeof err), NER_EFORMAT);
    /* a valid SQLite file that is not a KB */
    assert_int_equal(BUILD(apple_ents, apple_aliases, "kbd", err), NER_OK);
    FILE *f = fopen(path_in("kbd/kb.sqlite"), "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    /* truncated, and bytes flipped all over: load and lookups must fail
     * cleanly or succeed, never crash */
    for (long cut = 0; cut < n; cut += n / 16 + 1) {
        write_file(path_in("junk/kb.sqlite"), data, (size_t)cut);
        if (ner_kb_load(&kb, path_in("junk"), err, sizeof err) == NER_OK) {
            ner_kb_candidates *c = NULL;
            ner_kb_candidates_new(&c);
            (void)ner_kb_lookup(kb, "Apple", 5, 2, 0, c);
            ner_kb_candidates_free(c);
            ner_kb_free(kb);
        }
    }
    for (long pos = 0; pos < n; pos += 97) {
        char save = data[pos];
        data[pos] = (char)(data[pos] ^ 0x5a);
        write_file(path_in("junk/kb.sqlite"), data, (size_t)n);
        data[pos] = save;
        kb = NULL;
        if (ner_kb_load(&kb, path_in("junk"), err, sizeof err) == NER_OK) {
            ner_kb_candidates *c = NULL;
            ner_kb_candidates_new(&c);
            const char *qs[] = {"Apple", "APPLE", "sao paulo", "x"};
            for (int q = 0; q < 4; q++)
                (void)ner_kb_lookup(kb, qs[q], strlen(qs[q]), 2, 0, c);
            ner_kb_candidates_free(c);
            ner_kb_free(kb);
        }
    }
    free(data);
}

/* ------------------------------------------------------------ threads */

typedef struct th_arg {
    const ner_kb *kb;
    int bad;
} th_arg;

static void *th_lookup(void *p)
{
    th_arg *a = p;
    ner_kb_candidates *c = NULL;
    if (ner_kb_candidates_new(&c) != NER_OK) {
        a->bad = 1;
        return NULL;
    }
    for (int i = 0; i < 2000; i++) {
        const char *q = i % 3 == 0 ? "Apple" : i % 3 == 1 ? "APPLE" : "paris";
        if (ner_kb_lookup(a->kb, q, strlen(q), 2, 0, c) != NER_OK ||
            ner_kb_candidates_count(c) != (i % 3 == 2 ? 1u : 2u) ||
            strcmp(ner_kb_candidate_id(c, 0), i % 3 == 0 ? "Q312" :
                   i % 3 == 1 ? "Q89" : "Q90") != 0)
            a->bad = 1;
    }
    ner_kb_candidates_free(c);
    return NULL;
}

static void test_threads(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(BUILD(apple_ents, apple_aliases, "kbt", err), NER_OK);
    ner_kb *kb = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("kbt"), err, sizeof err), NER_OK);
    pthread_t th[8];
    th_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i].kb = kb;
        args[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, th_lookup, &args[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    ner_kb_free(kb);
}

/* A rebuild replaces the file atomically: an open KB keeps reading the old
 * one. */
static void test_rebuild_while_open(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(BUILD(apple_ents, apple_aliases, "kbr", err), NER_OK);
    ner_kb *kb = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("kbr"), err, sizeof err), NER_OK);
    static const char e[] = "{\"id\":\"Z\"}\n";
    static const char a[] = "alias\tentity_id\nApple\tZ\n";
    assert_int_equal(BUILD(e, a, "kbr", err), NER_OK);
    ner_kb_candidates *c = NULL;
    ner_kb_candidates_new(&c);
    assert_int_equal(ner_kb_lookup(kb, "Apple", 5, 0, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 2);
    ner_kb *kb2 = NULL;
    assert_int_equal(ner_kb_load(&kb2, path_in("kbr"), err, sizeof err), NER_OK);
    assert_int_equal(ner_kb_lookup(kb2, "Apple", 5, 0, 0, c), NER_OK);
    assert_int_equal(ner_kb_candidates_count(c), 1);
    assert_string_equal(ner_kb_candidate_id(c, 0), "Z");
    ner_kb_candidates_free(c);
    ner_kb_free(kb);
    ner_kb_free(kb2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_bow),
        cmocka_unit_test(test_build_and_lookup),
        cmocka_unit_test(test_missing_priors),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_unknown_key_warns),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_rebuild_while_open),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
