/* AVX-512 kernels, compiled with target attributes and chosen at run time
 * (nn_cpu_has_avx512), so the library still runs on CPUs without them.
 *
 * The matrix product is in "dot" form: C = A . B^T with both A and B read
 * row-major along k, which is how Hugging Face stores Linear weights
 * ([out, in]).  Nothing is packed: weights are read where they lie (the
 * file mapping).  A 3 x 8 register tile (3 rows of A against 8 rows of B,
 * 24 accumulators of 16 lanes) runs along k; the 16 lanes of each
 * accumulator are then summed by a transpose-and-add network.  Blocking:
 * B is taken 8 rows x KC columns at a time (24 KB, L1), A in chunks of MC
 * rows x KC columns (L2). */
#include "nn/kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/bert.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define INL inline __attribute__((always_inline))

int nn_cpu_has_avx512(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("fma");
}

/* ------------------------------------------------------------ math */

/* e^x, Cephes polynomial after reduction by ln 2; scalef gives 0 for
 * very negative x (and so for -FLT_MAX), as softmax needs. */
TGT static INL __m512 exp512(__m512 x)
{
    x = _mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f));
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, r);
    p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* erf(x): rational approximation on [-4, 4] (Eigen's generic_fast_erf_float). */
TGT static INL __m512 erf512(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-4.0f)), _mm512_set1_ps(4.0f));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 p = _mm512_fmadd_ps(x2, _mm512_set1_ps(-2.72614225801306e-10f),
                               _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(x2, p, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(x, p);
    __m512 q = _mm512_fmadd_ps(x2, _mm512_set1_ps(-1.45660718464996e-05f),
                               _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(x2, q, _mm512_set1_ps(-1.42647390514189e-02f));
    return _mm512_div_ps(p, q);
}

TGT static INL __m512 act512(__m512 x, int act)
{
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    switch (act) {
    case NN_ACT_GELU: {
        __m512 e = erf512(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f)));
        return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, e));
    }
    case NN_ACT_GELU_TANH: {
        /* tanh(u) = 1 - 2 / (exp(2u) + 1) */
        __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
        __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.79788456080286536f),
                                 _mm512_fmadd_ps(_mm512_set1_ps(0.044715f), x3, x));
        __m512 e = exp512(_mm512_add_ps(u, u));
        __m512 t = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
        return _mm512_mul_ps(_mm512_mul_ps(half, x), _mm512_add_ps(one, t));
    }
    case NN_ACT_RELU:
        return _mm512_max_ps(x, _mm512_setzero_ps());
    default:
        return x;
    }
}

TGT static INL __mmask16 tail_mask(size_t n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
}

TGT void nn_act_avx512(float *c, size_t m, size_t ldc, size_t n0, size_t n1, int act)
{
    if (act == NN_ACT_NONE || n1 <= n0)
        return;
    for (size_t i = 0; i < m; i++) {
        float *row = c + i * ldc;
        for (size_t j = n0; j < n1; j += 16) {
            __mmask16 mk = tail_mask(n1 - j);
            __m512 v = _mm512_maskz_loadu_ps(mk, row + j);
            _mm512_mask_storeu_ps(row + j, mk, act512(v, act));
        }
    }
}

/* ------------------------------------------------------------ reductions */

/* lane j of the result = sum of the 16 lanes of v[j], v = x[0..8) y[0..8) */
TGT static INL __m512 reduce16(const __m512 x[8], const __m512 y[8])
{
    __m512 t[8], u[4];
    for (int i = 0; i < 4; i++)
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(x[2 * i], x[2 * i + 1]),
                             _mm512_unpackhi_ps(x[2 * i], x[2 * i + 1]));
    for (int i = 0; i < 4; i++)
        t[4 + i] = _mm512_add_ps(_mm512_unpacklo_ps(y[2 * i], y[2 * i + 1]),
                                 _mm512_unpackhi_ps(y[2 * i], y[2 * i + 1]));
    for (int i = 0; i < 4; i++)
        u[i] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0x44),
                             _mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0xEE));
    __m512 w01 = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x44),
                               _mm512_shuffle_f32x4(u[0], u[1], 0xEE));
    __m512 w23 = _mm512_add_ps(_mm512_shuffle_f32x4(u[2], u[3], 0x44),
                               _mm512_shuffle_f32x4(u[2], u[3], 0xEE));
    return _mm512_add_ps(_mm512_shuffle_f32x4(w01, w23, 0x88),
                         _mm512_shuffle_f32x4(w01, w23, 0xDD));
}

