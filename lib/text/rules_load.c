/* Loading tokenizer rules: JSON parsing, PCRE2 compile + JIT, special cases.
 * Everything lazy happens here; the result is read-only afterwards. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ner/ner.h"
#include "text/rule_tokenizer.h"
#include "text/rules_builtin.h"
#include "text/rules_impl.h"
#include "text/utf8.h"

#define COMPILE_OPTS (PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C)

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

/* ------------------------------------------------------------ strings */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) {
            if (cap > ((size_t)-1) / 2) { b->oom = 1; return; }
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }

/* A short printable excerpt of s for messages: at most cap-1 bytes, cut on
 * a code-point boundary, "..." when cut, control bytes shown as '?'. */
static const char *excerpt(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = n <= cap - 4 ? n : cap - 4;
    if (k < n)
        while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    if (k < n) { memcpy(buf + k, "...", 3); k += 3; }
    buf[k] = '\0';
    return buf;
}

/* ------------------------------------------------------------ hashing */

uint64_t nt_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

const nt_special *nt_special_find(const nt_rules *r, const char *s, size_t n)
{
    if (!r->nspecials || n < r->special_min || n > r->special_max) return NULL;
    unsigned char c0 = (unsigned char)s[0];
    if (!(r->special_first[c0 >> 3] & (1u << (c0 & 7)))) return NULL;
    uint64_t h = nt_hash_bytes(s, n);
    for (size_t i = (size_t)h & r->slot_mask;; i = (i + 1) & r->slot_mask) {
        uint32_t k = r->slots[i];
        if (!k) return NULL;
        const nt_special *sp = &r->specials[k - 1];
        if (sp->hash == h && sp->key_len == n &&
            memcmp(r->keys + sp->key_off, s, n) == 0)
            return sp;
    }
}

/* ------------------------------------------------------------ load state */

typedef struct loader {
    const char *src;
    char *errbuf;
    size_t errlen;
    json_t *defines; /* borrowed; may be NULL */
    pcre2_compile_context *cc;
} loader;

static int is_name_char(char c, int first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Expands {{NAME}} with the defines into out. */
static int expand(loader *L, const char *what, size_t idx, const char *pat,
                  size_t plen, sbuf *out)
{
    size_t i = 0;
    out->n = 0;
    if (out->p) out->p[0] = '\0';
    sb_put(out, "", 0);
    while (i < plen) {
        if (i + 1 < plen && pat[i] == '{' && pat[i + 1] == '{') {
            size_t j = i + 2;
            while (j < plen && is_name_char(pat[j], j == i + 2)) j++;
            if (j > i + 2 && j + 1 < plen && pat[j] == '}' && pat[j + 1] == '}') {
                char name[128];
                size_t nl = j - (i + 2);
                if (nl >= sizeof name)
                    return fail(L->errbuf, L->errlen, NER_EFORMAT,
                                "%s: %s[%zu]: name in {{...}} too long",
                                L->src, what, idx);
                memcpy(name, pat + i + 2, nl);
                name[nl] = '\0';
                json_t *v = L->defines ? json_object_get(L->defines, name) : NULL;
                if (!v)
                    return fail(L->errbuf, L->errlen, NER_EFORMAT,
                                "%s: %s[%zu]: {{%s}} is not in \"defines\"",
                                L->src, what, idx, name);
                sb_put(out, json_string_value(v), json_string_length(v));
                i = j + 2;
                if (out->n > NT_PATTERN_MAX_BYTES) break;
                continue;
            }
        }
        sb_put(out, pat + i, 1);
        i++;
    }
    if (out->oom) return fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory");
    if (out->n > NT_PATTERN_MAX_BYTES)
        return fail(L->errbuf, L->errlen, NER_ETOOBIG,
                    "%s: %s[%zu]: pattern longer than %zu bytes after "
                    "{{NAME}} substitution", L->src, what, idx,
                    (size_t)NT_PATTERN_MAX_BYTES);
    return NER_OK;
}

/* Numbered subroutine calls and whole-pattern recursion change meaning when
 * patterns are joined; refuse them (text check, conservative). */
static int has_numbered_call(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\') {
            if (i + 1 < n && p[i + 1] == 'Q') {
                /* skip \Q...\E */
                size_t j = i + 2;
                while (j + 1 < n && !(p[j] == '\\' && p[j + 1] == 'E')) j++;
                i = j + 1;
                continue;
            }
            /* \g<1> and \g'1': Oniguruma-style numbered subroutine calls */
            if (i + 3 < n && p[i + 1] == 'g' && (p[i + 2] == '<' || p[i + 2] == '\'') &&
                p[i + 3] >= '0' && p[i + 3] <= '9')
                return 1;
            i++;
            continue;
        }
        if (p[i] == '(' && i + 2 < n && p[i + 1] == '?') {
            char c = p[i + 2];
            if (c == 'R' || (c >= '0' && c <= '9')) return 1;
        }
    }
    return 0;
}

