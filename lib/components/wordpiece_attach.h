/* What the "wordpiece" component attaches to a doc (key "wordpiece") for
 * the model component after it ("bert_tagger").  Versioned by size: a reader
 * checks size before reading a member. */
#ifndef NER_COMPONENTS_WORDPIECE_ATTACH_H
#define NER_COMPONENTS_WORDPIECE_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#define NC_WORDPIECE_KEY "wordpiece"

typedef struct nc_wp_attach {
    size_t size;            /* sizeof(nc_wp_attach) of the writer */
    size_t n;               /* pieces, in text order; [CLS]/[SEP] not included */
    int32_t *ids;           /* n vocabulary ids */
    uint8_t *subword;       /* n: transformers' sub-word test (see wordpiece.c) */
    uint8_t *word_start;    /* n: 1 when the piece starts the text or follows
                               White_Space (a whitespace-delimited word starts) */
    uint32_t *word;         /* n: index of the pre-tokenised word */
    size_t *tok;            /* n: doc token holding the piece */
    size_t *cstart, *cend;  /* n: code points of the original text */
    int32_t cls_id, sep_id, pad_id, unk_id; /* -1 when the vocabulary lacks one */
    size_t model_max_length; /* tokenizer_config.json's, 0 when not given */
} nc_wp_attach;

#endif
