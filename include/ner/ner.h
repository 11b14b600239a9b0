/*
 * libner: named-entity recognition in one C library.
 *
 * OWNERSHIP
 *   What a call named _new, _load, _build or _process hands back belongs to the
 *   caller, who releases it with the matching typed _free (each accepts NULL).
 *   Never release a libner object or string with libc free().  Getters return
 *   borrowed pointers; each says until when the pointer stays valid.
 *
 * THREADS
 *   A built ner_pipeline is immutable: any number of threads may process text
 *   with one pipeline at the same time, without locks of their own.  A ner_doc
 *   belongs to one thread at a time.  A ner_builder belongs to one thread.
 *   There is no global or thread-local error state: every call that can fail
 *   returns an int status (NER_OK or a negative NER_E* code), and calls whose
 *   failure a person must read also fill a caller-supplied error buffer.
 *
 * LIFETIMES
 *   A doc holds a reference on the pipeline that made it, so freeing the
 *   pipeline before its docs is allowed: the pipeline is released with its
 *   last doc.  Label strings returned for spans live as long as the doc.
 *
 * OFFSETS
 *   All ranges are half-open [start, end).  Every token and span reports UTF-8
 *   byte offsets and Unicode code-point offsets (the ones Python's str slicing
 *   and spaCy's start_char use).
 *
 * Since 0.1 unless a comment says otherwise.
 */
#ifndef NER_NER_H
#define NER_NER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NER_BUILDING_LIBRARY) && defined(__GNUC__)
#define NER_API __attribute__((visibility("default")))
#else
#define NER_API
#endif

/* ---------------------------------------------------------------- version */

#define NER_VERSION_MAJOR 0
#define NER_VERSION_MINOR 1
#define NER_VERSION_PATCH 0
#define NER_VERSION_STRING "0.1.0"
#define NER_VERSION_NUMBER \
    (NER_VERSION_MAJOR * 10000 + NER_VERSION_MINOR * 100 + NER_VERSION_PATCH)

/* The release of the library actually loaded, e.g. "0.1.0"; a static string. */
NER_API const char *ner_version(void);
/* The same as NER_VERSION_NUMBER of the library actually loaded. */
NER_API unsigned ner_version_number(void);

/* ---------------------------------------------------------------- status */

#define NER_OK            0
#define NER_ENOMEM       -1  /* out of memory */
#define NER_EINVAL       -2  /* bad argument: NULL where not allowed, bad size */
#define NER_EIO          -3  /* a file could not be read or written */
#define NER_EFORMAT      -4  /* malformed input: JSON, model file, data file */
#define NER_EUTF8        -5  /* text is not valid UTF-8 */
#define NER_ENOTFOUND    -6  /* no such factory, component, file or key */
#define NER_ERANGE       -7  /* an index or offset out of range */
#define NER_EEXIST       -8  /* the name is taken */
#define NER_EOVERLAP     -9  /* the span overlaps an entity already there */
#define NER_EUNSUPPORTED -10 /* a valid request this build cannot honour */
#define NER_EABI         -11 /* a struct or vtable of an unknown size or ABI */
#define NER_ETOOBIG      -12 /* input over a documented limit */
#define NER_EALIGN       -13 /* an offset does not fall on a token boundary */
#define NER_EINTERNAL    -14 /* a bug in libner: please report it */

/* A short English name for a status code; a static string, never NULL. */
NER_API const char *ner_strerror(int code);

/* Error buffers: every `char *errbuf, size_t errlen` pair may be NULL and 0.
 * When a call fails it writes a NUL-terminated message of at most errlen-1
 * bytes saying what went wrong and where (file, line, byte offset).  The
 * buffer is untouched on success.  256 bytes is enough for every message;
 * NER_ERRBUF_SIZE is a comfortable size. */
#define NER_ERRBUF_SIZE 512

/* ---------------------------------------------------------------- handles */

typedef struct ner_builder ner_builder;   /* assembles a pipeline; mutable */
typedef struct ner_pipeline ner_pipeline; /* built; immutable; shared */
typedef struct ner_doc ner_doc;           /* one processed text */
typedef struct ner_ents ner_ents;         /* a list of spans owned by a doc */
typedef struct ner_span ner_span;         /* one span owned by a doc */

/* ---------------------------------------------------------------- logging */

#define NER_LOG_ERROR 0
#define NER_LOG_WARN  1
#define NER_LOG_INFO  2
#define NER_LOG_DEBUG 3

