/* The rule tokenizer proper: whitespace split, affix peeling, infixes.
 * Reads a const nt_rules; all scratch lives in the caller's nt_tokbuf. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "ner/ner.h"
#include "text/rule_tokenizer.h"
#include "text/rules_impl.h"
#include "text/utf8.h"

/* ------------------------------------------------------------ whitespace */

int nt_is_space(int cp)
{
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
    if (cp == 0x85) return 1;
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
           c == UTF8PROC_CATEGORY_ZP;
}

/* 1 for ' ', \t \n \v \f \r */
static const unsigned char ascii_space[128] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1,
};

/* Length of the code point at s[i] (valid UTF-8). */
static inline size_t cp_len(unsigned char c)
{
    return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
}

/* ------------------------------------------------------------ buffers */

void nt_tokbuf_init(nt_tokbuf *b)
{
    if (b) memset(b, 0, sizeof *b);
}

void nt_tokbuf_free(nt_tokbuf *b)
{
    if (!b) return;
    free(b->starts);
    free(b->ends);
    if (b->scratch) {
        pcre2_match_data_free(b->scratch->md);
        free(b->scratch->suf_start);
        free(b->scratch->suf_end);
        free(b->scratch);
    }
    memset(b, 0, sizeof *b);
}

static int grow(size_t **a, size_t **b, size_t *cap, size_t need)
{
    size_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > ((size_t)-1) / (2 * sizeof(size_t))) return NER_ENOMEM;
        c *= 2;
    }
    size_t *na = realloc(*a, c * sizeof *na);
    if (!na) return NER_ENOMEM;
    *a = na;
    size_t *nb = realloc(*b, c * sizeof *nb);
    if (!nb) return NER_ENOMEM;
    *b = nb;
    *cap = c;
    return NER_OK;
}

static inline int emit(nt_tokbuf *o, size_t a, size_t b)
{
    if (o->n == o->cap && grow(&o->starts, &o->ends, &o->cap, o->n + 1))
        return NER_ENOMEM;
    o->starts[o->n] = a;
    o->ends[o->n] = b;
    o->n++;
    return NER_OK;
}

/* ------------------------------------------------------------ matching */

typedef struct ctx {
    const nt_rules *r;
    nt_scratch *sc;
    const char *t; /* whole text */
    nt_tokbuf *out;
} ctx;

/* Runs re on subj[0..n) from start; on a match sets *ms, *me and returns 1.
 * Errors (match limit, JIT stack) count as no match. */