static void regex_free(nt_regex *re)
{
    pcre2_code_free(re->code);
    re->code = NULL;
    re->jit = 0;
}

static int compile_error(loader *L, const char *what, long idx, int ec,
                         size_t off, const char *pat, size_t plen)
{
    PCRE2_UCHAR msg[256];
    char ex[96];
    if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "error %d", ec);
    if (idx >= 0)
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: %s[%ld] does not compile: %s at offset %zu of \"%s\"",
                    L->src, what, idx, (const char *)msg, off,
                    excerpt(pat, plen, ex, 72));
    return fail(L->errbuf, L->errlen, NER_EFORMAT,
                "%s: %s: the patterns compile one by one but not together "
                "(a (?x) comment?): %s at offset %zu",
                L->src, what, (const char *)msg, off);
}

/* kind: 0 plain, 1 anchored at start, 2 ends at \z, 3 both */
static int compile_list(loader *L, json_t *root, const char *what, int kind,
                        nt_regex *re)
{
    json_t *arr = json_object_get(root, what);
    re->code = NULL;
    re->jit = 0;
    if (!arr) return NER_OK;
    if (!json_is_array(arr))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"%s\" must be an array of strings", L->src, what);
    size_t n = json_array_size(arr);
    if (n == 0) return NER_OK;

    sbuf one = {0}, all = {0};
    int rc = NER_OK;
    if (kind & 2) sb_puts(&all, "(?:");
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v)) {
            rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                      "%s: %s[%zu] must be a string", L->src, what, i);
            goto out;
        }
        rc = expand(L, what, i, json_string_value(v), json_string_length(v), &one);
        if (rc) goto out;
        if (one.n == 0) {
            rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                      "%s: %s[%zu] is empty", L->src, what, i);
            goto out;
        }
        int ec;
        PCRE2_SIZE off;
        pcre2_code *c = pcre2_compile((PCRE2_SPTR)one.p, one.n, COMPILE_OPTS,
                                      &ec, &off, L->cc);
        if (!c) {
            rc = compile_error(L, what, (long)i, ec, off, one.p, one.n);
            goto out;
        }
        uint32_t backrefs = 0;
        pcre2_pattern_info(c, PCRE2_INFO_BACKREFMAX, &backrefs);
        pcre2_code_free(c);
        if (backrefs || has_numbered_call(one.p, one.n)) {
            char ex[96];
            rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                      "%s: %s[%zu] uses a back-reference or a numbered "
                      "subroutine call, which joined lists do not allow: \"%s\"",
                      L->src, what, i, excerpt(one.p, one.n, ex, 72));
            goto out;
        }
        if (i) sb_puts(&all, "|");
        sb_puts(&all, "(?:");
        sb_put(&all, one.p, one.n);
        sb_puts(&all, "\\E)"); /* \E closes a stray \Q; ignored otherwise */
        if (all.n > NT_RULES_MAX_BYTES) {
            rc = fail(L->errbuf, L->errlen, NER_ETOOBIG,
                      "%s: %s: the patterns add up to more than %zu bytes after "
                      "{{NAME}} substitution", L->src, what,
                      (size_t)NT_RULES_MAX_BYTES);
            goto out;
        }
    }
    if (kind & 2) sb_puts(&all, ")\\z");
    if (all.oom) { rc = fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory"); goto out; }

    int ec;
    PCRE2_SIZE off;
    uint32_t opts = COMPILE_OPTS | ((kind & 1) ? PCRE2_ANCHORED : 0);
    re->code = pcre2_compile((PCRE2_SPTR)all.p, all.n, opts, &ec, &off, L->cc);
    if (!re->code) {
        rc = compile_error(L, what, -1, ec, off, all.p, all.n);
        goto out;
    }
    /* JIT is an optimisation: without it (unsupported CPU, no memory for
     * executable pages) the interpreter gives the same results. */
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0;
out:
    free(one.p);
    free(all.p);
    return rc;
}

/* ------------------------------------------------------------ specials */

