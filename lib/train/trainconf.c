/* Training config: defaults, parsing, documentation; params _init calls. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/params.h"
#include "io/buf.h"
#include "ner/ner_component.h"
#include "ner/ner_train.h"
#include "train/trainconf.h"

void ntr_config_default(ntr_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_steps = 20000;
    c->max_epochs = 0;
    c->patience = 3000;
    c->eval_frequency = 200;
    c->batch_size = 32;
    c->learning_rate = 1.0;
    c->seed = 1;
    c->align = NER_ALIGN_STRICT;
    c->calibrate = 1;
    ntg_train_opts_default(&c->model);
}

typedef struct key_doc {
    const char *section, *key, *doc;
} key_doc;

static const key_doc docs[] = {
    {"training", "max_steps", "stop after this many steps; a step trains on batch_size sentences"},
    {"training", "max_epochs", "stop after this many passes over the training data (0: no limit)"},
    {"training", "patience", "stop when the dev F1 has not improved for this many steps (0: never)"},
    {"training", "eval_frequency", "evaluate on the dev set every this many steps"},
    {"training", "batch_size", "sentences per step (the perceptron updates after each sentence)"},
    {"training", "learning_rate", "size of a perceptron update; the averaged perceptron's "
                                  "predictions do not depend on it (kept for other optimisers)"},
    {"training", "seed", "seed of the shuffling of the training sentences"},
    {"training", "alignment", "entities whose offsets do not fall on token boundaries: \"strict\" "
                              "leaves them out of training (their tokens are not learned from), "
                              "\"contract\" keeps the tokens wholly inside, \"expand\" every token "
                              "touched; all are counted and reported"},
    {"training", "calibrate_confidence", "fit the temperature of the entity confidence on the dev set"},
    {"model", "architecture", "\"averaged_perceptron\": first-order linear chain over BILUO tags, "
                              "Viterbi decoding, confidence from forward-backward marginals"},
    {"model", "prefix_max", "prefixes of 1..prefix_max characters as features (0..6)"},
    {"model", "suffix_max", "suffixes of 1..suffix_max characters as features (0..6)"},
    {"model", "window", "neighbouring tokens on each side seen by the features (1..3)"},
    {"model", "bigrams", "features of neighbouring word pairs and shape n-grams"},
    {"model", "doc_features", "document-level features: the token's case and contexts elsewhere in the doc"},
    {"model", "context_occurrences", "other occurrences of a capitalised word looked at by doc_features (0..32)"},
    {"model", "min_feature_count", "keep features seen at least this often in the training data"},
    {"model", "prune", "drop averaged weights smaller than this in magnitude (smaller model)"},
    {"model", "min_score", "the trained tagger drops entities whose confidence is below this "
                           "(written into its component config; 0 keeps all)"},
    {"model", "gazetteers", "external name lists, e.g. [{\"label\": \"ORG\", \"path\": "
                            "\"companies.txt\"}]: UTF-8, one name a line, # starts a comment "
                            "line; names are split into tokens like the text and their matches "
                            "in a sentence (longest first) become features of the list; the "
                            "names are stored in the model and the files copied into its "
                            "folder; relative paths are from the working directory"},
    {"model", "gazetteer_lowercase", "also match the gazetteers' names in lowercase, as a "
                                     "separate feature"},
};

static int get_uint(json_t *v, const char *key, uint64_t max, uint64_t *out,
                    char *errbuf, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (uint64_t)json_integer_value(v) > max) {
        nio_errf(errbuf, errlen, "config: %s must be a whole number from 0 to %llu",
                 key, (unsigned long long)max);
        return NER_EINVAL;
    }
    *out = (uint64_t)json_integer_value(v);
    return NER_OK;
}

static int get_bool(json_t *v, const char *key, int *out, char *errbuf, size_t errlen)
{
    if (!json_is_boolean(v)) {
        nio_errf(errbuf, errlen, "config: %s must be true or false", key);
        return NER_EINVAL;
    }
    *out = json_is_true(v);
    return NER_OK;
}

static int get_real(json_t *v, const char *key, double lo, double hi, double *out,
                    char *errbuf, size_t errlen)
{
    if (!json_is_number(v) || !(json_number_value(v) >= lo) ||
        !(json_number_value(v) <= hi)) {
        nio_errf(errbuf, errlen, "config: %s must be a number from %g to %g", key, lo, hi);
        return NER_EINVAL;
    }
    *out = json_number_value(v);
    return NER_OK;
}

/* [{"label": "ORG", "path": "FILE"}, ...] */
static int get_gazetteers(json_t *v, const char *key, ntr_config *c, char *errbuf,
                          size_t errlen)
{
    if (!json_is_array(v) || json_array_size(v) > NTR_MAX_GAZ_FILES) {
        nio_errf(errbuf, errlen, "config: %s must be an array of at most %d "
                 "{\"label\": ..., \"path\": ...} objects", key, NTR_MAX_GAZ_FILES);
        return NER_EINVAL;
    }
    c->n_gaz = 0;
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        const char *lab = json_string_value(json_object_get(e, "label"));
        const char *path = json_string_value(json_object_get(e, "path"));
        if (!json_is_object(e) || !lab || !path) {
            nio_errf(errbuf, errlen, "config: %s[%zu] must be an object with "
                     "string \"label\" and \"path\"", key, i);
            return NER_EINVAL;
        }
        const char *k;
        json_t *x;
        json_object_foreach(e, k, x) {
            if (k[0] != '_' && strcmp(k, "label") != 0 && strcmp(k, "path") != 0) {
                nio_errf(errbuf, errlen, "config: %s[%zu]: unknown key \"%s\" "
                         "(label, path)", key, i, k);
                return NER_EINVAL;
            }
        }
        size_t ll = strlen(lab), pl = strlen(path);
        int bad = ll == 0 || ll >= NTG_XGAZ_LABEL_BYTES;
        for (size_t q = 0; q < ll && !bad; q++)
            bad = (unsigned char)lab[q] < 0x20;
        if (bad) {
            nio_errf(errbuf, errlen, "config: %s[%zu].label must have 1 to %d bytes "
                     "and no control characters", key, i, NTG_XGAZ_LABEL_BYTES - 1);
            return NER_EINVAL;
        }
        if (pl == 0 || pl >= NTR_GAZ_PATH_MAX) {
            nio_errf(errbuf, errlen, "config: %s[%zu].path must have 1 to %d bytes",
                     key, i, NTR_GAZ_PATH_MAX - 1);
            return NER_EINVAL;
        }
        memcpy(c->gaz[c->n_gaz].label, lab, ll + 1);
        memcpy(c->gaz[c->n_gaz].path, path, pl + 1);
        c->n_gaz++;
    }
    return NER_OK;
}

