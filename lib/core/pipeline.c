/* Built pipelines: immutable, reference-counted, shared by threads. */
#include <dlfcn.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util/fs.h"
#include "core/internal.h"
#include "core/params.h"

void nc_pipeline_ref(ner_pipeline *pl)
{
    atomic_fetch_add_explicit(&pl->refs, 1, memory_order_relaxed);
}

void nc_pipeline_unref(ner_pipeline *pl)
{
    if (atomic_fetch_sub_explicit(&pl->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (size_t i = pl->ncomp; i-- > 0;)
        nc_comp_clear(&pl->comps[i]);
    free(pl->comps);
    for (size_t i = 0; i < pl->nlabels; i++)
        free(pl->labels[i]);
    free(pl->labels);
    free(pl->lang);
    free(pl);
}

NER_API void ner_pipeline_free(ner_pipeline *pl)
{
    if (pl)
        nc_pipeline_unref(pl);
}

static int add_label(ner_pipeline *pl, const char *label)
{
    for (size_t i = 0; i < pl->nlabels; i++)
        if (strcmp(pl->labels[i], label) == 0)
            return NER_OK;
    char **v = realloc(pl->labels, (pl->nlabels + 1) * sizeof *v);
    if (!v)
        return NER_ENOMEM;
    pl->labels = v;
    if (!(v[pl->nlabels] = nc_strdup(label)))
        return NER_ENOMEM;
    pl->nlabels++;
    return NER_OK;
}

NER_API int ner_builder_build(ner_builder *b, ner_pipeline **out, char *errbuf,
                              size_t errlen)
{
    if (!b || !out) {
        nu_errf(errbuf, errlen, "ner_builder_build: builder and out are required");
        return NER_EINVAL;
    }
    *out = NULL;
    ner_pipeline *pl = calloc(1, sizeof *pl);
    if (!pl || !(pl->lang = nc_strdup(b->lang))) {
        free(pl);
        return NER_ENOMEM;
    }
    atomic_init(&pl->refs, 1);
    /* The labels are what the components say they produce.  The labels a
     * pipeline.json declared count only when some component cannot say
     * (a plugin without labels()): a removed component's labels must go. */
    int rc = NER_OK, silent = 0;
    for (size_t i = 0; rc == NER_OK && i < b->ncomp; i++) {
        const nc_comp *c = &b->comps[i];
        if (c->vt->size < offsetof(ner_component_vtable, labels) + sizeof c->vt->labels ||
            !c->vt->labels) {
            silent = 1;
            continue;
        }
        const char *const *labels = NULL;
        size_t n = c->vt->labels(c->state, &labels);
        for (size_t k = 0; rc == NER_OK && k < n; k++)
            rc = add_label(pl, labels[k]);
    }
    for (size_t i = 0; rc == NER_OK && silent && i < b->nlabels; i++)
        rc = add_label(pl, b->labels[i]);
    if (rc != NER_OK) {
        nc_pipeline_unref(pl);
        return rc;
    }
    /* The components move over; the builder is left empty. */
    pl->comps = b->comps;
    pl->ncomp = b->ncomp;
    b->comps = NULL;
    b->ncomp = b->cap = 0;
    *out = pl;
    return NER_OK;
}

static void set_log(ner_pipeline *pl, const ner_load_params *p)
{
    pl->log = NC_PARAM(p, ner_load_params, log, NULL);
    pl->log_user = NC_PARAM(p, ner_load_params, log_user, NULL);
}

/* The folder of the default pipeline: the source tree's when this library
 * lives in its build tree, else the installed one. */
NER_API const char *ner_default_pipeline_dir(void)
{
    static const char anchor; /* any object of this library will do */
    Dl_info info;
    int in_build = 0;
    if (dladdr(&anchor, &info) && info.dli_fname)
        in_build = strncmp(info.dli_fname, NER_BUILD_ROOT, strlen(NER_BUILD_ROOT)) == 0;
    const char *first = in_build ? NER_MODELDIR_SOURCE : NER_MODELDIR_INSTALLED;
    const char *second = in_build ? NER_MODELDIR_INSTALLED : NER_MODELDIR_SOURCE;
    char *p = nu_path_join(first, "pipeline.json");
    int ok = p && nu_is_file(p);
    free(p);
    if (ok)
        return first;
    p = nu_path_join(second, "pipeline.json");
    ok = p && nu_is_file(p);
    free(p);
    return ok ? second : NULL;
}

NER_API int ner_pipeline_load(ner_pipeline **out, const char *dir,
                              const ner_load_params *p, char *errbuf,
                              size_t errlen)
{
    if (!out) {
        nu_errf(errbuf, errlen, "ner_pipeline_load: out is required");
        return NER_EINVAL;
    }
    *out = NULL;
    if (p && p->size < NC_PARAMS_MIN(ner_load_params, flags)) {
        nu_errf(errbuf, errlen, "ner_load_params: size %u is too small", p->size);
        return NER_EABI;
    }
    if (!dir) {
        dir = ner_default_pipeline_dir();
        if (!dir) {
            nu_errf(errbuf, errlen, "the default pipeline was not found at %s "
                    "nor at %s", NER_MODELDIR_INSTALLED, NER_MODELDIR_SOURCE);
            return NER_ENOTFOUND;
        }
    }
    if (!nu_is_dir(dir)) {
        nu_errf(errbuf, errlen, "%s: no such folder", dir);
        return NER_ENOTFOUND;
    }
    char *pj = nu_path_join(dir, "pipeline.json");
    char *hf = nu_path_join(dir, "config.json");
    int has_pj = pj && nu_is_file(pj), has_hf = hf && nu_is_file(hf);
    free(pj);
    free(hf);
    if (!has_pj && !has_hf) {
        nu_errf(errbuf, errlen, "%s: no pipeline.json (nor a Hugging Face "
                "config.json) in the folder", dir);
        return NER_ENOTFOUND;
    }
    ner_builder *b = NULL;
    int rc = ner_builder_from_dir(&b, dir, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    rc = ner_builder_build(b, out, errbuf, errlen);
    ner_builder_free(b);
    if (rc == NER_OK)
        set_log(*out, p);
    return rc;
}

NER_API int ner_pipeline_save(const ner_pipeline *pl, const char *dir,
                              char *errbuf, size_t errlen)
{
    if (!pl || !dir) {
        nu_errf(errbuf, errlen, "ner_pipeline_save: pipeline and folder are required");
        return NER_EINVAL;
    }
    for (size_t i = 0; i < pl->ncomp; i++) {
        const ner_component_vtable *vt = pl->comps[i].vt;
        if (vt->size < offsetof(ner_component_vtable, save) + sizeof vt->save ||
            !vt->save) {
            nu_errf(errbuf, errlen, "component \"%s\" (%s) cannot be saved",
                    pl->comps[i].name, pl->comps[i].factory);
            return NER_EUNSUPPORTED;
        }
    }
    int rc = nu_mkdir_p(dir, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    json_t *root = json_object();
    json_t *comps = json_array();
    json_t *labels = json_array();
    if (!root || !comps || !labels) {
        json_decref(root);
        json_decref(comps);
        json_decref(labels);
        return NER_ENOMEM;
    }
    json_object_set_new(root, "lang", json_string(pl->lang));
    json_object_set_new(root, "libner_version", json_string(NER_VERSION_STRING));
    json_object_set_new(root, "labels", labels);
    json_object_set_new(root, "components", comps);
    for (size_t i = 0; i < pl->nlabels; i++)
        json_array_append_new(labels, json_string(pl->labels[i]));
    for (size_t i = 0; rc == NER_OK && i < pl->ncomp; i++) {
        const nc_comp *c = &pl->comps[i];
        char *sub = nu_path_join(dir, c->name);
        if (!sub) {
            rc = NER_ENOMEM;
            break;
        }
        rc = nu_mkdir_p(sub, errbuf, errlen);
        if (rc == NER_OK) {
            char cerr[NER_ERRBUF_SIZE] = "";
            rc = c->vt->save(c->state, sub, cerr, sizeof cerr);
            if (rc != NER_OK)
                nu_errf(errbuf, errlen, "component \"%s\" (%s): %s", c->name,
                        c->factory, *cerr ? cerr : ner_strerror(rc));
        }
        free(sub);
        json_t *cfg = json_loads(c->config, 0, NULL);
        json_array_append_new(comps, json_pack("{s:s,s:s,s:o}", "name", c->name,
            "factory", c->factory, "config", cfg ? cfg : json_object()));
    }
    if (rc == NER_OK) {
        char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        char *path = nu_path_join(dir, "pipeline.json");
        if (!text || !path)
            rc = NER_ENOMEM;
        else
            rc = nu_write_file(path, text, strlen(text), errbuf, errlen);
        free(text);
        free(path);
    }
    json_decref(root);
    return rc;
}

NER_API const char *ner_pipeline_lang(const ner_pipeline *pl) { return pl ? pl->lang : NULL; }
NER_API size_t ner_pipeline_component_count(const ner_pipeline *pl) { return pl ? pl->ncomp : 0; }

NER_API const char *ner_pipeline_component_name(const ner_pipeline *pl, size_t i)
{
    return pl && i < pl->ncomp ? pl->comps[i].name : NULL;
}

NER_API const char *ner_pipeline_component_factory(const ner_pipeline *pl, size_t i)
{
    return pl && i < pl->ncomp ? pl->comps[i].factory : NULL;
}

NER_API size_t ner_pipeline_label_count(const ner_pipeline *pl) { return pl ? pl->nlabels : 0; }

NER_API const char *ner_pipeline_label(const ner_pipeline *pl, size_t i)
{
    return pl && i < pl->nlabels ? pl->labels[i] : NULL;
}
