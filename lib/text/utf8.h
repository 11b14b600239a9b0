/* UTF-8 validation and code-point counting on raw bytes (no docs here). */
#ifndef NER_TEXT_UTF8_H
#define NER_TEXT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 when s[0..len) is valid UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF; NUL bytes allowed).  Otherwise 0 and
 * *bad (may be NULL) gets the offset of the first byte of the bad sequence. */
int nt_utf8_valid(const char *s, size_t len, size_t *bad);

/* Decodes the code point at s[*i] of valid UTF-8 and advances *i. */
int32_t nt_utf8_next(const char *s, size_t len, size_t *i);

/* Number of code points in valid UTF-8. */
size_t nt_utf8_count(const char *s, size_t len);

/* Encodes cp into out (4 bytes room); returns the byte count. */
size_t nt_utf8_encode(int32_t cp, char *out);

#endif
