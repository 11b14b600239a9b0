/* Model images: building, validating, loading (mmap), saving, predicting. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/errbuf.h"
#include "ner/ner.h"
#include "tagger/features.h"
#include "tagger/model_impl.h"

enum { IMG_BORROWED = 0, IMG_MALLOC = 1, IMG_MMAP = 2 };

struct ntg_model {
    const unsigned char *img;
    size_t len;
    int kind;
    uint32_t n_labels, n_tags;
    ntg_feat_opts fo;
    float temp;
    const char **labels;
    float *ctrans, *cstart, *cend;    /* constrained, raw scale */
    double *etrans, *estart, *eend;   /* exp(c / temp), 0 where forbidden */
    const uint32_t *slots;
    uint64_t mask;
    const uint32_t *rows;
    size_t n_feats, max_probe;
    const unsigned char *gaz;  /* NULL: none */
    uint64_t gaz_mask;
    size_t gaz_probe;
    const unsigned char *xgaz; /* external lists; NULL: none */
    uint64_t xgaz_mask;
    size_t xgaz_probe, xgaz_keys;
    uint32_t n_xgaz, xgaz_max_len;
    const char *xgaz_labels[NTG_MAX_XGAZ];
};

struct ntg_scratch {
    ntg_featbuf fb;
    float *em;
    size_t em_cap;      /* tokens */
    uint16_t *bp;
    size_t bp_cap;      /* entries */
    float *delta;
    size_t delta_cap;
    double *alpha, *beta, *bwd, *scale;
    size_t fb_cap;      /* entries of alpha/beta/bwd */
    size_t scale_cap;
    uint16_t *tags;
    size_t tags_cap;
    ntg_span *spans;
    size_t spans_cap;
    uint64_t feats[NTG_MAX_FEATS];
};

/* ------------------------------------------------------------ helpers */

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static float rdf(const unsigned char *p)
{
    float v;
    memcpy(&v, p, 4);
    return v;
}

static void wr32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static int host_is_le(void)
{
    const uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

uint64_t ntg_checksum(const unsigned char *p, size_t len)
{
    const uint64_t P1 = 0x9E3779B185EBCA87ULL, P2 = 0xC2B2AE3D27D4EB4FULL;
    uint64_t h = 0x27D4EB2F165667C5ULL ^ (uint64_t)len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w = (i == 24) ? 0 : rd64(p + i);
        h ^= w * P2;
        h = ((h << 31) | (h >> 33)) * P1;
    }
    for (; i < len; i++) {
        h ^= (uint64_t)p[i] * P1;
        h = ((h << 11) | (h >> 53)) * P2;
    }
    return ntg_mix64(h);
}

int ntg_trans_ok(uint32_t prev, uint32_t cur)
{
    char pk = prev == UINT32_MAX ? 'O' : NTG_TAG_KIND(prev);
    char ck = NTG_TAG_KIND(cur);
    if (pk == 'B' || pk == 'I')
        return (ck == 'I' || ck == 'L') && NTG_TAG_LABEL(cur) == NTG_TAG_LABEL(prev);
    return ck == 'O' || ck == 'B' || ck == 'U';
}

int ntg_end_ok(uint32_t tag)
{
    char k = NTG_TAG_KIND(tag);
    return k == 'O' || k == 'L' || k == 'U';
}

void ntg_constrain(uint32_t T, const float *trans, const float *start,
                   const float *end, float *ctrans, float *cstart, float *cend)
{
    for (uint32_t a = 0; a < T; a++) {
        cstart[a] = ntg_trans_ok(UINT32_MAX, a) ? start[a] : NTG_NEG;
        cend[a] = ntg_end_ok(a) ? end[a] : NTG_NEG;
        for (uint32_t b = 0; b < T; b++)
            ctrans[a * T + b] = ntg_trans_ok(a, b) ? trans[a * T + b] : NTG_NEG;
    }
}

int ntg_viterbi(const float *em, size_t n, uint32_t T, const float *ctrans,
                const float *cstart, const float *cend, const int16_t *allowed,
                uint16_t *bp, float *delta, uint16_t *out)
{
    if (n == 0)
        return 1;
    float *cur = delta, *nxt = delta + T;
    for (uint32_t t = 0; t < T; t++) {
        cur[t] = cstart[t] + em[t];
        if (allowed && allowed[0] >= 0 && (uint32_t)allowed[0] != t)
            cur[t] = NTG_NEG;
    }
    for (size_t i = 1; i < n; i++) {
        const float *e = em + i * T;
        uint16_t *b = bp + i * T;
        int16_t only = allowed ? allowed[i] : -1;
        for (uint32_t t = 0; t < T; t++) {
            if (only >= 0 && (uint32_t)only != t) {
                nxt[t] = NTG_NEG;
                b[t] = 0;
                continue;
            }
            float best = cur[0] + ctrans[t];
            uint32_t arg = 0;
            for (uint32_t s = 1; s < T; s++) {
                float v = cur[s] + ctrans[s * T + t];
                if (v > best) {
                    best = v;
                    arg = s;
                }
            }
            nxt[t] = best + e[t];
            b[t] = (uint16_t)arg;
        }
        float *tmp = cur;
        cur = nxt;
        nxt = tmp;
    }
    float best = cur[0] + cend[0];
    uint32_t arg = 0;
    for (uint32_t t = 1; t < T; t++) {
        float v = cur[t] + cend[t];
        if (v > best) {
            best = v;
            arg = t;
        }
    }
    out[n - 1] = (uint16_t)arg;
    for (size_t i = n - 1; i > 0; i--)
        out[i - 1] = bp[i * T + out[i]];
    return best > NTG_NEG / 2;
}

