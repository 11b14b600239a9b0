#define PCRE2_CODE_UNIT_WIDTH 8
#include "util/errbuf.h"
#include "rules/ruleset.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "rules/attrs.h"
#include "rules/phrase.h"
#include "rules/tokpat.h"
#include "rules/vocab.h"
#include "text/utf8.h"

typedef struct pat_info {
    uint32_t label;   /* id in rs->labels */
    uint32_t ent_id;  /* id in rs->ids, NR_NONE */
    uint32_t kind;
} pat_info;

typedef struct regex_pat {
    pcre2_code *re;
    uint32_t value;
} regex_pat;

struct nr_ruleset {
    int phrase_attr;
    nr_vocab vocab;          /* token strings of phrases and token specs */
    nr_vocab labels;
    nr_vocab ids;
    const char **label_ptrs; /* built by finish */
    pat_info *pats;
    size_t npats, cappats;
    nr_phrases phrases;
    nr_tokpats tokpats;
    regex_pat *regexes;
    size_t nregex, capregex;
    pcre2_match_context *mctx;
    int finished;
    uint32_t need;           /* NR_NEED_* of everything */
    /* loading scratch */
    nt_tokbuf tb;
    uint32_t *tmp_ids;
    size_t cap_tmp_ids;
    char *tmp_str;
    size_t cap_tmp_str;
    char *line_buf;
    size_t cap_line_buf;
};

struct nr_scratch {
    uint32_t *orth, *lower, *shape, *flags, *length;
    size_t cap_tok;
    size_t *lower_off, *shape_off;
    char *lower_str, *shape_str;
    size_t cap_lower_str, cap_shape_str;
    char *tmp;
    size_t cap_tmp;
    nr_match *m;
    size_t nm, cap_m;
    struct prio *order;
    size_t cap_order;
    uint32_t *sel;
    size_t cap_sel;
    uint8_t *taken;
    size_t cap_taken;
    nr_tokscratch *ts;
    pcre2_match_data *md;
    int oom;
};

static int grow(void **v, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return NER_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sz) return NER_ENOMEM;
        c *= 2;
    }
    void *nv = realloc(*v, c * sz);
    if (!nv) return NER_ENOMEM;
    *v = nv;
    *cap = c;
    return NER_OK;
}
#define GROW(arr, capf, need) grow((void **)&(arr), &(capf), (need), sizeof *(arr))

int nr_ruleset_new(nr_ruleset **out, int phrase_attr)
{
    if (!out) return NER_EINVAL;
    *out = NULL;
    if (phrase_attr != NR_ATTR_ORTH && phrase_attr != NR_ATTR_LOWER &&
        phrase_attr != NR_ATTR_SHAPE)
        return NER_EINVAL;
    nr_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) return NER_ENOMEM;
    rs->phrase_attr = phrase_attr;
    nr_vocab_init(&rs->vocab);
    nr_vocab_init(&rs->labels);
    nr_vocab_init(&rs->ids);
    nr_phrases_init(&rs->phrases);
    nr_tokpats_init(&rs->tokpats);
    nt_tokbuf_init(&rs->tb);
    rs->mctx = pcre2_match_context_create(NULL);
    if (!rs->mctx) {
        free(rs);
        return NER_ENOMEM;
    }
    pcre2_set_match_limit(rs->mctx, NR_MATCH_LIMIT);
    *out = rs;
    return NER_OK;
}

static void free_loading(nr_ruleset *rs)
{
    nt_tokbuf_free(&rs->tb);
    free(rs->tmp_ids);
    free(rs->tmp_str);
    free(rs->line_buf);
    rs->tmp_ids = NULL;
    rs->tmp_str = NULL;
    rs->line_buf = NULL;
    rs->cap_tmp_ids = rs->cap_tmp_str = rs->cap_line_buf = 0;
}

void nr_ruleset_free(nr_ruleset *rs)
{
    if (!rs) return;
    nr_vocab_free(&rs->vocab);
    nr_vocab_free(&rs->labels);
    nr_vocab_free(&rs->ids);
    free(rs->label_ptrs);
    free(rs->pats);
    nr_phrases_free(&rs->phrases);
    nr_tokpats_free(&rs->tokpats);
    for (size_t i = 0; i < rs->nregex; i++) pcre2_code_free(rs->regexes[i].re);
    free(rs->regexes);
    pcre2_match_context_free(rs->mctx);
    free_loading(rs);
    free(rs);
}

