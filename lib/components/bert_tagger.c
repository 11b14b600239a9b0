/* The "bert_tagger" component: a Hugging Face BERT-family token classifier
 * (lib/nn) over the pieces the "wordpiece" component attached, with the
 * transformers TokenClassificationPipeline's post-processing
 * (bert_aggregate.h).
 *
 * dir (required): a Hugging Face folder (config.json + model.safetensors or
 * a sharded index), or the component's sub-folder of a saved pipeline.
 *
 * Config (a JSON object; every key optional):
 *   "aggregation"    "none" | "simple" | "first" | "average" | "max";
 *                    default "simple".  transformers' own default is "none"
 *                    (one result per piece); libner's default makes entities
 *                    (groups of B-X/I-X pieces) as most NER model cards ask
 *                    for.  "first" is the first-wordpiece decoding models are
 *                    usually trained and scored with.  With "none" every
 *                    piece whose label is not ignored is an entity labelled
 *                    with the full tag ("B-PER").
 *   "words"          what "first", "average" and "max" take as a word:
 *                    "wordpiece" (default): transformers' rule, a piece is a
 *                    sub-word when its token string's length differs from
 *                    the length of the text it covers ([UNK] never is), so
 *                    words are the BERT pre-tokenizer's (punctuation splits
 *                    "U.S." into four); "whitespace": a word is a run of text
 *                    between White_Space, e.g. the tokens of a CoNLL file
 *                    joined by spaces.  "whitespace" with "first" is the
 *                    first-wordpiece-per-word decoding token classifiers are
 *                    trained and scored with on pre-tokenised data.
 *   "ignore_labels"  array of labels left out, default ["O"] (compared with
 *                    the group label, or with the piece label for "none").
 *   "stride"         overlap, in pieces, of consecutive windows of a text
 *                    longer than one window; 0 <= stride < window - 2.
 *                    Default: min(128, (window - 2) / 2).  Text is never
 *                    truncated: where transformers cuts a long text at
 *                    model_max_length unless given a stride, libner always
 *                    windows it.  A text that fits one window is one window,
 *                    exactly as transformers runs it.
 *   "max_length"     window length in tokens with [CLS] and [SEP]; default
 *                    the tokenizer's model_max_length (tokenizer_config.json)
 *                    capped by the model's max_position_embeddings.
 *   "batch_tokens"   most tokens in one forward pass (windows of a batch are
 *                    sorted by length and packed without padding up to it);
 *                    default 8192.
 *   "threads"        threads splitting one forward pass; default 1 (batches
 *                    of docs are spread over threads by the pipeline).
 *   "precision"      "f32" (default), "auto", "bf16", "int8": passed to the
 *                    encoder, which refuses those it cannot run.
 *
 * Windows: [CLS] + at most window - 2 pieces + [SEP]; windows start every
 * window - 2 - stride pieces and the last one reaches the end of the text
 * (the Rust tokenizers' overflowing tokens with stride).  Each window is
 * aggregated on its own; the results of a text of several windows are
 * merged as transformers' aggregate_overlapping_entities does.
 *
 * Entities: each result becomes an entity over the doc tokens of its first
 * to its last piece, with the result's score, unless it overlaps an entity
 * already on the doc (then it is left out).
 *
 * save writes config.json and hard-links (or copies) the weights into its
 * folder; the config above goes to pipeline.json with the component.
 *
 * Threads: the model is read-only.  Encoder workspaces (scratch memory) are
 * taken from a small mutex-guarded cache in the state and given back after
 * each call, so concurrent calls never share one. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/errbuf.h"
#include "util/fs.h"
#include "components/bert_aggregate.h"
#include "components/builtins.h"
#include "components/wordpiece_attach.h"
#include "ner/ner_component.h"
#include "nn/bert.h"

#define BT_WS_CACHE 16

typedef struct bt_state {
    nn_bert *model;
    const nn_bert_config *cfg;
    nc_agg_labels *labels;
    int strategy;
    int words_ws;          /* "words": "whitespace" */
    long stride;           /* -1: automatic */
    size_t max_length;     /* 0: from the tokenizer and the model */
    size_t batch_tokens;
    unsigned threads;
    char *src_dir;
    pthread_mutex_t lock;
    nn_workspace *ws[BT_WS_CACHE];
    size_t nws;
} bt_state;

