/* Fuzz target: arbitrary bytes as text through the default English
 * pipeline.  Valid UTF-8 must give a doc whose tokens tile the text with
 * whitespace gaps; anything else must give NER_EUTF8 with a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ner_pipeline *pl;
    if (!pl) {
        ner_builder *b = NULL;
        if (ner_builder_new(&b, "en", NULL, 0) != NER_OK ||
            ner_builder_build(b, &pl, NULL, 0) != NER_OK)
            abort();
        ner_builder_free(b);
    }
    ner_doc *d = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_pipeline_process(pl, (const char *)data, size, &d, err, sizeof err);
    if (rc != NER_OK) {
        if (d || !err[0])
            abort();
        return 0;
    }
    size_t pos = ner_doc_leading_ws_bytes(d), n = ner_doc_token_count(d);
    for (size_t i = 0; i < n; i++) {
        size_t s, e, w;
        if (ner_doc_token_bytes(d, i, &s, &e, &w) != NER_OK || s != pos || e <= s || w < e)
            abort();
        pos = w;
    }
    if (pos != size)
        abort();
    char *js = NULL;
    if (ner_doc_to_json(d, NER_JSON_TOKENS, &js, NULL) != NER_OK)
        abort();
    ner_string_free(js);
    ner_doc_free(d);
    return 0;
}
