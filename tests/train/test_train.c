/* ner_train / ner_evaluate / ner_convert through the public API: the seed
 * example overfits, outputs are deterministic across runs and thread
 * counts, pipelines round-trip, alignment problems are reported, bad data
 * and bad model files give errors. */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ner/ner.h"
#include "ner/ner_train.h"

static char tmpdir[256];
static char drugs[1024];

static const char *const LINE1 = "Aspirin 500mg twice daily for 7 days";
static const char *const LINE2 = "Ibuprofen 200mg three times a day for 5 days";

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb; (void)flag; (void)f;
    return remove(p);
}

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    size_t r = fread(b, 1, (size_t)n, f);
    fclose(f);
    b[r] = '\0';
    if (len)
        *len = r;
    return b;
}

typedef struct logbuf {
    char text[16384];
    size_t len;
} logbuf;

static void log_cb(void *user, int level, const char *msg)
{
    (void)level;
    logbuf *b = user;
    size_t n = strlen(msg);
    if (b->len + n + 2 < sizeof b->text) {
        memcpy(b->text + b->len, msg, n);
        b->len += n;
        b->text[b->len++] = '\n';
        b->text[b->len] = '\0';
    }
}

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_train_test_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    snprintf(drugs, sizeof drugs, "%s/tests/fixtures/train/drugs.jsonl", root ? root : ".");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static void train_drugs(const char *out, uint32_t threads, const char *config)
{
    ner_train_params p;
    assert_int_equal(ner_train_params_init(&p, sizeof p), NER_OK);
    p.n_threads = threads;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_train(drugs, drugs, out, config, NULL, &p, err, sizeof err);
    if (rc != NER_OK)
        fail_msg("ner_train: %s", err);
}

static void expect_ent(const ner_doc *d, size_t i, size_t s, size_t e, const char *label)
{
    const ner_span *sp = ner_ents_get(ner_doc_ents(d), i);
    assert_non_null(sp);
    assert_int_equal(ner_span_start_char(sp), s);
    assert_int_equal(ner_span_end_char(sp), e);
    assert_string_equal(ner_span_label(sp), label);
    assert_true(ner_span_score(sp) >= 0.0 && ner_span_score(sp) <= 1.0);
}

static void check_overfit(const char *model_dir)
{
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    if (ner_pipeline_load(&pl, model_dir, NULL, err, sizeof err) != NER_OK)
        fail_msg("load %s: %s", model_dir, err);
    ner_doc *d = NULL;
    assert_int_equal(ner_pipeline_process(pl, LINE1, strlen(LINE1), &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 4);
    expect_ent(d, 0, 0, 7, "DRUG");
    expect_ent(d, 1, 8, 13, "DOSAGE");
    expect_ent(d, 2, 14, 25, "FREQUENCY");
    expect_ent(d, 3, 30, 36, "DURATION");
    ner_doc_free(d);
    assert_int_equal(ner_pipeline_process(pl, LINE2, strlen(LINE2), &d, err, sizeof err), NER_OK);
    assert_int_equal(ner_ents_count(ner_doc_ents(d)), 4);
    expect_ent(d, 0, 0, 9, "DRUG");
    expect_ent(d, 1, 10, 15, "DOSAGE");
    expect_ent(d, 2, 16, 33, "FREQUENCY");
    expect_ent(d, 3, 38, 44, "DURATION");
    ner_doc_free(d);
    /* the labels reach the pipeline */
    assert_int_equal(ner_pipeline_label_count(pl), 4);
    ner_pipeline_free(pl);
}

static void test_seed_overfits(void **st)
{
    (void)st;
    char out[512], dir[600];
    path_in(out, sizeof out, "seed");
    train_drugs(out, 1, NULL);
    snprintf(dir, sizeof dir, "%s/model-best", out);
    check_overfit(dir);
    snprintf(dir, sizeof dir, "%s/model-last", out);
    check_overfit(dir);
    snprintf(dir, sizeof dir, "%s/training.json", out);
    char *rep = read_file(dir, NULL);
    assert_non_null(rep);
    assert_non_null(strstr(rep, "\"misaligned\": 0"));
    free(rep);
}

/* Processes texts with n threads; returns the records as one string. */
static char *run_all(const ner_pipeline *pl, const char *const *texts, size_t n,
                     uint32_t threads)
{
    ner_doc **docs = calloc(n, sizeof *docs);
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = threads;
    bp.batch_size = 3;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_pipeline_process_batch(pl, texts, NULL, n, docs, &bp, err, sizeof err),
                     NER_OK);
    size_t cap = 1 << 16, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        ner_span_record r[64];
        size_t k = ner_doc_copy_ents(docs[i], r, 64);
        for (size_t j = 0; j < k && j < 64; j++)
            len += (size_t)snprintf(s + len, cap - len, "%zu:%llu-%llu %s %.17g\n", i,
                                    (unsigned long long)r[j].start_char,
                                    (unsigned long long)r[j].end_char, r[j].label, r[j].score);
        ner_doc_free(docs[i]);
    }
    free(docs);
    return s;
}

