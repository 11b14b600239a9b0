/* Internals of the BERT encoder, shared by bert.c, bert_ref.c and tests. */
#ifndef NER_NN_BERT_IMPL_H
#define NER_NN_BERT_IMPL_H

#include "nn/bert.h"
#include "nn/kernels.h"
#include "nn/safetensors.h"

typedef struct nn_linear {
    const float *w;  /* [out x in], row-major (HF's Linear layout) */
    const float *b;  /* [out] */
    size_t in, out;
    uint16_t *w16;   /* NN_PRECISION_BF16: [out x ld16] bf16, zero-padded; owned */
    size_t ld16;     /* in rounded up to 32 */
    nn_q8w q8;       /* NN_PRECISION_INT8: the quantised weights; owned */
} nn_linear;

typedef struct nn_norm {
    const float *g, *b; /* [hidden] */
} nn_norm;

typedef struct nn_layer {
    nn_linear q, k, v, o, ff1, ff2;
    nn_norm ln_att, ln_out;
} nn_layer;

struct nn_bert {
    nn_bert_config cfg;
    char **labels;           /* cfg.id2label, owned */
    char *dir;
    nn_st *st;               /* keeps the mapping alive */
    const float *word;       /* [vocab x hidden] */
    const float *pos;        /* [max_positions x hidden] */
    const float *type;       /* [type_vocab x hidden] or NULL */
    nn_norm ln_emb;
    nn_layer *layer;         /* cfg.layers */
    nn_linear cls;           /* [num_labels x hidden] */
    size_t pos_offset;       /* first position id (RoBERTa: pad + 1) */
    int kernel;              /* NN_KERNEL_* */
    int precision;           /* NN_PRECISION_F32, _BF16 or _INT8 */
    int has_bf16;            /* the CPU runs the AVX512-BF16 kernels */
    int has_vnni;            /* the CPU runs the AVX512-VNNI kernel */
    float **owned;           /* converted tensors */
    size_t nowned;
};

/* The reference forward pass: plain loops, double accumulators, one
 * sequence at a time.  Same contract as nn_bert_forward_hidden (inputs are
 * assumed valid).  NER_ENOMEM only. */
int nn_bert_forward_ref(const nn_bert *m, const int32_t *ids, const int32_t *type_ids,
                        const size_t *seq_lens, size_t nseq, float *logits, float *hidden);

/* The precision the encoder's dense layers run at (NN_PRECISION_*). */
int nn_bert_precision(const nn_bert *m);

/* Which kernel the model runs (NN_KERNEL_* of kernels.h); for tests. */
int nn_bert_kernel(const nn_bert *m);
void nn_bert_set_kernel(nn_bert *m, int kernel);

#endif
