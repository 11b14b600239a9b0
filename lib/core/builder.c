/* Builders: assemble components, from scratch or from a pipeline folder. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util/fs.h"
#include "core/internal.h"
#include "core/params.h"

void nc_comp_clear(nc_comp *c)
{
    if (c->vt && c->state)
        c->vt->free(c->state);
    free(c->name);
    free(c->factory);
    free(c->config);
    memset(c, 0, sizeof *c);
}

static void builder_clear(ner_builder *b)
{
    for (size_t i = 0; i < b->ncomp; i++)
        nc_comp_clear(&b->comps[i]);
    b->ncomp = 0;
    for (size_t i = 0; i < b->nlabels; i++)
        free(b->labels[i]);
    free(b->labels);
    b->labels = NULL;
    b->nlabels = 0;
}

NER_API void ner_builder_free(ner_builder *b)
{
    if (!b)
        return;
    builder_clear(b);
    free(b->comps);
    free(b->lang);
    free(b);
}

static ner_builder *builder_alloc(const char *lang)
{
    ner_builder *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (!(b->lang = nc_strdup(lang))) {
        free(b);
        return NULL;
    }
    return b;
}

static size_t find_comp(const ner_builder *b, const char *name)
{
    for (size_t i = 0; i < b->ncomp; i++)
        if (strcmp(b->comps[i].name, name) == 0)
            return i;
    return (size_t)-1;
}

/* Creates the component and inserts it at position pos. */
static int builder_insert(ner_builder *b, size_t pos, const char *factory,
                          const char *name, const char *config_json,
                          const char *dir, char *errbuf, size_t errlen)
{
    const ner_component_vtable *vt = nc_registry_find(factory);
    if (!vt) {
        nu_errf(errbuf, errlen, "no component factory called \"%s\"", factory);
        return NER_ENOTFOUND;
    }
    if (find_comp(b, name) != (size_t)-1) {
        nu_errf(errbuf, errlen, "the pipeline already has a component called \"%s\"", name);
        return NER_EEXIST;
    }
    json_error_t jerr;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &jerr);
    if (!cfg) {
        nu_errf(errbuf, errlen, "config of \"%s\": line %d column %d: %s",
                name, jerr.line, jerr.column, jerr.text);
        return NER_EFORMAT;
    }
    if (!json_is_object(cfg)) {
        json_decref(cfg);
        nu_errf(errbuf, errlen, "config of \"%s\" must be a JSON object", name);
        return NER_EFORMAT;
    }
    char *cfg_text = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(cfg);
    if (b->ncomp == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        nc_comp *v = realloc(b->comps, cap * sizeof *v);
        if (!v) {
            free(cfg_text);
            return NER_ENOMEM;
        }
        b->comps = v;
        b->cap = cap;
    }
    nc_comp c = {0};
    c.vt = vt;
    c.name = nc_strdup(name);
    c.factory = nc_strdup(factory);
    c.config = cfg_text;
    if (!c.name || !c.factory || !c.config) {
        nc_comp_clear(&c);
        return NER_ENOMEM;
    }
    char sub[NER_ERRBUF_SIZE] = "";
    int rc = vt->init(&c.state, c.config, dir, sub, sizeof sub);
    if (rc != NER_OK) {
        c.state = NULL;
        nc_comp_clear(&c);
        nu_errf(errbuf, errlen, "component \"%s\" (%s): %s", name, factory,
                *sub ? sub : ner_strerror(rc));
        return rc;
    }
    memmove(b->comps + pos + 1, b->comps + pos, (b->ncomp - pos) * sizeof *b->comps);
    b->comps[pos] = c;
    b->ncomp++;
    return NER_OK;
}