size_t ntg_tags_to_spans(const uint16_t *tags, size_t n, ntg_span *out)
{
    size_t k = 0;
    size_t open = SIZE_MAX;
    uint32_t lab = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t t = tags[i];
        char kind = NTG_TAG_KIND(t);
        uint32_t l = t ? NTG_TAG_LABEL(t) : 0;
        int cont = open != SIZE_MAX && (kind == 'I' || kind == 'L') && l == lab;
        if (!cont && open != SIZE_MAX) {
            out[k++] = (ntg_span){open, i, lab, 1.0};
            open = SIZE_MAX;
        }
        if (kind == 'O')
            continue;
        if (!cont) {
            open = i;
            lab = l;
        }
        if (kind == 'L' || kind == 'U') {
            out[k++] = (ntg_span){open, i + 1, lab, 1.0};
            open = SIZE_MAX;
        }
    }
    if (open != SIZE_MAX)
        out[k++] = (ntg_span){open, n, lab, 1.0};
    return k;
}

int ntg_spans_to_tags(const ntg_span *spans, size_t n_spans, size_t n,
                      uint16_t *tags)
{
    for (size_t i = 0; i < n; i++)
        tags[i] = NTG_TAG_O;
    size_t prev_end = 0;
    for (size_t k = 0; k < n_spans; k++) {
        const ntg_span *s = &spans[k];
        if (s->start >= s->end || s->end > n || s->start < prev_end ||
            s->label >= NTG_MAX_LABELS)
            return 0;
        prev_end = s->end;
        if (s->end - s->start == 1) {
            tags[s->start] = (uint16_t)NTG_TAG_U(s->label);
            continue;
        }
        tags[s->start] = (uint16_t)NTG_TAG_B(s->label);
        for (size_t i = s->start + 1; i + 1 < s->end; i++)
            tags[i] = (uint16_t)NTG_TAG_I(s->label);
        tags[s->end - 1] = (uint16_t)NTG_TAG_L(s->label);
    }
    return 1;
}

/* ------------------------------------------------------------ building */

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

int ntg_image_build(const char *const *labels, uint32_t n_labels,
                    const ntg_feat_opts *fo, float temperature,
                    const float *trans, const float *start, const float *end,
                    const uint64_t *hashes, const uint32_t *row_of,
                    size_t n_feats, const uint32_t *rows, size_t rows_len,
                    const uint64_t *gaz_keys, const uint32_t *gaz_labels,
                    size_t n_gaz, const ntg_xgaz_image *xg,
                    unsigned char **out, size_t *len)
{
    *out = NULL;
    if (n_labels == 0 || n_labels > NTG_MAX_LABELS || !(temperature > 0) ||
        rows_len >= NTG_EMPTY)
        return NER_EINVAL;
    uint32_t n_xl = xg && xg->n_keys ? xg->n_labels : 0;
    if (n_xl > NTG_MAX_XGAZ || (n_xl && (xg->max_len < 1 || xg->max_len > NTG_GAZ_MAX_LEN)))
        return NER_EINVAL;
    size_t xlab_len = 0;
    for (uint32_t i = 0; i < n_xl; i++) {
        size_t l = strlen(xg->labels[i]);
        if (l == 0 || l >= NTG_XGAZ_LABEL_BYTES)
            return NER_EINVAL;
        xlab_len += l + 1;
    }
    for (size_t i = 0; n_xl && i < xg->n_keys; i++)
        if (!xg->masks[i] || (xg->masks[i] & ~NTG_XG_VALID(n_xl)))
            return NER_EINVAL;
    uint32_t T = NTG_N_TAGS(n_labels);
    size_t lab_len = 0;
    for (uint32_t i = 0; i < n_labels; i++)
        lab_len += strlen(labels[i]) + 1;
    uint64_t nslots = 16;
    while (nslots < n_feats + n_feats / 2 + 1)
        nslots *= 2;
    if (nslots > NTG_MAX_SLOTS)
        return NER_ETOOBIG;
    size_t off_lab = NTG_HEADER_SIZE;
    size_t off_tr = align8(off_lab + lab_len);
    size_t tr_len = ((size_t)T * T + 2 * (size_t)T) * 4;
    size_t off_sl = align8(off_tr + tr_len);
    size_t off_rows = align8(off_sl + (size_t)nslots * 8);
    uint64_t gslots = 0;
    if (n_gaz) {
        gslots = 16;
        while (gslots < n_gaz + n_gaz / 2 + 1)
            gslots *= 2;
        if (gslots > NTG_MAX_SLOTS)
            return NER_ETOOBIG;
    }
    size_t off_gaz = align8(off_rows + rows_len * 4);
    uint64_t xslots = 0;
    if (n_xl) {
        xslots = 16;
        while (xslots < xg->n_keys + xg->n_keys / 2 + 1)
            xslots *= 2;
        if (xslots > NTG_MAX_SLOTS)
            return NER_ETOOBIG;
    }
    size_t off_xg = align8(off_gaz + (size_t)gslots * 16);
    size_t off_xl = align8(off_xg + (size_t)xslots * 16);
    size_t total = align8(off_xl + xlab_len);
    unsigned char *img = calloc(1, total);
    if (!img)
        return NER_ENOMEM;
    memcpy(img, NTG_MAGIC, 8);
    wr32(img + 8, NTG_VERSION);
    wr32(img + 12, NTG_HEADER_SIZE);
    wr64(img + 16, total);
    wr32(img + 32, n_labels);
    wr32(img + 36, T);
    wr32(img + 40, fo->flags);
    wr32(img + 44, fo->prefix_max);
    wr32(img + 48, fo->suffix_max);
    wr32(img + 52, fo->window);
    wr32(img + 56, fo->agg_max);
    memcpy(img + 60, &temperature, 4);
    wr64(img + 64, off_lab);
    wr64(img + 72, lab_len);
    wr64(img + 80, off_tr);
    wr64(img + 88, off_sl);
    wr64(img + 96, nslots);
    wr64(img + 104, off_rows);
    wr64(img + 112, rows_len);
    wr64(img + 120, n_feats);
    wr64(img + 128, gslots ? off_gaz : 0);
    wr64(img + 136, gslots);
    wr64(img + 144, n_xl ? off_xg : 0);
    wr64(img + 152, xslots);
    wr64(img + 160, n_xl ? off_xl : 0);
    wr64(img + 168, xlab_len);
    wr32(img + 176, n_xl);
    wr32(img + 180, n_xl ? xg->max_len : 0);
    size_t p = off_lab;
    for (uint32_t i = 0; i < n_labels; i++) {
        size_t l = strlen(labels[i]) + 1;
        memcpy(img + p, labels[i], l);
        p += l;
    }
    memcpy(img + off_tr, trans, (size_t)T * T * 4);
    memcpy(img + off_tr + (size_t)T * T * 4, start, (size_t)T * 4);
    memcpy(img + off_tr + ((size_t)T * T + T) * 4, end, (size_t)T * 4);
    unsigned char *sl = img + off_sl;
    for (uint64_t i = 0; i < nslots; i++)
        wr32(sl + i * 8 + 4, NTG_EMPTY);
    uint64_t mask = nslots - 1;
    for (size_t f = 0; f < n_feats; f++) {
        uint64_t i = hashes[f] & mask;
        while (rd32(sl + i * 8 + 4) != NTG_EMPTY)
            i = (i + 1) & mask;
        wr32(sl + i * 8, (uint32_t)(hashes[f] >> 32));
        wr32(sl + i * 8 + 4, row_of[f]);
    }
    memcpy(img + off_rows, rows, rows_len * 4);
    for (size_t g = 0; g < n_gaz; g++) {
        uint64_t i = gaz_keys[g] & (gslots - 1);
        while (rd32(img + off_gaz + i * 16 + 8) != 0)
            i = (i + 1) & (gslots - 1);
        wr64(img + off_gaz + i * 16, gaz_keys[g]);
        wr32(img + off_gaz + i * 16 + 8, gaz_labels[g] + 1);
    }
    for (size_t g = 0; n_xl && g < xg->n_keys; g++) {
        uint64_t i = xg->keys[g] & (xslots - 1);
        while (rd32(img + off_xg + i * 16 + 8) != 0) {
            if (rd64(img + off_xg + i * 16) == xg->keys[g]) {
                free(img);
                return NER_EINVAL; /* the same key twice */
            }
            i = (i + 1) & (xslots - 1);
        }
        wr64(img + off_xg + i * 16, xg->keys[g]);
        wr32(img + off_xg + i * 16 + 8, xg->masks[g]);
    }
    p = off_xl;
    for (uint32_t i = 0; i < n_xl; i++) {
        size_t l = strlen(xg->labels[i]) + 1;
        memcpy(img + p, xg->labels[i], l);
        p += l;
    }
    wr64(img + 24, ntg_checksum(img, total));
    *out = img;
    *len = total;
    return NER_OK;
}

