/* The JSONL corpus reader and writer on hand-written lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/jsonl_corpus.h"
#include "ner/ner.h"

static nio_jsonl *read_ok(const char *text, size_t len)
{
    nio_jsonl *c = NULL;
    char err[NER_ERRBUF_SIZE] = "";
    int rc = nio_jsonl_read_mem(&c, text, len, err, sizeof err);
    if (rc)
        print_message("unexpected error %d: %s\n", rc, err);
    assert_int_equal(rc, NER_OK);
    assert_non_null(c);
    return c;
}

#define READ_OK(lit) read_ok(lit, sizeof(lit) - 1)

static void read_bad(const char *text, size_t len, int rc, const char *msg)
{
    nio_jsonl *c = (nio_jsonl *)(uintptr_t)1;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(nio_jsonl_read_mem(&c, text, len, err, sizeof err), rc);
    assert_null(c);
    print_message("error: %s\n", err);
    if (msg[strlen(msg) - 1] == '*')
        assert_memory_equal(err, msg, strlen(msg) - 1);
    else
        assert_string_equal(err, msg);
}

/* msg ending in '*' matches a prefix */
#define READ_BAD(lit, rc, msg) read_bad(lit, sizeof(lit) - 1, rc, msg)

static void check_ent(const nio_jsonl *c, const nio_ent *e, size_t sc,
                      size_t ec, size_t sb, size_t eb, const char *label)
{
    assert_int_equal(e->start_char, sc);
    assert_int_equal(e->end_char, ec);
    assert_int_equal(e->start_byte, sb);
    assert_int_equal(e->end_byte, eb);
    assert_string_equal(nio_jsonl_label(c, e->label), label);
}

static void test_basic(void **state)
{
    (void)state;
    nio_jsonl *c = READ_OK(
        "{\"text\": \"Apple is in Cupertino\", \"entities\": [[0, 5, \"ORG\"], "
        "[12, 21, \"GPE\"]]}\n");
    assert_int_equal(c->n_recs, 1);
    const nio_record *r = &c->recs[0];
    assert_string_equal(r->text, "Apple is in Cupertino");
    assert_int_equal(r->len_bytes, 21);
    assert_int_equal(r->len_chars, 21);
    assert_int_equal(r->line, 1);
    assert_int_equal(r->n_ents, 2);
    check_ent(c, &r->ents[0], 0, 5, 0, 5, "ORG");
    check_ent(c, &r->ents[1], 12, 21, 12, 21, "GPE");
    assert_null(nio_jsonl_label(c, 2));
    nio_jsonl_free(c);
}

static void test_unicode_offsets(void **state)
{
    (void)state;
    /* Zürich (6 code points, 7 bytes), a flag of 2 code points (8 bytes),
     * Łódź (4 code points, 7 bytes); entities given out of order. */
    nio_jsonl *c = READ_OK(
        "{\"text\": \"Z\xc3\xbcrich \xf0\x9f\x87\xa8\xf0\x9f\x87\xad and "
        "\xc5\x81\xc3\xb3""d\xc5\xba\", \"entities\": [[14, 18, \"CITY\"], "
        "[0, 6, \"CITY\"], [7, 9, \"FLAG\"]]}");
    const nio_record *r = &c->recs[0];
    assert_int_equal(r->len_chars, 18);
    assert_int_equal(r->len_bytes, 28);
    check_ent(c, &r->ents[0], 0, 6, 0, 7, "CITY");
    check_ent(c, &r->ents[1], 7, 9, 8, 16, "FLAG");
    check_ent(c, &r->ents[2], 14, 18, 21, 28, "CITY");
    assert_memory_equal(r->text + r->ents[2].start_byte, "\xc5\x81\xc3\xb3""d\xc5\xba", 7);
    /* JSON escapes give the same text */
    nio_jsonl *c2 = READ_OK("{\"text\": \"Z\\u00fcrich \\ud83c\\udde8\\ud83c\\udded "
                            "and \\u0141\\u00f3d\\u017a\", \"entities\": [[7, 9, \"FLAG\"]]}");
    assert_string_equal(c2->recs[0].text, r->text);
    check_ent(c2, &c2->recs[0].ents[0], 7, 9, 8, 16, "FLAG");
    nio_jsonl_free(c2);
    nio_jsonl_free(c);
}

