/* lib/nn/bert: golden logits and hidden states from the PyTorch reference
 * (tests/fixtures/nn, made by make_fixtures.sh), every kernel against the
 * reference loops, thread and packing invariance, hand-built variants
 * (old gamma/beta names, shards, DistilBERT and RoBERTa layouts, misaligned
 * data), the trained mini-bert-conll model, and every error path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>

#include "ner/ner.h"
#include "nn/bert.h"
#include "nn/bert_impl.h"
#include "nn/kernels.h"
#include "nn/safetensors.h"
#include "nn_test_util.h"

static const char *const FIXTURES[] = {
    "tiny", "tiny-f16", "tiny-bf16", "relu-h24", "tanh-h48-bf16", "head64-f16",
};
#define NFIX (sizeof FIXTURES / sizeof FIXTURES[0])

/* ------------------------------------------------------------ golden data */

typedef struct golden {
    size_t B, Tpad, nl, layers, H;
    int32_t *ids, *types;       /* packed, real tokens only */
    size_t lens[8];
    size_t T;                   /* packed tokens */
    size_t *row_b, *row_t;      /* packed row -> (batch, position) */
    npy logits, hidden;         /* [B,Tpad,nl], [1+L,B,Tpad,H] */
} golden;

static int load_golden(const char *dir, golden *g)
{
    memset(g, 0, sizeof *g);
    char p[600];
    snprintf(p, sizeof p, "%s/golden.json", dir);
    json_error_t je;
    json_t *root = json_load_file(p, 0, &je);
    if (!root)
        return -1;
    json_t *ids = json_object_get(root, "input_ids");
    json_t *mask = json_object_get(root, "attention_mask");
    json_t *types = json_object_get(root, "token_type_ids");
    g->B = json_array_size(ids);
    g->Tpad = json_array_size(json_array_get(ids, 0));
    g->ids = calloc(g->B * g->Tpad, sizeof *g->ids);
    g->types = calloc(g->B * g->Tpad, sizeof *g->types);
    g->row_b = calloc(g->B * g->Tpad, sizeof *g->row_b);
    g->row_t = calloc(g->B * g->Tpad, sizeof *g->row_t);
    for (size_t b = 0; b < g->B; b++) {
        for (size_t t = 0; t < g->Tpad; t++) {
            if (json_integer_value(json_array_get(json_array_get(mask, b), t)) != 1)
                continue;
            g->ids[g->T] = (int32_t)json_integer_value(json_array_get(json_array_get(ids, b), t));
            g->types[g->T] =
                (int32_t)json_integer_value(json_array_get(json_array_get(types, b), t));
            g->row_b[g->T] = b;
            g->row_t[g->T] = t;
            g->lens[b]++;
            g->T++;
        }
    }
    json_decref(root);
    snprintf(p, sizeof p, "%s/golden_logits.npy", dir);
    if (npy_read(p, &g->logits))
        return -1;
    snprintf(p, sizeof p, "%s/golden_hidden.npy", dir);
    if (npy_read(p, &g->hidden))
        return -1;
    g->nl = g->logits.shape[2];
    g->layers = g->hidden.shape[0] - 1;
    g->H = g->hidden.shape[3];
    return 0;
}

static void free_golden(golden *g)
{
    free(g->ids);
    free(g->types);
    free(g->row_b);
    free(g->row_t);
    free(g->logits.data);
    free(g->hidden.data);
}

/* max |logits - golden| over real rows (rows with seqmask[b] only if given) */
static double diff_logits(const golden *g, const float *logits, const int *only_b)
{
    double mx = 0;
    for (size_t r = 0; r < g->T; r++) {
        size_t b = g->row_b[r], t = g->row_t[r];
        if (only_b && !only_b[b])
            continue;
        for (size_t j = 0; j < g->nl; j++) {
            double d = fabs((double)logits[r * g->nl + j] -
                            (double)g->logits.data[(b * g->Tpad + t) * g->nl + j]);
            if (d > mx || isnan(d))
                mx = isnan(d) ? INFINITY : d;
        }
    }
    return mx;
}

static double diff_hidden(const golden *g, const float *hidden, size_t layer)
{
    double mx = 0;
    for (size_t r = 0; r < g->T; r++) {
        size_t b = g->row_b[r], t = g->row_t[r];
        const float *want = g->hidden.data + ((layer * g->B + b) * g->Tpad + t) * g->H;
        const float *got = hidden + (layer * g->T + r) * g->H;
        for (size_t j = 0; j < g->H; j++) {
            double d = fabs((double)got[j] - (double)want[j]);
            if (d > mx || isnan(d))
                mx = isnan(d) ? INFINITY : d;
        }
    }
    return mx;
}

static nn_bert *load_fixture(const char *name)
{
    char dir[512], err[512] = "";
    nn_bert *m = NULL;
    int rc = nn_bert_load(&m, fixture_dir(dir, sizeof dir, name), err, sizeof err);
    if (rc)
        print_error("%s: %s\n", name, err);
    assert_int_equal(rc, NER_OK);
    return m;
}

static const char *kernel_name(int k)
{
    return k == NN_KERNEL_AVX512 ? "avx512" : k == NN_KERNEL_BLAS ? "blas" : "ref";
}

/* ------------------------------------------------------------ golden tests */

static void test_golden(void **state)
{
    (void)state;
    int kernels[3] = {NN_KERNEL_REF, NN_KERNEL_BLAS, NN_KERNEL_AVX512};
    int nk = nn_cpu_has_avx512() ? 3 : 2;
    for (size_t f = 0; f < NFIX; f++) {
        char dir[512];
        golden g;
        assert_int_equal(load_golden(fixture_dir(dir, sizeof dir, FIXTURES[f]), &g), 0);
        nn_bert *m = load_fixture(FIXTURES[f]);
        const nn_bert_config *c = nn_bert_get_config(m);
        assert_int_equal(c->num_labels, g.nl);
        assert_int_equal(c->layers, g.layers);
        assert_int_equal(c->hidden, g.H);
        assert_string_equal(c->id2label[0], "O");
        assert_string_equal(c->id2label[8], "I-MISC");
        float *logits = malloc(g.T * g.nl * sizeof(float));
        float *hidden = malloc((g.layers + 1) * g.T * g.H * sizeof(float));
        for (int ki = 0; ki < nk; ki++) {
            nn_bert_set_kernel(m, kernels[ki]);
            for (unsigned th = 1; th <= 2; th++) {
                nn_workspace *ws = nn_workspace_new_threads(th);
                char err[256] = "";
                assert_int_equal(nn_bert_forward_hidden(m, ws, g.ids, g.types, g.lens, g.B,
                                                        logits, hidden, err, sizeof err),
                                 NER_OK);
                double dl = diff_logits(&g, logits, NULL), dh = 0;
                for (size_t l = 0; l <= g.layers; l++) {
                    double d = diff_hidden(&g, hidden, l);
                    if (d > 1e-4)
                        print_error("%s %s: layer %zu hidden differs by %g\n", FIXTURES[f],
                                    kernel_name(kernels[ki]), l, d);
                    if (d > dh)
                        dh = d;
                }
                print_message("%-14s %-6s threads %u: max |logits - golden| %.2e, "
                              "max |hidden - golden| %.2e\n", FIXTURES[f],
                              kernel_name(kernels[ki]), th, dl, dh);
                assert_true(dl <= 1e-4);
                assert_true(dh <= 1e-4);
                /* nn_bert_forward gives the same logits */
                float *l2 = malloc(g.T * g.nl * sizeof(float));
                assert_int_equal(nn_bert_forward(m, ws, g.ids, g.types, g.lens, g.B, l2,
                                                 err, sizeof err), NER_OK);
                assert_memory_equal(l2, logits, g.T * g.nl * sizeof(float));
                free(l2);
                nn_workspace_free(ws);
            }
        }
        free(logits);
        free(hidden);
        nn_bert_free(m);
        free_golden(&g);
    }
}

