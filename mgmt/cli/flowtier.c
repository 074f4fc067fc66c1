/*
 * flowtier.c - main() of the 'flowtier' command-line tool: a table of
 * subcommands named after the Open vSwitch tools' verbs, each with its
 * usage and help text.  Decides the exit status; the subcommands live in
 * their own files (trace-cmd.c for the offline ones, cli-daemon.c for
 * those flowtierd serves).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/cli/flowtier-cli.h"

struct ft_command {
    const char *name;
    const char *usage;          /* Arguments, after the name. */
    const char *help;           /* One paragraph. */
    int (*run)(int argc, char *argv[]);
};

#define DAEMON(NAME, USAGE, HELP) \
    { .name = NAME, .usage = USAGE, .help = HELP, .run = ft_cli_daemon }

static const struct ft_command commands[] = {
    /* Bridges and ports, as ovs-vsctl. */
    DAEMON("show", "",
           "Print the bridges, ports and interfaces of the configuration, "
           "as 'ovs-vsctl\nshow' does."),
    DAEMON("add-br", "[--may-exist] BRIDGE",
           "Create BRIDGE with its internal port of the same name and the "
           "flow\n'priority=0 actions=NORMAL' in table 0."),
    DAEMON("del-br", "[--if-exists] BRIDGE",
           "Delete BRIDGE with its ports and flows."),
    DAEMON("list-br", "", "Print the name of every bridge."),
    DAEMON("add-port", "[--may-exist] BRIDGE PORT [-- COMMAND...]",
           "Add PORT (a network device of that name, or with 'type=' a tap "
           "or internal\ndevice FlowTier creates) to BRIDGE.  Further "
           "configuration writes may follow\nafter '--' and are applied "
           "in the same transaction, e.g.\n  flowtier add-port br0 vnet0 "
           "-- set Interface vnet0 type=tap"),
    DAEMON("del-port", "[--if-exists] [BRIDGE] PORT",
           "Remove PORT from BRIDGE (or from whichever bridge has it)."),
    DAEMON("list-ports", "BRIDGE",
           "Print the ports of BRIDGE, except its local port."),
    DAEMON("set", "TABLE RECORD COLUMN[:KEY]=VALUE... [-- COMMAND...]",
           "Set columns of a Bridge, Port or Interface row, in ovs-vsctl "
           "syntax: 'set Port\nvnet0 tag=10', 'set Interface vnet0 "
           "options:k=v', 'set Bridge br0\nother_config:max-idle=5000'."),
    DAEMON("set-controller", "BRIDGE TARGET... [-- COMMAND...]",
           "Make BRIDGE connect to the OpenFlow controllers TARGET: "
           "tcp:IP[:PORT] or\nunix:PATH (reconnected with backoff), or "
           "listen for them with\nptcp:[PORT][:IP] (port 6653 by default)."),
    DAEMON("del-controller", "BRIDGE [-- COMMAND...]",
           "Remove every controller of BRIDGE."),
    DAEMON("get-controller", "BRIDGE",
           "Print BRIDGE's controller targets, one per line, and whether "
           "each is\nconnected."),
    DAEMON("get", "TABLE RECORD COLUMN[:KEY]...",
           "Print the value of each COLUMN (or map KEY) of RECORD."),
    DAEMON("list", "TABLE [RECORD]...",
           "Print every column of the RECORDs (all rows of TABLE when none "
           "is given)."),
    DAEMON("clear", "TABLE RECORD COLUMN... [-- COMMAND...]",
           "Empty each COLUMN (or reset it to its default)."),
    DAEMON("add", "TABLE RECORD COLUMN VALUE... [-- COMMAND...]",
           "Add VALUEs (or KEY=VALUE pairs) to a set, list or map column."),
    DAEMON("remove", "TABLE RECORD COLUMN VALUE... [-- COMMAND...]",
           "Remove VALUEs (or KEYs, or KEY=VALUE pairs) from a column."),

    /* Flows, as ovs-ofctl. */
    DAEMON("add-flow", "BRIDGE FLOW",
           "Add FLOW ('table=0,priority=100,icmp,in_port=vnet0 "
           "actions=drop') to BRIDGE,\nreplacing a rule with the same "
           "table, match and priority."),
    DAEMON("add-flows", "BRIDGE FILE",
           "Add the flows of FILE (one per line, '#' comments; '-' for "
           "stdin), all or\nnothing: a bad line changes nothing and is "
           "reported as FILE:LINE."),
    DAEMON("mod-flows", "[--strict] BRIDGE FLOW",
           "Give the rules FLOW matches (exactly, with --strict) FLOW's "
           "actions; counters\nare kept."),
    DAEMON("del-flows", "[--strict] BRIDGE [FLOW]",
           "Delete the rules FLOW matches (exactly, with --strict), or "
           "every rule."),
    DAEMON("replace-flows", "BRIDGE FILE",
           "Make BRIDGE's flow table exactly the flows of FILE: add what is "
           "missing,\ndelete what is not in FILE; unchanged rules keep "
           "their counters."),
    DAEMON("dump-flows", "[--tiers] BRIDGE [FLOW]",
           "Print BRIDGE's rules (those FLOW matches, if given) with their "
           "counters, as\n'ovs-ofctl dump-flows' does.  A rule's counters "
           "are what every tier counted\nfor it; with --tiers each is "
           "followed by the split, e.g.\n'n_packets=5 (hw=4,kernel=0,"
           "user=1)'."),
    {
        .name = "trace",
        .usage = "BRIDGE FLOW | --flows FILE [--port NAME=NUMBER[,type=vxlan,options:K=V...]]... FLOW",
        .help = "Show how the packet FLOW (e.g. 'in_port=vnet0,icmp,"
                "nw_dst=10.0.0.2') goes\nthrough BRIDGE's tables, as "
                "'ovs-appctl ofproto/trace' does: tables and actions\n"
                "visited, final flow, megaflow, datapath actions.  Nothing "
                "is learned.\n\nWith --flows, no daemon is needed: the "
                "flows of FILE (one per line, as\n'ovs-ofctl add-flows' "
                "reads them) are loaded into a throwaway bridge whose\n"
                "ports are given with --port; NAME=NUMBER,type=vxlan,"
                "options:remote_ip=IP|flow,\noptions:key=VNI|flow (and the "
                "other VXLAN options) is a tunnel port.\nFields of FLOW "
                "left out are zero.",
        .run = ft_cli_trace_any,
    },
    DAEMON("dump-dp-flows", "[--explain] BRIDGE [type=KIND]",
           "Print the megaflows of BRIDGE's datapath: match, packets, "
           "bytes, last use,\nwhether it is offloaded (in hardware) and "
           "what runs it (dp:tc, rte_flow,\nkmod or user), the tier "
           "holding it, why it is not in a faster tier, and its\nactions.  "
           "KIND selects some, in dpctl's words: offloaded, non-offloaded, "
           "tc,\nrte_flow, kernel, user or all.  --explain adds under each "
           "megaflow, for each\noffload provider, the rule it installs (or "
           "would) as a person would type it\n('tc filter add ...', "
           "testpmd's 'flow create ...'), or why it has none."),
    DAEMON("offload", "show [BRIDGE]",
           "Print the ports of each bridge (or of BRIDGE) grouped by the "
           "NIC e-switch\nthey are on, with each offload provider's answer "
           "for the port: what it can\nmatch and do and the rules it "
           "holds, or why it does not serve the port; the\nmegaflows of "
           "the port in each tier; the RDMA device behind the port."),
    DAEMON("dpif-show", "BRIDGE",
           "Print BRIDGE's datapath counters, as 'ovs-appctl dpif/show': "
           "lookups hit,\nmissed and lost, megaflows held against "
           "flow-limit and installs refused at\nthe limit, translation "
           "errors, and what the revalidator did."),
    DAEMON("dump-ports", "BRIDGE [PORT]",
           "Print the counters of BRIDGE's ports (or of PORT), as "
           "'ovs-ofctl dump-ports'."),

    /* No daemon needed. */
    {
        .name = "parse-flows",
        .usage = "[--port NAME=NUMBER]... FILE",
        .help = "Parse each flow of FILE as 'ovs-ofctl add-flows' does and "
                "print it in\ncanonical form, or 'FILE:LINE: reason' for "
                "each line that does not parse.  --port names ports so that\n"
                "flows may say in_port=NAME and output:NAME.\nExits with status 1 if "
                "any line is bad.",
        .run = ft_cli_parse_flows,
    },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *stream)
{
    fprintf(stream, "usage: flowtier [OPTION]... COMMAND [ARG]...\n"
            "       flowtier COMMAND --help\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(stream, "  %s %s\n", commands[i].name, commands[i].usage);
    }
    fprintf(stream, "\nOptions of the commands served by flowtierd:\n"
            "  --rundir=DIR     where flowtierd.sock is (default "
            "$FLOWTIER_RUNDIR or /run/flowtier)\n"
            "  --dbdir=DIR      the database, read directly by show, "
            "list-br, list-ports,\n"
            "                   get and list when flowtierd is not running "
            "(default\n"
            "                   $FLOWTIER_DBDIR or /var/lib/flowtier)\n"
            "  --format=json    print results as JSON\n"
            "  --timeout=SECS   wait at most SECS for the daemon "
            "(default 60)\n"
            "\nExit status: 0 success, 1 failure (reason on stderr), "
            "2 usage error,\n3 a change reached the daemon but no reply "
            "came (timeout, daemon died):\nwhether it was made is "
            "unknown.\n");
}

