/* Phrase matcher: a trie over token ids (no docs here).
 *
 * A phrase is a sequence of token ids (nr_vocab ids of the tokens' ORTH,
 * LOWER or SHAPE strings); each phrase carries a value (the caller's pattern
 * number).  Nodes are numbers, node 0 the root; the edges of every node live
 * in one open-addressing hash table keyed by (node, token id), so a million
 * phrases cost a few tens of bytes each and adding one is O(its length).
 * Several values may share a phrase: they are chained in insertion order.
 *
 * Matching walks the trie from every token of the text once: the work is
 * proportional to the tokens times the length of the partial matches, never
 * to the number of phrases.
 *
 * Building belongs to one thread; a built matcher is only read by
 * nr_phrase_match, which is reentrant. */
#ifndef NER_RULES_PHRASE_H
#define NER_RULES_PHRASE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nr_phrases {
    uint64_t *keys;      /* ((node + 1) << 32) | token id; 0 = empty */
    uint32_t *child;     /* child node of keys[i] */
    size_t mask, nedges;
    uint32_t *term;      /* node -> first value ending there, NR_NONE */
    uint32_t nnodes, capnodes;
    uint32_t *next;      /* value -> next value of the same phrase */
    uint32_t nvalues, capvalues;
    uint32_t maxlen;     /* tokens in the longest phrase */
} nr_phrases;

void nr_phrases_init(nr_phrases *p);
void nr_phrases_free(nr_phrases *p);

/* Adds the phrase ids[0..n) (n >= 1) with value `value`.  Values must be
 * added in increasing order starting anywhere (they index the caller's
 * patterns); NER_EINVAL otherwise or when n is 0, NER_ENOMEM, NER_ETOOBIG
 * past 2^32 - 2 nodes. */
int nr_phrases_add(nr_phrases *p, const uint32_t *ids, size_t n, uint32_t value);

/* Called for every match of a phrase over tokens [start, end) with its
 * value; a nonzero return stops matching and is returned. */
typedef int (*nr_phrase_cb)(void *user, size_t start, size_t end, uint32_t value);

/* Matches every phrase against the token ids ids[0..n) (NR_NONE for a token
 * that no phrase has).  Matches come by start, then by length, then by
 * value.  Returns 0 or the callback's nonzero value. */
int nr_phrases_match(const nr_phrases *p, const uint32_t *ids, size_t n,
                     nr_phrase_cb cb, void *user);

size_t nr_phrases_bytes(const nr_phrases *p);

#endif