static void test_determinism(void **st)
{
    (void)st;
    char a[512], b[512], ma[600], mb[600];
    path_in(a, sizeof a, "det1");
    path_in(b, sizeof b, "det2");
    train_drugs(a, 1, NULL);
    train_drugs(b, 2, NULL);
    /* the same model whatever the threads */
    snprintf(ma, sizeof ma, "%s/model-best/tagger/model.bin", a);
    snprintf(mb, sizeof mb, "%s/model-best/tagger/model.bin", b);
    size_t la, lb;
    char *xa = read_file(ma, &la), *xb = read_file(mb, &lb);
    assert_non_null(xa);
    assert_non_null(xb);
    assert_int_equal(la, lb);
    assert_memory_equal(xa, xb, la);
    free(xa);
    free(xb);
    /* the same output on every run and thread count */
    snprintf(ma, sizeof ma, "%s/model-best", a);
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_pipeline_load(&pl, ma, NULL, err, sizeof err), NER_OK);
    const char *texts[40];
    for (size_t i = 0; i < 40; i++)
        texts[i] = i % 4 == 0 ? LINE1 : i % 4 == 1 ? LINE2
                 : i % 4 == 2 ? "Take Aspirin 100mg once daily for 3 weeks. Then stop."
                              : "Paracetamol 1g every 6 hours for 2 days\nIbuprofen 400mg";
    char *r1 = run_all(pl, texts, 40, 1);
    for (uint32_t t = 1; t <= 4; t++) {
        char *r2 = run_all(pl, texts, 40, t);
        assert_string_equal(r1, r2);
        free(r2);
    }
    assert_true(strlen(r1) > 0);
    free(r1);
    ner_pipeline_free(pl);
}

static void test_save_load_roundtrip(void **st)
{
    (void)st;
    char out[512], src[600], dst[600], f1[700], f2[700];
    path_in(out, sizeof out, "rt");
    train_drugs(out, 1, NULL);
    snprintf(src, sizeof src, "%s/model-best", out);
    snprintf(dst, sizeof dst, "%s/resaved", out);
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_pipeline_load(&pl, src, NULL, err, sizeof err), NER_OK);
    assert_int_equal(ner_pipeline_save(pl, dst, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    check_overfit(dst);
    snprintf(f1, sizeof f1, "%s/tagger/model.bin", src);
    snprintf(f2, sizeof f2, "%s/tagger/model.bin", dst);
    size_t l1, l2;
    char *a = read_file(f1, &l1), *b = read_file(f2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b, l1);
    free(a);
    free(b);
    snprintf(f2, sizeof f2, "%s/tagger/meta.json", dst);
    a = read_file(f2, NULL);
    assert_non_null(a);
    assert_non_null(strstr(a, "FREQUENCY"));
    free(a);
}

static void test_bad_model_folder(void **st)
{
    (void)st;
    char out[512], f[700];
    path_in(out, sizeof out, "badmodel");
    train_drugs(out, 1, NULL);
    snprintf(f, sizeof f, "%s/model-best/tagger/model.bin", out);
    size_t len;
    char *b = read_file(f, &len);
    b[len / 3] ^= 0x55;
    FILE *fp = fopen(f, "wb");
    fwrite(b, 1, len, fp);
    fclose(fp);
    free(b);
    snprintf(f, sizeof f, "%s/model-best", out);
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_pipeline_load(&pl, f, NULL, err, sizeof err), NER_EFORMAT);
    assert_null(pl);
    assert_non_null(strstr(err, "checksum"));
    /* truncated */
    snprintf(f, sizeof f, "%s/model-best/tagger/model.bin", out);
    assert_int_equal(truncate(f, 100), 0);
    snprintf(f, sizeof f, "%s/model-best", out);
    assert_int_equal(ner_pipeline_load(&pl, f, NULL, err, sizeof err), NER_EFORMAT);
    /* missing */
    snprintf(f, sizeof f, "%s/model-best/tagger/model.bin", out);
    unlink(f);
    snprintf(f, sizeof f, "%s/model-best", out);
    assert_int_not_equal(ner_pipeline_load(&pl, f, NULL, err, sizeof err), NER_OK);
}

