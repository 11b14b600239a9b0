/* safetensors reader: see safetensors.h for the rules it checks. */
#include "nn/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ner/ner.h"
#include "nn/nn_util.h"

typedef struct st_meta {
    char *key, *value;
} st_meta;

typedef struct st_file {
    char *path;            /* owned; used in messages and nn_st_tensor.file */
    const uint8_t *base;   /* file image */
    size_t size;
    int mapped;            /* base is our mmap */
} st_file;

struct nn_st {
    st_file *files;
    size_t nfiles;
    nn_st_tensor *t;       /* sorted by name; names owned */
    size_t n;
    st_meta *meta;         /* of the first file */
    size_t nmeta;
};

static const struct {
    const char *name;
    int dtype;
    size_t size;
} dtypes[] = {
    {"F32", NN_ST_F32, 4},   {"F16", NN_ST_F16, 2},     {"BF16", NN_ST_BF16, 2},
    {"F64", NN_ST_F64, 8},   {"I64", NN_ST_I64, 8},     {"I32", NN_ST_I32, 4},
    {"I16", NN_ST_I16, 2},   {"I8", NN_ST_I8, 1},       {"U64", NN_ST_U64, 8},
    {"U32", NN_ST_U32, 4},   {"U16", NN_ST_U16, 2},     {"U8", NN_ST_U8, 1},
    {"BOOL", NN_ST_BOOL, 1}, {"F8_E5M2", NN_ST_F8_E5M2, 1},
    {"F8_E4M3", NN_ST_F8_E4M3, 1},
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

const char *nn_st_dtype_name(int dtype)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dtype)
            return dtypes[i].name;
    return "?";
}

size_t nn_st_dtype_size(int dtype)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (dtypes[i].dtype == dtype)
            return dtypes[i].size;
    return 0;
}

static int dtype_lookup(const char *s)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(dtypes[i].name, s) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------ conversions */

float nn_f16_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400u));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void nn_f16_to_f32(const uint8_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = nn_f16_to_float((uint16_t)(src[2 * i] | (src[2 * i + 1] << 8)));
}

void nn_bf16_to_f32(const uint8_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = ((uint32_t)src[2 * i] << 16) | ((uint32_t)src[2 * i + 1] << 24);
        memcpy(&dst[i], &bits, sizeof bits);
    }
}

int nn_st_get_f32(const nn_st_tensor *t, const float **data, float **owned,
                  char *errbuf, size_t errlen)
{
    *data = NULL;
    *owned = NULL;
    if (t->dtype != NN_ST_F32 && t->dtype != NN_ST_F16 && t->dtype != NN_ST_BF16) {
        nu_errf(errbuf, errlen, "%s: tensor %s: unsupported dtype %s (libner reads F32, F16, BF16)",
                t->file, t->name, nn_st_dtype_name(t->dtype));
        return NER_EUNSUPPORTED;
    }
    if (t->dtype == NN_ST_F32 && ((uintptr_t)t->data & 3u) == 0) {
        *data = (const float *)(const void *)t->data;
        return NER_OK;
    }
    if (t->nelem > SIZE_MAX / sizeof(float)) {
        nu_errf(errbuf, errlen, "%s: tensor %s: too large", t->file, t->name);
        return NER_ENOMEM;
    }
    float *buf = nn_alloc_aligned(t->nelem * sizeof(float));
    if (!buf) {
        nu_errf(errbuf, errlen, "%s: tensor %s: out of memory (%zu floats)", t->file, t->name,
                t->nelem);
        return NER_ENOMEM;
    }
    if (t->dtype == NN_ST_F32) {
        if (t->nelem)
            memcpy(buf, t->data, t->nelem * sizeof(float));
    } else if (t->dtype == NN_ST_F16) {
        nn_f16_to_f32(t->data, buf, t->nelem);
    } else {
        nn_bf16_to_f32(t->data, buf, t->nelem);
    }
    *data = buf;
    *owned = buf;
    return NER_OK;
}

/* ------------------------------------------------------------ parsing */

static void free_tensors(nn_st_tensor *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)t[i].name);
    free(t);
}

static int cmp_offset(const void *a, const void *b)
{
    const nn_st_tensor *x = a, *y = b;
    uintptr_t xa = (uintptr_t)x->data, ya = (uintptr_t)y->data;
    if (xa != ya)
        return xa < ya ? -1 : 1;
    if (x->nbytes != y->nbytes)
        return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
    const nn_st_tensor *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* A non-negative JSON integer as a uint64; 0 if it is not one. */
static int json_uint(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v))
        return 0;
    json_int_t i = json_integer_value(v);
    if (i < 0)
        return 0;
    *out = (uint64_t)i;
    return 1;
}

