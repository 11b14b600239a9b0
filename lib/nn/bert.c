/* BERT-family encoder: config.json, weights, the fast forward pass. */
#include "nn/bert.h"

#include <cblas.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "nn/bert_impl.h"
#include "nn/kernels.h"
#include "nn/nn_util.h"
#include "nn/pool.h"

/* Sequences are run in groups of at most this many tokens (a longer single
 * sequence is one group), so scratch memory stays bounded whatever the
 * batch: about GROUP_TOKENS * (6 hidden + intermediate) floats. */
#define GROUP_TOKENS 2048

void nn_bert_options_init(nn_bert_options *o)
{
    memset(o, 0, sizeof *o);
    o->size = (uint32_t)sizeof *o;
    o->precision = NN_PRECISION_F32;
}

/* ================================================================ config */

typedef struct cfg_ctx {
    const char *path;  /* .../config.json */
    json_t *root;
    char *errbuf;
    size_t errlen;
} cfg_ctx;

/* A non-negative integer key; def when absent (or an error when required). */
static int cfg_size(cfg_ctx *c, const char *key, size_t def, int required, size_t *out)
{
    json_t *v = json_object_get(c->root, key);
    if (!v || json_is_null(v)) {
        if (required) {
            nn_errf(c->errbuf, c->errlen, "%s: key \"%s\" is missing", c->path, key);
            return NER_EFORMAT;
        }
        *out = def;
        return NER_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long long)json_integer_value(v) > (unsigned long long)(SIZE_MAX / 64)) {
        nn_errf(c->errbuf, c->errlen, "%s: key \"%s\" must be a non-negative integer", c->path,
                key);
        return NER_EFORMAT;
    }
    *out = (size_t)json_integer_value(v);
    return NER_OK;
}

static int cfg_str(cfg_ctx *c, const char *key, const char *def, const char **out)
{
    json_t *v = json_object_get(c->root, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return NER_OK;
    }
    if (!json_is_string(v)) {
        nn_errf(c->errbuf, c->errlen, "%s: key \"%s\" must be a string", c->path, key);
        return NER_EFORMAT;
    }
    *out = json_string_value(v);
    return NER_OK;
}

static int parse_act(cfg_ctx *c, const char *key, const char *s, int *act)
{
    if (strcmp(s, "gelu") == 0 || strcmp(s, "gelu_python") == 0)
        *act = NN_ACT_GELU;
    else if (strcmp(s, "gelu_new") == 0 || strcmp(s, "gelu_pytorch_tanh") == 0 ||
             strcmp(s, "gelu_fast") == 0)
        *act = NN_ACT_GELU_TANH;
    else if (strcmp(s, "relu") == 0)
        *act = NN_ACT_RELU;
    else {
        nn_errf(c->errbuf, c->errlen, "%s: key \"%s\": activation \"%.64s\" is not supported "
                "(gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)", c->path, key, s);
        return NER_EUNSUPPORTED;
    }
    return NER_OK;
}

static int parse_label_index(const char *s, size_t n, size_t *out)
{
    if (!*s)
        return 0;
    size_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
        v = v * 10 + (size_t)(*p - '0');
        if (v >= n)
            return 0;
    }
    if (s[0] == '0' && s[1])
        return 0;
    *out = v;
    return 1;
}