typedef struct spec_builder {
    nt_special *v;
    size_t n, cap;
    sbuf keys;
    uint32_t *lens;
    size_t nlens, lcap;
} spec_builder;

static int key_has_space(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int32_t cp = nt_utf8_next(s, n, &i);
        if (nt_is_space(cp)) return 1;
    }
    return 0;
}

static int add_special(loader *L, spec_builder *b, const char *where,
                       const char *key, size_t klen, json_t *pieces)
{
    char ex[96];
    if (klen == 0)
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: %s: empty string", L->src, where);
    if (klen > NT_SPECIAL_MAX_BYTES)
        return fail(L->errbuf, L->errlen, NER_ETOOBIG,
                    "%s: %s: \"%s\" is longer than %d bytes", L->src, where,
                    excerpt(key, klen, ex, 40), NT_SPECIAL_MAX_BYTES);
    if (memchr(key, '\0', klen) || !nt_utf8_valid(key, klen, NULL) ||
        key_has_space(key, klen))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: %s: \"%s\" contains whitespace or NUL, so it can "
                    "never match a chunk", L->src, where,
                    excerpt(key, klen, ex, 40));
    if (b->n >= UINT32_MAX / 2 || b->keys.n + klen >= UINT32_MAX)
        return fail(L->errbuf, L->errlen, NER_ETOOBIG, "%s: too many special cases", L->src);

    size_t np = pieces ? json_array_size(pieces) : 1;
    if (pieces) {
        if (np == 0 || np > NT_SPECIAL_MAX_PIECES)
            return fail(L->errbuf, L->errlen, NER_EFORMAT,
                        "%s: %s \"%s\": needs 1 to %d pieces, has %zu",
                        L->src, where, excerpt(key, klen, ex, 40),
                        NT_SPECIAL_MAX_PIECES, np);
        size_t off = 0;
        for (size_t i = 0; i < np; i++) {
            json_t *p = json_array_get(pieces, i);
            if (!json_is_string(p))
                return fail(L->errbuf, L->errlen, NER_EFORMAT,
                            "%s: %s \"%s\": piece %zu must be a string",
                            L->src, where, excerpt(key, klen, ex, 40), i);
            size_t pl = json_string_length(p);
            if (pl == 0 || pl > klen - off ||
                memcmp(json_string_value(p), key + off, pl) != 0)
                return fail(L->errbuf, L->errlen, NER_EFORMAT,
                            "%s: %s \"%s\": the pieces must be non-empty and "
                            "concatenate to the key (piece %zu)",
                            L->src, where, excerpt(key, klen, ex, 40), i);
            off += pl;
        }
        if (off != klen)
            return fail(L->errbuf, L->errlen, NER_EFORMAT,
                        "%s: %s \"%s\": the pieces must concatenate to the key",
                        L->src, where, excerpt(key, klen, ex, 40));
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        nt_special *v = realloc(b->v, cap * sizeof *v);
        if (!v) return fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory");
        b->v = v;
        b->cap = cap;
    }
    if (b->nlens + np > b->lcap) {
        size_t cap = b->lcap ? b->lcap : 128;
        while (cap < b->nlens + np) cap *= 2;
        uint32_t *l = realloc(b->lens, cap * sizeof *l);
        if (!l) return fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory");
        b->lens = l;
        b->lcap = cap;
    }
    nt_special *sp = &b->v[b->n];
    sp->hash = nt_hash_bytes(key, klen);
    sp->key_off = (uint32_t)b->keys.n;
    sp->key_len = (uint32_t)klen;
    sp->piece_off = (uint32_t)b->nlens;
    sp->npieces = (uint32_t)np;
    if (pieces)
        for (size_t i = 0; i < np; i++)
            b->lens[b->nlens++] = (uint32_t)json_string_length(json_array_get(pieces, i));
    else
        b->lens[b->nlens++] = (uint32_t)klen;
    sb_put(&b->keys, key, klen);
    if (b->keys.oom) return fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory");
    b->n++;
    return NER_OK;
}

