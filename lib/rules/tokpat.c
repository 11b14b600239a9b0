#define PCRE2_CODE_UNIT_WIDTH 8
#include "util/errbuf.h"
#include "rules/tokpat.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "rules/attrs.h"

enum { P_EQ, P_IN, P_NOT_IN, P_REGEX, P_FLAG, P_CMP, P_NUM_IN, P_NUM_NOT_IN };
enum { A_ORTH, A_LOWER, A_SHAPE, A_LENGTH, A_FLAG };
enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE };
enum { OP_ONE, OP_OPT, OP_STAR };

struct nr_pred {
    uint8_t kind, attr, cmp, want;
    uint32_t flag;
    uint32_t id;
    size_t off, n;
    int64_t num;
};

struct nr_rx {
    pcre2_code *re;
    uint32_t minlen;    /* bytes a subject needs at least */
    uint8_t attr;
    uint8_t anchored;   /* bitmap applies to the first byte */
    uint8_t has_bitmap;
    uint8_t jit;
    uint8_t bitmap[32];
};

struct nr_elem {
    size_t pred_off;
    uint32_t npred;
    uint32_t spec;      /* index in tp->specs: same spec, same result */
    uint8_t op, neg;
};

struct nr_spec {
    size_t pred_off;
    uint32_t npred;
};

struct nr_tpat {
    size_t elem_off;
    uint32_t nelem;
    uint32_t value;
    size_t state_off;
};

struct nr_tokscratch {
    size_t *states;      /* nstates: earliest start per state, SIZE_MAX none */
    size_t cap_states;
    size_t *tmp;         /* one pattern's next states */
    size_t cap_tmp;
    uint32_t *active, *active2;
    uint8_t *is_active;
    size_t cap_pats;
    pcre2_match_data *md;
    uint32_t *rx_gen;    /* token + 1 for which rx_val holds the result */
    uint8_t *rx_val;
    size_t cap_rx;
    uint32_t *spec_gen;  /* the same for specs */
    uint8_t *spec_val;
    size_t cap_spec;
};

#define NONE_POS SIZE_MAX

void nr_tokpats_init(nr_tokpats *tp)
{
    memset(tp, 0, sizeof *tp);
}

void nr_tokpats_free(nr_tokpats *tp)
{
    if (!tp) return;
    for (size_t i = 0; i < tp->nrx; i++) pcre2_code_free(tp->rx[i].re);
    free(tp->rx);
    nr_vocab_free(&tp->rx_names);
    free(tp->specs);
    nr_vocab_free(&tp->spec_names);
    free(tp->preds);
    free(tp->elems);
    free(tp->pats);
    free(tp->ids);
    free(tp->nums);
    free(tp->always);
    free(tp->ix_keys);
    free(tp->ix_first);
    free(tp->ix_list);
    free(tp->ix_next);
    pcre2_match_context_free(tp->mctx);
    memset(tp, 0, sizeof *tp);
}

/* Grows *v (element size sz) to hold n + extra items. */
static int reserve(void **v, size_t *cap, size_t n, size_t extra, size_t sz)
{
    if (n + extra <= *cap) return NER_OK;
    size_t c = *cap ? *cap : 16;
    while (c < n + extra) {
        if (c > SIZE_MAX / 2 / sz) return NER_ENOMEM;
        c *= 2;
    }
    void *nv = realloc(*v, c * sz);
    if (!nv) return NER_ENOMEM;
    *v = nv;
    *cap = c;
    return NER_OK;
}

#define RESERVE(arr, cnt, capf, extra) \
    reserve((void **)&(arr), &(capf), (cnt), (extra), sizeof *(arr))

static const struct {
    const char *name;
    uint32_t flag;
} k_flags[] = {
    {"IS_ALPHA", NR_F_ALPHA}, {"IS_DIGIT", NR_F_DIGIT}, {"IS_LOWER", NR_F_LOWER},
    {"IS_UPPER", NR_F_UPPER}, {"IS_TITLE", NR_F_TITLE}, {"IS_PUNCT", NR_F_PUNCT},
    {"IS_SPACE", NR_F_SPACE}, {"IS_ASCII", NR_F_ASCII},
    {"IS_CURRENCY", NR_F_CURRENCY}, {"IS_BRACKET", NR_F_BRACKET},
    {"IS_QUOTE", NR_F_QUOTE}, {"IS_LEFT_PUNCT", NR_F_LEFT_PUNCT},
    {"IS_RIGHT_PUNCT", NR_F_RIGHT_PUNCT}, {"LIKE_NUM", NR_F_LIKE_NUM},
    {"LIKE_EMAIL", NR_F_LIKE_EMAIL}, {"LIKE_URL", NR_F_LIKE_URL},
};

/* spaCy attributes that need annotations libner does not make. */
static const char *const k_unsupported[] = {
    "LEMMA", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE", "ENT_IOB", "ENT_ID",
    "ENT_KB_ID", "NORM", "IS_STOP", "IS_SENT_START", "SENT_START", "IS_OOV",
    "PREFIX", "SUFFIX", "SPACY", "LANG", "_", NULL};

