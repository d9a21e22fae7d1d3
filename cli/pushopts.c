/* pushopts - parse `gatewatch push`'s flags through args_parse (getopt_long):
 * a table of the numeric ones with their ranges, the rest by name; the URL
 * checked and split. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "args.h"
#include "pushopts.h"
#include "utf8.h"
#include "util.h"

static void
pushopts_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch push --url ws://HOST:PORT/ --camera ID --token T\n"
	    "           [--fps N] [--max-inflight N] [--timeout-ms N] [--linger-ms N]\n"
	    "           [--cacert FILE | --insecure]\n"
	    "           [--temperature C | --temperature-from PATH [--temperature-max-age-ms N]]\n"
	    "           FILE... | --stdin [--all-frames]\n"
	    "  --stdin          concatenated JPEGs (ffmpeg -f image2pipe -c:v mjpeg -); from a pipe only\n"
	    "                   the newest frame is sent while --max-inflight (default 2) are unanswered,\n"
	    "                   the others are dropped and counted; a regular file or --all-frames sends all\n"
	    "  --temperature-from PATH  a sensor's latest reading in degrees C, read for every frame:\n"
	    "                   a file it rewrites, or a FIFO it writes one reading per line into\n"
	    "                   (\"null\" = no reading); readings older than --temperature-max-age-ms\n"
	    "                   (default 10000, 0 = no limit) are not sent\n"
	    "  --cacert FILE    trust the server certificate (or its CA) in FILE, a PEM, for wss://\n"
	    "  --insecure       accept any wss:// certificate (self-signed, other name, expired)\n"
	    "  --linger-ms N    after the last answer, go on printing messages for N ms: a person's\n"
	    "                   verdict comes a few frames after they appear (default 0)\n"
	    "stdout: every server message as a JSON line (answer, person, prompt, verdict, error),\n"
	    "then {\"type\":\"end\",...}; messages for people on stderr.\n");
}

static int
pushopts_number(const char *flag, const char *v, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(*out) || *out < lo || *out > hi) {
		fprintf(stderr, "gatewatch push: %s: expected a number from %g to %g, got \"%s\"\n", flag, lo, hi, v);
		return -1;
	}
	return 0;
}

/* pushopts_value - the flag a that takes value v. Returns 0, or -1 (said). */
static int
pushopts_value(struct pushopts *o, const char *a, const char *v)
{
	const struct { const char *flag; double lo, hi; double *to; } nums[] = {
		{ "--fps", 0, 1000, &o->fps },
		{ "--temperature", -50, 100, &o->temperature },
		{ "--temperature-max-age-ms", 0, 86400000, &o->max_age_ms },
	};
	const struct { const char *flag; double lo, hi; } whole[] = {
		{ "--max-inflight", 1, 1024 }, { "--timeout-ms", 0, 86400000 }, { "--linger-ms", 0, 86400000 },
	};
	const char **strs[] = { &o->url, &o->camera, &o->token, &o->sensor_path, &o->cacert };
	const char *names[] = { "--url", "--camera", "--token", "--temperature-from", "--cacert" };
	size_t i;
	double d;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strcmp(a, names[i]) == 0) {
			*strs[i] = v;
			return 0;
		}
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strcmp(a, nums[i].flag) == 0) {
			o->has_temp |= strcmp(a, "--temperature") == 0;
			return pushopts_number(a, v, nums[i].lo, nums[i].hi, nums[i].to);
		}
	for (i = 0; i < sizeof(whole) / sizeof(whole[0]); i++)
		if (strcmp(a, whole[i].flag) == 0) {
			if (pushopts_number(a, v, whole[i].lo, whole[i].hi, &d) != 0)
				return -1;
			if (i == 0)
				o->max_inflight = (int)d;
			else
				*(i == 1 ? &o->timeout_ms : &o->linger_ms) = (long)d;
			return 0;
		}
	return -1;                         /* not one of the table's */
}

/* pushopts_check - what the flags say together, and the URL split.
 * Returns -1 (all good) or 2 (said). */
