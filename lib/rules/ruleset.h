/* A set of entity rules in spaCy's EntityRuler format plus libner's regex
 * rules, and the matching of all of them over a tokenized text in one pass
 * (no docs here: the entity_ruler component puts the matches on a doc).
 *
 * PATTERNS (one JSON object each; a JSONL file holds one per line)
 *   {"label": "ORG", "pattern": "Apple"}                  phrase
 *   {"label": "GPE", "pattern": [{"LOWER": "san"}, ...]}  tokens (tokpat.h)
 *   {"label": "PHONE", "regex": "\\+?\\d[\\d ]{7,}\\d"}   regex over the text
 *   optional "id": "apple" (the matched entity's ent_id); keys starting
 *   with "_" are comments; any other key is an error.
 *
 * Phrases are tokenized with the rule tokenizer given to the loading calls
 * (the pipeline's language's built-in rules, so the same cuts as the doc's
 * tokenizer); each token is then mapped to its ORTH, LOWER or SHAPE string
 * (the phrase attribute of the set) and matched by a trie over those
 * strings (phrase.h).  Regexes are PCRE2 (UTF, UCP), compiled and JIT-ed
 * when added, searched over the whole text left to right without overlaps
 * (Python's re.finditer); a match is mapped to tokens by an alignment mode
 * (NR_ALIGN_*: the same rules as ner_doc_align_bytes) and dropped when it
 * does not align.
 *
 * MATCHES
 *   Each pattern gives at most one match per start token: the longest.
 *   nr_ruleset_match returns them sorted by start, longer first, then by
 *   pattern number (the order patterns were added).  nr_select picks the
 *   entities among them: longest first, then earliest, then the earlier
 *   pattern, skipping any that overlaps one already picked or one the
 *   caller blocks.
 *
 * THREADS
 *   Loading belongs to one thread.  After nr_ruleset_finish the set is only
 *   read: any number of threads may match with it, each with its own
 *   nr_scratch. */
#ifndef NER_RULES_RULESET_H
#define NER_RULES_RULESET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "text/rule_tokenizer.h"

#define NR_ALIGN_STRICT   0
#define NR_ALIGN_CONTRACT 1
#define NR_ALIGN_EXPAND   2

#define NR_ATTR_ORTH  0
#define NR_ATTR_LOWER 1
#define NR_ATTR_SHAPE 2

#define NR_KIND_PHRASE 0
#define NR_KIND_TOKENS 1
#define NR_KIND_REGEX  2

typedef struct nr_ruleset nr_ruleset;

typedef struct nr_match {
    uint32_t start, end;  /* tokens [start, end) */
    uint32_t pattern;     /* pattern number */
} nr_match;

/* A new empty set whose phrases are compared by phrase_attr (NR_ATTR_*).
 * NER_EINVAL for another value, NER_ENOMEM. */
int nr_ruleset_new(nr_ruleset **out, int phrase_attr);
void nr_ruleset_free(nr_ruleset *rs);

/* Adds one pattern object.  tok tokenizes phrases (may be NULL when the
 * caller knows there are none: a phrase is then NER_EINVAL).  On failure
 * the set holds what it held before, and errbuf says why (no location: the
 * caller adds it).  NER_EFORMAT for a bad pattern, NER_ENOMEM. */
int nr_ruleset_add(nr_ruleset *rs, const json_t *pattern, const nt_rules *tok,
                   char *errbuf, size_t errlen);

/* Adds every pattern of JSONL text[0..len) (blank lines are skipped; a
 * final line without '\n' counts).  Stops at the first bad line with
 * "source:LINE: reason" in errbuf; the patterns of the lines before it stay
 * (free the set to load nothing). */
int nr_ruleset_add_jsonl(nr_ruleset *rs, const char *text, size_t len,
                         const char *source, const nt_rules *tok,
                         char *errbuf, size_t errlen);

/* Builds the trie and the indexes; call once, after the last add and
 * before matching.  Adding after it is NER_EINVAL. */
int nr_ruleset_finish(nr_ruleset *rs);

size_t nr_ruleset_count(const nr_ruleset *rs);
int nr_ruleset_kind(const nr_ruleset *rs, uint32_t pattern);
const char *nr_ruleset_label(const nr_ruleset *rs, uint32_t pattern);
/* The pattern's "id", or NULL. */
const char *nr_ruleset_ent_id(const nr_ruleset *rs, uint32_t pattern);
/* The distinct labels in order of first use; borrowed from the set. */
size_t nr_ruleset_labels(const nr_ruleset *rs, const char *const **labels);
/* Bytes of memory the set holds (patterns, tries, vocabularies). */
size_t nr_ruleset_bytes(const nr_ruleset *rs);

typedef struct nr_scratch nr_scratch;
nr_scratch *nr_scratch_new(void);
void nr_scratch_free(nr_scratch *s);

/* Matches every pattern over text[0..len) (valid UTF-8) cut into ntok
 * tokens [starts[i], ends[i]) (sorted, disjoint, on code-point boundaries).
 * align is the NR_ALIGN_* mode of regex matches.  *out (owned by s, valid
 * until its next use) gets *n matches in the order described above.
 * NER_OK, NER_ENOMEM, NER_EINVAL (no finish, bad mode, tokens past len). */
int nr_ruleset_match(const nr_ruleset *rs, const char *text, size_t len,
                     const size_t *starts, const size_t *ends, size_t ntok,
                     int align, nr_scratch *s, const nr_match **out, size_t *n);

/* Returns 1 when tokens [start, end) may not be taken. */
typedef int (*nr_blocked_fn)(void *user, size_t start, size_t end);

/* Picks non-overlapping matches among m[0..n) (the order of
 * nr_ruleset_match) as described above; blocked may be NULL.  *sel (owned
 * by s, valid until its next use) gets *nsel indexes into m, by start.
 * NER_OK or NER_ENOMEM. */
int nr_select(const nr_match *m, size_t n, size_t ntok, nr_blocked_fn blocked,
              void *user, nr_scratch *s, const uint32_t **sel, size_t *nsel);

/* Maps bytes [start, end) to tokens [*ts, *te) as ner_doc_align_bytes does:
 * NER_EALIGN when strict fails or nothing is left, NER_ERANGE outside the
 * text, NER_EINVAL for a bad mode. */
int nr_align(const size_t *starts, const size_t *ends, size_t ntok, size_t len,
             size_t start, size_t end, int mode, size_t *ts, size_t *te);

#endif