/* lane j (j < 8) of the result = sum of the 16 lanes of v[j] */
TGT static INL __m256 reduce8(const __m512 v[8])
{
    __m512 t[4], u[2];
    for (int i = 0; i < 4; i++)
        t[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]),
                             _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 2; i++)
        u[i] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0x44),
                             _mm512_shuffle_ps(t[2 * i], t[2 * i + 1], 0xEE));
    /* u[i] quad q = sums over quad q of v[4i..4i+3] */
    __m512 w = _mm512_add_ps(_mm512_shuffle_f32x4(u[0], u[1], 0x44),
                             _mm512_shuffle_f32x4(u[0], u[1], 0xEE));
    /* w = [u0.q0+u0.q2, u0.q1+u0.q3, u1.q0+u1.q2, u1.q1+u1.q3] */
    __m512 s = _mm512_add_ps(w, _mm512_shuffle_f32x4(w, w, 0xB1));
    /* s quads: [u0, u0, u1, u1] totals */
    return _mm512_castps512_ps256(_mm512_shuffle_f32x4(s, s, 0x08));
}

/* ------------------------------------------------------------ GEMM */

#define MR 3
#define NR 8
#define KC 768
#define MC 192

/* Partial sums over k in [0, kc) of rows a[0..3) (rows >= mr repeat row
 * mr-1) against rows b[0..8) (row j at b + j*ldb; rows >= nb repeat row
 * nb-1), written to out[i][0..8).  Written out by macro so that the 24
 * accumulators live in registers (a compiler does not reliably unroll
 * nested loops over register arrays). */
#define ACC_DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = c##i##0, c##i##2 = c##i##0, \
    c##i##3 = c##i##0, c##i##4 = c##i##0, c##i##5 = c##i##0, c##i##6 = c##i##0, c##i##7 = c##i##0
#define STEP(j, LOAD, o) do {                               \
        __m512 bv = LOAD(b##j + (o));                       \
        c0##j = _mm512_fmadd_ps(a0v, bv, c0##j);            \
        c1##j = _mm512_fmadd_ps(a1v, bv, c1##j);            \
        c2##j = _mm512_fmadd_ps(a2v, bv, c2##j);            \
    } while (0)
#define STEPS(LOAD, o) do {                                                   \
        __m512 a0v = LOAD(a0 + (o)), a1v = LOAD(a1 + (o)), a2v = LOAD(a2 + (o)); \
        STEP(0, LOAD, o); STEP(1, LOAD, o); STEP(2, LOAD, o); STEP(3, LOAD, o); \
        STEP(4, LOAD, o); STEP(5, LOAD, o); STEP(6, LOAD, o); STEP(7, LOAD, o); \
    } while (0)
#define LOADU(p) _mm512_loadu_ps(p)
#define LOADA(p) _mm512_load_ps(p)
#define LOADM(p) _mm512_maskz_loadu_ps(mk, p)
#define ROW(i) {c##i##0, c##i##1, c##i##2, c##i##3, c##i##4, c##i##5, c##i##6, c##i##7}

/* shift: -1, or r in [0, 16) when every A and B row starts r floats past a
 * 64-byte boundary: then a masked head step brings the loads onto cache-line
 * boundaries (an unaligned 64-byte load touches two lines, which costs a
 * third of the speed when B streams from memory). */
