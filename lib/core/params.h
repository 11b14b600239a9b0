/* Reading size-versioned option structs safely. */
#ifndef NER_CORE_PARAMS_H
#define NER_CORE_PARAMS_H

#include <stddef.h>

/* Smallest size a caller's struct may have: everything before `first`. */
#define NC_PARAMS_MIN(type, first) offsetof(type, first)

/* p->field when the caller's struct is large enough to hold it, else dflt. */
#define NC_PARAM(p, type, field, dflt)                                        \
    (((p) && (p)->size >= offsetof(type, field) + sizeof((p)->field))         \
         ? (p)->field : (dflt))

#endif
