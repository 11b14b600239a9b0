/* Lexical attributes of one token, computed from its UTF-8 bytes (no docs
 * here).  They follow spaCy's definitions (spacy/lang/lex_attrs.py and the
 * English like_num), with utf8proc's Unicode categories standing in for
 * Python's str methods:
 *
 *   IS_ALPHA   every code point is a letter (L*), at least one
 *   IS_DIGIT   every code point is a decimal digit (Nd), at least one
 *   IS_LOWER   Python's str.islower(): a cased letter, none upper/title
 *   IS_UPPER   Python's str.isupper()
 *   IS_TITLE   Python's str.istitle(): "Apple", "O'Neil", not "USA"
 *   IS_PUNCT   every code point is punctuation (P*)
 *   IS_SPACE   every code point is whitespace
 *   IS_ASCII   every byte < 0x80
 *   IS_CURRENCY every code point is a currency sign (Sc)
 *   IS_BRACKET, IS_QUOTE, IS_LEFT_PUNCT, IS_RIGHT_PUNCT  spaCy's lists
 *   LIKE_NUM   "10", "-3", "1,000.5", "3/4", "ten", "first", "21st"
 *   LIKE_EMAIL the text starts with something shaped like an address
 *   LIKE_URL   "http://..", "www.x", "example.com", "x.io:8080", "a.b/"
 *
 * LOWER is the simple (one code point to one) lower-case mapping; SHAPE is
 * spaCy's word shape ("Xxxxx", "dd:dd", runs cut at 4, "LONG" from 100
 * code points).  All functions take valid UTF-8 and are reentrant. */
#ifndef NER_RULES_ATTRS_H
#define NER_RULES_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#define NR_F_ALPHA       (1u << 0)
#define NR_F_DIGIT       (1u << 1)
#define NR_F_LOWER       (1u << 2)
#define NR_F_UPPER       (1u << 3)
#define NR_F_TITLE       (1u << 4)
#define NR_F_PUNCT       (1u << 5)
#define NR_F_SPACE       (1u << 6)
#define NR_F_ASCII       (1u << 7)
#define NR_F_CURRENCY    (1u << 8)
#define NR_F_BRACKET     (1u << 9)
#define NR_F_QUOTE       (1u << 10)
#define NR_F_LEFT_PUNCT  (1u << 11)
#define NR_F_RIGHT_PUNCT (1u << 12)
#define NR_F_LIKE_NUM    (1u << 13)
#define NR_F_LIKE_EMAIL  (1u << 14)
#define NR_F_LIKE_URL    (1u << 15)

/* Every flag above for s[0..len). */
uint32_t nr_token_flags(const char *s, size_t len);

/* Room nr_lower needs for a token of len bytes. */
#define NR_LOWER_ROOM(len) (2 * (len) + 4)
/* Writes the lower-case form of s[0..len) into out (NR_LOWER_ROOM(len)
 * bytes; not NUL-terminated) and returns its length. */
size_t nr_lower(const char *s, size_t len, char *out);

/* Room nr_shape needs for a token of len bytes. */
#define NR_SHAPE_ROOM(len) ((len) + 4)
/* Writes spaCy's word shape of s[0..len) into out (NR_SHAPE_ROOM(len)
 * bytes; not NUL-terminated) and returns its length. */
size_t nr_shape(const char *s, size_t len, char *out);

/* Length in code points (spaCy's LENGTH). */
size_t nr_length(const char *s, size_t len);

int nr_like_num(const char *s, size_t len);
int nr_like_email(const char *s, size_t len);
int nr_like_url(const char *s, size_t len);

#endif
