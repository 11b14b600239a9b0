/* The `ner` program: one file per sub-command, public API only. */
#ifndef NER_CLI_H
#define NER_CLI_H

#include <jansson.h>
#include <stdio.h>
#include "ner/ner.h"

/* Exit codes. */
#define CLI_OK 0
#define CLI_BAD_INPUT 1
#define CLI_USAGE 2

int cmd_extract(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_evaluate(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_kb(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* The pipeline of --model DIR (NULL: the default one) with an
 * "entity_linker" over the knowledge-base folder kb added at the end;
 * prints the error and returns NULL on failure (cmd_link.c). */
ner_pipeline *cli_load_kb(const char *model, const char *kb);
/* A --config value: inline JSON ("{...}") or a file holding it; a new
 * string, or NULL after printing the error (cmd_kb.c). */
char *cli_read_config(const char *v);

/* Parses jsonl|conll|auto into a NER_FORMAT_* value (ner_train.h); prints
 * the error and returns CLI_USAGE for anything else. */
int cli_parse_format(const char *v, uint32_t *out);

/* Loads --model DIR (NULL: the default pipeline); prints the error. */
ner_pipeline *cli_load(const char *model);
/* cli_load, with the model's "bert_tagger" config keys "aggregation" and
 * "words" set from --aggregation and --words (NULL: unchanged; both NULL is
 * cli_load) (cli_bert.c). */
ner_pipeline *cli_load_bert(const char *model, const char *aggregation, const char *words);
/* The same, also setting "precision" from --precision f32|auto|bf16|int8
 * (NULL: unchanged). */
ner_pipeline *cli_load_bert_ex(const char *model, const char *aggregation, const char *words,
                               const char *precision);
/* Parses a positive integer option value; -1 when it is not one. */
long cli_parse_count(const char *s);
/* Parses `[--model DIR] [--] TEXT...` from argv[1..] (TEXT words joined
 * with single spaces), loads the pipeline and processes the text.  On
 * CLI_OK the caller frees *doc and *pl; otherwise the error is printed. */
int cli_process_args(int argc, char **argv, ner_pipeline **pl, ner_doc **doc);

/* The entities of doc as a JSON array of {"start", "end", "label", "text",
 * "score"} (code-point offsets), plus "kb_id" and "kb_score" when a linker
 * ran (kb_id null: no entity in the knowledge base).  With CLI_ENTS_KB_ID
 * every entity has "kb_id", null when nothing linked it.  A new reference,
 * NULL when out of memory (ents_json.c). */
#define CLI_ENTS_KB_ID 1u
json_t *cli_ents_json(const ner_doc *doc, unsigned flags);

/* Prints "ner: " + message to stderr. */
void cli_err(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
