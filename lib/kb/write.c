/* Writing a KB file: SQLite, in one transaction, rows in key order. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "kb/kb.h"

char *nk_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (k == 0 || p[k - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

int nk_mkdir_p(const char *path, char *errbuf, size_t errlen)
{
    char *p = strdup(path);
    if (!p)
        return NER_ENOMEM;
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (i < n && p[i] != '/')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            nk_errf(errbuf, errlen, "%s: cannot create folder: %s", p, strerror(errno));
            free(p);
            return NER_EIO;
        }
        p[i] = c;
    }
    struct stat sb;
    int ok = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    free(p);
    if (!ok) {
        nk_errf(errbuf, errlen, "%s: not a folder", path);
        return NER_EIO;
    }
    return NER_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ SQL helpers */

typedef struct wctx {
    sqlite3 *db;
    const char *path;
    char *errbuf;
    size_t errlen;
} wctx;

static int sql_fail(wctx *w, const char *what)
{
    nk_errf(w->errbuf, w->errlen, "%s: %s: %s", w->path, what, sqlite3_errmsg(w->db));
    int ec = sqlite3_errcode(w->db);
    return ec == SQLITE_NOMEM ? NER_ENOMEM : ec == SQLITE_CORRUPT ||
           ec == SQLITE_NOTADB ? NER_EFORMAT : NER_EIO;
}

static int exec(wctx *w, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(w->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        nk_errf(w->errbuf, w->errlen, "%s: %s", w->path, msg ? msg : "SQL error");
        int ec = sqlite3_errcode(w->db);
        sqlite3_free(msg);
        return ec == SQLITE_NOMEM ? NER_ENOMEM : ec == SQLITE_CORRUPT ||
               ec == SQLITE_NOTADB ? NER_EFORMAT : NER_EIO;
    }
    return NER_OK;
}

static int prep(wctx *w, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(w->db, sql, -1, st, NULL) != SQLITE_OK)
        return sql_fail(w, "prepare");
    return NER_OK;
}

/* Steps a write statement to the end and resets it. */
static int step_done(wctx *w, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (r != SQLITE_DONE)
        return sql_fail(w, what);
    return NER_OK;
}

static int meta_int(wctx *w, sqlite3_stmt *st, const char *key, int64_t v)
{
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    return step_done(w, st, "writing meta");
}

static int bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE entity(eid INTEGER PRIMARY KEY, id TEXT NOT NULL, name TEXT,"
    " type TEXT, description TEXT, frequency INTEGER);"
    "CREATE TABLE alias(text TEXT PRIMARY KEY, aid INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE cand(aid INTEGER NOT NULL, eid INTEGER NOT NULL, prior REAL NOT NULL,"
    " PRIMARY KEY(aid, eid)) WITHOUT ROWID;"
    "CREATE TABLE akey(key TEXT NOT NULL, level INTEGER NOT NULL, aid INTEGER NOT NULL,"
    " PRIMARY KEY(key, level, aid)) WITHOUT ROWID;"
    "CREATE TABLE vec(eid INTEGER PRIMARY KEY, dvec BLOB, pvec BLOB);";

/* ------------------------------------------------------------ alias keys */

typedef struct akey_row {
    uint64_t off;       /* key in the key arena */
    uint32_t len;
    uint32_t level;
    uint64_t aid;
} akey_row;

typedef struct akeys {
    akey_row *v;
    size_t n, cap;
    char *arena;
    size_t alen, acap;
} akeys;

static int akeys_add(akeys *k, const char *s, size_t n, uint32_t level, uint64_t aid)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 1024;
        akey_row *v = realloc(k->v, cap * sizeof *v);
        if (!v)
            return NER_ENOMEM;
        k->v = v;
        k->cap = cap;
    }
    if (k->alen + n > k->acap) {
        size_t cap = k->acap ? k->acap : 1 << 16;
        while (cap < k->alen + n)
            cap *= 2;
        char *p = realloc(k->arena, cap);
        if (!p)
            return NER_ENOMEM;
        k->arena = p;
        k->acap = cap;
    }
    memcpy(k->arena + k->alen, s, n);
    k->v[k->n].off = k->alen;
    k->v[k->n].len = (uint32_t)n;
    k->v[k->n].level = level;
    k->v[k->n].aid = aid;
    k->n++;
    k->alen += n;
    return NER_OK;
}

