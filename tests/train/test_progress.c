/* The progress callbacks of ner_train and ner_kb_build (ner_progress_fn):
 * done never goes back within a phase, and the last call says done of
 * the total the header promises. */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "ner/ner.h"
#include "ner/ner_kb.h"
#include "ner/ner_train.h"

static char tmpdir[256];

typedef struct calls {
    size_t n, n_unknown;
    uint64_t done[64], total[64];
    int went_back;
} calls;

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    calls *c = user;
    if (c->n && total && c->total[(c->n - 1) % 64] == total &&
        done < c->done[(c->n - 1) % 64])
        c->went_back = 1;
    c->done[c->n % 64] = done;
    c->total[c->n % 64] = total;
    c->n_unknown += total == 0;
    c->n++;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_train_progress(void **st)
{
    (void)st;
    const char *root = getenv("LIBNER_SOURCE_ROOT");
    char drugs[1024], out[512];
    snprintf(drugs, sizeof drugs, "%s/tests/fixtures/train/drugs.jsonl", root ? root : ".");
    path_in(out, sizeof out, "trained");
    ner_train_params p;
    ner_train_params_init(&p, sizeof p);
    calls c = {0};
    p.progress = on_progress;
    p.progress_user = &c;
    char err[NER_ERRBUF_SIZE] = "";
    /* 2 sentences, one a step, 5 epochs: 10 steps of 10 examples */
    int rc = ner_train(drugs, NULL, out, "{\"training\": {\"max_epochs\": 5, \"batch_size\": 1}}",
                       NULL, &p, err, sizeof err);
    assert_int_equal(rc, NER_OK);
    assert_int_equal(c.n, 10);
    assert_int_equal(c.n_unknown, 0);
    assert_false(c.went_back);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.done[i], i + 1);
        assert_int_equal(c.total[i], 10);
    }
    /* max_steps below the epochs: the total follows it */
    calls c2 = {0};
    p.progress_user = &c2;
    rc = ner_train(drugs, NULL, out, "{\"training\": {\"max_epochs\": 5, \"batch_size\": 1, "
                   "\"max_steps\": 3}}", NULL, &p, err, sizeof err);
    assert_int_equal(rc, NER_OK);
    assert_int_equal(c2.n, 3);
    assert_int_equal(c2.done[2], 3);
    assert_int_equal(c2.total[2], 3);
}

static void test_kb_build_progress(void **st)
{
    (void)st;
    char ents[512], als[512], out[512];
    path_in(ents, sizeof ents, "e.jsonl");
    path_in(als, sizeof als, "a.tsv");
    path_in(out, sizeof out, "kb");
    write_file(ents, "{\"id\": \"Q1\", \"name\": \"Paris\", \"description\": \"capital of France\"}\n"
                     "{\"id\": \"Q2\", \"name\": \"Berlin\"}\n{\"id\": \"Q3\"}\n");
    write_file(als, "alias\tentity_id\nParis\tQ1\nBerlin\tQ2\nthe capital\tQ1\nthe capital\tQ2\n");
    ner_kb_build_params p;
    ner_kb_build_params_init(&p, sizeof p);
    calls c = {0};
    p.progress = on_progress;
    p.progress_user = &c;
    char err[NER_ERRBUF_SIZE] = "";
    assert_int_equal(ner_kb_build(ents, als, out, &p, err, sizeof err), NER_OK);
    /* reading: entities, then entities + alias rows, total not known yet */
    assert_true(c.n >= 3);
    assert_int_equal(c.n_unknown, 2);
    assert_int_equal(c.done[0], 3);
    assert_int_equal(c.total[0], 0);
    assert_int_equal(c.done[1], 7);
    /* writing: 3 entities + 4 alias rows + 3 description vectors */
    assert_int_equal(c.done[c.n - 1], 10);
    assert_int_equal(c.total[c.n - 1], 10);
    assert_false(c.went_back);
    /* a caller's struct from before the callback: no call, no harm */
    ner_kb_build_params old;
    ner_kb_build_params_init(&old, offsetof(ner_kb_build_params, progress));
    assert_int_equal(ner_kb_build(ents, als, out, &old, err, sizeof err), NER_OK);
}

static int setup(void **st)
{
    (void)st;
    strcpy(tmpdir, "/tmp/ner_progress_test_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_progress),
        cmocka_unit_test(test_kb_build_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
