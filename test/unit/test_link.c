/* test_link - common/link.c: framing and batch reads over a socketpair,
 * the hello rules of a listening link, the bounded send queue, and the
 * libuv drivers (a server and a client that reconnects) on a real socket
 * in the case's temp dir. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "link.h"

static struct {
	int hellos, messages, ups, downs;
	unsigned last_type;
	char last_camera[CAMERA_ID_SIZE];
	int refuse_hello;
	int vouched;               /* link_vouched at the last TAKEOVER */
} seen;

static int
test_link_hello(struct link *l, const struct msg_hello *h)
{
	(void)h;
	seen.hellos++;
	if (seen.refuse_hello)
		return link_reject(l, "role %s not welcome", link_role_name(l->role));
	return 0;
}

static int
test_link_message(struct link *l, const struct msg *m)
{
	seen.messages++;
	seen.last_type = m->hdr.type;
	if (m->hdr.type == MSG_FRAME_READY)
		util_strlcpy(seen.last_camera, m->u.ref.camera, sizeof(seen.last_camera));
	if (m->hdr.type == MSG_FRAME_READY && strcmp(m->u.ref.camera, "bad") == 0)
		return link_reject(l, "camera %s refused", m->u.ref.camera);
	if (m->hdr.type == MSG_QUEUE_STATUS && l->srv)
		link_server_vouch(l->srv, m->u.queue_status.camera, m->u.queue_status.worker_pid);
	if (m->hdr.type == MSG_TAKEOVER)
		seen.vouched = link_vouched(l);
	return 0;
}

static void
test_link_up(struct link *l)
{
	(void)l;
	seen.ups++;
}

static void
test_link_down(struct link *l, const char *why)
{
	(void)l;
	(void)why;
	seen.downs++;
}

static const struct link_ops test_link_ops = { test_link_hello, test_link_message, test_link_up, test_link_down };

static struct msg_frame_ref
test_link_ref(const char *camera)
{
	struct msg_frame_ref ref;

	memset(&ref, 0, sizeof(ref));
	util_strlcpy(ref.camera, camera, sizeof(ref.camera));
	util_strlcpy(ref.frame_id, "0000000000000001-001", sizeof(ref.frame_id));
	return ref;
}

/* test_link_pair - a listening link l over sv[1]; sv[0] plays the peer. */
static int
test_link_pair(int sv[2], struct link *l)
{
	memset(&seen, 0, sizeof(seen));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) != 0)
		return -1;
	link_init(l, sv[1], &test_link_ops, NULL, 0);
	l->listening = 1;
	return 0;
}

CASE(framing_and_batches)
{
	struct msg_frame_ref ref = test_link_ref("gate1");
	struct link l;
	int sv[2], i;

	if (test_link_pair(sv, &l) != 0)
		return;
	CHECK_INT(msg_hello(sv[0], MSG_ROLE_INGEST, NULL), 0, "peer says hello");
	for (i = 0; i < 5; i++)
		msg_send(sv[0], MSG_FRAME_READY, &ref, sizeof(ref));
	CHECK_INT(link_read(&l, 3), 3, "a batch of 3 is read");
	CHECK_INT(seen.hellos, 1, "the hello went to ops->hello");
	CHECK_INT(seen.messages, 2, "then two messages, no more than the batch");
	CHECK_STR(l.name, "ingest pid 0", "the link is named after the hello");
	CHECK_INT(l.role, MSG_ROLE_INGEST, "role from the hello");
	CHECK_INT(link_read(&l, 64), 3, "the rest, then the socket is empty");
	CHECK_INT(seen.messages, 5, "every message arrived once");
	CHECK_STR(seen.last_camera, "gate1", "body decoded");
	CHECK_INT(link_send(&l, MSG_FRAME_READY, &ref, sizeof(ref) - 1), -EINVAL, "a body of the wrong size is not sent");
	close(sv[0]);
	CHECK_INT(link_read(&l, 64), -ECONNRESET, "EOF drops the link");
	CHECK_STR(l.why, "closed by the peer", "and says why");
	link_close(&l);
	CHECK_INT(l.fd, -1, "closed");
}

