/* The built-in components.  Each registers through ner_register_factory,
 * the same public call a plugin makes. */
#ifndef NER_COMPONENTS_BUILTINS_H
#define NER_COMPONENTS_BUILTINS_H

#include "ner/ner_component.h"

extern const ner_component_vtable nc_tokenizer_vtable;
extern const ner_component_vtable nc_tagger_vtable;
extern const ner_component_vtable nc_wordpiece_vtable;
extern const ner_component_vtable nc_bert_tagger_vtable;
extern const ner_component_vtable nc_entity_ruler_vtable;
extern const ner_component_vtable nc_entity_linker_vtable;

/* Registers every built-in factory; called once by the registry. */
void nc_register_builtins(void);

#endif
