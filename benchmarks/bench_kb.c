/* Knowledge-base scale benchmark: builds a KB of synthetic names (10 million
 * aliases by default) and measures build time, file size, load time and
 * candidate lookups per second, through the public API (ner_kb.h).
 *
 *   bench_kb [--aliases N] [--dir DIR] [--threads N] [--lookups N]
 *            [--keep] [--reuse]
 *
 * Inputs and the KB go to DIR (default /tmp/ner_bench_kb), removed at the
 * end unless --keep; --reuse skips generating and building when DIR holds a
 * KB already.  Names are pseudo-words of syllables ("Kora Tebu Lim"),
 * unique per alias, capitalised, every 8th with an accent and every 16th
 * with a hyphen, so the case-folded and normalised keys are real work.
 * An alias has 1 to 3 candidates over N/5 entities.
 *
 * Lookups: exact hits (random aliases as written), case-folded hits (the
 * same in lower case: one failed exact probe first), normalised hits
 * (accents and hyphens removed: two failed probes first) and misses (all
 * three levels probed), each timed on 1 thread and on --threads threads.
 * Every lookup asks for all candidates with their name, type and
 * description, as the linker does. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ner/ner.h"
#include "ner/ner_kb.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static const char *const syl[64] = {
    "ka", "ro", "te", "bu", "li", "ma", "no", "si", "da", "ve", "lu", "po", "ri",
    "sa", "to", "ne", "mi", "ko", "ba", "re", "gu", "fa", "di", "lo", "pe", "su",
    "ta", "hi", "jo", "ze", "wa", "ni", "ku", "ra", "be", "so", "mu", "la", "de",
    "vo", "ti", "ga", "pu", "fe", "xu", "ya", "ci", "do", "mo", "ke", "lin", "tor",
    "ban", "sel", "mar", "dun", "kel", "rin", "vas", "ber", "gol", "nim", "pra", "str",
};

/* The unique name of alias i: 4 syllables (base 64 digits of i, plus a
 * fifth for i >= 64^4), split in two or three words. */
