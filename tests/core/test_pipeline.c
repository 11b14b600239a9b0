/* The core through the public API: builders, pipelines, docs, spans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ner/ner_component.h"
#include "plugins.h"

static char err[NER_ERRBUF_SIZE];

/* A pipeline: whitespace tokenizer + caps tagger. */
static ner_pipeline *ws_caps(void)
{
    ner_builder *b = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_remove(b, "tokenizer"), NER_OK);
    assert_int_equal(ner_builder_add(b, "test_ws", NULL, NULL, err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_add(b, "test_caps", "{\"label\":\"CAP\"}", NULL, err, sizeof err), NER_OK);
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    return pl;
}

static void test_version_and_errors(void **st)
{
    assert_string_equal(ner_version(), NER_VERSION_STRING);
    assert_int_equal(ner_version_number(), NER_VERSION_NUMBER);
    for (int c = 0; c >= NER_EINTERNAL; c--) {
        assert_non_null(ner_strerror(c));
        assert_string_not_equal(ner_strerror(c), "unknown error");
    }
    assert_string_equal(ner_strerror(-999), "unknown error");
}

static void test_params(void **st)
{
    ner_batch_params bp;
    assert_int_equal(ner_batch_params_init(&bp, sizeof bp), NER_OK);
    assert_int_equal(bp.size, sizeof bp);
    assert_int_equal(bp.batch_size, 64);
    assert_int_equal(ner_batch_params_init(&bp, 2), NER_EINVAL);
    assert_int_equal(ner_batch_params_init(NULL, sizeof bp), NER_EINVAL);
    /* An older, smaller struct: only what fits is touched. */
    ner_add_params ap;
    memset(&ap, 0xAB, sizeof ap);
    assert_int_equal(ner_add_params_init(&ap, offsetof(ner_add_params, before)), NER_OK);
    assert_int_equal(ap.size, offsetof(ner_add_params, before));
    assert_null(ap.name);
    assert_int_equal(((unsigned char *)&ap)[offsetof(ner_add_params, before)], 0xAB);
}

static void test_registry(void **st)
{
    assert_int_equal(test_register_plugins(), NER_OK);
    assert_int_equal(ner_register_factory(&test_ws_vtable), NER_EEXIST);
    assert_non_null(ner_find_factory("tokenizer"));
    assert_non_null(ner_find_factory("test_caps"));
    assert_null(ner_find_factory("nope"));
    ner_component_vtable bad = test_ws_vtable;
    bad.factory = "bad_abi";
    bad.abi = 99;
    assert_int_equal(ner_register_factory(&bad), NER_EABI);
    bad.abi = NER_COMPONENT_ABI;
    bad.size = 8;
    assert_int_equal(ner_register_factory(&bad), NER_EABI);
    bad.size = sizeof bad;
    bad.process = NULL;
    assert_int_equal(ner_register_factory(&bad), NER_EINVAL);
    assert_int_equal(ner_register_factory(NULL), NER_EINVAL);
}