#define FAIL(code, ...) do { nu_errf(errbuf, errlen, __VA_ARGS__); rc = (code); goto fail; } while (0)

/* Parses and validates f.  Tensors (data pointers into f->base) are appended
 * to *tv / *tn; metadata to *meta when meta != NULL. */
static int parse_file(const st_file *f, nn_st_tensor **tv, size_t *tn,
                      st_meta **meta, size_t *nmeta, char *errbuf, size_t errlen)
{
    const char *path = f->path;
    nn_st_tensor *t = NULL;
    size_t n = 0;
    json_t *root = NULL;
    int rc = NER_OK;

    if (f->size < 8)
        FAIL(NER_EFORMAT, "%s: %zu bytes is too short for a safetensors file "
             "(an 8-byte header length comes first)", path, f->size);
    uint64_t hn = 0;
    for (int i = 7; i >= 0; i--)
        hn = (hn << 8) | f->base[i];
    if (hn > NN_ST_MAX_HEADER)
        FAIL(NER_EFORMAT, "%s: header length %llu is over the safetensors limit of %u bytes",
             path, (unsigned long long)hn, NN_ST_MAX_HEADER);
    if (hn > f->size - 8)
        FAIL(NER_EFORMAT, "%s: header length %llu runs past the end of the file (%zu bytes)",
             path, (unsigned long long)hn, f->size);
    if (hn < 2)
        FAIL(NER_EFORMAT, "%s: header of %llu bytes cannot hold a JSON object",
             path, (unsigned long long)hn);
    size_t hlen = (size_t)hn;
    size_t bufsize = f->size - 8 - hlen;
    const uint8_t *buf = f->base + 8 + hlen;

    json_error_t jerr;
    root = json_loadb((const char *)f->base + 8, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        FAIL(NER_EFORMAT, "%s: header JSON: %s (header byte %d)", path, jerr.text,
             jerr.position);
    if (!json_is_object(root))
        FAIL(NER_EFORMAT, "%s: header is not a JSON object", path);

    size_t cap = json_object_size(root);
    t = calloc(cap ? cap : 1, sizeof *t);
    if (!t)
        FAIL(NER_ENOMEM, "%s: out of memory", path);

    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_is_object(val))
                FAIL(NER_EFORMAT, "%s: __metadata__ is not an object", path);
            const char *mk;
            json_t *mv;
            json_object_foreach(val, mk, mv) {
                if (!json_is_string(mv))
                    FAIL(NER_EFORMAT, "%s: __metadata__ value of \"%s\" is not a string", path, mk);
            }
            if (meta) {
                size_t nm = json_object_size(val);
                st_meta *m = calloc(nm ? nm : 1, sizeof *m);
                if (!m)
                    FAIL(NER_ENOMEM, "%s: out of memory", path);
                size_t k = 0;
                json_object_foreach(val, mk, mv) {
                    m[k].key = strdup(mk);
                    m[k].value = strdup(json_string_value(mv));
                    k++;
                    if (!m[k - 1].key || !m[k - 1].value) {
                        for (size_t j = 0; j < k; j++) {
                            free(m[j].key);
                            free(m[j].value);
                        }
                        free(m);
                        FAIL(NER_ENOMEM, "%s: out of memory", path);
                    }
                }
                *meta = m;
                *nmeta = k;
            }
            continue;
        }
        if (!json_is_object(val))
            FAIL(NER_EFORMAT, "%s: tensor %s: entry is not an object", path, key);
        json_t *jd = json_object_get(val, "dtype");
        json_t *js = json_object_get(val, "shape");
        json_t *jo = json_object_get(val, "data_offsets");
        if (!jd || !json_is_string(jd))
            FAIL(NER_EFORMAT, "%s: tensor %s: \"dtype\" missing or not a string", path, key);
        int di = dtype_lookup(json_string_value(jd));
        if (di < 0)
            FAIL(NER_EFORMAT, "%s: tensor %s: unknown dtype \"%.32s\"", path, key,
                 json_string_value(jd));
        if (!js || !json_is_array(js))
            FAIL(NER_EFORMAT, "%s: tensor %s: \"shape\" missing or not an array", path, key);
        if (json_array_size(js) > NN_ST_MAX_DIMS)
            FAIL(NER_EFORMAT, "%s: tensor %s: %zu dimensions (at most %d)", path, key,
                 json_array_size(js), NN_ST_MAX_DIMS);
        if (!jo || !json_is_array(jo) || json_array_size(jo) != 2)
            FAIL(NER_EFORMAT, "%s: tensor %s: \"data_offsets\" missing or not [begin, end]",
                 path, key);
        nn_st_tensor *x = &t[n];
        x->dtype = dtypes[di].dtype;
        x->ndim = json_array_size(js);
        uint64_t nelem = 1;
        for (size_t d = 0; d < x->ndim; d++) {
            uint64_t v;
            if (!json_uint(json_array_get(js, d), &v))
                FAIL(NER_EFORMAT, "%s: tensor %s: shape[%zu] is not a non-negative integer",
                     path, key, d);
            if (v > SIZE_MAX || __builtin_mul_overflow(nelem, v, &nelem))
                FAIL(NER_EFORMAT, "%s: tensor %s: shape overflows", path, key);
            x->shape[d] = (size_t)v;
        }
        uint64_t nbytes, b0, b1;
        if (__builtin_mul_overflow(nelem, (uint64_t)dtypes[di].size, &nbytes))
            FAIL(NER_EFORMAT, "%s: tensor %s: shape overflows", path, key);
        if (!json_uint(json_array_get(jo, 0), &b0) || !json_uint(json_array_get(jo, 1), &b1))
            FAIL(NER_EFORMAT, "%s: tensor %s: data_offsets are not non-negative integers",
                 path, key);
        if (b1 < b0)
            FAIL(NER_EFORMAT, "%s: tensor %s: data_offsets end %llu is before begin %llu",
                 path, key, (unsigned long long)b1, (unsigned long long)b0);
        if (b1 > bufsize)
            FAIL(NER_EFORMAT, "%s: tensor %s: data_offsets [%llu, %llu] run past the data "
                 "buffer (%zu bytes)", path, key, (unsigned long long)b0,
                 (unsigned long long)b1, bufsize);
        if (b1 - b0 != nbytes)
            FAIL(NER_EFORMAT, "%s: tensor %s: data_offsets span %llu bytes but shape and "
                 "dtype %s need %llu", path, key, (unsigned long long)(b1 - b0),
                 dtypes[di].name, (unsigned long long)nbytes);
        x->nelem = (size_t)nelem;
        x->nbytes = (size_t)nbytes;
        x->data = buf + b0;
        x->file = path;
        x->name = strdup(key);
        if (!x->name)
            FAIL(NER_ENOMEM, "%s: out of memory", path);
        n++;
    }

    /* coverage: sorted by offset, from 0, no gaps or overlaps, to the end */
    if (n)
        qsort(t, n, sizeof *t, cmp_offset);
    size_t expect = 0;
    for (size_t i = 0; i < n; i++) {
        size_t b0 = (size_t)(t[i].data - buf);
        if (b0 > expect)
            FAIL(NER_EFORMAT, "%s: tensor %s: gap of %zu bytes before it in the data buffer "
                 "(begins at %zu, previous data ends at %zu)", path, t[i].name, b0 - expect,
                 b0, expect);
        if (b0 < expect)
            FAIL(NER_EFORMAT, "%s: tensor %s: overlaps tensor %s (begins at %zu, before %zu)",
                 path, t[i].name, t[i - 1].name, b0, expect);
        expect = b0 + t[i].nbytes;
    }
    if (expect != bufsize)
        FAIL(NER_EFORMAT, "%s: file size %zu != 8 + header %zu + tensor data %zu "
             "(%zu stray bytes after the last tensor)", path, f->size, hlen, expect,
             bufsize - expect);

    json_decref(root);
    nn_st_tensor *nv = realloc(*tv, (*tn + n + 1) * sizeof *nv);
    if (!nv) {
        free_tensors(t, n);
        nu_errf(errbuf, errlen, "%s: out of memory", path);
        return NER_ENOMEM;
    }
    memcpy(nv + *tn, t, n * sizeof *t);
    free(t);
    *tv = nv;
    *tn += n;
    return NER_OK;

