/*
 * bridge-flows.c - a running bridge's flow table changes: flow mods in
 * all-or-nothing batches with an undo log, dry runs, replace-flows, the
 * net change as canonical flow texts, and the dump-flows line.
 *
 * Part of the management plane, behind mgmt/bridge/bridge.h.  The tables are
 * changed only through ft_oftables_apply(); what this file adds is the
 * ability to take a batch back.  Before each op it takes a reference to
 * every rule the op will touch (found with the same strict or non-strict
 * selection oftable.c uses) and saves what a modify overwrites; undoing
 * puts the very same rule objects back into their classifiers, so rules
 * keep their counters, creation time and timeouts.  The one thing an
 * undo cannot restore is a reinserted rule's tie-break position among
 * overlapping rules of equal priority, which OpenFlow leaves undefined.
 *
 * Touches only the bridge's tables and its "revalidate soon" mark.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/util.h"

#include "mgmt/bridge/bridge-private.h"

/* ---- Net change lists. ---- */

static void
texts_push(char ***texts, size_t *n, size_t *allocated, char *s)
{
    if (*n == *allocated) {
        size_t a = *allocated ? 2 * *allocated : 16;
        char **p = realloc(*texts, a * sizeof *p);

        if (!p) {
            abort();
        }
        *texts = p;
        *allocated = a;
    }
    (*texts)[(*n)++] = s;
}

void
ft_bridge_flow_changes_init(struct ft_bridge_flow_changes *c)
{
    memset(c, 0, sizeof *c);
}

void
ft_bridge_flow_changes_clear(struct ft_bridge_flow_changes *c)
{
    for (size_t i = 0; i < c->n_removed; i++) {
        free(c->removed[i]);
    }
    for (size_t i = 0; i < c->n_added; i++) {
        free(c->added[i]);
    }
    c->n_removed = c->n_added = 0;
}

void
ft_bridge_flow_changes_uninit(struct ft_bridge_flow_changes *c)
{
    if (c) {
        ft_bridge_flow_changes_clear(c);
        free(c->removed);
        free(c->added);
        memset(c, 0, sizeof *c);
    }
}

/* One rule text that appeared (+1) or disappeared (-1), in op order. */
struct text_event {
    char *text;
    int delta;
    size_t seq;
};

struct text_events {
    struct text_event *ev;
    size_t n, allocated;
    bool off;                   /* The caller wants no changes: record
                                 * nothing (formatting each rule's text
                                 * was a seventh of a batch's time). */
    struct ds scratch;          /* Where each text is formatted, then
                                 * copied to its exact size: the database
                                 * keeps the copies. */
};

static void
events_put(struct text_events *te, const struct ft_ofrule *rule, int delta)
{
    struct ds *s = &te->scratch;
    char *text;

    if (te->off) {
        return;                 /* Nobody asked for the net change. */
    }
    if (te->n == te->allocated) {
        size_t a = te->allocated ? 2 * te->allocated : 16;
        struct text_event *p = realloc(te->ev, a * sizeof *p);

        if (!p) {
            abort();
        }
        te->ev = p;
        te->allocated = a;
    }
    ds_clear(s);
    ft_flow_spec_format(&rule->spec, NULL, s);
    text = ft_xmalloc(s->len + 1);
    memcpy(text, ds_cstr(s), s->len + 1);
    te->ev[te->n].text = text;
    te->ev[te->n].delta = delta;
    te->ev[te->n].seq = te->n;
    te->n++;
}

static void
events_destroy(struct text_events *te)
{
    for (size_t i = 0; i < te->n; i++) {
        free(te->ev[i].text);
    }
    free(te->ev);
    ds_destroy(&te->scratch);
    memset(te, 0, sizeof *te);
}

static int
event_cmp_text(const void *a_, const void *b_)
{
    const struct text_event *a = a_, *b = b_;
    int c = strcmp(a->text, b->text);

    return c ? c : (a->seq < b->seq ? -1 : a->seq > b->seq);
}

