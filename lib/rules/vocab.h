/* String interning for the rule matchers (no docs here).
 *
 * An nr_vocab maps byte strings to dense ids 0, 1, 2, ... in the order they
 * were first added.  The matchers intern every string a pattern compares
 * with (phrase tokens, ORTH/LOWER/SHAPE values, IN lists); a doc token is
 * then looked up once per attribute and compared by id.
 *
 * Lookups (nr_vocab_find) only read the table: any number of threads may
 * call them at once once the vocab is no longer added to.  Adding belongs to
 * one thread. */
#ifndef NER_RULES_VOCAB_H
#define NER_RULES_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#define NR_NONE UINT32_MAX  /* "no id" */

/* A 64-bit hash of s[0..len) (not cryptographic; stable within a build). */
uint64_t nr_hash_bytes(const void *s, size_t len);
/* A 64-bit mix of a 64-bit key. */
uint64_t nr_hash_u64(uint64_t k);

typedef struct nr_vocab {
    char *arena;          /* strings back to back, each NUL-terminated */
    size_t arena_len, arena_cap;
    size_t *offs;         /* id -> offset in arena */
    uint32_t *lens;       /* id -> length in bytes */
    uint32_t n, cap;      /* ids */
    uint64_t *slots;      /* (hash tag << 32) | (id + 1); 0 = empty */
    size_t mask;          /* slots - 1 (a power of two minus one) */
} nr_vocab;

void nr_vocab_init(nr_vocab *v);
void nr_vocab_free(nr_vocab *v);

/* Room for about n more strings (a hint).  NER_OK or NER_ENOMEM. */
int nr_vocab_reserve(nr_vocab *v, size_t n);

/* The id of s[0..len), adding it when new.  NER_OK or NER_ENOMEM;
 * NER_ETOOBIG for a string over 4 GiB or more than 2^32 - 2 strings. */
int nr_vocab_add(nr_vocab *v, const char *s, size_t len, uint32_t *id);

/* The id of s[0..len), or NR_NONE. */
uint32_t nr_vocab_find(const nr_vocab *v, const char *s, size_t len);
/* The same with a hash computed by nr_hash_bytes(s, len). */
uint32_t nr_vocab_find_h(const nr_vocab *v, const char *s, size_t len,
                         uint64_t h);

/* The string of an id (NUL-terminated; *len may be NULL). */
const char *nr_vocab_str(const nr_vocab *v, uint32_t id, size_t *len);

/* Bytes of memory held. */
size_t nr_vocab_bytes(const nr_vocab *v);

#endif
