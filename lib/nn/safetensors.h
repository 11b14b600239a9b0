/*
 * safetensors reader (huggingface/safetensors format), zero-copy over mmap.
 *
 * FILE
 *   u64 little-endian N; N bytes of UTF-8 JSON (the header); the data buffer.
 *   Validated before any tensor is handed out (every rule of REFERENCE.md):
 *     - 8 <= file size, N <= NN_ST_MAX_HEADER (100,000,000), 8 + N <= size;
 *     - the header is one JSON object, duplicate keys rejected (jansson
 *       JSON_REJECT_DUPLICATES), trailing whitespace allowed;
 *     - "__metadata__", if present, maps strings to strings;
 *     - every other key is a tensor: {"dtype": string, "shape": [uint...],
 *       "data_offsets": [begin, end]} (unknown members ignored, as the Rust
 *       reader does), dtype one of the safetensors dtypes, at most
 *       NN_ST_MAX_DIMS dimensions, integers >= 0;
 *     - end - begin == prod(shape) * dtype size, computed with overflow checks;
 *     - tensors sorted by (begin, end) cover the buffer from 0 with no gap or
 *       overlap, and 8 + N + buffer == file size.
 *   Every error names the file, the tensor (when there is one) and the problem.
 *   Tensors of any safetensors dtype may be present (old checkpoints keep an
 *   I64 position_ids); only F32, F16 and BF16 can be read as floats, others
 *   give "unsupported dtype" naming the tensor.
 *
 * SHARDS
 *   nn_st_open_dir opens DIR/model.safetensors, or else
 *   DIR/model.safetensors.index.json with its "weight_map" (tensor name ->
 *   shard file name inside DIR; names with '/' are refused).  A tensor is
 *   taken from the shard the weight_map names; a name the map lists but the
 *   shard lacks is an error.
 *
 * THREADS
 *   An nn_st is immutable once opened; lookups may run on any thread.
 */
#ifndef NER_NN_SAFETENSORS_H
#define NER_NN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define NN_ST_MAX_HEADER 100000000u
#define NN_ST_MAX_DIMS 8

/* Every safetensors dtype; only the three float ones are read as floats.
 * (The values of NN_DTYPE_F32/F16/BF16 in bert.h are the same.) */
enum {
    NN_ST_F32 = 1, NN_ST_F16 = 2, NN_ST_BF16 = 3,
    NN_ST_F64, NN_ST_I64, NN_ST_I32, NN_ST_I16, NN_ST_I8, NN_ST_U64,
    NN_ST_U32, NN_ST_U16, NN_ST_U8, NN_ST_BOOL, NN_ST_F8_E5M2, NN_ST_F8_E4M3,
};

typedef struct nn_st_tensor {
    const char *name;     /* NUL-terminated, owned by the nn_st */
    const char *file;     /* path of the file that holds it */
    int dtype;            /* NN_ST_* */
    size_t ndim;
    size_t shape[NN_ST_MAX_DIMS];
    size_t nelem;         /* prod(shape); 1 for a scalar */
    const uint8_t *data;  /* nbytes raw little-endian bytes in the mapping */
    size_t nbytes;
} nn_st_tensor;

typedef struct nn_st nn_st;

/* Opens and validates one file (mmap, read-only). */
int nn_st_open(nn_st **out, const char *path, char *errbuf, size_t errlen);
/* Opens DIR's model.safetensors or sharded index (see SHARDS). */
int nn_st_open_dir(nn_st **out, const char *dir, char *errbuf, size_t errlen);
/* Validates a file image already in memory; data is borrowed and must
 * outlive the nn_st.  name is used in messages.  (For tests and fuzzing.) */
int nn_st_open_memory(nn_st **out, const void *data, size_t size,
                      const char *name, char *errbuf, size_t errlen);
void nn_st_close(nn_st *st);

/* Tensors (all shards), sorted by name; borrowed until nn_st_close. */
size_t nn_st_count(const nn_st *st);
const nn_st_tensor *nn_st_at(const nn_st *st, size_t i);
/* NULL when absent. */
const nn_st_tensor *nn_st_find(const nn_st *st, const char *name);
/* A "__metadata__" value of the (first) file, or NULL. */
const char *nn_st_metadata(const nn_st *st, const char *key);

const char *nn_st_dtype_name(int dtype);
size_t nn_st_dtype_size(int dtype);

/* The tensor as F32.  F32 data that is 4-byte aligned comes back in place
 * (*data points into the mapping, *owned = NULL); otherwise it is converted
 * (F16/BF16 upcast, or an unaligned F32 copied) into *owned, a malloc'd
 * buffer the caller frees, and *data == *owned.  NER_EUNSUPPORTED names the
 * tensor and its dtype when it is not F32/F16/BF16. */
int nn_st_get_f32(const nn_st_tensor *t, const float **data, float **owned,
                  char *errbuf, size_t errlen);

/* Conversions (n elements, little-endian source bytes). */
void nn_f16_to_f32(const uint8_t *src, float *dst, size_t n);
void nn_bf16_to_f32(const uint8_t *src, float *dst, size_t n);
float nn_f16_to_float(uint16_t h);

/* Hint that the tensor's bytes will not be read again (after a copy):
 * their pages may leave the resident set.  Harmless on memory images. */
void nn_st_release(const nn_st *st, const nn_st_tensor *t);

#endif
