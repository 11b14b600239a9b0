/* ner run: documents in (text lines or JSONL), JSONL or TSV out, in input
 * order, processed in batches on threads. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "progress.h"

typedef struct run_opts {
    const char *model, *input, *output, *kb, *aggregation, *words, *precision;
    int jsonl_in, tsv_out, spans;
    int progress;      /* PROGRESS_AUTO, 0 or 1 */
    uint32_t threads, batch;
} run_opts;

typedef struct line_rec {
    char *line;        /* the input line, owned */
    size_t len;
    size_t lineno;
    json_t *obj;       /* JSONL input object, NULL for text input */
    const char *text;  /* borrowed from line or obj */
    size_t text_len;
    char *error;       /* a bad input line's message, owned */
} line_rec;

static int parse_opts(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->batch = 64;
    o->progress = PROGRESS_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--spans") == 0) {
            o->spans = 1;   /* a flag: no value */
            continue;
        }
        if (cli_progress_flag(a, &o->progress))
            continue;
        if (strcmp(a, "--model") == 0 && v) o->model = v;
        else if (strcmp(a, "--input") == 0 && v) o->input = v;
        else if (strcmp(a, "--output") == 0 && v) o->output = v;
        else if (strcmp(a, "--kb") == 0 && v) o->kb = v;
        else if (strcmp(a, "--aggregation") == 0 && v) o->aggregation = v;
        else if (strcmp(a, "--words") == 0 && v) o->words = v;
        else if (strcmp(a, "--precision") == 0 && v) o->precision = v;
        else if (strcmp(a, "--input-format") == 0 && v) {
            if (strcmp(v, "jsonl") == 0) o->jsonl_in = 1;
            else if (strcmp(v, "text") != 0) {
                cli_err("--input-format takes text or jsonl, not %s", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--format") == 0 && v) {
            if (strcmp(v, "tsv") == 0) o->tsv_out = 1;
            else if (strcmp(v, "jsonl") != 0) {
                cli_err("--format takes jsonl or tsv, not %s", v);
                return CLI_USAGE;
            }
        } else if ((strcmp(a, "--threads") == 0 || strcmp(a, "--batch-size") == 0) && v) {
            long n = cli_parse_count(v);
            if (n < 1 || n > 4096) {
                cli_err("%s takes a whole number from 1 to 4096, not %s", a, v);
                return CLI_USAGE;
            }
            if (a[2] == 't') o->threads = (uint32_t)n;
            else o->batch = (uint32_t)n;
        } else {
            static const char *const known[] = {"--model", "--input", "--output",
                "--input-format", "--format", "--threads", "--batch-size", "--kb",
                "--aggregation", "--words", "--precision"};
            int is_known = 0;
            for (size_t k = 0; k < sizeof known / sizeof *known; k++)
                is_known |= strcmp(a, known[k]) == 0;
            cli_err(is_known ? "%s needs a value" : "unknown argument %s (try ner --help)", a);
            return CLI_USAGE;
        }
        i++;
    }
    return CLI_OK;
}

static void prepare(line_rec *r, int jsonl)
{
    if (!jsonl) {
        r->text = r->line;
        r->text_len = r->len;
        return;
    }
    json_error_t je;
    r->obj = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES, &je);
    char msg[600];
    if (!r->obj) {
        snprintf(msg, sizeof msg, "line %zu, column %d: malformed JSON: %s",
                 r->lineno, je.column, je.text);
    } else if (!json_is_object(r->obj)) {
        snprintf(msg, sizeof msg, "line %zu: expected a JSON object", r->lineno);
    } else if (!json_is_string(json_object_get(r->obj, "text"))) {
        snprintf(msg, sizeof msg, "line %zu: no \"text\" string field", r->lineno);
    } else {
        json_t *t = json_object_get(r->obj, "text");
        r->text = json_string_value(t);
        r->text_len = json_string_length(t);
        return;
    }
    r->error = strdup(msg);
    r->text = "";
    r->text_len = 0;
}

/* --spans: the doc's span groups as the doc JSON has them (ner.h). */
static void add_spans(json_t *obj, const ner_doc *doc)
{
    char *js = NULL;
    if (ner_doc_to_json(doc, NER_JSON_SPANS, &js, NULL) != NER_OK)
        return;
    json_t *d = json_loads(js, 0, NULL);
    ner_string_free(js);
    json_t *g = json_object_get(d, "spans");
    if (g)
        json_object_set(obj, "spans", g);
    json_decref(d);
}

/* The lines left in a regular file from its current offset (a last line
 * without its line feed counts), read with pread so the stream is left as
 * it is; 0 (unknown) for pipes and terminals. */
static uint64_t count_lines(FILE *in)
{
    int fd = fileno(in);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    off_t off = ftello(in);
    if (off < 0)
        return 0;
    static char buf[1 << 16];
    uint64_t n = 0;
    char last = '\n';
    ssize_t got;
    while ((got = pread(fd, buf, sizeof buf, off)) > 0) {
        for (ssize_t i = 0; i < got; i++)
            n += buf[i] == '\n';
        last = buf[got - 1];
        off += got;
    }
    return n + (last != '\n');
}

