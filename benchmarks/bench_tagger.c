/* Throughput of a whole pipeline (default: the shipped English one) on the
 * sentences of a column file, each sentence's tokens joined by spaces and
 * processed as one text, with 1 and 2 (or --threads N) threads.
 *
 *   bench_tagger [--model DIR] [--data FILE] [--threads N] [--repeat R]
 *
 * FILE defaults to $LIBNER_SHARED_DIR/data/conll2003/eng.testa (the CoNLL
 * dev split).  Prints sentences/s, tokens/s and entities found.  Public
 * API only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ner/ner.h"

static double now_sec(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Sentences of a column file: the first column of each token line. */
static char **read_sentences(const char *path, size_t *n_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char **v = NULL;
    size_t n = 0, cap = 0;
    char line[4096];
    char *cur = NULL;
    size_t cur_len = 0;
    for (;;) {
        char *ok = fgets(line, sizeof line, f);
        size_t l = ok ? strlen(line) : 0;
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = '\0';
        size_t w = strcspn(line, " \t");
        int blank = !ok || strspn(line, " \t") == l;
        int doc = ok && strncmp(line, "-DOCSTART-", 10) == 0;
        if ((blank || doc) && cur) {
            if (n == cap) {
                cap = cap ? cap * 2 : 1024;
                v = realloc(v, cap * sizeof *v);
            }
            v[n++] = cur;
            cur = NULL;
            cur_len = 0;
        }
        if (!ok)
            break;
        if (blank || doc)
            continue;
        cur = realloc(cur, cur_len + w + 2);
        if (cur_len)
            cur[cur_len++] = ' ';
        memcpy(cur + cur_len, line, w);
        cur_len += w;
        cur[cur_len] = '\0';
    }
    fclose(f);
    *n_out = n;
    return v;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *data = NULL;
    int max_threads = 2, repeat = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0) model = argv[i + 1];
        else if (strcmp(argv[i], "--data") == 0) data = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0) max_threads = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--repeat") == 0) repeat = atoi(argv[i + 1]);
    }
    char defpath[4096];
    if (!data) {
        const char *sh = getenv("LIBNER_SHARED_DIR");
        snprintf(defpath, sizeof defpath, "%s/data/conll2003/eng.testa", sh ? sh : "../shared");
        data = defpath;
    }
    size_t n = 0;
    char **sents = read_sentences(data, &n);
    if (!sents || !n) {
        fprintf(stderr, "bench_tagger: cannot read sentences from %s\n", data);
        return 1;
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    if (ner_pipeline_load(&pl, model, NULL, err, sizeof err) != NER_OK) {
        fprintf(stderr, "bench_tagger: %s\n", err);
        return 1;
    }
    printf("pipeline:");
    for (size_t i = 0; i < ner_pipeline_component_count(pl); i++)
        printf(" %s", ner_pipeline_component_name(pl, i));
    printf("\ndata: %s, %zu sentences\n", data, n);
    ner_doc **docs = calloc(n, sizeof *docs);
    for (int t = 1; t <= max_threads; t++) {
        ner_batch_params bp;
        ner_batch_params_init(&bp, sizeof bp);
        bp.n_threads = (uint32_t)t;
        bp.batch_size = 256;
        double best = 1e30;
        size_t toks = 0, ents = 0;
        for (int r = 0; r < repeat; r++) {
            double t0 = now_sec();
            if (ner_pipeline_process_batch(pl, (const char *const *)sents, NULL, n, docs,
                                           &bp, err, sizeof err) != NER_OK) {
                fprintf(stderr, "bench_tagger: %s\n", err);
                return 1;
            }
            double dt = now_sec() - t0;
            if (dt < best)
                best = dt;
            toks = ents = 0;
            for (size_t i = 0; i < n; i++) {
                toks += ner_doc_token_count(docs[i]);
                ents += ner_ents_count(ner_doc_ents(docs[i]));
                ner_doc_free(docs[i]);
            }
        }
        printf("threads %d: %.0f sentences/s, %.0f tokens/s (%.3f s for %zu sentences, "
               "%zu tokens, %zu entities; best of %d)\n", t, (double)n / best,
               (double)toks / best, best, n, toks, ents, repeat);
    }
    free(docs);
    for (size_t i = 0; i < n; i++)
        free(sents[i]);
    free(sents);
    ner_pipeline_free(pl);
    return 0;
}
