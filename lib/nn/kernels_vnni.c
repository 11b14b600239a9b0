/* The int8 product on AVX512-VNNI (see kernels.h for the arithmetic).
 *
 * VPDPBUSD multiplies 64 unsigned bytes by 64 signed bytes and adds each
 * group of four products into one of 16 int32 lanes.  Weights are packed
 * at load so that one 64-byte load holds 4 consecutive k of 16 output
 * columns; the 4 activation bytes of a row at the same k are broadcast.  A
 * tile is up to 8 rows x 32 columns: 16 accumulators, 2 weight loads and
 * 8 broadcasts per 16 VPDPBUSD.  Columns outermost: a 32-column panel of
 * weights (kp x 32 bytes, 24 KB for BERT-base's 768) stays in L1 while the
 * rows stream past it. */
#include "nn/kernels.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TGT8 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx512vnni,fma")))
#define INL inline __attribute__((always_inline))
#define MR8 8

int nn_cpu_has_avx512vnni(void)
{
    return nn_cpu_has_avx512() && __builtin_cpu_supports("avx512vnni");
}

static __mmask16 mask_upto(size_t j0, size_t end)
{
    return end >= j0 + 16 ? (__mmask16)0xffff
           : end > j0    ? (__mmask16)((1u << (end - j0)) - 1u)
                         : (__mmask16)0;
}

/* rows [i0, i0 + mr) x panels p0 (and p0 + 1 when np == 2), columns < end;
 * meanwhile pf[0, pflen) (a slice of the next panels) is prefetched */
TGT8 static INL void tile8(const int mr, const int np, const nn_gemm8 *g, size_t i0,
                           size_t p0, size_t end, const int8_t *pf, size_t pflen)
{
    const nn_q8w *w = g->w;
    size_t groups = w->kp / 4;
    const int8_t *b0 = w->q + p0 * groups * 64;
    const int8_t *b1 = b0 + groups * 64;
    const uint8_t *a = g->a + i0 * g->lda;
    size_t lda = g->lda;
    __m512i acc[MR8][2];
    size_t pfstep = (pflen / groups + 63) / 64 * 64;
    if (mr == MR8 && np == 2) {
        /* the full tile with named accumulators: GCC keeps an array of
         * them in registers too, but copies each one per step */
        __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
                c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00,
                c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (size_t q = 0; q < groups; q++) {
            if (pfstep && q * pfstep < pflen)
                _mm_prefetch((const char *)(pf + q * pfstep), _MM_HINT_T0);
            __m512i v0 = _mm512_load_si512((const void *)(b0 + q * 64));
            __m512i v1 = _mm512_load_si512((const void *)(b1 + q * 64));
            const uint8_t *ap = a + q * 4;
#define ROW8(r)                                                              \
            do {                                                             \
                int32_t x;                                                   \
                memcpy(&x, ap + (r) * lda, sizeof x);                        \
                __m512i av = _mm512_set1_epi32(x);                           \
                c##r##0 = _mm512_dpbusd_epi32(c##r##0, av, v0);              \
                c##r##1 = _mm512_dpbusd_epi32(c##r##1, av, v1);              \
            } while (0)
            ROW8(0); ROW8(1); ROW8(2); ROW8(3); ROW8(4); ROW8(5); ROW8(6); ROW8(7);
#undef ROW8
        }
        acc[0][0] = c00; acc[0][1] = c01; acc[1][0] = c10; acc[1][1] = c11;
        acc[2][0] = c20; acc[2][1] = c21; acc[3][0] = c30; acc[3][1] = c31;
        acc[4][0] = c40; acc[4][1] = c41; acc[5][0] = c50; acc[5][1] = c51;
        acc[6][0] = c60; acc[6][1] = c61; acc[7][0] = c70; acc[7][1] = c71;
    } else {
#pragma GCC unroll 8
        for (int r = 0; r < mr; r++) {
            acc[r][0] = _mm512_setzero_si512();
            acc[r][1] = _mm512_setzero_si512();
        }
        for (size_t q = 0; q < groups; q++) {
            if (pfstep && q * pfstep < pflen)
                _mm_prefetch((const char *)(pf + q * pfstep), _MM_HINT_T0);
            __m512i v0 = _mm512_load_si512((const void *)(b0 + q * 64));
            __m512i v1 = np > 1 ? _mm512_load_si512((const void *)(b1 + q * 64))
                                : _mm512_setzero_si512();
#pragma GCC unroll 8
            for (int r = 0; r < mr; r++) {
                int32_t x;
                memcpy(&x, a + r * lda + q * 4, sizeof x);
                __m512i av = _mm512_set1_epi32(x);
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], av, v0);
                if (np > 1)
                    acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], av, v1);
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < mr; r++) {
        size_t i = i0 + (size_t)r;
        __m512i z = _mm512_set1_epi32(g->azero[i]);
        __m512 as = _mm512_set1_ps(g->ascale[i]);
        for (int p = 0; p < np; p++) {
            size_t j0 = (p0 + (size_t)p) * 16;
            size_t bend = end < w->out ? end : w->out;
            __mmask16 mk = mask_upto(j0, end), mb = mask_upto(j0, bend);
            __m512i t = _mm512_sub_epi32(
                acc[r][p], _mm512_mullo_epi32(z, _mm512_loadu_si512((const void *)(w->sum + j0))));
            __m512 s = _mm512_mul_ps(as, _mm512_loadu_ps(w->scale + j0));
            __m512 bias = g->bias ? _mm512_maskz_loadu_ps(mb, g->bias + j0) : _mm512_setzero_ps();
            _mm512_mask_storeu_ps(g->c + i * g->ldc + j0, mk,
                                  _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(t), bias));
        }
    }
}