int ntr_config_parse(const char *text, ntr_config *c, char *errbuf, size_t errlen)
{
    if (!text)
        return NER_OK;
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        nio_errf(errbuf, errlen, "config: line %d column %d: %s", je.line, je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    if (!json_is_object(root)) {
        nio_errf(errbuf, errlen, "config: must be a JSON object");
        rc = NER_EFORMAT;
        goto done;
    }
    const char *sk;
    json_t *sec;
    json_object_foreach(root, sk, sec) {
        if (sk[0] == '_')
            continue;
        int is_tr = strcmp(sk, "training") == 0, is_mo = strcmp(sk, "model") == 0;
        if (!is_tr && !is_mo) {
            nio_errf(errbuf, errlen, "config: unknown section \"%s\" (training, model)", sk);
            rc = NER_EINVAL;
            goto done;
        }
        if (!json_is_object(sec)) {
            nio_errf(errbuf, errlen, "config: \"%s\" must be an object", sk);
            rc = NER_EINVAL;
            goto done;
        }
        const char *k;
        json_t *v;
        json_object_foreach(sec, k, v) {
            if (k[0] == '_')
                continue;
            char name[128];
            snprintf(name, sizeof name, "%s.%s", sk, k);
            uint64_t u = 0;
            double d = 0;
            int b = 0;
            if (is_tr && strcmp(k, "max_steps") == 0) {
                rc = get_uint(v, name, UINT64_C(1) << 40, &c->max_steps, errbuf, errlen);
            } else if (is_tr && strcmp(k, "max_epochs") == 0) {
                rc = get_uint(v, name, 1000000, &c->max_epochs, errbuf, errlen);
            } else if (is_tr && strcmp(k, "patience") == 0) {
                rc = get_uint(v, name, UINT64_C(1) << 40, &c->patience, errbuf, errlen);
            } else if (is_tr && strcmp(k, "eval_frequency") == 0) {
                rc = get_uint(v, name, UINT64_C(1) << 40, &c->eval_frequency, errbuf, errlen);
                if (rc == NER_OK && c->eval_frequency == 0) {
                    nio_errf(errbuf, errlen, "config: %s must be at least 1", name);
                    rc = NER_EINVAL;
                }
            } else if (is_tr && strcmp(k, "batch_size") == 0) {
                rc = get_uint(v, name, 1000000, &u, errbuf, errlen);
                if (rc == NER_OK && u == 0) {
                    nio_errf(errbuf, errlen, "config: %s must be at least 1", name);
                    rc = NER_EINVAL;
                }
                c->batch_size = (uint32_t)u;
            } else if (is_tr && strcmp(k, "learning_rate") == 0) {
                rc = get_real(v, name, 1e-9, 1e9, &c->learning_rate, errbuf, errlen);
            } else if (is_tr && strcmp(k, "seed") == 0) {
                rc = get_uint(v, name, UINT64_MAX >> 1, &c->seed, errbuf, errlen);
            } else if (is_tr && strcmp(k, "alignment") == 0) {
                const char *s = json_string_value(v);
                if (s && strcmp(s, "strict") == 0) c->align = NER_ALIGN_STRICT;
                else if (s && strcmp(s, "contract") == 0) c->align = NER_ALIGN_CONTRACT;
                else if (s && strcmp(s, "expand") == 0) c->align = NER_ALIGN_EXPAND;
                else {
                    nio_errf(errbuf, errlen, "config: %s must be \"strict\", \"contract\" "
                             "or \"expand\"", name);
                    rc = NER_EINVAL;
                }
            } else if (is_tr && strcmp(k, "calibrate_confidence") == 0) {
                rc = get_bool(v, name, &c->calibrate, errbuf, errlen);
            } else if (is_mo && strcmp(k, "architecture") == 0) {
                const char *s = json_string_value(v);
                if (!s || strcmp(s, "averaged_perceptron") != 0) {
                    nio_errf(errbuf, errlen, "config: %s: only \"averaged_perceptron\" "
                             "is available", name);
                    rc = NER_EINVAL;
                }
            } else if (is_mo && strcmp(k, "prefix_max") == 0) {
                rc = get_uint(v, name, NTG_AFFIX_MAX, &u, errbuf, errlen);
                c->model.feat.prefix_max = (uint32_t)u;
            } else if (is_mo && strcmp(k, "suffix_max") == 0) {
                rc = get_uint(v, name, NTG_AFFIX_MAX, &u, errbuf, errlen);
                c->model.feat.suffix_max = (uint32_t)u;
            } else if (is_mo && strcmp(k, "window") == 0) {
                rc = get_uint(v, name, 3, &u, errbuf, errlen);
                if (rc == NER_OK && u == 0) {
                    nio_errf(errbuf, errlen, "config: %s must be 1, 2 or 3", name);
                    rc = NER_EINVAL;
                }
                c->model.feat.window = (uint32_t)u;
            } else if (is_mo && strcmp(k, "bigrams") == 0) {
                rc = get_bool(v, name, &b, errbuf, errlen);
                c->model.feat.flags = b ? (c->model.feat.flags | NTG_F_BIGRAM)
                                        : (c->model.feat.flags & ~NTG_F_BIGRAM);
            } else if (is_mo && strcmp(k, "doc_features") == 0) {
                rc = get_bool(v, name, &b, errbuf, errlen);
                c->model.feat.flags = b ? (c->model.feat.flags | NTG_F_DOC)
                                        : (c->model.feat.flags & ~NTG_F_DOC);
            } else if (is_mo && strcmp(k, "context_occurrences") == 0) {
                rc = get_uint(v, name, 32, &u, errbuf, errlen);
                c->model.feat.agg_max = (uint32_t)u;
            } else if (is_mo && strcmp(k, "min_feature_count") == 0) {
                rc = get_uint(v, name, 1000000, &u, errbuf, errlen);
                c->model.min_count = u ? (uint32_t)u : 1;
            } else if (is_mo && strcmp(k, "min_score") == 0) {
                rc = get_real(v, name, 0, 1, &c->min_score, errbuf, errlen);
            } else if (is_mo && strcmp(k, "gazetteer_lowercase") == 0) {
                rc = get_bool(v, name, &b, errbuf, errlen);
                c->model.feat.flags = b ? (c->model.feat.flags | NTG_F_XGAZ_LC)
                                        : (c->model.feat.flags & ~NTG_F_XGAZ_LC);
            } else if (is_mo && strcmp(k, "gazetteers") == 0) {
                rc = get_gazetteers(v, name, c, errbuf, errlen);
            } else if (is_mo && strcmp(k, "prune") == 0) {
                rc = get_real(v, name, 0, 1e6, &d, errbuf, errlen);
                c->model.prune = d;
            } else {
                nio_errf(errbuf, errlen, "config: unknown key %s (see `ner init config`)", name);
                rc = NER_EINVAL;
            }
            if (rc != NER_OK)
                goto done;
        }
    }
done:
    json_decref(root);
    return rc;
}

static void put_doc(json_t *obj, const char *section, const char *key)
{
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        if (strcmp(docs[i].section, section) == 0 && strcmp(docs[i].key, key) == 0) {
            char k[80];
            snprintf(k, sizeof k, "_%s", key);
            json_object_set_new(obj, k, json_string(docs[i].doc));
        }
    }
}

