/* Tests of the "entity_linker" component and the linker calls of ner_kb.h,
 * through the public API only: the seed example (Apple the company, apple
 * the fruit), NIL, config errors, save and load of a pipeline folder with
 * its KB, linking mentions a caller already has, fitting and evaluating,
 * and one pipeline shared by many threads. */
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

#include "ner/ner.h"
#include "ner/ner_component.h"
#include "ner/ner_kb.h"

static char tmpdir[64];

static const char *path_in(const char *name)
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

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* ------------------------------------------------------------ a mention
 * component: every token listed in the config becomes an entity labelled
 * "ENT" (a label that agrees with no KB type, so only the prior and the
 * context decide) with the score 0.77. */

typedef struct mentions_state {
    char words[8][32];
    int n;
} mentions_state;

static int m_init(void **state, const char *config_json, const char *dir,
                  char *errbuf, size_t errlen)
{
    (void)dir;
    (void)errbuf;
    (void)errlen;
    mentions_state *s = calloc(1, sizeof *s);
    if (!s)
        return NER_ENOMEM;
    /* config: "word1 word2 ..." inside {"w": "..."}; a tiny parser */
    const char *p = strstr(config_json, "\"w\"");
    if (p && (p = strchr(p + 3, '"'))) {
        p++;
        while (*p && *p != '"' && s->n < 8) {
            int k = 0;
            while (*p && *p != ' ' && *p != '"' && k < 31)
                s->words[s->n][k++] = *p++;
            s->words[s->n++][k] = '\0';
            while (*p == ' ')
                p++;
        }
    }
    *state = s;
    return NER_OK;
}

static int m_process(const void *state, ner_doc *doc)
{
    const mentions_state *s = state;
    for (size_t i = 0; i < ner_doc_token_count(doc); i++) {
        size_t n;
        const char *t = ner_doc_token_text(doc, i, &n);
        for (int k = 0; k < s->n; k++)
            if (strlen(s->words[k]) == n && memcmp(t, s->words[k], n) == 0) {
                int rc = ner_doc_add_ent(doc, i, i + 1, "ENT", 0.77, 0, NULL);
                if (rc != NER_OK)
                    return rc;
            }
    }
    return NER_OK;
}

static int m_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    (void)state;
    (void)dir;
    (void)errbuf;
    (void)errlen;
    return NER_OK;
}

static void m_free(void *state) { free(state); }

static const ner_component_vtable mentions_vt = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "test_mentions",
    .init = m_init,
    .process = m_process,
    .save = m_save,
    .free = m_free,
};

/* ------------------------------------------------------------ fixtures */

static const char ents[] =
    "{\"id\": \"Q312\", \"name\": \"Apple Inc.\", \"type\": \"ORG\", \"description\": "
    "\"American technology company that designs the iPhone, iPad and Mac computers; "
    "its CEO reports quarterly revenue and earnings.\"}\n"
    "{\"id\": \"Q89\", \"name\": \"apple\", \"type\": \"FOOD\", \"description\": "
    "\"The round edible fruit of the apple tree, eaten raw as a snack, at lunch, or "
    "baked in a pie.\"}\n"
    "{\"id\": \"Q90\", \"name\": \"Paris\", \"type\": \"LOC\"}\n";

