/* ner kb: build, fit, evaluate and query knowledge bases (ner_kb.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"
#include "progress.h"
#include "ner/ner_kb.h"

static void log_stderr(void *user, int level, const char *msg)
{
    if (user && level > NER_LOG_WARN)
        return;     /* --quiet */
    const char *tag = level == NER_LOG_ERROR ? "error: " : level == NER_LOG_WARN ? "warning: " : "";
    cli_progress_clear(NULL);
    fprintf(stderr, "ner: %s%s\n", tag, msg);
    fflush(stderr);
}

static int quiet_flag = 1;

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    cli_progress_update(user, done, total);
}

/* --config: a JSON object given inline ("{...}") or a file holding one.
 * Returns a malloc'd string, or NULL after printing the error. */
char *cli_read_config(const char *v)
{
    if (v[0] == '{')
        return strdup(v);
    json_error_t je;
    json_t *j = json_load_file(v, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        cli_err("%s: line %d, column %d: %s", v, je.line, je.column, je.text);
        return NULL;
    }
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (!s)
        cli_err("out of memory");
    return s;
}

static int fail(int rc, const char *err)
{
    cli_err("%s (%s)", *err ? err : ner_strerror(rc), ner_strerror(rc));
    return rc == NER_EINVAL ? CLI_USAGE : CLI_BAD_INPUT;
}

static const char build_usage[] =
    "usage: ner kb build --entities FILE --aliases FILE --output DIR [--quiet]\n"
    "                    [--progress|--no-progress]\n"
    "Builds a knowledge base folder (DIR/kb.sqlite).\n"
    "  entities: JSONL {\"id\", \"name\", \"type\", \"description\", \"frequency\"}\n"
    "            (all but id optional)\n"
    "  aliases:  TSV with the header alias<TAB>entity_id<TAB>prior (prior optional)\n";