/* ------------------------------------------------------------ adding */

static uint32_t phrase_need(int attr)
{
    return attr == NR_ATTR_ORTH ? NR_NEED_ORTH
         : attr == NR_ATTR_LOWER ? NR_NEED_LOWER : NR_NEED_SHAPE;
}

/* Appends the ids of the tokens of one whitespace-free chunk. */
static int phrase_chunk(nr_ruleset *rs, const nt_rules *tok, const char *s,
                        size_t len, size_t *nids, char *errbuf, size_t errlen)
{
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nt_tokenize(tok, s, len, &rs->tb, err, sizeof err);
    if (rc != NER_OK) {
        nu_errf(errbuf, errlen, "the phrase cannot be tokenized: %s", err);
        return rc;
    }
    if ((rc = GROW(rs->tmp_ids, rs->cap_tmp_ids, *nids + rs->tb.n)) != NER_OK)
        return rc;
    for (size_t i = 0; i < rs->tb.n; i++) {
        const char *t = s + rs->tb.starts[i];
        size_t tl = rs->tb.ends[i] - rs->tb.starts[i];
        if (rs->phrase_attr != NR_ATTR_ORTH) {
            if ((rc = GROW(rs->tmp_str, rs->cap_tmp_str, NR_LOWER_ROOM(tl))) != NER_OK)
                return rc;
            tl = rs->phrase_attr == NR_ATTR_LOWER ? nr_lower(t, tl, rs->tmp_str)
                                                  : nr_shape(t, tl, rs->tmp_str);
            t = rs->tmp_str;
        }
        if ((rc = nr_vocab_add(&rs->vocab, t, tl, &rs->tmp_ids[(*nids)++])) != NER_OK)
            return rc;
    }
    return NER_OK;
}

static int add_phrase(nr_ruleset *rs, const nt_rules *tok, const char *s, size_t len,
                      uint32_t value, char *errbuf, size_t errlen)
{
    if (!tok) {
        nu_errf(errbuf, errlen, "phrase patterns need a tokenizer");
        return NER_EINVAL;
    }
    size_t nids = 0;
    for (size_t i = 0; i < len;) {
        size_t a = i;
        if (nt_is_space(nt_utf8_next(s, len, &i))) continue;
        size_t b = i;
        while (b < len) {
            size_t nb = b;
            if (nt_is_space(nt_utf8_next(s, len, &nb))) break;
            b = nb;
        }
        int rc = phrase_chunk(rs, tok, s + a, b - a, &nids, errbuf, errlen);
        if (rc != NER_OK) return rc;
        i = b;
    }
    if (nids == 0) {
        nu_errf(errbuf, errlen, "empty pattern: the phrase has no tokens");
        return NER_EFORMAT;
    }
    if (nids > UINT32_MAX / 2) {
        nu_errf(errbuf, errlen, "the phrase is too long");
        return NER_ETOOBIG;
    }
    int rc = nr_phrases_add(&rs->phrases, rs->tmp_ids, nids, value);
    if (rc == NER_OK) rs->need |= phrase_need(rs->phrase_attr);
    return rc;
}

static int add_regex(nr_ruleset *rs, const char *s, size_t len, uint32_t value,
                     char *errbuf, size_t errlen)
{
    if (len == 0) {
        nu_errf(errbuf, errlen, "empty pattern: \"regex\" is empty");
        return NER_EFORMAT;
    }
    int rc = GROW(rs->regexes, rs->capregex, rs->nregex + 1);
    if (rc != NER_OK) return rc;
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, len,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C,
                                   &ec, &eo, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ec, msg, sizeof msg);
        nu_errf(errbuf, errlen, "\"regex\" does not compile at offset %zu: %s",
             (size_t)eo, (const char *)msg);
        return ec == PCRE2_ERROR_NOMEMORY ? NER_ENOMEM : NER_EFORMAT;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    rs->regexes[rs->nregex].re = re;
    rs->regexes[rs->nregex].value = value;
    rs->nregex++;
    return NER_OK;
}

/* One pattern, its JSON parsed. */
typedef struct parsed {
    const char *label, *id, *str;
    size_t llen, idlen, slen;
    int has_id, kind;
    const json_t *tokens;   /* NR_KIND_TOKENS */
} parsed;

