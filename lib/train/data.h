/* Annotated corpora as tokenized documents with gold entities, for the
 * trainer, the evaluator and the converter (private to lib/train). */
#ifndef NER_TRAIN_DATA_H
#define NER_TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>
#include "io/strtab.h"
#include "ner/ner.h"

/* A gold entity: code points of the doc text, token range after alignment
 * (tok_start == tok_end: it could not be aligned), label id. */
typedef struct ntr_ent {
    size_t start_char, end_char;
    size_t start_byte, end_byte;
    size_t tok_start, tok_end;
    uint32_t label;
} ntr_ent;

typedef struct ntr_doc {
    char *text;            /* NUL-terminated, owned */
    size_t len;
    size_t n_tok;
    size_t *tb, *te;       /* token byte offsets */
    size_t *tcs, *tce;     /* token code-point offsets */
    const char **words;    /* into text */
    size_t *wlen;
    uint8_t *sent_start;
    ntr_ent *ents;
    size_t n_ents;
    size_t line;           /* first line of the record / document */
    size_t n_sents;        /* column files: sentences; JSONL: 1 */
    size_t *sent_line;     /* column files: the line of each sentence */
    size_t *sent_tok;      /* column files: first token of each sentence */
} ntr_doc;

/* A problem with one entity, kept as an example. */
typedef struct ntr_problem {
    size_t line;
    char *msg;
} ntr_problem;

#define NTR_MAX_PROBLEMS 10

typedef struct ntr_corpus {
    int format;            /* NER_FORMAT_JSONL or NER_FORMAT_CONLL */
    const char *scheme;    /* column files: the detected tag scheme */
    ntr_doc *docs;
    size_t n_docs;
    nio_strtab labels;     /* label ids of ntr_ent */
    size_t n_tokens, n_ents, n_sents;
    size_t n_misaligned;   /* entities not on token boundaries */
    size_t n_adjusted;     /* of those: aligned by contract/expand */
    size_t n_dropped;      /* of those: left without tokens */
    size_t n_clash;        /* aligned entities falling on the same tokens */
    ntr_problem problems[NTR_MAX_PROBLEMS];
    size_t n_problems;
    size_t n_repairs;      /* column files: invalid tag sequences repaired */
} ntr_corpus;

/* Column files: one doc per sentence even when the file has -DOCSTART-
 * lines (which otherwise make one doc of each document's sentences). */
#define NTR_READ_SENTENCES 0x1u

/* Reads path (format NER_FORMAT_*, AUTO detects), tokenizing JSONL texts
 * with tok (a pipeline whose components only tokenize; NULL: JSONL docs get
 * no tokens and their entities are not aligned) on n_threads, and aligns
 * the JSONL entities with mode (NER_ALIGN_*); flags are NTR_READ_*.
 * *out is freed with ntr_corpus_free. */
int ntr_corpus_read(ntr_corpus **out, const char *path, int format,
                    const ner_pipeline *tok, int align, uint32_t n_threads,
                    unsigned flags, char *errbuf, size_t errlen);
void ntr_corpus_free(ntr_corpus *c);

/* NER_FORMAT_JSONL or NER_FORMAT_CONLL for a file (first non-blank byte
 * '{' is JSONL); NER_EIO when it cannot be read. */
int ntr_detect_format(const char *path, int *format, char *errbuf, size_t errlen);

/* A pipeline holding only the tokenizer components of base_dir (NULL: the
 * built-in English tokenizer); caller frees. */
int ntr_tokenizer_pipeline(const char *base_dir, ner_pipeline **out,
                           char *errbuf, size_t errlen);

/* Logging helper: formats and calls log when it is not NULL. */
void ntr_log(ner_log_fn log, void *user, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* A short quoted excerpt of text[start_byte, end_byte) (at most ~60
 * bytes, UTF-8 safe) into out. */
void ntr_excerpt(const char *text, size_t len, size_t start_byte,
                 size_t end_byte, char *out, size_t cap);

#endif
