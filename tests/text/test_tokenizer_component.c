/* Tests of the "tokenizer" component (lib/components/tokenizer.c): config,
 * rules from a folder or a file, save/load round trip, process through a
 * pipeline. */
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

#include "components/builtins.h"
#include "ner/ner.h"
#include "ner/ner_component.h"
#include "text/rule_tokenizer.h"

static const ner_component_vtable *vt = &nc_tokenizer_vtable;

static char tmpdir[64];

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_tokcomp_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_in(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return s;
}

/* A doc from a blank English pipeline, to run process() on. */
static ner_pipeline *pipeline(void)
{
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_builder_new(&b, "en", err, sizeof err);
    if (rc) fail_msg("ner_builder_new: %s", err);
    rc = ner_builder_build(b, &pl, err, sizeof err);
    if (rc) fail_msg("ner_builder_build: %s", err);
    ner_builder_free(b);
    return pl;
}

static void expect_doc_tokens(const ner_doc *doc, const char *const *want)
{
    size_t n = ner_doc_token_count(doc), nw = 0;
    while (want[nw]) nw++;
    int ok = n == nw;
    for (size_t i = 0; ok && i < n; i++) {
        size_t len;
        const char *t = ner_doc_token_text(doc, i, &len);
        ok = t && len == strlen(want[i]) && memcmp(t, want[i], len) == 0;
    }
    if (!ok) {
        char got[1024];
        size_t k = 0;
        for (size_t i = 0; i < n && k + 8 < sizeof got; i++) {
            size_t len;
            const char *t = ner_doc_token_text(doc, i, &len);
            k += (size_t)snprintf(got + k, sizeof got - k, "%s%.*s", i ? " | " : "",
                                  (int)len, t);
        }
        fail_msg("expected %zu tokens, got %zu: %s", nw, n, got);
    }
}

#define EXPECT_DOC(doc, ...) expect_doc_tokens((doc), (const char *const[]){__VA_ARGS__, NULL})

static void test_vtable(void **st)
{
    (void)st;
    assert_int_equal(vt->size, sizeof(ner_component_vtable));
    assert_int_equal(vt->abi, NER_COMPONENT_ABI);
    assert_string_equal(vt->factory, "tokenizer");
    assert_non_null(vt->init);
    assert_non_null(vt->process);
    assert_non_null(vt->process_batch);
    assert_non_null(vt->save);
    assert_non_null(vt->free);
    assert_non_null(vt->labels);
    const char *const *labels = (const char *const *)1;
    assert_int_equal(vt->labels(NULL, &labels), 0); /* makes no entities */
    assert_ptr_equal(ner_find_factory("tokenizer"), vt);
    vt->free(NULL);
}

static void expect_init_error(const char *config, const char *dir, int code,
                              const char *needle)
{
    void *state = (void *)&state;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = vt->init(&state, config, dir, err, sizeof err);
    if (rc != code || state != NULL || !strstr(err, needle))
        fail_msg("config %s: got %d \"%s\", expected %d with \"%s\"", config, rc, err,
                 code, needle);
}

static void test_config(void **st)
{
    (void)st;
    void *state = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(vt->init(&state, "{}", NULL, err, sizeof err), NER_OK);
    assert_non_null(state);
    vt->free(state);
    assert_int_equal(vt->init(&state, "{\"lang\": \"en\"}", NULL, err, sizeof err), NER_OK);
    vt->free(state);
    expect_init_error("{\"lang\": \"fr\"}", NULL, NER_ENOTFOUND, "\"fr\"");
    expect_init_error("{\"lang\": 3}", NULL, NER_EINVAL, "\"lang\" must be a string");
    expect_init_error("{\"langs\": \"en\"}", NULL, NER_EINVAL, "unknown key \"langs\"");
    expect_init_error("{\"lang\": \"en\",", NULL, NER_EFORMAT, "line 1");
    expect_init_error("[]", NULL, NER_EINVAL, "JSON object");
    expect_init_error("{\"rules_path\": \"/nonexistent/r.json\"}", NULL, NER_EIO,
                      "/nonexistent/r.json");
    /* a folder without rules.json falls back to the config */
    expect_init_error("{\"lang\": \"xx\"}", tmpdir, NER_ENOTFOUND, "\"xx\"");
}

