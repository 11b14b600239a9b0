/* Fuzz target: a tagger model file (lib/tagger).  Loading must fail with a
 * status or succeed; a model that loads is run over a few tokens. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "ner/ner.h"
#include "tagger/tagger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ntg_model *m = NULL;
    char err[NER_ERRBUF_SIZE];
    if (ntg_model_load_mem(&m, data, size, 0, err, sizeof err) != NER_OK)
        return 0;
    static const char *const words[] = {"Aspirin", "500mg", "twice", "daily", ".",
                                        "Paris", "IBM", "x"};
    size_t lens[8];
    for (size_t i = 0; i < 8; i++)
        lens[i] = strlen(words[i]);
    ntg_doc d = {words, lens, 8, NULL};
    ntg_scratch *s = ntg_scratch_new();
    const ntg_span *sp;
    size_t ns;
    if (s)
        (void)ntg_predict(m, &d, s, 0, &sp, &ns, NULL);
    ntg_scratch_free(s);
    ntg_model_free(m);
    return 0;
}
