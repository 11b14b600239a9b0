#include "rules/vocab.h"

#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

uint64_t nr_hash_u64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

uint64_t nr_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    const uint64_t m = 0x9E3779B97F4A7C15ULL;
    uint64_t h = 0x243F6A8885A308D3ULL ^ (len * m);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        h ^= rd64(p + i) * 0xbf58476d1ce4e5b9ULL;
        h = (h << 29 | h >> 35) * m;
    }
    uint64_t t = 0;
    for (size_t k = 0; i + k < len; k++)
        t |= (uint64_t)p[i + k] << (8 * k);
    h ^= t * 0x94d049bb133111ebULL;
    return nr_hash_u64(h);
}

void nr_vocab_init(nr_vocab *v)
{
    memset(v, 0, sizeof *v);
}

void nr_vocab_free(nr_vocab *v)
{
    if (!v) return;
    free(v->arena);
    free(v->offs);
    free(v->lens);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

static inline uint32_t tag_of(uint64_t h) { return (uint32_t)(h >> 32); }

uint32_t nr_vocab_find_h(const nr_vocab *v, const char *s, size_t len,
                         uint64_t h)
{
    if (!v->slots) return NR_NONE;
    uint32_t tag = tag_of(h);
    for (size_t i = (size_t)h & v->mask;; i = (i + 1) & v->mask) {
        uint64_t e = v->slots[i];
        if (!e) return NR_NONE;
        if ((uint32_t)(e >> 32) != tag) continue;
        uint32_t id = (uint32_t)e - 1;
        if (v->lens[id] == len && memcmp(v->arena + v->offs[id], s, len) == 0)
            return id;
    }
}

uint32_t nr_vocab_find(const nr_vocab *v, const char *s, size_t len)
{
    return nr_vocab_find_h(v, s, len, nr_hash_bytes(s, len));
}

static int grow_slots(nr_vocab *v)
{
    size_t cap = v->slots ? (v->mask + 1) * 2 : 1024;
    uint64_t *ns = calloc(cap, sizeof *ns);
    if (!ns) return NER_ENOMEM;
    size_t mask = cap - 1;
    for (uint32_t id = 0; id < v->n; id++) {
        uint64_t h = nr_hash_bytes(v->arena + v->offs[id], v->lens[id]);
        size_t i = (size_t)h & mask;
        while (ns[i]) i = (i + 1) & mask;
        ns[i] = ((uint64_t)tag_of(h) << 32) | (uint64_t)(id + 1);
    }
    free(v->slots);
    v->slots = ns;
    v->mask = mask;
    return NER_OK;
}

int nr_vocab_reserve(nr_vocab *v, size_t n)
{
    size_t want = (size_t)v->n + n;
    if (want >= UINT32_MAX - 2) return NER_ETOOBIG;
    while (!v->slots || want * 2 > v->mask + 1) {
        int rc = grow_slots(v);
        if (rc != NER_OK) return rc;
    }
    if (want > v->cap) {
        size_t *no = realloc(v->offs, want * sizeof *no);
        if (!no) return NER_ENOMEM;
        v->offs = no;
        uint32_t *nl = realloc(v->lens, want * sizeof *nl);
        if (!nl) return NER_ENOMEM;
        v->lens = nl;
        v->cap = (uint32_t)want;
    }
    return NER_OK;
}

int nr_vocab_add(nr_vocab *v, const char *s, size_t len, uint32_t *id)
{
    uint64_t h = nr_hash_bytes(s, len);
    uint32_t found = nr_vocab_find_h(v, s, len, h);
    if (found != NR_NONE) {
        *id = found;
        return NER_OK;
    }
    if (len >= UINT32_MAX || v->n >= UINT32_MAX - 2) return NER_ETOOBIG;
    if (!v->slots || (size_t)(v->n + 1) * 2 > v->mask + 1) {
        int rc = grow_slots(v);
        if (rc != NER_OK) return rc;
    }
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? (v->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : v->cap * 2) : 256;
        size_t *no = realloc(v->offs, (size_t)cap * sizeof *no);
        if (!no) return NER_ENOMEM;
        v->offs = no;
        uint32_t *nl = realloc(v->lens, (size_t)cap * sizeof *nl);
        if (!nl) return NER_ENOMEM;
        v->lens = nl;
        v->cap = cap;
    }
    if (v->arena_cap - v->arena_len < len + 1) {
        size_t cap = v->arena_cap ? v->arena_cap : 4096;
        while (cap - v->arena_len < len + 1) {
            if (cap > SIZE_MAX / 2) return NER_ENOMEM;
            cap *= 2;
        }
        char *na = realloc(v->arena, cap);
        if (!na) return NER_ENOMEM;
        v->arena = na;
        v->arena_cap = cap;
    }
    uint32_t nid = v->n;
    v->offs[nid] = v->arena_len;
    v->lens[nid] = (uint32_t)len;
    if (len) memcpy(v->arena + v->arena_len, s, len);
    v->arena[v->arena_len + len] = '\0';
    v->arena_len += len + 1;
    size_t i = (size_t)h & v->mask;
    while (v->slots[i]) i = (i + 1) & v->mask;
    v->slots[i] = ((uint64_t)tag_of(h) << 32) | (uint64_t)(nid + 1);
    v->n++;
    *id = nid;
    return NER_OK;
}

const char *nr_vocab_str(const nr_vocab *v, uint32_t id, size_t *len)
{
    if (id >= v->n) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->lens[id];
    return v->arena + v->offs[id];
}

size_t nr_vocab_bytes(const nr_vocab *v)
{
    return v->arena_cap + (size_t)v->cap * (sizeof *v->offs + sizeof *v->lens) +
           (v->slots ? (v->mask + 1) * sizeof *v->slots : 0);
}
