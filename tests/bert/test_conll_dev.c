/* The end-to-end check on a model that has learnt something:
 * ../shared/models/mini-bert-conll (a small BERT trained on CoNLL-2003 train)
 * over the CoNLL-2003 dev split (../shared/data/conll2003/eng.testa), one
 * sentence per text.  Skips when ../shared is absent.
 *
 * 1. Its README's figures, computed as the README does: the label of each
 *    CoNLL word's first wordpiece (the "none" results), IOB2 spans grouped as
 *    conlleval does, exact match.  Per-label F1 must equal the README's to the
 *    4 decimals it prints.
 * 2. The same through ner_evaluate (what `ner evaluate` runs) with
 *    {"aggregation": "first", "words": "whitespace"}: words are the CoNLL
 *    tokens (joined by spaces), so the figures must be the README's again.
 *    With transformers' own word rule ("words": "wordpiece", the default)
 *    words are the BERT pre-tokenizer's ("U.S." is four), which moves the
 *    figures a little: printed, and within 0.02 per label.
 * 3. Every strategy's entity groups look like NER (labels PER/ORG/LOC/MISC,
 *    F1 far above chance). */
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
#include "ner/ner_train.h"

static const char *const TYPES[] = {"LOC", "MISC", "ORG", "PER"};
static const double README_F1[] = {0.8795, 0.7943, 0.7329, 0.8245};
static const double README_ALL = 0.8156;

typedef struct sent {
    char *text;
    size_t n;
    size_t *wstart;  /* code-point start of each word */
    int *gold;       /* IOB2 tag per word: 0 = O, 1 + 2t = B-t, 2 + 2t = I-t */
} sent;

static char shared_dir[1024];

static int have_shared(void)
{
    const char *root = getenv("LIBNER_SHARED_DIR");
    snprintf(shared_dir, sizeof shared_dir, "%s", root ? root : "../shared");
    char p[1200];
    snprintf(p, sizeof p, "%s/models/mini-bert-conll/model.safetensors", shared_dir);
    struct stat sb;
    if (stat(p, &sb) != 0)
        return 0;
    snprintf(p, sizeof p, "%s/data/conll2003/eng.testa", shared_dir);
    return stat(p, &sb) == 0;
}

static int type_of(const char *s)
{
    for (int t = 0; t < 4; t++)
        if (strcmp(s, TYPES[t]) == 0)
            return t;
    return -1;
}

/* IOB2 tag code of a label such as "B-PER" (-1 when not one of ours). */
static int tag_code(const char *label)
{
    if (strcmp(label, "O") == 0)
        return 0;
    if ((label[0] != 'B' && label[0] != 'I') || label[1] != '-')
        return -1;
    int t = type_of(label + 2);
    return t < 0 ? -1 : (label[0] == 'B' ? 1 : 2) + 2 * t;
}

static size_t read_testa(sent **out)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/data/conll2003/eng.testa", shared_dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    sent *v = NULL;
    size_t n = 0, cap = 0;
    char line[1024], *words[256];
    int tags[256];
    size_t nw = 0;
    int prev = 0;
    for (;;) {
        char *r = fgets(line, sizeof line, f);
        int blank = !r || line[0] == '\n';
        if (r && strncmp(line, "-DOCSTART-", 10) == 0)
            continue;
        if (blank) {
            if (nw) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 1024;
                    v = realloc(v, cap * sizeof *v);
                }
                sent *s = &v[n++];
                s->n = nw;
                s->wstart = malloc(nw * sizeof *s->wstart);
                s->gold = malloc(nw * sizeof *s->gold);
                size_t len = 0;
                for (size_t i = 0; i < nw; i++)
                    len += strlen(words[i]) + 1;
                s->text = malloc(len + 1);
                size_t k = 0;
                for (size_t i = 0; i < nw; i++) {
                    s->wstart[i] = k; /* CoNLL is ASCII: bytes are code points */
                    k += (size_t)sprintf(s->text + k, "%s%s", words[i], i + 1 < nw ? " " : "");
                    s->gold[i] = tags[i];
                    free(words[i]);
                }
            }
            nw = 0;
            prev = 0;
            if (!r)
                break;
            continue;
        }
        char w[512], pos[64], chunk[64], ner[64];
        assert_int_equal(sscanf(line, "%511s %63s %63s %63s", w, pos, chunk, ner), 4);
        /* IOB1 -> IOB2: I-X after something that is not X opens a span */
        int code = 0;
        if (strcmp(ner, "O") != 0) {
            int t = type_of(ner + 2);
            assert_true(t >= 0);
            int same = prev && (prev - 1) / 2 == t;
            code = (ner[0] == 'B' || !same) ? 1 + 2 * t : 2 + 2 * t;
        }
        words[nw] = strdup(w);
        tags[nw++] = code;
        prev = code;
    }
    fclose(f);
    *out = v;
    return n;
}

/* conlleval spans of a tag sequence: a stray I-X opens one. */
typedef struct span3 {
    size_t s, e;
    int t;
} span3;

