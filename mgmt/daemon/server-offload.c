/*
 * server-offload.c - the daemon's 'offload-show' request (flowtier offload
 * show [BRIDGE]): each bridge's open ports grouped by the NIC e-switch
 * they are on, with each offload provider's answer for the port (what
 * its probe says it can match and do, the rules it holds, or why it
 * does not serve the port), the megaflows of the port in each tier, and
 * the RDMA device libibverbs finds behind the port with what it can do
 * for a switch (raw packet QPs, flow steering, counters).
 *
 * Part of mgmt/daemon/.  Reads the bridges (mgmt/bridge/bridge.h), the
 * ports' drivers (ethtool) and RDMA devices (offload/verbs-device.h, which
 * opens them and tries a QP and counters, then closes them); changes
 * nothing.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtier/util.h"
#include "mgmt/daemon/server-private.h"
#include "offload/offload.h"
#include "offload/verbs-device.h"

/* Words for the match groups and actions of 'struct ft_offload_caps'. */
static const char *const match_words[] = {
    "in_port", "eth", "vlan", "ipv4", "ipv6", "l4_ports", "tcp_flags",
    "icmp", "arp", "tunnel", "metadata",
};
static const char *const action_words[] = {
    "output", "push_vlan", "pop_vlan", "set_eth", "set_ipv4", "set_ipv6",
    "set_l4", "set_tunnel", "userspace",
};

/* One port's section, kept until the ports are grouped. */
struct show_port {
    char switch_id[2 * FT_SWITCH_ID_MAX + 1];   /* "" if on none. */
    struct ds text;
    json_t *json;
};

struct show_ctx {
    struct show_port *ports;
    size_t n;
};

static void
words_json_text(const char *const words[], size_t n_words, uint32_t bits,
                struct ds *text, json_t *list)
{
    bool any = false;

    for (size_t i = 0; i < n_words; i++) {
        if (bits & (1u << i)) {
            ds_put_format(text, "%s%s", any ? "," : "", words[i]);
            json_array_append_new(list, json_string(words[i]));
            any = true;
        }
    }
    if (!any) {
        ds_put_cstr(text, "none");
    }
}

/* The driver of netdev 'dev' as 'ethtool -i' reports it, in 'buf'
 * (ETHTOOL_GDRVINFO_DRIVER long), or NULL. */
static const char *
port_driver(const char *dev, char *buf, size_t size)
{
    struct ethtool_drvinfo info;
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int error;

    if (fd < 0) {
        return NULL;
    }
    memset(&ifr, 0, sizeof ifr);
    memset(&info, 0, sizeof info);
    info.cmd = ETHTOOL_GDRVINFO;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", dev);
    ifr.ifr_data = (void *) &info;
    error = ioctl(fd, SIOCETHTOOL, &ifr);
    close(fd);
    if (error || !info.driver[0]) {
        return NULL;
    }
    snprintf(buf, size, "%.*s", (int) sizeof info.driver, info.driver);
    return buf;
}

/* "yes", or "no (WHY)" for a probe that gave negative errno 'error'. */
static void
put_probe(struct ds *text, const char *what, int error, json_t *j,
          const char *key)
{
    ds_put_format(text, "%s: ", what);
    if (error) {
        ds_put_format(text, "no (%s)", strerror(-error));
    } else {
        ds_put_cstr(text, "yes");
    }
    json_object_set_new(j, key, json_boolean(!error));
    if (error) {
        char err_key[64];

        snprintf(err_key, sizeof err_key, "%s_error", key);
        json_object_set_new(j, err_key, json_string(strerror(-error)));
    }
}

/* The RDMA device port behind netdev 'dev' as libibverbs finds it
 * (offload/verbs-device.h), with what it can do for a switch, into
 * 'text' and '*rdma' (JSON null if there is none). */