static int add_parsed(nr_ruleset *rs, const parsed *pp, const nt_rules *tok,
                      char *errbuf, size_t errlen)
{
    if (pp->llen == 0) {
        nu_errf(errbuf, errlen, "\"label\" must be a non-empty string");
        return NER_EFORMAT;
    }
    if (memchr(pp->label, '\0', pp->llen)) {
        nu_errf(errbuf, errlen, "\"label\" must not hold a NUL character");
        return NER_EFORMAT;
    }
    if (pp->has_id && memchr(pp->id, '\0', pp->idlen)) {
        nu_errf(errbuf, errlen, "\"id\" must not hold a NUL character");
        return NER_EFORMAT;
    }
    if (rs->npats >= UINT32_MAX - 2) {
        nu_errf(errbuf, errlen, "too many patterns");
        return NER_ETOOBIG;
    }
    int rc = GROW(rs->pats, rs->cappats, rs->npats + 1);
    if (rc != NER_OK) goto oom;
    pat_info pi;
    pi.ent_id = NR_NONE;
    pi.kind = (uint32_t)pp->kind;
    rc = nr_vocab_add(&rs->labels, pp->label, pp->llen, &pi.label);
    if (rc == NER_OK && pp->has_id) rc = nr_vocab_add(&rs->ids, pp->id, pp->idlen, &pi.ent_id);
    if (rc != NER_OK) goto oom;
    uint32_t value = (uint32_t)rs->npats;
    if (pp->kind == NR_KIND_REGEX)
        rc = add_regex(rs, pp->str, pp->slen, value, errbuf, errlen);
    else if (pp->kind == NR_KIND_PHRASE)
        rc = add_phrase(rs, tok, pp->str, pp->slen, value, errbuf, errlen);
    else
        rc = nr_tokpats_add(&rs->tokpats, &rs->vocab, pp->tokens, value, errbuf, errlen);
    if (rc == NER_ENOMEM) goto oom;
    if (rc != NER_OK) return rc;
    rs->pats[rs->npats++] = pi;
    return NER_OK;
oom:
    nu_errf(errbuf, errlen, "out of memory");
    return NER_ENOMEM;
}

int nr_ruleset_add(nr_ruleset *rs, const json_t *obj, const nt_rules *tok,
                   char *errbuf, size_t errlen)
{
    if (!rs || !obj) return NER_EINVAL;
    if (rs->finished) {
        nu_errf(errbuf, errlen, "patterns cannot be added once the set is built");
        return NER_EINVAL;
    }
    if (!json_is_object(obj)) {
        nu_errf(errbuf, errlen, "a pattern must be a JSON object with \"label\" and "
             "\"pattern\" (or \"regex\")");
        return NER_EFORMAT;
    }
    const json_t *label = NULL, *pattern = NULL, *regex = NULL, *id = NULL;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcmp(k, "label") == 0) label = v;
        else if (strcmp(k, "pattern") == 0) pattern = v;
        else if (strcmp(k, "regex") == 0) regex = v;
        else if (strcmp(k, "id") == 0) id = v;
        else if (k[0] != '_') {
            nu_errf(errbuf, errlen, "unknown key \"%.40s\" (known: label, pattern, "
                 "regex, id; keys starting with _ are ignored)", k);
            return NER_EFORMAT;
        }
    }
    if (!label || !json_is_string(label)) {
        nu_errf(errbuf, errlen, "\"label\" must be a non-empty string");
        return NER_EFORMAT;
    }
    if (id && !json_is_string(id)) {
        nu_errf(errbuf, errlen, "\"id\" must be a string");
        return NER_EFORMAT;
    }
    if ((pattern != NULL) == (regex != NULL)) {
        nu_errf(errbuf, errlen, "a pattern needs exactly one of \"pattern\" (a "
             "phrase or a list of token specs) and \"regex\"");
        return NER_EFORMAT;
    }
    if (pattern && !json_is_string(pattern) && !json_is_array(pattern)) {
        nu_errf(errbuf, errlen, "\"pattern\" must be a string (a phrase) or a list "
             "of token specs");
        return NER_EFORMAT;
    }
    if (regex && !json_is_string(regex)) {
        nu_errf(errbuf, errlen, "\"regex\" must be a string");
        return NER_EFORMAT;
    }
    if (pattern && json_is_array(pattern) && json_array_size(pattern) == 0) {
        nu_errf(errbuf, errlen, "empty pattern: the list of token specs is empty");
        return NER_EFORMAT;
    }
    parsed pp;
    memset(&pp, 0, sizeof pp);
    pp.label = json_string_value(label);
    pp.llen = json_string_length(label);
    if (id) {
        pp.has_id = 1;
        pp.id = json_string_value(id);
        pp.idlen = json_string_length(id);
    }
    if (regex) {
        pp.kind = NR_KIND_REGEX;
        pp.str = json_string_value(regex);
        pp.slen = json_string_length(regex);
    } else if (json_is_string(pattern)) {
        pp.kind = NR_KIND_PHRASE;
        pp.str = json_string_value(pattern);
        pp.slen = json_string_length(pattern);
    } else {
        pp.kind = NR_KIND_TOKENS;
        pp.tokens = pattern;
    }
    return add_parsed(rs, &pp, tok, errbuf, errlen);
}

