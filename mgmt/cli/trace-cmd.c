/*
 * trace-cmd.c - the offline 'flowtier trace' and 'flowtier parse-flows'
 * subcommands.
 *
 * 'trace' builds a throwaway bridge in this process: OpenFlow tables
 * loaded from a flows file (add semantics, line by line), the ports named
 * on the command line plus LOCAL, an empty MAC table that is not learned
 * into (as 'ovs-appctl ofproto/trace' does), and runs the translator on
 * one packet with tracing on.  It needs no daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtier/ds.h"
#include "flowtier/error.h"
#include "mgmt/cli/flowtier-cli.h"
#include "mgmt/ofproto/mac-learning.h"
#include "mgmt/flowsyntax/ofp-flow.h"
#include "mgmt/ofproto/oftable.h"
#include "mgmt/ofproto/xlate.h"
#include "swpath/tnl-config.h"

#define BRIDGE_NAME "br0"

/* Calls 'cb' for each flow line of 'file' (blank lines and '#' comments
 * skipped) with its 1-based line number.  Returns 0, or -errno if the file
 * cannot be read (reported on stderr). */
static int
for_each_line(const char *file,
              void (*cb)(const char *line, int lineno, void *aux), void *aux)
{
    FILE *stream = fopen(file, "r");
    char *line = NULL;
    size_t size = 0;
    int lineno = 0;

    if (!stream) {
        int error = errno;

        fprintf(stderr, "flowtier: %s: %s\n", file, strerror(error));
        return -error;
    }
    while (getline(&line, &size, stream) != -1) {
        char *s = line;
        size_t n;

        lineno++;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        n = strlen(s);
        while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'
                     || s[n - 1] == ' ' || s[n - 1] == '\t')) {
            s[--n] = '\0';
        }
        if (!*s || *s == '#') {
            continue;
        }
        cb(s, lineno, aux);
    }
    free(line);
    fclose(stream);
    return 0;
}

struct load_ctx {
    const char *file;
    const struct ft_port_map *ports;
    struct ft_oftables *tables;
    int n_errors;
};

static void
load_line(const char *line, int lineno, void *aux_)
{
    struct load_ctx *aux = aux_;
    struct ft_flow_spec spec;
    struct ft_error err;
    int error;

    ft_flow_spec_init(&spec);
    error = ft_flow_spec_parse(line, FT_FLOW_ADD, aux->ports, &spec, &err);
    if (!error) {
        error = ft_ofpacts_check_meters(&spec.actions, &err);
    }
    if (!error) {
        error = ft_oftables_apply(aux->tables, FT_FLOW_ADD, &spec, 0, &err);
        error = error < 0 ? error : 0;
    }
    if (error) {
        fprintf(stderr, "%s:%d: %s\n", aux->file, lineno, err.reason);
        aux->n_errors++;
    }
    ft_flow_spec_uninit(&spec);
}

static int
compare_xports(const void *a_, const void *b_)
{
    const struct ft_xport *a = a_, *b = b_;

    return a->port < b->port ? -1 : a->port > b->port;
}

/* Parses the tunnel part of a --port argument, ",type=vxlan" followed by
 * ",options:KEY=VALUE" items (the Interface columns as 'ovs-vsctl' spells
 * them), into '*cfg' for port 'name'.  'spec' is the text after NUMBER.
 * Returns 0, or -EINVAL after saying why on stderr. */
static int
parse_tunnel_spec(const char *name, const char *spec,
                  struct ft_tnl_config *cfg)
{
    struct ft_netdev_option opts[16];
    char *copy = strdup(spec), *save = NULL, *item;
    size_t n_opts = 0;
    bool vxlan = false;
    struct ft_error err;
    int error = 0;

    if (!copy) {
        abort();
    }
    for (item = strtok_r(copy, ",", &save); item && !error;
         item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');

        if (!strcmp(item, "type=vxlan")) {
            vxlan = true;
        } else if (!strncmp(item, "options:", 8) && eq && eq > item + 8
                   && n_opts < sizeof opts / sizeof *opts) {
            *eq = '\0';
            opts[n_opts].key = item + 8;
            opts[n_opts++].value = eq + 1;
        } else {
            fprintf(stderr, "flowtier trace: --port %s: '%s' is not "
                    "type=vxlan or options:KEY=VALUE (at most %zu)\n",
                    name, item, sizeof opts / sizeof *opts);
            error = -EINVAL;
        }
    }
    if (!error && !vxlan) {
        fprintf(stderr, "flowtier trace: --port %s: options need "
                "type=vxlan (the only port type with options)\n", name);
        error = -EINVAL;
    }
    if (!error && ft_tnl_config_parse(name, opts, n_opts, cfg, &err)) {
        fprintf(stderr, "flowtier trace: %s\n", err.reason);
        error = -EINVAL;
    }
    free(copy);
    return error;
}

