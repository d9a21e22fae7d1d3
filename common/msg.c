/* msg - encode, send, receive and check the typed messages of msg.h over
 * AF_UNIX SOCK_SEQPACKET. One datagram carries one message; a datagram of
 * any other shape is -EPROTO and the caller drops that peer. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "msg.h"

_Static_assert(sizeof(struct msg) <= MSG_SIZE_MAX, "struct msg exceeds MSG_SIZE_MAX");
_Static_assert(sizeof(struct msg_result) + sizeof(struct msg_hdr) <= MSG_SIZE_MAX, "msg_result too big");

#define MSG_STRINGS_MAX 4 /* char arrays in one message body, at most */

/* MSG_STR - a char array field of a body type: its offset and size. */
#define MSG_STR(type, field) { offsetof(type, field), sizeof(((type *)0)->field) }

/* Per message type: its name, its exact body size and the char arrays in
 * the body, which msg_recv terminates (they come from another process). */
static const struct {
	const char *name;
	size_t size;
	struct { size_t off, size; } str[MSG_STRINGS_MAX]; /* size 0 ends the list */
} msg_types[MSG_TYPE_MAX] = {
	[MSG_HELLO] = { "hello", sizeof(struct msg_hello),
	    { MSG_STR(struct msg_hello, camera) } },
	[MSG_FRAME_READY] = { "frame_ready", sizeof(struct msg_frame_ref),
	    { MSG_STR(struct msg_frame_ref, camera), MSG_STR(struct msg_frame_ref, frame_id) } },
	[MSG_FRAME] = { "frame", sizeof(struct msg_frame),
	    { MSG_STR(struct msg_frame, ref.camera), MSG_STR(struct msg_frame, ref.frame_id) } },
	[MSG_FRAME_DONE] = { "frame_done", sizeof(struct msg_frame_done),
	    { MSG_STR(struct msg_frame_done, ref.camera), MSG_STR(struct msg_frame_done, ref.frame_id),
	      MSG_STR(struct msg_frame_done, reason) } },
	[MSG_RESULT] = { "result", sizeof(struct msg_result),
	    { MSG_STR(struct msg_result, ref.camera), MSG_STR(struct msg_result, ref.frame_id),
	      MSG_STR(struct msg_result, snapshot) } },
	[MSG_RESULT_ACK] = { "result_ack", sizeof(struct msg_frame_ref),
	    { MSG_STR(struct msg_frame_ref, camera), MSG_STR(struct msg_frame_ref, frame_id) } },
	[MSG_VERDICT] = { "verdict", sizeof(struct msg_verdict),
	    { MSG_STR(struct msg_verdict, ref.camera), MSG_STR(struct msg_verdict, ref.frame_id),
	      MSG_STR(struct msg_verdict, by), MSG_STR(struct msg_verdict, snapshot) } },
	[MSG_CAMERA_STATS] = { "camera_stats", sizeof(struct msg_camera_stats),
	    { MSG_STR(struct msg_camera_stats, camera) } },
	[MSG_QUEUE_STATUS] = { "queue_status", sizeof(struct msg_queue_status),
	    { MSG_STR(struct msg_queue_status, camera) } },
	[MSG_TAKEOVER] = { "takeover", sizeof(struct msg_takeover),
	    { MSG_STR(struct msg_takeover, camera) } },
	[MSG_TRACK_STATE] = { "track_state", sizeof(struct msg_track_state),
	    { MSG_STR(struct msg_track_state, camera), MSG_STR(struct msg_track_state, snapshot) } },
	[MSG_GATE_SYNC] = { "gate_sync", sizeof(struct msg_gate_sync),
	    { MSG_STR(struct msg_gate_sync, camera) } },
	[MSG_FRAME_EMPTY] = { "frame_empty", sizeof(struct msg_frame_empty),
	    { MSG_STR(struct msg_frame_empty, ref.camera), MSG_STR(struct msg_frame_empty, ref.frame_id) } },
};

size_t
msg_body_size(unsigned type)
{
	if (type == 0 || type >= MSG_TYPE_MAX)
		return 0;
	return msg_types[type].size;
}

const char *
msg_type_name(unsigned type)
{
	if (type == 0 || type >= MSG_TYPE_MAX)
		return "unknown";
	return msg_types[type].name;
}

