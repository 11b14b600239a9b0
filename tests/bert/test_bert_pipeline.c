/* A Hugging Face folder as a pipeline: wordpiece + bert_tagger through the
 * public API, on the tiny models of tests/fixtures/nn (made by
 * ../shared/peers/make_bert.py, with PyTorch's golden outputs): wordpieces
 * and argmax against golden.json, a 5,000-word document through a model of
 * 64 positions (nothing truncated), batches on threads, configs, errors,
 * save + load. */
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

#include "components/wordpiece_attach.h"
#include "ner/ner.h"
#include "ner/ner_component.h"

static char *fixture(char *buf, size_t n, const char *name)
{
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    snprintf(buf, n, "%s/tests/fixtures/nn/%s", root ? root : ".", name);
    return buf;
}

static ner_pipeline *load(const char *dir)
{
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_pipeline_load(&pl, dir, NULL, err, sizeof err);
    if (rc != NER_OK)
        print_message("%s: %s\n", dir, err);
    assert_int_equal(rc, NER_OK);
    return pl;
}

/* The HF folder with the bert_tagger's config replaced. */
static ner_pipeline *load_with(const char *dir, const char *config)
{
    ner_builder *b = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_builder_from_dir(&b, dir, err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_remove(b, "bert_tagger"), NER_OK);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.dir = dir;
    int rc = ner_builder_add(b, "bert_tagger", config, &p, err, sizeof err);
    if (rc != NER_OK)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    return pl;
}

static ner_doc *run(const ner_pipeline *pl, const char *text)
{
    ner_doc *d = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_pipeline_process(pl, text, strlen(text), &d, err, sizeof err);
    if (rc != NER_OK)
        print_message("process: %s\n", err);
    assert_int_equal(rc, NER_OK);
    return d;
}

static void golden_case(const char *name)
{
    char dir[1024], gp[1100];
    fixture(dir, sizeof dir, name);
    snprintf(gp, sizeof gp, "%s/golden.json", dir);
    json_error_t je;
    json_t *g = json_load_file(gp, 0, &je);
    assert_non_null(g);
    json_t *texts = json_object_get(g, "texts"), *ids = json_object_get(g, "input_ids"),
           *am = json_object_get(g, "argmax"), *tt = json_object_get(g, "token_type_ids"),
           *wps = json_object_get(g, "wordpieces");
    ner_pipeline *pl = load(dir);
    assert_int_equal(ner_pipeline_component_count(pl), 2);
    assert_string_equal(ner_pipeline_component_factory(pl, 0), "wordpiece");
    assert_string_equal(ner_pipeline_component_factory(pl, 1), "bert_tagger");
    /* per-piece results: "none" with nothing ignored gives every argmax */
    ner_pipeline *none = load_with(dir, "{\"aggregation\": \"none\", \"ignore_labels\": []}");
    static const char *const id2label[] = {"O", "B-PER", "I-PER", "B-ORG", "I-ORG",
                                           "B-LOC", "I-LOC", "B-MISC", "I-MISC"};
    for (size_t s = 0; s < json_array_size(texts); s++) {
        const char *text = json_string_value(json_array_get(texts, s));
        size_t npc = json_array_size(json_array_get(wps, s)) - 2;
        ner_doc *d = run(pl, text);
        const nc_wp_attach *a = ner_doc_attachment(d, NC_WORDPIECE_KEY);
        assert_non_null(a);
        assert_int_equal(a->n, npc);
        assert_int_equal(ner_doc_token_count(d), npc);
        for (size_t i = 0; i < npc; i++) {
            assert_int_equal(a->ids[i],
                             json_integer_value(json_array_get(json_array_get(ids, s), i + 1)));
            /* a ## piece's token is its text without ##; others are equal */
            const char *wp = json_string_value(json_array_get(json_array_get(wps, s), i + 1));
            size_t tl = 0;
            const char *tt_ = ner_doc_token_text(d, i, &tl);
            if (strncmp(wp, "##", 2) == 0)
                wp += 2;
            if (strcmp(wp, "[UNK]") != 0) {
                assert_int_equal(tl, strlen(wp));
                assert_memory_equal(tt_, wp, tl);
            }
        }
        ner_doc_free(d);
        /* token types other than 0 (sentence 2): the pipeline uses 0 */
        int types0 = 1;
        for (size_t i = 0; i < json_array_size(json_array_get(tt, s)); i++)
            types0 &= json_integer_value(json_array_get(json_array_get(tt, s), i)) == 0;
        if (!types0)
            continue;
        d = run(none, text);
        const ner_ents *e = ner_doc_ents(d);
        assert_int_equal(ner_ents_count(e), npc);
        for (size_t i = 0; i < npc; i++) {
            const ner_span *sp = ner_ents_get(e, i);
            assert_int_equal(ner_span_start_token(sp), i);
            size_t want = (size_t)json_integer_value(json_array_get(json_array_get(am, s), i + 1));
            assert_string_equal(ner_span_label(sp), id2label[want]);
            assert_true(ner_span_score(sp) > 0.0 && ner_span_score(sp) <= 1.0);
        }
        ner_doc_free(d);
    }
    /* labels: the groups of the model's labels */
    assert_int_equal(ner_pipeline_label_count(pl), 4);
    assert_string_equal(ner_pipeline_label(pl, 0), "PER");
    assert_string_equal(ner_pipeline_label(pl, 3), "MISC");
    ner_pipeline_free(none);
    ner_pipeline_free(pl);
    json_decref(g);
}

