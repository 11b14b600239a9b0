/* Prints how libner's BERT normaliser classes every code point, in the
 * format of tests/fixtures/wordpiece/make_unicode_probe.mjs, for
 * gen_unicode_tables.py.  Not a test: a tool to regenerate
 * lib/text/bert_unicode_tables.h.
 *   bert_unicode_dump         the answers libner gives (tables applied)
 *   bert_unicode_dump base    utf8proc's answers (no tables)
 *   bert_unicode_dump ccc     utf8proc's non-zero combining classes */
#include <stdio.h>
#include <string.h>

#include "text/bert_normalize.h"
#include "text/bert_unicode_tables.h"

static void hex(char *b, size_t cap, const int32_t *c, int n)
{
    size_t k = 0;
    b[0] = '\0';
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(b + k, cap - k, "%s%x", i ? " " : "", (unsigned)c[i]);
}

int main(int argc, char **argv)
{
    int base = argc > 1 && strcmp(argv[1], "base") == 0;
    if (argc > 1 && strcmp(argv[1], "ccc") == 0) {
        for (int32_t cp = 0x300; cp <= 0x10FFFF; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF)
                continue;
            int c = nt_bert_base_ccc(cp);
            if (c)
                printf("%x %d\n", (unsigned)cp, c);
        }
        return 0;
    }
    for (int32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char rec[1024], buf[256];
        size_t k = 0;
        rec[0] = '\0';
#define ADD(...) k += (size_t)snprintf(rec + k, sizeof rec - k, __VA_ARGS__)
        int ctrl = base ? nt_bert_base_is_control(cp) : nt_bert_is_control(cp);
        if (cp == 0 || cp == 0xFFFD || ctrl)
            ADD(",\"clean\":\"\"");
        else if (nt_bert_is_whitespace(cp) && cp != ' ')
            ADD(",\"clean\":\"20\"");
        if (nt_bert_is_chinese(cp))
            ADD(",\"cjk\":1");
        int32_t d[8];
        int n = base ? nt_bert_base_nfd_char(cp, d, 8) : nt_bert_nfd_char(cp, d, 8);
        if (!(n == 1 && d[0] == cp)) {
            hex(buf, sizeof buf, d, n);
            ADD(",\"nfd\":\"%s\"", buf);
        }
        int32_t s[8];
        int m = 0;
        for (int i = 0; i < n; i++)
            if (!(base ? nt_bert_base_is_mn(d[i]) : nt_bert_is_mn(d[i])))
                s[m++] = d[i];
        if (m != n) {
            hex(buf, sizeof buf, s, m);
            ADD(",\"strip\":\"%s\"", buf);
        }
        int32_t l[3];
        int nl = base ? nt_bert_base_to_lower(cp, l) : nt_rust_to_lower(cp, l);
        if (!(nl == 1 && l[0] == cp)) {
            hex(buf, sizeof buf, l, nl);
            ADD(",\"lower\":\"%s\"", buf);
        }
        if (base ? nt_bert_base_is_punct(cp) : nt_bert_is_punct(cp))
            ADD(",\"pre\":3");
        else if (nt_rust_is_whitespace(cp))
            ADD(",\"pre\":2");
        if (k)
            printf("{%s,\"cp\":\"%x\"}\n", rec + 1, (unsigned)cp);
    }
    return 0;
}
