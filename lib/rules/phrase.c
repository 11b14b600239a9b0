#include "rules/phrase.h"

#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "rules/vocab.h"

void nr_phrases_init(nr_phrases *p)
{
    memset(p, 0, sizeof *p);
}

static void free_collected(nr_phrases *p)
{
    free(p->seq);
    free(p->ph);
    p->seq = NULL;
    p->ph = NULL;
    p->nseq = p->capseq = p->nph = p->capph = 0;
}

void nr_phrases_free(nr_phrases *p)
{
    if (!p) return;
    free_collected(p);
    free(p->root);
    free(p->first);
    free(p->etok);
    free(p->echild);
    free(p->term);
    free(p->next);
    memset(p, 0, sizeof *p);
}

static int grow(void **v, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return NER_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sz) return NER_ENOMEM;
        c *= 2;
    }
    void *nv = realloc(*v, c * sz);
    if (!nv) return NER_ENOMEM;
    *v = nv;
    *cap = c;
    return NER_OK;
}

int nr_phrases_reserve(nr_phrases *p, size_t n, size_t ids)
{
    if (p->built) return NER_EINVAL;
    int rc = grow((void **)&p->ph, &p->capph, p->nph + n, sizeof *p->ph);
    if (rc == NER_OK) rc = grow((void **)&p->seq, &p->capseq, p->nseq + ids, sizeof *p->seq);
    return rc;
}

int nr_phrases_add(nr_phrases *p, const uint32_t *ids, size_t n, uint32_t value)
{
    if (p->built || !n || value == NR_NONE || (p->nph && value <= p->last_value))
        return NER_EINVAL;
    if (n > UINT32_MAX / 2 || p->nseq + n >= UINT32_MAX - 2) return NER_ETOOBIG;
    int rc = grow((void **)&p->seq, &p->capseq, p->nseq + n, sizeof *p->seq);
    if (rc == NER_OK) rc = grow((void **)&p->ph, &p->capph, p->nph + 1, sizeof *p->ph);
    if (rc != NER_OK) return rc;
    memcpy(p->seq + p->nseq, ids, n * sizeof *ids);
    p->ph[p->nph].off = p->nseq;
    p->ph[p->nph].len = (uint32_t)n;
    p->ph[p->nph].value = value;
    p->nph++;
    p->nseq += n;
    p->last_value = value;
    if (n > p->maxlen) p->maxlen = (uint32_t)n;
    return NER_OK;
}

/* Phrases are sorted by ids (shorter first on a common prefix), then by
 * value: a counting sort by the first id, then a merge sort of each bucket
 * (usually small). */