static int
event_cmp_seq(const void *a_, const void *b_)
{
    const struct text_event *a = a_, *b = b_;

    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Reduces the events to the net change per text and appends it to 'c',
 * in the order of each text's last event.  Consumes the texts. */
static void
events_to_changes(struct text_events *te, struct ft_bridge_flow_changes *c)
{
    size_t n_net = 0;
    bool any_removed = false;

    if (!te->n) {
        return;
    }
    for (size_t i = 0; i < te->n && !any_removed; i++) {
        any_removed = te->ev[i].delta < 0;
    }
    if (!any_removed) {
        /* Only additions (the usual batch of new rules): nothing cancels
         * out, since a text can only come back after it went, so the
         * events are the net change as they stand. */
        n_net = te->n;
        goto out;
    }
    qsort(te->ev, te->n, sizeof *te->ev, event_cmp_text);
    for (size_t i = 0; i < te->n; ) {
        size_t j = i;
        int sum = 0;

        while (j < te->n && !strcmp(te->ev[j].text, te->ev[i].text)) {
            sum += te->ev[j].delta;
            j++;
        }
        /* Keep the last event of the run if the text's net change is not
         * zero (it can only be -1, 0 or +1: a rule text is unique). */
        for (size_t k = i; k < j; k++) {
            if (k == j - 1 && sum) {
                te->ev[n_net] = te->ev[k];
                te->ev[n_net].delta = sum;
                n_net++;
            } else {
                free(te->ev[k].text);
            }
        }
        i = j;
    }
    qsort(te->ev, n_net, sizeof *te->ev, event_cmp_seq);
out:
    te->n = n_net;
    for (size_t i = 0; i < te->n; i++) {
        if (te->ev[i].delta < 0) {
            texts_push(&c->removed, &c->n_removed, &c->allocated_removed,
                       te->ev[i].text);
        } else {
            texts_push(&c->added, &c->n_added, &c->allocated_added,
                       te->ev[i].text);
        }
        te->ev[i].text = NULL;
    }
    te->n = 0;
}

/* ---- Undo log. ---- */

enum undo_type {
    UNDO_ADD,           /* 'rule' added, replacing 'old' (or NULL). */
    UNDO_DELETE,        /* 'rule' removed. */
    UNDO_MODIFY,        /* 'rule' got new actions or cookie. */
};

struct undo {
    enum undo_type type;
    struct ft_ofrule *rule;     /* UNDO_ADD: the tables' reference only;
                                 * else one reference of ours. */
    struct ft_ofrule *old;      /* UNDO_ADD: one reference of ours. */
    struct ft_ofpacts actions;  /* UNDO_MODIFY: saved actions. */
    uint64_t cookie;
    long long int modified;
};

struct undo_log {
    struct undo *u;
    size_t n, allocated;
};

static struct undo *
undo_put(struct undo_log *log, enum undo_type type, struct ft_ofrule *rule)
{
    struct undo *u;

    if (log->n == log->allocated) {
        size_t a = log->allocated ? 2 * log->allocated : 16;
        struct undo *p = realloc(log->u, a * sizeof *p);

        if (!p) {
            abort();
        }
        log->u = p;
        log->allocated = a;
    }
    u = &log->u[log->n++];
    memset(u, 0, sizeof *u);
    u->type = type;
    u->rule = rule;
    ft_ofpacts_init(&u->actions);
    return u;
}

/* Puts 'rule' (removed, with a reference the caller gives up) back into
 * its table. */
static void
rule_reinsert(struct ft_oftables *oft, struct ft_ofrule *rule)
{
    struct ft_cls_rule *dup;

    dup = ft_cls_insert(&oft->tables[rule->spec.table_id], &rule->cr);
    if (dup) {
        /* Cannot happen when undoing in reverse order; keep the tables
         * consistent regardless. */
        ft_ofrule_unref(rule);
        return;
    }
    rule->removed = false;
    oft->n_rules++;
}

static void
undo_one(struct ft_oftables *oft, struct undo *u)
{
    struct ft_ofrule *rule = u->rule;
    struct ft_classifier *cls = &oft->tables[rule->spec.table_id];

    switch (u->type) {
    case UNDO_ADD:
        if (u->old) {
            ft_cls_replace(cls, &rule->cr, &u->old->cr);
            u->old->removed = false;
            u->old = NULL;          /* Our reference is the tables' now. */
        } else {
            ft_cls_remove(cls, &rule->cr);
            oft->n_rules--;
        }
        rule->removed = true;
        ft_ofrule_unref(rule);      /* The tables' reference. */
        break;
    case UNDO_DELETE:
        rule_reinsert(oft, rule);   /* Gives it our reference. */
        break;
    case UNDO_MODIFY:
        ft_ofpacts_copy(&rule->spec.actions, &u->actions);
        rule->spec.cookie = u->cookie;
        rule->modified = u->modified;
        ft_ofrule_unref(rule);
        break;
    }
    u->rule = NULL;
}

/* Forgets the log after success: drops the references it held. */
static void
undo_log_commit(struct undo_log *log)
{
    for (size_t i = 0; i < log->n; i++) {
        struct undo *u = &log->u[i];

        if (u->type == UNDO_ADD) {
            ft_ofrule_unref(u->old);
        } else {
            ft_ofrule_unref(u->rule);
        }
        ft_ofpacts_uninit(&u->actions);
    }
    free(log->u);
    memset(log, 0, sizeof *log);
}

/* Takes everything in the log back, newest first. */
static void
undo_log_rollback(struct ft_oftables *oft, struct undo_log *log)
{
    for (size_t i = log->n; i-- > 0; ) {
        undo_one(oft, &log->u[i]);
        ft_ofpacts_uninit(&log->u[i].actions);
    }
    free(log->u);
    memset(log, 0, sizeof *log);
    oft->version++;
}

/* ---- Applying one op. ---- */

struct rule_vec {
    struct ft_ofrule **r;
    size_t n, allocated;
};

static void
rule_vec_cb(const struct ft_ofrule *rule, void *aux)
{
    struct rule_vec *v = aux;

    if (v->n == v->allocated) {
        size_t a = v->allocated ? 2 * v->allocated : 16;
        struct ft_ofrule **p = realloc(v->r, a * sizeof *p);

        if (!p) {
            abort();
        }
        v->r = p;
        v->allocated = a;
    }
    v->r[v->n++] = CONST_CAST(struct ft_ofrule *, rule);
}

/* The rules a modify or delete 'spec' will act on, as oftable.c selects
 * them. */
static void
select_rules(const struct ft_oftables *oft, const struct ft_flow_spec *spec,
             bool strict, struct rule_vec *v)
{
    if (!strict) {
        ft_oftables_dump(oft, spec->table_id, &spec->match, spec->cookie,
                         spec->cookie_mask, rule_vec_cb, v);
        return;
    }
    for (size_t t = 0; t < FT_N_TABLES; t++) {
        struct ft_cls_rule *cr;

        if (spec->table_id != FT_TABLE_ALL && t != spec->table_id) {
            continue;
        }
        if (!ft_cls_count(&oft->tables[t])) {
            continue;
        }
        cr = ft_cls_find_exact(&oft->tables[t], &spec->match,
                               spec->priority);
        if (cr) {
            struct ft_ofrule *rule = ft_bridge_ofrule_from_cls(cr);

            if (!((rule->spec.cookie ^ spec->cookie) & spec->cookie_mask)) {
                rule_vec_cb(rule, v);
            }
        }
    }
}

static int
apply_add(struct ft_oftables *oft, const struct ft_flow_spec *spec,
          long long int now, struct undo_log *log, struct text_events *te,
          struct ft_error *err)
{
    struct ft_ofrule *old, *rule;
    struct undo *u;
    int error;

    /* The rule it replaces, if any, comes with the tables' reference,
     * which the undo log keeps. */
    error = ft_oftables_add(oft, spec, now, &rule, &old, err);
    if (error < 0) {
        return error;
    }
    u = undo_put(log, UNDO_ADD, rule);
    u->old = old;
    if (old) {
        events_put(te, old, -1);
    }
    events_put(te, rule, +1);
    return 0;
}

static int
apply_modify_or_delete(struct ft_oftables *oft, enum ft_flow_cmd cmd,
                       const struct ft_flow_spec *spec, long long int now,
                       struct undo_log *log, struct text_events *te,
                       struct ft_error *err)
{
    bool strict = cmd == FT_FLOW_MODIFY_STRICT
                  || cmd == FT_FLOW_DELETE_STRICT;
    bool is_delete = cmd == FT_FLOW_DELETE || cmd == FT_FLOW_DELETE_STRICT;
    struct rule_vec v = { NULL, 0, 0 };
    size_t first = log->n;
    int error;

    select_rules(oft, spec, strict, &v);
    for (size_t i = 0; i < v.n; i++) {
        struct ft_ofrule *rule = v.r[i];
        struct undo *u;

        ft_ofrule_ref(rule);
        u = undo_put(log, is_delete ? UNDO_DELETE : UNDO_MODIFY, rule);
        if (!is_delete) {
            ft_ofpacts_copy(&u->actions, &rule->spec.actions);
            u->cookie = rule->spec.cookie;
            u->modified = rule->modified;
        }
        events_put(te, rule, -1);
    }
    free(v.r);

    error = ft_oftables_apply(oft, cmd, spec, now, err);
    if (error < 0) {
        /* oftable.c checks before it changes anything: nothing to undo,
         * only our references to drop. */
        for (size_t i = first; i < log->n; i++) {
            ft_ofrule_unref(log->u[i].rule);
            ft_ofpacts_uninit(&log->u[i].actions);
        }
        log->n = first;
        return error;
    }
    if (!is_delete) {
        for (size_t i = first; i < log->n; i++) {
            events_put(te, log->u[i].rule, +1);
        }
    }
    return 0;
}

static int
apply_op(struct ft_oftables *oft, enum ft_flow_cmd cmd,
         const struct ft_flow_spec *spec, long long int now,
         struct undo_log *log, struct text_events *te, struct ft_error *err)
{
    int error;

    if (cmd == FT_FLOW_ADD
        || ((cmd == FT_FLOW_MODIFY || cmd == FT_FLOW_MODIFY_STRICT)
            && spec->has_actions)) {
        error = ft_ofpacts_check_meters(&spec->actions, err);
        if (error) {
            return error;
        }
    }
    switch (cmd) {
    case FT_FLOW_ADD:
        return apply_add(oft, spec, now, log, te, err);
    case FT_FLOW_MODIFY:
    case FT_FLOW_MODIFY_STRICT:
    case FT_FLOW_DELETE:
    case FT_FLOW_DELETE_STRICT:
        return apply_modify_or_delete(oft, cmd, spec, now, log, te, err);
    }
    return ft_error_set(err, -EINVAL, "unknown flow command %d", (int) cmd);
}

/* Prefixes 'err''s reason with "PREFIX N: ". */
static void
error_prefix(struct ft_error *err, const char *prefix, size_t n)
{
    char reason[FT_ERROR_REASON_MAX];

    if (err) {
        snprintf(reason, sizeof reason, "%s", err->reason);
        ft_error_set(err, err->code, "%s %zu: %s", prefix, n, reason);
    }
}

static bool rule_is_hard_expired(const struct ft_ofrule *, long long int now);

/* Tells the flow removed callback of the rules 'log' deleted that asked
 * for it (before the log drops its references to them). */
static void
notify_removed(struct ft_bridge *br, const struct undo_log *log,
               long long int now)
{
    struct ft_bridge_flow_removed fr;

    if (!br->flow_removed_cb) {
        return;
    }
    for (size_t i = 0; i < log->n; i++) {
        const struct ft_ofrule *rule = log->u[i].rule;

        if (log->u[i].type != UNDO_DELETE
            || !(rule->spec.flags & FT_FLOW_F_SEND_FLOW_REM)) {
            continue;
        }
        fr.rule = rule;
        fr.now = now;
        fr.reason = !br->expiring ? FT_BRIDGE_REMOVED_DELETE
                    : rule_is_hard_expired(rule, now)
                    ? FT_BRIDGE_REMOVED_HARD : FT_BRIDGE_REMOVED_IDLE;
        br->flow_removed_cb(br->flow_removed_aux, &fr);
    }
}

void
ft_bridge_set_flow_removed_cb(struct ft_bridge *br,
                              ft_bridge_flow_removed_cb *cb, void *aux)
{
    br->flow_removed_cb = cb;
    br->flow_removed_aux = aux;
}

static int
flow_mod_batch(struct ft_bridge *br, const struct ft_bridge_flow_op *ops,
               size_t n, unsigned int flags, long long int now,
               const char *what, struct ft_bridge_flow_changes *changes,
               struct ft_error *err)
{
    struct ft_oftables *oft = &br->tables;
    struct text_events te = { NULL, 0, 0, !changes, DS_EMPTY_INITIALIZER };
    struct undo_log log = { NULL, 0, 0 };
    uint64_t version = oft->version;

    ft_error_clear(err);
    if (br->held) {
        return ft_error_set(err, -EBUSY, "the previous flow change is not "
                            "finished");
    }
    for (size_t i = 0; i < n; i++) {
        int error;

        if (ops[i].cmd == FT_FLOW_ADD
            && (ops[i].spec->idle_timeout || ops[i].spec->hard_timeout)) {
            br->have_timeouts = true;
        }
        error = apply_op(oft, ops[i].cmd, ops[i].spec, now, &log, &te, err);
        if (error) {
            undo_log_rollback(oft, &log);
            events_destroy(&te);
            error_prefix(err, what, i + 1);
            br->revalidate_asap = true;
            return error;
        }
    }
    if (flags & FT_BRIDGE_DRY_RUN) {
        undo_log_rollback(oft, &log);
    } else if (flags & FT_BRIDGE_HOLD) {
        br->held = ft_xmalloc(sizeof *br->held);
        *br->held = log;
        br->held_now = now;
    } else {
        notify_removed(br, &log, now);
        undo_log_commit(&log);
    }
    if (changes) {
        events_to_changes(&te, changes);
    }
    events_destroy(&te);
    if (oft->version != version) {
        br->revalidate_asap = true;
    }
    return 0;
}

int
ft_bridge_flow_mod_batch(struct ft_bridge *br,
                         const struct ft_bridge_flow_op *ops, size_t n,
                         unsigned int flags, long long int now,
                         struct ft_bridge_flow_changes *changes,
                         struct ft_error *err)
{
    return flow_mod_batch(br, ops, n, flags, now, "flow", changes, err);
}

void
ft_bridge_flow_mod_finish(struct ft_bridge *br, bool keep)
{
    struct undo_log *log = br->held;

    if (!log) {
        return;
    }
    br->held = NULL;
    if (keep) {
        notify_removed(br, log, br->held_now);
        undo_log_commit(log);
    } else {
        undo_log_rollback(&br->tables, log);
        br->revalidate_asap = true;
    }
    free(log);
}

int
ft_bridge_flow_mod(struct ft_bridge *br, enum ft_flow_cmd cmd,
                   const struct ft_flow_spec *spec, unsigned int flags,
                   long long int now, struct ft_bridge_flow_changes *changes,
                   struct ft_error *err)
{
    struct ft_bridge_flow_op op = { cmd, spec };
    int error;

    error = ft_bridge_flow_mod_batch(br, &op, 1, flags, now, changes, err);
    if (error && err) {
        /* A single flow needs no "flow 1: " in front of its reason. */
        const char *p = strstr(err->reason, ": ");

        if (p && !strncmp(err->reason, "flow 1: ", 8)) {
            memmove(err->reason, p + 2, strlen(p + 2) + 1);
        }
    }
    return error;
}

/* Parses 'lines' for 'cmd' into 'specs' (n of them, initialized here).
 * Returns 0, or -EINVAL with "line N: " in front of the reason (then
 * 'specs' are uninitialized again). */
static int
parse_lines(const struct ft_bridge *br, enum ft_flow_cmd cmd,
            const char *const *lines, size_t n, struct ft_flow_spec *specs,
            struct ft_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int error;

        ft_flow_spec_init(&specs[i]);
        error = ft_flow_spec_parse(lines[i], cmd, &br->port_map, &specs[i],
                                   err);
        if (error) {
            for (size_t j = 0; j <= i; j++) {
                ft_flow_spec_uninit(&specs[j]);
            }
            error_prefix(err, "line", i + 1);
            return error;
        }
    }
    return 0;
}