TGT static void tile(int mr, size_t kc, const float *a, size_t lda, const float *b,
                     size_t ldb, size_t nb, float out[MR][NR], int shift)
{
    const float *a0 = a, *a1 = mr > 1 ? a + lda : a0, *a2 = mr > 2 ? a + 2 * lda : a1;
#define BROW(j) const float *b##j = b + ((size_t)(j) < nb ? (size_t)(j) : nb - 1) * ldb
    BROW(0); BROW(1); BROW(2); BROW(3); BROW(4); BROW(5); BROW(6); BROW(7);
#undef BROW
    ACC_DECL(0); ACC_DECL(1); ACC_DECL(2);
    size_t k = 0;
    if (shift >= 0) {
        if (shift > 0) {
            /* lanes [shift, 16) of the aligned vector at -shift: k in [0, 16 - shift) */
            size_t r = (size_t)shift, h = 16 - r;
            uint32_t lanes = 0xffffu << r;
            if (kc < h)
                lanes &= (1u << (r + kc)) - 1u;
            __mmask16 mk = (__mmask16)lanes;
            STEPS(LOADM, -(ptrdiff_t)r);
            k = h < kc ? h : kc;
        }
        for (; k + 16 <= kc; k += 16)
            STEPS(LOADA, k);
    } else {
        for (; k + 16 <= kc; k += 16)
            STEPS(LOADU, k);
    }
    if (k < kc) {
        __mmask16 mk = tail_mask(kc - k);
        STEPS(LOADM, k);
    }
    __m512 r0[8] = ROW(0), r1[8] = ROW(1), r2[8] = ROW(2);
    __m512 r = reduce16(r0, r1);
    _mm256_storeu_ps(out[0], _mm512_castps512_ps256(r));
    _mm256_storeu_ps(out[1], _mm512_extractf32x8_ps(r, 1));
    _mm256_storeu_ps(out[2], reduce8(r2));
}
#undef STEP
#undef STEPS
#undef LOADA
#undef LOADU
#undef LOADM

TGT static INL void store_tile(float *c0, size_t ldc, const float *bias0, float alpha_,
                               int mr, size_t nb, float part[MR][NR], int first)
{
    __mmask8 mk = (__mmask8)((1u << nb) - 1u);
    __m256 alpha = _mm256_set1_ps(alpha_);
    __m256 bias = bias0 && first ? _mm256_maskz_loadu_ps(mk, bias0) : _mm256_setzero_ps();
    for (int i = 0; i < mr; i++) {
        float *c = c0 + (size_t)i * ldc;
        __m256 v = _mm256_fmadd_ps(alpha, _mm256_loadu_ps(part[i]), bias);
        if (!first)
            v = _mm256_add_ps(v, _mm256_maskz_loadu_ps(mk, c));
        _mm256_mask_storeu_ps(c, mk, v);
    }
}

TGT void nn_gemm_nt_avx512(const nn_gemm *g, size_t n0, size_t n1)
{
    if (n1 <= n0 || g->m == 0)
        return;
    if (g->k == 0) {
        for (size_t i = 0; i < g->m; i++)
            for (size_t j = n0; j < n1; j++)
                g->c[i * g->ldc + j] = g->bias ? g->bias[j] : 0.0f;
        nn_act_avx512(g->c, g->m, g->ldc, n0, n1, g->act);
        return;
    }
    float part[MR][NR];
    int shift = -1;
    if ((((uintptr_t)g->a ^ (uintptr_t)g->b) & 63u) == 0 && ((uintptr_t)g->a & 3u) == 0 &&
        g->lda % 16 == 0 && g->ldb % 16 == 0)
        shift = (int)(((uintptr_t)g->a & 63u) / 4);
    for (size_t m0 = 0; m0 < g->m; m0 += MC) {
        size_t mc = g->m - m0 < MC ? g->m - m0 : MC;
        for (size_t j0 = n0; j0 < n1; j0 += NR) {
            size_t nb = n1 - j0 < NR ? n1 - j0 : NR;
            const float *b = g->b + j0 * g->ldb;
            for (size_t k0 = 0; k0 < g->k; k0 += KC) {
                size_t kc = g->k - k0 < KC ? g->k - k0 : KC;
                for (size_t i = 0; i < mc; i += MR) {
                    int mr = mc - i < MR ? (int)(mc - i) : MR;
                    tile(mr, kc, g->a + (m0 + i) * g->lda + k0, g->lda, b + k0, g->ldb, nb, part,
                         shift);
                    store_tile(g->c + (m0 + i) * g->ldc + j0, g->ldc,
                               g->bias ? g->bias + j0 : NULL, g->alpha, mr, nb, part, k0 == 0);
                }
            }
        }
        nn_act_avx512(g->c + m0 * g->ldc, mc, g->ldc, n0, n1, g->act);
    }
}

