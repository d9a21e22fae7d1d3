/* up - `gatewatch up`: write the effective configuration under DIR, start
 * notifier, dispatcher and ingest (in that order, each waited for), print
 * where to point a browser, and supervise: a child that dies is restarted
 * with backoff. SIGINT/SIGTERM stop everything, one program after the
 * other: ingest first (no new frames), then the dispatcher (its workers
 * finish what they hold and report it), the notifier last (it commits what
 * they report); each gets SIGTERM, a bounded wait, then SIGKILL.
 * Everything runs in one process group, so a test can kill it all at once;
 * the children also die with `up` itself (PR_SET_PDEATHSIG), so a kill -9
 * of `up` leaves nothing behind. DIR/run/up.lock (flock) holds one `up`
 * per DIR and names its pid. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "account.h"
#include "cmd.h"
#include "config.h"
#include "log.h"
#include "logpump.h"
#include "signals.h"
#include "upbanner.h"
#include "updir.h"
#include "util.h"

#define UP_START_WAIT_MS 60000     /* per program, to open its sockets */
#define UP_STOP_WAIT_MS 10000      /* ingest, notifier */
#define UP_DRAIN_WAIT_MS 30000     /* dispatcher: its workers finish their frames */
#define UP_BACKOFF_MIN_MS 500
#define UP_BACKOFF_MAX_MS 30000
#define UP_STABLE_MS 30000         /* a run this long resets the backoff */

enum up_ready { UP_READY_UNIX, UP_READY_TCP };

struct up_child {
	const char *prog;        /* "notifier" */
	pid_t pid;               /* 0 = not running */
	uint64_t started_ms;
	uint64_t restart_at_ms;  /* 0 = no restart pending */
	int backoff_ms;
	char sock[CONFIG_PATH_SIZE + 32]; /* unix socket it listens on, "" if none */
	int port;                /* TCP port it listens on, 0 if none */
	struct logpump log;      /* its stdout+stderr -> DIR/log/<prog>.log, rotated */
};

static volatile sig_atomic_t up_stop;

static struct config up_cfg;
static char up_conf[CONFIG_PATH_SIZE + 32];
static char up_admin_pw[64];   /* the first admin's generated password, or "" */

static void
up_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch up [--dir DIR] [-c FILE] [--set KEY=VALUE]... [--http-port N]\n"
	    "                    [--ingest-port N] [--listen ADDR] [--demo]\n"
	    "Writes the effective configuration to DIR/gatewatch.conf, starts the notifier,\n"
	    "the dispatcher and ingest with their logs in DIR/log/, prints the URLs, and\n"
	    "restarts any of them that dies. Ctrl-C (or SIGTERM) stops them all.\n"
	    "  --dir DIR        state directory (default ./var in the tree, /var/lib/gatewatch installed)\n"
	    "  --http-port N    dashboard, API and camera page (http.port, default 8081)\n"
	    "  --ingest-port N  cameras' WebSocket (ingest.port, default 8080)\n"
	    "  --listen ADDR    address both listen on (listen.address, default 127.0.0.1;\n"
	    "                   another machine: with TLS only, README \"A gate PC on the LAN\")\n"
	    "  --demo           add camera \"demo\" with a random token (kept across runs)\n");
}

static uint64_t
up_ms(void)
{
	return util_mono_us() / 1000u;
}

/* up_pump - wait up to ms for output from the programs, copying what
 * comes into their log files; returns after ms (or a signal). */
static void
up_pump(struct up_child *kids, int nkids, int ms)
{
	struct pollfd pfd[8];
	uint64_t end = up_ms() + (uint64_t)ms;
	int i, n;

	for (;;) {
		uint64_t now = up_ms();

		for (n = 0, i = 0; i < nkids && n < 8; i++)
			if (kids[i].log.rfd >= 0) {
				pfd[n].fd = kids[i].log.rfd;
				pfd[n].events = POLLIN;
				n++;
			}
		if (poll(pfd, (nfds_t)n, now >= end ? 0 : (int)(end - now)) > 0)
			for (i = 0; i < nkids; i++)
				if (logpump_drain(&kids[i].log) < 0)
					log_warnx(NULL, "cannot write %s: its output is dropped", kids[i].log.path);
		if (up_stop || up_ms() >= end)
			return;
	}
}

