/*
 * libner knowledge bases and entity linking.
 *
 * A knowledge base (KB) holds entities (id, name, type, description,
 * frequency) and aliases: surface forms with candidate entities and their
 * priors P(entity | alias).  It is a folder holding one file, kb.sqlite (an
 * SQLite database, opened read-only in constant time), and, once fitted,
 * linker.json with the linker's weights.
 *
 * The "entity_linker" component (config key "kb": a KB folder, or the KB
 * copied into its own sub-folder of a pipeline folder) links every entity
 * of a doc: kb_id and kb_score on each span (ner_span_kb_id,
 * ner_span_kb_score).  This header is for the rest: building a KB from
 * files, looking candidates up, linking mentions a caller already has,
 * and fitting and evaluating a linker on annotated mentions.
 *
 * Conventions are those of ner.h: every fallible call returns NER_OK or a
 * negative NER_E* status; calls a person must read the failure of take
 * errbuf/errlen (NULL and 0 allowed); options travel in size-versioned
 * structs filled by their _init (a NULL pointer: defaults); nothing prints:
 * progress goes to the log callback in the params.  What _new, _load,
 * _build return is freed by the matching _free; strings by ner_string_free.
 *
 * THREADS
 *   A ner_kb and a ner_linker are immutable once loaded and may be used by
 *   any number of threads at once (internally each lookup borrows one of a
 *   pool of SQLite connections).  A ner_kb_candidates belongs to one thread
 *   at a time.  Build, fit and evaluate use only what they are given and
 *   call the log callback from the calling thread.
 *
 * Since 0.1.
 */
#ifndef NER_NER_KB_H
#define NER_NER_KB_H

#include "ner.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ner_kb ner_kb;                       /* an open KB */
typedef struct ner_kb_candidates ner_kb_candidates; /* one lookup's result */
typedef struct ner_linker ner_linker;               /* a KB plus weights */

/* How a mention matched its aliases (the candidate-generation level). */
#define NER_KB_MATCH_NONE  (-1) /* no candidate */
#define NER_KB_MATCH_EXACT 0    /* byte for byte */
#define NER_KB_MATCH_FOLD  1    /* after Unicode case folding */
#define NER_KB_MATCH_NORM  2    /* after NFKD and case folding, with only
                                   letters and digits kept: accents, white
                                   space and punctuation removed */

/* ---------------------------------------------------------------- build */

typedef struct ner_kb_build_params {
    uint32_t size;   /* sizeof(ner_kb_build_params), set by _init */
    uint32_t flags;  /* none defined yet: 0 */
    ner_log_fn log;  /* progress (NER_LOG_INFO) and warnings; NULL: dropped */
    void *log_user;  /* passed to log */
    ner_progress_fn progress; /* records: lines read (total 0) while
                        reading, then rows written of entities + alias rows
                        + entities (their description vectors).  NULL: none */
    void *progress_user;  /* passed to progress */
} ner_kb_build_params;

NER_API int ner_kb_build_params_init(ner_kb_build_params *p, size_t size);

/* Builds a KB folder out_dir (created if needed; its kb.sqlite is replaced
 * atomically) from two files:
 *   entities_path  JSONL, one entity a line: {"id": "Q312", "name": "Apple
 *                  Inc.", "type": "ORG", "description": "...", "frequency":
 *                  1234}; all but "id" optional (null allowed); unknown keys
 *                  are ignored with a warning.
 *   aliases_path   TSV with the header "alias<TAB>entity_id<TAB>prior"
 *                  (the prior column optional); priors missing on a row
 *                  share evenly what the alias's given priors leave of 1.
 * Every bad row fails the build with the file and line in errbuf: malformed
 * JSON or TSV, a missing or duplicate id (NER_EEXIST), an alias naming an
 * unknown entity (NER_ENOTFOUND), a prior outside [0, 1], the priors of one
 * alias summing above 1 (NER_ERANGE; 0.001 allowed for rounding), the same
 * alias and entity twice, invalid UTF-8 (NER_EUTF8).  A UTF-8 byte-order
 * mark and CRLF line ends are accepted.  Borrows every argument. */
NER_API int ner_kb_build(const char *entities_path, const char *aliases_path,
                         const char *out_dir, const ner_kb_build_params *p,
                         char *errbuf, size_t errlen);

/* ---------------------------------------------------------------- open */

/* Opens the KB folder dir (or a kb.sqlite file given directly) read-only,
 * in constant time.  Caller frees with ner_kb_free.  NER_ENOTFOUND when
 * there is no KB there, NER_EFORMAT when the file is not a libner KB or is
 * damaged, NER_EUNSUPPORTED for a KB of a later format version. */
NER_API int ner_kb_load(ner_kb **out, const char *dir, char *errbuf,
                        size_t errlen);
NER_API void ner_kb_free(ner_kb *kb);

