/* An open KB: read-only SQLite connections in a pool, candidate lookup. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "kb/kb.h"

typedef struct nk_conn {
    sqlite3 *db;
    sqlite3_stmt *q_alias;  /* aid of an alias text */
    sqlite3_stmt *q_key;    /* aids of a level-1/2 key */
    sqlite3_stmt *q_cand;   /* candidates of an aid */
    sqlite3_stmt *q_ent;    /* an entity's fields */
    sqlite3_stmt *q_vec;    /* an entity's vectors */
    sqlite3_stmt *q_id;     /* eid of an id */
    struct nk_conn *next;   /* in the free list */
} nk_conn;

struct ner_kb {
    char *path;
    char *uri;
    pthread_mutex_t mu;
    nk_conn *free_list;     /* idle connections */
    uint64_t entities, aliases, profiles, idf_docs;
    nk_term *idf;           /* sorted by hash */
    size_t nidf;
};

static int map_sqlite(int ec)
{
    switch (ec & 0xff) {
    case SQLITE_NOMEM: return NER_ENOMEM;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: case SQLITE_FORMAT:
    case SQLITE_SCHEMA: case SQLITE_ERROR: case SQLITE_MISMATCH:
    case SQLITE_RANGE: case SQLITE_TOOBIG:
        return NER_EFORMAT;
    case SQLITE_CANTOPEN: return NER_ENOTFOUND;
    default: return NER_EIO;
    }
}

/* "file:" URI of a path, every byte outside [A-Za-z0-9/._~-] escaped. */
static char *path_uri(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(5 + 3 * n + 32);
    if (!u)
        return NULL;
    char *p = u;
    memcpy(p, "file:", 5);
    p += 5;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '/' || c == '.' || c == '_' ||
            c == '~' || c == '-') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    memcpy(p, "?mode=ro&immutable=1", 21);
    return u;
}

static void conn_free(nk_conn *c)
{
    if (!c)
        return;
    sqlite3_finalize(c->q_alias);
    sqlite3_finalize(c->q_key);
    sqlite3_finalize(c->q_cand);
    sqlite3_finalize(c->q_ent);
    sqlite3_finalize(c->q_vec);
    sqlite3_finalize(c->q_id);
    sqlite3_close(c->db);
    free(c);
}

