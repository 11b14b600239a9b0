/* Token patterns: spaCy's Matcher patterns over token attributes (no docs
 * here).
 *
 * A pattern is a JSON array of token specs, each an object of attribute
 * tests that must all hold, plus an optional "OP":
 *
 *   ORTH, TEXT        the token text            string | {IN|NOT_IN|REGEX}
 *   LOWER             its lower-case form       string | {IN|NOT_IN|REGEX}
 *   SHAPE             its word shape            string | {IN|NOT_IN|REGEX}
 *   LENGTH            code points               int | {==,!=,<,<=,>,>=,IN,NOT_IN}
 *   IS_ALPHA IS_DIGIT IS_LOWER IS_UPPER IS_TITLE IS_PUNCT IS_SPACE IS_ASCII
 *   IS_CURRENCY IS_BRACKET IS_QUOTE IS_LEFT_PUNCT IS_RIGHT_PUNCT
 *   LIKE_NUM LIKE_EMAIL LIKE_URL              true | false
 *   REGEX             a regex searched in the token text (= TEXT REGEX)
 *   OP                "!" (one token that does NOT match), "?", "*", "+",
 *                     "{n}", "{n,m}", "{n,}", "{,m}" (n, m <= 100)
 *
 * Attribute names are case-insensitive, as in spaCy.  {} matches any token.
 * Regexes are PCRE2 (UTF, UCP), searched anywhere in the string (Python's
 * re.search), compiled and JIT-compiled when the pattern is added; a regex
 * used by several specs is compiled once and run at most once per token,
 * and an anchored one ("^...") is not run at all on a token whose first
 * byte or length rules it out (PCRE2's start bitmap and minimum length).
 * Likewise a token spec written the same way in several patterns (OP
 * aside) is tested once per token.
 *
 * MATCHING
 *   Every pattern runs as a Thompson NFA over the tokens, left to right, in
 *   one pass: at each token a pattern holds at most one thread per state,
 *   the one that started earliest.  So for each pattern and each token where
 *   a match ends, the match reported is the one starting earliest; a shorter
 *   match of the same pattern ending at the same token (a suffix of it) is
 *   not reported.  Matches that end at different tokens are all reported;
 *   the caller keeps the longest per start.  Empty matches are never
 *   reported.  Work: O(tokens x pattern states), never backtracking.
 *
 * Adding belongs to one thread; matching only reads the patterns and is
 * reentrant, given a scratch per thread. */
#ifndef NER_RULES_TOKPAT_H
#define NER_RULES_TOKPAT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/vocab.h"

#define NR_OP_MAX_REPEAT 100
#define NR_MATCH_LIMIT 100000u  /* PCRE2 match limit for every regex */

/* What the patterns read from each token (nr_tokpats.need). */
#define NR_NEED_ORTH   (1u << 0) /* ids of the token text */
#define NR_NEED_LOWER  (1u << 1) /* ids of the lower-case form */
#define NR_NEED_SHAPE  (1u << 2) /* ids of the shape */
#define NR_NEED_FLAGS  (1u << 3) /* nr_token_flags */
#define NR_NEED_LENGTH (1u << 4) /* code points */
#define NR_NEED_LOWER_STR (1u << 5) /* the lower-case string (regex) */
#define NR_NEED_SHAPE_STR (1u << 6) /* the shape string (regex) */

/* The tokens as the matchers see them.  Arrays the patterns do not need
 * (see need) may be NULL. */
typedef struct nr_tokview {
    size_t n;
    const char *text;             /* token i is text[start[i]..end[i]) */
    const size_t *start, *end;
    const uint32_t *orth, *lower, *shape; /* vocab ids, NR_NONE when absent */
    const uint32_t *flags, *length;
    const char *lower_str;        /* lower form of token i: lower_str +   */
    const size_t *lower_off;      /* lower_off[i] .. lower_off[i + 1]     */
    const char *shape_str;
    const size_t *shape_off;
} nr_tokview;

typedef struct nr_pred nr_pred;
typedef struct nr_elem nr_elem;
typedef struct nr_tpat nr_tpat;
typedef struct nr_rx nr_rx;
typedef struct nr_spec nr_spec;

typedef struct nr_tokpats {
    nr_pred *preds;
    size_t npreds, cappreds;
    nr_elem *elems;
    size_t nelems, capelems;
    nr_tpat *pats;
    size_t npats, cappats;
    uint32_t *ids;          /* IN / NOT_IN id sets, each sorted */
    size_t nids, capids;
    int64_t *nums;          /* LENGTH IN / NOT_IN sets, each sorted */
    size_t nnums, capnums;
    nr_rx *rx;              /* regexes, each once (by attribute and text) */
    size_t nrx, caprx;
    nr_vocab rx_names;      /* attribute byte + regex text -> index in rx */
    nr_spec *specs;         /* distinct token specs (without OP) */
    size_t nspecs, capspecs;
    nr_vocab spec_names;    /* a spec's canonical JSON -> index in specs */
    size_t nstates;         /* sum over patterns of (elements + 1) */
    uint32_t need;          /* NR_NEED_* */
    /* start index: patterns whose first element requires an ORTH or LOWER
     * id, listed under that id; the others are tried at every token */
    uint32_t *always;       /* pattern numbers */
    size_t nalways;
    uint64_t *ix_keys;      /* ((attr << 32) | id) + 1, 0 empty */
    uint32_t *ix_first;     /* first entry in ix_list */
    uint32_t *ix_list;      /* pattern numbers, chained by ix_next */
    uint32_t *ix_next;
    size_t ix_mask, ix_n;
    int indexed;
    void *mctx;             /* pcre2_match_context (read-only once built) */
} nr_tokpats;

void nr_tokpats_init(nr_tokpats *tp);
void nr_tokpats_free(nr_tokpats *tp);

/* Compiles a pattern (a JSON array of token specs) and adds it with value
 * `value` (the caller's pattern number).  Strings compared are interned in
 * v.  On failure nothing is added (the vocab may have grown) and errbuf
 * says which token and why; NER_EFORMAT for a bad pattern, NER_ENOMEM. */
int nr_tokpats_add(nr_tokpats *tp, nr_vocab *v, const json_t *pattern,
                   uint32_t value, char *errbuf, size_t errlen);

/* Builds the start index; call once after the last add, before matching.
 * NER_OK or NER_ENOMEM. */
int nr_tokpats_finish(nr_tokpats *tp);

typedef struct nr_tokscratch nr_tokscratch;

nr_tokscratch *nr_tokscratch_new(void);
void nr_tokscratch_free(nr_tokscratch *s);

/* Called for each match (see MATCHING) of the pattern with value `value`
 * over tokens [start, end); a nonzero return stops and is returned. */
typedef int (*nr_tok_cb)(void *user, size_t start, size_t end, uint32_t value);

/* Runs every pattern over the tokens.  Returns 0, the callback's nonzero
 * value, or NER_ENOMEM. */
int nr_tokpats_match(const nr_tokpats *tp, const nr_tokview *tv,
                     nr_tokscratch *s, nr_tok_cb cb, void *user);

size_t nr_tokpats_bytes(const nr_tokpats *tp);

#endif
