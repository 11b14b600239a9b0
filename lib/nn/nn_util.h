/* Small helpers shared by lib/nn (no dependency on lib/core). */
#ifndef NER_NN_UTIL_H
#define NER_NN_UTIL_H

#include <stddef.h>

#include "util/errbuf.h" /* nu_errf: the error buffers of every layer */

/* a + "/" + b, malloc'd; NULL when out of memory. */
char *nn_path_join(const char *a, const char *b);
/* Reads a whole regular file into a NUL-terminated malloc'd buffer;
 * NER_ENOTFOUND when it does not exist, NER_EIO otherwise (message names it). */
int nn_read_file(const char *path, char **out, size_t *len, char *errbuf, size_t errlen);
/* 1 if path is an existing regular file. */
int nn_is_file(const char *path);
/* malloc with 64-byte alignment (free with free()); NULL on failure or n == 0 overflow. */
void *nn_alloc_aligned(size_t n);

#endif
