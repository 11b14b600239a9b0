/* BERT-family encoder: the forward pass (workspaces, the parallel jobs of
 * one pass, packing sequences without padding). */
#include "nn/bert.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "nn/bert_impl.h"
#include "nn/kernels.h"
#include "nn/nn_util.h"
#include "nn/pool.h"

/* Sequences are run in groups of at most this many tokens (a longer single
 * sequence is one group), so scratch memory stays bounded whatever the
 * batch: about GROUP_TOKENS * (6 hidden + intermediate) floats. */
#define GROUP_TOKENS 2048

/* the row stride of int8 activations: a multiple of 64 (cache lines) */
#define Q8_LD(in) (((in) + 63) / 64 * 64)

/* ================================================================ workspace */

struct nn_workspace {
    nn_pool *pool;
    float *buf;         /* activations */
    size_t cap;         /* floats */
    float **scr;        /* per thread: attention scratch */
    size_t *scrcap;
    uint16_t *buf16;    /* NN_PRECISION_BF16: the current product's rows as bf16 */
    size_t cap16;       /* uint16 */
    uint8_t *buf8;      /* NN_PRECISION_INT8: the current product's rows as uint8 */
    size_t cap8;        /* bytes */
    float *qscale;      /* per row */
    int32_t *qzero;     /* per row */
    size_t qcap;        /* rows */
};

nn_workspace *nn_workspace_new_threads(unsigned nthreads)
{
    if (nthreads == 0)
        nthreads = 1;
    if (nthreads > 256)
        return NULL;
    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->scr = calloc(nthreads, sizeof *ws->scr);
    ws->scrcap = calloc(nthreads, sizeof *ws->scrcap);
    ws->pool = nn_pool_new(nthreads);
    if (!ws->scr || !ws->scrcap || !ws->pool) {
        nn_workspace_free(ws);
        return NULL;
    }
    return ws;
}

nn_workspace *nn_workspace_new(void)
{
    return nn_workspace_new_threads(1);
}

void nn_workspace_free(nn_workspace *ws)
{
    if (!ws)
        return;
    unsigned n = nn_pool_size(ws->pool);
    nn_pool_free(ws->pool);
    if (ws->scr)
        for (unsigned i = 0; i < n; i++)
            free(ws->scr[i]);
    free(ws->scr);
    free(ws->scrcap);
    free(ws->buf);
    free(ws->buf16);
    free(ws->buf8);
    free(ws->qscale);
    free(ws->qzero);
    free(ws);
}

static int ws_reserve(float **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < n)
        c = c > SIZE_MAX / 2 ? n : c * 2;
    if (c > SIZE_MAX / sizeof(float))
        return -1;
    float *b = nn_alloc_aligned(c * sizeof(float));
    if (!b)
        return -1;
    free(*p);
    *p = b;
    *cap = c;
    return 0;
}

static int ws_reserve16(uint16_t **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < n)
        c = c > SIZE_MAX / 4 ? n : c * 2;
    uint16_t *b = nn_alloc_aligned(c * sizeof(uint16_t));
    if (!b)
        return -1;
    free(*p);
    *p = b;
    *cap = c;
    return 0;
}

static int ws_reserve8(nn_workspace *ws, size_t bytes, size_t rows)
{
    if (bytes > ws->cap8) {
        uint8_t *b = nn_alloc_aligned(bytes);
        if (!b)
            return -1;
        free(ws->buf8);
        ws->buf8 = b;
        ws->cap8 = bytes;
    }
    if (rows > ws->qcap) {
        float *s = malloc(rows * sizeof *s);
        int32_t *z = malloc(rows * sizeof *z);
        if (!s || !z) {
            free(s);
            free(z);
            return -1;
        }
        free(ws->qscale);
        free(ws->qzero);
        ws->qscale = s;
        ws->qzero = z;
        ws->qcap = rows;
    }
    return 0;
}

/* ================================================================ forward */

typedef struct fwd {
    const nn_bert *m;
    nn_workspace *ws;
    int kernel;
    unsigned nthreads;
    size_t T;               /* tokens in this group */
    const int32_t *ids, *types;
    const size_t *lens;     /* of this group */
    size_t nseq;
    size_t *starts;         /* nseq + 1 token offsets */
    float *x, *q, *k, *v, *ctx, *t1, *ff;
    /* the current job */
    atomic_size_t next;     /* next chunk to claim */
    const nn_norm *norm;
    float *ln_x;
    const float *ln_res;
    const float *cvt_src;   /* rows to convert to bf16: T x cvt_cols, stride cvt_cols */
    size_t cvt_cols, cvt_ld;
} fwd;

