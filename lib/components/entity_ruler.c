/* The "entity_ruler" component: spaCy's EntityRuler over a doc, plus regex
 * rules (the matching machinery is lib/rules; this file only reads the
 * config and the folder and puts the matches on the doc).
 *
 * Config (a JSON object; every key optional):
 *   "patterns": [{...}, ...]     patterns inline, in patterns.jsonl's format
 *   "patterns_path": "x.jsonl"   a JSONL file of patterns (spaCy's format)
 *   "phrase_matcher_attr": "ORTH"  what phrases compare: ORTH (= TEXT),
 *                                LOWER (case-insensitive) or SHAPE
 *   "overwrite_ents": false      true: matches replace overlapping entities
 *                                already on the doc; false: they lose
 *   "spans_key": "ruler"         span group that gets every match (null:
 *                                none)
 *   "alignment": "strict"        how a "regex" match is mapped to tokens:
 *                                "strict" (dropped unless it starts and ends
 *                                on token boundaries), "contract" (tokens
 *                                wholly inside), "expand" (tokens touched)
 *   "lang": "en"                 whose built-in tokenizer rules cut phrases
 *
 * Patterns (lib/rules/ruleset.h): {"label", "pattern": "a phrase"},
 * {"label", "pattern": [token specs]} (lib/rules/tokpat.h), libner's
 * {"label", "regex": "..."}, each with an optional "id" that becomes the
 * entity's ent_id.
 *
 * Where patterns come from: the file patterns first, then the inline
 * "patterns".  The file patterns are dir/patterns.jsonl when the component
 * has a folder holding one (what save wrote: the pipeline's own copy wins
 * over "patterns_path"), else "patterns_path", else none.  Any bad pattern
 * (malformed JSON, unknown attribute or operator, a regex that does not
 * compile, an empty pattern, a wrong type) fails init with the file and
 * line, or the index in "patterns", and the reason: nothing is half-loaded.
 *
 * save writes dir/patterns.jsonl: the file patterns byte for byte (empty
 * when there are none); the inline "patterns" stay in the config, which
 * ner_pipeline_save writes into pipeline.json.  Loading the saved folder
 * therefore gives the same patterns in the same order.
 *
 * Phrases are cut into tokens by the built-in tokenizer rules of "lang"
 * (lib/text/rule_tokenizer.h), whitespace-separated chunk by chunk, exactly
 * as the "tokenizer" component with those rules cuts a doc; a pipeline whose
 * tokenizer uses other rules may cut a phrase differently, and the phrase
 * then does not match where the cuts differ.  The rules are loaded at init
 * and released when the patterns are built.
 *
 * process: every pattern is matched in one pass over the doc's tokens
 * (phrases through a trie, token patterns as NFAs, regexes over the text);
 * each pattern keeps its longest match per start token.  Every match goes
 * into the span group; entities are then chosen longest first, then
 * earliest, then by pattern order, never overlapping each other, and -
 * unless overwrite_ents - never overlapping an entity already on the doc
 * (so a ruler after a model only fills gaps, and a model after a ruler
 * keeps the ruler's entities when it skips overlapping spans).  Rule
 * entities get score 1.
 *
 * process is reentrant: the pattern set is read-only after init; the
 * scratch is per call (per batch in process_batch). */
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
#include "rules/ruleset.h"
#include "text/rule_tokenizer.h"

#if NR_ALIGN_STRICT != NER_ALIGN_STRICT || NR_ALIGN_CONTRACT != NER_ALIGN_CONTRACT || \
    NR_ALIGN_EXPAND != NER_ALIGN_EXPAND
#error "lib/rules alignment modes must equal the NER_ALIGN_* ones"
#endif

#define RULER_FILE "patterns.jsonl"
#define RULER_MAX_FILE ((size_t)1 << 31)

typedef struct ruler_state {
    nr_ruleset *rs;
    char *file_text;     /* the file patterns as read (for save) */
    size_t file_len;
    char *spans_key;     /* NULL: no span group */
    int overwrite;
    int align;
} ruler_state;