static void bt_free(void *state)
{
    bt_state *st = state;
    if (!st)
        return;
    for (size_t i = 0; i < st->nws; i++)
        nn_workspace_free(st->ws[i]);
    pthread_mutex_destroy(&st->lock);
    nc_agg_labels_free(st->labels);
    nn_bert_free(st->model);
    free(st->src_dir);
    free(st);
}

static int get_count(json_t *v, const char *key, size_t lo, size_t hi, size_t *out,
                     char *errbuf, size_t errlen)
{
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)lo ||
        (size_t)json_integer_value(v) > hi) {
        nu_errf(errbuf, errlen, "bert_tagger config: \"%s\" must be an integer in %zu..%zu",
             key, lo, hi);
        return NER_EINVAL;
    }
    *out = (size_t)json_integer_value(v);
    return NER_OK;
}

static int bt_init(void **state, const char *config_json, const char *dir,
                   char *errbuf, size_t errlen)
{
    if (!state) {
        nu_errf(errbuf, errlen, "bert_tagger: state is NULL");
        return NER_EINVAL;
    }
    *state = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!cfg) {
        nu_errf(errbuf, errlen, "bert_tagger config: line %d, column %d: %s", je.line,
             je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    const char **ignore = NULL;
    size_t nignore = 0;
    static const char *const default_ignore[] = {"O"};
    bt_state *st = calloc(1, sizeof *st);
    if (!st) {
        json_decref(cfg);
        return NER_ENOMEM;
    }
    if (pthread_mutex_init(&st->lock, NULL) != 0) {
        free(st);
        json_decref(cfg);
        return NER_ENOMEM;
    }
    st->strategy = NC_AGG_SIMPLE;
    st->stride = -1;
    st->batch_tokens = 8192;
    st->threads = 1;
    nn_bert_options opts;
    nn_bert_options_init(&opts);
    if (!json_is_object(cfg)) {
        nu_errf(errbuf, errlen, "bert_tagger config must be a JSON object");
        rc = NER_EINVAL;
        goto fail;
    }
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) {
        size_t x = 0;
        if (strcmp(key, "aggregation") == 0) {
            st->strategy = json_is_string(v) ? nc_agg_parse(json_string_value(v)) : -1;
            if (st->strategy < 0) {
                nu_errf(errbuf, errlen, "bert_tagger config: \"aggregation\" must be one of "
                     "\"none\", \"simple\", \"first\", \"average\", \"max\"");
                rc = NER_EINVAL;
                goto fail;
            }
        } else if (strcmp(key, "words") == 0) {
            const char *w = json_is_string(v) ? json_string_value(v) : "";
            if (strcmp(w, "wordpiece") != 0 && strcmp(w, "whitespace") != 0) {
                nu_errf(errbuf, errlen, "bert_tagger config: \"words\" must be "
                     "\"wordpiece\" or \"whitespace\"");
                rc = NER_EINVAL;
                goto fail;
            }
            st->words_ws = w[1] == 'h';
        } else if (strcmp(key, "ignore_labels") == 0) {
            if (!json_is_array(v)) {
                nu_errf(errbuf, errlen, "bert_tagger config: \"ignore_labels\" must be an "
                     "array of strings");
                rc = NER_EINVAL;
                goto fail;
            }
            nignore = json_array_size(v);
            ignore = calloc(nignore ? nignore : 1, sizeof *ignore);
            if (!ignore) {
                rc = NER_ENOMEM;
                goto fail;
            }
            for (size_t i = 0; i < nignore; i++) {
                json_t *s = json_array_get(v, i);
                if (!json_is_string(s)) {
                    nu_errf(errbuf, errlen, "bert_tagger config: ignore_labels[%zu] is not "
                         "a string", i);
                    rc = NER_EINVAL;
                    goto fail;
                }
                ignore[i] = json_string_value(s);
            }
        } else if (strcmp(key, "stride") == 0) {
            if ((rc = get_count(v, key, 0, 1 << 20, &x, errbuf, errlen)) != NER_OK)
                goto fail;
            st->stride = (long)x;
        } else if (strcmp(key, "max_length") == 0) {
            if ((rc = get_count(v, key, 3, 1 << 20, &st->max_length, errbuf, errlen)) != NER_OK)
                goto fail;
        } else if (strcmp(key, "batch_tokens") == 0) {
            if ((rc = get_count(v, key, 1, (size_t)1 << 30, &st->batch_tokens, errbuf, errlen)))
                goto fail;
        } else if (strcmp(key, "threads") == 0) {
            if ((rc = get_count(v, key, 1, 256, &x, errbuf, errlen)) != NER_OK)
                goto fail;
            st->threads = (unsigned)x;
        } else if (strcmp(key, "precision") == 0) {
            static const char *const names[] = {"f32", "auto", "bf16", "int8"};
            static const uint32_t vals[] = {NN_PRECISION_F32, NN_PRECISION_AUTO,
                                            NN_PRECISION_BF16, NN_PRECISION_INT8};
            int found = 0;
            for (size_t i = 0; i < 4 && json_is_string(v); i++)
                if (strcmp(json_string_value(v), names[i]) == 0) {
                    opts.precision = vals[i];
                    found = 1;
                }
            if (!found) {
                nu_errf(errbuf, errlen, "bert_tagger config: \"precision\" must be one of "
                     "\"f32\", \"auto\", \"bf16\", \"int8\"");
                rc = NER_EINVAL;
                goto fail;
            }
        } else {
            nu_errf(errbuf, errlen, "bert_tagger config: unknown key \"%.64s\" (known: "
                 "aggregation, words, ignore_labels, stride, max_length, "
                 "batch_tokens, threads, precision)", key);
            rc = NER_EINVAL;
            goto fail;
        }
    }
    if (!dir) {
        nu_errf(errbuf, errlen, "bert_tagger: needs a model folder (the dir parameter) "
             "with config.json and model.safetensors");
        rc = NER_EINVAL;
        goto fail;
    }
    if (!(st->src_dir = strdup(dir))) {
        rc = NER_ENOMEM;
        goto fail;
    }
    if ((rc = nn_bert_load_ex(&st->model, dir, &opts, errbuf, errlen)) != NER_OK)
        goto fail;
    st->cfg = nn_bert_get_config(st->model);
    if (st->cfg->max_seq_len < 3) {
        nu_errf(errbuf, errlen, "%s: the model takes sequences of %zu tokens, too few for "
             "[CLS] + a piece + [SEP]", dir, st->cfg->max_seq_len);
        rc = NER_EFORMAT;
        goto fail;
    }
    if (st->stride >= 0) {
        size_t w = st->max_length && st->max_length < st->cfg->max_seq_len
                       ? st->max_length : st->cfg->max_seq_len;
        if ((size_t)st->stride >= w - 2) {
            nu_errf(errbuf, errlen, "bert_tagger config: \"stride\" %ld must be less than "
                 "the window length minus [CLS] and [SEP] (%zu)", st->stride, w - 2);
            rc = NER_EINVAL;
            goto fail;
        }
    }
    st->labels = ignore ? nc_agg_labels_new(st->cfg->id2label, st->cfg->num_labels,
                                            ignore, nignore)
                        : nc_agg_labels_new(st->cfg->id2label, st->cfg->num_labels,
                                            default_ignore, 1);
    if (!st->labels) {
        rc = NER_ENOMEM;
        goto fail;
    }
    free(ignore);
    json_decref(cfg);
    *state = st;
    return NER_OK;
fail:
    if (rc == NER_ENOMEM)
        nu_errf(errbuf, errlen, "bert_tagger: out of memory");
    free(ignore);
    json_decref(cfg);
    bt_free(st);
    return rc;
}

