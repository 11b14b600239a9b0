/* WordPiece tokenizer of a Hugging Face BERT folder (see wordpiece.h). */
#include "util/errbuf.h"
#include "text/wordpiece.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ner/ner.h"
#include "text/utf8.h"

/* Largest tokenizer file read (tokenizer.json of big vocabularies is a few
 * MB; 256 MB leaves room and keeps a bad path from eating the memory). */
#define WP_MAX_FILE ((size_t)256 << 20)
#define WP_MAX_ADDED 4096

typedef struct wp_added {
    char *content;       /* UTF-8 (raw tokens) */
    size_t len;
    int32_t *ncp;        /* normalised content (normalized tokens) */
    size_t nlen;
    uint32_t chars;      /* code points of content */
    int32_t id;
} wp_added;

struct nt_wordpiece {
    /* vocabulary: entries (token string in the arena, id) + hash slots */
    char *arena;
    size_t arena_len, arena_cap;
    uint32_t *e_off, *e_len;
    int32_t *e_id;
    uint32_t *e_hash;
    size_t n_ent, cap_ent;
    uint32_t *slots; /* entry index + 1, 0 = empty */
    size_t n_slots;  /* power of two */
    size_t max_tok_bytes;
    /* id -> entry index + 1 (0: no token), and the token's code points */
    uint32_t *id_ent;
    uint32_t *id_chars;
    size_t n_ids;

    wp_added *raw;   /* added tokens matched on the raw text */
    size_t n_raw;
    wp_added *normd; /* added tokens matched on the normalised text */
    size_t n_normd;

    nt_wp_info info;
    char *prefix;
    size_t prefix_len, prefix_chars;
    char *unk_tok;

    /* the files, for save */
    char *src_tokenizer_json, *src_vocab_txt, *src_config;
    size_t src_tj_len, src_vt_len, src_cf_len;
};

/* ------------------------------------------------------------ vocabulary */

static uint32_t hash_bytes(uint32_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

#define HASH_INIT 2166136261u

static int vocab_reserve(nt_wordpiece *wp, size_t n)
{
    if (n <= wp->cap_ent)
        return NER_OK;
    size_t nc = wp->cap_ent ? wp->cap_ent * 2 : 1024;
    while (nc < n)
        nc *= 2;
    uint32_t *a = realloc(wp->e_off, nc * sizeof *a);
    if (a) wp->e_off = a;
    uint32_t *b = realloc(wp->e_len, nc * sizeof *b);
    if (b) wp->e_len = b;
    int32_t *c = realloc(wp->e_id, nc * sizeof *c);
    if (c) wp->e_id = c;
    uint32_t *d = realloc(wp->e_hash, nc * sizeof *d);
    if (d) wp->e_hash = d;
    if (!a || !b || !c || !d)
        return NER_ENOMEM;
    wp->cap_ent = nc;
    return NER_OK;
}

/* Finds an entry equal to p[0..plen) + s[0..slen); index or -1. */
static long vocab_find(const nt_wordpiece *wp, const char *p, size_t plen,
                       const char *s, size_t slen)
{
    if (!wp->n_slots)
        return -1;
    uint32_t h = hash_bytes(hash_bytes(HASH_INIT, p, plen), s, slen);
    size_t mask = wp->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint32_t e = wp->slots[i];
        if (!e)
            return -1;
        e--;
        if (wp->e_hash[e] == h && wp->e_len[e] == plen + slen) {
            const char *t = wp->arena + wp->e_off[e];
            if (memcmp(t, p, plen) == 0 && memcmp(t + plen, s, slen) == 0)
                return (long)e;
        }
    }
}

/* Adds or updates token -> id (a repeated token takes the later id). */
static int vocab_add(nt_wordpiece *wp, const char *tok, size_t len, int32_t id,
                     char *errbuf, size_t errlen, const char *where)
{
    if (id < 0 || id > NT_WP_MAX_ID) {
        nu_errf(errbuf, errlen, "%s: id %ld is out of range (0..%ld)", where,
             (long)id, (long)NT_WP_MAX_ID);
        return NER_EFORMAT;
    }
    if (len > NT_WP_MAX_TOKEN_BYTES) {
        nu_errf(errbuf, errlen, "%s: a token of %zu bytes is over the limit of %d",
             where, len, NT_WP_MAX_TOKEN_BYTES);
        return NER_EFORMAT;
    }
    if (!nt_utf8_valid(tok, len, NULL)) {
        nu_errf(errbuf, errlen, "%s: a token is not valid UTF-8", where);
        return NER_EFORMAT;
    }
    if (wp->n_ent >= (size_t)NT_WP_MAX_ID) {
        nu_errf(errbuf, errlen, "%s: more than %ld tokens", where, (long)NT_WP_MAX_ID);
        return NER_ETOOBIG;
    }
    /* grow the table at 50% load */
    if ((wp->n_ent + 1) * 2 > wp->n_slots) {
        size_t ns = wp->n_slots ? wp->n_slots * 2 : 2048;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (!sl)
            return NER_ENOMEM;
        for (size_t e = 0; e < wp->n_ent; e++) {
            size_t i = wp->e_hash[e] & (ns - 1);
            while (sl[i])
                i = (i + 1) & (ns - 1);
            sl[i] = (uint32_t)(e + 1);
        }
        free(wp->slots);
        wp->slots = sl;
        wp->n_slots = ns;
    }
    long found = vocab_find(wp, "", 0, tok, len);
    if (found >= 0) {
        wp->e_id[found] = id;
        return NER_OK;
    }
    if (vocab_reserve(wp, wp->n_ent + 1) != NER_OK)
        return NER_ENOMEM;
    if (wp->arena_len + len + 1 > wp->arena_cap) {
        size_t nc = wp->arena_cap ? wp->arena_cap : 1 << 16;
        while (nc < wp->arena_len + len + 1)
            nc *= 2;
        if (nc > UINT32_MAX)
            return NER_ETOOBIG;
        char *a = realloc(wp->arena, nc);
        if (!a)
            return NER_ENOMEM;
        wp->arena = a;
        wp->arena_cap = nc;
    }
    memcpy(wp->arena + wp->arena_len, tok, len);
    wp->arena[wp->arena_len + len] = '\0';
    size_t e = wp->n_ent++;
    wp->e_off[e] = (uint32_t)wp->arena_len;
    wp->e_len[e] = (uint32_t)len;
    wp->e_id[e] = id;
    wp->e_hash[e] = hash_bytes(HASH_INIT, tok, len);
    wp->arena_len += len + 1;
    size_t i = wp->e_hash[e] & (wp->n_slots - 1);
    while (wp->slots[i])
        i = (i + 1) & (wp->n_slots - 1);
    wp->slots[i] = (uint32_t)(e + 1);
    if (len > wp->max_tok_bytes)
        wp->max_tok_bytes = len;
    return NER_OK;
}

