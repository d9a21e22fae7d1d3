/* daemon - the skeleton every gatewatch program's main follows (after
 * Postfix's *_server_main): one getopt_long table holding the config flags,
 * the program's own flags, --help and --version; the config applied and
 * checked before any side effect; logging; then, for the programs on libuv,
 * their own loop with SIGTERM/SIGINT starting an orderly drain.
 *
 *   parse (bad flag or config: message, exit 2, nothing created)
 *   -> log -> the program's setup -> daemon_loop_run -> signal: stop taking
 *   work, drain (bounded), close every handle -> exit 0.
 *
 * The program keeps its state in one static struct of its own; the skeleton
 * only fills the parts it is handed (the config, the loop). */
#ifndef GW_DAEMON_H
#define GW_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "version.h"

/* A program's own flag. key is what daemon_spec.flag receives: use values
 * >= DAEMON_KEY_OWN. has_arg is 0 (a switch) or 1 (takes a value). A switch
 * with `on` set needs no key and no call. */
#define DAEMON_KEY_OWN 0x200
struct daemon_flag {
	const char *name;   /* long name without "--" */
	int has_arg;
	int key;
	const char *arg;    /* the value's name in --help ("N", "FILE"), or NULL */
	const char *help;   /* one line for --help */
	int *on;            /* a switch: set to 1, without a call to spec->flag; or NULL */
};

/* The orderly stop of a program on libuv (daemonloop.c). */
struct daemon_stop {
	int drain_ms;                 /* how long draining may take */
	/* begin - the first SIGTERM/SIGINT: stop taking new work. */
	void (*begin)(int signum);
	/* drained - polled every 50 ms while stopping: 1 once nothing is left
	 * in flight. NULL: nothing to wait for. */
	int (*drained)(void);
	/* timeout - drain_ms passed: 1 to close anyway, 0 to keep waiting for
	 * drained() (after killing what was left). NULL: close anyway. */
	int (*timeout)(void);
	/* again - another signal while draining; NULL: ignored. */
	void (*again)(int signum);
	/* close - drained: close the program's handles so uv_run returns. */
	void (*close)(void);
};

struct daemon_spec {
	const char *name;       /* "ingest": log module, binary "gatewatch-ingest" */
	const char *synopsis;   /* usage lines after the name ("[OPTIONS]" if NULL), '\n' separated */
	const char *about;      /* a paragraph for --help, or NULL */
	const struct daemon_flag *flags; /* the program's own, ended by a NULL name; may be NULL */
	/* flag - one of the program's flags, in command-line order. Returns 0,
	 * or a negative errno with a message in err (the program exits 2). */
	int (*flag)(int key, const char *arg, char *err, size_t errlen);
	int operands;           /* 1: arguments that are not flags are allowed (files) */
	struct daemon_stop stop; /* programs on libuv: how they stop (daemon_loop_init) */
};

/* What daemon_args learnt besides the config. */
struct daemon_args {
	char **cfg_argv;        /* owned: the config flags as given, as "--config F",
	                         * "--dir D", "--set K=V" pairs, for child programs */
	int cfg_argc;
	char **operands;        /* into argv: the arguments that are not flags */
	int noperands;
};

/* daemon_args - umask 027 (people's data is never world-readable), then
 * the command line over config_defaults(cfg): -c/--config FILE, --dir DIR
 * and --set KEY=VALUE applied in order, the program's flags handed to
 * spec->flag, then the config finished (config_finish). --help writes the
 * usage on stdout and exits 0; --version writes "gatewatch-NAME VERSION"
 * and exits 0; a bad flag or config writes "gatewatch-NAME: message" on
 * stderr and exits 2, before the program did anything. Then logging is set
 * up at log.level and SIGPIPE ignored. out may be NULL. */
void daemon_args(const struct daemon_spec *spec, struct config *cfg, int argc, char **argv,
    struct daemon_args *out);

/* daemon_args_free - free what daemon_args allocated in a. */
void daemon_args_free(struct daemon_args *a);

/* daemon_usage_error - "gatewatch-NAME: <msg>" and a pointer to --help on
 * stderr, exit 2: for checks the program makes after daemon_args (a missing
 * operand). */
void daemon_usage_error(const struct daemon_spec *spec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

struct daemon_loop {
	uv_loop_t loop;               /* the program's own loop */
	const struct daemon_stop *stop; /* the spec's */
	uv_signal_t sigterm, sigint;
	uv_timer_t drain;
	uint64_t drain_start_us;
	int stopping, timed_out;
};

/* daemon_loop_init - init dl->loop and watch SIGTERM/SIGINT: the first
 * starts spec->stop. Returns 0 or a negative errno (libuv's). */
int daemon_loop_init(struct daemon_loop *dl, const struct daemon_spec *spec);

/* daemon_loop_run - run the loop until every handle is closed (after a
 * signal: drained, then the program's close). */
void daemon_loop_run(struct daemon_loop *dl);

/* daemon_loop_close - close the loop after the program's last cleanup; a
 * handle still open is logged. Returns 0 or libuv's negative errno. */
int daemon_loop_close(struct daemon_loop *dl);

/* daemon_loop_stopping - 1 once a signal started the stop. */
int daemon_loop_stopping(const struct daemon_loop *dl);

/* daemon_pool_run - run work(w) on libuv's thread pool, then after(w,
 * status) on the loop thread, w->data = data (status UV_ECANCELED: the
 * loop cancelled it). The one way a program queues pool work: queuing
 * fails only on a bad argument, a broken invariant (panics). */
void daemon_pool_run(uv_loop_t *loop, uv_work_t *w, void *data, uv_work_cb work, uv_after_work_cb after);

/* daemon_pool_try - daemon_pool_run for a caller that recovers when
 * queuing fails (the notifier's jobs, which must not take the dashboard
 * down): 0, or libuv's negative errno and nothing queued (after() is
 * not called). */
int daemon_pool_try(uv_loop_t *loop, uv_work_t *w, void *data, uv_work_cb work, uv_after_work_cb after);

/* daemon_ready - tell systemd (Type=notify) we serve, with a status line;
 * a no-op elsewhere. */
void daemon_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