static int
pushopts_check(struct pushopts *o)
{
	const char *path;

	if (o->url == NULL || o->camera == NULL || o->token == NULL) {
		fprintf(stderr, "gatewatch push: --url, --camera and --token are required\n");
		pushopts_usage(stderr);
		return 2;
	}
	if (!utf8_valid(o->camera, strlen(o->camera)) || !utf8_valid(o->token, strlen(o->token))) {
		fprintf(stderr, "gatewatch push: --camera and --token must be UTF-8 text\n");
		return 2;
	}
	if ((o->nfiles > 0) == o->use_stdin) {
		fprintf(stderr, "gatewatch push: give image files or --stdin (one of them)\n");
		pushopts_usage(stderr);
		return 2;
	}
	if (o->has_temp && o->sensor_path) {
		fprintf(stderr, "gatewatch push: --temperature and --temperature-from exclude each other\n");
		return 2;
	}
	util_strlcpy(o->urlbuf, o->url, sizeof(o->urlbuf));
	if (lws_parse_uri(o->urlbuf, &o->scheme, &o->host, &o->port, &path) != 0 ||
	    (strcmp(o->scheme, "ws") != 0 && strcmp(o->scheme, "wss") != 0) || o->host[0] == '\0') {
		fprintf(stderr, "gatewatch push: --url %s: expected ws://HOST:PORT/PATH or wss://...\n", o->url);
		return 2;
	}
	snprintf(o->path, sizeof(o->path), "/%s", path);
	if (o->cacert && (strcmp(o->scheme, "wss") != 0 || o->insecure)) {
		fprintf(stderr, "gatewatch push: --cacert is for a wss:// URL, without --insecure\n");
		return 2;
	}
	if (o->cacert && access(o->cacert, R_OK) != 0) {
		fprintf(stderr, "gatewatch push: --cacert %s: %s\n", o->cacert, strerror(errno));
		return 2;
	}
	return -1;
}

static const struct args_flag pushopts_flags[] = {
	{ "stdin", 0, ARGS_KEY_OWN }, { "all-frames", 0, ARGS_KEY_OWN + 1 },
	{ "insecure", 0, ARGS_KEY_OWN + 2 },
	{ "url", 1, ARGS_KEY_OWN + 3 }, { "camera", 1, ARGS_KEY_OWN + 4 },
	{ "token", 1, ARGS_KEY_OWN + 5 }, { "temperature-from", 1, ARGS_KEY_OWN + 6 },
	{ "fps", 1, ARGS_KEY_OWN + 7 }, { "temperature", 1, ARGS_KEY_OWN + 8 },
	{ "temperature-max-age-ms", 1, ARGS_KEY_OWN + 9 }, { "max-inflight", 1, ARGS_KEY_OWN + 10 },
	{ "timeout-ms", 1, ARGS_KEY_OWN + 11 }, { "linger-ms", 1, ARGS_KEY_OWN + 12 },
	{ "cacert", 1, ARGS_KEY_OWN + 13 },
	{ NULL, 0, 0 },
};

/* pushopts_flag - args_parse's handler: a switch, or a flag with its value. */
static int
pushopts_flag(void *ctx, int key, const char *arg)
{
	struct pushopts *o = ctx;
	char flag[64];

	switch (key - ARGS_KEY_OWN) {
	case 0: o->use_stdin = 1; return 0;
	case 1: o->all_frames = 1; return 0;
	case 2: o->insecure = 1; return 0;
	}
	snprintf(flag, sizeof(flag), "--%s", pushopts_flags[key - ARGS_KEY_OWN].name);
	return pushopts_value(o, flag, arg);
}

int
pushopts_parse(struct pushopts *o, int argc, char **argv)
{
	int i, rc;

	memset(o, 0, sizeof(*o));
	o->max_inflight = 2;               /* like the camera page */
	o->timeout_ms = 30000;
	o->max_age_ms = 10000;
	rc = args_parse("push", argc, argv, pushopts_flags, NULL, pushopts_flag, o, pushopts_usage, &i);
	if (rc != -1)
		return rc;
	o->files = argv + i;
	o->nfiles = argc - i;
	return pushopts_check(o);
}