/* Writes one output record; returns 1 when the line was bad input. */
static int emit(FILE *out, const run_opts *o, line_rec *r, ner_doc *doc)
{
    int bad = r->error != NULL || !doc || ner_doc_status(doc) != NER_OK;
    char msg[700];
    if (bad) {
        if (r->error)
            snprintf(msg, sizeof msg, "%s", r->error);
        else
            snprintf(msg, sizeof msg, "line %zu: %s", r->lineno,
                     doc ? ner_doc_errmsg(doc) : "out of memory");
        cli_err("%s", msg);
    }
    if (o->tsv_out) {
        if (bad)
            return 1;
        const ner_ents *ents = ner_doc_ents(doc);
        for (size_t i = 0; i < ner_ents_count(ents); i++) {
            const ner_span *s = ner_ents_get(ents, i);
            size_t n;
            const char *t = ner_span_text(s, &n);
            fprintf(out, "%zu\t%.*s\t%s\t%zu\t%zu\n", r->lineno, (int)n, t,
                    ner_span_label(s), ner_span_start_char(s), ner_span_end_char(s));
        }
        return 0;
    }
    json_t *obj = r->obj ? json_incref(r->obj) : json_object();
    if (bad) {
        json_object_set_new(obj, "line", json_integer((json_int_t)r->lineno));
        json_object_set_new(obj, "error", json_string(msg));
    } else {
        if (!r->obj)
            json_object_set_new(obj, "text", json_stringn(r->text, r->text_len));
        json_object_set_new(obj, "ents", cli_ents_json(doc, 0));
        if (o->spans)
            add_spans(obj, doc);
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(obj);
    if (s) {
        fputs(s, out);
        fputc('\n', out);
        free(s);
    }
    return bad;
}

int cmd_run(int argc, char **argv)
{
    run_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc != CLI_OK)
        return rc;
    FILE *in = o.input ? fopen(o.input, "rb") : stdin;
    if (!in) {
        cli_err("cannot open %s", o.input);
        return CLI_BAD_INPUT;
    }
    FILE *out = o.output ? fopen(o.output, "wb") : stdout;
    if (!out) {
        cli_err("cannot create %s", o.output);
        if (in != stdin) fclose(in);
        return CLI_BAD_INPUT;
    }
    if (o.kb && (o.aggregation || o.words || o.precision)) {
        cli_err("--aggregation, --words and --precision do not combine with --kb");
        if (in != stdin) fclose(in);
        if (out != stdout) fclose(out);
        return CLI_USAGE;
    }
    ner_pipeline *pl = o.kb ? cli_load_kb(o.model, o.kb)
                            : cli_load_bert_ex(o.model, o.aggregation, o.words,
                                                             o.precision);
    if (!pl) {
        if (in != stdin) fclose(in);
        if (out != stdout) fclose(out);
        return CLI_BAD_INPUT;
    }
    cli_progress prog;
    cli_progress_start(&prog, o.progress, "ner run", "lines", 0);
    if (prog.mode)
        cli_progress_update(&prog, 0, count_lines(in));
    ner_batch_params bp;
    ner_batch_params_init(&bp, sizeof bp);
    bp.n_threads = o.threads;
    bp.batch_size = o.batch;
    /* Read a window of lines big enough to keep every thread busy. */
    size_t window = (size_t)o.batch * o.threads * 4;
    line_rec *recs = calloc(window, sizeof *recs);
    const char **texts = calloc(window, sizeof *texts);
    size_t *lens = calloc(window, sizeof *lens);
    ner_doc **docs = calloc(window, sizeof *docs);
    int any_bad = 0, eof = 0;
    size_t lineno = 0;
    if (!recs || !texts || !lens || !docs) {
        cli_err("out of memory");
        any_bad = 1;
        eof = 1;
    }
    while (!eof) {
        size_t n = 0;
        while (n < window) {
            char *line = NULL;
            size_t cap = 0;
            ssize_t got = getline(&line, &cap, in);
            if (got < 0) {
                free(line);
                eof = 1;
                break;
            }
            size_t len = (size_t)got;
            if (len && line[len - 1] == '\n') len--;
            if (len && line[len - 1] == '\r') len--;
            line[len] = '\0';
            line_rec *r = &recs[n++];
            memset(r, 0, sizeof *r);
            r->line = line;
            r->len = len;
            r->lineno = ++lineno;
            prepare(r, o.jsonl_in);
            texts[n - 1] = r->text;
            lens[n - 1] = r->text_len;
        }
        if (n == 0)
            break;
        char err[NER_ERRBUF_SIZE] = "";
        int st = ner_pipeline_process_batch(pl, texts, lens, n, docs, &bp, err, sizeof err);
        if (st == NER_ENOMEM) {
            cli_err("%s", err);
            any_bad = 1;
            eof = 1;
        }
        for (size_t i = 0; i < n; i++) {
            if (st != NER_ENOMEM)
                any_bad |= emit(out, &o, &recs[i], docs[i]);
            ner_doc_free(docs[i]);
            docs[i] = NULL;
            free(recs[i].line);
            free(recs[i].error);
            json_decref(recs[i].obj);
        }
        cli_progress_update(&prog, lineno, 0);
    }
    cli_progress_finish(&prog);
    if (ferror(in)) {
        cli_err("read error on %s", o.input ? o.input : "standard input");
        any_bad = 1;
    }
    if (fflush(out) != 0 || ferror(out)) {
        cli_err("write error on %s", o.output ? o.output : "standard output");
        any_bad = 1;
    }
    free(recs);
    free(texts);
    free(lens);
    free(docs);
    ner_pipeline_free(pl);
    if (in != stdin) fclose(in);
    if (out != stdout) fclose(out);
    return any_bad ? CLI_BAD_INPUT : CLI_OK;
}