/* Receives one formatted UTF-8 message (no trailing newline).  libner never
 * prints; without a callback messages are dropped.  It may be called from any
 * thread that calls into the pipeline, so it must be thread-safe. */
typedef void (*ner_log_fn)(void *user, int level, const char *message);

/* Receives the progress of a long call (training, building a knowledge
 * base): done of total units, total 0 while it is not known yet.  Called
 * from the calling thread, often (keep it cheap); done never decreases
 * within one phase.  Since 0.1. */
typedef void (*ner_progress_fn)(void *user, uint64_t done, uint64_t total);

/* ---------------------------------------------------------------- builder */

/* Options for ner_builder_add.  Fill with ner_add_params_init. */
typedef struct ner_add_params {
    uint32_t size;      /* sizeof(ner_add_params), set by _init */
    uint32_t flags;     /* none defined yet: 0 */
    const char *name;   /* component name; NULL: the factory name */
    const char *before; /* insert before this component; NULL: not used */
    const char *after;  /* insert after this component; NULL: not used */
    const char *dir;    /* folder with the component's files; NULL: none */
} ner_add_params;

/* Fills p with defaults (append at the end, name = factory).  size is the
 * caller's sizeof(*p): older callers with smaller structs keep working.
 * Returns NER_EINVAL when p is NULL or size is too small. */
NER_API int ner_add_params_init(ner_add_params *p, size_t size);

/* A blank builder for a language: it holds one "tokenizer" component with the
 * built-in rules of that language ("en").  Caller frees with ner_builder_free.
 * NER_ENOTFOUND when the language has no built-in rules. */
NER_API int ner_builder_new(ner_builder **out, const char *lang,
                            char *errbuf, size_t errlen);

/* A builder holding the components of the pipeline folder dir (see
 * ner_pipeline_load), so that components can be added before building. */
NER_API int ner_builder_from_dir(ner_builder **out, const char *dir,
                                 char *errbuf, size_t errlen);

/* Adds a component made by the factory `factory` (built-in or registered with
 * ner_register_factory) with a JSON object as configuration (NULL: "{}").
 * The component is created at once, so a bad config fails here, with its
 * detail in errbuf.  Borrows every string. */
NER_API int ner_builder_add(ner_builder *b, const char *factory,
                            const char *config_json, const ner_add_params *p,
                            char *errbuf, size_t errlen);

/* Removes the component called name.  NER_ENOTFOUND if there is none. */
NER_API int ner_builder_remove(ner_builder *b, const char *name);

/* Builds an immutable pipeline from the builder's components.  The builder
 * hands its components over and is left empty but valid: free it after.
 * Caller frees the pipeline with ner_pipeline_free. */
NER_API int ner_builder_build(ner_builder *b, ner_pipeline **out,
                              char *errbuf, size_t errlen);

NER_API void ner_builder_free(ner_builder *b);

/* ---------------------------------------------------------------- pipeline */

typedef struct ner_load_params {
    uint32_t size;      /* sizeof(ner_load_params), set by _init */
    uint32_t flags;     /* none defined yet: 0 */
    ner_log_fn log;     /* NULL: messages are dropped */
    void *log_user;     /* passed to log */
} ner_load_params;

NER_API int ner_load_params_init(ner_load_params *p, size_t size);

/* Loads a pipeline folder: pipeline.json plus one sub-folder per component.
 * A Hugging Face token-classification folder (config.json, model.safetensors,
 * vocab.txt or tokenizer.json) loads as it is, as a pipeline of the
 * "wordpiece" and "bert_tagger" components (ner_builder_from_dir too).
 * dir NULL loads the default English pipeline shipped with the library.
 * p may be NULL for defaults.  Caller frees with ner_pipeline_free. */
NER_API int ner_pipeline_load(ner_pipeline **out, const char *dir,
                              const ner_load_params *p,
                              char *errbuf, size_t errlen);

/* Where the default pipeline is: a static string, or NULL when no folder
 * was found next to the library nor at the installed location. */
NER_API const char *ner_default_pipeline_dir(void);

/* Writes the pipeline as a folder that ner_pipeline_load reads back into an
 * equal pipeline.  Creates dir if needed; overwrites the files it writes.
 * NER_EUNSUPPORTED names a component that cannot be saved. */
NER_API int ner_pipeline_save(const ner_pipeline *pl, const char *dir,
                              char *errbuf, size_t errlen);

/* Releases the caller's reference; docs made by pl keep it alive. */
NER_API void ner_pipeline_free(ner_pipeline *pl);