static void
specs_destroy(struct ft_flow_spec *specs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ft_flow_spec_uninit(&specs[i]);
    }
    free(specs);
}

int
ft_bridge_flow_mod_lines(struct ft_bridge *br, enum ft_flow_cmd cmd,
                         const char *const *lines, size_t n,
                         unsigned int flags, long long int now,
                         struct ft_bridge_flow_changes *changes,
                         struct ft_error *err)
{
    struct ft_flow_spec *specs = ft_xcalloc(n, sizeof *specs);
    struct ft_bridge_flow_op *ops;
    int error;

    error = parse_lines(br, cmd, lines, n, specs, err);
    if (error) {
        free(specs);
        return error;
    }
    ops = ft_xcalloc(n, sizeof *ops);
    for (size_t i = 0; i < n; i++) {
        ops[i].cmd = cmd;
        ops[i].spec = &specs[i];
    }
    error = flow_mod_batch(br, ops, n, flags, now, "line", changes, err);
    free(ops);
    specs_destroy(specs, n);
    return error;
}

/* ---- replace-flows. ---- */

struct text_key {
    char *text;
    size_t index;
};

static int
text_key_cmp(const void *a_, const void *b_)
{
    const struct text_key *a = a_, *b = b_;

    return strcmp(a->text, b->text);
}

