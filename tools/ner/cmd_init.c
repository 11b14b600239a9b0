/* ner init config [FILE]: writes the documented default training config. */
#include <string.h>
#include "cli.h"
#include "ner/ner_train.h"

int cmd_init(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "config") != 0 || argc > 3) {
        cli_err("usage: ner init config [FILE]");
        return CLI_USAGE;
    }
    char *json = NULL;
    if (ner_train_config_default(&json) != NER_OK) {
        cli_err("out of memory");
        return CLI_BAD_INPUT;
    }
    FILE *f = argc == 3 ? fopen(argv[2], "wb") : stdout;
    if (!f) {
        cli_err("cannot write %s", argv[2]);
        ner_string_free(json);
        return CLI_BAD_INPUT;
    }
    int ok = fputs(json, f) >= 0;
    if (f != stdout)
        ok &= fclose(f) == 0;
    ner_string_free(json);
    if (!ok) {
        cli_err("cannot write %s", argc == 3 ? argv[2] : "the output");
        return CLI_BAD_INPUT;
    }
    return CLI_OK;
}
