/* args - command-line pieces the subcommands share: one getopt_long reader
 * (args_parse) and the config flags collected for config_args. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "config.h"

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

#define ARGS_MAX_FLAGS 32
enum { ARGS_KEY_CONFIG = 'c', ARGS_KEY_DIR = 0xf0, ARGS_KEY_SET, ARGS_KEY_HELP = 'h' };

/* args_table - the getopt_long table and short-option string for flags
 * (plus help and, with_config, the config flags). Returns 0 or -E2BIG. */
static int
args_table(const struct args_flag *flags, int with_config, int in_order, struct option *lo,
    char *so, size_t solen)
{
	size_t n = 0, s = 0;

	so[s++] = in_order ? '-' : '+';    /* operands in order, or stop at the first */
	so[s++] = ':';                     /* a missing value returns ':' */
	so[s++] = 'h';
	lo[n++] = (struct option){ "help", no_argument, NULL, ARGS_KEY_HELP };
	if (with_config) {
		so[s++] = 'c';
		so[s++] = ':';
		lo[n++] = (struct option){ "config", required_argument, NULL, ARGS_KEY_CONFIG };
		lo[n++] = (struct option){ "dir", required_argument, NULL, ARGS_KEY_DIR };
		lo[n++] = (struct option){ "set", required_argument, NULL, ARGS_KEY_SET };
	}
	for (; flags && flags->name; flags++) {
		if (n + 1 >= ARGS_MAX_FLAGS || s + 3 >= solen)
			return -E2BIG;
		lo[n++] = (struct option){ flags->name, flags->has_arg ? required_argument : no_argument,
		    NULL, flags->key };
		if (flags->key < ARGS_KEY_OWN) {
			so[s++] = (char)flags->key;
			if (flags->has_arg)
				so[s++] = ':';
		}
	}
	lo[n] = (struct option){ NULL, 0, NULL, 0 };
	so[s] = '\0';
	return 0;
}

/* args_config_add - a config flag into ac, as config_args reads it. */
static void
args_config_add(struct args_config *ac, int key, char *arg)
{
	static char config[] = "--config", dir[] = "--dir", set[] = "--set";

	ac->cargv[ac->cargc++] = key == ARGS_KEY_CONFIG ? config : key == ARGS_KEY_DIR ? dir : set;
	ac->cargv[ac->cargc++] = arg;
}

int
args_parse(const char *cmd, int argc, char **argv, const struct args_flag *flags,
    struct args_config *ac, args_flag_fn fn, void *ctx, void (*usage)(FILE *), int *first)
{
	struct option lo[ARGS_MAX_FLAGS];
	char so[2 * ARGS_MAX_FLAGS + 8];
	int key;

	if (args_table(flags, ac != NULL, first == NULL, lo, so, sizeof(so)) != 0) {
		fprintf(stderr, "gatewatch %s: too many flags\n", cmd);
		return 2;
	}
	optind = 0;                        /* a fresh scan (glibc) */
	opterr = 0;
	while ((key = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (key == ARGS_KEY_HELP) {
			usage(stdout);
			return 0;
		}
		if (key == '?' || key == ':') {
			const char *a = argv[optind - 1];

			if (key == '?')
				fprintf(stderr, "gatewatch %s: unknown option %s\n", cmd, a);
			else
				fprintf(stderr, "gatewatch %s: %s needs a value\n", cmd, a);
			usage(stderr);
			return 2;
		}
		if (ac && (key == ARGS_KEY_CONFIG || key == ARGS_KEY_DIR || key == ARGS_KEY_SET))
			args_config_add(ac, key, optarg);
		else if (fn(ctx, key, optarg) != 0)
			return 2;
	}
	if (first) {
		*first = optind;
		return -1;
	}
	for (; optind < argc; optind++)    /* after "--" */
		if (fn(ctx, ARGS_OPERAND, argv[optind]) != 0)
			return 2;
	return -1;
}

int
args_parse_flags(const char *cmd, int argc, char **argv, const struct args_flag *flags,
    struct args_config *ac, args_flag_fn fn, void *ctx, void (*usage)(FILE *))
{
	int first, rc = args_parse(cmd, argc, argv, flags, ac, fn, ctx, usage, &first);

	if (rc == -1 && first < argc) {
		fprintf(stderr, "gatewatch %s: unknown or incomplete argument %s\n", cmd, argv[first]);
		usage(stderr);
		rc = 2;
	}
	if (rc != -1)
		args_config_free(ac);
	return rc;
}