static void upper_key(const char *k, char *out, size_t cap)
{
    size_t i = 0;
    for (; k[i] && i + 1 < cap; i++)
        out[i] = (char)toupper((unsigned char)k[i]);
    out[i] = '\0';
}

/* Interns a JSON string; the id goes to *id. */
static int intern(nr_vocab *v, const json_t *s, uint32_t *id)
{
    return nr_vocab_add(v, json_string_value(s), json_string_length(s), id);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int compile_regex(const char *pat, size_t len, pcre2_code **out,
                         const char *where, char *errbuf, size_t errlen);

/* The index in tp->rx of the regex pat[0..len) over attribute attr,
 * compiling it the first time. */
static int get_regex(nr_tokpats *tp, int attr, const char *pat, size_t len,
                     uint32_t *index, const char *where, char *errbuf, size_t errlen)
{
    if (len > (1u << 24)) {
        nu_errf(errbuf, errlen, "%s: regex too long", where);
        return NER_EFORMAT;
    }
    char *key = malloc(len + 1);
    if (!key) return NER_ENOMEM;
    key[0] = (char)attr;
    memcpy(key + 1, pat, len);
    uint32_t id = nr_vocab_find(&tp->rx_names, key, len + 1);
    if (id != NR_NONE) {
        free(key);
        *index = id;
        return NER_OK;
    }
    int rc = RESERVE(tp->rx, tp->nrx, tp->caprx, 1);
    if (rc != NER_OK) {
        free(key);
        return rc;
    }
    nr_rx *x = &tp->rx[tp->nrx];
    memset(x, 0, sizeof *x);
    x->attr = (uint8_t)attr;
    rc = compile_regex(pat, len, &x->re, where, errbuf, errlen);
    if (rc != NER_OK) {
        free(key);
        return rc;
    }
    uint32_t opts = 0, minlen = 0;
    const uint8_t *bm = NULL;
    size_t jsz = 0;
    pcre2_pattern_info(x->re, PCRE2_INFO_ALLOPTIONS, &opts);
    pcre2_pattern_info(x->re, PCRE2_INFO_MINLENGTH, &minlen);
    pcre2_pattern_info(x->re, PCRE2_INFO_FIRSTBITMAP, &bm);
    pcre2_pattern_info(x->re, PCRE2_INFO_JITSIZE, &jsz);
    x->minlen = minlen;
    x->anchored = (opts & PCRE2_ANCHORED) != 0;
    if (bm) {
        x->has_bitmap = 1;
        memcpy(x->bitmap, bm, 32);
    }
    x->jit = jsz > 0;
    uint32_t vid = 0;
    rc = nr_vocab_add(&tp->rx_names, key, len + 1, &vid);
    free(key);
    if (rc != NER_OK || vid != tp->nrx) {
        pcre2_code_free(x->re);
        return rc != NER_OK ? rc : NER_EINTERNAL;
    }
    *index = (uint32_t)tp->nrx++;
    return NER_OK;
}

static int compile_regex(const char *pat, size_t len, pcre2_code **out,
                         const char *where, char *errbuf, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C,
                                   &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        nu_errf(errbuf, errlen, "%s: regex does not compile at offset %zu: %s",
             where, (size_t)eo, (const char *)msg);
        return ec == PCRE2_ERROR_NOMEMORY ? NER_ENOMEM : NER_EFORMAT;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
    *out = re;
    return NER_OK;
}

static int push_pred(nr_tokpats *tp, const nr_pred *p)
{
    int rc = RESERVE(tp->preds, tp->npreds, tp->cappreds, 1);
    if (rc != NER_OK) return rc;
    tp->preds[tp->npreds++] = *p;
    return NER_OK;
}

/* A string attribute (ORTH/TEXT/LOWER/SHAPE): string or predicate object. */
static int parse_str_attr(nr_tokpats *tp, nr_vocab *v, int attr, const char *name,
                          const json_t *val, const char *where, char *errbuf,
                          size_t errlen)
{
    nr_pred p;
    memset(&p, 0, sizeof p);
    p.attr = (uint8_t)attr;
    int rc;
    uint32_t need = attr == A_ORTH ? NR_NEED_ORTH : attr == A_LOWER ? NR_NEED_LOWER
                                                                    : NR_NEED_SHAPE;
    if (json_is_string(val)) {
        p.kind = P_EQ;
        if ((rc = intern(v, val, &p.id)) != NER_OK) return rc;
        tp->need |= need;
        return push_pred(tp, &p);
    }
    if (!json_is_object(val) || json_object_size(val) == 0) {
        nu_errf(errbuf, errlen, "%s: %s must be a string or an object with IN, "
             "NOT_IN or REGEX", where, name);
        return NER_EFORMAT;
    }
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)val, k, x) {
        char key[32];
        upper_key(k, key, sizeof key);
        memset(&p, 0, sizeof p);
        p.attr = (uint8_t)attr;
        if (strcmp(key, "IN") == 0 || strcmp(key, "NOT_IN") == 0) {
            if (!json_is_array(x)) {
                nu_errf(errbuf, errlen, "%s: %s %s must be a list of strings", where,
                     name, key);
                return NER_EFORMAT;
            }
            size_t n = json_array_size(x);
            if ((rc = RESERVE(tp->ids, tp->nids, tp->capids, n)) != NER_OK) return rc;
            p.kind = key[0] == 'I' ? P_IN : P_NOT_IN;
            p.off = tp->nids;
            for (size_t i = 0; i < n; i++) {
                json_t *s = json_array_get(x, i);
                if (!json_is_string(s)) {
                    nu_errf(errbuf, errlen, "%s: %s %s[%zu] is not a string", where,
                         name, key, i);
                    return NER_EFORMAT;
                }
                if ((rc = intern(v, s, &tp->ids[p.off + i])) != NER_OK) return rc;
            }
            qsort(tp->ids + p.off, n, sizeof *tp->ids, cmp_u32);
            size_t m = 0; /* drop duplicates */
            for (size_t i = 0; i < n; i++)
                if (m == 0 || tp->ids[p.off + i] != tp->ids[p.off + m - 1])
                    tp->ids[p.off + m++] = tp->ids[p.off + i];
            p.n = m;
            tp->nids += m;
            tp->need |= need;
        } else if (strcmp(key, "REGEX") == 0) {
            if (!json_is_string(x)) {
                nu_errf(errbuf, errlen, "%s: %s REGEX must be a string", where, name);
                return NER_EFORMAT;
            }
            char w[128];
            snprintf(w, sizeof w, "%s: %s REGEX", where, name);
            p.kind = P_REGEX;
            rc = get_regex(tp, attr, json_string_value(x), json_string_length(x), &p.id,
                           w, errbuf, errlen);
            if (rc != NER_OK) return rc;
            if ((rc = push_pred(tp, &p)) != NER_OK) return rc;
            tp->need |= attr == A_LOWER ? NR_NEED_LOWER_STR
                        : attr == A_SHAPE ? NR_NEED_SHAPE_STR : 0;
            continue;
        } else {
            nu_errf(errbuf, errlen, "%s: %s: unknown predicate \"%.32s\" (known "
                 "for strings: IN, NOT_IN, REGEX)", where, name, k);
            return NER_EFORMAT;
        }
        if ((rc = push_pred(tp, &p)) != NER_OK) return rc;
    }
    return NER_OK;
}