static void test_golden_tiny(void **s) { (void)s; golden_case("tiny"); }
static void test_golden_tiny_f16(void **s) { (void)s; golden_case("tiny-f16"); }
static void test_golden_tiny_bf16(void **s) { (void)s; golden_case("tiny-bf16"); }

static void test_empty_and_blank(void **s)
{
    (void)s;
    char dir[1024];
    ner_pipeline *pl = load(fixture(dir, sizeof dir, "tiny"));
    const char *texts[] = {"", "   ", "\x01\xe2\x80\x8b", "\n\n"};
    for (size_t i = 0; i < 4; i++) {
        ner_doc *d = run(pl, texts[i]);
        assert_int_equal(ner_doc_token_count(d), 0);
        assert_int_equal(ner_ents_count(ner_doc_ents(d)), 0);
        ner_doc_free(d);
    }
    ner_pipeline_free(pl);
}

/* Deterministic words: vocabulary-ish English plus some [UNK] material. */
static char *make_doc(size_t words, size_t *nbytes)
{
    static const char *const w[] = {"EU", "rejects", "German", "call", "to", "boycott",
        "British", "lamb", ".", "Peter", "Blackburn", "met", "the", "U.N.", "in",
        "S\xc3\xa3o", "Paulo", "on", "1996-08-22", "!", "Nadim", "Ladki", ",", "said"};
    size_t cap = words * 16 + 1, n = 0;
    char *t = malloc(cap);
    uint32_t x = 12345;
    for (size_t i = 0; i < words; i++) {
        x = x * 1103515245u + 12345u;
        const char *s = w[(x >> 16) % (sizeof w / sizeof *w)];
        n += (size_t)snprintf(t + n, cap - n, "%s%s", i ? (i % 17 ? " " : "\n") : "", s);
    }
    *nbytes = n;
    return t;
}

static void test_long_document(void **s)
{
    (void)s;
    char dir[1024];
    fixture(dir, sizeof dir, "tiny"); /* 64 positions: windows of 62 pieces */
    size_t len;
    char *text = make_doc(5000, &len);
    ner_pipeline *none = load_with(dir, "{\"aggregation\": \"none\", \"ignore_labels\": []}");
    ner_doc *d = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_pipeline_process(none, text, len, &d, err, sizeof err), NER_OK);
    size_t nt = ner_doc_token_count(d);
    assert_true(nt > 5000);
    /* every piece, to the last one, has its result: nothing truncated */
    const ner_ents *e = ner_doc_ents(d);
    assert_int_equal(ner_ents_count(e), nt);
    for (size_t i = 0; i < nt; i++)
        assert_int_equal(ner_span_start_token(ner_ents_get(e, i)), i);
    ner_doc_free(d);

    /* the same text split into pieces of one window each gives, for the
     * pieces of the first window that no later window sees, the same labels */
    ner_pipeline *none0 = load_with(dir, "{\"aggregation\": \"none\", \"ignore_labels\": [], "
                                         "\"stride\": 0}");
    assert_int_equal(ner_pipeline_process(none0, text, len, &d, err, sizeof err), NER_OK);
    const nc_wp_attach *a = ner_doc_attachment(d, NC_WORDPIECE_KEY);
    assert_non_null(a);
    /* text of the first 62 pieces alone */
    size_t end_byte = 0;
    assert_int_equal(ner_doc_token_bytes(d, 61, NULL, &end_byte, NULL), NER_OK);
    ner_doc *d1 = NULL;
    assert_int_equal(ner_pipeline_process(none0, text, end_byte, &d1, err, sizeof err), NER_OK);
    assert_int_equal(ner_doc_token_count(d1), 62);
    for (size_t i = 0; i < 62; i++) {
        const ner_span *x = ner_ents_get(ner_doc_ents(d), i);
        const ner_span *y = ner_ents_get(ner_doc_ents(d1), i);
        assert_string_equal(ner_span_label(x), ner_span_label(y));
        assert_true(ner_span_score(x) == ner_span_score(y));
    }
    ner_doc_free(d1);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), ner_doc_token_count(d));
    ner_doc_free(d);

    /* every strategy runs over it; entities never overlap */
    static const char *const cfgs[] = {"{}", "{\"aggregation\": \"first\"}",
        "{\"aggregation\": \"average\", \"stride\": 7}", "{\"aggregation\": \"max\"}"};
    for (size_t k = 0; k < 4; k++) {
        ner_pipeline *pl = load_with(dir, cfgs[k]);
        assert_int_equal(ner_pipeline_process(pl, text, len, &d, err, sizeof err), NER_OK);
        const ner_ents *ee = ner_doc_ents(d);
        size_t prev_end = 0;
        for (size_t i = 0; i < ner_ents_count(ee); i++) {
            const ner_span *sp = ner_ents_get(ee, i);
            assert_true(ner_span_start_token(sp) >= prev_end);
            prev_end = ner_span_end_token(sp);
        }
        ner_doc_free(d);
        ner_pipeline_free(pl);
    }
    ner_pipeline_free(none0);
    ner_pipeline_free(none);
    free(text);
}

