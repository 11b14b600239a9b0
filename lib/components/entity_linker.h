/* The entity linker, shared by the component (entity_linker.c) and its
 * fitting and evaluation (entity_linker_fit.c).  The component state is the
 * public ner_linker. */
#ifndef NER_COMPONENTS_ENTITY_LINKER_H
#define NER_COMPONENTS_ENTITY_LINKER_H

#include <jansson.h>

#include "kb/kb.h"
#include "ner/ner_component.h"
#include "ner/ner_kb.h"

/* Features of one (mention, candidate) pair.  Candidate j of a mention
 * gets z_j = sum w[k] * f_j[k]; NIL is one more choice with z = 0; the
 * score of j is P(j) = exp(z_j) / (1 + sum_i exp(z_i)), a conditional logit
 * (softmax) over the candidates and NIL. */
enum {
    NEL_F_BIAS,          /* 1 */
    NEL_F_PRIOR,         /* log P(entity | alias), floored at 1e-4 */
    NEL_F_TYPE_AGREE,    /* label and type both known and agreeing */
    NEL_F_TYPE_DISAGREE, /* both known, not agreeing */
    NEL_F_CONTEXT,       /* cosine(context, learned profile) */
    NEL_F_HAS_PROFILE,   /* the entity has a profile */
    NEL_F_DESCRIPTION,   /* cosine(context, description) */
    NEL_F_LEVEL_FOLD,    /* matched by the case-folded key */
    NEL_F_LEVEL_NORM,    /* matched by the normalised key */
    NEL_F_TOP_PRIOR,     /* the highest prior among the candidates */
    NEL_F_AMBIGUITY,     /* log(number of candidates) */
    NEL_NF
};

extern const char *const nel_feature_names[NEL_NF];

typedef struct nel_typemap {
    char *label;
    char **types;
    size_t ntypes;
} nel_typemap;

struct ner_linker {
    ner_kb *kb;
    char *kb_file;           /* kb.sqlite the KB was opened from */
    double w[NEL_NF];
    double threshold;
    uint32_t window;
    int max_level;
    uint32_t max_cands;
    nel_typemap *tmap;
    size_t ntmap;
    char **link_labels;      /* NULL: every label */
    size_t nlink;
};

/* Defaults, then kb folder's linker.json, then config_json (keys "_..."
 * are comments).  kb_dir NULL: the config's "kb". */
int nel_open(ner_linker **out, const char *kb_dir, const char *config_json,
             char *errbuf, size_t errlen);
void nel_close(ner_linker *lk);
/* The settings as JSON (no "kb"). */
json_t *nel_settings_json(const ner_linker *lk);
/* Applies the settings object cfg ("kb" refused unless allow_kb). */
int nel_settings_apply(ner_linker *lk, json_t *cfg, int allow_kb,
                       const char *what, char *errbuf, size_t errlen);

/* Writes dir/linker.json: the settings, plus the keys of extra (may be
 * NULL), through a temporary file. */
int nel_write_settings(const ner_linker *lk, const char *dir, json_t *extra,
                       char *errbuf, size_t errlen);

/* Per-call scratch memory. */
typedef struct nel_scratch {
    nk_cands cands;
    nk_bow raw;              /* context term counts */
    nk_bow q;                /* weighted context */
    double qnorm;
    double *z;               /* per candidate */
    size_t zcap;
} nel_scratch;

void nel_scratch_init(nel_scratch *sc);
void nel_scratch_free(nel_scratch *sc);

/* Term counts of the window around tokens [ts, te) of doc (the mention
 * itself left out), sorted by hash, into raw. */
int nel_context_raw(uint32_t window, const ner_doc *doc, size_t ts, size_t te,
                    nk_bow *raw);
/* Weighs raw counts by (1 + log count) * idf into q; terms without idf are
 * dropped.  *norm gets the L2 norm. */
int nel_weigh(const nk_bow *raw, const nk_term *idf, size_t nidf, nk_bow *q,
              double *norm);
/* Cosine of q with the term counts t[0..n) weighed the same way. */
double nel_cosine(const nk_bow *q, double qnorm, const nk_term *t, size_t n,
                  const nk_term *idf, size_t nidf);
/* 1 when an entity label agrees with a KB type under the linker's map. */
int nel_type_agrees(const ner_linker *lk, const char *label, const char *type);
/* The features of candidate i (pvec: its profile; NULL: none). */
void nel_features(const ner_linker *lk, const nk_cands *c, size_t i,
                  const char *label, const nk_bow *q, double qnorm,
                  const nk_term *pvec, size_t npvec, const nk_term *idf,
                  size_t nidf, double f[NEL_NF]);
/* w . f, clipped to [-40, 40]. */
double nel_z(const double *w, const double *f);
/* P(j) of z[0..n) into p (may alias z); returns P(NIL). */
double nel_probs(const double *z, size_t n, double *p);

/* Links one mention: text mtext[0..mlen), tokens [ts, te) of doc for the
 * context.  *best is the chosen candidate in sc->cands, or -1 for NIL;
 * *score the kb_score as documented in ner_kb.h; *top the best
 * candidate's P (0 without candidates). */
int nel_link_one(const ner_linker *lk, const ner_doc *doc, size_t ts,
                 size_t te, const char *mtext, size_t mlen, const char *label,
                 nel_scratch *sc, long *best, double *score, double *top);

/* Byte offsets of code points [sc, ec) of doc and the tokens the range
 * touches (an empty or blank range: an empty token range where it sits).
 * NER_ERANGE outside the text. */
int nel_mention_tokens(const ner_doc *doc, size_t sc, size_t ec, size_t *bs,
                       size_t *be, size_t *ts, size_t *te);

/* Copies (or hard-links) the file src to dst through dst + ".tmp". */
int nel_copy_file(const char *src, const char *dst, char *errbuf, size_t errlen);

/* A tokenizer-only pipeline: the tokenizer of model_dir, or the built-in
 * English one when model_dir is NULL. */
int nel_tokenizer(const char *model_dir, ner_pipeline **out, char *errbuf,
                  size_t errlen);

#endif