#define PUT(obj, sec, key, val)                 \
    do {                                        \
        if (doc)                                \
            put_doc(obj, sec, key);             \
        json_object_set_new(obj, key, val);     \
    } while (0)

json_t *ntr_config_to_json(const ntr_config *c, int doc)
{
    json_t *root = json_object(), *tr = json_object(), *mo = json_object();
    if (!root || !tr || !mo) {
        json_decref(root);
        json_decref(tr);
        json_decref(mo);
        return NULL;
    }
    if (doc)
        json_object_set_new(root, "_doc", json_string(
            "libner training config for `ner train --config FILE`.  Keys starting "
            "with _ are comments.  Missing keys keep these defaults."));
    PUT(tr, "training", "max_steps", json_integer((json_int_t)c->max_steps));
    PUT(tr, "training", "max_epochs", json_integer((json_int_t)c->max_epochs));
    PUT(tr, "training", "patience", json_integer((json_int_t)c->patience));
    PUT(tr, "training", "eval_frequency", json_integer((json_int_t)c->eval_frequency));
    PUT(tr, "training", "batch_size", json_integer(c->batch_size));
    PUT(tr, "training", "learning_rate", json_real(c->learning_rate));
    PUT(tr, "training", "seed", json_integer((json_int_t)c->seed));
    PUT(tr, "training", "alignment", json_string(c->align == NER_ALIGN_CONTRACT ? "contract"
                                                 : c->align == NER_ALIGN_EXPAND ? "expand"
                                                                                : "strict"));
    PUT(tr, "training", "calibrate_confidence", json_boolean(c->calibrate));
    PUT(mo, "model", "architecture", json_string("averaged_perceptron"));
    PUT(mo, "model", "prefix_max", json_integer(c->model.feat.prefix_max));
    PUT(mo, "model", "suffix_max", json_integer(c->model.feat.suffix_max));
    PUT(mo, "model", "window", json_integer(c->model.feat.window));
    PUT(mo, "model", "bigrams", json_boolean(c->model.feat.flags & NTG_F_BIGRAM));
    PUT(mo, "model", "doc_features", json_boolean(c->model.feat.flags & NTG_F_DOC));
    PUT(mo, "model", "context_occurrences", json_integer(c->model.feat.agg_max));
    PUT(mo, "model", "min_feature_count", json_integer(c->model.min_count));
    PUT(mo, "model", "prune", json_real(c->model.prune));
    PUT(mo, "model", "min_score", json_real(c->min_score));
    json_t *gz = json_array();
    for (size_t i = 0; gz && i < c->n_gaz; i++)
        json_array_append_new(gz, json_pack("{s:s,s:s}", "label", c->gaz[i].label,
                                            "path", c->gaz[i].path));
    PUT(mo, "model", "gazetteers", gz);
    PUT(mo, "model", "gazetteer_lowercase", json_boolean(c->model.feat.flags & NTG_F_XGAZ_LC));
    json_object_set_new(root, "training", tr);
    json_object_set_new(root, "model", mo);
    return root;
}