static bool
text_key_find(const struct text_key *keys, size_t n, const char *text)
{
    struct text_key k = { CONST_CAST(char *, text), 0 };

    return n && bsearch(&k, keys, n, sizeof *keys, text_key_cmp);
}

/* The canonical text 'spec' has once it is a rule. */
static char *
spec_rule_text(const struct ft_flow_spec *spec)
{
    struct ft_flow_spec copy;
    struct ds s = DS_EMPTY_INITIALIZER;

    ft_flow_spec_init(&copy);
    ft_flow_spec_copy(&copy, spec);
    copy.cookie_mask = 0;
    ft_match_normalize(&copy.match);
    ft_flow_spec_format(&copy, NULL, &s);
    ft_flow_spec_uninit(&copy);
    return s.s ? s.s : ft_xstrdup("");
}

static void
collect_cb(const struct ft_ofrule *rule, void *aux)
{
    rule_vec_cb(rule, aux);
}

int
ft_bridge_replace_flows(struct ft_bridge *br, const char *const *lines,
                        size_t n, unsigned int flags, long long int now,
                        struct ft_bridge_flow_changes *changes,
                        struct ft_error *err)
{
    struct ft_flow_spec *specs = ft_xcalloc(n, sizeof *specs);
    struct text_key *new_keys = NULL, *old_keys = NULL;
    struct rule_vec old = { NULL, 0, 0 };
    struct ft_flow_spec *dels = NULL;
    struct ft_bridge_flow_op *ops;
    size_t n_ops = 0;
    int error;

