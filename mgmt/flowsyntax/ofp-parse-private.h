/*
 * ofp-parse-private.h - what the three parts of the flow syntax parser
 * share: the tokenizer (ofp-parse.c), match parsing (ofp-parse-match.c)
 * and action parsing (ofp-parse-actions.c).  Private to those files.
 */
#ifndef FLOWTIER_MGMT_OFP_PARSE_PRIVATE_H
#define FLOWTIER_MGMT_OFP_PARSE_PRIVATE_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mgmt/flowsyntax/ofp-flow.h"

#define FT_OFP_KEY_MAX 32
#define FT_OFP_VALUE_MAX 256

/* One item of a line ("key", "key=value", "key:value", "key(value)"), as
 * offsets into the line, plus NUL-terminated copies of key and value. */
struct ft_ofp_token {
    size_t key_ofs, key_len;
    char delim;                 /* '=', ':', '(' or '\0' (no value). */
    size_t val_ofs, val_len;
    char key[FT_OFP_KEY_MAX];
    char value[FT_OFP_VALUE_MAX];
};

/* Reads the next item of text[*pos, end), skipping commas and white
 * space.  Returns 1 and fills 't', 0 at the end, or -EINVAL with 'err'
 * set ("column N: ..."). */
int ft_ofp_next_token(const char *text, size_t end, size_t *pos,
                      struct ft_ofp_token *t, struct ft_error *err);

/* Prefixes the reason in 'err' with "column COL: KEY: "; returns
 * -EINVAL. */
int ft_ofp_locate_error(struct ft_error *err, size_t col, const char *key);

/* Parses decimal or 0x-hex 's' into '*v', refusing values above 'max'. */
int ft_ofp_parse_u64(const char *s, uint64_t max, uint64_t *v,
                     struct ft_error *err);

/* Match being parsed, with where each field was given. */
struct ft_ofp_match_ctx {
    struct ft_match match;
    size_t field_col[FT_N_FIELDS];      /* 0 = field not given. */
    char field_key[FT_N_FIELDS][FT_OFP_KEY_MAX];
};

/* Tries 't' as a match item (protocol shorthand or field).  Returns 1 if
 * it was one, 0 if the name is unknown, or -EINVAL with 'err' set. */
int ft_ofp_parse_match_item(struct ft_ofp_match_ctx *,
                            const struct ft_ofp_token *t,
                            const struct ft_port_map *ports,
                            struct ft_error *err);

/* Checks the prerequisites of every field given, reporting the leftmost
 * one that is not met.  Returns 0 or -EINVAL. */
int ft_ofp_check_match_prereqs(const struct ft_ofp_match_ctx *,
                               struct ft_error *err);

/* True if the prerequisites of 'f' hold for every packet 'match'
 * matches. */
bool ft_ofp_match_prereqs_ok(const struct ft_field *f,
                             const struct ft_match *match);

/* "tcp or tcp6", ...: what the prerequisite of 'f' asks of a match. */
const char *ft_ofp_prereq_text(const struct ft_field *f);

/* Action list being parsed. */
struct ft_ofp_act_ctx {
    struct ft_ofpacts *acts;
    const struct ft_port_map *ports;
    bool check;                 /* Validate against 'sim'. */
    struct ft_match sim;        /* The match as the actions change it. */
    int table_id;               /* Rule's table; -1: unknown. */
    int phase;                  /* Instruction reached (private). */
    bool drop;                  /* "drop" seen. */
};

/* Parses the actions in text[start, end) (columns count from 'text'),
 * appending to c->acts.  Returns 0 or -EINVAL with 'err' set. */
int ft_ofp_parse_actions(const char *text, size_t start, size_t end,
                         struct ft_ofp_act_ctx *c, struct ft_error *err);

#endif /* mgmt/flowsyntax/ofp-parse-private.h */
