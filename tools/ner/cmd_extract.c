/* ner [--model DIR] TEXT...: entities, one per line. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_extract(int argc, char **argv)
{
    const char *model;
    char *text;
    int rc = cli_model_and_text(argc, argv, &model, &text);
    if (rc != CLI_OK)
        return rc;
    ner_pipeline *pl = cli_load(model);
    if (!pl) {
        free(text);
        return CLI_BAD_INPUT;
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_doc *doc = NULL;
    size_t len = strlen(text);
    int st = ner_pipeline_process(pl, text, len, &doc, err, sizeof err);
    if (st != NER_OK) {
        cli_err("%s (%s)", err, ner_strerror(st));
        rc = CLI_BAD_INPUT;
    } else {
        const ner_ents *ents = ner_doc_ents(doc);
        for (size_t i = 0; i < ner_ents_count(ents); i++) {
            const ner_span *s = ner_ents_get(ents, i);
            size_t n;
            const char *t = ner_span_text(s, &n);
            printf("%.*s\t%s\t%zu\t%zu\n", (int)n, t, ner_span_label(s),
                   ner_span_start_char(s), ner_span_end_char(s));
        }
    }
    ner_doc_free(doc);
    ner_pipeline_free(pl);
    free(text);
    return rc;
}
