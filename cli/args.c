/* args - command-line pieces the subcommands share. */
#include <string.h>

#include "args.h"

int
args_config_flag(int argc, char **argv, int *i, char **cargv, int *cargc)
{
	const char *a = argv[*i];

	if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 ||
	    strcmp(a, "--dir") == 0 || strcmp(a, "--set") == 0) && *i + 1 < argc) {
		cargv[(*cargc)++] = argv[(*i)++];
		cargv[(*cargc)++] = argv[*i];
		return 1;
	}
	if (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--dir=", 6) == 0 ||
	    strncmp(a, "--set=", 6) == 0) {
		cargv[(*cargc)++] = argv[*i];
		return 1;
	}
	return 0;
}

int
args_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}