static int get_int(const json_t *x, int64_t *out)
{
    if (json_is_integer(x)) {
        *out = (int64_t)json_integer_value(x);
        return 1;
    }
    return 0;
}

static int parse_length(nr_tokpats *tp, const json_t *val, const char *where,
                        char *errbuf, size_t errlen)
{
    nr_pred p;
    memset(&p, 0, sizeof p);
    p.attr = A_LENGTH;
    tp->need |= NR_NEED_LENGTH;
    if (get_int(val, &p.num)) {
        p.kind = P_CMP;
        p.cmp = C_EQ;
        return push_pred(tp, &p);
    }
    if (!json_is_object(val) || json_object_size(val) == 0) {
        nu_errf(errbuf, errlen, "%s: LENGTH must be an integer or an object with "
             "==, !=, <, <=, >, >=, IN or NOT_IN", where);
        return NER_EFORMAT;
    }
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    const char *k;
    json_t *x;
    int rc;
    json_object_foreach((json_t *)val, k, x) {
        char key[32];
        upper_key(k, key, sizeof key);
        memset(&p, 0, sizeof p);
        p.attr = A_LENGTH;
        int op = -1;
        for (int i = 0; i < 6; i++)
            if (strcmp(key, ops[i]) == 0) op = i;
        if (op >= 0) {
            if (!get_int(x, &p.num)) {
                nu_errf(errbuf, errlen, "%s: LENGTH %s needs an integer", where, key);
                return NER_EFORMAT;
            }
            p.kind = P_CMP;
            p.cmp = (uint8_t)op;
        } else if (strcmp(key, "IN") == 0 || strcmp(key, "NOT_IN") == 0) {
            if (!json_is_array(x)) {
                nu_errf(errbuf, errlen, "%s: LENGTH %s must be a list of integers",
                     where, key);
                return NER_EFORMAT;
            }
            size_t n = json_array_size(x);
            if ((rc = RESERVE(tp->nums, tp->nnums, tp->capnums, n)) != NER_OK) return rc;
            p.kind = key[0] == 'I' ? P_NUM_IN : P_NUM_NOT_IN;
            p.off = tp->nnums;
            p.n = n;
            for (size_t i = 0; i < n; i++)
                if (!get_int(json_array_get(x, i), &tp->nums[p.off + i])) {
                    nu_errf(errbuf, errlen, "%s: LENGTH %s[%zu] is not an integer",
                         where, key, i);
                    return NER_EFORMAT;
                }
            qsort(tp->nums + p.off, n, sizeof *tp->nums, cmp_i64);
            tp->nnums += n;
        } else {
            nu_errf(errbuf, errlen, "%s: LENGTH: unknown predicate \"%.32s\" (known: "
                 "==, !=, <, <=, >, >=, IN, NOT_IN)", where, k);
            return NER_EFORMAT;
        }
        if ((rc = push_pred(tp, &p)) != NER_OK) return rc;
    }
    return NER_OK;
}

/* Parses "OP": *ones mandatory copies, then *opts optional ones, then a
 * star when *star.  *neg for "!". */