static int build_specials(loader *L, json_t *root, nt_rules *r)
{
    spec_builder b = {0};
    int rc = NER_OK;
    json_t *sc = json_object_get(root, "special_cases");
    json_t *ex = json_object_get(root, "exceptions");
    if (sc && !json_is_object(sc))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"special_cases\" must be an object of arrays of "
                    "strings", L->src);
    if (ex && !json_is_array(ex))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"exceptions\" must be an array of strings", L->src);
    if (sc) {
        const char *k;
        size_t klen;
        json_t *v;
        void *tmp;
        json_object_keylen_foreach_safe(sc, tmp, k, klen, v) {
            if (!json_is_array(v)) {
                char e2[96];
                rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                          "%s: special_cases \"%s\" must be an array of strings",
                          L->src, excerpt(k, klen, e2, 40));
                goto out;
            }
            rc = add_special(L, &b, "special_cases", k, klen, v);
            if (rc) goto out;
        }
    }
    if (ex) {
        for (size_t i = 0; i < json_array_size(ex); i++) {
            json_t *v = json_array_get(ex, i);
            char where[48];
            snprintf(where, sizeof where, "exceptions[%zu]", i);
            if (!json_is_string(v)) {
                rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                          "%s: %s must be a string", L->src, where);
                goto out;
            }
            rc = add_special(L, &b, where, json_string_value(v),
                             json_string_length(v), NULL);
            if (rc) goto out;
        }
    }
    if (b.n == 0) goto out;

    size_t nslots = 16;
    while (nslots < b.n * 2) nslots *= 2;
    r->slots = calloc(nslots, sizeof *r->slots);
    if (!r->slots) { rc = fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory"); goto out; }
    r->slot_mask = nslots - 1;
    r->special_min = (size_t)-1;
    for (size_t i = 0; i < b.n; i++) {
        nt_special *sp = &b.v[i];
        const char *key = b.keys.p + sp->key_off;
        size_t j = (size_t)sp->hash & r->slot_mask;
        while (r->slots[j]) {
            nt_special *o = &b.v[r->slots[j] - 1];
            if (o->hash == sp->hash && o->key_len == sp->key_len &&
                memcmp(b.keys.p + o->key_off, key, sp->key_len) == 0) {
                char e2[96];
                rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                          "%s: \"%s\" is listed twice (special_cases and "
                          "exceptions)", L->src, excerpt(key, sp->key_len, e2, 40));
                goto out;
            }
            j = (j + 1) & r->slot_mask;
        }
        r->slots[j] = (uint32_t)(i + 1);
        if (sp->key_len < r->special_min) r->special_min = sp->key_len;
        if (sp->key_len > r->special_max) r->special_max = sp->key_len;
        unsigned char c0 = (unsigned char)key[0];
        r->special_first[c0 >> 3] |= (uint8_t)(1u << (c0 & 7));
    }
    r->specials = b.v;
    r->nspecials = b.n;
    r->keys = b.keys.p;
    r->piece_lens = b.lens;
    return NER_OK;
out:
    free(b.v);
    free(b.keys.p);
    free(b.lens);
    return rc;
}

/* ------------------------------------------------------------ fast path */

static int re_hits(const nt_rules *r, const nt_regex *re, const char *s,
                   size_t n, pcre2_match_data *md, int nonempty)
{
    if (!re->code) return 0;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, md, r->mctx);
    if (rc < 0) return 0;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    return nonempty ? ov[1] > ov[0] : 1;
}

static int check_fast_path(loader *L, nt_rules *r)
{
    static const char *const probes[] = {
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
        "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
        "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
        "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "zyxwvutsrqponmlkjihgfedcba", "ZYXWVUTSRQPONMLKJIHGFEDCBA",
        "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ",
        "0123456789", "9876543210", "1000000", "Hello", "WORLD", "the",
        "www", "http", "https", "com", "am", "pm", "mg", "km", "nt", "ll", "ve",
        "re", "st", "nd", "rd", "th",
    };
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md) return fail(L->errbuf, L->errlen, NER_ENOMEM, "out of memory");
    int rc = NER_OK;
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        const char *s = probes[i];
        size_t n = strlen(s);
        const char *which = NULL;
        if (re_hits(r, &r->prefix, s, n, md, 1)) which = "prefixes";
        else if (re_hits(r, &r->suffix, s, n, md, 1)) which = "suffixes";
        else if (re_hits(r, &r->infix, s, n, md, 0)) which = "infixes";
        else if (re_hits(r, &r->token_match, s, n, md, 0)) which = "token_match";
        else if (re_hits(r, &r->url_match, s, n, md, 0)) which = "url_match";
        if (which) {
            rc = fail(L->errbuf, L->errlen, NER_EFORMAT,
                      "%s: \"ascii_fast_path\" is true but a pattern in "
                      "\"%s\" matches in \"%s\"", L->src, which, s);
            break;
        }
    }
    pcre2_match_data_free(md);
    return rc;
}

