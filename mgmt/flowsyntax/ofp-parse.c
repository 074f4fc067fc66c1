/*
 * ofp-parse.c - the flow syntax of 'ovs-ofctl add-flow' and friends,
 * parsed into a 'struct ft_flow_spec': header keys (table, priority,
 * cookie, timeouts), the match (ofp-parse-match.c) and the action list
 * (ofp-parse-actions.c).  This file holds the tokenizer, the header keys,
 * the rules of each command (add, modify, delete) and the entry points.
 *
 * A line is a list of "key", "key=value", "key:value" or "key(value)"
 * items separated by commas or white space, as ovs-ofctl reads it;
 * "actions=" (with '=') takes the rest of the line.  Parsing is
 * all-or-nothing: on error the caller's spec is left empty and the error
 * names the item and its 1-based column.  Where ovs-ofctl silently drops
 * input (a field whose prerequisite is missing, an out-of-range value)
 * this parser refuses it with a reason instead.
 */
#include "mgmt/flowsyntax/ofp-flow.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mgmt/flowsyntax/ofp-parse-private.h"

static bool
is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Reads the next item of text[*pos, end).  Returns 1 and fills 't', 0 at
 * the end, or -EINVAL with 'err' set. */
int
ft_ofp_next_token(const char *text, size_t end, size_t *pos,
                  struct ft_ofp_token *t, struct ft_error *err)
{
    size_t p = *pos;
    int depth = 0;

    while (p < end && is_sep(text[p])) {
        p++;
    }
    if (p >= end) {
        *pos = p;
        return 0;
    }
    t->key_ofs = p;
    while (p < end && !is_sep(text[p]) && text[p] != '='
           && text[p] != ':' && text[p] != '(') {
        p++;
    }
    t->key_len = p - t->key_ofs;
    t->delim = p < end && !is_sep(text[p]) ? text[p] : '\0';
    if (t->key_len >= FT_OFP_KEY_MAX) {
        return ft_error_set(err, -EINVAL, "column %zu: '%.20s...': name is "
                            "too long", t->key_ofs + 1, text + t->key_ofs);
    }
    if (!t->key_len) {
        return ft_error_set(err, -EINVAL, "column %zu: '%c' without a name "
                            "before it", t->key_ofs + 1, text[p]);
    }
    memcpy(t->key, text + t->key_ofs, t->key_len);
    t->key[t->key_len] = '\0';

    if (t->delim) {
        p++;
    }
    t->val_ofs = p;
    if (t->delim == '(') {
        for (; p < end; p++) {
            if (text[p] == '(') {
                depth++;
            } else if (text[p] == ')' && !depth--) {
                break;
            }
        }
        if (p >= end) {
            return ft_error_set(err, -EINVAL, "column %zu: %s: missing ')'",
                                t->key_ofs + 1, t->key);
        }
        t->val_len = p - t->val_ofs;
        p++;
    } else if (t->delim) {
        for (; p < end; p++) {
            if (text[p] == '(') {
                depth++;
            } else if (text[p] == ')') {
                depth--;
            } else if (!depth && is_sep(text[p])) {
                break;
            }
        }
        t->val_len = p - t->val_ofs;
    } else {
        t->val_len = 0;
    }
    if (t->val_len >= FT_OFP_VALUE_MAX) {
        return ft_error_set(err, -EINVAL, "column %zu: %s: value is too long",
                            t->key_ofs + 1, t->key);
    }
    memcpy(t->value, text + t->val_ofs, t->val_len);
    t->value[t->val_len] = '\0';
    *pos = p;
    return 1;
}

/* Prefixes the reason in 'err' with "column N: KEY: ". */
int
ft_ofp_locate_error(struct ft_error *err, size_t col, const char *key)
{
    if (err) {
        char why[FT_ERROR_REASON_MAX];

        memcpy(why, err->reason, sizeof why);
        ft_error_set(err, -EINVAL, "column %zu: %s: %s", col, key, why);
    }
    return -EINVAL;
}

int
ft_ofp_parse_u64(const char *s, uint64_t max, uint64_t *v,
                 struct ft_error *err)
{
    char *end;
    int base = 10;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s < '0' || *s > 'f' || !*s) {
        return ft_error_set(err, -EINVAL, "'%s' is not a number", s);
    }
    errno = 0;
    *v = strtoull(s, &end, base);
    if (errno || *end || end == s) {
        return ft_error_set(err, -EINVAL, "'%s%s' is not a number",
                            base == 16 ? "0x" : "", s);
    }
    if (*v > max) {
        return ft_error_set(err, -EINVAL, "%s%s is out of range (max %"
                            PRIu64")", base == 16 ? "0x" : "", s, max);
    }
    return 0;
}


/* The spec. */

