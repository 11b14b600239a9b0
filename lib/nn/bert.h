/*
 * BERT-family token-classification encoder on OpenBLAS: arrays in, logits out.
 * No docs, no pipelines, no tokenizer here (lib/nn knows nothing above it).
 *
 * MODELS
 *   A Hugging Face token-classification folder, used as it is:
 *     config.json                    model_type "bert", "distilbert" or "roberta"
 *     model.safetensors              F32, F16 or BF16 (F16/BF16 upcast to F32 at load)
 *     or model.safetensors.index.json + shards (its "weight_map")
 *   Weight names as BertForTokenClassification / DistilBertForTokenClassification /
 *   RobertaForTokenClassification write them, with or without the "bert." /
 *   "distilbert." / "roberta." prefix; old "LayerNorm.gamma"/"beta" names too.
 *   Pooler weights, position_ids and other extra tensors are ignored; a
 *   missing or mis-shaped tensor is an error naming the file and the tensor.
 *   F32 tensors stored 4-byte aligned are used in place from the mmap (no copy).
 *
 * PRECISION (nn_bert_options.precision)
 *   F32 (default): float32 throughout; matches PyTorch to ~1e-6.
 *   BF16: the encoder's six matrices per layer are converted to bfloat16 at
 *   load (their mapped F32 pages are then dropped: half the memory), each
 *   product rounds its input rows to bf16 and sums in float32 (VDPBF16PS);
 *   embeddings, LayerNorm, attention scores and the classifier stay float32.
 *   Logits move by ~1e-2; mini-bert-conll's dev F1 is unchanged (0.8156).
 *   Fast with AVX512-BF16; elsewhere plain loops (correct, slow).
 *   AUTO: BF16 when the CPU has AVX512-BF16, else F32.
 *   INT8: ONNX Runtime's dynamic quantisation: the same six matrices become
 *   int8 at load, symmetric per output row (a quarter of the memory; the
 *   F32 pages are dropped); each product quantises its input rows to uint8
 *   with a scale and zero point per row, sums in int32 (VPDPBUSD with
 *   AVX512-VNNI, plain loops elsewhere: the same bits before the
 *   activation) and scales back to float32.  What is float32 in BF16 mode
 *   stays float32.
 *
 * INPUT
 *   Sequences are passed packed, one after the other, WITHOUT padding: ids of
 *   sequence 0, then of sequence 1, ...; seq_lens[i] tokens each (special
 *   tokens [CLS]/[SEP] or <s>/</s> included, the caller adds them).  Position
 *   ids restart at every sequence (0.. for BERT/DistilBERT, pad_token_id+1..
 *   for RoBERTa).  Attention never crosses sequences.  This gives the same
 *   rows as Hugging Face with padding + attention_mask for every real token.
 *
 * OUTPUT
 *   logits: sum(seq_lens) x num_labels floats, row r for packed token r (the
 *   input order).  Raw scores (no softmax); nn_softmax_rows() gives the
 *   transformers pipeline's float32 probabilities.
 *
 * THREADS
 *   A loaded nn_bert is immutable after nn_bert_load: any number of threads
 *   may call nn_bert_forward on it at once, each with its own nn_workspace.
 *   A workspace belongs to one calling thread at a time; it holds the scratch
 *   memory (grown as needed, kept for the next call) and, when made with
 *   nn_workspace_new_threads(n > 1), n-1 worker threads of its own that split
 *   one forward pass (matrix products by output columns, attention by heads).
 *   The work is cut into chunks that depend on the shapes only, so results
 *   are bit-identical whatever the thread count.
 *
 *   OpenBLAS: libner runs one threading layer, its own.  nn_bert_load calls
 *   openblas_set_num_threads(1) (process-wide OpenBLAS state) unless
 *   NN_BERT_KEEP_BLAS_THREADS is set in the load options; OpenBLAS's own
 *   threads and ours would otherwise fight over the cores (see
 *   ../shared/peers/README.md, finding 2), and concurrent multi-threaded
 *   OpenBLAS calls from several threads are not safe in every build.
 *
 * ENVIRONMENT
 *   LIBNER_NN_KERNEL=ref|blas|avx512, read once by nn_bert_load, overrides
 *   the kernel chosen by CPU detection (for tests and benchmarks).  No other
 *   global state: the CPU features are probed, OpenBLAS's thread count is
 *   set as THREADS says.
 *
 * ERRORS
 *   Functions return NER_OK (0) or a negative NER_* code from ner/ner.h and
 *   write a message naming the file, the tensor or key and the problem into
 *   errbuf (NULL/0 allowed).  Nothing prints or aborts.
 */
#ifndef NER_NN_BERT_H
#define NER_NN_BERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nn_bert nn_bert;           /* loaded model; immutable; shared */
typedef struct nn_workspace nn_workspace; /* per-thread scratch (+ workers) */

/* model_type */
#define NN_MODEL_BERT       1
#define NN_MODEL_DISTILBERT 2
#define NN_MODEL_ROBERTA    3

/* hidden activation (config "hidden_act", DistilBERT "activation") */
#define NN_ACT_GELU      1  /* "gelu": exact, 0.5 x (1 + erf(x / sqrt 2)) */
#define NN_ACT_GELU_TANH 2  /* "gelu_new", "gelu_pytorch_tanh", "gelu_fast" */
#define NN_ACT_RELU      3  /* "relu" */

/* dtypes (as stored in the file) */
#define NN_DTYPE_F32  1
#define NN_DTYPE_F16  2
#define NN_DTYPE_BF16 3

