/* Fuzz target: entity_ruler patterns (lib/rules) over a text.
 *
 * Input: PATTERNS_JSONL [NUL TEXT].  The bytes before the first NUL are
 * loaded as patterns.jsonl (phrases cut by the built-in English tokenizer
 * rules) with each phrase attribute (ORTH, LOWER, SHAPE); when they load,
 * the bytes after the NUL (when valid UTF-8) are tokenized and matched in
 * every alignment mode, and the entities are chosen.  Every promise of
 * lib/rules/ruleset.h is checked; a broken one traps.  A failed load must
 * say why.  Build with clang -fsanitize=fuzzer,address (meson
 * -Dfuzzers=true), or link with tests/fuzz/replay_main.c to replay a
 * corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ner/ner.h"
#include "rules/ruleset.h"
#include "text/rule_tokenizer.h"
#include "text/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static void check_matches(const nr_ruleset *rs, const nr_match *m, size_t n, size_t ntok,
                          nr_scratch *s)
{
    size_t np = nr_ruleset_count(rs);
    for (size_t i = 0; i < n; i++) {
        CHECK(m[i].start < m[i].end && m[i].end <= ntok);
        CHECK(m[i].pattern < np);
        CHECK(nr_ruleset_label(rs, m[i].pattern) != NULL);
        CHECK(nr_ruleset_label(rs, m[i].pattern)[0] != '\0');
        if (i) { /* by start, longer first, then pattern; one per (start, pattern) */
            const nr_match *a = &m[i - 1], *b = &m[i];
            CHECK(a->start < b->start ||
                  (a->start == b->start && (a->end > b->end ||
                                            (a->end == b->end && a->pattern < b->pattern))));
        }
        for (size_t j = 0; j < i; j++)
            CHECK(!(m[j].start == m[i].start && m[j].pattern == m[i].pattern));
    }
    const uint32_t *sel = NULL;
    size_t ns = 0;
    int rc = nr_select(m, n, ntok, NULL, NULL, s, &sel, &ns);
    if (rc == NER_ENOMEM) return;
    CHECK(rc == NER_OK && ns <= n);
    for (size_t k = 0; k < ns; k++) {
        CHECK(sel[k] < n);
        if (k) {
            CHECK(sel[k - 1] < sel[k]);
            CHECK(m[sel[k - 1]].end <= m[sel[k]].start); /* never overlapping */
        }
    }
    /* no unchosen match could have been added without an overlap */
    for (size_t i = 0; i < n; i++) {
        int chosen = 0, clash = 0;
        for (size_t k = 0; k < ns; k++) {
            if (sel[k] == i) chosen = 1;
            else if (m[sel[k]].start < m[i].end && m[i].start < m[sel[k]].end) clash = 1;
        }
        CHECK(chosen || clash);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nt_rules *en;
    if (!en && nt_rules_builtin(&en, "en", NULL, 0) != NER_OK) return 0;
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t plen = nul ? (size_t)(nul - in) : size;
    const char *text = nul ? nul + 1 : "";
    size_t tlen = nul ? size - plen - 1 : 0;
    for (int attr = NR_ATTR_ORTH; attr <= NR_ATTR_SHAPE; attr++) {
        nr_ruleset *rs = NULL;
        if (nr_ruleset_new(&rs, attr) != NER_OK) return 0;
        char err[NER_ERRBUF_SIZE];
        err[0] = '\0';
        int rc = nr_ruleset_add_jsonl(rs, in, plen, "fuzz", en, err, sizeof err);
        CHECK(memchr(err, '\0', sizeof err) != NULL);
        if (rc != NER_OK) {
            CHECK(rc == NER_ENOMEM || err[0] != '\0');
            CHECK(rc < 0);
            nr_ruleset_free(rs);
            continue;
        }
        if (nr_ruleset_finish(rs) != NER_OK) {
            nr_ruleset_free(rs);
            continue;
        }
        const char *const *labels = NULL;
        size_t nl = nr_ruleset_labels(rs, &labels);
        for (size_t i = 0; i < nl; i++) CHECK(labels[i] && labels[i][0]);
        CHECK(nl == 0 || labels[nl] == NULL);
        if (nt_utf8_valid(text, tlen, NULL)) {
            nt_tokbuf tb;
            nt_tokbuf_init(&tb);
            nr_scratch *s = nr_scratch_new();
            if (s && nt_tokenize(en, text, tlen, &tb, NULL, 0) == NER_OK) {
                for (int align = NR_ALIGN_STRICT; align <= NR_ALIGN_EXPAND; align++) {
                    const nr_match *m = NULL;
                    size_t n = 0;
                    rc = nr_ruleset_match(rs, text, tlen, tb.starts, tb.ends, tb.n, align, s,
                                          &m, &n);
                    if (rc == NER_ENOMEM) continue;
                    CHECK(rc == NER_OK);
                    nr_match *copy = malloc((n ? n : 1) * sizeof *copy);
                    if (!copy) continue;
                    if (n) memcpy(copy, m, n * sizeof *copy);
                    check_matches(rs, copy, n, tb.n, s);
                    /* a second run on the same scratch gives the same */
                    const nr_match *m2 = NULL;
                    size_t n2 = 0;
                    CHECK(nr_ruleset_match(rs, text, tlen, tb.starts, tb.ends, tb.n, align, s,
                                           &m2, &n2) == NER_OK);
                    CHECK(n2 == n && (n == 0 || memcmp(copy, m2, n * sizeof *copy) == 0));
                    free(copy);
                }
            }
            nr_scratch_free(s);
            nt_tokbuf_free(&tb);
        }
        nr_ruleset_free(rs);
    }
    return 0;
}