/* The common line {"label": "X", "pattern": "a phrase", "id": "y"} (or
 * "regex"), read without building a JSON tree: plain strings with the
 * simple escapes, keys label/pattern/regex/id once each.  Returns 0 for
 * anything else (the caller then parses the line with jansson, which also
 * gives the error messages).  Strings are decoded into buf (room: n). */
static int fast_parse(const char *s, size_t n, char *buf, parsed *out)
{
    size_t i = 0, o = 0;
    const char *vals[4] = {NULL, NULL, NULL, NULL};
    size_t lens[4] = {0, 0, 0, 0};
#define WS() while (i < n && (s[i] == ' ' || s[i] == '\t')) i++
    WS();
    if (i >= n || s[i++] != '{') return 0;
    for (;;) {
        WS();
        if (i >= n || s[i++] != '"') return 0;
        size_t ks = i;
        while (i < n && s[i] != '"' && s[i] != '\\') i++;
        if (i >= n || s[i] != '"') return 0;
        size_t kl = i++ - ks;
        int slot = kl == 5 && memcmp(s + ks, "label", 5) == 0 ? 0
                 : kl == 7 && memcmp(s + ks, "pattern", 7) == 0 ? 1
                 : kl == 5 && memcmp(s + ks, "regex", 5) == 0 ? 2
                 : kl == 2 && memcmp(s + ks, "id", 2) == 0 ? 3 : -1;
        if (slot < 0 || vals[slot]) return 0;
        WS();
        if (i >= n || s[i++] != ':') return 0;
        WS();
        if (i >= n || s[i++] != '"') return 0;
        vals[slot] = buf + o;
        for (;;) {
            if (i >= n) return 0;
            unsigned char c = (unsigned char)s[i++];
            if (c == '"') break;
            if (c < 0x20) return 0;
            if (c != '\\') {
                buf[o++] = (char)c;
                continue;
            }
            if (i >= n) return 0;
            switch (s[i++]) {
            case '"': buf[o++] = '"'; break;
            case '\\': buf[o++] = '\\'; break;
            case '/': buf[o++] = '/'; break;
            case 'b': buf[o++] = '\b'; break;
            case 'f': buf[o++] = '\f'; break;
            case 'n': buf[o++] = '\n'; break;
            case 'r': buf[o++] = '\r'; break;
            case 't': buf[o++] = '\t'; break;
            default: return 0; /* \u and errors: jansson */
            }
        }
        lens[slot] = (size_t)(buf + o - vals[slot]);
        WS();
        if (i >= n) return 0;
        if (s[i] == ',') {
            i++;
            continue;
        }
        if (s[i++] != '}') return 0;
        break;
    }
    WS();
#undef WS
    if (i != n || !vals[0] || (vals[1] != NULL) == (vals[2] != NULL)) return 0;
    if (!nt_utf8_valid(s, n, NULL)) return 0;
    memset(out, 0, sizeof *out);
    out->label = vals[0];
    out->llen = lens[0];
    out->kind = vals[1] ? NR_KIND_PHRASE : NR_KIND_REGEX;
    out->str = vals[1] ? vals[1] : vals[2];
    out->slen = vals[1] ? lens[1] : lens[2];
    if (vals[3]) {
        out->has_id = 1;
        out->id = vals[3];
        out->idlen = lens[3];
    }
    return 1;
}

