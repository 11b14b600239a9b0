/* BERT encoder throughput of lib/nn on the peers' inputs.
 *
 *   bench_bert MODEL_DIR IDS.json [--batch B] [--threads T] [--n N] [--sort]
 *              [--kernel avx512|blas|ref] [--precision f32|bf16|int8|auto] [--check]
 *   bench_bert MODEL_DIR --eval DEV.json [--precision ...] [--threads T]
 *
 * IDS.json is ../shared/peers/encode.py's output (the ids every peer runs on).
 * Sentences are picked exactly as bench_torch.py / bench_ort.mjs pick them:
 * every (total/N)-th, N in all (default 128 at batch 1, else 8 batches), file
 * order (--sort: by length).  Each batch is one nn_bert_forward call on the
 * batch's sentences packed WITHOUT padding; T threads split each call (one
 * workspace with T-1 workers; OpenBLAS at 1 thread).  One untimed warm-up
 * batch.  Prints one JSON line with the peers' fields: sentences/s, ms per
 * sentence, median ms per batch, GFLOP/s (matrix products, as make_bert.py
 * counts them), max RSS (getrusage), load time.
 * --check: also runs the reference loops on the first batch and reports the
 * largest logit difference.
 * --eval: entity-level exact-match P/R/F1 (conlleval-style IOB2 spans, the
 * label of each word's first wordpiece) on benchmarks/bert_conll_ids.py's
 * output, the way ../shared/peers/train_mini_bert.py --check scores. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "nn/bert.h"
#include "nn/bert_impl.h"
#include "nn/kernels.h"

static const char *prec_name(int p)
{
    return p == NN_PRECISION_BF16 ? "bf16" : p == NN_PRECISION_INT8 ? "int8" : "fp32";
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct sent {
    int32_t *ids;
    size_t n;
} sent;

static int cmp_len(const void *a, const void *b)
{
    const sent *x = a, *y = b;
    return x->n < y->n ? -1 : x->n > y->n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- --eval */

typedef struct span {
    size_t start, end;
    const char *type;
} span;

/* conlleval-style spans of IOB2 tags (a stray I-X opens a span) */
static size_t spans_of(const char *const *tags, size_t n, span *out)
{
    size_t k = 0, start = 0;
    const char *typ = NULL;
    for (size_t i = 0; i <= n; i++) {
        const char *t = i < n ? tags[i] : "O";
        int is_o = strcmp(t, "O") == 0;
        const char *tt = strlen(t) > 2 ? t + 2 : t;
        if (is_o || strncmp(t, "B-", 2) == 0 || !typ || strcmp(tt, typ) != 0) {
            if (typ)
                out[k++] = (span){start, i, typ};
            typ = is_o ? NULL : tt;
            start = i;
        }
    }
    return k;
}

typedef struct tcount {
    char type[32];
    long tp, np, ng;
} tcount;

static tcount *count_for(tcount *c, size_t *nc, const char *type)
{
    if (*nc == 64)
        return &c[63]; /* more types than any NER label set: lumped */
    for (size_t i = 0; i < *nc; i++)
        if (strcmp(c[i].type, type) == 0)
            return &c[i];
    memset(&c[*nc], 0, sizeof c[*nc]);
    snprintf(c[*nc].type, sizeof c[*nc].type, "%s", type);
    return &c[(*nc)++];
}

