/* netlisten - the TCP listeners of ingest and the notifier: one bind
 * helper that honours listen.address exactly, and an accept loop on the
 * libuv loop that hands each connection to a libwebsockets vhost and stops
 * accepting for a moment at the file limit instead of spinning. */
#ifndef GW_NETLISTEN_H
#define GW_NETLISTEN_H

#include <stdint.h>
#include <uv.h>

struct lws_vhost;

/* netlisten_bind - a listening TCP socket (non-blocking, close-on-exec,
 * SO_REUSEADDR) on exactly address:port. address: an IPv4 literal (that
 * address only, never [::]), an IPv6 literal with or without brackets
 * (IPv6 only), "*" (every address, IPv4 and IPv6), or a host name (its
 * first address). Returns the descriptor, or a negative errno with the
 * problem in err. */
int netlisten_bind(const char *address, int port, char *err, size_t errlen);

/* netlisten_note - told, at most once per interval, that accepting was
 * paused (why: the reason; refused: connections turned away since the
 * last note). Called on the loop thread. */
typedef void (*netlisten_note)(void *arg, const char *why, long fd_limit, unsigned refused);

struct netlisten {
	int fd;                    /* owned: the listening socket; -1 when closed */
	struct lws_vhost *vh;      /* not owned: where accepted sockets go */
	uv_poll_t poll;
	uv_timer_t pause;
	long fd_limit;             /* RLIMIT_NOFILE when started */
	int paused, open;
	uint64_t noted_mono;       /* last note */
	unsigned refused;
	netlisten_note note;
	void *arg;
};

/* netlisten_start - accept on fd (from netlisten_bind; owned from now on)
 * and adopt each connection into vh. A new descriptor within 16 of the
 * file limit is closed at once and accepting pauses for 1 s, as it does
 * when accept() fails for want of descriptors or memory; note hears of it
 * at most every 10 s. Returns 0 or a negative errno (fd closed). */
int netlisten_start(struct netlisten *nl, uv_loop_t *loop, int fd, struct lws_vhost *vh,
                    netlisten_note note, void *arg);

/* netlisten_stop - stop accepting and close the socket and the handles
 * (the loop must run for the handles to close). Safe to call twice. */
void netlisten_stop(struct netlisten *nl);

#endif
