/* JSONL training/evaluation corpora: one JSON object a line,
 *
 *   {"text": "Apple is in Cupertino", "entities": [[0, 5, "ORG"], [12, 21, "GPE"]]}
 *
 * with code-point offsets, half-open [start, end).  Also accepted: each
 * entity as an object {"start": 0, "end": 5, "label": "ORG"}, and the list
 * under "spans" instead of "entities" ("entities" wins when both are there).
 * Other fields are ignored.  A line without "entities"/"spans" (or with
 * null) has no entities.  Lines holding only blanks are skipped; a CR before
 * the LF is dropped; a UTF-8 byte-order mark at the very start is skipped.
 *
 * ERRORS (NER_EFORMAT, NER_EUTF8 or NER_ERANGE; errbuf starts "line L: ")
 *   malformed JSON (with jansson's column and message), a line that is not
 *   an object, "text" missing or not a string, invalid UTF-8 (byte offset
 *   in the line), "entities" not a list, an entity that is neither
 *   [start, end, label] nor {"start", "end", "label"}, an offset that is not
 *   an integer, an empty or non-string label, an offset out of [0, length]
 *   or start >= end (NER_ERANGE), two entities overlapping ("entities
 *   [0,5) ORG and [3,9) PER overlap", NER_EOVERLAP).
 */
#ifndef NER_IO_JSONL_CORPUS_H
#define NER_IO_JSONL_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "io/buf.h"
#include "io/strtab.h"

typedef struct nio_ent {
    size_t start_char, end_char;  /* code points, half-open */
    size_t start_byte, end_byte;  /* UTF-8 bytes into the record's text */
    uint32_t label;               /* id in the corpus labels */
} nio_ent;

typedef struct nio_record {
    char *text;            /* NUL-terminated UTF-8 (owned by the corpus) */
    size_t len_bytes, len_chars;
    nio_ent *ents;         /* sorted by start, never overlapping */
    size_t n_ents;
    size_t line;           /* 1-based line of the input */
} nio_record;

typedef struct nio_jsonl {
    nio_record *recs;
    size_t n_recs, cap_recs;
    nio_strtab labels;     /* entity labels in order of first sight */
} nio_jsonl;

/* An empty corpus the caller frees with nio_jsonl_free (for building one
 * record by record with nio_jsonl_parse_line).  NULL when out of memory. */
nio_jsonl *nio_jsonl_new(void);

/* Parses one line (len bytes, no LF needed, need not be NUL-terminated)
 * numbered lineno into a new record appended to c.  A blank line adds
 * nothing and returns NER_OK.  On failure c is unchanged (apart from labels
 * it may have interned) and errbuf says "line L: ...". */
int nio_jsonl_parse_line(nio_jsonl *c, const char *line, size_t len,
                         size_t lineno, char *errbuf, size_t errlen);

/* Reads a whole JSONL text (see above).  On success *out is a new corpus
 * the caller frees with nio_jsonl_free; on failure *out is NULL. */
int nio_jsonl_read_mem(nio_jsonl **out, const char *data, size_t len,
                       char *errbuf, size_t errlen);
/* The same from a file; messages begin with the path. */
int nio_jsonl_read_file(nio_jsonl **out, const char *path,
                        char *errbuf, size_t errlen);
void nio_jsonl_free(nio_jsonl *c);

/* The name of label id; NULL when out of range.  Valid until c is freed. */
const char *nio_jsonl_label(const nio_jsonl *c, uint32_t id);

/* An entity to write: code-point offsets and a label. */
typedef struct nio_char_span {
    size_t start, end;
    const char *label;
} nio_char_span;

/* Appends {"text": ..., "entities": [[start, end, "LABEL"], ...]} and a LF
 * (compact JSON, UTF-8 kept as is, entities in the order given).  The text
 * must be valid UTF-8 without NUL (NER_EUTF8 / NER_EINVAL); offsets must
 * satisfy start < end <= length in code points (NER_ERANGE); labels must be
 * non-empty. */
int nio_jsonl_write_record(nio_buf *out, const char *text, size_t len_bytes,
                           const nio_char_span *ents, size_t n_ents,
                           char *errbuf, size_t errlen);
/* Appends every record of c; reading the output gives c back. */
int nio_jsonl_write(const nio_jsonl *c, nio_buf *out,
                    char *errbuf, size_t errlen);
int nio_jsonl_write_file(const nio_jsonl *c, const char *path,
                         char *errbuf, size_t errlen);

#endif
