/* test_msg - sizes, round trips over a SEQPACKET socketpair and over a
 * listening socket, and -EPROTO for every kind of bad datagram. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "msg.h"

static void
test_msg_ref(struct msg_frame_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	strcpy(ref->camera, "gate1");
	strcpy(ref->frame_id, "1764026596123456-007");
}

CASE(sizes_and_names)
{
	int t;

	CHECK_INT(msg_body_size(MSG_FRAME_READY), sizeof(struct msg_frame_ref), "frame_ready size");
	CHECK_INT(msg_body_size(MSG_RESULT), sizeof(struct msg_result), "result size");
	CHECK_INT(msg_body_size(0), 0, "type 0 has no size");
	CHECK_INT(msg_body_size(MSG_TYPE_MAX), 0, "type max has no size");
	CHECK(sizeof(struct msg) <= MSG_SIZE_MAX, "struct msg fits MSG_SIZE_MAX");
	for (t = 1; t < MSG_TYPE_MAX; t++)
		if (msg_body_size(t) == 0 || strcmp(msg_type_name(t), "unknown") == 0)
			break;
	CHECK_INT(t, MSG_TYPE_MAX, "every type has a size and a name");
	CHECK_STR(msg_type_name(MSG_QUEUE_STATUS), "queue_status", "type name");
	CHECK_STR(msg_type_name(99), "unknown", "unknown type name");
	CHECK_STR(msg_mask_name(MSG_MASK_CHIN), "mask_chin", "mask name");
	CHECK_STR(msg_verdict_name(MSG_VERDICT_DENY), "DENY", "verdict name");
	CHECK_STR(msg_reason_name(MSG_REASON_TEMPERATURE), "temperature", "reason name");
	CHECK_STR(msg_reason_name(77), "", "unknown reason name");
}

CASE(round_trip)
{
	struct msg_frame_ref ref;
	struct msg m;
	int sv[2];

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	CHECK_INT(msg_hello(sv[0], MSG_ROLE_WORKER, "gate1"), 0, "send hello");
	CHECK_INT(msg_recv(sv[1], &m), 1, "receive hello");
	CHECK_INT(m.hdr.type, MSG_HELLO, "hello type");
	CHECK_INT(m.u.hello.role, MSG_ROLE_WORKER, "hello role");
	CHECK_INT(m.u.hello.pid, getpid(), "hello pid");
	CHECK_STR(m.u.hello.camera, "gate1", "hello camera");

	test_msg_ref(&ref);
	CHECK_INT(msg_send(sv[0], MSG_FRAME_READY, &ref, sizeof(ref)), 0, "send frame_ready");
	CHECK_INT(msg_recv(sv[1], &m), 1, "receive frame_ready");
	CHECK_STR(m.u.ref.frame_id, "1764026596123456-007", "frame_ready frame id");
	CHECK_INT(msg_send(sv[0], MSG_FRAME_READY, &ref, sizeof(ref) - 1), -EINVAL, "send with a wrong size is -EINVAL");
	CHECK_INT(msg_send(sv[0], 42, &ref, sizeof(ref)), -EINVAL, "send of an unknown type is -EINVAL");
	close(sv[0]);
	close(sv[1]);
}

CASE(bad_datagrams)
{
	unsigned char raw[MSG_SIZE_MAX + 64];
	struct msg_frame_ref ref;
	struct msg_hdr hdr;
	struct msg m;
	int sv[2];

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	test_msg_ref(&ref);
	/* Bad datagrams written by hand. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = MSG_MAGIC;
	hdr.version = MSG_VERSION;
	hdr.type = MSG_FRAME_READY;
	hdr.len = sizeof(ref);
	memcpy(raw, &hdr, sizeof(hdr));
	memcpy(raw + sizeof(hdr), &ref, sizeof(ref));
	send(sv[0], raw, sizeof(hdr) + sizeof(ref), 0);
	CHECK_INT(msg_recv(sv[1], &m), 1, "hand-made good datagram is accepted");

	((struct msg_hdr *)raw)->magic = 0x12345678;
	send(sv[0], raw, sizeof(hdr) + sizeof(ref), 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "bad magic is -EPROTO");
	((struct msg_hdr *)raw)->magic = MSG_MAGIC;
	((struct msg_hdr *)raw)->version = MSG_VERSION + 1;
	send(sv[0], raw, sizeof(hdr) + sizeof(ref), 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "wrong version is -EPROTO");
	((struct msg_hdr *)raw)->version = MSG_VERSION;
	((struct msg_hdr *)raw)->type = 200;
	send(sv[0], raw, sizeof(hdr) + sizeof(ref), 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "unknown type is -EPROTO");
	((struct msg_hdr *)raw)->type = MSG_FRAME_READY;
	send(sv[0], raw, sizeof(hdr) + sizeof(ref) - 4, 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "short body is -EPROTO");
	send(sv[0], raw, sizeof(hdr) + sizeof(ref) + 4, 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "long body is -EPROTO");
	((struct msg_hdr *)raw)->len = sizeof(ref) + 4;
	send(sv[0], raw, sizeof(hdr) + sizeof(ref), 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "header length not the type's size is -EPROTO");
	send(sv[0], raw, 3, 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "3-byte datagram is -EPROTO");
	memset(raw, 'A', sizeof(raw));
	send(sv[0], raw, sizeof(raw), 0);
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "datagram larger than MSG_SIZE_MAX is -EPROTO");
	close(sv[0]);
	close(sv[1]);
}

/* Unterminated strings from a peer are terminated on receive; FRAME carries
 * the frames skipped before it. */
