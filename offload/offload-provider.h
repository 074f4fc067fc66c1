/*
 * offload-provider.h - the offload provider class, for those who write a
 * provider (TC flower, rte_flow, verbs; the dummy one for tests).
 *
 * A provider is a 'struct ft_offload_class' filled with designated
 * initializers, and an instance struct that embeds 'struct ft_offload' as
 * its first member and holds all of the provider's state: no file-scope
 * globals, so two bridges or two tests can each have an instance.  The
 * functions in offload.h dispatch to the members below; their contracts
 * are those of the functions of the same names there.
 *
 * A NULL member means "not supported": the dispatcher answers -EOPNOTSUPP
 * with a reason naming the provider and the operation (flow_modify NULL:
 * the management plane deletes the rule and places the megaflow again).
 */
#ifndef OFFLOAD_OFFLOAD_PROVIDER_H
#define OFFLOAD_OFFLOAD_PROVIDER_H 1

#include "offload.h"

/* The part of every instance the dispatcher reads. */
struct ft_offload {
    const struct ft_offload_class *class;
    char *name;                 /* Owned; prefixes every reason. */
    enum ft_tier tier;
    ft_offload_underlay_fn *underlay;   /* ft_offload_set_underlay(), or
                                         * NULL. */
    void *underlay_aux;
};

/* For providers: asks the instance's underlay resolver how packets to the
 * tunnel remote 'dst' (host order) leave, into '*out'.  Returns 0 if the
 * route and the next hop's Ethernet address are known; -EOPNOTSUPP with a
 * reason prefixed by the instance's name if not ("tc: tunnel to
 * 192.168.0.2: no neighbour for 192.168.0.2 yet"); -ENOENT with a reason
 * if the instance has no resolver. */
int ft_offload_underlay_get(const struct ft_offload *, uint32_t dst,
                            struct ft_offload_underlay *out,
                            struct ft_error *err);

struct ft_offload_class {
    const char *type;           /* "tc", "rte_flow", "dummy". */

    /* Allocates an instance and stores it in '*offloadp'; the dispatcher
     * fills its 'class', 'name' and 'tier' afterwards.  Must not be NULL. */
    int (*create)(struct ft_offload **offloadp, struct ft_error *err);

    /* Removes every rule the instance installed and frees it (not
     * 'name').  Must not be NULL. */
    void (*destroy)(struct ft_offload *);

    int (*port_add)(struct ft_offload *, const struct ft_port_identity *,
                    struct ft_offload_caps *, struct ft_error *);
    void (*port_del)(struct ft_offload *, ft_port_no);

    int (*flow_put)(struct ft_offload *, const struct ft_match *,
                    const struct ft_dp_actions *, struct ft_offload_flow **,
                    struct ft_error *);
    /* May be NULL: every rule is in the instance's tier. */
    enum ft_tier (*flow_tier)(const struct ft_offload *,
                              const struct ft_offload_flow *,
                              struct ft_error *why);
    int (*flow_modify)(struct ft_offload *, struct ft_offload_flow *,
                       const struct ft_dp_actions *, struct ft_error *);
    int (*flow_del)(struct ft_offload *, struct ft_offload_flow *,
                    struct ft_stats *);
    /* May be NULL: ft_offload_flow_del_batch() calls flow_del for each. */
    size_t (*flow_del_batch)(struct ft_offload *,
                             struct ft_offload_flow *const[], size_t n,
                             struct ft_stats[], int errors[]);
    int (*flow_stats)(struct ft_offload *, struct ft_offload_flow *const[],
                      size_t n, struct ft_stats[]);
    int (*flush)(struct ft_offload *, ft_port_no);

    /* May be NULL: flow_put() answers for the device at once.  A provider
     * that batches its requests may return 0 from flow_put() before the
     * device answered; commit waits for every answer outstanding and
     * calls 'failed' for each put the device refused (then the handle
     * dies when 'failed' returns); flow_modify may likewise return 0
     * before the device answered, and a refused change is reported the
     * same way (the rule then gone).  Any other member first waits for the
     * answers too, keeping the refusals for commit; flow_del of a refused
     * handle frees it, and it is then not reported. */
    int (*commit)(struct ft_offload *,
                  void (*failed)(void *aux, struct ft_offload_flow *,
                                 int error, const char *reason),
                  void *aux);

    /* Stores what became of the rules the instance failed to remove.
     * May be NULL: it keeps none (a failed removal is only reported). */
    void (*get_removals)(const struct ft_offload *,
                         struct ft_offload_removals *);

    /* Appends to 'out' the rule flow_put() would install for 'match' and
     * 'actions', as a person would type it for the provider's own tool,
     * rendered from the provider's own translation.  Changes nothing.
     * May be NULL. */
    int (*explain)(struct ft_offload *, const struct ft_match *,
                   const struct ft_dp_actions *, struct ds *out,
                   struct ft_error *);
};

#endif /* offload/offload-provider.h */