static void same_ents(const ner_doc *a, const ner_doc *b)
{
    const ner_ents *x = ner_doc_ents(a), *y = ner_doc_ents(b);
    assert_int_equal(ner_ents_count(x), ner_ents_count(y));
    for (size_t i = 0; i < ner_ents_count(x); i++) {
        const ner_span *p = ner_ents_get(x, i), *q = ner_ents_get(y, i);
        assert_string_equal(ner_span_label(p), ner_span_label(q));
        assert_int_equal(ner_span_start_char(p), ner_span_start_char(q));
        assert_int_equal(ner_span_end_char(p), ner_span_end_char(q));
        assert_true(ner_span_score(p) == ner_span_score(q));
    }
}

static void test_batch_threads(void **s)
{
    (void)s;
    char dir[1024];
    fixture(dir, sizeof dir, "tiny");
    ner_pipeline *pl = load_with(dir, "{\"aggregation\": \"first\", \"batch_tokens\": 100}");
    enum { N = 60 };
    char *texts[N];
    size_t lens[N];
    for (size_t i = 0; i < N; i++)
        texts[i] = make_doc(i % 7 == 0 ? 0 : 3 + (i * 37) % 90, &lens[i]);
    ner_doc *docs[N];
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = 2;
    bp.batch_size = 16;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_pipeline_process_batch(pl, (const char *const *)texts, lens, N, docs,
                                                &bp, err, sizeof err), NER_OK);
    size_t total = 0;
    for (size_t i = 0; i < N; i++) {
        ner_doc *one = NULL;
        assert_int_equal(ner_pipeline_process(pl, texts[i], lens[i], &one, err, sizeof err),
                         NER_OK);
        same_ents(docs[i], one);
        total += ner_ents_count(ner_doc_ents(one));
        ner_doc_free(one);
        ner_doc_free(docs[i]);
        free(texts[i]);
    }
    assert_true(total > 0);
    ner_pipeline_free(pl);

    /* threads inside one forward pass change nothing */
    size_t len;
    char *text = make_doc(1500, &len);
    ner_pipeline *p1 = load_with(dir, "{\"aggregation\": \"average\"}");
    ner_pipeline *p2 = load_with(dir, "{\"aggregation\": \"average\", \"threads\": 2}");
    ner_doc *a = NULL, *b = NULL;
    assert_int_equal(ner_pipeline_process(p1, text, len, &a, err, sizeof err), NER_OK);
    assert_int_equal(ner_pipeline_process(p2, text, len, &b, err, sizeof err), NER_OK);
    assert_true(ner_ents_count(ner_doc_ents(a)) > 0);
    same_ents(a, b);
    ner_doc_free(a);
    ner_doc_free(b);
    ner_pipeline_free(p1);
    ner_pipeline_free(p2);
    free(text);
}

static int add_err(const char *dir, const char *config, char *err, size_t n)
{
    ner_builder *b = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, n), NER_OK);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.dir = dir;
    int rc = ner_builder_add(b, "bert_tagger", config, &p, err, n);
    ner_builder_free(b);
    return rc;
}