static int parse_config(nn_bert *m, cfg_ctx *c)
{
    nn_bert_config *k = &m->cfg;
    int rc;
    const char *mt = NULL;
    if ((rc = cfg_str(c, "model_type", NULL, &mt)))
        return rc;
    if (!mt) {
        /* very old configs: infer from "architectures" */
        json_t *a = json_object_get(c->root, "architectures");
        const char *a0 = json_is_array(a) ? json_string_value(json_array_get(a, 0)) : NULL;
        if (a0 && strncmp(a0, "DistilBert", 10) == 0)
            mt = "distilbert";
        else if (a0 && strncmp(a0, "Roberta", 7) == 0)
            mt = "roberta";
        else if (a0 && strncmp(a0, "Bert", 4) == 0)
            mt = "bert";
        else {
            nn_errf(c->errbuf, c->errlen, "%s: key \"model_type\" is missing", c->path);
            return NER_EFORMAT;
        }
    }
    if (strcmp(mt, "bert") == 0) {
        k->model_type = NN_MODEL_BERT;
        k->model_type_name = "bert";
    } else if (strcmp(mt, "distilbert") == 0) {
        k->model_type = NN_MODEL_DISTILBERT;
        k->model_type_name = "distilbert";
    } else if (strcmp(mt, "roberta") == 0 || strcmp(mt, "xlm-roberta") == 0 ||
               strcmp(mt, "camembert") == 0) {
        k->model_type = NN_MODEL_ROBERTA;
        k->model_type_name = "roberta";
    } else {
        nn_errf(c->errbuf, c->errlen, "%s: key \"model_type\": \"%.64s\" is not supported "
                "(bert, distilbert, roberta)", c->path, mt);
        return NER_EUNSUPPORTED;
    }

    /* defaults as transformers' config classes have them */
    const char *act = NULL;
    if (k->model_type == NN_MODEL_DISTILBERT) {
        if ((rc = cfg_size(c, "vocab_size", 30522, 0, &k->vocab_size)) ||
            (rc = cfg_size(c, "dim", 768, 0, &k->hidden)) ||
            (rc = cfg_size(c, "n_layers", 6, 0, &k->layers)) ||
            (rc = cfg_size(c, "n_heads", 12, 0, &k->heads)) ||
            (rc = cfg_size(c, "hidden_dim", 3072, 0, &k->intermediate)) ||
            (rc = cfg_size(c, "max_position_embeddings", 512, 0, &k->max_positions)) ||
            (rc = cfg_str(c, "activation", "gelu", &act)) ||
            (rc = parse_act(c, "activation", act, &k->act)))
            return rc;
        k->type_vocab_size = 0;
        k->layer_norm_eps = 1e-12f;
    } else {
        int rob = k->model_type == NN_MODEL_ROBERTA;
        if ((rc = cfg_size(c, "vocab_size", rob ? 50265 : 30522, 0, &k->vocab_size)) ||
            (rc = cfg_size(c, "hidden_size", 768, 0, &k->hidden)) ||
            (rc = cfg_size(c, "num_hidden_layers", 12, 0, &k->layers)) ||
            (rc = cfg_size(c, "num_attention_heads", 12, 0, &k->heads)) ||
            (rc = cfg_size(c, "intermediate_size", 3072, 0, &k->intermediate)) ||
            (rc = cfg_size(c, "max_position_embeddings", 512, 0, &k->max_positions)) ||
            (rc = cfg_size(c, "type_vocab_size", 2, 0, &k->type_vocab_size)) ||
            (rc = cfg_str(c, "hidden_act", "gelu", &act)) ||
            (rc = parse_act(c, "hidden_act", act, &k->act)))
            return rc;
        json_t *e = json_object_get(c->root, "layer_norm_eps");
        if (!e || json_is_null(e)) {
            k->layer_norm_eps = 1e-12f;
        } else if (json_is_number(e) && json_number_value(e) >= 0.0 &&
                   json_number_value(e) < 1.0) {
            k->layer_norm_eps = (float)json_number_value(e);
        } else {
            nn_errf(c->errbuf, c->errlen, "%s: key \"layer_norm_eps\" must be a number in [0, 1)",
                    c->path);
            return NER_EFORMAT;
        }
        /* position_embedding_type other than absolute changes the maths */
        const char *pet = NULL;
        if ((rc = cfg_str(c, "position_embedding_type", "absolute", &pet)))
            return rc;
        if (strcmp(pet, "absolute") != 0) {
            nn_errf(c->errbuf, c->errlen, "%s: key \"position_embedding_type\": \"%.64s\" is not "
                    "supported (absolute)", c->path, pet);
            return NER_EUNSUPPORTED;
        }
    }
    json_t *pad = json_object_get(c->root, "pad_token_id");
    if (!pad) {
        k->pad_token_id = k->model_type == NN_MODEL_ROBERTA ? 1 : 0;
    } else if (json_is_null(pad)) {
        k->pad_token_id = -1;
    } else if (json_is_integer(pad) && json_integer_value(pad) >= 0 &&
               json_integer_value(pad) < INT32_MAX) {
        k->pad_token_id = (int32_t)json_integer_value(pad);
    } else {
        nn_errf(c->errbuf, c->errlen, "%s: key \"pad_token_id\" must be a non-negative integer",
                c->path);
        return NER_EFORMAT;
    }

    const char *hk = k->model_type == NN_MODEL_DISTILBERT ? "dim" : "hidden_size";
    const char *nk = k->model_type == NN_MODEL_DISTILBERT ? "n_heads" : "num_attention_heads";
    if (k->hidden == 0 || k->heads == 0 || k->hidden % k->heads != 0) {
        nn_errf(c->errbuf, c->errlen, "%s: key \"%s\" (%zu) must be a positive multiple of "
                "\"%s\" (%zu)", c->path, hk, k->hidden, nk, k->heads);
        return NER_EFORMAT;
    }
    if (k->layers == 0 || k->intermediate == 0 || k->vocab_size == 0 || k->max_positions == 0) {
        nn_errf(c->errbuf, c->errlen, "%s: layer count, intermediate size, vocab_size and "
                "max_position_embeddings must be positive", c->path);
        return NER_EFORMAT;
    }
    if (k->layers > 1000 || k->hidden > 65536 || k->intermediate > 1048576 ||
        k->max_positions > 1048576 || k->heads > k->hidden) {
        nn_errf(c->errbuf, c->errlen, "%s: sizes out of range (layers %zu, hidden %zu, "
                "intermediate %zu, positions %zu)", c->path, k->layers, k->hidden,
                k->intermediate, k->max_positions);
        return NER_EFORMAT;
    }
    if (k->model_type == NN_MODEL_ROBERTA) {
        if (k->pad_token_id < 0 || (size_t)k->pad_token_id + 1 >= k->max_positions) {
            nn_errf(c->errbuf, c->errlen, "%s: RoBERTa needs \"pad_token_id\" below "
                    "max_position_embeddings - 1 (position ids start at pad_token_id + 1)",
                    c->path);
            return NER_EFORMAT;
        }
        m->pos_offset = (size_t)k->pad_token_id + 1;
    } else {
        m->pos_offset = 0;
    }
    k->max_seq_len = k->max_positions - m->pos_offset;

    /* id2label: {"0": "O", "1": "B-PER", ...} */
    json_t *id2 = json_object_get(c->root, "id2label");
    if (id2 && !json_is_null(id2)) {
        if (!json_is_object(id2) || json_object_size(id2) == 0) {
            nn_errf(c->errbuf, c->errlen, "%s: key \"id2label\" must be a non-empty object",
                    c->path);
            return NER_EFORMAT;
        }
        size_t n = json_object_size(id2);
        m->labels = calloc(n, sizeof *m->labels);
        if (!m->labels) {
            nn_errf(c->errbuf, c->errlen, "%s: out of memory", c->path);
            return NER_ENOMEM;
        }
        k->num_labels = n;
        const char *key;
        json_t *v;
        json_object_foreach(id2, key, v) {
            size_t i;
            if (!parse_label_index(key, n, &i) || m->labels[i]) {
                nn_errf(c->errbuf, c->errlen, "%s: key \"id2label\": \"%.32s\" is not a label "
                        "index in 0..%zu (or repeats one)", c->path, key, n - 1);
                return NER_EFORMAT;
            }
            if (!json_is_string(v)) {
                nn_errf(c->errbuf, c->errlen, "%s: key \"id2label\": label \"%.32s\" is not a "
                        "string", c->path, key);
                return NER_EFORMAT;
            }
            if (!(m->labels[i] = strdup(json_string_value(v)))) {
                nn_errf(c->errbuf, c->errlen, "%s: out of memory", c->path);
                return NER_ENOMEM;
            }
        }
    }
    return NER_OK;
}

