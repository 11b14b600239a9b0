/* The built-in rules, embedded at build time by lib/text/embed.py from
 * lib/text/rules_<lang>.json (the source of truth). */
#ifndef NER_TEXT_RULES_BUILTIN_H
#define NER_TEXT_RULES_BUILTIN_H

#include <stddef.h>

extern const char *const nt_rules_en_json; /* NUL-terminated */
extern const size_t nt_rules_en_json_len; /* without the NUL */

#endif
