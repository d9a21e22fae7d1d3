/* listen - the dispatcher's socket, DIR/run/dispatcher.sock: ingest (and the
 * CLI) connect, say HELLO, then send FRAME_READY {camera, frame id}. A peer
 * that sends anything else, or a malformed datagram, is logged in one line
 * and dropped; everyone else is served on. */
#ifndef GW_DISPATCHER_LISTEN_H
#define GW_DISPATCHER_LISTEN_H

/* listen_start - bind path; returns 0 or -errno (-EADDRINUSE: a dispatcher
 * is already serving it). */
int listen_start(const char *path);

/* listen_stop - close the listener (and remove its path) and every peer. */
void listen_stop(void);

#endif
