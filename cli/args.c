/* args - command-line pieces the subcommands share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"

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

int
args_config_start(struct args_config *ac, int n, char **argv)
{
	if ((ac->cargv = calloc((size_t)n + 2, sizeof(*ac->cargv))) == NULL)
		return -ENOMEM;
	ac->cargv[0] = argv[0];
	ac->cargc = 1;
	return 0;
}

int
args_config_finish(struct args_config *ac, const char *cmd, struct config *c)
{
	char err[512];
	int next = 0, rc;

	config_defaults(c);
	rc = config_args(c, ac->cargc, ac->cargv, &next, err, sizeof(err));
	args_config_free(ac);
	if (rc != 0) {
		fprintf(stderr, "gatewatch %s: %s\n", cmd, err);
		return -EINVAL;
	}
	return 0;
}

void
args_config_free(struct args_config *ac)
{
	free(ac->cargv);
	ac->cargv = NULL;
	ac->cargc = 0;
}
