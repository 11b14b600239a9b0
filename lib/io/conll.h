/* Column (CoNLL / IOB) corpora: reading into documents, sentences, tokens
 * and decoded entity spans; writing back in IOB1, IOB2, BILOU or BIOES.
 *
 * INPUT
 *   One token a line: the token is the first column, the tag the last, and
 *   any columns between (POS, chunk, lemma...) are kept as written but not
 *   interpreted.  Every token line of a file has the same number N >= 2 of
 *   columns.  The separator is decided by the first token line: when it
 *   holds a TAB the file is TAB-separated (each TAB separates two columns,
 *   so tokens may contain spaces); otherwise columns are separated by runs
 *   of spaces and TABs and leading blanks are skipped.  Trailing blanks and
 *   a CR before the LF are dropped (CRLF files read as LF files).  UTF-8
 *   byte-order marks (U+FEFF) opening the first non-blank line are skipped
 *   (with any blanks around them).
 *   A line holding only blanks (space, TAB, CR, VT, FF) -- an empty line or
 *   WNUT-17's single TAB -- ends the sentence.  A line whose first word is
 *   -DOCSTART- (whatever follows: "-DOCSTART- -X- O O", "-DOCSTART-\tO")
 *   ends the sentence and starts a new document.  Sentences before the
 *   first -DOCSTART- (or in a file without any) go to an implicit first
 *   document; a file without tokens or -DOCSTART- has no documents.
 *   Tags: O or P-TYPE with P one of B I L U E S and TYPE non-empty.
 *   The whole input must be UTF-8 without NUL bytes.
 *
 * ERRORS
 *   NER_EFORMAT or NER_EUTF8 with "line L: ..." in errbuf (1-based lines,
 *   prefixed by the path for files): a token line with one column (no
 *   tag), an inconsistent column count, an empty token (TAB files), a tag
 *   that is not O/B-X/I-X/L-X/U-X/E-X/S-X, invalid UTF-8 (with the byte in
 *   the line and the file offset), a NUL byte.
 *
 * SCHEME
 *   Detected over the whole file (see nio_scheme_decide in tags.h); the
 *   spans are decoded leniently as tags.h says and the repairs of invalid
 *   sequences are counted against the detected scheme (or the forced one).
 */
#ifndef NER_IO_CONLL_H
#define NER_IO_CONLL_H

#include <stddef.h>
#include <stdint.h>

#include "io/buf.h"
#include "io/strtab.h"
#include "io/tags.h"

typedef struct nio_conll_token {
    const char *text;  /* column 1, NUL-terminated */
    const char *mid;   /* columns 2..N-1 as written with their separators,
                          "" for a 2-column file */
    const char *tag;   /* column N as written */
    size_t line;       /* 1-based */
} nio_conll_token;

typedef struct nio_conll_sentence {
    size_t first_token, n_tokens; /* into tokens[] and tags[] */
    size_t first_span, n_spans;   /* into spans[]; token offsets in spans
                                     are relative to the sentence */
    size_t line;                  /* line of the first token */
} nio_conll_sentence;

typedef struct nio_conll_doc {
    size_t first_sentence, n_sentences;
    size_t line;          /* line of the -DOCSTART-, 0 when implicit */
    const char *docstart; /* that line as written, NULL when implicit */
} nio_conll_doc;

typedef struct nio_conll {
    nio_conll_token *tokens;
    nio_tag *tags;            /* parsed tags, type = id in labels */
    size_t n_tokens;
    nio_conll_sentence *sents;
    size_t n_sents;
    nio_conll_doc *docs;
    size_t n_docs;
    nio_span *spans;          /* decoded entities, sentence after sentence */
    size_t n_spans;
    nio_strtab labels;        /* entity types in order of first sight */
    size_t n_columns;         /* columns of a token line (0: no tokens) */
    char sep;                 /* '\t' or ' ' */
    size_t n_docstart;        /* -DOCSTART- lines */
    size_t n_crlf;            /* lines that ended in CR LF */
    nio_scheme scheme;        /* detected */
    nio_scheme decoded_as;    /* the scheme repairs were counted against */
    nio_repairs repairs;
    nio_scheme_stats stats;   /* the evidence for the detection */
    char *buf;                /* owned copy of the input all strings point in */
    size_t buf_len;
} nio_conll;

/* Reads len bytes of a column file (data need not be NUL-terminated).
 * scheme NIO_SCHEME_AUTO detects it; another value forces the scheme the
 * repairs are counted against (the spans are the same either way).
 * On success *out is a new corpus the caller frees with nio_conll_free; on
 * failure *out is NULL and errbuf says where and what. */
int nio_conll_read_mem(nio_conll **out, const char *data, size_t len,
                       nio_scheme scheme, char *errbuf, size_t errlen);
/* The same from a file; messages begin with the path. */
int nio_conll_read_file(nio_conll **out, const char *path, nio_scheme scheme,
                        char *errbuf, size_t errlen);
void nio_conll_free(nio_conll *c);

/* The name of label id, NULL when out of range.  Valid until c is freed. */
const char *nio_conll_label(const nio_conll *c, uint32_t id);
/* Entities of that label in the whole corpus (all labels: NULL). */
size_t nio_conll_count_entities(const nio_conll *c, const char *label);

/* Writer flags. */
#define NIO_CONLL_KEEP_COLUMNS 0x1u /* write the middle columns read (mid) and
                                       the -DOCSTART- lines as written */
#define NIO_CONLL_NO_DOCSTART  0x2u /* write no -DOCSTART- lines */

/* Appends one sentence: for token i the line "tokens[i] SEP [mids[i] SEP]
 * TAG", then an empty line.  mids (or mids[i]) NULL: no middle columns; ""
 * is one empty middle column (TAB files).
 * spans as for nio_tags_encode; labels[span.label] (label < n_labels) names
 * a span's type.  Tokens and labels must be non-empty and hold neither the
 * separator nor a LF; mids must hold no LF.
 * NER_EINVAL (bad spans, scheme, separator) or NER_ENOMEM. */
int nio_conll_write_sentence(nio_buf *out, const char *const *tokens,
                             const char *const *mids, size_t n_tokens,
                             const nio_span *spans, size_t n_spans,
                             const char *const *labels, size_t n_labels,
                             nio_scheme scheme, char sep,
                             char *errbuf, size_t errlen);

/* Appends the corpus with its own spans re-encoded in scheme (IOB1, IOB2,
 * BILOU, BIOES), separated by c->sep (TAB for an empty corpus).  Documents
 * that began with -DOCSTART- get a -DOCSTART- line ("-DOCSTART-" SEP "O",
 * or the line read with NIO_CONLL_KEEP_COLUMNS) and an empty line.  Reading
 * eng.train and writing it with IOB1 and KEEP_COLUMNS gives the file back
 * byte for byte. */
int nio_conll_write(const nio_conll *c, nio_scheme scheme, unsigned flags,
                    nio_buf *out, char *errbuf, size_t errlen);
int nio_conll_write_file(const nio_conll *c, const char *path,
                         nio_scheme scheme, unsigned flags,
                         char *errbuf, size_t errlen);

#endif