static void test_builder_errors(void **st)
{
    ner_builder *b = NULL;
    err[0] = 0;
    assert_int_equal(ner_builder_new(&b, "xx", err, sizeof err), NER_ENOTFOUND);
    assert_null(b);
    assert_non_null(strstr(err, "xx"));
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_add(b, "no_such", NULL, NULL, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "no_such"));
    assert_int_equal(ner_builder_add(b, "test_caps", "{\"label\":", NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "column"));
    assert_int_equal(ner_builder_add(b, "test_caps", "[1]", NULL, err, sizeof err), NER_EFORMAT);
    assert_int_equal(ner_builder_add(b, "test_caps", "{\"label\":\"\"}", NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "label must"));
    assert_int_equal(ner_builder_add(b, "test_caps", NULL, NULL, err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_add(b, "test_caps", NULL, NULL, err, sizeof err), NER_EEXIST);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.name = "caps0";
    p.before = "test_caps";
    assert_int_equal(ner_builder_add(b, "test_caps", NULL, &p, err, sizeof err), NER_OK);
    p.name = "caps2";
    p.before = NULL;
    p.after = "tokenizer";
    assert_int_equal(ner_builder_add(b, "test_caps", NULL, &p, err, sizeof err), NER_OK);
    p.name = "caps3";
    p.after = "missing";
    assert_int_equal(ner_builder_add(b, "test_caps", NULL, &p, err, sizeof err), NER_ENOTFOUND);
    assert_int_equal(ner_builder_remove(b, "missing"), NER_ENOTFOUND);
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    assert_int_equal(ner_pipeline_component_count(pl), 4);
    assert_string_equal(ner_pipeline_component_name(pl, 0), "tokenizer");
    assert_string_equal(ner_pipeline_component_name(pl, 1), "caps2");
    assert_string_equal(ner_pipeline_component_name(pl, 2), "caps0");
    assert_string_equal(ner_pipeline_component_name(pl, 3), "test_caps");
    assert_string_equal(ner_pipeline_component_factory(pl, 3), "test_caps");
    assert_null(ner_pipeline_component_name(pl, 4));
    assert_int_equal(ner_pipeline_label_count(pl), 1);
    assert_string_equal(ner_pipeline_label(pl, 0), "CAP");
    assert_string_equal(ner_pipeline_lang(pl), "en");
    ner_pipeline_free(pl);
}

