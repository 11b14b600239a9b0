/* BERT normalisation with alignments (see bert_normalize.h). */
#include "text/bert_normalize.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "ner/ner.h"
#include "text/bert_unicode_tables.h"
#include "text/utf8.h"

void nt_bert_opts_init(nt_bert_opts *o)
{
    o->clean_text = 1;
    o->handle_chinese_chars = 1;
    o->strip_accents = -1;
    o->lowercase = 1;
}

/* ------------------------------------------------------------ classes */

/* A code point in a sorted table of ranges: the entry, or NULL. */
static const nt_bu_range *range_find(const nt_bu_range *t, size_t n, int32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < t[mid].lo)
            hi = mid;
        else if (c > t[mid].hi)
            lo = mid + 1;
        else
            return &t[mid];
    }
    return NULL;
}

#define OVERRIDE(table, c, base)                                             \
    do {                                                                     \
        const nt_bu_range *r_ = range_find(table, sizeof table / sizeof *table, c); \
        return r_ ? r_->val : (base);                                        \
    } while (0)

static int category(int32_t c)
{
    return (int)utf8proc_category(c);
}

int nt_bert_base_is_control(int32_t c)
{
    if (c == '\t' || c == '\n' || c == '\r')
        return 0;
    int cat = category(c);
    return cat == UTF8PROC_CATEGORY_CC || cat == UTF8PROC_CATEGORY_CF ||
           cat == UTF8PROC_CATEGORY_CO;
}

int nt_bert_is_control(int32_t c)
{
    OVERRIDE(nt_bu_control, c, nt_bert_base_is_control(c));
}

int nt_rust_is_whitespace(int32_t c)
{
    /* Rust's char::is_whitespace: the White_Space property. */
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D);
    switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

int nt_bert_is_whitespace(int32_t c)
{
    return c == '\t' || c == '\n' || c == '\r' || nt_rust_is_whitespace(c);
}