/* The language code, e.g. "en".  Valid until the pipeline is freed. */
NER_API const char *ner_pipeline_lang(const ner_pipeline *pl);

/* Components in order.  Strings are valid until the pipeline is freed;
 * NULL when i is out of range. */
NER_API size_t ner_pipeline_component_count(const ner_pipeline *pl);
NER_API const char *ner_pipeline_component_name(const ner_pipeline *pl, size_t i);
NER_API const char *ner_pipeline_component_factory(const ner_pipeline *pl, size_t i);

/* The entity labels the components say they produce, in order; when a
 * component cannot say (no labels() in its vtable), the "labels" of
 * pipeline.json are added.  Valid until the pipeline is freed; NULL when i is
 * out of range. */
NER_API size_t ner_pipeline_label_count(const ner_pipeline *pl);
NER_API const char *ner_pipeline_label(const ner_pipeline *pl, size_t i);

/* Limit on one text: longer input gets NER_ETOOBIG. */
#define NER_MAX_TEXT_BYTES ((size_t)1 << 31)

/* Runs every component over text (len bytes of UTF-8; need not be
 * NUL-terminated; text may be NULL when len is 0).  On success *out is a new
 * doc the caller frees with ner_doc_free.  On failure *out is NULL and errbuf
 * says why: invalid UTF-8 gives NER_EUTF8 and the byte offset.
 * Thread-safe: any number of threads may call it on one pipeline. */
NER_API int ner_pipeline_process(const ner_pipeline *pl, const char *text,
                                 size_t len, ner_doc **out,
                                 char *errbuf, size_t errlen);

typedef struct ner_batch_params {
    uint32_t size;       /* sizeof(ner_batch_params), set by _init */
    uint32_t n_threads;  /* worker threads; 0 or 1: the calling thread only */
    uint32_t batch_size; /* texts a component sees at once; default 64 */
    uint32_t flags;      /* none defined yet: 0 */
} ner_batch_params;

NER_API int ner_batch_params_init(ner_batch_params *p, size_t size);

/* Processes n texts (lens[i] bytes each; lens NULL: NUL-terminated) and
 * stores n new docs in docs[0..n-1], in input order, whatever the threads.
 * A text that fails still gets a doc, with no tokens, whose ner_doc_status
 * and ner_doc_errmsg say why; the call then returns the status of the first
 * failing text and errbuf names its index.  Caller frees every doc. */
NER_API int ner_pipeline_process_batch(const ner_pipeline *pl,
                                       const char *const *texts,
                                       const size_t *lens, size_t n,
                                       ner_doc **docs,
                                       const ner_batch_params *p,
                                       char *errbuf, size_t errlen);

/* ---------------------------------------------------------------- doc */

NER_API void ner_doc_free(ner_doc *doc);

/* NER_OK, or the status of the last failure on this doc. */
NER_API int ner_doc_status(const ner_doc *doc);
/* The message of the last failure on this doc, "" when none.  Valid until
 * the doc is changed or freed. */
NER_API const char *ner_doc_errmsg(const ner_doc *doc);

/* The text: *len_bytes bytes, NUL-terminated.  Valid until the doc is freed. */
NER_API const char *ner_doc_text(const ner_doc *doc, size_t *len_bytes);
/* Length of the text in code points. */
NER_API size_t ner_doc_length_chars(const ner_doc *doc);

/* The pipeline that made the doc (borrowed; the doc keeps it alive). */
NER_API const ner_pipeline *ner_doc_pipeline(const ner_doc *doc);

/* Tokens.  Token i covers [start, end) and is followed by whitespace up to
 * the next token.  The leading whitespace before the first token, the tokens
 * and their trailing whitespace concatenated give the text back byte for
 * byte.  Out-parameters may be NULL.  NER_ERANGE when i >= count. */
NER_API size_t ner_doc_token_count(const ner_doc *doc);
NER_API int ner_doc_token_bytes(const ner_doc *doc, size_t i,
                                size_t *start, size_t *end, size_t *ws_end);
NER_API int ner_doc_token_chars(const ner_doc *doc, size_t i,
                                size_t *start, size_t *end, size_t *ws_end);
/* Token i's text: *len bytes of the doc text, NOT NUL-terminated; NULL when
 * i is out of range. */
NER_API const char *ner_doc_token_text(const ner_doc *doc, size_t i,
                                       size_t *len);