/* ================================================================ weights */

typedef struct load_ctx {
    nn_bert *m;
    const char *dir;
    const char *prefix;   /* "bert.", "distilbert.", "roberta." */
    char *errbuf;
    size_t errlen;
} load_ctx;

static const nn_st_tensor *lookup(load_ctx *L, const char *name, int prefixed, char *used,
                                  size_t usedlen)
{
    static const char *const alt[][2] = {
        {".weight", ".gamma"}, {".bias", ".beta"},
    };
    const char *pfx[2] = {prefixed ? L->prefix : "", ""};
    for (int p = 0; p < (prefixed ? 2 : 1); p++) {
        snprintf(used, usedlen, "%s%s", pfx[p], name);
        const nn_st_tensor *t = nn_st_find(L->m->st, used);
        if (t)
            return t;
        size_t ln = strlen(name);
        for (size_t a = 0; a < 2; a++) {
            size_t ls = strlen(alt[a][0]);
            if (ln > ls && strcmp(name + ln - ls, alt[a][0]) == 0) {
                snprintf(used, usedlen, "%s%.*s%s", pfx[p], (int)(ln - ls), name, alt[a][1]);
                if ((t = nn_st_find(L->m->st, used)))
                    return t;
            }
        }
    }
    snprintf(used, usedlen, "%s%s", prefixed ? L->prefix : "", name);
    return NULL;
}

/* Binds tensor `name` (relative to the model prefix unless !prefixed) of
 * shape [d0] (d1 == 0) or [d0, d1] as F32.  what: the config keys behind
 * the expected shape, for the message. */
static int bind(load_ctx *L, const char *name, int prefixed, size_t d0, size_t d1,
                const char *what, const float **out)
{
    char used[256];
    const nn_st_tensor *t = lookup(L, name, prefixed, used, sizeof used);
    if (!t) {
        nn_errf(L->errbuf, L->errlen, "%s: the weights have no tensor %s (model_type %s)",
                L->dir, used, L->m->cfg.model_type_name);
        return NER_ENOTFOUND;
    }
    size_t nd = d1 ? 2 : 1;
    if (t->ndim != nd || t->shape[0] != d0 || (d1 && t->shape[1] != d1)) {
        char got[128];
        size_t o = 0;
        got[0] = '\0';
        for (size_t i = 0; i < t->ndim && o < sizeof got - 24; i++)
            o += (size_t)snprintf(got + o, sizeof got - o, "%s%zu", i ? ", " : "", t->shape[i]);
        if (d1)
            nn_errf(L->errbuf, L->errlen, "%s: tensor %s has shape [%s]; config.json (%s) "
                    "says [%zu, %zu]", t->file, t->name, got, what, d0, d1);
        else
            nn_errf(L->errbuf, L->errlen, "%s: tensor %s has shape [%s]; config.json (%s) "
                    "says [%zu]", t->file, t->name, got, what, d0);
        return NER_EFORMAT;
    }
    float *owned = NULL;
    int rc = nn_st_get_f32(t, out, &owned, L->errbuf, L->errlen);
    if (rc)
        return rc;
    if (owned) {
        float **no = realloc(L->m->owned, (L->m->nowned + 1) * sizeof *no);
        if (!no) {
            free(owned);
            nn_errf(L->errbuf, L->errlen, "%s: out of memory", t->file);
            return NER_ENOMEM;
        }
        L->m->owned = no;
        no[L->m->nowned++] = owned;
        nn_st_release(L->m->st, t); /* the copy replaces the mapped bytes */
    }
    return NER_OK;
}

static int bind_linear(load_ctx *L, const char *base, size_t out, size_t in, const char *what,
                       nn_linear *lin)
{
    char name[200];
    int rc;
    snprintf(name, sizeof name, "%s.weight", base);
    if ((rc = bind(L, name, 1, out, in, what, &lin->w)))
        return rc;
    snprintf(name, sizeof name, "%s.bias", base);
    if ((rc = bind(L, name, 1, out, 0, what, &lin->b)))
        return rc;
    lin->in = in;
    lin->out = out;
    return NER_OK;
}

static int bind_norm(load_ctx *L, const char *base, size_t h, const char *what, nn_norm *n)
{
    char name[200];
    int rc;
    snprintf(name, sizeof name, "%s.weight", base);
    if ((rc = bind(L, name, 1, h, 0, what, &n->g)))
        return rc;
    snprintf(name, sizeof name, "%s.bias", base);
    return bind(L, name, 1, h, 0, what, &n->b);
}

typedef struct lin_spec {
    const char *suffix;
    nn_linear *lin;
    size_t out, in;
    const char *what;
} lin_spec;

typedef struct norm_spec {
    const char *suffix;
    nn_norm *n;
} norm_spec;