/* ------------------------------------------------------------ loading */

static int section_ok(uint64_t off, uint64_t bytes, size_t len)
{
    return off >= NTG_HEADER_SIZE && off % 8 == 0 && off <= len &&
           bytes <= len - off;
}

static void model_release(ntg_model *m)
{
    if (m->kind == IMG_MALLOC)
        free((void *)m->img);
    else if (m->kind == IMG_MMAP)
        munmap((void *)m->img, m->len);
    free(m->labels);
    free(m->ctrans);
    free(m->etrans);
    free(m);
}

void ntg_model_free(ntg_model *m)
{
    if (m)
        model_release(m);
}

#define BAD(...) do { nu_errf(errbuf, errlen, __VA_ARGS__); rc = NER_EFORMAT; goto fail; } while (0)

static int model_open(ntg_model **out, const unsigned char *img, size_t len,
                      int kind, char *errbuf, size_t errlen)
{
    *out = NULL;
    int rc = NER_OK;
    ntg_model *m = calloc(1, sizeof *m);
    if (!m) {
        if (kind == IMG_MALLOC) free((void *)img);
        else if (kind == IMG_MMAP) munmap((void *)img, len);
        return NER_ENOMEM;
    }
    m->img = img;
    m->len = len;
    m->kind = kind;
    if (!host_is_le()) {
        nu_errf(errbuf, errlen, "tagger models need a little-endian machine");
        rc = NER_EUNSUPPORTED;
        goto fail;
    }
    if (len < NTG_HEADER_SIZE)
        BAD("tagger model: %zu bytes is shorter than the %u-byte header", len,
            NTG_HEADER_SIZE);
    if (memcmp(img, NTG_MAGIC, 8) != 0)
        BAD("tagger model: bad magic at byte 0 (not a libner tagger model)");
    if (rd32(img + 8) != NTG_VERSION)
        BAD("tagger model: format version %u at byte 8 is not supported (this "
            "libner reads version %u); retrain it with `ner train`",
            rd32(img + 8), NTG_VERSION);
    if (rd32(img + 12) != NTG_HEADER_SIZE)
        BAD("tagger model: header size %u at byte 12, want %u", rd32(img + 12),
            NTG_HEADER_SIZE);
    if (rd64(img + 16) != len)
        BAD("tagger model: header says %llu bytes at byte 16, the file has %zu "
            "(truncated or padded)", (unsigned long long)rd64(img + 16), len);
    uint64_t sum = ntg_checksum(img, len);
    if (sum != rd64(img + 24))
        BAD("tagger model: checksum mismatch (byte 24): the file is damaged");
    m->n_labels = rd32(img + 32);
    m->n_tags = rd32(img + 36);
    if (m->n_labels == 0 || m->n_labels > NTG_MAX_LABELS)
        BAD("tagger model: %u labels at byte 32 (1..%u allowed)", m->n_labels,
            NTG_MAX_LABELS);
    if (m->n_tags != NTG_N_TAGS(m->n_labels))
        BAD("tagger model: %u tags at byte 36 for %u labels", m->n_tags, m->n_labels);
    m->fo.flags = rd32(img + 40);
    m->fo.prefix_max = rd32(img + 44);
    m->fo.suffix_max = rd32(img + 48);
    m->fo.window = rd32(img + 52);
    m->fo.agg_max = rd32(img + 56);
    m->temp = rdf(img + 60);
    if ((m->fo.flags & ~NTG_F_KNOWN) || m->fo.prefix_max > NTG_AFFIX_MAX ||
        m->fo.suffix_max > NTG_AFFIX_MAX || m->fo.window < 1 || m->fo.window > 3 ||
        m->fo.agg_max > 32)
        BAD("tagger model: feature options at bytes 40-59 out of range");
    if (!(m->temp > 0.0f) || !isfinite(m->temp))
        BAD("tagger model: temperature at byte 60 is not a positive number");
    uint32_t T = m->n_tags;
    uint64_t off_lab = rd64(img + 64), lab_len = rd64(img + 72);
    uint64_t off_tr = rd64(img + 80);
    uint64_t off_sl = rd64(img + 88), nslots = rd64(img + 96);
    uint64_t off_rows = rd64(img + 104), rows_len = rd64(img + 112);
    uint64_t n_feats = rd64(img + 120);
    uint64_t tr_bytes = ((uint64_t)T * T + 2 * (uint64_t)T) * 4;
    if (!section_ok(off_lab, lab_len, len))
        BAD("tagger model: labels section (bytes 64-79) outside the file");
    if (!section_ok(off_tr, tr_bytes, len))
        BAD("tagger model: transitions section (byte 80) outside the file");
    if (nslots < 1 || nslots > NTG_MAX_SLOTS || (nslots & (nslots - 1)) ||
        !section_ok(off_sl, nslots * 8, len))
        BAD("tagger model: slot table (bytes 88-103) bad size or outside the file");
    if (rows_len >= NTG_EMPTY || !section_ok(off_rows, rows_len * 4, len))
        BAD("tagger model: rows section (bytes 104-119) outside the file");
    if (n_feats >= nslots)
        BAD("tagger model: %llu features for %llu slots at byte 120",
            (unsigned long long)n_feats, (unsigned long long)nslots);
    /* labels */
    m->labels = calloc(m->n_labels + 1, sizeof *m->labels);
    if (!m->labels) {
        rc = NER_ENOMEM;
        goto fail;
    }
    {
        const char *lp = (const char *)img + off_lab;
        size_t left = (size_t)lab_len;
        for (uint32_t i = 0; i < m->n_labels; i++) {
            const char *z = memchr(lp, '\0', left);
            if (!z)
                BAD("tagger model: label %u is not NUL-terminated within the "
                    "labels section", i);
            size_t l = (size_t)(z - lp);
            if (l == 0 || l >= NTG_MAX_LABEL_BYTES)
                BAD("tagger model: label %u is empty or longer than %d bytes", i,
                    NTG_MAX_LABEL_BYTES - 1);
            for (size_t q = 0; q < l; q++)
                if ((unsigned char)lp[q] < 0x20)
                    BAD("tagger model: label %u holds a control byte", i);
            for (uint32_t j = 0; j < i; j++)
                if (strcmp(m->labels[j], lp) == 0)
                    BAD("tagger model: label \"%s\" appears twice", lp);
            m->labels[i] = lp;
            lp = z + 1;
            left -= l + 1;
        }
        if (left != 0)
            BAD("tagger model: %zu stray bytes after the labels", left);
    }
    /* transitions */
    {
        size_t nt = (size_t)T * T + 2 * (size_t)T;
        m->ctrans = malloc(nt * sizeof *m->ctrans);
        m->etrans = malloc(nt * sizeof *m->etrans);
        if (!m->ctrans || !m->etrans) {
            rc = NER_ENOMEM;
            goto fail;
        }
        float *raw = malloc(nt * sizeof *raw);
        if (!raw) {
            rc = NER_ENOMEM;
            goto fail;
        }
        for (size_t i = 0; i < nt; i++) {
            raw[i] = rdf(img + off_tr + 4 * i);
            if (!isfinite(raw[i]) || fabsf(raw[i]) > 1e15f) {
                free(raw);
                BAD("tagger model: transition weight %zu is not finite", i);
            }
        }
        m->cstart = m->ctrans + (size_t)T * T;
        m->cend = m->cstart + T;
        ntg_constrain(T, raw, raw + (size_t)T * T, raw + (size_t)T * T + T,
                      m->ctrans, m->cstart, m->cend);
        free(raw);
        m->estart = m->etrans + (size_t)T * T;
        m->eend = m->estart + T;
        for (size_t i = 0; i < nt; i++)
            m->etrans[i] = m->ctrans[i] <= NTG_NEG / 2 ? 0.0
                                                       : exp(m->ctrans[i] / m->temp);
    }
    /* slots and rows */
    m->slots = (const uint32_t *)(const void *)(img + off_sl);
    m->rows = (const uint32_t *)(const void *)(img + off_rows);
    m->mask = nslots - 1;
    {
        uint64_t used = 0;
        size_t maxp = 0;
        for (uint64_t i = 0; i < nslots; i++) {
            uint32_t r = m->slots[2 * i + 1];
            if (r == NTG_EMPTY)
                continue;
            used++;
            if ((uint64_t)r >= rows_len)
                BAD("tagger model: slot %llu points past the rows",
                    (unsigned long long)i);
            uint32_t c = m->rows[r];
            if (c == 0 || c > T || (uint64_t)r + 1 + 2 * (uint64_t)c > rows_len)
                BAD("tagger model: row at word %u has a bad count %u", r, c);
            for (uint32_t k = 0; k < c; k++) {
                uint32_t tag = m->rows[r + 1 + 2 * k];
                float w;
                memcpy(&w, &m->rows[r + 2 + 2 * k], 4);
                if (tag >= T || !isfinite(w) || fabsf(w) > 1e15f)
                    BAD("tagger model: row at word %u: bad tag or weight", r);
            }
        }
        if (used != n_feats)
            BAD("tagger model: %llu slots are used but the header says %llu",
                (unsigned long long)used, (unsigned long long)n_feats);
        /* probe distances: the longest run of used slots bounds them */
        if (used) {
            uint64_t start = 0;
            while (m->slots[2 * start + 1] != NTG_EMPTY)
                start++;   /* an empty slot exists: n_feats < nslots */
            size_t run = 0;
            for (uint64_t k = 1; k <= nslots; k++) {
                uint64_t i = (start + k) & m->mask;
                if (m->slots[2 * i + 1] != NTG_EMPTY) {
                    if (++run > maxp)
                        maxp = run;
                } else {
                    run = 0;
                }
            }
        }
        m->n_feats = (size_t)used;
        m->max_probe = maxp;
    }
    /* gazetteer */
    {
        uint64_t off_gaz = rd64(img + 128), gslots = rd64(img + 136);
        if (gslots) {
            if (gslots > NTG_MAX_SLOTS || (gslots & (gslots - 1)) ||
                !section_ok(off_gaz, gslots * 16, len))
                BAD("tagger model: gazetteer (bytes 128-143) bad size or outside the file");
            const unsigned char *g = img + off_gaz;
            uint64_t used = 0;
            for (uint64_t i = 0; i < gslots; i++) {
                uint32_t lab = rd32(g + i * 16 + 8);
                if (lab > m->n_labels || rd32(g + i * 16 + 12) != 0)
                    BAD("tagger model: gazetteer slot %llu has a bad label",
                        (unsigned long long)i);
                used += lab != 0;
            }
            if (used >= gslots)
                BAD("tagger model: the gazetteer has no empty slot");
            uint64_t start = 0;
            while (rd32(g + start * 16 + 8) != 0)
                start++;
            size_t run = 0, maxp = 0;
            for (uint64_t k = 1; k <= gslots; k++) {
                uint64_t i = (start + k) & (gslots - 1);
                if (rd32(g + i * 16 + 8) != 0) {
                    if (++run > maxp)
                        maxp = run;
                } else {
                    run = 0;
                }
            }
            m->gaz = g;
            m->gaz_mask = gslots - 1;
            m->gaz_probe = maxp;
        } else if (off_gaz != 0) {
            BAD("tagger model: gazetteer offset without slots (bytes 128-143)");
        }
    }
    /* external lists */
    {
        uint64_t off_xg = rd64(img + 144), xslots = rd64(img + 152);
        uint64_t off_xl = rd64(img + 160), xl_len = rd64(img + 168);
        uint32_t n_xl = rd32(img + 176), max_len = rd32(img + 180);
        if (n_xl == 0) {
            if (off_xg || xslots || off_xl || xl_len || max_len)
                BAD("tagger model: external list fields (bytes 144-183) without lists");
        } else {
            if (n_xl > NTG_MAX_XGAZ || max_len < 1 || max_len > NTG_GAZ_MAX_LEN)
                BAD("tagger model: %u external lists, longest phrase %u (bytes "
                    "176-183) out of range", n_xl, max_len);
            if (xslots < 1 || xslots > NTG_MAX_SLOTS || (xslots & (xslots - 1)) ||
                !section_ok(off_xg, xslots * 16, len))
                BAD("tagger model: external list table (bytes 144-159) bad size "
                    "or outside the file");
            if (!section_ok(off_xl, xl_len, len))
                BAD("tagger model: external list labels (bytes 160-175) outside the file");
            const char *lp = (const char *)img + off_xl;
            size_t left = (size_t)xl_len;
            for (uint32_t i = 0; i < n_xl; i++) {
                const char *z = memchr(lp, '\0', left);
                if (!z)
                    BAD("tagger model: external list label %u is not NUL-terminated", i);
                size_t l = (size_t)(z - lp);
                if (l == 0 || l >= NTG_XGAZ_LABEL_BYTES)
                    BAD("tagger model: external list label %u is empty or longer "
                        "than %d bytes", i, NTG_XGAZ_LABEL_BYTES - 1);
                for (size_t q = 0; q < l; q++)
                    if ((unsigned char)lp[q] < 0x20)
                        BAD("tagger model: external list label %u holds a control byte", i);
                for (uint32_t j = 0; j < i; j++)
                    if (strcmp(m->xgaz_labels[j], lp) == 0)
                        BAD("tagger model: external list \"%s\" appears twice", lp);
                m->xgaz_labels[i] = lp;
                lp = z + 1;
                left -= l + 1;
            }
            if (left != 0)
                BAD("tagger model: %zu stray bytes after the external list labels", left);
            uint32_t valid = NTG_XG_VALID(n_xl);
            if (!(m->fo.flags & NTG_F_XGAZ_LC))
                valid &= 0xFFFFu;
            const unsigned char *g = img + off_xg;
            uint64_t used = 0;
            for (uint64_t i = 0; i < xslots; i++) {
                uint32_t mk = rd32(g + i * 16 + 8);
                if ((mk & ~valid) || rd32(g + i * 16 + 12) != 0)
                    BAD("tagger model: external list slot %llu has a bad mask",
                        (unsigned long long)i);
                used += mk != 0;
            }
            if (used == 0 || used >= xslots)
                BAD("tagger model: the external list table is empty or has no empty slot");
            uint64_t start = 0;
            while (rd32(g + start * 16 + 8) != 0)
                start++;
            size_t run = 0, maxp = 0;
            for (uint64_t k = 1; k <= xslots; k++) {
                uint64_t i = (start + k) & (xslots - 1);
                if (rd32(g + i * 16 + 8) != 0) {
                    if (++run > maxp)
                        maxp = run;
                } else {
                    run = 0;
                }
            }
            m->xgaz = g;
            m->xgaz_mask = xslots - 1;
            m->xgaz_probe = maxp;
            m->xgaz_keys = (size_t)used;
            m->n_xgaz = n_xl;
            m->xgaz_max_len = max_len;
        }
    }
    *out = m;
    return NER_OK;
fail:
    model_release(m);
    return rc;
}

