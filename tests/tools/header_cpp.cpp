// The public headers compile as C++ (and link from C++).
#include <ner/ner.h>
#include <ner/ner_component.h>
#include <ner/ner_train.h>
#include <ner/ner_kb.h>
#include <cstring>

int main()
{
    ner_span_record rec;
    std::memset(&rec, 0, sizeof rec);
    ner_component_vtable vt = {};
    vt.size = sizeof vt;
    vt.abi = NER_COMPONENT_ABI;
    return std::strcmp(ner_version(), NER_VERSION_STRING) == 0 &&
                   ner_register_factory(&vt) == NER_EINVAL ? 0 : 1;
}
