/* ner evaluate --html: the scores of ner_evaluate's JSON as a page. */
#include <stdlib.h>
#include <string.h>
#include "html.h"

static double num(json_t *o, const char *k) { return json_number_value(json_object_get(o, k)); }
static long long integer(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static void label_chip(FILE *f, const char *label)
{
    fprintf(f, "<span class=\"chip\" style=\"background:%s;padding:0 .4em;"
               "border-radius:.3em\">", html_label_colour(label));
    html_escape_str(f, label);
    fputs("</span>", f);
}

static void prf_cells(FILE *f, json_t *o, const char *p, const char *r, const char *fk,
                      const char *tp, const char *fp, const char *fn)
{
    fprintf(f, "<td data-k=\"p\">%.4f</td><td data-k=\"r\">%.4f</td>"
               "<td data-k=\"f\">%.4f</td><td data-k=\"tp\">%lld</td>"
               "<td data-k=\"fp\">%lld</td><td data-k=\"fn\">%lld</td>",
            num(o, p), num(o, r), num(o, fk), integer(o, tp), integer(o, fp), integer(o, fn));
}

static void per_label(FILE *f, json_t *r)
{
    fputs("<h2>Per label</h2>\n<table id=\"per-label\"><thead><tr><th class=\"l\">label</th>"
          "<th>P</th><th>R</th><th>F1</th><th>tp</th><th>fp</th><th>fn</th></tr></thead>"
          "<tbody>\n", f);
    const char *lab;
    json_t *v;
    json_object_foreach(json_object_get(r, "ents_per_type"), lab, v) {
        fputs("<tr data-label=\"", f);
        html_escape_str(f, lab);
        fputs("\"><td class=\"l\">", f);
        label_chip(f, lab);
        fputs("</td>", f);
        prf_cells(f, v, "p", "r", "f", "tp", "fp", "fn");
        fputs("</tr>\n", f);
    }
    fputs("</tbody><tfoot><tr data-label=\"(micro)\"><td class=\"l\">(micro)</td>", f);
    prf_cells(f, r, "ents_p", "ents_r", "ents_f", "ents_tp", "ents_fp", "ents_fn");
    fputs("</tr></tfoot></table>\n", f);
}

static void confusion(FILE *f, json_t *r)
{
    json_t *conf = json_object_get(r, "confusion");
    /* columns: every predicted label seen, "O" (none) last */
    json_t *cols = json_array();
    const char *lab;
    json_t *row;
    int has_o = 0;
    json_object_foreach(conf, lab, row) {
        const char *pl;
        json_t *n;
        json_object_foreach(row, pl, n) {
            if (strcmp(pl, "O") == 0) {
                has_o = 1;
                continue;
            }
            size_t i, found = 0;
            json_t *c;
            json_array_foreach(cols, i, c)
                found |= strcmp(json_string_value(c), pl) == 0;
            if (!found)
                json_array_append_new(cols, json_string(pl));
        }
    }
    /* the rows' order (ner_train.h: byte order), so the diagonal is one */
    size_t nc = json_array_size(cols);
    for (size_t a = 1; a < nc; a++)
        for (size_t b = a; b > 0 && strcmp(json_string_value(json_array_get(cols, b - 1)),
                                           json_string_value(json_array_get(cols, b))) > 0;
             b--) {
            json_t *t = json_incref(json_array_get(cols, b));
            json_array_set(cols, b, json_array_get(cols, b - 1));
            json_array_set_new(cols, b - 1, t);
        }
    if (has_o)
        json_array_append_new(cols, json_string("O"));
    fputs("<h2>Confusion</h2>\n<p>Rows: gold label, columns: predicted label; O: no "
          "entity (a missing gold entity, or a spurious prediction).</p>\n"
          "<table id=\"confusion\"><thead><tr><th class=\"l\">gold \\ predicted</th>", f);
    size_t i;
    json_t *c;
    json_array_foreach(cols, i, c) {
        fputs("<th data-pred=\"", f);
        html_escape_str(f, json_string_value(c));
        fputs("\">", f);
        html_escape_str(f, json_string_value(c));
        fputs("</th>", f);
    }
    fputs("</tr></thead><tbody>\n", f);
    json_object_foreach(conf, lab, row) {
        fputs("<tr data-gold=\"", f);
        html_escape_str(f, lab);
        fputs("\"><th class=\"l\">", f);
        html_escape_str(f, lab);
        fputs("</th>", f);
        json_array_foreach(cols, i, c) {
            const char *pl = json_string_value(c);
            long long n = integer(row, pl);
            int diag = strcmp(pl, lab) == 0;
            fprintf(f, "<td class=\"%s\" data-gold=\"", diag ? "diag" : n ? "off" : "");
            html_escape_str(f, lab);
            fputs("\" data-pred=\"", f);
            html_escape_str(f, pl);
            fprintf(f, "\">%lld</td>", n);
        }
        fputs("</tr>\n", f);
    }
    fputs("</tbody></table>\n", f);
    json_decref(cols);
}

/* The context of an example with span (doc offsets) marked, or unmarked
 * with a note when there is no such span. */
static void example_cell(FILE *f, const char *cls, json_t *ex, json_t *span, const char *none)
{
    fprintf(f, "<td class=\"%s\"><div class=\"ctx\">", cls);
    json_t *ctx = json_object_get(ex, "context");
    json_t *cs = json_object_get(ex, "context_start");
    const char *text = json_string_value(ctx);
    size_t len = json_string_length(ctx), nch = 0;
    size_t *idx = text && json_is_integer(cs) ? html_char_index(text, len, &nch) : NULL;
    size_t s = 0, e = 0, off = idx ? (size_t)json_integer_value(cs) : 0;
    const char *label = json_string_value(json_object_get(span, "label"));
    if (json_is_object(span) && label) {
        s = (size_t)integer(span, "start");
        e = (size_t)integer(span, "end");
    }
    int marked = label && idx && s >= off && e <= off + nch && s < e;
    if (idx && !marked) {
        html_escape(f, text, len);
    } else if (idx) {
        html_escape(f, text, idx[s - off]);
    }
    if (label) {
        fputs("<mark class=\"ent\" data-label=\"", f);
        html_escape_str(f, label);
        fprintf(f, "\" data-start=\"%zu\" data-end=\"%zu\" title=\"", s, e);
        html_escape_str(f, label);
        fprintf(f, " [%zu, %zu)\" style=\"background:%s\">", s, e, html_label_colour(label));
        if (marked)
            html_escape(f, text + idx[s - off], idx[e - off] - idx[s - off]);
        else
            html_escape_str(f, json_string_value(json_object_get(span, "text")));
        fputs("<span class=\"label\">", f);
        html_escape_str(f, label);
        fputs("</span></mark>", f);
        if (marked)
            html_escape(f, text + idx[e - off], len - idx[e - off]);
    }
    fputs("</div>", f);
    if (!label)
        fprintf(f, "<div class=\"none\">%s</div>", none);
    fputs("</td>", f);
    free(idx);
}

static const char *const category_doc[][2] = {
    {"type", "right boundaries, wrong label"},
    {"boundary", "right label, wrong boundaries"},
    {"boundary_type", "wrong boundaries and wrong label"},
    {"spurious", "a prediction that no gold entity overlaps"},
    {"missing", "a gold entity that no wrong prediction overlaps"},
};

static void errors(FILE *f, json_t *r)
{
    json_t *errs = json_object_get(r, "errors"), *exs = json_object_get(r, "error_examples");
    fputs("<h2>Errors</h2>\n<p>Each wrong prediction is counted once, against the gold "
          "entity it overlaps most.</p>\n<table id=\"error-counts\"><tbody>\n", f);
    const char *cat;
    json_t *v;
    json_object_foreach(errs, cat, v) {
        const char *doc = "";
        for (size_t k = 0; k < sizeof category_doc / sizeof *category_doc; k++)
            if (strcmp(category_doc[k][0], cat) == 0)
                doc = category_doc[k][1];
        fputs("<tr data-category=\"", f);
        html_escape_str(f, cat);
        fputs("\"><th class=\"l\"><a href=\"#cat-", f);
        html_escape_str(f, cat);
        fputs("\">", f);
        html_escape_str(f, cat);
        fprintf(f, "</a></th><td>%lld</td><td class=\"l\">%s</td></tr>\n",
                (long long)json_integer_value(v), doc);
    }
    fputs("</tbody></table>\n", f);
    json_object_foreach(errs, cat, v) {
        json_t *arr = json_object_get(exs, cat);
        size_t shown = json_array_size(arr);
        fputs("<section class=\"cat\" id=\"cat-", f);
        html_escape_str(f, cat);
        fputs("\" data-category=\"", f);
        html_escape_str(f, cat);
        fputs("\"><h3>", f);
        html_escape_str(f, cat);
        fprintf(f, " (%lld", (long long)json_integer_value(v));
        if ((long long)shown < (long long)json_integer_value(v))
            fprintf(f, ", the first %zu shown", shown);
        fputs(")</h3>\n", f);
        if (shown) {
            fputs("<table class=\"ex\"><thead><tr><th>doc</th><th>line</th><th>gold</th>"
                  "<th>predicted</th></tr></thead><tbody>\n", f);
            size_t i;
            json_t *ex;
            json_array_foreach(arr, i, ex) {
                fprintf(f, "<tr class=\"example\" data-doc=\"%lld\" data-line=\"%lld\">"
                           "<td>%lld</td><td>%lld</td>", integer(ex, "doc"),
                        integer(ex, "line"), integer(ex, "doc"), integer(ex, "line"));
                example_cell(f, "gold", ex, json_object_get(ex, "gold"), "no gold entity");
                example_cell(f, "pred", ex, json_object_get(ex, "pred"), "no prediction");
                fputs("</tr>\n", f);
            }
            fputs("</tbody></table>\n", f);
        }
        fputs("</section>\n", f);
    }
}

void html_write_report(FILE *f, json_t *r, const char *data, const char *model)
{
    char title[400];
    snprintf(title, sizeof title, "Evaluation on %s", data ? data : "?");
    html_page_begin(f, title);
    fputs("<p class=\"summary\">model: ", f);
    html_escape_str(f, model ? model : "the default pipeline");
    fprintf(f, "; %lld docs, %lld tokens; %.2f s", integer(r, "docs"), integer(r, "tokens"),
            num(r, "seconds"));
    if (integer(r, "ignored_pred"))
        fprintf(f, "; %lld predictions with labels absent from the data ignored",
                integer(r, "ignored_pred"));
    fprintf(f, "</p>\n<p id=\"micro\">micro P <b>%.4f</b>, R <b>%.4f</b>, F1 <b>%.4f</b></p>\n",
            num(r, "ents_p"), num(r, "ents_r"), num(r, "ents_f"));
    per_label(f, r);
    confusion(f, r);
    errors(f, r);
    html_page_end(f);
}