static size_t alias_name(uint64_t i, char *out, int variant)
{
    int d[5], n = 0;
    uint64_t x = i;
    for (int k = 0; k < 4; k++) {
        d[n++] = (int)(x % 64);
        x /= 64;
    }
    if (x)
        d[n++] = (int)(x % 64);
    size_t len = 0;
    int accent = i % 8 == 3, hyphen = i % 16 == 5;
    for (int k = 0; k < n; k++) {
        const char *s = syl[(d[k] + 7 * k) % 64];
        int word_start = k == 0 || k == 2 || k == 4;
        if (k > 0 && word_start)
            out[len++] = hyphen && k == 2 && variant != 2 ? '-' : ' ';
        for (size_t c = 0; s[c]; c++) {
            char ch = s[c];
            if (word_start && c == 0 && variant == 0)
                ch = (char)(ch - 32);
            if (accent && variant != 2 && k == 1 && ch == 'e' && c + 1 == strlen(s)) {
                memcpy(out + len, "\xc3\xa9", 2);   /* é */
                len += 2;
                continue;
            }
            out[len++] = ch;
        }
    }
    if (variant == 2) {     /* the normalised form: no spaces at all */
        size_t w = 0;
        for (size_t c = 0; c < len; c++)
            if (out[c] != ' ')
                out[w++] = out[c];
        len = w;
    }
    out[len] = '\0';
    return len;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static int generate(const char *dir, uint64_t naliases, uint64_t nents)
{
    char path[512];
    snprintf(path, sizeof path, "%s/entities.jsonl", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    static const char *const types[] = {"PER", "ORG", "LOC", "MISC"};
    for (uint64_t e = 0; e < nents; e++)
        fprintf(f, "{\"id\":\"E%llu\",\"name\":\"Entity %llu\",\"type\":\"%s\"}\n",
                (unsigned long long)e, (unsigned long long)e, types[e % 4]);
    if (fclose(f) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/aliases.tsv", dir);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs("alias\tentity_id\tprior\n", f);
    char name[64];
    for (uint64_t i = 0; i < naliases; i++) {
        alias_name(i, name, 0);
        uint64_t h = mix(i);
        int nc = h % 10 < 6 ? 1 : h % 10 < 9 ? 2 : 3;
        uint64_t e0 = i % nents;
        if (nc == 1) {
            fprintf(f, "%s\tE%llu\t1\n", name, (unsigned long long)e0);
        } else {
            fprintf(f, "%s\tE%llu\t0.6\n", name, (unsigned long long)e0);
            uint64_t e1 = (e0 + 1 + (h >> 8) % (nents - 1)) % nents;
            fprintf(f, "%s\tE%llu\t%s\n", name, (unsigned long long)e1,
                    nc == 2 ? "0.4" : "0.3");
            if (nc == 3) {
                uint64_t e2 = (e1 + 1 + (h >> 24) % (nents - 2)) % nents;
                if (e2 == e0)
                    e2 = (e2 + 1) % nents;
                if (e2 == e1)
                    e2 = (e2 + 1) % nents;
                fprintf(f, "%s\tE%llu\t\n", name, (unsigned long long)e2);
            }
        }
    }
    return fclose(f) == 0 ? 0 : -1;
}

typedef struct job {
    const ner_kb *kb;
    uint64_t naliases;
    int variant;            /* 0 exact, 1 fold, 2 norm, 3 miss */
    long n;
    uint64_t seed;
    long found, cands;
    int bad;
    double cpu;             /* thread CPU seconds */
} job;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *run_job(void *p)
{
    job *j = p;
    ner_kb_candidates *c = NULL;
    if (ner_kb_candidates_new(&c) != NER_OK) {
        j->bad = 1;
        return NULL;
    }
    char name[80];
    double c0 = thread_cpu();
    for (long k = 0; k < j->n; k++) {
        uint64_t i = mix(j->seed + (uint64_t)k) % j->naliases;
        if (j->variant == 2)
            i = i - i % 16 + 5;     /* an alias with a hyphen */
        if (i >= j->naliases)
            i = 5;
        size_t len;
        if (j->variant == 3) {
            len = alias_name(i, name, 0);
            memcpy(name + len, " Qx", 4);   /* not an alias, at any level */
            len += 3;
        } else {
            len = alias_name(i, name, j->variant);
        }
        if (ner_kb_lookup(j->kb, name, len, NER_KB_MATCH_NORM, 30, c) != NER_OK) {
            j->bad = 1;
            break;
        }
        size_t n = ner_kb_candidates_count(c);
        j->found += n > 0;
        j->cands += (long)n;
        for (size_t q = 0; q < n; q++)
            (void)ner_kb_candidate_type(c, q);
    }
    j->cpu = thread_cpu() - c0;
    ner_kb_candidates_free(c);
    return NULL;
}

static double bench(const ner_kb *kb, uint64_t naliases, int variant, int threads,
                    long per_thread, double *hit_rate, double *cpu_us)
{
    pthread_t th[64];
    job jobs[64];
    double t0 = now();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){kb, naliases, variant, per_thread, 1000003ULL * (uint64_t)(t + 1)
                        + (uint64_t)variant, 0, 0, 0, 0};
        pthread_create(&th[t], NULL, run_job, &jobs[t]);
    }
    long found = 0, bad = 0;
    double cpu = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        found += jobs[t].found;
        bad += jobs[t].bad;
        cpu += jobs[t].cpu;
    }
    if (cpu_us)
        *cpu_us = 1e6 * cpu / (double)(per_thread * threads);
    double dt = now() - t0;
    if (bad)
        fprintf(stderr, "bench_kb: lookup failed\n");
    *hit_rate = (double)found / (double)(per_thread * threads);
    return (double)(per_thread * threads) / dt;
}

static long max_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static void progress(void *user, int level, const char *msg)
{
    (void)user;
    (void)level;
    fprintf(stderr, "  %s\n", msg);
}

