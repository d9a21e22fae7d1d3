/* args - command-line pieces the subcommands share: one getopt_long reader
 * (args_parse), and the config flags it collects for config_args. */
#ifndef GW_CLI_ARGS_H
#define GW_CLI_ARGS_H

#include <stdio.h>

/* args_wants_help - 1 if -h or --help is anywhere before "--": the command
 * then prints its usage on stdout and exits 0, whatever else was given. */
int args_wants_help(int argc, char **argv);

/* The config flags a command collects from its arguments, to apply at
 * once over the defaults (config_args) when the command's own are read. */
struct config;
struct args_config {
	char **cargv;   /* owned: argv[0], then the config flags */
	int cargc;
};

/* args_config_start - room for n entries; cargv[0] = argv[0]. Returns 0 or
 * -ENOMEM. */
int args_config_start(struct args_config *ac, int n, char **argv);

/* args_config_finish - config_defaults then the collected flags into c,
 * and ac freed. Returns 0, or -EINVAL after "gatewatch CMD: message" on
 * stderr (the command exits 2). */
int args_config_finish(struct args_config *ac, const char *cmd, struct config *c);

/* args_config_free - free ac (on the way out before finish). */
void args_config_free(struct args_config *ac);

/* One flag of a subcommand, for args_parse. key is what the handler
 * receives: the short letter if the flag has one ('f' for -f), else a value
 * >= ARGS_KEY_OWN. */
#define ARGS_KEY_OWN 0x100
#define ARGS_OPERAND 1      /* the handler's key for an operand (first NULL) */
struct args_flag {
	const char *name;   /* long name without "--" */
	int has_arg;        /* 0: a switch, 1: takes a value */
	int key;
};

/* args_flag_fn - one of the command's flags, in command-line order (arg
 * NULL for a switch). Returns 0, or -1 after saying why on stderr (the
 * command exits 2). */
typedef int (*args_flag_fn)(void *ctx, int key, const char *arg);

/* args_parse - read argv (argv[0] the subcommand) with getopt_long over the
 * command's flags (NULL-name ended; may be NULL), -h/--help, and, when ac is
 * not NULL, the config flags (-c/--config FILE, --dir DIR, --set KEY=VALUE,
 * also as --flag=VALUE), collected into ac in order. With first, reading
 * stops at the first argument that is not a flag, or after "--", and *first
 * is its index; with first NULL, operands may come between the flags and are
 * handed to the handler in order as ARGS_OPERAND, those after "--" too.
 * Returns -1 to go on, 0 after -h/--help (usage(stdout)), or 2 on a usage
 * error: "gatewatch CMD: unknown option X" or "X needs a value" then
 * usage(stderr), or the handler's -1. */
int args_parse(const char *cmd, int argc, char **argv, const struct args_flag *flags,
    struct args_config *ac, args_flag_fn fn, void *ctx, void (*usage)(FILE *), int *first);

/* args_parse_flags - args_parse for a command that takes no operands: one
 * is "gatewatch CMD: unknown or incomplete argument X" and usage(stderr).
 * Returns -1 to go on, or the exit status with ac freed. */
int args_parse_flags(const char *cmd, int argc, char **argv, const struct args_flag *flags,
    struct args_config *ac, args_flag_fn fn, void *ctx, void (*usage)(FILE *));

#endif