/* id -> token table (when two tokens share an id, the later entry wins). */
static int build_id_table(nt_wordpiece *wp)
{
    int32_t maxid = -1;
    for (size_t e = 0; e < wp->n_ent; e++)
        if (wp->e_id[e] > maxid)
            maxid = wp->e_id[e];
    wp->n_ids = (size_t)(maxid + 1);
    wp->id_ent = calloc(wp->n_ids ? wp->n_ids : 1, sizeof *wp->id_ent);
    wp->id_chars = calloc(wp->n_ids ? wp->n_ids : 1, sizeof *wp->id_chars);
    if (!wp->id_ent || !wp->id_chars)
        return NER_ENOMEM;
    for (size_t e = 0; e < wp->n_ent; e++) {
        wp->id_ent[wp->e_id[e]] = (uint32_t)(e + 1);
        wp->id_chars[wp->e_id[e]] =
            (uint32_t)nt_utf8_count(wp->arena + wp->e_off[e], wp->e_len[e]);
    }
    return NER_OK;
}

int32_t nt_wordpiece_token_id(const nt_wordpiece *wp, const char *tok, size_t len)
{
    if (!wp || (!tok && len))
        return -1;
    long e = vocab_find(wp, "", 0, tok ? tok : "", len);
    return e < 0 ? -1 : wp->e_id[e];
}

const char *nt_wordpiece_id_token(const nt_wordpiece *wp, int32_t id, size_t *len)
{
    if (!wp || id < 0 || (size_t)id >= wp->n_ids || !wp->id_ent[id])
        return NULL;
    uint32_t e = wp->id_ent[id] - 1;
    if (len)
        *len = wp->e_len[e];
    return wp->arena + wp->e_off[e];
}

size_t nt_wordpiece_id_chars(const nt_wordpiece *wp, int32_t id)
{
    if (!wp || id < 0 || (size_t)id >= wp->n_ids)
        return 0;
    return wp->id_chars[id];
}

size_t nt_wordpiece_vocab_size(const nt_wordpiece *wp)
{
    return wp ? wp->n_ids : 0;
}

const nt_wp_info *nt_wordpiece_info(const nt_wordpiece *wp)
{
    return wp ? &wp->info : NULL;
}

/* ------------------------------------------------------------ loading */

static char *dup_mem(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void added_free(wp_added *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].content);
        free(a[i].ncp);
    }
    free(a);
}

void nt_wordpiece_free(nt_wordpiece *wp)
{
    if (!wp)
        return;
    free(wp->arena);
    free(wp->e_off);
    free(wp->e_len);
    free(wp->e_id);
    free(wp->e_hash);
    free(wp->slots);
    free(wp->id_ent);
    free(wp->id_chars);
    added_free(wp->raw, wp->n_raw);
    added_free(wp->normd, wp->n_normd);
    free(wp->prefix);
    free(wp->unk_tok);
    free(wp->src_tokenizer_json);
    free(wp->src_vocab_txt);
    free(wp->src_config);
    free(wp);
}

/* Adds an added token; normalized ones are matched after normalisation. */
static int add_added(nt_wordpiece *wp, const char *content, size_t len,
                     int32_t id, int normalized)
{
    if (len == 0)
        return NER_OK;
    wp_added **arr = normalized ? &wp->normd : &wp->raw;
    size_t *n = normalized ? &wp->n_normd : &wp->n_raw;
    /* a repeated content keeps the later id */
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i].len == len && memcmp((*arr)[i].content, content, len) == 0) {
            (*arr)[i].id = id;
            return NER_OK;
        }
    wp_added *v = realloc(*arr, (*n + 1) * sizeof *v);
    if (!v)
        return NER_ENOMEM;
    *arr = v;
    wp_added *a = &v[*n];
    memset(a, 0, sizeof *a);
    if (!(a->content = dup_mem(content, len)))
        return NER_ENOMEM;
    a->len = len;
    a->chars = (uint32_t)nt_utf8_count(content, len);
    a->id = id;
    (*n)++;
    return NER_OK;
}

/* The normalised form of each normalized added token (after the normaliser
 * settings are final). */
