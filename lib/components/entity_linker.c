/* The "entity_linker" component: links every entity of a doc to a
 * knowledge base (lib/kb), writing kb_id and kb_score on the span.
 *
 * For each entity: the candidates of its text (exact alias, then case
 * folded, then normalised: "max_level"), then for each candidate j a
 * linear score z_j = w . f_j over the features of entity_linker.h (log
 * prior, label/type agreement, cosine of the context window with the
 * entity's learned profile and with its description, the match level,
 * ...), and its probability P(j) = exp(z_j) / (1 + sum_i exp(z_i)) against
 * the other candidates and NIL (whose z is 0).  The best candidate wins if
 * P reaches "threshold"; otherwise, or with no candidate, the entity is NIL
 * (kb_id NULL), never a guess.
 *
 * Config keys: see ner_linker_load in include/ner/ner_kb.h.  The KB comes
 * from dir/kb.sqlite when the component has a folder holding one (what
 * save wrote), else from the folder named by "kb".  Settings: defaults,
 * then linker.json of that folder (what ner_linker_fit or save wrote),
 * then the config.
 *
 * save hard-links (or copies) kb.sqlite into the component's folder and
 * writes linker.json with the settings in effect.
 *
 * process is reentrant: the state is read-only; the KB lends each call a
 * connection of its pool; scratch memory is allocated per call. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "components/builtins.h"
#include "components/entity_linker.h"

const char *const nel_feature_names[NEL_NF] = {
    "bias", "prior", "type_agree", "type_disagree", "context", "has_profile",
    "description", "level_fold", "level_norm", "top_prior", "ambiguity",
};

/* Defaults for a linker that was never fitted: the prior decides unless
 * the context or the description clearly favour another candidate, and a
 * lone candidate of a fair prior is taken. */
static const double default_w[NEL_NF] = {
    1.0,   /* bias */
    1.0,   /* prior */
    1.0,   /* type_agree */
    -2.0,  /* type_disagree */
    6.0,   /* context */
    0.0,   /* has_profile */
    6.0,   /* description */
    -0.5,  /* level_fold */
    -1.0,  /* level_norm */
    0.5,   /* top_prior */
    0.0,   /* ambiguity */
};

#define DEFAULT_THRESHOLD 0.2
#define DEFAULT_WINDOW 50
#define DEFAULT_MAX_CANDS 30
#define LINKER_JSON "linker.json"

static const char *const level_names[] = {"exact", "fold", "norm"};

/* ------------------------------------------------------------ settings */

static void tmap_free(ner_linker *lk)
{
    for (size_t i = 0; i < lk->ntmap; i++) {
        free(lk->tmap[i].label);
        for (size_t k = 0; k < lk->tmap[i].ntypes; k++)
            free(lk->tmap[i].types[k]);
        free(lk->tmap[i].types);
    }
    free(lk->tmap);
    lk->tmap = NULL;
    lk->ntmap = 0;
}

static void link_labels_free(ner_linker *lk)
{
    for (size_t i = 0; i < lk->nlink; i++)
        free(lk->link_labels[i]);
    free(lk->link_labels);
    lk->link_labels = NULL;
    lk->nlink = 0;
}

void nel_close(ner_linker *lk)
{
    if (!lk)
        return;
    ner_kb_free(lk->kb);
    free(lk->kb_file);
    tmap_free(lk);
    link_labels_free(lk);
    free(lk);
}

/* A JSON array of strings as a malloc'd vector. */
static int string_array(json_t *a, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t m = json_array_size(a);
    char **v = calloc(m ? m : 1, sizeof *v);
    if (!v)
        return NER_ENOMEM;
    for (size_t i = 0; i < m; i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return NER_EINVAL;
        }
        if (!(v[i] = strdup(json_string_value(s)))) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return NER_ENOMEM;
        }
    }
    *out = v;
    *n = m;
    return NER_OK;
}