static int parse_op(const json_t *val, const char *where, unsigned *ones,
                    unsigned *opts, int *star, int *neg, char *errbuf, size_t errlen)
{
    *ones = 1;
    *opts = 0;
    *star = 0;
    *neg = 0;
    const char *s = json_is_string(val) ? json_string_value(val) : NULL;
    if (!s) {
        nu_errf(errbuf, errlen, "%s: OP must be a string", where);
        return NER_EFORMAT;
    }
    if (strcmp(s, "!") == 0) { *neg = 1; return NER_OK; }
    if (strcmp(s, "1") == 0) return NER_OK;
    if (strcmp(s, "?") == 0) { *ones = 0; *opts = 1; return NER_OK; }
    if (strcmp(s, "*") == 0) { *ones = 0; *star = 1; return NER_OK; }
    if (strcmp(s, "+") == 0) { *star = 1; return NER_OK; }
    /* {n} {n,m} {n,} {,m} */
    size_t len = strlen(s);
    if (len >= 3 && s[0] == '{' && s[len - 1] == '}') {
        long a = -1, b = -1;
        const char *p = s + 1;
        char *end;
        int comma = 0;
        if (*p >= '0' && *p <= '9') {
            a = strtol(p, &end, 10);
            p = end;
        }
        if (*p == ',') {
            comma = 1;
            p++;
            if (*p >= '0' && *p <= '9') {
                b = strtol(p, &end, 10);
                p = end;
            }
        }
        if (*p == '}' && p == s + len - 1 && (a >= 0 || b >= 0) &&
            a <= NR_OP_MAX_REPEAT && b <= NR_OP_MAX_REPEAT) {
            if (!comma) { *ones = (unsigned)a; return NER_OK; }
            if (a < 0) a = 0;
            if (b < 0) { *ones = (unsigned)a; *star = 1; return NER_OK; }
            if (b >= a) {
                *ones = (unsigned)a;
                *opts = (unsigned)(b - a);
                return NER_OK;
            }
        }
    }
    nu_errf(errbuf, errlen, "%s: unknown operator \"%.32s\" (known: !, ?, *, +, "
         "{n}, {n,m}, {n,}, {,m} with n, m <= %d)", where, s, NR_OP_MAX_REPEAT);
    return NER_EFORMAT;
}

static int push_elem(nr_tokpats *tp, uint32_t spec, int op, int neg)
{
    int rc = RESERVE(tp->elems, tp->nelems, tp->capelems, 1);
    if (rc != NER_OK) return rc;
    nr_elem *e = &tp->elems[tp->nelems++];
    e->pred_off = tp->specs[spec].pred_off;
    e->npred = tp->specs[spec].npred;
    e->spec = spec;
    e->op = (uint8_t)op;
    e->neg = (uint8_t)neg;
    return NER_OK;
}