static int normalize_added(nt_wordpiece *wp)
{
    nt_normtext t;
    nt_normtext_init(&t);
    int rc = NER_OK;
    for (size_t i = 0; i < wp->n_normd && rc == NER_OK; i++) {
        wp_added *a = &wp->normd[i];
        rc = nt_bert_normalize(&wp->info.norm, a->content, a->len, 0, &t);
        if (rc != NER_OK)
            break;
        free(a->ncp);
        a->ncp = malloc((t.n ? t.n : 1) * sizeof *a->ncp);
        if (!a->ncp) {
            rc = NER_ENOMEM;
            break;
        }
        if (t.n)
            memcpy(a->ncp, t.cp, t.n * sizeof *a->ncp);
        a->nlen = t.n;
    }
    nt_normtext_free(&t);
    return rc;
}

static int vocab_txt_parse(nt_wordpiece *wp, const char *name, const char *s,
                           size_t n, char *errbuf, size_t errlen)
{
    size_t i = 0, line = 0;
    char where[700];
    while (i < n) {
        size_t a = i;
        while (i < n && s[i] != '\n' && s[i] != '\r')
            i++;
        size_t b = i;
        if (i < n) {
            if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            i++;
        }
        snprintf(where, sizeof where, "%s, line %zu", name, line + 1);
        if (line > (size_t)NT_WP_MAX_ID) {
            nu_errf(errbuf, errlen, "%s: more than %ld lines", name, (long)NT_WP_MAX_ID + 1);
            return NER_ETOOBIG;
        }
        int rc = vocab_add(wp, s + a, b - a, (int32_t)line, errbuf, errlen, where);
        if (rc != NER_OK)
            return rc;
        line++;
    }
    if (line == 0) {
        nu_errf(errbuf, errlen, "%s: the vocabulary is empty", name);
        return NER_EFORMAT;
    }
    return NER_OK;
}

static int get_bool(json_t *o, const char *key, int *out, int null_val,
                    const char *name, char *errbuf, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return NER_OK;
    if (json_is_null(v) && null_val != -2) {
        *out = null_val;
        return NER_OK;
    }
    if (!json_is_boolean(v)) {
        nu_errf(errbuf, errlen, "%s: \"%s\" must be true or false%s", name, key,
             null_val != -2 ? " (or null)" : "");
        return NER_EFORMAT;
    }
    *out = json_is_true(v);
    return NER_OK;
}