static int cmp_akey(const void *pa, const void *pb, void *ctx)
{
    const akeys *k = ctx;
    const akey_row *a = pa, *b = pb;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(k->arena + a->off, k->arena + b->off, m);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->level != b->level)
        return a->level < b->level ? -1 : 1;
    return a->aid < b->aid ? -1 : a->aid > b->aid;
}

/* The level-1 and level-2 keys of one alias that differ from it. */
static int alias_keys(akeys *k, const char *s, size_t n, uint64_t aid)
{
    char *f = NULL, *g = NULL;
    size_t fl = 0, gl = 0;
    int rc = nk_fold(s, n, &f, &fl);
    if (rc == NER_OK)
        rc = nk_norm(s, n, &g, &gl);
    if (rc == NER_OK && (fl != n || memcmp(f, s, n) != 0))
        rc = akeys_add(k, f, fl, NK_LEVEL_FOLD, aid);
    if (rc == NER_OK && gl > 0 && (gl != n || memcmp(g, s, n) != 0) &&
        (gl != fl || memcmp(g, f, fl) != 0))
        rc = akeys_add(k, g, gl, NK_LEVEL_NORM, aid);
    free(f);
    free(g);
    /* An alias that is not valid UTF-8 was refused by the reader; a key
     * that cannot be made is simply not stored. */
    return rc == NER_EUTF8 ? NER_OK : rc;
}

/* ------------------------------------------------------------ descriptions */

typedef struct dvecs {
    nk_bow all;         /* terms of every description, concatenated */
    size_t *start;      /* per entity: first term in all (n + 1 entries) */
} dvecs;

static int describe(const nk_entities *e, dvecs *d, nk_bow *idf, uint64_t *ndocs)
{
    d->start = calloc(e->n + 1, sizeof *d->start);
    if (!d->start)
        return NER_ENOMEM;
    nk_bow one = {0};
    *ndocs = 0;
    int rc = NER_OK;
    for (size_t i = 0; i < e->n && rc == NER_OK; i++) {
        d->start[i] = d->all.n;
        if (!e->v[i].desc)
            continue;
        nk_bow_clear(&one);
        if ((rc = nk_bow_add_text(&one, e->v[i].desc, strlen(e->v[i].desc))) != NER_OK)
            break;
        nk_bow_finish(&one);
        if (one.n)
            (*ndocs)++;
        for (size_t k = 0; k < one.n && rc == NER_OK; k++)
            rc = nk_bow_push(&d->all, one.v[k].h, one.v[k].w);
    }
    d->start[e->n] = d->all.n;
    nk_bow_free(&one);
    if (rc != NER_OK)
        return rc;
    /* document frequencies: every description counts a term once */
    for (size_t k = 0; k < d->all.n && rc == NER_OK; k++)
        rc = nk_bow_push(idf, d->all.v[k].h, 1.0f);
    if (rc != NER_OK)
        return rc;
    nk_bow_finish(idf);
    for (size_t k = 0; k < idf->n; k++)
        idf->v[k].w = (float)(log((1.0 + (double)*ndocs) / (1.0 + idf->v[k].w)) + 1.0);
    return NER_OK;
}

/* ------------------------------------------------------------ write */