int ntg_model_load_mem(ntg_model **out, const void *data, size_t len, int own,
                       char *errbuf, size_t errlen)
{
    if (!out || (!data && len)) {
        if (own)
            free((void *)data);
        return NER_EINVAL;
    }
    if (!data) {
        nu_errf(errbuf, errlen, "tagger model: empty");
        *out = NULL;
        return NER_EFORMAT;
    }
    if (((uintptr_t)data & 7) != 0) {
        /* unaligned: work on an aligned copy */
        void *copy = malloc(len ? len : 1);
        if (!copy) {
            if (own)
                free((void *)data);
            return NER_ENOMEM;
        }
        memcpy(copy, data, len);
        if (own)
            free((void *)data);
        data = copy;
        own = 1;
    }
    return model_open(out, data, len, own ? IMG_MALLOC : IMG_BORROWED, errbuf,
                      errlen);
}

int ntg_model_load_file(ntg_model **out, const char *path, char *errbuf,
                        size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        nu_errf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        nu_errf(errbuf, errlen, "%s: not a regular file", path);
        close(fd);
        return NER_EIO;
    }
    size_t len = (size_t)st.st_size;
    if (len < NTG_HEADER_SIZE) {
        close(fd);
        nu_errf(errbuf, errlen, "%s: %zu bytes is too short for a tagger model", path, len);
        return NER_EFORMAT;
    }
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int kind = IMG_MMAP;
    if (p == MAP_FAILED) {
        p = malloc(len);
        kind = IMG_MALLOC;
        if (!p) {
            close(fd);
            return NER_ENOMEM;
        }
        size_t got = 0;
        while (got < len) {
            ssize_t r = pread(fd, (char *)p + got, len - got, (off_t)got);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                free(p);
                close(fd);
                nu_errf(errbuf, errlen, "%s: read failed", path);
                return NER_EIO;
            }
            got += (size_t)r;
        }
    }
    close(fd);
    char sub[NER_ERRBUF_SIZE] = "";
    int rc = model_open(out, p, len, kind, sub, sizeof sub);
    if (rc != NER_OK)
        nu_errf(errbuf, errlen, "%s: %s", path, sub);
    return rc;
}

