/* The entities of a doc as JSON, shared by `ner run` and `ner serve` so both
 * speak the same record. */
#include "cli.h"

json_t *cli_ents_json(const ner_doc *doc, unsigned flags)
{
    json_t *a = json_array();
    const ner_ents *ents = ner_doc_ents(doc);
    for (size_t i = 0; a && i < ner_ents_count(ents); i++) {
        const ner_span *s = ner_ents_get(ents, i);
        size_t n;
        const char *t = ner_span_text(s, &n);
        json_t *o = json_pack("{s:I,s:I,s:s,s:s%,s:f}",
            "start", (json_int_t)ner_span_start_char(s),
            "end", (json_int_t)ner_span_end_char(s),
            "label", ner_span_label(s), "text", t, n,
            "score", ner_span_score(s));
        if (o && ner_span_kb_id(s))
            json_object_set_new(o, "kb_id", json_string(ner_span_kb_id(s)));
        if (o && (ner_span_kb_id(s) || ner_span_kb_score(s) > 0.0)) {
            if (!ner_span_kb_id(s))
                json_object_set_new(o, "kb_id", json_null());  /* linked: NIL */
            json_object_set_new(o, "kb_score", json_real(ner_span_kb_score(s)));
        } else if (o && (flags & CLI_ENTS_KB_ID)) {
            json_object_set_new(o, "kb_id", json_null());  /* no linker ran */
        }
        if (!o || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}
