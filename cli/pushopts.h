/* pushopts - `gatewatch push`'s command line: flags, their ranges, the
 * URL split for libwebsockets, and the usage text. */
#ifndef GW_CLI_PUSHOPTS_H
#define GW_CLI_PUSHOPTS_H

struct pushopts {
	const char *url, *camera, *token;
	const char *sensor_path;           /* --temperature-from; NULL if none */
	const char *cacert;                /* --cacert: trust this PEM for wss://; NULL if none */
	double fps;                        /* 0: as fast as answers allow */
	int has_temp;                      /* --temperature given */
	double temperature;
	double max_age_ms;                 /* --temperature-max-age-ms */
	int max_inflight;
	long timeout_ms, linger_ms;
	int use_stdin, all_frames, insecure;
	char **files;                      /* not owned: argv */
	int nfiles;
	/* the URL, split (pointers into urlbuf) */
	const char *scheme, *host;         /* "ws" or "wss" */
	int port;
	char path[1024];                   /* "/..." */
	char urlbuf[1024];
};

/* pushopts_parse - argv (argv[0] the subcommand) into o, defaults first.
 * Returns -1 to go on, or the exit status to return now: 0 after --help
 * (usage on stdout), 2 on a usage error (said on stderr). */
int pushopts_parse(struct pushopts *o, int argc, char **argv);

#endif