static int parse_spec(nr_tokpats *tp, nr_vocab *v, const json_t *spec,
                      const char *where, char *errbuf, size_t errlen)
{
    if (!json_is_object(spec)) {
        nu_errf(errbuf, errlen, "%s: a token spec must be an object", where);
        return NER_EFORMAT;
    }
    size_t pred_off = tp->npreds, nids0 = tp->nids, nnums0 = tp->nnums;
    unsigned ones = 1, opts = 0;
    int star = 0, neg = 0, rc;
    const char *k;
    json_t *x;
    json_object_foreach((json_t *)spec, k, x) {
        char key[32];
        upper_key(k, key, sizeof key);
        if (strlen(k) >= sizeof key) key[0] = '\0';
        if (strcmp(key, "OP") == 0) {
            rc = parse_op(x, where, &ones, &opts, &star, &neg, errbuf, errlen);
        } else if (strcmp(key, "ORTH") == 0 || strcmp(key, "TEXT") == 0) {
            rc = parse_str_attr(tp, v, A_ORTH, key, x, where, errbuf, errlen);
        } else if (strcmp(key, "LOWER") == 0) {
            rc = parse_str_attr(tp, v, A_LOWER, key, x, where, errbuf, errlen);
        } else if (strcmp(key, "SHAPE") == 0) {
            rc = parse_str_attr(tp, v, A_SHAPE, key, x, where, errbuf, errlen);
        } else if (strcmp(key, "LENGTH") == 0) {
            rc = parse_length(tp, x, where, errbuf, errlen);
        } else if (strcmp(key, "REGEX") == 0) {
            if (!json_is_string(x)) {
                nu_errf(errbuf, errlen, "%s: REGEX must be a string", where);
                return NER_EFORMAT;
            }
            json_t *o = json_pack("{s:O}", "REGEX", x);
            if (!o) return NER_ENOMEM;
            rc = parse_str_attr(tp, v, A_ORTH, "TEXT", o, where, errbuf, errlen);
            json_decref(o);
        } else {
            size_t f = 0;
            while (f < sizeof k_flags / sizeof k_flags[0] && strcmp(key, k_flags[f].name))
                f++;
            if (f < sizeof k_flags / sizeof k_flags[0]) {
                if (!json_is_boolean(x)) {
                    nu_errf(errbuf, errlen, "%s: %s must be true or false", where, key);
                    return NER_EFORMAT;
                }
                nr_pred p;
                memset(&p, 0, sizeof p);
                p.kind = P_FLAG;
                p.attr = A_FLAG;
                p.flag = k_flags[f].flag;
                p.want = json_is_true(x) ? 1 : 0;
                tp->need |= NR_NEED_FLAGS;
                rc = push_pred(tp, &p);
            } else {
                int known = 0;
                for (size_t u = 0; k_unsupported[u]; u++)
                    if (strcmp(key, k_unsupported[u]) == 0) known = 1;
                if (known)
                    nu_errf(errbuf, errlen, "%s: attribute \"%.32s\" is not supported: "
                         "libner has no lemmas, part-of-speech tags, parses, "
                         "stop lists or custom attributes", where, k);
                else
                    nu_errf(errbuf, errlen, "%s: unknown attribute \"%.40s\" (known: "
                         "ORTH, TEXT, LOWER, SHAPE, LENGTH, REGEX, IS_ALPHA, "
                         "IS_DIGIT, IS_LOWER, IS_UPPER, IS_TITLE, IS_PUNCT, "
                         "IS_SPACE, IS_ASCII, IS_CURRENCY, IS_BRACKET, IS_QUOTE, "
                         "IS_LEFT_PUNCT, IS_RIGHT_PUNCT, LIKE_NUM, LIKE_EMAIL, "
                         "LIKE_URL, OP)", where, k);
                return NER_EFORMAT;
            }
        }
        if (rc != NER_OK) return rc;
    }
    /* the same spec seen before: its predicates are reused */
    json_t *canon = json_copy((json_t *)spec);
    if (!canon) return NER_ENOMEM;
    const char *ck;
    json_t *cv;
    void *tmp;
    json_object_foreach_safe(canon, tmp, ck, cv) {
        char key[32];
        upper_key(ck, key, sizeof key);
        if (strcmp(key, "OP") == 0) json_object_del(canon, ck);
    }
    char *text = json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(canon);
    if (!text) return NER_ENOMEM;
    uint32_t sid = nr_vocab_find(&tp->spec_names, text, strlen(text));
    if (sid != NR_NONE) {
        tp->npreds = pred_off; /* drop the copy just parsed */
        tp->nids = nids0;
        tp->nnums = nnums0;
    } else {
        rc = RESERVE(tp->specs, tp->nspecs, tp->capspecs, 1);
        if (rc == NER_OK) rc = nr_vocab_add(&tp->spec_names, text, strlen(text), &sid);
        if (rc == NER_OK && sid != tp->nspecs) rc = NER_EINTERNAL;
        if (rc != NER_OK) {
            free(text);
            return rc;
        }
        tp->specs[sid].pred_off = pred_off;
        tp->specs[sid].npred = (uint32_t)(tp->npreds - pred_off);
        tp->nspecs++;
    }
    free(text);
    for (unsigned i = 0; i < ones; i++)
        if ((rc = push_elem(tp, sid, OP_ONE, neg)) != NER_OK) return rc;
    for (unsigned i = 0; i < opts; i++)
        if ((rc = push_elem(tp, sid, OP_OPT, 0)) != NER_OK) return rc;
    if (star && (rc = push_elem(tp, sid, OP_STAR, 0)) != NER_OK) return rc;
    return NER_OK;
}

int nr_tokpats_add(nr_tokpats *tp, nr_vocab *v, const json_t *pattern,
                   uint32_t value, char *errbuf, size_t errlen)
{
    if (!json_is_array(pattern) || json_array_size(pattern) == 0) {
        nu_errf(errbuf, errlen, "a token pattern must be a non-empty list of token specs");
        return NER_EFORMAT;
    }
    size_t ne0 = tp->nelems;
    int rc = RESERVE(tp->pats, tp->npats, tp->cappats, 1);
    for (size_t i = 0; rc == NER_OK && i < json_array_size(pattern); i++) {
        char where[48];
        snprintf(where, sizeof where, "pattern[%zu]", i);
        rc = parse_spec(tp, v, json_array_get(pattern, i), where, errbuf, errlen);
    }
    if (rc == NER_OK && tp->nelems == ne0) {
        nu_errf(errbuf, errlen, "the token pattern matches no token at all");
        rc = NER_EFORMAT;
    }
    if (rc == NER_OK && tp->nelems - ne0 > UINT32_MAX / 2) rc = NER_ETOOBIG;
    if (rc != NER_OK) {
        /* the specs (and regexes) parsed in full stay, unused by any
         * pattern; at worst the predicates of the bad spec remain too */
        tp->nelems = ne0;
        if (rc == NER_ENOMEM) nu_errf(errbuf, errlen, "out of memory");
        if (rc == NER_ETOOBIG) nu_errf(errbuf, errlen, "the token pattern is too long");
        return rc;
    }
    nr_tpat *p = &tp->pats[tp->npats++];
    p->elem_off = ne0;
    p->nelem = (uint32_t)(tp->nelems - ne0);
    p->value = value;
    p->state_off = tp->nstates;
    tp->nstates += p->nelem + 1;
    tp->indexed = 0;
    return NER_OK;
}

/* ------------------------------------------------------------ start index */