/* ------------------------------------------------------------ load */

void nt_rules_free(nt_rules *r)
{
    if (!r) return;
    free(r->json);
    free(r->lang);
    regex_free(&r->prefix);
    regex_free(&r->suffix);
    regex_free(&r->infix);
    regex_free(&r->token_match);
    regex_free(&r->url_match);
    pcre2_match_context_free(r->mctx);
    free(r->specials);
    free(r->slots);
    free(r->keys);
    free(r->piece_lens);
    free(r);
}

static const char *const known_keys[] = {
    "format", "version", "lang", "description", "ascii_fast_path", "defines",
    "prefixes", "suffixes", "infixes", "token_match", "url_match",
    "special_cases", "exceptions",
};

static int check_keys(loader *L, json_t *root)
{
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        int ok = k[0] == '_';
        for (size_t i = 0; !ok && i < sizeof known_keys / sizeof known_keys[0]; i++)
            ok = strcmp(k, known_keys[i]) == 0;
        if (!ok) {
            char ex[96];
            return fail(L->errbuf, L->errlen, NER_EFORMAT,
                        "%s: unknown key \"%s\" (known: format, version, lang, "
                        "description, ascii_fast_path, defines, prefixes, "
                        "suffixes, infixes, token_match, url_match, "
                        "special_cases, exceptions; \"_...\" for comments)",
                        L->src, excerpt(k, strlen(k), ex, 40));
        }
    }
    json_t *f = json_object_get(root, "format");
    if (f && (!json_is_string(f) || strcmp(json_string_value(f), NT_RULES_FORMAT) != 0))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"format\" must be \"" NT_RULES_FORMAT "\"", L->src);
    json_t *ver = json_object_get(root, "version");
    if (!ver)
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"version\" is missing (this libner reads version %d)",
                    L->src, NT_RULES_VERSION);
    if (!json_is_integer(ver) || json_integer_value(ver) != NT_RULES_VERSION)
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"version\" must be the integer %d", L->src,
                    NT_RULES_VERSION);
    json_t *lang = json_object_get(root, "lang");
    if (lang && !json_is_string(lang))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"lang\" must be a string", L->src);
    json_t *d = json_object_get(root, "description");
    if (d && !json_is_string(d))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"description\" must be a string", L->src);
    json_t *fp = json_object_get(root, "ascii_fast_path");
    if (fp && !json_is_boolean(fp))
        return fail(L->errbuf, L->errlen, NER_EFORMAT,
                    "%s: \"ascii_fast_path\" must be true or false", L->src);
    json_t *defs = json_object_get(root, "defines");
    if (defs) {
        if (!json_is_object(defs))
            return fail(L->errbuf, L->errlen, NER_EFORMAT,
                        "%s: \"defines\" must be an object of strings", L->src);
        json_object_foreach(defs, k, v) {
            char ex[96];
            int good = is_name_char(k[0], 1);
            for (size_t i = 1; good && k[i]; i++) good = is_name_char(k[i], 0);
            if (!good || strlen(k) >= 120)
                return fail(L->errbuf, L->errlen, NER_EFORMAT,
                            "%s: defines: \"%s\" is not a name "
                            "([A-Za-z_][A-Za-z0-9_]*, under 120 bytes)",
                            L->src, excerpt(k, strlen(k), ex, 40));
            if (!json_is_string(v))
                return fail(L->errbuf, L->errlen, NER_EFORMAT,
                            "%s: defines: \"%s\" must be a string", L->src, k);
        }
    }
    return NER_OK;
}