CASE(unterminated)
{
	struct msg_frame_ref ref;
	struct msg_frame f;
	struct msg m;
	int sv[2];

	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&ref, 'x', sizeof(ref));
	CHECK_INT(msg_send(sv[0], MSG_FRAME_READY, &ref, sizeof(ref)), 0, "send unterminated ref");
	CHECK_INT(msg_recv(sv[1], &m), 1, "receive unterminated ref");
	CHECK_INT(strlen(m.u.ref.camera), CAMERA_ID_SIZE - 1, "camera string is terminated inside its field");

	/* FRAME: a ref and the frames skipped before it */
	memset(&f, 'x', sizeof(f));
	f.skipped = 7;
	f.reserved = 0;
	CHECK_INT(msg_send(sv[0], MSG_FRAME, &f, sizeof(f.ref)), -EINVAL, "a FRAME of a bare ref's size is refused");
	CHECK_INT(msg_send(sv[0], MSG_FRAME, &f, sizeof(f)), 0, "send a frame");
	CHECK_INT(msg_recv(sv[1], &m), 1, "receive it");
	CHECK_INT(m.u.frame.skipped, 7, "skipped arrives");
	CHECK_INT(strlen(m.u.frame.ref.frame_id), FRAMEID_SIZE - 1, "its frame id is terminated inside its field");

	close(sv[0]);
	CHECK_INT(msg_recv(sv[1], &m), 0, "EOF after the peer closes");
	close(sv[1]);
}

/* FRAME_EMPTY: ingest's "nobody in this frame", passed on by the
 * dispatcher: its times arrive, its strings are terminated, and a body of
 * another type's size is refused both ways. */