static const char aliases[] =
    "alias\tentity_id\tprior\n"
    "Apple\tQ312\t0.7\nApple\tQ89\t0.3\n"
    "apple\tQ89\t0.8\napple\tQ312\t0.2\n"
    "Paris\tQ90\n";

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_linker_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    int rc = ner_register_factory(&mentions_vt);
    if (rc != NER_OK && rc != NER_EEXIST)
        return -1;
    write_file(path_in("e.jsonl"), ents);
    write_file(path_in("a.tsv"), aliases);
    char err[NER_ERRBUF_SIZE] = "";
    rc = ner_kb_build(path_in("e.jsonl"), path_in("a.tsv"), path_in("kb"), NULL,
                      err, sizeof err);
    if (rc != NER_OK)
        fprintf(stderr, "kb build: %s\n", err);
    return rc == NER_OK ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static ner_pipeline *linked_pipeline(const char *linker_config)
{
    char err[NER_ERRBUF_SIZE] = "";
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_add(b, "test_mentions",
                                     "{\"w\": \"Apple apple Paris Berlin\"}", NULL,
                                     err, sizeof err), NER_OK);
    int rc = ner_builder_add(b, "entity_linker", linker_config, NULL, err, sizeof err);
    if (rc != NER_OK)
        print_error("entity_linker: %s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    return pl;
}

static char *kb_config(void)
{
    static char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\"}", path_in("kb"));
    return cfg;
}

/* kb_id of entity i of text under pl ("" for NIL), kb_score in *score. */
static const char *link1(const ner_pipeline *pl, const char *text, size_t i,
                         double *score, double *ner_score)
{
    static char id[64];
    char err[NER_ERRBUF_SIZE] = "";
    ner_doc *doc = NULL;
    assert_int_equal(ner_pipeline_process(pl, text, strlen(text), &doc, err, sizeof err),
                     NER_OK);
    const ner_ents *e = ner_doc_ents(doc);
    assert_true(i < ner_ents_count(e));
    const ner_span *s = ner_ents_get(e, i);
    snprintf(id, sizeof id, "%s", ner_span_kb_id(s) ? ner_span_kb_id(s) : "");
    if (score)
        *score = ner_span_kb_score(s);
    if (ner_score)
        *ner_score = ner_span_score(s);
    ner_doc_free(doc);
    return id;
}

/* ------------------------------------------------------------ tests */

static void test_seed_example(void **st)
{
    (void)st;
    ner_pipeline *pl = linked_pipeline(kb_config());
    double ks, ns;
    assert_string_equal(link1(pl, "Apple's iPhone revenue rose as its CEO spoke", 0,
                              &ks, &ns), "Q312");
    assert_true(ks > 0.5 && ks <= 1.0);
    assert_true(ns == 0.77);                /* the NER score is left alone */
    assert_string_equal(link1(pl, "She ate an apple with her lunch", 0, &ks, NULL), "Q89");
    assert_true(ks > 0.5 && ks <= 1.0);
    /* the context beats the prior of "Apple" (0.7 for the company) */
    assert_string_equal(link1(pl, "She ate an Apple with her lunch", 0, NULL, NULL), "Q89");
    /* and the other way round */
    assert_string_equal(link1(pl, "The apple iPhone revenue and earnings, said the CEO",
                              0, NULL, NULL), "Q312");
    /* no candidate: NIL, never a guess; kb_score 1 (sure it is NIL) */
    assert_string_equal(link1(pl, "Berlin is big", 0, &ks, NULL), "");
    assert_true(ks == 1.0);
    /* case-folded lookup */
    assert_string_equal(link1(pl, "Lunch in Paris", 0, NULL, NULL), "Q90");

    /* the doc JSON carries kb_id and kb_score */
    char err[NER_ERRBUF_SIZE];
    ner_doc *doc = NULL;
    const char *t = "Apple's iPhone and Berlin";
    assert_int_equal(ner_pipeline_process(pl, t, strlen(t), &doc, err, sizeof err), NER_OK);
    char *json = NULL;
    assert_int_equal(ner_doc_to_json(doc, 0, &json, NULL), NER_OK);
    assert_non_null(strstr(json, "\"kb_id\":\"Q312\""));
    assert_non_null(strstr(json, "\"kb_score\""));
    ner_string_free(json);
    ner_span_record rec[4];
    assert_int_equal(ner_doc_copy_ents(doc, rec, 4), 2);
    assert_string_equal(rec[0].kb_id, "Q312");
    assert_null(rec[1].kb_id);
    ner_doc_free(doc);
    ner_pipeline_free(pl);
}