static void
up_signal(int sig)
{
	(void)sig;
	up_stop = 1;
}

/* up_tcp_open - 1 if something accepts TCP connections on host:port. */
static int
up_tcp_open(const char *host, int port)
{
	struct addrinfo hints, *res, *ai;
	char portstr[16];
	int fd, ok = 0;

	if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0' || strcmp(host, "*") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && !ok; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			ok = 1;
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

/* up_ready - has the child opened what it serves? Stale socket files were
 * removed before the start, so a socket file means it is listening. */
static int
up_ready(const struct up_child *ch)
{
	struct stat st;

	if (ch->sock[0] != '\0' && (stat(ch->sock, &st) != 0 || !S_ISSOCK(st.st_mode)))
		return 0;
	if (ch->port > 0 && !up_tcp_open(up_cfg.listen_address, ch->port))
		return 0;
	return 1;
}

static pid_t
up_spawn(struct up_child *ch)
{
	char bin[CONFIG_PATH_SIZE], name[64];
	pid_t pid, parent;
	int fd;

	snprintf(name, sizeof(name), "gatewatch-%s", ch->prog);
	if (cmd_bin_path(name, bin, sizeof(bin)) != 0)
		return -1;
	parent = getpid();
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		struct sigaction sa;

		/* die with `up` (SIGTERM: a clean stop); if `up` died before
		 * this line, the parent is already someone else */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != parent)
			_exit(1);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			if (fd > 2)
				close(fd);
		}
		/* the pipe `up` drains into the log file (logpump.h) */
		dup2(ch->log.wfd, 1);
		dup2(ch->log.wfd, 2);
		execl(bin, name, "-c", up_conf, (char *)NULL);
		fprintf(stderr, "gatewatch up: cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	ch->pid = pid;
	ch->started_ms = up_ms();
	ch->restart_at_ms = 0;
	log_info(NULL, "started %s pid=%d", ch->prog, (int)pid);
	return pid;
}

/* up_reap - collect dead children; schedule restarts unless stopping.
 * Returns the number reaped. */
static int
up_reap(struct up_child *kids, int nkids)
{
	int status, i, n = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < nkids; i++) {
			struct up_child *ch = &kids[i];
			uint64_t ran;

			if (ch->pid != pid)
				continue;
			n++;
			ch->pid = 0;
			ran = up_ms() - ch->started_ms;
			if (ran >= UP_STABLE_MS)
				ch->backoff_ms = UP_BACKOFF_MIN_MS;
			if (up_stop) {
				log_info(NULL, "%s pid=%d stopped", ch->prog, (int)pid);
				break;
			}
			if (WIFSIGNALED(status))
				log_error(NULL, "%s pid=%d killed by signal %d after %llu ms, restarting in %d ms",
				    ch->prog, (int)pid, WTERMSIG(status), (unsigned long long)ran, ch->backoff_ms);
			else
				log_error(NULL, "%s pid=%d exited with status %d after %llu ms, restarting in %d ms",
				    ch->prog, (int)pid, WEXITSTATUS(status), (unsigned long long)ran, ch->backoff_ms);
			ch->restart_at_ms = up_ms() + (uint64_t)ch->backoff_ms;
			ch->backoff_ms = ch->backoff_ms * 2 > UP_BACKOFF_MAX_MS ? UP_BACKOFF_MAX_MS : ch->backoff_ms * 2;
			break;
		}
	}
	return n;
}

/* up_stop_all - in reverse start order (ingest, dispatcher, notifier),
 * one at a time: SIGTERM, wait until it has exited, SIGKILL after its
 * limit. The notifier goes last so that what the workers report while the
 * dispatcher drains them is still committed. */
