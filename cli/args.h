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

#endif
