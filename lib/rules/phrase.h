/* Phrase matcher: a trie over token ids (no docs here).
 *
 * A phrase is a sequence of token ids (nr_vocab ids of the tokens' ORTH,
 * LOWER or SHAPE strings); each phrase carries a value (the caller's pattern
 * number).  Phrases are first collected (nr_phrases_add only appends them to
 * a flat array), then nr_phrases_build sorts them and lays the trie out in
 * one go: the root's children in an array indexed by token id, every other
 * node's children as a sorted run of a compressed edge array (CSR).  A
 * million phrases cost about 25 bytes each, and building is a sort plus one
 * linear pass: no hash table, no rehashing.  Several values may share a
 * phrase: they are chained in increasing order.
 *
 * Matching walks the trie from every token of the text once: the work is
 * proportional to the tokens times the length of the partial matches, never
 * to the number of phrases.
 *
 * Adding and building belong to one thread; a built matcher is only read by
 * nr_phrases_match, which is reentrant. */
#ifndef NER_RULES_PHRASE_H
#define NER_RULES_PHRASE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nr_phrase_ref {
    uint64_t off;     /* first id in seq */
    uint32_t len;     /* ids */
    uint32_t value;
} nr_phrase_ref;

typedef struct nr_phrases {
    /* collected phrases (freed by build) */
    uint32_t *seq;
    size_t nseq, capseq;
    nr_phrase_ref *ph;
    size_t nph, capph;
    uint32_t last_value;
    /* the built trie */
    int built;
    uint32_t *root;      /* token id -> child of the root, NR_NONE */
    size_t nroot;
    uint32_t *first;     /* node -> first edge; first[nnodes] = edges */
    uint32_t *etok;      /* edge -> token id (sorted within a node) */
    uint32_t *echild;    /* edge -> child node */
    uint32_t *term;      /* node -> first value ending there, NR_NONE */
    uint32_t nnodes;
    uint32_t *next;      /* value -> next value of the same phrase */
    uint32_t nvalues;    /* largest value + 1 */
    uint32_t maxlen;     /* tokens in the longest phrase */
} nr_phrases;

void nr_phrases_init(nr_phrases *p);
void nr_phrases_free(nr_phrases *p);

/* Room for about n more phrases of total ids ids (a hint; NER_ENOMEM). */
int nr_phrases_reserve(nr_phrases *p, size_t n, size_t ids);

/* Collects the phrase ids[0..n) (n >= 1) with value `value`.  Values must
 * increase from one call to the next (they index the caller's patterns);
 * NER_EINVAL otherwise, when n is 0 or after build; NER_ENOMEM;
 * NER_ETOOBIG past 2^32 - 2 ids in all. */
int nr_phrases_add(nr_phrases *p, const uint32_t *ids, size_t n, uint32_t value);

/* Builds the trie from the collected phrases.  vocab_n: one more than the
 * largest token id a text can have (the vocab's size).  After it, adding
 * is NER_EINVAL.  NER_OK, NER_ENOMEM or NER_ETOOBIG. */
int nr_phrases_build(nr_phrases *p, uint32_t vocab_n);

/* Called for every match of a phrase over tokens [start, end) with its
 * value; a nonzero return stops matching and is returned. */
typedef int (*nr_phrase_cb)(void *user, size_t start, size_t end, uint32_t value);

/* Matches every phrase against the token ids ids[0..n) (NR_NONE for a token
 * that no phrase has).  Matches come by start, then by length, then by
 * value.  Returns 0 or the callback's nonzero value (NER_EINVAL unbuilt). */
int nr_phrases_match(const nr_phrases *p, const uint32_t *ids, size_t n,
                     nr_phrase_cb cb, void *user);

size_t nr_phrases_bytes(const nr_phrases *p);

#endif
