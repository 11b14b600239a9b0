/* Tests of the "entity_ruler" component (lib/components/entity_ruler.c):
 * config, patterns from the config, a file or the component's folder,
 * entities and span groups on docs, a model before or after the ruler,
 * overwrite_ents, save/load round trips, all-or-nothing loading, threads. */
#include <pthread.h>
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

#include "components/builtins.h"
#include "ner/ner.h"
#include "ner/ner_component.h"

static char tmpdir[64];

static char *path_in(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmpdir, name);
    return p[k];
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ------------------------------------------------------------ a model */

/* "test_model": adds the entities its config lists, {"ents": [[first
 * token, end token, label], ...]}, skipping any that overlaps an entity
 * already on the doc (what the statistical tagger does). */
typedef struct tm_state {
    size_t n;
    size_t s[16], e[16];
    char label[16][16];
} tm_state;

static int tm_init(void **state, const char *cfg, const char *dir, char *eb, size_t el)
{
    (void)dir; (void)eb; (void)el;
    json_t *j = json_loads(cfg, 0, NULL);
    tm_state *st = calloc(1, sizeof *st);
    json_t *a = json_object_get(j, "ents");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        if (i >= 16) break;
        st->s[i] = (size_t)json_integer_value(json_array_get(v, 0));
        st->e[i] = (size_t)json_integer_value(json_array_get(v, 1));
        snprintf(st->label[i], sizeof st->label[i], "%s", json_string_value(json_array_get(v, 2)));
        st->n = i + 1;
    }
    json_decref(j);
    *state = st;
    return NER_OK;
}

static int tm_process(const void *state, ner_doc *doc)
{
    const tm_state *st = state;
    for (size_t i = 0; i < st->n; i++) {
        if (st->e[i] > ner_doc_token_count(doc)) continue;
        if (ner_doc_ents_overlap(doc, st->s[i], st->e[i])) continue;
        int rc = ner_doc_add_ent(doc, st->s[i], st->e[i], st->label[i], 0.9, 0, NULL);
        if (rc != NER_OK) return rc;
    }
    return NER_OK;
}

static void tm_free(void *state) { free(state); }

static const ner_component_vtable tm_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "test_model",
    .init = tm_init,
    .process = tm_process,
    .free = tm_free,
};

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_ruler_XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    int rc = ner_register_factory(&tm_vtable);
    return rc == NER_OK || rc == NER_EEXIST ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ helpers */

/* A pipeline: the English tokenizer, then components given as (factory,
 * name, config) triples, NULL-terminated. */
static int make(ner_pipeline **pl, char *err, size_t errlen, ...)
{
    ner_builder *b = NULL;
    int rc = ner_builder_new(&b, "en", err, errlen);
    assert_int_equal(rc, NER_OK);
    va_list ap;
    va_start(ap, errlen);
    const char *factory;
    while (rc == NER_OK && (factory = va_arg(ap, const char *)) != NULL) {
        const char *name = va_arg(ap, const char *);
        const char *cfg = va_arg(ap, const char *);
        ner_add_params p;
        ner_add_params_init(&p, sizeof p);
        p.name = name;
        rc = ner_builder_add(b, factory, cfg, &p, err, errlen);
    }
    va_end(ap);
    if (rc == NER_OK) rc = ner_builder_build(b, pl, err, errlen);
    ner_builder_free(b);
    return rc;
}

/* "label:text[ent_id];..." of a list of spans. */
static void describe(const ner_ents *e, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ner_ents_count(e); i++) {
        const ner_span *s = ner_ents_get(e, i);
        size_t len;
        const char *t = ner_span_text(s, &len);
        const char *id = ner_span_ent_id(s);
        o += (size_t)snprintf(out + o, cap - o, "%s:%.*s%s%s%s;", ner_span_label(s), (int)len,
                              t, id ? "[" : "", id ? id : "", id ? "]" : "");
    }
}

static void expect_doc(const ner_pipeline *pl, const char *text, const char *ents,
                       const char *group, const char *spans)
{
    ner_doc *d = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_pipeline_process(pl, text, strlen(text), &d, err, sizeof err);
    if (rc != NER_OK) fail_msg("process: %s", err);
    char out[2048];
    describe(ner_doc_ents(d), out, sizeof out);
    if (strcmp(out, ents) != 0) fail_msg("text \"%s\"\nents   %s\nwanted %s", text, out, ents);
    if (group) {
        const ner_ents *g = ner_doc_spans(d, group);
        if (!spans) {
            assert_null(g);
        } else {
            assert_non_null(g);
            describe(g, out, sizeof out);
            if (strcmp(out, spans) != 0)
                fail_msg("text \"%s\"\nspans  %s\nwanted %s", text, out, spans);
        }
    }
    ner_doc_free(d);
}