typedef struct nn_bert_config {
    int model_type;              /* NN_MODEL_* */
    const char *model_type_name; /* "bert", "distilbert", "roberta" */
    size_t vocab_size;
    size_t hidden;               /* hidden_size (DistilBERT: dim) */
    size_t layers;               /* num_hidden_layers (n_layers) */
    size_t heads;                /* num_attention_heads (n_heads) */
    size_t intermediate;         /* intermediate_size (hidden_dim) */
    size_t max_positions;        /* max_position_embeddings */
    size_t max_seq_len;          /* longest sequence nn_bert_forward takes,
                                    specials included: max_positions, or
                                    max_positions - pad_token_id - 1 (RoBERTa) */
    size_t type_vocab_size;      /* 0 for DistilBERT (no token types) */
    size_t num_labels;
    int32_t pad_token_id;        /* -1 when config.json has none */
    int act;                     /* NN_ACT_* */
    float layer_norm_eps;
    int weight_dtype;            /* NN_DTYPE_* of the stored weights (the
                                    classifier's), not the compute precision */
    const char *const *id2label; /* num_labels NUL-terminated strings, from
                                    config.json id2label ("LABEL_i" when the
                                    file has no id2label) */
    int precision;               /* NN_PRECISION_F32, _BF16 or _INT8: what runs */
} nn_bert_config;

/* Load options.  Fill with nn_bert_options_init; NULL means defaults. */
#define NN_BERT_KEEP_BLAS_THREADS 0x1u /* do not call openblas_set_num_threads(1) */

#define NN_PRECISION_F32  0  /* default (see PRECISION above) */
#define NN_PRECISION_AUTO 1  /* BF16 if the CPU has AVX512-BF16, else F32 */
#define NN_PRECISION_BF16 2  /* bfloat16 matrices, float32 sums */
#define NN_PRECISION_INT8 3  /* int8 matrices, per-row dynamic activations */

typedef struct nn_bert_options {
    uint32_t size;       /* sizeof(nn_bert_options), set by _init */
    uint32_t flags;      /* NN_BERT_* */
    uint32_t precision;  /* NN_PRECISION_*; an unsupported one: NER_EUNSUPPORTED */
} nn_bert_options;

void nn_bert_options_init(nn_bert_options *o);

/* Loads the model folder dir (see MODELS).  On success *out owns the model
 * (free with nn_bert_free); on failure *out is NULL and errbuf says which
 * file, key or tensor is wrong.  NER_ENOTFOUND: no config.json / weights /
 * tensor; NER_EFORMAT: malformed or inconsistent; NER_EUNSUPPORTED: model
 * type, activation or dtype libner does not run; NER_EIO, NER_ENOMEM. */
int nn_bert_load(nn_bert **out, const char *dir, char *errbuf, size_t errlen);
int nn_bert_load_ex(nn_bert **out, const char *dir, const nn_bert_options *opts,
                    char *errbuf, size_t errlen);
void nn_bert_free(nn_bert *m);

/* Borrowed; valid until nn_bert_free. */
const nn_bert_config *nn_bert_get_config(const nn_bert *m);

/* Scratch for one calling thread.  NULL on out of memory. */
nn_workspace *nn_workspace_new(void);
/* Scratch plus nthreads-1 worker threads (nthreads 0 or 1: none) that
 * nn_bert_forward uses to split its work.  NULL on failure. */
nn_workspace *nn_workspace_new_threads(unsigned nthreads);
void nn_workspace_free(nn_workspace *ws);

/* Runs the encoder and the classifier on nseq packed sequences (see INPUT).
 *   ids       sum(seq_lens) token ids, each < vocab_size
 *   type_ids  token type ids (< type_vocab_size), or NULL for all zeros
 *             (must be NULL or all zero for DistilBERT)
 *   seq_lens  nseq lengths, each <= max_seq_len (0 allowed: no rows)
 *   logits    out: sum(seq_lens) x num_labels floats
 * NER_EINVAL (NULL arguments), NER_ERANGE (an id out of range),
 * NER_ETOOBIG (a sequence longer than max_seq_len), NER_ENOMEM. */
int nn_bert_forward(const nn_bert *m, nn_workspace *ws,
                    const int32_t *ids, const int32_t *type_ids,
                    const size_t *seq_lens, size_t nseq,
                    float *logits, char *errbuf, size_t errlen);

/* The same, also writing the hidden states when hidden is not NULL:
 * (layers + 1) x sum(seq_lens) x hidden floats: the embeddings' LayerNorm
 * output, then each layer's output (the layout of golden_hidden.npy without
 * the padding).  logits may be NULL. */
int nn_bert_forward_hidden(const nn_bert *m, nn_workspace *ws,
                           const int32_t *ids, const int32_t *type_ids,
                           const size_t *seq_lens, size_t nseq,
                           float *logits, float *hidden,
                           char *errbuf, size_t errlen);

/* Multiply-add FLOPs x2 of one forward over these sequence lengths (matrix
 * products only, as ../shared/peers/make_bert.py counts them). */
double nn_bert_flops(const nn_bert *m, const size_t *seq_lens, size_t nseq);

/* In place, each of rows rows of cols floats becomes softmax(row) in float32:
 * exp(x - max) / sum, as the transformers pipeline computes it. */
void nn_softmax_rows(float *x, size_t rows, size_t cols);

#ifdef __cplusplus
}
#endif
#endif
