#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

NER_API const char *ner_strerror(int code)
{
    switch (code) {
    case NER_OK: return "success";
    case NER_ENOMEM: return "out of memory";
    case NER_EINVAL: return "invalid argument";
    case NER_EIO: return "input/output error";
    case NER_EFORMAT: return "malformed input";
    case NER_EUTF8: return "invalid UTF-8";
    case NER_ENOTFOUND: return "not found";
    case NER_ERANGE: return "out of range";
    case NER_EEXIST: return "already exists";
    case NER_EOVERLAP: return "overlapping span";
    case NER_EUNSUPPORTED: return "unsupported";
    case NER_EABI: return "ABI mismatch";
    case NER_ETOOBIG: return "input too big";
    case NER_EALIGN: return "offsets not on token boundaries";
    case NER_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

char *nc_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void nc_log(const ner_pipeline *pl, int level, const char *fmt, ...)
{
    if (!pl || !pl->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pl->log(pl->log_user, level, msg);
}

NER_API const char *ner_version(void) { return NER_VERSION_STRING; }
NER_API unsigned ner_version_number(void) { return NER_VERSION_NUMBER; }

NER_API void ner_string_free(char *s) { free(s); }
