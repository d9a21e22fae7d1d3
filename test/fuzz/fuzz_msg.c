/* fuzz_msg - libFuzzer: one datagram on a SOCK_SEQPACKET socket through
 * msg_recv (header, version, type and exact-size checks), then the
 * fields the receivers use for names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sv[2] = { -1, -1 };
	static struct msg m;
	int rc;

	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		abort();
	if (size > MSG_SIZE_MAX * 2)
		size = MSG_SIZE_MAX * 2;
	if (send(sv[1], data, size, 0) != (ssize_t)size)
		return 0;
	rc = msg_recv(sv[0], &m);
	if (rc > 0) {
		(void)msg_type_name(m.hdr.type);
		(void)msg_body_size(m.hdr.type);
		if (m.hdr.type == MSG_VERDICT) {
			(void)msg_verdict_name(m.u.verdict.verdict);
			(void)msg_reason_name(m.u.verdict.reason);
		}
		if (m.hdr.type == MSG_FRAME_EMPTY && /* what the dispatcher and worker check */
		    util_camera_id_valid(m.u.empty.ref.camera) && frameid_valid(m.u.empty.ref.frame_id))
			(void)frameid_time_us(m.u.empty.ref.frame_id);
	}
	return 0;
}
