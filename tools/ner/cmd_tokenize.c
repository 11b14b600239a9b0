/* ner tokenize TEXT...: one token per line with its offsets. */
#include "cli.h"

int cmd_tokenize(int argc, char **argv)
{
    ner_pipeline *pl;
    ner_doc *doc;
    int rc = cli_process_args(argc, argv, &pl, &doc);
    if (rc != CLI_OK)
        return rc;
    puts("# text\tstart\tend\tstart_byte\tend_byte");
    for (size_t i = 0; i < ner_doc_token_count(doc); i++) {
        size_t cs, ce, bs, be, n;
        ner_doc_token_chars(doc, i, &cs, &ce, NULL);
        ner_doc_token_bytes(doc, i, &bs, &be, NULL);
        const char *t = ner_doc_token_text(doc, i, &n);
        printf("%.*s\t%zu\t%zu\t%zu\t%zu\n", (int)n, t, cs, ce, bs, be);
    }
    ner_doc_free(doc);
    ner_pipeline_free(pl);
    return CLI_OK;
}
