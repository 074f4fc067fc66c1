/*
 * oftable.c - a bridge's OpenFlow tables and the flow-mod operations over
 * them (see oftable.h).
 *
 * Part of the management plane.  Each table is a classifier (classifier.c)
 * of 'struct ft_ofrule'; this file adds what OpenFlow puts around a match:
 * cookies, timeouts, counters, add/modify/delete semantics, reference
 * counts and the version number that tells the revalidator to re-translate.
 * Owned by the daemon's main loop; nothing here takes locks.
 */
#include "mgmt/ofproto/oftable.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* A growable list of rules, to act on after a classifier walk (which may
 * not modify the classifier it walks). */
struct rule_list {
    struct ft_ofrule **rules;
    size_t n, allocated;
};

static void
rule_list_push(struct rule_list *list, struct ft_ofrule *rule)
{
    if (list->n == list->allocated) {
        size_t allocated = list->allocated ? 2 * list->allocated : 16;
        struct ft_ofrule **p = realloc(list->rules, allocated * sizeof *p);

        if (!p) {
            abort();            /* As everywhere in FlowTier. */
        }
        list->rules = p;
        list->allocated = allocated;
    }
    list->rules[list->n++] = rule;
}

static void
rule_list_destroy(struct rule_list *list)
{
    free(list->rules);
    list->rules = NULL;
    list->n = list->allocated = 0;
}

static struct ft_ofrule *
ofrule_from_cls(const struct ft_cls_rule *cr)
{
    return (struct ft_ofrule *) ((char *) cr - offsetof(struct ft_ofrule, cr));
}

static bool
cookie_matches(const struct ft_ofrule *rule, uint64_t cookie,
               uint64_t cookie_mask)
{
    return !((rule->spec.cookie ^ cookie) & cookie_mask);
}

/* The tables [*first, *last] that 'table_id' names (one, or every one for
 * FT_TABLE_ALL). */
static void
table_range(uint8_t table_id, size_t *first, size_t *last)
{
    if (table_id == FT_TABLE_ALL) {
        *first = 0;
        *last = FT_N_TABLES - 1;
    } else {
        *first = *last = table_id;
    }
}

void
ft_oftables_init(struct ft_oftables *oft)
{
    for (size_t i = 0; i < FT_N_TABLES; i++) {
        ft_cls_init(&oft->tables[i]);
    }
    oft->version = 0;
    oft->n_rules = 0;
}

struct collect_aux {
    struct rule_list *list;
    uint64_t cookie;
    uint64_t cookie_mask;
};

static int
collect_cb(struct ft_cls_rule *cr, void *aux_)
{
    struct collect_aux *aux = aux_;
    struct ft_ofrule *rule = ofrule_from_cls(cr);

    if (cookie_matches(rule, aux->cookie, aux->cookie_mask)) {
        rule_list_push(aux->list, rule);
    }
    return 0;
}

/* Appends to 'list' the rules of the tables 'table_id' names that match
 * 'target' (non-strict, or exactly with 'priority' if 'strict'; NULL
 * 'target' means every rule) and pass the cookie filter. */
static void
collect_rules(const struct ft_oftables *oft, uint8_t table_id,
              const struct ft_match *target, bool strict, uint16_t priority,
              uint64_t cookie, uint64_t cookie_mask, struct rule_list *list)
{
    struct collect_aux aux = { list, cookie, cookie_mask };
    size_t first, last;

    table_range(table_id, &first, &last);
    for (size_t t = first; t <= last; t++) {
        const struct ft_classifier *cls = &oft->tables[t];

        if (!ft_cls_count(cls)) {
            continue;
        }
        if (strict) {
            struct ft_cls_rule *cr = ft_cls_find_exact(cls, target, priority);

            if (cr) {
                collect_cb(cr, &aux);
            }
        } else {
            ft_cls_foreach(cls, target, collect_cb, &aux);
        }
    }
}

