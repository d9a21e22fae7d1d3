/* msg - encode, send, receive and check the typed messages of msg.h over
 * AF_UNIX SOCK_SEQPACKET. One datagram carries one message; a datagram of
 * any other shape is -EPROTO and the caller drops that peer. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "msg.h"

_Static_assert(sizeof(struct msg) <= MSG_SIZE_MAX, "struct msg exceeds MSG_SIZE_MAX");
_Static_assert(sizeof(struct msg_result) + sizeof(struct msg_hdr) <= MSG_SIZE_MAX, "msg_result too big");

static const struct {
	const char *name;
	size_t size;
} msg_types[MSG_TYPE_MAX] = {
	[MSG_HELLO] = { "hello", sizeof(struct msg_hello) },
	[MSG_FRAME_READY] = { "frame_ready", sizeof(struct msg_frame_ref) },
	[MSG_FRAME] = { "frame", sizeof(struct msg_frame_ref) },
	[MSG_FRAME_DONE] = { "frame_done", sizeof(struct msg_frame_done) },
	[MSG_RESULT] = { "result", sizeof(struct msg_result) },
	[MSG_RESULT_ACK] = { "result_ack", sizeof(struct msg_frame_ref) },
	[MSG_VERDICT] = { "verdict", sizeof(struct msg_verdict) },
	[MSG_CAMERA_STATS] = { "camera_stats", sizeof(struct msg_camera_stats) },
	[MSG_QUEUE_STATUS] = { "queue_status", sizeof(struct msg_queue_status) },
	[MSG_TAKEOVER] = { "takeover", sizeof(struct msg_takeover) },
	[MSG_TRACK_STATE] = { "track_state", sizeof(struct msg_track_state) },
	[MSG_GATE_SYNC] = { "gate_sync", sizeof(struct msg_gate_sync) },
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

/* MSG_TERM - terminate a char array field at its last byte. */
#define MSG_TERM(field) ((field)[sizeof(field) - 1] = '\0')

static void
msg_terminate_ref(struct msg_frame_ref *ref)
{
	MSG_TERM(ref->camera);
	MSG_TERM(ref->frame_id);
}

/* msg_terminate - strings inside come from another process: terminate
 * them here so no receiver can read past a field. */
static void
msg_terminate(struct msg *m)
{
	switch (m->hdr.type) {
	case MSG_HELLO:
		MSG_TERM(m->u.hello.camera);
		break;
	case MSG_FRAME_READY:
	case MSG_FRAME:
	case MSG_RESULT_ACK:
		msg_terminate_ref(&m->u.ref);
		break;
	case MSG_FRAME_DONE:
		msg_terminate_ref(&m->u.done.ref);
		MSG_TERM(m->u.done.reason);
		break;
	case MSG_RESULT:
		msg_terminate_ref(&m->u.result.ref);
		MSG_TERM(m->u.result.snapshot);
		break;
	case MSG_VERDICT:
		msg_terminate_ref(&m->u.verdict.ref);
		MSG_TERM(m->u.verdict.by);
		MSG_TERM(m->u.verdict.snapshot);
		break;
	case MSG_TAKEOVER:
		MSG_TERM(m->u.takeover.camera);
		break;
	case MSG_GATE_SYNC:
		MSG_TERM(m->u.gate_sync.camera);
		break;
	case MSG_TRACK_STATE:
		MSG_TERM(m->u.track_state.camera);
		MSG_TERM(m->u.track_state.snapshot);
		break;
	case MSG_CAMERA_STATS:
		MSG_TERM(m->u.camera_stats.camera);
		break;
	case MSG_QUEUE_STATUS:
		MSG_TERM(m->u.queue_status.camera);
		break;
	}
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
