/* The training config (private to lib/train). */
#ifndef NER_TRAIN_TRAINCONF_H
#define NER_TRAIN_TRAINCONF_H

#include <jansson.h>
#include <stdint.h>
#include "tagger/tagger.h"

/* An external name list of the tagger (config "model.gazetteers"). */
#define NTR_MAX_GAZ_FILES 16
#define NTR_GAZ_PATH_MAX 1024
typedef struct ntr_gaz_file {
    char label[NTG_XGAZ_LABEL_BYTES];
    char path[NTR_GAZ_PATH_MAX];
} ntr_gaz_file;

typedef struct ntr_config {
    uint64_t max_steps, max_epochs, patience, eval_frequency;
    uint32_t batch_size;
    double learning_rate;
    uint64_t seed;
    int align;              /* NER_ALIGN_* */
    int calibrate;          /* fit the confidence temperature on dev */
    double min_score;       /* the tagger component's "min_score" */
    ntg_train_opts model;
    ntr_gaz_file gaz[NTR_MAX_GAZ_FILES];
    size_t n_gaz;
} ntr_config;

void ntr_config_default(ntr_config *c);
/* Overlays json (NULL: nothing) on the defaults.  NER_EINVAL naming the
 * key for an unknown key or a bad value; NER_EFORMAT for bad JSON. */
int ntr_config_parse(const char *json, ntr_config *c, char *errbuf, size_t errlen);
/* The config as JSON (documented when doc is 1).  NULL when out of memory. */
json_t *ntr_config_to_json(const ntr_config *c, int doc);

#endif