int nel_settings_apply(ner_linker *lk, json_t *cfg, int allow_kb,
                       const char *what, char *errbuf, size_t errlen)
{
    if (!json_is_object(cfg)) {
        nk_errf(errbuf, errlen, "%s must be a JSON object", what);
        return NER_EINVAL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(cfg, key, v) {
        if (key[0] == '_')
            continue;
        if (strcmp(key, "kb") == 0) {
            if (!allow_kb || !json_is_string(v)) {
                nk_errf(errbuf, errlen, "%s: \"kb\" must be a string (a KB folder)%s",
                        what, allow_kb ? "" : " and is not allowed here");
                return NER_EINVAL;
            }
        } else if (strcmp(key, "window") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                json_integer_value(v) > 1000000) {
                nk_errf(errbuf, errlen, "%s: \"window\" must be a whole number "
                        "from 0 to 1000000 (tokens on each side)", what);
                return NER_EINVAL;
            }
            lk->window = (uint32_t)json_integer_value(v);
        } else if (strcmp(key, "max_level") == 0) {
            int lvl = -1;
            for (int k = 0; k < 3; k++)
                if (json_is_string(v) && strcmp(json_string_value(v), level_names[k]) == 0)
                    lvl = k;
            if (lvl < 0) {
                nk_errf(errbuf, errlen, "%s: \"max_level\" must be \"exact\", "
                        "\"fold\" or \"norm\"", what);
                return NER_EINVAL;
            }
            lk->max_level = lvl;
        } else if (strcmp(key, "max_candidates") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                json_integer_value(v) > 100000) {
                nk_errf(errbuf, errlen, "%s: \"max_candidates\" must be a whole "
                        "number from 1 to 100000", what);
                return NER_EINVAL;
            }
            lk->max_cands = (uint32_t)json_integer_value(v);
        } else if (strcmp(key, "threshold") == 0) {
            if (!json_is_number(v) || !(json_number_value(v) >= 0.0) ||
                json_number_value(v) > 1.0) {
                nk_errf(errbuf, errlen, "%s: \"threshold\" must be a number from "
                        "0 to 1", what);
                return NER_EINVAL;
            }
            lk->threshold = json_number_value(v);
        } else if (strcmp(key, "weights") == 0) {
            if (!json_is_object(v)) {
                nk_errf(errbuf, errlen, "%s: \"weights\" must be an object", what);
                return NER_EINVAL;
            }
            const char *wk;
            json_t *wv;
            json_object_foreach(v, wk, wv) {
                int k = 0;
                while (k < NEL_NF && strcmp(wk, nel_feature_names[k]) != 0)
                    k++;
                if (k == NEL_NF) {
                    nk_errf(errbuf, errlen, "%s: unknown weight \"%.64s\" (known: "
                            "bias, prior, type_agree, type_disagree, context, "
                            "has_profile, description, level_fold, level_norm, "
                            "top_prior, ambiguity)", what, wk);
                    return NER_EINVAL;
                }
                if (!json_is_number(wv) || !isfinite(json_number_value(wv)) ||
                    fabs(json_number_value(wv)) > 1e6) {
                    nk_errf(errbuf, errlen, "%s: weight \"%s\" must be a number",
                            what, wk);
                    return NER_EINVAL;
                }
                lk->w[k] = json_number_value(wv);
            }
        } else if (strcmp(key, "type_map") == 0) {
            if (!json_is_object(v)) {
                nk_errf(errbuf, errlen, "%s: \"type_map\" must be an object "
                        "{\"LABEL\": [\"TYPE\", ...]}", what);
                return NER_EINVAL;
            }
            tmap_free(lk);
            size_t m = json_object_size(v);
            lk->tmap = calloc(m ? m : 1, sizeof *lk->tmap);
            if (!lk->tmap)
                return NER_ENOMEM;
            const char *lab;
            json_t *tv;
            json_object_foreach(v, lab, tv) {
                nel_typemap *t = &lk->tmap[lk->ntmap];
                if (!json_is_array(tv)) {
                    nk_errf(errbuf, errlen, "%s: type_map \"%.64s\" must be a list "
                            "of strings", what, lab);
                    return NER_EINVAL;
                }
                if (!(t->label = strdup(lab)))
                    return NER_ENOMEM;
                lk->ntmap++;
                int rc = string_array(tv, &t->types, &t->ntypes);
                if (rc != NER_OK) {
                    if (rc == NER_EINVAL)
                        nk_errf(errbuf, errlen, "%s: type_map \"%.64s\" must be a "
                                "list of strings", what, lab);
                    return rc;
                }
            }
        } else if (strcmp(key, "link_labels") == 0) {
            link_labels_free(lk);
            if (json_is_null(v))
                continue;
            int rc = json_is_array(v) ? string_array(v, &lk->link_labels, &lk->nlink)
                                      : NER_EINVAL;
            if (rc != NER_OK) {
                if (rc == NER_EINVAL)
                    nk_errf(errbuf, errlen, "%s: \"link_labels\" must be a list of "
                            "strings or null", what);
                return rc;
            }
        } else {
            nk_errf(errbuf, errlen, "%s: unknown key \"%.64s\" (known: kb, window, "
                    "max_level, max_candidates, threshold, weights, type_map, "
                    "link_labels)", what, key);
            return NER_EINVAL;
        }
    }
    return NER_OK;
}