NER_API int ner_builder_new(ner_builder **out, const char *lang, char *errbuf,
                            size_t errlen)
{
    if (!out)
        return NER_EINVAL;
    *out = NULL;
    if (!lang)
        lang = "en";
    ner_builder *b = builder_alloc(lang);
    if (!b)
        return NER_ENOMEM;
    json_t *cfg = json_pack("{s:s}", "lang", lang);
    char *cfg_text = cfg ? json_dumps(cfg, JSON_COMPACT) : NULL;
    json_decref(cfg);
    int rc = cfg_text ? builder_insert(b, 0, "tokenizer", "tokenizer", cfg_text,
                                       NULL, errbuf, errlen)
                      : NER_ENOMEM;
    free(cfg_text);
    if (rc != NER_OK) {
        ner_builder_free(b);
        return rc;
    }
    *out = b;
    return NER_OK;
}

NER_API int ner_builder_add(ner_builder *b, const char *factory,
                            const char *config_json, const ner_add_params *p,
                            char *errbuf, size_t errlen)
{
    if (!b || !factory) {
        nu_errf(errbuf, errlen, "ner_builder_add: builder and factory are required");
        return NER_EINVAL;
    }
    if (p && p->size < NC_PARAMS_MIN(ner_add_params, flags)) {
        nu_errf(errbuf, errlen, "ner_add_params: size %u is too small", p->size);
        return NER_EABI;
    }
    const char *name = NC_PARAM(p, ner_add_params, name, NULL);
    const char *before = NC_PARAM(p, ner_add_params, before, NULL);
    const char *after = NC_PARAM(p, ner_add_params, after, NULL);
    const char *dir = NC_PARAM(p, ner_add_params, dir, NULL);
    if (!name)
        name = factory;
    if (!*name) {
        nu_errf(errbuf, errlen, "a component name must not be empty");
        return NER_EINVAL;
    }
    if (before && after) {
        nu_errf(errbuf, errlen, "give before or after, not both");
        return NER_EINVAL;
    }
    size_t pos = b->ncomp;
    const char *anchor = before ? before : after;
    if (anchor) {
        size_t i = find_comp(b, anchor);
        if (i == (size_t)-1) {
            nu_errf(errbuf, errlen, "no component called \"%s\" to add \"%s\" %s",
                    anchor, name, before ? "before" : "after");
            return NER_ENOTFOUND;
        }
        pos = before ? i : i + 1;
    }
    return builder_insert(b, pos, factory, name, config_json, dir, errbuf, errlen);
}

NER_API int ner_builder_remove(ner_builder *b, const char *name)
{
    if (!b || !name)
        return NER_EINVAL;
    size_t i = find_comp(b, name);
    if (i == (size_t)-1)
        return NER_ENOTFOUND;
    nc_comp_clear(&b->comps[i]);
    memmove(b->comps + i, b->comps + i + 1, (b->ncomp - i - 1) * sizeof *b->comps);
    b->ncomp--;
    return NER_OK;
}

/* Safe as a folder name: no separators, no dot-dot, not empty. */
static int name_is_safe(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (; *s; s++)
        if (*s == '/' || *s == '\\')
            return 0;
    return 1;
}

/* A Hugging Face token-classification folder (config.json, weights,
 * vocab.txt or tokenizer.json) is a pipeline of two components that both
 * read the folder as it is: no conversion step. */
static int hf_builder(ner_builder **out, const char *dir, char *errbuf,
                      size_t errlen)
{
    ner_builder *b = builder_alloc("en");
    if (!b)
        return NER_ENOMEM;
    static const char *const factories[] = {"wordpiece", "bert_tagger"};
    for (size_t i = 0; i < 2; i++) {
        char cerr[NER_ERRBUF_SIZE] = "";
        int rc = builder_insert(b, b->ncomp, factories[i], factories[i], "{}",
                                dir, cerr, sizeof cerr);
        if (rc != NER_OK) {
            nu_errf(errbuf, errlen, "%s (a Hugging Face model folder): %s", dir, cerr);
            ner_builder_free(b);
            return rc;
        }
    }
    *out = b;
    return NER_OK;
}

