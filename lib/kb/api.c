/* The public KB calls of ner_kb.h that need no docs: build, load, lookup. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kb/kb.h"
#include "ner/ner_kb.h"

struct ner_kb_candidates {
    nk_cands c;
};

NER_API int ner_kb_build_params_init(ner_kb_build_params *p, size_t size)
{
    if (!p || size < offsetof(ner_kb_build_params, flags) + sizeof p->flags)
        return NER_EINVAL;
    memset(p, 0, size);
    p->size = (uint32_t)(size < sizeof *p ? size : sizeof *p);
    return NER_OK;
}

#define PARAM(p, field, dflt)                                                 \
    (((p) && (p)->size >= offsetof(ner_kb_build_params, field) + sizeof((p)->field)) \
         ? (p)->field : (dflt))

static int open_input(const char *path, FILE **f, char *errbuf, size_t errlen)
{
    *f = fopen(path, "rb");
    if (*f)
        return NER_OK;
    nk_errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
    return errno == ENOENT ? NER_ENOTFOUND : NER_EIO;
}

NER_API int ner_kb_build(const char *entities_path, const char *aliases_path,
                         const char *out_dir, const ner_kb_build_params *p,
                         char *errbuf, size_t errlen)
{
    if (!entities_path || !aliases_path || !out_dir) {
        nk_errf(errbuf, errlen, "ner_kb_build: the entities file, the aliases "
                "file and the output folder are required");
        return NER_EINVAL;
    }
    if (p && p->size < offsetof(ner_kb_build_params, flags) + sizeof p->flags) {
        nk_errf(errbuf, errlen, "ner_kb_build_params: size %u is too small", p->size);
        return NER_EABI;
    }
    ner_log_fn log = PARAM(p, log, NULL);
    void *log_user = PARAM(p, log_user, NULL);
    ner_progress_fn prog = PARAM(p, progress, NULL);
    void *prog_user = PARAM(p, progress_user, NULL);
    nk_entities ents = {0};
    nk_aliases als = {0};
    FILE *f = NULL;
    char *path = NULL;
    int rc = open_input(entities_path, &f, errbuf, errlen);
    if (rc != NER_OK)
        goto out;
    rc = nk_entities_read(&ents, f, entities_path, log, log_user, errbuf, errlen);
    fclose(f);
    f = NULL;
    if (rc != NER_OK)
        goto out;
    nk_logf(log, log_user, NER_LOG_INFO, "kb: %zu entities read from %s",
            ents.n, entities_path);
    if (prog)
        prog(prog_user, ents.n, 0);
    if ((rc = open_input(aliases_path, &f, errbuf, errlen)) != NER_OK)
        goto out;
    rc = nk_aliases_read(&als, f, aliases_path, &ents, errbuf, errlen);
    fclose(f);
    f = NULL;
    if (rc != NER_OK)
        goto out;
    nk_logf(log, log_user, NER_LOG_INFO, "kb: %zu aliases, %zu candidate rows "
            "read from %s", als.n_aliases, als.n, aliases_path);
    if ((rc = nk_mkdir_p(out_dir, errbuf, errlen)) != NER_OK)
        goto out;
    if (!(path = nk_path_join(out_dir, NK_FILE))) {
        rc = NER_ENOMEM;
        goto out;
    }
    if (prog)
        prog(prog_user, ents.n + als.n, 0);
    rc = nk_kb_write_progress(path, &ents, &als, log, log_user, prog, prog_user,
                              errbuf, errlen);
out:
    free(path);
    nk_entities_free(&ents);
    nk_aliases_free(&als);
    return rc;
}

NER_API int ner_kb_load(ner_kb **out, const char *dir, char *errbuf, size_t errlen)
{
    if (!out || !dir) {
        nk_errf(errbuf, errlen, "ner_kb_load: a folder is required");
        return NER_EINVAL;
    }
    *out = NULL;
    struct stat sb;
    if (stat(dir, &sb) == 0 && S_ISREG(sb.st_mode))
        return nk_kb_open(out, dir, errbuf, errlen);
    char *path = nk_path_join(dir, NK_FILE);
    if (!path)
        return NER_ENOMEM;
    int rc = nk_kb_open(out, path, errbuf, errlen);
    if (rc == NER_ENOTFOUND)
        nk_errf(errbuf, errlen, "%s: no knowledge base here (no %s; build one "
                "with ner kb build)", dir, NK_FILE);
    free(path);
    return rc;
}

NER_API void ner_kb_free(ner_kb *kb)
{
    nk_kb_close(kb);
}

NER_API uint64_t ner_kb_entity_count(const ner_kb *kb)
{
    return kb ? nk_kb_entity_count(kb) : 0;
}

NER_API uint64_t ner_kb_alias_count(const ner_kb *kb)
{
    return kb ? nk_kb_alias_count(kb) : 0;
}

NER_API uint64_t ner_kb_profile_count(const ner_kb *kb)
{
    return kb ? nk_kb_profile_count(kb) : 0;
}

NER_API int ner_kb_candidates_new(ner_kb_candidates **out)
{
    if (!out)
        return NER_EINVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return NER_ENOMEM;
    nk_cands_init(&(*out)->c);
    return NER_OK;
}

NER_API void ner_kb_candidates_free(ner_kb_candidates *c)
{
    if (!c)
        return;
    nk_cands_free(&c->c);
    free(c);
}

NER_API int ner_kb_lookup(const ner_kb *kb, const char *alias, size_t len,
                          int max_level, size_t max_candidates,
                          ner_kb_candidates *out)
{
    if (!kb || !out || (!alias && len))
        return NER_EINVAL;
    if (max_level < NER_KB_MATCH_EXACT || max_level > NER_KB_MATCH_NORM)
        return NER_EINVAL;
    return nk_kb_lookup(kb, alias, len, max_level, max_candidates, 0, &out->c);
}

NER_API size_t ner_kb_candidates_count(const ner_kb_candidates *c)
{
    return c ? c->c.n : 0;
}

NER_API int ner_kb_candidates_level(const ner_kb_candidates *c)
{
    return c ? c->c.level : NER_KB_MATCH_NONE;
}

static const nk_cand *cand_at(const ner_kb_candidates *c, size_t i)
{
    return c && i < c->c.n ? &c->c.v[i] : NULL;
}

NER_API const char *ner_kb_candidate_id(const ner_kb_candidates *c, size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? nk_cand_str(&c->c, x->id) : NULL;
}

NER_API const char *ner_kb_candidate_name(const ner_kb_candidates *c, size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? nk_cand_str(&c->c, x->name) : NULL;
}

NER_API const char *ner_kb_candidate_type(const ner_kb_candidates *c, size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? nk_cand_str(&c->c, x->type) : NULL;
}

NER_API const char *ner_kb_candidate_description(const ner_kb_candidates *c,
                                                 size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? nk_cand_str(&c->c, x->desc) : NULL;
}

NER_API double ner_kb_candidate_prior(const ner_kb_candidates *c, size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? x->prior : -1.0;
}

NER_API int64_t ner_kb_candidate_frequency(const ner_kb_candidates *c, size_t i)
{
    const nk_cand *x = cand_at(c, i);
    return x ? x->freq : -1;
}

NER_API int ner_kb_normalize(const char *s, size_t len, int level, char **out)
{
    if (!out)
        return NER_EINVAL;
    *out = NULL;
    if (!s && len)
        return NER_EINVAL;
    if (level == NER_KB_MATCH_FOLD)
        return nk_fold(s, len, out, NULL);
    if (level == NER_KB_MATCH_NORM)
        return nk_norm(s, len, out, NULL);
    return NER_EINVAL;
}
