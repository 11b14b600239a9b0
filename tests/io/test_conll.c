/* The column reader and writer on small inputs written by hand: shapes,
 * documents, errors with their messages, writing in every scheme. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/conll.h"
#include "ner/ner.h"

static nio_conll *read_ok(const char *text, nio_scheme scheme)
{
    nio_conll *c = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nio_conll_read_mem(&c, text, strlen(text), scheme, err, sizeof err);
    if (rc)
        print_message("unexpected error %d: %s\n", rc, err);
    assert_int_equal(rc, NER_OK);
    assert_non_null(c);
    return c;
}

/* Reads text expecting failure with code rc and a message equal to msg. */
static void read_bad(const char *text, size_t len, int rc, const char *msg)
{
    nio_conll *c = (nio_conll *)(uintptr_t)1;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nio_conll_read_mem(&c, text, len, NIO_SCHEME_AUTO, err,
                                        sizeof err), rc);
    assert_null(c);
    print_message("error: %s\n", err);
    assert_string_equal(err, msg);
}

/* "[0,1)ORG [2,3)MISC | [0,2)PER" spans of all sentences. */
static void all_spans(const nio_conll *c, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->n_sents; i++) {
        const nio_conll_sentence *s = &c->sents[i];
        if (i)
            at += (size_t)snprintf(buf + at, len - at, " |");
        for (size_t k = 0; k < s->n_spans; k++) {
            const nio_span *sp = &c->spans[s->first_span + k];
            at += (size_t)snprintf(buf + at, len - at, " [%zu,%zu)%s", sp->start,
                                   sp->end, nio_conll_label(c, sp->label));
        }
    }
}

static char *write_str(const nio_conll *c, nio_scheme scheme, unsigned flags)
{
    nio_buf b;
    nio_buf_init(&b);
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nio_conll_write(c, scheme, flags, &b, err, sizeof err);
    if (rc)
        print_message("write error: %s\n", err);
    assert_int_equal(rc, NER_OK);
    return b.data ? nio_buf_steal(&b, NULL) : calloc(1, 1);
}

static const char conll03[] =
    "-DOCSTART- -X- O O\n"
    "\n"
    "EU NNP I-NP I-ORG\n"
    "rejects VBZ I-VP O\n"
    "German JJ I-NP I-MISC\n"
    "call NN I-NP O\n"
    ". . O O\n"
    "\n"
    "Peter NNP I-NP I-PER\n"
    "Blackburn NNP I-NP I-PER\n"
    "\n"
    "-DOCSTART- -X- O O\n"
    "\n"
    "Japan NNP I-NP I-LOC\n"
    "and CC O O\n"
    "Syria NNP I-NP I-LOC\n"
    "Spain NNP I-NP B-LOC\n"
    "\n";