NER_API int ner_builder_from_dir(ner_builder **out, const char *dir,
                                 char *errbuf, size_t errlen)
{
    if (!out || !dir) {
        nu_errf(errbuf, errlen, "ner_builder_from_dir: a folder is required");
        return NER_EINVAL;
    }
    *out = NULL;
    char *path = nu_path_join(dir, "pipeline.json");
    if (!path)
        return NER_ENOMEM;
    if (!nu_is_file(path)) {
        char *hf = nu_path_join(dir, "config.json");
        int is_hf = hf && nu_is_file(hf);
        free(hf);
        if (is_hf) {
            free(path);
            return hf_builder(out, dir, errbuf, errlen);
        }
    }
    char *text = NULL;
    size_t len = 0;
    int rc = nu_read_file(path, &text, &len, errbuf, errlen);
    if (rc != NER_OK) {
        free(path);
        return rc == NER_EIO ? NER_ENOTFOUND : rc;
    }
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    ner_builder *b = NULL;
    if (!root) {
        nu_errf(errbuf, errlen, "%s: line %d column %d: %s", path, jerr.line,
                jerr.column, jerr.text);
        rc = NER_EFORMAT;
        goto done;
    }
    const char *lang = "en";
    json_t *jl = json_object_get(root, "lang");
    json_t *jc = json_object_get(root, "components");
    json_t *jlab = json_object_get(root, "labels");
    if (!json_is_object(root) || (jl && !json_is_string(jl)) || !json_is_array(jc) ||
        (jlab && !json_is_array(jlab))) {
        nu_errf(errbuf, errlen, "%s: expected an object with \"lang\" (string), "
                "\"components\" (array) and optional \"labels\" (array)", path);
        rc = NER_EFORMAT;
        goto done;
    }
    if (jl)
        lang = json_string_value(jl);
    if (!(b = builder_alloc(lang))) {
        rc = NER_ENOMEM;
        goto done;
    }
    size_t i;
    json_t *v;
    json_array_foreach(jlab, i, v) {
        if (!json_is_string(v)) {
            nu_errf(errbuf, errlen, "%s: labels[%zu] is not a string", path, i);
            rc = NER_EFORMAT;
            goto done;
        }
        char **nl = realloc(b->labels, (b->nlabels + 1) * sizeof *nl);
        if (!nl || !(nl[b->nlabels] = nc_strdup(json_string_value(v)))) {
            if (nl) b->labels = nl;
            rc = NER_ENOMEM;
            goto done;
        }
        b->labels = nl;
        b->nlabels++;
    }
    json_array_foreach(jc, i, v) {
        json_t *jn = json_object_get(v, "name");
        json_t *jf = json_object_get(v, "factory");
        json_t *jcfg = json_object_get(v, "config");
        if (!json_is_object(v) || !json_is_string(jf) || (jn && !json_is_string(jn)) ||
            (jcfg && !json_is_object(jcfg))) {
            nu_errf(errbuf, errlen, "%s: components[%zu] needs \"factory\" "
                    "(string), optional \"name\" (string) and \"config\" (object)",
                    path, i);
            rc = NER_EFORMAT;
            goto done;
        }
        const char *name = jn ? json_string_value(jn) : json_string_value(jf);
        if (!name_is_safe(name)) {
            nu_errf(errbuf, errlen, "%s: components[%zu]: name \"%s\" cannot be "
                    "a folder name", path, i, name);
            rc = NER_EFORMAT;
            goto done;
        }
        char *cfg = jcfg ? json_dumps(jcfg, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        char *sub = nu_path_join(dir, name);
        if ((jcfg && !cfg) || !sub) {
            free(cfg);
            free(sub);
            rc = NER_ENOMEM;
            goto done;
        }
        char cerr[NER_ERRBUF_SIZE] = "";
        rc = builder_insert(b, b->ncomp, json_string_value(jf), name, cfg,
                            nu_is_dir(sub) ? sub : NULL, cerr, sizeof cerr);
        free(cfg);
        free(sub);
        if (rc != NER_OK) {
            nu_errf(errbuf, errlen, "%s: %s", dir, cerr);
            goto done;
        }
    }
    rc = NER_OK;
done:
    json_decref(root);
    free(path);
    if (rc != NER_OK) {
        ner_builder_free(b);
        return rc;
    }
    *out = b;
    return NER_OK;
}
