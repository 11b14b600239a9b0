#include "io/conll.h"

#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "text/utf8.h"

/* Grows arr (of cap elements) to hold at least n + 1; jumps to fail with
 * rc = NER_ENOMEM when it cannot. */
#define ENSURE(arr, n, cap)                                                  \
    do {                                                                     \
        if ((n) >= (cap)) {                                                  \
            size_t nc_ = (cap) ? (cap) * 2 : 64;                             \
            void *np_ = nc_ > (size_t)-1 / sizeof *(arr)                     \
                            ? NULL : realloc((arr), nc_ * sizeof *(arr));    \
            if (!np_) {                                                      \
                rc = NER_ENOMEM;                                             \
                goto fail;                                                   \
            }                                                                \
            (arr) = np_;                                                     \
            (cap) = nc_;                                                     \
        }                                                                    \
    } while (0)

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int is_sep(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* 1-based line of byte offset off, and the offset where that line starts. */
static size_t line_of(const char *buf, size_t off, size_t *line_start)
{
    size_t line = 1, start = 0;
    for (size_t i = 0; i < off; i++)
        if (buf[i] == '\n') {
            line++;
            start = i + 1;
        }
    if (line_start)
        *line_start = start;
    return line;
}

/* How many bytes of s[0..len) to quote in a message: at most max, cut on a
 * UTF-8 character boundary. */
static int quote_len(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return (int)len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

void nio_conll_free(nio_conll *c)
{
    if (!c)
        return;
    free(c->tokens);
    free(c->tags);
    free(c->sents);
    free(c->docs);
    free(c->spans);
    nio_strtab_free(&c->labels);
    free(c->buf);
    free(c);
}

const char *nio_conll_label(const nio_conll *c, uint32_t id)
{
    return c ? nio_strtab_get(&c->labels, id) : NULL;
}

size_t nio_conll_count_entities(const nio_conll *c, const char *label)
{
    if (!c)
        return 0;
    if (!label)
        return c->n_spans;
    uint32_t id;
    if (nio_strtab_find(&c->labels, label, strlen(label), &id) != NER_OK)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < c->n_spans; i++)
        n += c->spans[i].label == id;
    return n;
}

int nio_conll_read_mem(nio_conll **out, const char *data, size_t len,
                       nio_scheme scheme, char *errbuf, size_t errlen)
{
    int rc = NER_OK;
    if (!out || (!data && len) || scheme < NIO_SCHEME_AUTO ||
        scheme > NIO_SCHEME_BIOES) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    *out = NULL;
    nio_conll *c = calloc(1, sizeof *c);
    if (!c)
        goto nomem;
    nio_strtab_init(&c->labels);
    c->buf = malloc(len + 1);
    if (!c->buf)
        goto nomem;
    if (len)
        memcpy(c->buf, data, len);
    c->buf[len] = '\0';
    c->buf_len = len;
    char *buf = c->buf;

    size_t bad, ls;
    if (!nt_utf8_valid(buf, len, &bad)) {
        size_t line = line_of(buf, bad, &ls);
        nio_errf(errbuf, errlen,
                 "line %zu: invalid UTF-8 at byte %zu of the line "
                 "(file offset %zu)", line, bad - ls + 1, bad);
        nio_conll_free(c);
        return NER_EUTF8;
    }
    const char *nul = len ? memchr(buf, '\0', len) : NULL;
    if (nul) {
        bad = (size_t)(nul - buf);
        size_t line = line_of(buf, bad, &ls);
        nio_errf(errbuf, errlen, "line %zu: NUL byte at byte %zu of the line",
                 line, bad - ls + 1);
        nio_conll_free(c);
        return NER_EFORMAT;
    }

    size_t cap_tok = 0, cap_tag = 0, cap_sent = 0, cap_doc = 0;
    size_t pos = 0, lineno = 0, col_line = 0;
    int in_sent = 0, seen_content = 0;

    while (pos < len) {
        lineno++;
        char *p = buf + pos;
        char *nl = memchr(p, '\n', len - pos);
        char *e = nl ? nl : buf + len;
        pos = nl ? (size_t)(nl - buf) + 1 : len;
        if (nl && e > p && e[-1] == '\r')
            c->n_crlf++;
        char *te = e;
        while (te > p && is_blank(te[-1]))
            te--;
        *te = '\0';
        char *s = p;
        while (s < te && is_blank(*s))
            s++;
        if (!seen_content) {
            /* Byte-order marks (U+FEFF) opening the first non-blank line are
             * dropped, with the blanks before them, so that a corpus written
             * and read back gives the same first token. */
            int bom = 0;
            while (te - s >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
                s += 3;
                bom = 1;
                while (s < te && is_blank(*s))
                    s++;
            }
            if (bom)
                p = s;
            seen_content = s < te;
        }
        if (s == te) {
            in_sent = 0;
            continue;
        }
        if (te - s >= 10 && memcmp(s, "-DOCSTART-", 10) == 0 &&
            (te - s == 10 || is_sep(s[10]))) {
            in_sent = 0;
            ENSURE(c->docs, c->n_docs, cap_doc);
            c->docs[c->n_docs++] = (nio_conll_doc){c->n_sents, 0, lineno, p};
            c->n_docstart++;
            continue;
        }

        /* A token line: find the columns. */
        if (!c->sep)
            c->sep = memchr(p, '\t', (size_t)(te - p)) ? '\t' : ' ';
        char *tok = NULL, *tok_end = NULL, *mid_end = NULL, *tag = NULL;
        const char *mid = NULL;
        size_t ncol = 0;
        if (c->sep == '\t') {
            char *first = NULL, *last = NULL;
            ncol = 1;
            for (char *q = p; q < te; q++)
                if (*q == '\t') {
                    ncol++;
                    if (!first)
                        first = q;
                    last = q;
                }
            tok = p;
            tok_end = first ? first : te;
            if (first) {
                tag = last + 1;
                mid = first + 1;
                mid_end = last;
            }
        } else {
            char *q = s, *last_end = NULL;
            while (q < te) {
                while (q < te && is_sep(*q))
                    q++;
                if (q == te)
                    break;
                char *fs = q;
                while (q < te && !is_sep(*q))
                    q++;
                ncol++;
                if (ncol == 1) {
                    tok = fs;
                    tok_end = q;
                } else {
                    if (ncol == 2)
                        mid = fs;
                    else
                        mid_end = last_end;
                    tag = fs;
                }
                last_end = q;
            }
        }
        if (ncol < 2) {
            nio_errf(errbuf, errlen,
                     "line %zu: only 1 column (no tag); a token line needs at "
                     "least 2: the token first, the tag last", lineno);
            rc = NER_EFORMAT;
            goto fail;
        }
        if (!c->n_columns) {
            c->n_columns = ncol;
            col_line = lineno;
        } else if (ncol != c->n_columns) {
            nio_errf(errbuf, errlen,
                     "line %zu: inconsistent column count: %zu columns, but "
                     "line %zu has %zu", lineno, ncol, col_line, c->n_columns);
            rc = NER_EFORMAT;
            goto fail;
        }
        if (tok_end == tok) {
            nio_errf(errbuf, errlen, "line %zu: empty token (column 1)", lineno);
            rc = NER_EFORMAT;
            goto fail;
        }
        char prefix;
        const char *type;
        size_t type_len;
        if (nio_tag_parse(tag, (size_t)(te - tag), &prefix, &type,
                          &type_len) != NER_OK) {
            nio_errf(errbuf, errlen,
                     "line %zu: tag \"%.*s\" is not O, B-X, I-X, L-X, U-X, "
                     "E-X or S-X", lineno,
                     quote_len(tag, (size_t)(te - tag), 60), tag);
            rc = NER_EFORMAT;
            goto fail;
        }
        uint32_t type_id = 0;
        if (prefix != 'O') {
            rc = nio_strtab_intern(&c->labels, type, type_len, &type_id);
            if (rc) {
                nio_errf(errbuf, errlen, "line %zu: too many entity types",
                         lineno);
                goto fail;
            }
        }
        *tok_end = '\0';
        if (ncol >= 3)
            *mid_end = '\0';
        else
            mid = "";

        if (!in_sent) {
            if (!c->n_docs) {
                ENSURE(c->docs, c->n_docs, cap_doc);
                c->docs[c->n_docs++] = (nio_conll_doc){0, 0, 0, NULL};
            }
            ENSURE(c->sents, c->n_sents, cap_sent);
            c->sents[c->n_sents++] =
                (nio_conll_sentence){c->n_tokens, 0, 0, 0, lineno};
            c->docs[c->n_docs - 1].n_sentences++;
            in_sent = 1;
        }
        ENSURE(c->tokens, c->n_tokens, cap_tok);
        ENSURE(c->tags, c->n_tokens, cap_tag);
        c->tokens[c->n_tokens] = (nio_conll_token){tok, mid, tag, lineno};
        c->tags[c->n_tokens] = (nio_tag){prefix, type_id};
        c->n_tokens++;
        c->sents[c->n_sents - 1].n_tokens++;
    }

    /* Detect the scheme over the whole file, then decode. */
    for (size_t i = 0; i < c->n_sents; i++)
        nio_scheme_stats_add(&c->stats, c->tags + c->sents[i].first_token,
                             c->sents[i].n_tokens);
    c->scheme = nio_scheme_decide(&c->stats);
    c->decoded_as = scheme == NIO_SCHEME_AUTO ? c->scheme : scheme;
    if (c->n_tokens) {
        c->spans = malloc(c->n_tokens * sizeof *c->spans);
        if (!c->spans)
            goto nomem;
    }
    for (size_t i = 0; i < c->n_sents; i++) {
        nio_conll_sentence *st = &c->sents[i];
        st->first_span = c->n_spans;
        st->n_spans = nio_tags_decode(c->tags + st->first_token, st->n_tokens,
                                      c->decoded_as, c->spans + c->n_spans,
                                      &c->repairs);
        c->n_spans += st->n_spans;
    }
    *out = c;
    return NER_OK;

fail:
    if (rc == NER_ENOMEM)
        nio_errf(errbuf, errlen, "out of memory");
    nio_conll_free(c);
    return rc;
nomem:
    nio_errf(errbuf, errlen, "out of memory");
    nio_conll_free(c);
    return NER_ENOMEM;
}

int nio_conll_read_file(nio_conll **out, const char *path, nio_scheme scheme,
                        char *errbuf, size_t errlen)
{
    char *data;
    size_t len;
    if (out)
        *out = NULL;
    int rc = nio_read_file(path, &data, &len, errbuf, errlen);
    if (rc)
        return rc;
    char msg[NER_ERRBUF_SIZE];
    msg[0] = '\0';
    rc = nio_conll_read_mem(out, data, len, scheme, msg, sizeof msg);
    free(data);
    if (rc)
        nio_errf(errbuf, errlen, "%s: %s", path, msg);
    return rc;
}

/* ------------------------------------------------------------- writing */

static int check_field(const char *s, char sep)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s == '\n' || *s == sep)
            return 0;
    return 1;
}