static int bind_weights(load_ctx *L)
{
    nn_bert *m = L->m;
    nn_bert_config *c = &m->cfg;
    size_t H = c->hidden, FFN = c->intermediate;
    int dist = c->model_type == NN_MODEL_DISTILBERT;
    const char *hk = dist ? "dim" : "hidden_size";
    char what[128], base[160];
    int rc;

    snprintf(what, sizeof what, "vocab_size x %s", hk);
    if ((rc = bind(L, "embeddings.word_embeddings.weight", 1, c->vocab_size, H, what, &m->word)))
        return rc;
    snprintf(what, sizeof what, "max_position_embeddings x %s", hk);
    if ((rc = bind(L, "embeddings.position_embeddings.weight", 1, c->max_positions, H, what,
                   &m->pos)))
        return rc;
    if (!dist) {
        snprintf(what, sizeof what, "type_vocab_size x %s", hk);
        if (c->type_vocab_size == 0) {
            m->type = NULL;
        } else if ((rc = bind(L, "embeddings.token_type_embeddings.weight", 1,
                              c->type_vocab_size, H, what, &m->type))) {
            return rc;
        }
    }
    if ((rc = bind_norm(L, "embeddings.LayerNorm", H, hk, &m->ln_emb)))
        return rc;

    m->layer = calloc(c->layers, sizeof *m->layer);
    if (!m->layer) {
        nn_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
        return NER_ENOMEM;
    }
    char wsq[96], wfi[96], wfo[96];
    snprintf(wsq, sizeof wsq, "%s x %s", hk, hk);
    snprintf(wfi, sizeof wfi, "%s x %s", dist ? "hidden_dim" : "intermediate_size", hk);
    snprintf(wfo, sizeof wfo, "%s x %s", hk, dist ? "hidden_dim" : "intermediate_size");
    for (size_t i = 0; i < c->layers; i++) {
        nn_layer *y = &m->layer[i];
        lin_spec lins[6];
        norm_spec norms[2];
        if (dist) {
            snprintf(base, sizeof base, "transformer.layer.%zu.", i);
            lins[0] = (lin_spec){"attention.q_lin", &y->q, H, H, wsq};
            lins[1] = (lin_spec){"attention.k_lin", &y->k, H, H, wsq};
            lins[2] = (lin_spec){"attention.v_lin", &y->v, H, H, wsq};
            lins[3] = (lin_spec){"attention.out_lin", &y->o, H, H, wsq};
            lins[4] = (lin_spec){"ffn.lin1", &y->ff1, FFN, H, wfi};
            lins[5] = (lin_spec){"ffn.lin2", &y->ff2, H, FFN, wfo};
            norms[0] = (norm_spec){"sa_layer_norm", &y->ln_att};
            norms[1] = (norm_spec){"output_layer_norm", &y->ln_out};
        } else {
            snprintf(base, sizeof base, "encoder.layer.%zu.", i);
            lins[0] = (lin_spec){"attention.self.query", &y->q, H, H, wsq};
            lins[1] = (lin_spec){"attention.self.key", &y->k, H, H, wsq};
            lins[2] = (lin_spec){"attention.self.value", &y->v, H, H, wsq};
            lins[3] = (lin_spec){"attention.output.dense", &y->o, H, H, wsq};
            lins[4] = (lin_spec){"intermediate.dense", &y->ff1, FFN, H, wfi};
            lins[5] = (lin_spec){"output.dense", &y->ff2, H, FFN, wfo};
            norms[0] = (norm_spec){"attention.output.LayerNorm", &y->ln_att};
            norms[1] = (norm_spec){"output.LayerNorm", &y->ln_out};
        }
        for (int j = 0; j < 6; j++) {
            char nm[200];
            snprintf(nm, sizeof nm, "%s%s", base, lins[j].suffix);
            if ((rc = bind_linear(L, nm, lins[j].out, lins[j].in, lins[j].what, lins[j].lin)))
                return rc;
        }
        for (int j = 0; j < 2; j++) {
            char nm[200];
            snprintf(nm, sizeof nm, "%s%s", base, norms[j].suffix);
            if ((rc = bind_norm(L, nm, H, hk, norms[j].n)))
                return rc;
        }
    }

    /* the token-classification head */
    const nn_st_tensor *cw = nn_st_find(m->st, "classifier.weight");
    if (!cw) {
        nn_errf(L->errbuf, L->errlen, "%s: the weights have no tensor classifier.weight: not a "
                "token-classification checkpoint", L->dir);
        return NER_ENOTFOUND;
    }
    if (cw->ndim != 2 || cw->shape[1] != H || cw->shape[0] == 0) {
        nn_errf(L->errbuf, L->errlen, "%s: tensor classifier.weight must have shape "
                "[num_labels, %zu] (%s)", cw->file, H, hk);
        return NER_EFORMAT;
    }
    if (m->labels && c->num_labels != cw->shape[0]) {
        nn_errf(L->errbuf, L->errlen, "%s/config.json: key \"id2label\" has %zu labels but "
                "tensor classifier.weight has %zu rows", L->dir, c->num_labels, cw->shape[0]);
        return NER_EFORMAT;
    }
    if (!m->labels) {
        c->num_labels = cw->shape[0];
        m->labels = calloc(c->num_labels, sizeof *m->labels);
        if (!m->labels) {
            nn_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
            return NER_ENOMEM;
        }
        for (size_t i = 0; i < c->num_labels; i++) {
            char b[32];
            snprintf(b, sizeof b, "LABEL_%zu", i);
            if (!(m->labels[i] = strdup(b))) {
                nn_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
                return NER_ENOMEM;
            }
        }
    }
    c->id2label = (const char *const *)m->labels;
    c->weight_dtype = cw->dtype;
    snprintf(what, sizeof what, "id2label x %s", hk);
    return bind_linear(L, "classifier", c->num_labels, H, what, &m->cls);
}

