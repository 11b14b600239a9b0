/* The "tagger" component: the statistical BILUO sequence labeller of
 * lib/tagger over a doc's tokens.
 *
 * Folder (required; `ner train` writes it):
 *   model.bin   the model (lib/tagger/tagger.h: magic, version, checksum),
 *               mapped read-only and validated in full at load
 *   meta.json   optional: labels, feature options, training figures; kept
 *               and written back by save, never needed to predict
 *   gazetteers/ optional: the external name lists the model was trained
 *               with (meta.json "gazetteers"[].file), as text; their
 *               phrases are in model.bin, so these are only kept and
 *               written back by save, for the record
 * Config (every key optional):
 *   {"overwrite": false}  true: the tagger's entities replace overlapping
 *                         ones already on the doc; false (default): an
 *                         entity overlapping an existing one is skipped
 *   {"min_score": 0.0}    drop entities whose confidence is lower
 *
 * Sentences: a token begins one after a line break in the text, or after a
 * ".", "!", "?" or "..." token (ntg_sentence_starts).  Document-level
 * features look at the whole doc.
 *
 * process is reentrant: the model is read-only; scratch is per call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "util/errbuf.h"
#include "components/builtins.h"
#include "util/fs.h"
#include "ner/ner_component.h"
#include "tagger/tagger.h"

#define MAX_GAZ_FILES 16

typedef struct tagger_state {
    ntg_model *model;
    char *meta;        /* meta.json as read, or NULL */
    size_t meta_len;
    int overwrite;
    double min_score;
    /* gazetteers/ files named by meta.json, as read */
    char *gz_name[MAX_GAZ_FILES];
    char *gz_data[MAX_GAZ_FILES];
    size_t gz_len[MAX_GAZ_FILES];
    size_t n_gz;
} tagger_state;


static void tagger_free(void *state)
{
    tagger_state *s = state;
    if (!s)
        return;
    ntg_model_free(s->model);
    free(s->meta);
    for (size_t i = 0; i < s->n_gz; i++) {
        free(s->gz_name[i]);
        free(s->gz_data[i]);
    }
    free(s);
}