/* Work is cut into chunks fixed in advance and claimed through F->next by
 * whichever thread comes first (see pool.h): the output never depends on
 * the thread count or on the scheduler. */
#define ROW_CHUNK 8

static int claim(fwd *F, size_t nchunks, size_t *c)
{
    size_t i = atomic_fetch_add_explicit(&F->next, 1, memory_order_relaxed);
    if (i >= nchunks)
        return 0;
    *c = i;
    return 1;
}

static void run_job(fwd *F, nn_pool_fn fn, void *ctx)
{
    atomic_store(&F->next, 0);
    nn_pool_run(F->ws->pool, fn, ctx);
}

typedef struct gemm_job {
    fwd *F;
    const nn_gemm16 *g16;   /* BF16 products instead of g (count 1) */
    const nn_gemm8 *g8;     /* INT8 products instead of g (count 1) */
    const nn_gemm *g;
    const size_t *n;    /* columns of each */
    size_t count;
    size_t total;       /* sum of n */
    size_t cols;        /* columns per chunk (0: chunk by rows) */
    size_t nchunks;
} gemm_job;

static void job_gemm(void *arg, unsigned t, unsigned nt)
{
    gemm_job *J = arg;
    (void)t;
    (void)nt;
    size_t c;
    while (claim(J->F, J->nchunks, &c)) {
        if (!J->cols) { /* narrow output (the classifier): rows */
            size_t r0 = c * ROW_CHUNK;
            for (size_t i = 0; i < J->count; i++) {
                if (r0 >= J->g[i].m)
                    continue;
                nn_gemm g = J->g[i];
                g.m = g.m - r0 < ROW_CHUNK ? g.m - r0 : ROW_CHUNK;
                g.a += r0 * g.lda;
                g.c += r0 * g.ldc;
                nn_gemm_nt(J->F->kernel, &g, 0, J->n[i]);
            }
            continue;
        }
        size_t c0 = c * J->cols, c1 = c0 + J->cols < J->total ? c0 + J->cols : J->total;
        if (J->g8) {
            if (J->F->kernel == NN_KERNEL_AVX512 && J->F->m->has_vnni)
                nn_gemm8_vnni(J->g8, c0, c1);
            else
                nn_gemm8_ref(J->g8, c0, c1);
            continue;
        }
        if (J->g16) {
            if (J->F->kernel == NN_KERNEL_AVX512 && J->F->m->has_bf16)
                nn_gemm16_avx512bf16(J->g16, c0, c1);
            else
                nn_gemm16_ref(J->g16, c0, c1);
            continue;
        }
        size_t base = 0;
        for (size_t i = 0; i < J->count && base < c1; i++) {
            size_t lo = c0 > base ? c0 - base : 0, hi = c1 - base;
            if (hi > J->n[i])
                hi = J->n[i];
            if (lo < hi)
                nn_gemm_nt(J->F->kernel, &J->g[i], lo, hi);
            base += J->n[i];
        }
    }
}

/* count matrix products sharing rows, split by column chunks (each chunk
 * within one product: chunks do not straddle) */
static void run_gemms(fwd *F, const nn_gemm *g, const size_t *n, size_t count)
{
    gemm_job J = {F, NULL, NULL, g, n, count, 0, 0, 0};
    size_t m = 0;
    for (size_t i = 0; i < count; i++) {
        J.total += n[i];
        if (g[i].m > m)
            m = g[i].m;
    }
    /* the chunks depend on the shapes only, never on the thread count, so
     * that every kernel (OpenBLAS too) gives the same bits with any threads */
    if (J.total < 64) {
        J.cols = 0;
        J.nchunks = (m + ROW_CHUNK - 1) / ROW_CHUNK;
    } else {
        /* wide chunks when A is tall (A is re-read per chunk), narrow ones
         * for a short A so that threads share the work evenly */
        J.cols = m > 96 ? 128 : 32;
        if (count > 1 && n[0] % J.cols != 0)
            J.cols = n[0];
        J.nchunks = (J.total + J.cols - 1) / J.cols;
    }
    run_job(F, job_gemm, &J);
}