static void test_doc_offsets(void **st)
{
    ner_pipeline *pl = ws_caps();
    /* é is 2 bytes, 😀 is 4: byte and code-point offsets part ways. */
    const char *text = "  café Zoë 😀 New York\n";
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_doc_token_count(d), 5);
    assert_int_equal(ner_doc_leading_ws_bytes(d), 2);
    size_t s, e, w;
    assert_int_equal(ner_doc_token_bytes(d, 1, &s, &e, &w), NER_OK);
    assert_int_equal(s, 8); assert_int_equal(e, 12); assert_int_equal(w, 13);
    assert_int_equal(ner_doc_token_chars(d, 1, &s, &e, &w), NER_OK);
    assert_int_equal(s, 7); assert_int_equal(e, 10); assert_int_equal(w, 11);
    assert_int_equal(ner_doc_token_chars(d, 2, &s, &e, NULL), NER_OK);
    assert_int_equal(s, 11); assert_int_equal(e, 12);
    assert_int_equal(ner_doc_token_chars(d, 5, &s, &e, NULL), NER_ERANGE);
    assert_int_equal(ner_doc_length_chars(d), 22);
    /* tokens + whitespace give the text back */
    size_t len;
    const char *t = ner_doc_text(d, &len);
    char buf[64] = "";
    size_t pos = ner_doc_leading_ws_bytes(d);
    memcpy(buf, t, pos);
    for (size_t i = 0; i < ner_doc_token_count(d); i++) {
        ner_doc_token_bytes(d, i, &s, &e, &w);
        memcpy(buf + pos, t + s, w - s);
        pos += w - s;
    }
    assert_int_equal(pos, len);
    assert_memory_equal(buf, text, len);
    uint64_t offs[6 * 8];
    assert_int_equal(ner_doc_copy_token_offsets(d, 1, 100, offs), 4);
    assert_int_equal(offs[0], 8); assert_int_equal(offs[1], 12); assert_int_equal(offs[2], 13);
    assert_int_equal(offs[3], 7); assert_int_equal(offs[4], 10); assert_int_equal(offs[5], 11);
    assert_int_equal(offs[6 * 3 + 2], len); assert_int_equal(offs[6 * 3 + 5], 22);
    assert_int_equal(ner_doc_copy_token_offsets(d, 5, 1, offs), 0);
    /* entities: "Zoë" and "New York" */
    const ner_ents *ents = ner_doc_ents(d);
    assert_int_equal(ner_ents_count(ents), 2);
    const ner_span *sp = ner_ents_get(ents, 1);
    size_t n;
    const char *st2 = ner_span_text(sp, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(st2, "New York", 8);
    assert_string_equal(ner_span_label(sp), "CAP");
    assert_int_equal(ner_span_start_char(sp), 13);
    assert_int_equal(ner_span_end_char(sp), 21);
    assert_int_equal(ner_span_start_byte(sp), 18);
    assert_int_equal(ner_span_end_byte(sp), 26);
    assert_int_equal(ner_span_start_token(sp), 3);
    assert_int_equal(ner_span_end_token(sp), 5);
    assert_null(ner_span_kb_id(sp));
    assert_null(ner_ents_get(ents, 2));
    ner_span_record rec[4];
    assert_int_equal(ner_doc_copy_ents(d, rec, 1), 2);
    assert_int_equal(rec[0].start_char, 7);
    assert_int_equal(rec[0].end_char, 10);
    assert_int_equal(rec[0].start_byte, 8);
    assert_int_equal(rec[0].end_byte, 12);
    assert_string_equal(rec[0].label, "CAP");
    assert_int_equal(ner_doc_copy_ents(d, NULL, 0), 2);
    assert_int_equal(ner_doc_span_group_count(d), 1);
    assert_string_equal(ner_doc_span_group_name(d, 0), "caps");
    assert_int_equal(ner_ents_count(ner_doc_spans(d, "caps")), 2);
    assert_null(ner_doc_spans(d, "other"));
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

static void test_align_and_ents(void **st)
{
    ner_pipeline *pl = ws_caps();
    ner_doc *d = NULL;
    const char *text = "aa bb cc dd";
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &d, err, sizeof err), NER_OK);
    size_t a, b;
    assert_int_equal(ner_doc_align_bytes(d, 3, 8, NER_ALIGN_STRICT, &a, &b), NER_OK);
    assert_int_equal(a, 1); assert_int_equal(b, 3);
    assert_int_equal(ner_doc_align_bytes(d, 4, 8, NER_ALIGN_STRICT, &a, &b), NER_EALIGN);
    assert_int_equal(ner_doc_align_bytes(d, 3, 7, NER_ALIGN_STRICT, &a, &b), NER_EALIGN);
    assert_int_equal(ner_doc_align_bytes(d, 4, 10, NER_ALIGN_CONTRACT, &a, &b), NER_OK);
    assert_int_equal(a, 2); assert_int_equal(b, 3);
    assert_int_equal(ner_doc_align_bytes(d, 4, 7, NER_ALIGN_CONTRACT, &a, &b), NER_EALIGN);
    assert_int_equal(ner_doc_align_bytes(d, 4, 10, NER_ALIGN_EXPAND, &a, &b), NER_OK);
    assert_int_equal(a, 1); assert_int_equal(b, 4);
    assert_int_equal(ner_doc_align_bytes(d, 2, 3, NER_ALIGN_EXPAND, &a, &b), NER_EALIGN);
    assert_int_equal(ner_doc_align_bytes(d, 0, 12, NER_ALIGN_EXPAND, &a, &b), NER_ERANGE);
    assert_int_equal(ner_doc_align_chars(d, 0, 11, NER_ALIGN_STRICT, &a, &b), NER_OK);
    assert_int_equal(a, 0); assert_int_equal(b, 4);

    size_t idx;
    assert_int_equal(ner_doc_add_ent(d, 1, 3, "X", 0.9, 0, &idx), NER_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(ner_doc_add_ent(d, 0, 1, "Y", 0.9, 0, &idx), NER_OK);
    assert_int_equal(idx, 0);
    assert_int_equal(ner_doc_add_ent(d, 2, 4, "Z", 0.9, 0, NULL), NER_EOVERLAP);
    assert_int_equal(ner_doc_ents_overlap(d, 2, 4), 1);
    assert_int_equal(ner_doc_ents_overlap(d, 3, 4), 0);
    assert_int_equal(ner_doc_add_ent(d, 2, 4, "Z", 0.9, NER_ENT_OVERWRITE, &idx), NER_OK);
    assert_int_equal(idx, 1);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 2);
    assert_int_equal(ner_doc_add_ent(d, 3, 3, "E", 0.9, 0, NULL), NER_ERANGE);
    assert_int_equal(ner_doc_add_ent(d, 3, 5, "E", 0.9, 0, NULL), NER_ERANGE);
    assert_int_equal(ner_doc_add_ent(d, 0, 1, "E", 1.5, NER_ENT_OVERWRITE, NULL), NER_ERANGE);
    assert_int_equal(ner_doc_add_ent(d, 0, 1, "", 1.0, NER_ENT_OVERWRITE, NULL), NER_EINVAL);
    assert_int_equal(ner_doc_set_ent_kb(d, 1, "Q42", 0.7), NER_OK);
    assert_string_equal(ner_span_kb_id(ner_ents_get(ner_doc_ents(d), 1)), "Q42");
    assert_true(ner_span_kb_score(ner_ents_get(ner_doc_ents(d), 1)) == 0.7);
    assert_true(ner_span_score(ner_ents_get(ner_doc_ents(d), 1)) == 0.9);
    assert_int_equal(ner_doc_set_ent_kb(d, 9, "Q42", 0.7), NER_ERANGE);
    assert_int_equal(ner_doc_set_ent_kb(d, 1, "Q42", 1.5), NER_ERANGE);
    ner_span_record r2[2];
    assert_int_equal(ner_doc_copy_ents(d, r2, 2), 2);
    assert_string_equal(r2[1].kb_id, "Q42");
    assert_true(r2[1].kb_score == 0.7);
    assert_null(r2[1].ent_id);
    assert_int_equal(ner_doc_set_ent_ent_id(d, 0, "rule-1"), NER_OK);
    assert_string_equal(ner_span_ent_id(ner_ents_get(ner_doc_ents(d), 0)), "rule-1");
    assert_int_equal(ner_doc_remove_ent(d, 0), NER_OK);
    assert_int_equal(ner_doc_remove_ent(d, 5), NER_ERANGE);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 1);
    ner_doc_clear_ents(d);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 0);
    /* attachments: owned by the doc, freed on replace, on new tokens, at the end */
    assert_null(ner_doc_attachment(d, "ids"));
    int *ids = malloc(4 * sizeof *ids);
    ids[0] = 42;
    assert_int_equal(ner_doc_attach(d, "ids", ids, free), NER_OK);
    assert_ptr_equal(ner_doc_attachment(d, "ids"), ids);
    assert_int_equal(ner_doc_attach(d, "ids", malloc(8), free), NER_OK);
    assert_int_equal(ner_doc_attach(d, "other", malloc(8), free), NER_OK);
    assert_int_equal(ner_doc_attach(d, NULL, NULL, NULL), NER_EINVAL);
    size_t s0[] = {0}, e0[] = {2};
    assert_int_equal(ner_doc_set_tokens(d, s0, e0, 1), NER_OK);
    assert_null(ner_doc_attachment(d, "ids"));
    assert_int_equal(ner_doc_attach(d, "ids", malloc(8), free), NER_OK);
    /* bad tokens are refused with a message on the doc */
    size_t s1[] = {0, 2}, e1[] = {3, 5};
    assert_int_equal(ner_doc_set_tokens(d, s1, e1, 2), NER_ERANGE);
    assert_non_null(strstr(ner_doc_errmsg(d), "token 1"));
    ner_doc_free(d);

    const char *mb = "é";
    assert_int_equal(ner_pipeline_process(pl, mb, 2, &d, err, sizeof err), NER_OK);
    size_t s2[] = {1}, e2[] = {2};
    assert_int_equal(ner_doc_set_tokens(d, s2, e2, 1), NER_ERANGE);
    assert_int_equal(ner_doc_token_count(d), 1);
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

