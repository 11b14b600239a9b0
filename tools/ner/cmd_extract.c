/* ner [--model DIR] TEXT...: entities, one per line. */
#include "cli.h"

int cmd_extract(int argc, char **argv)
{
    ner_pipeline *pl;
    ner_doc *doc;
    int rc = cli_process_args(argc, argv, &pl, &doc);
    if (rc != CLI_OK)
        return rc;
    const ner_ents *ents = ner_doc_ents(doc);
    for (size_t i = 0; i < ner_ents_count(ents); i++) {
        const ner_span *s = ner_ents_get(ents, i);
        size_t n;
        const char *t = ner_span_text(s, &n);
        printf("%.*s\t%s\t%zu\t%zu\n", (int)n, t, ner_span_label(s),
               ner_span_start_char(s), ner_span_end_char(s));
    }
    ner_doc_free(doc);
    ner_pipeline_free(pl);
    return CLI_OK;
}
