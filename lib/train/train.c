/* ner_train: the training loop with dev evaluation, early stopping,
 * confidence calibration, and the two pipeline folders it writes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "util/fs.h"
#include "core/params.h"
#include "io/buf.h"
#include "ner/ner_component.h"
#include "ner/ner_train.h"
#include "tagger/tagger.h"
#include "train/data.h"
#include "train/predict.h"
#include "train/trainconf.h"

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void fmt_time(double s, char *out, size_t cap)
{
    if (!(s >= 0) || s > 1e7)
        s = 0;
    long v = (long)(s + 0.5);
    if (v >= 3600)
        snprintf(out, cap, "%ld:%02ld:%02ld", v / 3600, (v / 60) % 60, v % 60);
    else
        snprintf(out, cap, "%ld:%02ld", v / 60, v % 60);
}

/* Gold tags of a doc: entities aligned to tokens, -1 on the tokens of
 * entities that could not be aligned. */
static int gold_tags(const ntr_doc *d, const uint32_t *labmap, int16_t *tags)
{
    for (size_t i = 0; i < d->n_tok; i++)
        tags[i] = NTG_TAG_O;
    for (size_t k = 0; k < d->n_ents; k++) {
        const ntr_ent *e = &d->ents[k];
        if (e->tok_start < e->tok_end) {
            uint32_t l = labmap[e->label];
            if (e->tok_end - e->tok_start == 1) {
                tags[e->tok_start] = (int16_t)NTG_TAG_U(l);
            } else {
                tags[e->tok_start] = (int16_t)NTG_TAG_B(l);
                for (size_t i = e->tok_start + 1; i + 1 < e->tok_end; i++)
                    tags[i] = (int16_t)NTG_TAG_I(l);
                tags[e->tok_end - 1] = (int16_t)NTG_TAG_L(l);
            }
        }
    }
    /* unaligned entities: every token they touch is unknown */
    for (size_t k = 0; k < d->n_ents; k++) {
        const ntr_ent *e = &d->ents[k];
        if (e->tok_start < e->tok_end)
            continue;
        for (size_t i = 0; i < d->n_tok; i++)
            if (d->tb[i] < e->end_byte && e->start_byte < d->te[i])
                tags[i] = -1;
    }
    return NER_OK;
}

static json_t *corpus_json(const ntr_corpus *c, const char *path)
{
    json_t *j = json_object();
    json_t *labs = json_array(), *probs = json_array();
    for (size_t i = 0; i < nio_strtab_count(&c->labels); i++)
        json_array_append_new(labs, json_string(nio_strtab_get(&c->labels, (uint32_t)i)));
    for (size_t i = 0; i < c->n_problems; i++)
        json_array_append_new(probs, json_string(c->problems[i].msg));
    json_object_set_new(j, "path", json_string(path));
    json_object_set_new(j, "format", json_string(c->format == NER_FORMAT_JSONL ? "jsonl" : "conll"));
    if (c->scheme)
        json_object_set_new(j, "scheme", json_string(c->scheme));
    json_object_set_new(j, "docs", json_integer((json_int_t)c->n_docs));
    json_object_set_new(j, "sentences", json_integer((json_int_t)c->n_sents));
    json_object_set_new(j, "tokens", json_integer((json_int_t)c->n_tokens));
    json_object_set_new(j, "entities", json_integer((json_int_t)c->n_ents));
    json_object_set_new(j, "labels", labs);
    json_object_set_new(j, "misaligned", json_integer((json_int_t)c->n_misaligned));
    json_object_set_new(j, "misaligned_adjusted", json_integer((json_int_t)c->n_adjusted));
    json_object_set_new(j, "misaligned_unused", json_integer((json_int_t)c->n_dropped));
    json_object_set_new(j, "same_tokens", json_integer((json_int_t)c->n_clash));
    json_object_set_new(j, "tag_repairs", json_integer((json_int_t)c->n_repairs));
    json_object_set_new(j, "problem_examples", probs);
    return j;
}

