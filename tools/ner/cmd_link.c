/* ner link: entity linking for mentions the user already has.  Also the
 * pipeline with a linker that `ner run --kb DIR` uses. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "ner/ner_component.h"
#include "ner/ner_kb.h"

ner_pipeline *cli_load_kb(const char *model, const char *kb)
{
    const char *dir = model ? model : ner_default_pipeline_dir();
    if (!dir) {
        cli_err("no default pipeline found; give --model");
        return NULL;
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    int rc = ner_builder_from_dir(&b, dir, err, sizeof err);
    if (rc == NER_OK) {
        ner_add_params p;
        ner_add_params_init(&p, sizeof p);
        p.dir = kb;
        /* a model that has a linker already gets a second one for --kb */
        rc = ner_builder_add(b, "entity_linker", NULL, &p, err, sizeof err);
        if (rc == NER_EEXIST) {
            p.name = "kb_linker";
            rc = ner_builder_add(b, "entity_linker", NULL, &p, err, sizeof err);
        }
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, &pl, err, sizeof err);
    ner_builder_free(b);
    if (rc != NER_OK) {
        cli_err("cannot load %s with the knowledge base %s: %s (%s)", dir, kb, err,
                ner_strerror(rc));
        return NULL;
    }
    return pl;
}

/* The tokenizer of the model folder (every other component removed: the
 * mentions come from the input), or the built-in English one. */
static ner_pipeline *load_tokenizer(const char *model)
{
    char err[NER_ERRBUF_SIZE] = "";
    ner_builder *b = NULL;
    ner_pipeline *pl = NULL;
    int rc;
    if (!model) {
        rc = ner_builder_new(&b, "en", err, sizeof err);
    } else {
        rc = ner_builder_from_dir(&b, model, err, sizeof err);
        size_t n = strlen(model);
        char *pj = malloc(n + 16);
        if (pj && rc == NER_OK) {
            memcpy(pj, model, n);
            strcpy(pj + n, "/pipeline.json");
            json_t *root = json_load_file(pj, 0, NULL);
            size_t i;
            json_t *c;
            json_array_foreach(json_object_get(root, "components"), i, c) {
                const char *f = json_string_value(json_object_get(c, "factory"));
                const char *nm = json_string_value(json_object_get(c, "name"));
                if (f && strcmp(f, "tokenizer") != 0)
                    ner_builder_remove(b, nm ? nm : f);
            }
            json_decref(root);
        }
        free(pj);
    }
    if (rc == NER_OK)
        rc = ner_builder_build(b, &pl, err, sizeof err);
    ner_builder_free(b);
    if (rc != NER_OK) {
        cli_err("cannot load %s: %s (%s)", model ? model : "the English tokenizer",
                err, ner_strerror(rc));
        return NULL;
    }
    return pl;
}

static const char usage[] =
    "usage: ner link --kb DIR [--model DIR] [--config JSON|FILE] [--input FILE]\n"
    "                [--output FILE]\n"
    "Reads JSONL lines {\"text\", \"entities\": [[start, end, label], ...]} (code\n"
    "points; the label may be \"\") and writes each line back with the entities\n"
    "as objects {\"start\", \"end\", \"label\", \"text\", \"kb_id\", \"kb_score\"}, in\n"
    "the same order (kb_id null: NIL).  --model: the pipeline whose tokenizer\n"
    "splits the texts (default: the built-in English rules).  --config: the\n"
    "entity_linker settings (see ner_kb.h).\n";

