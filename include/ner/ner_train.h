/*
 * libner training, evaluation and corpus conversion.
 *
 * Follows the conventions of ner.h: every call returns NER_OK or a negative
 * NER_E* status and writes the detail of a failure into errbuf (NULL and 0
 * allowed); options travel in size-versioned structs filled by their _init
 * (NULL: defaults); nothing prints: progress and warnings go to the log
 * callback of the params, as formatted UTF-8 lines.  Strings returned are
 * freed with ner_string_free.
 *
 * DATA FILES
 *   JSONL: one {"text": ..., "entities": [[start, end, "LABEL"], ...]} a
 *   line, code-point offsets, half-open (the object form {"start", "end",
 *   "label"} is accepted too, and in place of "entities" the key "ents" --
 *   so `ner run` output serves as gold -- or Prodigy's "spans" list, in
 *   that order of preference).  The text is tokenized
 *   by the pipeline's tokenizer and each entity aligned to tokens by the
 *   config's alignment mode; entities whose offsets do not fall on token
 *   boundaries are counted and reported with examples (never dropped in
 *   silence).  Overlapping entities on one line are an error naming the line.
 *   Column files (CoNLL-2003, IOB1, IOB2, BILOU, BIOES): the token is the
 *   first column and the tag the last of 2 or more columns, space or TAB
 *   separated; blank lines end sentences, -DOCSTART- lines separate
 *   documents; the tag scheme is detected.  Column files keep their own
 *   tokens.  A document's text is its tokens joined by single spaces,
 *   sentences joined by a line feed (a file without -DOCSTART- makes one
 *   document per sentence).
 *   The format is detected from the first non-blank byte ('{': JSONL) or
 *   given with NER_FORMAT_JSONL / NER_FORMAT_CONLL.
 *
 * THREADS
 *   These calls may run at the same time in different threads; each uses
 *   only what it is given.  The log callback is called from the calling
 *   thread only.
 *
 * Since 0.1.
 */
#ifndef NER_NER_TRAIN_H
#define NER_NER_TRAIN_H

#include "ner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Data file formats. */
#define NER_FORMAT_AUTO  0 /* detect from the first non-blank byte */
#define NER_FORMAT_JSONL 1
#define NER_FORMAT_CONLL 2

/* Tag schemes for column files written by ner_convert. */
#define NER_SCHEME_IOB2  0 /* B-X starts every entity (the default) */
#define NER_SCHEME_IOB1  1 /* B-X only right after an entity of type X */
#define NER_SCHEME_BILOU 2
#define NER_SCHEME_BIOES 3

/* ---------------------------------------------------------------- train */

typedef struct ner_train_params {
    uint32_t size;      /* sizeof(ner_train_params), set by _init */
    uint32_t flags;     /* none defined yet: 0 */
    uint32_t n_threads; /* threads for tokenizing and dev evaluation; 0 or 1:
                           the calling thread only.  The trained model does
                           not depend on it. */
    uint32_t format;    /* NER_FORMAT_* of the train and dev files */
    ner_log_fn log;     /* progress and warnings; NULL: dropped */
    void *log_user;     /* passed to log */
    ner_progress_fn progress; /* after every step: training examples
                           (sentences) seen of max_epochs x examples, or
                           of max_steps x batch_size when that is less;
                           early stopping ends it sooner.  NULL: none */
    void *progress_user;  /* passed to progress */
} ner_train_params;

/* Fills p with defaults (1 thread, detected format, no log).  size is the
 * caller's sizeof(*p).  NER_EINVAL when p is NULL or size is too small. */
NER_API int ner_train_params_init(ner_train_params *p, size_t size);

/* Trains a "tagger" component on train_path, evaluating on dev_path (may
 * be NULL: no early stopping) every training.eval_frequency steps, and
 * writes two complete pipeline folders: output_dir/model-best (best dev F1)
 * and output_dir/model-last, plus output_dir/training.json (the config
 * used, corpus statistics, alignment problems with examples, the dev
 * scores after each evaluation).
 *   config_json  the training config as JSON text (see
 *                ner_train_config_default); NULL: the defaults.  Missing
 *                keys keep their defaults; unknown keys are an error.
 *   base_dir     a pipeline folder whose components are kept (the tagger
 *                goes after its tokenizer, or replaces its "tagger"); NULL:
 *                a blank English pipeline (tokenizer only).
 * Progress goes to p->log at NER_LOG_INFO: step, loss, dev P/R/F, words/s,
 * time left.  Borrows every argument; creates output_dir if needed and
 * overwrites the files it writes.  Errors: NER_EFORMAT / NER_EUTF8 /
 * NER_EOVERLAP / NER_ERANGE for bad data (errbuf names file and line),
 * NER_EINVAL for a bad config (errbuf names the key), NER_EIO. */