int nr_ruleset_add_jsonl(nr_ruleset *rs, const char *text, size_t len,
                         const char *source, const nt_rules *tok,
                         char *errbuf, size_t errlen)
{
    if (!rs || (!text && len)) return NER_EINVAL;
    if (!source) source = "patterns";
    size_t line = 0, i = 0;
    if (rs->finished) {
        nu_errf(errbuf, errlen, "patterns cannot be added once the set is built");
        return NER_EINVAL;
    }
    /* room for what the text probably holds: one pattern a line, two
     * tokens a phrase (a hint: a failure here is not an error) */
    size_t lines = 0;
    for (const char *q = text; q && (q = memchr(q, '\n', len - (size_t)(q - text))); q++)
        lines++;
    if (lines > 1024) {
        (void)nr_vocab_reserve(&rs->vocab, lines);
        (void)nr_phrases_reserve(&rs->phrases, lines, 2 * lines);
        (void)GROW(rs->pats, rs->cappats, rs->npats + lines + 1);
    }
    /* a UTF-8 byte order mark at the very start is skipped */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < len) {
        line++;
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        size_t a = i, b = e;
        while (a < b && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) a++;
        while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) b--;
        i = nl ? e + 1 : len;
        if (a == b) continue;
        char err[NER_ERRBUF_SIZE] = "";
        int rc;
        if (GROW(rs->line_buf, rs->cap_line_buf, b - a + 1) != NER_OK) {
            nu_errf(errbuf, errlen, "%s:%zu: out of memory", source, line);
            return NER_ENOMEM;
        }
        parsed pp;
        if (fast_parse(text + a, b - a, rs->line_buf, &pp)) {
            rc = add_parsed(rs, &pp, tok, err, sizeof err);
            if (rc != NER_OK) {
                nu_errf(errbuf, errlen, "%s:%zu: %s", source, line, err);
                return rc;
            }
            continue;
        }
        json_error_t je;
        json_t *obj = json_loadb(text + a, b - a, JSON_REJECT_DUPLICATES, &je);
        if (!obj) {
            nu_errf(errbuf, errlen, "%s:%zu: malformed JSON at column %d: %s", source,
                 line, je.column, je.text);
            return NER_EFORMAT;
        }
        rc = nr_ruleset_add(rs, obj, tok, err, sizeof err);
        json_decref(obj);
        if (rc != NER_OK) {
            nu_errf(errbuf, errlen, "%s:%zu: %s", source, line, err);
            return rc;
        }
    }
    return NER_OK;
}

int nr_ruleset_finish(nr_ruleset *rs)
{
    if (!rs || rs->finished) return NER_EINVAL;
    int rc = nr_phrases_build(&rs->phrases, rs->vocab.n);
    if (rc == NER_OK) rc = nr_tokpats_finish(&rs->tokpats);
    if (rc != NER_OK) return rc;
    const char **lp = realloc(rs->label_ptrs, (rs->labels.n + 1) * sizeof *lp);
    if (!lp) return NER_ENOMEM;
    rs->label_ptrs = lp;
    for (uint32_t i = 0; i < rs->labels.n; i++)
        lp[i] = nr_vocab_str(&rs->labels, i, NULL);
    lp[rs->labels.n] = NULL;
    rs->need |= rs->tokpats.need;
    free_loading(rs);
    rs->finished = 1;
    return NER_OK;
}

size_t nr_ruleset_count(const nr_ruleset *rs) { return rs ? rs->npats : 0; }

int nr_ruleset_kind(const nr_ruleset *rs, uint32_t p)
{
    return rs && p < rs->npats ? (int)rs->pats[p].kind : -1;
}

const char *nr_ruleset_label(const nr_ruleset *rs, uint32_t p)
{
    return rs && p < rs->npats ? nr_vocab_str(&rs->labels, rs->pats[p].label, NULL) : NULL;
}

const char *nr_ruleset_ent_id(const nr_ruleset *rs, uint32_t p)
{
    if (!rs || p >= rs->npats || rs->pats[p].ent_id == NR_NONE) return NULL;
    return nr_vocab_str(&rs->ids, rs->pats[p].ent_id, NULL);
}

size_t nr_ruleset_labels(const nr_ruleset *rs, const char *const **labels)
{
    if (labels) *labels = rs && rs->finished ? rs->label_ptrs : NULL;
    return rs && rs->finished ? rs->labels.n : 0;
}