CASE(partial_and_bad_datagrams)
{
	struct msg_frame_ref ref = test_link_ref("gate1");
	unsigned char raw[sizeof(struct msg_hdr) + sizeof(ref)];
	struct msg_hdr h = { MSG_MAGIC, MSG_VERSION, MSG_FRAME_READY, sizeof(ref), 0 };
	struct link l;
	int sv[2];

	if (test_link_pair(sv, &l) != 0)
		return;
	msg_hello(sv[0], MSG_ROLE_INGEST, NULL);
	memcpy(raw, &h, sizeof(h));
	memcpy(raw + sizeof(h), &ref, sizeof(ref));
	CHECK(send(sv[0], raw, sizeof(raw) - 1, 0) > 0, "send a datagram one byte short");
	CHECK_INT(link_read(&l, 64), -EPROTO, "a short body is a protocol error");
	CHECK(strstr(l.why, "bad message") != NULL, "logged as a bad message");
	CHECK_INT(seen.messages, 0, "nothing of it reached the handler");
	link_close(&l);
	close(sv[0]);

	if (test_link_pair(sv, &l) != 0)
		return;
	msg_hello(sv[0], MSG_ROLE_INGEST, NULL);
	CHECK(send(sv[0], raw, 3, 0) == 3, "send 3 bytes");
	CHECK_INT(link_read(&l, 64), -EPROTO, "a datagram shorter than a header is a protocol error");
	link_close(&l);
	close(sv[0]);
}

/* What a listening link makes of a peer's first messages. */
static const struct {
	const char *what;
	unsigned hello_role;       /* 0: no hello first */
	int hellos;                /* hellos sent */
	const char *camera;        /* the frame_ready's camera, NULL: none sent */
	int refuse_hello;
	const char *why;           /* the drop's reason */
} test_link_hellos[] = {
	{ "a message before hello drops the link", 0, 0, "gate1", 0, "frame_ready before hello" },
	{ "a hello the user refuses drops the link", MSG_ROLE_WORKER, 1, NULL, 1, "role worker not welcome" },
	{ "a second hello drops the link", MSG_ROLE_INGEST, 2, NULL, 0, "second hello" },
	{ "a message the handler refuses drops the link", MSG_ROLE_INGEST, 1, "bad", 0, "camera bad refused" },
};

CASE(bad_hello)
{
	struct msg_frame_ref ref;
	struct link l;
	size_t i;
	int sv[2], k;

	for (i = 0; i < sizeof(test_link_hellos) / sizeof(test_link_hellos[0]); i++) {
		if (test_link_pair(sv, &l) != 0)
			return;
		seen.refuse_hello = test_link_hellos[i].refuse_hello;
		for (k = 0; k < test_link_hellos[i].hellos; k++)
			msg_hello(sv[0], (enum msg_role)test_link_hellos[i].hello_role, "gate1");
		if (test_link_hellos[i].camera) {
			ref = test_link_ref(test_link_hellos[i].camera);
			msg_send(sv[0], MSG_FRAME_READY, &ref, sizeof(ref));
		}
		CHECK_INT(link_read(&l, 64), -EPROTO, test_link_hellos[i].what);
		CHECK_STR(l.why, test_link_hellos[i].why, "and says why");
		CHECK_INT(seen.messages, test_link_hellos[i].camera && test_link_hellos[i].hello_role ? 1 : 0,
		    "only an accepted hello lets a message through");
		link_close(&l);
		close(sv[0]);
	}
}

CASE(client_skips_hello)
{
	struct msg_frame_ref ref = test_link_ref("gate1");
	struct link l;
	int sv[2];

	if (test_link_pair(sv, &l) != 0)
		return;
	l.listening = 0;
	msg_hello(sv[0], MSG_ROLE_NOTIFIER, NULL);
	msg_send(sv[0], MSG_RESULT_ACK, &ref, sizeof(ref));
	CHECK_INT(link_read(&l, 64), 2, "a client reads without a hello (and skips one)");
	CHECK_INT(seen.hellos, 0, "a hello to a client is skipped");
	CHECK_INT(seen.messages, 1, "the ack reached the handler");
	link_close(&l);
	close(sv[0]);
}

