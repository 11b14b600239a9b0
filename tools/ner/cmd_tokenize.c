/* ner tokenize TEXT...: one token per line with its offsets. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_tokenize(int argc, char **argv)
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
    int st = ner_pipeline_process(pl, text, strlen(text), &doc, err, sizeof err);
    if (st != NER_OK) {
        cli_err("%s (%s)", err, ner_strerror(st));
        rc = CLI_BAD_INPUT;
    } else {
        puts("# text\tstart\tend\tstart_byte\tend_byte");
        for (size_t i = 0; i < ner_doc_token_count(doc); i++) {
            size_t cs, ce, bs, be, n;
            ner_doc_token_chars(doc, i, &cs, &ce, NULL);
            ner_doc_token_bytes(doc, i, &bs, &be, NULL);
            const char *t = ner_doc_token_text(doc, i, &n);
            printf("%.*s\t%zu\t%zu\t%zu\t%zu\n", (int)n, t, cs, ce, bs, be);
        }
    }
    ner_doc_free(doc);
    ner_pipeline_free(pl);
    free(text);
    return rc;
}
