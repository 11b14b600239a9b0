/*
 * Rule tokenizer: bytes in, token byte offsets out (no docs here).
 *
 * The algorithm is spaCy's.  The text is split on whitespace (U+0009..U+000D,
 * U+0085 and every code point of category Zs, Zl or Zp); each chunk between
 * whitespace is then cut like this:
 *
 *   1. a special case (exact string) gives its pieces;
 *   2. otherwise, round after round, while something changes:
 *        - a remainder matching a token_match pattern whole is kept whole;
 *        - a remainder that is a special case gives its pieces;
 *        - a prefix is peeled at the start and a suffix at the end (when
 *          what is left after peeling one of them is a special case, only
 *          that one is peeled and the loop stops);
 *   3. what is left (the core) is: a special case's pieces; or one token when
 *      a token_match or url_match pattern matches it whole; or cut at every
 *      infix match (an infix match is a token of its own, an empty one only
 *      cuts; a match at the very start of the core does not cut);
 *   4. tokens: prefixes in order, the core's pieces, suffixes innermost last.
 *
 * RULES JSON (one object; unknown keys are an error, keys starting with "_"
 * are comments and ignored):
 *
 *   {
 *     "format": "libner-tokenizer-rules",   optional; if there, exactly this
 *     "version": 1,                         required
 *     "lang": "en",                         optional language code
 *     "description": "...",                 optional, ignored
 *     "ascii_fast_path": true,              optional, default false: see below
 *     "defines": {"NAME": "regex", ...},    text substituted for {{NAME}} in
 *                                           the patterns below (one pass: a
 *                                           define cannot use another one)
 *     "prefixes":    ["regex", ...],        matched at the start of a chunk
 *     "suffixes":    ["regex", ...],        matched at the end of a chunk
 *     "infixes":     ["regex", ...],        found anywhere inside the core
 *     "token_match": ["regex", ...],        keeps a whole remainder (every round)
 *     "url_match":   ["regex", ...],        keeps a whole core (after peeling)
 *     "special_cases": {"don't": ["do", "n't"], ...},
 *                                           pieces must concatenate to the key
 *     "exceptions": ["U.S.", "Dr.", ...]    kept whole: a special case of one
 *                                           piece
 *   }
 *
 * Patterns are PCRE2 (8-bit, UTF + UCP: \w, \d, \b, [[:alpha:]] are Unicode;
 * \C is refused).  Each list is joined into one regex, (?:p1)|(?:p2)|..., so
 * when two alternatives match at the same place the earlier one wins; within
 * one list back-references and (?x) comments are not allowed.  A prefix match
 * must start at the chunk start; the suffix found is the leftmost match that
 * ends at the chunk end, searched in the last NT_SUFFIX_WINDOW bytes only
 * (lookbehinds still see the whole chunk); empty prefix and suffix matches are
 * ignored.  Lookbehinds in suffixes do not see the prefix just peeled in the
 * same round (as in spaCy).  Matching uses a match limit (NT_MATCH_LIMIT): a
 * pattern that hits it, or any other matching error, counts as no match.
 *
 * ascii_fast_path: the rule author promises that no prefix, suffix, infix,
 * token_match or url_match pattern matches anywhere in a string made only of
 * ASCII letters, or only of ASCII digits.  Such a chunk (or remainder) is then
 * one token without running any regex, unless it is a special case.  Loading
 * checks the promise on a few strings and refuses rules that break it.
 *
 * LIMITS (pathological input stays linear): a chunk is peeled for at most
 * NT_MAX_ROUNDS rounds (what is left then is cut by infixes only), and
 * token_match is tried in the first NT_MATCH_ROUNDS rounds only (and once
 * more on the core).  A rules file is at most NT_RULES_MAX_BYTES; a pattern
 * after {{NAME}} substitution at most NT_PATTERN_MAX_BYTES; a special-case key
 * at most NT_SPECIAL_MAX_BYTES, with at most NT_SPECIAL_MAX_PIECES pieces.
 *
 * THREADS
 *   Everything lazy (parsing, PCRE2 compile and JIT, the special-case hash
 *   table) happens in nt_rules_load.  A loaded nt_rules is never written
 *   again: any number of threads may call nt_tokenize with it at once, each
 *   with its own nt_tokbuf (which holds the per-call scratch: PCRE2 match
 *   data and a suffix stack).
 *
 * Status codes are libner's NER_* codes (ner/ner.h); messages go to
 * errbuf/errlen (both may be NULL/0), never to stderr.
 */
