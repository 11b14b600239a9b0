/* The entity_ruler at scale: loads N phrase patterns (default 1,000,000)
 * and matches news text with them.
 *
 *   bench_ruler [--patterns N] [--data FILE] [--repeat R] [--lower]
 *               [--no-spans] [--keep FILE]
 *
 * The patterns are written to a temporary patterns.jsonl first (or to
 * --keep FILE, which is then left in place): a sample of the text's own
 * capitalised words and runs of two or three of them ("Phil Simmons": the
 * phrases that really match; at most a tenth of N), then, half and half,
 * made-up names of one to three capitalised words and two or three words
 * drawn from the text's vocabulary (so that most tokens of the text start
 * a walk in the trie that fails a step later), labels ORG, PER, LOC, MISC,
 * PRODUCT, EVENT.  Deterministic (a fixed seed).
 *
 * Reports: load time (ner_builder_add of the entity_ruler with
 * patterns_path: reading, parsing, tokenizing every phrase, building the
 * trie), resident memory before and after and the peak, and the matching
 * speed on the documents of FILE (default
 * $LIBNER_SHARED_DIR/data/conll2003/eng.testa, the CoNLL dev split: each
 * document's sentences with their tokens joined by spaces, one sentence per
 * line), one thread: MB/s of the tokenizer alone, of tokenizer + ruler,
 * and of the ruler's own share (bytes / (t_both - t_tokenizer)), by wall
 * clock and by CPU time (best of R runs each; on a shared machine the CPU
 * figures are the per-core ones).  Skips
 * (exit 0, with a message) when FILE is absent.  Public API only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ner/ner.h"

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* CPU time of this process (one thread here): what "per core" means on a
 * machine other jobs share. */
static double cpu_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* VmRSS or VmHWM of this process in MiB, -1 when unknown. */
static double proc_mib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    double v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            v = atof(line + kl + 1) / 1024.0;
            break;
        }
    fclose(f);
    return v;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "bench_ruler: out of memory\n");
        exit(1);
    }
    return q;
}

/* Documents of a column file: sentences joined by '\n', tokens by ' '. */
static char **read_docs(const char *path, size_t *n_out, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char **v = NULL;
    size_t n = 0, cap = 0, len = 0;
    char *cur = NULL;
    char line[4096];
    int in_sentence = 0;
    *bytes = 0;
    for (;;) {
        char *ok = fgets(line, sizeof line, f);
        size_t l = ok ? strlen(line) : 0;
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = '\0';
        int doc = ok && strncmp(line, "-DOCSTART-", 10) == 0;
        if ((!ok || doc) && cur) {
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                v = xrealloc(v, cap * sizeof *v);
            }
            *bytes += len;
            v[n++] = cur;
            cur = NULL;
            len = 0;
        }
        if (!ok) break;
        if (doc) continue;
        size_t w = strcspn(line, " \t");
        if (w == 0) {
            in_sentence = 0;
            continue;
        }
        cur = xrealloc(cur, len + w + 2);
        if (len) cur[len++] = in_sentence ? ' ' : '\n';
        memcpy(cur + len, line, w);
        len += w;
        cur[len] = '\0';
        in_sentence = 1;
    }
    fclose(f);
    *n_out = n;
    return v;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Distinct words of the docs (alphabetic ASCII, 2..20 bytes). */
static char **vocab_of(char **docs, size_t ndocs, size_t *nout)
{
    size_t cap = 1 << 16, n = 0, hcap = 1 << 18;
    char **v = xrealloc(NULL, cap * sizeof *v);
    char **h = calloc(hcap, sizeof *h);
    if (!h) exit(1);
    for (size_t d = 0; d < ndocs; d++) {
        const char *p = docs[d];
        while (*p) {
            while (*p == ' ' || *p == '\n') p++;
            const char *s = p;
            int alpha = 1;
            while (*p && *p != ' ' && *p != '\n') {
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) alpha = 0;
                p++;
            }
            size_t l = (size_t)(p - s);
            if (!alpha || l < 2 || l > 20) continue;
            uint64_t hv = 1469598103934665603ULL;
            for (size_t k = 0; k < l; k++) hv = (hv ^ (unsigned char)s[k]) * 1099511628211ULL;
            size_t i = hv & (hcap - 1);
            while (h[i] && !(strlen(h[i]) == l && memcmp(h[i], s, l) == 0))
                i = (i + 1) & (hcap - 1);
            if (h[i] || n * 2 >= hcap) continue;
            char *w = xrealloc(NULL, l + 1);
            memcpy(w, s, l);
            w[l] = '\0';
            h[i] = w;
            if (n == cap) v = xrealloc(v, (cap *= 2) * sizeof *v);
            v[n++] = w;
        }
    }
    free(h);
    *nout = n;
    return v;
}

