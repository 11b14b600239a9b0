/* Reading the KB inputs: entities JSONL and aliases TSV, with every bad row
 * reported by line number. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "kb/kb.h"
#include "text/utf8.h"

/* ------------------------------------------------------------ lines */

/* Reads one line (LF dropped, then one CR) into *line; -1 at end of file.
 * Returns -2 when out of memory (getline sets errno to ENOMEM), -3 on a
 * read error. */
static ssize_t read_line(FILE *f, char **line, size_t *cap)
{
    errno = 0;
    ssize_t n = getline(line, cap, f);
    if (n < 0) {
        if (errno == ENOMEM)
            return -2;
        return ferror(f) ? -3 : -1;
    }
    if (n && (*line)[n - 1] == '\n')
        (*line)[--n] = '\0';
    if (n && (*line)[n - 1] == '\r')
        (*line)[--n] = '\0';
    return n;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\v' &&
            s[i] != '\f')
            return 0;
    return 1;
}

/* Skips a UTF-8 byte-order mark at the start of the first line. */
static size_t bom(const char *s, size_t n, size_t lineno)
{
    return lineno == 1 && n >= 3 && (unsigned char)s[0] == 0xEF &&
           (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF ? 3 : 0;
}

static int line_error(ssize_t r, const char *name, size_t lineno,
                      char *errbuf, size_t errlen)
{
    if (r == -2) {
        nk_errf(errbuf, errlen, "%s: line %zu: out of memory", name, lineno);
        return NER_ENOMEM;
    }
    nk_errf(errbuf, errlen, "%s: read error after line %zu", name, lineno);
    return NER_EIO;
}

/* ------------------------------------------------------------ entities */

static int ent_index_grow(nk_entities *e)
{
    size_t ns = e->nslots ? e->nslots * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s)
        return NER_ENOMEM;
    for (size_t i = 0; i < e->n; i++) {
        size_t k = nk_hash(e->v[i].id, strlen(e->v[i].id)) & (ns - 1);
        while (s[k])
            k = (k + 1) & (ns - 1);
        s[k] = (uint32_t)(i + 1);
    }
    free(e->slots);
    e->slots = s;
    e->nslots = ns;
    return NER_OK;
}

long nk_entities_find(const nk_entities *e, const char *id, size_t n)
{
    if (!e->nslots)
        return -1;
    size_t k = nk_hash(id, n) & (e->nslots - 1);
    while (e->slots[k]) {
        const char *c = e->v[e->slots[k] - 1].id;
        if (strlen(c) == n && memcmp(c, id, n) == 0)
            return (long)e->slots[k] - 1;
        k = (k + 1) & (e->nslots - 1);
    }
    return -1;
}

void nk_entities_free(nk_entities *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->v[i].id);
        free(e->v[i].name);
        free(e->v[i].type);
        free(e->v[i].desc);
    }
    free(e->v);
    free(e->slots);
    memset(e, 0, sizeof *e);
}

static const char *const ent_keys[] = {"id", "name", "type", "description",
                                       "frequency"};

/* A string field: absent or null gives NULL; otherwise a copy. */
static int opt_string(json_t *o, const char *key, char **out, const char *name,
                      size_t lineno, char *errbuf, size_t errlen)
{
    *out = NULL;
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NER_OK;
    if (!json_is_string(v)) {
        nk_errf(errbuf, errlen, "%s: line %zu: \"%s\" must be a string", name,
                lineno, key);
        return NER_EFORMAT;
    }
    *out = strdup(json_string_value(v));
    return *out ? NER_OK : NER_ENOMEM;
}