fail:
    json_decref(root);
    free_tensors(t, n);
    return rc;
}

/* ------------------------------------------------------------ open/close */

static int map_file(st_file *f, const char *path, char *errbuf, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    if (!f->path) {
        nu_errf(errbuf, errlen, "%s: out of memory", path);
        return NER_ENOMEM;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        nu_errf(errbuf, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        nu_errf(errbuf, errlen, "%s: not a regular file", path);
        return NER_EIO;
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        nu_errf(errbuf, errlen, "%s: too large to map", path);
        return NER_EIO;
    }
    f->size = (size_t)sb.st_size;
    if (f->size == 0) {
        close(fd);
        static const uint8_t empty[1];
        f->base = empty;
        return NER_OK;
    }
    void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        nu_errf(errbuf, errlen, "%s: mmap: %s", path, strerror(e));
        return NER_EIO;
    }
    f->base = p;
    f->mapped = 1;
    return NER_OK;
}

static void unmap_file(st_file *f)
{
    if (f->mapped)
        munmap((void *)(uintptr_t)f->base, f->size);
    free(f->path);
}

void nn_st_close(nn_st *st)
{
    if (!st)
        return;
    free_tensors(st->t, st->n);
    for (size_t i = 0; i < st->nfiles; i++)
        unmap_file(&st->files[i]);
    free(st->files);
    for (size_t i = 0; i < st->nmeta; i++) {
        free(st->meta[i].key);
        free(st->meta[i].value);
    }
    free(st->meta);
    free(st);
}

