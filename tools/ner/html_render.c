/* One document as HTML: entities marked in the text, span groups (which
 * may overlap) drawn as stacked bars beneath, displaCy's idea. */
#include <stdlib.h>
#include <string.h>
#include "html.h"

typedef struct rspan {
    size_t s, e;           /* code points */
    const char *label;     /* borrowed from the JSON */
    double score;
    int has_score;
    const char *kb_id;     /* NULL: none */
    int linked;            /* has kb_id or kb_score: "kb:NIL" when no id */
    size_t track;          /* span groups: the row of its bar */
} rspan;

typedef struct rgroup {
    const char *name;
    rspan *v;
    size_t n, tracks;
} rgroup;

static int by_start(const void *a, const void *b)
{
    const rspan *x = a, *y = b;
    if (x->s != y->s)
        return x->s < y->s ? -1 : 1;
    if (x->e != y->e)
        return x->e > y->e ? -1 : 1;   /* longer first: it gets the upper row */
    return 0;
}

static int get_offset(json_t *v, size_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (size_t)json_integer_value(v);
    return 0;
}

/* A span of the doc JSON ({"start","end","label",...}) or of the training
 * JSONL ([start, end, label]). */
static int parse_span(json_t *j, const char *text, const size_t *idx, size_t nch,
                      rspan *r, const char *what, size_t k, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    json_t *t = NULL;
    int ok;
    if (json_is_array(j)) {
        ok = json_array_size(j) >= 3 && get_offset(json_array_get(j, 0), &r->s) == 0 &&
             get_offset(json_array_get(j, 1), &r->e) == 0 &&
             json_is_string(json_array_get(j, 2));
        if (ok)
            r->label = json_string_value(json_array_get(j, 2));
    } else {
        ok = json_is_object(j) && get_offset(json_object_get(j, "start"), &r->s) == 0 &&
             get_offset(json_object_get(j, "end"), &r->e) == 0 &&
             json_is_string(json_object_get(j, "label"));
        if (ok) {
            r->label = json_string_value(json_object_get(j, "label"));
            json_t *sc = json_object_get(j, "score"), *kb = json_object_get(j, "kb_id");
            if (json_is_number(sc)) {
                r->score = json_number_value(sc);
                r->has_score = 1;
            }
            r->kb_id = json_string_value(kb);
            r->linked = json_is_string(kb) || json_object_get(j, "kb_score") != NULL;
            t = json_object_get(j, "text");
        }
    }
    if (!ok) {
        snprintf(err, errlen, "%s %zu: expected {\"start\", \"end\", \"label\"} or "
                 "[start, end, label] with offsets >= 0", what, k);
        return -1;
    }
    if (r->s >= r->e || r->e > nch) {
        snprintf(err, errlen, "%s %zu: offsets [%zu, %zu) are not a non-empty span of "
                 "the text's %zu code points", what, k, r->s, r->e, nch);
        return -1;
    }
    size_t bs = idx[r->s], be = idx[r->e];
    if (json_is_string(t) && (json_string_length(t) != be - bs ||
                              memcmp(json_string_value(t), text + bs, be - bs) != 0)) {
        snprintf(err, errlen, "%s %zu: [%zu, %zu) holds \"%.*s\", not its \"text\" "
                 "\"%.40s\" (offsets must be code points, not bytes)", what, k, r->s, r->e,
                 (int)(be - bs > 40 ? 40 : be - bs), text + bs, json_string_value(t));
        return -1;
    }
    return 0;
}

static int parse_list(json_t *arr, const char *text, const size_t *idx, size_t nch,
                      rspan **out, size_t *n, const char *what, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "%s: expected an array", what);
        return -1;
    }
    size_t m = json_array_size(arr);
    rspan *v = calloc(m ? m : 1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < m; k++)
        if (parse_span(json_array_get(arr, k), text, idx, nch, &v[k], what, k, err,
                       errlen) != 0) {
            free(v);
            return -1;
        }
    qsort(v, m, sizeof *v, by_start);
    *out = v;
    *n = m;
    return 0;
}