/* ------------------------------------------------------------ fast vs reference */

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

typedef struct batch {
    size_t nseq, T, lens[40];
    int32_t *ids, *types;
} batch;

static void make_batch(const nn_bert_config *c, batch *b, size_t nseq, size_t maxlen)
{
    b->nseq = nseq;
    b->T = 0;
    for (size_t s = 0; s < nseq; s++) {
        b->lens[s] = s == 0 ? maxlen : rnd() % (maxlen + 1); /* 0-length allowed */
        b->T += b->lens[s];
    }
    b->ids = malloc((b->T + 1) * sizeof *b->ids);
    b->types = malloc((b->T + 1) * sizeof *b->types);
    for (size_t r = 0; r < b->T; r++) {
        b->ids[r] = (int32_t)(rnd() % c->vocab_size);
        b->types[r] = c->type_vocab_size ? (int32_t)(rnd() % c->type_vocab_size) : 0;
    }
}

static double rel_diff(const float *a, const float *b, size_t n)
{
    double mx = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
        if (d > mx || isnan(d))
            mx = isnan(d) ? INFINITY : d;
    }
    return mx;
}

static void test_fast_vs_ref(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFIX; f++) {
        nn_bert *m = load_fixture(FIXTURES[f]);
        const nn_bert_config *c = nn_bert_get_config(m);
        batch b;
        make_batch(c, &b, 7, c->max_seq_len);
        size_t nl = c->num_labels, H = c->hidden, L = c->layers;
        float *ref = malloc(b.T * nl * sizeof(float)), *got = malloc(b.T * nl * sizeof(float));
        float *href = malloc((L + 1) * b.T * H * sizeof(float));
        float *hgot = malloc((L + 1) * b.T * H * sizeof(float));
        nn_bert_set_kernel(m, NN_KERNEL_REF);
        nn_workspace *ws = nn_workspace_new();
        char err[256];
        assert_int_equal(nn_bert_forward_hidden(m, ws, b.ids, b.types, b.lens, b.nseq, ref, href,
                                                err, sizeof err), 0);
        int kernels[2] = {NN_KERNEL_BLAS, NN_KERNEL_AVX512};
        for (int ki = 0; ki < (nn_cpu_has_avx512() ? 2 : 1); ki++) {
            nn_bert_set_kernel(m, kernels[ki]);
            assert_int_equal(nn_bert_forward_hidden(m, ws, b.ids, b.types, b.lens, b.nseq, got,
                                                    hgot, err, sizeof err), 0);
            double dl = rel_diff(got, ref, b.T * nl);
            double dh = rel_diff(hgot, href, (L + 1) * b.T * H);
            print_message("%-14s %-6s vs ref, %zu tokens in %zu sequences (longest %zu): "
                          "logits %.2e, hidden %.2e\n", FIXTURES[f], kernel_name(kernels[ki]),
                          b.T, b.nseq, c->max_seq_len, dl, dh);
            assert_true(dl <= 1e-4);
            assert_true(dh <= 1e-4);
        }
        nn_workspace_free(ws);
        free(ref);
        free(got);
        free(href);
        free(hgot);
        free(b.ids);
        free(b.types);
        nn_bert_free(m);
    }
}

/* Thread count and packing never change a bit of the AVX-512 path's output. */
static void test_invariance(void **state)
{
    (void)state;
    if (!nn_cpu_has_avx512()) {
        skip();
        return;
    }
    nn_bert *m = load_fixture("tanh-h48-bf16");
    nn_bert_set_kernel(m, NN_KERNEL_AVX512);
    const nn_bert_config *c = nn_bert_get_config(m);
    batch b;
    make_batch(c, &b, 9, 50);
    size_t nl = c->num_labels;
    float *one = malloc(b.T * nl * sizeof(float)), *x = malloc(b.T * nl * sizeof(float));
    char err[256];
    nn_workspace *ws1 = nn_workspace_new();
    assert_int_equal(nn_bert_forward(m, ws1, b.ids, b.types, b.lens, b.nseq, one, err,
                                     sizeof err), 0);
    for (unsigned th = 2; th <= 4; th++) {
        nn_workspace *ws = nn_workspace_new_threads(th);
        assert_non_null(ws);
        for (int rep = 0; rep < 3; rep++) {
            memset(x, 0, b.T * nl * sizeof(float));
            assert_int_equal(nn_bert_forward(m, ws, b.ids, b.types, b.lens, b.nseq, x, err,
                                             sizeof err), 0);
            assert_memory_equal(x, one, b.T * nl * sizeof(float));
        }
        nn_workspace_free(ws);
    }
    /* each sequence alone gives its rows of the packed run */
    size_t row = 0;
    for (size_t s = 0; s < b.nseq; s++) {
        assert_int_equal(nn_bert_forward(m, ws1, b.ids + row, b.types + row, &b.lens[s], 1, x,
                                         err, sizeof err), 0);
        assert_memory_equal(x, one + row * nl, b.lens[s] * nl * sizeof(float));
        row += b.lens[s];
    }
    /* NULL type ids == all zeros */
    memset(b.types, 0, b.T * sizeof *b.types);
    assert_int_equal(nn_bert_forward(m, ws1, b.ids, b.types, b.lens, b.nseq, one, err,
                                     sizeof err), 0);
    assert_int_equal(nn_bert_forward(m, ws1, b.ids, NULL, b.lens, b.nseq, x, err, sizeof err), 0);
    assert_memory_equal(x, one, b.T * nl * sizeof(float));
    nn_workspace_free(ws1);
    free(one);
    free(x);
    free(b.ids);
    free(b.types);
    nn_bert_free(m);
}

/* The OpenBLAS path gives the same bits with any thread count too (the work
 * is chunked by shape, not by threads). */
static void test_blas_threads(void **state)
{
    (void)state;
    nn_bert *m = load_fixture("head64-f16");
    nn_bert_set_kernel(m, NN_KERNEL_BLAS);
    const nn_bert_config *c = nn_bert_get_config(m);
    batch b;
    make_batch(c, &b, 6, c->max_seq_len);
    size_t nl = c->num_labels;
    float *one = malloc(b.T * nl * sizeof(float)), *x = malloc(b.T * nl * sizeof(float));
    char err[256];
    nn_workspace *ws1 = nn_workspace_new();
    assert_int_equal(nn_bert_forward(m, ws1, b.ids, b.types, b.lens, b.nseq, one, err,
                                     sizeof err), 0);
    nn_workspace *ws3 = nn_workspace_new_threads(3);
    assert_int_equal(nn_bert_forward(m, ws3, b.ids, b.types, b.lens, b.nseq, x, err,
                                     sizeof err), 0);
    assert_memory_equal(x, one, b.T * nl * sizeof(float));
    nn_workspace_free(ws1);
    nn_workspace_free(ws3);
    free(one);
    free(x);
    free(b.ids);
    free(b.types);
    nn_bert_free(m);
}