CASE(queue_bound)
{
	struct msg_queue_status st;
	struct link l;
	struct msg m;
	int sv[2], buf = 4096, i, sent = 0, rc, got = 0, in_order = 1;

	if (test_link_pair(sv, &l) != 0)
		return;
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	l.qmax = 4;
	memset(&st, 0, sizeof(st));
	util_strlcpy(st.camera, "gate1", sizeof(st.camera));
	/* fill the socket, then the queue */
	for (i = 0; i < 10000; i++) {
		st.done = (uint64_t)i;
		if ((rc = link_send(&l, MSG_QUEUE_STATUS, &st, sizeof(st))) != 0)
			break;
		sent++;
	}
	CHECK_INT(rc, -ENOBUFS, "a full queue refuses the message");
	CHECK_INT(l.qlen, 4, "the queue holds its bound");
	CHECK_INT(l.lost, 1, "the refused message is counted as lost");
	CHECK_INT(link_flush(&l), -EAGAIN, "flush cannot send while the peer does not read");
	for (i = 0; i < 20000 && got < sent; i++) {
		if (msg_recv(sv[0], &m) != 1) {
			link_flush(&l);
			continue;
		}
		in_order &= m.u.queue_status.done == (uint64_t)got;
		got++;
	}
	CHECK_INT(got, sent, "every message sent or queued arrives once the peer reads");
	CHECK(in_order, "in the order they were sent");
	CHECK_INT(l.qlen, 0, "the queue is empty again");
	link_close(&l);
	CHECK_INT(link_send(&l, MSG_QUEUE_STATUS, &st, sizeof(st)), -ENOTCONN, "a closed link sends nothing");
	close(sv[0]);
}

/* ---- the libuv drivers ---- */

