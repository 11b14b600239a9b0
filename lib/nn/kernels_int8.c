/* INT8 quantisation and the portable int8 product (see kernels.h).  The
 * float steps are written exactly as the VNNI kernel does them (one
 * multiply, one fused multiply-add) so that both give the same bits. */
#include "nn/kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "nn/nn_util.h"

int nn_q8w_init(nn_q8w *q, const float *w, size_t out, size_t in)
{
    memset(q, 0, sizeof *q);
    q->in = in;
    q->out = out;
    q->kp = (in + 3) / 4 * 4;
    q->out16 = (out + 15) / 16 * 16;
    if (q->kp && q->out16 > SIZE_MAX / q->kp)
        return NER_ENOMEM;
    q->q = nn_alloc_aligned(q->out16 * q->kp + 64);
    q->scale = calloc(q->out16, sizeof *q->scale);
    q->sum = calloc(q->out16, sizeof *q->sum);
    if (!q->q || !q->scale || !q->sum) {
        nn_q8w_free(q);
        return NER_ENOMEM;
    }
    memset(q->q, 0, q->out16 * q->kp + 64);
    size_t groups = q->kp / 4;
    for (size_t j = 0; j < out; j++) {
        const float *row = w + j * in;
        float mx = 0.0f;
        for (size_t k = 0; k < in; k++)
            if (fabsf(row[k]) > mx)
                mx = fabsf(row[k]);
        /* an all-zero row: any scale, every q is 0 */
        float s = mx > 0.0f ? mx / 127.0f : 1.0f;
        int8_t *panel = q->q + (j / 16) * groups * 64 + (j % 16) * 4;
        int32_t sum = 0;
        for (size_t k = 0; k < in; k++) {
            long v = lrintf(row[k] / s);
            v = v > 127 ? 127 : v < -127 ? -127 : v;
            panel[(k / 4) * 64 + k % 4] = (int8_t)v;
            sum += (int32_t)v;
        }
        q->scale[j] = s;
        q->sum[j] = sum;
    }
    return NER_OK;
}

void nn_q8w_free(nn_q8w *q)
{
    if (!q)
        return;
    free(q->q);
    free(q->scale);
    free(q->sum);
    q->q = NULL;
    q->scale = NULL;
    q->sum = NULL;
}

void nn_q8_params(float lo, float hi, float *scale, float *inv, long *zero)
{
    float s = hi > lo ? (hi - lo) / 255.0f : 1.0f;
    long z = lrintf(-lo / s);
    *scale = s;
    *inv = 1.0f / s;
    *zero = z > 255 ? 255 : z < 0 ? 0 : z;
}

void nn_q8_rows(const float *x, size_t rows, size_t cols, size_t ldx, uint8_t *q,
                size_t ldq, float *scale, int32_t *zero)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        uint8_t *qr = q + r * ldq;
        /* the range always holds 0, so that 0.0 (padding, ReLU) is exact */
        float lo = 0.0f, hi = 0.0f;
        for (size_t k = 0; k < cols; k++) {
            lo = xr[k] < lo ? xr[k] : lo;
            hi = xr[k] > hi ? xr[k] : hi;
        }
        float s, inv;
        long z;
        nn_q8_params(lo, hi, &s, &inv, &z);
        for (size_t k = 0; k < cols; k++) {
            long v = lrintf(xr[k] * inv) + z;
            qr[k] = (uint8_t)(v > 255 ? 255 : v < 0 ? 0 : v);
        }
        memset(qr + cols, 0, ldq - cols);
        scale[r] = s;
        zero[r] = (int32_t)z;
    }
}

void nn_gemm8_ref(const nn_gemm8 *g, size_t n0, size_t n1)
{
    const nn_q8w *w = g->w;
    size_t groups = w->kp / 4;
    for (size_t i = 0; i < g->m; i++) {
        const uint8_t *a = g->a + i * g->lda;
        for (size_t j = n0; j < n1; j++) {
            const int8_t *panel = w->q + (j / 16) * groups * 64 + (j % 16) * 4;
            int32_t acc = 0;
            for (size_t k = 0; k < w->kp; k++)
                acc += (int32_t)a[k] * (int32_t)panel[(k / 4) * 64 + k % 4];
            acc -= g->azero[i] * w->sum[j];
            float s = g->ascale[i] * w->scale[j];
            g->c[i * g->ldc + j] = fmaf(s, (float)acc, g->bias ? g->bias[j] : 0.0f);
        }
    }
    nn_act_ref(g->c, g->m, g->ldc, n0, n1, g->act);
}

#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
int nn_cpu_has_avx512vnni(void) { return 0; }
void nn_gemm8_vnni(const nn_gemm8 *g, size_t n0, size_t n1) { nn_gemm8_ref(g, n0, n1); }
void nn_q8_rows_avx512(const float *x, size_t rows, size_t cols, size_t ldx, uint8_t *q,
                       size_t ldq, float *scale, int32_t *zero)
{
    nn_q8_rows(x, rows, cols, ldx, q, ldq, scale, zero);
}
#endif
