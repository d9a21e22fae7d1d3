/* args - command-line pieces the subcommands share. */
#ifndef GW_CLI_ARGS_H
#define GW_CLI_ARGS_H

/* args_config_flag - if argv[*i] is a configuration flag (-c FILE,
 * --config FILE, --dir DIR, --set KEY=VALUE, or the --config=, --dir=,
 * --set= forms), append it (and its value) to cargv at *cargc, advance *i
 * past a separate value, and return 1. A flag whose value is missing
 * (last argument) is not consumed. Returns 0 for anything else. cargv must
 * have room for two more entries. */
int args_config_flag(int argc, char **argv, int *i, char **cargv, int *cargc);

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

#endif