static void test_misaligned_reported(void **st)
{
    (void)st;
    char data[512], out[512];
    path_in(data, sizeof data, "mis.jsonl");
    /* [0,3) "Asp" is inside the token "Aspirin" */
    write_file(data,
        "{\"text\": \"Aspirin 500mg twice daily for 7 days\", \"entities\": [[0, 3, \"DRUG\"], [8, 13, \"DOSAGE\"]]}\n"
        "{\"text\": \"Ibuprofen 200mg daily\", \"entities\": [[0, 9, \"DRUG\"], [10, 15, \"DOSAGE\"]]}\n");
    path_in(out, sizeof out, "mis_out");
    ner_train_params p;
    ner_train_params_init(&p, sizeof p);
    logbuf lb = {.len = 0};
    lb.text[0] = '\0';
    p.log = log_cb;
    p.log_user = &lb;
    char err[NER_ERRBUF_SIZE] = "";
    const char *cfg = "{\"training\": {\"max_steps\": 50, \"eval_frequency\": 10}}";
    assert_int_equal(ner_train(data, data, out, cfg, NULL, &p, err, sizeof err), NER_OK);
    assert_non_null(strstr(lb.text, "do not fall on token boundaries"));
    assert_non_null(strstr(lb.text, "line 1"));
    assert_non_null(strstr(lb.text, "\"Asp\""));
    char rp[700];
    snprintf(rp, sizeof rp, "%s/training.json", out);
    char *rep = read_file(rp, NULL);
    assert_non_null(strstr(rep, "\"misaligned\": 1"));
    assert_non_null(strstr(rep, "\"misaligned_unused\": 1"));
    free(rep);
    /* expand: the entity is adjusted to the whole token, and said so */
    lb.len = 0;
    lb.text[0] = '\0';
    const char *cfg2 = "{\"training\": {\"max_steps\": 50, \"eval_frequency\": 10, "
                       "\"alignment\": \"expand\"}}";
    assert_int_equal(ner_train(data, data, out, cfg2, NULL, &p, err, sizeof err), NER_OK);
    assert_non_null(strstr(lb.text, "expand gives \"Aspirin\""));
    rep = read_file(rp, NULL);
    assert_non_null(strstr(rep, "\"misaligned_adjusted\": 1"));
    free(rep);
}

static void test_bad_data(void **st)
{
    (void)st;
    char data[512], out[512];
    path_in(out, sizeof out, "bad_out");
    path_in(data, sizeof data, "overlap.jsonl");
    write_file(data,
        "{\"text\": \"Aspirin 500mg\", \"entities\": [[0, 7, \"DRUG\"]]}\n"
        "{\"text\": \"Aspirin 500mg\", \"entities\": [[0, 7, \"DRUG\"], [5, 13, \"DOSAGE\"]]}\n");
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_train(data, NULL, out, NULL, NULL, NULL, err, sizeof err), NER_EOVERLAP);
    assert_non_null(strstr(err, "line 2"));
    /* bad configs name the key */
    assert_int_equal(ner_train(drugs, NULL, out, "{\"training\": {\"max_stepz\": 1}}", NULL,
                               NULL, err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "training.max_stepz"));
    assert_int_equal(ner_train(drugs, NULL, out, "{\"model\": {\"window\": 9}}", NULL,
                               NULL, err, sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "model.window"));
    assert_int_equal(ner_train(drugs, NULL, out, "[1,", NULL, NULL, err, sizeof err),
                     NER_EFORMAT);
    /* no entities */
    path_in(data, sizeof data, "none.jsonl");
    write_file(data, "{\"text\": \"nothing here\"}\n");
    assert_int_equal(ner_train(data, NULL, out, NULL, NULL, NULL, err, sizeof err), NER_EINVAL);
    /* missing file, bad params size */
    assert_int_not_equal(ner_train("/nonexistent.jsonl", NULL, out, NULL, NULL, NULL, err,
                                   sizeof err), NER_OK);
    ner_train_params p;
    assert_int_equal(ner_train_params_init(&p, 2), NER_EINVAL);
    ner_train_params_init(&p, sizeof p);
    p.size = 2;
    assert_int_equal(ner_train(drugs, NULL, out, NULL, NULL, &p, err, sizeof err), NER_EABI);
}