/* Parses "NAME=NUMBER[,type=vxlan[,options:KEY=VALUE]...]" into 'xp',
 * 'map' and, for a VXLAN port, '*cfg' (which 'xp' then points to). */
static int
add_port_arg(const char *arg, struct ft_xport *xp, struct ft_port_map *map,
             struct ft_tnl_config *cfg)
{
    const char *eq = strchr(arg, '=');
    char *end, *name;
    unsigned long n;

    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "flowtier trace: --port %s: expected NAME=NUMBER\n",
                arg);
        return -EINVAL;
    }
    errno = 0;
    n = strtoul(eq + 1, &end, 10);
    if (errno || (*end && *end != ',') || !n || n > FT_PORT_MAX) {
        fprintf(stderr, "flowtier trace: --port %s: port number must be "
                "1..%u\n", arg, FT_PORT_MAX);
        return -EINVAL;
    }
    memset(xp, 0, sizeof *xp);
    xp->port = (ft_port_no) n;
    xp->vlan_mode = FT_VLAN_TRUNK;
    xp->tag = -1;
    xp->name = NULL;
    name = strndup(arg, (size_t) (eq - arg));
    if (!name) {
        abort();
    }
    if (*end && parse_tunnel_spec(name, end + 1, cfg)) {
        free(name);
        return -EINVAL;
    }
    xp->tnl = *end ? cfg : NULL;
    ft_port_map_add(map, name, xp->port);
    free(name);
    return 0;
}

static int
trace_usage(void)
{
    fprintf(stderr, "usage: flowtier trace --flows FILE "
            "[--port NAME=NUMBER[,type=vxlan,options:KEY=VALUE...]]... FLOW\n");
    return 2;
}

static int
run_trace(const char *flows_file, const char *flow_text,
          struct ft_xport *xports, size_t n_xports,
          const struct ft_port_map *map)
{
    struct ft_oftables tables;
    struct ft_xbridge br;
    struct ft_xlate_in in;
    struct ft_xlate_out out;
    struct ft_match match;
    struct ft_error err;
    struct ds trace = DS_EMPTY_INITIALIZER;
    struct load_ctx lc;
    int status = 1;

    ft_oftables_init(&tables);
    lc.file = flows_file;
    lc.ports = map;
    lc.tables = &tables;
    lc.n_errors = 0;
    if (for_each_line(flows_file, load_line, &lc) || lc.n_errors) {
        goto out_tables;
    }
    if (ft_match_parse(flow_text, map, &match, &err)) {
        fprintf(stderr, "flowtier trace: %s: %s\n", flow_text, err.reason);
        goto out_tables;
    }

    memset(&br, 0, sizeof br);
    br.name = BRIDGE_NAME;
    br.tables = &tables;
    br.ml = ft_mac_learning_create(FT_MAC_DEFAULT_MAX,
                                   FT_MAC_DEFAULT_IDLE_TIME);
    if (!br.ml) {
        fprintf(stderr, "flowtier trace: out of memory\n");
        goto out_tables;
    }
    br.ports = xports;
    br.n_ports = n_xports;

    memset(&in, 0, sizeof in);
    in.br = &br;
    in.flow = match.flow;
    for (int i = 0; i < 2; i++) {
        /* A packet's tags have a TPID; "dl_vlan=5" means 802.1Q. */
        if (in.flow.vlans[i].tci & FT_VLAN_CFI && !in.flow.vlans[i].tpid) {
            in.flow.vlans[i].tpid = FT_ETH_TYPE_VLAN;
        }
    }
    in.now = 0;
    in.may_learn = false;
    in.trace = &trace;

    ft_xlate_out_init(&out);
    ft_xlate(&in, &out, &err);
    fputs(ds_cstr(&trace), stdout);
    status = 0;

    ft_xlate_out_uninit(&out);
    ds_destroy(&trace);
    ft_mac_learning_destroy(br.ml);
out_tables:
    ft_oftables_destroy(&tables);
    return status;
}

/* Adds the bridge's own port to the '*n' ports of 'xports' (which has
 * room for it), sorts them by number and names them from 'map'.  Returns
 * 0, or -EINVAL after saying on stderr which number was given twice. */
