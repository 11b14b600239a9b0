/* The "wordpiece" component: BERT WordPiece tokenisation of a doc (lib/text/
 * wordpiece.h), for a model component after it.
 *
 * Config: a JSON object with no keys ({}).  dir (required) is a Hugging Face
 * folder, or the component's sub-folder of a saved pipeline: tokenizer.json
 * or vocab.txt, plus tokenizer_config.json when there is one.
 *
 * process
 *   - sets the doc's tokens to the pieces' byte ranges: one token per piece
 *     ([UNK] covers its whole word).  Pieces whose ranges overlap (a
 *     normalisation that turns one character into several, e.g. a Hangul
 *     syllable into jamo split between two pieces) share one token;
 *   - then attaches an nc_wp_attach (wordpiece_attach.h) under "wordpiece":
 *     ids, offsets, word index, token index and transformers' sub-word test
 *     per piece, and the special ids.  Setting tokens clears attachments, so
 *     the tokens are set first.
 *   Any text length; nothing is truncated here (the model component makes
 *   windows).  An empty or blank text gives no tokens and an empty attachment.
 *
 * Sub-word test (transformers' gather_pre_entities): a piece is a sub-word
 * when the length in code points of its token string (convert_ids_to_tokens)
 * differs from the length of the text it covers; [UNK] never is.  With an
 * empty continuing_subword_prefix transformers falls back to "the character
 * before the piece and its first character are not spaces", and so does this.
 *
 * save writes the files the tokenizer was loaded from, byte for byte.
 *
 * process is reentrant: the tokenizer is read-only and the scratch buffers
 * are per call (per batch in process_batch). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/errbuf.h"
#include "components/builtins.h"
#include "components/wordpiece_attach.h"
#include "ner/ner_component.h"
#include "text/bert_normalize.h"
#include "text/utf8.h"
#include "text/wordpiece.h"

typedef struct wp_state {
    nt_wordpiece *wp;
} wp_state;

static int wpc_init(void **state, const char *config_json, const char *dir,
                    char *errbuf, size_t errlen)
{
    if (!state) {
        nu_errf(errbuf, errlen, "wordpiece: state is NULL");
        return NER_EINVAL;
    }
    *state = NULL;
    json_error_t je;
    json_t *cfg = json_loads(config_json ? config_json : "{}", JSON_REJECT_DUPLICATES, &je);
    if (!cfg) {
        nu_errf(errbuf, errlen, "wordpiece config: line %d, column %d: %s", je.line,
             je.column, je.text);
        return NER_EFORMAT;
    }
    int ok = json_is_object(cfg) && json_object_size(cfg) == 0;
    if (!ok) {
        const char *key = json_is_object(cfg) ? json_object_iter_key(json_object_iter(cfg)) : NULL;
        if (key)
            nu_errf(errbuf, errlen, "wordpiece config: unknown key \"%.64s\" (the "
                 "component takes none: its settings come from the folder's "
                 "tokenizer files)", key);
        else
            nu_errf(errbuf, errlen, "wordpiece config must be a JSON object");
    }
    json_decref(cfg);
    if (!ok)
        return NER_EINVAL;
    if (!dir) {
        nu_errf(errbuf, errlen, "wordpiece: needs a folder with vocab.txt or "
             "tokenizer.json (the dir parameter)");
        return NER_EINVAL;
    }
    wp_state *st = calloc(1, sizeof *st);
    if (!st)
        return NER_ENOMEM;
    int rc = nt_wordpiece_load_dir(&st->wp, dir, errbuf, errlen);
    if (rc != NER_OK) {
        free(st);
        return rc;
    }
    *state = st;
    return NER_OK;
}

/* 1 when the code point ending at byte b of text is White_Space. */
static int ws_before(const char *text, size_t b)
{
    size_t i = b - 1;
    while (i > 0 && ((unsigned char)text[i] & 0xC0) == 0x80)
        i--;
    size_t j = i;
    return nt_rust_is_whitespace(nt_utf8_next(text, b, &j));
}

static void attach_free(void *p)
{
    nc_wp_attach *a = p;
    if (!a)
        return;
    free(a->ids);
    free(a->subword);
    free(a->word_start);
    free(a->word);
    free(a->tok);
    free(a->cstart);
    free(a->cend);
    free(a);
}

/* Scratch kept across the docs of a batch. */
typedef struct wp_scratch {
    nt_wp_out out;
    size_t *starts, *ends;
    size_t cap;
} wp_scratch;