static void job_tobf16(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    (void)t;
    (void)nt;
    size_t c;
    while (claim(F, (F->T + ROW_CHUNK - 1) / ROW_CHUNK, &c)) {
        size_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < F->T ? r0 + ROW_CHUNK : F->T;
        const float *x = F->cvt_src + r0 * F->cvt_cols;
        uint16_t *y = F->ws->buf16 + r0 * F->cvt_ld;
        if (F->kernel == NN_KERNEL_AVX512 && F->m->has_bf16)
            nn_rows_to_bf16_avx512bf16(x, r1 - r0, F->cvt_cols, F->cvt_cols, y, F->cvt_ld);
        else
            nn_rows_to_bf16(x, r1 - r0, F->cvt_cols, F->cvt_cols, y, F->cvt_ld);
    }
}

static void job_toq8(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    (void)t;
    (void)nt;
    size_t c;
    while (claim(F, (F->T + ROW_CHUNK - 1) / ROW_CHUNK, &c)) {
        size_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < F->T ? r0 + ROW_CHUNK : F->T;
        void (*q8)(const float *, size_t, size_t, size_t, uint8_t *, size_t, float *,
                   int32_t *) =
            F->kernel == NN_KERNEL_AVX512 && F->m->has_vnni ? nn_q8_rows_avx512 : nn_q8_rows;
        q8(F->cvt_src + r0 * F->cvt_cols, r1 - r0, F->cvt_cols, F->cvt_cols,
           F->ws->buf8 + r0 * F->cvt_ld, F->cvt_ld, F->ws->qscale + r0, F->ws->qzero + r0);
    }
}

/* y = act(x W^T + b) for the linears ls (all with the same input x of
 * T x in rows): one parallel job, in F32 or BF16 as the model runs */
static void dense(fwd *F, const float *x, const nn_linear *const *ls, float *const *ys,
                  size_t count, int act)
{
    size_t T = F->T, in = ls[0]->in;
    if (F->m->precision == NN_PRECISION_BF16) {
        F->cvt_src = x;
        F->cvt_cols = in;
        F->cvt_ld = ls[0]->ld16;
        run_job(F, job_tobf16, F);
        for (size_t i = 0; i < count; i++) {
            nn_gemm16 g = {T, ls[i]->ld16, F->ws->buf16, ls[i]->ld16, ls[i]->w16, ls[i]->ld16,
                           ls[i]->b, ys[i], ls[i]->out, act};
            gemm_job J = {F, &g, NULL, NULL, &ls[i]->out, 1, ls[i]->out, T > 96 ? 128 : 32, 0};
            J.nchunks = (J.total + J.cols - 1) / J.cols;
            run_job(F, job_gemm, &J);
        }
        return;
    }
    if (F->m->precision == NN_PRECISION_INT8) {
        F->cvt_src = x;
        F->cvt_cols = in;
        F->cvt_ld = Q8_LD(in);
        run_job(F, job_toq8, F);
        for (size_t i = 0; i < count; i++) {
            nn_gemm8 g = {T, F->ws->buf8, F->cvt_ld, F->ws->qscale, F->ws->qzero,
                          &ls[i]->q8, ls[i]->b, ys[i], ls[i]->out, act};
            gemm_job J = {F, NULL, &g, NULL, &ls[i]->out, 1, ls[i]->out, T > 96 ? 128 : 32, 0};
            J.nchunks = (J.total + J.cols - 1) / J.cols;
            run_job(F, job_gemm, &J);
        }
        return;
    }
    nn_gemm g[3];
    size_t n[3];
    for (size_t i = 0; i < count; i++) {
        g[i] = (nn_gemm){T, in, 1.0f, x, in, ls[i]->w, in, ls[i]->b, ys[i], ls[i]->out, act};
        n[i] = ls[i]->out;
    }
    run_gemms(F, g, n, count);
}