/* ------------------------------------------------------------ workspaces */

static nn_workspace *ws_take(bt_state *st)
{
    nn_workspace *ws = NULL;
    pthread_mutex_lock(&st->lock);
    if (st->nws)
        ws = st->ws[--st->nws];
    pthread_mutex_unlock(&st->lock);
    if (!ws)
        ws = st->threads > 1 ? nn_workspace_new_threads(st->threads) : nn_workspace_new();
    return ws;
}

static void ws_give(bt_state *st, nn_workspace *ws)
{
    if (!ws)
        return;
    pthread_mutex_lock(&st->lock);
    if (st->nws < BT_WS_CACHE) {
        st->ws[st->nws++] = ws;
        ws = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    nn_workspace_free(ws);
}

/* ------------------------------------------------------------ process */

typedef struct bt_window {
    size_t doc, start, count; /* pieces [start, start + count) of doc */
    size_t order;             /* position among its doc's windows */
    nc_agg_vec res;           /* results of this window */
} bt_window;

typedef struct bt_docinfo {
    const nc_wp_attach *a;
    size_t first_win, nwin;   /* windows in text order */
    int failed;
} bt_docinfo;

static int cmp_len_desc(const void *x, const void *y)
{
    const bt_window *const *a = x, *const *b = y;
    if ((*a)->count != (*b)->count)
        return (*a)->count > (*b)->count ? -1 : 1;
    return *a < *b ? -1 : *a > *b; /* stable: by position */
}

/* Window geometry for one doc: window length in pieces and the stride. */
static int doc_geometry(const bt_state *st, const nc_wp_attach *a, ner_doc *doc,
                        size_t *len, size_t *stride)
{
    size_t w = st->cfg->max_seq_len;
    if (st->max_length) {
        if (st->max_length < w)
            w = st->max_length;
    } else if (a->model_max_length >= 3 && a->model_max_length < w) {
        w = a->model_max_length;
    }
    *len = w - 2;
    if (st->stride >= 0) {
        if ((size_t)st->stride >= *len)
            return ner_doc_set_error(doc, NER_EINVAL, "bert_tagger: stride %ld is not "
                                     "less than the window of %zu pieces", st->stride, *len);
        *stride = (size_t)st->stride;
    } else {
        *stride = *len / 2 < 128 ? *len / 2 : 128;
    }
    return NER_OK;
}

static int add_results(const bt_state *st, ner_doc *doc, const nc_wp_attach *a,
                       bt_window *wins, size_t nwin)
{
    (void)st;
    nc_agg_vec all = {NULL, 0, 0};
    nc_agg_vec *v = &wins[0].res;
    if (nwin > 1) {
        for (size_t w = 0; w < nwin; w++) {
            const nc_agg_vec *r = &wins[w].res;
            if (all.n + r->n > all.cap) {
                size_t nc = all.cap ? all.cap : 64;
                while (nc < all.n + r->n)
                    nc *= 2;
                nc_agg_entity *e = realloc(all.e, nc * sizeof *e);
                if (!e) {
                    nc_agg_vec_free(&all);
                    return ner_doc_set_error(doc, NER_ENOMEM, "bert_tagger: out of memory");
                }
                all.e = e;
                all.cap = nc;
            }
            if (r->n)
                memcpy(all.e + all.n, r->e, r->n * sizeof *r->e);
            all.n += r->n;
        }
        if (nc_agg_merge_windows(&all) != NER_OK) {
            nc_agg_vec_free(&all);
            return ner_doc_set_error(doc, NER_ENOMEM, "bert_tagger: out of memory");
        }
        v = &all;
    }
    int rc = NER_OK;
    for (size_t i = 0; i < v->n && rc == NER_OK; i++) {
        const nc_agg_entity *e = &v->e[i];
        if (e->first >= a->n || e->last >= a->n)
            continue;
        size_t ts = a->tok[e->first], te = a->tok[e->last] + 1;
        if (te <= ts || te > ner_doc_token_count(doc) || ner_doc_ents_overlap(doc, ts, te))
            continue;
        double score = e->score < 0 ? 0.0 : e->score > 1 ? 1.0 : (double)e->score;
        rc = ner_doc_add_ent(doc, ts, te, e->label, score, 0, NULL);
        if (rc == NER_EOVERLAP)
            rc = NER_OK;
    }
    nc_agg_vec_free(&all);
    return rc;
}

static int bt_process_batch(const void *state, ner_doc *const *docs, size_t n)
{
    bt_state *st = (bt_state *)state; /* only the workspace cache is written,
                                         under its mutex */
    if (!st || (!docs && n))
        return NER_EINVAL;
    if (n == 0)
        return NER_OK;
    const size_t nl = st->cfg->num_labels;
    int first = NER_OK;
    bt_docinfo *di = calloc(n, sizeof *di);
    bt_window *wins = NULL, **order = NULL;
    size_t nwin = 0;
    int32_t *ids = NULL;
    size_t *lens = NULL;
    float *logits = NULL;
    nc_agg_token *toks = NULL;
    nn_workspace *ws = NULL;
    if (!di) {
        first = NER_ENOMEM;
        goto out;
    }
    /* windows of every doc */
    for (size_t d = 0; d < n; d++) {
        ner_doc *doc = docs[d];
        if (!doc) {
            di[d].failed = 1;
            if (first == NER_OK)
                first = NER_EINVAL;
            continue;
        }
        const nc_wp_attach *a = ner_doc_attachment(doc, NC_WORDPIECE_KEY);
        if (!a || a->size < sizeof(nc_wp_attach)) {
            int rc = ner_doc_set_error(doc, NER_EINVAL, "bert_tagger: the doc has no "
                                       "wordpieces: put a \"wordpiece\" component "
                                       "before it");
            di[d].failed = 1;
            if (first == NER_OK)
                first = rc;
            continue;
        }
        if (a->n && (a->cls_id < 0 || a->sep_id < 0)) {
            int rc = ner_doc_set_error(doc, NER_EFORMAT, "bert_tagger: the vocabulary "
                                       "has no [CLS] or [SEP] token");
            di[d].failed = 1;
            if (first == NER_OK)
                first = rc;
            continue;
        }
        size_t len = 0, stride = 0;
        int rc = doc_geometry(st, a, doc, &len, &stride);
        if (rc != NER_OK) {
            di[d].failed = 1;
            if (first == NER_OK)
                first = rc;
            continue;
        }
        di[d].a = a;
        size_t k = nc_agg_windows(a->n, len, stride, NULL);
        bt_window *nw = realloc(wins, (nwin + k + 1) * sizeof *nw);
        size_t *starts = malloc((k + 1) * sizeof *starts);
        if (nw)
            wins = nw;
        if (!nw || !starts) {
            free(starts);
            first = NER_ENOMEM;
            goto out;
        }
        nc_agg_windows(a->n, len, stride, starts);
        di[d].first_win = nwin;
        di[d].nwin = k;
        for (size_t i = 0; i < k; i++) {
            size_t c = a->n - starts[i] < len ? a->n - starts[i] : len;
            wins[nwin++] = (bt_window){d, starts[i], c, i, {NULL, 0, 0}};
        }
        free(starts);
    }
    if (nwin == 0)
        goto out;
    /* longest first, packed without padding up to batch_tokens */
    order = malloc(nwin * sizeof *order);
    if (!order) {
        first = NER_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nwin; i++)
        order[i] = &wins[i];
    qsort(order, nwin, sizeof *order, cmp_len_desc);
    size_t maxw = order[0]->count + 2;
    size_t cap_tok = st->batch_tokens > maxw ? st->batch_tokens : maxw;
    ids = malloc(cap_tok * sizeof *ids);
    lens = malloc(nwin * sizeof *lens);
    logits = malloc(cap_tok * nl * sizeof *logits);
    toks = malloc(maxw * sizeof *toks);
    ws = ws_take(st);
    if (!ids || !lens || !logits || !toks || !ws) {
        first = NER_ENOMEM;
        goto out;
    }
    for (size_t p0 = 0; p0 < nwin;) {
        size_t p1 = p0, ntok = 0;
        while (p1 < nwin && (p1 == p0 || ntok + order[p1]->count + 2 <= cap_tok)) {
            const bt_window *w = order[p1];
            const nc_wp_attach *a = di[w->doc].a;
            ids[ntok++] = a->cls_id;
            memcpy(ids + ntok, a->ids + w->start, w->count * sizeof *ids);
            ntok += w->count;
            ids[ntok++] = a->sep_id;
            lens[p1 - p0] = w->count + 2;
            p1++;
        }
        char err[NER_ERRBUF_SIZE] = "";
        int rc = nn_bert_forward(st->model, ws, ids, NULL, lens, p1 - p0, logits, err,
                                 sizeof err);
        if (rc != NER_OK) {
            for (size_t i = p0; i < p1; i++) {
                size_t d = order[i]->doc;
                if (!di[d].failed) {
                    di[d].failed = 1;
                    ner_doc_set_error(docs[d], rc, "bert_tagger: %s", err);
                }
            }
            if (first == NER_OK)
                first = rc;
            p0 = p1;
            continue;
        }
        nc_agg_softmax(logits, ntok, nl);
        size_t row = 0;
        for (size_t i = p0; i < p1; i++) {
            bt_window *w = order[i];
            const nc_wp_attach *a = di[w->doc].a;
            for (size_t t = 0; t < w->count; t++) {
                size_t pc = w->start + t;
                toks[t].probs = logits + (row + 1 + t) * nl;
                toks[t].start = a->cstart[pc];
                toks[t].end = a->cend[pc];
                toks[t].piece = pc;
                toks[t].is_subword = st->words_ws ? !a->word_start[pc] : a->subword[pc];
            }
            row += w->count + 2;
            if (di[w->doc].failed)
                continue;
            rc = nc_agg_window(st->labels, st->strategy, toks, w->count, &w->res);
            if (rc != NER_OK) {
                di[w->doc].failed = 1;
                ner_doc_set_error(docs[w->doc], rc, "bert_tagger: %s", ner_strerror(rc));
                if (first == NER_OK)
                    first = rc;
            }
        }
        p0 = p1;
    }
    for (size_t d = 0; d < n; d++) {
        if (di[d].failed || !di[d].nwin)
            continue;
        int rc = add_results(st, docs[d], di[d].a, wins + di[d].first_win, di[d].nwin);
        if (rc != NER_OK && first == NER_OK)
            first = rc;
    }
out:
    if (first == NER_ENOMEM)
        for (size_t d = 0; d < n; d++)
            if (docs[d] && ner_doc_status(docs[d]) == NER_OK)
                ner_doc_set_error(docs[d], NER_ENOMEM, "bert_tagger: out of memory");
    ws_give(st, ws);
    for (size_t i = 0; i < nwin; i++)
        nc_agg_vec_free(&wins[i].res);
    free(wins);
    free(order);
    free(ids);
    free(lens);
    free(logits);
    free(toks);
    free(di);
    return first;
}

static int bt_process(const void *state, ner_doc *doc)
{
    ner_doc *one[1] = {doc};
    return bt_process_batch(state, one, 1);
}

/* ------------------------------------------------------------ save */


/* Hard-links src to dst, or copies it (another file system); an existing
 * dst is replaced, a dst that is src itself is left alone. */
static int link_or_copy(const char *src, const char *dst, char *errbuf, size_t errlen)
{
    struct stat a, b;
    if (stat(src, &a) != 0) {
        nu_errf(errbuf, errlen, "%s: %s", src, strerror(errno));
        return NER_EIO;
    }
    if (stat(dst, &b) == 0) {
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return NER_OK;
        if (unlink(dst) != 0) {
            nu_errf(errbuf, errlen, "%s: cannot replace: %s", dst, strerror(errno));
            return NER_EIO;
        }
    }
    if (link(src, dst) == 0)
        return NER_OK;
    int in = open(src, O_RDONLY);
    if (in < 0) {
        nu_errf(errbuf, errlen, "%s: %s", src, strerror(errno));
        return NER_EIO;
    }
    int outfd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (outfd < 0) {
        nu_errf(errbuf, errlen, "%s: cannot write: %s", dst, strerror(errno));
        close(in);
        return NER_EIO;
    }
    char buf[1 << 16];
    int rc = NER_OK;
    for (;;) {
        ssize_t k = read(in, buf, sizeof buf);
        if (k == 0)
            break;
        if (k < 0) {
            if (errno == EINTR)
                continue;
            nu_errf(errbuf, errlen, "%s: read error: %s", src, strerror(errno));
            rc = NER_EIO;
            break;
        }
        for (ssize_t off = 0; off < k && rc == NER_OK;) {
            ssize_t w = write(outfd, buf + off, (size_t)(k - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                nu_errf(errbuf, errlen, "%s: write error: %s", dst, strerror(errno));
                rc = NER_EIO;
            } else {
                off += w;
            }
        }
        if (rc != NER_OK)
            break;
    }
    close(in);
    if (close(outfd) != 0 && rc == NER_OK) {
        nu_errf(errbuf, errlen, "%s: write error: %s", dst, strerror(errno));
        rc = NER_EIO;
    }
    if (rc != NER_OK)
        unlink(dst);
    return rc;
}

static int save_one(const char *srcdir, const char *dir, const char *name,
                    char *errbuf, size_t errlen)
{
    char *s = nu_path_join(srcdir, name), *d = nu_path_join(dir, name);
    int rc = s && d ? link_or_copy(s, d, errbuf, errlen) : NER_ENOMEM;
    free(s);
    free(d);
    return rc;
}

static int bt_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    const bt_state *st = state;
    if (!st || !dir) {
        nu_errf(errbuf, errlen, "bert_tagger save: state and folder are required");
        return NER_EINVAL;
    }
    int rc = save_one(st->src_dir, dir, "config.json", errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    char *single = nu_path_join(st->src_dir, "model.safetensors");
    if (!single)
        return NER_ENOMEM;
    struct stat sb;
    int has_single = stat(single, &sb) == 0;
    free(single);
    if (has_single)
        return save_one(st->src_dir, dir, "model.safetensors", errbuf, errlen);
    /* sharded: the index and every file its weight_map names */
    char *ip = nu_path_join(st->src_dir, "model.safetensors.index.json");
    if (!ip)
        return NER_ENOMEM;
    json_error_t je;
    json_t *idx = json_load_file(ip, 0, &je);
    if (!idx) {
        nu_errf(errbuf, errlen, "%s: %s", ip, je.text);
        free(ip);
        return NER_EIO;
    }
    free(ip);
    rc = save_one(st->src_dir, dir, "model.safetensors.index.json", errbuf, errlen);
    json_t *map = json_object_get(idx, "weight_map");
    json_t *seen = json_object();
    const char *key;
    json_t *v;
    if (!seen)
        rc = NER_ENOMEM;
    json_object_foreach(map, key, v) {
        if (rc != NER_OK)
            break;
        const char *f = json_string_value(v);
        if (!f || strchr(f, '/') || strcmp(f, "..") == 0 || json_object_get(seen, f))
            continue; /* bad names: the loader refused them already */
        json_object_set_new(seen, f, json_true());
        rc = save_one(st->src_dir, dir, f, errbuf, errlen);
    }
    json_decref(seen);
    json_decref(idx);
    return rc;
}

static size_t bt_labels(const void *state, const char *const **labels)
{
    const bt_state *st = state;
    if (!st) {
        if (labels)
            *labels = NULL;
        return 0;
    }
    return nc_agg_output_labels(st->labels, st->strategy, labels);
}

const ner_component_vtable nc_bert_tagger_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "bert_tagger",
    .init = bt_init,
    .process = bt_process,
    .process_batch = bt_process_batch,
    .save = bt_save,
    .free = bt_free,
    .labels = bt_labels,
};