static size_t spans(const int *tags, size_t n, span3 *out)
{
    size_t k = 0, start = 0;
    int typ = -1;
    for (size_t i = 0; i <= n; i++) {
        int c = i < n ? tags[i] : 0;
        int ct = c ? (c - 1) / 2 : -1;
        if (c == 0 || (c % 2 == 1) || ct != typ) {
            if (typ >= 0)
                out[k++] = (span3){start, i, typ};
            typ = c == 0 ? -1 : ct;
            start = i;
        }
    }
    return k;
}

static double f1(size_t tp, size_t np, size_t ng)
{
    return np + ng ? 2.0 * (double)tp / (double)(np + ng) : 0.0;
}

static ner_pipeline *load_with(const char *dir, const char *config)
{
    ner_builder *b = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_builder_from_dir(&b, dir, err, sizeof err), NER_OK);
    assert_int_equal(ner_builder_remove(b, "bert_tagger"), NER_OK);
    ner_add_params p;
    ner_add_params_init(&p, sizeof p);
    p.dir = dir;
    assert_int_equal(ner_builder_add(b, "bert_tagger", config, &p, err, sizeof err), NER_OK);
    ner_pipeline *pl = NULL;
    assert_int_equal(ner_builder_build(b, &pl, err, sizeof err), NER_OK);
    ner_builder_free(b);
    return pl;
}

static ner_doc **run_all(const ner_pipeline *pl, sent *S, size_t n)
{
    const char **texts = malloc(n * sizeof *texts);
    for (size_t i = 0; i < n; i++)
        texts[i] = S[i].text;
    ner_doc **docs = calloc(n, sizeof *docs);
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = 2;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_pipeline_process_batch(pl, texts, NULL, n, docs, &bp, err, sizeof err),
                     NER_OK);
    free(texts);
    return docs;
}

/* Entity F1 by the README's method (first wordpiece of each CoNLL word) of
 * mini-bert-conll loaded with the bert_tagger config extra (merged into
 * "aggregation": "none"): f[0..3] per TYPES, f[4] overall. */
static void readme_f1(const char *what, const char *extra, double f[5])
{
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/models/mini-bert-conll", shared_dir);
    sent *S = NULL;
    size_t n = read_testa(&S);
    assert_int_equal(n, 3250);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "{\"aggregation\": \"none\", \"ignore_labels\": []%s}", extra);
    ner_pipeline *pl = load_with(dir, cfg);
    ner_doc **docs = run_all(pl, S, n);
    size_t tp[5] = {0}, np[5] = {0}, ng[5] = {0};
    span3 *gs = malloc(256 * sizeof *gs), *ps = malloc(256 * sizeof *ps);
    int *pred = malloc(256 * sizeof *pred);
    for (size_t i = 0; i < n; i++) {
        const ner_ents *e = ner_doc_ents(docs[i]);
        size_t k = 0, ne = ner_ents_count(e);
        for (size_t w = 0; w < S[i].n; w++) {
            /* the first piece of the word starts where the word starts */
            while (k < ne && ner_span_start_char(ner_ents_get(e, k)) < S[i].wstart[w])
                k++;
            assert_true(k < ne);
            assert_int_equal(ner_span_start_char(ner_ents_get(e, k)), S[i].wstart[w]);
            pred[w] = tag_code(ner_span_label(ner_ents_get(e, k)));
            assert_true(pred[w] >= 0);
        }
        size_t g = spans(S[i].gold, S[i].n, gs), p = spans(pred, S[i].n, ps);
        for (size_t a = 0; a < g; a++) {
            ng[gs[a].t]++;
            ng[4]++;
            for (size_t b = 0; b < p; b++)
                if (gs[a].s == ps[b].s && gs[a].e == ps[b].e && gs[a].t == ps[b].t) {
                    tp[gs[a].t]++;
                    tp[4]++;
                }
        }
        for (size_t b = 0; b < p; b++) {
            np[ps[b].t]++;
            np[4]++;
        }
        ner_doc_free(docs[i]);
    }
    print_message("mini-bert-conll %s, CoNLL dev, first wordpiece of each word (README "
                  "method):\n", what);
    for (int t = 0; t < 5; t++) {
        f[t] = f1(tp[t], np[t], ng[t]);
        double want = t < 4 ? README_F1[t] : README_ALL;
        print_message("  %-7s P %.4f R %.4f F1 %.4f (README %.4f) gold %zu\n",
                      t < 4 ? TYPES[t] : "overall", np[t] ? (double)tp[t] / (double)np[t] : 0,
                      ng[t] ? (double)tp[t] / (double)ng[t] : 0, f[t], want, ng[t]);
    }
    assert_int_equal(ng[4], 5942);
    free(gs);
    free(ps);
    free(pred);
    free(docs);
    ner_pipeline_free(pl);
    for (size_t i = 0; i < n; i++) {
        free(S[i].text);
        free(S[i].wstart);
        free(S[i].gold);
    }
    free(S);
}

