/* Size-versioned option structs: _init fills defaults for the caller's
 * size, so an older caller with a smaller struct keeps working. */
#include <stddef.h>
#include <string.h>
#include "core/internal.h"

#define PARAMS_INIT(type, p, size, first_grown)                          \
    do {                                                                 \
        if (!(p) || (size) < offsetof(type, first_grown))                \
            return NER_EINVAL;                                           \
        memset((p), 0, (size) < sizeof(type) ? (size) : sizeof(type));   \
        (p)->size = (uint32_t)((size) < sizeof(type) ? (size) : sizeof(type)); \
    } while (0)

NER_API int ner_add_params_init(ner_add_params *p, size_t size)
{
    PARAMS_INIT(ner_add_params, p, size, flags);
    return NER_OK;
}

NER_API int ner_load_params_init(ner_load_params *p, size_t size)
{
    PARAMS_INIT(ner_load_params, p, size, flags);
    return NER_OK;
}

NER_API int ner_batch_params_init(ner_batch_params *p, size_t size)
{
    PARAMS_INIT(ner_batch_params, p, size, n_threads);
    if (size >= offsetof(ner_batch_params, batch_size) + sizeof p->batch_size)
        p->batch_size = 64;
    return NER_OK;
}