static void embed_rows(fwd *F, size_t r0, size_t r1)
{
    const nn_bert *m = F->m;
    size_t H = m->cfg.hidden;
    size_t s = 0;
    while (F->starts[s + 1] <= r0)
        s++;
    for (size_t r = r0; r < r1; r++) {
        while (F->starts[s + 1] <= r)
            s++;
        size_t p = r - F->starts[s] + m->pos_offset;
        const float *we = m->word + (size_t)F->ids[r] * H;
        const float *pe = m->pos + p * H;
        const float *te = m->type ? m->type + (size_t)(F->types ? F->types[r] : 0) * H : NULL;
        float *x = F->x + r * H;
        if (te)
            for (size_t j = 0; j < H; j++)
                x[j] = we[j] + pe[j] + te[j];
        else
            for (size_t j = 0; j < H; j++)
                x[j] = we[j] + pe[j];
    }
    if (F->kernel == NN_KERNEL_AVX512)
        nn_layernorm_avx512(F->x + r0 * H, NULL, r1 - r0, H, m->ln_emb.g, m->ln_emb.b,
                            m->cfg.layer_norm_eps);
    else
        nn_layernorm_ref(F->x + r0 * H, NULL, r1 - r0, H, m->ln_emb.g, m->ln_emb.b,
                         m->cfg.layer_norm_eps);
}

static void job_embed(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    (void)t;
    (void)nt;
    size_t c;
    while (claim(F, (F->T + ROW_CHUNK - 1) / ROW_CHUNK, &c)) {
        size_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < F->T ? r0 + ROW_CHUNK : F->T;
        embed_rows(F, r0, r1);
    }
}

static void job_norm(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    (void)t;
    (void)nt;
    size_t H = F->m->cfg.hidden, c;
    while (claim(F, (F->T + ROW_CHUNK - 1) / ROW_CHUNK, &c)) {
        size_t r0 = c * ROW_CHUNK, r1 = r0 + ROW_CHUNK < F->T ? r0 + ROW_CHUNK : F->T;
        const float *res = F->ln_res ? F->ln_res + r0 * H : NULL;
        if (F->kernel == NN_KERNEL_AVX512)
            nn_layernorm_avx512(F->ln_x + r0 * H, res, r1 - r0, H, F->norm->g, F->norm->b,
                                F->m->cfg.layer_norm_eps);
        else
            nn_layernorm_ref(F->ln_x + r0 * H, res, r1 - r0, H, F->norm->g, F->norm->b,
                             F->m->cfg.layer_norm_eps);
    }
}

/* attention of one (sequence, head) */
static void attend(fwd *F, size_t s, size_t h, float *scr)
{
    const nn_bert_config *c = &F->m->cfg;
    size_t H = c->hidden, dh = H / c->heads;
    size_t o = F->starts[s], L = F->lens[s];
    float *S = scr, *Vt = scr + L * L;
    nn_gemm g = {L, dh, 1.0f / sqrtf((float)dh), F->q + o * H + h * dh, H,
                 F->k + o * H + h * dh, H, NULL, S, L, NN_ACT_NONE};
    nn_gemm_nt(F->kernel, &g, 0, L);
    if (F->kernel == NN_KERNEL_AVX512)
        nn_softmax_avx512(S, L, L, L);
    else
        nn_softmax_ref(S, L, L, L);
    const float *v = F->v + o * H + h * dh;
    for (size_t i = 0; i < L; i++)
        for (size_t d = 0; d < dh; d++)
            Vt[d * L + i] = v[i * H + d];
    nn_gemm g2 = {L, L, 1.0f, S, L, Vt, L, NULL, F->ctx + o * H + h * dh, H, NN_ACT_NONE};
    nn_gemm_nt(F->kernel, &g2, 0, dh);
}

static void job_attn(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    (void)nt;
    size_t heads = F->m->cfg.heads, c;
    float *scr = F->ws->scr[t];
    while (claim(F, F->nseq * heads, &c)) {
        size_t s = c / heads, h = c % heads;
        if (F->lens[s])
            attend(F, s, h, scr);
    }
}

/* how many floats past a 64-byte boundary p lies (0 if not float-aligned) */
static size_t mis16(const float *p)
{
    uintptr_t u = (uintptr_t)p;
    return (u & 3u) ? 0 : (size_t)((u & 63u) / 4);
}