NER_API uint64_t ner_kb_entity_count(const ner_kb *kb);
NER_API uint64_t ner_kb_alias_count(const ner_kb *kb);
/* Entities with a context profile learned by ner_linker_fit. */
NER_API uint64_t ner_kb_profile_count(const ner_kb *kb);

/* ---------------------------------------------------------------- lookup */

/* An empty candidate list for ner_kb_lookup to fill, again and again.
 * Caller frees with ner_kb_candidates_free. */
NER_API int ner_kb_candidates_new(ner_kb_candidates **out);
NER_API void ner_kb_candidates_free(ner_kb_candidates *c);

/* Candidates of the mention alias[0..len) (UTF-8, need not be
 * NUL-terminated): those of the alias equal to it; when there is none and
 * max_level allows (NER_KB_MATCH_*), those of the aliases with the same
 * case-folded key; then those with the same normalised key.  Aliases merged
 * at one level give an entity the mean of its priors.  Sorted by prior,
 * highest first; at most max_candidates (0: all).  out is overwritten;
 * no candidate is NER_OK with a count of 0.  Thread-safe on a shared kb;
 * out belongs to the calling thread.  NER_EFORMAT: the file is damaged. */
NER_API int ner_kb_lookup(const ner_kb *kb, const char *alias, size_t len,
                          int max_level, size_t max_candidates,
                          ner_kb_candidates *out);

NER_API size_t ner_kb_candidates_count(const ner_kb_candidates *c);
/* The NER_KB_MATCH_* level that matched. */
NER_API int ner_kb_candidates_level(const ner_kb_candidates *c);
/* Fields of candidate i.  Strings are valid until the next lookup into c or
 * its free; NULL when i is out of range or the field is absent. */
NER_API const char *ner_kb_candidate_id(const ner_kb_candidates *c, size_t i);
NER_API const char *ner_kb_candidate_name(const ner_kb_candidates *c, size_t i);
NER_API const char *ner_kb_candidate_type(const ner_kb_candidates *c, size_t i);
NER_API const char *ner_kb_candidate_description(const ner_kb_candidates *c,
                                                 size_t i);
/* P(entity | alias); -1 when i is out of range. */
NER_API double ner_kb_candidate_prior(const ner_kb_candidates *c, size_t i);
/* The entity's frequency; -1 when absent or i is out of range. */
NER_API int64_t ner_kb_candidate_frequency(const ner_kb_candidates *c,
                                           size_t i);

/* The key of s[0..len) at a NER_KB_MATCH_FOLD or _NORM level, as the KB
 * computes it.  *out is freed with ner_string_free.  NER_EUTF8, NER_EINVAL
 * for another level. */
NER_API int ner_kb_normalize(const char *s, size_t len, int level, char **out);

/* ---------------------------------------------------------------- linker */

/* A linker over the KB folder kb_dir (NULL: the folder named by the config
 * key "kb").  config_json is the entity_linker component's config (NULL:
 * "{}"); settings come from the defaults, then kb_dir/linker.json when
 * present (what ner_linker_fit wrote), then config_json.  Config keys:
 *   "kb"             KB folder (when kb_dir is NULL)
 *   "window"         tokens of context on each side of a mention (50)
 *   "max_level"      "exact", "fold" or "norm": candidate generation (norm)
 *   "max_candidates" candidates scored per mention (30)
 *   "threshold"      a best score below it gives NIL (0.2)
 *   "weights"        {"bias", "prior", "type_agree", "type_disagree",
 *                     "context", "has_profile", "description", "level_fold",
 *                     "level_norm", "top_prior", "ambiguity"}: numbers
 *   "type_map"       {"LABEL": ["TYPE", ...]}: KB types agreeing with an
 *                     entity label (default: the same name, any case)
 *   "link_labels"    ["LABEL", ...]: link only these labels (default: all)
 * Caller frees with ner_linker_free. */
NER_API int ner_linker_load(ner_linker **out, const char *kb_dir,
                            const char *config_json, char *errbuf,
                            size_t errlen);
NER_API void ner_linker_free(ner_linker *lk);

/* The settings in effect, as a JSON object in the config's keys (without
 * "kb").  *json_out is freed with ner_string_free. */
NER_API int ner_linker_config(const ner_linker *lk, char **json_out);

/* Links every entity of doc, as the entity_linker component does.  Each
 * candidate j of an entity gets z_j = weights . features_j and the
 * probability P_j = exp(z_j) / (1 + sum_i exp(z_i)) against the other
 * candidates and NIL.  The best candidate is linked when its P reaches the
 * threshold: kb_id is its id and kb_score its P.  Otherwise the entity is
 * NIL: kb_id NULL and kb_score one minus the best P (1 without candidates).
 * The entity's own score is left alone.  Thread-safe on a shared linker;
 * doc belongs to the calling thread. */
NER_API int ner_linker_link(const ner_linker *lk, ner_doc *doc);

