/* Small file-system helpers for every layer: errors go to a caller buffer. */
#ifndef NER_UTIL_FS_H
#define NER_UTIL_FS_H

#include <stddef.h>

/* Reads a whole file into a NUL-terminated malloc'd buffer.  NER_EIO with
 * the path and errno text in errbuf when it cannot. */
int nu_read_file(const char *path, char **out, size_t *len,
                 char *errbuf, size_t errlen);
/* Writes a file through a temporary name and rename(), so a reader never
 * sees half a file. */
int nu_write_file(const char *path, const char *data, size_t len,
                  char *errbuf, size_t errlen);
/* mkdir -p */
int nu_mkdir_p(const char *path, char *errbuf, size_t errlen);
/* a + "/" + b, malloc'd; NULL when out of memory. */
char *nu_path_join(const char *a, const char *b);
int nu_is_dir(const char *path);
int nu_is_file(const char *path);

#endif
