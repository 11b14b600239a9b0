/* BERT normalisation + WordPiece (lib/text/wordpiece.h) against Hugging
 * Face's own tokenizers library: tests/fixtures/wordpiece/{cased,uncased}.jsonl
 * hold the ids and code-point offsets the Rust library gives for 10,400
 * texts (tests/fixtures/wordpiece/make_fixtures.mjs made them), with the
 * bert-base-cased / -uncased vocabularies of ../shared/data/vocab (the tests
 * that need them skip when ../shared is absent).  Plus loading rules,
 * settings, added tokens and errors on small in-memory vocabularies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ner/ner.h"
#include "text/bert_normalize.h"
#include "text/utf8.h"
#include "text/wordpiece.h"

static char *path2(char *buf, size_t n, const char *env, const char *def, const char *rel)
{
    const char *root = getenv(env);
    snprintf(buf, n, "%s/%s", root ? root : def, rel);
    return buf;
}

static int exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

/* Compares every line of a fixture with nt_wordpiece_encode; returns the
 * number of texts that differ (the first few are printed by cmocka). */
static size_t run_fixture(const nt_wordpiece *wp, const char *fixture, size_t *ntexts)
{
    FILE *f = fopen(fixture, "rb");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, bad = 0, lineno = 0;
    ssize_t n;
    nt_wp_out o;
    nt_wp_out_init(&o);
    *ntexts = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        json_error_t je;
        json_t *r = json_loadb(line, (size_t)n, JSON_ALLOW_NUL, &je);
        assert_non_null(r);
        if (lineno == 1) { /* header */
            assert_string_equal(json_string_value(json_object_get(r, "format")),
                                "libner-wordpiece-fixture");
            json_decref(r);
            continue;
        }
        json_t *jt = json_object_get(r, "text"), *ids = json_object_get(r, "ids"),
               *off = json_object_get(r, "offsets");
        const char *text = json_string_value(jt);
        size_t len = json_string_length(jt);
        int rc = nt_wordpiece_encode(wp, text, len, &o);
        int ok = rc == NER_OK && o.n == json_array_size(ids) &&
                 2 * o.n == json_array_size(off);
        for (size_t i = 0; ok && i < o.n; i++) {
            const nt_wp_piece *p = &o.p[i];
            ok = p->id == json_integer_value(json_array_get(ids, i)) &&
                 p->start_char == json_integer_value(json_array_get(off, 2 * i)) &&
                 p->end_char == json_integer_value(json_array_get(off, 2 * i + 1));
            /* byte offsets say the same as code-point offsets */
            ok = ok && p->start_byte <= len && p->end_byte <= len &&
                 nt_utf8_count(text, p->start_byte) == p->start_char &&
                 nt_utf8_count(text, p->end_byte) == p->end_char;
        }
        if (!ok && bad++ < 5)
            print_message("%s line %zu differs (%zu pieces, want %zu)\n", fixture, lineno,
                          o.n, json_array_size(ids));
        (*ntexts)++;
        json_decref(r);
    }
    free(line);
    fclose(f);
    nt_wp_out_free(&o);
    return bad;
}