static int cmp_ref(const nr_phrase_ref *x, const nr_phrase_ref *y, const uint32_t *seq)
{
    const uint32_t *a = seq + x->off, *b = seq + y->off;
    uint32_t n = x->len < y->len ? x->len : y->len;
    for (uint32_t i = 0; i < n; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->value < y->value ? -1 : x->value > y->value;
}

/* insertion sort for small runs, heap-free merge sort otherwise */
static void sort_refs(nr_phrase_ref *v, nr_phrase_ref *tmp, size_t n, const uint32_t *seq)
{
    if (n < 24) {
        for (size_t i = 1; i < n; i++) {
            nr_phrase_ref x = v[i];
            size_t j = i;
            while (j > 0 && cmp_ref(&x, &v[j - 1], seq) < 0) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    sort_refs(v, tmp, h, seq);
    sort_refs(v + h, tmp, n - h, seq);
    if (cmp_ref(&v[h - 1], &v[h], seq) <= 0) return;
    memcpy(tmp, v, h * sizeof *v);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) v[k++] = cmp_ref(&v[j], &tmp[i], seq) < 0 ? v[j++] : tmp[i++];
    while (i < h) v[k++] = tmp[i++];
}

int nr_phrases_build(nr_phrases *p, uint32_t vocab_n)
{
    if (p->built) return NER_EINVAL;
    int rc = NER_OK;
    size_t n = p->nph;
    nr_phrase_ref *sorted = NULL, *tmp = NULL;
    uint32_t *parent = NULL, *tok = NULL, *path = NULL, *cnt = NULL;
    uint32_t *root = NULL, *first = NULL, *etok = NULL, *echild = NULL, *term = NULL,
             *next = NULL;
    uint32_t nvalues = n ? p->last_value + 1 : 0;
    /* counting sort by first id, then each bucket */
    sorted = malloc((n + 1) * sizeof *sorted);
    tmp = malloc((n / 2 + 1) * sizeof *tmp);
    cnt = calloc((size_t)vocab_n + 1, sizeof *cnt);
    root = malloc(((size_t)vocab_n + 1) * sizeof *root);
    next = malloc(((size_t)nvalues + 1) * sizeof *next);
    path = malloc(((size_t)p->maxlen + 1) * sizeof *path);
    /* nodes: at most one per id, plus the root */
    parent = malloc((p->nseq + 1) * sizeof *parent);
    tok = malloc((p->nseq + 1) * sizeof *tok);
    term = malloc((p->nseq + 1) * sizeof *term);
    if (!sorted || !tmp || !cnt || !root || !next || !path || !parent || !tok || !term) {
        rc = NER_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t f = p->seq[p->ph[i].off];
        if (f >= vocab_n) {
            rc = NER_EINVAL;
            goto out;
        }
        cnt[f + 1]++;
    }
    for (size_t t = 0; t < vocab_n; t++) cnt[t + 1] += cnt[t];
    for (size_t i = 0; i < n; i++) sorted[cnt[p->seq[p->ph[i].off]]++] = p->ph[i];
    /* cnt[t] is now the end of bucket t */
    for (size_t t = 0, s = 0; t < vocab_n; t++) {
        size_t e = cnt[t];
        if (e - s > 1) sort_refs(sorted + s, tmp, e - s, p->seq);
        s = e;
    }
    free(cnt);
    cnt = NULL;
    /* one pass: create nodes in preorder */
    for (size_t v = 0; v < nvalues; v++) next[v] = NR_NONE;
    for (size_t t = 0; t < vocab_n; t++) root[t] = NR_NONE;
    uint32_t nnodes = 1;
    term[0] = NR_NONE;
    parent[0] = NR_NONE;
    tok[0] = NR_NONE;
    const uint32_t *prev = NULL;
    uint32_t prevlen = 0, last_value = NR_NONE;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *s = p->seq + sorted[i].off;
        uint32_t len = sorted[i].len, c = 0;
        while (c < len && c < prevlen && s[c] == prev[c]) c++;
        for (uint32_t d = c; d < len; d++) {
            uint32_t nd = nnodes++;
            parent[nd] = d ? path[d - 1] : 0;
            tok[nd] = s[d];
            term[nd] = NR_NONE;
            if (d == 0) root[s[d]] = nd;
            path[d] = nd;
        }
        uint32_t node = path[len - 1];
        uint32_t val = sorted[i].value;
        if (term[node] == NR_NONE) term[node] = val;
        else next[last_value] = val; /* equal phrases are adjacent */
        last_value = val;
        prev = s;
        prevlen = len;
    }
    /* children of each non-root node, in creation order (= token order) */
    first = calloc((size_t)nnodes + 1, sizeof *first);
    size_t nedges = nnodes > 1 ? nnodes - 1 : 0;
    etok = malloc((nedges + 1) * sizeof *etok);
    echild = malloc((nedges + 1) * sizeof *echild);
    if (!first || !etok || !echild) {
        rc = NER_ENOMEM;
        goto out;
    }
    for (uint32_t nd = 1; nd < nnodes; nd++)
        if (parent[nd] != 0) first[parent[nd] + 1]++;
    for (uint32_t nd = 0; nd < nnodes; nd++) first[nd + 1] += first[nd];
    uint32_t *pos = malloc(((size_t)nnodes + 1) * sizeof *pos);
    if (!pos) {
        rc = NER_ENOMEM;
        goto out;
    }
    memcpy(pos, first, ((size_t)nnodes + 1) * sizeof *pos);
    for (uint32_t nd = 1; nd < nnodes; nd++) {
        uint32_t pa = parent[nd];
        if (pa == 0) continue;
        uint32_t e = pos[pa]++;
        etok[e] = tok[nd];
        echild[e] = nd;
    }
    free(pos);
    /* shrink term to the nodes made */
    uint32_t *t2 = realloc(term, ((size_t)nnodes + 1) * sizeof *t2);
    if (t2) term = t2;
    p->root = root;
    p->nroot = vocab_n;
    p->first = first;
    p->etok = etok;
    p->echild = echild;
    p->term = term;
    p->next = next;
    p->nnodes = nnodes;
    p->nvalues = nvalues;
    root = first = etok = echild = term = next = NULL;
    p->built = 1;
    free_collected(p);
out:
    free(sorted);
    free(tmp);
    free(cnt);
    free(path);
    free(parent);
    free(tok);
    free(root);
    free(first);
    free(etok);
    free(echild);
    free(term);
    free(next);
    return rc;
}

static inline uint32_t child_of(const nr_phrases *p, uint32_t node, uint32_t t)
{
    uint32_t lo = p->first[node], hi = p->first[node + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t x = p->etok[mid];
        if (x < t) lo = mid + 1;
        else if (x > t) hi = mid;
        else return p->echild[mid];
    }
    return NR_NONE;
}

int nr_phrases_match(const nr_phrases *p, const uint32_t *ids, size_t n,
                     nr_phrase_cb cb, void *user)
{
    if (!p->built) return p->nph ? NER_EINVAL : 0;
    if (p->nnodes <= 1) return 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t t = ids[i];
        if (t >= p->nroot) continue; /* NR_NONE too */
        uint32_t node = p->root[t];
        size_t j = i;
        while (node != NR_NONE) {
            for (uint32_t v = p->term[node]; v != NR_NONE; v = p->next[v]) {
                int r = cb(user, i, j + 1, v);
                if (r) return r;
            }
            if (++j >= n || ids[j] == NR_NONE) break;
            node = child_of(p, node, ids[j]);
        }
    }
    return 0;
}

size_t nr_phrases_bytes(const nr_phrases *p)
{
    size_t nn = p->nnodes;
    return p->capseq * sizeof *p->seq + p->capph * sizeof *p->ph +
           p->nroot * sizeof *p->root + (p->built ? (nn + 1) * 4 * 2 + nn * 4 * 2 : 0) +
           (size_t)p->nvalues * sizeof *p->next;
}