static size_t ix_slot(const nr_tokpats *tp, uint64_t key)
{
    size_t i = (size_t)nr_hash_u64(key) & tp->ix_mask;
    while (tp->ix_keys[i] && tp->ix_keys[i] != key) i = (i + 1) & tp->ix_mask;
    return i;
}

int nr_tokpats_finish(nr_tokpats *tp)
{
    free(tp->always);
    free(tp->ix_keys);
    free(tp->ix_first);
    free(tp->ix_list);
    free(tp->ix_next);
    tp->always = NULL;
    tp->ix_keys = NULL;
    tp->ix_first = tp->ix_list = tp->ix_next = NULL;
    tp->nalways = tp->ix_n = 0;
    if (!tp->mctx) {
        tp->mctx = pcre2_match_context_create(NULL);
        if (!tp->mctx) return NER_ENOMEM;
        pcre2_set_match_limit(tp->mctx, NR_MATCH_LIMIT);
    }
    /* count keyed entries */
    size_t nkeys = 0;
    for (size_t p = 0; p < tp->npats; p++) {
        const nr_elem *e = &tp->elems[tp->pats[p].elem_off];
        if (e->op != OP_ONE || e->neg) continue;
        for (uint32_t k = 0; k < e->npred; k++) {
            const nr_pred *pr = &tp->preds[e->pred_off + k];
            if ((pr->attr == A_ORTH || pr->attr == A_LOWER) &&
                (pr->kind == P_EQ || pr->kind == P_IN)) {
                nkeys += pr->kind == P_EQ ? 1 : pr->n;
                break;
            }
        }
    }
    size_t cap = 16;
    while (cap < nkeys * 2 + 2) cap *= 2;
    tp->ix_keys = calloc(cap, sizeof *tp->ix_keys);
    tp->ix_first = malloc(cap * sizeof *tp->ix_first);
    tp->ix_list = malloc((nkeys + 1) * sizeof *tp->ix_list);
    tp->ix_next = malloc((nkeys + 1) * sizeof *tp->ix_next);
    tp->always = malloc((tp->npats + 1) * sizeof *tp->always);
    if (!tp->ix_keys || !tp->ix_first || !tp->ix_list || !tp->ix_next || !tp->always)
        return NER_ENOMEM;
    tp->ix_mask = cap - 1;
    for (size_t p = 0; p < tp->npats; p++) {
        const nr_elem *e = &tp->elems[tp->pats[p].elem_off];
        const nr_pred *key = NULL;
        if (e->op == OP_ONE && !e->neg)
            for (uint32_t k = 0; k < e->npred && !key; k++) {
                const nr_pred *pr = &tp->preds[e->pred_off + k];
                if ((pr->attr == A_ORTH || pr->attr == A_LOWER) &&
                    (pr->kind == P_EQ || pr->kind == P_IN))
                    key = pr;
            }
        if (!key) {
            tp->always[tp->nalways++] = (uint32_t)p;
            continue;
        }
        size_t n = key->kind == P_EQ ? 1 : key->n;
        for (size_t j = 0; j < n; j++) {
            uint32_t id = key->kind == P_EQ ? key->id : tp->ids[key->off + j];
            uint64_t k = (((uint64_t)key->attr << 32) | id) + 1;
            size_t s = ix_slot(tp, k);
            size_t ent = tp->ix_n++;
            tp->ix_list[ent] = (uint32_t)p;
            /* keep each chain in pattern order: push at the tail */
            tp->ix_next[ent] = NR_NONE;
            if (!tp->ix_keys[s]) {
                tp->ix_keys[s] = k;
                tp->ix_first[s] = (uint32_t)ent;
            } else {
                uint32_t t = tp->ix_first[s];
                while (tp->ix_next[t] != NR_NONE) t = tp->ix_next[t];
                tp->ix_next[t] = (uint32_t)ent;
            }
        }
    }
    tp->indexed = 1;
    return NER_OK;
}

/* ------------------------------------------------------------ matching */

nr_tokscratch *nr_tokscratch_new(void)
{
    nr_tokscratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->md = pcre2_match_data_create(1, NULL);
    if (!s->md) {
        free(s);
        return NULL;
    }
    return s;
}

void nr_tokscratch_free(nr_tokscratch *s)
{
    if (!s) return;
    free(s->states);
    free(s->tmp);
    free(s->active);
    free(s->active2);
    free(s->is_active);
    pcre2_match_data_free(s->md);
    free(s->rx_gen);
    free(s->rx_val);
    free(s->spec_gen);
    free(s->spec_val);
    free(s);
}

static int has_id(const uint32_t *v, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < id) lo = mid + 1;
        else if (v[mid] > id) hi = mid;
        else return 1;
    }
    return 0;
}

static int has_num(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else if (v[mid] > x) hi = mid;
        else return 1;
    }
    return 0;
}

static uint32_t id_of(const nr_tokview *tv, int attr, size_t i)
{
    const uint32_t *a = attr == A_ORTH ? tv->orth : attr == A_LOWER ? tv->lower : tv->shape;
    return a ? a[i] : NR_NONE;
}