static int conn_open(const char *uri, const char *path, nk_conn **out,
                     char *errbuf, size_t errlen)
{
    *out = NULL;
    nk_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NER_ENOMEM;
    int r = sqlite3_open_v2(uri, &c->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
                            SQLITE_OPEN_URI, NULL);
    if (r != SQLITE_OK) {
        nk_errf(errbuf, errlen, "%s: cannot open: %s", path,
                c->db ? sqlite3_errmsg(c->db) : "out of memory");
        int rc = c->db ? map_sqlite(r) : NER_ENOMEM;
        conn_free(c);
        return rc;
    }
    /* A damaged or hostile file must give an error, never a crash. */
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    /* SQLite's advice for database files that may be hostile (a pipeline
     * folder can come from anywhere): cell_size_check on and no memory
     * map.  The third step, an integrity check at open, would make opening
     * cost O(file) and is left out.  Measured on 10M aliases, the check
     * costs about a third of a lookup's CPU time (6.7 -> 10 us) and a
     * memory map would save a tenth. */
    sqlite3_exec(c->db, "PRAGMA cell_size_check=ON; PRAGMA mmap_size=0",
                 NULL, NULL, NULL);
    struct { sqlite3_stmt **st; const char *sql; } qs[] = {
        {&c->q_alias, "SELECT aid FROM alias WHERE text = ?1"},
        {&c->q_key, "SELECT aid FROM akey WHERE key = ?1 AND level BETWEEN 1 AND ?2"},
        {&c->q_cand, "SELECT eid, prior FROM cand WHERE aid = ?1"},
        {&c->q_ent, "SELECT id, name, type, description, frequency FROM entity"
                    " WHERE eid = ?1"},
        {&c->q_vec, "SELECT dvec, pvec FROM vec WHERE eid = ?1"},
        {&c->q_id, "SELECT eid FROM entity WHERE id = ?1"},
    };
    for (size_t i = 0; i < sizeof qs / sizeof *qs; i++) {
        r = sqlite3_prepare_v3(c->db, qs[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                               qs[i].st, NULL);
        if (r != SQLITE_OK) {
            nk_errf(errbuf, errlen, "%s: not a libner knowledge base (%s)", path,
                    sqlite3_errmsg(c->db));
            int rc = map_sqlite(r);
            conn_free(c);
            return rc == NER_ENOTFOUND ? NER_EFORMAT : rc;
        }
    }
    *out = c;
    return NER_OK;
}

static nk_conn *conn_get(const nk_kb *ckb, int *rc)
{
    nk_kb *kb = (nk_kb *)ckb;  /* the pool is the only mutable part */
    pthread_mutex_lock(&kb->mu);
    nk_conn *c = kb->free_list;
    if (c)
        kb->free_list = c->next;
    pthread_mutex_unlock(&kb->mu);
    *rc = NER_OK;
    if (!c)
        *rc = conn_open(kb->uri, kb->path, &c, NULL, 0);
    return c;
}

static void conn_put(const nk_kb *ckb, nk_conn *c)
{
    nk_kb *kb = (nk_kb *)ckb;
    pthread_mutex_lock(&kb->mu);
    c->next = kb->free_list;
    kb->free_list = c;
    pthread_mutex_unlock(&kb->mu);
}

/* Reads meta; fills the counts and the idf table. */
static int read_meta(nk_kb *kb, nk_conn *c, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(c->db, "SELECT key, value FROM meta", -1, &st, NULL);
    if (r != SQLITE_OK) {
        nk_errf(errbuf, errlen, "%s: not a libner knowledge base (%s)", kb->path,
                sqlite3_errmsg(c->db));
        return NER_EFORMAT;
    }
    int format_ok = 0, version = -1, rc = NER_OK;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (!key)
            continue;
        if (strcmp(key, "format") == 0) {
            const char *v = (const char *)sqlite3_column_text(st, 1);
            format_ok = v && strcmp(v, NK_FORMAT) == 0;
        } else if (strcmp(key, "version") == 0) {
            version = sqlite3_column_int(st, 1);
        } else if (strcmp(key, "entities") == 0) {
            kb->entities = (uint64_t)sqlite3_column_int64(st, 1);
        } else if (strcmp(key, "aliases") == 0) {
            kb->aliases = (uint64_t)sqlite3_column_int64(st, 1);
        } else if (strcmp(key, "profiles") == 0) {
            kb->profiles = (uint64_t)sqlite3_column_int64(st, 1);
        } else if (strcmp(key, "idf_docs") == 0) {
            kb->idf_docs = (uint64_t)sqlite3_column_int64(st, 1);
        } else if (strcmp(key, "idf") == 0) {
            const void *b = sqlite3_column_blob(st, 1);
            int n = sqlite3_column_bytes(st, 1);
            nk_bow bow = {0};
            rc = n > 0 ? nk_terms_unpack(b, (size_t)n, &bow) : NER_OK;
            if (rc != NER_OK) {
                nk_bow_free(&bow);
                if (rc == NER_EFORMAT)
                    nk_errf(errbuf, errlen, "%s: damaged idf table", kb->path);
                break;
            }
            free(kb->idf);
            kb->idf = bow.v;
            kb->nidf = bow.n;
        }
    }
    if (rc == NER_OK && r != SQLITE_DONE) {
        nk_errf(errbuf, errlen, "%s: cannot read: %s", kb->path, sqlite3_errmsg(c->db));
        rc = map_sqlite(r);
    }
    sqlite3_finalize(st);
    if (rc == NER_OK && !format_ok) {
        nk_errf(errbuf, errlen, "%s: not a libner knowledge base", kb->path);
        rc = NER_EFORMAT;
    } else if (rc == NER_OK && version != NK_VERSION) {
        nk_errf(errbuf, errlen, "%s: knowledge base version %d, this libner "
                "reads version %d", kb->path, version, NK_VERSION);
        rc = NER_EUNSUPPORTED;
    }
    return rc;
}

