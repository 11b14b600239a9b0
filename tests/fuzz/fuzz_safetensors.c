/* Fuzz target: the safetensors reader (lib/nn/safetensors.c).
 *
 * The input is taken as a whole .safetensors file.  A rejection must come
 * with NER_EFORMAT and a message naming the file; an acceptance must give
 * tensors that lie inside the data buffer, sorted by name, covering it with
 * no gap or overlap, each of nbytes == nelem * dtype size; every float
 * tensor must convert (F16/BF16 upcast, F32 in place or copied) and every
 * other dtype must be refused as unsupported.  A broken promise traps.
 * Build with clang -fsanitize=fuzzer,address, or link with
 * tests/fuzz/replay_main.c to replay a corpus (tests/fuzz/corpus/safetensors). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "nn/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nn_st *st = NULL;
    char err[512];
    err[0] = '\0';
    int rc = nn_st_open_memory(&st, data, size, "fuzz.safetensors", err, sizeof err);
    if (rc != NER_OK) {
        CHECK(st == NULL);
        CHECK(rc == NER_EFORMAT || rc == NER_ENOMEM);
        CHECK(strstr(err, "fuzz.safetensors") != NULL);
        return 0;
    }
    CHECK(size >= 8);
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--)
        hn = (hn << 8) | data[i];
    CHECK(hn <= NN_ST_MAX_HEADER && 8 + hn <= size);
    const uint8_t *buf = data + 8 + hn;
    size_t bufsize = size - 8 - (size_t)hn;
    size_t n = nn_st_count(st), covered = 0;
    for (size_t i = 0; i < n; i++) {
        const nn_st_tensor *t = nn_st_at(st, i);
        CHECK(t && t->name && t->file);
        if (i)
            CHECK(strcmp(nn_st_at(st, i - 1)->name, t->name) < 0);
        CHECK(nn_st_find(st, t->name) == t);
        CHECK(t->data >= buf && (size_t)(t->data - buf) <= bufsize);
        CHECK(t->nbytes <= bufsize - (size_t)(t->data - buf));
        CHECK(t->nbytes == t->nelem * nn_st_dtype_size(t->dtype));
        size_t ne = 1;
        for (size_t d = 0; d < t->ndim; d++)
            ne *= t->shape[d];
        CHECK(ne == t->nelem);
        covered += t->nbytes;
        const float *f;
        float *own;
        int r = nn_st_get_f32(t, &f, &own, err, sizeof err);
        if (t->dtype == NN_ST_F32 || t->dtype == NN_ST_F16 || t->dtype == NN_ST_BF16) {
            CHECK(r == NER_OK || r == NER_ENOMEM);
            if (r == NER_OK && t->nelem) {
                volatile float sink = f[0] + f[t->nelem - 1];
                (void)sink;
            }
            free(own);
        } else {
            CHECK(r == NER_EUNSUPPORTED && own == NULL && strstr(err, t->name));
        }
    }
    CHECK(covered == bufsize);
    nn_st_close(st);
    return 0;
}