NER_API int ner_train_config_default(char **json_out)
{
    if (!json_out)
        return NER_EINVAL;
    *json_out = NULL;
    ntr_config c;
    ntr_config_default(&c);
    json_t *j = ntr_config_to_json(&c, 1);
    if (!j)
        return NER_ENOMEM;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        return NER_ENOMEM;
    /* json_dumps uses malloc; ner_string_free is free() underneath */
    size_t n = strlen(s);
    char *out = malloc(n + 2);
    if (!out) {
        free(s);
        return NER_ENOMEM;
    }
    memcpy(out, s, n);
    out[n] = '\n';
    out[n + 1] = '\0';
    free(s);
    *json_out = out;
    return NER_OK;
}

/* ------------------------------------------------------------ params */

NER_API int ner_train_params_init(ner_train_params *p, size_t size)
{
    if (!p || size < NC_PARAMS_MIN(ner_train_params, flags))
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)size;
    if (size >= offsetof(ner_train_params, n_threads) + sizeof p->n_threads)
        p->n_threads = 1;
    return NER_OK;
}

NER_API int ner_eval_params_init(ner_eval_params *p, size_t size)
{
    if (!p || size < NC_PARAMS_MIN(ner_eval_params, flags))
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)size;
    if (size >= offsetof(ner_eval_params, n_threads) + sizeof p->n_threads)
        p->n_threads = 1;
    if (size >= offsetof(ner_eval_params, max_examples) + sizeof p->max_examples)
        p->max_examples = 5;
    return NER_OK;
}

NER_API int ner_convert_params_init(ner_convert_params *p, size_t size)
{
    if (!p || size < NC_PARAMS_MIN(ner_convert_params, flags))
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)size;
    return NER_OK;
}
