/* Test plugins registered through the public component API: a whitespace
 * tokenizer ("test_ws") and a component tagging runs of capitalised tokens
 * as "CAP" ("test_caps", saveable, config {"label": "CAP"}). */
#ifndef NER_TEST_PLUGINS_H
#define NER_TEST_PLUGINS_H

#include "ner/ner_component.h"

extern const ner_component_vtable test_ws_vtable;
extern const ner_component_vtable test_caps_vtable;

/* Registers both once; returns NER_OK. */
int test_register_plugins(void);

#endif