static void fixture_case(const char *vocab_dir, const char *fixture_name, int vocab_txt,
                         const char *config)
{
    char vdir[1024], fx[1024], err[NER_ERRBUF_SIZE] = "";
    path2(vdir, sizeof vdir, "LIBNER_SHARED_DIR", "../shared", vocab_dir);
    path2(fx, sizeof fx, "LIBNER_SOURCE_ROOT", ".", fixture_name);
    if (!exists(vdir)) {
        print_message("skipped: %s is absent (../shared not here)\n", vdir);
        skip();
    }
    nt_wordpiece *wp = NULL;
    if (vocab_txt) {
        /* a vocab.txt-only folder: the fast tokenizer built from the vocab */
        char vp[1100];
        snprintf(vp, sizeof vp, "%s/vocab.txt", vdir);
        FILE *f = fopen(vp, "rb");
        assert_non_null(f);
        static char buf[1 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        assert_int_equal(nt_wordpiece_load_mem(&wp, vdir, NULL, 0, buf, n, config,
                                               config ? strlen(config) : 0, err, sizeof err),
                         NER_OK);
        assert_int_equal(nt_wordpiece_info(wp)->from_tokenizer_json, 0);
    } else {
        int rc = nt_wordpiece_load_dir(&wp, vdir, err, sizeof err);
        if (rc != NER_OK)
            print_message("%s\n", err);
        assert_int_equal(rc, NER_OK);
        assert_int_equal(nt_wordpiece_info(wp)->from_tokenizer_json, 1);
    }
    size_t ntexts = 0, bad = run_fixture(wp, fx, &ntexts);
    print_message("%s (%s): %zu texts, %zu differ\n", fixture_name,
                  vocab_txt ? "vocab.txt" : "tokenizer.json", ntexts, bad);
    assert_true(ntexts >= 5000);
    assert_int_equal(bad, 0);
    nt_wordpiece_free(wp);
}

static void test_fixture_cased_tokenizer_json(void **s)
{
    (void)s;
    fixture_case("data/vocab/bert-base-cased", "tests/fixtures/wordpiece/cased.jsonl", 0, NULL);
}

static void test_fixture_uncased_tokenizer_json(void **s)
{
    (void)s;
    fixture_case("data/vocab/bert-base-uncased", "tests/fixtures/wordpiece/uncased.jsonl", 0, NULL);
}

static void test_fixture_cased_vocab_txt(void **s)
{
    (void)s;
    fixture_case("data/vocab/bert-base-cased", "tests/fixtures/wordpiece/cased.jsonl", 1,
                 "{\"do_lower_case\": false}");
}

static void test_fixture_uncased_vocab_txt(void **s)
{
    (void)s;
    /* no tokenizer_config.json: BertTokenizer's defaults (lower-casing) */
    fixture_case("data/vocab/bert-base-uncased", "tests/fixtures/wordpiece/uncased.jsonl", 1, NULL);
}

/* ------------------------------------------------------------ small vocab */

static const char small_vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"  /* 0-4 */
    "hello\nworld\n##s\nist\n##anbul\n"     /* 5-9 */
    "i\n##\xcc\x87\ne\n\xc3\xa9\n,\n"       /* 10-14: i, ##U+0307, e, é, ',' */
    "a\n##a\nİ\n##stanbul\nun\n##aff\n"     /* 15-20 */
    "##able\n\xe6\x97\xa5\n[SEP\n";         /* 21-23: ##able, 日, "[SEP" */

static nt_wordpiece *load_small(const char *config)
{
    nt_wordpiece *wp = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nt_wordpiece_load_mem(&wp, "small", NULL, 0, small_vocab, strlen(small_vocab),
                                   config, config ? strlen(config) : 0, err, sizeof err);
    if (rc != NER_OK)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    return wp;
}

/* Encodes and checks ids and code-point offsets (-1 ends the list). */
static void expect(const nt_wordpiece *wp, const char *text, const int *want)
{
    nt_wp_out o;
    nt_wp_out_init(&o);
    assert_int_equal(nt_wordpiece_encode(wp, text, strlen(text), &o), NER_OK);
    size_t k = 0;
    for (; want[3 * k] >= 0; k++) {
        assert_true(k < o.n);
        assert_int_equal(o.p[k].id, want[3 * k]);
        assert_int_equal(o.p[k].start_char, want[3 * k + 1]);
        assert_int_equal(o.p[k].end_char, want[3 * k + 2]);
    }
    assert_int_equal(o.n, k);
    nt_wp_out_free(&o);
}

static void test_vocab_txt_defaults(void **s)
{
    (void)s;
    nt_wordpiece *wp = load_small(NULL);
    const nt_wp_info *in = nt_wordpiece_info(wp);
    assert_int_equal(in->unk_id, 1);
    assert_int_equal(in->cls_id, 2);
    assert_int_equal(in->sep_id, 3);
    assert_int_equal(in->pad_id, 0);
    assert_int_equal(in->mask_id, 4);
    assert_int_equal(in->norm.lowercase, 1);    /* BertTokenizer's default */
    assert_int_equal(in->model_max_length, 0);
    assert_int_equal(nt_wordpiece_token_id(wp, "##anbul", 7), 9);
    assert_int_equal(nt_wordpiece_token_id(wp, "nope", 4), -1);
    size_t len = 0;
    assert_memory_equal(nt_wordpiece_id_token(wp, 7, &len), "##s", 3);
    assert_int_equal(len, 3);
    assert_null(nt_wordpiece_id_token(wp, 999, NULL));
    assert_int_equal(nt_wordpiece_id_chars(wp, 11), 3); /* "##" + U+0307 */

    expect(wp, "Hello, worlds", (const int[]){5, 0, 5, 14, 5, 6, 6, 7, 12, 7, 12, 13, -1});
    /* strip accents: İ -> I + U+0307 -> I -> i */
    expect(wp, "\xc4\xb0stanbul", (const int[]){8, 0, 3, 9, 3, 8, -1});
    expect(wp, "\xc3\xa9", (const int[]){12, 0, 1, -1});
    expect(wp, "e\xcc\x81", (const int[]){12, 0, 1, -1});          /* mark dropped */
    expect(wp, "unaffable", (const int[]){19, 0, 2, 20, 2, 5, 21, 5, 9, -1});
    expect(wp, "x[SEP]\xe6\x97\xa5", (const int[]){1, 0, 1, 3, 1, 6, 22, 6, 7, -1});
    expect(wp, "[sep] [SEP", (const int[]){1, 0, 1, 1, 1, 4, 1, 4, 5, 1, 6, 7, 1, 7, 10, -1});
    expect(wp, "", (const int[]){-1});
    expect(wp, " \t\n\xe2\x80\x8b\x01 ", (const int[]){-1});
    /* control characters vanish inside a word: x\0y is one word */
    expect(wp, "a\x01" "a", (const int[]){15, 0, 1, 16, 2, 3, -1});

    char big[200];
    memset(big, 'a', 101);
    big[101] = '\0';
    expect(wp, big, (const int[]){1, 0, 101, -1});   /* 101 chars: [UNK] */
    big[100] = '\0';
    nt_wp_out o;
    nt_wp_out_init(&o);
    assert_int_equal(nt_wordpiece_encode(wp, big, 100, &o), NER_OK);
    assert_int_equal(o.n, 100);                       /* 100 chars: a ##a ... */
    assert_int_equal(o.p[0].id, 15);
    assert_int_equal(o.p[99].id, 16);
    assert_int_equal(o.p[99].flags & NT_WP_CONTINUATION, NT_WP_CONTINUATION);
    assert_int_equal(o.p[99].start_char, 99);
    nt_wp_out_free(&o);
    nt_wordpiece_free(wp);
}

static void test_config_overrides(void **s)
{
    (void)s;
    /* lower-casing without stripping: İ -> "i" + U+0307, both pieces map
     * back to the one original character */
    nt_wordpiece *wp = load_small("{\"do_lower_case\": true, \"strip_accents\": false, "
                                  "\"model_max_length\": 77}");
    assert_int_equal(nt_wordpiece_info(wp)->model_max_length, 77);
    expect(wp, "\xc4\xb0", (const int[]){10, 0, 1, 11, 0, 1, -1});
    expect(wp, "\xc3\xa9", (const int[]){13, 0, 1, -1});
    nt_wp_out o;
    nt_wp_out_init(&o);
    assert_int_equal(nt_wordpiece_encode(wp, "\xc4\xb0", 2, &o), NER_OK);
    assert_int_equal(o.p[1].start_byte, 0);
    assert_int_equal(o.p[1].end_byte, 2);
    assert_int_equal(o.p[1].tok_chars, 3);
    nt_wp_out_free(&o);
    nt_wordpiece_free(wp);

    wp = load_small("{\"do_lower_case\": false, \"model_max_length\": 1e30}");
    assert_int_equal(nt_wordpiece_info(wp)->model_max_length, 0); /* "no limit" */
    expect(wp, "\xc4\xb0stanbul", (const int[]){17, 0, 1, 18, 1, 8, -1});
    expect(wp, "Hello", (const int[]){1, 0, 5, -1});
    expect(wp, "\xc3\xa9", (const int[]){13, 0, 1, -1});
    nt_wordpiece_free(wp);

    /* no CJK spacing: 日日 is one word, not two */
    wp = load_small("{\"tokenize_chinese_chars\": false}");
    expect(wp, "\xe6\x97\xa5\xe6\x97\xa5", (const int[]){1, 0, 2, -1});
    nt_wordpiece_free(wp);
    wp = load_small(NULL);
    expect(wp, "\xe6\x97\xa5\xe6\x97\xa5", (const int[]){22, 0, 1, 22, 1, 2, -1});
    nt_wordpiece_free(wp);
}

/* Expected ids and offsets from the Rust library (npm @anush008/tokenizers
 * 0.6.0) for this tokenizer.json: a normalized added token "Foo Bär" is
 * matched after normalisation ("foo bar"), a raw one "<x>" before. */
static const char added_json[] =
    "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
    "{\"id\":0,\"content\":\"[PAD]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
    "{\"id\":1,\"content\":\"[UNK]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
    "{\"id\":2,\"content\":\"[CLS]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
    "{\"id\":3,\"content\":\"[SEP]\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true},"
    "{\"id\":9,\"content\":\"Foo B\xc3\xa4r\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":true,\"special\":false},"
    "{\"id\":10,\"content\":\"<x>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":false}],"
    "\"normalizer\":{\"type\":\"BertNormalizer\",\"clean_text\":true,\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true},"
    "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}],\"pair\":[],"
    "\"special_tokens\":{\"[CLS]\":{\"id\":\"[CLS]\",\"ids\":[2],\"tokens\":[\"[CLS]\"]},\"[SEP]\":{\"id\":\"[SEP]\",\"ids\":[3],\"tokens\":[\"[SEP]\"]}}},"
    "\"decoder\":null,\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\",\"max_input_chars_per_word\":100,"
    "\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"[MASK]\":4,\"hello\":5,\"world\":6,\"##s\":7,\"foo\":8}}}";