size_t nr_ruleset_bytes(const nr_ruleset *rs)
{
    if (!rs) return 0;
    return sizeof *rs + nr_vocab_bytes(&rs->vocab) + nr_vocab_bytes(&rs->labels) +
           nr_vocab_bytes(&rs->ids) + rs->cappats * sizeof *rs->pats +
           nr_phrases_bytes(&rs->phrases) + nr_tokpats_bytes(&rs->tokpats) +
           rs->capregex * sizeof *rs->regexes;
}

/* ------------------------------------------------------------ matching */

nr_scratch *nr_scratch_new(void)
{
    nr_scratch *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->ts = nr_tokscratch_new();
    s->md = pcre2_match_data_create(1, NULL);
    if (!s->ts || !s->md) {
        nr_scratch_free(s);
        return NULL;
    }
    return s;
}

void nr_scratch_free(nr_scratch *s)
{
    if (!s) return;
    free(s->orth);
    free(s->lower);
    free(s->shape);
    free(s->flags);
    free(s->length);
    free(s->lower_off);
    free(s->shape_off);
    free(s->lower_str);
    free(s->shape_str);
    free(s->tmp);
    free(s->m);
    free(s->order);
    free(s->sel);
    free(s->taken);
    nr_tokscratch_free(s->ts);
    pcre2_match_data_free(s->md);
    free(s);
}

static int push_match(nr_scratch *s, size_t start, size_t end, uint32_t value)
{
    if (GROW(s->m, s->cap_m, s->nm + 1) != NER_OK) return NER_ENOMEM;
    s->m[s->nm].start = (uint32_t)start;
    s->m[s->nm].end = (uint32_t)end;
    s->m[s->nm].pattern = value;
    s->nm++;
    return 0;
}

static int match_cb(void *user, size_t start, size_t end, uint32_t value)
{
    return push_match(user, start, end, value);
}

static int cmp_dedupe(const void *a, const void *b)
{
    const nr_match *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    return 0;
}

static int cmp_out(const void *a, const void *b)
{
    const nr_match *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->end != y->end) return x->end > y->end ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return 0;
}

/* Fills the per-token arrays the patterns need. */
static int fill_view(const nr_ruleset *rs, const char *text, const size_t *starts,
                     const size_t *ends, size_t n, nr_scratch *s, nr_tokview *tv)
{
    uint32_t need = rs->need;
    memset(tv, 0, sizeof *tv);
    tv->n = n;
    tv->text = text;
    tv->start = starts;
    tv->end = ends;
    if (n > s->cap_tok) {
        size_t cap = n + n / 2 + 16;
        uint32_t **arrs[] = {&s->orth, &s->lower, &s->shape, &s->flags, &s->length};
        for (size_t k = 0; k < 5; k++) {
            uint32_t *a = realloc(*arrs[k], cap * sizeof *a);
            if (!a) return NER_ENOMEM;
            *arrs[k] = a;
        }
        size_t *lo = realloc(s->lower_off, (cap + 1) * sizeof *lo);
        if (!lo) return NER_ENOMEM;
        s->lower_off = lo;
        size_t *so = realloc(s->shape_off, (cap + 1) * sizeof *so);
        if (!so) return NER_ENOMEM;
        s->shape_off = so;
        s->cap_tok = cap;
    }
    size_t maxtok = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = ends[i] - starts[i];
        if (l > maxtok) maxtok = l;
        total += l;
    }
    if (need & (NR_NEED_LOWER | NR_NEED_SHAPE | NR_NEED_LOWER_STR | NR_NEED_SHAPE_STR))
        if (GROW(s->tmp, s->cap_tmp, NR_LOWER_ROOM(maxtok) + NR_SHAPE_ROOM(maxtok)) != NER_OK)
            return NER_ENOMEM;
    if (need & NR_NEED_LOWER_STR)
        if (GROW(s->lower_str, s->cap_lower_str, 2 * total + 4 * n + 4) != NER_OK)
            return NER_ENOMEM;
    if (need & NR_NEED_SHAPE_STR)
        if (GROW(s->shape_str, s->cap_shape_str, total + 4 * n + 4) != NER_OK)
            return NER_ENOMEM;
    size_t lo = 0, so = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = text + starts[i];
        size_t l = ends[i] - starts[i];
        if (need & NR_NEED_ORTH) s->orth[i] = nr_vocab_find(&rs->vocab, t, l);
        if (need & (NR_NEED_LOWER | NR_NEED_LOWER_STR)) {
            size_t ll = nr_lower(t, l, s->tmp);
            if (need & NR_NEED_LOWER) s->lower[i] = nr_vocab_find(&rs->vocab, s->tmp, ll);
            if (need & NR_NEED_LOWER_STR) {
                s->lower_off[i] = lo;
                memcpy(s->lower_str + lo, s->tmp, ll);
                lo += ll;
            }
        }
        if (need & (NR_NEED_SHAPE | NR_NEED_SHAPE_STR)) {
            size_t sl = nr_shape(t, l, s->tmp);
            if (need & NR_NEED_SHAPE) s->shape[i] = nr_vocab_find(&rs->vocab, s->tmp, sl);
            if (need & NR_NEED_SHAPE_STR) {
                s->shape_off[i] = so;
                memcpy(s->shape_str + so, s->tmp, sl);
                so += sl;
            }
        }
        if (need & NR_NEED_FLAGS) s->flags[i] = nr_token_flags(t, l);
        if (need & NR_NEED_LENGTH) s->length[i] = (uint32_t)nr_length(t, l);
    }
    s->lower_off[n] = lo;
    s->shape_off[n] = so;
    if (need & NR_NEED_ORTH) tv->orth = s->orth;
    if (need & NR_NEED_LOWER) tv->lower = s->lower;
    if (need & NR_NEED_SHAPE) tv->shape = s->shape;
    if (need & NR_NEED_FLAGS) tv->flags = s->flags;
    if (need & NR_NEED_LENGTH) tv->length = s->length;
    if (need & NR_NEED_LOWER_STR) {
        tv->lower_str = s->lower_str;
        tv->lower_off = s->lower_off;
    }
    if (need & NR_NEED_SHAPE_STR) {
        tv->shape_str = s->shape_str;
        tv->shape_off = s->shape_off;
    }
    return NER_OK;
}

