/* BERT-family encoder: config.json, the weights by their Hugging Face names,
 * the BF16 copies; the forward pass is in bert_forward.c. */
#include "nn/bert.h"

#include <cblas.h>
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
            nu_errf(c->errbuf, c->errlen, "%s: key \"%s\" is missing", c->path, key);
            return NER_EFORMAT;
        }
        *out = def;
        return NER_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        (unsigned long long)json_integer_value(v) > (unsigned long long)(SIZE_MAX / 64)) {
        nu_errf(c->errbuf, c->errlen, "%s: key \"%s\" must be a non-negative integer", c->path,
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
        nu_errf(c->errbuf, c->errlen, "%s: key \"%s\" must be a string", c->path, key);
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
        nu_errf(c->errbuf, c->errlen, "%s: key \"%s\": activation \"%.64s\" is not supported "
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
            nu_errf(c->errbuf, c->errlen, "%s: key \"model_type\" is missing", c->path);
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
        nu_errf(c->errbuf, c->errlen, "%s: key \"model_type\": \"%.64s\" is not supported "
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
            nu_errf(c->errbuf, c->errlen, "%s: key \"layer_norm_eps\" must be a number in [0, 1)",
                    c->path);
            return NER_EFORMAT;
        }
        /* position_embedding_type other than absolute changes the maths */
        const char *pet = NULL;
        if ((rc = cfg_str(c, "position_embedding_type", "absolute", &pet)))
            return rc;
        if (strcmp(pet, "absolute") != 0) {
            nu_errf(c->errbuf, c->errlen, "%s: key \"position_embedding_type\": \"%.64s\" is not "
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
        nu_errf(c->errbuf, c->errlen, "%s: key \"pad_token_id\" must be a non-negative integer",
                c->path);
        return NER_EFORMAT;
    }

    const char *hk = k->model_type == NN_MODEL_DISTILBERT ? "dim" : "hidden_size";
    const char *nk = k->model_type == NN_MODEL_DISTILBERT ? "n_heads" : "num_attention_heads";
    if (k->hidden == 0 || k->heads == 0 || k->hidden % k->heads != 0) {
        nu_errf(c->errbuf, c->errlen, "%s: key \"%s\" (%zu) must be a positive multiple of "
                "\"%s\" (%zu)", c->path, hk, k->hidden, nk, k->heads);
        return NER_EFORMAT;
    }
    if (k->layers == 0 || k->intermediate == 0 || k->vocab_size == 0 || k->max_positions == 0) {
        nu_errf(c->errbuf, c->errlen, "%s: layer count, intermediate size, vocab_size and "
                "max_position_embeddings must be positive", c->path);
        return NER_EFORMAT;
    }
    if (k->layers > 1000 || k->hidden > 65536 || k->intermediate > 1048576 ||
        k->max_positions > 1048576 || k->heads > k->hidden) {
        nu_errf(c->errbuf, c->errlen, "%s: sizes out of range (layers %zu, hidden %zu, "
                "intermediate %zu, positions %zu)", c->path, k->layers, k->hidden,
                k->intermediate, k->max_positions);
        return NER_EFORMAT;
    }
    if (k->model_type == NN_MODEL_ROBERTA) {
        if (k->pad_token_id < 0 || (size_t)k->pad_token_id + 1 >= k->max_positions) {
            nu_errf(c->errbuf, c->errlen, "%s: RoBERTa needs \"pad_token_id\" below "
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
            nu_errf(c->errbuf, c->errlen, "%s: key \"id2label\" must be a non-empty object",
                    c->path);
            return NER_EFORMAT;
        }
        size_t n = json_object_size(id2);
        m->labels = calloc(n, sizeof *m->labels);
        if (!m->labels) {
            nu_errf(c->errbuf, c->errlen, "%s: out of memory", c->path);
            return NER_ENOMEM;
        }
        k->num_labels = n;
        const char *key;
        json_t *v;
        json_object_foreach(id2, key, v) {
            size_t i;
            if (!parse_label_index(key, n, &i) || m->labels[i]) {
                nu_errf(c->errbuf, c->errlen, "%s: key \"id2label\": \"%.32s\" is not a label "
                        "index in 0..%zu (or repeats one)", c->path, key, n - 1);
                return NER_EFORMAT;
            }
            if (!json_is_string(v)) {
                nu_errf(c->errbuf, c->errlen, "%s: key \"id2label\": label \"%.32s\" is not a "
                        "string", c->path, key);
                return NER_EFORMAT;
            }
            if (!(m->labels[i] = strdup(json_string_value(v)))) {
                nu_errf(c->errbuf, c->errlen, "%s: out of memory", c->path);
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
        nu_errf(L->errbuf, L->errlen, "%s: the weights have no tensor %s (model_type %s)",
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
            nu_errf(L->errbuf, L->errlen, "%s: tensor %s has shape [%s]; config.json (%s) "
                    "says [%zu, %zu]", t->file, t->name, got, what, d0, d1);
        else
            nu_errf(L->errbuf, L->errlen, "%s: tensor %s has shape [%s]; config.json (%s) "
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
            nu_errf(L->errbuf, L->errlen, "%s: out of memory", t->file);
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
    char name[232];
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
    char name[232];
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
        nu_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
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
        nu_errf(L->errbuf, L->errlen, "%s: the weights have no tensor classifier.weight: not a "
                "token-classification checkpoint", L->dir);
        return NER_ENOTFOUND;
    }
    if (cw->ndim != 2 || cw->shape[1] != H || cw->shape[0] == 0) {
        nu_errf(L->errbuf, L->errlen, "%s: tensor classifier.weight must have shape "
                "[num_labels, %zu] (%s)", cw->file, H, hk);
        return NER_EFORMAT;
    }
    if (m->labels && c->num_labels != cw->shape[0]) {
        nu_errf(L->errbuf, L->errlen, "%s/config.json: key \"id2label\" has %zu labels but "
                "tensor classifier.weight has %zu rows", L->dir, c->num_labels, cw->shape[0]);
        return NER_EFORMAT;
    }
    if (!m->labels) {
        c->num_labels = cw->shape[0];
        m->labels = calloc(c->num_labels, sizeof *m->labels);
        if (!m->labels) {
            nu_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
            return NER_ENOMEM;
        }
        for (size_t i = 0; i < c->num_labels; i++) {
            char b[32];
            snprintf(b, sizeof b, "LABEL_%zu", i);
            if (!(m->labels[i] = strdup(b))) {
                nu_errf(L->errbuf, L->errlen, "%s: out of memory", L->dir);
                return NER_ENOMEM;
            }
        }
    }
    c->id2label = (const char *const *)m->labels;
    c->weight_dtype = cw->dtype;
    snprintf(what, sizeof what, "id2label x %s", hk);
    return bind_linear(L, "classifier", c->num_labels, H, what, &m->cls);
}

/* ================================================================ BF16 */

static int linear_to_bf16(nn_bert *m, nn_linear *l)
{
    l->ld16 = (l->in + 31) / 32 * 32;
    if (l->out > SIZE_MAX / 2 / l->ld16)
        return NER_ENOMEM;
    l->w16 = nn_alloc_aligned(l->out * l->ld16 * sizeof(uint16_t));
    if (!l->w16)
        return NER_ENOMEM;
    if (m->has_bf16)
        nn_rows_to_bf16_avx512bf16(l->w, l->out, l->in, l->in, l->w16, l->ld16);
    else
        nn_rows_to_bf16(l->w, l->out, l->in, l->in, l->w16, l->ld16);
    /* the F32 weights are not read again (but by the reference path): let
     * their pages go when they are the file's */
    nn_st_tensor t;
    memset(&t, 0, sizeof t);
    t.data = (const uint8_t *)(const void *)l->w;
    t.nbytes = l->out * l->in * sizeof(float);
    nn_st_release(m->st, &t);
    return NER_OK;
}

/* the encoder's matrices as bf16 (embeddings, norms, biases, the
 * classifier and attention stay float32) */
static int to_bf16(nn_bert *m, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < m->cfg.layers; i++) {
        nn_layer *y = &m->layer[i];
        nn_linear *ls[6] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
        for (int j = 0; j < 6; j++)
            if (linear_to_bf16(m, ls[j])) {
                nu_errf(errbuf, errlen, "%s: out of memory converting the weights to bf16",
                        m->dir);
                return NER_ENOMEM;
            }
    }
    return NER_OK;
}

/* ================================================================ INT8 */

/* the encoder's matrices as int8 (as for BF16, the rest stays float32) */
static int to_int8(nn_bert *m, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < m->cfg.layers; i++) {
        nn_layer *y = &m->layer[i];
        nn_linear *ls[6] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
        for (int j = 0; j < 6; j++) {
            nn_linear *l = ls[j];
            /* int32 sums: 255 * 127 * in must stay below 2^31 */
            if (l->in > 65536) {
                nu_errf(errbuf, errlen, "%s: int8 precision takes layers of at most 65536 "
                        "inputs (this one has %zu)", m->dir, l->in);
                return NER_EUNSUPPORTED;
            }
            if (nn_q8w_init(&l->q8, l->w, l->out, l->in)) {
                nu_errf(errbuf, errlen, "%s: out of memory quantising the weights to int8",
                        m->dir);
                return NER_ENOMEM;
            }
            nn_st_tensor t;
            memset(&t, 0, sizeof t);
            t.data = (const uint8_t *)(const void *)l->w;
            t.nbytes = l->out * l->in * sizeof(float);
            nn_st_release(m->st, &t);
        }
    }
    return NER_OK;
}

int nn_bert_precision(const nn_bert *m)
{
    return m->precision;
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
    if (m->layer)
        for (size_t i = 0; i < m->cfg.layers; i++) {
            nn_layer *y = &m->layer[i];
            free(y->q.w16);
            free(y->k.w16);
            free(y->v.w16);
            free(y->o.w16);
            free(y->ff1.w16);
            free(y->ff2.w16);
            nn_linear *ls[6] = {&y->q, &y->k, &y->v, &y->o, &y->ff1, &y->ff2};
            for (int j = 0; j < 6; j++)
                nn_q8w_free(&ls[j]->q8);
        }
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
        nu_errf(errbuf, errlen, "nn_bert_load: NULL argument");
        return NER_EINVAL;
    }
    *out = NULL;
    nn_bert_options o;
    nn_bert_options_init(&o);
    if (opts) {
        if (opts->size < sizeof(uint32_t) * 2 || opts->size > sizeof o) {
            nu_errf(errbuf, errlen, "nn_bert_load: options of unknown size %u", opts->size);
            return NER_EABI;
        }
        memcpy(&o, opts, opts->size);
        o.size = (uint32_t)sizeof o;
    }
    if (o.precision != NN_PRECISION_F32 && o.precision != NN_PRECISION_AUTO &&
        o.precision != NN_PRECISION_BF16 && o.precision != NN_PRECISION_INT8) {
        nu_errf(errbuf, errlen, "%s: precision %u is not supported by this build (F32, AUTO, "
                "BF16, INT8)",
                dir, o.precision);
        return NER_EUNSUPPORTED;
    }

    nn_bert *m = calloc(1, sizeof *m);
    char *cfgpath = nn_path_join(dir, "config.json");
    int rc = NER_OK;
    json_t *root = NULL;
    if (!m || !cfgpath || !(m->dir = strdup(dir))) {
        nu_errf(errbuf, errlen, "%s: out of memory", dir);
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
            nu_errf(errbuf, errlen, "%s: not a JSON object", cfgpath);
        else
            nu_errf(errbuf, errlen, "%s: line %d: %s", cfgpath, jerr.line, jerr.text);
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
    m->has_bf16 = nn_cpu_has_avx512bf16();
    m->has_vnni = nn_cpu_has_avx512vnni();
    m->precision = NN_PRECISION_F32;
    if (o.precision == NN_PRECISION_INT8) {
        if ((rc = to_int8(m, errbuf, errlen)))
            goto done;
        m->precision = NN_PRECISION_INT8;
    } else if (o.precision == NN_PRECISION_BF16 ||
        (o.precision == NN_PRECISION_AUTO && m->kernel == NN_KERNEL_AVX512 &&
         nn_cpu_has_avx512bf16())) {
        if ((rc = to_bf16(m, errbuf, errlen)))
            goto done;
        m->precision = NN_PRECISION_BF16;
    }
    m->cfg.precision = m->precision;
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

