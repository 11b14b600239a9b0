/* Portable kernels: the reference loops and the OpenBLAS path. */
#include "nn/kernels.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/bert.h"

float nn_gelu_erf(float x)
{
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
}

float nn_gelu_tanh(float x)
{
    return 0.5f * x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
}

static float act1(float x, int act)
{
    switch (act) {
    case NN_ACT_GELU: return nn_gelu_erf(x);
    case NN_ACT_GELU_TANH: return nn_gelu_tanh(x);
    case NN_ACT_RELU: return x > 0.0f ? x : 0.0f;
    default: return x;
    }
}

void nn_act_ref(float *c, size_t m, size_t ldc, size_t n0, size_t n1, int act)
{
    if (act == NN_ACT_NONE)
        return;
    for (size_t i = 0; i < m; i++)
        for (size_t j = n0; j < n1; j++)
            c[i * ldc + j] = act1(c[i * ldc + j], act);
}

void nn_gemm_nt_ref(const nn_gemm *g, size_t n0, size_t n1)
{
    for (size_t i = 0; i < g->m; i++) {
        const float *a = g->a + i * g->lda;
        for (size_t j = n0; j < n1; j++) {
            const float *b = g->b + j * g->ldb;
            double s = 0.0;
            for (size_t k = 0; k < g->k; k++)
                s += (double)a[k] * (double)b[k];
            float v = g->alpha * (float)s + (g->bias ? g->bias[j] : 0.0f);
            g->c[i * g->ldc + j] = act1(v, g->act);
        }
    }
}

void nn_gemm_nt_blas(const nn_gemm *g, size_t n0, size_t n1)
{
    if (n1 <= n0 || g->m == 0)
        return;
    size_t n = n1 - n0;
    if (g->k == 0) {
        for (size_t i = 0; i < g->m; i++)
            for (size_t j = n0; j < n1; j++)
                g->c[i * g->ldc + j] = act1(g->bias ? g->bias[j] : 0.0f, g->act);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)g->m, (blasint)n,
                (blasint)g->k, g->alpha, g->a, (blasint)g->lda, g->b + n0 * g->ldb,
                (blasint)g->ldb, 0.0f, g->c + n0, (blasint)g->ldc);
    if (g->bias)
        for (size_t i = 0; i < g->m; i++)
            for (size_t j = n0; j < n1; j++)
                g->c[i * g->ldc + j] += g->bias[j];
    nn_act_ref(g->c, g->m, g->ldc, n0, n1, g->act);
}

uint16_t nn_f32_to_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

void nn_rows_to_bf16(const float *x, size_t rows, size_t cols, size_t ldx, uint16_t *y,
                     size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        for (size_t j = 0; j < cols; j++)
            y[r * ldy + j] = nn_f32_to_bf16(x[r * ldx + j]);
        for (size_t j = cols; j < ldy; j++)
            y[r * ldy + j] = 0;
    }
}

void nn_gemm16_ref(const nn_gemm16 *g, size_t n0, size_t n1)
{
    for (size_t i = 0; i < g->m; i++)
        for (size_t j = n0; j < n1; j++) {
            double s = 0.0;
            for (size_t k = 0; k < g->k; k++)
                s += (double)bf16_to_f32(g->a[i * g->lda + k]) *
                     (double)bf16_to_f32(g->b[j * g->ldb + k]);
            float v = (float)s + (g->bias ? g->bias[j] : 0.0f);
            g->c[i * g->ldc + j] = act1(v, g->act);
        }
}

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
int nn_cpu_has_avx512(void) { return 0; }
int nn_cpu_has_avx512bf16(void) { return 0; }
void nn_gemm16_avx512bf16(const nn_gemm16 *g, size_t n0, size_t n1) { nn_gemm16_ref(g, n0, n1); }
void nn_rows_to_bf16_avx512bf16(const float *x, size_t rows, size_t cols, size_t ldx,
                                uint16_t *y, size_t ldy)
{
    nn_rows_to_bf16(x, rows, cols, ldx, y, ldy);
}
void nn_gemm_nt_avx512(const nn_gemm *g, size_t n0, size_t n1) { nn_gemm_nt_blas(g, n0, n1); }
void nn_act_avx512(float *c, size_t m, size_t ldc, size_t n0, size_t n1, int act)
{
    nn_act_ref(c, m, ldc, n0, n1, act);
}
void nn_layernorm_avx512(float *x, const float *res, size_t rows, size_t h,
                         const float *g, const float *b, float eps)
{
    nn_layernorm_ref(x, res, rows, h, g, b, eps);
}
void nn_softmax_avx512(float *x, size_t rows, size_t cols, size_t ld)
{
    nn_softmax_ref(x, rows, cols, ld);
}
#endif

void nn_gemm_nt(int kernel, const nn_gemm *g, size_t n0, size_t n1)
{
    switch (kernel) {
    case NN_KERNEL_AVX512: nn_gemm_nt_avx512(g, n0, n1); break;
    case NN_KERNEL_BLAS: nn_gemm_nt_blas(g, n0, n1); break;
    default: nn_gemm_nt_ref(g, n0, n1); break;
    }
}

int nn_kernels_select(void)
{
    const char *e = getenv("LIBNER_NN_KERNEL");
    if (e && strcmp(e, "ref") == 0)
        return NN_KERNEL_REF;
    if (e && strcmp(e, "blas") == 0)
        return NN_KERNEL_BLAS;
    if (nn_cpu_has_avx512())
        return NN_KERNEL_AVX512;
    return NN_KERNEL_BLAS;
}

void nn_layernorm_ref(float *x, const float *res, size_t rows, size_t h,
                      const float *g, const float *b, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * h;
        if (res)
            for (size_t j = 0; j < h; j++)
                v[j] += res[r * h + j];
        double mean = 0.0;
        for (size_t j = 0; j < h; j++)
            mean += v[j];
        mean /= (double)h;
        double var = 0.0;
        for (size_t j = 0; j < h; j++) {
            double d = v[j] - mean;
            var += d * d;
        }
        var /= (double)h;
        double inv = 1.0 / sqrt(var + (double)eps);
        for (size_t j = 0; j < h; j++)
            v[j] = (float)((v[j] - mean) * inv) * g[j] + b[j];
    }
}

void nn_softmax_ref(float *x, size_t rows, size_t cols, size_t ld)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * ld;
        if (!cols)
            continue;
        float mx = v[0];
        for (size_t j = 1; j < cols; j++)
            if (v[j] > mx)
                mx = v[j];
        float s = 0.0f;
        for (size_t j = 0; j < cols; j++) {
            v[j] = expf(v[j] - mx);
            s += v[j];
        }
        for (size_t j = 0; j < cols; j++)
            v[j] /= s;
    }
}

void nn_softmax_rows(float *x, size_t rows, size_t cols)
{
    nn_softmax_ref(x, rows, cols, cols);
}