json_t *nel_settings_json(const ner_linker *lk)
{
    json_t *o = json_object(), *w = json_object();
    if (!o || !w) {
        json_decref(o);
        json_decref(w);
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(o, "window", json_integer(lk->window));
    bad |= json_object_set_new(o, "max_level", json_string(level_names[lk->max_level]));
    bad |= json_object_set_new(o, "max_candidates", json_integer(lk->max_cands));
    bad |= json_object_set_new(o, "threshold", json_real(lk->threshold));
    for (int k = 0; k < NEL_NF; k++)
        bad |= json_object_set_new(w, nel_feature_names[k], json_real(lk->w[k]));
    bad |= json_object_set_new(o, "weights", w);
    if (lk->ntmap) {
        json_t *m = json_object();
        bad |= !m;
        for (size_t i = 0; m && i < lk->ntmap; i++) {
            json_t *a = json_array();
            for (size_t k = 0; a && k < lk->tmap[i].ntypes; k++)
                bad |= json_array_append_new(a, json_string(lk->tmap[i].types[k]));
            bad |= json_object_set_new(m, lk->tmap[i].label, a);
        }
        bad |= json_object_set_new(o, "type_map", m);
    }
    if (lk->link_labels) {
        json_t *a = json_array();
        for (size_t k = 0; a && k < lk->nlink; k++)
            bad |= json_array_append_new(a, json_string(lk->link_labels[k]));
        bad |= json_object_set_new(o, "link_labels", a);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Applies folder/linker.json when there is one. */
static int apply_linker_json(ner_linker *lk, const char *folder, char *errbuf,
                             size_t errlen)
{
    char *path = nk_path_join(folder, LINKER_JSON);
    if (!path)
        return NER_ENOMEM;
    if (!is_file(path)) {
        free(path);
        return NER_OK;
    }
    json_error_t je;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!j) {
        nk_errf(errbuf, errlen, "%s: line %d, column %d: %s", path, je.line,
                je.column, je.text);
        rc = NER_EFORMAT;
    } else {
        rc = nel_settings_apply(lk, j, 0, path, errbuf, errlen);
    }
    json_decref(j);
    free(path);
    return rc;
}

int nel_open(ner_linker **out, const char *kb_dir, const char *config_json,
             char *errbuf, size_t errlen)
{
    *out = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!cfg) {
        nk_errf(errbuf, errlen, "entity_linker config: line %d, column %d: %s",
                je.line, je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    char *folder = NULL;
    ner_linker *lk = calloc(1, sizeof *lk);
    if (!lk) {
        rc = NER_ENOMEM;
        goto out;
    }
    memcpy(lk->w, default_w, sizeof lk->w);
    lk->threshold = DEFAULT_THRESHOLD;
    lk->window = DEFAULT_WINDOW;
    lk->max_level = NK_LEVEL_NORM;
    lk->max_cands = DEFAULT_MAX_CANDS;
    /* check the config once before reading anything from disk */
    ner_linker probe = *lk;
    probe.tmap = NULL;
    probe.ntmap = 0;
    probe.link_labels = NULL;
    probe.nlink = 0;
    rc = nel_settings_apply(&probe, cfg, 1, "entity_linker config", errbuf, errlen);
    tmap_free(&probe);
    link_labels_free(&probe);
    if (rc != NER_OK)
        goto out;
    if (kb_dir) {
        folder = strdup(kb_dir);
    } else {
        json_t *k = json_object_get(cfg, "kb");
        if (!json_is_string(k)) {
            nk_errf(errbuf, errlen, "entity_linker: no knowledge base: give the "
                    "config key \"kb\" (a folder made by ner kb build)");
            rc = NER_EINVAL;
            goto out;
        }
        folder = strdup(json_string_value(k));
    }
    if (!folder) {
        rc = NER_ENOMEM;
        goto out;
    }
    if ((rc = ner_kb_load(&lk->kb, folder, errbuf, errlen)) != NER_OK)
        goto out;
    if (!(lk->kb_file = strdup(nk_kb_path(lk->kb)))) {
        rc = NER_ENOMEM;
        goto out;
    }
    struct stat sb;
    if (stat(folder, &sb) == 0 && S_ISDIR(sb.st_mode) &&
        (rc = apply_linker_json(lk, folder, errbuf, errlen)) != NER_OK)
        goto out;
    rc = nel_settings_apply(lk, cfg, 1, "entity_linker config", errbuf, errlen);
out:
    free(folder);
    json_decref(cfg);
    if (rc != NER_OK) {
        nel_close(lk);
        return rc;
    }
    *out = lk;
    return NER_OK;
}

/* ------------------------------------------------------------ scoring */

void nel_scratch_init(nel_scratch *sc)
{
    memset(sc, 0, sizeof *sc);
    nk_cands_init(&sc->cands);
}

void nel_scratch_free(nel_scratch *sc)
{
    nk_cands_free(&sc->cands);
    nk_bow_free(&sc->raw);
    nk_bow_free(&sc->q);
    free(sc->z);
}

int nel_context_raw(uint32_t window, const ner_doc *doc, size_t ts, size_t te,
                    nk_bow *raw)
{
    nk_bow_clear(raw);
    size_t ntok = ner_doc_token_count(doc), len = 0;
    const char *text = ner_doc_text(doc, &len);
    if (window == 0 || ntok == 0)
        return NER_OK;
    if (te > ntok)
        te = ntok;
    if (ts > te)
        ts = te;
    size_t a = ts > window ? ts - window : 0;
    size_t b = ntok - te > window ? te + window : ntok;
    size_t s, e, x;
    int rc = NER_OK;
    if (a < ts && ner_doc_token_bytes(doc, a, &s, &x, &x) == NER_OK &&
        ner_doc_token_bytes(doc, ts - 1, &x, &e, &x) == NER_OK)
        rc = nk_bow_add_text(raw, text + s, e - s);
    if (rc == NER_OK && te < b && ner_doc_token_bytes(doc, te, &s, &x, &x) == NER_OK &&
        ner_doc_token_bytes(doc, b - 1, &x, &e, &x) == NER_OK)
        rc = nk_bow_add_text(raw, text + s, e - s);
    nk_bow_finish(raw);
    return rc;
}

static double tf(double count)
{
    return count > 0 ? 1.0 + log(count) : 0.0;
}

int nel_weigh(const nk_bow *raw, const nk_term *idf, size_t nidf, nk_bow *q,
              double *norm)
{
    nk_bow_clear(q);
    double ss = 0;
    for (size_t i = 0; i < raw->n; i++) {
        float d = nk_terms_find(idf, nidf, raw->v[i].h);
        if (d <= 0)
            continue;
        double w = tf(raw->v[i].w) * d;
        if (nk_bow_push(q, raw->v[i].h, (float)w) != NER_OK)
            return NER_ENOMEM;
        ss += w * w;
    }
    *norm = sqrt(ss);
    return NER_OK;
}

double nel_cosine(const nk_bow *q, double qnorm, const nk_term *t, size_t n,
                  const nk_term *idf, size_t nidf)
{
    if (qnorm <= 0 || n == 0)
        return 0.0;
    double dot = 0, ss = 0;
    size_t i = 0;
    for (size_t k = 0; k < n; k++) {
        float d = nk_terms_find(idf, nidf, t[k].h);
        if (d <= 0)
            continue;
        double w = tf(t[k].w) * d;
        ss += w * w;
        while (i < q->n && q->v[i].h < t[k].h)
            i++;
        if (i < q->n && q->v[i].h == t[k].h)
            dot += w * q->v[i].w;
    }
    if (ss <= 0)
        return 0.0;
    double c = dot / (qnorm * sqrt(ss));
    return c > 1.0 ? 1.0 : c;
}

int nel_type_agrees(const ner_linker *lk, const char *label, const char *type)
{
    for (size_t i = 0; i < lk->ntmap; i++) {
        if (strcasecmp(lk->tmap[i].label, label) != 0)
            continue;
        for (size_t k = 0; k < lk->tmap[i].ntypes; k++)
            if (strcasecmp(lk->tmap[i].types[k], type) == 0)
                return 1;
        return 0;
    }
    return strcasecmp(label, type) == 0;
}

void nel_features(const ner_linker *lk, const nk_cands *c, size_t i,
                  const char *label, const nk_bow *q, double qnorm,
                  const nk_term *pvec, size_t npvec, const nk_term *idf,
                  size_t nidf, double f[NEL_NF])
{
    const nk_cand *x = &c->v[i];
    const char *type = nk_cand_str(c, x->type);
    memset(f, 0, NEL_NF * sizeof *f);
    f[NEL_F_BIAS] = 1.0;
    f[NEL_F_PRIOR] = log(x->prior > 1e-4 ? x->prior : 1e-4);
    if (label && *label && type && *type) {
        int ok = nel_type_agrees(lk, label, type);
        f[NEL_F_TYPE_AGREE] = ok;
        f[NEL_F_TYPE_DISAGREE] = !ok;
    }
    if (pvec && npvec) {
        f[NEL_F_HAS_PROFILE] = 1.0;
        f[NEL_F_CONTEXT] = nel_cosine(q, qnorm, pvec, npvec, idf, nidf);
    }
    if (x->ndvec)
        f[NEL_F_DESCRIPTION] = nel_cosine(q, qnorm, c->terms.v + x->dvec, x->ndvec,
                                          idf, nidf);
    f[NEL_F_LEVEL_FOLD] = c->level == NK_LEVEL_FOLD;
    f[NEL_F_LEVEL_NORM] = c->level == NK_LEVEL_NORM;
    f[NEL_F_TOP_PRIOR] = x->prior >= c->v[0].prior; /* sorted by prior */
    f[NEL_F_AMBIGUITY] = log((double)c->n);
}

double nel_z(const double *w, const double *f)
{
    double z = 0;
    for (int k = 0; k < NEL_NF; k++)
        z += w[k] * f[k];
    return z > 40 ? 40 : z < -40 ? -40 : z;
}

double nel_probs(const double *z, size_t n, double *p)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = z[i] > m ? z[i] : m;
    double nil = exp(-m), sum = nil;
    for (size_t i = 0; i < n; i++) {
        p[i] = exp(z[i] - m);
        sum += p[i];
    }
    for (size_t i = 0; i < n; i++)
        p[i] /= sum;
    return nil / sum;
}

int nel_link_one(const ner_linker *lk, const ner_doc *doc, size_t ts,
                 size_t te, const char *mtext, size_t mlen, const char *label,
                 nel_scratch *sc, long *best, double *score, double *top)
{
    *best = -1;
    *score = 1.0;
    *top = 0.0;
    int rc = nk_kb_lookup(lk->kb, mtext, mlen, lk->max_level, lk->max_cands,
                          NK_WITH_VECS, &sc->cands);
    if (rc != NER_OK || sc->cands.n == 0)
        return rc;
    size_t nidf;
    const nk_term *idf = nk_kb_idf_terms(lk->kb, &nidf);
    if ((rc = nel_context_raw(lk->window, doc, ts, te, &sc->raw)) != NER_OK ||
        (rc = nel_weigh(&sc->raw, idf, nidf, &sc->q, &sc->qnorm)) != NER_OK)
        return rc;
    if (sc->zcap < sc->cands.n) {
        double *z = realloc(sc->z, sc->cands.n * sizeof *z);
        if (!z)
            return NER_ENOMEM;
        sc->z = z;
        sc->zcap = sc->cands.n;
    }
    double f[NEL_NF], bs = -1;
    long bi = -1;
    for (size_t i = 0; i < sc->cands.n; i++) {
        const nk_cand *x = &sc->cands.v[i];
        nel_features(lk, &sc->cands, i, label, &sc->q, sc->qnorm,
                     x->npvec ? sc->cands.terms.v + x->pvec : NULL, x->npvec,
                     idf, nidf, f);
        sc->z[i] = nel_z(lk->w, f);
    }
    nel_probs(sc->z, sc->cands.n, sc->z);
    for (size_t i = 0; i < sc->cands.n; i++) {
        if (sc->z[i] > bs) {    /* ties keep the earlier: higher prior */
            bs = sc->z[i];
            bi = (long)i;
        }
    }
    *top = bs;
    if (bs >= lk->threshold && bi >= 0) {
        *best = bi;
        *score = bs;
    } else {
        *score = 1.0 - bs;
    }
    return NER_OK;
}

/* ------------------------------------------------------------ linking docs */

static int wants_label(const ner_linker *lk, const char *label)
{
    if (!lk->link_labels)
        return 1;
    for (size_t i = 0; i < lk->nlink; i++)
        if (strcmp(lk->link_labels[i], label ? label : "") == 0)
            return 1;
    return 0;
}

static int link_doc(const ner_linker *lk, ner_doc *doc)
{
    nel_scratch sc;
    nel_scratch_init(&sc);
    int rc = NER_OK;
    const ner_ents *ents = ner_doc_ents(doc);
    size_t n = ner_ents_count(ents);
    for (size_t i = 0; i < n && rc == NER_OK; i++) {
        const ner_span *s = ner_ents_get(ents, i);
        const char *label = ner_span_label(s);
        if (!wants_label(lk, label))
            continue;
        size_t len;
        const char *t = ner_span_text(s, &len);
        long best;
        double score, top;
        rc = nel_link_one(lk, doc, ner_span_start_token(s), ner_span_end_token(s),
                          t, len, label, &sc, &best, &score, &top);
        if (rc != NER_OK) {
            ner_doc_set_error(doc, rc, "entity_linker: lookup of entity %zu failed "
                              "in %s (%s)", i, lk->kb_file, ner_strerror(rc));
            break;
        }
        /* ner_doc_set_ent_kb copies the id; the span list is not reordered */
        rc = ner_doc_set_ent_kb(doc, i, best >= 0 ? nk_cand_str(&sc.cands,
                                sc.cands.v[best].id) : NULL, score);
        if (rc != NER_OK)
            ner_doc_set_error(doc, rc, "entity_linker: cannot set the kb_id of "
                              "entity %zu", i);
    }
    nel_scratch_free(&sc);
    return rc;
}

/* ------------------------------------------------------------ vtable */

static int el_init(void **state, const char *config_json, const char *dir,
                   char *errbuf, size_t errlen)
{
    if (!state) {
        nk_errf(errbuf, errlen, "entity_linker: state is NULL");
        return NER_EINVAL;
    }
    *state = NULL;
    /* The folder's own KB (what save wrote) wins over the config's "kb";
     * a folder without one is the KB folder itself when the config names
     * none (ner_builder_add with params.dir = a KB folder), so that a
     * missing KB is reported there. */
    const char *kb_dir = NULL;
    if (dir) {
        char *own = nk_path_join(dir, NK_FILE);
        if (!own)
            return NER_ENOMEM;
        json_t *cfg = json_loads(config_json ? config_json : "{}", 0, NULL);
        int named = json_is_string(json_object_get(cfg, "kb"));
        json_decref(cfg);
        if (is_file(own) || !named)
            kb_dir = dir;
        free(own);
    }
    ner_linker *lk = NULL;
    int rc = nel_open(&lk, kb_dir, config_json, errbuf, errlen);
    if (rc == NER_OK)
        *state = lk;
    return rc;
}

static int el_process(const void *state, ner_doc *doc)
{
    if (!state || !doc)
        return NER_EINVAL;
    return link_doc(state, doc);
}

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev &&
           x.st_ino == y.st_ino;
}

int nel_copy_file(const char *src, const char *dst, char *errbuf, size_t errlen)
{
    size_t n = strlen(dst);
    char *tmp = malloc(n + 5);
    if (!tmp)
        return NER_ENOMEM;
    memcpy(tmp, dst, n);
    memcpy(tmp + n, ".tmp", 5);
    remove(tmp);
    int rc = NER_OK;
    /* KB files are never changed in place (a rebuild renames a new file
     * over the old one), so a hard link is as good as a copy. */
    if (link(src, tmp) != 0) {
        FILE *in = fopen(src, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
        char *buf = malloc(1 << 20);
        if (!in || !out || !buf) {
            nk_errf(errbuf, errlen, "cannot copy %s to %s: %s", src, tmp,
                    strerror(errno));
            rc = buf ? NER_EIO : NER_ENOMEM;
        }
        while (rc == NER_OK) {
            size_t k = fread(buf, 1, 1 << 20, in);
            if (k && fwrite(buf, 1, k, out) != k) {
                nk_errf(errbuf, errlen, "%s: cannot write: %s", tmp, strerror(errno));
                rc = NER_EIO;
            }
            if (k < (1 << 20)) {
                if (ferror(in)) {
                    nk_errf(errbuf, errlen, "%s: read error", src);
                    rc = NER_EIO;
                }
                break;
            }
        }
        free(buf);
        if (in)
            fclose(in);
        if (out && fclose(out) != 0 && rc == NER_OK) {
            nk_errf(errbuf, errlen, "%s: cannot write: %s", tmp, strerror(errno));
            rc = NER_EIO;
        }
    }
    if (rc == NER_OK && rename(tmp, dst) != 0) {
        nk_errf(errbuf, errlen, "%s: cannot rename to %s: %s", tmp, dst, strerror(errno));
        rc = NER_EIO;
    }
    if (rc != NER_OK)
        remove(tmp);
    free(tmp);
    return rc;
}

static int write_json(const char *path, json_t *j, char *errbuf, size_t errlen)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 5);
    if (!tmp)
        return NER_ENOMEM;
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    int rc = NER_OK;
    if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                       JSON_REAL_PRECISION(8)) != 0) {
        nk_errf(errbuf, errlen, "%s: cannot write", tmp);
        rc = NER_EIO;
    } else if (rename(tmp, path) != 0) {
        nk_errf(errbuf, errlen, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
        rc = NER_EIO;
    }
    if (rc != NER_OK)
        remove(tmp);
    free(tmp);
    return rc;
}