CASE(frame_empty)
{
	struct msg_frame_empty e;
	struct msg m;
	unsigned char raw[sizeof(struct msg_hdr) + sizeof(e)];
	int sv[2];

	CHECK_INT(msg_body_size(MSG_FRAME_EMPTY), sizeof(struct msg_frame_empty), "frame_empty size");
	CHECK_STR(msg_type_name(MSG_FRAME_EMPTY), "frame_empty", "frame_empty name");
	CHECK(MSG_VERSION >= 8, "the version was bumped for it");
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	memset(&e, 'x', sizeof(e));
	e.received_us = 1764026596123456;
	e.checked_us = 1764026596173456;
	CHECK_INT(msg_send(sv[0], MSG_FRAME_EMPTY, &e, sizeof(struct msg_frame_ref)), -EINVAL,
	    "a FRAME_EMPTY of a bare ref's size is refused");
	CHECK_INT(msg_send(sv[0], MSG_FRAME_EMPTY, &e, sizeof(e)), 0, "send frame_empty");
	CHECK_INT(msg_recv(sv[1], &m), 1, "receive frame_empty");
	CHECK_INT(m.hdr.type, MSG_FRAME_EMPTY, "its type");
	CHECK(m.u.empty.received_us == 1764026596123456 && m.u.empty.checked_us == 1764026596173456, "its times");
	CHECK_INT(strlen(m.u.empty.ref.camera), CAMERA_ID_SIZE - 1, "camera terminated inside its field");
	CHECK_INT(strlen(m.u.empty.ref.frame_id), FRAMEID_SIZE - 1, "frame id terminated inside its field");
	/* a datagram that says FRAME_EMPTY with a FRAME's body */
	msg_header((struct msg_hdr *)raw, MSG_FRAME_EMPTY, sizeof(struct msg_frame));
	memset(raw + sizeof(struct msg_hdr), 0, sizeof(e));
	CHECK_INT((int)send(sv[0], raw, sizeof(struct msg_hdr) + sizeof(struct msg_frame), 0),
	    (int)(sizeof(struct msg_hdr) + sizeof(struct msg_frame)), "send a short one by hand");
	CHECK_INT(msg_recv(sv[1], &m), -EPROTO, "a FRAME_EMPTY of a FRAME's size is -EPROTO");
	close(sv[0]);
	close(sv[1]);
}

/* Listen, connect, round trip, stale socket replaced, live one refused. */
CASE(listen)
{
	char path[PATH_MAX];
	struct stat st;
	struct msg m;
	int lfd, cfd, afd;

	snprintf(path, sizeof(path), "%s/d.sock", check_tmpdir());
	lfd = msg_listen(path);
	CHECK(lfd >= 0, "listen on a fresh path");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0660, "socket mode is 0660");
	CHECK_INT(msg_listen(path), -EADDRINUSE, "a second listener on a live socket is -EADDRINUSE");
	cfd = msg_connect(path, 0);
	CHECK(cfd >= 0, "connect");
	msg_hello(cfd, MSG_ROLE_INGEST, NULL);
	afd = accept(lfd, NULL, NULL);
	/* the -EADDRINUSE probe left one connection in the backlog before ours */
	if (afd >= 0 && msg_recv(afd, &m) == 0) {
		close(afd);
		afd = accept(lfd, NULL, NULL);
	}
	CHECK(afd >= 0, "accept");
	CHECK_INT(msg_recv(afd, &m), 1, "hello over the listening socket");
	CHECK_INT(m.u.hello.role, MSG_ROLE_INGEST, "role ingest");
	CHECK_STR(m.u.hello.camera, "", "no camera for ingest");
	{
		int nb = msg_connect(path, 1);
		int a2 = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

		CHECK(nb >= 0 && a2 >= 0, "non-blocking connect");
		CHECK_INT(msg_recv(a2, &m), -EAGAIN, "recv on an empty non-blocking socket is -EAGAIN");
		close(nb);
		close(a2);
	}
	close(cfd);
	close(afd);
	close(lfd);
	/* the file stays behind, as after a crash */
	lfd = msg_listen(path);
	CHECK(lfd >= 0, "a stale socket file is replaced");
	close(lfd);
	unlink(path);
	CHECK_INT(msg_connect(path, 1), -ENOENT, "connect to a missing path is -ENOENT");
	mkdir("notasock", 0700);
	snprintf(path, sizeof(path), "%s/notasock", check_tmpdir());
	CHECK_INT(msg_listen(path), -EEXIST, "listen refuses to replace a non-socket");
	rmdir(path);
}

CHECK_MAIN()