static int forward_group(fwd *F, float *logits, float *hidden, size_t hidden_stride)
{
    const nn_bert *m = F->m;
    const nn_bert_config *c = &m->cfg;
    size_t H = c->hidden, FFN = c->intermediate, T = F->T;
    nn_workspace *ws = F->ws;

    /* Each activation matrix starts where its consumer's weights do, modulo
     * a cache line (weights in a .safetensors mapping are rarely 64-byte
     * aligned): the AVX-512 kernel then loads both on line boundaries. */
    size_t seg[7] = {T * H, T * H, T * H, T * H, T * H, T * H, T * FFN};
    size_t shift[7] = {mis16(m->layer[0].q.w), 0, 0, 0, mis16(m->layer[0].o.w),
                       mis16(m->layer[0].ff1.w), mis16(m->layer[0].ff2.w)};
    size_t need = 0;
    for (int i = 0; i < 7; i++)
        need += (seg[i] + 15) / 16 * 16 + 16;
    if (ws_reserve(&ws->buf, &ws->cap, need))
        return NER_ENOMEM;
    if (m->precision == NN_PRECISION_INT8 &&
        ws_reserve8(ws, T * Q8_LD(H > FFN ? H : FFN) + 64, T))
        return NER_ENOMEM;
    if (m->precision == NN_PRECISION_BF16) {
        size_t ld = ((H > FFN ? H : FFN) + 31) / 32 * 32;
        if (ws_reserve16(&ws->buf16, &ws->cap16, T * ld))
            return NER_ENOMEM;
    }
    size_t Lmax = 0;
    for (size_t s = 0; s < F->nseq; s++)
        if (F->lens[s] > Lmax)
            Lmax = F->lens[s];
    size_t dh = H / c->heads;
    for (unsigned t = 0; t < F->nthreads; t++)
        if (ws_reserve(&ws->scr[t], &ws->scrcap[t], Lmax * Lmax + dh * Lmax + 16))
            return NER_ENOMEM;
    float *bufs[7];
    size_t off = 0;
    for (int i = 0; i < 7; i++) {
        bufs[i] = ws->buf + off + shift[i];
        off += (seg[i] + 15) / 16 * 16 + 16;
    }
    F->x = bufs[0];
    F->q = bufs[1];
    F->k = bufs[2];
    F->v = bufs[3];
    F->ctx = bufs[4];
    F->t1 = bufs[5];
    F->ff = bufs[6];

    run_job(F, job_embed, F);
    if (hidden)
        memcpy(hidden, F->x, T * H * sizeof(float));

    for (size_t l = 0; l < c->layers; l++) {
        const nn_layer *y = &m->layer[l];
        const nn_linear *qkv[3] = {&y->q, &y->k, &y->v};
        float *qkv_out[3] = {F->q, F->k, F->v};
        dense(F, F->x, qkv, qkv_out, 3, NN_ACT_NONE);
        run_job(F, job_attn, F);
        const nn_linear *lo = &y->o, *l1 = &y->ff1, *l2 = &y->ff2;
        dense(F, F->ctx, &lo, &F->t1, 1, NN_ACT_NONE);
        F->norm = &y->ln_att;
        F->ln_x = F->t1;
        F->ln_res = F->x;
        run_job(F, job_norm, F);
        dense(F, F->t1, &l1, &F->ff, 1, c->act);
        dense(F, F->ff, &l2, &F->x, 1, NN_ACT_NONE);
        F->norm = &y->ln_out;
        F->ln_x = F->x;
        F->ln_res = F->t1;
        run_job(F, job_norm, F);
        if (hidden)
            memcpy(hidden + (l + 1) * hidden_stride, F->x, T * H * sizeof(float));
    }
    if (logits) {
        size_t nl = c->num_labels;
        nn_gemm gc = {T, H, 1.0f, F->x, H, m->cls.w, H, m->cls.b, logits, nl, NN_ACT_NONE};
        run_gemms(F, &gc, &nl, 1);
    }
    return NER_OK;
}