NER_API int ner_train(const char *train_path, const char *dev_path,
                      const char *output_dir, const char *config_json,
                      const char *base_dir, const ner_train_params *p,
                      char *errbuf, size_t errlen);

/* The default training config as an indented JSON object, each section
 * with "_doc" keys explaining the settings (keys starting with "_" are
 * comments and ignored).  *json_out is freed with ner_string_free.
 * NER_OK or NER_ENOMEM. */
NER_API int ner_train_config_default(char **json_out);

/* ---------------------------------------------------------------- evaluate */

typedef struct ner_eval_params {
    uint32_t size;         /* sizeof(ner_eval_params), set by _init */
    uint32_t flags;        /* NER_EVAL_* */
    uint32_t n_threads;    /* threads for processing; 0 or 1: calling thread */
    uint32_t format;       /* NER_FORMAT_* of the data file */
    uint32_t max_examples; /* examples kept per error category; default 5 */
    ner_log_fn log;        /* warnings; NULL: dropped */
    void *log_user;
} ner_eval_params;

/* Score only the predicted entities whose label occurs in the gold data
 * (e.g. a pipeline with DATE and MONEY rules on a PER/ORG/LOC/MISC corpus);
 * the others are counted in "ignored_pred". */
#define NER_EVAL_GOLD_LABELS 0x1u
/* Column files: process and score each sentence as its own text, even when
 * -DOCSTART- lines group them into documents (the default then joins a
 * document's sentences with line feeds).  Transformer models fine-tuned
 * one sentence at a time, as Hugging Face's run_ner does, are scored this
 * way; JSONL data is unaffected. */
#define NER_EVAL_SENTENCES 0x2u

NER_API int ner_eval_params_init(ner_eval_params *p, size_t size);

/* Runs pl over every document of data_path and scores its entities
 * against the gold ones by exact match on code-point offsets.  On success
 * *json_out is one JSON object (freed with ner_string_free):
 *   {"ents_p", "ents_r", "ents_f", "ents_tp", "ents_fp", "ents_fn",
 *    "ents_per_type": {label: {"p","r","f","tp","fp","fn"}},
 *    "errors": {"type", "boundary", "boundary_type", "spurious", "missing"},
 *    "error_examples": {category: [{"doc", "line", "gold": {"start","end",
 *        "label","text"} or null, "pred": {...} or null, "context",
 *        "context_start"}]}  (the code point of the doc where the context
 *        excerpt begins, since 0.1: about 30 code points a side widened to
 *        whole words; newlines and tabs in it are spaces),
 *    "confusion": {gold label: {predicted label: n}}  ("O": none),
 *    "docs", "tokens", "format", "seconds", "ignored_pred"}
 * Thread-safe on a shared pipeline.  Borrows pl and data_path. */
NER_API int ner_evaluate(const ner_pipeline *pl, const char *data_path,
                         const ner_eval_params *p, char **json_out,
                         char *errbuf, size_t errlen);

/* ---------------------------------------------------------------- convert */

typedef struct ner_convert_params {
    uint32_t size;        /* sizeof(ner_convert_params), set by _init */
    uint32_t flags;       /* NER_CONVERT_* */
    uint32_t from_format; /* NER_FORMAT_* of the input; default AUTO */
    uint32_t to_format;   /* NER_FORMAT_JSONL or NER_FORMAT_CONLL; default
                             the other one of the input's */
    uint32_t scheme;      /* NER_SCHEME_* of a written column file */
    uint32_t align;       /* JSONL to columns: 0 strict, 1 contract, 2 expand
                             (the NER_ALIGN_* values of ner_component.h) */
    const char *model_dir;/* pipeline whose tokenizer splits JSONL texts;
                             NULL: the default pipeline */
    ner_log_fn log;       /* warnings (misaligned entities); NULL: dropped */
    void *log_user;
} ner_convert_params;

/* Column file to JSONL: one line per document instead of per sentence. */
#define NER_CONVERT_DOCS 0x1u

NER_API int ner_convert_params_init(ner_convert_params *p, size_t size);

/* Converts a column file to JSONL (one line per sentence: tokens joined by
 * spaces; NER_CONVERT_DOCS: per document) or JSONL to a column file (two
 * TAB-separated columns, a blank line after each record, tags in
 * p->scheme).  Entities that do not fall on token boundaries are handled
 * by p->align, counted and reported through p->log.  Borrows the paths;
 * writes out_path through a temporary file. */
NER_API int ner_convert(const char *in_path, const char *out_path,
                        const ner_convert_params *p, char *errbuf,
                        size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* NER_NER_TRAIN_H */