static void test_conll2003_shape(void **state)
{
    (void)state;
    nio_conll *c = read_ok(conll03, NIO_SCHEME_AUTO);
    assert_int_equal(c->n_docs, 2);
    assert_int_equal(c->n_docstart, 2);
    assert_int_equal(c->n_sents, 3);
    assert_int_equal(c->n_tokens, 11);
    assert_int_equal(c->n_columns, 4);
    assert_int_equal(c->sep, ' ');
    assert_int_equal(c->scheme, NIO_SCHEME_IOB1);
    assert_int_equal(c->decoded_as, NIO_SCHEME_IOB1);
    assert_int_equal(nio_repairs_total(&c->repairs), 0);
    assert_int_equal(c->docs[0].n_sentences, 2);
    assert_int_equal(c->docs[0].line, 1);
    assert_string_equal(c->docs[0].docstart, "-DOCSTART- -X- O O");
    assert_int_equal(c->docs[1].first_sentence, 2);
    assert_int_equal(c->docs[1].line, 12);
    assert_string_equal(c->tokens[0].text, "EU");
    assert_string_equal(c->tokens[0].mid, "NNP I-NP");
    assert_string_equal(c->tokens[0].tag, "I-ORG");
    assert_int_equal(c->tokens[0].line, 3);
    assert_int_equal(c->sents[1].line, 9);
    char s[256];
    all_spans(c, s, sizeof s);
    assert_string_equal(s, " [0,1)ORG [2,3)MISC | [0,2)PER | [0,1)LOC [2,3)LOC [3,4)LOC");
    assert_int_equal(nio_conll_count_entities(c, "LOC"), 3);
    assert_int_equal(nio_conll_count_entities(c, NULL), 6);
    assert_int_equal(nio_conll_count_entities(c, "GPE"), 0);

    /* Written back in IOB1 with the columns: the same bytes. */
    char *w = write_str(c, NIO_SCHEME_IOB1, NIO_CONLL_KEEP_COLUMNS);
    assert_string_equal(w, conll03);
    free(w);
    /* IOB2, token and tag only. */
    w = write_str(c, NIO_SCHEME_IOB2, 0);
    assert_string_equal(w,
        "-DOCSTART- O\n\n"
        "EU B-ORG\nrejects O\nGerman B-MISC\ncall O\n. O\n\n"
        "Peter B-PER\nBlackburn I-PER\n\n"
        "-DOCSTART- O\n\n"
        "Japan B-LOC\nand O\nSyria B-LOC\nSpain B-LOC\n\n");
    free(w);
    w = write_str(c, NIO_SCHEME_BILOU, NIO_CONLL_NO_DOCSTART);
    assert_string_equal(w,
        "EU U-ORG\nrejects O\nGerman U-MISC\ncall O\n. O\n\n"
        "Peter B-PER\nBlackburn L-PER\n\n"
        "Japan U-LOC\nand O\nSyria U-LOC\nSpain U-LOC\n\n");
    /* What was written reads back to the same spans, as BILOU. */
    nio_conll *c2 = read_ok(w, NIO_SCHEME_AUTO);
    assert_int_equal(c2->scheme, NIO_SCHEME_BILOU);
    assert_int_equal(c2->n_docs, 1);
    char s2[256];
    all_spans(c2, s2, sizeof s2);
    assert_string_equal(s2, s);
    nio_conll_free(c2);
    free(w);
    w = write_str(c, NIO_SCHEME_BIOES, NIO_CONLL_NO_DOCSTART);
    assert_non_null(strstr(w, "Peter B-PER\nBlackburn E-PER\n"));
    assert_non_null(strstr(w, "EU S-ORG\n"));
    free(w);
    nio_conll_free(c);
}

static void test_forced_scheme(void **state)
{
    (void)state;
    /* The IOB1 text counted as IOB2: the same spans, 4 I- starts repaired. */
    nio_conll *c = read_ok(conll03, NIO_SCHEME_IOB2);
    assert_int_equal(c->scheme, NIO_SCHEME_IOB1);
    assert_int_equal(c->decoded_as, NIO_SCHEME_IOB2);
    assert_int_equal(c->repairs.i_start, 5);
    assert_int_equal(nio_repairs_total(&c->repairs), 5);
    assert_int_equal(c->n_spans, 6);
    nio_conll_free(c);
    nio_conll *x = NULL;
    assert_int_equal(nio_conll_read_mem(&x, "a O\n", 4, (nio_scheme)9, NULL, 0),
                     NER_EINVAL);
}

