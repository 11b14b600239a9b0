/* Alias keys (case folding, accent and punctuation normalisation) and bags
 * of words, on utf8proc. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "kb/kb.h"

int nk_fold(const char *s, size_t n, char **out, size_t *outlen)
{
    *out = NULL;
    if (n > (size_t)1 << 30)
        return NER_ETOOBIG;
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)(n ? s : ""),
                                      (utf8proc_ssize_t)n, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                      UTF8PROC_CASEFOLD);
    if (r < 0)
        return r == UTF8PROC_ERROR_NOMEM ? NER_ENOMEM : NER_EUTF8;
    *out = (char *)dst;
    if (outlen)
        *outlen = (size_t)r;
    return NER_OK;
}

/* 1 when a code point of the decomposed, case-folded text is kept in a
 * level-2 key: letters and digits.  White space and punctuation go, so
 * that "P.Simmons", "P. Simmons" and "p simmons" share a key, as do "U.S."
 * and "US". */
static int norm_keep(utf8proc_int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

int nk_norm(const char *s, size_t n, char **out, size_t *outlen)
{
    *out = NULL;
    if (n > (size_t)1 << 30)
        return NER_ETOOBIG;
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)(n ? s : ""),
                                      (utf8proc_ssize_t)n, &dst,
                                      UTF8PROC_STABLE | UTF8PROC_DECOMPOSE |
                                      UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                                      UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    if (r < 0)
        return r == UTF8PROC_ERROR_NOMEM ? NER_ENOMEM : NER_EUTF8;
    /* Filter in place: the result is never longer than the input. */
    size_t w = 0;
    for (utf8proc_ssize_t i = 0; i < r;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(dst + i, r - i, &cp);
        if (k <= 0) {               /* cannot happen on utf8proc's output */
            free(dst);
            return NER_EUTF8;
        }
        if (norm_keep(cp)) {
            memmove(dst + w, dst + i, (size_t)k);
            w += (size_t)k;
        }
        i += k;
    }
    dst[w] = '\0';
    *out = (char *)dst;
    if (outlen)
        *outlen = w;
    return NER_OK;
}

/* ------------------------------------------------------------ bags */

uint32_t nk_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* English function words: frequent everywhere, so they say nothing about
 * which entity a context is about.  Sorted for bsearch. */
static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "also", "am",
    "an", "and", "any", "are", "as", "at", "be", "because", "been", "before",
    "being", "below", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "down", "during", "each", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers",
    "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is",
    "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no",
    "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other",
    "our", "ours", "ourselves", "out", "over", "own", "said", "same", "she",
    "should", "so", "some", "such", "than", "that", "the", "their", "theirs",
    "them", "themselves", "then", "there", "these", "they", "this", "those",
    "through", "to", "too", "under", "until", "up", "very", "was", "we",
    "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "would", "you", "your", "yours", "yourself",
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, *(const char *const *)b);
}

static int is_stopword(const char *w)
{
    return bsearch(w, stopwords, sizeof stopwords / sizeof *stopwords,
                   sizeof *stopwords, cmp_str) != NULL;
}

int nk_bow_push(nk_bow *b, uint32_t h, float w)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        nk_term *v = realloc(b->v, cap * sizeof *v);
        if (!v)
            return NER_ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n].h = h;
    b->v[b->n].w = w;
    b->n++;
    return NER_OK;
}

typedef struct word {
    char buf[64];       /* the first bytes, for the stop-word check */
    size_t len;         /* bytes of the whole word */
    size_t cps;         /* code points */
    int all_digits;
    uint32_t h;
} word;

static void word_reset(word *w)
{
    w->len = 0;
    w->cps = 0;
    w->all_digits = 1;
    w->h = 2166136261u;
}

static int word_end(nk_bow *b, word *w)
{
    int rc = NER_OK;
    if (w->cps >= 2 && !w->all_digits) {
        int stop = 0;
        if (w->len < sizeof w->buf) {
            w->buf[w->len] = '\0';
            stop = is_stopword(w->buf);
        }
        if (!stop)
            rc = nk_bow_push(b, w->h, 1.0f);
    }
    word_reset(w);
    return rc;
}

static void word_add(word *w, utf8proc_int32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t k = utf8proc_encode_char(cp, enc);
    for (utf8proc_ssize_t i = 0; i < k; i++) {
        if (w->len < sizeof w->buf - 1)
            w->buf[w->len] = (char)enc[i];
        w->len++;
        w->h ^= enc[i];
        w->h *= 16777619u;
    }
    w->cps++;
    if (cp < '0' || cp > '9')
        w->all_digits = 0;
}