static void test_added_tokens(void **s)
{
    (void)s;
    nt_wordpiece *wp = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nt_wordpiece_load_mem(&wp, "added", added_json, strlen(added_json),
                                           NULL, 0, NULL, 0, err, sizeof err), NER_OK);
    expect(wp, "hello FOO BAR worlds", (const int[]){5, 0, 5, 9, 6, 13, 6, 14, 19, 7, 19, 20, -1});
    expect(wp, "xfoo b\xc3\xa4rx<x>hello",
           (const int[]){1, 0, 1, 9, 1, 8, 1, 8, 9, 10, 9, 12, 5, 12, 17, -1});
    expect(wp, "foo  bar", (const int[]){8, 0, 3, 1, 5, 8, -1});
    expect(wp, "Hello<x>[SEP]worlds", (const int[]){5, 0, 5, 10, 5, 8, 3, 8, 13, 6, 13, 18, 7, 18, 19, -1});
    assert_int_equal(nt_wordpiece_info(wp)->cls_id, 2);
    assert_int_equal(nt_wordpiece_info(wp)->sep_id, 3);
    /* save writes tokenizer.json back byte for byte */
    char dir[] = "/tmp/libner-wp-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(nt_wordpiece_save(wp, dir, err, sizeof err), NER_OK);
    nt_wordpiece *wp2 = NULL;
    assert_int_equal(nt_wordpiece_load_dir(&wp2, dir, err, sizeof err), NER_OK);
    expect(wp2, "hello FOO BAR worlds", (const int[]){5, 0, 5, 9, 6, 13, 6, 14, 19, 7, 19, 20, -1});
    nt_wordpiece_free(wp2);
    char p[128];
    snprintf(p, sizeof p, "%s/tokenizer.json", dir);
    remove(p);
    rmdir(dir);
    nt_wordpiece_free(wp);
}