    error = parse_lines(br, FT_FLOW_ADD, lines, n, specs, err);
    if (error) {
        free(specs);
        return error;
    }

    new_keys = ft_xcalloc(n, sizeof *new_keys);
    for (size_t i = 0; i < n; i++) {
        new_keys[i].text = spec_rule_text(&specs[i]);
        new_keys[i].index = i;
    }
    qsort(new_keys, n, sizeof *new_keys, text_key_cmp);

    ft_oftables_dump(&br->tables, FT_TABLE_ALL, NULL, 0, 0, collect_cb, &old);
    old_keys = ft_xcalloc(old.n, sizeof *old_keys);
    dels = ft_xcalloc(old.n, sizeof *dels);
    ops = ft_xcalloc(old.n + n, sizeof *ops);
    for (size_t i = 0; i < old.n; i++) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ft_flow_spec_format(&old.r[i]->spec, NULL, &s);
        old_keys[i].text = s.s ? s.s : ft_xstrdup("");
        old_keys[i].index = i;

        ft_flow_spec_init(&dels[i]);
        if (!text_key_find(new_keys, n, old_keys[i].text)) {
            /* A strict delete of exactly this rule, whatever its cookie. */
            dels[i].table_id = old.r[i]->spec.table_id;
            dels[i].priority = old.r[i]->spec.priority;
            dels[i].match = old.r[i]->spec.match;
            ops[n_ops].cmd = FT_FLOW_DELETE_STRICT;
            ops[n_ops].spec = &dels[i];
            n_ops++;
        }
    }
    qsort(old_keys, old.n, sizeof *old_keys, text_key_cmp);
    for (size_t i = 0; i < n; i++) {
        char *text = spec_rule_text(&specs[i]);

        if (!text_key_find(old_keys, old.n, text)) {
            ops[n_ops].cmd = FT_FLOW_ADD;
            ops[n_ops].spec = &specs[i];
            n_ops++;
        }
        free(text);
    }

    error = flow_mod_batch(br, ops, n_ops, flags, now, "flow", changes, err);

    for (size_t i = 0; i < n; i++) {
        free(new_keys[i].text);
    }
    for (size_t i = 0; i < old.n; i++) {
        free(old_keys[i].text);
        ft_flow_spec_uninit(&dels[i]);
    }
    free(new_keys);
    free(old_keys);
    free(dels);
    free(ops);
    free(old.r);
    specs_destroy(specs, n);
    return error;
}

