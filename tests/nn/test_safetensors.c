/* lib/nn/safetensors: valid files, zero-copy vs converted access, F16/BF16
 * conversion, shards, and one test per rule of REFERENCE.md that a hostile
 * file can break (the message must name the file, the tensor and the problem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>

#include "ner/ner.h"
#include "nn/safetensors.h"
#include "nn_test_util.h"

/* an image: 8-byte N, the header text as given, then `data` bytes */
static unsigned char *raw_image(const char *header, const void *data, size_t dlen, size_t *len)
{
    size_t hl = strlen(header);
    unsigned char *img = malloc(8 + hl + dlen + 1);
    for (int i = 0; i < 8; i++)
        img[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(img + 8, header, hl);
    if (dlen)
        memcpy(img + 8 + hl, data, dlen);
    *len = 8 + hl + dlen;
    return img;
}

/* opens the image from memory and expects failure rc with all the needles in
 * the message */
static void expect_bad(const char *header, size_t dlen, int rc_want, const char *n1,
                       const char *n2)
{
    static const unsigned char zeros[4096];
    size_t len;
    unsigned char *img = raw_image(header, zeros, dlen, &len);
    nn_st *st = (nn_st *)1;
    char err[512] = "";
    int rc = nn_st_open_memory(&st, img, len, "bad.safetensors", err, sizeof err);
    if (rc != rc_want || st != NULL || !strstr(err, "bad.safetensors") ||
        (n1 && !strstr(err, n1)) || (n2 && !strstr(err, n2)))
        print_error("header %s\n  rc %d, message: %s\n", header, rc, err);
    assert_int_equal(rc, rc_want);
    assert_null(st);
    assert_non_null(strstr(err, "bad.safetensors"));
    if (n1)
        assert_non_null(strstr(err, n1));
    if (n2)
        assert_non_null(strstr(err, n2));
    free(img);
}

static void test_hostile_headers(void **state)
{
    (void)state;
    const int F = NER_EFORMAT;
    expect_bad("{", 0, F, "cannot hold a JSON object", NULL);
    expect_bad("{\"a\":", 0, F, "header JSON", NULL);
    expect_bad("[1,2]   ", 0, F, "not a JSON object", NULL);
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, F,
               "duplicate", NULL);
    expect_bad("{\"__metadata__\":{\"format\":3}}", 0, F, "__metadata__", "format");
    expect_bad("{\"__metadata__\":[]}", 0, F, "__metadata__", NULL);
    expect_bad("{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, F,
               "tensor w", "unknown dtype");
    expect_bad("{\"w\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "tensor w",
               "dtype");
    expect_bad("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, F, "tensor w", "dtype");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, F,
               "tensor w", "shape[0]");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, F,
               "tensor w", "shape[0]");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4, F,
               "tensor w", "shape");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4611686018427387904],"
               "\"data_offsets\":[0,4]}}", 4, F, "tensor w", "overflows");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],"
               "\"data_offsets\":[0,4]}}", 4, F, "tensor w", "overflows");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],"
               "\"data_offsets\":[0,4]}}", 4, F, "header JSON", NULL);
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
               "\"data_offsets\":[0,4]}}", 4, F, "tensor w", "dimensions");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, F,
               "tensor w", "data_offsets");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, F,
               "tensor w", "before begin");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4, F,
               "tensor w", "data_offsets");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, F,
               "tensor w", "past the data buffer");
    expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, F,
               "tensor w", "need 8");
    expect_bad("{\"w\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,4]}}", 4, F,
               "tensor w", "need 6");
    /* gap: a at [0,4), b at [8,12) */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, F,
               "tensor b", "gap of 4 bytes");
    /* gap at the start */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, F,
               "tensor a", "gap");
    /* overlap */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, F,
               "tensor", "overlaps");
    /* trailing bytes: 8 + N + buffer != file size */
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6, F,
               "file size", "2 stray bytes");
    expect_bad("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} \n\001", 4,
               F, "header JSON", NULL);
    expect_bad("{\"a\":[1]}", 0, F, "tensor a", "not an object");
}

