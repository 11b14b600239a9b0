/* Entity tag schemes: parsing tags, detecting the scheme of a corpus,
 * decoding tag sequences into entity spans and encoding spans back to tags.
 *
 * SCHEMES
 *   IOB1   I-X is the usual tag; B-X only marks an entity that directly
 *          follows another entity of the same type X (CoNLL-2003).
 *   IOB2   (BIO) every entity starts with B-X, continues with I-X.
 *   BILOU  B-X first, I-X inside, L-X last, U-X for a one-token entity.
 *   BIOES  the same with E-X for L-X and S-X for U-X.
 *
 * DECODING (lenient, the same for every scheme, like conlleval)
 *   A token tagged B-X, U-X or S-X starts a new entity.  A token tagged
 *   I-X, L-X or E-X continues the open entity when it is of type X, and
 *   otherwise starts a new entity (after O, at the sentence start, or after
 *   another type).  L-X, E-X, U-X and S-X close the entity after their
 *   token; O, a new start and the sentence end close it before.  So the
 *   spans never depend on the scheme; the scheme only decides which of these
 *   moves count as repairs of an invalid sequence (nio_repairs):
 *     i_start   IOB2, BILOU, BIOES: an entity opened by I-X, L-X or E-X.
 *     b_start   IOB1: a B-X whose previous token is not of type X.
 *     unclosed  BILOU, BIOES: an entity closed without its L-X/E-X (by O, by
 *               a new start, by the sentence end); B-X alone counts here.
 *     foreign   a prefix the scheme does not have (L/U/E/S in IOB1/IOB2).
 *   In BILOU, E-X and S-X are read as L-X and U-X without repair, and in
 *   BIOES the other way round: the two schemes are one with renamed letters.
 */
#ifndef NER_IO_TAGS_H
#define NER_IO_TAGS_H

#include <stddef.h>
#include <stdint.h>

typedef enum nio_scheme {
    NIO_SCHEME_AUTO = -1, /* reader option: detect */
    NIO_SCHEME_NONE = 0,  /* detected: only O tags (or no tokens) */
    NIO_SCHEME_IOB1 = 1,
    NIO_SCHEME_IOB2 = 2,
    NIO_SCHEME_BILOU = 3,
    NIO_SCHEME_BIOES = 4
} nio_scheme;

/* "auto", "none", "IOB1", "IOB2", "BILOU", "BIOES"; "?" for anything else. */
const char *nio_scheme_name(nio_scheme s);
/* Case-insensitive: iob1, iob2, bio, bilou, bioes, iobes.  NER_OK or
 * NER_ENOTFOUND. */
int nio_scheme_parse(const char *name, nio_scheme *out);

/* One parsed tag.  prefix is 'O', 'B', 'I', 'L', 'U', 'E' or 'S' as
 * written; type is an id the caller assigns to the entity type (unused for
 * 'O', where it is 0). */
typedef struct nio_tag {
    char prefix;
    uint32_t type;
} nio_tag;

/* Splits s[0..len) into a prefix and a type: "O", or one of B I L U E S,
 * then '-', then a non-empty type.  NER_OK, or NER_EFORMAT for anything
 * else. *type / *type_len point into s (NULL and 0 for O). */
int nio_tag_parse(const char *s, size_t len, char *prefix,
                  const char **type, size_t *type_len);

/* An entity over tokens [start, end) of one sentence, label an id. */
typedef struct nio_span {
    size_t start, end;
    uint32_t label;
} nio_span;

typedef struct nio_repairs {
    size_t i_start, b_start, unclosed, foreign;
} nio_repairs;

size_t nio_repairs_total(const nio_repairs *r);

/* Evidence for the scheme, accumulated sentence by sentence. */
typedef struct nio_scheme_stats {
    size_t n_b, n_i, n_l, n_u, n_e, n_s; /* tags with each prefix */
    size_t i_start;  /* I-X not after a token of type X: opens an entity */
    size_t b_free;   /* B-X not after a token of type X */
} nio_scheme_stats;

/* Adds one sentence of n tags. */
void nio_scheme_stats_add(nio_scheme_stats *st, const nio_tag *tags, size_t n);
/* The scheme the evidence points to:
 *   L/U present  -> BILOU;  E/S present -> BIOES  (both: the more frequent
 *                   pair of letters, BILOU on a tie);
 *   else no B/I  -> NONE;
 *   else i_start == 0 -> IOB2;  b_free == 0 -> IOB1;
 *   else the one with fewer violations (IOB2 when i_start <= b_free). */
nio_scheme nio_scheme_decide(const nio_scheme_stats *st);

/* Decodes one sentence of n tags (see DECODING) into out, which has room for
 * n spans; returns how many were written, in order.  label = tag type.
 * When repairs is not NULL its counts are increased as the scheme says;
 * NIO_SCHEME_AUTO or NONE count nothing. */
size_t nio_tags_decode(const nio_tag *tags, size_t n, nio_scheme scheme,
                       nio_span *out, nio_repairs *repairs);

/* Writes the n_tokens tags of one sentence holding spans (sorted by start,
 * not overlapping, inside [0, n_tokens), start < end) in scheme (IOB1, IOB2,
 * BILOU or BIOES).  IOB1 gives B-X only to an entity that starts right where
 * an entity of the same label ends.  NER_OK or NER_EINVAL. */
int nio_tags_encode(const nio_span *spans, size_t n_spans, size_t n_tokens,
                    nio_scheme scheme, nio_tag *out);

#endif
