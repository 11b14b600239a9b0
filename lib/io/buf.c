#include "io/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"

void nio_buf_init(nio_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void nio_buf_free(nio_buf *b)
{
    free(b->data);
    nio_buf_init(b);
}

int nio_buf_reserve(nio_buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        return NER_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return NER_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return NER_ENOMEM;
    if (!b->data)
        d[0] = '\0';
    b->data = d;
    b->cap = cap;
    return NER_OK;
}

int nio_buf_append(nio_buf *b, const void *p, size_t n)
{
    int rc = nio_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return NER_OK;
}

int nio_buf_putc(nio_buf *b, char c)
{
    return nio_buf_append(b, &c, 1);
}

int nio_buf_puts(nio_buf *b, const char *s)
{
    return nio_buf_append(b, s, strlen(s));
}

int nio_buf_printf(nio_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NER_EINVAL;
    if ((size_t)n < sizeof small)
        return nio_buf_append(b, small, (size_t)n);
    int rc = nio_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return NER_OK;
}

char *nio_buf_steal(nio_buf *b, size_t *len)
{
    char *d = b->data;
    if (len)
        *len = b->len;
    nio_buf_init(b);
    return d;
}

void nio_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static const char *errno_text(int e, char *tmp, size_t n)
{
#if defined(_GNU_SOURCE) && defined(__GLIBC__)
    return strerror_r(e, tmp, n);
#else
    if (strerror_r(e, tmp, n) != 0)
        snprintf(tmp, n, "errno %d", e);
    return tmp;
#endif
}

int nio_read_file(const char *path, char **out, size_t *len,
                  char *errbuf, size_t errlen)
{
    char tmp[128];
    if (!path || !out) {
        nio_errf(errbuf, errlen, "no path given");
        return NER_EINVAL;
    }
    *out = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        nio_errf(errbuf, errlen, "%s: cannot open: %s", path,
                 errno_text(errno, tmp, sizeof tmp));
        return NER_EIO;
    }
    nio_buf b;
    nio_buf_init(&b);
    int rc = nio_buf_reserve(&b, 1 << 16);
    while (rc == NER_OK) {
        size_t room = b.cap - b.len - 1;
        size_t got = fread(b.data + b.len, 1, room, f);
        b.len += got;
        b.data[b.len] = '\0';
        if (got < room) {
            if (ferror(f)) {
                nio_errf(errbuf, errlen, "%s: read error: %s", path,
                         errno_text(errno, tmp, sizeof tmp));
                rc = NER_EIO;
            }
            break;
        }
        rc = nio_buf_reserve(&b, b.cap);
    }
    fclose(f);
    if (rc) {
        if (rc == NER_ENOMEM)
            nio_errf(errbuf, errlen, "%s: out of memory", path);
        nio_buf_free(&b);
        return rc;
    }
    *out = nio_buf_steal(&b, len);
    return NER_OK;
}

int nio_write_file(const char *path, const char *data, size_t len,
                   char *errbuf, size_t errlen)
{
    char tmp[128];
    if (!path || (!data && len)) {
        nio_errf(errbuf, errlen, "no path given");
        return NER_EINVAL;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        nio_errf(errbuf, errlen, "%s: cannot open for writing: %s", path,
                 errno_text(errno, tmp, sizeof tmp));
        return NER_EIO;
    }
    size_t put = len ? fwrite(data, 1, len, f) : 0;
    int e = put < len ? errno : 0;
    if (fclose(f) != 0 && !e)
        e = errno ? errno : EIO;
    if (put < len || e) {
        nio_errf(errbuf, errlen, "%s: write error: %s", path,
                 errno_text(e ? e : EIO, tmp, sizeof tmp));
        return NER_EIO;
    }
    return NER_OK;
}
