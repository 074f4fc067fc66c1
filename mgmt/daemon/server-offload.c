/*
 * server-offload.c - the daemon's 'offload-show' request (flowtier offload
 * show [BRIDGE]): each bridge's open ports grouped by the NIC e-switch
 * they are on, with each offload provider's answer for the port (what
 * its probe says it can match and do, the rules it holds, or why it
 * does not serve the port), the megaflows of the port in each tier, and
 * the RDMA device sysfs shows behind the port.
 *
 * Part of mgmt/daemon/.  Reads the bridges (mgmt/bridge/bridge.h) and
 * sysfs (/sys/class/net/DEV/device/...); changes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtier/util.h"
#include "mgmt/daemon/server-private.h"
#include "offload/offload.h"

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

/* The RDMA devices behind netdev 'dev' (sysfs
 * /sys/class/net/DEV/device/infiniband/), as " name name", into 'text'
 * and 'list'. */
static void
port_rdma(const char *dev, struct ds *text, json_t *list)
{
    char path[PATH_MAX];
    struct dirent *de;
    DIR *dir;

    snprintf(path, sizeof path, "/sys/class/net/%s/device/infiniband", dev);
    dir = opendir(path);
    if (!dir) {
        return;
    }
    while ((de = readdir(dir))) {
        if (de->d_name[0] != '.') {
            ds_put_format(text, " %s", de->d_name);
            json_array_append_new(list, json_string(de->d_name));
        }
    }
    closedir(dir);
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

static void
show_port_cb(const struct ft_bridge_offload_port *op, void *aux_)
{
    struct show_ctx *aux = aux_;
    const struct ft_port_identity *id = op->id;
    struct show_port *sp;
    json_t *provs = json_array(), *rdma = json_array();
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
    if (id->ifindex > 0) {
        size_t len = sp->text.len;

        ds_put_cstr(&sp->text, "    rdma:");
        port_rdma(id->name, &sp->text, rdma);
        if (json_array_size(rdma)) {
            ds_put_char(&sp->text, '\n');
        } else {
            sp->text.len = len;
            sp->text.s[len] = '\0';
        }
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
