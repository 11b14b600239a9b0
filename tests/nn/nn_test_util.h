/* Helpers for the lib/nn tests: a safetensors writer, a .npy reader, the
 * fixture folder, temporary folders.  Header-only (static functions). */
#ifndef NER_TESTS_NN_UTIL_H
#define NER_TESTS_NN_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------ paths */

/* $LIBNER_SOURCE_ROOT/tests/fixtures/nn/<name> (static buffer per call site) */
static inline const char *fixture_dir(char *buf, size_t len, const char *name)
{
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    snprintf(buf, len, "%s/tests/fixtures/nn/%s", root ? root : ".", name);
    return buf;
}

static inline char *tmp_dir(void)
{
    char tmpl[] = "/tmp/libner-nn-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline void rm_tree(const char *dir)
{
    char cmd[512];
    if (dir && strncmp(dir, "/tmp/libner-nn-test-", 20) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) { /* best effort */ }
    }
}

static inline int nn_is_file_test(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static inline int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

static inline char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[sz] = 0;
        if (n)
            *n = (size_t)sz;
    }
    return b;
}

static inline int copy_file(const char *from, const char *to)
{
    size_t n;
    char *b = read_all(from, &n);
    if (!b)
        return -1;
    int rc = write_file(to, b, n);
    free(b);
    return rc;
}

/* ------------------------------------------------------------ safetensors writer */

typedef struct stw_tensor {
    char name[160];
    const char *dtype;     /* "F32", ... */
    size_t ndim;
    size_t shape[4];
    const void *data;      /* nbytes */
    size_t nbytes;
} stw_tensor;

/* A safetensors image of the tensors in the order given (offsets follow
 * that order); pad: pad the header with spaces to a multiple of 8 (else
 * to 8k + 2, so that F32 data is misaligned). */
static inline unsigned char *stw_build(const stw_tensor *t, size_t n, int pad, size_t *out_len)
{
    *out_len = 0;
    size_t cap = 256 + n * 256, len = 0;
    char *h = malloc(cap);
    if (!h)
        return NULL;
    len += (size_t)snprintf(h + len, cap - len, "{\"__metadata__\":{\"format\":\"pt\"}");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(h + len, cap - len, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                                t[i].name, t[i].dtype);
        for (size_t d = 0; d < t[i].ndim; d++)
            len += (size_t)snprintf(h + len, cap - len, "%s%zu", d ? "," : "", t[i].shape[d]);
        len += (size_t)snprintf(h + len, cap - len, "],\"data_offsets\":[%zu,%zu]}", off,
                                off + t[i].nbytes);
        off += t[i].nbytes;
    }
    len += (size_t)snprintf(h + len, cap - len, "}");
    size_t target = pad ? (len + 7) / 8 * 8 : (len + 7) / 8 * 8 + 2;
    while (len < target)
        h[len++] = ' ';
    unsigned char *img = malloc(8 + len + off + 1);
    if (!img) {
        free(h);
        return NULL;
    }
    for (int i = 0; i < 8; i++)
        img[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(img + 8, h, len);
    size_t o = 8 + len;
    for (size_t i = 0; i < n; i++) {
        if (t[i].nbytes)
            memcpy(img + o, t[i].data, t[i].nbytes);
        o += t[i].nbytes;
    }
    free(h);
    *out_len = o;
    return img;
}

static inline int stw_write(const char *path, const stw_tensor *t, size_t n, int pad)
{
    size_t len;
    unsigned char *img = stw_build(t, n, pad, &len);
    if (!img)
        return -1;
    int rc = write_file(path, img, len);
    free(img);
    return rc;
}

/* ------------------------------------------------------------ .npy (float32, C order) */

typedef struct npy {
    float *data;
    size_t ndim, shape[6], n;
} npy;

static inline int npy_read(const char *path, npy *out)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *b = read_all(path, &len);
    if (!b || len < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        free(b);
        return -1;
    }
    size_t hl, ho;
    if (b[6] == 1) {
        hl = (unsigned char)b[8] | ((size_t)(unsigned char)b[9] << 8);
        ho = 10;
    } else {
        hl = (unsigned char)b[8] | ((size_t)(unsigned char)b[9] << 8) |
             ((size_t)(unsigned char)b[10] << 16) | ((size_t)(unsigned char)b[11] << 24);
        ho = 12;
    }
    char *hdr = strndup(b + ho, hl);
    if (!hdr || !strstr(hdr, "'<f4'") || !strstr(hdr, "'fortran_order': False")) {
        free(hdr);
        free(b);
        return -1;
    }
    char *sp = strstr(hdr, "'shape': (");
    size_t n = 1;
    if (sp) {
        sp += 10;
        while (*sp && *sp != ')') {
            char *e;
            unsigned long v = strtoul(sp, &e, 10);
            if (e == sp)
                break;
            out->shape[out->ndim++] = v;
            n *= v;
            sp = e;
            while (*sp == ',' || *sp == ' ')
                sp++;
        }
    }
    free(hdr);
    if (len < ho + hl + n * 4) {
        free(b);
        return -1;
    }
    out->data = malloc(n * 4 + 1);
    memcpy(out->data, b + ho + hl, n * 4);
    out->n = n;
    free(b);
    return 0;
}

#endif