static void test_config_errors(void **s)
{
    (void)s;
    char dir[1024], err[NER_ERRBUF_SIZE];
    fixture(dir, sizeof dir, "tiny");
    assert_int_equal(add_err(dir, "{\"aggregation\": \"mean\"}", err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "aggregation"));
    assert_int_equal(add_err(dir, "{\"stride\": 62}", err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "stride"));
    assert_int_equal(add_err(dir, "{\"stride\": 61}", err, sizeof err), NER_OK);
    assert_int_equal(add_err(dir, "{\"colour\": 1}", err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "colour"));
    assert_int_equal(add_err(dir, "{\"ignore_labels\": [1]}", err, sizeof err), NER_EINVAL);
    assert_int_equal(add_err(dir, "[", err, sizeof err), NER_EFORMAT);
    assert_int_equal(add_err(NULL, "{}", err, sizeof err), NER_EINVAL);
    assert_int_equal(add_err("/nonexistent", "{}", err, sizeof err), NER_ENOTFOUND);

    /* a bert_tagger without a wordpiece before it: the doc says why */
    ner_builder *b = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.dir = dir;
    assert_int_equal(ner_builder_add(b, "bert_tagger", "{}", &p, err, sizeof err), NER_OK);
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl, "Peter met", 9, &d, err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "wordpiece"));
    ner_pipeline_free(pl);

    /* the wordpiece component takes no config keys and needs a folder */
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_add(b, "wordpiece", "{\"x\": 1}", &p, err, sizeof err), NER_EINVAL);
    assert_int_equal(ner_builder_add(b, "wordpiece", "{}", NULL, err, sizeof err), NER_EINVAL);
    ner_builder_free(b);
}

static int is_file(const char *dir, const char *sub, const char *name)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void test_save_load(void **s)
{
    (void)s;
    char dir[1024], err[NER_ERRBUF_SIZE] = "";
    fixture(dir, sizeof dir, "tiny");
    ner_pipeline *pl = load_with(dir, "{\"aggregation\": \"first\", \"stride\": 5}");
    char out[] = "/tmp/libner-bert-save-XXXXXX";
    assert_non_null(mkdtemp(out));
    int rc = ner_pipeline_save(pl, out, err, sizeof err);
    if (rc != NER_OK)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_true(is_file(out, ".", "pipeline.json"));
    assert_true(is_file(out, "wordpiece", "vocab.txt"));
    assert_true(is_file(out, "wordpiece", "tokenizer_config.json"));
    assert_true(is_file(out, "bert_tagger", "config.json"));
    assert_true(is_file(out, "bert_tagger", "model.safetensors"));
    /* saving again over it works (files replaced) */
    assert_int_equal(ner_pipeline_save(pl, out, err, sizeof err), NER_OK);
    ner_pipeline *back = load(out);
    assert_int_equal(ner_pipeline_component_count(back), 2);
    size_t len;
    char *text = make_doc(400, &len);
    ner_doc *a = NULL, *b = NULL;
    assert_int_equal(ner_pipeline_process(pl, text, len, &a, err, sizeof err), NER_OK);
    assert_int_equal(ner_pipeline_process(back, text, len, &b, err, sizeof err), NER_OK);
    assert_true(ner_ents_count(ner_doc_ents(a)) > 0);
    same_ents(a, b);
    ner_doc_free(a);
    ner_doc_free(b);
    /* the plain HF pipeline saves too */
    ner_pipeline *hf = load(dir);
    char out2[] = "/tmp/libner-bert-save-XXXXXX";
    assert_non_null(mkdtemp(out2));
    assert_int_equal(ner_pipeline_save(hf, out2, err, sizeof err), NER_OK);
    ner_pipeline *hf2 = load(out2);
    assert_int_equal(ner_pipeline_process(hf, text, len, &a, err, sizeof err), NER_OK);
    assert_int_equal(ner_pipeline_process(hf2, text, len, &b, err, sizeof err), NER_OK);
    same_ents(a, b);
    ner_doc_free(a);
    ner_doc_free(b);
    ner_pipeline_free(hf2);
    ner_pipeline_free(hf);
    free(text);
    ner_pipeline_free(back);
    ner_pipeline_free(pl);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", out, out2);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_tiny),
        cmocka_unit_test(test_golden_tiny_f16),
        cmocka_unit_test(test_golden_tiny_bf16),
        cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_long_document),
        cmocka_unit_test(test_batch_threads),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
