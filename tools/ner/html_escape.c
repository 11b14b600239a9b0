/* What both HTML pages share: escaping, label colours, the style sheet,
 * code-point offsets, the legend. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "html.h"
#include "ner/ner.h"

void html_escape(FILE *f, const char *s, size_t n)
{
    size_t run = 0;   /* bytes since the last escaped one, written in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char num[8];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
                snprintf(num, sizeof num, "&#%u;", c);
                rep = num;
            }
        }
        if (!rep) {
            run++;
            continue;
        }
        fwrite(s + i - run, 1, run, f);
        run = 0;
        fputs(rep, f);
    }
    fwrite(s + n - run, 1, run, f);
}

void html_escape_str(FILE *f, const char *s)
{
    if (s)
        html_escape(f, s, strlen(s));
}

/* Light enough for black text on top. */
static const struct { const char *label, *colour; } known[] = {
    {"PER", "#aa9cfc"}, {"PERSON", "#aa9cfc"}, {"ORG", "#7aecec"},
    {"LOC", "#ff9561"}, {"GPE", "#feca74"}, {"MISC", "#ffeb80"},
    {"NORP", "#c887fb"}, {"FAC", "#9cc9cc"}, {"PRODUCT", "#bfeeb7"},
    {"EVENT", "#f5d76e"}, {"DATE", "#bfe1d9"}, {"TIME", "#bfe1d9"},
    {"MONEY", "#e4e7d2"}, {"PERCENT", "#e4e7d2"}, {"QUANTITY", "#e4e7d2"},
    {"CARDINAL", "#e4e7d2"}, {"ORDINAL", "#e4e7d2"}, {"EMAIL", "#f9b4d2"},
    {"URL", "#b4d7f9"}, {"PHONE", "#d9c2a7"},
};
static const char *const palette[] = {
    "#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6",
    "#ffadad", "#a0c4ff", "#d0f4de", "#fcf6bd", "#e4c1f9", "#a9def9",
    "#ff99c8", "#b8e0d2", "#eac4d5", "#d6eadf",
};

const char *html_label_colour(const char *label)
{
    if (!label)
        return palette[0];
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (strcmp(known[i].label, label) == 0)
            return known[i].colour;
    uint32_t h = 2166136261u;   /* FNV-1a: stable across runs and machines */
    for (const unsigned char *p = (const unsigned char *)label; *p; p++)
        h = (h ^ *p) * 16777619u;
    return palette[h % (sizeof palette / sizeof *palette)];
}

static const char style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;"
    "color:#222;background:#fff}\n"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
    ".doc{border-top:1px solid #ddd;padding:.6em 0}\n"
    ".doc .line{color:#999;font-size:.75em}\n"
    ".text,.gtext,.ctx{white-space:pre-wrap;overflow-wrap:anywhere;line-height:2.3}\n"
    "mark.ent{padding:.12em .3em;border-radius:.3em;color:#000}\n"
    "mark.ent .label{font-size:.62em;font-weight:bold;margin-left:.35em;"
    "vertical-align:middle;user-select:none}\n"
    ".group{margin:.3em 0 0 1em}\n"
    ".group-name{color:#777;font-size:.75em}\n"
    ".gtext{line-height:1.5}\n"
    ".seg{display:inline-block;position:relative;white-space:pre-wrap}\n"
    ".bar{position:absolute;left:0;right:0;height:13px;font-size:10px;line-height:13px;"
    "overflow:visible;white-space:nowrap}\n"
    ".bar.first{border-top-left-radius:4px;border-bottom-left-radius:4px;z-index:1}\n"
    ".bar.last{border-top-right-radius:4px;border-bottom-right-radius:4px}\n"
    ".bar.first::before{content:attr(data-label);padding-left:3px;font-weight:bold}\n"
    ".legend span{display:inline-block;padding:.1em .5em;margin:.15em;border-radius:.3em}\n"
    ".error{color:#b00020}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border:1px solid #ccc;padding:.2em .6em;text-align:right}\n"
    "th.l,td.l{text-align:left}\n"
    "td.diag{font-weight:bold;background:#eef7ee}\n"
    "td.off{background:#fbeaea}\n"
    "table.ex td,table.ex th{text-align:left;vertical-align:top;max-width:40em}\n"
    ".none{color:#999}\n";

void html_page_begin(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"generator\" content=\"libner ", f);
    html_escape_str(f, ner_version());
    fputs("\">\n<title>", f);
    html_escape_str(f, title);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
    html_escape_str(f, title);
    fputs("</h1>\n", f);
}

void html_page_end(FILE *f)
{
    fputs("</body>\n</html>\n", f);
}

size_t *html_char_index(const char *text, size_t len, size_t *n_chars)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)text[i] & 0xc0) != 0x80;
    size_t *idx = malloc((n + 1) * sizeof *idx);
    if (!idx)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            idx[k++] = i;
    idx[n] = len;
    *n_chars = n;
    return idx;
}

int html_legend_add(html_legend *l, const char *label)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->labels[i], label) == 0) {
            l->counts[i]++;
            return 0;
        }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **nl = realloc(l->labels, cap * sizeof *nl);
        if (!nl)
            return -1;
        l->labels = nl;
        size_t *nc = realloc(l->counts, cap * sizeof *nc);
        if (!nc)
            return -1;
        l->counts = nc;
        l->cap = cap;
    }
    if (!(l->labels[l->n] = strdup(label)))
        return -1;
    l->counts[l->n++] = 1;
    return 0;
}

void html_legend_write(FILE *f, const html_legend *l)
{
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < l->n; i++) {
        fprintf(f, "<span style=\"background:%s\" data-label=\"",
                html_label_colour(l->labels[i]));
        html_escape_str(f, l->labels[i]);
        fputs("\">", f);
        html_escape_str(f, l->labels[i]);
        fprintf(f, " %zu</span>", l->counts[i]);
    }
    fputs("</div>\n", f);
}

void html_legend_free(html_legend *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->labels[i]);
    free(l->labels);
    free(l->counts);
    memset(l, 0, sizeof *l);
}