static int check_input(const nn_bert *m, const int32_t *ids, const int32_t *type_ids,
                       const size_t *seq_lens, size_t nseq, size_t *total,
                       char *errbuf, size_t errlen)
{
    const nn_bert_config *c = &m->cfg;
    size_t T = 0;
    for (size_t s = 0; s < nseq; s++) {
        if (seq_lens[s] > c->max_seq_len) {
            nu_errf(errbuf, errlen, "sequence %zu has %zu tokens; the model takes at most %zu "
                    "(max_position_embeddings %zu)", s, seq_lens[s], c->max_seq_len,
                    c->max_positions);
            return NER_ETOOBIG;
        }
        T += seq_lens[s];
    }
    if (T && !ids) {
        nu_errf(errbuf, errlen, "nn_bert_forward: ids is NULL");
        return NER_EINVAL;
    }
    size_t s = 0, left = nseq ? seq_lens[0] : 0;
    for (size_t r = 0; r < T; r++) {
        while (left == 0) {
            s++;
            left = seq_lens[s];
        }
        left--;
        if (ids[r] < 0 || (size_t)ids[r] >= c->vocab_size) {
            nu_errf(errbuf, errlen, "token %zu (sequence %zu): id %ld is out of range "
                    "(vocab_size %zu)", r, s, (long)ids[r], c->vocab_size);
            return NER_ERANGE;
        }
        if (type_ids && (type_ids[r] < 0 || (size_t)type_ids[r] >= c->type_vocab_size) &&
            !(type_ids[r] == 0 && c->type_vocab_size == 0)) {
            nu_errf(errbuf, errlen, "token %zu (sequence %zu): token type %ld is out of range "
                    "(type_vocab_size %zu)", r, s, (long)type_ids[r], c->type_vocab_size);
            return NER_ERANGE;
        }
    }
    *total = T;
    return NER_OK;
}

int nn_bert_forward_hidden(const nn_bert *m, nn_workspace *ws, const int32_t *ids,
                           const int32_t *type_ids, const size_t *seq_lens, size_t nseq,
                           float *logits, float *hidden, char *errbuf, size_t errlen)
{
    if (!m || !ws || (nseq && !seq_lens)) {
        nu_errf(errbuf, errlen, "nn_bert_forward: NULL argument");
        return NER_EINVAL;
    }
    size_t T;
    int rc = check_input(m, ids, type_ids, seq_lens, nseq, &T, errbuf, errlen);
    if (rc)
        return rc;
    if (T == 0)
        return NER_OK;
    if (m->kernel == NN_KERNEL_REF) {
        rc = nn_bert_forward_ref(m, ids, type_ids, seq_lens, nseq, logits, hidden);
        if (rc)
            nu_errf(errbuf, errlen, "nn_bert_forward: out of memory");
        return rc;
    }
    const nn_bert_config *c = &m->cfg;
    size_t *starts = malloc((nseq + 1) * sizeof *starts);
    if (!starts) {
        nu_errf(errbuf, errlen, "nn_bert_forward: out of memory");
        return NER_ENOMEM;
    }
    /* skip empty sequences, cut into groups of about GROUP_TOKENS */
    size_t s = 0, row = 0;
    while (s < nseq) {
        size_t s1 = s, n = 0;
        while (s1 < nseq && (s1 == s || n + seq_lens[s1] <= GROUP_TOKENS)) {
            n += seq_lens[s1];
            s1++;
        }
        if (n) {
            fwd F;
            memset(&F, 0, sizeof F);
            F.m = m;
            F.ws = ws;
            F.kernel = m->kernel;
            F.nthreads = nn_pool_size(ws->pool);
            F.T = n;
            F.ids = ids + row;
            F.types = type_ids ? type_ids + row : NULL;
            F.lens = seq_lens + s;
            F.nseq = s1 - s;
            F.starts = starts;
            starts[0] = 0;
            for (size_t i = 0; i < F.nseq; i++)
                starts[i + 1] = starts[i] + F.lens[i];
            rc = forward_group(&F, logits ? logits + row * c->num_labels : NULL,
                               hidden ? hidden + row * c->hidden : NULL, T * c->hidden);
            if (rc) {
                nu_errf(errbuf, errlen, "nn_bert_forward: out of memory (%zu tokens)", n);
                break;
            }
        }
        row += n;
        s = s1;
    }
    free(starts);
    return rc;
}

int nn_bert_forward(const nn_bert *m, nn_workspace *ws, const int32_t *ids,
                    const int32_t *type_ids, const size_t *seq_lens, size_t nseq,
                    float *logits, char *errbuf, size_t errlen)
{
    if (!logits) {
        nu_errf(errbuf, errlen, "nn_bert_forward: logits is NULL");
        return NER_EINVAL;
    }
    return nn_bert_forward_hidden(m, ws, ids, type_ids, seq_lens, nseq, logits, NULL, errbuf,
                                  errlen);
}