int nio_conll_write_sentence(nio_buf *out, const char *const *tokens,
                             const char *const *mids, size_t n_tokens,
                             const nio_span *spans, size_t n_spans,
                             const char *const *labels, size_t n_labels,
                             nio_scheme scheme, char sep,
                             char *errbuf, size_t errlen)
{
    if (!out || (!tokens && n_tokens) || (!spans && n_spans) ||
        (!labels && n_spans) || (sep != ' ' && sep != '\t')) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    for (size_t k = 0; k < n_spans; k++)
        if (spans[k].label >= n_labels || !check_field(labels[spans[k].label], sep)) {
            nio_errf(errbuf, errlen,
                     "span %zu: label missing, empty, or holding the separator "
                     "or a LF", k);
            return NER_EINVAL;
        }
    for (size_t i = 0; i < n_tokens; i++)
        if (!check_field(tokens[i], sep) ||
            (mids && mids[i] && strchr(mids[i], '\n'))) {
            nio_errf(errbuf, errlen,
                     "token %zu: missing, empty, or holding the separator or "
                     "a LF", i);
            return NER_EINVAL;
        }
    nio_tag *tags = n_tokens ? malloc(n_tokens * sizeof *tags) : NULL;
    if (n_tokens && !tags) {
        nio_errf(errbuf, errlen, "out of memory");
        return NER_ENOMEM;
    }
    int rc = nio_tags_encode(spans, n_spans, n_tokens, scheme, tags);
    if (rc) {
        free(tags);
        nio_errf(errbuf, errlen,
                 "cannot encode the spans in %s: a span is empty, out of the "
                 "sentence, unsorted or overlapping, or the scheme is not one "
                 "of IOB1, IOB2, BILOU, BIOES", nio_scheme_name(scheme));
        return rc;
    }
    for (size_t i = 0; i < n_tokens && !rc; i++) {
        rc = nio_buf_puts(out, tokens[i]);
        if (!rc && mids && mids[i]) {
            rc = nio_buf_putc(out, sep);
            if (!rc)
                rc = nio_buf_puts(out, mids[i]);
        }
        if (!rc)
            rc = nio_buf_putc(out, sep);
        if (!rc && tags[i].prefix == 'O')
            rc = nio_buf_putc(out, 'O');
        else if (!rc)
            rc = nio_buf_printf(out, "%c-%s", tags[i].prefix,
                                labels[tags[i].type]);
        if (!rc)
            rc = nio_buf_putc(out, '\n');
    }
    if (!rc)
        rc = nio_buf_putc(out, '\n');
    free(tags);
    if (rc)
        nio_errf(errbuf, errlen, "out of memory");
    return rc;
}