int nr_align(const size_t *starts, const size_t *ends, size_t n, size_t len,
             size_t start, size_t end, int mode, size_t *ts, size_t *te)
{
    if (start > end || end > len) return NER_ERANGE;
    size_t a, b, lo, hi;
    /* first token whose start >= start */
    lo = 0;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (starts[mid] >= start) hi = mid; else lo = mid + 1;
    }
    size_t first_start_at = lo;
    /* first token whose end > x, for x = start and x = end - 1 */
    size_t xs[2] = {start, end - (end > 0)}, fe[2];
    for (int k = 0; k < 2; k++) {
        lo = 0;
        hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ends[mid] > xs[k]) hi = mid; else lo = mid + 1;
        }
        fe[k] = lo;
    }
    switch (mode) {
    case NR_ALIGN_STRICT:
        a = first_start_at;
        if (a >= n || starts[a] != start) return NER_EALIGN;
        b = fe[1];
        if (b >= n || ends[b] != end) return NER_EALIGN;
        b++;
        break;
    case NR_ALIGN_CONTRACT:
        a = first_start_at;
        lo = a;
        hi = n; /* tokens from a with end <= end: binary search */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ends[mid] <= end) lo = mid + 1; else hi = mid;
        }
        b = lo;
        break;
    case NR_ALIGN_EXPAND:
        a = fe[0];
        lo = a;
        hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (starts[mid] < end) lo = mid + 1; else hi = mid;
        }
        b = lo;
        break;
    default:
        return NER_EINVAL;
    }
    if (a >= b) return NER_EALIGN;
    *ts = a;
    *te = b;
    return NER_OK;
}

static int run_regexes(const nr_ruleset *rs, const char *text, size_t len,
                       const size_t *starts, const size_t *ends, size_t n, int align,
                       nr_scratch *s)
{
    for (size_t r = 0; r < rs->nregex; r++) {
        size_t off = 0;
        while (off <= len) {
            int rc = pcre2_match(rs->regexes[r].re, (PCRE2_SPTR)text, len, off,
                                 PCRE2_NO_UTF_CHECK, s->md, rs->mctx);
            if (rc < 0) break; /* no match, or the match limit: no more */
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
            size_t a = ov[0], b = ov[1];
            if (b <= a) {
                size_t nx = b > off ? b : off;
                if (a > nx) nx = a;
                if (nx >= len) break;
                nx++;
                while (nx < len && ((unsigned char)text[nx] & 0xC0) == 0x80) nx++;
                off = nx;
                continue;
            }
            size_t ts, te;
            if (nr_align(starts, ends, n, len, a, b, align, &ts, &te) == NER_OK)
                if (push_match(s, ts, te, rs->regexes[r].value) != 0) return NER_ENOMEM;
            off = b;
        }
    }
    return NER_OK;
}

