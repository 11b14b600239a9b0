/* Caller error buffers (PCRE2/curl style), shared by every layer. */
#ifndef NER_UTIL_ERRBUF_H
#define NER_UTIL_ERRBUF_H

#include <stddef.h>

/* printf into errbuf (NUL-terminated, cut to errlen-1 bytes); does nothing
 * when errbuf is NULL or errlen is 0. */
void nu_errf(char *errbuf, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