int nt_rules_load(nt_rules **out, const char *json, size_t len,
                  const char *source, char *errbuf, size_t errlen)
{
    if (!out) return fail(errbuf, errlen, NER_EINVAL, "nt_rules_load: out is NULL");
    *out = NULL;
    if (!source) source = "rules";
    if (!json && len) return fail(errbuf, errlen, NER_EINVAL, "nt_rules_load: json is NULL");
    if (len > NT_RULES_MAX_BYTES)
        return fail(errbuf, errlen, NER_ETOOBIG, "%s: %zu bytes, over the "
                    "limit of %zu", source, len, (size_t)NT_RULES_MAX_BYTES);

    json_error_t jerr;
    json_t *root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fail(errbuf, errlen, NER_EFORMAT, "%s: line %d, column %d: %s",
                    source, jerr.line, jerr.column, jerr.text);
    int rc = NER_OK;
    loader L = {source, errbuf, errlen, NULL, NULL};
    nt_rules *r = calloc(1, sizeof *r);
    if (!r) { rc = fail(errbuf, errlen, NER_ENOMEM, "out of memory"); goto out; }
    if (!json_is_object(root)) {
        rc = fail(errbuf, errlen, NER_EFORMAT, "%s: the rules must be a JSON object", source);
        goto out;
    }
    rc = check_keys(&L, root);
    if (rc) goto out;
    L.defines = json_object_get(root, "defines");

    r->json = malloc(len + 1);
    json_t *lang = json_object_get(root, "lang");
    r->lang = strdup(lang ? json_string_value(lang) : "");
    L.cc = pcre2_compile_context_create(NULL);
    r->mctx = pcre2_match_context_create(NULL);
    if (!r->json || !r->lang || !L.cc || !r->mctx) {
        rc = fail(errbuf, errlen, NER_ENOMEM, "out of memory");
        goto out;
    }
    if (len) memcpy(r->json, json, len);
    r->json[len] = '\0';
    r->json_len = len;
    pcre2_set_max_pattern_length(L.cc, NT_RULES_MAX_BYTES);
    pcre2_set_match_limit(r->mctx, NT_MATCH_LIMIT);
    pcre2_set_depth_limit(r->mctx, 10000);
    pcre2_set_heap_limit(r->mctx, 16384); /* KiB, interpreter only */

    if ((rc = compile_list(&L, root, "prefixes", 1, &r->prefix)) ||
        (rc = compile_list(&L, root, "suffixes", 2, &r->suffix)) ||
        (rc = compile_list(&L, root, "infixes", 0, &r->infix)) ||
        (rc = compile_list(&L, root, "token_match", 3, &r->token_match)) ||
        (rc = compile_list(&L, root, "url_match", 3, &r->url_match)))
        goto out;
    rc = build_specials(&L, root, r);
    if (rc) goto out;
    r->ascii_fast_path = json_is_true(json_object_get(root, "ascii_fast_path"));
    if (r->ascii_fast_path && (rc = check_fast_path(&L, r))) goto out;
out:
    pcre2_compile_context_free(L.cc);
    json_decref(root);
    if (rc) {
        nt_rules_free(r);
        return rc;
    }
    *out = r;
    return NER_OK;
}

int nt_rules_load_file(nt_rules **out, const char *path, char *errbuf,
                       size_t errlen)
{
    if (!out || !path)
        return fail(errbuf, errlen, NER_EINVAL, "nt_rules_load_file: NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(errbuf, errlen, NER_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = NER_OK;
    for (;;) {
        if (n == cap) {
            if (cap > NT_RULES_MAX_BYTES) {
                rc = fail(errbuf, errlen, NER_ETOOBIG, "%s: over the limit "
                          "of %zu bytes", path, (size_t)NT_RULES_MAX_BYTES);
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            char *p = realloc(buf, cap);
            if (!p) { rc = fail(errbuf, errlen, NER_ENOMEM, "out of memory"); goto out; }
            buf = p;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                rc = fail(errbuf, errlen, NER_EIO, "%s: read error: %s", path,
                          strerror(errno));
                goto out;
            }
            break;
        }
    }
    rc = nt_rules_load(out, buf, n, path, errbuf, errlen);
out:
    fclose(f);
    free(buf);
    return rc;
}

const char *nt_rules_builtin_json(const char *lang, size_t *len)
{
    if (lang && strcmp(lang, "en") == 0) {
        if (len) *len = nt_rules_en_json_len;
        return nt_rules_en_json;
    }
    return NULL;
}

int nt_rules_builtin(nt_rules **out, const char *lang, char *errbuf,
                     size_t errlen)
{
    if (!out) return fail(errbuf, errlen, NER_EINVAL, "nt_rules_builtin: out is NULL");
    *out = NULL;
    size_t len;
    const char *json = nt_rules_builtin_json(lang, &len);
    if (!json)
        return fail(errbuf, errlen, NER_ENOTFOUND,
                    "no built-in tokenizer rules for language \"%s\" (built in: en)",
                    lang ? lang : "(null)");
    char src[64];
    snprintf(src, sizeof src, "built-in %s rules", lang);
    return nt_rules_load(out, json, len, src, errbuf, errlen);
}

const char *nt_rules_json(const nt_rules *r, size_t *len)
{
    if (len) *len = r ? r->json_len : 0;
    return r ? r->json : "";
}

const char *nt_rules_lang(const nt_rules *r)
{
    return r && r->lang ? r->lang : "";
}