/* True for the options every daemon command takes, which may also come
 * before the command's name; '*takes_value' tells whether the next word
 * is the value. */
static bool
is_global_option(const char *arg, bool *takes_value)
{
    static const char *const opts[] = {
        "--rundir", "--dbdir", "--format", "--timeout", NULL,
    };
    static const char *const flags[] = {
        "--may-exist", "--if-exists", "--strict", "--tiers", "--explain",
        NULL,
    };

    for (size_t i = 0; flags[i]; i++) {
        if (!strcmp(arg, flags[i])) {
            *takes_value = false;
            return true;
        }
    }
    for (size_t i = 0; opts[i]; i++) {
        size_t len = strlen(opts[i]);

        if (!strncmp(arg, opts[i], len) && (!arg[len] || arg[len] == '=')) {
            *takes_value = !arg[len];
            return true;
        }
    }
    return false;
}

static int run_command(int argc, char *argv[]);

static void
command_help(const struct ft_command *cmd)
{
    printf("usage: flowtier %s %s\n\n%s\n", cmd->name, cmd->usage,
           cmd->help);
}

int
main(int argc, char *argv[])
{
    char **args;
    int first = 1, status;
    bool takes_value;

    /* Options before the command move after its name. */
    while (first < argc && is_global_option(argv[first], &takes_value)) {
        first += takes_value ? 2 : 1;
    }
    if (first > argc) {
        fprintf(stderr, "flowtier: option %s needs a value\n", argv[argc - 1]);
        return 2;
    }
    if (first > 1 && first < argc) {
        args = calloc((size_t) argc + 1, sizeof *args);
        if (!args) {
            return 1;
        }
        args[0] = argv[0];
        args[1] = argv[first];
        memcpy(args + 2, argv + 1, (size_t) (first - 1) * sizeof *args);
        memcpy(args + first + 1, argv + first + 1,
               (size_t) (argc - first - 1) * sizeof *args);
        status = run_command(argc, args);
        free(args);
        return status;
    }
    return run_command(argc, argv);
}

static int
run_command(int argc, char *argv[])
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")
        || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct ft_command *cmd = &commands[i];

        if (strcmp(argv[1], cmd->name)) {
            continue;
        }
        for (int j = 2; j < argc; j++) {
            if (!strcmp(argv[j], "--help") || !strcmp(argv[j], "-h")) {
                command_help(cmd);
                return 0;
            }
        }
        return cmd->run(argc - 1, argv + 1);
    }
    fprintf(stderr, "flowtier: unknown command '%s' (use --help)\n",
            argv[1]);
    return 2;
}
