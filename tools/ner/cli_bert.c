/* --aggregation, --words and --precision: a model folder's "bert_tagger" with those config
 * keys changed, through the public API (ner_builder_from_dir, then the
 * component removed and added again with the merged config, at its place). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

ner_pipeline *cli_load_bert(const char *model, const char *aggregation, const char *words)
{
    return cli_load_bert_ex(model, aggregation, words, NULL);
}

ner_pipeline *cli_load_bert_ex(const char *model, const char *aggregation, const char *words,
                               const char *precision)
{
    if (!aggregation && !words && !precision)
        return cli_load(model);
    if (!model) {
        cli_err("--aggregation, --words and --precision need --model DIR (a BERT model "
                "folder)");
        return NULL;
    }
    ner_pipeline *pl = NULL;
    ner_builder *b = NULL;
    json_t *root = NULL, *cfg = NULL;
    char *name = NULL, *next = NULL, *dir = NULL, *cfgs = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    char *pj = join(model, "pipeline.json");
    struct stat sb;
    if (pj && stat(pj, &sb) == 0) {
        /* a saved pipeline: the bert_tagger's own config, name and place */
        json_error_t je;
        root = json_load_file(pj, 0, &je);
        json_t *comps = json_object_get(root, "components");
        for (size_t i = 0; i < json_array_size(comps); i++) {
            json_t *c = json_array_get(comps, i);
            const char *f = json_string_value(json_object_get(c, "factory"));
            const char *nm = json_string_value(json_object_get(c, "name"));
            if (!f || !nm || strcmp(f, "bert_tagger") != 0)
                continue;
            name = strdup(nm);
            json_t *cc = json_object_get(c, "config");
            cfg = json_is_object(cc) ? json_deep_copy(cc) : json_object();
            const char *nx = json_string_value(json_object_get(json_array_get(comps, i + 1), "name"));
            if (nx)
                next = strdup(nx);
            dir = join(model, nm);
            break;
        }
    } else {
        /* a Hugging Face folder: wordpiece + bert_tagger on the folder itself */
        name = strdup("bert_tagger");
        cfg = json_object();
        dir = strdup(model);
    }
    if (!name || !cfg || !dir) {
        cli_err("%s has no bert_tagger component for --aggregation, --words or --precision",
                model);
        goto out;
    }
    if (aggregation)
        json_object_set_new(cfg, "aggregation", json_string(aggregation));
    if (words)
        json_object_set_new(cfg, "words", json_string(words));
    if (precision)
        json_object_set_new(cfg, "precision", json_string(precision));
    cfgs = json_dumps(cfg, JSON_COMPACT);
    int rc = ner_builder_from_dir(&b, model, err, sizeof err);
    if (rc == NER_OK)
        rc = ner_builder_remove(b, name);
    if (rc == NER_OK) {
        ner_add_params p;
        ner_add_params_init(&p, sizeof p);
        p.name = name;
        p.dir = dir;
        p.before = next;
        rc = ner_builder_add(b, "bert_tagger", cfgs, &p, err, sizeof err);
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, &pl, err, sizeof err);
    if (rc != NER_OK)
        cli_err("cannot load %s: %s (%s)", model, *err ? err : "failed", ner_strerror(rc));
out:
    ner_builder_free(b);
    json_decref(root);
    json_decref(cfg);
    free(cfgs);
    free(pj);
    free(name);
    free(next);
    free(dir);
    return pl;
}