static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Reads a whole file (NUL-terminated). */
static int read_file(const char *path, char **out, size_t *len, char *errbuf,
                     size_t errlen)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        nu_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = NER_OK;
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (n + 1 < cap) break;
        if (cap >= RULER_MAX_FILE) {
            nu_errf(errbuf, errlen, "%s: larger than 2 GiB", path);
            rc = NER_ETOOBIG;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (!buf) {
        fclose(f);
        nu_errf(errbuf, errlen, "%s: out of memory", path);
        return NER_ENOMEM;
    }
    if (rc == NER_OK && ferror(f)) {
        nu_errf(errbuf, errlen, "%s: read error", path);
        rc = NER_EIO;
    }
    fclose(f);
    if (rc != NER_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return NER_OK;
}

static void ruler_free(void *state)
{
    ruler_state *st = state;
    if (!st) return;
    nr_ruleset_free(st->rs);
    free(st->file_text);
    free(st->spans_key);
    free(st);
}

static int str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'a' && x <= 'z') x = (char)(x - 32);
        if (y >= 'a' && y <= 'z') y = (char)(y - 32);
        if (x != y) return 0;
    }
    return *a == *b;
}

static int ruler_init(void **state, const char *config_json, const char *dir,
                      char *errbuf, size_t errlen)
{
    if (!state) {
        nu_errf(errbuf, errlen, "entity_ruler: state is NULL");
        return NER_EINVAL;
    }
    *state = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!cfg) {
        nu_errf(errbuf, errlen, "entity_ruler config: line %d, column %d: %s", je.line,
             je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    ruler_state *st = NULL;
    nt_rules *tok = NULL;
    char *path = NULL;
    const char *lang = "en", *patterns_path = NULL, *spans_key = "ruler";
    const json_t *inline_pats = NULL;
    int attr = NR_ATTR_ORTH, align = NR_ALIGN_STRICT, overwrite = 0;
    if (!json_is_object(cfg)) {
        nu_errf(errbuf, errlen, "entity_ruler config must be a JSON object");
        rc = NER_EINVAL;
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) {
        if (strcmp(key, "patterns") == 0) {
            if (!json_is_array(v)) {
                nu_errf(errbuf, errlen, "entity_ruler config: \"patterns\" must be a "
                     "list of pattern objects");
                rc = NER_EINVAL;
                goto out;
            }
            inline_pats = v;
        } else if (strcmp(key, "patterns_path") == 0 || strcmp(key, "lang") == 0) {
            if (!json_is_string(v)) {
                nu_errf(errbuf, errlen, "entity_ruler config: \"%s\" must be a string", key);
                rc = NER_EINVAL;
                goto out;
            }
            if (key[0] == 'l') lang = json_string_value(v);
            else patterns_path = json_string_value(v);
        } else if (strcmp(key, "phrase_matcher_attr") == 0) {
            const char *a = json_is_string(v) ? json_string_value(v) : "";
            if (str_ieq(a, "ORTH") || str_ieq(a, "TEXT")) attr = NR_ATTR_ORTH;
            else if (str_ieq(a, "LOWER")) attr = NR_ATTR_LOWER;
            else if (str_ieq(a, "SHAPE")) attr = NR_ATTR_SHAPE;
            else if (json_is_null(v)) attr = NR_ATTR_ORTH;
            else {
                nu_errf(errbuf, errlen, "entity_ruler config: \"phrase_matcher_attr\" "
                     "must be \"ORTH\", \"TEXT\", \"LOWER\" or \"SHAPE\"");
                rc = NER_EINVAL;
                goto out;
            }
        } else if (strcmp(key, "overwrite_ents") == 0) {
            if (!json_is_boolean(v)) {
                nu_errf(errbuf, errlen, "entity_ruler config: \"overwrite_ents\" must "
                     "be true or false");
                rc = NER_EINVAL;
                goto out;
            }
            overwrite = json_is_true(v);
        } else if (strcmp(key, "spans_key") == 0) {
            if (json_is_null(v)) {
                spans_key = NULL;
            } else if (json_is_string(v) && json_string_length(v) > 0 &&
                       strlen(json_string_value(v)) == json_string_length(v)) {
                spans_key = json_string_value(v);
            } else {
                nu_errf(errbuf, errlen, "entity_ruler config: \"spans_key\" must be a "
                     "non-empty string or null");
                rc = NER_EINVAL;
                goto out;
            }
        } else if (strcmp(key, "alignment") == 0) {
            const char *a = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(a, "strict") == 0) align = NR_ALIGN_STRICT;
            else if (strcmp(a, "contract") == 0) align = NR_ALIGN_CONTRACT;
            else if (strcmp(a, "expand") == 0) align = NR_ALIGN_EXPAND;
            else {
                nu_errf(errbuf, errlen, "entity_ruler config: \"alignment\" must be "
                     "\"strict\", \"contract\" or \"expand\"");
                rc = NER_EINVAL;
                goto out;
            }
        } else {
            nu_errf(errbuf, errlen, "entity_ruler config: unknown key \"%.64s\" (known: "
                 "patterns, patterns_path, phrase_matcher_attr, overwrite_ents, "
                 "spans_key, alignment, lang)", key);
            rc = NER_EINVAL;
            goto out;
        }
    }
    st = calloc(1, sizeof *st);
    if (!st) {
        rc = NER_ENOMEM;
        goto out;
    }
    st->overwrite = overwrite;
    st->align = align;
    if (spans_key && !(st->spans_key = strdup(spans_key))) {
        rc = NER_ENOMEM;
        goto out;
    }
    if ((rc = nr_ruleset_new(&st->rs, attr)) != NER_OK) goto out;
    rc = nt_rules_builtin(&tok, lang, errbuf, errlen);
    if (rc != NER_OK) {
        if (rc == NER_ENOTFOUND)
            nu_errf(errbuf, errlen, "entity_ruler config: no built-in tokenizer rules "
                 "for \"lang\" \"%.32s\" to cut phrases with", lang);
        goto out;
    }
    /* the file patterns */
    const char *src = NULL;
    if (dir) {
        if (!(path = nu_path_join(dir, RULER_FILE))) {
            rc = NER_ENOMEM;
            goto out;
        }
        if (is_file(path)) src = path;
    }
    if (!src) src = patterns_path;
    if (src) {
        rc = read_file(src, &st->file_text, &st->file_len, errbuf, errlen);
        if (rc != NER_OK) goto out;
        rc = nr_ruleset_add_jsonl(st->rs, st->file_text, st->file_len, src, tok,
                                  errbuf, errlen);
        if (rc != NER_OK) goto out;
    }
    /* the inline patterns */
    size_t i;
    json_array_foreach(inline_pats, i, v) {
        char err[NER_ERRBUF_SIZE] = "";
        rc = nr_ruleset_add(st->rs, v, tok, err, sizeof err);
        if (rc != NER_OK) {
            nu_errf(errbuf, errlen, "entity_ruler config: patterns[%zu]: %s", i, err);
            goto out;
        }
    }
    rc = nr_ruleset_finish(st->rs);
    if (rc == NER_ENOMEM) nu_errf(errbuf, errlen, "entity_ruler: out of memory");
out:
    nt_rules_free(tok);
    free(path);
    json_decref(cfg);
    if (rc != NER_OK) {
        ruler_free(st);
        return rc;
    }
    *state = st;
    return NER_OK;
}

