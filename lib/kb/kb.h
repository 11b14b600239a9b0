/* lib/kb: the knowledge base.  Entities, aliases with priors, optional
 * description and context-profile term vectors, kept in one SQLite file.
 * Pure: no docs, no pipelines (the entity_linker component sits on top).
 *
 * ON DISK (kb.sqlite inside a KB folder; format "libner-kb", version 1)
 *   meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID
 *       format, version, entities, aliases, candidates, profiles,
 *       idf (BLOB of nk_term records, sorted by hash), idf_docs
 *   entity(eid INTEGER PRIMARY KEY, id TEXT NOT NULL, name, type,
 *          description, frequency)      + UNIQUE INDEX entity_id(id)
 *   alias(text TEXT PRIMARY KEY, aid INTEGER NOT NULL) WITHOUT ROWID
 *   cand(aid, eid, prior REAL, PRIMARY KEY(aid, eid)) WITHOUT ROWID
 *   akey(key TEXT, level INTEGER, aid, PRIMARY KEY(key, level, aid))
 *       WITHOUT ROWID: the case-folded (level 1) and normalised (level 2)
 *       keys of an alias, each stored only when it differs from the alias
 *       itself (and the level-2 key only when it differs from the level-1
 *       key too), so that a KB of plain lowercase aliases costs nothing.
 *   vec(eid INTEGER PRIMARY KEY, dvec BLOB, pvec BLOB): term counts of the
 *       description and of the learned context profile, as nk_term records.
 * Opening is constant time: nothing is read but meta (and the idf table,
 * whose size is the vocabulary of the descriptions and training contexts,
 * not of the aliases).  The file is opened read-only and immutable; a
 * rebuild or a fit writes a new file and renames it over the old one.
 *
 * THREADS
 *   An nk_kb (struct ner_kb) is shared by any number of threads.  SQLite
 *   connections are not: each lookup borrows one connection (with its
 *   prepared statements) from a pool guarded by a mutex, and opens a new one
 *   when every pooled connection is busy.  Nothing else is mutable.
 */
#ifndef NER_KB_KB_H
#define NER_KB_KB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ner/ner.h"

#define NK_FORMAT "libner-kb"
#define NK_VERSION 1
#define NK_FILE "kb.sqlite"

#define NK_LEVEL_NONE  (-1)
#define NK_LEVEL_EXACT 0
#define NK_LEVEL_FOLD  1
#define NK_LEVEL_NORM  2

/* ------------------------------------------------------------ normalise */

/* Level-1 key: NFC + Unicode full case folding ("CHINA" -> "china").
 * Level-2 key: NFKD + case folding, combining marks stripped, letters and
 * digits kept, white space, punctuation and symbols dropped ("São-Paulo!"
 * -> "saopaulo", "U.S." -> "us", "P. Simmons" -> "psimmons").
 * *out is malloc'd, NUL-terminated, *outlen its length (may be NULL).
 * NER_EUTF8 for invalid UTF-8, NER_ENOMEM. */
int nk_fold(const char *s, size_t n, char **out, size_t *outlen);
int nk_norm(const char *s, size_t n, char **out, size_t *outlen);

/* ------------------------------------------------------------ term vectors */

/* One term of a bag of words: the FNV-1a hash of the word and a weight. */
typedef struct nk_term {
    uint32_t h;
    float w;
} nk_term;

typedef struct nk_bow {
    nk_term *v;
    size_t n, cap;
} nk_bow;

uint32_t nk_hash(const char *s, size_t n);

/* Appends (hash, 1) for every word of s[0..n) (valid UTF-8 expected; bad
 * bytes end a word).  A word is a run of letters, digits and marks, case
 * folded with its accents stripped; words of one code point, all-digit
 * words and English stop words are skipped.  NER_OK or NER_ENOMEM. */
int nk_bow_add_text(nk_bow *b, const char *s, size_t n);
int nk_bow_push(nk_bow *b, uint32_t h, float w);
/* Sorts by hash and merges equal hashes (adding weights). */
void nk_bow_finish(nk_bow *b);
void nk_bow_clear(nk_bow *b);
void nk_bow_free(nk_bow *b);