const void *ntg_model_image(const ntg_model *m, size_t *len)
{
    *len = m->len;
    return m->img;
}

int ntg_model_save(const ntg_model *m, const char *path, char *errbuf,
                   size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return NER_ENOMEM;
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        nu_errf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return NER_EIO;
    }
    int ok = fwrite(m->img, 1, m->len, f) == m->len;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        nu_errf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return NER_EIO;
    }
    free(tmp);
    return NER_OK;
}

size_t ntg_model_label_count(const ntg_model *m) { return m->n_labels; }

const char *ntg_model_label(const ntg_model *m, size_t i)
{
    return i < m->n_labels ? m->labels[i] : NULL;
}

const char *const *ntg_model_labels(const ntg_model *m) { return m->labels; }
size_t ntg_model_feature_count(const ntg_model *m) { return m->n_feats; }
double ntg_model_temperature(const ntg_model *m) { return m->temp; }
void ntg_model_feat_opts(const ntg_model *m, ntg_feat_opts *out) { *out = m->fo; }
size_t ntg_model_xgaz_count(const ntg_model *m) { return m->n_xgaz; }
size_t ntg_model_xgaz_keys(const ntg_model *m) { return m->xgaz_keys; }

const char *ntg_model_xgaz_label(const ntg_model *m, size_t i)
{
    return i < m->n_xgaz ? m->xgaz_labels[i] : NULL;
}