static void test_readme_first_wordpiece(void **st)
{
    (void)st;
    if (!have_shared()) {
        print_message("skipped: ../shared/models/mini-bert-conll or the CoNLL dev split "
                      "is absent\n");
        skip();
    }
    double f[5];
    readme_f1("f32", "", f);
    for (int t = 0; t < 5; t++) {
        double want = t < 4 ? README_F1[t] : README_ALL;
        assert_true(f[t] > want - 0.00005 && f[t] < want + 0.00005);
    }
}

/* BF16 and INT8 may lose at most 0.5 F1 points overall against the F32
 * figure (the README's).  On CPUs without AVX512-BF16 / VNNI this runs the
 * portable loops: slow but the same arithmetic. */
static void test_low_precision(void **st)
{
    (void)st;
    if (!have_shared()) {
        print_message("skipped: ../shared/models/mini-bert-conll or the CoNLL dev split "
                      "is absent\n");
        skip();
    }
    const char *names[2] = {"bf16", "int8"};
    for (int i = 0; i < 2; i++) {
        char extra[64];
        snprintf(extra, sizeof extra, ", \"precision\": \"%s\"", names[i]);
        double f[5];
        readme_f1(names[i], extra, f);
        assert_true(f[4] >= README_ALL - 0.005);
        for (int t = 0; t < 4; t++)
            assert_true(f[t] >= README_F1[t] - 0.02);
    }
}

/* eng.testa without its -DOCSTART- lines: one text per sentence. */
static char *sentence_file(void)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/data/conll2003/eng.testa", shared_dir);
    FILE *in = fopen(p, "r");
    assert_non_null(in);
    char *path = strdup("/tmp/libner-conll-dev-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "w");
    char line[1024];
    int skip_blank = 0;
    while (fgets(line, sizeof line, in)) {
        if (strncmp(line, "-DOCSTART-", 10) == 0) {
            skip_blank = 1;
            continue;
        }
        if (skip_blank && line[0] == '\n')
            continue;
        skip_blank = 0;
        fputs(line, out);
    }
    fclose(in);
    fclose(out);
    return path;
}

static void test_evaluate_strategies(void **st)
{
    (void)st;
    if (!have_shared()) {
        print_message("skipped: ../shared/models/mini-bert-conll or the CoNLL dev split "
                      "is absent\n");
        skip();
    }
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/models/mini-bert-conll", shared_dir);
    /* eng.testa as it is, one text per sentence by NER_EVAL_SENTENCES; the
     * first pass also reads a copy without -DOCSTART- lines (sentences by
     * default) and must score the same. */
    char raw[1200];
    snprintf(raw, sizeof raw, "%s/data/conll2003/eng.testa", shared_dir);
    char *data = sentence_file();
    static const char *const strat[] = {"first", "first", "first", "simple", "average", "max"};
    for (size_t k = 0; k < 6; k++) {
        char cfg[100];
        snprintf(cfg, sizeof cfg, "{\"aggregation\": \"%s\"%s}", strat[k],
                 k < 2 ? ", \"words\": \"whitespace\"" : "");
        ner_pipeline *pl = load_with(dir, cfg);
        ner_eval_params ep;
        ner_eval_params_init(&ep, sizeof ep);
        ep.n_threads = 2;
        ep.format = NER_FORMAT_CONLL;
        if (k != 1)
            ep.flags |= NER_EVAL_SENTENCES;
        char *json = NULL, err[NER_ERRBUF_SIZE] = "";
        int rc = ner_evaluate(pl, k == 1 ? data : raw, &ep, &json, err, sizeof err);
        if (rc != NER_OK)
            print_message("ner_evaluate: %s\n", err);
        assert_int_equal(rc, NER_OK);
        json_error_t je;
        json_t *r = json_loads(json, 0, &je);
        assert_non_null(r);
        assert_int_equal(json_integer_value(json_object_get(r, "docs")), 3250);
        double all = json_number_value(json_object_get(r, "ents_f"));
        print_message("ner_evaluate, %-7s%s%s: F1 %.4f;", strat[k],
                      k < 2 ? " (whitespace words)" : "",
                      k == 1 ? " (no -DOCSTART-)" : "", all);
        json_t *per = json_object_get(r, "ents_per_type");
        for (int t = 0; t < 4; t++) {
            double f = json_number_value(json_object_get(json_object_get(per, TYPES[t]), "f"));
            print_message(" %s %.4f", TYPES[t], f);
            if (k < 2) /* the README's decoding */
                assert_true(f > README_F1[t] - 0.00005 && f < README_F1[t] + 0.00005);
            else if (k == 2)
                assert_true(f > README_F1[t] - 0.02 && f < README_F1[t] + 0.02);
            else
                assert_true(f > 0.5); /* looks like NER */
        }
        /* no label other than the four types */
        const char *key;
        json_t *v;
        json_object_foreach(per, key, v)
            assert_true(type_of(key) >= 0);
        print_message("\n");
        if (k < 2)
            assert_true(all > README_ALL - 0.00005 && all < README_ALL + 0.00005);
        json_decref(r);
        ner_string_free(json);
        ner_pipeline_free(pl);
    }
    unlink(data);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_first_wordpiece),
        cmocka_unit_test(test_low_precision),
        cmocka_unit_test(test_evaluate_strategies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