static int wp_doc(const wp_state *st, ner_doc *doc, wp_scratch *s)
{
    size_t len = 0;
    const char *text = ner_doc_text(doc, &len);
    int rc = nt_wordpiece_encode(st->wp, text, len, &s->out);
    if (rc != NER_OK)
        return ner_doc_set_error(doc, rc, "wordpiece: %s", ner_strerror(rc));
    const nt_wp_piece *p = s->out.p;
    size_t n = s->out.n;
    const nt_wp_info *info = nt_wordpiece_info(st->wp);
    nc_wp_attach *a = calloc(1, sizeof *a);
    if (!a)
        return ner_doc_set_error(doc, NER_ENOMEM, "wordpiece: out of memory");
    a->size = sizeof *a;
    a->n = n;
    size_t m = n ? n : 1;
    a->ids = malloc(m * sizeof *a->ids);
    a->subword = malloc(m * sizeof *a->subword);
    a->word_start = malloc(m * sizeof *a->word_start);
    a->word = malloc(m * sizeof *a->word);
    a->tok = malloc(m * sizeof *a->tok);
    a->cstart = malloc(m * sizeof *a->cstart);
    a->cend = malloc(m * sizeof *a->cend);
    if (n > s->cap) {
        size_t *ns = realloc(s->starts, n * sizeof *ns);
        if (ns)
            s->starts = ns;
        size_t *ne = realloc(s->ends, n * sizeof *ne);
        if (ne)
            s->ends = ne;
        if (ns && ne)
            s->cap = n;
    }
    if (!a->ids || !a->subword || !a->word_start || !a->word || !a->tok || !a->cstart || !a->cend ||
        n > s->cap) {
        attach_free(a);
        return ner_doc_set_error(doc, NER_ENOMEM, "wordpiece: out of memory for %zu pieces", n);
    }
    /* tokens: a new one where a piece starts at or after the end of all the
     * pieces before it; otherwise the piece joins the current token */
    size_t nt = 0, maxend = 0;
    for (size_t i = 0; i < n; i++) {
        size_t sb = p[i].start_byte, eb = p[i].end_byte;
        if (eb > sb && sb >= maxend) {
            s->starts[nt] = sb;
            s->ends[nt] = eb;
            nt++;
        } else if (nt && eb > s->ends[nt - 1]) {
            s->ends[nt - 1] = eb;
        }
        if (eb > maxend)
            maxend = eb;
        a->tok[i] = nt ? nt - 1 : 0; /* an empty first piece: token 0 */
    }
    const char *prefix = info->prefix ? info->prefix : "";
    for (size_t i = 0; i < n; i++) {
        a->ids[i] = p[i].id;
        a->word[i] = p[i].word;
        a->cstart[i] = p[i].start_char;
        a->cend[i] = p[i].end_char;
        int sub;
        if (*prefix)
            sub = p[i].tok_chars != p[i].end_char - p[i].start_char;
        else
            sub = p[i].start_char > 0 && text[p[i].start_byte - 1] != ' ' &&
                  !(p[i].start_byte < len && text[p[i].start_byte] == ' ');
        if (p[i].id == info->unk_id)
            sub = 0;
        a->subword[i] = (uint8_t)sub;
        a->word_start[i] = (uint8_t)(p[i].start_byte == 0 || ws_before(text, p[i].start_byte));
    }
    a->cls_id = info->cls_id;
    a->sep_id = info->sep_id;
    a->pad_id = info->pad_id;
    a->unk_id = info->unk_id;
    a->model_max_length = info->model_max_length;
    rc = ner_doc_set_tokens(doc, s->starts, s->ends, nt);
    if (rc != NER_OK) {
        attach_free(a);
        return rc;
    }
    rc = ner_doc_attach(doc, NC_WORDPIECE_KEY, a, attach_free);
    if (rc != NER_OK) {
        attach_free(a);
        return ner_doc_set_error(doc, rc, "wordpiece: cannot attach the pieces");
    }
    return NER_OK;
}

static void scratch_free(wp_scratch *s)
{
    nt_wp_out_free(&s->out);
    free(s->starts);
    free(s->ends);
}

static int wpc_process(const void *state, ner_doc *doc)
{
    if (!state || !doc)
        return NER_EINVAL;
    wp_scratch s;
    memset(&s, 0, sizeof s);
    nt_wp_out_init(&s.out);
    int rc = wp_doc(state, doc, &s);
    scratch_free(&s);
    return rc;
}

static int wpc_process_batch(const void *state, ner_doc *const *docs, size_t n)
{
    if (!state || (!docs && n))
        return NER_EINVAL;
    wp_scratch s;
    memset(&s, 0, sizeof s);
    nt_wp_out_init(&s.out);
    int first = NER_OK;
    for (size_t i = 0; i < n; i++) {
        int rc = docs[i] ? wp_doc(state, docs[i], &s) : NER_EINVAL;
        if (rc != NER_OK && first == NER_OK)
            first = rc;
    }
    scratch_free(&s);
    return first;
}

static int wpc_save(const void *state, const char *dir, char *errbuf, size_t errlen)
{
    const wp_state *st = state;
    if (!st || !dir) {
        nu_errf(errbuf, errlen, "wordpiece save: state and folder are required");
        return NER_EINVAL;
    }
    return nt_wordpiece_save(st->wp, dir, errbuf, errlen);
}

static void wpc_free(void *state)
{
    wp_state *st = state;
    if (!st)
        return;
    nt_wordpiece_free(st->wp);
    free(st);
}

static size_t wpc_labels(const void *state, const char *const **labels)
{
    (void)state;
    if (labels)
        *labels = NULL;
    return 0;
}

const ner_component_vtable nc_wordpiece_vtable = {
    .size = sizeof(ner_component_vtable),
    .abi = NER_COMPONENT_ABI,
    .factory = "wordpiece",
    .init = wpc_init,
    .process = wpc_process,
    .process_batch = wpc_process_batch,
    .save = wpc_save,
    .free = wpc_free,
    .labels = wpc_labels,
};