int ntg_model_with_temperature(const ntg_model *m, double temperature,
                               ntg_model **out)
{
    *out = NULL;
    if (!(temperature > 0) || !isfinite(temperature))
        return NER_EINVAL;
    unsigned char *img = malloc(m->len);
    if (!img)
        return NER_ENOMEM;
    memcpy(img, m->img, m->len);
    float t = (float)temperature;
    memcpy(img + 60, &t, 4);
    wr64(img + 24, ntg_checksum(img, m->len));
    return model_open(out, img, m->len, IMG_MALLOC, NULL, 0);
}

/* ------------------------------------------------------------ predicting */

ntg_scratch *ntg_scratch_new(void) { return calloc(1, sizeof(ntg_scratch)); }

void ntg_scratch_free(ntg_scratch *s)
{
    if (!s)
        return;
    ntg_featbuf_free(&s->fb);
    free(s->em);
    free(s->bp);
    free(s->delta);
    free(s->alpha);
    free(s->beta);
    free(s->bwd);
    free(s->scale);
    free(s->tags);
    free(s->spans);
    free(s);
}

#define GROW(ptr, capv, need)                                                  \
    do {                                                                       \
        if ((need) > (capv)) {                                                 \
            void *np_ = realloc((ptr), (need) * sizeof *(ptr));                \
            if (!np_)                                                          \
                return NER_ENOMEM;                                             \
            (ptr) = np_;                                                       \
            (capv) = (need);                                                   \
        }                                                                      \
    } while (0)