/* ================================================================ load */

void nn_bert_free(nn_bert *m)
{
    if (!m)
        return;
    if (m->labels)
        for (size_t i = 0; i < m->cfg.num_labels; i++)
            free(m->labels[i]);
    free(m->labels);
    for (size_t i = 0; i < m->nowned; i++)
        free(m->owned[i]);
    free(m->owned);
    free(m->layer);
    nn_st_close(m->st);
    free(m->dir);
    free(m);
}

int nn_bert_load(nn_bert **out, const char *dir, char *errbuf, size_t errlen)
{
    return nn_bert_load_ex(out, dir, NULL, errbuf, errlen);
}

int nn_bert_load_ex(nn_bert **out, const char *dir, const nn_bert_options *opts,
                    char *errbuf, size_t errlen)
{
    if (!out || !dir) {
        nn_errf(errbuf, errlen, "nn_bert_load: NULL argument");
        return NER_EINVAL;
    }
    *out = NULL;
    nn_bert_options o;
    nn_bert_options_init(&o);
    if (opts) {
        if (opts->size < sizeof(uint32_t) * 2 || opts->size > sizeof o) {
            nn_errf(errbuf, errlen, "nn_bert_load: options of unknown size %u", opts->size);
            return NER_EABI;
        }
        memcpy(&o, opts, opts->size);
        o.size = (uint32_t)sizeof o;
    }
    if (o.precision != NN_PRECISION_F32 && o.precision != NN_PRECISION_AUTO) {
        nn_errf(errbuf, errlen, "%s: precision %u is not supported by this build (F32 only)",
                dir, o.precision);
        return NER_EUNSUPPORTED;
    }

    nn_bert *m = calloc(1, sizeof *m);
    char *cfgpath = nn_path_join(dir, "config.json");
    int rc = NER_OK;
    json_t *root = NULL;
    if (!m || !cfgpath || !(m->dir = strdup(dir))) {
        nn_errf(errbuf, errlen, "%s: out of memory", dir);
        rc = NER_ENOMEM;
        goto done;
    }
    char *text = NULL;
    size_t tlen = 0;
    if ((rc = nn_read_file(cfgpath, &text, &tlen, errbuf, errlen)))
        goto done;
    json_error_t jerr;
    root = json_loadb(text, tlen, 0, &jerr);
    free(text);
    if (!root || !json_is_object(root)) {
        if (root)
            nn_errf(errbuf, errlen, "%s: not a JSON object", cfgpath);
        else
            nn_errf(errbuf, errlen, "%s: line %d: %s", cfgpath, jerr.line, jerr.text);
        rc = NER_EFORMAT;
        goto done;
    }
    cfg_ctx cc = {cfgpath, root, errbuf, errlen};
    if ((rc = parse_config(m, &cc)))
        goto done;
    if ((rc = nn_st_open_dir(&m->st, dir, errbuf, errlen)))
        goto done;
    load_ctx L = {m, dir,
                  m->cfg.model_type == NN_MODEL_DISTILBERT ? "distilbert."
                  : m->cfg.model_type == NN_MODEL_ROBERTA  ? "roberta."
                                                            : "bert.",
                  errbuf, errlen};
    if ((rc = bind_weights(&L)))
        goto done;
    m->kernel = nn_kernels_select();
    if (!(o.flags & NN_BERT_KEEP_BLAS_THREADS))
        openblas_set_num_threads(1);

done:
    json_decref(root);
    free(cfgpath);
    if (rc) {
        nn_bert_free(m);
        return rc;
    }
    *out = m;
    return NER_OK;
}

const nn_bert_config *nn_bert_get_config(const nn_bert *m)
{
    return m ? &m->cfg : NULL;
}

int nn_bert_kernel(const nn_bert *m)
{
    return m->kernel;
}

void nn_bert_set_kernel(nn_bert *m, int kernel)
{
    m->kernel = kernel;
}

double nn_bert_flops(const nn_bert *m, const size_t *seq_lens, size_t nseq)
{
    const nn_bert_config *c = &m->cfg;
    double H = (double)c->hidden, FFN = (double)c->intermediate, L = (double)c->layers;
    double f = 0.0;
    for (size_t s = 0; s < nseq; s++) {
        double T = (double)seq_lens[s];
        f += L * (2.0 * T * H * (4.0 * H + 2.0 * FFN) + 4.0 * T * T * H) +
             2.0 * T * H * (double)c->num_labels;
    }
    return f;
}

/* ================================================================ workspace */

struct nn_workspace {
    nn_pool *pool;
    float *buf;         /* activations */
    size_t cap;         /* floats */
    float **scr;        /* per thread: attention scratch */
    size_t *scrcap;
};

nn_workspace *nn_workspace_new_threads(unsigned nthreads)
{
    if (nthreads == 0)
        nthreads = 1;
    if (nthreads > 256)
        return NULL;
    nn_workspace *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->scr = calloc(nthreads, sizeof *ws->scr);
    ws->scrcap = calloc(nthreads, sizeof *ws->scrcap);
    ws->pool = nn_pool_new(nthreads);
    if (!ws->scr || !ws->scrcap || !ws->pool) {
        nn_workspace_free(ws);
        return NULL;
    }
    return ws;
}

nn_workspace *nn_workspace_new(void)
{
    return nn_workspace_new_threads(1);
}

