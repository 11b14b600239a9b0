/* The "tagger" component: the statistical BILUO sequence labeller of
 * lib/tagger over a doc's tokens.
 *
 * Folder (required; `ner train` writes it):
 *   model.bin   the model (lib/tagger/tagger.h: magic, version, checksum),
 *               mapped read-only and validated in full at load
 *   meta.json   optional: labels, feature options, training figures; kept
 *               and written back by save, never needed to predict
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

#include "components/builtins.h"
#include "ner/ner_component.h"
#include "tagger/tagger.h"

typedef struct tagger_state {
    ntg_model *model;
    char *meta;        /* meta.json as read, or NULL */
    size_t meta_len;
    int overwrite;
    double min_score;
} tagger_state;

static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

static void tagger_free(void *state)
{
    tagger_state *s = state;
    if (!s)
        return;
    ntg_model_free(s->model);
    free(s->meta);
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
        errf(errbuf, errlen, "tagger config: not a JSON object");
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
        errf(errbuf, errlen, "tagger config: \"overwrite\" must be true or false");
        rc = NER_EFORMAT;
        goto done;
    }
    s->overwrite = v && json_is_true(v);
    v = json_object_get(cfg, "min_score");
    if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)) {
        errf(errbuf, errlen, "tagger config: \"min_score\" must be a number in [0, 1]");
        rc = NER_EFORMAT;
        goto done;
    }
    s->min_score = v ? json_number_value(v) : 0.0;
    if (!dir) {
        errf(errbuf, errlen, "the tagger needs a folder with a trained model.bin "
             "(train one with `ner train`)");
        rc = NER_EINVAL;
        goto done;
    }
    char *path = join(dir, "model.bin");
    if (!path) {
        rc = NER_ENOMEM;
        goto done;
    }
    rc = ntg_model_load_file(&s->model, path, errbuf, errlen);
    free(path);
    if (rc != NER_OK)
        goto done;
    path = join(dir, "meta.json");
    if (!path) {
        rc = NER_ENOMEM;
        goto done;
    }
    s->meta = slurp(path, &s->meta_len);
    free(path);
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
    char *path = join(dir, "model.bin");
    if (!path)
        return NER_ENOMEM;
    int rc = ntg_model_save(s->model, path, errbuf, errlen);
    free(path);
    if (rc != NER_OK || !s->meta)
        return rc;
    path = join(dir, "meta.json");
    if (!path)
        return NER_ENOMEM;
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(s->meta, 1, s->meta_len, f) == s->meta_len;
    if (f)
        ok &= fclose(f) == 0;
    if (!ok) {
        errf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
        rc = NER_EIO;
    }
    free(path);
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
