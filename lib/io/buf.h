/* Growable byte buffers, whole-file reading and writing, error formatting:
 * the plumbing shared by the corpus readers and writers (lib/io). */
#ifndef NER_IO_BUF_H
#define NER_IO_BUF_H

#include <stddef.h>

#if defined(__GNUC__)
#define NIO_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define NIO_PRINTF(f, a)
#endif

/* A growable buffer.  data is NULL until something is appended; after that
 * it is always NUL-terminated at data[len] (the NUL is not counted). */
typedef struct nio_buf {
    char *data;
    size_t len, cap;
} nio_buf;

void nio_buf_init(nio_buf *b);
/* Releases the memory and leaves b empty (initialised). */
void nio_buf_free(nio_buf *b);
/* Makes room for extra more bytes (plus the NUL).  NER_OK or NER_ENOMEM. */
int nio_buf_reserve(nio_buf *b, size_t extra);
int nio_buf_append(nio_buf *b, const void *p, size_t n);
int nio_buf_putc(nio_buf *b, char c);
int nio_buf_puts(nio_buf *b, const char *s);
int nio_buf_printf(nio_buf *b, const char *fmt, ...) NIO_PRINTF(2, 3);
/* Hands the bytes over: *out gets data (NUL-terminated, caller frees with
 * free(); NULL when nothing was appended), b is left empty. */
char *nio_buf_steal(nio_buf *b, size_t *len);

/* Reads the whole file into a new NUL-terminated buffer the caller frees
 * with free().  NER_EIO (errbuf: path and reason) or NER_ENOMEM. */
int nio_read_file(const char *path, char **out, size_t *len,
                  char *errbuf, size_t errlen);
/* Writes len bytes to path, replacing it.  NER_EIO (errbuf: path, reason). */
int nio_write_file(const char *path, const char *data, size_t len,
                   char *errbuf, size_t errlen);

/* snprintf into errbuf when errbuf is not NULL and errlen > 0. */
void nio_errf(char *errbuf, size_t errlen, const char *fmt, ...) NIO_PRINTF(3, 4);

#endif
