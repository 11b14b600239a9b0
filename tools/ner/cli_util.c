#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "progress.h"

void cli_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_progress_clear(NULL);   /* a message never lands inside the bar */
    fputs("ner: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

ner_pipeline *cli_load(const char *model)
{
    char err[NER_ERRBUF_SIZE] = "";
    ner_pipeline *pl = NULL;
    int rc = ner_pipeline_load(&pl, model, NULL, err, sizeof err);
    if (rc != NER_OK) {
        cli_err("cannot load %s: %s (%s)", model ? model : "the default pipeline",
                err, ner_strerror(rc));
        return NULL;
    }
    return pl;
}

long cli_parse_count(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 1 || v > 1000000)
        return -1;
    return v;
}

static int model_and_text(int argc, char **argv, const char **model, char **text,
                          const char **agg, const char **words, const char **prec)
{
    *model = NULL;
    *text = NULL;
    *agg = *words = *prec = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--aggregation") == 0 || strcmp(argv[i], "--words") == 0 ||
            strcmp(argv[i], "--precision") == 0) {
            if (i + 1 >= argc) {
                cli_err("%s needs a value", argv[i]);
                return CLI_USAGE;
            }
            *(argv[i][2] == 'a' ? agg : argv[i][2] == 'w' ? words : prec) = argv[i + 1];
            i++;
        } else if (strcmp(argv[i], "--model") == 0) {
            if (i + 1 >= argc) {
                cli_err("--model needs a folder");
                return CLI_USAGE;
            }
            *model = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strncmp(argv[i], "--", 2) == 0) {
            cli_err("unknown option %s (try ner --help)", argv[i]);
            return CLI_USAGE;
        } else {
            break;
        }
    }
    if (i >= argc) {
        cli_err("no text given (try ner --help)");
        return CLI_USAGE;
    }
    size_t n = 0;
    for (int k = i; k < argc; k++)
        n += strlen(argv[k]) + 1;
    char *t = malloc(n);
    if (!t) {
        cli_err("out of memory");
        return CLI_BAD_INPUT;
    }
    size_t pos = 0;
    for (int k = i; k < argc; k++) {
        size_t l = strlen(argv[k]);
        memcpy(t + pos, argv[k], l);
        pos += l;
        t[pos++] = k + 1 < argc ? ' ' : '\0';
    }
    *text = t;
    return CLI_OK;
}

int cli_process_args(int argc, char **argv, ner_pipeline **pl, ner_doc **doc)
{
    const char *model, *agg, *words, *prec;
    char *text;
    *pl = NULL;
    *doc = NULL;
    int rc = model_and_text(argc, argv, &model, &text, &agg, &words, &prec);
    if (rc != CLI_OK)
        return rc;
    *pl = cli_load_bert_ex(model, agg, words, prec);
    if (!*pl) {
        free(text);
        return CLI_BAD_INPUT;
    }
    char err[NER_ERRBUF_SIZE] = "";
    int st = ner_pipeline_process(*pl, text, strlen(text), doc, err, sizeof err);
    free(text);
    if (st != NER_OK) {
        cli_err("%s (%s)", err, ner_strerror(st));
        ner_pipeline_free(*pl);
        *pl = NULL;
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
