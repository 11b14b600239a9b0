/* ner evaluate: scores a pipeline on gold data; a table or --json. */
#include <jansson.h>
#include <string.h>
#include "cli.h"
#include "html.h"
#include "ner/ner_train.h"

static void log_stderr(void *user, int level, const char *msg)
{
    (void)user;
    fprintf(stderr, "%s%s\n", level <= NER_LOG_WARN ? "warning: " : "", msg);
}

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }
static long long integer(json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

static void print_span(const char *what, json_t *s)
{
    if (!json_is_object(s)) {
        printf("      %s: -\n", what);
        return;
    }
    printf("      %s: %-8s [%lld, %lld) \"%s\"\n", what,
           json_string_value(json_object_get(s, "label")), integer(s, "start"),
           integer(s, "end"), json_string_value(json_object_get(s, "text"))
               ? json_string_value(json_object_get(s, "text")) : "");
}

static void print_table(json_t *r)
{
    printf("%-16s %8s %8s %8s %7s %7s %7s\n", "label", "P", "R", "F", "tp", "fp", "fn");
    const char *lab;
    json_t *v;
    json_object_foreach(json_object_get(r, "ents_per_type"), lab, v)
        printf("%-16s %8.4f %8.4f %8.4f %7lld %7lld %7lld\n", lab, num(v, "p"), num(v, "r"),
               num(v, "f"), integer(v, "tp"), integer(v, "fp"), integer(v, "fn"));
    printf("%-16s %8.4f %8.4f %8.4f %7lld %7lld %7lld\n", "(micro)", num(r, "ents_p"),
           num(r, "ents_r"), num(r, "ents_f"), integer(r, "ents_tp"), integer(r, "ents_fp"),
           integer(r, "ents_fn"));
    printf("\n%lld docs, %lld tokens, %.2f s\n", integer(r, "docs"), integer(r, "tokens"),
           num(r, "seconds"));
    printf("\nerrors (each wrong prediction once; missing: gold entities no prediction touches)\n");
    json_t *errs = json_object_get(r, "errors"), *ex = json_object_get(r, "error_examples");
    json_object_foreach(errs, lab, v) {
        printf("  %-14s %lld\n", lab, (long long)json_integer_value(v));
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(ex, lab), i, e) {
            printf("    doc %lld, line %lld: ...%s...\n", integer(e, "doc"), integer(e, "line"),
                   json_string_value(json_object_get(e, "context"))
                       ? json_string_value(json_object_get(e, "context")) : "");
            print_span("gold", json_object_get(e, "gold"));
            print_span("pred", json_object_get(e, "pred"));
        }
    }
    json_t *conf = json_object_get(r, "confusion");
    /* the column labels: every predicted label seen */
    const char *cols[64];
    size_t nc = 0;
    json_object_foreach(conf, lab, v) {
        const char *pl;
        json_t *n;
        json_object_foreach(v, pl, n) {
            size_t k = 0;
            while (k < nc && strcmp(cols[k], pl) != 0)
                k++;
            if (k == nc && nc < 64)
                cols[nc++] = pl;
        }
    }
    /* keep "O" last */
    for (size_t k = 0; k + 1 < nc; k++)
        if (strcmp(cols[k], "O") == 0) {
            const char *t = cols[k];
            memmove(cols + k, cols + k + 1, (nc - k - 1) * sizeof *cols);
            cols[nc - 1] = t;
            break;
        }
    printf("\nconfusion (rows: gold, columns: predicted, O: none)\n%-12s", "");
    for (size_t k = 0; k < nc; k++)
        printf(" %8.8s", cols[k]);
    printf("\n");
    json_object_foreach(conf, lab, v) {
        printf("%-12.12s", lab);
        for (size_t k = 0; k < nc; k++)
            printf(" %8lld", integer(v, cols[k]));
        printf("\n");
    }
}