static void
port_rdma(const char *dev, int ifindex, struct ds *text, json_t **rdma)
{
    struct ft_verbs_port_info info;
    json_t *j, *caps;

    if (ft_verbs_port_find(dev, ifindex, &info, NULL, NULL)) {
        *rdma = json_null();
        return;
    }
    j = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:n}",
                  "device", info.dev, "port", info.port_num,
                  "found_by", info.found_by, "link_layer", info.link_layer,
                  "state", info.state, "flow_steering", info.flow_steering,
                  "raw_ip_csum", info.raw_ip_csum, "raw_multi",
                  info.raw_multi, "raw_scatter_fcs", info.raw_scatter_fcs,
                  "max_flow_rules");
    ds_put_format(text, "    rdma: %s port %u (found by %s): link layer %s, "
                  "state %s\n      ", info.dev, info.port_num, info.found_by,
                  info.link_layer, info.state);
    put_probe(text, "raw packet QP", info.raw_qp_error, j, "raw_packet_qp");
    ds_put_cstr(text, ", raw packet caps: ");
    caps = json_array();
    words_json_text(ft_verbs_raw_cap_names, 4, info.raw_packet_caps, text,
                    caps);
    json_object_set_new(j, "raw_packet_caps", caps);
    ds_put_format(text, ", RAW_IP_CSUM %s\n      flow steering: %s",
                  info.raw_ip_csum ? "yes" : "no",
                  info.flow_steering ? "yes" : "no "
                  "(IBV_DEVICE_MANAGED_FLOW_STEERING absent)");
    ds_put_cstr(text, ", max flow rules: not reported by verbs, ");
    put_probe(text, "flow counters", info.counters_error, j,
              "flow_counters");
    ds_put_char(text, '\n');
    *rdma = j;
}

static void
provider_lines(const struct ft_bridge_port_offload *po, struct ds *text,
               json_t *list)
{
    json_t *j = json_pack("{s:s, s:s}", "provider", po->provider, "tier",
                          ft_tier_name(po->tier));

    ds_put_format(text, "    %s (%s tier): ", po->provider,
                  ft_tier_name(po->tier));
    if (!po->caps) {
        ds_put_format(text, "no offload: %s\n",
                      po->refusal ? po->refusal : "not probed");
        json_object_set_new(j, "refusal", json_string(po->refusal
                                                      ? po->refusal
                                                      : "not probed"));
    } else {
        json_t *m = json_array(), *a = json_array();

        ds_put_cstr(text, "serves it\n      matches: ");
        words_json_text(match_words, sizeof match_words / sizeof match_words[0],
                        po->caps->match, text, m);
        ds_put_cstr(text, "\n      actions: ");
        words_json_text(action_words, sizeof action_words / sizeof action_words[0],
                        po->caps->actions, text, a);
        ds_put_format(text, "\n      tunnel: encap %s, decap %s\n"
                      "      rules: %zu", po->caps->tunnel_encap ? "yes" : "no",
                      po->caps->tunnel_decap ? "yes" : "no", po->n_rules);
        if (po->caps->max_flows) {
            ds_put_format(text, " of %zu\n", po->caps->max_flows);
        } else {
            ds_put_cstr(text, " (table size not known)\n");
        }
        json_object_set_new(j, "matches", m);
        json_object_set_new(j, "actions", a);
        json_object_set_new(j, "tunnel_encap",
                            json_boolean(po->caps->tunnel_encap));
        json_object_set_new(j, "tunnel_decap",
                            json_boolean(po->caps->tunnel_decap));
        json_object_set_new(j, "rules", json_integer(po->n_rules));
        json_object_set_new(j, "max_rules",
                            json_integer((json_int_t) po->caps->max_flows));
    }
    json_array_append_new(list, j);
}

/* Appends to 'text' why the megaflows of port 'op' that are not in hw
 * are not, one line a reason with how many megaflows give it; returns
 * the same as a JSON array. */
static json_t *
port_hw_reasons(const struct ft_bridge_offload_port *op, struct ds *text)
{
    json_t *list = json_array();

    for (size_t i = 0; i < op->n_hw_reasons; i++) {
        ds_put_format(text, "      not in hw: %s (%zu megaflow%s)\n",
                      op->hw_reasons[i], op->hw_reason_flows[i],
                      op->hw_reason_flows[i] == 1 ? "" : "s");
        json_array_append_new(list, json_pack(
            "{s:s, s:I}", "reason", op->hw_reasons[i],
            "flows", (json_int_t) op->hw_reason_flows[i]));
    }
    if (op->n_hw_other) {
        ds_put_format(text, "      not in hw: %zu more megaflow%s for %s\n",
                      op->n_hw_other, op->n_hw_other == 1 ? "" : "s",
                      "other reasons (dump-dp-flows gives each)");
    }
    return list;
}

