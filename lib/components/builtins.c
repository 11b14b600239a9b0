#include "components/builtins.h"

void nc_register_builtins(void)
{
    static const ner_component_vtable *const builtins[] = {
        &nc_tokenizer_vtable,
        &nc_tagger_vtable,
        &nc_wordpiece_vtable,
        &nc_bert_tagger_vtable,
        &nc_entity_ruler_vtable,
        &nc_entity_linker_vtable,
    };
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        (void)ner_register_factory(builtins[i]);
}
