/*
 * Dense kernels of lib/nn.  One operation shape covers every matrix product
 * of the encoder (linear layers with weights stored [out x in], Q.K^T, and
 * P.V with V transposed):
 *
 *   C[i*ldc + j] = act(alpha * sum_k A[i*lda + k] * B[j*ldb + k] + bias[j])
 *       for i in [0, m), j in [n0, n1), k in [0, k)      ("NT" product)
 *
 * bias may be NULL.  Three implementations: _ref (plain loops, the
 * reference), _blas (cblas_sgemm, then bias and activation) and _avx512
 * (hand-written, reads B rows in place: no packing, so weights stay in the
 * file mapping).  nn_gemm_nt picks the one nn_kernels_select chose.
 * None of them allocates; results do not depend on how [n0, n1) is split.
 */
#ifndef NER_NN_KERNELS_H
#define NER_NN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define NN_ACT_NONE 0
/* NN_ACT_GELU (1), NN_ACT_GELU_TANH (2), NN_ACT_RELU (3): see bert.h */

#define NN_KERNEL_REF    0
#define NN_KERNEL_BLAS   1
#define NN_KERNEL_AVX512 2

typedef struct nn_gemm {
    size_t m, k;
    float alpha;
    const float *a;
    size_t lda;
    const float *b;
    size_t ldb;
    const float *bias;
    float *c;
    size_t ldc;
    int act;
} nn_gemm;

void nn_gemm_nt_ref(const nn_gemm *g, size_t n0, size_t n1);
void nn_gemm_nt_blas(const nn_gemm *g, size_t n0, size_t n1);
void nn_gemm_nt_avx512(const nn_gemm *g, size_t n0, size_t n1);
void nn_gemm_nt(int kernel, const nn_gemm *g, size_t n0, size_t n1);

/* The same product on bfloat16 operands (NN_PRECISION_BF16): a and b hold
 * bf16 bit patterns, k is a multiple of 32 and rows are zero-padded to it;
 * sums are float32.  _avx512bf16 uses VDPBF16PS (AVX512-BF16); _ref is the
 * portable loop (exact products, double sums). */
typedef struct nn_gemm16 {
    size_t m, k;
    const uint16_t *a;
    size_t lda;
    const uint16_t *b;
    size_t ldb;
    const float *bias;
    float *c;
    size_t ldc;
    int act;
} nn_gemm16;

void nn_gemm16_ref(const nn_gemm16 *g, size_t n0, size_t n1);
void nn_gemm16_avx512bf16(const nn_gemm16 *g, size_t n0, size_t n1);
int nn_cpu_has_avx512bf16(void);

/* float -> bf16, round to nearest even (NaN stays NaN) */
uint16_t nn_f32_to_bf16(float x);
/* rows x cols floats (stride ldx) -> bf16 rows of ldy >= cols, zero-padded */
void nn_rows_to_bf16(const float *x, size_t rows, size_t cols, size_t ldx, uint16_t *y,
                     size_t ldy);
void nn_rows_to_bf16_avx512bf16(const float *x, size_t rows, size_t cols, size_t ldx,
                                uint16_t *y, size_t ldy);

/* INT8 (NN_PRECISION_INT8), as ONNX Runtime's dynamic quantisation does it:
 * weights quantised once at load, symmetric per output row (w ~ scale[j] *
 * q[j][k], q in [-127, 127]); activations quantised per product, asymmetric
 * per row (x ~ scale[i] * (q[i][k] - zero[i]), q in [0, 255], 0.0 exact).
 * Products sum in int32 (exact), so
 *   C[i][j] = act(fma(xs[i] * ws[j], (float)(acc - zero[i] * wsum[j]), bias[j]))
 * where acc = sum_k xq[i][k] * wq[j][k] and wsum[j] = sum_k wq[j][k].
 * _vnni (VPDPBUSD, AVX512-VNNI) and _ref (plain loops) give the same bits
 * before the activation; the activation is nn_act_avx512 / nn_act_ref. */
