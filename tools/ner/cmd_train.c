/* ner train: trains a tagger and writes DIR/model-best and DIR/model-last. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "progress.h"
#include "ner/ner_train.h"

static void log_stderr(void *user, int level, const char *msg)
{
    (void)user;
    const char *tag = level == NER_LOG_ERROR ? "error: " : level == NER_LOG_WARN ? "warning: " : "";
    cli_progress_clear(NULL);
    fprintf(stderr, "%s%s\n", tag, msg);
    fflush(stderr);
}

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    cli_progress_update(user, done, total);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

int cli_parse_format(const char *v, uint32_t *out)
{
    if (strcmp(v, "jsonl") == 0) *out = NER_FORMAT_JSONL;
    else if (strcmp(v, "conll") == 0) *out = NER_FORMAT_CONLL;
    else if (strcmp(v, "auto") == 0) *out = NER_FORMAT_AUTO;
    else {
        cli_err("--format takes jsonl, conll or auto, not %s", v);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cmd_train(int argc, char **argv)
{
    const char *train = NULL, *dev = NULL, *out = NULL, *config = NULL, *base = NULL;
    ner_train_params p;
    ner_train_params_init(&p, sizeof p);
    int progress = PROGRESS_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_progress_flag(a, &progress))
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: ner train --train FILE --dev FILE --output DIR [--config FILE]\n"
                   "                 [--base DIR] [--format jsonl|conll] [--threads N]\n"
                   "                 [--progress|--no-progress]\n"
                   "Trains the statistical tagger; writes DIR/model-best, DIR/model-last\n"
                   "and DIR/training.json.  `ner init config` prints the config.\n");
            return CLI_OK;
        }
        if (!v) {
            cli_err("%s needs a value (try ner train --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--train") == 0) train = v;
        else if (strcmp(a, "--dev") == 0) dev = v;
        else if (strcmp(a, "--output") == 0) out = v;
        else if (strcmp(a, "--config") == 0) config = v;
        else if (strcmp(a, "--base") == 0) base = v;
        else if (strcmp(a, "--format") == 0) {
            if (cli_parse_format(v, &p.format) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(a, "--threads") == 0) {
            long n = cli_parse_count(v);
            if (n < 1 || n > 256) {
                cli_err("--threads takes a whole number from 1 to 256, not %s", v);
                return CLI_USAGE;
            }
            p.n_threads = (uint32_t)n;
        } else {
            cli_err("unknown argument %s (try ner train --help)", a);
            return CLI_USAGE;
        }
        i++;
    }
    if (!train || !out) {
        cli_err("ner train needs --train FILE and --output DIR (and --dev FILE for "
                "early stopping)");
        return CLI_USAGE;
    }
    char *cfg = NULL;
    if (config && !(cfg = read_all(config))) {
        cli_err("cannot read the config %s", config);
        return CLI_BAD_INPUT;
    }
    p.log = log_stderr;
    cli_progress prog;
    cli_progress_start(&prog, progress, "ner train", "examples", 0);
    if (prog.mode) {
        p.progress = on_progress;
        p.progress_user = &prog;
    }
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_train(train, dev, out, cfg, base, &p, err, sizeof err);
    cli_progress_finish(&prog);
    free(cfg);
    if (rc != NER_OK) {
        cli_err("training failed: %s (%s)", *err ? err : ner_strerror(rc), ner_strerror(rc));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