int nk_bow_add_text(nk_bow *b, const char *s, size_t n)
{
    word w;
    word_reset(&w);
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;
        if (p[i] < 0x80) {
            cp = p[i];
            k = 1;
        } else {
            k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
            if (k <= 0) {
                cp = -1;
                k = 1;
            }
        }
        i += (size_t)k;
        if (cp < 0) {
            if (word_end(b, &w) != NER_OK) return NER_ENOMEM;
            continue;
        }
        if (cp < 0x80) {
            if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
                word_add(&w, cp);
            } else if (cp >= 'A' && cp <= 'Z') {
                word_add(&w, cp + 32);
            } else if (word_end(b, &w) != NER_OK) {
                return NER_ENOMEM;
            }
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        int in_word = cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL ||
                      cat == UTF8PROC_CATEGORY_LT || cat == UTF8PROC_CATEGORY_LM ||
                      cat == UTF8PROC_CATEGORY_LO || cat == UTF8PROC_CATEGORY_ND ||
                      cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO ||
                      cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_MC ||
                      cat == UTF8PROC_CATEGORY_ME;
        if (!in_word) {
            if (word_end(b, &w) != NER_OK) return NER_ENOMEM;
            continue;
        }
        utf8proc_int32_t dec[32];
        int last = 0;
        utf8proc_ssize_t m = utf8proc_decompose_char(cp, dec, 32,
            UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
            UTF8PROC_STRIPMARK | UTF8PROC_IGNORE, &last);
        if (m < 0 || m > 32)
            continue;
        for (utf8proc_ssize_t j = 0; j < m; j++) {
            utf8proc_category_t c2 = utf8proc_category(dec[j]);
            if (c2 == UTF8PROC_CATEGORY_MN || c2 == UTF8PROC_CATEGORY_MC ||
                c2 == UTF8PROC_CATEGORY_ME)
                continue;
            word_add(&w, dec[j]);
        }
    }
    return word_end(b, &w);
}

static int cmp_term(const void *a, const void *b)
{
    uint32_t x = ((const nk_term *)a)->h, y = ((const nk_term *)b)->h;
    return x < y ? -1 : x > y;
}

void nk_bow_finish(nk_bow *b)
{
    if (b->n < 2)
        return;
    qsort(b->v, b->n, sizeof *b->v, cmp_term);
    size_t w = 0;
    for (size_t i = 1; i < b->n; i++) {
        if (b->v[i].h == b->v[w].h)
            b->v[w].w += b->v[i].w;
        else
            b->v[++w] = b->v[i];
    }
    b->n = w + 1;
}

void nk_bow_clear(nk_bow *b)
{
    b->n = 0;
}

void nk_bow_free(nk_bow *b)
{
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

int nk_terms_pack(const nk_term *t, size_t n, unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (n == 0)
        return NER_OK;
    unsigned char *p = malloc(n * 8);
    if (!p)
        return NER_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint32_t f;
        memcpy(&f, &t[i].w, 4);
        for (int k = 0; k < 4; k++) {
            p[8 * i + (size_t)k] = (unsigned char)(t[i].h >> (8 * k));
            p[8 * i + 4 + (size_t)k] = (unsigned char)(f >> (8 * k));
        }
    }
    *out = p;
    *len = n * 8;
    return NER_OK;
}

int nk_terms_unpack(const void *blob, size_t len, nk_bow *b)
{
    if (len % 8)
        return NER_EFORMAT;
    const unsigned char *p = blob;
    uint32_t prev = 0;
    for (size_t i = 0; i < len / 8; i++) {
        uint32_t h = 0, f = 0;
        for (int k = 0; k < 4; k++) {
            h |= (uint32_t)p[8 * i + (size_t)k] << (8 * k);
            f |= (uint32_t)p[8 * i + 4 + (size_t)k] << (8 * k);
        }
        float w;
        memcpy(&w, &f, 4);
        if ((i > 0 && h <= prev) || !isfinite(w))
            return NER_EFORMAT;
        prev = h;
        if (nk_bow_push(b, h, w) != NER_OK)
            return NER_ENOMEM;
    }
    return NER_OK;
}

/* ------------------------------------------------------------ helpers */

void nk_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

void nk_logf(ner_log_fn log, void *user, int level, const char *fmt, ...)
{
    if (!log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(user, level, msg);
}
