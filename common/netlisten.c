/* netlisten - we bind and accept ourselves and give libwebsockets the
 * accepted sockets (lws_adopt_socket_vhost on a vhost that does not
 * listen). Two reasons, both measured on Debian's lws 4.1: given an IPv4
 * iface it binds a dual-stack [::] socket (every interface) unless told
 * otherwise, and when accept() fails with EMFILE it logs and retries in a
 * tight loop (4.85 GB of log in 6.5 minutes). Here the address is bound
 * as written, and at the file limit the listener is paused for a second:
 * waiting connections stay in the kernel's backlog until there is room. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "netlisten.h"
#include "util.h"

#define NL_RESERVE 16          /* descriptors kept for spool files, peers, the database */
#define NL_PAUSE_MS 1000
#define NL_NOTE_MS 10000
#define NL_BATCH 64            /* accepts per wake-up, so one listener cannot starve the loop */
#define NL_BACKLOG 128

static int
nl_socket(int family, const struct sockaddr *sa, socklen_t salen, int v6only, char *err, size_t errlen,
          const char *address, int port)
{
	int fd, one = 1, rc;

	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		rc = -errno;
		util_errf(err, errlen, "cannot listen on %s:%d: socket: %s", address, port, strerror(errno));
		return rc;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, sa, salen) == -1 || listen(fd, NL_BACKLOG) == -1) {
		rc = -errno;
		util_errf(err, errlen, "cannot listen on %s:%d: %s", address, port, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

int
netlisten_bind(const char *address, int port, char *err, size_t errlen)
{
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct addrinfo hints, *res = NULL;
	char host[128], svc[16];
	size_t n;
	int fd, rc;

	if (address == NULL || port <= 0 || port > 65535) {
		util_errf(err, errlen, "bad listen address or port");
		return -EINVAL;
	}
	memset(&in4, 0, sizeof(in4));
	memset(&in6, 0, sizeof(in6));
	in4.sin_family = AF_INET;
	in4.sin_port = htons((uint16_t)port);
	in6.sin6_family = AF_INET6;
	in6.sin6_port = htons((uint16_t)port);
	if (strcmp(address, "*") == 0 || address[0] == '\0') {
		in6.sin6_addr = in6addr_any;
		fd = nl_socket(AF_INET6, (struct sockaddr *)&in6, sizeof(in6), 0, err, errlen, address, port);
		if (fd != -EAFNOSUPPORT)   /* a kernel without IPv6: every IPv4 address */
			return fd;
		in4.sin_addr.s_addr = htonl(INADDR_ANY);
		return nl_socket(AF_INET, (struct sockaddr *)&in4, sizeof(in4), 0, err, errlen, address, port);
	}
	if (inet_pton(AF_INET, address, &in4.sin_addr) == 1)
		return nl_socket(AF_INET, (struct sockaddr *)&in4, sizeof(in4), 0, err, errlen, address, port);
	n = util_strlcpy(host, address[0] == '[' ? address + 1 : address, sizeof(host));
	if (n >= sizeof(host)) {
		util_errf(err, errlen, "listen address too long");
		return -EINVAL;
	}
	if (address[0] == '[' && n > 0 && host[n - 1] == ']')
		host[n - 1] = '\0';
	if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1)
		return nl_socket(AF_INET6, (struct sockaddr *)&in6, sizeof(in6), 1, err, errlen, address, port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_ADDRCONFIG;
	snprintf(svc, sizeof(svc), "%d", port);
	if ((rc = getaddrinfo(host, svc, &hints, &res)) != 0 || res == NULL) {
		util_errf(err, errlen, "cannot listen on %s:%d: %s", address, port,
		          rc ? gai_strerror(rc) : "no address");
		return -EADDRNOTAVAIL;
	}
	fd = nl_socket(res->ai_family, res->ai_addr, res->ai_addrlen, 1, err, errlen, address, port);
	freeaddrinfo(res);
	return fd;
}

static void nl_readable(uv_poll_t *p, int status, int events);

static void
nl_resume(uv_timer_t *t)
{
	struct netlisten *nl = t->data;

	if (!nl->open || !nl->paused)
		return;
	nl->paused = 0;
	uv_poll_start(&nl->poll, UV_READABLE, nl_readable);
}

static void
nl_pause(struct netlisten *nl, const char *why)
{
	uint64_t now = util_mono_us();

	nl->refused++;
	if (!nl->paused) {
		nl->paused = 1;
		uv_poll_stop(&nl->poll);
		uv_timer_start(&nl->pause, nl_resume, NL_PAUSE_MS, 0);
	}
	if (nl->note && (nl->noted_mono == 0 || now - nl->noted_mono >= (uint64_t)NL_NOTE_MS * 1000)) {
		nl->note(nl->arg, why, nl->fd_limit, nl->refused);
		nl->noted_mono = now;
		nl->refused = 0;
	}
}

static void
nl_readable(uv_poll_t *p, int status, int events)
{
	struct netlisten *nl = p->data;
	int i, fd;

	(void)status;
	(void)events;
	for (i = 0; i < NL_BATCH && nl->open && !nl->paused; i++) {
		if ((fd = accept4(nl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			nl_pause(nl, errno == EMFILE || errno == ENFILE ? "too many open files" : strerror(errno));
			return;
		}
		/* descriptors are handed out lowest first: this number says
		 * how many are open */
		if (nl->fd_limit > 0 && fd >= nl->fd_limit - NL_RESERVE) {
			close(fd);
			nl_pause(nl, "near the file limit");
			return;
		}
		/* on failure lws closes fd itself */
		(void)lws_adopt_socket_vhost(nl->vh, fd);
	}
}

int
netlisten_start(struct netlisten *nl, uv_loop_t *loop, int fd, struct lws_vhost *vh,
                netlisten_note note, void *arg)
{
	struct rlimit rl;
	int rc;

	memset(nl, 0, sizeof(*nl));
	nl->fd = fd;
	nl->vh = vh;
	nl->note = note;
	nl->arg = arg;
	nl->fd_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 0;
	if ((rc = uv_poll_init_socket(loop, &nl->poll, fd)) != 0) {
		close(fd);
		nl->fd = -1;
		return rc;
	}
	uv_timer_init(loop, &nl->pause);
	nl->poll.data = nl;
	nl->pause.data = nl;
	nl->open = 1;
	uv_poll_start(&nl->poll, UV_READABLE, nl_readable);
	return 0;
}

void
netlisten_stop(struct netlisten *nl)
{
	if (!nl->open)
		return;
	nl->open = 0;
	uv_poll_stop(&nl->poll);
	uv_close((uv_handle_t *)&nl->poll, NULL);
	uv_close((uv_handle_t *)&nl->pause, NULL);
	close(nl->fd);
	nl->fd = -1;
}