void nn_workspace_free(nn_workspace *ws)
{
    if (!ws)
        return;
    unsigned n = nn_pool_size(ws->pool);
    nn_pool_free(ws->pool);
    if (ws->scr)
        for (unsigned i = 0; i < n; i++)
            free(ws->scr[i]);
    free(ws->scr);
    free(ws->scrcap);
    free(ws->buf);
    free(ws);
}

static int ws_reserve(float **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 4096;
    while (c < n)
        c = c > SIZE_MAX / 2 ? n : c * 2;
    if (c > SIZE_MAX / sizeof(float))
        return -1;
    float *b = nn_alloc_aligned(c * sizeof(float));
    if (!b)
        return -1;
    free(*p);
    *p = b;
    *cap = c;
    return 0;
}

/* ================================================================ forward */

typedef struct fwd {
    const nn_bert *m;
    nn_workspace *ws;
    int kernel;
    unsigned nthreads;
    size_t T;               /* tokens in this group */
    const int32_t *ids, *types;
    const size_t *lens;     /* of this group */
    size_t nseq;
    size_t *starts;         /* nseq + 1 token offsets */
    float *x, *q, *k, *v, *ctx, *t1, *ff;
    /* current job */
    const nn_layer *layer;
    const nn_gemm *gemms;
    size_t ngemm;
    const nn_norm *norm;
    float *ln_x;
    const float *ln_res;
    size_t task_total;      /* attention: total cost */
} fwd;

/* [begin, end) of n items for thread t of nt, in units of `unit` */
static void split(size_t n, size_t unit, unsigned t, unsigned nt, size_t *b, size_t *e)
{
    size_t blocks = (n + unit - 1) / unit;
    size_t b0 = blocks * t / nt, b1 = blocks * (t + 1) / nt;
    *b = b0 * unit < n ? b0 * unit : n;
    *e = b1 * unit < n ? b1 * unit : n;
}

typedef struct gemm_job {
    const nn_gemm *g;
    const size_t *n;    /* columns of each */
    size_t count;
    int kernel;
} gemm_job;

static void job_gemm(void *arg, unsigned t, unsigned nt)
{
    gemm_job *J = arg;
    size_t total = 0;
    for (size_t i = 0; i < J->count; i++)
        total += J->n[i];
    int by_rows = nt > 1 && total < (size_t)nt * 64;
    if (by_rows) {
        for (size_t i = 0; i < J->count; i++) {
            size_t r0, r1;
            split(J->g[i].m, 1, t, nt, &r0, &r1);
            if (r1 <= r0)
                continue;
            nn_gemm g = J->g[i];
            g.m = r1 - r0;
            g.a += r0 * g.lda;
            g.c += r0 * g.ldc;
            nn_gemm_nt(J->kernel, &g, 0, J->n[i]);
        }
        return;
    }
    size_t c0, c1;
    split(total, 8, t, nt, &c0, &c1);
    size_t base = 0;
    for (size_t i = 0; i < J->count; i++) {
        size_t lo = c0 > base ? c0 - base : 0, hi = c1 - base;
        if (c1 <= base)
            break;
        if (hi > J->n[i])
            hi = J->n[i];
        if (lo < hi)
            nn_gemm_nt(J->kernel, &J->g[i], lo, hi);
        base += J->n[i];
    }
}

static void run_gemms(fwd *F, const nn_gemm *g, const size_t *n, size_t count)
{
    gemm_job J = {g, n, count, F->kernel};
    nn_pool_run(F->ws->pool, job_gemm, &J);
}

static void job_embed(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    const nn_bert *m = F->m;
    size_t H = m->cfg.hidden;
    size_t r0, r1;
    split(F->T, 1, t, nt, &r0, &r1);
    /* find the sequence of row r0 */
    size_t s = 0;
    while (s + 1 < F->nseq + 1 && F->starts[s + 1] <= r0)
        s++;
    for (size_t r = r0; r < r1; r++) {
        while (F->starts[s + 1] <= r)
            s++;
        size_t p = r - F->starts[s] + m->pos_offset;
        const float *we = m->word + (size_t)F->ids[r] * H;
        const float *pe = m->pos + p * H;
        const float *te = m->type ? m->type + (size_t)(F->types ? F->types[r] : 0) * H : NULL;
        float *x = F->x + r * H;
        for (size_t j = 0; j < H; j++)
            x[j] = we[j] + pe[j] + (te ? te[j] : 0.0f);
    }
    if (r1 > r0) {
        if (F->kernel == NN_KERNEL_AVX512)
            nn_layernorm_avx512(F->x + r0 * H, NULL, r1 - r0, H, m->ln_emb.g, m->ln_emb.b,
                                m->cfg.layer_norm_eps);
        else
            nn_layernorm_ref(F->x + r0 * H, NULL, r1 - r0, H, m->ln_emb.g, m->ln_emb.b,
                             m->cfg.layer_norm_eps);
    }
}

static void job_norm(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    size_t H = F->m->cfg.hidden;
    size_t r0, r1;
    split(F->T, 1, t, nt, &r0, &r1);
    if (r1 <= r0)
        return;
    const float *res = F->ln_res ? F->ln_res + r0 * H : NULL;
    if (F->kernel == NN_KERNEL_AVX512)
        nn_layernorm_avx512(F->ln_x + r0 * H, res, r1 - r0, H, F->norm->g, F->norm->b,
                            F->m->cfg.layer_norm_eps);
    else
        nn_layernorm_ref(F->ln_x + r0 * H, res, r1 - r0, H, F->norm->g, F->norm->b,
                         F->m->cfg.layer_norm_eps);
}

