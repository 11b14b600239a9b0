#include "nn/nn_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ner/ner.h"

char *nn_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    size_t o = la;
    if (la && a[la - 1] != '/')
        p[o++] = '/';
    memcpy(p + o, b, lb + 1);
    return p;
}

int nn_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int nn_read_file(const char *path, char **out, size_t *len, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (len)
        *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        nu_errf(errbuf, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? NER_ENOTFOUND : NER_EIO;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        nu_errf(errbuf, errlen, "%s: not a regular file", path);
        return NER_EIO;
    }
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        nu_errf(errbuf, errlen, "%s: out of memory", path);
        return NER_ENOMEM;
    }
    for (;;) {
        size_t k = fread(buf + n, 1, cap - 1 - n, f);
        n += k;
        if (n < cap - 1)
            break;
        /* the file grew: keep reading */
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            fclose(f);
            nu_errf(errbuf, errlen, "%s: out of memory", path);
            return NER_ENOMEM;
        }
        buf = nb;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        nu_errf(errbuf, errlen, "%s: read error", path);
        return NER_EIO;
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return NER_OK;
}

void *nn_alloc_aligned(size_t n)
{
    if (n == 0)
        n = 1;
    size_t r = (n + 63) & ~(size_t)63;
    if (r < n)
        return NULL;
    return aligned_alloc(64, r);
}