static void test_forms_and_blank_lines(void **state)
{
    (void)state;
    nio_jsonl *c = READ_OK(
        "\xEF\xBB\xBF"
        "{\"text\": \"Tim Cook\", \"spans\": [{\"start\": 0, \"end\": 8, \"label\": "
        "\"PER\", \"token_start\": 0}], \"meta\": {\"id\": 7}}\r\n"
        "\r\n"
        "   \t \n"
        "{\"text\": \"no entities\"}\n"
        "{\"text\": \"null entities\", \"entities\": null, \"spans\": [[0, 4, \"X\"]]}\n"
        "{\"text\": \"both\", \"entities\": [[0, 2, \"A\"]], \"spans\": [[0, 4, \"B\"]]}\n"
        "{\"text\": \"\", \"entities\": []}\n"
        "  {\"text\": \"mixed\", \"entities\": [[0, 1, \"A\"], {\"label\": \"B\", \"end\": 3, \"start\": 1}]}  ");
    assert_int_equal(c->n_recs, 6);
    assert_int_equal(c->recs[0].line, 1);
    check_ent(c, &c->recs[0].ents[0], 0, 8, 0, 8, "PER");
    assert_int_equal(c->recs[1].line, 4);
    assert_int_equal(c->recs[1].n_ents, 0);
    /* "entities": null falls back to "spans" */
    assert_int_equal(c->recs[2].n_ents, 1);
    check_ent(c, &c->recs[2].ents[0], 0, 4, 0, 4, "X");
    /* "entities" wins over "spans" */
    assert_int_equal(c->recs[3].n_ents, 1);
    check_ent(c, &c->recs[3].ents[0], 0, 2, 0, 2, "A");
    assert_int_equal(c->recs[4].len_bytes, 0);
    assert_string_equal(c->recs[4].text, "");
    assert_int_equal(c->recs[5].line, 8);
    check_ent(c, &c->recs[5].ents[1], 1, 3, 1, 3, "B");
    assert_int_equal(nio_strtab_count(&c->labels), 4);
    nio_jsonl_free(c);

    /* `ner run` output as gold: "ents" of objects (with their extra keys),
     * ahead of the doc JSON's "spans" object of groups */
    c = READ_OK(
        "{\"text\": \"Tim Cook\", \"ents\": [{\"start\": 0, \"end\": 8, \"label\": "
        "\"PER\", \"text\": \"Tim Cook\", \"score\": 0.9, \"kb_id\": null}], "
        "\"spans\": {\"sc\": [{\"start\": 0, \"end\": 3, \"label\": \"X\"}]}}\n"
        "{\"text\": \"ab\", \"entities\": [[0, 1, \"A\"]], \"ents\": [[0, 2, \"B\"]]}\n"
        "{\"text\": \"ab\", \"ents\": null, \"spans\": [[0, 2, \"C\"]]}\n");
    assert_int_equal(c->n_recs, 3);
    assert_int_equal(c->recs[0].n_ents, 1);
    check_ent(c, &c->recs[0].ents[0], 0, 8, 0, 8, "PER");
    check_ent(c, &c->recs[1].ents[0], 0, 1, 0, 1, "A");
    check_ent(c, &c->recs[2].ents[0], 0, 2, 0, 2, "C");
    nio_jsonl_free(c);
    /* the doc JSON's "spans" object alone is not a list of entities */
    READ_BAD("{\"text\": \"ab\", \"spans\": {\"sc\": []}}", NER_EFORMAT,
             "line 1: \"spans\" is an object, not a list");

    c = READ_OK("");
    assert_int_equal(c->n_recs, 0);
    nio_jsonl_free(c);
    c = READ_OK("\n\n");
    assert_int_equal(c->n_recs, 0);
    nio_jsonl_free(c);
}

