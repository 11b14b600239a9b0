/* A string interning table: each distinct string gets a dense id (0, 1, ...)
 * in order of first sight.  Used for tag types and entity labels. */
#ifndef NER_IO_STRTAB_H
#define NER_IO_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct nio_strtab {
    char **strs;      /* strs[id]: owned, NUL-terminated copies */
    size_t *lens;     /* lens[id]: byte length of strs[id] */
    size_t n, cap;
    uint32_t *slots;  /* open addressing: id + 1, 0 = empty */
    size_t nslots;    /* power of two */
} nio_strtab;

void nio_strtab_init(nio_strtab *t);
void nio_strtab_free(nio_strtab *t);
/* The id of s[0..len), added (copied) when new.  NER_OK or NER_ENOMEM, or
 * NER_ETOOBIG past 2^31 strings. */
int nio_strtab_intern(nio_strtab *t, const char *s, size_t len, uint32_t *id);
/* NER_OK and *id, or NER_ENOTFOUND. */
int nio_strtab_find(const nio_strtab *t, const char *s, size_t len, uint32_t *id);
/* The string of id, or NULL when id is out of range.  Valid until the table
 * is freed. */
const char *nio_strtab_get(const nio_strtab *t, uint32_t id);
size_t nio_strtab_count(const nio_strtab *t);

#endif