static int load_err(const char *tj, const char *vt, const char *cfg, char *err, size_t n)
{
    nt_wordpiece *wp = NULL;
    int rc = nt_wordpiece_load_mem(&wp, "bad", tj, tj ? strlen(tj) : 0, vt, vt ? strlen(vt) : 0,
                                   cfg, cfg ? strlen(cfg) : 0, err, n);
    if (rc == NER_OK)
        nt_wordpiece_free(wp);
    else
        assert_null(wp);
    return rc;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to), n = strlen(s);
    char *r = malloc(n - fl + tl + 1);
    memcpy(r, s, a);
    memcpy(r + a, to, tl);
    memcpy(r + a + tl, p + fl, n - a - fl + 1);
    return r;
}

static void test_errors(void **s)
{
    (void)s;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(load_err(NULL, NULL, NULL, err, sizeof err), NER_ENOTFOUND);
    assert_int_equal(load_err("{", NULL, NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "tokenizer.json"));
    assert_int_equal(load_err(NULL, "", NULL, err, sizeof err), NER_EFORMAT);
    assert_int_equal(load_err(NULL, "a\nb\n", NULL, err, sizeof err), NER_EFORMAT); /* no [UNK] */
    assert_non_null(strstr(err, "[UNK]"));
    assert_int_equal(load_err(NULL, "[UNK]\n\xff\n", NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "line 2"));
    assert_int_equal(load_err(NULL, small_vocab, "[1]", err, sizeof err), NER_EFORMAT);
    assert_int_equal(load_err(NULL, small_vocab, "{\"do_lower_case\": 3}", err, sizeof err),
                     NER_EFORMAT);
    assert_non_null(strstr(err, "do_lower_case"));
    char *t = replace(added_json, "\"type\":\"WordPiece\"", "\"type\":\"BPE\"");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EUNSUPPORTED);
    assert_non_null(strstr(err, "BPE"));
    free(t);
    t = replace(added_json, "\"BertPreTokenizer\"", "\"ByteLevel\"");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EUNSUPPORTED);
    free(t);
    t = replace(added_json, "\"type\":\"BertNormalizer\"", "\"type\":\"Sequence\"");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EUNSUPPORTED);
    free(t);
    t = replace(added_json, "\"content\":\"<x>\",\"single_word\":false,\"lstrip\":false",
                "\"content\":\"<x>\",\"single_word\":false,\"lstrip\":true");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EUNSUPPORTED);
    assert_non_null(strstr(err, "<x>"));
    free(t);
    t = replace(added_json, "\"foo\":8", "\"foo\":-8");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EFORMAT);
    free(t);
    t = replace(added_json, "\"foo\":8", "\"foo\":8,\"foo\":9");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EFORMAT);
    free(t);
    t = replace(added_json, "\"unk_token\":\"[UNK]\"", "\"unk_token\":\"<unk>\"");
    assert_int_equal(load_err(t, NULL, NULL, err, sizeof err), NER_EFORMAT);
    free(t);
    /* a normaliser set to null: no cleaning, no lower-casing */
    t = replace(added_json, "{\"type\":\"BertNormalizer\",\"clean_text\":true,"
                "\"handle_chinese_chars\":true,\"strip_accents\":null,\"lowercase\":true}", "null");
    nt_wordpiece *wp = NULL;
    assert_int_equal(nt_wordpiece_load_mem(&wp, "x", t, strlen(t), NULL, 0, NULL, 0, err,
                                           sizeof err), NER_OK);
    expect(wp, "Hello hello", (const int[]){1, 0, 5, 5, 6, 11, -1});
    nt_wordpiece_free(wp);
    free(t);
    nt_wp_out o;
    nt_wp_out_init(&o);
    assert_int_equal(nt_wordpiece_encode(NULL, "a", 1, &o), NER_EINVAL);
    nt_wp_out_free(&o);
    assert_int_equal(nt_wordpiece_load_dir(&wp, "/nonexistent/folder", err, sizeof err),
                     NER_ENOTFOUND);
}