static void
up_stop_all(struct up_child *kids, int nkids)
{
	int i;

	up_stop = 1;
	for (i = nkids - 1; i >= 0; i--) {
		struct up_child *ch = &kids[i];
		int wait_ms = strcmp(ch->prog, "dispatcher") == 0 ? UP_DRAIN_WAIT_MS : UP_STOP_WAIT_MS;
		uint64_t end = up_ms() + (uint64_t)wait_ms;

		if (ch->pid <= 0)
			continue;
		kill(ch->pid, SIGTERM);
		while (ch->pid > 0 && up_ms() < end) {
			up_reap(kids, nkids);
			if (ch->pid > 0)
				up_pump(kids, nkids, 20);
		}
		if (ch->pid > 0) {
			log_warnx(NULL, "%s pid=%d did not stop in %d s, killing it", ch->prog,
			    (int)ch->pid, wait_ms / 1000);
			kill(ch->pid, SIGKILL);
			/* a second SIGINT (no SA_RESTART) must not leave it unreaped */
			while (waitpid(ch->pid, NULL, 0) < 0 && errno == EINTR)
				;
			ch->pid = 0;
		}
	}
}

/* up_start - spawn one child and wait until it serves. A child that exits
 * with status 2 (bad config or environment) during the start aborts the
 * start: running it again would not help. Returns 0, or -1. */
static int
up_start(struct up_child *kids, int nkids, struct up_child *ch)
{
	uint64_t end = up_ms() + UP_START_WAIT_MS;
	off_t from = ch->log.size;   /* this start's lines only */
	int status;

	if (up_spawn(ch) < 0) {
		log_error(NULL, "cannot start %s: %s", ch->prog, strerror(errno));
		return -1;
	}
	while (!up_stop) {
		pid_t pid = waitpid(ch->pid, &status, WNOHANG);

		if (pid == ch->pid) {
			ch->pid = 0;
			logpump_drain(&ch->log);   /* its last words, said here too */
			logpump_show_error(&ch->log, from, stderr);
			log_error(NULL, "%s exited during start (%s %d); see %s/log/%s.log", ch->prog,
			    WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), up_cfg.dir, ch->prog);
			return -1;
		}
		if (up_ready(ch))
			return 0;
		if (up_ms() >= end) {
			log_warnx(NULL, "%s is not serving after %d s; going on (see its log)",
			    ch->prog, UP_START_WAIT_MS / 1000);
			return 0;
		}
		up_pump(kids, nkids, 50);
	}
	return -1;
}

enum { UP_KEY_DEMO = ARGS_KEY_OWN, UP_KEY_HTTP_PORT, UP_KEY_INGEST_PORT, UP_KEY_LISTEN };

static const struct args_flag up_flags[] = {
	{ "demo", 0, UP_KEY_DEMO }, { "http-port", 1, UP_KEY_HTTP_PORT },
	{ "ingest-port", 1, UP_KEY_INGEST_PORT }, { "listen", 1, UP_KEY_LISTEN },
	{ NULL, 0, 0 },
};

/* up's own flags: --demo, and the port flags as settings. */
struct up_opts {
	int *demo;
	char sets[8][CONFIG_PATH_SIZE];
	int nsets;
};

/* up_flag - args_parse's handler for up's own flags. */
static int
up_flag(void *ctx, int key, const char *arg)
{
	struct up_opts *o = ctx;

	if (key == UP_KEY_DEMO) {
		*o->demo = 1;
		return 0;
	}
	if (o->nsets == 8) {
		fprintf(stderr, "gatewatch up: too many --http-port, --ingest-port and --listen flags\n");
		up_usage(stderr);
		return -1;
	}
	snprintf(o->sets[o->nsets++], sizeof(o->sets[0]), "%s=%s", key == UP_KEY_HTTP_PORT ? "http.port" :
	    key == UP_KEY_INGEST_PORT ? "ingest.port" : "listen.address", arg);
	return 0;
}

/* up_args - the command line into up_cfg. Returns -1 to go on, or the
 * exit status (0 after --help, 2 after a message). */
static int
up_args(int argc, char **argv, int *demo)
{
	struct up_opts o;
	struct args_config ac;
	int i, rc;

	if (args_wants_help(argc, argv)) {
		up_usage(stdout);
		return 0;
	}
	o.demo = demo;
	o.nsets = 0;
	if (args_config_start(&ac, 2 * argc + 2 * 8, argv) != 0)
		return 1;
	if ((rc = args_parse_flags("up", argc, argv, up_flags, &ac, up_flag, &o, up_usage)) != -1)
		return rc;
	/* The port flags win over the file: they go last. */
	for (i = 0; i < o.nsets; i++) {
		ac.cargv[ac.cargc++] = "--set";
		ac.cargv[ac.cargc++] = o.sets[i];
	}
	return args_config_finish(&ac, "up", &up_cfg) != 0 ? 2 : -1;
}