static void report_corpus(const ntr_corpus *c, const char *what, ner_log_fn lg,
                          void *user)
{
    ntr_log(lg, user, NER_LOG_INFO, "%s: %zu docs, %zu sentences, %zu tokens, "
            "%zu entities (%s%s%s)", what, c->n_docs, c->n_sents, c->n_tokens, c->n_ents,
            c->format == NER_FORMAT_JSONL ? "JSONL" : "column file",
            c->scheme ? ", tags " : "", c->scheme ? c->scheme : "");
    if (c->n_misaligned || c->n_clash)
        ntr_log(lg, user, NER_LOG_WARN, "%s: %zu of %zu entities do not fall on "
                "token boundaries (%zu adjusted by the alignment mode, %zu left out "
                "of training); %zu fall on the tokens of another entity", what,
                c->n_misaligned, c->n_ents, c->n_adjusted, c->n_dropped, c->n_clash);
    if (c->n_repairs)
        ntr_log(lg, user, NER_LOG_WARN, "%s: %zu invalid tag sequences were "
                "repaired while reading", what, c->n_repairs);
    for (size_t i = 0; i < c->n_problems; i++)
        ntr_log(lg, user, NER_LOG_WARN, "%s: %s", what, c->problems[i].msg);
}

typedef struct score3 {
    double p, r, f;
} score3;

static int eval_model(const ntg_model *m, const ntr_corpus *dev, uint32_t threads,
                      score3 *out, json_t **detail)
{
    ntr_preds pr;
    int rc = ntr_predict_corpus(m, dev, threads, NTG_PREDICT_NO_SCORES, &pr);
    if (rc != NER_OK)
        return rc;
    nev_scorer *s = NULL;
    rc = ntr_score(dev, &pr, m, 3, &s);
    ntr_preds_free(&pr);
    if (rc != NER_OK)
        return rc;
    nev_prf mi;
    nev_scorer_micro(s, &mi);
    out->p = mi.p;
    out->r = mi.r;
    out->f = mi.f;
    if (detail)
        *detail = nev_scores_to_json(s);
    nev_scorer_free(s);
    return NER_OK;
}

/* Fits the temperature of the span marginals on dev: the one with the
 * lowest log loss of "this predicted entity is right". */
static double calibrate(const ntg_model *m, const ntr_corpus *dev, uint32_t threads,
                        ner_log_fn lg, void *user)
{
    double best_t = ntg_model_temperature(m), best_loss = INFINITY;
    for (double t = 0.25; t <= 1024; t *= 1.4142135623730951) {
        ntg_model *mt = NULL;
        if (ntg_model_with_temperature(m, t, &mt) != NER_OK)
            break;
        ntr_preds pr;
        if (ntr_predict_corpus(mt, dev, threads, 0, &pr) != NER_OK) {
            ntg_model_free(mt);
            break;
        }
        double loss = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < dev->n_docs; i++) {
            const ntr_doc *d = &dev->docs[i];
            for (size_t k = 0; k < pr.n[i]; k++) {
                const ntg_span *sp = &pr.spans[i][k];
                size_t cs = d->tcs[sp->start], ce = d->tce[sp->end - 1];
                const char *lab = ntg_model_label(mt, sp->label);
                int ok = 0;
                for (size_t g = 0; g < d->n_ents && !ok; g++)
                    ok = d->ents[g].start_char == cs && d->ents[g].end_char == ce &&
                         strcmp(nio_strtab_get(&dev->labels, d->ents[g].label), lab) == 0;
                double p = sp->score;
                if (p < 1e-6) p = 1e-6;
                if (p > 1 - 1e-6) p = 1 - 1e-6;
                loss -= ok ? log(p) : log(1 - p);
                cnt++;
            }
        }
        ntr_preds_free(&pr);
        ntg_model_free(mt);
        if (cnt && loss / (double)cnt < best_loss) {
            best_loss = loss / (double)cnt;
            best_t = t;
        }
    }
    if (isfinite(best_loss))
        ntr_log(lg, user, NER_LOG_INFO, "confidence: temperature %.3g (dev log loss "
                "%.4f per predicted entity)", best_t, best_loss);
    return best_t;
}

/* Names of the base pipeline's components, to place the tagger. */
typedef struct base_info {
    char **names, **factories;
    size_t n;
} base_info;

static void base_info_free(base_info *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->names[i]);
        free(b->factories[i]);
    }
    free(b->names);
    free(b->factories);
}

