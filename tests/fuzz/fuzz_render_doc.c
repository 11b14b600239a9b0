/* Fuzz target: the HTML pages of `ner render` and `ner evaluate --html`
 * (tools/ner/html_render.c, html_report.c), which read documents a user
 * hands them with offsets, labels and span groups that may be anything.
 *
 * The first byte picks what the rest is:
 *   'r'  a report: ner_evaluate's JSON, possibly damaged, written as a page
 *   anything else: one `ner render` input line (doc JSON) rendered as a
 *        section; a refusal must say why and write nothing, an acceptance
 *        must open as many <mark> as it closes and put no raw '<' of the
 *        text on the page (the count of '<' equals the count of tags).
 * A broken promise traps.  Replayed over tests/fuzz/corpus/render_doc by
 * every test run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static size_t count(const char *s, size_t n, const char *needle)
{
    size_t k = 0, m = strlen(needle);
    for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), needle, m)) != NULL; p += m)
        k++;
    return k;
}

static void report(const char *s, size_t n)
{
    json_t *j = json_loadb(n ? s : "", n, 0, NULL);
    if (!j)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        html_write_report(f, j, "gold.jsonl", "model");
        fclose(f);
        CHECK(len > 0 && strstr(buf, "</html>") != NULL);
    }
    free(buf);
    json_decref(j);
}

static void doc(const char *s, size_t n)
{
    json_t *j = json_loadb(n ? s : "", n, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    html_legend legend = {0};
    char err[300];
    err[0] = '\0';
    int rc = f ? html_render_doc(f, j, 7, &legend, err, sizeof err) : -1;
    if (f)
        fclose(f);
    if (f && rc != 0) {
        CHECK(err[0] != '\0');
        CHECK(len == 0);
    } else if (f) {
        CHECK(count(buf, len, "<mark") == count(buf, len, "</mark>"));
        CHECK(count(buf, len, "<section") == 1 && count(buf, len, "</section>") == 1);
        /* Every '<' starts a tag we wrote: an opening tag or a closing one. */
        for (const char *p = buf; (p = memchr(p, '<', len - (size_t)(p - buf))) != NULL; p++)
            CHECK(p[1] == '/' || (p[1] >= 'a' && p[1] <= 'z'));
        json_t *t = json_object_get(j, "text");
        CHECK(json_is_string(t));
        if (memchr(json_string_value(t), '<', json_string_length(t)))
            CHECK(count(buf, len, "&lt;") >= 1);
    }
    free(buf);
    html_legend_free(&legend);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *s = (const char *)data + 1;
    if (data[0] == 'r')
        report(s, size - 1);
    else
        doc(s, size - 1);
    return 0;
}