/* One model shared by several threads, each with its own workspace (some
 * with workers of their own): every result equals the single-thread one. */
typedef struct share_arg {
    const nn_bert *m;
    const batch *b;
    const float *want;
    unsigned ws_threads;
    int ok;
} share_arg;

static void *share_main(void *p)
{
    share_arg *a = p;
    size_t nl = nn_bert_get_config(a->m)->num_labels;
    float *x = malloc(a->b->T * nl * sizeof(float));
    nn_workspace *ws = nn_workspace_new_threads(a->ws_threads);
    a->ok = ws != NULL && x != NULL;
    for (int rep = 0; rep < 4 && a->ok; rep++) {
        if (nn_bert_forward(a->m, ws, a->b->ids, a->b->types, a->b->lens, a->b->nseq, x, NULL,
                            0) != 0 ||
            memcmp(x, a->want, a->b->T * nl * sizeof(float)) != 0)
            a->ok = 0;
    }
    nn_workspace_free(ws);
    free(x);
    return NULL;
}

static void test_shared_model(void **state)
{
    (void)state;
    nn_bert *m = load_fixture("tiny-bf16");
    const nn_bert_config *c = nn_bert_get_config(m);
    batch b;
    make_batch(c, &b, 5, c->max_seq_len);
    float *want = malloc(b.T * c->num_labels * sizeof(float));
    nn_workspace *ws = nn_workspace_new();
    char err[256];
    assert_int_equal(nn_bert_forward(m, ws, b.ids, b.types, b.lens, b.nseq, want, err,
                                     sizeof err), 0);
    nn_workspace_free(ws);
    pthread_t th[4];
    share_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (share_arg){m, &b, want, (unsigned)(1 + i % 2), 0};
        assert_int_equal(pthread_create(&th[i], NULL, share_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(args[i].ok);
    }
    free(want);
    free(b.ids);
    free(b.types);
    nn_bert_free(m);
}

/* More tokens than one group (2048): the groups join up seamlessly. */
static void test_many_sequences(void **state)
{
    (void)state;
    nn_bert *m = load_fixture("tiny");
    const nn_bert_config *c = nn_bert_get_config(m);
    size_t nseq = 100, T = 0, lens[100];
    for (size_t s = 0; s < nseq; s++) {
        lens[s] = 1 + rnd() % c->max_seq_len;
        T += lens[s];
    }
    assert_true(T > 2048);
    int32_t *ids = malloc(T * sizeof *ids);
    for (size_t r = 0; r < T; r++)
        ids[r] = (int32_t)(rnd() % c->vocab_size);
    size_t nl = c->num_labels;
    float *a = malloc(T * nl * sizeof(float)), *bb = malloc(T * nl * sizeof(float));
    char err[256];
    size_t hn = (c->layers + 1) * T * c->hidden;
    float *ha = malloc(hn * sizeof(float)), *hb = malloc(hn * sizeof(float));
    nn_workspace *ws = nn_workspace_new_threads(2);
    assert_int_equal(nn_bert_forward_hidden(m, ws, ids, NULL, lens, nseq, a, ha, err,
                                            sizeof err), 0);
    nn_bert_set_kernel(m, NN_KERNEL_REF);
    assert_int_equal(nn_bert_forward_hidden(m, ws, ids, NULL, lens, nseq, bb, hb, err,
                                            sizeof err), 0);
    assert_true(rel_diff(a, bb, T * nl) <= 1e-4);
    assert_true(rel_diff(ha, hb, hn) <= 1e-4);
    free(ha);
    free(hb);
    nn_workspace_free(ws);
    free(ids);
    free(a);
    free(bb);
    nn_bert_free(m);
}

/* ------------------------------------------------------------ input errors */

static void test_input_errors(void **state)
{
    (void)state;
    nn_bert *m = load_fixture("tiny");
    const nn_bert_config *c = nn_bert_get_config(m);
    nn_workspace *ws = nn_workspace_new();
    int32_t ids[80] = {2, 10, 3};
    int32_t types[3] = {0, 1, 0};
    size_t len = 3;
    float out[80 * 9];
    char err[256] = "";
    ids[1] = (int32_t)c->vocab_size;
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 1, out, err, sizeof err),
                     NER_ERANGE);
    assert_non_null(strstr(err, "out of range"));
    ids[1] = -1;
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 1, out, err, sizeof err),
                     NER_ERANGE);
    ids[1] = 10;
    types[1] = 2;
    assert_int_equal(nn_bert_forward(m, ws, ids, types, &len, 1, out, err, sizeof err),
                     NER_ERANGE);
    assert_non_null(strstr(err, "token type"));
    len = c->max_seq_len + 1;
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 1, out, err, sizeof err),
                     NER_ETOOBIG);
    assert_non_null(strstr(err, "at most 64"));
    len = 3;
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 1, NULL, err, sizeof err),
                     NER_EINVAL);
    assert_int_equal(nn_bert_forward(NULL, ws, ids, NULL, &len, 1, out, err, sizeof err),
                     NER_EINVAL);
    assert_int_equal(nn_bert_forward(m, NULL, ids, NULL, &len, 1, out, err, sizeof err),
                     NER_EINVAL);
    assert_int_equal(nn_bert_forward(m, ws, NULL, NULL, &len, 1, out, err, sizeof err),
                     NER_EINVAL);
    /* nothing to do is fine */
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 0, out, NULL, 0), NER_OK);
    len = 0;
    assert_int_equal(nn_bert_forward(m, ws, NULL, NULL, &len, 1, out, NULL, 0), NER_OK);
    /* a full-length sequence runs */
    len = c->max_seq_len;
    for (size_t i = 0; i < len; i++)
        ids[i] = (int32_t)(i % c->vocab_size);
    assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &len, 1, out, err, sizeof err), NER_OK);
    nn_workspace_free(ws);
    nn_workspace_free(NULL);
    nn_bert_free(m);
    nn_bert_free(NULL);
}

/* ------------------------------------------------------------ model folders */

typedef struct model_src {
    nn_st *st;
    stw_tensor *t;
    size_t n;
    char *config;
} model_src;

static void src_open(model_src *s, const char *fixture)
{
    char dir[512], path[600], err[256];
    fixture_dir(dir, sizeof dir, fixture);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(nn_st_open(&s->st, path, err, sizeof err), 0);
    s->n = nn_st_count(s->st);
    s->t = calloc(s->n + 8, sizeof *s->t);
    for (size_t i = 0; i < s->n; i++) {
        const nn_st_tensor *x = nn_st_at(s->st, i);
        snprintf(s->t[i].name, sizeof s->t[i].name, "%s", x->name);
        s->t[i].dtype = nn_st_dtype_name(x->dtype);
        s->t[i].ndim = x->ndim;
        for (size_t d = 0; d < x->ndim; d++)
            s->t[i].shape[d] = x->shape[d];
        s->t[i].data = x->data;
        s->t[i].nbytes = x->nbytes;
    }
    snprintf(path, sizeof path, "%s/config.json", dir);
    s->config = read_all(path, NULL);
}

static void src_close(model_src *s)
{
    free(s->t);
    free(s->config);
    nn_st_close(s->st);
}

static stw_tensor *src_find(model_src *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    return NULL;
}

static void src_rename_all(model_src *s, const char *from, const char *to)
{
    for (size_t i = 0; i < s->n; i++) {
        char *p = strstr(s->t[i].name, from);
        if (!p)
            continue;
        char buf[160];
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - s->t[i].name), s->t[i].name, to,
                 p + strlen(from));
        snprintf(s->t[i].name, sizeof s->t[i].name, "%s", buf);
    }
}