/* Takes 'rule' out of its table; drops the tables' reference. */
static void
oftables_remove_rule(struct ft_oftables *oft, struct ft_ofrule *rule)
{
    ft_cls_remove(&oft->tables[rule->spec.table_id], &rule->cr);
    rule->removed = true;
    oft->n_rules--;
    ft_ofrule_unref(rule);
}

void
ft_oftables_destroy(struct ft_oftables *oft)
{
    struct rule_list list = { NULL, 0, 0 };

    if (!oft) {
        return;
    }
    collect_rules(oft, FT_TABLE_ALL, NULL, false, 0, 0, 0, &list);
    for (size_t i = 0; i < list.n; i++) {
        oftables_remove_rule(oft, list.rules[i]);
    }
    rule_list_destroy(&list);
    for (size_t i = 0; i < FT_N_TABLES; i++) {
        ft_cls_destroy(&oft->tables[i]);
    }
    oft->version++;
}

/* OpenFlow forbids going back: goto_table must name a later table. */
static int
check_actions(const struct ft_ofpacts *acts, uint8_t table_id,
              struct ft_error *err)
{
    for (size_t i = 0; i < acts->n; i++) {
        const struct ft_ofpact *a = &acts->acts[i];

        if (a->type == FT_OFPACT_GOTO_TABLE
            && (a->table_id <= table_id || a->table_id >= FT_N_TABLES)) {
            return ft_error_set(err, -EINVAL,
                                "goto_table:%u in table %u: goto_table must "
                                "name a later table (%u to %u)",
                                a->table_id, table_id, table_id + 1,
                                FT_N_TABLES - 1);
        }
    }
    return 0;
}

int
ft_oftables_add(struct ft_oftables *oft, const struct ft_flow_spec *spec,
                long long int now, struct ft_ofrule **addedp,
                struct ft_ofrule **replacedp, struct ft_error *err)
{
    struct ft_classifier *cls;
    struct ft_cls_rule *old;
    struct ft_ofrule *rule;
    int error;

    if (spec->table_id >= FT_N_TABLES) {
        return ft_error_set(err, -EINVAL,
                            "table %u is not a table to add a flow to: "
                            "tables are 0 to %u (%u means every table, "
                            "for mod-flows and del-flows only)",
                            spec->table_id, FT_N_TABLES - 1, FT_TABLE_ALL);
    }
    error = check_actions(&spec->actions, spec->table_id, err);
    if (error) {
        return error;
    }

    /* One allocation holds the rule and its actions (a modify that needs
     * more moves them out, see struct ft_ofpacts). */
    rule = calloc(1, sizeof *rule
                     + spec->actions.n * sizeof *spec->actions.acts);
    if (!rule) {
        abort();
    }
    rule->spec = *spec;
    rule->spec.actions.acts = spec->actions.n ? (struct ft_ofpact *) (rule + 1)
                                              : NULL;
    rule->spec.actions.allocated = 0;
    if (spec->actions.n) {
        memcpy(rule->spec.actions.acts, spec->actions.acts,
               spec->actions.n * sizeof *spec->actions.acts);
    }
    rule->spec.cookie_mask = 0;
    ft_match_normalize(&rule->spec.match);
    rule->cr.match = &rule->spec.match;
    rule->cr.priority = spec->priority;
    rule->created = rule->modified = rule->used = now;
    rule->ref_cnt = 1;

    if (replacedp) {
        *replacedp = NULL;
    }
    cls = &oft->tables[spec->table_id];
    old = ft_cls_insert(cls, &rule->cr);
    if (old) {
        /* Identical match and priority: the new rule takes the old one's
         * place, with fresh counters and timeouts. */
        struct ft_ofrule *old_rule = ofrule_from_cls(old);

        ft_cls_replace(cls, old, &rule->cr);
        old_rule->removed = true;
        if (replacedp) {
            *replacedp = old_rule;      /* The tables' reference. */
        } else {
            ft_ofrule_unref(old_rule);
        }
    } else {
        oft->n_rules++;
    }
    if (addedp) {
        *addedp = rule;
    }
    oft->version++;
    return 1;
}