static void write_attr_num(FILE *f, const char *name, size_t v)
{
    fprintf(f, " %s=\"%zu\"", name, v);
}

/* data-* attributes and the hover title: "PER 0.97 kb:Q42". */
static void write_span_attrs(FILE *f, const rspan *r)
{
    fputs(" data-label=\"", f);
    html_escape_str(f, r->label);
    fputc('"', f);
    write_attr_num(f, "data-start", r->s);
    write_attr_num(f, "data-end", r->e);
    if (r->has_score)
        fprintf(f, " data-score=\"%.4g\"", r->score);
    if (r->kb_id) {
        fputs(" data-kb-id=\"", f);
        html_escape_str(f, r->kb_id);
        fputc('"', f);
    }
    fputs(" title=\"", f);
    html_escape_str(f, r->label);
    if (r->has_score)
        fprintf(f, " %.2f", r->score);
    if (r->linked) {
        fputs(" kb:", f);
        html_escape_str(f, r->kb_id ? r->kb_id : "NIL");
    }
    fputc('"', f);
}

static void write_ents(FILE *f, const char *text, const size_t *idx, size_t nch,
                       const rspan *v, size_t n)
{
    size_t pos = 0;
    fputs("<div class=\"text\">", f);
    for (size_t k = 0; k < n; k++) {
        html_escape(f, text + idx[pos], idx[v[k].s] - idx[pos]);
        fputs("<mark class=\"ent\"", f);
        write_span_attrs(f, &v[k]);
        fprintf(f, " style=\"background:%s\">", html_label_colour(v[k].label));
        html_escape(f, text + idx[v[k].s], idx[v[k].e] - idx[v[k].s]);
        fputs("<span class=\"label\">", f);
        html_escape_str(f, v[k].label);
        fputs("</span></mark>", f);
        pos = v[k].e;
    }
    html_escape(f, text + idx[pos], idx[nch] - idx[pos]);
    fputs("</div>\n", f);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

enum { BAR_PITCH = 15, BAR_BASE = 2 };

/* The text cut at every span boundary; a piece under spans is an
 * inline-block with one bar per covering span, in that span's row. */
static int write_group(FILE *f, const char *text, const size_t *idx, size_t nch,
                       rgroup *g)
{
    size_t *ends = calloc(g->n ? g->n : 1, sizeof *ends);
    size_t *pts = malloc((2 * g->n + 2) * sizeof *pts);
    if (!ends || !pts) {
        free(ends);
        free(pts);
        return -1;
    }
    g->tracks = 0;
    for (size_t k = 0; k < g->n; k++) {   /* sorted by start: greedy rows */
        size_t t = 0;
        while (t < g->tracks && ends[t] > g->v[k].s)
            t++;
        if (t == g->tracks)
            g->tracks++;
        ends[t] = g->v[k].e;
        g->v[k].track = t;
    }
    size_t np = 0;
    pts[np++] = 0;
    pts[np++] = nch;
    for (size_t k = 0; k < g->n; k++) {
        pts[np++] = g->v[k].s;
        pts[np++] = g->v[k].e;
    }
    qsort(pts, np, sizeof *pts, cmp_size);
    fputs("<div class=\"group\" data-group=\"", f);
    html_escape_str(f, g->name);
    fputs("\"><div class=\"group-name\">", f);
    html_escape_str(f, g->name);
    fputs("</div><div class=\"gtext\">", f);
    for (size_t i = 0; i + 1 < np; i++) {
        size_t a = pts[i], b = pts[i + 1];
        if (a == b)
            continue;
        int covered = 0;
        for (size_t k = 0; k < g->n && !covered; k++)
            covered = g->v[k].s <= a && g->v[k].e >= b;
        if (!covered) {
            html_escape(f, text + idx[a], idx[b] - idx[a]);
            continue;
        }
        fprintf(f, "<span class=\"seg\" style=\"padding-bottom:%zupx\">",
                BAR_BASE + g->tracks * BAR_PITCH);
        html_escape(f, text + idx[a], idx[b] - idx[a]);
        for (size_t k = 0; k < g->n; k++) {
            const rspan *r = &g->v[k];
            if (!(r->s <= a && r->e >= b))
                continue;
            fprintf(f, "<span class=\"bar%s%s\"", r->s == a ? " first" : "",
                    r->e == b ? " last" : "");
            write_span_attrs(f, r);
            /* row 0 nearest the text */
            fprintf(f, " style=\"bottom:%zupx;background:%s\"></span>",
                    BAR_BASE + (g->tracks - 1 - r->track) * BAR_PITCH,
                    html_label_colour(r->label));
        }
        fputs("</span>", f);
    }
    fputs("</div></div>\n", f);
    free(ends);
    free(pts);
    return 0;
}

int html_render_doc(FILE *f, json_t *doc, size_t id, html_legend *legend,
                    char *err, size_t errlen)
{
    json_t *jt = json_object_get(doc, "text");
    if (!json_is_string(jt)) {
        snprintf(err, errlen, "no \"text\" string field");
        return -1;
    }
    const char *text = json_string_value(jt);
    size_t len = json_string_length(jt), nch = 0;
    size_t *idx = html_char_index(text, len, &nch);
    json_t *spans = json_object_get(doc, "spans");
    size_t ng = json_is_object(spans) ? json_object_size(spans) : 0;
    rgroup *groups = calloc(ng ? ng : 1, sizeof *groups);
    rspan *ents = NULL;
    size_t ne = 0;
    int rc = -1;
    if (!idx || !groups) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    json_t *je = json_object_get(doc, "ents");
    if (!je)
        je = json_object_get(doc, "entities");
    if (parse_list(je, text, idx, nch, &ents, &ne, "entity", err, errlen) != 0)
        goto done;
    for (size_t k = 1; k < ne; k++)
        if (ents[k].s < ents[k - 1].e) {
            snprintf(err, errlen, "entities [%zu, %zu) %s and [%zu, %zu) %s overlap "
                     "(overlapping spans belong in \"spans\" groups)", ents[k - 1].s,
                     ents[k - 1].e, ents[k - 1].label, ents[k].s, ents[k].e, ents[k].label);
            goto done;
        }
    if (spans && !json_is_object(spans) && !json_is_null(spans)) {
        snprintf(err, errlen, "\"spans\": expected an object of span groups");
        goto done;
    }
    const char *name;
    json_t *arr;
    size_t gi = 0;
    if (ng)
        json_object_foreach(spans, name, arr) {
            char what[96];
            snprintf(what, sizeof what, "span of group \"%.60s\"", name);
            groups[gi].name = name;
            if (parse_list(arr, text, idx, nch, &groups[gi].v, &groups[gi].n, what, err,
                           errlen) != 0)
                goto done;
            gi++;
        }
    for (size_t k = 0; k < ne; k++)
        if (html_legend_add(legend, ents[k].label) != 0) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    fprintf(f, "<section class=\"doc\" id=\"doc-%zu\" data-line=\"%zu\">"
               "<div class=\"line\">line %zu</div>", id, id, id);
    write_ents(f, text, idx, nch, ents, ne);
    for (size_t g = 0; g < ng; g++)
        if (groups[g].n && write_group(f, text, idx, nch, &groups[g]) != 0) {
            snprintf(err, errlen, "out of memory");
            fputs("</section>\n", f);
            goto done;
        }
    fputs("</section>\n", f);
    rc = 0;
done:
    for (size_t g = 0; g < ng && groups; g++)
        free(groups[g].v);
    free(groups);
    free(ents);
    free(idx);
    return rc;
}