int nk_kb_open(nk_kb **out, const char *path, char *errbuf, size_t errlen)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        nk_errf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    if (!S_ISREG(sb.st_mode)) {
        nk_errf(errbuf, errlen, "%s: not a file", path);
        return NER_EIO;
    }
    if (!sqlite3_threadsafe()) {
        nk_errf(errbuf, errlen, "the SQLite library was built without threads");
        return NER_EUNSUPPORTED;
    }
    nk_kb *kb = calloc(1, sizeof *kb);
    if (!kb)
        return NER_ENOMEM;
    if (pthread_mutex_init(&kb->mu, NULL) != 0) {
        free(kb);
        return NER_ENOMEM;
    }
    kb->path = strdup(path);
    kb->uri = path_uri(path);
    if (!kb->path || !kb->uri) {
        nk_kb_close(kb);
        return NER_ENOMEM;
    }
    nk_conn *c = NULL;
    int rc = conn_open(kb->uri, kb->path, &c, errbuf, errlen);
    if (rc == NER_OK)
        rc = read_meta(kb, c, errbuf, errlen);
    if (rc != NER_OK) {
        conn_free(c);
        nk_kb_close(kb);
        return rc;
    }
    kb->free_list = c;
    *out = kb;
    return NER_OK;
}

void nk_kb_close(nk_kb *kb)
{
    if (!kb)
        return;
    while (kb->free_list) {
        nk_conn *c = kb->free_list;
        kb->free_list = c->next;
        conn_free(c);
    }
    pthread_mutex_destroy(&kb->mu);
    free(kb->idf);
    free(kb->path);
    free(kb->uri);
    free(kb);
}

const char *nk_kb_path(const nk_kb *kb) { return kb->path; }
uint64_t nk_kb_entity_count(const nk_kb *kb) { return kb->entities; }
uint64_t nk_kb_alias_count(const nk_kb *kb) { return kb->aliases; }
uint64_t nk_kb_profile_count(const nk_kb *kb) { return kb->profiles; }
size_t nk_kb_idf_size(const nk_kb *kb) { return kb->nidf; }

float nk_terms_find(const nk_term *t, size_t n, uint32_t h)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].h < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t[lo].h == h ? t[lo].w : 0.0f;
}

float nk_kb_idf(const nk_kb *kb, uint32_t h)
{
    return nk_terms_find(kb->idf, kb->nidf, h);
}

const nk_term *nk_kb_idf_terms(const nk_kb *kb, size_t *n)
{
    *n = kb->nidf;
    return kb->idf;
}

/* ------------------------------------------------------------ candidates */

void nk_cands_init(nk_cands *c)
{
    memset(c, 0, sizeof *c);
    c->level = NK_LEVEL_NONE;
}

void nk_cands_free(nk_cands *c)
{
    free(c->v);
    free(c->arena);
    nk_bow_free(&c->terms);
    nk_cands_init(c);
}

const char *nk_cand_str(const nk_cands *c, size_t off)
{
    return off == (size_t)-1 ? NULL : c->arena + off;
}

static int arena_str(nk_cands *c, const unsigned char *s, int n, size_t *off)
{
    if (!s) {
        *off = (size_t)-1;
        return NER_OK;
    }
    size_t len = n > 0 ? (size_t)n : 0;
    if (c->alen + len + 1 > c->acap) {
        size_t cap = c->acap ? c->acap * 2 : 1024;
        while (cap < c->alen + len + 1)
            cap *= 2;
        char *p = realloc(c->arena, cap);
        if (!p)
            return NER_ENOMEM;
        c->arena = p;
        c->acap = cap;
    }
    memcpy(c->arena + c->alen, s, len);
    c->arena[c->alen + len] = '\0';
    *off = c->alen;
    c->alen += len + 1;
    return NER_OK;
}

static int push_cand(nk_cands *c, int64_t eid, double prior)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].eid == eid) {
            c->v[i].prior += prior;
            return NER_OK;
        }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        nk_cand *v = realloc(c->v, cap * sizeof *v);
        if (!v)
            return NER_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    nk_cand *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    x->eid = eid;
    x->prior = prior;
    x->freq = -1;
    x->id = x->name = x->type = x->desc = (size_t)-1;
    return NER_OK;
}

/* Adds the candidates of alias aid. */
static int add_alias(nk_conn *cn, int64_t aid, nk_cands *out)
{
    sqlite3_stmt *q = cn->q_cand;
    sqlite3_bind_int64(q, 1, aid);
    int r, rc = NER_OK;
    while ((r = sqlite3_step(q)) == SQLITE_ROW && rc == NER_OK) {
        double p = sqlite3_column_double(q, 1);
        if (!(p >= 0.0 && p <= 1.0))
            p = 0.0;
        rc = push_cand(out, sqlite3_column_int64(q, 0), p);
    }
    sqlite3_reset(q);
    if (rc == NER_OK && r != SQLITE_DONE && r != SQLITE_ROW)
        rc = map_sqlite(r);
    out->n_aliases++;
    return rc;
}

