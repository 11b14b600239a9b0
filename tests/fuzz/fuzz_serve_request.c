/* Fuzz target: the body of `ner serve`'s POST /entities
 * (tools/ner/serve_request.c), the one part of the server that reads what
 * a client sends apart from libmicrohttpd's HTTP parsing.
 *
 * A refusal must come with a message; an acceptance must give n texts that
 * are valid UTF-8 without NUL, inside a body that was valid UTF-8 as a whole.
 * The UTF-8 check must agree with itself: everything before the first bad
 * byte is valid.  A broken promise traps.  Replayed over
 * tests/fuzz/corpus/serve_request by every test run. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "serve_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t bad = serve_utf8_bad_offset(data, size);
    CHECK(bad <= size);
    CHECK(serve_utf8_bad_offset(data, bad) == bad);

    serve_texts t;
    char why[200];
    why[0] = '\0';
    int rc = serve_request_parse((const char *)data, size, &t, why, sizeof why);
    CHECK(rc == SERVE_REQ_OK || rc == SERVE_REQ_BAD || rc == SERVE_REQ_NOMEM);
    if (rc != SERVE_REQ_OK) {
        CHECK(why[0] != '\0' && memchr(why, '\0', sizeof why) != NULL);
        CHECK(t.root == NULL && t.ptrs == NULL && t.n == 0);
        return 0;
    }
    CHECK(bad == size);
    CHECK(t.root != NULL && t.ptrs != NULL && t.lens != NULL);
    CHECK(!t.single || t.n == 1);
    for (size_t i = 0; i < t.n; i++) {
        CHECK(t.ptrs[i] != NULL);
        CHECK(serve_utf8_bad_offset((const unsigned char *)t.ptrs[i], t.lens[i]) == t.lens[i]);
        CHECK(memchr(t.ptrs[i], '\0', t.lens[i]) == NULL);
    }
    serve_texts_free(&t);
    return 0;
}