static int kb_build(int argc, char **argv)
{
    const char *ents = NULL, *als = NULL, *out = NULL;
    int quiet = 0, progress = PROGRESS_AUTO;
    for (int i = 1, step = 1; i < argc; i += step) {
        step = 1;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_progress_flag(a, &progress))
            continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(build_usage, stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (!v) {
            cli_err("%s needs a value (try ner kb build --help)", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--entities") == 0) ents = v;
        else if (strcmp(a, "--aliases") == 0) als = v;
        else if (strcmp(a, "--output") == 0) out = v;
        else {
            cli_err("unknown argument %s (try ner kb build --help)", a);
            return CLI_USAGE;
        }
        step = 2;   /* the option and its value */
    }
    if (!ents || !als || !out) {
        cli_err("ner kb build needs --entities, --aliases and --output");
        return CLI_USAGE;
    }
    ner_kb_build_params p;
    ner_kb_build_params_init(&p, sizeof p);
    p.log = log_stderr;
    p.log_user = quiet ? &quiet_flag : NULL;
    cli_progress prog;
    cli_progress_start(&prog, progress, "ner kb build", "records", 0);
    if (prog.mode) {
        p.progress = on_progress;
        p.progress_user = &prog;
    }
    char err[NER_ERRBUF_SIZE] = "";
    int rc = ner_kb_build(ents, als, out, &p, err, sizeof err);
    cli_progress_finish(&prog);
    if (rc != NER_OK)
        return fail(rc, err);
    ner_kb *kb = NULL;
    if (ner_kb_load(&kb, out, err, sizeof err) == NER_OK) {
        printf("%s: %llu entities, %llu aliases\n", out,
               (unsigned long long)ner_kb_entity_count(kb),
               (unsigned long long)ner_kb_alias_count(kb));
        ner_kb_free(kb);
    }
    return CLI_OK;
}

static const char fit_usage[] =
    "usage: ner kb fit --kb DIR --data FILE [--output DIR] [--model DIR]\n"
    "                  [--config JSON|FILE] [--folds N] [--profile-size N]\n"
    "                  [--no-profiles] [--keep-threshold] [--priors-from-data]\n"
    "                  [--quiet]\n"
    "Learns context profiles and fits the linker's weights and NIL threshold on\n"
    "annotated mentions: JSONL {\"text\", \"entities\": [[start, end, label, kb_id]]}\n"
    "(code points; kb_id null for an entity outside the KB).  Writes\n"
    "kb.sqlite and linker.json into --output (default: the KB folder itself)\n"
    "and prints the report (weights, threshold, scores on the data) as JSON.\n"
    "--priors-from-data: the alias priors were counted from these mentions;\n"
    "each mention is scored with the priors it would have had without itself.\n";

static const char eval_usage[] =
    "usage: ner kb evaluate --kb DIR --data FILE [--model DIR] [--config JSON|FILE]\n"
    "Links the mentions of FILE (the format of ner kb fit) and prints accuracy\n"
    "over linkable mentions, in-KB accuracy and NIL precision as JSON.\n";

/* fit and evaluate share their options */
static int kb_fit_eval(int argc, char **argv, int fit)
{
    const char *kb = NULL, *data = NULL, *out = NULL, *model = NULL, *cfgarg = NULL;
    int quiet = 0;
    ner_linker_fit_params fp;
    ner_linker_fit_params_init(&fp, sizeof fp);
    for (int i = 1, step = 1; i < argc; i += step) {
        step = 1;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(fit ? fit_usage : eval_usage, stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--quiet") == 0) { quiet = 1; continue; }
        if (fit && strcmp(a, "--no-profiles") == 0) {
            fp.flags |= NER_LINKER_FIT_NO_PROFILES;
            continue;
        }
        if (fit && strcmp(a, "--priors-from-data") == 0) {
            fp.flags |= NER_LINKER_FIT_LOO_PRIORS;
            continue;
        }
        if (fit && strcmp(a, "--keep-threshold") == 0) {
            fp.flags |= NER_LINKER_FIT_NO_THRESHOLD;
            continue;
        }
        if (!v) {
            cli_err("%s needs a value (try ner kb %s --help)", a, fit ? "fit" : "evaluate");
            return CLI_USAGE;
        }
        if (strcmp(a, "--kb") == 0) kb = v;
        else if (strcmp(a, "--data") == 0) data = v;
        else if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--config") == 0) cfgarg = v;
        else if (fit && strcmp(a, "--output") == 0) out = v;
        else if (fit && (strcmp(a, "--folds") == 0 || strcmp(a, "--profile-size") == 0)) {
            long n = cli_parse_count(v);
            if (n < 1 || (a[2] == 'f' && (n < 2 || n > 100))) {
                cli_err("%s takes a whole number%s, not %s", a,
                        a[2] == 'f' ? " from 2 to 100" : "", v);
                return CLI_USAGE;
            }
            if (a[2] == 'f') fp.folds = (uint32_t)n;
            else fp.profile_size = (uint32_t)n;
        } else {
            cli_err("unknown argument %s (try ner kb %s --help)", a, fit ? "fit" : "evaluate");
            return CLI_USAGE;
        }
        step = 2;   /* the option and its value */
    }
    if (!kb || !data) {
        cli_err("ner kb %s needs --kb and --data", fit ? "fit" : "evaluate");
        return CLI_USAGE;
    }
    char *cfg = cfgarg ? cli_read_config(cfgarg) : NULL;
    if (cfgarg && !cfg)
        return CLI_USAGE;
    char err[NER_ERRBUF_SIZE] = "";
    char *report = NULL;
    int rc;
    if (fit) {
        fp.model_dir = model;
        fp.log = log_stderr;
        fp.log_user = quiet ? &quiet_flag : NULL;
        rc = ner_linker_fit(kb, data, out, cfg, &fp, &report, err, sizeof err);
    } else {
        ner_linker *lk = NULL;
        rc = ner_linker_load(&lk, kb, cfg, err, sizeof err);
        if (rc == NER_OK) {
            ner_linker_eval_params ep;
            ner_linker_eval_params_init(&ep, sizeof ep);
            ep.model_dir = model;
            rc = ner_linker_evaluate(lk, data, &ep, &report, err, sizeof err);
        }
        ner_linker_free(lk);
    }
    free(cfg);
    if (rc != NER_OK)
        return fail(rc, err);
    puts(report);
    ner_string_free(report);
    return CLI_OK;
}

static const char lookup_usage[] =
    "usage: ner kb lookup --kb DIR [--level exact|fold|norm] [--max N] ALIAS...\n"
    "Prints the candidates of each alias: alias, level, id, prior, type, name.\n";

static int kb_lookup(int argc, char **argv)
{
    const char *dir = NULL;
    int level = NER_KB_MATCH_NORM;
    long max = 0;
    int i = 1;
    for (int step = 1; i < argc; i += step) {
        step = 1;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(lookup_usage, stdout);
            return CLI_OK;
        }
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strncmp(a, "--", 2) != 0) break;
        if (!v) {
            cli_err("%s needs a value", a);
            return CLI_USAGE;
        }
        if (strcmp(a, "--kb") == 0) dir = v;
        else if (strcmp(a, "--max") == 0) {
            if ((max = cli_parse_count(v)) < 1) {
                cli_err("--max takes a whole number, not %s", v);
                return CLI_USAGE;
            }
        } else if (strcmp(a, "--level") == 0) {
            if (strcmp(v, "exact") == 0) level = NER_KB_MATCH_EXACT;
            else if (strcmp(v, "fold") == 0) level = NER_KB_MATCH_FOLD;
            else if (strcmp(v, "norm") == 0) level = NER_KB_MATCH_NORM;
            else {
                cli_err("--level takes exact, fold or norm, not %s", v);
                return CLI_USAGE;
            }
        } else {
            cli_err("unknown argument %s (try ner kb lookup --help)", a);
            return CLI_USAGE;
        }
        step = 2;   /* the option and its value */
    }
    if (!dir || i >= argc) {
        cli_err("ner kb lookup needs --kb and at least one alias");
        return CLI_USAGE;
    }
    char err[NER_ERRBUF_SIZE] = "";
    ner_kb *kb = NULL;
    ner_kb_candidates *c = NULL;
    int rc = ner_kb_load(&kb, dir, err, sizeof err);
    if (rc != NER_OK)
        return fail(rc, err);
    if ((rc = ner_kb_candidates_new(&c)) != NER_OK) {
        ner_kb_free(kb);
        return fail(rc, "");
    }
    static const char *const names[] = {"none", "exact", "fold", "norm"};
    int status = CLI_OK;
    for (; i < argc; i++) {
        rc = ner_kb_lookup(kb, argv[i], strlen(argv[i]), level, (size_t)max, c);
        if (rc != NER_OK) {
            status = fail(rc, "");
            break;
        }
        size_t n = ner_kb_candidates_count(c);
        if (n == 0)
            printf("%s\tnone\n", argv[i]);
        for (size_t k = 0; k < n; k++) {
            const char *t = ner_kb_candidate_type(c, k), *nm = ner_kb_candidate_name(c, k);
            printf("%s\t%s\t%s\t%.4f\t%s\t%s\n", argv[i],
                   names[ner_kb_candidates_level(c) + 1], ner_kb_candidate_id(c, k),
                   ner_kb_candidate_prior(c, k), t ? t : "", nm ? nm : "");
        }
    }
    ner_kb_candidates_free(c);
    ner_kb_free(kb);
    return status;
}

static const char kb_usage[] =
    "usage: ner kb build --entities FILE --aliases FILE --output DIR\n"
    "       ner kb fit --kb DIR --data FILE [--output DIR] [--model DIR] [--config JSON|FILE]\n"
    "       ner kb evaluate --kb DIR --data FILE [--model DIR] [--config JSON|FILE]\n"
    "       ner kb lookup --kb DIR [--level exact|fold|norm] [--max N] ALIAS...\n"
    "       ner kb info --kb DIR\n"
    "Each sub-command takes --help.\n";

int cmd_kb(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(kb_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "build") == 0)
        return kb_build(argc - 1, argv + 1);
    if (strcmp(sub, "fit") == 0)
        return kb_fit_eval(argc - 1, argv + 1, 1);
    if (strcmp(sub, "evaluate") == 0)
        return kb_fit_eval(argc - 1, argv + 1, 0);
    if (strcmp(sub, "lookup") == 0)
        return kb_lookup(argc - 1, argv + 1);
    if (strcmp(sub, "info") == 0) {
        if (argc != 4 || strcmp(argv[2], "--kb") != 0) {
            cli_err("usage: ner kb info --kb DIR");
            return CLI_USAGE;
        }
        char err[NER_ERRBUF_SIZE] = "";
        ner_kb *kb = NULL;
        int rc = ner_kb_load(&kb, argv[3], err, sizeof err);
        if (rc != NER_OK)
            return fail(rc, err);
        printf("{\"entities\":%llu,\"aliases\":%llu,\"profiles\":%llu}\n",
               (unsigned long long)ner_kb_entity_count(kb),
               (unsigned long long)ner_kb_alias_count(kb),
               (unsigned long long)ner_kb_profile_count(kb));
        ner_kb_free(kb);
        return CLI_OK;
    }
    cli_err("unknown sub-command kb %s (try ner kb --help)", sub);
    return CLI_USAGE;
}