static void test_settings(void **st)
{
    (void)st;
    char cfg[1024];
    /* a threshold no candidate reaches: NIL, with kb_score 1 - best */
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"threshold\": 1.0}", path_in("kb"));
    ner_pipeline *pl = linked_pipeline(cfg);
    double ks;
    assert_string_equal(link1(pl, "She ate an apple", 0, &ks, NULL), "");
    assert_true(ks > 0.0 && ks < 1.0);
    ner_pipeline_free(pl);
    /* exact lookup only */
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"max_level\": \"exact\"}", path_in("kb"));
    pl = linked_pipeline(cfg);
    assert_string_equal(link1(pl, "Lunch in Paris", 0, NULL, NULL), "Q90");
    ner_pipeline_free(pl);
    /* prior only: the company wins "Apple" whatever the context */
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"weights\": {\"context\": 0, "
             "\"description\": 0}, \"threshold\": 0}", path_in("kb"));
    pl = linked_pipeline(cfg);
    assert_string_equal(link1(pl, "She ate an Apple with her lunch", 0, NULL, NULL), "Q312");
    ner_pipeline_free(pl);
    /* link_labels: other labels are left alone */
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"link_labels\": [\"ORG\"]}", path_in("kb"));
    pl = linked_pipeline(cfg);
    assert_string_equal(link1(pl, "Apple's iPhone", 0, &ks, NULL), "");
    assert_true(ks == 0.0);
    ner_pipeline_free(pl);
    /* type_map: ENT agrees with FOOD and only FOOD */
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"type_map\": {\"ENT\": [\"food\"]},"
             " \"weights\": {\"type_agree\": 5, \"type_disagree\": -5}}", path_in("kb"));
    pl = linked_pipeline(cfg);
    assert_string_equal(link1(pl, "Apple's iPhone revenue rose", 0, NULL, NULL), "Q89");
    ner_pipeline_free(pl);

    /* the settings in effect */
    ner_linker *lk = NULL;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(ner_linker_load(&lk, path_in("kb"), "{\"window\": 7}", err,
                                     sizeof err), NER_OK);
    char *json = NULL;
    assert_int_equal(ner_linker_config(lk, &json), NER_OK);
    assert_non_null(strstr(json, "\"window\":7"));
    assert_non_null(strstr(json, "\"weights\""));
    ner_string_free(json);
    ner_linker_free(lk);
}

