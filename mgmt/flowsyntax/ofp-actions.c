/*
 * ofp-actions.c - the action list of an OpenFlow rule: storage, copy and
 * comparison.  Parsing lives in ofp-parse.c, printing in ofp-print.c,
 * execution in xlate.c.
 */
#include "mgmt/flowsyntax/ofp-actions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void
ft_ofpacts_init(struct ft_ofpacts *acts)
{
    acts->acts = NULL;
    acts->n = acts->allocated = 0;
}

void
ft_ofpacts_uninit(struct ft_ofpacts *acts)
{
    if (acts) {
        if (acts->allocated) {
            free(acts->acts);
        }
        ft_ofpacts_init(acts);
    }
}

/* Storage of 'acts' resized to 'n' actions, its own even if it shared
 * another's (the first 'acts->n' actions kept). */
static struct ft_ofpact *
acts_realloc(struct ft_ofpacts *acts, size_t n)
{
    struct ft_ofpact *p;

    if (acts->allocated || !acts->acts) {
        p = realloc(acts->acts, n * sizeof *p);
    } else {
        p = malloc(n * sizeof *p);
        if (p && acts->n) {
            memcpy(p, acts->acts,
                   (acts->n < n ? acts->n : n) * sizeof *p);
        }
    }
    if (!p) {
        abort();
    }
    return p;
}

static void
reserve(struct ft_ofpacts *acts, size_t n)
{
    if (n > acts->allocated) {
        size_t allocated = acts->allocated ? acts->allocated * 2 : 4;
        struct ft_ofpact *p;

        while (allocated < n) {
            allocated *= 2;
        }
        p = acts_realloc(acts, allocated);
        acts->acts = p;
        acts->allocated = allocated;
    }
}

struct ft_ofpact *
ft_ofpacts_put(struct ft_ofpacts *acts, enum ft_ofpact_type type)
{
    struct ft_ofpact *a;

    reserve(acts, acts->n + 1);
    a = &acts->acts[acts->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

void
ft_ofpacts_copy(struct ft_ofpacts *dst, const struct ft_ofpacts *src)
{
    if (dst == src) {
        return;
    }
    dst->n = 0;
    if (src->n > dst->allocated) {
        /* Exactly what 'src' needs: a copy is usually a rule's, kept as
         * long as the rule and never appended to. */
        struct ft_ofpact *p = acts_realloc(dst, src->n);

        dst->acts = p;
        dst->allocated = src->n;
    }
    if (src->n) {
        memcpy(dst->acts, src->acts, src->n * sizeof *src->acts);
    }
    dst->n = src->n;
}

/* Compares the meaningful members of two actions of the same type, so that
 * padding and unused union bytes never matter. */
static bool
ofpact_equal(const struct ft_ofpact *a, const struct ft_ofpact *b)
{
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case FT_OFPACT_OUTPUT:
        return a->output.port == b->output.port;
    case FT_OFPACT_CONTROLLER:
        return a->controller.max_len == b->controller.max_len;
    case FT_OFPACT_RESUBMIT:
        return a->resubmit.in_port == b->resubmit.in_port
               && a->resubmit.table_id == b->resubmit.table_id;
    case FT_OFPACT_GOTO_TABLE:
        return a->table_id == b->table_id;
    case FT_OFPACT_SET_VLAN_VID:
        return a->vlan_vid.vid == b->vlan_vid.vid
               && a->vlan_vid.push_vlan_if_needed
                  == b->vlan_vid.push_vlan_if_needed;
    case FT_OFPACT_SET_VLAN_PCP:
        return a->vlan_pcp.pcp == b->vlan_pcp.pcp
               && a->vlan_pcp.push_vlan_if_needed
                  == b->vlan_pcp.push_vlan_if_needed;
    case FT_OFPACT_STRIP_VLAN:
    case FT_OFPACT_DEC_TTL:
        return true;
    case FT_OFPACT_PUSH_VLAN:
        return a->push_vlan.ethertype == b->push_vlan.ethertype;
    case FT_OFPACT_SET_FIELD:
        return a->set_field.field == b->set_field.field
               && a->set_field.spelling == b->set_field.spelling
               && !memcmp(&a->set_field.value, &b->set_field.value,
                          sizeof a->set_field.value)
               && !memcmp(&a->set_field.mask, &b->set_field.mask,
                          sizeof a->set_field.mask);
    case FT_OFPACT_SET_TUNNEL:
        return a->set_tunnel.tun_id == b->set_tunnel.tun_id
               && a->set_tunnel.is64 == b->set_tunnel.is64;
    case FT_OFPACT_WRITE_METADATA:
        return a->write_metadata.metadata == b->write_metadata.metadata
               && a->write_metadata.mask == b->write_metadata.mask;
    case FT_OFPACT_METER:
        return a->meter_id == b->meter_id;
    }
    return false;
}

bool
ft_ofpacts_equal(const struct ft_ofpacts *a, const struct ft_ofpacts *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (size_t i = 0; i < a->n; i++) {
        if (!ofpact_equal(&a->acts[i], &b->acts[i])) {
            return false;
        }
    }
    return true;
}

int
ft_ofpacts_check_meters(const struct ft_ofpacts *acts, struct ft_error *err)
{
    for (size_t i = 0; i < acts->n; i++) {
        if (acts->acts[i].type == FT_OFPACT_METER) {
            return ft_error_set(err, -ENOENT, "meter %"PRIu32" does not "
                                "exist", acts->acts[i].meter_id);
        }
    }
    return 0;
}