/* attention of one (sequence, head) */
static void attend(fwd *F, size_t s, size_t h, float *scr)
{
    const nn_bert_config *c = &F->m->cfg;
    size_t H = c->hidden, dh = H / c->heads;
    size_t o = F->starts[s], L = F->lens[s];
    float *S = scr, *Vt = scr + L * L;
    nn_gemm g = {L, dh, 1.0f / sqrtf((float)dh), F->q + o * H + h * dh, H,
                 F->k + o * H + h * dh, H, NULL, S, L, NN_ACT_NONE};
    nn_gemm_nt(F->kernel, &g, 0, L);
    if (F->kernel == NN_KERNEL_AVX512)
        nn_softmax_avx512(S, L, L, L);
    else
        nn_softmax_ref(S, L, L, L);
    const float *v = F->v + o * H + h * dh;
    for (size_t i = 0; i < L; i++)
        for (size_t d = 0; d < dh; d++)
            Vt[d * L + i] = v[i * H + d];
    nn_gemm g2 = {L, L, 1.0f, S, L, Vt, L, NULL, F->ctx + o * H + h * dh, H, NN_ACT_NONE};
    nn_gemm_nt(F->kernel, &g2, 0, dh);
}

static void job_attn(void *arg, unsigned t, unsigned nt)
{
    fwd *F = arg;
    size_t heads = F->m->cfg.heads;
    float *scr = F->ws->scr[t];
    /* tasks (s, h) in order, split by cost L^2 */
    size_t lo = F->task_total * t / nt, hi = F->task_total * (t + 1) / nt;
    size_t acc = 0;
    for (size_t s = 0; s < F->nseq; s++) {
        size_t L = F->lens[s];
        size_t cost = L * L + 1;
        for (size_t h = 0; h < heads; h++) {
            /* a task belongs to the thread whose range holds its start */
            if (acc >= lo && acc < hi && L)
                attend(F, s, h, scr);
            acc += cost;
        }
    }
}

/* how many floats past a 64-byte boundary p lies (0 if not float-aligned) */
static size_t mis16(const float *p)
{
    uintptr_t u = (uintptr_t)p;
    return (u & 3u) ? 0 : (size_t)((u & 63u) / 4);
}

static int forward_group(fwd *F, float *logits, float *hidden, size_t hidden_stride)
{
    const nn_bert *m = F->m;
    const nn_bert_config *c = &m->cfg;
    size_t H = c->hidden, FFN = c->intermediate, T = F->T;
    nn_workspace *ws = F->ws;

    /* Each activation matrix starts where its consumer's weights do, modulo
     * a cache line (weights in a .safetensors mapping are rarely 64-byte
     * aligned): the AVX-512 kernel then loads both on line boundaries. */
    size_t seg[7] = {T * H, T * H, T * H, T * H, T * H, T * H, T * FFN};
    size_t shift[7] = {mis16(m->layer[0].q.w), 0, 0, 0, mis16(m->layer[0].o.w),
                       mis16(m->layer[0].ff1.w), mis16(m->layer[0].ff2.w)};
    size_t need = 0;
    for (int i = 0; i < 7; i++)
        need += (seg[i] + 15) / 16 * 16 + 16;
    if (ws_reserve(&ws->buf, &ws->cap, need))
        return NER_ENOMEM;
    size_t Lmax = 0;
    for (size_t s = 0; s < F->nseq; s++)
        if (F->lens[s] > Lmax)
            Lmax = F->lens[s];
    size_t dh = H / c->heads;
    for (unsigned t = 0; t < F->nthreads; t++)
        if (ws_reserve(&ws->scr[t], &ws->scrcap[t], Lmax * Lmax + dh * Lmax + 16))
            return NER_ENOMEM;
    float *bufs[7];
    size_t off = 0;
    for (int i = 0; i < 7; i++) {
        bufs[i] = ws->buf + off + shift[i];
        off += (seg[i] + 15) / 16 * 16 + 16;
    }
    F->x = bufs[0];
    F->q = bufs[1];
    F->k = bufs[2];
    F->v = bufs[3];
    F->ctx = bufs[4];
    F->t1 = bufs[5];
    F->ff = bufs[6];
    F->task_total = 0;
    for (size_t s = 0; s < F->nseq; s++)
        F->task_total += (F->lens[s] * F->lens[s] + 1) * c->heads;

    nn_pool_run(ws->pool, job_embed, F);
    if (hidden)
        memcpy(hidden, F->x, T * H * sizeof(float));

    for (size_t l = 0; l < c->layers; l++) {
        const nn_layer *y = &m->layer[l];
        nn_gemm qkv[3] = {
            {T, H, 1.0f, F->x, H, y->q.w, H, y->q.b, F->q, H, NN_ACT_NONE},
            {T, H, 1.0f, F->x, H, y->k.w, H, y->k.b, F->k, H, NN_ACT_NONE},
            {T, H, 1.0f, F->x, H, y->v.w, H, y->v.b, F->v, H, NN_ACT_NONE},
        };
        size_t nq[3] = {H, H, H};
        run_gemms(F, qkv, nq, 3);
        nn_pool_run(ws->pool, job_attn, F);
        nn_gemm go = {T, H, 1.0f, F->ctx, H, y->o.w, H, y->o.b, F->t1, H, NN_ACT_NONE};
        run_gemms(F, &go, &nq[0], 1);
        F->norm = &y->ln_att;
        F->ln_x = F->t1;
        F->ln_res = F->x;
        nn_pool_run(ws->pool, job_norm, F);
        nn_gemm g1 = {T, H, 1.0f, F->t1, H, y->ff1.w, H, y->ff1.b, F->ff, FFN, c->act};
        size_t ni = FFN;
        run_gemms(F, &g1, &ni, 1);
        nn_gemm g2 = {T, FFN, 1.0f, F->ff, FFN, y->ff2.w, FFN, y->ff2.b, F->x, H, NN_ACT_NONE};
        run_gemms(F, &g2, &nq[0], 1);
        F->norm = &y->ln_out;
        F->ln_x = F->x;
        F->ln_res = F->t1;
        nn_pool_run(ws->pool, job_norm, F);
        if (hidden)
            memcpy(hidden + (l + 1) * hidden_stride, F->x, T * H * sizeof(float));
    }
    if (logits) {
        size_t nl = c->num_labels;
        nn_gemm gc = {T, H, 1.0f, F->x, H, m->cls.w, H, m->cls.b, logits, nl, NN_ACT_NONE};
        run_gemms(F, &gc, &nl, 1);
    }
    return NER_OK;
}