static void test_bad_text(void **st)
{
    ner_pipeline *pl = ws_caps();
    ner_doc *d = (ner_doc *)1;
    const char bad[] = "ok \xC3\x28 no";
    err[0] = 0;
    assert_int_equal(ner_pipeline_process(pl, bad, sizeof bad - 1, &d, err, sizeof err), NER_EUTF8);
    assert_null(d);
    assert_non_null(strstr(err, "byte offset 3"));
    const char *more[] = {"\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "ab\xE2\x82", "\xFF"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        assert_int_equal(ner_pipeline_process(pl, more[i], strlen(more[i]), &d, err, sizeof err), NER_EUTF8);
        assert_null(d);
    }
    /* empty text: an empty doc */
    assert_int_equal(ner_pipeline_process(pl, NULL, 0, &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_doc_token_count(d), 0);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 0);
    size_t len = 9;
    assert_string_equal(ner_doc_text(d, &len), "");
    assert_int_equal(len, 0);
    ner_doc_free(d);
    assert_int_equal(ner_pipeline_process(pl, NULL, 3, &d, err, sizeof err), NER_EINVAL);
    assert_int_equal(ner_pipeline_process(NULL, "a", 1, &d, err, sizeof err), NER_EINVAL);
    /* NUL bytes are text too */
    assert_int_equal(ner_pipeline_process(pl, "A\0B C", 5, &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_doc_token_count(d), 2);
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

static void test_json(void **st)
{
    ner_pipeline *pl = ws_caps();
    ner_doc *d = NULL;
    const char *text = "Zoë met \"Bob\" today";
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &d, err, sizeof err), NER_OK);
    char *js = NULL;
    size_t n = 0;
    assert_int_equal(ner_doc_to_json(d, NER_JSON_TOKENS | NER_JSON_SPANS | NER_JSON_BYTES, &js, &n), NER_OK);
    assert_int_equal(n, strlen(js));
    json_error_t je;
    json_t *o = json_loads(js, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "text")), text);
    json_t *ents = json_object_get(o, "ents");
    assert_int_equal(json_array_size(ents), 1);
    json_t *e0 = json_array_get(ents, 0);
    assert_string_equal(json_string_value(json_object_get(e0, "text")), "Zoë");
    assert_int_equal(json_integer_value(json_object_get(e0, "start")), 0);
    assert_int_equal(json_integer_value(json_object_get(e0, "end")), 3);
    assert_int_equal(json_integer_value(json_object_get(e0, "end_byte")), 4);
    assert_string_equal(json_string_value(json_object_get(e0, "label")), "CAP");
    assert_true(json_is_null(json_object_get(e0, "kb_id")));
    json_t *toks = json_object_get(o, "tokens");
    assert_int_equal(json_array_size(toks), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(toks, 2), "text")), "\"Bob\"");
    assert_string_equal(json_string_value(json_object_get(json_array_get(toks, 2), "ws")), " ");
    assert_int_equal(json_array_size(json_object_get(json_object_get(o, "spans"), "caps")), 1);
    json_decref(o);
    ner_string_free(js);
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