static void test_tab_wnut_crlf(void **state)
{
    (void)state;
    /* TAB columns, a token with a space, WNUT-17 single-TAB sentence
     * breaks, spaces-only break, CRLF line ends, no final newline. */
    const char *text =
        "@paulwalk\tO\r\n"
        "New York\tB-location\r\n"
        "rocks\tO\r\n"
        "\t\r\n"
        "Tim\tB-person\r\n"
        "Cook\tI-person\r\n"
        "   \r\n"
        "\r\n"
        "\t\n"
        "Apple\tB-corporation";
    nio_conll *c = read_ok(text, NIO_SCHEME_AUTO);
    assert_int_equal(c->sep, '\t');
    assert_int_equal(c->n_columns, 2);
    assert_int_equal(c->n_docs, 1);
    assert_int_equal(c->docs[0].line, 0);
    assert_null(c->docs[0].docstart);
    assert_int_equal(c->n_docstart, 0);
    assert_int_equal(c->n_sents, 3);
    assert_int_equal(c->n_tokens, 6);
    assert_int_equal(c->n_crlf, 8);
    assert_int_equal(c->scheme, NIO_SCHEME_IOB2);
    assert_string_equal(c->tokens[1].text, "New York");
    assert_string_equal(c->tokens[1].mid, "");
    assert_string_equal(c->tokens[5].tag, "B-corporation");
    assert_int_equal(c->sents[2].line, 10);
    char s[256];
    all_spans(c, s, sizeof s);
    assert_string_equal(s, " [1,2)location | [0,2)person | [0,1)corporation");
    char *w = write_str(c, NIO_SCHEME_IOB2, NIO_CONLL_KEEP_COLUMNS);
    assert_string_equal(w,
        "@paulwalk\tO\nNew York\tB-location\nrocks\tO\n\n"
        "Tim\tB-person\nCook\tI-person\n\nApple\tB-corporation\n\n");
    free(w);
    nio_conll_free(c);
}