static void test_errors(void **state)
{
    (void)state;
    READ_BAD("{\"text\": \"a\"}\n{\"text\": \"a\",}\n", NER_EFORMAT,
             "line 2: malformed JSON at column *");
    READ_BAD("{\"text\": \"a\"} x", NER_EFORMAT, "line 1: malformed JSON at column *");
    READ_BAD("{\"text\": \"\\ud800\"}", NER_EFORMAT, "line 1: malformed JSON at column *");
    READ_BAD("{\"text\": \"a\\u0000b\"}", NER_EFORMAT, "line 1: malformed JSON at column *");
    READ_BAD("[1, 2]", NER_EFORMAT, "line 1: a list, not a JSON object");
    READ_BAD("\"text\"", NER_EFORMAT, "line 1: malformed JSON at column *");
    READ_BAD("{\"entities\": []}", NER_EFORMAT, "line 1: \"text\" is missing");
    READ_BAD("{\"text\": 5}", NER_EFORMAT, "line 1: \"text\" is an integer, not a string");
    READ_BAD("{\"text\": null}", NER_EFORMAT, "line 1: \"text\" is null, not a string");
    READ_BAD("{\"text\": \"a\xff\"}", NER_EUTF8, "line 1: invalid UTF-8 at byte 12");
    READ_BAD("\n{\"text\": \"\xc3\"}", NER_EUTF8, "line 2: invalid UTF-8 at byte 11");
    READ_BAD("{\"text\": \"a\", \"entities\": {}}", NER_EFORMAT,
             "line 1: \"entities\" is an object, not a list");
    READ_BAD("{\"text\": \"a\", \"spans\": \"x\"}", NER_EFORMAT,
             "line 1: \"spans\" is a string, not a list");
    READ_BAD("{\"text\": \"abc\", \"entities\": [5]}", NER_EFORMAT,
             "line 1: entity 0 is neither [start, end, label] nor "
             "{\"start\", \"end\", \"label\"}");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[0, 1, \"A\"], [0, 1]]}", NER_EFORMAT,
             "line 1: entity 1 is neither [start, end, label] nor "
             "{\"start\", \"end\", \"label\"}");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[0, 10, \"X\"]]}", NER_ERANGE,
             "line 1: entity 0 [0,10) X: offset out of range (the text has 3 "
             "code points)");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[-1, 2, \"X\"]]}", NER_ERANGE,
             "line 1: entity 0 [-1,2) X: offset out of range (the text has 3 "
             "code points)");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[2, 2, \"X\"]]}", NER_ERANGE,
             "line 1: entity 0 [2,2) X: start >= end (the text has 3 code points)");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[2, 1, \"X\"]]}", NER_ERANGE,
             "line 1: entity 0 [2,1) X: start >= end (the text has 3 code points)");
    /* offsets count code points, not bytes: 2 code points, 4 bytes */
    READ_BAD("{\"text\": \"\xc3\xa9\xc3\xa9\", \"entities\": [[0, 3, \"X\"]]}", NER_ERANGE,
             "line 1: entity 0 [0,3) X: offset out of range (the text has 2 "
             "code points)");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[1.5, 2, \"X\"]]}", NER_EFORMAT,
             "line 1: entity 0: start offset 1.5 is not an integer");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[0, \"2\", \"X\"]]}", NER_EFORMAT,
             "line 1: entity 0: end offset is a string, not an integer");
    READ_BAD("{\"text\": \"abc\", \"entities\": [{\"end\": 2, \"label\": \"X\"}]}",
             NER_EFORMAT, "line 1: entity 0: \"start\" is missing");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[0, 1, 5]]}", NER_EFORMAT,
             "line 1: entity 0: the label is an integer, not a non-empty string");
    READ_BAD("{\"text\": \"abc\", \"entities\": [[0, 1, \"\"]]}", NER_EFORMAT,
             "line 1: entity 0: the label is empty, not a non-empty string");
    READ_BAD("{\"text\": \"abc\", \"entities\": [{\"start\": 0, \"end\": 1}]}",
             NER_EFORMAT,
             "line 1: entity 0: the label is missing, not a non-empty string");
    /* overlapping entities, reported in text order, on line 7 */
    READ_BAD("{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n\n\n\n"
             "{\"text\": \"Apple Inc. is\", \"entities\": [[3, 9, \"PER\"], "
             "[0, 5, \"ORG\"]]}\n", NER_EOVERLAP,
             "line 7: entities [0,5) ORG and [3,9) PER overlap");
    READ_BAD("{\"text\": \"abcdef\", \"entities\": [[0, 2, \"A\"], [0, 2, \"A\"]]}",
             NER_EOVERLAP, "line 1: entities [0,2) A and [0,2) A overlap");
    /* touching is fine */
    nio_jsonl *c = READ_OK("{\"text\": \"abcdef\", \"entities\": [[2, 4, \"B\"], [0, 2, \"A\"]]}");
    check_ent(c, &c->recs[0].ents[0], 0, 2, 0, 2, "A");
    nio_jsonl_free(c);
    /* NULL arguments */
    assert_int_equal(nio_jsonl_read_mem(NULL, "", 0, NULL, 0), NER_EINVAL);
    assert_int_equal(nio_jsonl_read_mem(&c, NULL, 3, NULL, 0), NER_EINVAL);
    /* a failed line leaves the corpus as it was */
    c = nio_jsonl_new();
    assert_non_null(c);
    const char *l1 = "{\"text\": \"ab\", \"entities\": [[0, 1, \"A\"]]}";
    const char *l2 = "{\"text\": \"ab\", \"entities\": [[0, 1, \"A\"], [0, 9, \"B\"]]}";
    assert_int_equal(nio_jsonl_parse_line(c, l1, strlen(l1), 1, NULL, 0), NER_OK);
    assert_int_equal(nio_jsonl_parse_line(c, l2, strlen(l2), 2, NULL, 0), NER_ERANGE);
    assert_int_equal(c->n_recs, 1);
    nio_jsonl_free(c);
}

