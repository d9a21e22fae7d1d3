/* daemon - the command line every gatewatch daemon reads: one getopt_long
 * table of the config flags, the program's own flags, --help and --version,
 * the config checked before anything is created, then logging. The
 * skeleton ends the process for --help, --version and bad flags, as
 * fatal() does: nothing has happened yet that needs undoing. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "util.h"

#define DAEMON_FLAGS_MAX 32

enum { DAEMON_KEY_HELP = 'h', DAEMON_KEY_CONFIG = 'c', DAEMON_KEY_VERSION = 0x100,
	DAEMON_KEY_DIR, DAEMON_KEY_SET };

/* The flags every program takes, in --help order. */
static const struct daemon_flag daemon_common[] = {
	{ "config", 1, DAEMON_KEY_CONFIG, "FILE", "read this configuration file (flags apply in order)", NULL },
	{ "dir", 1, DAEMON_KEY_DIR, "DIR", "state directory (the same as --set dir=DIR)", NULL },
	{ "set", 1, DAEMON_KEY_SET, "KEY=VALUE", "set one configuration key (repeatable; docs/CONFIG.md)", NULL },
	{ "help", 0, DAEMON_KEY_HELP, NULL, "print this help and exit", NULL },
	{ "version", 0, DAEMON_KEY_VERSION, NULL, "print the version and exit", NULL },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

/* daemon_flag_line - one flag of --help. */
static void
daemon_flag_line(FILE *out, const struct daemon_flag *f)
{
	char left[64];
	int shortc = f->key == DAEMON_KEY_CONFIG || f->key == DAEMON_KEY_HELP;

	snprintf(left, sizeof(left), "%s--%s%s%s", shortc ? "" : "    ", f->name, f->arg ? " " : "",
	    f->arg ? f->arg : "");
	if (shortc)
		fprintf(out, "  -%c, %-24s %s\n", f->key, left, f->help);
	else
		fprintf(out, "  %-28s %s\n", left, f->help);
}

/* daemon_usage - the --help text. */
static void
daemon_usage(const struct daemon_spec *spec, FILE *out)
{
	const char *s = spec->synopsis ? spec->synopsis : "[OPTIONS]";
	const struct daemon_flag *f;
	const char *nl;
	int first = 1;

	/* one "usage:" line per synopsis line */
	do {
		nl = strchr(s, '\n');
		fprintf(out, "%s gatewatch-%s %.*s\n", first ? "usage:" : "      ", spec->name,
		    nl ? (int)(nl - s) : (int)strlen(s), s);
		first = 0;
		s = nl ? nl + 1 : NULL;
	} while (s && *s);
	if (spec->about)
		fprintf(out, "\n%s\n", spec->about);
	fprintf(out, "\noptions:\n");
	for (f = spec->flags; f && f->name; f++)
		daemon_flag_line(out, f);
	for (f = daemon_common; f->name; f++)
		daemon_flag_line(out, f);
}

void
daemon_usage_error(const struct daemon_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "gatewatch-%s: ", spec->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(gatewatch-%s --help lists the options)\n", spec->name);
	exit(2);
}

/* daemon_table - the getopt_long table: the common flags, then the program's. */
static void
daemon_table(const struct daemon_spec *spec, struct option *opts)
{
	const struct daemon_flag *f;
	int n = 0;

	for (f = daemon_common; f->name; f++)
		opts[n++] = (struct option){ f->name, f->has_arg ? required_argument : no_argument, NULL, f->key };
	for (f = spec->flags; f && f->name && n < DAEMON_FLAGS_MAX - 1; f++)
		opts[n++] = (struct option){ f->name, f->has_arg ? required_argument : no_argument, f->on,
		    f->on ? 1 : f->key };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
}

/* daemon_config_flag - apply a config flag and keep it for child programs. */
static int
daemon_config_flag(struct config *cfg, int key, const char *arg, struct daemon_args *a, char *err,
    size_t errlen)
{
	static const char *const names[] = { "config", "dir", "set" };
	const char *name = names[key == DAEMON_KEY_CONFIG ? 0 : key == DAEMON_KEY_DIR ? 1 : 2];
	int rc;

	if ((rc = config_flag(cfg, name, arg, err, errlen)) < 0)
		return rc;
	if (name == names[0])
		a->cfg_argv[a->cfg_argc++] = "--config";
	else
		a->cfg_argv[a->cfg_argc++] = name == names[1] ? "--dir" : "--set";
	a->cfg_argv[a->cfg_argc++] = (char *)arg;
	return 0;
}

/* daemon_parse - the getopt_long loop. Returns 0, 1 after --help or
 * --version (printed), or a negative errno with err set. */
static int
daemon_parse(const struct daemon_spec *spec, struct config *cfg, int argc, char **argv,
    struct daemon_args *a, char *err, size_t errlen)
{
	struct option opts[DAEMON_FLAGS_MAX];
	int key, rc;

	daemon_table(spec, opts);
	opterr = 0;
	optind = 1;
	while ((key = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (key) {
		case DAEMON_KEY_HELP:
			daemon_usage(spec, stdout);
			return 1;
		case DAEMON_KEY_VERSION:
			printf("gatewatch-%s %s\n", spec->name, GW_VERSION);
			return 1;
		case DAEMON_KEY_CONFIG: case DAEMON_KEY_DIR: case DAEMON_KEY_SET:
			rc = daemon_config_flag(cfg, key, optarg, a, err, errlen);
			break;
		case 0: /* a switch with `on`: getopt_long set it */
			rc = 0;
			break;
		case ':':
			util_errf(err, errlen, "%s needs a value", argv[optind - 1]);
			return -EINVAL;
		case '?':
			util_errf(err, errlen, "unknown option %s", argv[optind - 1]);
			return -EINVAL;
		default:
			rc = spec->flag ? spec->flag(key, optarg, err, errlen) : -EINVAL;
			break;
		}
		if (rc < 0)
			return rc;
	}
	a->operands = argv + optind;
	a->noperands = argc - optind;
	if (a->noperands > 0 && !spec->operands) {
		util_errf(err, errlen, "unexpected argument \"%s\"", argv[optind]);
		return -EINVAL;
	}
	return config_finish(cfg, err, errlen);
}

void
daemon_args(const struct daemon_spec *spec, struct config *cfg, int argc, char **argv,
    struct daemon_args *out)
{
	struct daemon_args a;
	char err[1024];
	int rc, level;

	umask(027);
	memset(&a, 0, sizeof(a));
	if ((a.cfg_argv = calloc((size_t)argc * 2 + 1, sizeof(*a.cfg_argv))) == NULL) {
		fprintf(stderr, "gatewatch-%s: out of memory\n", spec->name);
		exit(2);
	}
	config_defaults(cfg);
	err[0] = '\0';
	if ((rc = daemon_parse(spec, cfg, argc, argv, &a, err, sizeof(err))) != 0) {
		daemon_args_free(&a);
		if (rc > 0)
			exit(0);
		daemon_usage_error(spec, "%s", err);
	}
	level = log_level_parse(cfg->log_level);
	log_init(spec->name, level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
	signal(SIGPIPE, SIG_IGN);
	if (out)
		*out = a;
	else
		daemon_args_free(&a);
}

void
daemon_args_free(struct daemon_args *a)
{
	free(a->cfg_argv);
	a->cfg_argv = NULL;
	a->cfg_argc = 0;
}

int
daemon_pool_try(uv_loop_t *loop, uv_work_t *w, void *data, uv_work_cb work, uv_after_work_cb after)
{
	w->data = data;
	return uv_queue_work(loop, w, work, after);
}

void
daemon_pool_run(uv_loop_t *loop, uv_work_t *w, void *data, uv_work_cb work, uv_after_work_cb after)
{
	int rc;

	if ((rc = daemon_pool_try(loop, w, data, work, after)) != 0)
		panic("uv_queue_work: %s", uv_strerror(rc));
}

void
daemon_ready(const char *fmt, ...)
{
	char status[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(status, sizeof(status), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}