static int base_info_load(const char *base_dir, base_info *bi, char *errbuf, size_t errlen)
{
    memset(bi, 0, sizeof *bi);
    if (!base_dir)
        return NER_OK;
    ner_pipeline *pl = NULL;
    int rc = ner_pipeline_load(&pl, base_dir, NULL, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    size_t n = ner_pipeline_component_count(pl);
    bi->names = calloc(n ? n : 1, sizeof *bi->names);
    bi->factories = calloc(n ? n : 1, sizeof *bi->factories);
    if (!bi->names || !bi->factories)
        rc = NER_ENOMEM;
    for (size_t i = 0; rc == NER_OK && i < n; i++) {
        bi->names[i] = strdup(ner_pipeline_component_name(pl, i));
        bi->factories[i] = strdup(ner_pipeline_component_factory(pl, i));
        bi->n++;
        if (!bi->names[i] || !bi->factories[i])
            rc = NER_ENOMEM;
    }
    ner_pipeline_free(pl);
    return rc;
}

static int write_text(const char *path, const char *text, char *errbuf, size_t errlen)
{
    return nu_write_file(path, text, strlen(text), errbuf, errlen);
}

/* An external name list as read (model.gazetteers): its bytes are copied
 * into the tagger's folder as NAME ("gazetteers/FILE"). */
typedef struct gaz_loaded {
    char *data;
    size_t len;
    char name[96];
    size_t lines, phrases, too_long, empty;
} gaz_loaded;

static void gaz_loaded_free(gaz_loaded *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(g[i].data);
}

/* "gazetteers/" + the file name of path, with bytes other than [A-Za-z0-9._-]
 * made '_', unique among the first k. */
static void gaz_file_name(const char *path, const gaz_loaded *g, size_t k, char *out,
                          size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char base[64];
    size_t n = 0;
    for (; *b && n + 1 < sizeof base; b++) {
        char ch = *b;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                 (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        base[n] = ok && !(n == 0 && ch == '.') ? ch : '_';
        n++;
    }
    base[n] = '\0';
    if (n == 0)
        snprintf(base, sizeof base, "list.txt");
    snprintf(out, cap, "gazetteers/%s", base);
    for (size_t i = 0; i < k; i++) {
        if (strcmp(g[i].name, out) == 0) {
            snprintf(out, cap, "gazetteers/%zu-%s", k, base);
            break;
        }
    }
}

/* Reads the config's name lists, tokenizes their lines with tok and adds
 * them to the trainer. */
static int load_gazetteers(ntg_trainer *tr, const ntr_config *cfg, const ner_pipeline *tok,
                           uint32_t threads, gaz_loaded *gl, ner_log_fn lg, void *user,
                           char *errbuf, size_t errlen)
{
    int rc = NER_OK;
    for (size_t f = 0; f < cfg->n_gaz && rc == NER_OK; f++) {
        const ntr_gaz_file *gf = &cfg->gaz[f];
        gaz_loaded *g = &gl[f];
        char sub[NER_ERRBUF_SIZE] = "";
        rc = nu_read_file(gf->path, &g->data, &g->len, sub, sizeof sub);
        if (rc != NER_OK) {
            nio_errf(errbuf, errlen, "gazetteer %s: %s", gf->label, sub);
            return rc;
        }
        gaz_file_name(gf->path, gl, f, g->name, sizeof g->name);
        /* the phrases: every line but blank and # ones, trimmed */
        size_t cap = 1;
        for (size_t i = 0; i < g->len; i++)
            cap += g->data[i] == '\n';
        const char **texts = malloc(cap * sizeof *texts);
        size_t *lens = malloc(cap * sizeof *lens), *lines = malloc(cap * sizeof *lines);
        ner_doc **docs = calloc(cap, sizeof *docs);
        size_t n = 0, line = 0;
        if (!texts || !lens || !lines || !docs)
            rc = NER_ENOMEM;
        for (size_t i = 0; rc == NER_OK && i < g->len;) {
            size_t e = i;
            while (e < g->len && g->data[e] != '\n')
                e++;
            line++;
            size_t a = i, b = e;
            while (a < b && (g->data[a] == ' ' || g->data[a] == '\t' || g->data[a] == '\r'))
                a++;
            while (b > a && (g->data[b - 1] == ' ' || g->data[b - 1] == '\t' ||
                             g->data[b - 1] == '\r'))
                b--;
            if (b > a && g->data[a] != '#') {
                texts[n] = g->data + a;
                lens[n] = b - a;
                lines[n] = line;
                n++;
            }
            i = e + 1;
        }
        g->lines = n;
        if (rc == NER_OK && n) {
            ner_batch_params bp;
            ner_batch_params_init(&bp, sizeof bp);
            bp.n_threads = threads;
            rc = ner_pipeline_process_batch(tok, texts, lens, n, docs, &bp, sub, sizeof sub);
            if (rc != NER_OK)
                nio_errf(errbuf, errlen, "gazetteer %s: %s: tokenizing: %s", gf->label,
                         gf->path, sub);
        }
        size_t before = ntg_trainer_phrase_count(tr);
        for (size_t i = 0; rc == NER_OK && i < n; i++) {
            size_t nt = ner_doc_token_count(docs[i]);
            if (nt == 0) {
                g->empty++;
                continue;
            }
            if (nt > NTG_GAZ_MAX_LEN) {
                g->too_long++;
                continue;
            }
            size_t tlen = 0;
            const char *text = ner_doc_text(docs[i], &tlen);
            const char *words[NTG_GAZ_MAX_LEN];
            size_t wl[NTG_GAZ_MAX_LEN];
            for (size_t k = 0; k < nt; k++) {
                size_t st = 0, en = 0;
                ner_doc_token_bytes(docs[i], k, &st, &en, NULL);
                words[k] = text + st;
                wl[k] = en - st;
            }
            rc = ntg_trainer_add_phrase(tr, gf->label, words, wl, nt);
            if (rc == NER_ETOOBIG)
                nio_errf(errbuf, errlen, "gazetteer %s: at most %d gazetteer labels",
                         gf->label, NTG_MAX_XGAZ);
            else if (rc != NER_OK)
                nio_errf(errbuf, errlen, "gazetteer %s: %s line %zu: %s", gf->label,
                         gf->path, lines[i], ner_strerror(rc));
        }
        g->phrases = ntg_trainer_phrase_count(tr) - before;
        if (rc == NER_OK)
            ntr_log(lg, user, NER_LOG_INFO, "gazetteer %s: %s: %zu names, %zu new phrases "
                    "(%zu longer than %d tokens and %zu without tokens left out)",
                    gf->label, gf->path, n, g->phrases, g->too_long, NTG_GAZ_MAX_LEN,
                    g->empty);
        for (size_t i = 0; docs && i < n; i++)
            ner_doc_free(docs[i]);
        free(texts);
        free(lens);
        free(lines);
        free(docs);
    }
    return rc;
}

/* Writes out_dir as a complete pipeline: the base's components (or a blank
 * English tokenizer) with this tagger. */
static int write_pipeline(const ntg_model *m, const char *meta, const char *base_dir,
                          const base_info *bi, const char *work_dir,
                          const char *out_dir, double min_score,
                          const gaz_loaded *gl, size_t n_gl, char *errbuf,
                          size_t errlen)
{
    char *tmp = nu_path_join(work_dir, ".tagger-tmp");
    char *mpath = tmp ? nu_path_join(tmp, "model.bin") : NULL;
    char *jpath = tmp ? nu_path_join(tmp, "meta.json") : NULL;
    char *gdir = tmp ? nu_path_join(tmp, "gazetteers") : NULL;
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    int rc = (!tmp || !mpath || !jpath || !gdir) ? NER_ENOMEM : NER_OK;
    if (rc == NER_OK)
        rc = nu_mkdir_p(tmp, errbuf, errlen);
    if (rc == NER_OK)
        rc = ntg_model_save(m, mpath, errbuf, errlen);
    if (rc == NER_OK)
        rc = write_text(jpath, meta, errbuf, errlen);
    /* the name lists go along (the tagger component keeps them) */
    if (rc == NER_OK && n_gl)
        rc = nu_mkdir_p(gdir, errbuf, errlen);
    for (size_t i = 0; rc == NER_OK && i < n_gl; i++) {
        char *gp = nu_path_join(tmp, gl[i].name);
        rc = gp ? nu_write_file(gp, gl[i].data, gl[i].len, errbuf, errlen) : NER_ENOMEM;
        free(gp);
    }
    if (rc == NER_OK)
        rc = base_dir ? ner_builder_from_dir(&b, base_dir, errbuf, errlen)
                      : ner_builder_new(&b, "en", errbuf, errlen);
    if (rc == NER_OK) {
        ner_add_params ap;
        ner_add_params_init(&ap, sizeof ap);
        ap.name = "tagger";
        ap.dir = tmp;
        const char *after = base_dir ? NULL : "tokenizer";
        const char *before = NULL;
        int replaced = 0;
        for (size_t i = 0; i < bi->n; i++) {
            if (strcmp(bi->names[i], "tagger") == 0) {
                before = i + 1 < bi->n ? bi->names[i + 1] : NULL;
                replaced = 1;
            }
        }
        if (replaced) {
            ner_builder_remove(b, "tagger");
            after = NULL;
        } else {
            for (size_t i = 0; i < bi->n; i++)
                if (strcmp(bi->factories[i], "tokenizer") == 0)
                    after = bi->names[i];
        }
        ap.before = before;
        ap.after = before ? NULL : after;
        char cfg[64] = "{}";
        if (min_score > 0)
            snprintf(cfg, sizeof cfg, "{\"min_score\": %.6g}", min_score);
        rc = ner_builder_add(b, "tagger", cfg, &ap, errbuf, errlen);
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, &pl, errbuf, errlen);
    if (rc == NER_OK)
        rc = ner_pipeline_save(pl, out_dir, errbuf, errlen);
    ner_pipeline_free(pl);
    ner_builder_free(b);
    if (mpath) unlink(mpath);
    if (jpath) unlink(jpath);
    for (size_t i = 0; tmp && i < n_gl; i++) {
        char *gp = nu_path_join(tmp, gl[i].name);
        if (gp)
            unlink(gp);
        free(gp);
    }
    if (gdir) rmdir(gdir);
    if (tmp) rmdir(tmp);
    free(tmp);
    free(mpath);
    free(jpath);
    free(gdir);
    return rc;
}

static json_t *gazetteers_json(const ntr_config *cfg, const gaz_loaded *gl)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < cfg->n_gaz; i++)
        json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I}",
            "label", cfg->gaz[i].label, "file", gl[i].name, "source", cfg->gaz[i].path,
            "names", (json_int_t)gl[i].lines, "phrases", (json_int_t)gl[i].phrases,
            "too_long", (json_int_t)gl[i].too_long, "no_tokens", (json_int_t)gl[i].empty));
    return a;
}