/* Reads a small file; NULL when absent. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            if (cap > ((size_t)16 << 20)) { /* meta.json is small */
                free(buf);
                fclose(f);
                return NULL;
            }
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* "gazetteers/NAME" with NAME of [A-Za-z0-9._-], not starting with '.' */
static int gaz_name_ok(const char *f)
{
    static const char pre[] = "gazetteers/";
    size_t pl = sizeof pre - 1, n = strlen(f);
    if (n <= pl || n > 200 || memcmp(f, pre, pl) != 0 || f[pl] == '.')
        return 0;
    for (size_t i = pl; i < n; i++) {
        char c = f[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Reads the name lists meta.json names; a missing or bad one is skipped
 * (they are never needed to predict).  NER_OK or NER_ENOMEM. */
static int load_gaz_files(tagger_state *s, const char *dir)
{
    json_t *meta = json_loadb(s->meta, s->meta_len, 0, NULL);
    json_t *arr = meta ? json_object_get(meta, "gazetteers") : NULL;
    int rc = NER_OK;
    size_t i;
    json_t *e;
    if (json_is_array(arr)) {
        json_array_foreach(arr, i, e) {
            const char *f = json_string_value(json_object_get(e, "file"));
            if (!f || !gaz_name_ok(f) || s->n_gz == MAX_GAZ_FILES)
                continue;
            int dup = 0;
            for (size_t k = 0; k < s->n_gz && !dup; k++)
                dup = strcmp(s->gz_name[k], f) == 0;
            if (dup)
                continue;
            char *path = nu_path_join(dir, f);
            if (!path) {
                rc = NER_ENOMEM;
                break;
            }
            size_t len = 0;
            char *data = slurp(path, &len);
            free(path);
            if (!data)
                continue;
            char *name = strdup(f);
            if (!name) {
                free(data);
                rc = NER_ENOMEM;
                break;
            }
            s->gz_name[s->n_gz] = name;
            s->gz_data[s->n_gz] = data;
            s->gz_len[s->n_gz] = len;
            s->n_gz++;
        }
    }
    json_decref(meta);
    return rc;
}

static int tagger_init(void **state, const char *config_json, const char *dir,
                       char *errbuf, size_t errlen)
{
    if (!state)
        return NER_EINVAL;
    *state = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!cfg || !json_is_object(cfg)) {
        json_decref(cfg);
        nu_errf(errbuf, errlen, "tagger config: not a JSON object");
        return NER_EFORMAT;
    }
    tagger_state *s = calloc(1, sizeof *s);
    if (!s) {
        json_decref(cfg);
        return NER_ENOMEM;
    }
    int rc = NER_OK;
    json_t *v = json_object_get(cfg, "overwrite");
    if (v && !json_is_boolean(v)) {
        nu_errf(errbuf, errlen, "tagger config: \"overwrite\" must be true or false");
        rc = NER_EFORMAT;
        goto done;
    }
    s->overwrite = v && json_is_true(v);
    v = json_object_get(cfg, "min_score");
    if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)) {
        nu_errf(errbuf, errlen, "tagger config: \"min_score\" must be a number in [0, 1]");
        rc = NER_EFORMAT;
        goto done;
    }
    s->min_score = v ? json_number_value(v) : 0.0;
    if (!dir) {
        nu_errf(errbuf, errlen, "the tagger needs a folder with a trained model.bin "
             "(train one with `ner train`)");
        rc = NER_EINVAL;
        goto done;
    }
    char *path = nu_path_join(dir, "model.bin");
    if (!path) {
        rc = NER_ENOMEM;
        goto done;
    }
    rc = ntg_model_load_file(&s->model, path, errbuf, errlen);
    free(path);
    if (rc != NER_OK)
        goto done;
    path = nu_path_join(dir, "meta.json");
    if (!path) {
        rc = NER_ENOMEM;
        goto done;
    }
    s->meta = slurp(path, &s->meta_len);
    free(path);
    if (s->meta)
        rc = load_gaz_files(s, dir);
done:
    json_decref(cfg);
    if (rc != NER_OK) {
        tagger_free(s);
        return rc;
    }
    *state = s;
    return NER_OK;
}

/* Arrays of one doc, reused across the docs of a batch. */
typedef struct tagger_buf {
    const char **words;
    size_t *lens;
    uint8_t *nl, *starts;
    size_t cap;
} tagger_buf;

static void buf_free(tagger_buf *b)
{
    free(b->words);
    free(b->lens);
    free(b->nl);
    free(b->starts);
}

