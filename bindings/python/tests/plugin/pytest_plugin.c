/* A component plugin for the Python tests: public headers only.
 *
 * pytest_plugin_register() registers two factories in the libner already
 * loaded in the process (the plugin links to libner.so.0, which the dynamic
 * loader shares with the copy Python loaded):
 *
 *   "pytest_caps"  every run of tokens starting with an ASCII capital becomes
 *                  an entity (label from config {"label": "..."}, default
 *                  "CAP"; score 0.5; kb_id "Q<first token byte length>";
 *                  ent_id "caps"), and each such run and each of its tokens
 *                  go into the span group "caps" (so spans overlap).
 *                  Saves its label in label.txt and reads it back.
 *   "pytest_fail"  fails on a text containing "FAIL" (NER_EINVAL, with a
 *                  message on the doc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner_component.h"

#if defined(__GNUC__)
#define PLUGIN_API __attribute__((visibility("default")))
#else
#define PLUGIN_API
#endif

typedef struct caps_state {
    char label[64];
    const char *labels[1];
} caps_state;

static int set_label(caps_state *st, const char *p, size_t n, char *errbuf,
                     size_t errlen)
{
    if (n == 0 || n >= sizeof st->label) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "pytest_caps: label must have 1 to 63 bytes");
        return NER_EFORMAT;
    }
    memcpy(st->label, p, n);
    st->label[n] = '\0';
    return NER_OK;
}

static int caps_init(void **state, const char *config, const char *dir,
                     char *errbuf, size_t errlen)
{
    caps_state *st = calloc(1, sizeof *st);
    if (!st)
        return NER_ENOMEM;
    strcpy(st->label, "CAP");
    int rc = NER_OK;
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/label.txt", dir);
        FILE *f = fopen(path, "r");
        if (f) {
            char buf[64];
            size_t n = fread(buf, 1, sizeof buf, f);
            fclose(f);
            rc = set_label(st, buf, n, errbuf, errlen);
        }
    }
    /* The config is compact JSON written by libner: {"label":"X"}. */
    const char *p = config ? strstr(config, "\"label\":\"") : NULL;
    if (rc == NER_OK && p) {
        p += 9;
        rc = set_label(st, p, strcspn(p, "\""), errbuf, errlen);
    }
    if (rc != NER_OK) {
        free(st);
        return rc;
    }
    st->labels[0] = st->label;
    *state = st;
    return NER_OK;
}

static int starts_upper(const ner_doc *doc, size_t i)
{
    size_t len = 0;
    const char *t = ner_doc_token_text(doc, i, &len);
    return t && len && t[0] >= 'A' && t[0] <= 'Z';
}

static int caps_process(const void *state, ner_doc *doc)
{
    const caps_state *st = state;
    size_t n = ner_doc_token_count(doc);
    for (size_t i = 0; i < n;) {
        if (!starts_upper(doc, i)) {
            i++;
            continue;
        }
        size_t j = i + 1;
        while (j < n && starts_upper(doc, j))
            j++;
        int rc = NER_OK;
        if (!ner_doc_ents_overlap(doc, i, j)) {
            size_t idx = 0, len = 0;
            char kb[32];
            (void)ner_doc_token_text(doc, i, &len);
            snprintf(kb, sizeof kb, "Q%zu", len);
            rc = ner_doc_add_ent(doc, i, j, st->label, 0.5, 0, &idx);
            if (rc == NER_OK)
                rc = ner_doc_set_ent_kb(doc, idx, kb, 0.25);
            if (rc == NER_OK)
                rc = ner_doc_set_ent_ent_id(doc, idx, "caps");
        }
        if (rc == NER_OK)
            rc = ner_doc_add_span(doc, "caps", i, j, st->label, 0.5);
        for (size_t k = i; rc == NER_OK && j - i > 1 && k < j; k++)
            rc = ner_doc_add_span(doc, "caps", k, k + 1, "WORD", 0.25);
        if (rc != NER_OK)
            return rc;
        i = j;
    }
    return NER_OK;
}

static int caps_save(const void *state, const char *dir, char *errbuf,
                     size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/label.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: cannot write", path);
        return NER_EIO;
    }
    fputs(((const caps_state *)state)->label, f);
    return fclose(f) == 0 ? NER_OK : NER_EIO;
}

static size_t caps_labels(const void *state, const char *const **labels)
{
    *labels = ((const caps_state *)state)->labels;
    return 1;
}

static const ner_component_vtable caps_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "pytest_caps",
    .init = caps_init,
    .process = caps_process,
    .save = caps_save,
    .free = free,
    .labels = caps_labels,
};

static int fail_init(void **state, const char *config, const char *dir,
                     char *errbuf, size_t errlen)
{
    *state = NULL;
    return NER_OK;
}

static int fail_process(const void *state, ner_doc *doc)
{
    size_t len = 0;
    const char *t = ner_doc_text(doc, &len);
    for (size_t i = 0; i + 4 <= len; i++)
        if (memcmp(t + i, "FAIL", 4) == 0)
            return ner_doc_set_error(doc, NER_EINVAL,
                                     "pytest_fail: FAIL at byte %zu", i);
    return NER_OK;
}

static int fail_save(const void *state, const char *dir, char *errbuf,
                     size_t errlen)
{
    return NER_OK;
}

static void nop_free(void *state) { (void)state; }

static const ner_component_vtable fail_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "pytest_fail",
    .init = fail_init,
    .process = fail_process,
    .save = fail_save,
    .free = nop_free,
};

/* NER_OK when both factories are registered (now or before). */
PLUGIN_API int pytest_plugin_register(void);

PLUGIN_API int pytest_plugin_register(void)
{
    int a = ner_register_factory(&caps_vtable);
    int b = ner_register_factory(&fail_vtable);
    if (a != NER_OK && a != NER_EEXIST)
        return a;
    if (b != NER_OK && b != NER_EEXIST)
        return b;
    return NER_OK;
}