/* ---- dump-flows. ---- */

void
ft_bridge_dump_flows(const struct ft_bridge *br, uint8_t table_id,
                     const struct ft_match *target, uint64_t cookie,
                     uint64_t cookie_mask,
                     void (*cb)(const struct ft_ofrule *, void *aux),
                     void *aux)
{
    ft_oftables_dump(&br->tables, table_id, target, cookie, cookie_mask,
                     cb, aux);
}

void
ft_bridge_format_flow(const struct ft_ofrule *rule, long long int now,
                      const struct ft_port_map *ports, struct ds *out)
{
    ft_bridge_format_flow_tiers(rule, now, ports, false, out);
}

/* " (hw=1,kernel=2,user=3)" of the packets or bytes of 'ts'. */
static void
format_tier_split(const struct ft_tier_stats *ts, bool bytes, struct ds *out)
{
    for (int t = 0; t < FT_N_TIERS; t++) {
        ds_put_format(out, "%s%s=%"PRIu64, t ? "," : " (", ft_tier_name(t),
                      bytes ? ts->tier[t].n_bytes : ts->tier[t].n_packets);
    }
    ds_put_char(out, ')');
}

void
ft_bridge_format_flow_tiers(const struct ft_ofrule *rule, long long int now,
                            const struct ft_port_map *ports, bool tiers,
                            struct ds *out)
{
    const struct ft_flow_spec *spec = &rule->spec;
    long long int duration = now > rule->created ? now - rule->created : 0;
    long long int idle = now > rule->used ? now - rule->used : 0;
    long long int hard = now > rule->modified ? now - rule->modified : 0;
    struct ft_tier_stats ts;

