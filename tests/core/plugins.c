#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugins.h"

static int ws_init(void **state, const char *config, const char *dir,
                   char *errbuf, size_t errlen)
{
    *state = NULL;
    return NER_OK;
}

static int ws_process(const void *state, ner_doc *doc)
{
    size_t len;
    const char *t = ner_doc_text(doc, &len);
    size_t *s = malloc((len / 2 + 1) * sizeof *s), *e = malloc((len / 2 + 1) * sizeof *e);
    if (!s || !e) {
        free(s);
        free(e);
        return ner_doc_set_error(doc, NER_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && (t[i] == ' ' || t[i] == '\n' || t[i] == '\t'))
            i++;
        if (i == len)
            break;
        s[n] = i;
        while (i < len && !(t[i] == ' ' || t[i] == '\n' || t[i] == '\t'))
            i++;
        e[n++] = i;
    }
    int rc = ner_doc_set_tokens(doc, s, e, n);
    free(s);
    free(e);
    return rc;
}

static void nop_free(void *state) { (void)state; }

static int ws_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    return NER_OK;
}

const ner_component_vtable test_ws_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "test_ws",
    .init = ws_init,
    .process = ws_process,
    .save = ws_save,
    .free = nop_free,
};

typedef struct caps_state {
    char label[64];
    const char *labels[1];
} caps_state;

static int caps_init(void **state, const char *config, const char *dir,
                     char *errbuf, size_t errlen)
{
    caps_state *st = calloc(1, sizeof *st);
    if (!st)
        return NER_ENOMEM;
    strcpy(st->label, "CAP");
    const char *p = strstr(config, "\"label\":\"");
    if (p) {
        p += 9;
        size_t n = strcspn(p, "\"");
        if (n == 0 || n >= sizeof st->label) {
            free(st);
            snprintf(errbuf, errlen, "label must have 1 to 63 bytes");
            return NER_EFORMAT;
        }
        memcpy(st->label, p, n);
        st->label[n] = '\0';
    }
    st->labels[0] = st->label;
    *state = st;
    return NER_OK;
}

static int caps_process(const void *state, ner_doc *doc)
{
    const caps_state *st = state;
    size_t n = ner_doc_token_count(doc);
    for (size_t i = 0; i < n;) {
        size_t len;
        const char *t = ner_doc_token_text(doc, i, &len);
        if (t[0] >= 'A' && t[0] <= 'Z') {
            size_t j = i + 1;
            while (j < n && (t = ner_doc_token_text(doc, j, &len)) && t[0] >= 'A' && t[0] <= 'Z')
                j++;
            if (!ner_doc_ents_overlap(doc, i, j)) {
                int rc = ner_doc_add_ent(doc, i, j, st->label, 0.5, 0, NULL);
                if (rc != NER_OK)
                    return rc;
            }
            int rc = ner_doc_add_span(doc, "caps", i, j, st->label, 0.5);
            if (rc != NER_OK)
                return rc;
            i = j;
        } else {
            i++;
        }
    }
    return NER_OK;
}

static int caps_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/label.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(errbuf, errlen, "%s: cannot write", path);
        return NER_EIO;
    }
    fputs(((const caps_state *)state)->label, f);
    fclose(f);
    return NER_OK;
}

static size_t caps_labels(const void *state, const char *const **labels)
{
    *labels = ((const caps_state *)state)->labels;
    return 1;
}

const ner_component_vtable test_caps_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "test_caps",
    .init = caps_init,
    .process = caps_process,
    .save = caps_save,
    .free = free,
    .labels = caps_labels,
};

int test_register_plugins(void)
{
    int a = ner_register_factory(&test_ws_vtable);
    int b = ner_register_factory(&test_caps_vtable);
    if ((a != NER_OK && a != NER_EEXIST) || (b != NER_OK && b != NER_EEXIST))
        return a != NER_OK ? a : b;
    return NER_OK;
}