static const char *k_patterns =
    "{\"patterns\": ["
    "{\"label\": \"GPE\", \"pattern\": \"New York\"},"
    "{\"label\": \"ORG\", \"pattern\": \"New York Times\", \"id\": \"nyt\"},"
    "{\"label\": \"ORG\", \"pattern\": \"Apple\"},"
    "{\"label\": \"GPE\", \"pattern\": [{\"LOWER\": \"san\"}, {\"LOWER\": \"francisco\"}]},"
    "{\"label\": \"SKU\", \"regex\": \"SKU-\\\\d+\"}"
    "]}";

/* ------------------------------------------------------------ tests */

static void test_basic(void **st)
{
    (void)st;
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, k_patterns, NULL), NER_OK);
    expect_doc(pl, "Apple bought the New York Times in san Francisco, SKU-42.",
               "ORG:Apple;ORG:New York Times[nyt];GPE:san Francisco;SKU:SKU-42;", "ruler",
               "ORG:Apple;ORG:New York Times;GPE:New York;GPE:san Francisco;SKU:SKU-42;");
    expect_doc(pl, "", "", "ruler", NULL);
    expect_doc(pl, "nothing here", "", "ruler", NULL);
    /* the pipeline declares the ruler's labels */
    size_t nl = ner_pipeline_label_count(pl);
    char labels[256] = "";
    for (size_t i = 0; i < nl; i++) {
        strcat(labels, ner_pipeline_label(pl, i));
        strcat(labels, ",");
    }
    assert_string_equal(labels, "GPE,ORG,SKU,");
    ner_pipeline_free(pl);

    /* a span group of another name, or none */
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL,
                          "{\"spans_key\": \"rules\", \"patterns\": [{\"label\": \"ORG\", \"pattern\": \"Apple\"}]}",
                          NULL), NER_OK);
    expect_doc(pl, "Apple", "ORG:Apple;", "rules", "ORG:Apple;");
    ner_pipeline_free(pl);
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL,
                          "{\"spans_key\": null, \"patterns\": [{\"label\": \"ORG\", \"pattern\": \"Apple\"}]}",
                          NULL), NER_OK);
    expect_doc(pl, "Apple", "ORG:Apple;", "ruler", NULL);
    ner_pipeline_free(pl);
    /* no patterns at all */
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, "{}", NULL), NER_OK);
    expect_doc(pl, "Apple", "", "ruler", NULL);
    ner_pipeline_free(pl);
}

static void test_phrase_attr_and_alignment(void **st)
{
    (void)st;
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL,
                          "{\"phrase_matcher_attr\": \"LOWER\", \"patterns\": "
                          "[{\"label\": \"ORG\", \"pattern\": \"apple inc\"}]}", NULL), NER_OK);
    expect_doc(pl, "APPLE INC. and Apple Inc", "ORG:APPLE INC;ORG:Apple Inc;", NULL, NULL);
    ner_pipeline_free(pl);
    const char *re = "{\"label\": \"PART\", \"regex\": \"ello Wor\"}";
    char cfg[512];
    const char *modes[] = {"strict", "contract", "expand"};
    const char *want[] = {"", "", "PART:Hello World;"};
    for (int m = 0; m < 3; m++) {
        snprintf(cfg, sizeof cfg, "{\"alignment\": \"%s\", \"patterns\": [%s]}", modes[m], re);
        assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, cfg, NULL), NER_OK);
        expect_doc(pl, "Hello World!", want[m], NULL, NULL);
        ner_pipeline_free(pl);
    }
    snprintf(cfg, sizeof cfg, "{\"alignment\": \"contract\", \"patterns\": "
             "[{\"label\": \"P\", \"regex\": \"lo World! Bye\"}]}");
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, cfg, NULL), NER_OK);
    expect_doc(pl, "Hello World! Bye now", "P:World! Bye;", NULL, NULL);
    ner_pipeline_free(pl);
}

