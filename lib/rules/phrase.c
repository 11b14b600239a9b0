#include "rules/phrase.h"

#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "rules/vocab.h"

void nr_phrases_init(nr_phrases *p)
{
    memset(p, 0, sizeof *p);
}

void nr_phrases_free(nr_phrases *p)
{
    if (!p) return;
    free(p->keys);
    free(p->child);
    free(p->term);
    free(p->next);
    memset(p, 0, sizeof *p);
}

static inline uint64_t edge_key(uint32_t node, uint32_t tok)
{
    return ((uint64_t)node + 1) << 32 | tok;
}

static inline uint32_t edge_find(const nr_phrases *p, uint32_t node, uint32_t tok)
{
    if (!p->keys) return NR_NONE;
    uint64_t k = edge_key(node, tok);
    for (size_t i = (size_t)nr_hash_u64(k) & p->mask;; i = (i + 1) & p->mask) {
        uint64_t e = p->keys[i];
        if (e == k) return p->child[i];
        if (!e) return NR_NONE;
    }
}

static int edges_grow(nr_phrases *p)
{
    size_t cap = p->keys ? (p->mask + 1) * 2 : 1024;
    uint64_t *nk = calloc(cap, sizeof *nk);
    uint32_t *nc = malloc(cap * sizeof *nc);
    if (!nk || !nc) {
        free(nk);
        free(nc);
        return NER_ENOMEM;
    }
    size_t mask = cap - 1;
    if (p->keys) {
        for (size_t i = 0; i <= p->mask; i++) {
            uint64_t k = p->keys[i];
            if (!k) continue;
            size_t j = (size_t)nr_hash_u64(k) & mask;
            while (nk[j]) j = (j + 1) & mask;
            nk[j] = k;
            nc[j] = p->child[i];
        }
    }
    free(p->keys);
    free(p->child);
    p->keys = nk;
    p->child = nc;
    p->mask = mask;
    return NER_OK;
}

static int node_new(nr_phrases *p, uint32_t *out)
{
    if (p->nnodes >= UINT32_MAX - 2) return NER_ETOOBIG;
    if (p->nnodes == p->capnodes) {
        uint32_t cap = p->capnodes ? (p->capnodes > UINT32_MAX / 2 ? UINT32_MAX - 1
                                                                   : p->capnodes * 2)
                                   : 1024;
        uint32_t *nt = realloc(p->term, (size_t)cap * sizeof *nt);
        if (!nt) return NER_ENOMEM;
        p->term = nt;
        p->capnodes = cap;
    }
    p->term[p->nnodes] = NR_NONE;
    *out = p->nnodes++;
    return NER_OK;
}

int nr_phrases_add(nr_phrases *p, const uint32_t *ids, size_t n, uint32_t value)
{
    if (!n || value == NR_NONE || (p->nvalues && value < p->nvalues))
        return NER_EINVAL;
    int rc;
    uint32_t node;
    if (p->nnodes == 0 && (rc = node_new(p, &node)) != NER_OK) return rc;
    if (value >= p->capvalues) {
        size_t cap = p->capvalues ? p->capvalues : 1024;
        while (cap <= value) cap *= 2;
        if (cap > UINT32_MAX) cap = UINT32_MAX;
        uint32_t *nn = realloc(p->next, cap * sizeof *nn);
        if (!nn) return NER_ENOMEM;
        p->next = nn;
        p->capvalues = (uint32_t)cap;
    }
    /* Make room first, so that a failure leaves the trie as it was (nodes
     * made for an unfinished path are harmless but unreachable ones are
     * avoided by reserving before the walk). */
    if (!p->keys || (p->nedges + n) * 2 > p->mask + 1) {
        while (!p->keys || (p->nedges + n) * 2 > p->mask + 1)
            if ((rc = edges_grow(p)) != NER_OK) return rc;
    }
    if ((size_t)p->capnodes - p->nnodes < n) {
        size_t cap = p->capnodes;
        while (cap - p->nnodes < n) cap *= 2;
        if (cap > UINT32_MAX - 1) return NER_ETOOBIG;
        uint32_t *nt = realloc(p->term, cap * sizeof *nt);
        if (!nt) return NER_ENOMEM;
        p->term = nt;
        p->capnodes = (uint32_t)cap;
    }
    node = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t c = edge_find(p, node, ids[k]);
        if (c == NR_NONE) {
            if ((rc = node_new(p, &c)) != NER_OK) return rc;
            uint64_t key = edge_key(node, ids[k]);
            size_t i = (size_t)nr_hash_u64(key) & p->mask;
            while (p->keys[i]) i = (i + 1) & p->mask;
            p->keys[i] = key;
            p->child[i] = c;
            p->nedges++;
        }
        node = c;
    }
    /* append value at the end of node's chain */
    for (uint32_t v = value > p->nvalues ? p->nvalues : value; v < value; v++)
        p->next[v] = NR_NONE; /* values skipped by the caller */
    p->next[value] = NR_NONE;
    if (p->term[node] == NR_NONE) {
        p->term[node] = value;
    } else {
        uint32_t v = p->term[node];
        while (p->next[v] != NR_NONE) v = p->next[v];
        p->next[v] = value;
    }
    p->nvalues = value + 1;
    if (n > p->maxlen) p->maxlen = (uint32_t)n;
    return NER_OK;
}

int nr_phrases_match(const nr_phrases *p, const uint32_t *ids, size_t n,
                     nr_phrase_cb cb, void *user)
{
    if (!p->nnodes) return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t node = 0;
        for (size_t j = i; j < n && ids[j] != NR_NONE; j++) {
            node = edge_find(p, node, ids[j]);
            if (node == NR_NONE) break;
            for (uint32_t v = p->term[node]; v != NR_NONE; v = p->next[v]) {
                int r = cb(user, i, j + 1, v);
                if (r) return r;
            }
        }
    }
    return 0;
}

size_t nr_phrases_bytes(const nr_phrases *p)
{
    return (p->keys ? (p->mask + 1) * (sizeof *p->keys + sizeof *p->child) : 0) +
           (size_t)p->capnodes * sizeof *p->term +
           (size_t)p->capvalues * sizeof *p->next;
}