int nio_conll_write(const nio_conll *c, nio_scheme scheme, unsigned flags,
                    nio_buf *out, char *errbuf, size_t errlen)
{
    if (!c || !out) {
        nio_errf(errbuf, errlen, "invalid argument");
        return NER_EINVAL;
    }
    char sep = c->sep ? c->sep : '\t';
    size_t max = 0;
    for (size_t i = 0; i < c->n_sents; i++)
        if (c->sents[i].n_tokens > max)
            max = c->sents[i].n_tokens;
    const char **toks = max ? malloc(2 * max * sizeof *toks) : NULL;
    if (max && !toks) {
        nio_errf(errbuf, errlen, "out of memory");
        return NER_ENOMEM;
    }
    const char **mids = max ? toks + max : NULL;
    const char *const *labels = (const char *const *)c->labels.strs;
    int keep = (flags & NIO_CONLL_KEEP_COLUMNS) != 0;
    int rc = NER_OK;
    for (size_t d = 0; d < c->n_docs && !rc; d++) {
        const nio_conll_doc *doc = &c->docs[d];
        if (doc->docstart && !(flags & NIO_CONLL_NO_DOCSTART)) {
            if (keep)
                rc = nio_buf_printf(out, "%s\n\n", doc->docstart);
            else
                rc = nio_buf_printf(out, "-DOCSTART-%cO\n\n", sep);
            if (rc) {
                nio_errf(errbuf, errlen, "out of memory");
                break;
            }
        }
        for (size_t k = 0; k < doc->n_sentences && !rc; k++) {
            const nio_conll_sentence *st = &c->sents[doc->first_sentence + k];
            for (size_t i = 0; i < st->n_tokens; i++) {
                toks[i] = c->tokens[st->first_token + i].text;
                mids[i] = c->tokens[st->first_token + i].mid;
            }
            char msg[NER_ERRBUF_SIZE];
            rc = nio_conll_write_sentence(out, toks,
                                          keep && c->n_columns > 2 ? mids : NULL,
                                          st->n_tokens,
                                          c->spans + st->first_span,
                                          st->n_spans, labels,
                                          c->labels.n, scheme, sep,
                                          msg, sizeof msg);
            if (rc)
                nio_errf(errbuf, errlen, "sentence at line %zu: %s",
                         st->line, msg);
        }
    }
    free(toks);
    return rc;
}

int nio_conll_write_file(const nio_conll *c, const char *path,
                         nio_scheme scheme, unsigned flags,
                         char *errbuf, size_t errlen)
{
    nio_buf b;
    nio_buf_init(&b);
    int rc = nio_conll_write(c, scheme, flags, &b, errbuf, errlen);
    if (!rc)
        rc = nio_write_file(path, b.data ? b.data : "", b.len, errbuf, errlen);
    nio_buf_free(&b);
    return rc;
}