static void test_model_orders(void **st)
{
    (void)st;
    /* tokens: Apple(0) bought(1) the(2) New(3) York(4) Times(5) .(6) */
    const char *text = "Apple bought the New York Times.";
    const char *model = "{\"ents\": [[0, 1, \"PER\"], [3, 5, \"LOC\"], [1, 2, \"MISC\"]]}";
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    /* the ruler first: the model keeps its entities and fills around them */
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, k_patterns,
                          "test_model", NULL, model, NULL), NER_OK);
    expect_doc(pl, text, "ORG:Apple;MISC:bought;ORG:New York Times[nyt];", NULL, NULL);
    ner_pipeline_free(pl);
    /* the ruler after: it fills the gaps only */
    assert_int_equal(make(&pl, err, sizeof err, "test_model", NULL, model,
                          "entity_ruler", NULL, k_patterns, NULL), NER_OK);
    expect_doc(pl, text, "PER:Apple;MISC:bought;LOC:New York;", "ruler",
               "ORG:Apple;ORG:New York Times;GPE:New York;");
    ner_pipeline_free(pl);
    /* after, with overwrite_ents: the ruler's entities replace the model's */
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{\"overwrite_ents\": true, %s", k_patterns + 1);
    assert_int_equal(make(&pl, err, sizeof err, "test_model", NULL, model,
                          "entity_ruler", NULL, cfg, NULL), NER_OK);
    expect_doc(pl, text, "ORG:Apple;MISC:bought;ORG:New York Times[nyt];", NULL, NULL);
    ner_pipeline_free(pl);
    /* a shorter ruler match inside a longer model entity loses, and the
     * model's entity that only partly overlaps blocks it too */
    assert_int_equal(make(&pl, err, sizeof err, "test_model", NULL,
                          "{\"ents\": [[2, 4, \"X\"]]}", "entity_ruler", NULL, k_patterns, NULL),
                     NER_OK);
    expect_doc(pl, text, "ORG:Apple;X:the New;", NULL, NULL);
    ner_pipeline_free(pl);
}

static void test_config_errors(void **st)
{
    (void)st;
    const struct {
        const char *cfg, *needle;
        int rc;
    } cases[] = {
        {"[]", "must be a JSON object", NER_EFORMAT},
        {"{\"pattern\": []}", "unknown key \"pattern\"", NER_EINVAL},
        {"{\"patterns\": {}}", "\"patterns\" must be a list", NER_EINVAL},
        {"{\"patterns_path\": 3}", "\"patterns_path\" must be a string", NER_EINVAL},
        {"{\"patterns_path\": \"/nonexistent/p.jsonl\"}", "/nonexistent/p.jsonl: cannot open",
         NER_ENOTFOUND},
        {"{\"phrase_matcher_attr\": \"LEMMA\"}", "phrase_matcher_attr", NER_EINVAL},
        {"{\"overwrite_ents\": 1}", "overwrite_ents", NER_EINVAL},
        {"{\"spans_key\": \"\"}", "spans_key", NER_EINVAL},
        {"{\"alignment\": \"loose\"}", "alignment", NER_EINVAL},
        {"{\"lang\": \"xx\"}", "no built-in tokenizer rules", NER_ENOTFOUND},
        {"{\"patterns\": [{\"label\": \"A\", \"pattern\": \"a\"}, {\"label\": \"B\"}]}",
         "patterns[1]: a pattern needs exactly one of", NER_EFORMAT},
        {"{\"patterns\": [{\"label\": \"A\", \"pattern\": [{\"FOO\": 1}]}]}",
         "patterns[0]: pattern[0]: unknown attribute \"FOO\"", NER_EFORMAT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ner_builder *b = NULL;
        assert_int_equal(ner_builder_new(&b, "en", NULL, 0), NER_OK);
        char err[NER_ERRBUF_SIZE] = "";
        int rc = ner_builder_add(b, "entity_ruler", cases[i].cfg, NULL, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].needle))
            fail_msg("config %s: %d \"%s\", wanted %d \"%s\"", cases[i].cfg, rc, err,
                     cases[i].rc, cases[i].needle);
        ner_builder_free(b);
    }
    /* through the vtable: NULL state pointer, and free(NULL) */
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nc_entity_ruler_vtable.init(NULL, "{}", NULL, err, sizeof err), NER_EINVAL);
    nc_entity_ruler_vtable.free(NULL);
    assert_int_equal(nc_entity_ruler_vtable.process(NULL, NULL), NER_EINVAL);
}