int nt_bert_is_chinese(int32_t c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
           (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

int nt_bert_base_is_punct(int32_t c)
{
    if (c < 0x80)
        return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) ||
               (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
    int cat = category(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

int nt_bert_is_punct(int32_t c)
{
    if (c < 0x80)
        return nt_bert_base_is_punct(c);
    OVERRIDE(nt_bu_punct, c, nt_bert_base_is_punct(c));
}

int nt_bert_base_is_mn(int32_t c)
{
    return category(c) == UTF8PROC_CATEGORY_MN;
}

int nt_bert_is_mn(int32_t c)
{
    if (c < 0x300)
        return 0;
    OVERRIDE(nt_bu_mn, c, nt_bert_base_is_mn(c));
}

int nt_bert_base_ccc(int32_t c)
{
    const utf8proc_property_t *p = utf8proc_get_property(c);
    return p ? p->combining_class : 0;
}

int nt_bert_ccc(int32_t c)
{
    if (c < 0x300)
        return 0;
    OVERRIDE(nt_bu_ccc, c, nt_bert_base_ccc(c));
}

/* An entry of a sorted mapping table (lower-casing, decomposition). */
static const nt_bu_map *map_find(const nt_bu_map *t, size_t n, int32_t c)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c < t[mid].cp)
            hi = mid;
        else if (c > t[mid].cp)
            lo = mid + 1;
        else
            return &t[mid];
    }
    return NULL;
}

int nt_bert_base_to_lower(int32_t c, int32_t out[3])
{
    if (c == 0x130) { /* the one unconditional full mapping that grows */
        out[0] = 'i';
        out[1] = 0x307;
        return 2;
    }
    out[0] = utf8proc_tolower(c);
    return 1;
}

int nt_rust_to_lower(int32_t c, int32_t out[3])
{
    if (c < 0x80) {
        out[0] = c >= 'A' && c <= 'Z' ? c + 32 : c;
        return 1;
    }
    const nt_bu_map *m = map_find(nt_bu_lower, sizeof nt_bu_lower / sizeof *nt_bu_lower, c);
    if (m) {
        int k = m->n > 3 ? 3 : m->n;
        for (int i = 0; i < k; i++)
            out[i] = m->to[i];
        return k;
    }
    return nt_bert_base_to_lower(c, out);
}

int nt_bert_base_nfd_char(int32_t c, int32_t *out, int cap)
{
    utf8proc_int32_t buf[8];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(c, buf, 8, UTF8PROC_DECOMPOSE, &last);
    if (k <= 0 || k > 8) {
        buf[0] = c;
        k = 1;
    }
    int n = 0;
    for (utf8proc_ssize_t i = 0; i < k && n < cap; i++)
        out[n++] = buf[i];
    return n;
}

int nt_bert_nfd_char(int32_t c, int32_t *out, int cap)
{
    if (c < 0xC0) {
        if (cap > 0)
            out[0] = c;
        return cap > 0;
    }
    const nt_bu_map *m = map_find(nt_bu_nfd, sizeof nt_bu_nfd / sizeof *nt_bu_nfd, c);
    if (m) {
        int n = 0;
        for (int i = 0; i < m->n && n < cap; i++)
            out[n++] = m->to[i];
        return n;
    }
    return nt_bert_base_nfd_char(c, out, cap);
}

/* ------------------------------------------------------------ text */

void nt_normtext_init(nt_normtext *t)
{
    memset(t, 0, sizeof *t);
}

void nt_normtext_free(nt_normtext *t)
{
    if (!t)
        return;
    free(t->cp);
    free(t->ostart);
    free(t->oend);
    free(t->tcp);
    free(t->ts);
    free(t->te);
    free(t->tch);
    nt_normtext_init(t);
}

static int grow3(int32_t **a, uint32_t **b, uint32_t **c, size_t *cap, size_t need)
{
    if (need <= *cap)
        return NER_OK;
    size_t nc = *cap ? *cap : 64;
    while (nc < need) {
        if (nc > SIZE_MAX / 2 / sizeof(uint32_t))
            return NER_ENOMEM;
        nc *= 2;
    }
    int32_t *na = realloc(*a, nc * sizeof *na);
    if (na)
        *a = na;
    uint32_t *nb = realloc(*b, nc * sizeof *nb);
    if (nb)
        *b = nb;
    uint32_t *ncc = realloc(*c, nc * sizeof *ncc);
    if (ncc)
        *c = ncc;
    if (!na || !nb || !ncc)
        return NER_ENOMEM;
    *cap = nc;
    return NER_OK;
}

static int main_reserve(nt_normtext *t, size_t need)
{
    return grow3(&t->cp, &t->ostart, &t->oend, &t->cap, need);
}

/* Scratch holds (code point, change) pairs before a transform, plus the
 * alignments the transform computes. */
static int tmp_reserve(nt_normtext *t, size_t need)
{
    size_t old = t->tcap;
    int rc = grow3(&t->tcp, &t->ts, &t->te, &t->tcap, need);
    if (rc != NER_OK)
        return rc;
    if (t->tcap != old) {
        int32_t *ch = realloc(t->tch, t->tcap * sizeof *ch);
        if (!ch) {
            t->tcap = old < t->tcap ? old : t->tcap;
            return NER_ENOMEM;
        }
        t->tch = ch;
    }
    return NER_OK;
}

static int push_main(nt_normtext *t, int32_t c, uint32_t s, uint32_t e)
{
    if (t->n == t->cap && main_reserve(t, t->n + 1) != NER_OK)
        return NER_ENOMEM;
    t->cp[t->n] = c;
    t->ostart[t->n] = s;
    t->oend[t->n] = e;
    t->n++;
    return NER_OK;
}

/* Applies the m (code point, change) pairs in t->tcp/t->tch to the whole
 * normalised text, as Rust's NormalizedString::transform_range does over the
 * full range with initial_offset 0: change 0 replaces the next original
 * character (keeping its range), change > 0 inserts (range of the last
 * character consumed, [0, 0) when none), change -k replaces and removes k
 * more.  The result replaces t's content. */
static int apply_transform(nt_normtext *t, size_t m)
{
    size_t pos = 0; /* characters of the old text consumed */
    for (size_t i = 0; i < m; i++) {
        int32_t ch = t->tch[i];
        uint32_t s = 0, e = 0;
        if (ch > 0) {
            if (pos > 0 && pos - 1 < t->n) {
                s = t->ostart[pos - 1];
                e = t->oend[pos - 1];
            }
        } else {
            if (pos < t->n) {
                s = t->ostart[pos];
                e = t->oend[pos];
            }
            pos += 1 + (size_t)(-(int64_t)ch);
        }
        t->ts[i] = s;
        t->te[i] = e;
    }
    if (main_reserve(t, m) != NER_OK)
        return NER_ENOMEM;
    memcpy(t->cp, t->tcp, m * sizeof *t->cp);
    memcpy(t->ostart, t->ts, m * sizeof *t->ostart);
    memcpy(t->oend, t->te, m * sizeof *t->oend);
    t->n = m;
    return NER_OK;
}

/* NFD over the whole text, with the crate's (char, change) pairs: the first
 * code point of each decomposition replaces (0), the others are inserted
 * (1); runs of non-starters are stably sorted by combining class, the
 * changes travelling with their code points. */
static int nfd_pass(nt_normtext *t)
{
    size_t m = 0;
    size_t run = 0; /* start of the current run of non-starters */
    for (size_t i = 0; i < t->n; i++) {
        int32_t d[8];
        int k = nt_bert_nfd_char(t->cp[i], d, 8);
        if (tmp_reserve(t, m + (size_t)k) != NER_OK)
            return NER_ENOMEM;
        for (int j = 0; j < k; j++) {
            int cc = nt_bert_ccc(d[j]);
            if (cc == 0)
                run = m + 1;
            else {
                /* insertion sort into the run [run, m]: stable */
                size_t p = m;
                while (p > run && nt_bert_ccc(t->tcp[p - 1]) > cc) {
                    t->tcp[p] = t->tcp[p - 1];
                    t->tch[p] = t->tch[p - 1];
                    p--;
                }
                t->tcp[p] = d[j];
                t->tch[p] = j == 0 ? 0 : 1;
                m++;
                continue;
            }
            t->tcp[m] = d[j];
            t->tch[m] = j == 0 ? 0 : 1;
            m++;
        }
    }
    return apply_transform(t, m);
}

/* Keeps the code points that are not Mn (Rust's NormalizedString::filter):
 * kept ones keep their own ranges. */
static void strip_mn(nt_normtext *t)
{
    size_t w = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (nt_bert_is_mn(t->cp[i]))
            continue;
        t->cp[w] = t->cp[i];
        t->ostart[w] = t->ostart[i];
        t->oend[w] = t->oend[i];
        w++;
    }
    t->n = w;
}