static int
finish_ports(struct ft_xport *xports, size_t *n, const struct ft_port_map *map)
{
    xports[*n].port = FT_PORT_LOCAL;
    xports[*n].name = BRIDGE_NAME;
    xports[*n].vlan_mode = FT_VLAN_TRUNK;
    xports[*n].tag = -1;
    (*n)++;
    qsort(xports, *n, sizeof *xports, compare_xports);
    for (size_t i = 1; i < *n; i++) {
        if (xports[i].port == xports[i - 1].port) {
            fprintf(stderr, "flowtier trace: port number %"PRIu32" given "
                    "twice\n", xports[i].port);
            return -EINVAL;
        }
    }
    for (size_t i = 0; i < *n; i++) {
        if (!xports[i].name) {
            xports[i].name = ft_port_map_find_port(map, xports[i].port);
        }
    }
    return 0;
}

int
ft_cli_trace(int argc, char *argv[])
{
    const char *flows_file = NULL;
    const char *flow_text = NULL;
    struct ft_port_map map;
    struct ft_xport *xports;
    struct ft_tnl_config *tnls;
    size_t n_xports = 0;
    int status = 2;

    xports = calloc((size_t) argc + 1, sizeof *xports);
    tnls = calloc((size_t) argc + 1, sizeof *tnls);
    if (!xports || !tnls) {
        free(xports);
        free(tnls);
        return 1;
    }
    ft_port_map_init(&map);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (!strcmp(arg, "--flows") || !strcmp(arg, "--port")) {
            if (i + 1 >= argc) {
                status = trace_usage();
                goto out;
            }
            if (arg[2] == 'f') {
                flows_file = argv[++i];
            } else if (add_port_arg(argv[++i], &xports[n_xports],
                                    &map, &tnls[n_xports])) {
                goto out;
            } else {
                n_xports++;
            }
        } else if (!strncmp(arg, "--flows=", 8)) {
            flows_file = arg + 8;
        } else if (!strncmp(arg, "--port=", 7)) {
            if (add_port_arg(arg + 7, &xports[n_xports], &map,
                             &tnls[n_xports])) {
                goto out;
            }
            n_xports++;
        } else if (arg[0] == '-' && arg[1] == '-') {
            fprintf(stderr, "flowtier trace: unknown option %s\n", arg);
            goto out;
        } else if (!flow_text) {
            flow_text = arg;
        } else {
            status = trace_usage();
            goto out;
        }
    }
    if (!flows_file || !flow_text) {
        status = trace_usage();
        goto out;
    }

    if (finish_ports(xports, &n_xports, &map)) {
        status = 1;
        goto out;
    }
    status = run_trace(flows_file, flow_text, xports, n_xports, &map);

out:
    ft_port_map_destroy(&map);
    free(xports);
    free(tnls);
    return status;
}

struct parse_ctx {
    const char *file;
    const struct ft_port_map *ports;
    int n_errors;
};

static void
parse_line(const char *line, int lineno, void *aux_)
{
    struct parse_ctx *aux = aux_;
    struct ft_flow_spec spec;
    struct ft_error err;

    ft_flow_spec_init(&spec);
    if (ft_flow_spec_parse(line, FT_FLOW_ADD, aux->ports, &spec, &err)) {
        printf("%s:%d: %s\n", aux->file, lineno, err.reason);
        aux->n_errors++;
    } else {
        struct ds s = DS_EMPTY_INITIALIZER;

        ft_flow_spec_format(&spec, aux->ports, &s);
        printf("%s\n", ds_cstr(&s));
        ds_destroy(&s);
    }
    ft_flow_spec_uninit(&spec);
}

int
ft_cli_parse_flows(int argc, char *argv[])
{
    struct ft_port_map map;
    struct parse_ctx pc;
    const char *file = NULL;
    int status = 2;

    ft_port_map_init(&map);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        struct ft_xport xp;
        struct ft_tnl_config tnl;

        if (!strcmp(arg, "--port") && i + 1 < argc) {
            if (add_port_arg(argv[++i], &xp, &map, &tnl)) {
                goto out;
            }
        } else if (!strncmp(arg, "--port=", 7)) {
            if (add_port_arg(arg + 7, &xp, &map, &tnl)) {
                goto out;
            }
        } else if (arg[0] != '-' && !file) {
            file = arg;
        } else {
            file = NULL;
            break;
        }
    }
    if (!file) {
        fprintf(stderr, "usage: flowtier parse-flows [--port NAME=NUMBER]... "
                "FILE\n");
        goto out;
    }
    pc.file = file;
    pc.ports = &map;
    pc.n_errors = 0;
    status = for_each_line(file, parse_line, &pc) || pc.n_errors ? 1 : 0;
out:
    ft_port_map_destroy(&map);
    return status;
}
