#include "io/tags.h"

#include <string.h>
#include <strings.h>

#include "ner/ner.h"

const char *nio_scheme_name(nio_scheme s)
{
    switch (s) {
    case NIO_SCHEME_AUTO: return "auto";
    case NIO_SCHEME_NONE: return "none";
    case NIO_SCHEME_IOB1: return "IOB1";
    case NIO_SCHEME_IOB2: return "IOB2";
    case NIO_SCHEME_BILOU: return "BILOU";
    case NIO_SCHEME_BIOES: return "BIOES";
    }
    return "?";
}

int nio_scheme_parse(const char *name, nio_scheme *out)
{
    static const struct { const char *name; nio_scheme s; } names[] = {
        {"iob1", NIO_SCHEME_IOB1}, {"iob2", NIO_SCHEME_IOB2},
        {"bio", NIO_SCHEME_IOB2},  {"bilou", NIO_SCHEME_BILOU},
        {"bioes", NIO_SCHEME_BIOES}, {"iobes", NIO_SCHEME_BIOES},
        {"auto", NIO_SCHEME_AUTO},
    };
    if (!name)
        return NER_EINVAL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i].name) == 0) {
            if (out)
                *out = names[i].s;
            return NER_OK;
        }
    return NER_ENOTFOUND;
}

int nio_tag_parse(const char *s, size_t len, char *prefix,
                  const char **type, size_t *type_len)
{
    if (len == 1 && s[0] == 'O') {
        *prefix = 'O';
        *type = NULL;
        *type_len = 0;
        return NER_OK;
    }
    if (len < 3 || s[1] != '-' || s[0] == '\0' || !strchr("BILUES", s[0]))
        return NER_EFORMAT;
    *prefix = s[0];
    *type = s + 2;
    *type_len = len - 2;
    return NER_OK;
}

size_t nio_repairs_total(const nio_repairs *r)
{
    return r->i_start + r->b_start + r->unclosed + r->foreign;
}

/* L≡E (last) and U≡S (single). */
static char norm(char p)
{
    return p == 'E' ? 'L' : p == 'S' ? 'U' : p;
}

void nio_scheme_stats_add(nio_scheme_stats *st, const nio_tag *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char p = tags[i].prefix;
        int after_same = i > 0 && tags[i - 1].prefix != 'O' &&
                         tags[i - 1].type == tags[i].type;
        switch (p) {
        case 'B': st->n_b++; if (!after_same) st->b_free++; break;
        case 'I': st->n_i++; if (!after_same) st->i_start++; break;
        case 'L': st->n_l++; break;
        case 'U': st->n_u++; break;
        case 'E': st->n_e++; break;
        case 'S': st->n_s++; break;
        default: break;
        }
    }
}

nio_scheme nio_scheme_decide(const nio_scheme_stats *st)
{
    size_t lu = st->n_l + st->n_u, es = st->n_e + st->n_s;
    if (lu || es)
        return lu >= es ? NIO_SCHEME_BILOU : NIO_SCHEME_BIOES;
    if (!st->n_b && !st->n_i)
        return NIO_SCHEME_NONE;
    if (st->i_start == 0)
        return NIO_SCHEME_IOB2;
    if (st->b_free == 0)
        return NIO_SCHEME_IOB1;
    return st->i_start <= st->b_free ? NIO_SCHEME_IOB2 : NIO_SCHEME_IOB1;
}

size_t nio_tags_decode(const nio_tag *tags, size_t n, nio_scheme scheme,
                       nio_span *out, nio_repairs *rep)
{
    nio_repairs dummy = {0, 0, 0, 0};
    if (!rep || scheme == NIO_SCHEME_AUTO || scheme == NIO_SCHEME_NONE)
        rep = &dummy;
    int iob = scheme == NIO_SCHEME_IOB1 || scheme == NIO_SCHEME_IOB2;
    int bilou = scheme == NIO_SCHEME_BILOU || scheme == NIO_SCHEME_BIOES;
    size_t n_out = 0;
    int open = 0;
    size_t open_start = 0;
    uint32_t open_type = 0;

    for (size_t i = 0; i < n; i++) {
        char raw = tags[i].prefix, p = norm(raw);
        uint32_t type = tags[i].type;
        if (p == 'O') {
            if (open) {
                out[n_out++] = (nio_span){open_start, i, open_type};
                open = 0;
                if (bilou)
                    rep->unclosed++;
            }
            continue;
        }
        if (iob && p != 'B' && p != 'I')
            rep->foreign++;
        int start_new = p == 'B' || p == 'U' || !open || open_type != type;
        if (start_new) {
            int after_same = i > 0 && tags[i - 1].prefix != 'O' &&
                             tags[i - 1].type == type;
            if (open) {
                out[n_out++] = (nio_span){open_start, i, open_type};
                if (bilou)
                    rep->unclosed++;
            }
            if ((p == 'I' && (scheme == NIO_SCHEME_IOB2 || bilou)) ||
                (p == 'L' && bilou)) {
                rep->i_start++;
            } else if (p == 'B' && scheme == NIO_SCHEME_IOB1 && !after_same) {
                rep->b_start++;
            }
            open = 1;
            open_start = i;
            open_type = type;
        }
        if (p == 'L' || p == 'U') {
            out[n_out++] = (nio_span){open_start, i + 1, open_type};
            open = 0;
        }
    }
    if (open) {
        out[n_out++] = (nio_span){open_start, n, open_type};
        if (bilou)
            rep->unclosed++;
    }
    return n_out;
}

int nio_tags_encode(const nio_span *spans, size_t n_spans, size_t n_tokens,
                    nio_scheme scheme, nio_tag *out)
{
    if (scheme != NIO_SCHEME_IOB1 && scheme != NIO_SCHEME_IOB2 &&
        scheme != NIO_SCHEME_BILOU && scheme != NIO_SCHEME_BIOES)
        return NER_EINVAL;
    size_t prev_end = 0;
    for (size_t k = 0; k < n_spans; k++) {
        const nio_span *s = &spans[k];
        if (s->start >= s->end || s->end > n_tokens || s->start < prev_end)
            return NER_EINVAL;
        prev_end = s->end;
    }
    for (size_t i = 0; i < n_tokens; i++)
        out[i] = (nio_tag){'O', 0};
    char last = scheme == NIO_SCHEME_BILOU ? 'L' : 'E';
    char single = scheme == NIO_SCHEME_BILOU ? 'U' : 'S';
    for (size_t k = 0; k < n_spans; k++) {
        const nio_span *s = &spans[k];
        for (size_t i = s->start; i < s->end; i++)
            out[i] = (nio_tag){'I', s->label};
        switch (scheme) {
        case NIO_SCHEME_IOB1:
            if (k > 0 && spans[k - 1].end == s->start &&
                spans[k - 1].label == s->label)
                out[s->start].prefix = 'B';
            break;
        case NIO_SCHEME_IOB2:
            out[s->start].prefix = 'B';
            break;
        default:
            if (s->end - s->start == 1) {
                out[s->start].prefix = single;
            } else {
                out[s->start].prefix = 'B';
                out[s->end - 1].prefix = last;
            }
            break;
        }
    }
    return NER_OK;
}
