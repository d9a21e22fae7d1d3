/* gatewatch - the developer's front door: start the daemons, push frames,
 * replay a stage, read stored track events. Each subcommand lives in its own file. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cmd.h"
#include "paths.h"
#include "util.h"
#include "version.h"

struct cmd {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "up", cmd_up, "start notifier, dispatcher and ingest under DIR and supervise them" },
	{ "push", cmd_push, "send image files to ingest as a camera and print the answers" },
	{ "replay", cmd_replay, "run one stage (ingest or worker) over image files, no daemons" },
	{ "eval", cmd_eval, "score the vision path on annotated photos (recall, precision, verdicts)" },
	{ "events", cmd_events, "print stored track events from DIR/gatewatch.db as JSON lines" },
	{ "user", cmd_user, "add, list, delete users and change their password or role" },
	{ "token", cmd_token, "add, list and revoke API (bearer) tokens" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
gatewatch_usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: gatewatch COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(out, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out, "  %-8s %s\n", "help", "this text; `gatewatch COMMAND --help` for one command");
	fprintf(out, "  %-8s %s\n", "version", "print the version (also --version)");
	fprintf(out, "\nEvery command that reads the configuration accepts -c FILE, --dir DIR\n"
	    "and --set KEY=VALUE (repeatable), applied in that order over the defaults.\n");
}

int
cmd_bin_path(const char *name, char *out, size_t outlen)
{
	int r = snprintf(out, outlen, "%s/%s", paths_libexec_dir, name);

	return r < 0 || (size_t)r >= outlen ? -1 : 0;
}

int
main(int argc, char **argv)
{
	size_t i;

	/* secrets and people's data are never world-readable (issue 11) */
	umask(027);
	if (argc < 2) {
		gatewatch_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		if (argc > 2)
			for (i = 0; i < NCMDS; i++)
				if (strcmp(argv[2], cmds[i].name) == 0) {
					char *hargv[] = { argv[2], "--help", NULL };

					return cmds[i].fn(2, hargv);
				}
		gatewatch_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("gatewatch %s\n", GW_VERSION);
		return 0;
	}
	for (i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gatewatch: unknown command \"%s\"\n\n", argv[1]);
	gatewatch_usage(stderr);
	return 2;
}