static char *meta_json(const ntg_model *m, const ntr_config *cfg, const char *train_path,
                       size_t step, size_t epoch, const score3 *dev, int have_dev,
                       const gaz_loaded *gl)
{
    json_t *j = json_object();
    json_t *labs = json_array();
    for (size_t i = 0; i < ntg_model_label_count(m); i++)
        json_array_append_new(labs, json_string(ntg_model_label(m, i)));
    json_object_set_new(j, "format", json_string("libner-tagger"));
    json_object_set_new(j, "architecture", json_string("averaged_perceptron"));
    json_object_set_new(j, "tags", json_string("BILUO"));
    json_object_set_new(j, "labels", labs);
    json_object_set_new(j, "features", json_integer((json_int_t)ntg_model_feature_count(m)));
    json_object_set_new(j, "temperature", json_real(ntg_model_temperature(m)));
    json_object_set_new(j, "config", ntr_config_to_json(cfg, 0));
    if (cfg->n_gaz) {
        json_object_set_new(j, "gazetteers", gazetteers_json(cfg, gl));
        json_object_set_new(j, "gazetteer_keys",
                            json_integer((json_int_t)ntg_model_xgaz_keys(m)));
    }
    json_object_set_new(j, "train_path", json_string(train_path));
    json_object_set_new(j, "step", json_integer((json_int_t)step));
    json_object_set_new(j, "epoch", json_integer((json_int_t)epoch));
    if (have_dev)
        json_object_set_new(j, "dev", json_pack("{s:f,s:f,s:f}", "p", dev->p, "r", dev->r,
                                                "f", dev->f));
    json_object_set_new(j, "libner_version", json_string(NER_VERSION_STRING));
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

NER_API int ner_train(const char *train_path, const char *dev_path,
                      const char *output_dir, const char *config_json,
                      const char *base_dir, const ner_train_params *p,
                      char *errbuf, size_t errlen)
{
    if (!train_path || !output_dir) {
        nio_errf(errbuf, errlen, "ner_train: train_path and output_dir are required");
        return NER_EINVAL;
    }
    if (p && p->size < NC_PARAMS_MIN(ner_train_params, flags)) {
        nio_errf(errbuf, errlen, "ner_train_params: size %u is too small", p->size);
        return NER_EABI;
    }
    uint32_t threads = NC_PARAM(p, ner_train_params, n_threads, 1);
    uint32_t format = NC_PARAM(p, ner_train_params, format, NER_FORMAT_AUTO);
    ner_log_fn lg = NC_PARAM(p, ner_train_params, log, NULL);
    void *user = NC_PARAM(p, ner_train_params, log_user, NULL);
    ner_progress_fn prog = NC_PARAM(p, ner_train_params, progress, NULL);
    void *prog_user = NC_PARAM(p, ner_train_params, progress_user, NULL);
    if (threads < 1)
        threads = 1;
    if (format > NER_FORMAT_CONLL) {
        nio_errf(errbuf, errlen, "ner_train: unknown format %u", format);
        return NER_EINVAL;
    }
    ntr_config cfg;
    ntr_config_default(&cfg);
    int rc = ntr_config_parse(config_json, &cfg, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    cfg.model.seed = cfg.seed;
    cfg.model.learning_rate = cfg.learning_rate;
    double t0 = now_sec();

    base_info bi;
    ner_pipeline *tok = NULL;
    ntr_corpus *train = NULL, *dev = NULL;
    ntg_trainer *tr = NULL;
    ntg_model *best = NULL, *last = NULL;
    json_t *history = json_array(), *best_detail = NULL;
    uint32_t *labmap = NULL;
    int16_t *gold = NULL;
    char *meta = NULL;
    char sub[NER_ERRBUF_SIZE] = "";
    gaz_loaded gl[NTR_MAX_GAZ_FILES];
    memset(gl, 0, sizeof gl);
    rc = base_info_load(base_dir, &bi, errbuf, errlen);
    if (rc != NER_OK)
        return rc;
    if (!history) {
        rc = NER_ENOMEM;
        goto done;
    }
    rc = ntr_tokenizer_pipeline(base_dir, &tok, errbuf, errlen);
    if (rc != NER_OK)
        goto done;
    rc = ntr_corpus_read(&train, train_path, (int)format, tok, cfg.align, threads, 0,
                         errbuf, errlen);
    if (rc != NER_OK)
        goto done;
    report_corpus(train, "train", lg, user);
    if (dev_path) {
        rc = ntr_corpus_read(&dev, dev_path, (int)format, tok, cfg.align, threads, 0,
                             errbuf, errlen);
        if (rc != NER_OK)
            goto done;
        report_corpus(dev, "dev", lg, user);
    }
    size_t nl = nio_strtab_count(&train->labels);
    if (nl == 0) {
        nio_errf(errbuf, errlen, "%s: no entities to learn from", train_path);
        rc = NER_EINVAL;
        goto done;
    }
    if (nl > NTG_MAX_LABELS) {
        nio_errf(errbuf, errlen, "%s: %zu entity labels; the tagger takes at most %d",
                 train_path, nl, NTG_MAX_LABELS);
        rc = NER_ETOOBIG;
        goto done;
    }
    {
        const char **labels = malloc(nl * sizeof *labels);
        labmap = malloc(nl * sizeof *labmap);
        if (!labels || !labmap) {
            free(labels);
            rc = NER_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < nl; i++) {
            labels[i] = nio_strtab_get(&train->labels, (uint32_t)i);
            labmap[i] = (uint32_t)i;
        }
        rc = ntg_trainer_new(&tr, &cfg.model, labels, nl, errbuf, errlen);
        free(labels);
        if (rc != NER_OK)
            goto done;
    }
    rc = load_gazetteers(tr, &cfg, tok, threads, gl, lg, user, errbuf, errlen);
    if (rc != NER_OK)
        goto done;
    {
        size_t maxn = 1;
        for (size_t i = 0; i < train->n_docs; i++)
            if (train->docs[i].n_tok > maxn)
                maxn = train->docs[i].n_tok;
        gold = malloc(maxn * sizeof *gold);
        if (!gold) {
            rc = NER_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < train->n_docs; i++) {
            const ntr_doc *d = &train->docs[i];
            gold_tags(d, labmap, gold);
            ntg_doc nd = {d->words, d->wlen, d->n_tok, d->sent_start};
            if ((rc = ntg_trainer_add(tr, &nd, gold)) != NER_OK)
                goto done;
        }
    }
    rc = ntg_trainer_prepare(tr, errbuf, errlen);
    if (rc != NER_OK)
        goto done;
    ntr_log(lg, user, NER_LOG_INFO, "features: %zu (seen at least %u times); %zu labels; "
            "prepared in %.1fs", ntg_trainer_feature_count(tr), cfg.model.min_count, nl,
            now_sec() - t0);

    size_t n_sent = ntg_trainer_sentence_count(tr);
    /* the examples training will see unless early stopping ends it */
    uint64_t prog_total = (uint64_t)cfg.max_steps * cfg.batch_size;
    if (cfg.max_epochs && (uint64_t)cfg.max_epochs * n_sent < prog_total)
        prog_total = (uint64_t)cfg.max_epochs * n_sent;
    double t_train = now_sec();
    size_t step = 0, best_step = 0, sents_done = 0, tokens_done = 0;
    size_t mis_acc = 0, tok_acc = 0;
    score3 best_s = {0, 0, -1}, last_s = {0, 0, 0};
    int stop = 0;
    while (!stop) {
        size_t mis = 0, toks = 0;
        if ((rc = ntg_trainer_step(tr, cfg.batch_size, &mis, &toks)) != NER_OK)
            goto done;
        step++;
        sents_done += cfg.batch_size;
        tokens_done += toks;
        mis_acc += mis;
        tok_acc += toks;
        if (step >= cfg.max_steps)
            stop = 1;
        if (cfg.max_epochs && sents_done >= cfg.max_epochs * n_sent)
            stop = 1;
        if (prog)
            prog(prog_user, sents_done < prog_total ? sents_done : prog_total, prog_total);
        if (step % cfg.eval_frequency != 0 && !stop)
            continue;
        double loss = tok_acc ? (double)mis_acc / (double)tok_acc : 0;
        mis_acc = tok_acc = 0;
        ntg_model *m = NULL;
        if ((rc = ntg_trainer_snapshot(tr, 1.0, &m, errbuf, errlen)) != NER_OK)
            goto done;
        score3 s = {0, 0, 0};
        json_t *detail = NULL;
        if (dev && (rc = eval_model(m, dev, threads, &s, &detail)) != NER_OK) {
            ntg_model_free(m);
            goto done;
        }
        int improved = !dev || s.f > best_s.f;
        if (improved) {
            ntg_model_free(best);
            best = m;
            best_s = s;
            best_step = step;
            json_decref(best_detail);
            best_detail = detail;
        } else {
            json_decref(detail);
        }
        ntg_model_free(last);
        last = NULL;
        if (stop || (dev && cfg.patience && step - best_step >= cfg.patience)) {
            stop = 1;
            if (improved) {
                if ((rc = ntg_trainer_snapshot(tr, 1.0, &last, errbuf, errlen)) != NER_OK)
                    goto done;
            } else {
                last = m;
            }
            last_s = s;
        } else if (!improved) {
            ntg_model_free(m);
        }
        double el = now_sec() - t_train;
        double wps = el > 0 ? (double)tokens_done / el : 0;
        double left = step ? el / (double)step * (double)(cfg.max_steps - step) : 0;
        if (cfg.max_epochs) {
            double lim = (double)cfg.max_epochs * (double)n_sent / cfg.batch_size;
            if (lim - (double)step < (double)(cfg.max_steps - step))
                left = step ? el / (double)step * (lim - (double)step) : 0;
        }
        char els[32], lefts[32];
        fmt_time(el, els, sizeof els);
        fmt_time(stop ? 0 : left, lefts, sizeof lefts);
        size_t epoch = ntg_trainer_epoch(tr);
        if (dev)
            ntr_log(lg, user, NER_LOG_INFO, "step %zu  epoch %zu  loss %.4f  dev P %.4f "
                    "R %.4f F %.4f  best %.4f@%zu  %.0f words/s  %s elapsed  %s left",
                    step, epoch, loss, s.p, s.r, s.f, best_s.f, best_step, wps, els, lefts);
        else
            ntr_log(lg, user, NER_LOG_INFO, "step %zu  epoch %zu  loss %.4f  %.0f words/s  "
                    "%s elapsed  %s left", step, epoch, loss, wps, els, lefts);
        json_array_append_new(history, json_pack("{s:I,s:I,s:f,s:f,s:f,s:f,s:f}",
            "step", (json_int_t)step, "epoch", (json_int_t)epoch, "loss", loss,
            "p", s.p, "r", s.r, "f", s.f, "seconds", el));
    }
    if (!last) {
        /* the final evaluation improved: last is the same model */
        if ((rc = ntg_trainer_snapshot(tr, 1.0, &last, errbuf, errlen)) != NER_OK)
            goto done;
        last_s = best_s;
    }
    double train_secs = now_sec() - t_train;
    if (dev && cfg.calibrate) {
        double t = calibrate(best, dev, threads, lg, user);
        ntg_model *mt = NULL;
        if (ntg_model_with_temperature(best, t, &mt) == NER_OK) {
            ntg_model_free(best);
            best = mt;
        }
        if (ntg_model_with_temperature(last, t, &mt) == NER_OK) {
            ntg_model_free(last);
            last = mt;
        }
    }
    /* write the folders */
    rc = nu_mkdir_p(output_dir, errbuf, errlen);
    if (rc != NER_OK)
        goto done;
    {
        char *bdir = nu_path_join(output_dir, "model-best");
        char *ldir = nu_path_join(output_dir, "model-last");
        if (!bdir || !ldir) {
            free(bdir);
            free(ldir);
            rc = NER_ENOMEM;
            goto done;
        }
        const char *which = bdir;
        meta = meta_json(best, &cfg, train_path, best_step, ntg_trainer_epoch(tr), &best_s,
                         dev != NULL, gl);
        rc = meta ? write_pipeline(best, meta, base_dir, &bi, output_dir, bdir, cfg.min_score,
                                   gl, cfg.n_gaz, sub, sizeof sub)
                  : NER_ENOMEM;
        free(meta);
        meta = NULL;
        if (rc == NER_OK) {
            which = ldir;
            meta = meta_json(last, &cfg, train_path, step, ntg_trainer_epoch(tr), &last_s,
                             dev != NULL, gl);
            rc = meta ? write_pipeline(last, meta, base_dir, &bi, output_dir, ldir,
                                       cfg.min_score, gl, cfg.n_gaz, sub, sizeof sub)
                      : NER_ENOMEM;
        }
        if (rc != NER_OK)
            nio_errf(errbuf, errlen, "writing %s: %s", which, sub);
        size_t img_len = 0;
        ntg_model_image(best, &img_len);
        if (rc == NER_OK) {
            if (dev)
                ntr_log(lg, user, NER_LOG_INFO, "wrote %s (dev F %.4f at step %zu) and %s; "
                        "model %.1f MB, %zu features; trained in %.1fs", bdir, best_s.f,
                        best_step, ldir, (double)img_len / 1e6,
                        ntg_model_feature_count(best), train_secs);
            else
                ntr_log(lg, user, NER_LOG_INFO, "wrote %s and %s (no dev set: both are the "
                        "model of step %zu); model %.1f MB, %zu features; trained in %.1fs",
                        bdir, ldir, step, (double)img_len / 1e6,
                        ntg_model_feature_count(best), train_secs);
            json_t *rep = json_object();
            json_object_set_new(rep, "config", ntr_config_to_json(&cfg, 0));
            json_object_set_new(rep, "train", corpus_json(train, train_path));
            if (dev)
                json_object_set_new(rep, "dev", corpus_json(dev, dev_path));
            if (cfg.n_gaz)
                json_object_set_new(rep, "gazetteers", gazetteers_json(&cfg, gl));
            json_object_set_new(rep, "features", json_integer((json_int_t)ntg_trainer_feature_count(tr)));
            json_object_set_new(rep, "steps", json_integer((json_int_t)step));
            json_object_set_new(rep, "epochs", json_integer((json_int_t)ntg_trainer_epoch(tr)));
            json_object_set_new(rep, "best_step", json_integer((json_int_t)best_step));
            json_object_set_new(rep, "train_seconds", json_real(train_secs));
            json_object_set_new(rep, "total_seconds", json_real(now_sec() - t0));
            json_object_set_new(rep, "model_bytes", json_integer((json_int_t)img_len));
            json_object_set_new(rep, "model_features", json_integer((json_int_t)ntg_model_feature_count(best)));
            json_object_set_new(rep, "temperature", json_real(ntg_model_temperature(best)));
            json_object_set_new(rep, "history", history);
            history = NULL;
            if (best_detail) {
                json_object_set_new(rep, "best_dev_scores", best_detail);
                best_detail = NULL;
            }
            char *txt = json_dumps(rep, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            json_decref(rep);
            char *rp = nu_path_join(output_dir, "training.json");
            if (txt && rp)
                rc = write_text(rp, txt, errbuf, errlen);
            else
                rc = NER_ENOMEM;
            free(txt);
            free(rp);
        }
        free(bdir);
        free(ldir);
    }
done:
    gaz_loaded_free(gl, NTR_MAX_GAZ_FILES);
    free(meta);
    json_decref(history);
    json_decref(best_detail);
    ntg_model_free(best);
    ntg_model_free(last);
    ntg_trainer_free(tr);
    free(labmap);
    free(gold);
    ntr_corpus_free(train);
    ntr_corpus_free(dev);
    ner_pipeline_free(tok);
    base_info_free(&bi);
    if (rc == NER_ENOMEM && errbuf && errlen && !*errbuf)
        nio_errf(errbuf, errlen, "out of memory");
    return rc;
}