static void test_six_columns_and_docstarts(void **state)
{
    (void)state;
    /* bc5cdr shape; text before the first -DOCSTART- goes to an implicit
     * document; the other -DOCSTART- spellings; a -DOCSTART- right after a
     * token ends the sentence; a UTF-8 BOM; empty documents are kept. */
    const char *text =
        "\xEF\xBB\xBF"
        "Selegiline\tSelegiline\ts040204050\tNN\tB-NP\tB-Chemical\n"
        "-\t-\t-000\tHYPH\tO\tO\n"
        "-DOCSTART-\tO\n"
        "induced\tinduce\ti530203\tVBN\tB-NP\tO\n"
        "\n"
        "-DOCSTART- -X- -X- O\n"
        "-DOCSTART-\n"
        "\n"
        "  -DOCSTART-   -X- O O\n"
        "hypo\thypo\tx\tNN\tB-NP\tB-Disease\n"
        "tension\ttension\tx\tNN\tI-NP\tI-Disease\n";
    nio_conll *c = read_ok(text, NIO_SCHEME_AUTO);
    assert_int_equal(c->n_columns, 6);
    assert_int_equal(c->n_docstart, 4);
    assert_int_equal(c->n_docs, 5);
    assert_null(c->docs[0].docstart);
    assert_int_equal(c->docs[0].n_sentences, 1);
    assert_int_equal(c->docs[1].n_sentences, 1);
    assert_int_equal(c->docs[1].line, 3);
    assert_int_equal(c->docs[2].n_sentences, 0);
    assert_int_equal(c->docs[3].n_sentences, 0);
    assert_int_equal(c->docs[4].n_sentences, 1);
    assert_string_equal(c->docs[4].docstart, "  -DOCSTART-   -X- O O");
    assert_int_equal(c->n_sents, 3);
    assert_string_equal(c->tokens[0].text, "Selegiline");
    assert_string_equal(c->tokens[0].mid, "Selegiline\ts040204050\tNN\tB-NP");
    assert_int_equal(c->scheme, NIO_SCHEME_IOB2);
    char s[256];
    all_spans(c, s, sizeof s);
    assert_string_equal(s, " [0,1)Chemical | | [0,2)Disease");
    assert_string_equal(nio_conll_label(c, 0), "Chemical");
    assert_string_equal(nio_conll_label(c, 1), "Disease");
    assert_null(nio_conll_label(c, 2));
    char *w = write_str(c, NIO_SCHEME_IOB2, NIO_CONLL_KEEP_COLUMNS);
    assert_string_equal(w,
        "Selegiline\tSelegiline\ts040204050\tNN\tB-NP\tB-Chemical\n"
        "-\t-\t-000\tHYPH\tO\tO\n\n"
        "-DOCSTART-\tO\n\n"
        "induced\tinduce\ti530203\tVBN\tB-NP\tO\n\n"
        "-DOCSTART- -X- -X- O\n\n"
        "-DOCSTART-\n\n"
        "  -DOCSTART-   -X- O O\n\n"
        "hypo\thypo\tx\tNN\tB-NP\tB-Disease\n"
        "tension\ttension\tx\tNN\tI-NP\tI-Disease\n\n");
    free(w);
    nio_conll_free(c);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    nio_conll *c = read_ok("", NIO_SCHEME_AUTO);
    assert_int_equal(c->n_docs, 0);
    assert_int_equal(c->n_sents, 0);
    assert_int_equal(c->scheme, NIO_SCHEME_NONE);
    char *w = write_str(c, NIO_SCHEME_IOB2, 0);
    assert_string_equal(w, "");
    free(w);
    nio_conll_free(c);
    c = read_ok("\n \n\t\n\r\n", NIO_SCHEME_AUTO);
    assert_int_equal(c->n_docs, 0);
    nio_conll_free(c);
    c = read_ok("-DOCSTART- -X- O O\n\n", NIO_SCHEME_AUTO);
    assert_int_equal(c->n_docs, 1);
    assert_int_equal(c->n_sents, 0);
    nio_conll_free(c);
    c = read_ok("a O\nb O\n", NIO_SCHEME_AUTO);
    assert_int_equal(c->scheme, NIO_SCHEME_NONE);
    assert_int_equal(c->n_spans, 0);
    nio_conll_free(c);
    /* U+FEFF opening the first non-blank line is dropped (with blanks);
     * later ones are text. */
    c = read_ok("\n \xEF\xBB\xBF \xEF\xBB\xBF-DOCSTART- -X- O O\n\n"
                "\xEF\xBB\xBFx O\n", NIO_SCHEME_AUTO);
    assert_int_equal(c->n_docstart, 1);
    assert_string_equal(c->docs[0].docstart, "-DOCSTART- -X- O O");
    assert_string_equal(c->tokens[0].text, "\xEF\xBB\xBFx");
    nio_conll_free(c);
    c = read_ok("\n\xEF\xBB\xBF\xE7\xBB\xBF" "a\tO\n", NIO_SCHEME_AUTO);
    assert_string_equal(c->tokens[0].text, "\xE7\xBB\xBF" "a");
    assert_int_equal(c->tokens[0].line, 2);
    nio_conll_free(c);
    /* NULL data is fine when len is 0 */
    assert_int_equal(nio_conll_read_mem(&c, NULL, 0, NIO_SCHEME_AUTO, NULL, 0),
                     NER_OK);
    nio_conll_free(c);
    nio_conll_free(NULL);
}

