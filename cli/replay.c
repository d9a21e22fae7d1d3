/* replay - `gatewatch replay --stage ingest|worker`: expand folders into
 * their image files (sorted by name) and exec that stage's own --replay
 * mode with them, so one stage can be checked with no daemon running. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "args.h"
#include "cmd.h"

static void
replay_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch replay --stage ingest|worker [-c FILE] [--dir DIR] [--set KEY=VALUE]...\n"
	    "                        [--stock] DIR_OR_FILE...\n"
	    "Runs gatewatch-<stage> --replay over the files (folders give their *.jpg,\n"
	    "*.jpeg, *.png, sorted by name) and prints one JSON line per file.\n"
	    "--stock runs darknet's own forward (--set nn.kernels=stock) instead of\n"
	    "gatewatch's kernels, to compare the two.\n");
}

static int
replay_is_image(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0 ||
	    strcasecmp(dot, ".png") == 0);
}

static int
replay_image_filter(const struct dirent *de)
{
	return de->d_name[0] != '.' && replay_is_image(de->d_name);
}

static int
replay_name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* The command line of the stage being run, growing. */
struct replay_argv {
	char **v;       /* owned array (not the strings), NULL-terminated */
	int n, cap;
};

/* replay_push - append one string. Returns 0 or -ENOMEM. */
static int
replay_push(struct replay_argv *a, char *s)
{
	if (a->n + 2 > a->cap) {
		int ncap = a->cap ? a->cap * 2 : 64;
		char **nv = realloc(a->v, (size_t)ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

enum { REPLAY_KEY_STAGE = ARGS_KEY_OWN, REPLAY_KEY_STOCK, REPLAY_KEY_DIR, REPLAY_KEY_SET };

/* The config flags are replay's own here: they go to the stage in order,
 * between the --stock ones. */
static const struct args_flag replay_flag_table[] = {
	{ "stage", 1, REPLAY_KEY_STAGE }, { "stock", 0, REPLAY_KEY_STOCK }, { "config", 1, 'c' },
	{ "dir", 1, REPLAY_KEY_DIR }, { "set", 1, REPLAY_KEY_SET },
	{ NULL, 0, 0 },
};

/* What the command line says: the stage's argv so far, the files. */
struct replay_opts {
	struct replay_argv *v;
	const char *stage;
	char **files;           /* owned array, argv strings */
	int nfiles, nomem;
};

/* replay_flag - args_parse's handler: --stage, the flags passed on to the
 * stage, and the files (operands). */
static int
replay_flag(void *ctx, int key, const char *arg)
{
	static char config[] = "--config", dir[] = "--dir", set[] = "--set", stock[] = "nn.kernels=stock";
	struct replay_opts *o = ctx;
	char *flag = key == 'c' ? config : key == REPLAY_KEY_DIR ? dir : set;

	switch (key) {
	case REPLAY_KEY_STAGE:
		o->stage = arg;
		return 0;
	case ARGS_OPERAND:
		if (arg[0] == '-') {
			fprintf(stderr, "gatewatch replay: unknown or incomplete argument %s\n", arg);
			replay_usage(stderr);
			return -1;
		}
		o->files[o->nfiles++] = (char *)arg;
		return 0;
	case REPLAY_KEY_STOCK:
		flag = set;
		arg = stock;
		break;
	}
	if (replay_push(o->v, flag) || replay_push(o->v, (char *)arg)) {
		o->nomem = 1;
		return -1;
	}
	return 0;
}

/* replay_flags - the command line into o: --stage, the flags passed on
 * to the stage, the files. Returns 0, 1 (out of memory) or 2 after a message. */
static int
replay_flags(int argc, char **argv, struct replay_opts *o)
{
	int rc = args_parse("replay", argc, argv, replay_flag_table, NULL, replay_flag, o, replay_usage, NULL);

	if (rc != -1)
		return o->nomem ? 1 : rc;
	if (o->stage == NULL || (strcmp(o->stage, "ingest") != 0 && strcmp(o->stage, "worker") != 0)) {
		fprintf(stderr, "gatewatch replay: --stage must be ingest or worker\n");
		replay_usage(stderr);
		return 2;
	}
	return 0;
}

/* replay_folder - the folder's image files, sorted by name. Returns how
 * many, or -1 after a message. */
static int
replay_folder(struct replay_argv *v, const char *dir)
{
	struct dirent **names;
	int k, m = scandir(dir, &names, replay_image_filter, replay_name_cmp);

	if (m < 0) {
		fprintf(stderr, "gatewatch replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (k = 0; k < m; k++) {
		size_t len = strlen(dir) + strlen(names[k]->d_name) + 2;
		char *p = malloc(len);

		if (p == NULL || replay_push(v, p) != 0)
			return -1; /* exits at once */
		snprintf(p, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[k]->d_name);
		free(names[k]);
	}
	free(names);
	return m;
}

/* replay_files - the files, in the order given, folders expanded.
 * Returns how many, or -1 after a message. */
static int
replay_files(const struct replay_opts *o, struct replay_argv *v)
{
	int i, m, nfiles = 0;

	for (i = 0; i < o->nfiles; i++) {
		const char *a = o->files[i];
		struct stat st;

		if (stat(a, &st) != 0) {
			fprintf(stderr, "gatewatch replay: %s: %s\n", a, strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if ((m = replay_folder(v, a)) < 0)
				return -1;
			nfiles += m;
		} else {
			if (replay_push(v, (char *)a))
				return -1;
			nfiles++;
		}
	}
	return nfiles;
}

int
cmd_replay(int argc, char **argv)
{
	struct replay_argv v = { NULL, 0, 0 };
	char bin[4096], name[64];
	struct replay_opts o = { &v, NULL, NULL, 0, 0 };
	int rc, nfiles;

	if (args_wants_help(argc, argv)) {
		replay_usage(stdout);
		return 0;
	}
	if (replay_push(&v, NULL) != 0 || (o.files = calloc((size_t)argc + 1, sizeof(*o.files))) == NULL)
		return 1;
	if ((rc = replay_flags(argc, argv, &o)) != 0)
		return rc;
	if (replay_push(&v, "--replay"))
		return 1;
	if ((nfiles = replay_files(&o, &v)) < 0)
		return 1;
	if (nfiles == 0) {
		fprintf(stderr, "gatewatch replay: no image files given (a folder gives its *.jpg, *.jpeg, *.png)\n");
		return 2;
	}
	snprintf(name, sizeof(name), "gatewatch-%s", o.stage);
	if (cmd_bin_path(name, bin, sizeof(bin)) != 0) {
		fprintf(stderr, "gatewatch replay: cannot find %s\n", name);
		return 1;
	}
	v.v[0] = name;
	execv(bin, v.v);
	fprintf(stderr, "gatewatch replay: cannot run %s: %s\n", bin, strerror(errno));
	return 1;
}