static void test_config_default(void **st)
{
    (void)st;
    char *json = NULL;
    assert_int_equal(ner_train_config_default(&json), NER_OK);
    assert_non_null(strstr(json, "\"max_steps\""));
    assert_non_null(strstr(json, "\"patience\""));
    assert_non_null(strstr(json, "\"eval_frequency\""));
    assert_non_null(strstr(json, "\"_max_steps\""));
    /* the default config is accepted back (shortened) */
    char out[512];
    path_in(out, sizeof out, "cfg_out");
    char err[NER_ERRBUF_SIZE] = "";
    ner_train_params p;
    ner_train_params_init(&p, sizeof p);
    if (ner_train(drugs, NULL, out, json, NULL, &p, err, sizeof err) != NER_OK)
        fail_msg("the default config: %s", err);
    ner_string_free(json);
}

static void test_evaluate_and_convert(void **st)
{
    (void)st;
    char out[512], dir[600];
    path_in(out, sizeof out, "ev");
    train_drugs(out, 1, NULL);
    snprintf(dir, sizeof dir, "%s/model-best", out);
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_pipeline_load(&pl, dir, NULL, err, sizeof err), NER_OK);
    char *json = NULL;
    ner_eval_params ep;
    ner_eval_params_init(&ep, sizeof ep);
    ep.n_threads = 2;
    assert_int_equal(ner_evaluate(pl, drugs, &ep, &json, err, sizeof err), NER_OK);
    assert_non_null(strstr(json, "\"ents_f\": 1.0") ? json : strstr(json, "\"ents_f\":1.0"));
    assert_non_null(strstr(json, "\"ents_per_type\""));
    ner_string_free(json);
    /* JSONL -> column file -> JSONL keeps the entities */
    char conll[512], back[512];
    path_in(conll, sizeof conll, "drugs.conll");
    path_in(back, sizeof back, "drugs_back.jsonl");
    ner_convert_params cp;
    ner_convert_params_init(&cp, sizeof cp);
    cp.to_format = NER_FORMAT_CONLL;
    cp.scheme = NER_SCHEME_BILOU;
    cp.model_dir = dir;
    if (ner_convert(drugs, conll, &cp, err, sizeof err) != NER_OK)
        fail_msg("convert: %s", err);
    char *c = read_file(conll, NULL);
    assert_non_null(strstr(c, "Aspirin\tU-DRUG\n"));
    assert_non_null(strstr(c, "twice\tB-FREQUENCY\ndaily\tL-FREQUENCY\n"));
    free(c);
    ner_convert_params_init(&cp, sizeof cp);
    cp.to_format = NER_FORMAT_JSONL;
    if (ner_convert(conll, back, &cp, err, sizeof err) != NER_OK)
        fail_msg("convert back: %s", err);
    char *j = read_file(back, NULL);
    /* the tokenizer splits "500mg"; a column file keeps no spaces */
    assert_non_null(strstr(j, "\"Aspirin 500 mg twice daily for 7 days\""));
    assert_non_null(strstr(j, "[15, 26, \"FREQUENCY\"]"));
    assert_non_null(strstr(j, "[8, 14, \"DOSAGE\"]"));
    free(j);
    /* evaluating the column file gives the same perfect score */
    assert_int_equal(ner_evaluate(pl, conll, NULL, &json, err, sizeof err), NER_OK);
    assert_non_null(strstr(json, "\"ents_f\": 1.0") ? json : strstr(json, "\"ents_f\":1.0"));
    ner_string_free(json);
    /* -DOCSTART- groups sentences into one text, unless NER_EVAL_SENTENCES */
    char grouped[512];
    path_in(grouped, sizeof grouped, "grouped.conll");
    write_file(grouped, "-DOCSTART- -X- O O\n\nAspirin\tB-DRUG\ntwice\tO\n\n"
                        "Ibuprofen\tB-DRUG\n\n-DOCSTART- -X- O O\n\nAspirin\tB-DRUG\n\n");
    ep.format = NER_FORMAT_CONLL;
    for (int sent = 0; sent < 2; sent++) {
        ep.flags = sent ? NER_EVAL_SENTENCES : 0;
        assert_int_equal(ner_evaluate(pl, grouped, &ep, &json, err, sizeof err), NER_OK);
        assert_non_null(strstr(json, sent ? "\"docs\": 3" : "\"docs\": 2")
                            ? json : strstr(json, sent ? "\"docs\":3" : "\"docs\":2"));
        ner_string_free(json);
    }
    ner_pipeline_free(pl);
    assert_int_equal(ner_evaluate(NULL, drugs, NULL, &json, err, sizeof err), NER_EINVAL);
}

