/* Internal structures of lib/core, shared by its files only. */
#ifndef NER_CORE_INTERNAL_H
#define NER_CORE_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include "ner/ner.h"
#include "ner/ner_component.h"
#include "util/errbuf.h"

typedef struct nc_tok {
    size_t start, end;   /* bytes */
    size_t cstart, cend; /* code points */
} nc_tok;

struct ner_span {
    const ner_doc *doc;
    size_t ts, te;        /* tokens */
    size_t bs, be;        /* bytes */
    size_t cs, ce;        /* code points */
    double score;
    double kb_score;
    const char *label;    /* interned in the doc */
    char *kb_id;          /* owned, may be NULL */
    char *ent_id;         /* owned, may be NULL */
};

struct ner_ents {
    ner_span *v;
    size_t n, cap;
    char *name;           /* group name; NULL for doc.ents */
};

typedef struct nc_attach {
    char *key;
    void *data;
    void (*free_fn)(void *);
} nc_attach;

struct ner_doc {
    ner_pipeline *pl;     /* counted reference */
    nc_attach *att;
    size_t natt;
    char *text;
    size_t len, nchars;
    nc_tok *toks;
    size_t ntok, captok;
    ner_ents ents;
    ner_ents *groups;
    size_t ngroups;
    char **labels;        /* interned label strings */
    size_t nlabels;
    int status;
    char errmsg[256];
};

typedef struct nc_comp {
    char *name;
    char *factory;
    char *config;         /* JSON text */
    const ner_component_vtable *vt;
    void *state;
} nc_comp;

struct ner_pipeline {
    atomic_int refs;
    char *lang;
    nc_comp *comps;
    size_t ncomp;
    char **labels;
    size_t nlabels;
    ner_log_fn log;
    void *log_user;
};

struct ner_builder {
    char *lang;
    nc_comp *comps;
    size_t ncomp, cap;
    char **labels;        /* declared in pipeline.json, kept for the build */
    size_t nlabels;
};

/* errors.c */
char *nc_strdup(const char *s);

/* doc.c */
ner_doc *nc_doc_new(ner_pipeline *pl, const char *text, size_t len);
void nc_doc_reset(ner_doc *doc);

/* pipeline.c */
void nc_pipeline_ref(ner_pipeline *pl);
void nc_pipeline_unref(ner_pipeline *pl);
int nc_pipeline_run(const ner_pipeline *pl, ner_doc *const *docs, size_t n);
void nc_comp_clear(nc_comp *c);

/* registry.c */
const ner_component_vtable *nc_registry_find(const char *factory);

/* json_doc.c */
void nc_log(const ner_pipeline *pl, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