static int parse_entity(nk_entities *e, const char *s, size_t n,
                        const char *name, size_t lineno, uint32_t *unknown_seen,
                        ner_log_fn log, void *log_user,
                        char *errbuf, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        nk_errf(errbuf, errlen, "%s: line %zu, column %d: malformed JSON: %s",
                name, lineno, je.column, je.text);
        return NER_EFORMAT;
    }
    int rc = NER_OK;
    nk_entity ent = {0};
    ent.freq = -1;
    ent.line = lineno;
    if (!json_is_object(o)) {
        nk_errf(errbuf, errlen, "%s: line %zu: expected a JSON object", name, lineno);
        rc = NER_EFORMAT;
        goto out;
    }
    json_t *jid = json_object_get(o, "id");
    if (!json_is_string(jid) || json_string_length(jid) == 0) {
        nk_errf(errbuf, errlen, "%s: line %zu: \"id\" must be a non-empty string",
                name, lineno);
        rc = NER_EFORMAT;
        goto out;
    }
    const char *id = json_string_value(jid);
    size_t idlen = json_string_length(jid);
    if (memchr(id, '\0', idlen)) {
        nk_errf(errbuf, errlen, "%s: line %zu: \"id\" holds a NUL character",
                name, lineno);
        rc = NER_EFORMAT;
        goto out;
    }
    long dup = nk_entities_find(e, id, idlen);
    if (dup >= 0) {
        nk_errf(errbuf, errlen, "%s: line %zu: duplicate id \"%.200s\" (first on line %zu)",
                name, lineno, id, e->v[dup].line);
        rc = NER_EEXIST;
        goto out;
    }
    if ((rc = opt_string(o, "name", &ent.name, name, lineno, errbuf, errlen)) ||
        (rc = opt_string(o, "type", &ent.type, name, lineno, errbuf, errlen)) ||
        (rc = opt_string(o, "description", &ent.desc, name, lineno, errbuf, errlen)))
        goto out;
    json_t *jf = json_object_get(o, "frequency");
    if (jf && !json_is_null(jf)) {
        if (!json_is_integer(jf) || json_integer_value(jf) < 0) {
            nk_errf(errbuf, errlen, "%s: line %zu: \"frequency\" must be a whole "
                    "number >= 0", name, lineno);
            rc = NER_EFORMAT;
            goto out;
        }
        ent.freq = (int64_t)json_integer_value(jf);
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int known = 0;
        for (size_t k = 0; k < sizeof ent_keys / sizeof *ent_keys; k++)
            known |= strcmp(key, ent_keys[k]) == 0;
        if (!known && *unknown_seen < 8) {
            (*unknown_seen)++;
            nk_logf(log, log_user, NER_LOG_WARN,
                    "%s: line %zu: unknown key \"%.64s\" ignored (known: id, "
                    "name, type, description, frequency)", name, lineno, key);
        }
    }
    if (e->n >= UINT32_MAX - 1) {
        nk_errf(errbuf, errlen, "%s: line %zu: too many entities", name, lineno);
        rc = NER_ETOOBIG;
        goto out;
    }
    if (!(ent.id = strdup(id))) {
        rc = NER_ENOMEM;
        goto out;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 256;
        nk_entity *nv = realloc(e->v, cap * sizeof *nv);
        if (!nv) {
            rc = NER_ENOMEM;
            goto out;
        }
        e->v = nv;
        e->cap = cap;
    }
    if ((e->n + 1) * 2 > e->nslots && (rc = ent_index_grow(e)) != NER_OK)
        goto out;
    e->v[e->n] = ent;
    memset(&ent, 0, sizeof ent);
    size_t k = nk_hash(id, idlen) & (e->nslots - 1);
    while (e->slots[k])
        k = (k + 1) & (e->nslots - 1);
    e->slots[k] = (uint32_t)(e->n + 1);
    e->n++;
out:
    free(ent.id);
    free(ent.name);
    free(ent.type);
    free(ent.desc);
    json_decref(o);
    return rc;
}

int nk_entities_read(nk_entities *e, FILE *f, const char *name,
                     ner_log_fn log, void *log_user, char *errbuf, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    uint32_t unknown_seen = 0;
    int rc = NER_OK;
    for (;;) {
        ssize_t r = read_line(f, &line, &cap);
        if (r == -1)
            break;
        lineno++;
        if (r < 0) {
            rc = line_error(r, name, lineno, errbuf, errlen);
            break;
        }
        size_t skip = bom(line, (size_t)r, lineno);
        if (is_blank(line + skip, (size_t)r - skip))
            continue;
        rc = parse_entity(e, line + skip, (size_t)r - skip, name, lineno,
                          &unknown_seen, log, log_user, errbuf, errlen);
        if (rc != NER_OK)
            break;
    }
    free(line);
    return rc;
}

/* ------------------------------------------------------------ aliases */

