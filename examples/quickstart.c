/* quickstart: load the default English pipeline and print the tokens and
 * entities of a sentence.
 *
 *   cc quickstart.c $(pkg-config --cflags --libs libner) -o quickstart
 *   ./quickstart "Elon Musk sold $4 billion of Tesla stock on January 15, 2025."
 */
#include <stdio.h>
#include <string.h>
#include <ner/ner.h>

int main(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1]
        : "Elon Musk sold $4 billion of Tesla stock on January 15, 2025.";
    char err[NER_ERRBUF_SIZE];
    ner_pipeline *nlp = NULL;
    int rc = ner_pipeline_load(&nlp, NULL, NULL, err, sizeof err);
    if (rc != NER_OK) {
        fprintf(stderr, "load: %s: %s\n", ner_strerror(rc), err);
        return 1;
    }
    ner_doc *doc = NULL;
    rc = ner_pipeline_process(nlp, text, strlen(text), &doc, err, sizeof err);
    if (rc != NER_OK) {
        fprintf(stderr, "process: %s: %s\n", ner_strerror(rc), err);
        ner_pipeline_free(nlp);
        return 1;
    }
    printf("tokens:");
    for (size_t i = 0; i < ner_doc_token_count(doc); i++) {
        size_t n;
        const char *t = ner_doc_token_text(doc, i, &n);
        printf(" [%.*s]", (int)n, t);
    }
    printf("\n");
    /* One line per entity: text, label, code-point start and end. */
    const ner_ents *ents = ner_doc_ents(doc);
    for (size_t i = 0; i < ner_ents_count(ents); i++) {
        const ner_span *s = ner_ents_get(ents, i);
        size_t n;
        const char *t = ner_span_text(s, &n);
        printf("%.*s\t%s\t%zu\t%zu\n", (int)n, t, ner_span_label(s),
               ner_span_start_char(s), ner_span_end_char(s));
    }
    ner_doc_free(doc);
    ner_pipeline_free(nlp);
    return 0;
}