static void test_config_errors(void **st)
{
    (void)st;
    struct { const char *cfg; int rc; const char *msg; } cases[] = {
        {"{}", NER_EINVAL, "no knowledge base"},
        {"{\"kb\": 3}", NER_EINVAL, "\"kb\" must be a string"},
        {"{\"kb\": \"/nonexistent/kb\"}", NER_ENOTFOUND, "no knowledge base here"},
        {"{\"kb\": \"%s\", \"windw\": 3}", NER_EINVAL, "unknown key \"windw\""},
        {"{\"kb\": \"%s\", \"window\": -1}", NER_EINVAL, "\"window\""},
        {"{\"kb\": \"%s\", \"max_level\": \"fuzzy\"}", NER_EINVAL, "\"max_level\""},
        {"{\"kb\": \"%s\", \"threshold\": 2}", NER_EINVAL, "\"threshold\""},
        {"{\"kb\": \"%s\", \"weights\": {\"priors\": 1}}", NER_EINVAL, "unknown weight"},
        {"{\"kb\": \"%s\", \"weights\": {\"prior\": \"x\"}}", NER_EINVAL, "must be a number"},
        {"{\"kb\": \"%s\", \"type_map\": {\"A\": \"B\"}}", NER_EINVAL, "type_map"},
        {"{\"kb\": \"%s\", \"link_labels\": [1]}", NER_EINVAL, "link_labels"},
        {"[1]", NER_EFORMAT, "must be a JSON object"},
        {"{", NER_EFORMAT, "config"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char cfg[512], err[NER_ERRBUF_SIZE] = "";
        /* "%s" in a case stands for the KB folder */
        const char *at = strstr(cases[i].cfg, "%s");
        if (at)
            snprintf(cfg, sizeof cfg, "%.*s%s%s", (int)(at - cases[i].cfg),
                     cases[i].cfg, path_in("kb"), at + 2);
        else
            snprintf(cfg, sizeof cfg, "%s", cases[i].cfg);
        ner_builder *b = NULL;
        assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
        int rc = ner_builder_add(b, "entity_linker", cfg, NULL, err, sizeof err);
        if (rc != cases[i].rc || !strstr(err, cases[i].msg))
            print_error("case %zu: rc %d, \"%s\"\n", i, rc, err);
        assert_int_equal(rc, cases[i].rc);
        assert_non_null(strstr(err, cases[i].msg));
        ner_builder_free(b);
    }
}

static void test_save_load(void **st)
{
    (void)st;
    char cfg[1024], err[NER_ERRBUF_SIZE];
    /* a KB folder of its own, removed after the save */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s'", path_in("kb"), path_in("kbcopy"));
    assert_int_equal(system(cmd), 0);
    snprintf(cfg, sizeof cfg, "{\"kb\": \"%s\", \"window\": 12}", path_in("kbcopy"));
    ner_pipeline *pl = linked_pipeline(cfg);
    assert_int_equal(ner_pipeline_save(pl, path_in("saved"), err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    assert_true(is_file(path_in("saved/entity_linker/kb.sqlite")));
    assert_true(is_file(path_in("saved/entity_linker/linker.json")));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path_in("kbcopy"));
    assert_int_equal(system(cmd), 0);
    pl = NULL;
    int rc = ner_pipeline_load(&pl, path_in("saved"), NULL, err, sizeof err);
    if (rc != NER_OK)
        print_error("load: %s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_string_equal(link1(pl, "She ate an apple with her lunch", 0, NULL, NULL), "Q89");
    assert_string_equal(link1(pl, "Apple's iPhone revenue rose", 0, NULL, NULL), "Q312");
    /* save again into the same folder: the KB is the same file */
    assert_int_equal(ner_pipeline_save(pl, path_in("saved"), err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    assert_int_equal(ner_pipeline_load(&pl, path_in("saved"), NULL, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
}

static void test_link_mention(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE];
    ner_linker *lk = NULL;
    assert_int_equal(ner_linker_load(&lk, path_in("kb"), "{\"window\": 4}", err,
                                     sizeof err), NER_OK);
    ner_builder *b = NULL;
    ner_pipeline *tok = NULL;
    assert_int_equal(ner_builder_new(&b, "en", err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_build(b, &tok, err, sizeof err), NER_OK);
    ner_builder_free(b);
    /* ASCII: code points are bytes */
    const char *t = "APPLE iPhone revenue and earnings. Later: Xapple pie at lunch";
    size_t xa = (size_t)(strstr(t, "Xapple") - t);
    ner_doc *doc = NULL;
    assert_int_equal(ner_pipeline_process(tok, t, strlen(t), &doc, err, sizeof err), NER_OK);
    char *id = NULL;
    double score = -1;
    /* inside a token: the offsets decide the text, the tokens the context */
    assert_int_equal(ner_linker_link_mention(lk, doc, xa + 1, xa + 6, "", &id, &score),
                     NER_OK);
    assert_non_null(id);
    assert_string_equal(id, "Q89");
    ner_string_free(id);
    assert_int_equal(ner_linker_link_mention(lk, doc, 0, 5, NULL, &id, &score), NER_OK);
    assert_non_null(id);
    assert_string_equal(id, "Q312");
    assert_true(score > 0.5 && score <= 1.0);
    ner_string_free(id);
    assert_int_equal(ner_linker_link_mention(lk, doc, 6, 12, "", &id, &score), NER_OK);
    assert_null(id);
    assert_true(score == 1.0);
    assert_int_equal(ner_linker_link_mention(lk, doc, 3, 3, "", &id, &score), NER_OK);
    assert_null(id);
    assert_int_equal(ner_linker_link_mention(lk, doc, 5, 2, "", &id, &score), NER_ERANGE);
    assert_int_equal(ner_linker_link_mention(lk, doc, 0, 999, "", &id, &score), NER_ERANGE);
    /* ner_linker_link over the doc's entities (none here) */
    assert_int_equal(ner_linker_link(lk, doc), NER_OK);
    ner_doc_free(doc);
    ner_pipeline_free(tok);
    ner_linker_free(lk);
    ner_linker_free(NULL);
}

static const char train_data[] =
    "{\"text\": \"Apple sold more iPhone units and revenue rose, the CEO said\", "
    "\"entities\": [[0, 5, \"ORG\", \"Q312\"]]}\n"
    "{\"text\": \"Shares of Apple rose after the CEO spoke about iPhone revenue\", "
    "\"entities\": [[10, 15, \"ORG\", \"Q312\"]]}\n"
    "{\"text\": \"He baked an apple pie and ate an apple for lunch\", "
    "\"entities\": [[12, 17, \"\", \"Q89\"], [33, 38, \"\", \"Q89\"]]}\n"
    "{\"text\": \"An Apple a day: fruit for lunch, a snack, a pie\", "
    "\"entities\": [[3, 8, \"\", \"Q89\"]]}\n"
    "{\"text\": \"Apple Records released the album\", "
    "\"entities\": [[0, 13, \"ORG\", null]]}\n"
    "{\"text\": \"She flew to Paris\", \"entities\": [{\"start\": 12, \"end\": 17, "
    "\"label\": \"LOC\", \"kb_id\": \"Q90\"}]}\n";

static void test_fit_evaluate(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE] = "";
    write_file(path_in("train.jsonl"), train_data);
    ner_linker_fit_params p;
    assert_int_equal(ner_linker_fit_params_init(&p, sizeof p), NER_OK);
    assert_int_equal(p.folds, 5);
    assert_int_equal(p.profile_size, 100);
    p.folds = 2;
    char *report = NULL;
    int rc = ner_linker_fit(path_in("kb"), path_in("train.jsonl"), path_in("fitted"),
                            "{\"window\": 20}", &p, &report, err, sizeof err);
    if (rc != NER_OK)
        print_error("fit: %s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_non_null(strstr(report, "\"weights\""));
    assert_non_null(strstr(report, "\"threshold\""));
    assert_non_null(strstr(report, "\"mentions\":7"));
    ner_string_free(report);
    assert_true(is_file(path_in("fitted/kb.sqlite")));
    assert_true(is_file(path_in("fitted/linker.json")));
    ner_kb *kb = NULL;
    assert_int_equal(ner_kb_load(&kb, path_in("fitted"), err, sizeof err), NER_OK);
    assert_int_equal(ner_kb_profile_count(kb), 3);
    ner_kb_free(kb);
    /* the fitted folder is a KB folder with settings: evaluate on it */
    ner_linker *lk = NULL;
    assert_int_equal(ner_linker_load(&lk, path_in("fitted"), NULL, err, sizeof err), NER_OK);
    char *json = NULL;
    ner_linker_eval_params ep;
    ner_linker_eval_params_init(&ep, sizeof ep);
    rc = ner_linker_evaluate(lk, path_in("train.jsonl"), &ep, &json, err, sizeof err);
    assert_int_equal(rc, NER_OK);
    assert_non_null(strstr(json, "\"mentions\":7"));
    assert_non_null(strstr(json, "\"linkable\":6"));
    assert_non_null(strstr(json, "\"gold_in_candidates\":6"));
    ner_string_free(json);
    ner_linker_free(lk);

    /* bad data names the line */
    write_file(path_in("bad.jsonl"), "{\"text\": \"a b\", \"entities\": [[0, 1, \"X\", \"Q1\"]]}\n"
               "{\"text\": \"Apple\", \"entities\": [[0, 5, \"ORG\"]]}\n");
    rc = ner_linker_fit(path_in("kb"), path_in("bad.jsonl"), path_in("fitted2"), NULL,
                        NULL, NULL, err, sizeof err);
    assert_int_equal(rc, NER_EFORMAT);
    assert_non_null(strstr(err, "line 2: entity 0 needs a kb_id"));
    write_file(path_in("bad.jsonl"), "{\"text\": \"Apple\", \"entities\": [[0, 9, \"ORG\", null]]}\n");
    rc = ner_linker_fit(path_in("kb"), path_in("bad.jsonl"), path_in("fitted2"), NULL,
                        NULL, NULL, err, sizeof err);
    assert_int_equal(rc, NER_ERANGE);
    assert_non_null(strstr(err, "line 1: entity 0 [0, 9)"));
    write_file(path_in("bad.jsonl"), "{\"text\": \"Apple\"\n");
    rc = ner_linker_fit(path_in("kb"), path_in("bad.jsonl"), path_in("fitted2"), NULL,
                        NULL, NULL, err, sizeof err);
    assert_int_equal(rc, NER_EFORMAT);
    assert_non_null(strstr(err, "line 1, column"));
}

typedef struct th_arg {
    const ner_pipeline *pl;
    int bad;
} th_arg;

static void *th_run(void *p)
{
    th_arg *a = p;
    const char *texts[] = {"Apple's iPhone revenue rose as its CEO spoke",
                           "She ate an apple with her lunch", "Lunch in Paris, not Berlin"};
    const char *want[] = {"Q312", "Q89", "Q90"};
    for (int i = 0; i < 300; i++) {
        ner_doc *doc = NULL;
        const char *t = texts[i % 3];
        if (ner_pipeline_process(a->pl, t, strlen(t), &doc, NULL, 0) != NER_OK) {
            a->bad = 1;
            continue;
        }
        const ner_ents *e = ner_doc_ents(doc);
        const char *id = ner_span_kb_id(ner_ents_get(e, 0));
        if (!id || strcmp(id, want[i % 3]) != 0)
            a->bad = 1;
        if (i % 3 == 2 && ner_span_kb_id(ner_ents_get(e, 1)) != NULL)
            a->bad = 1;
        ner_doc_free(doc);
    }
    return NULL;
}

static void test_threads(void **st)
{
    (void)st;
    ner_pipeline *pl = linked_pipeline(kb_config());
    pthread_t th[6];
    th_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i].pl = pl;
        args[i].bad = 0;
        assert_int_equal(pthread_create(&th[i], NULL, th_run, &args[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    /* the batch call on worker threads */
    const char *texts[64];
    ner_doc *docs[64];
    for (int i = 0; i < 64; i++)
        texts[i] = i % 2 ? "She ate an apple with her lunch" : "Apple's iPhone revenue";
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = 4;
    bp.batch_size = 4;
    assert_int_equal(ner_pipeline_process_batch(pl, texts, NULL, 64, docs, &bp, NULL, 0),
                     NER_OK);
    for (int i = 0; i < 64; i++) {
        const char *id = ner_span_kb_id(ner_ents_get(ner_doc_ents(docs[i]), 0));
        assert_non_null(id);
        assert_string_equal(id, i % 2 ? "Q89" : "Q312");
        ner_doc_free(docs[i]);
    }
    ner_pipeline_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_example),
        cmocka_unit_test(test_settings),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_link_mention),
        cmocka_unit_test(test_fit_evaluate),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