static void test_hostile_lengths(void **state)
{
    (void)state;
    char err[256] = "";
    nn_st *st = NULL;
    unsigned char img[16] = {0};
    assert_int_equal(nn_st_open_memory(&st, img, 5, "short.st", err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "short.st"));
    assert_non_null(strstr(err, "too short"));
    assert_int_equal(nn_st_open_memory(&st, img, 0, "empty.st", err, sizeof err), NER_EFORMAT);
    /* N over the limit */
    uint64_t big = 100000001ull;
    for (int i = 0; i < 8; i++)
        img[i] = (unsigned char)(big >> (8 * i));
    assert_int_equal(nn_st_open_memory(&st, img, 16, "huge.st", err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "limit"));
    /* N = 2^64 - 1 */
    memset(img, 0xff, 8);
    assert_int_equal(nn_st_open_memory(&st, img, 16, "huge.st", err, sizeof err), NER_EFORMAT);
    /* N past the end */
    memset(img, 0, 16);
    img[0] = 9;
    assert_int_equal(nn_st_open_memory(&st, img, 16, "past.st", err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "past the end"));
    assert_null(st);
    /* the smallest valid file: "{}" */
    size_t len;
    unsigned char *ok = raw_image("{}", NULL, 0, &len);
    assert_int_equal(nn_st_open_memory(&st, ok, len, "min.st", err, sizeof err), NER_OK);
    assert_int_equal(nn_st_count(st), 0);
    assert_null(nn_st_find(st, "x"));
    nn_st_close(st);
    free(ok);
}

static void test_valid_and_access(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, 6};
    uint16_t h[3] = {0x3C00, 0xC000, 0x0001}; /* 1, -2, smallest subnormal */
    uint16_t bf[2] = {0x3F80, 0xC0A0};        /* 1, -5 */
    int64_t pos[2] = {0, 1};
    float scalar = 7.5f;
    stw_tensor t[5] = {
        {"a", "F32", 2, {2, 3}, a, sizeof a},
        {"h", "F16", 1, {3}, h, sizeof h},
        {"bf", "BF16", 2, {1, 2}, bf, sizeof bf},
        {"position_ids", "I64", 2, {1, 2}, pos, sizeof pos},
        {"s", "F32", 0, {0}, &scalar, sizeof scalar},
    };
    for (int pad = 0; pad < 2; pad++) {
        size_t len;
        unsigned char *img = stw_build(t, 5, pad, &len);
        nn_st *st = NULL;
        char err[256] = "";
        assert_int_equal(nn_st_open_memory(&st, img, len, "ok.st", err, sizeof err), NER_OK);
        assert_int_equal(nn_st_count(st), 5);
        assert_string_equal(nn_st_metadata(st, "format"), "pt");
        assert_null(nn_st_metadata(st, "nope"));
        const nn_st_tensor *ta = nn_st_find(st, "a");
        assert_non_null(ta);
        assert_int_equal(ta->dtype, NN_ST_F32);
        assert_int_equal(ta->ndim, 2);
        assert_int_equal(ta->shape[1], 3);
        assert_int_equal(ta->nelem, 6);
        const float *d;
        float *own;
        assert_int_equal(nn_st_get_f32(ta, &d, &own, err, sizeof err), NER_OK);
        if (((uintptr_t)ta->data & 3) == 0) {
            assert_null(own);               /* zero-copy */
            assert_ptr_equal(d, (const void *)ta->data);
        } else {
            assert_non_null(own);           /* misaligned: copied */
        }
        for (int i = 0; i < 6; i++)
            assert_true(d[i] == a[i]);
        free(own);
        assert_int_equal(nn_st_get_f32(nn_st_find(st, "h"), &d, &own, err, sizeof err), NER_OK);
        assert_non_null(own);
        assert_true(d[0] == 1.0f && d[1] == -2.0f && d[2] == ldexpf(1.0f, -24));
        free(own);
        assert_int_equal(nn_st_get_f32(nn_st_find(st, "bf"), &d, &own, err, sizeof err), NER_OK);
        assert_true(d[0] == 1.0f && d[1] == -5.0f);
        free(own);
        const nn_st_tensor *ts = nn_st_find(st, "s");
        assert_int_equal(ts->ndim, 0);
        assert_int_equal(ts->nelem, 1);
        /* an I64 tensor may be present, but is not a float weight */
        const nn_st_tensor *tp = nn_st_find(st, "position_ids");
        assert_non_null(tp);
        assert_int_equal(nn_st_get_f32(tp, &d, &own, err, sizeof err), NER_EUNSUPPORTED);
        assert_non_null(strstr(err, "position_ids"));
        assert_non_null(strstr(err, "unsupported dtype I64"));
        assert_null(own);
        nn_st_close(st);
        free(img);
    }
}