typedef struct nn_q8w {
    int8_t *q;       /* ceil(out/16) panels of kp/4 groups of 64 bytes: row
                        16p+r's k = 4g..4g+3 at q[(p * kp/4 + g) * 64 + 4r]
                        (VPDPBUSD's layout); zero past in and out; owned */
    float *scale;    /* [out16]; owned */
    int32_t *sum;    /* [out16] sum_k q; owned */
    size_t in, out;
    size_t kp;       /* in rounded up to 4 */
    size_t out16;    /* out rounded up to 16 */
} nn_q8w;

/* Quantises the [out x in] float matrix w (row stride in) into *q (its
 * arrays malloc'd; free with nn_q8w_free).  NER_ENOMEM or NER_OK. */
int nn_q8w_init(nn_q8w *q, const float *w, size_t out, size_t in);
void nn_q8w_free(nn_q8w *q);

/* Activation rows: rows x cols floats (stride ldx) -> rows of ldq >= kp
 * bytes (zero past cols), with each row's scale and zero point. */
void nn_q8_rows(const float *x, size_t rows, size_t cols, size_t ldx, uint8_t *q,
                size_t ldq, float *scale, int32_t *zero);
/* The same on AVX-512, bit for bit (q = round(x * inv) + zero, inv = 1 / scale). */
void nn_q8_rows_avx512(const float *x, size_t rows, size_t cols, size_t ldx, uint8_t *q,
                       size_t ldq, float *scale, int32_t *zero);
/* A row's scale, its inverse and zero point from its range [lo, hi] (lo <= 0 <= hi). */
void nn_q8_params(float lo, float hi, float *scale, float *inv, long *zero);

typedef struct nn_gemm8 {
    size_t m;
    const uint8_t *a;      /* m rows of lda bytes (nn_q8_rows) */
    size_t lda;
    const float *ascale;
    const int32_t *azero;
    const nn_q8w *w;
    const float *bias;     /* [w->out] or NULL */
    float *c;
    size_t ldc;
    int act;
} nn_gemm8;

/* Columns [n0, n1) of C; _vnni needs n0 a multiple of 16 (it falls back to
 * _ref otherwise). */
void nn_gemm8_ref(const nn_gemm8 *g, size_t n0, size_t n1);
void nn_gemm8_vnni(const nn_gemm8 *g, size_t n0, size_t n1);
int nn_cpu_has_avx512vnni(void);

/* 1 if this CPU and build can run the AVX-512 kernels. */
int nn_cpu_has_avx512(void);
/* The best kernel for this CPU (NN_KERNEL_AVX512 or NN_KERNEL_BLAS); the
 * environment variable LIBNER_NN_KERNEL=ref|blas|avx512 overrides it (read
 * once per model load: a documented knob for tests and benchmarks). */
int nn_kernels_select(void);

/* Activation in place on rows [0, m) x columns [n0, n1) of c. */
void nn_act_ref(float *c, size_t m, size_t ldc, size_t n0, size_t n1, int act);
void nn_act_avx512(float *c, size_t m, size_t ldc, size_t n0, size_t n1, int act);

/* x[r] = LayerNorm(x[r] + res[r]) * g + b for rows [0, rows), h columns;
 * res may be NULL.  Mean and variance over h (biased), eps inside the sqrt. */
void nn_layernorm_ref(float *x, const float *res, size_t rows, size_t h,
                      const float *g, const float *b, float eps);
void nn_layernorm_avx512(float *x, const float *res, size_t rows, size_t h,
                         const float *g, const float *b, float eps);

/* Row-wise softmax in place: rows x cols at stride ld. */
void nn_softmax_ref(float *x, size_t rows, size_t cols, size_t ld);
void nn_softmax_avx512(float *x, size_t rows, size_t cols, size_t ld);

/* Scalar activations (the reference forms). */
float nn_gelu_erf(float x);
float nn_gelu_tanh(float x);

#endif