static void test_file_errors_name_the_line(void **st)
{
    (void)st;
    char *p = path_in("bad.jsonl");
    write_file(p, "{\"label\": \"A\", \"pattern\": \"a\"}\n"
                  "\n"
                  "{\"label\": \"B\", \"pattern\": [{\"LOWER\": \"b\", \"OP\": \"x\"}]}\n");
    char cfg[512], err[NER_ERRBUF_SIZE] = "";
    snprintf(cfg, sizeof cfg, "{\"patterns_path\": \"%s\"}", p);
    ner_builder *b = NULL;
    assert_int_equal(ner_builder_new(&b, "en", NULL, 0), NER_OK);
    assert_int_equal(ner_builder_add(b, "entity_ruler", cfg, NULL, err, sizeof err), NER_EFORMAT);
    char want[512];
    snprintf(want, sizeof want, "%s:3: pattern[0]: unknown operator \"x\"", p);
    if (!strstr(err, want)) fail_msg("error \"%s\" should hold \"%s\"", err, want);
    /* nothing half-loaded: the builder has only its tokenizer */
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, NULL, 0), NER_OK);
    assert_int_equal(ner_pipeline_component_count(pl), 1);
    ner_pipeline_free(pl);
    ner_builder_free(b);

    write_file(p, "{\"label\": \"A\", \"pattern\": \"a\"}\n{\"label\": \"B\", \"regex\": \"[z-a]\"}\n");
    assert_int_equal(ner_builder_new(&b, "en", NULL, 0), NER_OK);
    assert_int_equal(ner_builder_add(b, "entity_ruler", cfg, NULL, err, sizeof err), NER_EFORMAT);
    snprintf(want, sizeof want, "%s:2: \"regex\" does not compile", p);
    if (!strstr(err, want)) fail_msg("error \"%s\" should hold \"%s\"", err, want);
    ner_builder_free(b);
}