static int rx_ok(const nr_tokpats *tp, uint32_t r, const nr_tokview *tv, size_t i,
                 nr_tokscratch *s)
{
    if (s->rx_gen[r] == (uint32_t)(i + 1)) return s->rx_val[r];
    const nr_rx *x = &tp->rx[r];
    const char *str;
    size_t len;
    if (x->attr == A_LOWER) {
        str = tv->lower_str + tv->lower_off[i];
        len = tv->lower_off[i + 1] - tv->lower_off[i];
    } else if (x->attr == A_SHAPE) {
        str = tv->shape_str + tv->shape_off[i];
        len = tv->shape_off[i + 1] - tv->shape_off[i];
    } else {
        str = tv->text + tv->start[i];
        len = tv->end[i] - tv->start[i];
    }
    int ok;
    if (len < x->minlen) {
        ok = 0;
    } else if (x->anchored && x->has_bitmap && len &&
               !(x->bitmap[(unsigned char)str[0] >> 3] & (1u << ((unsigned char)str[0] & 7)))) {
        ok = 0;
    } else {
        pcre2_match_context *mc = (pcre2_match_context *)tp->mctx;
        int r2 = x->jit ? pcre2_jit_match(x->re, (PCRE2_SPTR)str, len, 0, 0, s->md, mc)
                        : pcre2_match(x->re, (PCRE2_SPTR)str, len, 0, PCRE2_NO_UTF_CHECK,
                                      s->md, mc);
        ok = r2 >= 0;
    }
    s->rx_gen[r] = (uint32_t)(i + 1);
    s->rx_val[r] = (uint8_t)ok;
    return ok;
}

static int pred_ok(const nr_tokpats *tp, const nr_pred *p, const nr_tokview *tv,
                   size_t i, nr_tokscratch *s)
{
    switch (p->kind) {
    case P_EQ:
        return id_of(tv, p->attr, i) == p->id;
    case P_IN:
        return has_id(tp->ids + p->off, p->n, id_of(tv, p->attr, i));
    case P_NOT_IN:
        return !has_id(tp->ids + p->off, p->n, id_of(tv, p->attr, i));
    case P_FLAG:
        return ((tv->flags[i] & p->flag) != 0) == (p->want != 0);
    case P_CMP: {
        int64_t l = (int64_t)tv->length[i];
        switch (p->cmp) {
        case C_EQ: return l == p->num;
        case C_NE: return l != p->num;
        case C_LT: return l < p->num;
        case C_LE: return l <= p->num;
        case C_GT: return l > p->num;
        default: return l >= p->num;
        }
    }
    case P_NUM_IN:
        return has_num(tp->nums + p->off, p->n, (int64_t)tv->length[i]);
    case P_NUM_NOT_IN:
        return !has_num(tp->nums + p->off, p->n, (int64_t)tv->length[i]);
    case P_REGEX:
        return rx_ok(tp, p->id, tv, i, s);
    default:
        return 0;
    }
}

static int elem_ok(const nr_tokpats *tp, const nr_elem *e, const nr_tokview *tv,
                   size_t i, nr_tokscratch *s)
{
    int ok;
    if (s->spec_gen[e->spec] == (uint32_t)(i + 1)) {
        ok = s->spec_val[e->spec];
    } else {
        ok = 1;
        for (uint32_t k = 0; k < e->npred && ok; k++)
            ok = pred_ok(tp, &tp->preds[e->pred_off + k], tv, i, s);
        s->spec_gen[e->spec] = (uint32_t)(i + 1);
        s->spec_val[e->spec] = (uint8_t)ok;
    }
    return e->neg ? !ok : ok;
}

static inline void upd(size_t *slot, size_t start)
{
    if (start < *slot) *slot = start;
}

static void closure(const nr_elem *e, size_t m, size_t *st)
{
    for (size_t k = 0; k < m; k++)
        if (st[k] != NONE_POS && e[k].op != OP_ONE) upd(&st[k + 1], st[k]);
}

static int scratch_fit(const nr_tokpats *tp, nr_tokscratch *s)
{
    if (s->cap_states < tp->nstates) {
        size_t *ns = realloc(s->states, tp->nstates * sizeof *ns);
        if (!ns) return NER_ENOMEM;
        s->states = ns;
        s->cap_states = tp->nstates;
    }
    size_t maxst = 1;
    for (size_t p = 0; p < tp->npats; p++)
        if (tp->pats[p].nelem + 1u > maxst) maxst = tp->pats[p].nelem + 1u;
    if (s->cap_tmp < maxst) {
        size_t *nt = realloc(s->tmp, maxst * sizeof *nt);
        if (!nt) return NER_ENOMEM;
        s->tmp = nt;
        s->cap_tmp = maxst;
    }
    if (s->cap_pats < tp->npats) {
        uint32_t *a = realloc(s->active, tp->npats * sizeof *a);
        if (a) s->active = a;
        uint32_t *b = realloc(s->active2, tp->npats * sizeof *b);
        if (b) s->active2 = b;
        uint8_t *c = realloc(s->is_active, tp->npats);
        if (c) s->is_active = c;
        if (!a || !b || !c) return NER_ENOMEM;
        s->cap_pats = tp->npats;
    }
    if (s->cap_rx < tp->nrx) {
        uint32_t *g = realloc(s->rx_gen, tp->nrx * sizeof *g);
        if (g) s->rx_gen = g;
        uint8_t *v = realloc(s->rx_val, tp->nrx);
        if (v) s->rx_val = v;
        if (!g || !v) return NER_ENOMEM;
        s->cap_rx = tp->nrx;
    }
    if (tp->nrx) memset(s->rx_gen, 0, tp->nrx * sizeof *s->rx_gen);
    if (s->cap_spec < tp->nspecs) {
        uint32_t *g = realloc(s->spec_gen, tp->nspecs * sizeof *g);
        if (g) s->spec_gen = g;
        uint8_t *v = realloc(s->spec_val, tp->nspecs);
        if (v) s->spec_val = v;
        if (!g || !v) return NER_ENOMEM;
        s->cap_spec = tp->nspecs;
    }
    if (tp->nspecs) memset(s->spec_gen, 0, tp->nspecs * sizeof *s->spec_gen);
    for (size_t i = 0; i < tp->nstates; i++) s->states[i] = NONE_POS;
    if (tp->npats) memset(s->is_active, 0, tp->npats);
    return NER_OK;
}

