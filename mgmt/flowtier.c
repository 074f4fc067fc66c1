/*
 * flowtier.c - main() of the 'flowtier' command-line tool: a table of
 * subcommands named after the Open vSwitch tools' verbs, each with its
 * usage and help text.  Decides the exit status; the subcommands live in
 * their own files (trace-cmd.c, ...).
 */
#include <stdio.h>
#include <string.h>

#include "mgmt/flowtier-cli.h"

struct ft_command {
    const char *name;
    const char *usage;          /* Arguments, after the name. */
    const char *help;           /* One paragraph. */
    int (*run)(int argc, char *argv[]);
};

static const struct ft_command commands[] = {
    {
        .name = "trace",
        .usage = "--flows FILE [--port NAME=NUMBER]... FLOW",
        .help = "Load the OpenFlow flows of FILE (one per line, as "
                "'ovs-ofctl add-flows' reads\nthem) into an empty bridge "
                "whose ports are given with --port, and show how\nthe "
                "packet FLOW (e.g. 'in_port=1,icmp,nw_dst=10.0.0.2') goes "
                "through the\ntables, in the form of 'ovs-appctl "
                "ofproto/trace': the tables and\nactions visited, the "
                "final flow, the megaflow and the datapath actions.\n"
                "Fields of FLOW left out are zero.  No MAC address is "
                "learned.",
        .run = ft_cli_trace,
    },
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
    fprintf(stream, "usage: flowtier COMMAND [ARG]...\n"
            "       flowtier COMMAND --help\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(stream, "  %s %s\n", commands[i].name, commands[i].usage);
    }
}

static void
command_help(const struct ft_command *cmd)
{
    printf("usage: flowtier %s %s\n\n%s\n", cmd->name, cmd->usage,
           cmd->help);
}

int
main(int argc, char *argv[])
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