static void test_bad_rules_file(void **st)
{
    (void)st;
    char *p = path_in("bad.json");
    write_file(p, "{\"version\": 1,\n \"infixes\": [\"-\", \"[z-a]\"]}\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"rules_path\": \"%s\"}", p);
    expect_init_error(cfg, NULL, NER_EFORMAT, "bad.json: infixes[1] does not compile: "
                      "range out of order in character class at offset 3");
    write_file(p, "{\"version\": 1,\n \"infixes\": [\"-\"\n");
    expect_init_error(cfg, NULL, NER_EFORMAT, "bad.json: line 3");
    /* a folder's rules.json is read first and its errors are reported */
    char sub[256];
    snprintf(sub, sizeof sub, "%s/badsub", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char rp[300];
    snprintf(rp, sizeof rp, "%s/rules.json", sub);
    write_file(rp, "{\"version\": 1, \"prefixes\": [\"(\"]}");
    expect_init_error("{}", sub, NER_EFORMAT, "rules.json: prefixes[0] does not compile");
}

static void test_rules_path_and_dir(void **st)
{
    (void)st;
    ner_pipeline *pl = pipeline();
    ner_doc *doc = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    const char *text = "a-b (c) don't";
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &doc, err, sizeof err),
                     NER_OK);
    EXPECT_DOC(doc, "a", "-", "b", "(", "c", ")", "do", "n't");

    /* rules from a file: only "-" is an infix */
    char *p = path_in("dash.json");
    write_file(p, "{\"version\": 1, \"infixes\": [\"-\"]}");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"rules_path\": \"%s\"}", p);
    void *state = NULL;
    assert_int_equal(vt->init(&state, cfg, NULL, err, sizeof err), NER_OK);
    assert_int_equal(vt->process(state, doc), NER_OK);
    EXPECT_DOC(doc, "a", "-", "b", "(c)", "don't");

    /* save writes the rules text byte for byte */
    char sub[256];
    snprintf(sub, sizeof sub, "%s/saved", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(vt->save(state, sub, err, sizeof err), NER_OK);
    vt->free(state);
    size_t len;
    char rp[300];
    snprintf(rp, sizeof rp, "%s/rules.json", sub);
    char *saved = read_file(rp, &len);
    assert_string_equal(saved, "{\"version\": 1, \"infixes\": [\"-\"]}");
    free(saved);

    /* the folder's copy wins over rules_path and lang */
    write_file(p, "{\"version\": 1}");
    state = NULL;
    assert_int_equal(vt->init(&state, "{\"lang\": \"xx\"}", sub, err, sizeof err), NER_OK);
    assert_int_equal(vt->process(state, doc), NER_OK);
    EXPECT_DOC(doc, "a", "-", "b", "(c)", "don't");
    /* batch: every doc tokenized */
    ner_doc *doc2 = NULL;
    assert_int_equal(ner_pipeline_process(pl, "x-y z", 5, &doc2, err, sizeof err), NER_OK);
    ner_doc *docs[2] = {doc, doc2};
    assert_int_equal(vt->process_batch(state, docs, 2), NER_OK);
    EXPECT_DOC(doc2, "x", "-", "y", "z");
    vt->free(state);

    /* a saved built-in round-trips to the same bytes */
    state = NULL;
    assert_int_equal(vt->init(&state, "{}", NULL, err, sizeof err), NER_OK);
    snprintf(sub, sizeof sub, "%s/builtin", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(vt->save(state, sub, err, sizeof err), NER_OK);
    vt->free(state);
    snprintf(rp, sizeof rp, "%s/rules.json", sub);
    saved = read_file(rp, &len);
    size_t blen;
    const char *builtin = nt_rules_builtin_json("en", &blen);
    assert_int_equal(len, blen);
    assert_memory_equal(saved, builtin, len);
    free(saved);
    state = NULL;
    assert_int_equal(vt->init(&state, "{}", sub, err, sizeof err), NER_OK);
    assert_int_equal(vt->process(state, doc), NER_OK);
    EXPECT_DOC(doc, "a", "-", "b", "(", "c", ")", "do", "n't");
    /* saving into a folder that does not exist fails with the path */
    err[0] = '\0';
    assert_int_equal(vt->save(state, "/nonexistent/dir", err, sizeof err), NER_EIO);
    assert_non_null(strstr(err, "/nonexistent/dir/rules.json"));
    vt->free(state);

    ner_doc_free(doc);
    ner_doc_free(doc2);
    ner_pipeline_free(pl);
}

static void test_pipeline_examples(void **st)
{
    (void)st;
    ner_pipeline *pl = pipeline();
    ner_doc *doc = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    const char *text = "Elon Musk sold $4 billion of Tesla stock on January 15, 2025.";
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &doc, err, sizeof err),
                     NER_OK);
    EXPECT_DOC(doc, "Elon", "Musk", "sold", "$", "4", "billion", "of", "Tesla", "stock",
               "on", "January", "15", ",", "2025", ".");
    ner_doc_free(doc);
    text = "  I don't live in the U.S. anymore.\n";
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &doc, err, sizeof err),
                     NER_OK);
    EXPECT_DOC(doc, "I", "do", "n't", "live", "in", "the", "U.S.", "anymore", ".");
    assert_int_equal(ner_doc_leading_ws_bytes(doc), 2);
    ner_doc_free(doc);
    assert_int_equal(ner_pipeline_process(pl, "", 0, &doc, err, sizeof err), NER_OK);
    assert_int_equal(ner_doc_token_count(doc), 0);
    ner_doc_free(doc);
    ner_pipeline_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtable),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_bad_rules_file),
        cmocka_unit_test(test_rules_path_and_dir),
        cmocka_unit_test(test_pipeline_examples),
    };
    return cmocka_run_group_tests_name("tokenizer_component", tests, setup, teardown);
}
