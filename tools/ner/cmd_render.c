/* ner render: JSONL docs (what `ner run` writes) to one HTML page with the
 * entities highlighted.  A line with "text" and no "ents" (or "entities")
 * is run through the pipeline first. */
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "html.h"

static const char render_usage[] =
    "usage: ner render [--input FILE] [--output FILE] [--model DIR] [--title TEXT]\n"
    "\n"
    "Reads JSONL, one doc per line, as `ner run` writes it: {\"text\", \"ents\":\n"
    "[{\"start\", \"end\", \"label\", \"score\", \"kb_id\"}], \"spans\": {group: [...]}}\n"
    "(code-point offsets; training JSONL's \"entities\": [[start, end, label]] too),\n"
    "and writes one self-contained HTML page: each entity marked in place, one\n"
    "colour per label, score and kb_id on hover, span groups drawn beneath.\n"
    "A line without \"ents\" or \"entities\" is processed with --model DIR (default:\n"
    "the embedded pipeline), span groups included.  Standard input and output\n"
    "by default.\n";

typedef struct render_ctx {
    const char *model;
    ner_pipeline *pl;   /* loaded at the first line that needs it */
    int pl_failed;
} render_ctx;

/* The doc JSON of text, processed by the pipeline; NULL after printing why. */
static json_t *process(render_ctx *c, const char *text, size_t len, size_t lineno)
{
    if (!c->pl && !c->pl_failed) {
        c->pl = cli_load(c->model);
        c->pl_failed = c->pl == NULL;
    }
    if (!c->pl)
        return NULL;
    char err[NER_ERRBUF_SIZE] = "";
    ner_doc *doc = NULL;
    int st = ner_pipeline_process(c->pl, text, len, &doc, err, sizeof err);
    char *js = NULL;
    if (st == NER_OK)
        st = ner_doc_to_json(doc, NER_JSON_SPANS, &js, NULL);
    ner_doc_free(doc);
    if (st != NER_OK) {
        cli_err("line %zu: %s (%s)", lineno, *err ? err : ner_strerror(st), ner_strerror(st));
        return NULL;
    }
    json_t *j = json_loads(js, 0, NULL);
    ner_string_free(js);
    if (!j)
        cli_err("line %zu: out of memory", lineno);
    return j;
}

static void error_section(FILE *f, size_t lineno, const char *msg)
{
    fprintf(f, "<section class=\"doc error\" id=\"doc-%zu\" data-line=\"%zu\">"
               "<div class=\"error\">line %zu: ", lineno, lineno, lineno);
    html_escape_str(f, msg);
    fputs("</div></section>\n", f);
}

/* Renders one input line into body; 1 when it was bad input. */
static int render_line(FILE *body, render_ctx *c, const char *line, size_t len,
                       size_t lineno, html_legend *legend, size_t *n_docs)
{
    json_error_t je;
    char msg[700];
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        if (o)
            snprintf(msg, sizeof msg, "expected a JSON object");
        else
            snprintf(msg, sizeof msg, "column %d: malformed JSON: %s (ner render reads "
                     "JSONL; for plain text, ner run first)", je.column, je.text);
        json_decref(o);
        cli_err("line %zu: %s", lineno, msg);
        error_section(body, lineno, msg);
        return 1;
    }
    if (!json_object_get(o, "text") && json_is_string(json_object_get(o, "error"))) {
        /* `ner run`'s record of a bad input line: shown, already reported */
        error_section(body, lineno, json_string_value(json_object_get(o, "error")));
        json_decref(o);
        return 0;
    }
    json_t *t = json_object_get(o, "text");
    if (json_is_string(t) && !json_object_get(o, "ents") && !json_object_get(o, "entities")) {
        json_t *d = process(c, json_string_value(t), json_string_length(t), lineno);
        json_decref(o);
        if (!d) {
            error_section(body, lineno, "could not be processed");
            return 1;
        }
        o = d;
    }
    int bad = html_render_doc(body, o, lineno, legend, msg, sizeof msg) != 0;
    if (bad) {
        cli_err("line %zu: %s", lineno, msg);
        error_section(body, lineno, msg);
    } else {
        (*n_docs)++;
    }
    json_decref(o);
    return bad;
}

int cmd_render(int argc, char **argv)
{
    const char *input = NULL, *output = NULL, *title = NULL;
    render_ctx c = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(render_usage, stdout);
            return CLI_OK;
        }
        if (!v) {
            cli_err("%s needs a value (try ner render --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--input") == 0) input = v;
        else if (strcmp(a, "--output") == 0) output = v;
        else if (strcmp(a, "--model") == 0) c.model = v;
        else if (strcmp(a, "--title") == 0) title = v;
        else {
            cli_err("unknown argument %s (try ner render --help)", a);
            return CLI_USAGE;
        }
        i++;
    }
    FILE *in = input ? fopen(input, "rb") : stdin;
    if (!in) {
        cli_err("cannot open %s", input);
        return CLI_BAD_INPUT;
    }
    /* The body goes to memory first: the legend above it needs every label. */
    char *body_buf = NULL;
    size_t body_len = 0;
    FILE *body = open_memstream(&body_buf, &body_len);
    if (!body) {
        cli_err("out of memory");
        if (in != stdin) fclose(in);
        return CLI_BAD_INPUT;
    }
    html_legend legend = {0};
    size_t lineno = 0, n_docs = 0;
    int any_bad = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, in)) >= 0) {
        size_t len = (size_t)got;
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;   /* blank lines separate nothing */
        any_bad |= render_line(body, &c, line, len, lineno, &legend, &n_docs);
    }
    free(line);
    if (ferror(in)) {
        cli_err("read error on %s", input ? input : "standard input");
        any_bad = 1;
    }
    if (in != stdin) fclose(in);
    ner_pipeline_free(c.pl);
    int mem_bad = fclose(body) != 0;
    FILE *out = output ? fopen(output, "wb") : stdout;
    if (mem_bad || !out) {
        cli_err(mem_bad ? "out of memory" : "cannot create %s", output);
        free(body_buf);
        html_legend_free(&legend);
        return CLI_BAD_INPUT;
    }
    char def_title[300];
    snprintf(def_title, sizeof def_title, "Entities in %s",
             input ? input : "standard input");
    html_page_begin(out, title ? title : def_title);
    fprintf(out, "<p class=\"summary\">%zu docs</p>\n", n_docs);
    html_legend_write(out, &legend);
    fwrite(body_buf, 1, body_len, out);
    html_page_end(out);
    free(body_buf);
    html_legend_free(&legend);
    int wbad = fflush(out) != 0 || ferror(out);
    if (out != stdout)
        wbad |= fclose(out) != 0;
    if (wbad) {
        cli_err("write error on %s", output ? output : "standard output");
        any_bad = 1;
    }
    return any_bad ? CLI_BAD_INPUT : CLI_OK;
}