    ft_ofrule_tier_stats(rule, &ts);
    ds_put_format(out, " cookie=0x%"PRIx64", duration=%lld.%03llds, "
                  "table=%u, n_packets=%"PRIu64,
                  spec->cookie, duration / 1000, duration % 1000,
                  spec->table_id, rule->stats.n_packets);
    if (tiers) {
        format_tier_split(&ts, false, out);
    }
    ds_put_format(out, ", n_bytes=%"PRIu64, rule->stats.n_bytes);
    if (tiers) {
        format_tier_split(&ts, true, out);
    }
    ds_put_cstr(out, ", ");
    if (spec->idle_timeout) {
        ds_put_format(out, "idle_timeout=%u, ", spec->idle_timeout);
    }
    if (spec->hard_timeout) {
        ds_put_format(out, "hard_timeout=%u, ", spec->hard_timeout);
    }
    ds_put_format(out, "idle_age=%lld, ", idle / 1000);
    if (hard / 1000 != duration / 1000) {
        ds_put_format(out, "hard_age=%lld, ", hard / 1000);
    }
    ft_match_format(&spec->match, spec->priority, ports, out);
    if (out->len && out->s[out->len - 1] != ' ') {
        ds_put_char(out, ' ');
    }
    ds_put_cstr(out, "actions=");
    ft_ofpacts_format(&spec->actions, ports, out);
}

