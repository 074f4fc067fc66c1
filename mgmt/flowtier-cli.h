/*
 * flowtier-cli.h - subcommands of the 'flowtier' command-line tool.
 *
 * Each subcommand takes the arguments after its name ('argv[0]' is the
 * subcommand's name) and returns the process exit status (0 success, 1
 * failure, 2 usage error).  Subcommands print results on stdout and
 * errors on stderr, and never call exit(): main() decides.
 */
#ifndef FLOWTIER_MGMT_FLOWTIER_CLI_H
#define FLOWTIER_MGMT_FLOWTIER_CLI_H 1

/* flowtier trace --flows FILE [--port NAME=NUMBER]... FLOW */
int ft_cli_trace(int argc, char *argv[]);

/* flowtier parse-flows FILE */
int ft_cli_parse_flows(int argc, char *argv[]);

#endif /* mgmt/flowtier-cli.h */