/* Spot checks of the character classes where the Rust library's Unicode
 * tables differ from utf8proc's (bert_unicode_tables.h). */
static void test_unicode_classes(void **s)
{
    (void)s;
    int32_t out[8];
    assert_int_equal(nt_rust_to_lower(0x130, out), 2);
    assert_int_equal(out[0], 'i');
    assert_int_equal(out[1], 0x307);
    assert_int_equal(nt_rust_to_lower(0x1C89, out), 1);   /* newer than utf8proc */
    assert_int_equal(out[0], 0x1C8A);
    assert_int_equal(nt_bert_nfd_char(0x11938, out, 8), 1); /* newer than the crate */
    assert_int_equal(nt_bert_nfd_char(0xE9, out, 8), 2);
    assert_int_equal(nt_bert_nfd_char(0xAC01, out, 8), 3);  /* Hangul */
    assert_int_equal(nt_bert_is_control(0x890), 0);
    assert_int_equal(nt_bert_is_control(0xAD), 1);
    assert_int_equal(nt_bert_is_control('\t'), 0);
    assert_int_equal(nt_bert_is_punct(0x166D), 1);
    assert_int_equal(nt_bert_is_punct(0x61D), 0);
    assert_int_equal(nt_bert_is_punct('$'), 1);
    assert_int_equal(nt_bert_is_punct(0x20AC), 0);          /* € is Sc */
    assert_int_equal(nt_bert_is_mn(0x301), 1);
    assert_int_equal(nt_bert_is_mn(0x7FD), 0);
    assert_int_equal(nt_rust_is_whitespace(0xA0), 1);
    assert_int_equal(nt_rust_is_whitespace(0x200B), 0);
    assert_int_equal(nt_bert_ccc(0x316), 220);
    assert_int_equal(nt_bert_ccc(0x1DF9), 0);
    assert_int_equal(nt_bert_is_chinese(0x2B81F), 1);
    assert_int_equal(nt_bert_is_chinese(0x2B820), 0); /* the slow tokenizer's range */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_cased_tokenizer_json),
        cmocka_unit_test(test_fixture_uncased_tokenizer_json),
        cmocka_unit_test(test_fixture_cased_vocab_txt),
        cmocka_unit_test(test_fixture_uncased_vocab_txt),
        cmocka_unit_test(test_vocab_txt_defaults),
        cmocka_unit_test(test_config_overrides),
        cmocka_unit_test(test_added_tokens),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_unicode_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