/* ------------------------------------------------------------ BF16 GEMM */

#define TGT16 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512bf16,fma")))
#define KC16 1536

int nn_cpu_has_avx512bf16(void)
{
    return nn_cpu_has_avx512() && __builtin_cpu_supports("avx512bf16");
}

#define STEP16(j) do {                                                     \
        __m512bh bv = (__m512bh)_mm512_loadu_si512((const void *)(b##j + k)); \
        c0##j = _mm512_dpbf16_ps(c0##j, a0v, bv);                          \
        c1##j = _mm512_dpbf16_ps(c1##j, a1v, bv);                          \
        c2##j = _mm512_dpbf16_ps(c2##j, a2v, bv);                          \
    } while (0)

/* the 3 x 8 tile of tile() on bf16 pairs: 32 k per step, kc a multiple of 32 */
TGT16 static void tile16(int mr, size_t kc, const uint16_t *a, size_t lda, const uint16_t *b,
                         size_t ldb, size_t nb, float out[MR][NR])
{
    const uint16_t *a0 = a, *a1 = mr > 1 ? a + lda : a0, *a2 = mr > 2 ? a + 2 * lda : a1;
#define BROW(j) const uint16_t *b##j = b + ((size_t)(j) < nb ? (size_t)(j) : nb - 1) * ldb
    BROW(0); BROW(1); BROW(2); BROW(3); BROW(4); BROW(5); BROW(6); BROW(7);
#undef BROW
    ACC_DECL(0); ACC_DECL(1); ACC_DECL(2);
    for (size_t k = 0; k < kc; k += 32) {
        __m512bh a0v = (__m512bh)_mm512_loadu_si512((const void *)(a0 + k));
        __m512bh a1v = (__m512bh)_mm512_loadu_si512((const void *)(a1 + k));
        __m512bh a2v = (__m512bh)_mm512_loadu_si512((const void *)(a2 + k));
        STEP16(0); STEP16(1); STEP16(2); STEP16(3);
        STEP16(4); STEP16(5); STEP16(6); STEP16(7);
    }
    __m512 r0[8] = ROW(0), r1[8] = ROW(1), r2[8] = ROW(2);
    __m512 r = reduce16(r0, r1);
    _mm256_storeu_ps(out[0], _mm512_castps512_ps256(r));
    _mm256_storeu_ps(out[1], _mm512_extractf32x8_ps(r, 1));
    _mm256_storeu_ps(out[2], reduce8(r2));
}
#undef STEP16

TGT16 void nn_gemm16_avx512bf16(const nn_gemm16 *g, size_t n0, size_t n1)
{
    if (n1 <= n0 || g->m == 0)
        return;
    float part[MR][NR];
    for (size_t m0 = 0; m0 < g->m; m0 += MC) {
        size_t mc = g->m - m0 < MC ? g->m - m0 : MC;
        for (size_t j0 = n0; j0 < n1; j0 += NR) {
            size_t nb = n1 - j0 < NR ? n1 - j0 : NR;
            const uint16_t *b = g->b + j0 * g->ldb;
            for (size_t k0 = 0; k0 < g->k; k0 += KC16) {
                size_t kc = g->k - k0 < KC16 ? g->k - k0 : KC16;
                for (size_t i = 0; i < mc; i += MR) {
                    int mr = mc - i < MR ? (int)(mc - i) : MR;
                    tile16(mr, kc, g->a + (m0 + i) * g->lda + k0, g->lda, b + k0, g->ldb, nb,
                           part);
                    store_tile(g->c + (m0 + i) * g->ldc + j0, g->ldc,
                               g->bias ? g->bias + j0 : NULL, 1.0f, mr, nb, part, k0 == 0);
                }
            }
        }
        nn_act_avx512(g->c + m0 * g->ldc, mc, g->ldc, n0, n1, g->act);
    }
}

TGT16 void nn_rows_to_bf16_avx512bf16(const float *x, size_t rows, size_t cols, size_t ldx,
                                      uint16_t *y, size_t ldy)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        uint16_t *yr = y + r * ldy;
        for (size_t j = 0; j < ldy; j += 32) {
            size_t n = j < cols ? cols - j : 0;
            __m512 lo = _mm512_maskz_loadu_ps(tail_mask(n), xr + j);
            __m512 hi = _mm512_maskz_loadu_ps(tail_mask(n > 16 ? n - 16 : 0), xr + j + 16);
            __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);
            __mmask32 mk = ldy - j >= 32 ? (__mmask32)0xffffffffu
                                         : (__mmask32)((1u << (ldy - j)) - 1u);
            _mm512_mask_storeu_epi16(yr + j, mk, (__m512i)v);
        }
    }
}