int nel_write_settings(const ner_linker *lk, const char *dir, json_t *extra,
                       char *errbuf, size_t errlen)
{
    json_t *j = nel_settings_json(lk);
    char *path = nk_path_join(dir, LINKER_JSON);
    int rc = j && path ? NER_OK : NER_ENOMEM;
    if (rc == NER_OK && extra && json_object_update(j, extra) != 0)
        rc = NER_ENOMEM;
    if (rc == NER_OK)
        rc = write_json(path, j, errbuf, errlen);
    json_decref(j);
    free(path);
    return rc;
}

static int el_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    const ner_linker *lk = state;
    if (!lk || !dir) {
        nk_errf(errbuf, errlen, "entity_linker save: state and folder are required");
        return NER_EINVAL;
    }
    char *dst = nk_path_join(dir, NK_FILE);
    if (!dst)
        return NER_ENOMEM;
    int rc = NER_OK;
    if (!same_file(lk->kb_file, dst))
        rc = nel_copy_file(lk->kb_file, dst, errbuf, errlen);
    free(dst);
    if (rc == NER_OK)
        rc = nel_write_settings(lk, dir, NULL, errbuf, errlen);
    return rc;
}

static void el_free(void *state)
{
    nel_close(state);
}

const ner_component_vtable nc_entity_linker_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "entity_linker",
    .init = el_init,
    .process = el_process,
    .process_batch = NULL,
    .save = el_save,
    .free = el_free,
    .labels = NULL,
};