void
ft_flow_spec_init(struct ft_flow_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    spec->priority = FT_DEFAULT_PRIORITY;
    ft_match_init_catchall(&spec->match);
    ft_ofpacts_init(&spec->actions);
}

void
ft_flow_spec_uninit(struct ft_flow_spec *spec)
{
    if (spec) {
        ft_ofpacts_uninit(&spec->actions);
    }
}

void
ft_flow_spec_copy(struct ft_flow_spec *dst, const struct ft_flow_spec *src)
{
    struct ft_ofpacts acts = dst->actions;

    *dst = *src;
    dst->actions = acts;
    ft_ofpacts_copy(&dst->actions, &src->actions);
}

static bool
cmd_is_add(enum ft_flow_cmd cmd)
{
    return cmd == FT_FLOW_ADD;
}

static bool
cmd_is_delete(enum ft_flow_cmd cmd)
{
    return cmd == FT_FLOW_DELETE || cmd == FT_FLOW_DELETE_STRICT;
}

static const char *
cmd_name(enum ft_flow_cmd cmd)
{
    switch (cmd) {
    case FT_FLOW_ADD:
        return "add";
    case FT_FLOW_MODIFY:
    case FT_FLOW_MODIFY_STRICT:
        return "modify";
    default:
        return "delete";
    }
}

/* Parses a header key (table, priority, ...).  Returns 1 if 't' was one,
 * 0 if not, negative errno on error. */
static int
parse_header(const struct ft_ofp_token *t, enum ft_flow_cmd cmd,
             struct ft_flow_spec *spec, struct ft_error *err)
{
    uint64_t v;

    if (!strcmp(t->key, "send_flow_rem")) {
        if (cmd_is_delete(cmd)) {
            return ft_error_set(err, -EINVAL, "not used by delete");
        }
        if (t->delim != '\0') {
            return ft_error_set(err, -EINVAL, "a flag takes no value");
        }
        spec->flags |= FT_FLOW_F_SEND_FLOW_REM;
        return 1;
    }
    if (!strcmp(t->key, "table")) {
        if (ft_ofp_parse_u64(t->value, UINT8_MAX, &v, err)) {
            return -EINVAL;
        }
        if (v == FT_TABLE_ALL && cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "table 255 (all tables) is "
                                "only for modify and delete");
        }
        spec->table_id = (uint8_t) v;
    } else if (!strcmp(t->key, "priority")) {
        if (cmd == FT_FLOW_DELETE) {
            return ft_error_set(err, -EINVAL, "not used by a non-strict "
                                "delete");
        }
        if (ft_ofp_parse_u64(t->value, UINT16_MAX, &v, err)) {
            return -EINVAL;
        }
        spec->priority = (uint16_t) v;
    } else if (!strcmp(t->key, "idle_timeout")
               || !strcmp(t->key, "hard_timeout")) {
        if (cmd_is_delete(cmd)) {
            return ft_error_set(err, -EINVAL, "not used by delete");
        }
        if (ft_ofp_parse_u64(t->value, UINT16_MAX, &v, err)) {
            return -EINVAL;
        }
        *(t->key[0] == 'i' ? &spec->idle_timeout : &spec->hard_timeout)
            = (uint16_t) v;
    } else if (!strcmp(t->key, "cookie")) {
        char buf[FT_OFP_VALUE_MAX];
        char *slash;
        uint64_t mask = 0;

        memcpy(buf, t->value, t->val_len + 1);
        slash = strchr(buf, '/');
        if (slash) {
            *slash++ = '\0';
            if (cmd_is_add(cmd)) {
                return ft_error_set(err, -EINVAL, "flow additions cannot "
                                    "use a cookie mask");
            }
            /* ovs-ofctl documents "/-1" as the exact-match mask. */
            if (!strcmp(slash, "-1")) {
                mask = UINT64_MAX;
            } else if (ft_ofp_parse_u64(slash, UINT64_MAX, &mask, err)) {
                return -EINVAL;
            }
        } else if (cmd_is_delete(cmd)) {
            return ft_error_set(err, -EINVAL, "delete filters by cookie "
                                "only with a mask (cookie=VALUE/MASK)");
        }
        if (ft_ofp_parse_u64(buf, UINT64_MAX, &v, err)) {
            return -EINVAL;
        }
        spec->cookie = slash ? v & mask : v;
        spec->cookie_mask = mask;
    } else {
        return 0;
    }
    if (t->delim != '=' && t->delim != ':') {
        return ft_error_set(err, -EINVAL, "missing value");
    }
    return 1;
}

static int
parse_spec(const char *text, enum ft_flow_cmd cmd,
           const struct ft_port_map *ports, struct ft_flow_spec *spec,
           struct ft_ofp_match_ctx *mc, struct ft_error *err)
{
    size_t end = strlen(text);
    size_t pos = 0, acts_start = 0, acts_col = 0;
    struct ft_ofp_token t;
    int r;