void
msg_header(struct msg_hdr *h, unsigned type, size_t len)
{
	memset(h, 0, sizeof(*h));
	h->magic = MSG_MAGIC;
	h->version = MSG_VERSION;
	h->type = (uint16_t)type;
	h->len = (uint32_t)len;
}

int
msg_send(int fd, unsigned type, const void *body, size_t len)
{
	struct msg_hdr hdr;
	struct iovec iov[2];
	struct msghdr mh;
	ssize_t n;

	if (msg_body_size(type) == 0 || len != msg_body_size(type))
		return -EINVAL;
	msg_header(&hdr, type, len);
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)(uintptr_t)body;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if ((size_t)n != sizeof(hdr) + len)
		return -EMSGSIZE; /* cannot happen on SEQPACKET: all or nothing */
	return 0;
}

/* msg_terminate - strings inside come from another process: terminate
 * them here so no receiver can read past a field. The type is known. */
static void
msg_terminate(struct msg *m)
{
	char *body = (char *)&m->u;
	int i;

	for (i = 0; i < MSG_STRINGS_MAX && msg_types[m->hdr.type].str[i].size > 0; i++)
		body[msg_types[m->hdr.type].str[i].off + msg_types[m->hdr.type].str[i].size - 1] = '\0';
}

int
msg_recv(int fd, struct msg *m)
{
	ssize_t n;
	size_t want;

	do
		n = recv(fd, m, sizeof(*m), MSG_TRUNC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return 0;
	/* MSG_TRUNC makes n the datagram's real size, so oversize shows here. */
	if ((size_t)n < sizeof(m->hdr) || (size_t)n > sizeof(*m))
		return -EPROTO;
	if (m->hdr.magic != MSG_MAGIC || m->hdr.version != MSG_VERSION)
		return -EPROTO;
	want = msg_body_size(m->hdr.type);
	if (want == 0 || m->hdr.len != want || (size_t)n != sizeof(m->hdr) + want)
		return -EPROTO;
	msg_terminate(m);
	return 1;
}

static int
msg_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int
msg_listen(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if ((rc = msg_addr(path, &sun)) != 0)
		return rc;
	/* Replace a stale socket left by a crash; never remove anything else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if ((fd = msg_connect(path, 1)) >= 0) {
			close(fd);
			return -EADDRINUSE; /* someone is serving it */
		}
		if (unlink(path) == -1 && errno != ENOENT)
			return -errno;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0660) == -1 || listen(fd, 64) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int
msg_connect(const char *path, int nonblock)
{
	struct sockaddr_un sun;
	int fd, rc;

	if ((rc = msg_addr(path, &sun)) != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1)
		return -errno;
	/* AF_UNIX connect completes at once or fails (EAGAIN: backlog full). */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	/* a socket file another user put there is not our program */
	if ((rc = msg_peer_check(fd, NULL, NULL)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
msg_peer_check(int fd, int *pid, int *uid)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return -errno;
	if (pid)
		*pid = (int)cr.pid;
	if (uid)
		*uid = (int)cr.uid;
	return cr.uid == geteuid() || cr.uid == 0 ? 0 : -EPERM;
}

int
msg_hello(int fd, enum msg_role role, const char *camera)
{
	struct msg_hello h;

	memset(&h, 0, sizeof(h));
	h.role = role;
	h.pid = (int32_t)getpid();
	if (camera)
		strncpy(h.camera, camera, sizeof(h.camera) - 1);
	return msg_send(fd, MSG_HELLO, &h, sizeof(h));
}

const char *
msg_mask_name(unsigned mask)
{
	static const char *n[] = { "unknown", "mask_on", "mask_off", "mask_chin" };

	return mask < 4 ? n[mask] : "unknown";
}

const char *
msg_verdict_name(unsigned verdict)
{
	static const char *n[] = { "none", "PASS", "DENY" };

	return verdict < 3 ? n[verdict] : "none";
}

const char *
msg_reason_name(unsigned reason)
{
	static const char *n[MSG_REASONS] = { "", "no_mask", "mask_chin", "temperature", "no_face",
	    "face_not_visible", "face_too_small", "override" };

	return reason < MSG_REASONS ? n[reason] : "";
}

int
msg_reason_parse(const char *s)
{
	unsigned r;

	for (r = 0; r < MSG_REASONS; r++)
		if (strcmp(s, msg_reason_name(r)) == 0)
			return (int)r;
	return -1;
}