static int lookup_level(nk_conn *cn, const char *key, size_t n, int level,
                        int64_t skip, nk_cands *out)
{
    int rc = NER_OK, r;
    if (n > 0x7fffffff)
        return NER_ETOOBIG;
    /* the alias equal to the key */
    sqlite3_stmt *q = cn->q_alias;
    sqlite3_bind_text(q, 1, key, (int)n, SQLITE_STATIC);
    int64_t aid = -1;
    r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        aid = sqlite3_column_int64(q, 0);
    else if (r != SQLITE_DONE)
        rc = map_sqlite(r);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc == NER_OK && aid >= 0 && aid != skip)
        rc = add_alias(cn, aid, out);
    if (rc != NER_OK || level == NK_LEVEL_EXACT)
        return rc;
    /* aliases whose key at this level is the key (the key of a level-2
     * query may also sit in the level-1 column) */
    q = cn->q_key;
    sqlite3_bind_text(q, 1, key, (int)n, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, level);
    while (rc == NER_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t other = sqlite3_column_int64(q, 0);
        if (other != aid && other != skip)
            rc = add_alias(cn, other, out);     /* another statement: fine */
    }
    if (rc == NER_OK && r != SQLITE_DONE)
        rc = map_sqlite(r);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

static int cmp_cand(const void *pa, const void *pb)
{
    const nk_cand *a = pa, *b = pb;
    if (a->prior != b->prior)
        return a->prior > b->prior ? -1 : 1;
    return a->eid < b->eid ? -1 : a->eid > b->eid;
}

/* Fills the fields and (with NK_WITH_VECS) vectors of candidate x. */
static int fill(nk_conn *cn, nk_cands *out, size_t i, uint32_t flags)
{
    sqlite3_stmt *q = cn->q_ent;
    sqlite3_bind_int64(q, 1, out->v[i].eid);
    int r = sqlite3_step(q), rc = NER_OK;
    if (r == SQLITE_ROW) {
        size_t off[4];
        for (int k = 0; k < 4 && rc == NER_OK; k++) {
            const unsigned char *s = sqlite3_column_text(q, k);
            rc = arena_str(out, s, sqlite3_column_bytes(q, k), &off[k]);
        }
        if (rc == NER_OK && off[0] == (size_t)-1)
            rc = NER_EFORMAT;   /* an entity without an id: damaged */
        if (rc == NER_OK) {
            nk_cand *x = &out->v[i];
            x->id = off[0];
            x->name = off[1];
            x->type = off[2];
            x->desc = off[3];
            x->freq = sqlite3_column_type(q, 4) == SQLITE_INTEGER
                          ? sqlite3_column_int64(q, 4) : -1;
        }
    } else {
        rc = r == SQLITE_DONE ? NER_EFORMAT : map_sqlite(r);
    }
    sqlite3_reset(q);
    if (rc != NER_OK || !(flags & NK_WITH_VECS))
        return rc;
    q = cn->q_vec;
    sqlite3_bind_int64(q, 1, out->v[i].eid);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        for (int k = 0; k < 2 && rc == NER_OK; k++) {
            size_t start = out->terms.n;
            int nb = sqlite3_column_bytes(q, k);
            const void *b = sqlite3_column_blob(q, k);
            if (b && nb > 0)
                rc = nk_terms_unpack(b, (size_t)nb, &out->terms);
            if (rc != NER_OK)
                break;
            if (k == 0) {
                out->v[i].dvec = start;
                out->v[i].ndvec = out->terms.n - start;
            } else {
                out->v[i].pvec = start;
                out->v[i].npvec = out->terms.n - start;
            }
        }
    } else if (r != SQLITE_DONE) {
        rc = map_sqlite(r);
    }
    sqlite3_reset(q);
    return rc;
}