static void test_doc_outlives_pipeline(void **st)
{
    ner_pipeline *pl = ws_caps();
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl, "Hello World", 11, &d, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    /* the doc's labels and pipeline stay valid until the doc goes */
    assert_string_equal(ner_span_label(ner_ents_get(ner_doc_ents(d), 0)), "CAP");
    assert_string_equal(ner_pipeline_lang(ner_doc_pipeline(d)), "en");
    ner_doc_free(d);
}

static void test_batch(void **st)
{
    ner_pipeline *pl = ws_caps();
    enum { N = 300 };
    char *texts[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        char buf[128];
        int k = snprintf(buf, sizeof buf, "doc %d About Town and %s", i, i % 3 ? "Here" : "there");
        texts[i] = strdup(buf);
        lens[i] = (size_t)k;
    }
    free(texts[77]);
    texts[77] = strdup("bad \xFF byte");
    lens[77] = strlen(texts[77]);
    ner_doc *docs[N];
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = 4;
    bp.batch_size = 7;
    err[0] = 0;
    assert_int_equal(ner_pipeline_process_batch(pl, (const char *const *)texts, lens, N, docs, &bp, err, sizeof err), NER_EUTF8);
    assert_non_null(strstr(err, "text 77"));
    for (int i = 0; i < N; i++) {
        assert_non_null(docs[i]);
        if (i == 77) {
            assert_int_equal(ner_doc_status(docs[i]), NER_EUTF8);
            assert_int_equal(ner_doc_token_count(docs[i]), 0);
            assert_non_null(strstr(ner_doc_errmsg(docs[i]), "byte offset 4"));
        } else {
            size_t len;
            const char *t = ner_doc_text(docs[i], &len);
            assert_int_equal(len, lens[i]);
            assert_memory_equal(t, texts[i], len);
            assert_int_equal(ner_ents_count(ner_doc_ents(docs[i])), 1 + (i % 3 != 0));
        }
        ner_doc_free(docs[i]);
        free(texts[i]);
    }
    /* NUL-terminated texts, no params */
    const char *two[] = {"One two", "three Four Five"};
    assert_int_equal(ner_pipeline_process_batch(pl, two, NULL, 2, docs, NULL, err, sizeof err), NER_OK);
    assert_int_equal(ner_ents_count(ner_doc_ents(docs[1])), 1);
    ner_doc_free(docs[0]);
    ner_doc_free(docs[1]);
    assert_int_equal(ner_pipeline_process_batch(pl, NULL, NULL, 0, NULL, NULL, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
}

static void test_save_load(void **st)
{
    ner_pipeline *pl = ws_caps();
    char dir[] = "/tmp/ner_test_saveXXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[600];
    snprintf(out, sizeof out, "%s/pipe", dir);
    assert_int_equal(ner_pipeline_save(pl, out, err, sizeof err), NER_OK);
    ner_pipeline *pl2 = NULL;
    assert_int_equal(ner_pipeline_load(&pl2, out, NULL, err, sizeof err), NER_OK);
    assert_int_equal(ner_pipeline_component_count(pl2), 2);
    assert_string_equal(ner_pipeline_component_factory(pl2, 1), "test_caps");
    assert_string_equal(ner_pipeline_label(pl2, 0), "CAP");
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl2, "x Yes No", 8, &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 1);
    ner_doc_free(d);
    ner_pipeline_free(pl2);

    /* a builder from the folder can add before building */
    ner_builder *b = NULL;
    assert_int_equal(ner_builder_from_dir(&b, out, err, sizeof err), NER_OK);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.name = "more";
    assert_int_equal(ner_builder_add(b, "test_caps", "{\"label\":\"MORE\"}", &p, err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_build(b, &pl2, err, sizeof err), NER_OK);
    ner_builder_free(b);
    assert_int_equal(ner_pipeline_component_count(pl2), 3);
    assert_int_equal(ner_pipeline_label_count(pl2), 2);
    ner_pipeline_free(pl2);

    /* broken folders say what and where */
    char path[700];
    snprintf(path, sizeof path, "%s/pipeline.json", out);
    FILE *f = fopen(path, "w");
    fputs("{\"lang\": \"en\", \"components\": [{\"factory\": \"nope\"}]}", f);
    fclose(f);
    assert_int_equal(ner_pipeline_load(&pl2, out, NULL, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "nope"));
    f = fopen(path, "w");
    fputs("{\"lang\": \"en\", \"components\": [", f);
    fclose(f);
    assert_int_equal(ner_pipeline_load(&pl2, out, NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "pipeline.json: line 1"));
    f = fopen(path, "w");
    fputs("{\"lang\": \"en\", \"components\": [{\"factory\": \"test_caps\", \"name\": \"../x\"}]}", f);
    fclose(f);
    assert_int_equal(ner_pipeline_load(&pl2, out, NULL, err, sizeof err), NER_EFORMAT);
    assert_int_equal(ner_pipeline_load(&pl2, "/nonexistent/dir", NULL, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "/nonexistent/dir"));
    assert_int_equal(ner_pipeline_load(&pl2, dir, NULL, err, sizeof err), NER_ENOTFOUND);
    ner_pipeline_free(pl);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    test_register_plugins();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_errors),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_builder_errors),
        cmocka_unit_test(test_doc_offsets),
        cmocka_unit_test(test_align_and_ents),
        cmocka_unit_test(test_bad_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_doc_outlives_pipeline),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