int nr_tokpats_match(const nr_tokpats *tp, const nr_tokview *tv,
                     nr_tokscratch *s, nr_tok_cb cb, void *user)
{
    if (!tp->npats || !tv->n) return 0;
    if (!tp->indexed || !s) return NER_EINVAL;
    int rc = scratch_fit(tp, s);
    if (rc != NER_OK) return rc;
    size_t nact = 0;
    for (size_t i = 0; i < tv->n; i++) {
        /* new threads at state 0 */
        for (int pass = 0; pass < 3; pass++) {
            const uint32_t *list = NULL;
            size_t nlist = 0;
            uint32_t chain = NR_NONE;
            if (pass == 0) {
                list = tp->always;
                nlist = tp->nalways;
            } else if (tp->ix_n) {
                int attr = pass == 1 ? A_ORTH : A_LOWER;
                uint32_t id = id_of(tv, attr, i);
                if (id == NR_NONE) continue;
                uint64_t key = (((uint64_t)attr << 32) | id) + 1;
                size_t sl = ix_slot(tp, key);
                if (!tp->ix_keys[sl]) continue;
                chain = tp->ix_first[sl];
            } else {
                continue;
            }
            for (size_t k = 0;; k++) {
                uint32_t p;
                if (list) {
                    if (k >= nlist) break;
                    p = list[k];
                } else {
                    if (chain == NR_NONE) break;
                    p = tp->ix_list[chain];
                    chain = tp->ix_next[chain];
                }
                const nr_tpat *pt = &tp->pats[p];
                size_t *st = s->states + pt->state_off;
                if (st[0] <= i) continue; /* an earlier thread is there */
                const nr_elem *e0 = &tp->elems[pt->elem_off];
                /* a thread that the first token already kills is not started */
                if (e0->op == OP_ONE && !elem_ok(tp, e0, tv, i, s)) continue;
                st[0] = i;
                closure(tp->elems + pt->elem_off, pt->nelem, st);
                st[pt->nelem] = NONE_POS;
                if (!s->is_active[p]) {
                    s->is_active[p] = 1;
                    s->active[nact++] = p;
                }
            }
        }
        /* advance every live pattern over token i */
        size_t nnext = 0;
        for (size_t a = 0; a < nact; a++) {
            uint32_t p = s->active[a];
            const nr_tpat *pt = &tp->pats[p];
            const nr_elem *e = tp->elems + pt->elem_off;
            size_t m = pt->nelem;
            size_t *st = s->states + pt->state_off;
            size_t *nx = s->tmp;
            for (size_t k = 0; k <= m; k++) nx[k] = NONE_POS;
            for (size_t k = 0; k < m; k++) {
                if (st[k] == NONE_POS) continue;
                if (!elem_ok(tp, &e[k], tv, i, s)) continue;
                upd(&nx[e[k].op == OP_STAR ? k : k + 1], st[k]);
            }
            closure(e, m, nx);
            if (nx[m] != NONE_POS) {
                int r = cb(user, nx[m], i + 1, pt->value);
                if (r) return r;
                nx[m] = NONE_POS;
            }
            int live = 0;
            for (size_t k = 0; k <= m; k++) {
                st[k] = nx[k];
                if (nx[k] != NONE_POS) live = 1;
            }
            if (live) s->active2[nnext++] = p;
            else s->is_active[p] = 0;
        }
        uint32_t *t = s->active;
        s->active = s->active2;
        s->active2 = t;
        nact = nnext;
    }
    return 0;
}

size_t nr_tokpats_bytes(const nr_tokpats *tp)
{
    return tp->caprx * sizeof *tp->rx + nr_vocab_bytes(&tp->rx_names) +
           tp->capspecs * sizeof *tp->specs + nr_vocab_bytes(&tp->spec_names) +
           tp->cappreds * sizeof *tp->preds + tp->capelems * sizeof *tp->elems +
           tp->cappats * sizeof *tp->pats + tp->capids * sizeof *tp->ids +
           tp->capnums * sizeof *tp->nums;
}