/* writes dir/config.json (text) and dir/model.safetensors (tensors) */
static void write_model(const char *dir, const char *config, const stw_tensor *t, size_t n,
                        int pad)
{
    char path[600];
    snprintf(path, sizeof path, "%s/config.json", dir);
    assert_int_equal(write_file(path, config, strlen(config)), 0);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(stw_write(path, t, n, pad), 0);
}

/* config text with `key` set to the JSON `value` (added when absent) */
static char *config_with(const char *config, const char *key, const char *value)
{
    json_t *root = json_loads(config, 0, NULL);
    assert_non_null(root);
    if (value)
        json_object_set_new(root, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(root, key);
    char *s = json_dumps(root, 0);
    json_decref(root);
    return s;
}

static void expect_load_error(const char *dir, int rc_want, const char *n1, const char *n2)
{
    nn_bert *m = (nn_bert *)1;
    char err[512] = "";
    int rc = nn_bert_load(&m, dir, err, sizeof err);
    if (rc != rc_want || (n1 && !strstr(err, n1)) || (n2 && !strstr(err, n2)))
        print_error("rc %d, message: %s\n", rc, err);
    assert_int_equal(rc, rc_want);
    assert_null(m);
    if (n1)
        assert_non_null(strstr(err, n1));
    if (n2)
        assert_non_null(strstr(err, n2));
}

static void test_config_errors(void **state)
{
    (void)state;
    model_src s;
    src_open(&s, "tiny");
    char *dir = tmp_dir();
    char *cfg;

    expect_load_error(dir, NER_ENOTFOUND, "config.json", NULL);
    expect_load_error("/nonexistent/model", NER_ENOTFOUND, "config.json", NULL);

    cfg = config_with(s.config, "hidden_act", "\"swish\"");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EUNSUPPORTED, "config.json", "hidden_act");
    free(cfg);

    cfg = config_with(s.config, "model_type", "\"gpt2\"");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EUNSUPPORTED, "config.json", "model_type");
    free(cfg);

    cfg = config_with(s.config, "id2label", "{\"0\":\"O\",\"1\":\"B-PER\",\"2\":\"I-PER\"}");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "has 3 labels", "classifier.weight has 9 rows");
    free(cfg);

    cfg = config_with(s.config, "id2label", "{\"0\":\"O\",\"x\":\"B-PER\"}");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "config.json", "id2label");
    free(cfg);

    cfg = config_with(s.config, "id2label", "{\"0\":\"O\",\"1\":7}");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "config.json", "id2label");
    free(cfg);

    cfg = config_with(s.config, "num_attention_heads", "5");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "config.json", "num_attention_heads");
    free(cfg);

    cfg = config_with(s.config, "hidden_size", "\"32\"");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "config.json", "hidden_size");
    free(cfg);

    cfg = config_with(s.config, "vocab_size", "500");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "bert.embeddings.word_embeddings.weight", "vocab_size");
    free(cfg);

    cfg = config_with(s.config, "intermediate_size", "40");
    write_model(dir, cfg, s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "intermediate.dense.weight", "intermediate_size");
    free(cfg);

    write_model(dir, "{\"model_type\": \"bert\",", s.t, s.n, 1);
    expect_load_error(dir, NER_EFORMAT, "config.json", NULL);

    /* a missing tensor */
    model_src s2;
    src_open(&s2, "tiny");
    stw_tensor *t = src_find(&s2, "bert.encoder.layer.1.output.dense.bias");
    assert_non_null(t);
    s2.n--;
    *t = s2.t[s2.n];
    write_model(dir, s2.config, s2.t, s2.n, 1);
    expect_load_error(dir, NER_ENOTFOUND, "bert.encoder.layer.1.output.dense.bias", NULL);
    src_close(&s2);

    /* no classifier: not a token classifier */
    src_open(&s2, "tiny");
    t = src_find(&s2, "classifier.weight");
    assert_non_null(t);
    s2.n--;
    *t = s2.t[s2.n];
    write_model(dir, s2.config, s2.t, s2.n, 1);
    expect_load_error(dir, NER_ENOTFOUND, "classifier.weight", "token-classification");
    src_close(&s2);

    /* a weight stored as I32 */
    src_open(&s2, "tiny");
    src_find(&s2, "bert.encoder.layer.0.attention.self.key.weight")->dtype = "I32";
    write_model(dir, s2.config, s2.t, s2.n, 1);
    expect_load_error(dir, NER_EUNSUPPORTED, "attention.self.key.weight", "unsupported dtype I32");
    src_close(&s2);

    /* a corrupt safetensors file */
    char path[600];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(write_file(path, "\x04\0\0\0\0\0\0\0{}", 10), 0);
    expect_load_error(dir, NER_EFORMAT, "model.safetensors", "past the end");
    remove(path);
    expect_load_error(dir, NER_ENOTFOUND, "model.safetensors", NULL);

    /* load options */
    write_model(dir, s.config, s.t, s.n, 1);
    nn_bert_options o;
    nn_bert_options_init(&o);
    o.precision = 99;
    nn_bert *m = NULL;
    char err[256];
    assert_int_equal(nn_bert_load_ex(&m, dir, &o, err, sizeof err), NER_EUNSUPPORTED);
    assert_non_null(strstr(err, "precision 99"));
    o.precision = NN_PRECISION_F32;
    o.size = 3;
    assert_int_equal(nn_bert_load_ex(&m, dir, &o, err, sizeof err), NER_EABI);
    nn_bert_options_init(&o);
    o.flags = NN_BERT_KEEP_BLAS_THREADS;
    assert_int_equal(nn_bert_load_ex(&m, dir, &o, err, sizeof err), NER_OK);
    nn_bert_free(m);
    assert_int_equal(nn_bert_load(NULL, dir, err, sizeof err), NER_EINVAL);

    rm_tree(dir);
    free(dir);
    src_close(&s);
}

/* logits of the variant folder dir vs the tiny golden on the sentences
 * only_b selects (NULL: all) with type ids as given */
static double variant_diff(const char *dir, const golden *g, const int32_t *types,
                           const int *only_b)
{
    nn_bert *m = NULL;
    char err[512] = "";
    int rc = nn_bert_load(&m, dir, err, sizeof err);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    float *logits = malloc(g->T * g->nl * sizeof(float));
    nn_workspace *ws = nn_workspace_new();
    assert_int_equal(nn_bert_forward(m, ws, g->ids, types, g->lens, g->B, logits, err,
                                     sizeof err), 0);
    double d = diff_logits(g, logits, only_b);
    nn_workspace_free(ws);
    free(logits);
    nn_bert_free(m);
    return d;
}