static void test_errors(void **state)
{
    (void)state;
    const char *cols = "EU NNP I-ORG\nrejects VBZ O\n\nGerman I-MISC\n";
    read_bad(cols, strlen(cols), NER_EFORMAT,
             "line 4: inconsistent column count: 2 columns, but line 1 has 3");
    read_bad("a\tO\nb\n", 6, NER_EFORMAT,
             "line 2: only 1 column (no tag); a token line needs at least 2: "
             "the token first, the tag last");
    read_bad("a\tO\nb\t\n", 7, NER_EFORMAT,
             "line 2: only 1 column (no tag); a token line needs at least 2: "
             "the token first, the tag last");
    read_bad("a\tO\n\tO\n", 7, NER_EFORMAT, "line 2: empty token (column 1)");
    read_bad("a O\nb B_PER\n", 12, NER_EFORMAT,
             "line 2: tag \"B_PER\" is not O, B-X, I-X, L-X, U-X, E-X or S-X");
    read_bad("a O\nb B-\n", 9, NER_EFORMAT,
             "line 2: tag \"B-\" is not O, B-X, I-X, L-X, U-X, E-X or S-X");
    read_bad("a O\nb o\n", 8, NER_EFORMAT,
             "line 2: tag \"o\" is not O, B-X, I-X, L-X, U-X, E-X or S-X");
    read_bad("ok O\nab\xff O\n", 11, NER_EUTF8,
             "line 2: invalid UTF-8 at byte 3 of the line (file offset 7)");
    /* a truncated sequence at the very end, an overlong, a surrogate */
    read_bad("x O\n\xc3", 5, NER_EUTF8,
             "line 2: invalid UTF-8 at byte 1 of the line (file offset 4)");
    read_bad("\xc0\xaf O\n", 6, NER_EUTF8,
             "line 1: invalid UTF-8 at byte 1 of the line (file offset 0)");
    read_bad("a O\r\nb \xed\xa0\x80 O\r\n", 14, NER_EUTF8,
             "line 2: invalid UTF-8 at byte 3 of the line (file offset 7)");
    read_bad("a O\nb\0 O\n", 9, NER_EFORMAT, "line 2: NUL byte at byte 2 of the line");
    /* a very long bad tag is cut in the message on a character boundary */
    char longtag[300];
    memcpy(longtag, "a ", 2);
    for (int i = 2; i < 290; i += 2)
        memcpy(longtag + i, "\xc3\xa9", 2);
    nio_conll *c = NULL;
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(nio_conll_read_mem(&c, longtag, 290, NIO_SCHEME_AUTO, err,
                                        sizeof err), NER_EFORMAT);
    assert_non_null(strstr(err, "\xc3\xa9\" is not O"));
    /* errbuf NULL is fine; a small one is cut */
    assert_int_equal(nio_conll_read_mem(&c, "x\n", 2, NIO_SCHEME_AUTO, NULL, 0),
                     NER_EFORMAT);
    char tiny[8];
    assert_int_equal(nio_conll_read_mem(&c, "x\n", 2, NIO_SCHEME_AUTO, tiny,
                                        sizeof tiny), NER_EFORMAT);
    assert_string_equal(tiny, "line 1:");
    assert_int_equal(nio_conll_read_mem(NULL, "x\n", 2, NIO_SCHEME_AUTO, NULL, 0),
                     NER_EINVAL);
}

static void fixture(char *buf, size_t len, const char *name)
{
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    snprintf(buf, len, "%s/tests/fixtures/io/%s", root ? root : ".", name);
}

static void test_files(void **state)
{
    (void)state;
    char path[1024], err[NER_ERRBUF_SIZE], want[1200];
    nio_conll *c = NULL;
    fixture(path, sizeof path, "small_iob1.conll");
    int rc = nio_conll_read_file(&c, path, NIO_SCHEME_AUTO, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_int_equal(c->scheme, NIO_SCHEME_IOB1);
    assert_int_equal(c->n_docs, 2);
    assert_int_equal(c->n_sents, 3);
    assert_int_equal(c->n_spans, 5);

    /* written to a file in BILOU and read back: the same spans */
    char tmp[] = "/tmp/libner-test-conll-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nio_conll_write_file(c, tmp, NIO_SCHEME_BILOU,
                                          NIO_CONLL_KEEP_COLUMNS, err,
                                          sizeof err), NER_OK);
    nio_conll *c2 = NULL;
    assert_int_equal(nio_conll_read_file(&c2, tmp, NIO_SCHEME_AUTO, err,
                                         sizeof err), NER_OK);
    unlink(tmp);
    assert_int_equal(c2->scheme, NIO_SCHEME_BILOU);
    assert_int_equal(c2->n_docs, 2);
    char s1[512], s2[512];
    all_spans(c, s1, sizeof s1);
    all_spans(c2, s2, sizeof s2);
    assert_string_equal(s1, s2);
    print_message("%s\n", s1);
    assert_string_equal(s1, " [0,2)PER [3,4)LOC | [0,1)ORG | [1,2)MISC [2,3)MISC");
    nio_conll_free(c2);
    /* writing into a folder that does not exist */
    assert_int_equal(nio_conll_write_file(c, "/nonexistent/x.conll",
                                          NIO_SCHEME_IOB2, 0, err, sizeof err),
                     NER_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.conll: cannot open for writing"));
    nio_conll_free(c);

    fixture(path, sizeof path, "bad_columns.conll");
    assert_int_equal(nio_conll_read_file(&c, path, NIO_SCHEME_AUTO, err,
                                         sizeof err), NER_EFORMAT);
    snprintf(want, sizeof want,
             "%s: line 5: inconsistent column count: 2 columns, but line 3 has 4",
             path);
    assert_string_equal(err, want);

    fixture(path, sizeof path, "no-such-file.conll");
    assert_int_equal(nio_conll_read_file(&c, path, NIO_SCHEME_AUTO, err,
                                         sizeof err), NER_EIO);
    assert_null(c);
    assert_non_null(strstr(err, "no-such-file.conll: cannot open: "));
}