/* ---- Rule timeouts. ---- */

static bool
rule_is_hard_expired(const struct ft_ofrule *rule, long long int now)
{
    return rule->spec.hard_timeout
           && now >= rule->created + rule->spec.hard_timeout * 1000LL;
}

static bool
rule_is_expired(const struct ft_ofrule *rule, long long int now)
{
    const struct ft_flow_spec *spec = &rule->spec;

    return rule_is_hard_expired(rule, now)
           || (spec->idle_timeout
               && now >= rule->used + spec->idle_timeout * 1000LL);
}

void
ft_bridge_expire_rules(struct ft_bridge *br, long long int now)
{
    struct rule_vec all = { NULL, 0, 0 };
    struct ft_bridge_flow_op *ops;
    struct ft_flow_spec *dels;
    bool have_timeouts = false;
    size_t n = 0;

    if (!br->have_timeouts) {
        return;
    }
    ft_oftables_dump(&br->tables, FT_TABLE_ALL, NULL, 0, 0, collect_cb,
                     &all);
    ops = ft_xcalloc(all.n, sizeof *ops);
    dels = ft_xcalloc(all.n, sizeof *dels);
    for (size_t i = 0; i < all.n; i++) {
        const struct ft_ofrule *rule = all.r[i];

        if (rule->spec.idle_timeout || rule->spec.hard_timeout) {
            have_timeouts = true;
        }
        if (rule_is_expired(rule, now)) {
            ft_flow_spec_init(&dels[n]);
            dels[n].table_id = rule->spec.table_id;
            dels[n].priority = rule->spec.priority;
            dels[n].match = rule->spec.match;
            ops[n].cmd = FT_FLOW_DELETE_STRICT;
            ops[n].spec = &dels[n];
            n++;
        }
    }
    br->expiring = true;
    if (n && !flow_mod_batch(br, ops, n, 0, now, "flow", &br->expired,
                             NULL)) {
        br->stats.n_rules_expired += n;
    }
    br->expiring = false;
    for (size_t i = 0; i < n; i++) {
        ft_flow_spec_uninit(&dels[i]);
    }
    free(dels);
    free(ops);
    free(all.r);
    br->have_timeouts = have_timeouts;
}

void
ft_bridge_take_expired_flows(struct ft_bridge *br,
                             struct ft_bridge_flow_changes *changes)
{
    for (size_t i = 0; i < br->expired.n_removed; i++) {
        texts_push(&changes->removed, &changes->n_removed,
                   &changes->allocated_removed, br->expired.removed[i]);
    }
    br->expired.n_removed = 0;
}