static int write_html(const char *path, json_t *r, const char *data, const char *model)
{
    FILE *f = r ? fopen(path, "wb") : NULL;
    if (!f) {
        cli_err(r ? "cannot create %s" : "out of memory writing %s", path);
        return 1;
    }
    html_write_report(f, r, data, model);
    int bad = ferror(f) != 0;
    bad |= fclose(f) != 0;
    if (bad)
        cli_err("write error on %s", path);
    return bad;
}

int cmd_evaluate(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *agg = NULL, *words = NULL, *html = NULL;
    const char *prec = NULL;
    int as_json = 0, examples_set = 0;
    ner_eval_params p;
    ner_eval_params_init(&p, sizeof p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--json") == 0) {
            as_json = 1;
            continue;
        }
        if (strcmp(a, "--gold-labels-only") == 0) {
            p.flags |= NER_EVAL_GOLD_LABELS;
            continue;
        }
        if (strcmp(a, "--sentences") == 0) {
            p.flags |= NER_EVAL_SENTENCES;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: ner evaluate [--model DIR] --data FILE [--format jsonl|conll]\n"
                   "                    [--threads N] [--examples N] [--json]\n"
                   "                    [--html report.html]   (also a page: per-label and\n"
                   "                     confusion tables, up to --examples (20) errors each)\n"
                   "                    [--gold-labels-only]   (score only the labels the data has)\n"
                   "                    [--sentences]   (column files: one text per sentence, not\n"
                   "                     per -DOCSTART- document; how BERT models are scored)\n"
                   "                    [--aggregation none|simple|first|average|max]\n"
                   "                    [--words wordpiece|whitespace]\n"
                   "                    [--precision f32|auto|bf16|int8]\n");
            return CLI_OK;
        }
        if (!v) {
            cli_err("%s needs a value (try ner evaluate --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--aggregation") == 0) agg = v;
        else if (strcmp(a, "--words") == 0) words = v;
        else if (strcmp(a, "--precision") == 0) prec = v;
        else if (strcmp(a, "--html") == 0) html = v;
        else if (strcmp(a, "--format") == 0) {
            if (cli_parse_format(v, &p.format) != CLI_OK)
                return CLI_USAGE;
        } else if (strcmp(a, "--threads") == 0 || strcmp(a, "--examples") == 0) {
            long n = cli_parse_count(v);
            if (n < 1 || n > 10000) {
                cli_err("%s takes a whole number from 1 to 10000, not %s", a, v);
                return CLI_USAGE;
            }
            if (a[2] == 't') p.n_threads = (uint32_t)n;
            else {
                p.max_examples = (uint32_t)n;
                examples_set = 1;
            }
        } else {
            cli_err("unknown argument %s (try ner evaluate --help)", a);
            return CLI_USAGE;
        }
        i++;
    }
    if (!data) {
        cli_err("ner evaluate needs --data FILE");
        return CLI_USAGE;
    }
    if (html && !examples_set)
        p.max_examples = 20;   /* a page has room for more than a terminal */
    ner_pipeline *pl = cli_load_bert_ex(model, agg, words, prec);
    if (!pl)
        return CLI_BAD_INPUT;
    p.log = log_stderr;
    char err[NER_ERRBUF_SIZE] = "";
    char *out = NULL;
    int rc = ner_evaluate(pl, data, &p, &out, err, sizeof err);
    ner_pipeline_free(pl);
    if (rc != NER_OK) {
        cli_err("%s (%s)", *err ? err : ner_strerror(rc), ner_strerror(rc));
        return CLI_BAD_INPUT;
    }
    int bad = 0;
    json_t *r = json_loads(out, 0, NULL);
    if (as_json)
        printf("%s\n", out);
    else if (r)
        print_table(r);
    if (html)
        bad = write_html(html, r, data, model);
    json_decref(r);
    ner_string_free(out);
    return bad ? CLI_BAD_INPUT : CLI_OK;
}
