/* Fuzz target: a tagger model file (lib/tagger).  Loading must fail with a
 * status or succeed; a model that loads is run over a few tokens.  Each
 * input is tried as it is and once more with its checksum recomputed, so
 * that mutations reach the structural checks behind the checksum. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ner/ner.h"
#include "tagger/model_impl.h"
#include "tagger/tagger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_load(const uint8_t *data, size_t size)
{
    ntg_model *m = NULL;
    char err[NER_ERRBUF_SIZE];
    if (ntg_model_load_mem(&m, data, size, 0, err, sizeof err) != NER_OK)
        return;
    static const char *const words[] = {"Aspirin", "500mg", "twice", "daily", ".",
                                        "Paris", "IBM", "Aspirin"};
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size >= 32) {
        uint8_t *c = malloc(size);
        if (!c)
            return 0;
        memcpy(c, data, size);
        uint64_t sum = ntg_checksum(c, size);
        memcpy(c + 24, &sum, 8);
        try_load(c, size);
        free(c);
    }
    return 0;
}
