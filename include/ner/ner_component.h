/*
 * libner component API: what a component author calls.
 *
 * A component is a versioned vtable registered under a factory name.  The
 * built-in components (tokenizer, tagger, entity_ruler, ...) register through
 * ner_register_factory exactly as a plugin does.  A pipeline calls each
 * component's process() in order on every doc; components read the doc
 * through ner.h and change it through the calls below.
 *
 * THREADS
 *   process() and process_batch() get a const state and must be reentrant:
 *   a pipeline runs them from many threads at once.  Everything lazy (JIT,
 *   tables, packed weights) is done in init().  A doc passed to a component
 *   belongs to the calling thread for the duration of the call.
 *
 * Since 0.1.
 */
#ifndef NER_NER_COMPONENT_H
#define NER_NER_COMPONENT_H

#include "ner.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NER_COMPONENT_ABI 1

typedef struct ner_component_vtable {
    uint32_t size;       /* sizeof(ner_component_vtable) the author compiled */
    uint32_t abi;        /* NER_COMPONENT_ABI */
    const char *factory; /* unique name: "tokenizer", "entity_ruler", ... */

    /* Required.  Creates the state from a JSON object (never NULL: "{}" when
     * the user gave none) and from dir, the component's own sub-folder of a
     * pipeline folder (NULL for a new component).  Writes the reason for a
     * failure into errbuf (may be NULL). */
    int (*init)(void **state, const char *config_json, const char *dir,
                char *errbuf, size_t errlen);

    /* Required.  Reads and changes doc.  Reentrant.  A failure returns a
     * status and should leave a message with ner_doc_set_error. */
    int (*process)(const void *state, ner_doc *doc);

    /* Optional (NULL: process() is called on each doc). */
    int (*process_batch)(const void *state, ner_doc *const *docs, size_t n);

    /* Optional (NULL: the component cannot be saved).  Writes the
     * component's files into dir, which exists and is its own. */
    int (*save)(const void *state, const char *dir, char *errbuf,
                size_t errlen);

    /* Required.  Releases the state; accepts NULL. */
    void (*free)(void *state);

    /* Optional (NULL: unknown).  The entity labels the component can
     * produce (0 for a component that makes none, such as a tokenizer);
     * *labels borrowed from the state.  Returns the count. */
    size_t (*labels)(const void *state, const char *const **labels);

    /* Append only.  Callers check size and NULL before calling a member. */
} ner_component_vtable;

/* Registers a factory for every builder in the process.  vt is borrowed and
 * must outlive every pipeline made with it (a static const is usual).
 * NER_EEXIST when the name is taken, NER_EABI when size or abi are unknown.
 * Thread-safe. */
NER_API int ner_register_factory(const ner_component_vtable *vt);

/* The vtable registered under factory, or NULL.  Thread-safe. */
NER_API const ner_component_vtable *ner_find_factory(const char *factory);

/* ------------------------------------------------------------ tokens */

/* Replaces the doc's tokens by n tokens given as byte ranges.  Ranges must be
 * non-empty, sorted, not overlapping, inside the text and on code-point
 * boundaries (NER_ERANGE otherwise, with a message on the doc).  Clears the
 * entities and span groups, which refer to tokens. */
NER_API int ner_doc_set_tokens(ner_doc *doc, const size_t *starts,
                               const size_t *ends, size_t n);

#define NER_ALIGN_STRICT   0 /* both ends must fall on token boundaries */
#define NER_ALIGN_CONTRACT 1 /* keep only tokens wholly inside */
#define NER_ALIGN_EXPAND   2 /* take every token the range touches */

/* Maps a byte range [start, end) of the text to a token range [*tok_start,
 * *tok_end) by the alignment mode.  NER_EALIGN when strict fails or the
 * result is empty, NER_ERANGE when the range is outside the text. */
NER_API int ner_doc_align_bytes(const ner_doc *doc, size_t start, size_t end,
                                int mode, size_t *tok_start, size_t *tok_end);
/* The same with code-point offsets. */
NER_API int ner_doc_align_chars(const ner_doc *doc, size_t start, size_t end,
                                int mode, size_t *tok_start, size_t *tok_end);

/* Byte offset of code point cp (cp == length gives the text length).
 * NER_ERANGE past the end. */
NER_API int ner_doc_char_to_byte(const ner_doc *doc, size_t cp, size_t *byte);

/* ------------------------------------------------------------ entities */

#define NER_ENT_OVERWRITE 0x1u /* remove overlapping entities first */

/* Adds an entity over tokens [tok_start, tok_end) with a label (copied) and
 * a score in [0, 1].  Entities stay sorted and never overlap: NER_EOVERLAP
 * when the range overlaps one and flags lack NER_ENT_OVERWRITE.  On success
 * *index (may be NULL) gets the new entity's position in ner_doc_ents. */
NER_API int ner_doc_add_ent(ner_doc *doc, size_t tok_start, size_t tok_end,
                            const char *label, double score, uint32_t flags,
                            size_t *index);

/* 1 when [tok_start, tok_end) overlaps an entity, else 0. */
NER_API int ner_doc_ents_overlap(const ner_doc *doc, size_t tok_start,
                                 size_t tok_end);

/* Removes entity i, or all of them. */
NER_API int ner_doc_remove_ent(ner_doc *doc, size_t i);
NER_API void ner_doc_clear_ents(ner_doc *doc);

/* Sets entity i's knowledge-base id (copied; NULL for NIL) and the linking
 * score in [0, 1] (kept apart from the entity's own score). */
NER_API int ner_doc_set_ent_kb(ner_doc *doc, size_t i, const char *kb_id,
                               double kb_score);
/* Sets entity i's pattern id (copied; NULL clears it). */
NER_API int ner_doc_set_ent_ent_id(ner_doc *doc, size_t i, const char *ent_id);

/* Appends a span to the group called group (created on first use); spans in
 * a group may overlap and keep their order of insertion. */
NER_API int ner_doc_add_span(ner_doc *doc, const char *group,
                             size_t tok_start, size_t tok_end,
                             const char *label, double score);

/* ------------------------------------------------------------ attachments */

/* Attaches data under a key (copied) for later components of the pipeline,
 * e.g. a sub-word tokenizer's ids for the model after it.  The doc owns data
 * from then on and calls free_fn(data) (free_fn may be NULL) when the
 * attachment is replaced, when the tokens change, or when the doc is freed.
 * On failure the doc does not take data: the caller still owns it. */
NER_API int ner_doc_attach(ner_doc *doc, const char *key, void *data,
                           void (*free_fn)(void *));
/* The data attached under key, or NULL.  Borrowed from the doc. */
NER_API void *ner_doc_attachment(const ner_doc *doc, const char *key);

/* Records a failure on the doc (status and printf-style message) and returns
 * status, so a component can write `return ner_doc_set_error(doc, ...)`. */
NER_API int ner_doc_set_error(ner_doc *doc, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif
#endif /* NER_NER_COMPONENT_H */