static int finish(nn_st *st)
{
    if (st->n)
        qsort(st->t, st->n, sizeof *st->t, cmp_name);
    return NER_OK;
}

int nn_st_open_memory(nn_st **out, const void *data, size_t size, const char *name,
                      char *errbuf, size_t errlen)
{
    *out = NULL;
    nn_st *st = calloc(1, sizeof *st);
    if (st)
        st->files = calloc(1, sizeof *st->files);
    if (!st || !st->files || !(st->files[0].path = strdup(name ? name : "(memory)"))) {
        nn_st_close(st);
        nu_errf(errbuf, errlen, "%s: out of memory", name ? name : "(memory)");
        return NER_ENOMEM;
    }
    st->nfiles = 1;
    static const uint8_t empty[1];
    st->files[0].base = size ? data : empty;
    st->files[0].size = size;
    int rc = parse_file(&st->files[0], &st->t, &st->n, &st->meta, &st->nmeta, errbuf, errlen);
    if (rc) {
        nn_st_close(st);
        return rc;
    }
    finish(st);
    *out = st;
    return NER_OK;
}

int nn_st_open(nn_st **out, const char *path, char *errbuf, size_t errlen)
{
    *out = NULL;
    nn_st *st = calloc(1, sizeof *st);
    if (st)
        st->files = calloc(1, sizeof *st->files);
    if (!st || !st->files) {
        nn_st_close(st);
        nu_errf(errbuf, errlen, "%s: out of memory", path);
        return NER_ENOMEM;
    }
    st->nfiles = 1;
    int rc = map_file(&st->files[0], path, errbuf, errlen);
    if (!rc)
        rc = parse_file(&st->files[0], &st->t, &st->n, &st->meta, &st->nmeta, errbuf, errlen);
    if (rc) {
        nn_st_close(st);
        return rc;
    }
    finish(st);
    *out = st;
    return NER_OK;
}