static uint32_t gaz_lookup(const void *ctx, uint64_t key)
{
    const ntg_model *m = ctx;
    uint64_t i = key & m->gaz_mask;
    for (size_t p = 0; p <= m->gaz_probe; p++) {
        const unsigned char *s = m->gaz + i * 16;
        uint32_t lab = rd32(s + 8);
        if (lab == 0)
            return 0;
        if (rd64(s) == key)
            return lab;
        i = (i + 1) & m->gaz_mask;
    }
    return 0;
}

static uint32_t xgaz_lookup(const void *ctx, uint64_t key)
{
    const ntg_model *m = ctx;
    uint64_t i = key & m->xgaz_mask;
    for (size_t p = 0; p <= m->xgaz_probe; p++) {
        const unsigned char *s = m->xgaz + i * 16;
        uint32_t mk = rd32(s + 8);
        if (mk == 0)
            return 0;
        if (rd64(s) == key)
            return mk;
        i = (i + 1) & m->xgaz_mask;
    }
    return 0;
}

static inline void add_feature(const ntg_model *m, uint64_t h, float *e)
{
    uint64_t i = h & m->mask;
    uint32_t fp = (uint32_t)(h >> 32);
    for (size_t p = 0; p <= m->max_probe; p++) {
        uint32_t r = m->slots[2 * i + 1];
        if (r == NTG_EMPTY)
            return;
        if (m->slots[2 * i] == fp) {
            const uint32_t *row = m->rows + r;
            uint32_t c = row[0];
            for (uint32_t k = 0; k < c; k++) {
                float w;
                memcpy(&w, &row[2 + 2 * k], 4);
                e[row[1 + 2 * k]] += w;
            }
            return;
        }
        i = (i + 1) & m->mask;
    }
}

/* The same as add_feature over feats[0..nf), in three passes: the weight
 * table is far larger than the caches, so every slot and then every row is
 * requested before any is used, and the misses overlap instead of queueing. */
static void add_features(const ntg_model *m, const uint64_t *feats, size_t nf,
                         float *e)
{
    enum { CHUNK = 64 };
    uint32_t rows[CHUNK];
    for (size_t base = 0; base < nf; base += CHUNK) {
        size_t n = nf - base < CHUNK ? nf - base : CHUNK;
#if defined(__GNUC__)
        for (size_t k = 0; k < n; k++)
            __builtin_prefetch(&m->slots[2 * (feats[base + k] & m->mask)]);
#endif
        for (size_t k = 0; k < n; k++) {
            uint64_t h = feats[base + k], i = h & m->mask;
            uint32_t fp = (uint32_t)(h >> 32), r = NTG_EMPTY;
            for (size_t p = 0; p <= m->max_probe; p++) {
                uint32_t rr = m->slots[2 * i + 1];
                if (rr == NTG_EMPTY)
                    break;
                if (m->slots[2 * i] == fp) {
                    r = rr;
                    break;
                }
                i = (i + 1) & m->mask;
            }
            rows[k] = r;
#if defined(__GNUC__)
            if (r != NTG_EMPTY)
                __builtin_prefetch(m->rows + r);
#endif
        }
        for (size_t k = 0; k < n; k++) {
            if (rows[k] == NTG_EMPTY)
                continue;
            const uint32_t *row = m->rows + rows[k];
            uint32_t c = row[0];
            for (uint32_t j = 0; j < c; j++) {
                float w;
                memcpy(&w, &row[2 + 2 * j], 4);
                e[row[1 + 2 * j]] += w;
            }
        }
    }
}