    spec->table_id = cmd_is_add(cmd) ? 0 : FT_TABLE_ALL;
    while ((r = ft_ofp_next_token(text, end, &pos, &t, err)) > 0) {
        if (!strcmp(t.key, "actions")) {
            if (t.delim != '=') {
                return ft_error_set(err, -EINVAL, "column %zu: actions: "
                                    "write 'actions=' to start the action "
                                    "list", t.key_ofs + 1);
            }
            if (cmd_is_delete(cmd)) {
                return ft_error_set(err, -EINVAL, "column %zu: actions: not "
                                    "allowed for delete", t.key_ofs + 1);
            }
            acts_start = t.val_ofs;
            acts_col = t.key_ofs + 1;
            spec->has_actions = true;
            break;
        }
        r = parse_header(&t, cmd, spec, err);
        if (!r) {
            r = ft_ofp_parse_match_item(mc, &t, ports, err);
            if (r < 0) {
                return r;
            }
            if (!r) {
                return ft_error_set(err, -EINVAL, "column %zu: %s: unknown "
                                    "field or keyword", t.key_ofs + 1,
                                    t.key);
            }
        } else if (r < 0) {
            return ft_ofp_locate_error(err, t.key_ofs + 1, t.key);
        }
    }
    if (r < 0) {
        return r;
    }
    if (ft_ofp_check_match_prereqs(mc, err)) {
        return -EINVAL;
    }
    spec->match = mc->match;
    if (!spec->has_actions) {
        if (cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "column %zu: must specify "
                                "actions (e.g. actions=drop) to add a flow",
                                end + 1);
        }
        return 0;
    }
    if (strspn(text + acts_start, ", \t\r\n") == end - acts_start) {
        if (cmd_is_add(cmd)) {
            return ft_error_set(err, -EINVAL, "column %zu: actions: empty "
                                "action list (write actions=drop to drop)",
                                acts_col);
        }
        return ft_error_set(err, -EINVAL, "column %zu: actions: empty "
                            "action list for %s (write actions=drop, or "
                            "leave actions out)", acts_col, cmd_name(cmd));
    }

    struct ft_ofp_act_ctx ac = {
        .acts = &spec->actions,
        .ports = ports,
        .check = true,
        .sim = mc->match,
        .table_id = spec->table_id,
    };
    return ft_ofp_parse_actions(text, acts_start, end, &ac, err);
}

int
ft_flow_spec_parse(const char *text, enum ft_flow_cmd cmd,
                   const struct ft_port_map *ports,
                   struct ft_flow_spec *spec, struct ft_error *err)
{
    struct ft_ofp_match_ctx *mc;
    int error;

    ft_flow_spec_uninit(spec);
    ft_flow_spec_init(spec);
    ft_error_clear(err);

    mc = calloc(1, sizeof *mc);
    if (!mc) {
        abort();
    }
    error = parse_spec(text, cmd, ports, spec, mc, err);
    free(mc);
    if (error) {
        ft_flow_spec_uninit(spec);
        ft_flow_spec_init(spec);
        return -EINVAL;
    }
    return 0;
}

int
ft_match_parse(const char *text, const struct ft_port_map *ports,
               struct ft_match *match, struct ft_error *err)
{
    size_t end = strlen(text), pos = 0;
    struct ft_ofp_match_ctx *mc;
    struct ft_ofp_token t;
    int r;

    ft_error_clear(err);
    ft_match_init_catchall(match);
    mc = calloc(1, sizeof *mc);
    if (!mc) {
        abort();
    }
    while ((r = ft_ofp_next_token(text, end, &pos, &t, err)) > 0) {
        r = ft_ofp_parse_match_item(mc, &t, ports, err);
        if (!r) {
            r = ft_error_set(err, -EINVAL, "column %zu: %s: unknown field",
                             t.key_ofs + 1, t.key);
        }
        if (r < 0) {
            break;
        }
    }
    if (!r) {
        r = ft_ofp_check_match_prereqs(mc, err);
    }
    if (!r) {
        *match = mc->match;
    }
    free(mc);
    return r < 0 ? -EINVAL : 0;
}

int
ft_ofpacts_parse(const char *text, const struct ft_port_map *ports,
                 struct ft_ofpacts *acts, struct ft_error *err)
{
    struct ft_ofp_act_ctx ac = {
        .acts = acts,
        .ports = ports,
        .check = false,
        .table_id = -1,
    };
    int error;

    ft_error_clear(err);
    acts->n = 0;
    error = ft_ofp_parse_actions(text, 0, strlen(text), &ac, err);
    if (error) {
        acts->n = 0;
    }
    return error;
}