#undef ROW
#undef ACC_DECL

/* ------------------------------------------------------------ LayerNorm, softmax */

TGT static INL float hsum(__m512 v)
{
    return _mm512_reduce_add_ps(v);
}

TGT void nn_layernorm_avx512(float *x, const float *res, size_t rows, size_t h,
                             const float *g, const float *b, float eps)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * h;
        const float *rr = res ? res + r * h : NULL;
        __m512 s = _mm512_setzero_ps();
        for (size_t j = 0; j < h; j += 16) {
            __mmask16 mk = tail_mask(h - j);
            __m512 a = _mm512_maskz_loadu_ps(mk, v + j);
            if (rr) {
                a = _mm512_add_ps(a, _mm512_maskz_loadu_ps(mk, rr + j));
                _mm512_mask_storeu_ps(v + j, mk, a);
            }
            s = _mm512_add_ps(s, a);
        }
        float mean = hsum(s) / (float)h;
        __m512 mv = _mm512_set1_ps(mean);
        __m512 q = _mm512_setzero_ps();
        for (size_t j = 0; j < h; j += 16) {
            __mmask16 mk = tail_mask(h - j);
            __m512 d = _mm512_maskz_sub_ps(mk, _mm512_maskz_loadu_ps(mk, v + j), mv);
            q = _mm512_fmadd_ps(d, d, q);
        }
        float var = hsum(q) / (float)h;
        __m512 inv = _mm512_set1_ps(1.0f / sqrtf(var + eps));
        for (size_t j = 0; j < h; j += 16) {
            __mmask16 mk = tail_mask(h - j);
            __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, v + j), mv), inv);
            __m512 o = _mm512_fmadd_ps(d, _mm512_maskz_loadu_ps(mk, g + j),
                                       _mm512_maskz_loadu_ps(mk, b + j));
            _mm512_mask_storeu_ps(v + j, mk, o);
        }
    }
}

TGT void nn_softmax_avx512(float *x, size_t rows, size_t cols, size_t ld)
{
    if (!cols)
        return;
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * ld;
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (size_t j = 0; j < cols; j += 16) {
            __mmask16 mk = tail_mask(cols - j);
            mx = _mm512_mask_max_ps(mx, mk, mx, _mm512_maskz_loadu_ps(mk, v + j));
        }
        __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 s = _mm512_setzero_ps();
        for (size_t j = 0; j < cols; j += 16) {
            __mmask16 mk = tail_mask(cols - j);
            __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, v + j), m));
            e = _mm512_maskz_mov_ps(mk, e);
            s = _mm512_add_ps(s, e);
            _mm512_mask_storeu_ps(v + j, mk, e);
        }
        __m512 inv = _mm512_set1_ps(1.0f / hsum(s));
        for (size_t j = 0; j < cols; j += 16) {
            __mmask16 mk = tail_mask(cols - j);
            _mm512_mask_storeu_ps(v + j, mk, _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, v + j), inv));
        }
    }
}

#endif
