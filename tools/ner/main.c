/* ner: named-entity recognition from the command line. */
#include <string.h>
#include "cli.h"

static const char usage[] =
    "usage: ner [--model DIR] TEXT...          entities, one per line:\n"
    "                                           text<TAB>label<TAB>start<TAB>end\n"
    "       ner run [--model DIR] [--kb DIR] [--input FILE] [--output FILE]\n"
    "               [--input-format text|jsonl] [--format jsonl|tsv]\n"
    "               [--threads N] [--batch-size N] [--spans]\n"
    "               [--progress|--no-progress]\n"
    "       (ner, run, evaluate, with a BERT --model: [--aggregation\n"
    "        none|simple|first|average|max] [--words wordpiece|whitespace]\n"
    "        [--precision f32|auto|bf16|int8])\n"
    "       ner tokenize [--model DIR] TEXT...\n"
    "       ner train --train FILE --dev FILE --output DIR [--config FILE]\n"
    "                 [--base DIR] [--format jsonl|conll] [--threads N]\n"
    "       ner evaluate [--model DIR] --data FILE [--format jsonl|conll] [--json]\n"
    "                    [--html report.html]\n"
    "       ner convert --input FILE --output FILE --to jsonl|conll\n"
    "                   [--scheme iob1|iob2|bilou|bioes]\n"
    "       ner init config [FILE]\n"
    "       ner kb build --entities FILE --aliases FILE --output DIR\n"
    "       ner kb fit|evaluate --kb DIR --data FILE   (ner kb --help)\n"
    "       ner link --kb DIR [--model DIR] [--input FILE] [--output FILE]\n"
    "       ner render [--input FILE] [--output page.html] [--model DIR]\n"
    "       ner serve [--model DIR] [--kb DIR] [--host 127.0.0.1] [--port 8080]\n"
    "                 [--threads N] [--max-body BYTES] [--timeout SECONDS]\n"
    "       ner --version | --help\n"
    "\n"
    "Offsets are code points, half-open.  Without --model the default English\n"
    "pipeline is used.  Exit status: 0 success, 1 bad input, 2 bad usage.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("ner %s\n", ner_version());
        return CLI_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "tokenize") == 0)
        return cmd_tokenize(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "evaluate") == 0)
        return cmd_evaluate(argc - 1, argv + 1);
    if (strcmp(cmd, "convert") == 0)
        return cmd_convert(argc - 1, argv + 1);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 1, argv + 1);
    if (strcmp(cmd, "kb") == 0)
        return cmd_kb(argc - 1, argv + 1);
    if (strcmp(cmd, "link") == 0)
        return cmd_link(argc - 1, argv + 1);
    if (strcmp(cmd, "render") == 0)
        return cmd_render(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 1, argv + 1);
    return cmd_extract(argc, argv);
}