static void test_save_load_round_trip(void **st)
{
    (void)st;
    /* file patterns (with a blank line and a comment key, kept byte for
     * byte) plus inline ones */
    const char *file = "{\"label\": \"ORG\", \"pattern\": \"Apple\", \"_why\": \"fruit co\"}\n"
                       "\n"
                       "{\"label\": \"GPE\", \"pattern\": [{\"LOWER\": \"paris\"}], \"id\": \"fr\"}\n";
    char *fp = path_in("p.jsonl");
    write_file(fp, file);
    char cfg[512], err[NER_ERRBUF_SIZE] = "";
    snprintf(cfg, sizeof cfg, "{\"patterns_path\": \"%s\", \"patterns\": "
             "[{\"label\": \"SKU\", \"regex\": \"SKU-\\\\d+\"}]}", fp);
    ner_pipeline *pl = NULL;
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", "rules", cfg, NULL), NER_OK);
    const char *text = "Apple opened in PARIS with SKU-7.";
    const char *want = "ORG:Apple;GPE:PARIS[fr];SKU:SKU-7;";
    expect_doc(pl, text, want, NULL, NULL);
    char *dir = path_in("saved");
    assert_int_equal(ner_pipeline_save(pl, dir, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    char *saved = read_all(path_in("saved/rules/patterns.jsonl"));
    assert_string_equal(saved, file);
    free(saved);
    /* the source file may go: the folder has its own copy */
    assert_int_equal(remove(fp), 0);
    assert_int_equal(ner_pipeline_load(&pl, dir, NULL, err, sizeof err), NER_OK);
    expect_doc(pl, text, want, NULL, NULL);
    /* and saving again gives the same folder */
    char *dir2 = path_in("saved2");
    assert_int_equal(ner_pipeline_save(pl, dir2, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    char *a = read_all(path_in("saved/rules/patterns.jsonl"));
    char *b = read_all(path_in("saved2/rules/patterns.jsonl"));
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = read_all(path_in("saved/pipeline.json"));
    b = read_all(path_in("saved2/pipeline.json"));
    assert_string_equal(a, b);
    free(a);
    free(b);
    /* a ruler without file patterns saves an empty patterns.jsonl */
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL,
                          "{\"patterns\": [{\"label\": \"X\", \"pattern\": \"x\"}]}", NULL), NER_OK);
    char *dir3 = path_in("saved3");
    assert_int_equal(ner_pipeline_save(pl, dir3, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    a = read_all(path_in("saved3/entity_ruler/patterns.jsonl"));
    assert_string_equal(a, "");
    free(a);
    assert_int_equal(ner_pipeline_load(&pl, dir3, NULL, err, sizeof err), NER_OK);
    expect_doc(pl, "a x b", "X:x;", NULL, NULL);
    ner_pipeline_free(pl);
    /* a bad patterns.jsonl in the folder fails the load, naming it */
    write_file(path_in("saved3/entity_ruler/patterns.jsonl"), "{\"label\": 1}\n");
    assert_int_equal(ner_pipeline_load(&pl, dir3, NULL, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "entity_ruler/patterns.jsonl:1: \"label\" must be"));
    assert_null(pl);
}

typedef struct thr {
    const ner_pipeline *pl;
    const char *const *texts;
    size_t n;
    char (*out)[512];
} thr;

static void *thread_main(void *arg)
{
    thr *t = arg;
    for (int r = 0; r < 20; r++)
        for (size_t i = 0; i < t->n; i++) {
            ner_doc *d = NULL;
            if (ner_pipeline_process(t->pl, t->texts[i], strlen(t->texts[i]), &d, NULL, 0) != NER_OK)
                return (void *)1;
            char o[512];
            describe(ner_doc_ents(d), o, sizeof o);
            ner_doc_free(d);
            if (r == 0) strcpy(t->out[i], o);
            else if (strcmp(t->out[i], o) != 0) return (void *)1;
        }
    return NULL;
}

static void test_threads_and_batches(void **st)
{
    (void)st;
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(make(&pl, err, sizeof err, "entity_ruler", NULL, k_patterns, NULL), NER_OK);
    const char *texts[] = {"Apple and the New York Times.", "SKU-1 SKU-2 san francisco",
                           "", "New York, New York", "no match at all"};
    const size_t n = sizeof texts / sizeof texts[0];
    char serial[5][512];
    for (size_t i = 0; i < n; i++) {
        ner_doc *d = NULL;
        assert_int_equal(ner_pipeline_process(pl, texts[i], strlen(texts[i]), &d, NULL, 0), NER_OK);
        describe(ner_doc_ents(d), serial[i], sizeof serial[i]);
        ner_doc_free(d);
    }
    pthread_t th[4];
    thr args[4];
    char outs[4][5][512];
    for (int k = 0; k < 4; k++) {
        args[k] = (thr){pl, texts, n, outs[k]};
        assert_int_equal(pthread_create(&th[k], NULL, thread_main, &args[k]), 0);
    }
    for (int k = 0; k < 4; k++) {
        void *res;
        assert_int_equal(pthread_join(th[k], &res), 0);
        assert_null(res);
        for (size_t i = 0; i < n; i++) assert_string_equal(outs[k][i], serial[i]);
    }
    /* the batch path gives the same */
    ner_doc *docs[5];
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = 2;
    bp.batch_size = 2;
    assert_int_equal(ner_pipeline_process_batch(pl, texts, NULL, n, docs, &bp, err, sizeof err),
                     NER_OK);
    for (size_t i = 0; i < n; i++) {
        char o[512];
        describe(ner_doc_ents(docs[i]), o, sizeof o);
        assert_string_equal(o, serial[i]);
        ner_doc_free(docs[i]);
    }
    ner_pipeline_free(pl);
}

static void test_folder_wins_over_path(void **st)
{
    (void)st;
    char *d = path_in("comp");
    assert_int_equal(mkdir(d, 0755), 0);
    write_file(path_in("comp/patterns.jsonl"), "{\"label\": \"IN_FOLDER\", \"pattern\": \"x\"}\n");
    write_file(path_in("other.jsonl"), "{\"label\": \"IN_PATH\", \"pattern\": \"x\"}\n");
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"patterns_path\": \"%s\"}", path_in("other.jsonl"));
    void *state = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nc_entity_ruler_vtable.init(&state, cfg, d, err, sizeof err), NER_OK);
    const char *const *labels = NULL;
    assert_int_equal(nc_entity_ruler_vtable.labels(state, &labels), 1);
    assert_string_equal(labels[0], "IN_FOLDER");
    nc_entity_ruler_vtable.free(state);
    /* a folder without patterns.jsonl: the path is used */
    char *e = path_in("empty");
    assert_int_equal(mkdir(e, 0755), 0);
    assert_int_equal(nc_entity_ruler_vtable.init(&state, cfg, e, err, sizeof err), NER_OK);
    assert_int_equal(nc_entity_ruler_vtable.labels(state, &labels), 1);
    assert_string_equal(labels[0], "IN_PATH");
    nc_entity_ruler_vtable.free(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_phrase_attr_and_alignment),
        cmocka_unit_test(test_model_orders),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_file_errors_name_the_line),
        cmocka_unit_test(test_save_load_round_trip),
        cmocka_unit_test(test_threads_and_batches),
        cmocka_unit_test(test_folder_wins_over_path),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