/* ------------------------------------------------------------ public calls */

NER_API int ner_linker_load(ner_linker **out, const char *kb_dir,
                            const char *config_json, char *errbuf, size_t errlen)
{
    if (!out) {
        nk_errf(errbuf, errlen, "ner_linker_load: out is NULL");
        return NER_EINVAL;
    }
    return nel_open(out, kb_dir, config_json, errbuf, errlen);
}

NER_API void ner_linker_free(ner_linker *lk)
{
    nel_close(lk);
}

NER_API int ner_linker_config(const ner_linker *lk, char **json_out)
{
    if (!lk || !json_out)
        return NER_EINVAL;
    *json_out = NULL;
    json_t *j = nel_settings_json(lk);
    if (!j)
        return NER_ENOMEM;
    *json_out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8));
    json_decref(j);
    return *json_out ? NER_OK : NER_ENOMEM;
}

NER_API int ner_linker_link(const ner_linker *lk, ner_doc *doc)
{
    if (!lk || !doc)
        return NER_EINVAL;
    return link_doc(lk, doc);
}

/* Token range touched by bytes [bs, be); an empty range sits before the
 * first token that ends after bs. */
static void touched_tokens(const ner_doc *doc, size_t bs, size_t be, size_t *ts,
                           size_t *te)
{
    size_t n = ner_doc_token_count(doc), i = 0, s, e, w;
    while (i < n && ner_doc_token_bytes(doc, i, &s, &e, &w) == NER_OK && e <= bs)
        i++;
    *ts = i;
    while (i < n && ner_doc_token_bytes(doc, i, &s, &e, &w) == NER_OK && s < be)
        i++;
    *te = i;
}