int main(int argc, char **argv)
{
    uint64_t naliases = 10000000;
    const char *dir = "/tmp/ner_bench_kb";
    int threads = 2, keep = 0, reuse = 0;
    long lookups = 200000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--keep") == 0) keep = 1;
        else if (strcmp(a, "--reuse") == 0) reuse = keep = 1;
        else if (strcmp(a, "--aliases") == 0 && v) { naliases = strtoull(v, NULL, 10); i++; }
        else if (strcmp(a, "--dir") == 0 && v) { dir = v; i++; }
        else if (strcmp(a, "--threads") == 0 && v) { threads = atoi(v); i++; }
        else if (strcmp(a, "--lookups") == 0 && v) { lookups = atol(v); i++; }
        else {
            fprintf(stderr, "usage: bench_kb [--aliases N] [--dir DIR] [--threads N] "
                    "[--lookups N] [--keep] [--reuse]\n");
            return 2;
        }
    }
    if (naliases < 100 || threads < 1 || threads > 64 || lookups < 1) {
        fprintf(stderr, "bench_kb: bad arguments\n");
        return 2;
    }
    uint64_t nents = naliases / 5;
    char kbdir[512], path[600], ents[600], als[600];
    snprintf(kbdir, sizeof kbdir, "%s/kb", dir);
    snprintf(path, sizeof path, "%s/kb.sqlite", kbdir);
    snprintf(ents, sizeof ents, "%s/entities.jsonl", dir);
    snprintf(als, sizeof als, "%s/aliases.tsv", dir);
    struct stat sb;
    char err[NER_ERRBUF_SIZE] = "";
    double build_s = -1, gen_s = -1;
    if (!(reuse && stat(path, &sb) == 0)) {
        mkdir(dir, 0777);
        double t0 = now();
        if (generate(dir, naliases, nents) != 0) {
            fprintf(stderr, "bench_kb: cannot write the inputs in %s: %s\n", dir,
                    strerror(errno));
            return 1;
        }
        gen_s = now() - t0;
        fprintf(stderr, "generated %llu aliases over %llu entities in %.1f s\n",
                (unsigned long long)naliases, (unsigned long long)nents, gen_s);
        ner_kb_build_params p;
        ner_kb_build_params_init(&p, sizeof p);
        p.log = progress;
        t0 = now();
        int rc = ner_kb_build(ents, als, kbdir, &p, err, sizeof err);
        build_s = now() - t0;
        if (rc != NER_OK) {
            fprintf(stderr, "bench_kb: build failed: %s\n", err);
            return 1;
        }
    }
    long build_rss = max_rss_mb();
    struct stat kbst;
    stat(path, &kbst);
    /* load: the first open, then the mean of 20 */
    ner_kb *kb = NULL;
    double t0 = now();
    if (ner_kb_load(&kb, kbdir, err, sizeof err) != NER_OK) {
        fprintf(stderr, "bench_kb: load failed: %s\n", err);
        return 1;
    }
    double load_first = now() - t0;
    t0 = now();
    for (int k = 0; k < 20; k++) {
        ner_kb *k2 = NULL;
        if (ner_kb_load(&k2, kbdir, err, sizeof err) != NER_OK)
            return 1;
        ner_kb_free(k2);
    }
    double load_mean = (now() - t0) / 20;

    printf("KB of %llu aliases, %llu entities\n",
           (unsigned long long)ner_kb_alias_count(kb),
           (unsigned long long)ner_kb_entity_count(kb));
    if (build_s >= 0)
        printf("  build:  %.1f s (peak RSS %ld MB; generating the inputs: %.1f s)\n",
               build_s, build_rss, gen_s);
    printf("  file:   %.1f MB (%.0f bytes per alias)\n", (double)kbst.st_size / 1e6,
           (double)kbst.st_size / (double)naliases);
    printf("  load:   %.2f ms first, %.2f ms mean of 20\n", load_first * 1e3,
           load_mean * 1e3);
    /* warm up the page cache the way a long-running process would */
    double hr, cpu_us;
    bench(kb, naliases, 0, 1, lookups / 4, &hr, NULL);
    static const char *const names[] = {"exact hit", "case-folded hit",
                                        "normalised hit", "miss (3 levels)"};
    printf("  lookups/s:        1 thread  %2d threads  CPU us/lookup  (hit rate)\n",
           threads);
    for (int v = 0; v < 4; v++) {
        double r1 = bench(kb, naliases, v, 1, lookups, &hr, &cpu_us);
        double rn = bench(kb, naliases, v, threads, lookups, &hr, NULL);
        printf("  %-16s %9.0f  %10.0f  %13.1f  (%.3f)\n", names[v], r1, rn, cpu_us, hr);
    }
    ner_kb_free(kb);
    if (!keep) {
        remove(path);
        remove(ents);
        remove(als);
        rmdir(kbdir);
        rmdir(dir);
    }
    return 0;
}