/* Packs terms into little-endian 8-byte records (uint32 hash, float32).
 * *out malloc'd (NULL when n is 0). */
int nk_terms_pack(const nk_term *t, size_t n, unsigned char **out, size_t *len);
/* Unpacks a BLOB into b (appending).  NER_EFORMAT when len is not a whole
 * number of records or the hashes are not strictly increasing or a weight
 * is not finite. */
int nk_terms_unpack(const void *blob, size_t len, nk_bow *b);

/* ------------------------------------------------------------ input files */

typedef struct nk_entity {
    char *id, *name, *type, *desc;  /* owned; name/type/desc may be NULL */
    int64_t freq;                   /* -1 when absent */
    size_t line;
} nk_entity;

typedef struct nk_entities {
    nk_entity *v;
    size_t n, cap;
    uint32_t *slots;                /* open addressing: index + 1, 0 empty */
    size_t nslots;
} nk_entities;

typedef struct nk_alias_row {
    uint64_t off;                   /* alias text in the arena */
    uint32_t len;
    uint32_t ent;                   /* index in nk_entities */
    double prior;                   /* NAN: not given */
    uint64_t line;
} nk_alias_row;

typedef struct nk_aliases {
    nk_alias_row *v;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    size_t n_aliases;               /* distinct alias texts after finish */
} nk_aliases;

void nk_entities_free(nk_entities *e);
/* Index of entity id, or -1. */
long nk_entities_find(const nk_entities *e, const char *id, size_t n);

/* Reads entities JSONL from f (name is used in messages).  Fails with the
 * line number on malformed JSON, a non-object line, a missing or empty
 * "id", a field of the wrong type, invalid UTF-8 and duplicate ids.
 * Unknown keys are reported once each through log (NER_LOG_WARN). */
int nk_entities_read(nk_entities *e, FILE *f, const char *name,
                     ner_log_fn log, void *log_user,
                     char *errbuf, size_t errlen);

/* Reads an aliases TSV: a header "alias<TAB>entity_id[<TAB>prior]" then one
 * row a line.  Fails with the line number on a bad header, a wrong number
 * of fields, an empty alias, invalid UTF-8, a NUL byte, an unknown entity,
 * a prior that is not a number in [0, 1], the same (alias, entity) twice,
 * and priors of one alias summing above 1 (0.001 allowed for rounding).
 * Missing priors share what the given ones leave of 1, evenly.  On success
 * the rows are sorted by alias and then by entity. */
int nk_aliases_read(nk_aliases *a, FILE *f, const char *name,
                    const nk_entities *e, char *errbuf, size_t errlen);
void nk_aliases_free(nk_aliases *a);

/* Writes a new KB file at path (replaced if it exists) from parsed inputs,
 * through path + ".tmp" and rename().  Descriptions get term vectors and
 * an idf table.  Progress goes to log at NER_LOG_INFO. */
int nk_kb_write(const char *path, const nk_entities *e, const nk_aliases *a,
                ner_log_fn log, void *log_user, char *errbuf, size_t errlen);
/* nk_kb_write reporting rows written to prog (may be NULL) out of
 * e->n + a->n + e->n (entities, candidate rows, description vectors). */
int nk_kb_write_progress(const char *path, const nk_entities *e, const nk_aliases *a,
                         ner_log_fn log, void *log_user, ner_progress_fn prog,
                         void *prog_user, char *errbuf, size_t errlen);

/* ------------------------------------------------------------ the open KB */

typedef struct ner_kb nk_kb;

/* Opens path (a kb.sqlite file) read-only.  Checks the format and version
 * and reads the idf table.  NER_ENOTFOUND when missing, NER_EFORMAT when
 * not a libner KB or damaged. */
int nk_kb_open(nk_kb **out, const char *path, char *errbuf, size_t errlen);
void nk_kb_close(nk_kb *kb);

