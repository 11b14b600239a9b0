#include "io/strtab.h"

#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"

void nio_strtab_init(nio_strtab *t)
{
    memset(t, 0, sizeof *t);
}

void nio_strtab_free(nio_strtab *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->strs[i]);
    free(t->strs);
    free(t->lens);
    free(t->slots);
    nio_strtab_init(t);
}

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static size_t lookup(const nio_strtab *t, const char *s, size_t len, uint64_t h)
{
    size_t mask = t->nslots - 1, i = (size_t)h & mask;
    for (;;) {
        uint32_t v = t->slots[i];
        if (!v)
            return i;
        if (t->lens[v - 1] == len && memcmp(t->strs[v - 1], s, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int rehash(nio_strtab *t, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return NER_ENOMEM;
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    for (size_t id = 0; id < t->n; id++) {
        size_t i = lookup(t, t->strs[id], t->lens[id], hash(t->strs[id], t->lens[id]));
        t->slots[i] = (uint32_t)(id + 1);
    }
    return NER_OK;
}

int nio_strtab_find(const nio_strtab *t, const char *s, size_t len, uint32_t *id)
{
    if (!t->nslots)
        return NER_ENOTFOUND;
    uint32_t v = t->slots[lookup(t, s, len, hash(s, len))];
    if (!v)
        return NER_ENOTFOUND;
    if (id)
        *id = v - 1;
    return NER_OK;
}

int nio_strtab_intern(nio_strtab *t, const char *s, size_t len, uint32_t *id)
{
    if (nio_strtab_find(t, s, len, id) == NER_OK)
        return NER_OK;
    if (t->n >= ((size_t)1 << 31))
        return NER_ETOOBIG;
    if ((t->n + 1) * 2 > t->nslots) {
        int rc = rehash(t, t->nslots ? t->nslots * 2 : 16);
        if (rc)
            return rc;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char **strs = realloc(t->strs, cap * sizeof *strs);
        if (!strs)
            return NER_ENOMEM;
        t->strs = strs;
        size_t *lens = realloc(t->lens, cap * sizeof *lens);
        if (!lens)
            return NER_ENOMEM;
        t->lens = lens;
        t->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return NER_ENOMEM;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    t->strs[t->n] = copy;
    t->lens[t->n] = len;
    t->slots[lookup(t, s, len, hash(s, len))] = (uint32_t)(t->n + 1);
    if (id)
        *id = (uint32_t)t->n;
    t->n++;
    return NER_OK;
}

const char *nio_strtab_get(const nio_strtab *t, uint32_t id)
{
    return id < t->n ? t->strs[id] : NULL;
}

size_t nio_strtab_count(const nio_strtab *t)
{
    return t->n;
}
