/* Private layout of nt_rules, shared by rules_load.c and rule_tokenizer.c. */
#ifndef NER_TEXT_RULES_IMPL_H
#define NER_TEXT_RULES_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "text/rule_tokenizer.h"

/* One compiled pattern list (all alternatives joined). */
typedef struct nt_regex {
    pcre2_code *code; /* NULL: the list is empty */
    int jit;          /* 1: JIT-compiled, use pcre2_jit_match */
} nt_regex;

/* A special case: key bytes and piece lengths live in the blobs below. */
typedef struct nt_special {
    uint64_t hash;
    uint32_t key_off, key_len;
    uint32_t piece_off;  /* into piece_lens */
    uint32_t npieces;
} nt_special;

struct nt_rules {
    char *json;    /* the source text, NUL-terminated */
    size_t json_len;
    char *lang;    /* "" when none */

    nt_regex prefix;      /* anchored at the start */
    nt_regex suffix;      /* ends with \z */
    nt_regex infix;
    nt_regex token_match; /* anchored, ends with \z */
    nt_regex url_match;   /* anchored, ends with \z */
    pcre2_match_context *mctx; /* read-only after load: limits */

    int ascii_fast_path;

    /* special cases: open addressing, slots hold index + 1, 0 = empty */
    nt_special *specials;
    size_t nspecials;
    uint32_t *slots;
    size_t slot_mask;
    char *keys;           /* key bytes, back to back */
    uint32_t *piece_lens;
    size_t special_min, special_max; /* key lengths in bytes */
    uint8_t special_first[32];       /* bitmap of keys' first bytes */
};

/* Per-tokbuf scratch (never shared between threads). */
struct nt_scratch {
    pcre2_match_data *md;
    size_t *suf_start, *suf_end; /* suffix stack of the current chunk */
    size_t suf_cap;
};

uint64_t nt_hash_bytes(const char *s, size_t n);

/* The special case equal to s[0..n), or NULL. */
const nt_special *nt_special_find(const nt_rules *r, const char *s, size_t n);

#endif
