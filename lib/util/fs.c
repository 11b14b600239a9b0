#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/fs.h"
#include "ner/ner.h"
#include "util/errbuf.h"

int nu_read_file(const char *path, char **out, size_t *len, char *errbuf,
                 size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        nu_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NER_EIO;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) {
        nu_errf(errbuf, errlen, "%s: out of memory reading the file", path);
        return NER_ENOMEM;
    }
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

int nu_write_file(const char *path, const char *data, size_t len, char *errbuf,
                  size_t errlen)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp)
        return NER_ENOMEM;
    snprintf(tmp, n + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        nu_errf(errbuf, errlen, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return NER_EIO;
    }
    size_t w = len ? fwrite(data, 1, len, f) : 0;
    int bad = w != len;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        nu_errf(errbuf, errlen, "%s: cannot write: %s", path, strerror(errno));
        remove(tmp);
        free(tmp);
        return NER_EIO;
    }
    free(tmp);
    return NER_OK;
}

int nu_mkdir_p(const char *path, char *errbuf, size_t errlen)
{
    if (!path || !*path) {
        nu_errf(errbuf, errlen, "empty folder name");
        return NER_EINVAL;
    }
    char *p = strdup(path);
    if (!p)
        return NER_ENOMEM;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                nu_errf(errbuf, errlen, "%s: cannot create folder: %s", p,
                        strerror(errno));
                free(p);
                return NER_EIO;
            }
            *s = c;
        }
        if (*s == '\0')
            break;
    }
    free(p);
    if (!nu_is_dir(path)) {
        nu_errf(errbuf, errlen, "%s: exists and is not a folder", path);
        return NER_EIO;
    }
    return NER_OK;
}

char *nu_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    size_t k = la;
    if (la && a[la - 1] != '/')
        s[k++] = '/';
    memcpy(s + k, b, lb + 1);
    return s;
}

int nu_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int nu_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
