/* The doc JSON: {"text", "ents": [...], "tokens": [...], "spans": {...}}. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

static json_t *span_json(const ner_span *s, uint32_t flags)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "start", json_integer((json_int_t)s->cs));
    bad |= json_object_set_new(o, "end", json_integer((json_int_t)s->ce));
    bad |= json_object_set_new(o, "label", json_string(s->label));
    bad |= json_object_set_new(o, "text",
        json_stringn(s->doc->text + s->bs, s->be - s->bs));
    bad |= json_object_set_new(o, "score", json_real(s->score));
    bad |= json_object_set_new(o, "kb_id",
        s->kb_id ? json_string(s->kb_id) : json_null());
    if (s->kb_id || s->kb_score > 0.0)
        bad |= json_object_set_new(o, "kb_score", json_real(s->kb_score));
    if (s->ent_id)
        bad |= json_object_set_new(o, "ent_id", json_string(s->ent_id));
    if (flags & NER_JSON_BYTES) {
        bad |= json_object_set_new(o, "start_byte", json_integer((json_int_t)s->bs));
        bad |= json_object_set_new(o, "end_byte", json_integer((json_int_t)s->be));
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *ents_json(const ner_ents *e, uint32_t flags)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < e->n; i++) {
        json_t *s = span_json(&e->v[i], flags);
        if (!s || json_array_append_new(a, s)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *tokens_json(const ner_doc *d, uint32_t flags)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < d->ntok; i++) {
        const nc_tok *t = &d->toks[i];
        size_t ws = i + 1 < d->ntok ? d->toks[i + 1].start : d->len;
        json_t *o = json_object();
        int bad = !o;
        if (o) {
            bad |= json_object_set_new(o, "start", json_integer((json_int_t)t->cstart));
            bad |= json_object_set_new(o, "end", json_integer((json_int_t)t->cend));
            bad |= json_object_set_new(o, "text",
                json_stringn(d->text + t->start, t->end - t->start));
            bad |= json_object_set_new(o, "ws",
                json_stringn(d->text + t->end, ws - t->end));
            if (flags & NER_JSON_BYTES) {
                bad |= json_object_set_new(o, "start_byte", json_integer((json_int_t)t->start));
                bad |= json_object_set_new(o, "end_byte", json_integer((json_int_t)t->end));
            }
        }
        if (bad || json_array_append_new(a, o)) {
            json_decref(o);
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

NER_API int ner_doc_to_json(const ner_doc *d, uint32_t flags, char **out,
                            size_t *len)
{
    if (!d || !out)
        return NER_EINVAL;
    *out = NULL;
    json_t *o = json_object();
    if (!o)
        return NER_ENOMEM;
    int bad = json_object_set_new(o, "text", json_stringn(d->text, d->len));
    bad |= json_object_set_new(o, "ents", ents_json(&d->ents, flags));
    if (flags & NER_JSON_SPANS) {
        json_t *g = json_object();
        for (size_t i = 0; g && i < d->ngroups; i++)
            bad |= json_object_set_new(g, d->groups[i].name,
                                       ents_json(&d->groups[i], flags));
        bad |= json_object_set_new(o, "spans", g);
    }
    if (flags & NER_JSON_TOKENS)
        bad |= json_object_set_new(o, "tokens", tokens_json(d, flags));
    if (bad) {
        json_decref(o);
        return NER_ENOMEM;
    }
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!s)
        return NER_ENOMEM;
    /* jansson allocates with malloc unless told otherwise, and ner_string_free
     * is free(): the pair stays inside the library. */
    if (len)
        *len = strlen(s);
    *out = s;
    return NER_OK;
}