static void made_up_word(char *out, size_t *len)
{
    static const char *const syl[] = {"ka", "lo", "ver", "mi", "tra", "do", "sen",
        "qua", "ri", "bel", "zo", "nu", "phor", "ex", "li", "gan", "tor", "vi",
        "sha", "mon", "dre", "ul", "cas", "pe", "rin", "go", "tal", "wen"};
    size_t k = 2 + rnd() % 3, l = 0;
    for (size_t i = 0; i < k; i++) {
        const char *s = syl[rnd() % (sizeof syl / sizeof syl[0])];
        size_t sl = strlen(s);
        memcpy(out + l, s, sl);
        l += sl;
    }
    out[0] = (char)(out[0] - 32);
    *len = l;
}

/* Capitalised words of the docs and the runs of two or three consecutive
 * capitalised words ("Phil Simmons"): the phrases that really match. */
static void real_names(FILE *f, char **docs, size_t ndocs, size_t *written, size_t max)
{
    static const char *const labels[] = {"ORG", "PER", "LOC", "MISC"};
    for (size_t d = 0; d < ndocs && *written < max; d++) {
        const char *p = docs[d];
        const char *run[3];
        size_t runl[3], nrun = 0;
        while (*p && *written < max) {
            while (*p == ' ' || *p == '\n') p++;
            const char *s = p;
            while (*p && *p != ' ' && *p != '\n') p++;
            size_t l = (size_t)(p - s);
            int cap = l >= 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z';
            for (size_t k = 0; cap && k < l; k++)
                if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= 'A' && s[k] <= 'Z'))) cap = 0;
            if (!cap) {
                nrun = 0;
                continue;
            }
            if (nrun == 3) {
                run[0] = run[1]; runl[0] = runl[1];
                run[1] = run[2]; runl[1] = runl[2];
                nrun = 2;
            }
            run[nrun] = s;
            runl[nrun++] = l;
            if (rnd() % 8) continue; /* a sample, not every name */
            size_t k = 1 + rnd() % nrun;
            fprintf(f, "{\"label\": \"%s\", \"pattern\": \"", labels[rnd() % 4]);
            for (size_t j = nrun - k; j < nrun; j++)
                fprintf(f, "%s%.*s", j > nrun - k ? " " : "", (int)runl[j], run[j]);
            fputs("\"}\n", f);
            (*written)++;
        }
    }
}

static int write_patterns(const char *path, size_t n, char **docs, size_t ndocs,
                          char **words, size_t nwords, size_t *nreal)
{
    static const char *const labels[] = {"ORG", "PER", "LOC", "MISC", "PRODUCT", "EVENT"};
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t i = 0;
    real_names(f, docs, ndocs, &i, n / 10);
    *nreal = i;
    char phrase[256];
    for (; i < n; i++) {
        int real = (i & 1) && nwords;
        size_t k = real ? 2 + rnd() % 2 : 1 + rnd() % 3, l = 0;
        for (size_t j = 0; j < k; j++) {
            if (l) phrase[l++] = ' ';
            if (real) {
                const char *w = words[rnd() % nwords];
                size_t wl = strlen(w);
                memcpy(phrase + l, w, wl);
                l += wl;
            } else {
                size_t wl;
                made_up_word(phrase + l, &wl);
                l += wl;
            }
        }
        phrase[l] = '\0';
        fprintf(f, "{\"label\": \"%s\", \"pattern\": \"%s\"}\n", labels[i % 6], phrase);
    }
    return fclose(f);
}

static double run(const ner_pipeline *pl, char **docs, size_t ndocs, int repeat,
                  size_t *ents, size_t *spans, double *best_cpu)
{
    char err[NER_ERRBUF_SIZE];
    double best = 1e30;
    *best_cpu = 1e30;
    for (int r = 0; r < repeat; r++) {
        size_t ne = 0, ns = 0;
        double t0 = now_sec(), c0 = cpu_sec();
        for (size_t i = 0; i < ndocs; i++) {
            ner_doc *d = NULL;
            if (ner_pipeline_process(pl, docs[i], strlen(docs[i]), &d, err, sizeof err) != NER_OK) {
                fprintf(stderr, "bench_ruler: %s\n", err);
                exit(1);
            }
            ne += ner_ents_count(ner_doc_ents(d));
            ns += ner_ents_count(ner_doc_spans(d, "ruler"));
            ner_doc_free(d);
        }
        double t = now_sec() - t0, c = cpu_sec() - c0;
        if (t < best) best = t;
        if (c < *best_cpu) *best_cpu = c;
        *ents = ne;
        *spans = ns;
    }
    return best;
}

