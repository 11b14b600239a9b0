/* Fuzz target: pipeline.json as ner_pipeline_load reads it.  Any input must
 * give NER_OK or an error status with a message, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ner/ner.h"

static int mkdir_p_once(const char *dir)
{
    return mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char dir[64];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/ner_fuzz_pjson_%ld", (long)getpid());
        if (mkdir_p_once(dir))
            return 0;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/pipeline.json", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    ner_pipeline *pl = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_pipeline_load(&pl, dir, NULL, err, sizeof err);
    if (rc == NER_OK) {
        ner_doc *d = NULL;
        if (ner_pipeline_process(pl, "A test, of text.", 16, &d, err, sizeof err) == NER_OK)
            ner_doc_free(d);
        ner_pipeline_free(pl);
    } else if (!err[0]) {
        abort(); /* every failure must say why */
    }
    return 0;
}