static int check_input(const nn_bert *m, const int32_t *ids, const int32_t *type_ids,
                       const size_t *seq_lens, size_t nseq, size_t *total,
                       char *errbuf, size_t errlen)
{
    const nn_bert_config *c = &m->cfg;
    size_t T = 0;
    for (size_t s = 0; s < nseq; s++) {
        if (seq_lens[s] > c->max_seq_len) {
            nn_errf(errbuf, errlen, "sequence %zu has %zu tokens; the model takes at most %zu "
                    "(max_position_embeddings %zu)", s, seq_lens[s], c->max_seq_len,
                    c->max_positions);
            return NER_ETOOBIG;
        }
        T += seq_lens[s];
    }
    if (T && !ids) {
        nn_errf(errbuf, errlen, "nn_bert_forward: ids is NULL");
        return NER_EINVAL;
    }
    size_t s = 0, left = nseq ? seq_lens[0] : 0;
    for (size_t r = 0; r < T; r++) {
        while (left == 0) {
            s++;
            left = seq_lens[s];
        }
        left--;
        if (ids[r] < 0 || (size_t)ids[r] >= c->vocab_size) {
            nn_errf(errbuf, errlen, "token %zu (sequence %zu): id %ld is out of range "
                    "(vocab_size %zu)", r, s, (long)ids[r], c->vocab_size);
            return NER_ERANGE;
        }
        if (type_ids && (type_ids[r] < 0 || (size_t)type_ids[r] >= c->type_vocab_size) &&
            !(type_ids[r] == 0 && c->type_vocab_size == 0)) {
            nn_errf(errbuf, errlen, "token %zu (sequence %zu): token type %ld is out of range "
                    "(type_vocab_size %zu)", r, s, (long)type_ids[r], c->type_vocab_size);
            return NER_ERANGE;
        }
    }
    *total = T;
    return NER_OK;
}

int nn_bert_forward_hidden(const nn_bert *m, nn_workspace *ws, const int32_t *ids,
                           const int32_t *type_ids, const size_t *seq_lens, size_t nseq,
                           float *logits, float *hidden, char *errbuf, size_t errlen)
{
    if (!m || !ws || (nseq && !seq_lens)) {
        nn_errf(errbuf, errlen, "nn_bert_forward: NULL argument");
        return NER_EINVAL;
    }
    size_t T;
    int rc = check_input(m, ids, type_ids, seq_lens, nseq, &T, errbuf, errlen);
    if (rc)
        return rc;
    if (T == 0)
        return NER_OK;
    if (m->kernel == NN_KERNEL_REF) {
        rc = nn_bert_forward_ref(m, ids, type_ids, seq_lens, nseq, logits, hidden);
        if (rc)
            nn_errf(errbuf, errlen, "nn_bert_forward: out of memory");
        return rc;
    }
    const nn_bert_config *c = &m->cfg;
    size_t *starts = malloc((nseq + 1) * sizeof *starts);
    if (!starts) {
        nn_errf(errbuf, errlen, "nn_bert_forward: out of memory");
        return NER_ENOMEM;
    }
    /* skip empty sequences, cut into groups of about GROUP_TOKENS */
    size_t s = 0, row = 0;
    while (s < nseq) {
        size_t s1 = s, n = 0;
        while (s1 < nseq && (s1 == s || n + seq_lens[s1] <= GROUP_TOKENS)) {
            n += seq_lens[s1];
            s1++;
        }
        if (n) {
            fwd F;
            memset(&F, 0, sizeof F);
            F.m = m;
            F.ws = ws;
            F.kernel = m->kernel;
            F.nthreads = nn_pool_size(ws->pool);
            F.T = n;
            F.ids = ids + row;
            F.types = type_ids ? type_ids + row : NULL;
            F.lens = seq_lens + s;
            F.nseq = s1 - s;
            F.starts = starts;
            starts[0] = 0;
            for (size_t i = 0; i < F.nseq; i++)
                starts[i + 1] = starts[i] + F.lens[i];
            rc = forward_group(&F, logits ? logits + row * c->num_labels : NULL,
                               hidden ? hidden + row * c->hidden : NULL, T * c->hidden);
            if (rc) {
                nn_errf(errbuf, errlen, "nn_bert_forward: out of memory (%zu tokens)", n);
                break;
            }
        }
        row += n;
        s = s1;
    }
    free(starts);
    return rc;
}

int nn_bert_forward(const nn_bert *m, nn_workspace *ws, const int32_t *ids,
                    const int32_t *type_ids, const size_t *seq_lens, size_t nseq,
                    float *logits, char *errbuf, size_t errlen)
{
    if (!logits) {
        nn_errf(errbuf, errlen, "nn_bert_forward: logits is NULL");
        return NER_EINVAL;
    }
    return nn_bert_forward_hidden(m, ws, ids, type_ids, seq_lens, nseq, logits, NULL, errbuf,
                                  errlen);
}