/* Per-call scratch. */
typedef struct ruler_buf {
    size_t *starts, *ends;
    size_t cap;
    nr_scratch *scr;
} ruler_buf;

static int blocked_by_ents(void *user, size_t start, size_t end)
{
    return ner_doc_ents_overlap(user, start, end);
}

static int run_doc(const ruler_state *st, ner_doc *doc, ruler_buf *b)
{
    size_t n = ner_doc_token_count(doc);
    if (n == 0 || nr_ruleset_count(st->rs) == 0) return NER_OK;
    if (n > b->cap) {
        size_t cap = n + n / 2 + 16;
        size_t *s = realloc(b->starts, cap * sizeof *s);
        if (s) b->starts = s;
        size_t *e = realloc(b->ends, cap * sizeof *e);
        if (e) b->ends = e;
        if (!s || !e) return ner_doc_set_error(doc, NER_ENOMEM, "entity_ruler: out of memory");
        b->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        ner_doc_token_bytes(doc, i, &b->starts[i], &b->ends[i], NULL);
    size_t len = 0;
    const char *text = ner_doc_text(doc, &len);
    const nr_match *m = NULL;
    size_t nm = 0;
    int rc = nr_ruleset_match(st->rs, text, len, b->starts, b->ends, n, st->align,
                              b->scr, &m, &nm);
    if (rc != NER_OK)
        return ner_doc_set_error(doc, rc, "entity_ruler: matching failed: %s",
                                 ner_strerror(rc));
    if (st->spans_key)
        for (size_t k = 0; k < nm; k++) {
            rc = ner_doc_add_span(doc, st->spans_key, m[k].start, m[k].end,
                                  nr_ruleset_label(st->rs, m[k].pattern), 1.0);
            if (rc != NER_OK) return rc;
        }
    const uint32_t *sel = NULL;
    size_t nsel = 0;
    rc = nr_select(m, nm, n, st->overwrite ? NULL : blocked_by_ents, doc, b->scr,
                   &sel, &nsel);
    if (rc != NER_OK)
        return ner_doc_set_error(doc, rc, "entity_ruler: %s", ner_strerror(rc));
    for (size_t k = 0; k < nsel; k++) {
        const nr_match *x = &m[sel[k]];
        size_t idx = 0;
        rc = ner_doc_add_ent(doc, x->start, x->end, nr_ruleset_label(st->rs, x->pattern),
                             1.0, st->overwrite ? NER_ENT_OVERWRITE : 0, &idx);
        if (rc == NER_EOVERLAP) continue;
        if (rc != NER_OK) return rc;
        const char *id = nr_ruleset_ent_id(st->rs, x->pattern);
        if (id && (rc = ner_doc_set_ent_ent_id(doc, idx, id)) != NER_OK)
            return ner_doc_set_error(doc, rc, "entity_ruler: out of memory");
    }
    return NER_OK;
}

static int ruler_process_batch(const void *state, ner_doc *const *docs, size_t n)
{
    const ruler_state *st = state;
    if (!st || (!docs && n)) return NER_EINVAL;
    ruler_buf b = {0};
    b.scr = nr_scratch_new();
    int first = NER_OK;
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (!docs[i]) rc = NER_EINVAL;
        else if (!b.scr) rc = ner_doc_set_error(docs[i], NER_ENOMEM, "entity_ruler: out of memory");
        else rc = run_doc(st, docs[i], &b);
        if (rc != NER_OK && first == NER_OK) first = rc;
    }
    nr_scratch_free(b.scr);
    free(b.starts);
    free(b.ends);
    return first;
}

static int ruler_process(const void *state, ner_doc *doc)
{
    if (!state || !doc) return NER_EINVAL;
    ner_doc *one[1] = {doc};
    return ruler_process_batch(state, one, 1);
}

static int ruler_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    const ruler_state *st = state;
    if (!st || !dir) {
        nu_errf(errbuf, errlen, "entity_ruler save: state and folder are required");
        return NER_EINVAL;
    }
    char *path = nu_path_join(dir, RULER_FILE);
    if (!path)
        return NER_ENOMEM;
    int rc = nu_write_file(path, st->file_text, st->file_len, errbuf, errlen);
    free(path);
    return rc;
}

static size_t ruler_labels(const void *state, const char *const **labels)
{
    const ruler_state *st = state;
    if (!st) {
        if (labels) *labels = NULL;
        return 0;
    }
    return nr_ruleset_labels(st->rs, labels);
}

const ner_component_vtable nc_entity_ruler_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "entity_ruler",
    .init = ruler_init,
    .process = ruler_process,
    .process_batch = ruler_process_batch,
    .save = ruler_save,
    .free = ruler_free,
    .labels = ruler_labels,
};