void nk_aliases_free(nk_aliases *a)
{
    free(a->v);
    free(a->arena);
    memset(a, 0, sizeof *a);
}

static int arena_put(nk_aliases *a, const char *s, size_t n, uint64_t *off)
{
    if (a->alen + n + 1 > a->acap) {
        size_t cap = a->acap ? a->acap : 1 << 16;
        while (cap < a->alen + n + 1)
            cap *= 2;
        char *p = realloc(a->arena, cap);
        if (!p)
            return NER_ENOMEM;
        a->arena = p;
        a->acap = cap;
    }
    memcpy(a->arena + a->alen, s, n);
    a->arena[a->alen + n] = '\0';
    *off = a->alen;
    a->alen += n + 1;
    return NER_OK;
}

/* Splits s at TABs into at most max fields; returns the field count, or
 * max + 1 when there are more. */
static size_t split_tabs(char *s, size_t n, char **fields, size_t *lens,
                         size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\t') {
            if (k == max)
                return max + 1;
            fields[k] = s + start;
            lens[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    return k;
}

/* Rows hold arena offsets, so the comparator needs the arena: glibc's
 * qsort_r (the project builds with _GNU_SOURCE). */
static int cmp_rows(const void *pa, const void *pb, void *ctx)
{
    const nk_aliases *al = ctx;
    const nk_alias_row *a = pa, *b = pb;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(al->arena + a->off, al->arena + b->off, m);
    if (c)
        return c;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    if (a->ent != b->ent)
        return a->ent < b->ent ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static void sort_rows(nk_aliases *a)
{
    if (a->n)
        qsort_r(a->v, a->n, sizeof *a->v, cmp_rows, a);
}

static int same_alias(const nk_aliases *a, const nk_alias_row *x,
                      const nk_alias_row *y)
{
    return x->len == y->len && memcmp(a->arena + x->off, a->arena + y->off, x->len) == 0;
}

/* Checks and completes the priors of rows [i, j) of one alias. */
static int finish_group(nk_aliases *a, size_t i, size_t j, const char *name,
                        char *errbuf, size_t errlen)
{
    double sum = 0;
    size_t missing = 0;
    uint64_t last_line = 0;
    for (size_t k = i; k < j; k++) {
        nk_alias_row *r = &a->v[k];
        if (k > i && r->ent == a->v[k - 1].ent) {
            uint64_t l1 = a->v[k - 1].line, l2 = r->line;
            nk_errf(errbuf, errlen, "%s: line %llu: alias \"%.200s\" names the "
                    "same entity twice (also on line %llu)", name,
                    (unsigned long long)(l1 > l2 ? l1 : l2),
                    a->arena + r->off, (unsigned long long)(l1 > l2 ? l2 : l1));
            return NER_EEXIST;
        }
        if (isnan(r->prior))
            missing++;
        else
            sum += r->prior;
        if (r->line > last_line)
            last_line = r->line;
    }
    if (sum > 1.001) {
        nk_errf(errbuf, errlen, "%s: line %llu: the priors of alias \"%.200s\" "
                "sum to %.6g, above 1", name, (unsigned long long)last_line,
                a->arena + a->v[i].off, sum);
        return NER_ERANGE;
    }
    if (missing) {
        double rest = sum < 1.0 ? (1.0 - sum) / (double)missing : 0.0;
        for (size_t k = i; k < j; k++)
            if (isnan(a->v[k].prior))
                a->v[k].prior = rest;
    }
    return NER_OK;
}

static int parse_prior(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end || errno || !isfinite(v) || v < 0.0 || v > 1.0 || buf[0] == ' ')
        return -1;
    *out = v;
    return 0;
}

int nk_aliases_read(nk_aliases *a, FILE *f, const char *name,
                    const nk_entities *e, char *errbuf, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = NER_OK, have_header = 0, has_prior = 0;
    for (;;) {
        ssize_t r = read_line(f, &line, &cap);
        if (r == -1)
            break;
        lineno++;
        if (r < 0) {
            rc = line_error(r, name, lineno, errbuf, errlen);
            goto out;
        }
        size_t skip = bom(line, (size_t)r, lineno);
        char *s = line + skip;
        size_t n = (size_t)r - skip;
        if (memchr(s, '\0', n)) {
            nk_errf(errbuf, errlen, "%s: line %zu: NUL byte", name, lineno);
            rc = NER_EFORMAT;
            goto out;
        }
        size_t bad;
        if (!nt_utf8_valid(s, n, &bad)) {
            nk_errf(errbuf, errlen, "%s: line %zu, byte %zu: invalid UTF-8",
                    name, lineno, bad + 1);
            rc = NER_EUTF8;
            goto out;
        }
        char *fld[3];
        size_t fl[3];
        if (!have_header) {
            size_t k = split_tabs(s, n, fld, fl, 3);
            if ((k == 2 || k == 3) && fl[0] == 5 && memcmp(fld[0], "alias", 5) == 0 &&
                fl[1] == 9 && memcmp(fld[1], "entity_id", 9) == 0 &&
                (k == 2 || (fl[2] == 5 && memcmp(fld[2], "prior", 5) == 0))) {
                have_header = 1;
                has_prior = k == 3;
                continue;
            }
            nk_errf(errbuf, errlen, "%s: line %zu: expected the header "
                    "\"alias<TAB>entity_id<TAB>prior\" (prior optional)", name, lineno);
            rc = NER_EFORMAT;
            goto out;
        }
        if (n == 0)
            continue;
        size_t k = split_tabs(s, n, fld, fl, 3);
        if (k < 2 || k > (size_t)(has_prior ? 3 : 2)) {
            nk_errf(errbuf, errlen, "%s: line %zu: expected %s TAB-separated "
                    "fields, found %s", name, lineno,
                    has_prior ? "2 or 3" : "2", k > 3 ? "more" : k == 1 ? "1" :
                    k == 2 ? "2" : "3");
            rc = NER_EFORMAT;
            goto out;
        }
        if (fl[0] == 0) {
            nk_errf(errbuf, errlen, "%s: line %zu: empty alias", name, lineno);
            rc = NER_EFORMAT;
            goto out;
        }
        if (fl[0] > 4096) {
            nk_errf(errbuf, errlen, "%s: line %zu: alias longer than 4096 bytes",
                    name, lineno);
            rc = NER_ETOOBIG;
            goto out;
        }
        long ent = nk_entities_find(e, fld[1], fl[1]);
        if (ent < 0) {
            nk_errf(errbuf, errlen, "%s: line %zu: unknown entity \"%.*s\" (not "
                    "in the entities file)", name, lineno,
                    (int)(fl[1] > 200 ? 200 : fl[1]), fld[1]);
            rc = NER_ENOTFOUND;
            goto out;
        }
        double prior = NAN;
        if (k == 3 && fl[2] > 0 && parse_prior(fld[2], fl[2], &prior) != 0) {
            nk_errf(errbuf, errlen, "%s: line %zu: prior \"%.*s\" is not a number "
                    "from 0 to 1", name, lineno, (int)(fl[2] > 40 ? 40 : fl[2]),
                    fld[2]);
            rc = NER_EFORMAT;
            goto out;
        }
        if (a->n == a->cap) {
            size_t ncap = a->cap ? a->cap * 2 : 1024;
            nk_alias_row *nv = realloc(a->v, ncap * sizeof *nv);
            if (!nv) {
                rc = NER_ENOMEM;
                goto out;
            }
            a->v = nv;
            a->cap = ncap;
        }
        nk_alias_row *row = &a->v[a->n];
        if ((rc = arena_put(a, fld[0], fl[0], &row->off)) != NER_OK)
            goto out;
        row->len = (uint32_t)fl[0];
        row->ent = (uint32_t)ent;
        row->prior = prior;
        row->line = lineno;
        a->n++;
    }
    if (!have_header) {
        nk_errf(errbuf, errlen, "%s: empty file: expected the header "
                "\"alias<TAB>entity_id<TAB>prior\"", name);
        rc = NER_EFORMAT;
        goto out;
    }
    sort_rows(a);
    a->n_aliases = 0;
    for (size_t i = 0; i < a->n;) {
        size_t j = i + 1;
        while (j < a->n && same_alias(a, &a->v[i], &a->v[j]))
            j++;
        if ((rc = finish_group(a, i, j, name, errbuf, errlen)) != NER_OK)
            goto out;
        a->n_aliases++;
        i = j;
    }
out:
    free(line);
    return rc;
}