static int open_rw(wctx *w, const char *tmp)
{
    remove(tmp);
    if (sqlite3_open_v2(tmp, &w->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        int rc = w->db ? sql_fail(w, "cannot create") : NER_ENOMEM;
        return rc;
    }
    return exec(w, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                   "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-131072;"
                   "PRAGMA temp_store=MEMORY;");
}

static int finish_file(wctx *w, const char *tmp, const char *path, int rc)
{
    if (w->db) {
        if (sqlite3_close(w->db) != SQLITE_OK && rc == NER_OK) {
            nk_errf(w->errbuf, w->errlen, "%s: cannot close", tmp);
            rc = NER_EIO;
        }
        w->db = NULL;
    }
    if (rc == NER_OK && rename(tmp, path) != 0) {
        nk_errf(w->errbuf, w->errlen, "%s: cannot rename to %s: %s", tmp, path,
                strerror(errno));
        rc = NER_EIO;
    }
    if (rc != NER_OK)
        remove(tmp);
    return rc;
}

int nk_kb_write(const char *path, const nk_entities *e, const nk_aliases *a,
                ner_log_fn log, void *log_user, char *errbuf, size_t errlen)
{
    return nk_kb_write_progress(path, e, a, log, log_user, NULL, NULL, errbuf, errlen);
}

/* Reports every 1024 rows and at the end of each table: often enough for
 * a progress line, rare enough to cost nothing. */
#define REPORT(done) \
    do { if (prog && ((done) % 1024 == 0 || (done) == prog_total)) \
             prog(prog_user, (done), prog_total); } while (0)

int nk_kb_write_progress(const char *path, const nk_entities *e, const nk_aliases *a,
                         ner_log_fn log, void *log_user, ner_progress_fn prog,
                         void *prog_user, char *errbuf, size_t errlen)
{
    uint64_t prog_total = (uint64_t)e->n * 2 + a->n;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return NER_ENOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp", 5);
    wctx w = {NULL, tmp, errbuf, errlen};
    sqlite3_stmt *st_meta = NULL, *st_ent = NULL, *st_alias = NULL, *st_cand = NULL,
                 *st_key = NULL, *st_vec = NULL;
    akeys keys = {0};
    dvecs dv = {0};
    nk_bow idf = {0};
    uint64_t ndocs = 0;
    unsigned char *blob = NULL;
    size_t blen = 0;
    double t0 = now_s();
    int rc = open_rw(&w, tmp);
    if (rc != NER_OK)
        goto out;
    if ((rc = exec(&w, schema)) || (rc = exec(&w, "BEGIN")))
        goto out;
    if ((rc = prep(&w, "INSERT INTO meta(key, value) VALUES(?1, ?2)", &st_meta)) ||
        (rc = prep(&w, "INSERT INTO entity(eid, id, name, type, description, frequency)"
                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &st_ent)) ||
        (rc = prep(&w, "INSERT INTO alias(text, aid) VALUES(?1, ?2)", &st_alias)) ||
        (rc = prep(&w, "INSERT INTO cand(aid, eid, prior) VALUES(?1, ?2, ?3)", &st_cand)) ||
        (rc = prep(&w, "INSERT INTO akey(key, level, aid) VALUES(?1, ?2, ?3)", &st_key)) ||
        (rc = prep(&w, "INSERT INTO vec(eid, dvec) VALUES(?1, ?2)", &st_vec)))
        goto out;

    /* entities, eid = index + 1 */
    for (size_t i = 0; i < e->n; i++) {
        const nk_entity *x = &e->v[i];
        sqlite3_bind_int64(st_ent, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st_ent, 2, x->id, -1, SQLITE_STATIC);
        bind_opt(st_ent, 3, x->name);
        bind_opt(st_ent, 4, x->type);
        bind_opt(st_ent, 5, x->desc);
        if (x->freq >= 0)
            sqlite3_bind_int64(st_ent, 6, x->freq);
        else
            sqlite3_bind_null(st_ent, 6);
        if ((rc = step_done(&w, st_ent, "writing entities")) != NER_OK)
            goto out;
        REPORT((uint64_t)i + 1);
    }
    if ((rc = exec(&w, "CREATE UNIQUE INDEX entity_id ON entity(id)")) != NER_OK)
        goto out;
    nk_logf(log, log_user, NER_LOG_INFO, "kb: %zu entities written (%.1f s)",
            e->n, now_s() - t0);

    /* aliases (rows are sorted by alias, then entity): aid = rank + 1 */
    uint64_t aid = 0;
    for (size_t i = 0; i < a->n; i++) {
        const nk_alias_row *r = &a->v[i];
        const char *s = a->arena + r->off;
        int first = i == 0 || r->len != a->v[i - 1].len ||
                    memcmp(s, a->arena + a->v[i - 1].off, r->len) != 0;
        if (first) {
            aid++;
            sqlite3_bind_text(st_alias, 1, s, (int)r->len, SQLITE_STATIC);
            sqlite3_bind_int64(st_alias, 2, (sqlite3_int64)aid);
            if ((rc = step_done(&w, st_alias, "writing aliases")) != NER_OK ||
                (rc = alias_keys(&keys, s, r->len, aid)) != NER_OK)
                goto out;
        }
        sqlite3_bind_int64(st_cand, 1, (sqlite3_int64)aid);
        sqlite3_bind_int64(st_cand, 2, (sqlite3_int64)r->ent + 1);
        sqlite3_bind_double(st_cand, 3, r->prior);
        if ((rc = step_done(&w, st_cand, "writing candidates")) != NER_OK)
            goto out;
        REPORT((uint64_t)e->n + i + 1);
    }
    nk_logf(log, log_user, NER_LOG_INFO, "kb: %llu aliases, %zu candidates "
            "written (%.1f s)", (unsigned long long)aid, a->n, now_s() - t0);

    if (keys.n)
        qsort_r(keys.v, keys.n, sizeof *keys.v, cmp_akey, &keys);
    for (size_t i = 0; i < keys.n; i++) {
        const akey_row *k = &keys.v[i];
        if (i > 0 && cmp_akey(k, &keys.v[i - 1], &keys) == 0)
            continue;
        sqlite3_bind_text(st_key, 1, keys.arena + k->off, (int)k->len, SQLITE_STATIC);
        sqlite3_bind_int(st_key, 2, (int)k->level);
        sqlite3_bind_int64(st_key, 3, (sqlite3_int64)k->aid);
        if ((rc = step_done(&w, st_key, "writing alias keys")) != NER_OK)
            goto out;
    }
    nk_logf(log, log_user, NER_LOG_INFO, "kb: %zu normalised alias keys written "
            "(%.1f s)", keys.n, now_s() - t0);

    /* description term vectors and their idf */
    if ((rc = describe(e, &dv, &idf, &ndocs)) != NER_OK)
        goto out;
    for (size_t i = 0; i < e->n; i++) {
        size_t s0 = dv.start[i], s1 = dv.start[i + 1];
        REPORT((uint64_t)e->n + a->n + i + 1);
        if (s0 == s1)
            continue;
        if ((rc = nk_terms_pack(dv.all.v + s0, s1 - s0, &blob, &blen)) != NER_OK)
            goto out;
        sqlite3_bind_int64(st_vec, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_blob(st_vec, 2, blob, (int)blen, SQLITE_STATIC);
        rc = step_done(&w, st_vec, "writing description vectors");
        free(blob);
        blob = NULL;
        if (rc != NER_OK)
            goto out;
    }
    if ((rc = nk_terms_pack(idf.v, idf.n, &blob, &blen)) != NER_OK)
        goto out;
    sqlite3_bind_text(st_meta, 1, "format", -1, SQLITE_STATIC);
    sqlite3_bind_text(st_meta, 2, NK_FORMAT, -1, SQLITE_STATIC);
    if ((rc = step_done(&w, st_meta, "writing meta")) ||
        (rc = meta_int(&w, st_meta, "version", NK_VERSION)) ||
        (rc = meta_int(&w, st_meta, "entities", (int64_t)e->n)) ||
        (rc = meta_int(&w, st_meta, "aliases", (int64_t)aid)) ||
        (rc = meta_int(&w, st_meta, "candidates", (int64_t)a->n)) ||
        (rc = meta_int(&w, st_meta, "profiles", 0)) ||
        (rc = meta_int(&w, st_meta, "idf_docs", (int64_t)ndocs)))
        goto out;
    sqlite3_bind_text(st_meta, 1, "idf", -1, SQLITE_STATIC);
    if (blob)
        sqlite3_bind_blob(st_meta, 2, blob, (int)blen, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st_meta, 2, 0);
    if ((rc = step_done(&w, st_meta, "writing meta")) != NER_OK)
        goto out;
    rc = exec(&w, "COMMIT");
    nk_logf(log, log_user, NER_LOG_INFO, "kb: committed (%.1f s)", now_s() - t0);
out:
    free(blob);
    sqlite3_finalize(st_meta);
    sqlite3_finalize(st_ent);
    sqlite3_finalize(st_alias);
    sqlite3_finalize(st_cand);
    sqlite3_finalize(st_key);
    sqlite3_finalize(st_vec);
    rc = finish_file(&w, tmp, path, rc);
    free(keys.v);
    free(keys.arena);
    nk_bow_free(&dv.all);
    free(dv.start);
    nk_bow_free(&idf);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------ profiles */

static int copy_file(const char *src, const char *dst, char *errbuf, size_t errlen)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        nk_errf(errbuf, errlen, "%s: cannot open: %s", src, strerror(errno));
        return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    FILE *out = fopen(dst, "wb");
    if (!out) {
        nk_errf(errbuf, errlen, "%s: cannot create: %s", dst, strerror(errno));
        fclose(in);
        return NER_EIO;
    }
    char *buf = malloc(1 << 20);
    int rc = buf ? NER_OK : NER_ENOMEM;
    while (rc == NER_OK) {
        size_t n = fread(buf, 1, 1 << 20, in);
        if (n && fwrite(buf, 1, n, out) != n) {
            nk_errf(errbuf, errlen, "%s: cannot write: %s", dst, strerror(errno));
            rc = NER_EIO;
        }
        if (n < (1 << 20)) {
            if (ferror(in)) {
                nk_errf(errbuf, errlen, "%s: read error", src);
                rc = NER_EIO;
            }
            break;
        }
    }
    free(buf);
    fclose(in);
    if (fclose(out) != 0 && rc == NER_OK) {
        nk_errf(errbuf, errlen, "%s: cannot write: %s", dst, strerror(errno));
        rc = NER_EIO;
    }
    if (rc != NER_OK)
        remove(dst);
    return rc;
}

int nk_kb_write_profiles(const char *src, const char *dst,
                         const nk_profile *profiles, size_t n,
                         const nk_term *idf, size_t nidf, uint64_t idf_docs,
                         char *errbuf, size_t errlen)
{
    size_t plen = strlen(dst);
    char *tmp = malloc(plen + 5);
    if (!tmp)
        return NER_ENOMEM;
    memcpy(tmp, dst, plen);
    memcpy(tmp + plen, ".tmp", 5);
    wctx w = {NULL, tmp, errbuf, errlen};
    sqlite3_stmt *st_vec = NULL, *st_meta = NULL;
    unsigned char *blob = NULL;
    size_t blen = 0;
    int rc = copy_file(src, tmp, errbuf, errlen);
    if (rc != NER_OK) {
        free(tmp);
        return rc;
    }
    if (sqlite3_open_v2(tmp, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = w.db ? sql_fail(&w, "cannot open") : NER_ENOMEM;
        goto out;
    }
    if ((rc = exec(&w, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                       "PRAGMA locking_mode=EXCLUSIVE; BEGIN;"
                       "UPDATE vec SET pvec = NULL;"
                       "DELETE FROM vec WHERE dvec IS NULL;")) ||
        (rc = prep(&w, "INSERT INTO vec(eid, pvec) VALUES(?1, ?2) ON CONFLICT(eid)"
                       " DO UPDATE SET pvec = excluded.pvec", &st_vec)) ||
        (rc = prep(&w, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
                   &st_meta)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (profiles[i].n == 0)
            continue;
        if ((rc = nk_terms_pack(profiles[i].t, profiles[i].n, &blob, &blen)) != NER_OK)
            goto out;
        sqlite3_bind_int64(st_vec, 1, profiles[i].eid);
        sqlite3_bind_blob(st_vec, 2, blob, (int)blen, SQLITE_STATIC);
        rc = step_done(&w, st_vec, "writing profiles");
        free(blob);
        blob = NULL;
        if (rc != NER_OK)
            goto out;
    }
    if ((rc = nk_terms_pack(idf, nidf, &blob, &blen)) != NER_OK)
        goto out;
    sqlite3_bind_text(st_meta, 1, "idf", -1, SQLITE_STATIC);
    if (blob)
        sqlite3_bind_blob(st_meta, 2, blob, (int)blen, SQLITE_STATIC);
    else
        sqlite3_bind_zeroblob(st_meta, 2, 0);
    if ((rc = step_done(&w, st_meta, "writing meta")) ||
        (rc = meta_int(&w, st_meta, "idf_docs", (int64_t)idf_docs)))
        goto out;
    sqlite3_bind_text(st_meta, 1, "profiles", -1, SQLITE_STATIC);
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        np += profiles[i].n > 0;
    sqlite3_bind_int64(st_meta, 2, (sqlite3_int64)np);
    if ((rc = step_done(&w, st_meta, "writing meta")) != NER_OK)
        goto out;
    if ((rc = exec(&w, "COMMIT")) != NER_OK)
        goto out;
    rc = exec(&w, "VACUUM");
out:
    free(blob);
    sqlite3_finalize(st_vec);
    sqlite3_finalize(st_meta);
    rc = finish_file(&w, tmp, dst, rc);
    free(tmp);
    return rc;
}