static void test_writer(void **state)
{
    (void)state;
    nio_buf b;
    nio_buf_init(&b);
    char err[NER_ERRBUF_SIZE];
    nio_char_span e1[] = {{0, 6, "CITY"}, {7, 8, "Q\"uote"}};
    const char *t1 = "Z\xc3\xbcrich \"x\"\n\ttab";
    assert_int_equal(nio_jsonl_write_record(&b, t1, strlen(t1), e1, 2, err,
                                            sizeof err), NER_OK);
    assert_int_equal(nio_jsonl_write_record(&b, NULL, 0, NULL, 0, err,
                                            sizeof err), NER_OK);
    assert_string_equal(b.data,
        "{\"text\": \"Z\xc3\xbcrich \\\"x\\\"\\n\\ttab\", \"entities\": "
        "[[0, 6, \"CITY\"], [7, 8, \"Q\\\"uote\"]]}\n"
        "{\"text\": \"\", \"entities\": []}\n");
    /* and it reads back */
    nio_jsonl *c = read_ok(b.data, b.len);
    assert_int_equal(c->n_recs, 2);
    assert_string_equal(c->recs[0].text, t1);
    check_ent(c, &c->recs[0].ents[1], 7, 8, 8, 9, "Q\"uote");
    nio_buf b2;
    nio_buf_init(&b2);
    assert_int_equal(nio_jsonl_write(c, &b2, err, sizeof err), NER_OK);
    assert_string_equal(b2.data, b.data);
    nio_buf_free(&b2);

    /* to a file and back */
    char tmp[] = "/tmp/libner-test-jsonl-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(nio_jsonl_write_file(c, tmp, err, sizeof err), NER_OK);
    nio_jsonl *c2 = NULL;
    assert_int_equal(nio_jsonl_read_file(&c2, tmp, err, sizeof err), NER_OK);
    unlink(tmp);
    assert_int_equal(c2->n_recs, 2);
    assert_string_equal(c2->recs[0].text, t1);
    nio_jsonl_free(c2);
    nio_jsonl_free(c);

    /* refusals */
    size_t before = b.len;
    nio_char_span bad_range[] = {{0, 99, "X"}};
    assert_int_equal(nio_jsonl_write_record(&b, "abc", 3, bad_range, 1, err,
                                            sizeof err), NER_ERANGE);
    assert_string_equal(err, "entity 0 [0,99): offset out of range (the text "
                             "has 3 code points)");
    nio_char_span empty[] = {{1, 1, "X"}};
    assert_int_equal(nio_jsonl_write_record(&b, "abc", 3, empty, 1, err,
                                            sizeof err), NER_ERANGE);
    nio_char_span nolabel[] = {{0, 1, ""}};
    assert_int_equal(nio_jsonl_write_record(&b, "abc", 3, nolabel, 1, err,
                                            sizeof err), NER_EINVAL);
    assert_int_equal(nio_jsonl_write_record(&b, "a\xff", 2, NULL, 0, err,
                                            sizeof err), NER_EUTF8);
    assert_string_equal(err, "invalid UTF-8 at byte 1 of the text");
    assert_int_equal(nio_jsonl_write_record(&b, "a\0b", 3, NULL, 0, err,
                                            sizeof err), NER_EINVAL);
    assert_int_equal(b.len, before);
    nio_buf_free(&b);
}

static void test_file(void **state)
{
    (void)state;
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    char path[1024], err[NER_ERRBUF_SIZE], want[1200];
    snprintf(path, sizeof path, "%s/tests/fixtures/io/small.jsonl", root ? root : ".");
    nio_jsonl *c = NULL;
    int rc = nio_jsonl_read_file(&c, path, err, sizeof err);
    if (rc)
        print_message("%s\n", err);
    assert_int_equal(rc, NER_OK);
    assert_int_equal(c->n_recs, 3);
    assert_int_equal(c->recs[2].line, 4);
    check_ent(c, &c->recs[2].ents[0], 0, 5, 0, 6, "CITY");
    nio_jsonl_free(c);
    snprintf(path, sizeof path, "%s/tests/fixtures/io/bad_overlap.jsonl",
             root ? root : ".");
    assert_int_equal(nio_jsonl_read_file(&c, path, err, sizeof err), NER_EOVERLAP);
    assert_null(c);
    snprintf(want, sizeof want,
             "%s: line 3: entities [0,5) ORG and [3,9) PER overlap", path);
    assert_string_equal(err, want);
    assert_int_equal(nio_jsonl_read_file(&c, "/nonexistent.jsonl", err,
                                         sizeof err), NER_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_unicode_offsets),
        cmocka_unit_test(test_forms_and_blank_lines),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