static int bad_shard_name(const char *s)
{
    return !*s || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

int nn_st_open_dir(nn_st **out, const char *dir, char *errbuf, size_t errlen)
{
    *out = NULL;
    char *single = nn_path_join(dir, "model.safetensors");
    char *index = nn_path_join(dir, "model.safetensors.index.json");
    nn_st *st = NULL;
    json_t *root = NULL;
    nn_st_tensor *all = NULL;
    size_t nall = 0;
    int rc = NER_OK;
    if (!single || !index)
        FAIL(NER_ENOMEM, "%s: out of memory", dir);
    if (nn_is_file(single)) {
        rc = nn_st_open(out, single, errbuf, errlen);
        free(single);
        free(index);
        return rc;
    }
    if (!nn_is_file(index)) {
        char *bin = nn_path_join(dir, "pytorch_model.bin");
        int has_bin = bin && nn_is_file(bin);
        free(bin);
        FAIL(NER_ENOTFOUND, "%s: no model.safetensors or model.safetensors.index.json%s", dir,
             has_bin ? " (pytorch_model.bin is not read: convert it to safetensors)" : "");
    }
    json_error_t jerr;
    root = json_load_file(index, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        FAIL(NER_EFORMAT, "%s: line %d: %s", index, jerr.line, jerr.text);
    json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(root) || !wm || !json_is_object(wm))
        FAIL(NER_EFORMAT, "%s: no \"weight_map\" object", index);

    st = calloc(1, sizeof *st);
    if (!st)
        FAIL(NER_ENOMEM, "%s: out of memory", index);
    size_t nw = json_object_size(wm);
    st->files = calloc(nw ? nw : 1, sizeof *st->files);
    st->t = calloc(nw ? nw : 1, sizeof *st->t);
    if (!st->files || !st->t)
        FAIL(NER_ENOMEM, "%s: out of memory", index);
    const char *key;
    json_t *val;
    /* open every shard named, once */
    json_object_foreach(wm, key, val) {
        if (!json_is_string(val))
            FAIL(NER_EFORMAT, "%s: weight_map[\"%s\"] is not a string", index, key);
        const char *fn = json_string_value(val);
        if (bad_shard_name(fn))
            FAIL(NER_EFORMAT, "%s: weight_map[\"%s\"]: \"%s\" is not a file name in the folder",
                 index, key, fn);
        size_t fi = 0;
        char *p = nn_path_join(dir, fn);
        if (!p)
            FAIL(NER_ENOMEM, "%s: out of memory", index);
        while (fi < st->nfiles && strcmp(st->files[fi].path, p) != 0)
            fi++;
        if (fi < st->nfiles) {
            free(p);
            continue;
        }
        rc = map_file(&st->files[st->nfiles], p, errbuf, errlen);
        free(p);
        st->nfiles++;
        if (rc)
            goto fail;
        size_t before = nall;
        rc = parse_file(&st->files[st->nfiles - 1], &all, &nall,
                        st->nfiles == 1 ? &st->meta : NULL, &st->nmeta, errbuf, errlen);
        if (rc)
            goto fail;
        (void)before;
    }
    /* take each tensor from the shard the map names */
    json_object_foreach(wm, key, val) {
        char *p = nn_path_join(dir, json_string_value(val));
        if (!p)
            FAIL(NER_ENOMEM, "%s: out of memory", index);
        size_t k = 0;
        while (k < nall && !(strcmp(all[k].name, key) == 0 && strcmp(all[k].file, p) == 0))
            k++;
        if (k == nall) {
            nu_errf(errbuf, errlen, "%s: tensor %s (named in model.safetensors.index.json) "
                    "is not in this shard", p, key);
            free(p);
            rc = NER_EFORMAT;
            goto fail;
        }
        free(p);
        st->t[st->n] = all[k];
        st->t[st->n].name = strdup(key);
        if (!st->t[st->n].name)
            FAIL(NER_ENOMEM, "%s: out of memory", index);
        st->n++;
    }
    free_tensors(all, nall);
    json_decref(root);
    free(single);
    free(index);
    finish(st);
    *out = st;
    return NER_OK;

fail:
    free_tensors(all, nall);
    json_decref(root);
    nn_st_close(st);
    free(single);
    free(index);
    return rc;
}

/* ------------------------------------------------------------ access */

size_t nn_st_count(const nn_st *st)
{
    return st->n;
}

const nn_st_tensor *nn_st_at(const nn_st *st, size_t i)
{
    return i < st->n ? &st->t[i] : NULL;
}

const nn_st_tensor *nn_st_find(const nn_st *st, const char *name)
{
    nn_st_tensor key;
    memset(&key, 0, sizeof key);
    key.name = name;
    return st->n ? bsearch(&key, st->t, st->n, sizeof *st->t, cmp_name) : NULL;
}

const char *nn_st_metadata(const nn_st *st, const char *key)
{
    for (size_t i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta[i].key, key) == 0)
            return st->meta[i].value;
    return NULL;
}

void nn_st_release(const nn_st *st, const nn_st_tensor *t)
{
    for (size_t i = 0; i < st->nfiles; i++) {
        const st_file *f = &st->files[i];
        if (!f->mapped || t->data < f->base || t->data >= f->base + f->size)
            continue;
        long ps = sysconf(_SC_PAGESIZE);
        uintptr_t pg = ps > 0 ? (uintptr_t)ps : 4096u;
        uintptr_t a = (uintptr_t)t->data & ~(pg - 1);
        uintptr_t b = ((uintptr_t)t->data + t->nbytes + pg - 1) & ~(pg - 1);
        uintptr_t end = ((uintptr_t)f->base + f->size + pg - 1) & ~(pg - 1);
        if (b > end)
            b = end;
        if (b > a)
            madvise((void *)a, b - a, MADV_DONTNEED);
        return;
    }
}
