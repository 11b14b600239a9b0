/* The "tokenizer" component: the rule tokenizer of lib/text over a doc.
 *
 * Config (a JSON object; every key optional):
 *   {"lang": "en"}              the built-in rules to use (only "en" so far)
 *   {"rules_path": "x.json"}    load the rules from this file instead
 * Rules come from, in this order: dir/rules.json when the component has a
 * folder holding one (what save wrote: the pipeline's own copy wins), then
 * "rules_path", then the built-in rules of "lang".  An unknown "lang" without
 * a rules file is NER_ENOTFOUND.
 *
 * save writes dir/rules.json: the JSON text the rules were loaded from, byte
 * for byte, so save + load round-trips.
 *
 * process is reentrant: the rules are read-only, and the token buffer with
 * the PCRE2 match data is allocated per call (per batch in process_batch). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "util/errbuf.h"
#include "util/fs.h"
#include "components/builtins.h"
#include "ner/ner_component.h"
#include "text/rule_tokenizer.h"

typedef struct tok_state {
    nt_rules *rules;
} tok_state;


static int file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static int tok_init(void **state, const char *config_json, const char *dir,
                    char *errbuf, size_t errlen)
{
    if (!state) {
        nu_errf(errbuf, errlen, "tokenizer: state is NULL");
        return NER_EINVAL;
    }
    *state = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}",
                             JSON_REJECT_DUPLICATES, &je);
    if (!cfg) {
        nu_errf(errbuf, errlen, "tokenizer config: line %d, column %d: %s",
             je.line, je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    char *path = NULL;
    tok_state *st = NULL;
    const char *lang = "en", *rules_path = NULL;
    if (!json_is_object(cfg)) {
        nu_errf(errbuf, errlen, "tokenizer config must be a JSON object");
        rc = NER_EINVAL;
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) {
        if (strcmp(key, "lang") == 0 || strcmp(key, "rules_path") == 0) {
            if (!json_is_string(v)) {
                nu_errf(errbuf, errlen, "tokenizer config: \"%s\" must be a string", key);
                rc = NER_EINVAL;
                goto out;
            }
            if (key[0] == 'l') lang = json_string_value(v);
            else rules_path = json_string_value(v);
        } else {
            nu_errf(errbuf, errlen, "tokenizer config: unknown key \"%.64s\" "
                 "(known: lang, rules_path)", key);
            rc = NER_EINVAL;
            goto out;
        }
    }
    st = calloc(1, sizeof *st);
    if (!st) { rc = NER_ENOMEM; goto out; }
    if (dir) {
        path = nu_path_join(dir, "rules.json");
        if (!path) { rc = NER_ENOMEM; goto out; }
    }
    if (path && file_exists(path))
        rc = nt_rules_load_file(&st->rules, path, errbuf, errlen);
    else if (rules_path)
        rc = nt_rules_load_file(&st->rules, rules_path, errbuf, errlen);
    else
        rc = nt_rules_builtin(&st->rules, lang, errbuf, errlen);
out:
    free(path);
    json_decref(cfg);
    if (rc != NER_OK) {
        if (st) nt_rules_free(st->rules);
        free(st);
        return rc;
    }
    *state = st;
    return NER_OK;
}

static int tokenize_doc(const tok_state *st, ner_doc *doc, nt_tokbuf *b)
{
    size_t len = 0;
    const char *text = ner_doc_text(doc, &len);
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nt_tokenize(st->rules, text, len, b, err, sizeof err);
    if (rc != NER_OK)
        return ner_doc_set_error(doc, rc, "tokenizer: %s", err);
    return ner_doc_set_tokens(doc, b->starts, b->ends, b->n);
}

static int tok_process(const void *state, ner_doc *doc)
{
    if (!state || !doc) return NER_EINVAL;
    nt_tokbuf b;
    nt_tokbuf_init(&b);
    int rc = tokenize_doc(state, doc, &b);
    nt_tokbuf_free(&b);
    return rc;
}

/* One token buffer for the whole batch; every doc is tried, the first
 * failure is returned (each failing doc carries its own message). */
static int tok_process_batch(const void *state, ner_doc *const *docs, size_t n)
{
    if (!state || (!docs && n)) return NER_EINVAL;
    nt_tokbuf b;
    nt_tokbuf_init(&b);
    int first = NER_OK;
    for (size_t i = 0; i < n; i++) {
        if (!docs[i]) {
            if (first == NER_OK) first = NER_EINVAL;
            continue;
        }
        int rc = tokenize_doc(state, docs[i], &b);
        if (rc != NER_OK && first == NER_OK) first = rc;
    }
    nt_tokbuf_free(&b);
    return first;
}

static int tok_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    const tok_state *st = state;
    if (!st || !dir) {
        nu_errf(errbuf, errlen, "tokenizer save: state and folder are required");
        return NER_EINVAL;
    }
    size_t len;
    const char *json = nt_rules_json(st->rules, &len);
    char *path = nu_path_join(dir, "rules.json");
    if (!path)
        return NER_ENOMEM;
    int rc = nu_write_file(path, json, len, errbuf, errlen);
    free(path);
    return rc;
}

/* A tokenizer makes no entities: say so, rather than "unknown". */
static size_t tok_labels(const void *state, const char *const **labels)
{
    (void)state;
    *labels = NULL;
    return 0;
}

static void tok_free(void *state)
{
    tok_state *st = state;
    if (!st) return;
    nt_rules_free(st->rules);
    free(st);
}

const ner_component_vtable nc_tokenizer_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "tokenizer",
    .init = tok_init,
    .process = tok_process,
    .process_batch = tok_process_batch,
    .save = tok_save,
    .free = tok_free,
    .labels = tok_labels,
};
