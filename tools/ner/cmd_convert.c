/* ner convert: column files <-> JSONL. */
#include <string.h>
#include "cli.h"
#include "ner/ner_train.h"

static void log_stderr(void *user, int level, const char *msg)
{
    (void)user;
    fprintf(stderr, "%s%s\n", level <= NER_LOG_WARN ? "warning: " : "", msg);
}

int cmd_convert(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    ner_convert_params p;
    ner_convert_params_init(&p, sizeof p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--per-doc") == 0) {
            p.flags |= NER_CONVERT_DOCS;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: ner convert --input FILE --output FILE --to jsonl|conll\n"
                   "                   [--scheme iob1|iob2|bilou|bioes] [--model DIR]\n"
                   "                   [--align strict|contract|expand] [--per-doc]\n");
            return CLI_OK;
        }
        if (!v) {
            cli_err("%s needs a value (try ner convert --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--input") == 0) in = v;
        else if (strcmp(a, "--output") == 0) out = v;
        else if (strcmp(a, "--model") == 0) p.model_dir = v;
        else if (strcmp(a, "--to") == 0) {
            if (strcmp(v, "jsonl") == 0) p.to_format = NER_FORMAT_JSONL;
            else if (strcmp(v, "conll") == 0) p.to_format = NER_FORMAT_CONLL;
            else {
                cli_err("--to takes jsonl or conll, not %s", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--from") == 0) {
            if (cli_parse_format(v, &p.from_format) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(a, "--scheme") == 0) {
            if (strcmp(v, "iob1") == 0) p.scheme = NER_SCHEME_IOB1;
            else if (strcmp(v, "iob2") == 0 || strcmp(v, "bio") == 0) p.scheme = NER_SCHEME_IOB2;
            else if (strcmp(v, "bilou") == 0) p.scheme = NER_SCHEME_BILOU;
            else if (strcmp(v, "bioes") == 0) p.scheme = NER_SCHEME_BIOES;
            else {
                cli_err("--scheme takes iob1, iob2, bilou or bioes, not %s", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--align") == 0) {
            if (strcmp(v, "strict") == 0) p.align = 0;
            else if (strcmp(v, "contract") == 0) p.align = 1;
            else if (strcmp(v, "expand") == 0) p.align = 2;
            else {
                cli_err("--align takes strict, contract or expand, not %s", v);
                return CLI_USAGE;
            }
        } else {
            cli_err("unknown argument %s (try ner convert --help)", a);
            return CLI_USAGE;
        }
        i++;
    }
    if (!in || !out) {
        cli_err("ner convert needs --input FILE and --output FILE");
        return CLI_USAGE;
    }
    p.log = log_stderr;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_convert(in, out, &p, err, sizeof err);
    if (rc != NER_OK) {
        cli_err("%s (%s)", *err ? err : ner_strerror(rc), ner_strerror(rc));
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