static int lower_pass(nt_normtext *t)
{
    size_t m = 0;
    for (size_t i = 0; i < t->n; i++) {
        int32_t l[3];
        int k = nt_rust_to_lower(t->cp[i], l);
        if (tmp_reserve(t, m + (size_t)k) != NER_OK)
            return NER_ENOMEM;
        for (int j = 0; j < k; j++) {
            t->tcp[m] = l[j];
            t->tch[m] = j == 0 ? 0 : 1;
            m++;
        }
    }
    return apply_transform(t, m);
}

int nt_bert_normalize(const nt_bert_opts *o, const char *text, size_t len,
                      size_t base, nt_normtext *out)
{
    nt_bert_opts def;
    if (!o) {
        nt_bert_opts_init(&def);
        o = &def;
    }
    out->n = 0;
    if (len > UINT32_MAX - 1 || base > UINT32_MAX - 1 - len)
        return NER_ETOOBIG;
    /* clean_text and CJK spacing: per original character */
    size_t i = 0;
    while (i < len) {
        size_t b0 = i;
        int32_t c = nt_utf8_next(text, len, &i);
        uint32_t s = (uint32_t)(base + b0), e = (uint32_t)(base + i);
        if (o->clean_text) {
            if (c == 0 || c == 0xFFFD || nt_bert_is_control(c))
                continue;
            if (nt_bert_is_whitespace(c))
                c = ' ';
        }
        if (o->handle_chinese_chars && nt_bert_is_chinese(c)) {
            if (push_main(out, ' ', s, e) || push_main(out, c, s, e) ||
                push_main(out, ' ', s, e))
                return NER_ENOMEM;
        } else if (push_main(out, c, s, e)) {
            return NER_ENOMEM;
        }
    }
    int strip = o->strip_accents < 0 ? o->lowercase : o->strip_accents;
    if (strip) {
        int rc = nfd_pass(out);
        if (rc != NER_OK)
            return rc;
        strip_mn(out);
    }
    if (o->lowercase) {
        int rc = lower_pass(out);
        if (rc != NER_OK)
            return rc;
    }
    return NER_OK;
}