/* Links one input line; returns the output object or NULL with *msg set. */
static json_t *link_line(const ner_pipeline *tok, const ner_linker *lk,
                         const char *line, size_t len, size_t lineno, char *msg,
                         size_t msglen)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        snprintf(msg, msglen, "line %zu, column %d: malformed JSON: %s", lineno,
                 je.column, je.text);
        return NULL;
    }
    json_t *jt = json_object_get(o, "text");
    const char *key = json_object_get(o, "entities") ? "entities" : "spans";
    json_t *ents = json_object_get(o, key);
    if (!json_is_object(o) || !json_is_string(jt)) {
        snprintf(msg, msglen, "line %zu: expected an object with a \"text\" string",
                 lineno);
        json_decref(o);
        return NULL;
    }
    if (ents && !json_is_array(ents) && !json_is_null(ents)) {
        snprintf(msg, msglen, "line %zu: \"%s\" must be a list", lineno, key);
        json_decref(o);
        return NULL;
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_doc *doc = NULL;
    int rc = ner_pipeline_process(tok, json_string_value(jt), json_string_length(jt),
                                  &doc, err, sizeof err);
    if (rc != NER_OK) {
        snprintf(msg, msglen, "line %zu: %s", lineno, err);
        json_decref(o);
        return NULL;
    }
    size_t nchars = ner_doc_length_chars(doc), tlen;
    const char *text = ner_doc_text(doc, &tlen);
    json_t *outents = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(ents, i, e) {
        json_t *js, *je2, *jl;
        if (json_is_array(e)) {
            js = json_array_get(e, 0);
            je2 = json_array_get(e, 1);
            jl = json_array_get(e, 2);
        } else {
            js = json_object_get(e, "start");
            je2 = json_object_get(e, "end");
            jl = json_object_get(e, "label");
        }
        json_int_t s = json_integer_value(js), t = json_integer_value(je2);
        if (!json_is_integer(js) || !json_is_integer(je2) ||
            (jl && !json_is_string(jl) && !json_is_null(jl))) {
            snprintf(msg, msglen, "line %zu: entity %zu must be [start, end, label]",
                     lineno, i);
            rc = NER_EFORMAT;
            break;
        }
        if (s < 0 || t <= s || (size_t)t > nchars) {
            snprintf(msg, msglen, "line %zu: entity %zu [%lld, %lld) is not inside "
                     "the text (%zu code points)", lineno, i, (long long)s,
                     (long long)t, nchars);
            rc = NER_ERANGE;
            break;
        }
        const char *label = json_is_string(jl) ? json_string_value(jl) : "";
        char *kb_id = NULL;
        double score = 0;
        rc = ner_linker_link_mention(lk, doc, (size_t)s, (size_t)t, label, &kb_id,
                                     &score);
        if (rc != NER_OK) {
            snprintf(msg, msglen, "line %zu: entity %zu: %s", lineno, i,
                     ner_strerror(rc));
            break;
        }
        size_t bs = 0, be = 0;
        ner_doc_char_to_byte(doc, (size_t)s, &bs);
        ner_doc_char_to_byte(doc, (size_t)t, &be);
        json_t *x = json_pack("{s:I,s:I,s:s,s:s%,s:o,s:f}", "start", s, "end", t,
                              "label", label, "text", text + bs, be - bs,
                              "kb_id", kb_id ? json_string(kb_id) : json_null(),
                              "kb_score", score);
        ner_string_free(kb_id);
        if (!x || json_array_append_new(outents, x)) {
            snprintf(msg, msglen, "line %zu: out of memory", lineno);
            rc = NER_ENOMEM;
            break;
        }
    }
    ner_doc_free(doc);
    if (rc != NER_OK) {
        json_decref(outents);
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, key, outents);
    return o;
}

int cmd_link(int argc, char **argv)
{
    const char *kb = NULL, *model = NULL, *input = NULL, *output = NULL, *cfgarg = NULL;
    for (int i = 1, step = 1; i < argc; i += step) {
        step = 1;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return CLI_OK;
        }
        if (!v) {
            cli_err("%s needs a value (try ner link --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--kb") == 0) kb = v;
        else if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--input") == 0) input = v;
        else if (strcmp(a, "--output") == 0) output = v;
        else if (strcmp(a, "--config") == 0) cfgarg = v;
        else {
            cli_err("unknown argument %s (try ner link --help)", a);
            return CLI_USAGE;
        }
        step = 2;   /* the option and its value */
    }
    if (!kb) {
        cli_err("ner link needs --kb DIR (try ner link --help)");
        return CLI_USAGE;
    }
    char *cfg = cfgarg ? cli_read_config(cfgarg) : NULL;
    if (cfgarg && !cfg)
        return CLI_USAGE;
    char err[NER_ERRBUF_SIZE] = "";
    ner_linker *lk = NULL;
    int rc = ner_linker_load(&lk, kb, cfg, err, sizeof err);
    free(cfg);
    if (rc != NER_OK) {
        cli_err("%s (%s)", err, ner_strerror(rc));
        return rc == NER_EINVAL ? CLI_USAGE : CLI_BAD_INPUT;
    }
    ner_pipeline *tok = load_tokenizer(model);
    FILE *in = !tok ? NULL : input ? fopen(input, "rb") : stdin;
    FILE *out = !in ? NULL : output ? fopen(output, "wb") : stdout;
    int status = CLI_OK;
    if (!tok || !in || !out) {
        if (tok && !in)
            cli_err("cannot open %s", input);
        else if (in && !out)
            cli_err("cannot create %s", output);
        status = CLI_BAD_INPUT;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int any_bad = 0;
    while (status == CLI_OK && (got = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t skip = lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
        size_t k = skip;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == len)
            continue;
        char msg[NER_ERRBUF_SIZE + 64] = "";
        json_t *o = link_line(tok, lk, line + skip, len - skip, lineno, msg, sizeof msg);
        if (!o) {
            cli_err("%s", msg);
            o = json_pack("{s:I,s:s}", "line", (json_int_t)lineno, "error", msg);
            any_bad = 1;    /* keep going: report every bad line */
        }
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                    JSON_REAL_PRECISION(6)) : NULL;
        json_decref(o);
        if (s) {
            fputs(s, out);
            fputc('\n', out);
            free(s);
        }
    }
    if (any_bad)
        status = CLI_BAD_INPUT;
    free(line);
    if (in && ferror(in)) {
        cli_err("read error on %s", input ? input : "standard input");
        status = CLI_BAD_INPUT;
    }
    if (out && (fflush(out) != 0 || ferror(out))) {
        cli_err("write error on %s", output ? output : "standard output");
        status = CLI_BAD_INPUT;
    }
    if (in && in != stdin)
        fclose(in);
    if (out && out != stdout)
        fclose(out);
    ner_pipeline_free(tok);
    ner_linker_free(lk);
    return status;
}