int nel_mention_tokens(const ner_doc *doc, size_t sc, size_t ec, size_t *bs,
                       size_t *be, size_t *ts, size_t *te)
{
    if (sc > ec || ner_doc_char_to_byte(doc, sc, bs) != NER_OK ||
        ner_doc_char_to_byte(doc, ec, be) != NER_OK)
        return NER_ERANGE;
    if (sc == ec ||
        ner_doc_align_chars(doc, sc, ec, NER_ALIGN_EXPAND, ts, te) != NER_OK)
        touched_tokens(doc, *bs, *be, ts, te);
    return NER_OK;
}

NER_API int ner_linker_link_mention(const ner_linker *lk, const ner_doc *doc,
                                    size_t start_char, size_t end_char,
                                    const char *label, char **kb_id,
                                    double *kb_score)
{
    if (!lk || !doc || !kb_id || !kb_score)
        return NER_EINVAL;
    *kb_id = NULL;
    *kb_score = 0.0;
    size_t bs, be, ts, te;
    if (nel_mention_tokens(doc, start_char, end_char, &bs, &be, &ts, &te) != NER_OK)
        return NER_ERANGE;
    size_t len;
    const char *text = ner_doc_text(doc, &len);
    nel_scratch sc;
    nel_scratch_init(&sc);
    long best;
    double score, top;
    int rc = nel_link_one(lk, doc, ts, te, text + bs, be - bs, label, &sc, &best,
                          &score, &top);
    if (rc == NER_OK && best >= 0) {
        *kb_id = strdup(nk_cand_str(&sc.cands, sc.cands.v[best].id));
        if (!*kb_id)
            rc = NER_ENOMEM;
    }
    if (rc == NER_OK)
        *kb_score = score;
    nel_scratch_free(&sc);
    return rc;
}