static int
oftables_modify(struct ft_oftables *oft, const struct ft_flow_spec *spec,
                bool strict, long long int now, struct ft_error *err)
{
    struct rule_list list = { NULL, 0, 0 };
    size_t n;

    collect_rules(oft, spec->table_id, &spec->match, strict, spec->priority,
                  spec->cookie, spec->cookie_mask, &list);

    /* All or nothing: check the new actions against every rule first. */
    if (spec->has_actions) {
        for (size_t i = 0; i < list.n; i++) {
            int error = check_actions(&spec->actions,
                                      list.rules[i]->spec.table_id, err);

            if (error) {
                rule_list_destroy(&list);
                return error;
            }
        }
    }

    for (size_t i = 0; i < list.n; i++) {
        struct ft_ofrule *rule = list.rules[i];

        /* Without "actions=" a modify changes no actions.  A cookie given
         * without a mask is the new cookie (as in ovs-ofctl); with a mask
         * it was only a filter. */
        if (spec->has_actions) {
            ft_ofpacts_copy(&rule->spec.actions, &spec->actions);
        }
        if (!spec->cookie_mask && spec->cookie) {
            rule->spec.cookie = spec->cookie;
        }
        rule->modified = now;
    }
    n = list.n;
    rule_list_destroy(&list);
    if (n) {
        oft->version++;
    }
    return n;
}

static int
oftables_delete(struct ft_oftables *oft, const struct ft_flow_spec *spec,
                bool strict)
{
    struct rule_list list = { NULL, 0, 0 };
    size_t n;

    collect_rules(oft, spec->table_id, &spec->match, strict, spec->priority,
                  spec->cookie, spec->cookie_mask, &list);
    for (size_t i = 0; i < list.n; i++) {
        oftables_remove_rule(oft, list.rules[i]);
    }
    n = list.n;
    rule_list_destroy(&list);
    if (n) {
        oft->version++;
    }
    return n;
}

int
ft_oftables_apply(struct ft_oftables *oft, enum ft_flow_cmd cmd,
                  const struct ft_flow_spec *spec, long long int now,
                  struct ft_error *err)
{
    ft_error_clear(err);
    switch (cmd) {
    case FT_FLOW_ADD:
        return ft_oftables_add(oft, spec, now, NULL, NULL, err);
    case FT_FLOW_MODIFY:
        return oftables_modify(oft, spec, false, now, err);
    case FT_FLOW_MODIFY_STRICT:
        return oftables_modify(oft, spec, true, now, err);
    case FT_FLOW_DELETE:
        return oftables_delete(oft, spec, false);
    case FT_FLOW_DELETE_STRICT:
        return oftables_delete(oft, spec, true);
    }
    return ft_error_set(err, -EINVAL, "unknown flow command %d", (int) cmd);
}

struct ft_ofrule *
ft_oftables_lookup(const struct ft_oftables *oft, uint8_t table_id,
                   const struct ft_flow *flow, struct ft_flow *wc)
{
    const struct ft_cls_rule *cr;

    if (table_id >= FT_N_TABLES) {
        return NULL;
    }
    cr = ft_cls_lookup(&oft->tables[table_id], flow, wc);
    return cr ? ofrule_from_cls(cr) : NULL;
}

static bool
ofrule_is_expired(const struct ft_ofrule *rule, long long int now)
{
    const struct ft_flow_spec *spec = &rule->spec;

    return (spec->hard_timeout
            && now >= rule->created + spec->hard_timeout * 1000LL)
           || (spec->idle_timeout
               && now >= rule->used + spec->idle_timeout * 1000LL);
}