static void
show_port_cb(const struct ft_bridge_offload_port *op, void *aux_)
{
    struct show_ctx *aux = aux_;
    const struct ft_port_identity *id = op->id;
    struct show_port *sp;
    json_t *provs = json_array(), *rdma, *not_in_hw;
    const char *driver;
    char buf[64];

    aux->ports = ft_xrealloc(aux->ports, (aux->n + 1) * sizeof *aux->ports);
    sp = &aux->ports[aux->n++];
    memset(sp, 0, sizeof *sp);
    for (size_t i = 0; i < id->switch_id_len; i++) {
        snprintf(&sp->switch_id[2 * i], 3, "%02x", id->switch_id[i]);
    }
    ds_init(&sp->text);
    ds_put_format(&sp->text, "  port %"PRIu32" %s (type %s", id->port_no,
                  id->name, id->type);
    if (id->phys_port_name[0]) {
        ds_put_format(&sp->text, ", %s", id->phys_port_name);
    }
    driver = id->ifindex > 0 ? port_driver(id->name, buf, sizeof buf) : NULL;
    if (driver) {
        ds_put_format(&sp->text, ", driver %s", driver);
    }
    ds_put_cstr(&sp->text, ")\n");
    if (driver && !strcmp(driver, "ftnic")) {
        ds_put_cstr(&sp->text, "    ftnic is a SmartNIC model for tests: "
                    "its counters are not hardware figures\n");
    }
    for (size_t i = 0; i < op->n_providers; i++) {
        provider_lines(&op->providers[i], &sp->text, provs);
    }
    ds_put_format(&sp->text, "    flows: hw:%zu kernel:%zu user:%zu\n",
                  op->flows_per_tier[FT_TIER_HW],
                  op->flows_per_tier[FT_TIER_KERNEL],
                  op->flows_per_tier[FT_TIER_USER]);
    not_in_hw = port_hw_reasons(op, &sp->text);
    if (id->ifindex > 0) {
        port_rdma(id->name, id->ifindex, &sp->text, &rdma);
    } else {
        rdma = json_null();
    }
    sp->json = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:{s:I, s:I, s:I}, "
                         "s:o}",
                         "port", (json_int_t) id->port_no, "name", id->name,
                         "type", id->type, "switch_id", sp->switch_id,
                         "phys_port_name", id->phys_port_name,
                         "providers", provs, "flows",
                         "hw", (json_int_t) op->flows_per_tier[FT_TIER_HW],
                         "kernel",
                         (json_int_t) op->flows_per_tier[FT_TIER_KERNEL],
                         "user", (json_int_t) op->flows_per_tier[FT_TIER_USER],
                         "rdma", rdma);
    json_object_set_new(sp->json, "driver",
                        driver ? json_string(driver) : json_null());
    json_object_set_new(sp->json, "not_in_hw", not_in_hw);
    json_object_set_new(sp->json, "not_in_hw_other",
                        json_integer((json_int_t) op->n_hw_other));
}

/* Appends bridge 'sb''s ports, grouped by e-switch (those on none last),
 * to 'text' and 'data'. */
static void
show_bridge(struct srv_bridge *sb, struct ds *text, json_t *data)
{
    struct show_ctx ctx = { NULL, 0 };
    json_t *switches = json_array();
    bool *done;

    ft_bridge_offload_ports(sb->br, show_port_cb, &ctx);
    done = ft_xcalloc(ctx.n + 1, sizeof *done);
    ds_put_format(text, "%s:\n", sb->name);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ctx.n; i++) {
            const char *sw = ctx.ports[i].switch_id;
            json_t *ports;

            if (done[i] || (pass == 0) != (sw[0] != '\0')) {
                continue;
            }
            ds_put_format(text, sw[0] ? " e-switch %s:\n" : " on no "
                          "e-switch (no phys_switch_id):\n", sw);
            ports = json_array();
            for (size_t k = i; k < ctx.n; k++) {
                if (!done[k] && !strcmp(ctx.ports[k].switch_id, sw)) {
                    ds_put_cstr(text, ds_cstr(&ctx.ports[k].text));
                    json_array_append(ports, ctx.ports[k].json);
                    done[k] = true;
                }
            }
            json_array_append_new(switches, json_pack("{s:s, s:o}",
                                                      "switch_id", sw,
                                                      "ports", ports));
        }
    }
    for (size_t i = 0; i < ctx.n; i++) {
        ds_destroy(&ctx.ports[i].text);
        json_decref(ctx.ports[i].json);
    }
    free(ctx.ports);
    free(done);
    json_array_append_new(data, json_pack("{s:s, s:o}", "bridge", sb->name,
                                          "switches", switches));
}

int
srv_offload_show(json_t *params, json_t **result, struct ft_error *err,
                 void *s_)
{
    struct ft_server *s = s_;
    struct ds text = DS_EMPTY_INITIALIZER;
    json_t *data = json_array();

    if (json_object_get(params, "bridge")) {
        struct srv_bridge *sb;
        int error = srv_bridge_get(s, params, &sb, err);

        if (error) {
            ds_destroy(&text);
            json_decref(data);
            return error;
        }
        show_bridge(sb, &text, data);
    } else {
        for (size_t i = 0; i < s->n_bridges; i++) {
            show_bridge(s->bridges[i], &text, data);
        }
    }
    *result = srv_text_result(&text, data);
    return 0;
}