#ifndef NER_TEXT_RULE_TOKENIZER_H
#define NER_TEXT_RULE_TOKENIZER_H

#include <stddef.h>

#define NT_RULES_FORMAT "libner-tokenizer-rules"
#define NT_RULES_VERSION 1

#define NT_SUFFIX_WINDOW 64          /* bytes searched for a suffix */
#define NT_MAX_ROUNDS 256            /* peeling rounds per chunk */
#define NT_MATCH_ROUNDS 16           /* rounds in which token_match is tried */
#define NT_MATCH_LIMIT 100000u       /* pcre2_set_match_limit */
#define NT_RULES_MAX_BYTES ((size_t)16 << 20)
#define NT_PATTERN_MAX_BYTES ((size_t)64 << 10)
#define NT_SPECIAL_MAX_BYTES 1024
#define NT_SPECIAL_MAX_PIECES 64

typedef struct nt_rules nt_rules;
typedef struct nt_scratch nt_scratch;

/* Tokens of the last nt_tokenize call: token i is [starts[i], ends[i]) in
 * bytes.  The caller owns the buffer and reuses it across calls; start it
 * zeroed (nt_tokbuf b = {0}, or nt_tokbuf_init) and release it with
 * nt_tokbuf_free.  One buffer belongs to one thread at a time. */
typedef struct nt_tokbuf {
    size_t *starts;
    size_t *ends;
    size_t n;           /* tokens */
    size_t cap;         /* room in starts and ends */
    nt_scratch *scratch; /* private: match data, suffix stack */
} nt_tokbuf;

/* Parses and compiles rules from json[0..len) (need not be NUL-terminated).
 * source names the origin in messages (a path, or "built-in en"; NULL:
 * "rules").  On success *out is new rules the caller frees with
 * nt_rules_free.  NER_EFORMAT for bad JSON (line and column), a wrong key or
 * type (which key), a pattern that does not compile (which list and index,
 * PCRE2's message and offset); NER_ETOOBIG over a limit; NER_ENOMEM. */
int nt_rules_load(nt_rules **out, const char *json, size_t len,
                  const char *source, char *errbuf, size_t errlen);

/* nt_rules_load on the contents of a file.  NER_EIO when it cannot be read
 * (the message names the file and errno's text). */
int nt_rules_load_file(nt_rules **out, const char *path, char *errbuf,
                       size_t errlen);

/* The built-in rules of a language ("en").  NER_ENOTFOUND for another
 * language. */
int nt_rules_builtin(nt_rules **out, const char *lang, char *errbuf,
                     size_t errlen);

/* The built-in JSON text of a language, or NULL; *len (may be NULL) gets its
 * length.  A static string. */
const char *nt_rules_builtin_json(const char *lang, size_t *len);

/* The JSON text the rules were loaded from, byte for byte (so writing it out
 * and loading it again round-trips), NUL-terminated; *len (may be NULL) gets
 * its length.  Valid until the rules are freed. */
const char *nt_rules_json(const nt_rules *r, size_t *len);

/* The "lang" of the rules, "" when none.  Valid until the rules are freed. */
const char *nt_rules_lang(const nt_rules *r);

/* Accepts NULL. */
void nt_rules_free(nt_rules *r);

void nt_tokbuf_init(nt_tokbuf *b);
/* Releases the arrays and the scratch, leaves b zeroed.  Accepts NULL. */
void nt_tokbuf_free(nt_tokbuf *b);

/* Tokenizes text[0..len) (text may be NULL when len is 0) into out, which it
 * empties first.  Tokens are non-empty, sorted, do not overlap, start and end
 * on code-point boundaries, and only whitespace lies between, before and
 * after them.  NER_EUTF8 (with the byte offset) when text is not valid
 * UTF-8, NER_EINVAL for NULL arguments, NER_ENOMEM; out->n is 0 after a
 * failure.  Reentrant: r is only read. */
int nt_tokenize(const nt_rules *r, const char *text, size_t len,
                nt_tokbuf *out, char *errbuf, size_t errlen);

/* 1 when the code point is whitespace for the tokenizer (see above). */
int nt_is_space(int cp);

#endif