/* A special token of tokenizer_config.json: a string or {"content": s}. */
static const char *special_str(json_t *cfg, const char *key)
{
    json_t *v = cfg ? json_object_get(cfg, key) : NULL;
    if (json_is_object(v))
        v = json_object_get(v, "content");
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int parse_tokenizer_json(nt_wordpiece *wp, const char *name, const char *s,
                                size_t n, char *errbuf, size_t errlen,
                                char **cls_name, char **sep_name)
{
    json_error_t je;
    json_t *root = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        nu_errf(errbuf, errlen, "%s: line %d, column %d: %s", name, je.line, je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    json_t *model = json_object_get(root, "model");
    json_t *vocab = json_object_get(model, "vocab");
    json_t *type = json_object_get(model, "type");
    if (!json_is_object(root) || !json_is_object(model)) {
        nu_errf(errbuf, errlen, "%s: expected an object with a \"model\" object", name);
        rc = NER_EFORMAT;
        goto out;
    }
    if (type && !(json_is_string(type) && strcmp(json_string_value(type), "WordPiece") == 0)) {
        nu_errf(errbuf, errlen, "%s: model.type is %s%s%s, only \"WordPiece\" (BERT) is "
             "supported", name, json_is_string(type) ? "\"" : "",
             json_is_string(type) ? json_string_value(type) : "not a string",
             json_is_string(type) ? "\"" : "");
        rc = NER_EUNSUPPORTED;
        goto out;
    }
    if (!json_is_object(vocab)) {
        nu_errf(errbuf, errlen, "%s: model.vocab must be an object of token: id", name);
        rc = type ? NER_EFORMAT : NER_EUNSUPPORTED;
        goto out;
    }
    const char *key;
    json_t *v;
    char where[700];
    snprintf(where, sizeof where, "%s, model.vocab", name);
    json_object_foreach(vocab, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > NT_WP_MAX_ID) {
            nu_errf(errbuf, errlen, "%s: model.vocab[\"%.64s\"] must be an integer id "
                 "in 0..%ld", name, key, (long)NT_WP_MAX_ID);
            rc = NER_EFORMAT;
            goto out;
        }
        rc = vocab_add(wp, key, strlen(key), (int32_t)json_integer_value(v), errbuf,
                       errlen, where);
        if (rc != NER_OK)
            goto out;
    }
    if (wp->n_ent == 0) {
        nu_errf(errbuf, errlen, "%s: model.vocab is empty", name);
        rc = NER_EFORMAT;
        goto out;
    }
    json_t *unk = json_object_get(model, "unk_token");
    json_t *pre = json_object_get(model, "continuing_subword_prefix");
    json_t *mx = json_object_get(model, "max_input_chars_per_word");
    if ((unk && !json_is_string(unk)) || (pre && !json_is_string(pre)) ||
        (mx && !(json_is_integer(mx) && json_integer_value(mx) >= 0))) {
        nu_errf(errbuf, errlen, "%s: model.unk_token and model.continuing_subword_prefix "
             "must be strings, model.max_input_chars_per_word a count", name);
        rc = NER_EFORMAT;
        goto out;
    }
    if (unk) {
        free(wp->unk_tok);
        if (!(wp->unk_tok = dup_mem(json_string_value(unk), json_string_length(unk)))) {
            rc = NER_ENOMEM;
            goto out;
        }
    }
    if (pre) {
        free(wp->prefix);
        if (!(wp->prefix = dup_mem(json_string_value(pre), json_string_length(pre)))) {
            rc = NER_ENOMEM;
            goto out;
        }
    }
    if (mx)
        wp->info.max_input_chars_per_word = (size_t)json_integer_value(mx);

    json_t *norm = json_object_get(root, "normalizer");
    if (!norm || json_is_null(norm)) {
        wp->info.norm.clean_text = 0;
        wp->info.norm.handle_chinese_chars = 0;
        wp->info.norm.strip_accents = 0;
        wp->info.norm.lowercase = 0;
    } else {
        json_t *nt = json_object_get(norm, "type");
        if (!json_is_string(nt) || strcmp(json_string_value(nt), "BertNormalizer") != 0) {
            nu_errf(errbuf, errlen, "%s: normalizer.type %s%s%s is not supported (only "
                 "\"BertNormalizer\")", name, json_is_string(nt) ? "\"" : "",
                 json_is_string(nt) ? json_string_value(nt) : "(missing)",
                 json_is_string(nt) ? "\"" : "");
            rc = NER_EUNSUPPORTED;
            goto out;
        }
        wp->info.norm.clean_text = 1;
        wp->info.norm.handle_chinese_chars = 1;
        wp->info.norm.strip_accents = -1;
        wp->info.norm.lowercase = 1;
        if ((rc = get_bool(norm, "clean_text", &wp->info.norm.clean_text, -2, name, errbuf, errlen)) ||
            (rc = get_bool(norm, "handle_chinese_chars", &wp->info.norm.handle_chinese_chars, -2, name, errbuf, errlen)) ||
            (rc = get_bool(norm, "strip_accents", &wp->info.norm.strip_accents, -1, name, errbuf, errlen)) ||
            (rc = get_bool(norm, "lowercase", &wp->info.norm.lowercase, -2, name, errbuf, errlen)))
            goto out;
    }
    json_t *ptk = json_object_get(root, "pre_tokenizer");
    json_t *pt = json_object_get(ptk, "type");
    if (!json_is_string(pt) || strcmp(json_string_value(pt), "BertPreTokenizer") != 0) {
        nu_errf(errbuf, errlen, "%s: pre_tokenizer.type %s%s%s is not supported (only "
             "\"BertPreTokenizer\")", name, json_is_string(pt) ? "\"" : "",
             json_is_string(pt) ? json_string_value(pt) : "(missing)",
             json_is_string(pt) ? "\"" : "");
        rc = NER_EUNSUPPORTED;
        goto out;
    }
    json_t *added = json_object_get(root, "added_tokens");
    if (added && !json_is_null(added)) {
        if (!json_is_array(added) || json_array_size(added) > WP_MAX_ADDED) {
            nu_errf(errbuf, errlen, "%s: added_tokens must be an array (of at most %d)",
                 name, WP_MAX_ADDED);
            rc = NER_EFORMAT;
            goto out;
        }
        size_t i;
        json_array_foreach(added, i, v) {
            json_t *id = json_object_get(v, "id"), *c = json_object_get(v, "content");
            if (!json_is_integer(id) || json_integer_value(id) < 0 ||
                json_integer_value(id) > NT_WP_MAX_ID || !json_is_string(c)) {
                nu_errf(errbuf, errlen, "%s: added_tokens[%zu] needs an integer \"id\" "
                     "and a string \"content\"", name, i);
                rc = NER_EFORMAT;
                goto out;
            }
            int sw = 0, ls = 0, rs = 0, nz = 0;
            if ((rc = get_bool(v, "single_word", &sw, 0, name, errbuf, errlen)) ||
                (rc = get_bool(v, "lstrip", &ls, 0, name, errbuf, errlen)) ||
                (rc = get_bool(v, "rstrip", &rs, 0, name, errbuf, errlen)) ||
                (rc = get_bool(v, "normalized", &nz, 0, name, errbuf, errlen)))
                goto out;
            if (sw || ls || rs) {
                nu_errf(errbuf, errlen, "%s: added token \"%.64s\" asks for single_word, "
                     "lstrip or rstrip matching, which libner does not support",
                     name, json_string_value(c));
                rc = NER_EUNSUPPORTED;
                goto out;
            }
            const char *cs = json_string_value(c);
            size_t cl = json_string_length(c);
            if (!nt_utf8_valid(cs, cl, NULL)) {
                nu_errf(errbuf, errlen, "%s: added_tokens[%zu] is not valid UTF-8", name, i);
                rc = NER_EFORMAT;
                goto out;
            }
            /* added tokens live apart from the model's vocabulary (its
             * WordPiece lookups never see them), as in the Rust library */
            rc = add_added(wp, cs, cl, (int32_t)json_integer_value(id), nz);
            if (rc != NER_OK)
                goto out;
        }
    }
    /* [CLS] / [SEP] as the post-processor names them */
    json_t *pp = json_object_get(root, "post_processor");
    json_t *ppt = json_object_get(pp, "type");
    if (json_is_string(ppt) && strcmp(json_string_value(ppt), "BertProcessing") == 0) {
        json_t *cl = json_array_get(json_object_get(pp, "cls"), 0);
        json_t *sp = json_array_get(json_object_get(pp, "sep"), 0);
        if (json_is_string(cl) && !(*cls_name = dup_mem(json_string_value(cl), json_string_length(cl))))
            rc = NER_ENOMEM;
        if (json_is_string(sp) && !(*sep_name = dup_mem(json_string_value(sp), json_string_length(sp))))
            rc = NER_ENOMEM;
    } else if (json_is_string(ppt) && strcmp(json_string_value(ppt), "TemplateProcessing") == 0) {
        json_t *single = json_object_get(pp, "single");
        size_t ns = json_array_size(single);
        json_t *f = json_object_get(json_object_get(json_array_get(single, 0), "SpecialToken"), "id");
        json_t *l = ns ? json_object_get(json_object_get(json_array_get(single, ns - 1), "SpecialToken"), "id") : NULL;
        if (json_is_string(f) && !(*cls_name = dup_mem(json_string_value(f), json_string_length(f))))
            rc = NER_ENOMEM;
        if (json_is_string(l) && !(*sep_name = dup_mem(json_string_value(l), json_string_length(l))))
            rc = NER_ENOMEM;
    }
out:
    json_decref(root);
    return rc;
}

static int apply_config(nt_wordpiece *wp, json_t *cfg, const char *name,
                        char *errbuf, size_t errlen)
{
    int rc;
    if ((rc = get_bool(cfg, "do_lower_case", &wp->info.norm.lowercase, -2, name, errbuf, errlen)) ||
        (rc = get_bool(cfg, "strip_accents", &wp->info.norm.strip_accents, -1, name, errbuf, errlen)) ||
        (rc = get_bool(cfg, "tokenize_chinese_chars", &wp->info.norm.handle_chinese_chars, -2, name, errbuf, errlen)))
        return rc;
    json_t *ml = json_object_get(cfg, "model_max_length");
    if (ml && !json_is_null(ml)) {
        if (!json_is_number(ml) || json_number_value(ml) < 0) {
            nu_errf(errbuf, errlen, "%s: \"model_max_length\" must be a non-negative number", name);
            return NER_EFORMAT;
        }
        double d = json_number_value(ml);
        /* transformers writes 1e30 (VERY_LARGE_INTEGER) for "no limit" */
        wp->info.model_max_length = d >= 1e9 ? 0 : (size_t)d;
    }
    return NER_OK;
}

/* token -> id as the Rust library's token_to_id: added tokens first. */
static int32_t special_id(const nt_wordpiece *wp, const char *tok)
{
    if (!tok)
        return -1;
    size_t len = strlen(tok);
    for (size_t i = 0; i < wp->n_raw; i++)
        if (wp->raw[i].len == len && memcmp(wp->raw[i].content, tok, len) == 0)
            return wp->raw[i].id;
    for (size_t i = 0; i < wp->n_normd; i++)
        if (wp->normd[i].len == len && memcmp(wp->normd[i].content, tok, len) == 0)
            return wp->normd[i].id;
    return nt_wordpiece_token_id(wp, tok, len);
}

int nt_wordpiece_load_mem(nt_wordpiece **out, const char *name,
                          const char *tokenizer_json, size_t tj_len,
                          const char *vocab_txt, size_t vt_len,
                          const char *config_json, size_t cj_len,
                          char *errbuf, size_t errlen)
{
    if (!out) {
        nu_errf(errbuf, errlen, "wordpiece: out is NULL");
        return NER_EINVAL;
    }
    *out = NULL;
    if (!tokenizer_json && !vocab_txt) {
        nu_errf(errbuf, errlen, "%s: no tokenizer.json nor vocab.txt", name ? name : "wordpiece");
        return NER_ENOTFOUND;
    }
    if (!name)
        name = "wordpiece";
    nt_wordpiece *wp = calloc(1, sizeof *wp);
    if (!wp)
        return NER_ENOMEM;
    int rc = NER_OK;
    json_t *cfg = NULL;
    char *cls_name = NULL, *sep_name = NULL;
    char fname[600];
    nt_bert_opts_init(&wp->info.norm);
    wp->info.max_input_chars_per_word = 100;
    if (!(wp->prefix = dup_mem("##", 2)) || !(wp->unk_tok = dup_mem("[UNK]", 5))) {
        rc = NER_ENOMEM;
        goto fail;
    }
    if (config_json) {
        json_error_t je;
        snprintf(fname, sizeof fname, "%s/tokenizer_config.json", name);
        cfg = json_loadb(config_json, cj_len, JSON_REJECT_DUPLICATES, &je);
        if (!cfg || !json_is_object(cfg)) {
            if (cfg)
                nu_errf(errbuf, errlen, "%s: expected a JSON object", fname);
            else
                nu_errf(errbuf, errlen, "%s: line %d, column %d: %s", fname, je.line,
                     je.column, je.text);
            rc = NER_EFORMAT;
            goto fail;
        }
    }
    if (tokenizer_json) {
        wp->info.from_tokenizer_json = 1;
        snprintf(fname, sizeof fname, "%s/tokenizer.json", name);
        rc = parse_tokenizer_json(wp, fname, tokenizer_json, tj_len, errbuf, errlen,
                                  &cls_name, &sep_name);
        if (rc != NER_OK)
            goto fail;
    } else {
        snprintf(fname, sizeof fname, "%s/vocab.txt", name);
        rc = vocab_txt_parse(wp, fname, vocab_txt, vt_len, errbuf, errlen);
        if (rc != NER_OK)
            goto fail;
        const char *u = special_str(cfg, "unk_token");
        if (u) {
            free(wp->unk_tok);
            if (!(wp->unk_tok = dup_mem(u, strlen(u)))) {
                rc = NER_ENOMEM;
                goto fail;
            }
        }
        /* transformers adds the special tokens as non-normalized added tokens */
        static const char *const keys[] = {"unk_token", "sep_token", "pad_token",
                                           "cls_token", "mask_token"};
        static const char *const defs[] = {"[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"};
        for (size_t k = 0; k < 5; k++) {
            const char *t = special_str(cfg, keys[k]);
            if (!t)
                t = defs[k];
            int32_t id = special_id(wp, t);
            if (id >= 0 && (rc = add_added(wp, t, strlen(t), id, 0)) != NER_OK)
                goto fail;
        }
        const char *c = special_str(cfg, "cls_token"), *s = special_str(cfg, "sep_token");
        if ((c && !(cls_name = dup_mem(c, strlen(c)))) ||
            (s && !(sep_name = dup_mem(s, strlen(s))))) {
            rc = NER_ENOMEM;
            goto fail;
        }
    }
    if (cfg) {
        snprintf(fname, sizeof fname, "%s/tokenizer_config.json", name);
        if ((rc = apply_config(wp, cfg, fname, errbuf, errlen)) != NER_OK)
            goto fail;
    }
    if ((rc = build_id_table(wp)) != NER_OK)
        goto fail;
    wp->info.unk_id = nt_wordpiece_token_id(wp, wp->unk_tok, strlen(wp->unk_tok));
    if (wp->info.unk_id < 0) {
        nu_errf(errbuf, errlen, "%s: the unknown token \"%.64s\" is not in the vocabulary",
             name, wp->unk_tok);
        rc = NER_EFORMAT;
        goto fail;
    }
    wp->info.cls_id = special_id(wp, cls_name ? cls_name : "[CLS]");
    wp->info.sep_id = special_id(wp, sep_name ? sep_name : "[SEP]");
    {
        const char *p = special_str(cfg, "pad_token"), *m = special_str(cfg, "mask_token");
        wp->info.pad_id = special_id(wp, p ? p : "[PAD]");
        wp->info.mask_id = special_id(wp, m ? m : "[MASK]");
    }
    wp->prefix_len = strlen(wp->prefix);
    wp->prefix_chars = nt_utf8_count(wp->prefix, wp->prefix_len);
    wp->info.prefix = wp->prefix;
    if ((rc = normalize_added(wp)) != NER_OK)
        goto fail;
    if ((tokenizer_json && !(wp->src_tokenizer_json = dup_mem(tokenizer_json, tj_len))) ||
        (!tokenizer_json && !(wp->src_vocab_txt = dup_mem(vocab_txt, vt_len))) ||
        (config_json && !(wp->src_config = dup_mem(config_json, cj_len)))) {
        rc = NER_ENOMEM;
        goto fail;
    }
    wp->src_tj_len = tokenizer_json ? tj_len : 0;
    wp->src_vt_len = tokenizer_json ? 0 : vt_len;
    wp->src_cf_len = config_json ? cj_len : 0;
    free(cls_name);
    free(sep_name);
    json_decref(cfg);
    *out = wp;
    return NER_OK;
fail:
    if (rc == NER_ENOMEM)
        nu_errf(errbuf, errlen, "%s: out of memory", name);
    free(cls_name);
    free(sep_name);
    json_decref(cfg);
    nt_wordpiece_free(wp);
    return rc;
}

/* Reads a whole file; NER_ENOTFOUND when it does not exist. */
static int read_file(const char *path, char **out, size_t *len, char *errbuf,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return NER_ENOTFOUND;
        nu_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NER_EIO;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int rc = NER_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= WP_MAX_FILE) {
                nu_errf(errbuf, errlen, "%s: larger than %zu bytes", path, WP_MAX_FILE);
                rc = NER_ETOOBIG;
                break;
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb)
                break;
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f)) {
                nu_errf(errbuf, errlen, "%s: read error", path);
                rc = NER_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (!buf)
        return NER_ENOMEM;
    if (rc != NER_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return NER_OK;
}

static char *path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (k == 0 || p[k - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

int nt_wordpiece_load_dir(nt_wordpiece **out, const char *dir, char *errbuf,
                          size_t errlen)
{
    if (!out || !dir) {
        nu_errf(errbuf, errlen, "wordpiece: a folder is required");
        return NER_EINVAL;
    }
    *out = NULL;
    static const char *const names[] = {"tokenizer.json", "vocab.txt", "tokenizer_config.json"};
    char *data[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    int rc = NER_OK;
    for (size_t i = 0; i < 3; i++) {
        if (i == 1 && data[0])
            continue; /* tokenizer.json wins over vocab.txt */
        char *p = path_join(dir, names[i]);
        if (!p) {
            rc = NER_ENOMEM;
            break;
        }
        int r = read_file(p, &data[i], &lens[i], errbuf, errlen);
        free(p);
        if (r != NER_OK && r != NER_ENOTFOUND) {
            rc = r;
            break;
        }
    }
    if (rc == NER_OK && !data[0] && !data[1]) {
        nu_errf(errbuf, errlen, "%s: no tokenizer.json nor vocab.txt in the folder", dir);
        rc = NER_ENOTFOUND;
    }
    if (rc == NER_OK)
        rc = nt_wordpiece_load_mem(out, dir, data[0], lens[0], data[1], lens[1],
                                   data[2], lens[2], errbuf, errlen);
    for (size_t i = 0; i < 3; i++)
        free(data[i]);
    return rc;
}

static int write_file(const char *dir, const char *name, const char *data,
                      size_t len, char *errbuf, size_t errlen)
{
    char *path = path_join(dir, name);
    char *tmp = path ? malloc(strlen(path) + 5) : NULL;
    if (!path || !tmp) {
        free(path);
        free(tmp);
        return NER_ENOMEM;
    }
    sprintf(tmp, "%s.tmp", path);
    int rc = NER_OK;
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        nu_errf(errbuf, errlen, "%s: cannot write: %s", tmp, strerror(errno));
        rc = NER_EIO;
    } else {
        int bad = len && fwrite(data, 1, len, f) != len;
        if (fclose(f) != 0)
            bad = 1;
        if (bad || rename(tmp, path) != 0) {
            nu_errf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
            remove(tmp);
            rc = NER_EIO;
        }
    }
    free(path);
    free(tmp);
    return rc;
}

int nt_wordpiece_save(const nt_wordpiece *wp, const char *dir, char *errbuf,
                      size_t errlen)
{
    if (!wp || !dir) {
        nu_errf(errbuf, errlen, "wordpiece save: tokenizer and folder are required");
        return NER_EINVAL;
    }
    int rc;
    if (wp->src_tokenizer_json)
        rc = write_file(dir, "tokenizer.json", wp->src_tokenizer_json, wp->src_tj_len,
                        errbuf, errlen);
    else
        rc = write_file(dir, "vocab.txt", wp->src_vocab_txt, wp->src_vt_len, errbuf,
                        errlen);
    if (rc == NER_OK && wp->src_config)
        rc = write_file(dir, "tokenizer_config.json", wp->src_config, wp->src_cf_len,
                        errbuf, errlen);
    return rc;
}

/* ------------------------------------------------------------ encoding */

void nt_wp_out_init(nt_wp_out *o)
{
    memset(o, 0, sizeof *o);
    nt_normtext_init(&o->norm);
}

void nt_wp_out_free(nt_wp_out *o)
{
    if (!o)
        return;
    free(o->p);
    free(o->word);
    free(o->cbyte);
    nt_normtext_free(&o->norm);
    nt_wp_out_init(o);
}

/* Byte -> code-point offsets with a cursor that moves both ways (pieces
 * come almost in order, so the total walk stays linear). */
typedef struct cp_cursor {
    const char *text;
    size_t b, c;
} cp_cursor;

static uint32_t cursor_char(cp_cursor *k, size_t b)
{
    if (b >= k->b)
        k->c += nt_utf8_count(k->text + k->b, b - k->b);
    else
        k->c -= nt_utf8_count(k->text + b, k->b - b);
    k->b = b;
    return (uint32_t)k->c;
}

static int push_piece(nt_wp_out *o, int32_t id, uint32_t word, uint32_t sb,
                      uint32_t eb, uint32_t flags, uint32_t tok_chars, cp_cursor *k)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? o->cap * 2 : 64;
        nt_wp_piece *p = realloc(o->p, nc * sizeof *p);
        if (!p)
            return NER_ENOMEM;
        o->p = p;
        o->cap = nc;
    }
    nt_wp_piece *p = &o->p[o->n++];
    p->id = id;
    p->word = word;
    p->start_byte = sb;
    p->end_byte = eb;
    p->start_char = cursor_char(k, sb);
    p->end_char = cursor_char(k, eb);
    p->flags = flags;
    p->tok_chars = tok_chars;
    return NER_OK;
}

/* WordPiece over normalised code points [a, b) of o->norm. */
static int encode_word(const nt_wordpiece *wp, nt_wp_out *o, size_t a, size_t b,
                       uint32_t word, cp_cursor *k)
{
    const nt_normtext *t = &o->norm;
    size_t nch = b - a;
    if (nch > wp->info.max_input_chars_per_word)
        return push_piece(o, wp->info.unk_id, word, t->ostart[a], t->oend[b - 1],
                          NT_WP_UNK, wp->id_chars[wp->info.unk_id], k);
    /* the word as UTF-8, with the byte offset of each code point */
    if (nch + 1 > o->cbyte_cap) {
        size_t *cb = realloc(o->cbyte, (nch + 1) * sizeof *cb);
        if (!cb)
            return NER_ENOMEM;
        o->cbyte = cb;
        o->cbyte_cap = nch + 1;
    }
    if (nch * 4 + 1 > o->word_cap) {
        char *w = realloc(o->word, nch * 4 + 1);
        if (!w)
            return NER_ENOMEM;
        o->word = w;
        o->word_cap = nch * 4 + 1;
    }
    size_t wl = 0;
    for (size_t i = 0; i < nch; i++) {
        o->cbyte[i] = wl;
        wl += nt_utf8_encode(t->cp[a + i], o->word + wl);
    }
    o->cbyte[nch] = wl;
    size_t first = o->n, start = 0;
    while (start < nch) {
        const char *pre = start ? wp->prefix : "";
        size_t plen = start ? wp->prefix_len : 0;
        size_t end = nch;
        long found = -1;
        /* substrings longer than the longest entry cannot match */
        while (end > start && plen + o->cbyte[end] - o->cbyte[start] > wp->max_tok_bytes)
            end--;
        for (; end > start; end--) {
            found = vocab_find(wp, pre, plen, o->word + o->cbyte[start],
                               o->cbyte[end] - o->cbyte[start]);
            if (found >= 0)
                break;
        }
        if (found < 0) {
            o->n = first; /* the whole word becomes [UNK] */
            return push_piece(o, wp->info.unk_id, word, t->ostart[a], t->oend[b - 1],
                              NT_WP_UNK, wp->id_chars[wp->info.unk_id], k);
        }
        int32_t id = wp->e_id[found];
        int rc = push_piece(o, id, word, t->ostart[a + start], t->oend[a + end - 1],
                            start ? NT_WP_CONTINUATION : 0, wp->id_chars[id], k);
        if (rc != NER_OK)
            return rc;
        start = end;
    }
    return NER_OK;
}

/* Pre-tokenises normalised code points [a, b) and encodes every word. */
static int encode_words(const nt_wordpiece *wp, nt_wp_out *o, size_t a, size_t b,
                        uint32_t *word, cp_cursor *k)
{
    const int32_t *cp = o->norm.cp;
    size_t i = a;
    while (i < b) {
        if (nt_rust_is_whitespace(cp[i])) {
            i++;
            continue;
        }
        size_t j = i;
        if (nt_bert_is_punct(cp[i]))
            j = i + 1;
        else
            while (j < b && !nt_rust_is_whitespace(cp[j]) && !nt_bert_is_punct(cp[j]))
                j++;
        int rc = encode_word(wp, o, i, j, (*word)++, k);
        if (rc != NER_OK)
            return rc;
        i = j;
    }
    return NER_OK;
}

/* The leftmost-longest normalized added token in o->norm.cp[from, b). */
static int find_normd(const nt_wordpiece *wp, const nt_normtext *t, size_t from,
                      size_t b, size_t *ms, size_t *me, int32_t *id, uint32_t *chars)
{
    for (size_t i = from; i < b; i++) {
        size_t best = 0;
        for (size_t k = 0; k < wp->n_normd; k++) {
            const wp_added *ad = &wp->normd[k];
            if (ad->nlen == 0 || ad->nlen > b - i || ad->nlen <= best)
                continue;
            if (memcmp(t->cp + i, ad->ncp, ad->nlen * sizeof(int32_t)) == 0) {
                best = ad->nlen;
                *id = ad->id;
                *chars = ad->chars;
            }
        }
        if (best) {
            *ms = i;
            *me = i + best;
            return 1;
        }
    }
    return 0;
}

/* Normalises and encodes the raw part [a, b) of the text. */
static int encode_part(const nt_wordpiece *wp, const char *text, size_t a,
                       size_t b, nt_wp_out *o, uint32_t *word, cp_cursor *k)
{
    int rc = nt_bert_normalize(&wp->info.norm, text + a, b - a, a, &o->norm);
    if (rc != NER_OK)
        return rc;
    size_t pos = 0, n = o->norm.n;
    while (pos < n) {
        size_t ms = n, me = n;
        int32_t id = -1;
        uint32_t chars = 0;
        int hit = wp->n_normd && find_normd(wp, &o->norm, pos, n, &ms, &me, &id, &chars);
        if ((rc = encode_words(wp, o, pos, ms, word, k)) != NER_OK)
            return rc;
        if (!hit)
            break;
        rc = push_piece(o, id, (*word)++, o->norm.ostart[ms], o->norm.oend[me - 1],
                        NT_WP_ADDED, chars, k);
        if (rc != NER_OK)
            return rc;
        pos = me;
    }
    return NER_OK;
}

/* Bytes normalised at once: a longer segment is cut before a space, tab, LF
 * or CR, which every step keeps as (or turns into) whitespace, which no
 * reordering crosses and which splits words, so the pieces are the same as
 * for the whole segment while the scratch stays small.  Not with normalized
 * added tokens, which may contain spaces. */
#define WP_PART_BYTES ((size_t)1 << 16)

static int encode_segment(const nt_wordpiece *wp, const char *text, size_t a,
                          size_t b, nt_wp_out *o, uint32_t *word, cp_cursor *k)
{
    while (wp->n_normd == 0 && b - a > WP_PART_BYTES) {
        size_t cut = a + WP_PART_BYTES;
        while (cut < b && text[cut] != ' ' && text[cut] != '\t' && text[cut] != '\n' &&
               text[cut] != '\r')
            cut++;
        if (cut >= b)
            break;
        int rc = encode_part(wp, text, a, cut, o, word, k);
        if (rc != NER_OK)
            return rc;
        a = cut;
    }
    return encode_part(wp, text, a, b, o, word, k);
}

/* The leftmost-longest raw added token in text[from, len). */
static int find_raw(const nt_wordpiece *wp, const char *text, size_t from,
                    size_t len, size_t *ms, size_t *me, int32_t *id, uint32_t *chars)
{
    for (size_t i = from; i < len; i++) {
        size_t best = 0;
        for (size_t k = 0; k < wp->n_raw; k++) {
            const wp_added *ad = &wp->raw[k];
            if (ad->content[0] != text[i] || ad->len > len - i || ad->len <= best)
                continue;
            if (memcmp(text + i, ad->content, ad->len) == 0) {
                best = ad->len;
                *id = ad->id;
                *chars = ad->chars;
            }
        }
        if (best) {
            *ms = i;
            *me = i + best;
            return 1;
        }
    }
    return 0;
}

int nt_wordpiece_encode(const nt_wordpiece *wp, const char *text, size_t len,
                        nt_wp_out *out)
{
    if (!wp || !out || (!text && len))
        return NER_EINVAL;
    out->n = 0;
    if (len > UINT32_MAX - 1)
        return NER_ETOOBIG;
    cp_cursor k = {text, 0, 0};
    uint32_t word = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t ms = len, me = len;
        int32_t id = -1;
        uint32_t chars = 0;
        int hit = wp->n_raw && find_raw(wp, text, pos, len, &ms, &me, &id, &chars);
        int rc = NER_OK;
        if (ms > pos)
            rc = encode_segment(wp, text, pos, ms, out, &word, &k);
        if (rc == NER_OK && hit)
            rc = push_piece(out, id, word++, (uint32_t)ms, (uint32_t)me, NT_WP_ADDED,
                            chars, &k);
        if (rc != NER_OK) {
            out->n = 0;
            return rc;
        }
        if (!hit)
            break;
        pos = me;
    }
    return NER_OK;
}