static void test_variants(void **state)
{
    (void)state;
    char gd[512], path[600];
    golden g;
    assert_int_equal(load_golden(fixture_dir(gd, sizeof gd, "tiny"), &g), 0);
    char *dir = tmp_dir();
    double d;

    /* old LayerNorm.gamma / beta names, extra pooler and I64 position_ids */
    model_src s;
    src_open(&s, "tiny");
    src_rename_all(&s, "LayerNorm.weight", "LayerNorm.gamma");
    src_rename_all(&s, "LayerNorm.bias", "LayerNorm.beta");
    static int64_t posids[64];
    static float pooler[32 * 32];
    for (int i = 0; i < 64; i++)
        posids[i] = i;
    s.t[s.n++] = (stw_tensor){"bert.embeddings.position_ids", "I64", 2, {1, 64}, posids,
                              sizeof posids};
    s.t[s.n++] = (stw_tensor){"bert.pooler.dense.weight", "F32", 2, {32, 32}, pooler,
                              sizeof pooler};
    s.t[s.n++] = (stw_tensor){"bert.pooler.dense.bias", "F32", 1, {32}, pooler, 32 * 4};
    write_model(dir, s.config, s.t, s.n, 1);
    d = variant_diff(dir, &g, g.types, NULL);
    print_message("gamma/beta names + pooler + I64 position_ids: %.2e\n", d);
    assert_true(d <= 1e-4);

    /* misaligned header: F32 data copied, same result */
    write_model(dir, s.config, s.t, s.n, 0);
    d = variant_diff(dir, &g, g.types, NULL);
    print_message("misaligned F32 data: %.2e\n", d);
    assert_true(d <= 1e-4);
    src_close(&s);

    /* three shards and an index */
    src_open(&s, "tiny");
    char *index = malloc(65536);
    size_t o = (size_t)snprintf(index, 65536, "{\"metadata\":{\"total_size\":0},\"weight_map\":{");
    size_t per = (s.n + 2) / 3;
    for (size_t k = 0; k < 3; k++) {
        size_t a = k * per, b = a + per < s.n ? a + per : s.n;
        snprintf(path, sizeof path, "%s/model-%05zu-of-00003.safetensors", dir, k + 1);
        assert_int_equal(stw_write(path, s.t + a, b - a, 1), 0);
        for (size_t i = a; i < b; i++)
            o += (size_t)snprintf(index + o, 65536 - o, "%s\"%s\":\"model-%05zu-of-00003.safetensors\"",
                                  i ? "," : "", s.t[i].name, k + 1);
    }
    snprintf(index + o, 65536 - o, "}}");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    assert_int_equal(write_file(path, index, strlen(index)), 0);
    d = variant_diff(dir, &g, g.types, NULL);
    print_message("3 shards + model.safetensors.index.json: %.2e\n", d);
    assert_true(d <= 1e-4);
    remove(path);
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/model-%05zu-of-00003.safetensors", dir, k + 1);
        remove(path);
    }
    free(index);
    src_close(&s);

    /* DistilBERT: the same maths without token types.  Fold token type 0
     * into the position embeddings; sentences 0 and 2 (all type 0) must
     * then give the golden logits. */
    src_open(&s, "tiny");
    src_rename_all(&s, "bert.encoder.layer.", "distilbert.transformer.layer.");
    src_rename_all(&s, "bert.embeddings.", "distilbert.embeddings.");
    src_rename_all(&s, "attention.self.query", "attention.q_lin");
    src_rename_all(&s, "attention.self.key", "attention.k_lin");
    src_rename_all(&s, "attention.self.value", "attention.v_lin");
    src_rename_all(&s, "attention.output.dense", "attention.out_lin");
    src_rename_all(&s, "attention.output.LayerNorm", "sa_layer_norm");
    src_rename_all(&s, "intermediate.dense", "ffn.lin1");
    src_rename_all(&s, "output.dense", "ffn.lin2");
    src_rename_all(&s, "output.LayerNorm", "output_layer_norm");
    stw_tensor *pos = src_find(&s, "distilbert.embeddings.position_embeddings.weight");
    stw_tensor *typ = src_find(&s, "distilbert.embeddings.token_type_embeddings.weight");
    assert_non_null(pos);
    assert_non_null(typ);
    float *pos2 = malloc(pos->nbytes);
    memcpy(pos2, pos->data, pos->nbytes);
    float typ0[32];
    memcpy(typ0, typ->data, sizeof typ0);
    for (size_t p = 0; p < 64; p++)
        for (size_t j = 0; j < 32; j++)
            pos2[p * 32 + j] += typ0[j];
    pos->data = pos2;
    s.n--;
    *typ = s.t[s.n];
    const char *dcfg = "{\"model_type\":\"distilbert\",\"vocab_size\":400,\"dim\":32,"
                       "\"n_layers\":2,\"n_heads\":4,\"hidden_dim\":37,"
                       "\"max_position_embeddings\":64,\"activation\":\"gelu\","
                       "\"id2label\":{\"0\":\"O\",\"1\":\"B-PER\",\"2\":\"I-PER\",\"3\":\"B-ORG\","
                       "\"4\":\"I-ORG\",\"5\":\"B-LOC\",\"6\":\"I-LOC\",\"7\":\"B-MISC\","
                       "\"8\":\"I-MISC\"},\"pad_token_id\":0}";
    write_model(dir, dcfg, s.t, s.n, 1);
    int only02[3] = {1, 0, 1};
    d = variant_diff(dir, &g, NULL, only02);
    print_message("DistilBERT layout (sentences 0 and 2): %.2e\n", d);
    assert_true(d <= 1e-4);
    {
        nn_bert *m = NULL;
        char err[256];
        assert_int_equal(nn_bert_load(&m, dir, err, sizeof err), 0);
        const nn_bert_config *c = nn_bert_get_config(m);
        assert_int_equal(c->model_type, NN_MODEL_DISTILBERT);
        assert_int_equal(c->type_vocab_size, 0);
        assert_int_equal(c->intermediate, 37);
        nn_workspace *ws = nn_workspace_new();
        float out[40 * 9];
        int32_t ty[3] = {0, 1, 0};
        size_t len = 3;
        assert_int_equal(nn_bert_forward(m, ws, g.ids, ty, &len, 1, out, err, sizeof err),
                         NER_ERANGE);
        nn_workspace_free(ws);
        nn_bert_free(m);
    }
    char *bad = config_with(dcfg, "activation", "\"silu\"");
    write_model(dir, bad, s.t, s.n, 1);
    expect_load_error(dir, NER_EUNSUPPORTED, "config.json", "activation");
    free(bad);
    free(pos2);
    src_close(&s);

    /* RoBERTa: position ids start at pad_token_id + 1 = 2 */
    src_open(&s, "tiny");
    src_rename_all(&s, "bert.", "roberta.");
    pos = src_find(&s, "roberta.embeddings.position_embeddings.weight");
    float *pos3 = calloc(66 * 32, sizeof(float));
    memcpy(pos3 + 2 * 32, pos->data, 64 * 32 * sizeof(float));
    pos->data = pos3;
    pos->shape[0] = 66;
    pos->nbytes = 66 * 32 * sizeof(float);
    char *rcfg = config_with(s.config, "model_type", "\"roberta\"");
    char *rcfg2 = config_with(rcfg, "max_position_embeddings", "66");
    char *rcfg3 = config_with(rcfg2, "pad_token_id", "1");
    write_model(dir, rcfg3, s.t, s.n, 1);
    d = variant_diff(dir, &g, g.types, NULL);
    print_message("RoBERTa layout (positions from pad_token_id + 1): %.2e\n", d);
    assert_true(d <= 1e-4);
    {
        nn_bert *m = NULL;
        char err[256];
        assert_int_equal(nn_bert_load(&m, dir, err, sizeof err), 0);
        assert_int_equal(nn_bert_get_config(m)->max_seq_len, 64);
        assert_int_equal(nn_bert_get_config(m)->model_type, NN_MODEL_ROBERTA);
        nn_bert_free(m);
    }
    free(rcfg);
    free(rcfg2);
    free(rcfg3);
    free(pos3);
    src_close(&s);

    /* no id2label: LABEL_i names from the classifier */
    src_open(&s, "tiny");
    char *nocfg = config_with(s.config, "id2label", NULL);
    write_model(dir, nocfg, s.t, s.n, 1);
    {
        nn_bert *m = NULL;
        char err[256];
        assert_int_equal(nn_bert_load(&m, dir, err, sizeof err), 0);
        assert_int_equal(nn_bert_get_config(m)->num_labels, 9);
        assert_string_equal(nn_bert_get_config(m)->id2label[4], "LABEL_4");
        nn_bert_free(m);
    }
    free(nocfg);
    src_close(&s);

    rm_tree(dir);
    free(dir);
    free_golden(&g);
}

