/*
 * flowtier-cli.h - subcommands of the 'flowtier' command-line tool.
 *
 * Each subcommand takes the arguments after its name ('argv[0]' is the
 * subcommand's name) and returns the process exit status (0 success, 1
 * failure, 2 usage error, FT_CLI_EXIT_UNKNOWN when a change was sent but
 * its reply lost, so that it may or may not have been made).
 * Subcommands print results on stdout and errors on stderr, and never
 * call exit(): main() decides.
 */
#ifndef FLOWTIER_MGMT_FLOWTIER_CLI_H
#define FLOWTIER_MGMT_FLOWTIER_CLI_H 1

#define FT_CLI_EXIT_UNKNOWN 3

/* flowtier trace --flows FILE [--port NAME=NUMBER]... FLOW */
int ft_cli_trace(int argc, char *argv[]);

/* flowtier parse-flows FILE */
int ft_cli_parse_flows(int argc, char *argv[]);

/* Every command served by flowtierd (cli-daemon.c): 'argv[0]' names it
 * (add-br, show, add-flow, dump-flows, ...).  Options: --rundir,
 * --dbdir, --format json, --timeout SECS, and per command --strict,
 * --may-exist, --if-exists; configuration writes chain with "--". */
int ft_cli_daemon(int argc, char *argv[]);

/* flowtier add-flows BRIDGE FILE, streamed to the daemon under 'rundir'
 * in chunks and committed as one transaction (add-flows-cmd.c); each
 * call waits at most 'timeout_ms' for its reply. */
int ft_cli_add_flows(const char *rundir, int timeout_ms, const char *bridge,
                     const char *file);

/* flowtier trace: offline with --flows FILE (ft_cli_trace()), else
 * against the running bridge ('trace BRIDGE FLOW'). */
int ft_cli_trace_any(int argc, char *argv[]);

#endif /* mgmt/cli/flowtier-cli.h */
