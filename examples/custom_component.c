/* custom_component: a plugin component, written against the public headers
 * only, that tags product SKUs such as "AB-12345" after the other
 * components, never overlapping the entities they found.
 *
 *   ./custom_component "Ship SKU AB-12345 to Amazon warehouse in Seattle by Friday."
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ner/ner_component.h>

typedef struct sku_state {
    pcre2_code *re;
} sku_state;

static const char *const sku_labels[] = {"PRODUCT_SKU"};

static int sku_init(void **state, const char *config_json, const char *dir,
                    char *errbuf, size_t errlen)
{
    (void)config_json;
    (void)dir;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) "\\b[A-Z]{2,4}-\\d{4,8}\\b",
                                   PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
    if (!re) {
        snprintf(errbuf, errlen, "pattern does not compile at %zu", (size_t)off);
        return NER_EFORMAT;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* at init: process() stays reentrant */
    sku_state *st = malloc(sizeof *st);
    if (!st) {
        pcre2_code_free(re);
        return NER_ENOMEM;
    }
    st->re = re;
    *state = st;
    return NER_OK;
}

static int sku_process(const void *state, ner_doc *doc)
{
    const sku_state *st = state;
    size_t len;
    const char *text = ner_doc_text(doc, &len);
    /* Match data is per call, so any number of threads can share the state. */
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(st->re, NULL);
    if (!md)
        return ner_doc_set_error(doc, NER_ENOMEM, "product_sku: out of memory");
    size_t pos = 0;
    while (pos <= len &&
           pcre2_match(st->re, (PCRE2_SPTR)text, len, pos, 0, md, NULL) > 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t ts, te;
        if (ner_doc_align_bytes(doc, ov[0], ov[1], NER_ALIGN_STRICT, &ts, &te) == NER_OK &&
            !ner_doc_ents_overlap(doc, ts, te)) {
            int rc = ner_doc_add_ent(doc, ts, te, "PRODUCT_SKU", 1.0, 0, NULL);
            if (rc != NER_OK) {
                pcre2_match_data_free(md);
                return rc;
            }
        }
        pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    pcre2_match_data_free(md);
    return NER_OK;
}

static void sku_free(void *state)
{
    sku_state *st = state;
    if (st) {
        pcre2_code_free(st->re);
        free(st);
    }
}

static size_t sku_get_labels(const void *state, const char *const **labels)
{
    (void)state;
    *labels = sku_labels;
    return 1;
}

static const ner_component_vtable sku_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "product_sku",
    .init = sku_init,
    .process = sku_process,
    .free = sku_free,
    .labels = sku_get_labels,
};

int main(int argc, char **argv)
{
    const char *text = argc > 1 ? argv[1]
        : "Ship SKU AB-12345 to Amazon warehouse in Seattle by Friday.";
    char err[NER_ERRBUF_SIZE];
    int rc = ner_register_factory(&sku_vtable);
    ner_builder *b = NULL;
    if (rc == NER_OK)
        rc = ner_builder_from_dir(&b, ner_default_pipeline_dir(), err, sizeof err);
    if (rc == NER_OK)
        rc = ner_builder_add(b, "product_sku", NULL, NULL, err, sizeof err);
    ner_pipeline *nlp = NULL;
    if (rc == NER_OK)
        rc = ner_builder_build(b, &nlp, err, sizeof err);
    ner_builder_free(b);
    ner_doc *doc = NULL;
    if (rc == NER_OK)
        rc = ner_pipeline_process(nlp, text, strlen(text), &doc, err, sizeof err);
    if (rc != NER_OK) {
        fprintf(stderr, "custom_component: %s: %s\n", ner_strerror(rc), err);
        ner_pipeline_free(nlp);
        return 1;
    }
    const ner_ents *ents = ner_doc_ents(doc);
    for (size_t i = 0; i < ner_ents_count(ents); i++) {
        const ner_span *s = ner_ents_get(ents, i);
        size_t n;
        const char *t = ner_span_text(s, &n);
        printf("%.*s\t%s\t%zu\t%zu\n", (int)n, t, ner_span_label(s),
               ner_span_start_char(s), ner_span_end_char(s));
    }
    ner_doc_free(doc);
    ner_pipeline_free(nlp);
    return 0;
}