/* ------------------------------------------------------------ trained model */

static void test_mini_bert_conll(void **state)
{
    (void)state;
    const char *shared = getenv("LIBNER_SHARED_DIR");
    char dir[400], gpath[512];
    snprintf(dir, sizeof dir, "%s/models/mini-bert-conll", shared ? shared : "");
    snprintf(gpath, sizeof gpath, "%s/config.json", dir);
    if (!shared || !nn_is_file_test(gpath)) {
        print_message("skipped: %s is missing (LIBNER_SHARED_DIR)\n", dir);
        skip();
        return;
    }
    nn_bert *m = NULL;
    char err[512] = "";
    int rc = nn_bert_load(&m, dir, err, sizeof err);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    const nn_bert_config *c = nn_bert_get_config(m);
    assert_int_equal(c->layers, 4);
    assert_int_equal(c->hidden, 256);
    json_t *root = json_load_file(fixture_dir(gpath, sizeof gpath, "mini-bert-conll-golden.json"),
                                  0, NULL);
    assert_non_null(root);
    json_t *sents = json_object_get(root, "sentences");
    nn_workspace *ws = nn_workspace_new_threads(2);
    double worst = 0;
    for (size_t s = 0; s < json_array_size(sents); s++) {
        json_t *js = json_array_get(sents, s);
        json_t *jids = json_object_get(js, "input_ids");
        json_t *jl = json_object_get(js, "logits");
        size_t n = json_array_size(jids), nl = c->num_labels;
        int32_t *ids = malloc(n * sizeof *ids);
        for (size_t i = 0; i < n; i++)
            ids[i] = (int32_t)json_integer_value(json_array_get(jids, i));
        float *out = malloc(n * nl * sizeof(float));
        assert_int_equal(nn_bert_forward(m, ws, ids, NULL, &n, 1, out, err, sizeof err), 0);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < nl; j++) {
                double want = json_number_value(json_array_get(json_array_get(jl, i), j));
                double d = fabs(want - out[i * nl + j]);
                if (d > worst)
                    worst = d;
            }
        free(ids);
        free(out);
    }
    print_message("mini-bert-conll: max |logits - PyTorch| %.2e over %zu sentences\n", worst,
                  json_array_size(sents));
    assert_true(worst <= 1e-4);
    nn_workspace_free(ws);
    json_decref(root);
    nn_bert_free(m);
}

/* ------------------------------------------------------------ kernels */

static void test_kernels(void **state)
{
    (void)state;
    if (!nn_cpu_has_avx512()) {
        skip();
        return;
    }
    /* GEMM on awkward shapes, with bias, alpha and each activation */
    float *a = malloc(9 * 70 * sizeof(float)), *b = malloc(21 * 70 * sizeof(float));
    float bias[21], c1[9 * 21], c2[9 * 21];
    for (size_t i = 0; i < 9 * 70; i++)
        a[i] = (float)((int)(rnd() % 2001) - 1000) / 500.0f;
    for (size_t i = 0; i < 21 * 70; i++)
        b[i] = (float)((int)(rnd() % 2001) - 1000) / 500.0f;
    for (size_t i = 0; i < 21; i++)
        bias[i] = (float)i / 7.0f - 1.0f;
    for (size_t m = 1; m <= 9; m++)
        for (size_t k = 1; k <= 70; k += 3)
            for (int act = 0; act <= 3; act++)
                for (size_t n0 = 0; n0 < 3; n0++) {
                    size_t n1 = 21 - n0;
                    nn_gemm g = {m, k, 0.5f, a, 70, b, 70, act == 2 ? NULL : bias, c1, 21, act};
                    memset(c1, 0, sizeof c1);
                    memset(c2, 0, sizeof c2);
                    nn_gemm_nt_ref(&g, n0, n1);
                    g.c = c2;
                    nn_gemm_nt_avx512(&g, n0, n1);
                    for (size_t i = 0; i < 9 * 21; i++)
                        assert_true(fabsf(c1[i] - c2[i]) <= 1e-4f * fmaxf(1.0f, fabsf(c1[i])));
                    g.c = c2;
                    nn_gemm_nt_blas(&g, n0, n1);
                    for (size_t i = 0; i < 9 * 21; i++)
                        assert_true(fabsf(c1[i] - c2[i]) <= 1e-4f * fmaxf(1.0f, fabsf(c1[i])));
                }
    free(a);
    free(b);
    /* activations against the scalar (libm) forms */
    float x[4001], y[4001];
    for (int act = 1; act <= 3; act++) {
        for (int i = 0; i <= 4000; i++)
            x[i] = y[i] = (float)(i - 2000) / 160.0f; /* [-12.5, 12.5] */
        nn_act_avx512(x, 1, 4001, 0, 4001, act);
        nn_act_ref(y, 1, 4001, 0, 4001, act);
        float worst = 0;
        for (int i = 0; i <= 4000; i++)
            worst = fmaxf(worst, fabsf(x[i] - y[i]) / fmaxf(1.0f, fabsf(y[i])));
        print_message("activation %d: max error %.2e\n", act, (double)worst);
        assert_true(worst <= 2e-6f);
    }
    /* softmax with HF's finfo.min entries and a long row */
    float s1[3 * 40], s2[3 * 40];
    for (int i = 0; i < 120; i++)
        s1[i] = s2[i] = (float)((int)(rnd() % 2001) - 1000) / 50.0f;
    s1[5] = s2[5] = -FLT_MAX;
    s1[45] = s2[45] = -FLT_MAX;
    nn_softmax_avx512(s1, 3, 37, 40);
    nn_softmax_ref(s2, 3, 37, 40);
    for (int i = 0; i < 120; i++)
        assert_true(fabsf(s1[i] - s2[i]) <= 1e-6f);
    assert_true(s1[5] == 0.0f);
    /* LayerNorm */
    float l1[5 * 45], l2[5 * 45], r[5 * 45], g[45], bb[45];
    for (int i = 0; i < 225; i++) {
        l1[i] = l2[i] = (float)((int)(rnd() % 2001) - 1000) / 100.0f;
        r[i] = (float)((int)(rnd() % 2001) - 1000) / 300.0f;
    }
    for (int i = 0; i < 45; i++) {
        g[i] = 1.0f + (float)i / 100.0f;
        bb[i] = (float)i / 50.0f;
    }
    nn_layernorm_avx512(l1, r, 5, 45, g, bb, 1e-12f);
    nn_layernorm_ref(l2, r, 5, 45, g, bb, 1e-12f);
    for (int i = 0; i < 225; i++)
        assert_true(fabsf(l1[i] - l2[i]) <= 1e-5f);
}