/* At batch 1 the weights stream from memory once per product: the next
 * panels' bytes are prefetched in slices spread over this panel's row
 * tiles, so that memory is busy during all of the compute rather than only
 * the first tile's. */
TGT8 static void rows8(const nn_gemm8 *g, int np, size_t p0, size_t end)
{
    size_t i = 0, groups = g->w->kp / 4;
    size_t tiles = (g->m + MR8 - 1) / MR8;
    size_t nextp = p0 + (size_t)np, lastp = (end + 15) / 16;
    size_t pflen = nextp < lastp ? (lastp - nextp < 2 ? lastp - nextp : 2) * groups * 64 : 0;
    const int8_t *pf = g->w->q + nextp * groups * 64;
    size_t slice = (pflen / tiles + 63) / 64 * 64;
#define PF(i) pf + ((i) / MR8) * slice, \
              ((i) / MR8) * slice < pflen ? (pflen - ((i) / MR8) * slice < slice ? pflen - ((i) / MR8) * slice : slice) : 0
    if (np == 2)
        for (; i + MR8 <= g->m; i += MR8)
            tile8(MR8, 2, g, i, p0, end, PF(i));
    else
        for (; i + MR8 <= g->m; i += MR8)
            tile8(MR8, 1, g, i, p0, end, PF(i));
    size_t left = g->m - i;
    /* the tail rows, with the row count a constant in each call */
#define TAIL(n) case n: if (np == 2) tile8(n, 2, g, i, p0, end, PF(i)); else tile8(n, 1, g, i, p0, end, PF(i)); break
    switch (left) {
        TAIL(1); TAIL(2); TAIL(3); TAIL(4); TAIL(5); TAIL(6); TAIL(7);
    default: break;
    }
#undef TAIL
#undef PF
}

TGT8 void nn_q8_rows_avx512(const float *x, size_t rows, size_t cols, size_t ldx, uint8_t *q,
                            size_t ldq, float *scale, int32_t *zero)
{
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * ldx;
        uint8_t *qr = q + r * ldq;
        __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
        for (size_t k = 0; k < cols; k += 16) {
            __mmask16 mk = mask_upto(k, cols);
            __m512 v = _mm512_maskz_loadu_ps(mk, xr + k);
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
        }
        float s, inv;
        long z;
        nn_q8_params(_mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), &s, &inv, &z);
        __m512 iv = _mm512_set1_ps(inv);
        __m512i zv = _mm512_set1_epi32((int)z), top = _mm512_set1_epi32(255);
        for (size_t k = 0; k < ldq; k += 16) {
            __mmask16 mk = mask_upto(k, cols), ms = mask_upto(k, ldq);
            __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mk, xr + k), iv));
            v = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, zv), _mm512_setzero_si512()),
                                 top);
            v = _mm512_maskz_mov_epi32(mk, v); /* zero past cols */
            _mm_mask_storeu_epi8(qr + k, ms, _mm512_cvtepi32_epi8(v));
        }
        scale[r] = s;
        zero[r] = (int32_t)z;
    }
}

TGT8 void nn_gemm8_vnni(const nn_gemm8 *g, size_t n0, size_t n1)
{
    if (n1 > g->w->out)
        n1 = g->w->out;
    if (n1 <= n0 || g->m == 0)
        return;
    if (n0 % 16 != 0) {
        nn_gemm8_ref(g, n0, n1);
        return;
    }
    for (size_t p = n0 / 16; p * 16 < n1; p += 2) {
        int np = (p + 1) * 16 < n1 ? 2 : 1;
        rows8(g, np, p, n1);
    }
    nn_act_avx512(g->c, g->m, g->ldc, n0, n1, g->act);
}

#endif