int nr_ruleset_match(const nr_ruleset *rs, const char *text, size_t len,
                     const size_t *starts, const size_t *ends, size_t ntok,
                     int align, nr_scratch *s, const nr_match **out, size_t *n)
{
    if (!rs || !s || !out || !n || (!text && len) || (ntok && (!starts || !ends)))
        return NER_EINVAL;
    *out = NULL;
    *n = 0;
    if (!rs->finished || align < NR_ALIGN_STRICT || align > NR_ALIGN_EXPAND)
        return NER_EINVAL;
    if (ntok >= UINT32_MAX) return NER_ETOOBIG;
    if (ntok && ends[ntok - 1] > len) return NER_EINVAL;
    s->nm = 0;
    int rc = NER_OK;
    if (ntok && rs->npats) {
        nr_tokview tv;
        rc = fill_view(rs, text, starts, ends, ntok, s, &tv);
        if (rc == NER_OK && rs->phrases.nnodes > 1) {
            const uint32_t *ids = rs->phrase_attr == NR_ATTR_ORTH ? tv.orth
                                : rs->phrase_attr == NR_ATTR_LOWER ? tv.lower : tv.shape;
            rc = nr_phrases_match(&rs->phrases, ids, ntok, match_cb, s);
        }
        if (rc == NER_OK && rs->tokpats.npats)
            rc = nr_tokpats_match(&rs->tokpats, &tv, s->ts, match_cb, s);
        if (rc == NER_OK && rs->nregex)
            rc = run_regexes(rs, text, len, starts, ends, ntok, align, s);
    }
    if (rc != NER_OK) return rc;
    if (s->nm > 1) {
        qsort(s->m, s->nm, sizeof *s->m, cmp_dedupe);
        size_t k = 0;
        for (size_t i = 0; i < s->nm; i++)
            if (k == 0 || s->m[i].start != s->m[k - 1].start ||
                s->m[i].pattern != s->m[k - 1].pattern)
                s->m[k++] = s->m[i];
        s->nm = k;
        qsort(s->m, s->nm, sizeof *s->m, cmp_out);
    }
    *out = s->m;
    *n = s->nm;
    return NER_OK;
}

/* ------------------------------------------------------------ selection */

typedef struct prio {
    uint32_t len, start, pattern, idx;
} prio;

static int cmp_prio(const void *a, const void *b)
{
    const prio *x = a, *y = b;
    if (x->len != y->len) return x->len > y->len ? -1 : 1;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    if (x->pattern != y->pattern) return x->pattern < y->pattern ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int nr_select(const nr_match *m, size_t n, size_t ntok, nr_blocked_fn blocked,
              void *user, nr_scratch *s, const uint32_t **sel, size_t *nsel)
{
    if (!s || !sel || !nsel || (n && !m)) return NER_EINVAL;
    *sel = NULL;
    *nsel = 0;
    if (n >= UINT32_MAX) return NER_ETOOBIG;
    if (GROW(s->order, s->cap_order, n + 1) != NER_OK ||
        GROW(s->sel, s->cap_sel, n + 1) != NER_OK ||
        GROW(s->taken, s->cap_taken, ntok + 1) != NER_OK)
        return NER_ENOMEM;
    memset(s->taken, 0, ntok + 1);
    for (size_t i = 0; i < n; i++) {
        s->order[i].len = m[i].end - m[i].start;
        s->order[i].start = m[i].start;
        s->order[i].pattern = m[i].pattern;
        s->order[i].idx = (uint32_t)i;
    }
    qsort(s->order, n, sizeof *s->order, cmp_prio);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const nr_match *x = &m[s->order[i].idx];
        if (x->end > ntok || x->start >= x->end) continue;
        /* longest first: an overlap with a span taken shows at an end */
        if (s->taken[x->start] || s->taken[x->end - 1]) continue;
        if (blocked && blocked(user, x->start, x->end)) continue;
        memset(s->taken + x->start, 1, x->end - x->start);
        s->sel[k++] = s->order[i].idx;
    }
    qsort(s->sel, k, sizeof *s->sel, cmp_u32);
    *sel = s->sel;
    *nsel = k;
    return NER_OK;
}