static int run_eval(nn_bert *m, nn_workspace *ws, const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    json_t *sents = root ? json_object_get(root, "sents") : NULL;
    if (!sents) {
        fprintf(stderr, "%s: %s\n", path, root ? "no sents" : je.text);
        return 1;
    }
    const nn_bert_config *c = nn_bert_get_config(m);
    size_t ns = json_array_size(sents), nl = c->num_labels;
    tcount counts[64];
    size_t nc = 0;
    char err[512];
    double t0 = now(), flops = 0;
    size_t tokens = 0;
    for (size_t b0 = 0; b0 < ns; b0 += 64) {
        size_t b1 = b0 + 64 < ns ? b0 + 64 : ns, T = 0, lens[64];
        for (size_t i = b0; i < b1; i++) {
            lens[i - b0] = json_array_size(json_object_get(json_array_get(sents, i), "ids"));
            T += lens[i - b0];
        }
        int32_t *ids = malloc(T * sizeof *ids);
        float *logits = malloc(T * nl * sizeof(float));
        size_t o = 0;
        for (size_t i = b0; i < b1; i++) {
            json_t *a = json_object_get(json_array_get(sents, i), "ids");
            for (size_t k = 0; k < lens[i - b0]; k++)
                ids[o++] = (int32_t)json_integer_value(json_array_get(a, k));
        }
        if (nn_bert_forward(m, ws, ids, NULL, lens, b1 - b0, logits, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        flops += nn_bert_flops(m, lens, b1 - b0);
        tokens += T;
        o = 0;
        for (size_t i = b0; i < b1; i++) {
            json_t *js = json_array_get(sents, i);
            json_t *st = json_object_get(js, "starts"), *gd = json_object_get(js, "gold");
            size_t nw = json_array_size(st);
            const char **guess = malloc((nw + 1) * sizeof *guess);
            const char **gold = malloc((nw + 1) * sizeof *gold);
            span *sp = malloc((nw + 1) * sizeof *sp), *sg = malloc((nw + 1) * sizeof *sg);
            for (size_t w = 0; w < nw; w++) {
                size_t r = o + (size_t)json_integer_value(json_array_get(st, w));
                size_t best = 0;
                for (size_t j = 1; j < nl; j++)
                    if (logits[r * nl + j] > logits[r * nl + best])
                        best = j;
                guess[w] = c->id2label[best];
                gold[w] = json_string_value(json_array_get(gd, w));
            }
            size_t np = spans_of(guess, nw, sp), ng = spans_of(gold, nw, sg);
            for (size_t k = 0; k < np; k++) {
                count_for(counts, &nc, sp[k].type)->np++;
                for (size_t q = 0; q < ng; q++)
                    if (sp[k].start == sg[q].start && sp[k].end == sg[q].end &&
                        strcmp(sp[k].type, sg[q].type) == 0)
                        count_for(counts, &nc, sp[k].type)->tp++;
            }
            for (size_t q = 0; q < ng; q++)
                count_for(counts, &nc, sg[q].type)->ng++;
            free(guess);
            free(gold);
            free(sp);
            free(sg);
            o += lens[i - b0];
        }
        free(ids);
        free(logits);
    }
    double secs = now() - t0;
    long tp = 0, np = 0, ng = 0;
    printf("{\"sentences\":%zu,\"tokens\":%zu,\"seconds\":%.2f,\"gflops\":%.1f,"
           "\"precision\":\"%s\"", ns, tokens, secs, flops / secs / 1e9,
           prec_name(nn_bert_precision(m)));
    for (size_t i = 0; i < nc; i++) {
        tcount *x = &counts[i];
        tp += x->tp;
        np += x->np;
        ng += x->ng;
        printf(",\"%s\":{\"p\":%.4f,\"r\":%.4f,\"f1\":%.4f,\"support\":%ld}", x->type,
               (double)x->tp / (double)(x->np ? x->np : 1), (double)x->tp / (double)(x->ng ? x->ng : 1),
               2.0 * (double)x->tp / (double)(x->np + x->ng ? x->np + x->ng : 1), x->ng);
    }
    printf(",\"overall\":{\"p\":%.4f,\"r\":%.4f,\"f1\":%.4f,\"support\":%ld}}\n",
           (double)tp / (double)(np ? np : 1), (double)tp / (double)(ng ? ng : 1),
           2.0 * (double)tp / (double)(np + ng ? np + ng : 1), ng);
    json_decref(root);
    return 0;
}

static int precision_arg(const char *s)
{
    return !strcmp(s, "bf16")   ? NN_PRECISION_BF16
           : !strcmp(s, "int8") ? NN_PRECISION_INT8
           : !strcmp(s, "auto") ? NN_PRECISION_AUTO
                                : NN_PRECISION_F32;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL_DIR IDS.json [--batch B] [--threads T] [--n N] "
                        "[--sort] [--kernel avx512|blas|ref] [--check]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1], *idsf = argv[2], *kernel = NULL, *eval = NULL;
    int precision = NN_PRECISION_F32;
    size_t batch = 1, n = 0;
    unsigned threads = 1;
    int sort = 0, check = 0, verbose = 0;
    for (int i = strcmp(argv[2], "--eval") == 0 ? 2 : 3; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
            kernel = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc)
            precision = precision_arg(argv[++i]);
        else if (!strcmp(argv[i], "--eval") && i + 1 < argc)
            eval = argv[++i];
        else if (!strcmp(argv[i], "--sort"))
            sort = 1;
        else if (!strcmp(argv[i], "--check"))
            check = 1;
        else if (!strcmp(argv[i], "--verbose"))
            verbose = 1;
        else {
            fprintf(stderr, "unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!batch)
        batch = 1;
    if (eval) {
        nn_bert_options o;
        nn_bert_options_init(&o);
        o.precision = (uint32_t)precision;
        char err[512] = "";
        nn_bert *m = NULL;
        if (nn_bert_load_ex(&m, dir, &o, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        if (kernel)
            nn_bert_set_kernel(m, !strcmp(kernel, "ref") ? NN_KERNEL_REF
                                  : !strcmp(kernel, "blas") ? NN_KERNEL_BLAS : NN_KERNEL_AVX512);
        nn_workspace *ws = nn_workspace_new_threads(threads);
        int rc = run_eval(m, ws, eval);
        nn_workspace_free(ws);
        nn_bert_free(m);
        return rc;
    }
    if (!n)
        n = batch == 1 ? 128 : 8 * batch;

    json_error_t je;
    json_t *root = json_load_file(idsf, 0, &je);
    json_t *all = root ? json_object_get(root, "ids") : NULL;
    if (!all || !json_is_array(all) || json_array_size(all) == 0) {
        fprintf(stderr, "%s: no \"ids\" array (%s)\n", idsf, root ? "" : je.text);
        return 1;
    }
    size_t total = json_array_size(all), stride = total / n ? total / n : 1;
    sent *s = calloc(n, sizeof *s);
    size_t ns = 0;
    for (size_t i = 0; i < total && ns < n; i += stride) {
        json_t *a = json_array_get(all, i);
        s[ns].n = json_array_size(a);
        s[ns].ids = malloc(s[ns].n * sizeof(int32_t));
        for (size_t k = 0; k < s[ns].n; k++)
            s[ns].ids[k] = (int32_t)json_integer_value(json_array_get(a, k));
        ns++;
    }
    json_decref(root);
    if (sort)
        qsort(s, ns, sizeof *s, cmp_len);

    char err[512] = "";
    double t0 = now();
    nn_bert *m = NULL;
    nn_bert_options lopt;
    nn_bert_options_init(&lopt);
    lopt.precision = (uint32_t)precision;
    if (nn_bert_load_ex(&m, dir, &lopt, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double load_ms = (now() - t0) * 1e3;
    if (kernel)
        nn_bert_set_kernel(m, !strcmp(kernel, "ref") ? NN_KERNEL_REF
                              : !strcmp(kernel, "blas") ? NN_KERNEL_BLAS : NN_KERNEL_AVX512);
    const nn_bert_config *c = nn_bert_get_config(m);
    nn_workspace *ws = nn_workspace_new_threads(threads);
    if (!ws) {
        fprintf(stderr, "cannot make a workspace of %u threads\n", threads);
        return 1;
    }

    size_t nb = (ns + batch - 1) / batch, maxT = 0;
    int32_t **bids = calloc(nb, sizeof *bids);
    size_t **blens = calloc(nb, sizeof *blens), *bT = calloc(nb, sizeof *bT);
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * batch, hi = lo + batch < ns ? lo + batch : ns;
        blens[b] = malloc((hi - lo) * sizeof **blens);
        for (size_t i = lo; i < hi; i++)
            bT[b] += s[i].n;
        bids[b] = malloc(bT[b] * sizeof **bids);
        size_t o = 0;
        for (size_t i = lo; i < hi; i++) {
            memcpy(bids[b] + o, s[i].ids, s[i].n * sizeof(int32_t));
            o += s[i].n;
            blens[b][i - lo] = s[i].n;
        }
        if (bT[b] > maxT)
            maxT = bT[b];
    }
    float *logits = malloc(maxT * c->num_labels * sizeof(float));
    size_t nfirst = nb ? (ns < batch ? ns : batch) : 0;
    if (nn_bert_forward(m, ws, bids[0], NULL, blens[0], nfirst, logits, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double maxdiff = -1;
    if (check) {
        float *ref = malloc(bT[0] * c->num_labels * sizeof(float));
        nn_bert_forward_ref(m, bids[0], NULL, blens[0], nfirst, ref, NULL);
        maxdiff = 0;
        for (size_t i = 0; i < bT[0] * c->num_labels; i++)
            maxdiff = fmax(maxdiff, fabs((double)ref[i] - (double)logits[i]));
        free(ref);
    }
    double *times = calloc(nb, sizeof *times), sum = 0, flops = 0;
    size_t tokens = 0;
    for (size_t b = 0; b < nb; b++) {
        size_t cnt = (b + 1) * batch <= ns ? batch : ns - b * batch;
        double t = now();
        if (nn_bert_forward(m, ws, bids[b], NULL, blens[b], cnt, logits, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        times[b] = now() - t;
        if (verbose)
            fprintf(stderr, "batch %zu: %zu sentences, %zu tokens, longest %zu: %.2f ms\n", b, cnt,
                    bT[b], blens[b][0], times[b] * 1e3);
        sum += times[b];
        flops += nn_bert_flops(m, blens[b], cnt);
        tokens += bT[b];
    }
    qsort(times, nb, sizeof *times, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    const char *kn = nn_bert_kernel(m) == NN_KERNEL_AVX512 ? "avx512"
                     : nn_bert_kernel(m) == NN_KERNEL_BLAS ? "openblas" : "ref";
    printf("{\"peer\":\"libner\",\"dtype\":\"%s\",\"kernel\":\"%s\",\"batch\":%zu,"
           "\"threads\":%u,\"sorted\":%s,\"sentences\":%zu,\"mean_tokens\":%.2f,"
           "\"mean_padded_tokens\":%.2f,\"sent_per_s\":%.2f,\"ms_per_sent\":%.3f,"
           "\"ms_per_batch_median\":%.3f,\"gflops_real_tokens\":%.1f,\"seconds\":%.2f,"
           "\"load_ms\":%.1f,\"max_rss_mb\":%ld",
           prec_name(nn_bert_precision(m)), kn, batch, threads,
           sort ? "true" : "false", ns, (double)tokens / (double)ns,
           (double)tokens / (double)ns, (double)ns / sum, 1e3 * sum / (double)ns,
           1e3 * (nb % 2 ? times[nb / 2] : (times[nb / 2 - 1] + times[nb / 2]) / 2),
           flops / sum / 1e9, sum, load_ms, ru.ru_maxrss / 1024);
    if (check)
        printf(",\"max_abs_diff_vs_ref\":%.3g", maxdiff);
    printf("}\n");
    free(times);
    for (size_t b = 0; b < nb; b++) {
        free(bids[b]);
        free(blens[b]);
    }
    free(bids);
    free(blens);
    free(bT);
    for (size_t i = 0; i < ns; i++)
        free(s[i].ids);
    free(s);
    free(logits);
    nn_workspace_free(ws);
    nn_bert_free(m);
    return 0;
}
