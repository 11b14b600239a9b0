/* POST /entities bodies: UTF-8 first (jansson's own message would not say
 * which byte), then JSON, then the shape. */
#include "serve_request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t serve_utf8_bad_offset(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        if (b < 0x80) {
            i++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;  /* range of the second byte */
        if (b >= 0xC2 && b <= 0xDF) need = 1;
        else if (b == 0xE0) need = 2, lo = 0xA0;
        else if (b == 0xED) need = 2, hi = 0x9F;
        else if (b >= 0xE1 && b <= 0xEF) need = 2;
        else if (b == 0xF0) need = 3, lo = 0x90;
        else if (b >= 0xF1 && b <= 0xF3) need = 3;
        else if (b == 0xF4) need = 3, hi = 0x8F;
        else return i;
        if (len - i - 1 < need)
            return i;
        for (size_t k = 1; k <= need; k++) {
            unsigned char c = s[i + k];
            if (k == 1 ? c < lo || c > hi : c < 0x80 || c > 0xBF)
                return i;
        }
        i += need + 1;
    }
    return len;
}

void serve_texts_free(serve_texts *t)
{
    if (!t)
        return;
    json_decref(t->root);
    free(t->ptrs);
    free(t->lens);
    memset(t, 0, sizeof *t);
}

int serve_request_parse(const char *body, size_t len, serve_texts *out,
                        char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    size_t bad = serve_utf8_bad_offset((const unsigned char *)body, len);
    if (bad < len) {
        snprintf(why, whylen, "the body is not valid UTF-8 (byte offset %zu)", bad);
        return SERVE_REQ_BAD;
    }
    json_error_t je;
    json_t *req = json_loadb(len ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (!req) {
        snprintf(why, whylen, "malformed JSON at byte %d (line %d, column %d): %s",
                 je.position, je.line, je.column, je.text);
        return SERVE_REQ_BAD;
    }
    json_t *text = json_is_object(req) ? json_object_get(req, "text") : NULL;
    json_t *texts = json_is_object(req) ? json_object_get(req, "texts") : NULL;
    const char *msg = NULL;
    if (!json_is_object(req))
        msg = "expected a JSON object: {\"text\": \"...\"} or {\"texts\": [\"...\"]}";
    else if (text && texts)
        msg = "give \"text\" or \"texts\", not both";
    else if (!text && !texts)
        msg = "missing field \"text\" (a string) or \"texts\" (an array of strings)";
    else if (text && !json_is_string(text))
        msg = "field \"text\" must be a string";
    else if (texts && !json_is_array(texts))
        msg = "field \"texts\" must be an array of strings";
    if (msg) {
        snprintf(why, whylen, "%s", msg);
        json_decref(req);
        return SERVE_REQ_BAD;
    }
    for (size_t i = 0; texts && i < json_array_size(texts); i++)
        if (!json_is_string(json_array_get(texts, i))) {
            snprintf(why, whylen, "field \"texts\": item %zu must be a string", i);
            json_decref(req);
            return SERVE_REQ_BAD;
        }
    size_t n = text ? 1 : json_array_size(texts);
    out->root = req;
    out->single = text != NULL;
    out->n = n;
    out->ptrs = calloc(n ? n : 1, sizeof *out->ptrs);
    out->lens = calloc(n ? n : 1, sizeof *out->lens);
    if (!out->ptrs || !out->lens) {
        serve_texts_free(out);
        snprintf(why, whylen, "out of memory");
        return SERVE_REQ_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *t = text ? text : json_array_get(texts, i);
        out->ptrs[i] = json_string_value(t);
        out->lens[i] = json_string_length(t);
    }
    return SERVE_REQ_OK;
}