const char *nk_kb_path(const nk_kb *kb);
uint64_t nk_kb_entity_count(const nk_kb *kb);
uint64_t nk_kb_alias_count(const nk_kb *kb);
uint64_t nk_kb_profile_count(const nk_kb *kb);
/* Inverse document frequency of a term; 0 for a term not in the table. */
float nk_kb_idf(const nk_kb *kb, uint32_t h);
/* Number of distinct terms in the idf table. */
size_t nk_kb_idf_size(const nk_kb *kb);
/* The idf table itself (sorted by hash), borrowed from the KB. */
const nk_term *nk_kb_idf_terms(const nk_kb *kb, size_t *n);
/* The weight of h in a table sorted by hash; 0 when absent. */
float nk_terms_find(const nk_term *t, size_t n, uint32_t h);

/* One candidate.  Strings are offsets into the list's arena (see
 * nk_cand_str); vectors are ranges of the list's term pool. */
typedef struct nk_cand {
    int64_t eid;
    double prior;
    int64_t freq;                   /* -1 when absent */
    size_t id, name, type, desc;    /* arena offsets; (size_t)-1: NULL */
    size_t dvec, ndvec, pvec, npvec;/* term pool ranges */
} nk_cand;

typedef struct nk_cands {
    nk_cand *v;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
    nk_bow terms;                   /* pool of dvec/pvec terms */
    int level;                      /* NK_LEVEL_* that matched */
    size_t n_aliases;               /* aliases behind the candidates */
} nk_cands;

#define NK_WITH_VECS 0x1u           /* fill dvec/pvec */

void nk_cands_init(nk_cands *c);
void nk_cands_free(nk_cands *c);
const char *nk_cand_str(const nk_cands *c, size_t off);

/* Candidates of the mention s[0..n): the aliases equal to it; when there
 * are none and max_level allows, the aliases whose level-1 key equals its
 * level-1 key; then level 2 likewise.  Several aliases at one level merge:
 * an entity's prior is the mean of its priors over those aliases.  Sorted
 * by prior (highest first, then by eid) and cut to max_cands (0: all).
 * out is reset first; out->level is NK_LEVEL_NONE when nothing matched.
 * Thread-safe.  NER_EFORMAT when the file turns out damaged. */
int nk_kb_lookup(const nk_kb *kb, const char *s, size_t n, int max_level,
                 size_t max_cands, uint32_t flags, nk_cands *out);

/* The same, from level min_level on, leaving out the alias whose text is
 * skip[0..skip_len) (NULL: none), as if it were not in the KB. */
int nk_kb_lookup_ex(const nk_kb *kb, const char *s, size_t n, int min_level,
                    int max_level, const char *skip, size_t skip_len,
                    size_t max_cands, uint32_t flags, nk_cands *out);

/* The eid of entity id, 0 with NER_ENOTFOUND when there is none. */
int nk_kb_find_entity(const nk_kb *kb, const char *id, int64_t *eid);

/* Calls fn for every entity's description vector (for idf refits). */
int nk_kb_each_dvec(const nk_kb *kb,
                    int (*fn)(void *user, int64_t eid, const nk_term *t,
                              size_t n),
                    void *user);

/* One learned profile for nk_kb_write_profiles. */
typedef struct nk_profile {
    int64_t eid;
    const nk_term *t;
    size_t n;
} nk_profile;

/* Copies the KB file src to dst (through dst + ".tmp" and rename), with
 * every profile replaced by profiles[0..n) and the idf table by idf[0..nidf)
 * (sorted by hash) built from idf_docs contexts. */
int nk_kb_write_profiles(const char *src, const char *dst,
                         const nk_profile *profiles, size_t n,
                         const nk_term *idf, size_t nidf, uint64_t idf_docs,
                         char *errbuf, size_t errlen);

/* ------------------------------------------------------------ helpers */

char *nk_path_join(const char *dir, const char *name);
int nk_mkdir_p(const char *path, char *errbuf, size_t errlen);
void nk_errf(char *errbuf, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void nk_logf(ner_log_fn log, void *user, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#endif