/* The aid of alias text s, -1 when there is none. */
static int alias_aid(nk_conn *cn, const char *s, size_t n, int64_t *aid)
{
    *aid = -1;
    if (n > 0x7fffffff)
        return NER_OK;
    sqlite3_stmt *q = cn->q_alias;
    sqlite3_bind_text(q, 1, s, (int)n, SQLITE_STATIC);
    int r = sqlite3_step(q), rc = NER_OK;
    if (r == SQLITE_ROW)
        *aid = sqlite3_column_int64(q, 0);
    else if (r != SQLITE_DONE)
        rc = map_sqlite(r);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

int nk_kb_lookup(const nk_kb *kb, const char *s, size_t n, int max_level,
                 size_t max_cands, uint32_t flags, nk_cands *out)
{
    return nk_kb_lookup_ex(kb, s, n, NK_LEVEL_EXACT, max_level, NULL, 0,
                           max_cands, flags, out);
}

int nk_kb_lookup_ex(const nk_kb *kb, const char *s, size_t n, int min_level,
                    int max_level, const char *skip, size_t skip_len,
                    size_t max_cands, uint32_t flags, nk_cands *out)
{
    out->n = 0;
    out->alen = 0;
    out->terms.n = 0;
    out->level = NK_LEVEL_NONE;
    out->n_aliases = 0;
    if (!kb || (!s && n))
        return NER_EINVAL;
    if (n == 0)
        return NER_OK;
    int rc;
    nk_conn *cn = conn_get(kb, &rc);
    if (!cn)
        return rc;
    int64_t skip_aid = -1;
    if (skip && (rc = alias_aid(cn, skip, skip_len, &skip_aid)) != NER_OK) {
        conn_put(kb, cn);
        return rc;
    }
    char *key = NULL;
    for (int level = min_level; level <= max_level && level <= NK_LEVEL_NORM;
         level++) {
        size_t kl = n;
        const char *k = s;
        if (level > NK_LEVEL_EXACT) {
            free(key);
            key = NULL;
            rc = level == NK_LEVEL_FOLD ? nk_fold(s, n, &key, &kl)
                                        : nk_norm(s, n, &key, &kl);
            if (rc == NER_EUTF8) {
                rc = NER_OK;    /* a mention that is not UTF-8 has no key */
                break;
            }
            if (rc != NER_OK)
                break;
            if (kl == 0)
                continue;
            k = key;
        }
        out->n_aliases = 0;
        rc = lookup_level(cn, k, kl, level, skip_aid, out);
        if (rc != NER_OK)
            break;
        if (out->n) {
            out->level = level;
            break;
        }
    }
    free(key);
    if (rc == NER_OK && out->n) {
        if (out->n_aliases > 1)
            for (size_t i = 0; i < out->n; i++)
                out->v[i].prior /= (double)out->n_aliases;
        qsort(out->v, out->n, sizeof *out->v, cmp_cand);
        if (max_cands && out->n > max_cands)
            out->n = max_cands;
        for (size_t i = 0; i < out->n && rc == NER_OK; i++)
            rc = fill(cn, out, i, flags);
    }
    if (rc != NER_OK) {
        out->n = 0;
        out->level = NK_LEVEL_NONE;
    }
    conn_put(kb, cn);
    return rc;
}

int nk_kb_find_entity(const nk_kb *kb, const char *id, int64_t *eid)
{
    *eid = 0;
    int rc;
    nk_conn *cn = conn_get(kb, &rc);
    if (!cn)
        return rc;
    sqlite3_stmt *q = cn->q_id;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(q);
    if (r == SQLITE_ROW)
        *eid = sqlite3_column_int64(q, 0);
    rc = r == SQLITE_ROW ? NER_OK : r == SQLITE_DONE ? NER_ENOTFOUND : map_sqlite(r);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    conn_put(kb, cn);
    return rc;
}

int nk_kb_each_dvec(const nk_kb *kb,
                    int (*fn)(void *user, int64_t eid, const nk_term *t, size_t n),
                    void *user)
{
    int rc;
    nk_conn *cn = conn_get(kb, &rc);
    if (!cn)
        return rc;
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(cn->db, "SELECT eid, dvec FROM vec WHERE dvec IS NOT NULL",
                               -1, &st, NULL);
    nk_bow b = {0};
    if (r != SQLITE_OK) {
        rc = map_sqlite(r);
    } else {
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            b.n = 0;
            int nb = sqlite3_column_bytes(st, 1);
            const void *blob = sqlite3_column_blob(st, 1);
            if (blob && nb > 0 && (rc = nk_terms_unpack(blob, (size_t)nb, &b)) != NER_OK)
                break;
            if ((rc = fn(user, sqlite3_column_int64(st, 0), b.v, b.n)) != NER_OK)
                break;
        }
        if (rc == NER_OK && r != SQLITE_DONE)
            rc = map_sqlite(r);
    }
    nk_bow_free(&b);
    sqlite3_finalize(st);
    conn_put(kb, cn);
    return rc;
}