static inline int run(const ctx *c, const nt_regex *re, const char *subj,
                      size_t n, size_t start, size_t *ms, size_t *me)
{
    int rc = re->jit
        ? pcre2_jit_match(re->code, (PCRE2_SPTR)subj, n, start, 0,
                          c->sc->md, c->r->mctx)
        : pcre2_match(re->code, (PCRE2_SPTR)subj, n, start,
                      PCRE2_NO_UTF_CHECK, c->sc->md, c->r->mctx);
    if (rc < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->sc->md);
    if (ov[0] > ov[1] || ov[1] > n) return 0; /* \K oddities: ignore */
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

static inline int is_alpha(unsigned char ch)
{
    return (unsigned char)((ch | 0x20) - 'a') < 26;
}

static inline int is_digit(unsigned char ch)
{
    return (unsigned char)(ch - '0') < 10;
}

/* All ASCII letters, or all ASCII digits (checks the ends first, so a
 * remainder that is neither usually costs O(1)). */
static int plain(const ctx *c, size_t s, size_t e)
{
    if (!c->r->ascii_fast_path || s >= e) return 0;
    const unsigned char *p = (const unsigned char *)c->t + s;
    size_t n = e - s;
    if (is_alpha(p[0])) {
        if (!is_alpha(p[n - 1])) return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (!is_alpha(p[i])) return 0;
        return 1;
    }
    if (is_digit(p[0])) {
        if (!is_digit(p[n - 1])) return 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (!is_digit(p[i])) return 0;
        return 1;
    }
    return 0;
}

static inline const nt_special *special(const ctx *c, size_t s, size_t e)
{
    return nt_special_find(c->r, c->t + s, e - s);
}

static inline int whole_match(const ctx *c, const nt_regex *re, size_t s, size_t e)
{
    size_t ms, me;
    return re->code && run(c, re, c->t + s, e - s, 0, &ms, &me);
}

static size_t prefix_len(const ctx *c, size_t s, size_t e)
{
    size_t ms, me;
    if (!c->r->prefix.code || s >= e) return 0;
    if (!run(c, &c->r->prefix, c->t + s, e - s, 0, &ms, &me)) return 0;
    return me; /* anchored: the prefix is [0, me) */
}

static size_t suffix_len(const ctx *c, size_t s, size_t e)
{
    size_t ms, me;
    if (!c->r->suffix.code || s >= e) return 0;
    const char *p = c->t + s;
    size_t n = e - s, st = 0;
    if (n > NT_SUFFIX_WINDOW) {
        st = n - NT_SUFFIX_WINDOW;
        while (st < n && ((unsigned char)p[st] & 0xC0) == 0x80) st++;
    }
    if (!run(c, &c->r->suffix, p, n, st, &ms, &me) || me != n) return 0;
    return n - ms;
}

static int emit_special(const ctx *c, const nt_special *sp, size_t s)
{
    const uint32_t *lens = c->r->piece_lens + sp->piece_off;
    for (uint32_t i = 0; i < sp->npieces; i++) {
        if (emit(c->out, s, s + lens[i])) return NER_ENOMEM;
        s += lens[i];
    }
    return NER_OK;
}

static int split_infixes(const ctx *c, size_t s, size_t e)
{
    const nt_regex *re = &c->r->infix;
    if (!re->code) return emit(c->out, s, e);
    const char *p = c->t + s;
    size_t n = e - s, pos = 0, start = 0, ms, me;
    while (pos <= n && run(c, re, p, n, pos, &ms, &me)) {
        if (ms < pos) break; /* cannot happen; never loop */
        if (ms > 0) {
            if (ms > start && emit(c->out, s + start, s + ms)) return NER_ENOMEM;
            if (me > ms && emit(c->out, s + ms, s + me)) return NER_ENOMEM;
            start = me;
        }
        if (me > ms) pos = me;
        else if (ms >= n) break;
        else pos = ms + cp_len((unsigned char)p[ms]);
    }
    if (start < n) return emit(c->out, s + start, e);
    return NER_OK;
}

static int push_suffix(ctx *c, size_t *nsuf, size_t a, size_t b)
{
    nt_scratch *sc = c->sc;
    if (*nsuf == sc->suf_cap &&
        grow(&sc->suf_start, &sc->suf_end, &sc->suf_cap, *nsuf + 1))
        return NER_ENOMEM;
    sc->suf_start[*nsuf] = a;
    sc->suf_end[*nsuf] = b;
    (*nsuf)++;
    return NER_OK;
}

/* One whitespace-free chunk [s, e). */
static int chunk(ctx *c, size_t s, size_t e)
{
    const nt_rules *r = c->r;
    const nt_special *sp = special(c, s, e);
    if (sp) return emit_special(c, sp, s);
    if (plain(c, s, e)) return emit(c->out, s, e);

    size_t nsuf = 0, last = (size_t)-1, tm_failed = (size_t)-1;
    unsigned rounds = 0;
    int whole = 0;
    while (s < e && e - s != last) {
        if (rounds < NT_MATCH_ROUNDS && r->token_match.code) {
            if (whole_match(c, &r->token_match, s, e)) { whole = 1; break; }
            tm_failed = e - s;
        }
        if (rounds > 0 && (special(c, s, e) || plain(c, s, e))) break;
        if (rounds >= NT_MAX_ROUNDS) break;
        last = e - s;
        size_t pre = prefix_len(c, s, e);
        if (pre && pre < e - s && special(c, s + pre, e)) {
            if (emit(c->out, s, s + pre)) return NER_ENOMEM;
            s += pre;
            break;
        }
        size_t suf = suffix_len(c, s + pre, e);
        if (suf && suf < e - s && special(c, s, e - suf)) {
            if (push_suffix(c, &nsuf, e - suf, e)) return NER_ENOMEM;
            e -= suf;
            break;
        }
        if (pre) {
            if (emit(c->out, s, s + pre)) return NER_ENOMEM;
            s += pre;
        }
        if (suf) {
            if (push_suffix(c, &nsuf, e - suf, e)) return NER_ENOMEM;
            e -= suf;
        }
        rounds++;
    }
    if (s < e) {
        int rc;
        if ((sp = special(c, s, e)))
            rc = emit_special(c, sp, s);
        else if (whole || plain(c, s, e) ||
                 (tm_failed != e - s && whole_match(c, &r->token_match, s, e)) ||
                 whole_match(c, &r->url_match, s, e))
            rc = emit(c->out, s, e);
        else
            rc = split_infixes(c, s, e);
        if (rc) return rc;
    }
    while (nsuf > 0) {
        nsuf--;
        if (emit(c->out, c->sc->suf_start[nsuf], c->sc->suf_end[nsuf]))
            return NER_ENOMEM;
    }
    return NER_OK;
}

/* ------------------------------------------------------------ driver */

static int fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(char *errbuf, size_t errlen, int code, const char *fmt, ...)
{
    if (errbuf && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* Bytes of whitespace at t[i] (0 when not whitespace). */
static inline size_t space_at(const char *t, size_t len, size_t i)
{
    unsigned char ch = (unsigned char)t[i];
    if (ch < 0x80) return ascii_space[ch];
    size_t j = i;
    int32_t cp = nt_utf8_next(t, len, &j);
    return nt_is_space(cp) ? j - i : 0;
}

int nt_tokenize(const nt_rules *r, const char *text, size_t len,
                nt_tokbuf *out, char *errbuf, size_t errlen)
{
    if (!out) return fail(errbuf, errlen, NER_EINVAL, "nt_tokenize: out is NULL");
    out->n = 0;
    if (!r || (!text && len))
        return fail(errbuf, errlen, NER_EINVAL, "nt_tokenize: NULL %s",
                    r ? "text" : "rules");
    size_t bad;
    if (!nt_utf8_valid(text, len, &bad))
        return fail(errbuf, errlen, NER_EUTF8,
                    "invalid UTF-8 at byte offset %zu", bad);
    if (!out->scratch) {
        out->scratch = calloc(1, sizeof *out->scratch);
        if (!out->scratch) return fail(errbuf, errlen, NER_ENOMEM, "out of memory");
    }
    if (!out->scratch->md) {
        out->scratch->md = pcre2_match_data_create(1, NULL);
        if (!out->scratch->md) return fail(errbuf, errlen, NER_ENOMEM, "out of memory");
    }
    ctx c = {r, out->scratch, text, out};
    size_t i = 0;
    while (i < len) {
        size_t w;
        while (i < len && (w = space_at(text, len, i)) != 0) i += w;
        if (i >= len) break;
        size_t cs = i;
        while (i < len) {
            unsigned char ch = (unsigned char)text[i];
            if (ch < 0x80) {
                if (ascii_space[ch]) break;
                i++;
            } else {
                if (space_at(text, len, i)) break;
                i += cp_len(ch);
            }
        }
        if (chunk(&c, cs, i)) {
            out->n = 0;
            return fail(errbuf, errlen, NER_ENOMEM, "out of memory");
        }
    }
    return NER_OK;
}