/* Span marginals of the sentence [lo, hi) whose spans are sp[0..ns). */
static int score_sentence(const ntg_model *m, ntg_scratch *s, size_t lo,
                          size_t hi, const uint16_t *tags, ntg_span *sp,
                          size_t ns)
{
    uint32_t T = m->n_tags;
    size_t n = hi - lo;
    if (n * T > s->fb_cap) {
        size_t need = n * T;
        double *a = realloc(s->alpha, need * sizeof *a);
        if (!a)
            return NER_ENOMEM;
        s->alpha = a;
        double *b = realloc(s->beta, need * sizeof *b);
        if (!b)
            return NER_ENOMEM;
        s->beta = b;
        double *w = realloc(s->bwd, need * sizeof *w);
        if (!w)
            return NER_ENOMEM;
        s->bwd = w;
        s->fb_cap = need;
    }
    GROW(s->scale, s->scale_cap, n);
    double *c = s->scale;        /* c[i]: forward scale */
    const double inv = 1.0 / m->temp;
    /* emissions as exp((em - max) / temp), in beta's storage for now */
    double *E = s->beta;
    for (size_t i = 0; i < n; i++) {
        const float *e = s->em + (lo + i) * T;
        float mx = e[0];
        for (uint32_t t = 1; t < T; t++)
            if (e[t] > mx)
                mx = e[t];
        for (uint32_t t = 0; t < T; t++)
            E[i * T + t] = exp((double)(e[t] - mx) * inv);
    }
    double *A = s->alpha;
    double z = 0;
    for (uint32_t t = 0; t < T; t++) {
        A[t] = m->estart[t] * E[t];
        z += A[t];
    }
    if (!(z > 0))
        z = 1e-300;
    c[0] = z;
    for (uint32_t t = 0; t < T; t++)
        A[t] /= z;
    for (size_t i = 1; i < n; i++) {
        double *a = A + i * T;
        const double *ap = A + (i - 1) * T;
        z = 0;
        for (uint32_t t = 0; t < T; t++) {
            double acc = 0;
            for (uint32_t q = 0; q < T; q++)
                acc += ap[q] * m->etrans[q * T + t];
            a[t] = acc * E[i * T + t];
            z += a[t];
        }
        if (!(z > 0))
            z = 1e-300;
        c[i] = z;
        for (uint32_t t = 0; t < T; t++)
            a[t] /= z;
    }
    double zend = 0;
    for (uint32_t t = 0; t < T; t++)
        zend += A[(n - 1) * T + t] * m->eend[t];
    if (!(zend > 0))
        zend = 1e-300;
    /* backward; then a span's probability is
     * alpha_hat_s[t_s] * prod_{k=s+1..e} (M E_k / c_k) * beta_hat_e[t_e] */
    double *B = s->bwd;
    for (uint32_t t = 0; t < T; t++)
        B[(n - 1) * T + t] = m->eend[t] / zend;
    for (size_t i = n - 1; i > 0; i--) {
        const double *bn = B + i * T;
        double *b = B + (i - 1) * T;
        for (uint32_t q = 0; q < T; q++) {
            double acc = 0;
            for (uint32_t t = 0; t < T; t++)
                acc += m->etrans[q * T + t] * E[i * T + t] * bn[t];
            b[q] = acc / c[i];
        }
    }
    for (size_t k = 0; k < ns; k++) {
        size_t a = sp[k].start - lo, e = sp[k].end - lo;
        double p = A[a * T + tags[sp[k].start]];
        for (size_t i = a + 1; i < e; i++) {
            uint32_t tp = tags[lo + i - 1], tc = tags[lo + i];
            p *= m->etrans[tp * T + tc] * E[i * T + tc] / c[i];
        }
        p *= B[(e - 1) * T + tags[sp[k].end - 1]];
        if (!(p >= 0))
            p = 0;
        if (p > 1)
            p = 1;
        sp[k].score = p;
    }
    return NER_OK;
}

int ntg_predict(const ntg_model *m, const ntg_doc *doc, ntg_scratch *s,
                uint32_t flags, const ntg_span **spans, size_t *n_spans,
                uint16_t *tags_out)
{
    *spans = NULL;
    *n_spans = 0;
    size_t n = doc->n;
    if (n == 0)
        return NER_OK;
    uint32_t T = m->n_tags;
    ntg_gaz_view gz = {gaz_lookup, m};
    ntg_xgaz_view xg = {xgaz_lookup, m, m->n_xgaz, m->xgaz_max_len};
    int rc = ntg_doc_facts(&m->fo, doc, m->gaz ? &gz : NULL, m->xgaz ? &xg : NULL,
                           &s->fb);
    if (rc != NER_OK)
        return rc;
    if (n > SIZE_MAX / (T * sizeof(float)) / 2)
        return NER_ENOMEM;
    GROW(s->em, s->em_cap, n * T);
    GROW(s->bp, s->bp_cap, n * T);
    GROW(s->delta, s->delta_cap, 2 * (size_t)T);
    GROW(s->tags, s->tags_cap, n);
    GROW(s->spans, s->spans_cap, n);
    for (size_t i = 0; i < n; i++) {
        float *e = s->em + i * T;
        memset(e, 0, T * sizeof *e);
        size_t nf = ntg_token_features(&m->fo, s->fb.ti, n, i, s->feats);
        if (flags & NTG_PREDICT_REFERENCE) {
            for (size_t k = 0; k < nf; k++)
                add_feature(m, s->feats[k], e);
        } else {
            add_features(m, s->feats, nf, e);
        }
    }
    size_t total = 0;
    size_t lo = 0;
    while (lo < n) {
        size_t hi = s->fb.ti[lo].sent_hi;
        ntg_viterbi(s->em + lo * T, hi - lo, T, m->ctrans, m->cstart, m->cend,
                    NULL, s->bp, s->delta, s->tags + lo);
        size_t ns = ntg_tags_to_spans(s->tags + lo, hi - lo, s->spans + total);
        for (size_t k = 0; k < ns; k++) {
            s->spans[total + k].start += lo;
            s->spans[total + k].end += lo;
        }
        if (ns && !(flags & NTG_PREDICT_NO_SCORES)) {
            rc = score_sentence(m, s, lo, hi, s->tags, s->spans + total, ns);
            if (rc != NER_OK)
                return rc;
        }
        total += ns;
        lo = hi;
    }
    if (tags_out)
        memcpy(tags_out, s->tags, n * sizeof *tags_out);
    *spans = s->spans;
    *n_spans = total;
    return NER_OK;
}