static void test_f16_values(void **state)
{
    (void)state;
    assert_true(nn_f16_to_float(0x7BFF) == 65504.0f);
    assert_true(nn_f16_to_float(0x8000) == 0.0f && signbit(nn_f16_to_float(0x8000)));
    assert_true(isinf(nn_f16_to_float(0x7C00)) && nn_f16_to_float(0x7C00) > 0);
    assert_true(isinf(nn_f16_to_float(0xFC00)) && nn_f16_to_float(0xFC00) < 0);
    assert_true(isnan(nn_f16_to_float(0x7E00)));
    assert_true(nn_f16_to_float(0x03FF) == ldexpf(1023.0f, -24)); /* largest subnormal */
    assert_true(nn_f16_to_float(0x0400) == ldexpf(1.0f, -14));    /* smallest normal */
    assert_true(nn_f16_to_float(0x3555) == 0.333251953125f);
    /* every half against the textbook formula */
    for (uint32_t b = 0; b < 0x10000; b++) {
        float f = nn_f16_to_float((uint16_t)b);
        uint32_t e = (b >> 10) & 31, m = b & 1023;
        float want = e == 0 ? ldexpf((float)m, -24)
                   : e == 31 ? (m ? NAN : INFINITY)
                             : ldexpf((float)(1024 + m), (int)e - 25);
        if (b & 0x8000)
            want = -want;
        if (isnan(want))
            assert_true(isnan(f));
        else
            assert_true(f == want);
    }
}

static void test_files_and_shards(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    assert_non_null(dir);
    char path[512], err[512] = "";
    nn_st *st = NULL;

    snprintf(path, sizeof path, "%s/none.safetensors", dir);
    assert_int_equal(nn_st_open(&st, path, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "none.safetensors"));
    assert_int_equal(nn_st_open(&st, dir, err, sizeof err), NER_EIO);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "model.safetensors"));

    float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
    stw_tensor s1[1] = {{"x.weight", "F32", 2, {2, 2}, a, sizeof a}};
    stw_tensor s2[2] = {{"y.bias", "F32", 1, {2}, b, sizeof b},
                        {"z", "F32", 1, {1}, b, 4}};
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", dir);
    assert_int_equal(stw_write(path, s1, 1, 1), 0);
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    assert_int_equal(stw_write(path, s2, 2, 1), 0);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    const char *idx = "{\"metadata\":{\"total_size\":24},\"weight_map\":{"
                      "\"x.weight\":\"model-00001-of-00002.safetensors\","
                      "\"y.bias\":\"model-00002-of-00002.safetensors\"}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_OK);
    assert_int_equal(nn_st_count(st), 2);    /* only what the map names */
    const nn_st_tensor *t = nn_st_find(st, "y.bias");
    assert_non_null(t);
    assert_non_null(strstr(t->file, "model-00002-of-00002.safetensors"));
    assert_null(nn_st_find(st, "z"));
    const float *d;
    float *own;
    assert_int_equal(nn_st_get_f32(nn_st_find(st, "x.weight"), &d, &own, err, sizeof err), 0);
    assert_true(d[3] == 4.0f);
    nn_st_release(st, nn_st_find(st, "x.weight"));
    assert_true(d[3] == 4.0f); /* still readable after the hint */
    nn_st_close(st);

    /* a tensor the map names but its shard lacks */
    idx = "{\"weight_map\":{\"x.weight\":\"model-00002-of-00002.safetensors\"}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "x.weight"));
    assert_non_null(strstr(err, "model-00002-of-00002.safetensors"));
    /* a shard outside the folder */
    idx = "{\"weight_map\":{\"x.weight\":\"../model.safetensors\"}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "not a file name"));
    /* a missing shard */
    idx = "{\"weight_map\":{\"x.weight\":\"gone.safetensors\"}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_ENOTFOUND);
    assert_non_null(strstr(err, "gone.safetensors"));
    /* no weight_map */
    idx = "{\"metadata\":{}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "weight_map"));
    /* a broken shard names itself */
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", dir);
    assert_int_equal(write_file(path, "\x02\0\0\0\0\0\0\0{]", 10), 0);
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    idx = "{\"weight_map\":{\"y.bias\":\"model-00002-of-00002.safetensors\"}}";
    assert_int_equal(write_file(path, idx, strlen(idx)), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "model-00002-of-00002.safetensors"));
    assert_null(st);

    /* model.safetensors wins over an index */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(stw_write(path, s1, 1, 0), 0);
    assert_int_equal(nn_st_open_dir(&st, dir, err, sizeof err), NER_OK);
    assert_int_equal(nn_st_count(st), 1);
    nn_st_close(st);
    rm_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_hostile_lengths),
        cmocka_unit_test(test_valid_and_access),
        cmocka_unit_test(test_f16_values),
        cmocka_unit_test(test_files_and_shards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