/* Links one mention of a tokenized doc given by code-point offsets
 * [start_char, end_char) (need not fall on token boundaries; the context
 * window is taken around the tokens it touches) and an entity label (NULL
 * or "": none).  On success *kb_id is a new string (ner_string_free) or
 * NULL for NIL, and *kb_score the score as above.  NER_ERANGE for offsets
 * outside the text.  Thread-safe. */
NER_API int ner_linker_link_mention(const ner_linker *lk, const ner_doc *doc,
                                    size_t start_char, size_t end_char,
                                    const char *label, char **kb_id,
                                    double *kb_score);

/* ---------------------------------------------------------------- fit */

typedef struct ner_linker_fit_params {
    uint32_t size;          /* sizeof(ner_linker_fit_params), set by _init */
    uint32_t flags;         /* NER_LINKER_FIT_* */
    uint32_t folds;         /* profiles used for the features of a document
                               are learned from the other folds (5) */
    uint32_t profile_size;  /* words kept per context profile (100) */
    const char *model_dir;  /* pipeline whose tokenizer splits the texts;
                               NULL: the built-in English tokenizer */
    ner_log_fn log;         /* progress; NULL: dropped */
    void *log_user;
} ner_linker_fit_params;

#define NER_LINKER_FIT_NO_PROFILES  0x1u /* keep the KB's profiles as they are */
#define NER_LINKER_FIT_NO_THRESHOLD 0x2u /* keep the configured threshold */
/* The KB's priors were counted from these very mentions (an alias table
 * made from the training data, as AIDA's is).  Each mention then sees the
 * priors it would have had without itself: an alias met once disappears
 * (the lookup goes on to the folded and normalised keys of the other
 * aliases), and count(alias, entity) loses the mention's own count.  Without this the
 * prior looks far better on the training data than on new text, and the
 * fit leans on it too much. */
#define NER_LINKER_FIT_LOO_PRIORS   0x4u

NER_API int ner_linker_fit_params_init(ner_linker_fit_params *p, size_t size);

/* Fits a linker on annotated mentions in data_path: JSONL lines
 *   {"text": ..., "entities": [[start, end, label, kb_id], ...]}
 * (code points, half-open; label may be ""; kb_id a string, or null for a
 * mention of an entity outside the KB; objects {"start", "end", "label",
 * "kb_id"} are accepted too).
 * It learns a context profile for every entity of the KB that has
 * mentions (the words around them), then the weights of the linker's score
 * by a conditional logit over the candidates of every mention and NIL (the
 * features of a document use profiles learned from the other folds; the
 * weights start from, and an L2 penalty pulls them towards, the settings in
 * effect, so a feature the data never shows keeps its weight), then the
 * NIL threshold that handles the most mentions right (a link to the gold
 * entity, or NIL for a mention whose entity is not in the KB).  Writes
 * output_dir (NULL: kb_dir itself): kb.sqlite with the profiles and
 * linker.json with the settings.  config_json gives the settings that are
 * not fitted (window, max_level, type_map, ...; NULL: defaults).  On
 * success *report_json (may be NULL) is a JSON object with the weights, the
 * threshold and the scores on the training data (ner_string_free).
 * Errors name the file and line. */
NER_API int ner_linker_fit(const char *kb_dir, const char *data_path,
                           const char *output_dir, const char *config_json,
                           const ner_linker_fit_params *p, char **report_json,
                           char *errbuf, size_t errlen);

typedef struct ner_linker_eval_params {
    uint32_t size;          /* sizeof(ner_linker_eval_params), set by _init */
    uint32_t flags;         /* none defined yet: 0 */
    const char *model_dir;  /* as in ner_linker_fit_params */
    ner_log_fn log;
    void *log_user;
} ner_linker_eval_params;

NER_API int ner_linker_eval_params_init(ner_linker_eval_params *p, size_t size);

/* Links the mentions of data_path (the format of ner_linker_fit) and scores
 * them.  *json_out (ner_string_free) holds:
 *   "mentions", "linkable" (gold kb_id not null), "correct" (linkable and
 *   linked to the gold id), "accuracy" (correct / linkable),
 *   "gold_in_candidates", "candidate_recall" (gold_in_candidates /
 *   linkable), "in_kb_accuracy" (correct / gold_in_candidates),
 *   "predicted_nil", "nil_correct" (predicted and gold NIL), "nil_precision",
 *   "nil_recall", "overall_accuracy" (right links and right NILs / mentions),
 *   "levels" (mentions per candidate level), "gold_outside_kb" (gold id not
 *   in the KB), "nil_kb_precision" (predicted NIL with a gold NIL or a gold
 *   id outside the KB, over predicted NIL), "docs", "seconds".
 * Thread-safe on a shared linker. */
NER_API int ner_linker_evaluate(const ner_linker *lk, const char *data_path,
                                const ner_linker_eval_params *p,
                                char **json_out, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* NER_NER_KB_H */
