/* The body of `ner serve`'s POST /entities, checked and taken apart apart
 * from HTTP, so a fuzz target can reach it (tests/fuzz/fuzz_serve_request.c). */
#ifndef NER_CLI_SERVE_REQUEST_H
#define NER_CLI_SERVE_REQUEST_H

#include <jansson.h>
#include <stddef.h>

/* The texts of one request.  ptrs[i] (lens[i] bytes, valid UTF-8, no NUL:
 * jansson refuses "\u0000") point into root, which the struct owns. */
typedef struct serve_texts {
    json_t *root;
    const char **ptrs;
    size_t *lens;
    size_t n;
    int single;   /* {"text": ...}: answer one object, not {"results": [...]} */
} serve_texts;

#define SERVE_REQ_OK 0
#define SERVE_REQ_BAD -1     /* a 400: why says what and where */
#define SERVE_REQ_NOMEM -2

/* Parses body[0..len) (borrowed): valid UTF-8, a JSON object with exactly
 * one of "text" (a string) or "texts" (an array of strings), no duplicate
 * keys.  On SERVE_REQ_OK *out is filled and the caller frees it with
 * serve_texts_free; otherwise *out is empty and why (whylen bytes, at
 * least 1) holds the message.  Thread-safe. */
int serve_request_parse(const char *body, size_t len, serve_texts *out,
                        char *why, size_t whylen);
void serve_texts_free(serve_texts *t);

/* The byte offset of the first byte that does not start a valid UTF-8
 * sequence (RFC 3629: no overlong forms, surrogates or code points past
 * U+10FFFF), or len. */
size_t serve_utf8_bad_offset(const unsigned char *s, size_t len);

#endif