/* up_mkdir - DIR/<rel>, or a message. Returns 0 or -1. */
static int
up_mkdir(const char *rel)
{
	char path[CONFIG_PATH_SIZE + 64];
	int rc;

	snprintf(path, sizeof(path), "%s%s%s", up_cfg.dir, rel[0] ? "/" : "", rel);
	if ((rc = util_mkdirs(path)) < 0) {
		fprintf(stderr, "gatewatch up: cannot create %s: %s\n", path, strerror(-rc));
		return -1;
	}
	return 0;
}

/* up_prepare - DIR with the effective configuration, the lock, the first
 * admin, and the ports checked free. Returns 0, or 1 after a message. */
static int
up_prepare(int demo)
{
	char err[512], path[CONFIG_PATH_SIZE + 64], token[CONFIG_TOKEN_SIZE];
	pid_t other;
	int lockfd;

	if (up_mkdir("") != 0)
		return 1;
	snprintf(up_conf, sizeof(up_conf), "%s/gatewatch.conf", up_cfg.dir);
	if (demo && config_camera(&up_cfg, "demo") == NULL) {
		if (updir_demo_token(up_conf, token, sizeof(token)) != 0 ||
		    config_set(&up_cfg, "camera.demo.token", token, err, sizeof(err)) != 0 ||
		    config_set(&up_cfg, "camera.demo.name", "Demo camera", err, sizeof(err)) != 0) {
			fprintf(stderr, "gatewatch up: cannot add the demo camera\n");
			return 1;
		}
	}
	if (up_mkdir("run") != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/run/up.lock", up_cfg.dir);
	if ((lockfd = updir_lock(path, &other)) < 0) {
		if (lockfd == -1)
			fprintf(stderr, "gatewatch up: already running in %s (pid %d holds %s)\n",
			    up_cfg.dir, (int)other, path);
		else
			fprintf(stderr, "gatewatch up: cannot lock %s: %s\n", path, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/run/up.pid", up_cfg.dir);
	if ((other = updir_running(path)) > 0) {
		fprintf(stderr, "gatewatch up: already running in %s (pid %d)\n", up_cfg.dir, (int)other);
		return 1;
	}
	if (updir_write_conf(&up_cfg, up_conf) != 0) {
		fprintf(stderr, "gatewatch up: cannot write %s: %s\n", up_conf, strerror(errno));
		return 1;
	}
	if (up_mkdir("log") != 0)
		return 1;
	/* The first admin, so a newcomer can log in at once (account.c). */
	if (account_first_admin(up_cfg.dir, up_admin_pw, sizeof(up_admin_pw), err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch up: %s\n", err);
		return 1;
	}
	if (up_tcp_open(up_cfg.listen_address, up_cfg.http_port) ||
	    up_tcp_open(up_cfg.listen_address, up_cfg.ingest_port)) {
		int http = up_tcp_open(up_cfg.listen_address, up_cfg.http_port);

		fprintf(stderr, "gatewatch up: %s port %d on %s is already in use (another program, or another\n"
		    "gatewatch up): choose free ones with --http-port N --ingest-port N (make run RUN_ARGS=\"...\")\n",
		    http ? "the HTTP" : "the ingest", http ? up_cfg.http_port : up_cfg.ingest_port,
		    up_cfg.listen_address);
		return 1;
	}
	return 0;
}

/* up_own_group - one process group for everything, so it can be stopped
 * as one; our pid in DIR/run/up.pid; SIGINT/SIGTERM stop. Started by
 * something in a terminal's foreground group (`make run`, a script) we stay
 * in that group: a group of our own would be a background one, and the
 * terminal's Ctrl-C would reach only the parent, which waits for us. */
static void
up_own_group(void)
{
	char path[CONFIG_PATH_SIZE + 64];
	FILE *f;
	int tty_fg = isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();

	if (getpgrp() != getpid() && !tty_fg)
		setpgid(0, 0);
	snprintf(path, sizeof(path), "%s/run/up.pid", up_cfg.dir);
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	signals_on_stop(up_signal);
	signal(SIGHUP, SIG_IGN);
}

/* up_kids - the three programs, in start order, with their logs open.
 * Returns 0, or 1 after a message. */
static int
up_kids(struct up_child *kids, int nkids)
{
	char path[CONFIG_PATH_SIZE + 64];
	int i, rc;

	memset(kids, 0, sizeof(*kids) * (size_t)nkids);
	kids[0].prog = "notifier";
	config_path(&up_cfg, "run/notifier.sock", kids[0].sock, sizeof(kids[0].sock));
	kids[0].port = up_cfg.http_port;
	kids[1].prog = "dispatcher";
	config_path(&up_cfg, "run/dispatcher.sock", kids[1].sock, sizeof(kids[1].sock));
	kids[2].prog = "ingest";
	kids[2].port = up_cfg.ingest_port;
	for (i = 0; i < nkids; i++) {
		kids[i].backoff_ms = UP_BACKOFF_MIN_MS;
		unlink(kids[i].sock); /* stale from a previous run; nobody serves it */
		snprintf(path, sizeof(path), "%s/log/%s.log", up_cfg.dir, kids[i].prog);
		if ((rc = logpump_open(&kids[i].log, path, up_cfg.log_max_bytes, up_cfg.log_keep)) != 0) {
			fprintf(stderr, "gatewatch up: cannot open %s: %s\n", path, strerror(-rc));
			while (--i >= 0)
				logpump_close(&kids[i].log);
			return 1;
		}
	}
	return 0;
}

/* up_banner - where to point a browser, and where everything is */
static void
up_banner(const struct up_child *kids, int nkids)
{
	const char *logs[8];
	int i;

	for (i = 0; i < nkids && i < 8; i++)
		logs[i] = kids[i].prog;
	upbanner_print(&up_cfg, up_conf, up_admin_pw, logs, i,
	    config_camera(&up_cfg, "demo") ? config_camera(&up_cfg, "demo")->token : NULL);
}

/* up_supervise - start the programs, then restart any that dies until a
 * signal; stop them all. Returns the exit status. */
static int
up_supervise(struct up_child *kids, int nkids)
{
	char path[CONFIG_PATH_SIZE + 64];
	int i, status = 0;

	for (i = 0; i < nkids && !up_stop && status == 0; i++)
		if (up_start(kids, nkids, &kids[i]) != 0)
			status = 1;
	if (status == 0 && !up_stop)
		up_banner(kids, nkids);
	while (status == 0 && !up_stop) {
		uint64_t now;

		up_reap(kids, nkids);
		now = up_ms();
		for (i = 0; i < nkids && !up_stop; i++)
			if (kids[i].pid == 0 && kids[i].restart_at_ms != 0 && now >= kids[i].restart_at_ms &&
			    up_spawn(&kids[i]) < 0) {
				log_error(NULL, "cannot restart %s: %s", kids[i].prog, strerror(errno));
				kids[i].restart_at_ms = now + (uint64_t)kids[i].backoff_ms;
			}
		up_pump(kids, nkids, 100);
	}
	if (status == 0)
		log_info(NULL, "stopping");
	up_stop_all(kids, nkids);
	for (i = 0; i < nkids; i++)
		logpump_close(&kids[i].log);
	snprintf(path, sizeof(path), "%s/run/up.pid", up_cfg.dir);
	unlink(path);
	if (status == 0)
		log_info(NULL, "stopped");
	return status;
}

int
cmd_up(int argc, char **argv)
{
	struct up_child kids[3];
	int rc, demo = 0, level;

	if ((rc = up_args(argc, argv, &demo)) >= 0)
		return rc;
	level = log_level_parse(up_cfg.log_level);
	log_init("up", level < 0 ? LOG_LEVEL_INFO : (enum log_level)level);
	if ((rc = up_prepare(demo)) != 0)
		return rc;
	up_own_group();
	if ((rc = up_kids(kids, 3)) != 0)
		return rc;
	return up_supervise(kids, 3);
}