size_t
ft_oftables_expire(struct ft_oftables *oft, long long int now)
{
    struct rule_list list = { NULL, 0, 0 };
    size_t n = 0;

    collect_rules(oft, FT_TABLE_ALL, NULL, false, 0, 0, 0, &list);
    for (size_t i = 0; i < list.n; i++) {
        if (ofrule_is_expired(list.rules[i], now)) {
            oftables_remove_rule(oft, list.rules[i]);
            n++;
        }
    }
    rule_list_destroy(&list);
    if (n) {
        oft->version++;
    }
    return n;
}

/* Dump order within a table: priority descending, then oldest first, then
 * by match so that the order never depends on hashing. */
static int
dump_cmp(const void *a_, const void *b_)
{
    const struct ft_ofrule *a = *(const struct ft_ofrule *const *) a_;
    const struct ft_ofrule *b = *(const struct ft_ofrule *const *) b_;

    if (a->spec.table_id != b->spec.table_id) {
        return a->spec.table_id < b->spec.table_id ? -1 : 1;
    }
    if (a->cr.priority != b->cr.priority) {
        return a->cr.priority > b->cr.priority ? -1 : 1;
    }
    if (a->created != b->created) {
        return a->created < b->created ? -1 : 1;
    }
    return memcmp(a->cr.match, b->cr.match, sizeof *a->cr.match);
}

void
ft_oftables_dump(const struct ft_oftables *oft, uint8_t table_id,
                 const struct ft_match *target, uint64_t cookie,
                 uint64_t cookie_mask,
                 void (*cb)(const struct ft_ofrule *, void *aux), void *aux)
{
    struct rule_list list = { NULL, 0, 0 };

    collect_rules(oft, table_id, target, false, 0, cookie, cookie_mask,
                  &list);
    if (list.n > 1) {
        qsort(list.rules, list.n, sizeof *list.rules, dump_cmp);
    }
    for (size_t i = 0; i < list.n; i++) {
        cb(list.rules[i], aux);
    }
    rule_list_destroy(&list);
}

void
ft_ofrule_ref(struct ft_ofrule *rule)
{
    if (rule) {
        rule->ref_cnt++;
    }
}

void
ft_ofrule_unref(struct ft_ofrule *rule)
{
    if (rule) {
        assert(rule->ref_cnt > 0);
        if (!--rule->ref_cnt) {
            ft_flow_spec_uninit(&rule->spec);
            free(rule);
        }
    }
}

void
ft_ofrule_credit_tier(struct ft_ofrule *rule, enum ft_tier tier,
                      uint64_t n_packets, uint64_t n_bytes,
                      long long int now)
{
    if (tier < FT_TIER_USER) {
        rule->faster[tier].n_packets += n_packets;
        rule->faster[tier].n_bytes += n_bytes;
    }
    ft_ofrule_credit(rule, n_packets, n_bytes, now);
}

void
ft_ofrule_tier_stats(const struct ft_ofrule *rule, struct ft_tier_stats *ts)
{
    uint64_t packets = rule->stats.n_packets, bytes = rule->stats.n_bytes;

    memset(ts, 0, sizeof *ts);
    for (int t = 0; t < FT_TIER_USER; t++) {
        ts->tier[t].n_packets = rule->faster[t].n_packets;
        ts->tier[t].n_bytes = rule->faster[t].n_bytes;
        packets -= rule->faster[t].n_packets;
        bytes -= rule->faster[t].n_bytes;
    }
    ts->tier[FT_TIER_USER].n_packets = packets;
    ts->tier[FT_TIER_USER].n_bytes = bytes;
}

void
ft_ofrule_credit(struct ft_ofrule *rule, uint64_t n_packets, uint64_t n_bytes,
                 long long int now)
{
    rule->stats.n_packets += n_packets;
    rule->stats.n_bytes += n_bytes;
    if (n_packets) {
        /* Only real traffic keeps a rule from idling out. */
        if (now > rule->stats.used) {
            rule->stats.used = now;
        }
        if (now > rule->used) {
            rule->used = now;
        }
    }
}
