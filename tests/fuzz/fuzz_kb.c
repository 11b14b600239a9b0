/* Fuzz target: the knowledge base (lib/kb).  The first byte of the input
 * picks what the rest is:
 *   'e'  an entities JSONL file: read it (and, when it reads, build a KB
 *        with it and an alias to every entity, then look an alias up)
 *   'a'  an aliases TSV file, against the entities A, B, Q312 and Q89: read
 *        it; when it reads, build the KB and look each alias row up
 *   'k'  a kb.sqlite file, damaged or hostile: open it and run lookups at
 *        every level; a fit-style profile rewrite must fail cleanly too
 *   anything else: the normalisers and the bag of words on the rest.
 * Every path must fail with a status or succeed: never crash, leak or
 * read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kb/kb.h"
#include "ner/ner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void cleanup(void)
{
    static const char *const names[] = {"kb.sqlite", "kb.sqlite.tmp",
                                        "out.sqlite", "out.sqlite.tmp"};
    char p[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        remove(p);
    }
    rmdir(dir);
}

static const char *tmp_path(const char *name)
{
    static char p[128];
    if (!dir[0]) {
        strcpy(dir, "/tmp/ner_fuzz_kb_XXXXXX");
        if (!mkdtemp(dir)) {
            dir[0] = '\0';
            return NULL;
        }
        atexit(cleanup);
    }
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void lookups(const char *path, const char *const *qs, size_t nq)
{
    nk_kb *kb = NULL;
    char err[NER_ERRBUF_SIZE];
    if (nk_kb_open(&kb, path, err, sizeof err) != NER_OK)
        return;
    nk_cands c;
    nk_cands_init(&c);
    for (size_t i = 0; i < nq; i++)
        for (int lvl = NK_LEVEL_EXACT; lvl <= NK_LEVEL_NORM; lvl++)
            (void)nk_kb_lookup(kb, qs[i], strlen(qs[i]), lvl, 0, NK_WITH_VECS, &c);
    int64_t eid;
    (void)nk_kb_find_entity(kb, "A", &eid);
    nk_cands_free(&c);
    nk_kb_close(kb);
}

static void build_and_query(const nk_entities *e, const nk_aliases *a)
{
    const char *path = tmp_path("kb.sqlite");
    char err[NER_ERRBUF_SIZE];
    if (!path || nk_kb_write(path, e, a, NULL, NULL, err, sizeof err) != NER_OK)
        return;
    const char *qs[4] = {"A", "apple", "APPLE", "São Paulo"};
    if (a->n)
        qs[0] = a->arena + a->v[0].off;
    lookups(path, qs, 4);
}

static void fuzz_entities(const uint8_t *d, size_t n)
{
    FILE *f = fmemopen((void *)(n ? d : (const uint8_t *)""), n ? n : 1, "rb");
    if (!f)
        return;
    nk_entities e = {0};
    char err[NER_ERRBUF_SIZE];
    int rc = n ? nk_entities_read(&e, f, "fuzz", NULL, NULL, err, sizeof err) : NER_OK;
    fclose(f);
    if (rc == NER_OK && e.n && e.n < 64) {
        nk_aliases a = {0};
        char tsv[] = "alias\tentity_id\n";
        FILE *g = fmemopen(tsv, sizeof tsv - 1, "rb");
        if (g && nk_aliases_read(&a, g, "fuzz", &e, err, sizeof err) == NER_OK)
            build_and_query(&e, &a);
        if (g)
            fclose(g);
        nk_aliases_free(&a);
    }
    nk_entities_free(&e);
}

static void fuzz_aliases(const uint8_t *d, size_t n)
{
    static const char ents[] = "{\"id\":\"A\"}\n{\"id\":\"B\",\"type\":\"ORG\"}\n"
        "{\"id\":\"Q312\",\"description\":\"technology company iPhone\"}\n"
        "{\"id\":\"Q89\",\"description\":\"fruit eaten at lunch\"}\n";
    FILE *f = fmemopen((void *)ents, sizeof ents - 1, "rb");
    if (!f)
        return;
    nk_entities e = {0};
    char err[NER_ERRBUF_SIZE];
    int rc = nk_entities_read(&e, f, "fuzz", NULL, NULL, err, sizeof err);
    fclose(f);
    if (rc == NER_OK && n) {
        FILE *g = fmemopen((void *)d, n, "rb");
        nk_aliases a = {0};
        if (g && nk_aliases_read(&a, g, "fuzz", &e, err, sizeof err) == NER_OK &&
            a.n < 256)
            build_and_query(&e, &a);
        if (g)
            fclose(g);
        nk_aliases_free(&a);
    }
    nk_entities_free(&e);
}

static void fuzz_kbfile(const uint8_t *d, size_t n)
{
    const char *path = tmp_path("kb.sqlite");
    if (!path)
        return;
    FILE *f = fopen(path, "wb");
    if (!f)
        return;
    if (n)
        fwrite(d, 1, n, f);
    fclose(f);
    static const char *const qs[] = {"Apple", "apple", "APPLE", "Paris",
                                     "sao paulo", "x", ""};
    lookups(path, qs, sizeof qs / sizeof *qs);
    /* the profile rewrite of a fit reads the same file */
    nk_term t[2] = {{1u, 1.0f}, {2u, 2.0f}};
    nk_profile p = {1, t, 2};
    char err[NER_ERRBUF_SIZE];
    (void)nk_kb_write_profiles(path, tmp_path("out.sqlite"), &p, 1, t, 2, 3,
                               err, sizeof err);
    remove(tmp_path("out.sqlite"));
}

static void fuzz_text(const uint8_t *d, size_t n)
{
    char *o = NULL;
    if (nk_fold((const char *)d, n, &o, NULL) == NER_OK)
        free(o);
    o = NULL;
    if (nk_norm((const char *)d, n, &o, NULL) == NER_OK)
        free(o);
    nk_bow b = {0};
    (void)nk_bow_add_text(&b, (const char *)d, n);
    nk_bow_finish(&b);
    nk_bow u = {0};
    (void)nk_terms_unpack(d, n, &u);
    nk_bow_free(&b);
    nk_bow_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0]) {
    case 'e': fuzz_entities(data + 1, size - 1); break;
    case 'a': fuzz_aliases(data + 1, size - 1); break;
    case 'k': fuzz_kbfile(data + 1, size - 1); break;
    default: fuzz_text(data + 1, size - 1); break;
    }
    return 0;
}
