/* HTML pages of the `ner` program: entities highlighted in place (ner
 * render) and the evaluation report (ner evaluate --html).  The pages are
 * self-contained: inline CSS, no script, no fetched resource. */
#ifndef NER_CLI_HTML_H
#define NER_CLI_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Writes s[0..n) as HTML text or attribute value: & < > " ' as entities,
 * C0 controls other than TAB and LF, CR and DEL as numeric references (an
 * HTML parser turns a raw CR into LF; "&#13;" keeps it).  s is UTF-8. */
void html_escape(FILE *f, const char *s, size_t n);
void html_escape_str(FILE *f, const char *s);

/* The background colour of a label, "#rrggbb": a fixed one for the usual
 * labels (PER, ORG, LOC, ...), else one of a palette picked by a hash of
 * the name, so a label has the same colour on every page. */
const char *html_label_colour(const char *label);

/* The page head up to and including <body>, with the shared style sheet;
 * title is plain text. */
void html_page_begin(FILE *f, const char *title);
void html_page_end(FILE *f);

/* Code-point to byte offsets of a UTF-8 text: idx[i] is the byte offset of
 * code point i, idx[n_chars] the length.  NULL when out of memory. */
size_t *html_char_index(const char *text, size_t len, size_t *n_chars);

/* Labels in order of first sight, with counts, for a legend. */
typedef struct html_legend {
    char **labels;
    size_t *counts;
    size_t n, cap;
} html_legend;

int html_legend_add(html_legend *l, const char *label);   /* 0, or -1: no memory */
void html_legend_write(FILE *f, const html_legend *l);
void html_legend_free(html_legend *l);

/* Writes one document of the doc JSON ({"text", "ents": [{"start", "end",
 * "label", "score", "kb_id", "kb_score"}], "spans": {group: [...]}};
 * offsets in code points) as a <section class="doc">: the text with a
 * <mark class="ent"> per entity, then each span group beneath it.  id is
 * the line number shown and kept in data-line.  Returns 0, or -1 with a
 * message in err (nothing written) when an offset is out of range, two
 * entities overlap or an entity's "text" differs from the text there. */
int html_render_doc(FILE *f, json_t *doc, size_t id, html_legend *legend,
                    char *err, size_t errlen);

/* Writes a whole report page from ner_evaluate's JSON (ner_train.h):
 * scores, the per-label table, the confusion table and the error examples
 * with gold and predicted spans side by side.  data names the gold file. */
void html_write_report(FILE *f, json_t *report, const char *data,
                       const char *model);

#endif