static int run_doc(const tagger_state *s, ner_doc *doc, ntg_scratch *scr,
                   tagger_buf *b)
{
    size_t n = ner_doc_token_count(doc);
    if (n == 0)
        return NER_OK;
    if (n > b->cap) {
        size_t cap = n + n / 2 + 16;
        const char **w = realloc(b->words, cap * sizeof *w);
        if (w) b->words = w;
        size_t *l = realloc(b->lens, cap * sizeof *l);
        if (l) b->lens = l;
        uint8_t *nl = realloc(b->nl, cap);
        if (nl) b->nl = nl;
        uint8_t *st = realloc(b->starts, cap);
        if (st) b->starts = st;
        if (!w || !l || !nl || !st)
            return ner_doc_set_error(doc, NER_ENOMEM, "tagger: out of memory");
        b->cap = cap;
    }
    size_t tlen = 0;
    const char *text = ner_doc_text(doc, &tlen);
    size_t prev_end = ner_doc_leading_ws_bytes(doc);
    for (size_t i = 0; i < n; i++) {
        size_t st = 0, en = 0;
        ner_doc_token_bytes(doc, i, &st, &en, NULL);
        b->words[i] = text + st;
        b->lens[i] = en - st;
        b->nl[i] = i > 0 && memchr(text + prev_end, '\n', st - prev_end) != NULL;
        prev_end = en;
    }
    ntg_sentence_starts(b->words, b->lens, n, b->nl, b->starts);
    ntg_doc d = {b->words, b->lens, n, b->starts};
    const ntg_span *sp = NULL;
    size_t ns = 0;
    int rc = ntg_predict(s->model, &d, scr, 0, &sp, &ns, NULL);
    if (rc != NER_OK)
        return ner_doc_set_error(doc, rc, "tagger: %s", ner_strerror(rc));
    for (size_t k = 0; k < ns; k++) {
        if (sp[k].score < s->min_score)
            continue;
        double score = sp[k].score;
        if (!(score >= 0)) score = 0;
        if (score > 1) score = 1;
        rc = ner_doc_add_ent(doc, sp[k].start, sp[k].end,
                             ntg_model_label(s->model, sp[k].label), score,
                             s->overwrite ? NER_ENT_OVERWRITE : 0, NULL);
        if (rc == NER_EOVERLAP)
            continue;
        if (rc != NER_OK)
            return rc;
    }
    return NER_OK;
}

static int tagger_process_batch(const void *state, ner_doc *const *docs, size_t n)
{
    const tagger_state *s = state;
    ntg_scratch *scr = ntg_scratch_new();
    if (!scr) {
        for (size_t i = 0; i < n; i++)
            ner_doc_set_error(docs[i], NER_ENOMEM, "tagger: out of memory");
        return NER_ENOMEM;
    }
    tagger_buf b = {0};
    int first = NER_OK;
    for (size_t i = 0; i < n; i++) {
        int rc = run_doc(s, docs[i], scr, &b);
        if (rc != NER_OK && first == NER_OK)
            first = rc;
    }
    buf_free(&b);
    ntg_scratch_free(scr);
    return first;
}

static int tagger_process(const void *state, ner_doc *doc)
{
    ner_doc *one[1] = {doc};
    return tagger_process_batch(state, one, 1);
}

static int tagger_save(const void *state, const char *dir, char *errbuf,
                       size_t errlen)
{
    const tagger_state *s = state;
    char *path = nu_path_join(dir, "model.bin");
    if (!path)
        return NER_ENOMEM;
    int rc = ntg_model_save(s->model, path, errbuf, errlen);
    free(path);
    if (rc != NER_OK || !s->meta)
        return rc;
    path = nu_path_join(dir, "meta.json");
    if (!path)
        return NER_ENOMEM;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s->meta, 1, s->meta_len, f) == s->meta_len;
    if (f)
        ok &= fclose(f) == 0;
    if (!ok) {
        nu_errf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = NER_EIO;
    }
    free(path);
    if (rc == NER_OK && s->n_gz) {
        path = nu_path_join(dir, "gazetteers");
        if (!path)
            return NER_ENOMEM;
        rc = nu_mkdir_p(path, errbuf, errlen);
        free(path);
    }
    for (size_t i = 0; rc == NER_OK && i < s->n_gz; i++) {
        path = nu_path_join(dir, s->gz_name[i]);
        if (!path)
            return NER_ENOMEM;
        rc = nu_write_file(path, s->gz_data[i], s->gz_len[i], errbuf, errlen);
        free(path);
    }
    return rc;
}

static size_t tagger_labels(const void *state, const char *const **labels)
{
    const tagger_state *s = state;
    *labels = ntg_model_labels(s->model);
    return ntg_model_label_count(s->model);
}

const ner_component_vtable nc_tagger_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "tagger",
    .init = tagger_init,
    .process = tagger_process,
    .process_batch = tagger_process_batch,
    .save = tagger_save,
    .free = tagger_free,
    .labels = tagger_labels,
};