/* Copies the offsets of tokens [first, first + count) into buf, six values
 * per token: start_byte, end_byte, ws_end_byte, start_char, end_char,
 * ws_end_char (ws_end: where the whitespace after the token ends).  count
 * is clipped to the tokens there are; returns the number of tokens copied.
 * One call instead of two per token, for FFI users.  Since 0.1. */
NER_API size_t ner_doc_copy_token_offsets(const ner_doc *doc, size_t first,
                                          size_t count, uint64_t *buf);

/* Bytes of whitespace before the first token (all of a blank text). */
NER_API size_t ner_doc_leading_ws_bytes(const ner_doc *doc);

/* Entities: never overlapping, sorted by start.  Borrowed, valid until the
 * doc is changed or freed.  Never NULL for a valid doc. */
NER_API const ner_ents *ner_doc_ents(const ner_doc *doc);

/* Named span groups: spans that may overlap (e.g. every rule match).
 * ner_doc_spans returns NULL when the doc has no group of that name. */
NER_API size_t ner_doc_span_group_count(const ner_doc *doc);
NER_API const char *ner_doc_span_group_name(const ner_doc *doc, size_t i);
NER_API const ner_ents *ner_doc_spans(const ner_doc *doc, const char *group);

/* Entity lists and spans (borrowed from their doc). */
NER_API size_t ner_ents_count(const ner_ents *ents);
/* NULL when i is out of range. */
NER_API const ner_span *ner_ents_get(const ner_ents *ents, size_t i);

/* Span fields.  Strings are valid until the doc is freed. */
NER_API const char *ner_span_label(const ner_span *s);
/* The covered text: *len_bytes bytes of the doc's text, NOT NUL-terminated. */
NER_API const char *ner_span_text(const ner_span *s, size_t *len_bytes);
NER_API size_t ner_span_start_byte(const ner_span *s);
NER_API size_t ner_span_end_byte(const ner_span *s);
NER_API size_t ner_span_start_char(const ner_span *s);
NER_API size_t ner_span_end_char(const ner_span *s);
NER_API size_t ner_span_start_token(const ner_span *s);
NER_API size_t ner_span_end_token(const ner_span *s);
/* Confidence in [0, 1]; rules give 1. */
NER_API double ner_span_score(const ner_span *s);
/* Knowledge-base id from a linker, or NULL (NIL or no linker). */
NER_API const char *ner_span_kb_id(const ner_span *s);
/* The linker's confidence in its kb_id (or in NIL), 0 without a linker. */
NER_API double ner_span_kb_score(const ner_span *s);
/* Pattern id from a rule ("id" in patterns.jsonl), or NULL. */
NER_API const char *ner_span_ent_id(const ner_span *s);

/* A plain, frozen copy of one entity, for FFI users who want all entities in
 * one call.  This struct never changes; a later one gets a new name. */
typedef struct ner_span_record {
    uint64_t start_byte, end_byte;   /* UTF-8 byte offsets */
    uint64_t start_char, end_char;   /* code-point offsets */
    uint32_t start_token, end_token; /* token range */
    double score;
    const char *label;   /* valid until the doc is freed */
    const char *kb_id;   /* NULL when none; valid until the doc is freed */
    double kb_score;     /* the linker's score, 0 without a linker */
    const char *ent_id;  /* rule pattern id or NULL; valid until the doc is freed */
} ner_span_record;

/* Copies min(cap, count) entities into buf (buf may be NULL when cap is 0)
 * and returns the number of entities the doc has. */
NER_API size_t ner_doc_copy_ents(const ner_doc *doc, ner_span_record *buf,
                                 size_t cap);

#define NER_JSON_TOKENS 0x1u  /* add "tokens": [{"start","end","ws"}...] */
#define NER_JSON_SPANS  0x2u  /* add "spans": {group: [...]} */
#define NER_JSON_BYTES  0x4u  /* add "start_byte","end_byte" to each span */

/* The doc as one line of JSON: {"text", "ents": [{"start","end","label",
 * "text","score","kb_id","kb_score"}...]} with code-point offsets, plus what flags ask.
 * On success *out is a NUL-terminated string the caller frees with
 * ner_string_free; *len (may be NULL) gets its length. */
NER_API int ner_doc_to_json(const ner_doc *doc, uint32_t flags, char **out,
                            size_t *len);

/* Frees a string libner returned.  Accepts NULL. */
NER_API void ner_string_free(char *s);

#ifdef __cplusplus
}
#endif
#endif /* NER_NER_H */