/* BF16 mode: the kernel against the portable loop, and whole models against
 * their F32 logits (bf16 weights and activations round to 8 bits: close,
 * not equal). */
static void test_bf16(void **state)
{
    (void)state;
    /* kernel: exact products, so the two agree to float rounding */
    if (nn_cpu_has_avx512bf16()) {
        size_t M = 7, N = 19, K = 96;
        uint16_t *a = calloc(M * K, 2), *b = calloc(N * K, 2);
        float bias[19], c1[7 * 19], c2[7 * 19];
        for (size_t i = 0; i < M * K; i++)
            a[i] = nn_f32_to_bf16((float)((int)(rnd() % 2001) - 1000) / 400.0f);
        for (size_t i = 0; i < N * K; i++)
            b[i] = nn_f32_to_bf16((float)((int)(rnd() % 2001) - 1000) / 400.0f);
        for (size_t i = 0; i < N; i++)
            bias[i] = (float)i / 5.0f;
        for (int act = 0; act <= 3; act++) {
            nn_gemm16 g = {M, K, a, K, b, K, bias, c1, N, act};
            nn_gemm16_ref(&g, 1, N);
            g.c = c2;
            nn_gemm16_avx512bf16(&g, 1, N);
            for (size_t i = 0; i < M; i++)
                for (size_t j = 1; j < N; j++)
                    assert_true(fabsf(c1[i * N + j] - c2[i * N + j]) <=
                                1e-5f * fmaxf(1.0f, fabsf(c1[i * N + j])));
        }
        /* conversion: the same rounding as the scalar form */
        float x[70];
        uint16_t y1[2 * 96], y2[2 * 96];
        for (int i = 0; i < 70; i++)
            x[i] = (float)((int)(rnd() % 2000001) - 1000000) / 3.0f;
        nn_rows_to_bf16(x, 2, 35, 35, y1, 96);
        nn_rows_to_bf16_avx512bf16(x, 2, 35, 35, y2, 96);
        assert_memory_equal(y1, y2, sizeof y1);
        free(a);
        free(b);
    }
    assert_int_equal(nn_f32_to_bf16(1.0f), 0x3F80);
    assert_int_equal(nn_f32_to_bf16(1.00390625f), 0x3F80);   /* halfway: to even */
    assert_int_equal(nn_f32_to_bf16(1.01171875f), 0x3F82);   /* halfway: to even (up) */

    /* whole models */
    const char *names[2] = {"tiny", "tanh-h48-bf16"};
    for (int f = 0; f < 2; f++) {
        char dir[512], err[512] = "";
        golden g;
        assert_int_equal(load_golden(fixture_dir(dir, sizeof dir, names[f]), &g), 0);
        nn_bert_options o;
        nn_bert_options_init(&o);
        o.precision = NN_PRECISION_BF16;
        nn_bert *m = NULL;
        assert_int_equal(nn_bert_load_ex(&m, dir, &o, err, sizeof err), 0);
        assert_int_equal(nn_bert_precision(m), NN_PRECISION_BF16);
        float *logits = malloc(g.T * g.nl * sizeof(float));
        nn_workspace *ws = nn_workspace_new_threads(2);
        assert_int_equal(nn_bert_forward(m, ws, g.ids, g.types, g.lens, g.B, logits, err,
                                         sizeof err), 0);
        size_t agree = 0;
        for (size_t r = 0; r < g.T; r++) {
            const float *want = g.logits.data + (g.row_b[r] * g.Tpad + g.row_t[r]) * g.nl;
            size_t a1 = 0, a2 = 0;
            for (size_t j = 1; j < g.nl; j++) {
                if (logits[r * g.nl + j] > logits[r * g.nl + a1])
                    a1 = j;
                if (want[j] > want[a2])
                    a2 = j;
            }
            agree += a1 == a2;
        }
        double d = diff_logits(&g, logits, NULL);
        print_message("%-14s bf16: max |logits - golden| %.3f, argmax agrees on %zu/%zu\n",
                      names[f], d, agree, g.T);
        assert_true(d < 0.25);
        assert_true(agree * 10 >= g.T * 9);
        /* the reference loops in BF16 mode agree with the kernel */
        nn_bert_set_kernel(m, NN_KERNEL_BLAS);
        float *l2 = malloc(g.T * g.nl * sizeof(float));
        assert_int_equal(nn_bert_forward(m, ws, g.ids, g.types, g.lens, g.B, l2, err,
                                         sizeof err), 0);
        /* not bit-close: a sum that differs in its last bits can round to
         * the neighbouring bf16 value in the next layer */
        double dd = rel_diff(l2, logits, g.T * g.nl);
        print_message("%-14s bf16: portable loops vs AVX512-BF16 kernel %.2e\n", names[f], dd);
        assert_true(dd < 0.05);
        free(l2);
        free(logits);
        nn_workspace_free(ws);
        nn_bert_free(m);
        free_golden(&g);
    }
}

/* INT8 mode.  Kernel level: the VNNI kernel and the portable loops give the
 * same bits (integer sums, the same float steps), on shapes with tails in
 * rows, columns and k; both are close to the float product.  Model level:
 * against the golden F32 logits (8-bit activations: close, not equal). */
