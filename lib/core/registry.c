/* The process-wide factory registry.  Built-ins are registered lazily, on
 * first use, through the same public call plugins use. */
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"
#include "components/builtins.h"

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reg_cond = PTHREAD_COND_INITIALIZER;
static const ner_component_vtable **reg_v;
static size_t reg_n, reg_cap;
/* 0: built-ins not registered; 1: being registered by reg_owner; 2: done. */
static int reg_state;
static pthread_t reg_owner;

static void ensure_builtins(void)
{
    pthread_mutex_lock(&reg_lock);
    if (reg_state == 0) {
        reg_state = 1;
        reg_owner = pthread_self();
        pthread_mutex_unlock(&reg_lock);
        nc_register_builtins();
        pthread_mutex_lock(&reg_lock);
        reg_state = 2;
        pthread_cond_broadcast(&reg_cond);
    } else if (reg_state == 1 && !pthread_equal(reg_owner, pthread_self())) {
        while (reg_state != 2)
            pthread_cond_wait(&reg_cond, &reg_lock);
    }
    pthread_mutex_unlock(&reg_lock);
}

static const ner_component_vtable *find_locked(const char *factory)
{
    for (size_t i = 0; i < reg_n; i++)
        if (strcmp(reg_v[i]->factory, factory) == 0)
            return reg_v[i];
    return NULL;
}

NER_API int ner_register_factory(const ner_component_vtable *vt)
{
    if (!vt)
        return NER_EINVAL;
    /* The first three members and free() must be there in any version. */
    if (vt->size < offsetof(ner_component_vtable, free) + sizeof vt->free ||
        vt->abi != NER_COMPONENT_ABI)
        return NER_EABI;
    if (!vt->factory || !*vt->factory || !vt->init || !vt->process || !vt->free)
        return NER_EINVAL;
    ensure_builtins();
    int rc = NER_OK;
    pthread_mutex_lock(&reg_lock);
    if (find_locked(vt->factory)) {
        rc = NER_EEXIST;
    } else {
        if (reg_n == reg_cap) {
            size_t cap = reg_cap ? reg_cap * 2 : 16;
            const ner_component_vtable **v = realloc(reg_v, cap * sizeof *v);
            if (!v) {
                pthread_mutex_unlock(&reg_lock);
                return NER_ENOMEM;
            }
            reg_v = v;
            reg_cap = cap;
        }
        reg_v[reg_n++] = vt;
    }
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

const ner_component_vtable *nc_registry_find(const char *factory)
{
    if (!factory)
        return NULL;
    ensure_builtins();
    pthread_mutex_lock(&reg_lock);
    const ner_component_vtable *vt = find_locked(factory);
    pthread_mutex_unlock(&reg_lock);
    return vt;
}

NER_API const ner_component_vtable *ner_find_factory(const char *factory)
{
    return nc_registry_find(factory);
}