static void
test_link_run(uv_loop_t *loop, int *cond, int want)
{
	int i;

	for (i = 0; i < 2000 && *cond < want; i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

CASE(server_and_client)
{
	struct msg_frame_ref ref = test_link_ref("gate1");
	struct link_server srv;
	struct link_client cli;
	uv_loop_t loop;
	const char *path = "t.sock"; /* in the case's temp dir, the working directory */
	int fd, n;

	memset(&seen, 0, sizeof(seen));
	uv_loop_init(&loop);
	CHECK_INT(link_client_start(&cli, &loop, path, MSG_ROLE_INGEST, NULL, MSG_ROLE_NOTIFIER, &test_link_ops, NULL), 0,
	    "a client starts with nobody listening");
	uv_run(&loop, UV_RUN_NOWAIT);
	CHECK_INT(link_client_send(&cli, MSG_FRAME_READY, &ref, sizeof(ref)), -ENOTCONN, "sending while down is -ENOTCONN");
	CHECK_INT(link_server_start(&srv, &loop, path, "t.sock", 2, &test_link_ops, NULL), 0, "the server listens");
	test_link_run(&loop, &seen.ups, 1);
	CHECK_INT(seen.ups, 1, "the client connects once the server is there");
	CHECK_INT(link_client_send(&cli, MSG_FRAME_READY, &ref, sizeof(ref)), 0, "the client sends");
	test_link_run(&loop, &seen.messages, 1);
	CHECK_INT(seen.hellos, 1, "the server read the client's hello");
	CHECK_INT(seen.messages, 1, "and its message");
	CHECK(srv.links && srv.links->pid == getpid(), "the server knows the client's pid from the kernel");
	n = link_server_send(&srv, MSG_ROLE_INGEST, MSG_RESULT_ACK, &ref, sizeof(ref));
	CHECK_INT(n, 1, "a message to every ingest link reaches one");
	test_link_run(&loop, &seen.messages, 2);
	CHECK_INT(seen.last_type, MSG_RESULT_ACK, "the client received it");

	/* a garbage peer is dropped, the others stay */
	fd = msg_connect(path, 1);
	CHECK(fd >= 0 && send(fd, "xyz", 3, 0) == 3, "a garbage peer connects and writes");
	test_link_run(&loop, &seen.downs, 1);
	CHECK_INT(seen.downs, 1, "the garbage peer is dropped");
	CHECK_INT(srv.n, 1, "the good link stays");
	if (fd >= 0)
		close(fd);

	/* the server goes: the client notices and comes back after it */
	link_server_stop(&srv, 1);
	test_link_run(&loop, &seen.downs, 3);
	CHECK(cli.state != LINK_UP, "the client saw the server go");
	CHECK_INT(link_server_start(&srv, &loop, path, "t.sock", 2, &test_link_ops, NULL), 0, "the server listens again");
	test_link_run(&loop, &seen.ups, 2);
	CHECK_INT(seen.ups, 2, "the client reconnected");

	link_client_stop(&cli);
	link_server_stop(&srv, 1);
	for (n = 0; n < 100 && uv_run(&loop, UV_RUN_NOWAIT); n++)
		;
	CHECK_INT(uv_loop_close(&loop), 0, "every handle closed");
}

/* test_link_vouch - a dispatcher says pid is gate1's worker, then a
 * worker of gate1 asks for a takeover; both sockets wait unread until
 * the loop runs. Returns link_vouched at the takeover. */
static int
test_link_vouch(uv_loop_t *loop, struct link_server *srv, int pid)
{
	struct msg_queue_status st;
	struct msg_takeover t;
	int d, w;

	memset(&st, 0, sizeof(st));
	memset(&t, 0, sizeof(t));
	util_strlcpy(st.camera, "gate1", sizeof(st.camera));
	util_strlcpy(t.camera, "gate1", sizeof(t.camera));
	st.worker_pid = pid;
	seen.messages = 0;
	seen.vouched = -1;
	d = msg_connect("v.sock", 1);
	msg_hello(d, MSG_ROLE_DISPATCHER, NULL);
	msg_send(d, MSG_QUEUE_STATUS, &st, sizeof(st));
	w = msg_connect("v.sock", 1);
	msg_hello(w, MSG_ROLE_WORKER, "gate1");
	msg_send(w, MSG_TAKEOVER, &t, sizeof(t));
	/* the worker's link first, whatever order the loop would take */
	link_server_accept(srv);
	while (srv->links && srv->links->next)
		if (link_serve(srv->links, 1) <= 0)
			break;
	test_link_run(loop, &seen.messages, 2);
	close(d);
	close(w);
	test_link_run(loop, &seen.downs, 2);
	return seen.vouched;
}

CASE(vouching)
{
	struct link_server srv;
	uv_loop_t loop;
	int n;

	memset(&seen, 0, sizeof(seen));
	uv_loop_init(&loop);
	CHECK_INT(link_server_start(&srv, &loop, "v.sock", "v.sock", 0, &test_link_ops, NULL), 0, "listen");
	srv.voucher = MSG_ROLE_DISPATCHER;
	CHECK_INT(test_link_vouch(&loop, &srv, getpid() + 1), 0, "a worker whose pid another was vouched for is not believed");
	seen.downs = 0;
	CHECK_INT(test_link_vouch(&loop, &srv, getpid()), 1,
	    "a worker is believed once vouched for, though the voucher's socket was not read yet");
	link_server_vouch(&srv, "gate1", 0);
	seen.downs = 0;
	srv.voucher = 0;
	CHECK_INT(test_link_vouch(&loop, &srv, 0), 0, "vouching taken back: not believed");
	link_server_stop(&srv, 1);
	for (n = 0; n < 100 && uv_run(&loop, UV_RUN_NOWAIT); n++)
		;
	CHECK_INT(uv_loop_close(&loop), 0, "every handle closed");
}

CHECK_MAIN()