static void test_int8(void **state)
{
    (void)state;
    /* quantisation: 0 is exact, values come back within half a step */
    {
        float x[2][37];
        for (int r = 0; r < 2; r++)
            for (int k = 0; k < 37; k++)
                x[r][k] = r == 0 ? (float)((int)(rnd() % 2001) - 1000) / 300.0f
                                 : (float)(rnd() % 1000) / 100.0f; /* all >= 0 */
        x[0][5] = 0.0f;
        uint8_t q[2 * 64];
        float sc[2];
        int32_t z[2];
        memset(q, 0xAA, sizeof q);
        nn_q8_rows(&x[0][0], 2, 37, 37, q, 64, sc, z);
        assert_int_equal(z[1], 0);
        assert_int_equal(q[5], z[0]);
        for (int r = 0; r < 2; r++) {
            for (int k = 0; k < 37; k++)
                assert_true(fabsf(sc[r] * (float)(q[r * 64 + k] - z[r]) - x[r][k]) <=
                            0.5001f * sc[r]);
            for (int k = 37; k < 64; k++)
                assert_int_equal(q[r * 64 + k], 0);
        }
        /* an all-zero row */
        float zr[8] = {0};
        nn_q8_rows(zr, 1, 8, 8, q, 64, sc, z);
        assert_int_equal(z[0], 0);
        for (int k = 0; k < 8; k++)
            assert_int_equal(q[k], 0);
    }
    const size_t shapes[][3] = {{1, 16, 4}, {7, 19, 35}, {8, 32, 64}, {13, 50, 96},
                                {20, 48, 768}, {9, 40, 3}};
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
        size_t M = shapes[sh][0], N = shapes[sh][1], K = shapes[sh][2];
        size_t ld = (K + 63) / 64 * 64;
        float *a = malloc(M * K * sizeof(float)), *w = malloc(N * K * sizeof(float));
        float *bias = malloc(N * sizeof(float)), *f = malloc(M * N * sizeof(float));
        float *c1 = malloc(M * N * sizeof(float)), *c2 = malloc(M * N * sizeof(float));
        uint8_t *aq = calloc(M, ld);
        float *as = malloc(M * sizeof(float));
        int32_t *az = malloc(M * sizeof(int32_t));
        for (size_t i = 0; i < M * K; i++)
            a[i] = (float)((int)(rnd() % 2001) - 1000) / 400.0f + (i % 7 == 0 ? 1.5f : 0.0f);
        for (size_t i = 0; i < N * K; i++)
            w[i] = (float)((int)(rnd() % 2001) - 1000) / 4000.0f;
        for (size_t j = 0; j < N; j++)
            bias[j] = (float)j / 7.0f - 1.0f;
        nn_q8w q;
        assert_int_equal(nn_q8w_init(&q, w, N, K), NER_OK);
        nn_q8_rows(a, M, K, K, aq, ld, as, az);
        if (nn_cpu_has_avx512vnni()) {
            /* the vector quantiser gives the same bytes, scales and zeros */
            uint8_t *aq2 = malloc(M * ld);
            float *as2 = malloc(M * sizeof(float));
            int32_t *az2 = malloc(M * sizeof(int32_t));
            memset(aq2, 0x55, M * ld);
            nn_q8_rows_avx512(a, M, K, K, aq2, ld, as2, az2);
            assert_memory_equal(aq, aq2, M * ld);
            assert_memory_equal(as, as2, M * sizeof(float));
            assert_memory_equal(az, az2, M * sizeof(int32_t));
            free(aq2);
            free(as2);
            free(az2);
        }
        nn_gemm g0 = {M, K, 1.0f, a, K, w, K, bias, f, N, NN_ACT_NONE};
        nn_gemm_nt_ref(&g0, 0, N);
        for (int act = 0; act <= 3; act++) {
            nn_gemm8 g = {M, aq, ld, as, az, &q, act == 2 ? NULL : bias, c1, N, act};
            memset(c1, 0, M * N * sizeof(float));
            memset(c2, 0, M * N * sizeof(float));
            nn_gemm8_ref(&g, 0, N);
            g.c = c2;
            if (nn_cpu_has_avx512vnni()) {
                /* in two column ranges, as the threads split it */
                nn_gemm8_vnni(&g, 0, 16);
                nn_gemm8_vnni(&g, 16, N);
                if (act == NN_ACT_NONE)
                    assert_memory_equal(c1, c2, M * N * sizeof(float));
                else /* the activations: vector vs scalar erf/tanh */
                    for (size_t i = 0; i < M * N; i++)
                        assert_true(fabsf(c1[i] - c2[i]) <= 1e-5f * fmaxf(1.0f, fabsf(c1[i])));
            }
            if (act == NN_ACT_NONE) {
                /* against the float product: the error of 8-bit operands */
                double mx = 0, ref = 0;
                for (size_t i = 0; i < M * N; i++) {
                    double d = fabs((double)c1[i] - (double)f[i]);
                    mx = d > mx ? d : mx;
                    ref = fabs((double)f[i] - bias[i % N]) > ref ? fabs((double)f[i] - bias[i % N]) : ref;
                }
                assert_true(mx <= 0.02 * ref + 1e-6);
            }
        }
        nn_q8w_free(&q);
        free(a); free(w); free(bias); free(f); free(c1); free(c2); free(aq); free(as); free(az);
    }

    const char *names[2] = {"tiny", "tanh-h48-bf16"};
    for (int f = 0; f < 2; f++) {
        char dir[512], err[512] = "";
        golden g;
        assert_int_equal(load_golden(fixture_dir(dir, sizeof dir, names[f]), &g), 0);
        nn_bert_options o;
        nn_bert_options_init(&o);
        o.precision = NN_PRECISION_INT8;
        nn_bert *m = NULL;
        assert_int_equal(nn_bert_load_ex(&m, dir, &o, err, sizeof err), 0);
        assert_int_equal(nn_bert_precision(m), NN_PRECISION_INT8);
        assert_int_equal(nn_bert_get_config(m)->precision, NN_PRECISION_INT8);
        float *logits = malloc(g.T * g.nl * sizeof(float));
        nn_workspace *ws = nn_workspace_new_threads(2);
        assert_int_equal(nn_bert_forward(m, ws, g.ids, g.types, g.lens, g.B, logits, err,
                                         sizeof err), 0);
        size_t agree = 0;
        for (size_t r = 0; r < g.T; r++) {
            const float *want = g.logits.data + (g.row_b[r] * g.Tpad + g.row_t[r]) * g.nl;
            size_t a1 = 0, a2 = 0;
            for (size_t j = 1; j < g.nl; j++) {
                if (logits[r * g.nl + j] > logits[r * g.nl + a1])
                    a1 = j;
                if (want[j] > want[a2])
                    a2 = j;
            }
            agree += a1 == a2;
        }
        double d = diff_logits(&g, logits, NULL);
        print_message("%-14s int8: max |logits - golden| %.3f, argmax agrees on %zu/%zu\n",
                      names[f], d, agree, g.T);
        assert_true(d < 0.25);
        assert_true(agree * 10 >= g.T * 9);
        /* threads do not change the bits */
        nn_workspace *ws1 = nn_workspace_new();
        float *l1 = malloc(g.T * g.nl * sizeof(float));
        assert_int_equal(nn_bert_forward(m, ws1, g.ids, g.types, g.lens, g.B, l1, err,
                                         sizeof err), 0);
        assert_memory_equal(l1, logits, g.T * g.nl * sizeof(float));
        /* the portable loops agree with the kernel (only the activation's
         * last bits differ, which may move a later quantisation step) */
        nn_bert_set_kernel(m, NN_KERNEL_BLAS);
        float *l2 = malloc(g.T * g.nl * sizeof(float));
        assert_int_equal(nn_bert_forward(m, ws, g.ids, g.types, g.lens, g.B, l2, err,
                                         sizeof err), 0);
        double dd = rel_diff(l2, logits, g.T * g.nl);
        print_message("%-14s int8: portable loops vs VNNI kernel %.2e\n", names[f], dd);
        assert_true(dd < 0.05);
        free(l1);
        free(l2);
        free(logits);
        nn_workspace_free(ws1);
        nn_workspace_free(ws);
        nn_bert_free(m);
        free_golden(&g);
    }
}

static void test_softmax_rows(void **state)
{
    (void)state;
    float x[6] = {1, 2, 3, 0, 0, -FLT_MAX};
    nn_softmax_rows(x, 2, 3);
    assert_true(fabsf(x[0] + x[1] + x[2] - 1.0f) < 1e-6f);
    assert_true(fabsf(x[2] - 0.66524096f) < 1e-6f);
    assert_true(fabsf(x[3] - 0.5f) < 1e-7f && x[5] == 0.0f);
}

static void test_flops(void **state)
{
    (void)state;
    nn_bert *m = load_fixture("tiny");
    size_t lens[2] = {25, 0};
    /* make_bert.flops_per_sequence for tiny at T=25 */
    double want = 2 * (2.0 * 25 * 32 * (4 * 32 + 2 * 37) + 4.0 * 25 * 25 * 32) + 2.0 * 25 * 32 * 9;
    assert_true(fabs(nn_bert_flops(m, lens, 2) - want) < 1e-6);
    nn_bert_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_fast_vs_ref),
        cmocka_unit_test(test_invariance),
        cmocka_unit_test(test_blas_threads),
        cmocka_unit_test(test_shared_model),
        cmocka_unit_test(test_many_sequences),
        cmocka_unit_test(test_input_errors),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_mini_bert_conll),
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_int8),
        cmocka_unit_test(test_softmax_rows),
        cmocka_unit_test(test_flops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