/* The shipped default pipeline on the CoNLL-2003 dev split (skipped when
 * ../shared or the default tagger is not there). */
static void test_default_model_conll(void **st)
{
    (void)st;
    const char *sh = getenv("LIBNER_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/conll2003/eng.testa", sh ? sh : "");
    if (!sh || access(path, R_OK) != 0) {
        fprintf(stderr, "skipped: %s not found (set LIBNER_SHARED_DIR)\n", path);
        skip();
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_pipeline_load(&pl, NULL, NULL, err, sizeof err), NER_OK);
    int has_tagger = 0;
    for (size_t i = 0; i < ner_pipeline_component_count(pl); i++)
        has_tagger |= strcmp(ner_pipeline_component_factory(pl, i), "tagger") == 0;
    if (!has_tagger) {
        ner_pipeline_free(pl);
        fprintf(stderr, "skipped: the default pipeline has no tagger\n");
        skip();
    }
    char *json = NULL;
    ner_eval_params ep;
    ner_eval_params_init(&ep, sizeof ep);
    ep.n_threads = 2;
    ep.flags = NER_EVAL_GOLD_LABELS; /* the built-in rules' DATE, MONEY... are not CoNLL's */
    assert_int_equal(ner_evaluate(pl, path, &ep, &json, err, sizeof err), NER_OK);
    const char *f = strstr(json, "\"ents_f\":");
    assert_non_null(f);
    double fv = atof(f + 9);
    fprintf(stderr, "default pipeline on CoNLL dev: F1 %.4f\n", fv);
    assert_true(fv > 0.85);
    ner_string_free(json);
    ner_doc *d = NULL;
    const char *t = "Marie Curie received the Nobel Prize in Paris in 1903.";
    assert_int_equal(ner_pipeline_process(pl, t, strlen(t), &d, err, sizeof err), NER_OK);
    assert_true(ner_ents_count(ner_doc_ents(d)) >= 2);
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

/* An external name list through ner_train: the phrases reach the model,
 * the file goes into the tagger's folder and survives a load and save;
 * bad lists and configs give errors. */
static void test_gazetteer_config(void **st)
{
    (void)st;
    char list[512], out[512], cfg[2048], path[1200], err[NER_ERRBUF_SIZE] = "";
    path_in(list, sizeof list, "drug names.txt");
    write_file(list, "# a comment\n\nAspirin\n  Ibuprofen  \r\nParacetamol\n"
                     "a b c d e f g h i j\n");
    path_in(out, sizeof out, "gz");
    snprintf(cfg, sizeof cfg, "{\"model\": {\"gazetteers\": [{\"label\": \"DRUG\", "
             "\"path\": \"%s\"}], \"gazetteer_lowercase\": true}}", list);
    ner_train_params p;
    ner_train_params_init(&p, sizeof p);
    logbuf lb = {.len = 0};
    lb.text[0] = '\0';
    p.log = log_cb;
    p.log_user = &lb;
    if (ner_train(drugs, drugs, out, cfg, NULL, &p, err, sizeof err) != NER_OK)
        fail_msg("ner_train with a gazetteer: %s", err);
    /* 4 names, 3 phrases, 1 too long */
    assert_non_null(strstr(lb.text, "4 names, 3 new phrases (1 longer than 8 tokens"));
    snprintf(path, sizeof path, "%s/model-best", out);
    check_overfit(path);
    snprintf(path, sizeof path, "%s/model-best/tagger/gazetteers/drug_names.txt", out);
    size_t len = 0;
    char *copy = read_file(path, &len);
    assert_non_null(copy);
    assert_non_null(strstr(copy, "Paracetamol"));
    free(copy);
    snprintf(path, sizeof path, "%s/model-best/tagger/meta.json", out);
    char *meta = read_file(path, NULL);
    assert_non_null(meta);
    assert_non_null(strstr(meta, "\"file\": \"gazetteers/drug_names.txt\""));
    assert_non_null(strstr(meta, "\"gazetteer_lowercase\": true"));
    free(meta);
    /* a loaded pipeline saves the list along */
    ner_pipeline *pl = NULL;
    snprintf(path, sizeof path, "%s/model-best", out);
    assert_int_equal(ner_pipeline_load(&pl, path, NULL, err, sizeof err), NER_OK);
    char again[600];
    snprintf(again, sizeof again, "%s/resaved", out);
    assert_int_equal(ner_pipeline_save(pl, again, err, sizeof err), NER_OK);
    ner_pipeline_free(pl);
    snprintf(path, sizeof path, "%s/resaved/tagger/gazetteers/drug_names.txt", out);
    copy = read_file(path, NULL);
    assert_non_null(copy);
    free(copy);
    /* errors: a missing file, bad entries, too many labels */
    ner_train_params_init(&p, sizeof p);
    static const char *const bad[] = {
        "{\"model\": {\"gazetteers\": [{\"label\": \"X\", \"path\": \"/nonexistent/list\"}]}}",
        "{\"model\": {\"gazetteers\": {\"label\": \"X\"}}}",
        "{\"model\": {\"gazetteers\": [{\"label\": \"X\"}]}}",
        "{\"model\": {\"gazetteers\": [{\"label\": \"\", \"path\": \"a\"}]}}",
        "{\"model\": {\"gazetteers\": [{\"label\": \"X\", \"path\": \"a\", \"kind\": 1}]}}",
        "{\"model\": {\"gazetteer_lowercase\": 1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = ner_train(drugs, NULL, out, bad[i], NULL, &p, err, sizeof err);
        if (rc == NER_OK)
            fail_msg("config %zu was accepted", i);
        assert_true(err[0] != '\0');
    }
    char many[4096] = "{\"model\": {\"gazetteers\": [";
    for (int i = 0; i < 9; i++) {
        char one[700];
        snprintf(one, sizeof one, "%s{\"label\": \"L%d\", \"path\": \"%s\"}", i ? ", " : "",
                 i, list);
        strcat(many, one);
    }
    strcat(many, "]}}");
    assert_int_not_equal(ner_train(drugs, NULL, out, many, NULL, &p, err, sizeof err), NER_OK);
    assert_non_null(strstr(err, "at most 8"));
}

/* The seed sentences through the default pipeline (skipped when
 * models/en_default has no tagger). */
static void expect_text_label(const ner_doc *d, const char *text, const char *label)
{
    const ner_ents *es = ner_doc_ents(d);
    for (size_t i = 0; i < ner_ents_count(es); i++) {
        size_t n = 0;
        const char *t = ner_span_text(ner_ents_get(es, i), &n);
        if (n == strlen(text) && memcmp(t, text, n) == 0) {
            assert_string_equal(ner_span_label(ner_ents_get(es, i)), label);
            return;
        }
    }
    fail_msg("\"%s\" (%s) was not found", text, label);
}

static void test_default_model_seeds(void **st)
{
    (void)st;
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    if (ner_pipeline_load(&pl, NULL, NULL, err, sizeof err) != NER_OK)
        fail_msg("the default pipeline: %s", err);
    int has_tagger = 0;
    for (size_t i = 0; i < ner_pipeline_component_count(pl); i++)
        has_tagger |= strcmp(ner_pipeline_component_factory(pl, i), "tagger") == 0;
    if (!has_tagger) {
        ner_pipeline_free(pl);
        fprintf(stderr, "skipped: the default pipeline has no tagger\n");
        skip();
    }
    ner_doc *d = NULL;
    const char *t1 = "Elon Musk sold $4 billion of Tesla stock on January 15, 2025.";
    assert_int_equal(ner_pipeline_process(pl, t1, strlen(t1), &d, err, sizeof err), NER_OK);
    expect_text_label(d, "Elon Musk", "PER");
    expect_text_label(d, "Tesla", "ORG");
    ner_doc_free(d);
    const char *t2 = "Marie Curie received the Nobel Prize in Paris in 1903.";
    assert_int_equal(ner_pipeline_process(pl, t2, strlen(t2), &d, err, sizeof err), NER_OK);
    expect_text_label(d, "Marie Curie", "PER");
    expect_text_label(d, "Nobel Prize", "MISC");
    expect_text_label(d, "Paris", "LOC");
    ner_doc_free(d);
    ner_pipeline_free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_overfits),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_save_load_roundtrip),
        cmocka_unit_test(test_bad_model_folder),
        cmocka_unit_test(test_misaligned_reported),
        cmocka_unit_test(test_bad_data),
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_evaluate_and_convert),
        cmocka_unit_test(test_default_model_conll),
        cmocka_unit_test(test_gazetteer_config),
        cmocka_unit_test(test_default_model_seeds),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