static void test_write_sentence(void **state)
{
    (void)state;
    const char *toks[] = {"Tim", "Cook", "visits", "New York"};
    const char *mids[] = {"NNP", "", NULL, "NNP"};
    const char *labels[] = {"PER", "LOC"};
    nio_span sp[] = {{0, 2, 0}, {3, 4, 1}};
    nio_buf b;
    nio_buf_init(&b);
    char err[NER_ERRBUF_SIZE];
    assert_int_equal(nio_conll_write_sentence(&b, toks, mids, 4, sp, 2, labels,
                                              2, NIO_SCHEME_BILOU, '\t', err,
                                              sizeof err), NER_OK);
    assert_string_equal(b.data, "Tim\tNNP\tB-PER\nCook\t\tL-PER\nvisits\tO\n"
                                "New York\tNNP\tU-LOC\n\n");
    nio_buf_free(&b);
    /* a token holding the separator cannot be written */
    assert_int_equal(nio_conll_write_sentence(&b, toks, NULL, 4, sp, 2, labels,
                                              2, NIO_SCHEME_IOB2, ' ', err,
                                              sizeof err), NER_EINVAL);
    assert_string_equal(err, "token 3: missing, empty, or holding the separator "
                             "or a LF");
    /* a label id out of range */
    nio_span bad_label[] = {{0, 1, 2}};
    assert_int_equal(nio_conll_write_sentence(&b, toks, NULL, 3, bad_label, 1,
                                              labels, 2, NIO_SCHEME_IOB2, ' ',
                                              err, sizeof err), NER_EINVAL);
    /* overlapping spans */
    nio_span ov[] = {{0, 2, 0}, {1, 3, 1}};
    assert_int_equal(nio_conll_write_sentence(&b, toks, NULL, 3, ov, 2, labels,
                                              2, NIO_SCHEME_IOB2, ' ', err,
                                              sizeof err), NER_EINVAL);
    assert_non_null(strstr(err, "cannot encode the spans in IOB2"));
    /* bad separator, bad scheme */
    assert_int_equal(nio_conll_write_sentence(&b, toks, NULL, 3, NULL, 0, labels,
                                              2, NIO_SCHEME_IOB2, ',', err,
                                              sizeof err), NER_EINVAL);
    assert_int_equal(nio_conll_write_sentence(&b, toks, NULL, 3, NULL, 0, labels,
                                              2, NIO_SCHEME_NONE, ' ', err,
                                              sizeof err), NER_EINVAL);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conll2003_shape),
        cmocka_unit_test(test_forced_scheme),
        cmocka_unit_test(test_tab_wnut_crlf),
        cmocka_unit_test(test_six_columns_and_docstarts),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_write_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