int main(int argc, char **argv)
{
    size_t npat = 1000000;
    const char *data = NULL, *keep = NULL;
    int repeat = 3, lower = 0, spans = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--patterns") == 0 && i + 1 < argc) npat = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) data = argv[++i];
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) keep = argv[++i];
        else if (strcmp(argv[i], "--lower") == 0) lower = 1;
        else if (strcmp(argv[i], "--no-spans") == 0) spans = 0;
        else {
            fprintf(stderr, "usage: bench_ruler [--patterns N] [--data FILE] [--repeat R] "
                    "[--lower] [--no-spans] [--keep FILE]\n");
            return 2;
        }
    }
    if (repeat < 1) repeat = 1;
    char defpath[4096];
    if (!data) {
        const char *sh = getenv("LIBNER_SHARED_DIR");
        snprintf(defpath, sizeof defpath, "%s/data/conll2003/eng.testa", sh ? sh : "../shared");
        data = defpath;
    }
    size_t ndocs = 0, bytes = 0;
    char **docs = read_docs(data, &ndocs, &bytes);
    if (!docs || !ndocs) {
        printf("bench_ruler: skipped: %s not found (set LIBNER_SHARED_DIR or --data)\n", data);
        return 0;
    }
    size_t nwords = 0;
    char **words = vocab_of(docs, ndocs, &nwords);

    char path[4096];
    if (keep) {
        snprintf(path, sizeof path, "%s", keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/bench_ruler_%ld.jsonl", tmp ? tmp : "/tmp", (long)getpid());
    }
    double t0 = now_sec();
    size_t nreal = 0;
    if (write_patterns(path, npat, docs, ndocs, words, nwords, &nreal) != 0) {
        fprintf(stderr, "bench_ruler: cannot write %s\n", path);
        return 1;
    }
    double t_write = now_sec() - t0;

    char err[NER_ERRBUF_SIZE];
    ner_builder *b = NULL;
    ner_pipeline *tok_pl = NULL, *pl = NULL;
    if (ner_builder_new(&b, "en", err, sizeof err) != NER_OK ||
        ner_builder_build(b, &tok_pl, err, sizeof err) != NER_OK) {
        fprintf(stderr, "bench_ruler: %s\n", err);
        return 1;
    }
    ner_builder_free(b);
    if (ner_builder_new(&b, "en", err, sizeof err) != NER_OK) {
        fprintf(stderr, "bench_ruler: %s\n", err);
        return 1;
    }
    char cfg[4300];
    snprintf(cfg, sizeof cfg, "{\"patterns_path\": \"%s\", \"phrase_matcher_attr\": \"%s\"%s}",
             path, lower ? "LOWER" : "ORTH", spans ? "" : ", \"spans_key\": null");
    double rss0 = proc_mib("VmRSS");
    t0 = now_sec();
    double c0 = cpu_sec();
    int rc = ner_builder_add(b, "entity_ruler", cfg, NULL, err, sizeof err);
    if (rc == NER_OK) rc = ner_builder_build(b, &pl, err, sizeof err);
    double t_load = now_sec() - t0, c_load = cpu_sec() - c0;
    double rss1 = proc_mib("VmRSS"), hwm = proc_mib("VmHWM");
    ner_builder_free(b);
    if (!keep) remove(path);
    if (rc != NER_OK) {
        fprintf(stderr, "bench_ruler: %s\n", err);
        return 1;
    }

    size_t e0, s0, e1, s1;
    double c_tok, c_all;
    double t_tok = run(tok_pl, docs, ndocs, repeat, &e0, &s0, &c_tok);
    double t_all = run(pl, docs, ndocs, repeat, &e1, &s1, &c_all);
    double mb = (double)bytes / 1e6;
    printf("patterns:            %zu phrase patterns (%s; %zu names taken from the text), "
           "written in %.2f s\n", npat, lower ? "LOWER" : "ORTH", nreal, t_write);
    printf("load:                %.2f s wall, %.2f s CPU (read + parse + tokenize + trie)\n",
           t_load, c_load);
    printf("memory (RSS):        %.0f MiB before, %.0f MiB after (+%.0f MiB), peak %.0f MiB\n",
           rss0, rss1, rss1 - rss0, hwm);
    printf("text:                %zu documents, %.2f MB (%s)\n", ndocs, mb, data);
    printf("speed (MB/s)         wall    CPU\n");
    printf("tokenizer alone:     %5.1f  %5.1f\n", mb / t_tok, mb / c_tok);
    printf("tokenizer + ruler:   %5.1f  %5.1f   (%zu entities, %zu spans in \"ruler\")\n",
           mb / t_all, mb / c_all, e1, s1);
    if (t_all > t_tok && c_all > c_tok)
        printf("ruler's own share:   %5.1f  %5.1f\n", mb / (t_all - t_tok), mb / (c_all - c_tok));
    ner_pipeline_free(pl);
    ner_pipeline_free(tok_pl);
    for (size_t i = 0; i < ndocs; i++) free(docs[i]);
    free(docs);
    for (size_t i = 0; i < nwords; i++) free(words[i]);
    free(words);
    return 0;
}
