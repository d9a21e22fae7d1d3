/* test_fifo - the dispatcher's per-camera frame order: sorted by id,
 * duplicates ignored, one frame in flight, crash counting, and rebuilding
 * the order from a real spool after spool_recover(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fifo.h"
#include "spool.h"

static int
test_fifo_list_cb(const char *camera, const char *frame_id, size_t bytes, void *arg)
{
	struct fifo *f = arg;

	(void)bytes;
	if (strcmp(camera, "gate1") == 0)
		fifo_push(f, frame_id);
	return 0;
}

CASE(order_and_crashes)
{
	const char *a = "1764026596000001-000", *b = "1764026596000002-000",
	    *c = "1764026596000003-000", *d = "1764026596000004-000";
	char id[FRAMEID_SIZE], failed[FRAMEID_SIZE];
	struct fifo f;
	int count;

	fifo_init(&f);
	CHECK_INT(fifo_take(&f, id), -ENOENT, "take from an empty fifo is -ENOENT");
	CHECK_INT(fifo_push(&f, c), 1, "push c");
	CHECK_INT(fifo_push(&f, a), 1, "push a (older, late)");
	CHECK_INT(fifo_push(&f, b), 1, "push b");
	CHECK_INT(fifo_push(&f, b), 0, "push b again is ignored");
	CHECK_INT(fifo_push(&f, "../../x"), -EINVAL, "push of an invalid id is -EINVAL");
	CHECK_INT(fifo_len(&f), 3, "three queued");
	CHECK_INT(fifo_take(&f, id), 0, "take");
	CHECK_STR(id, a, "oldest id first, whatever the push order");
	CHECK_INT(fifo_take(&f, id), -EBUSY, "a second take while one is in flight is -EBUSY");
	CHECK_INT(fifo_push(&f, a), 0, "pushing the frame in flight is ignored");
	CHECK_INT(fifo_contains(&f, a), 1, "contains the frame in flight");
	CHECK_INT(fifo_len(&f), 2, "len does not count the frame in flight");
	CHECK_INT(fifo_done(&f, b), -ENOENT, "done for a frame not in flight is -ENOENT");
	CHECK_INT(fifo_done(&f, a), 0, "done for the frame in flight");
	CHECK_INT(fifo_contains(&f, a), 0, "a done frame is forgotten");

	/* Worker dies on b once: b goes back to the head; twice: b fails. */
	fifo_take(&f, id);
	CHECK_STR(id, b, "b next");
	CHECK_INT(fifo_crash(&f, 2, failed, &count), 0, "first death on b requeues it");
	CHECK_INT(count, 1, "one death counted");
	CHECK_INT(fifo_len(&f), 2, "b is queued again");
	fifo_take(&f, id);
	CHECK_STR(id, b, "b is retried first, before c");
	CHECK_INT(fifo_crash(&f, 2, failed, &count), 1, "second death on b fails it");
	CHECK_INT(count, 2, "two deaths counted");
	CHECK_STR(failed, b, "the failed id is b");
	CHECK_INT(fifo_contains(&f, b), 0, "b has left the fifo");
	CHECK_INT(fifo_crash(&f, 2, failed, &count), -ENOENT, "crash with nothing in flight is -ENOENT");

	/* A death on c, then c succeeds: its count is reset; a later death on
	 * d starts from one. */
	fifo_push(&f, d);
	fifo_take(&f, id);
	CHECK_STR(id, c, "c next");
	fifo_crash(&f, 2, failed, &count);
	fifo_take(&f, id);
	CHECK_INT(fifo_done(&f, c), 0, "c done after one death");
	fifo_take(&f, id);
	CHECK_STR(id, d, "d next");
	CHECK_INT(fifo_crash(&f, 2, failed, &count), 0, "a death on d after c succeeded requeues d");
	CHECK_INT(count, 1, "d's count starts at one");

	/* giveback: no crash counted. */
	fifo_take(&f, id);
	fifo_giveback(&f);
	CHECK_INT(fifo_len(&f), 1, "giveback requeues d");
	fifo_take(&f, id);
	CHECK_INT(fifo_crash(&f, 2, failed, &count), 1, "d's earlier death still counts after a giveback");
	CHECK_INT(fifo_len(&f), 0, "empty");
	fifo_free(&f);
}

/* skip_older: the ids the callback saw, in order. */
struct test_fifo_seen {
	char ids[8][FRAMEID_SIZE];
	int n;
};

static void
test_fifo_seen_cb(const char *id, void *arg)
{
	struct test_fifo_seen *s = arg;

	if (s->n < 8)
		snprintf(s->ids[s->n], FRAMEID_SIZE, "%s", id);
	s->n++;
}

/* A gate camera's stale frames: only the newest queued one stays, the
 * others go to the callback oldest first; the frame in flight stays. */
CASE(skip_older)
{
	const char *a = "1764026596000001-000", *b = "1764026596000002-000",
	    *c = "1764026596000003-000", *d = "1764026596000004-000";
	struct test_fifo_seen s;
	char id[FRAMEID_SIZE];
	struct fifo f;

	fifo_init(&f);
	memset(&s, 0, sizeof(s));
	CHECK_INT(fifo_skip_older(&f, test_fifo_seen_cb, &s), 0, "nothing to skip in an empty fifo");
	fifo_push(&f, a);
	CHECK_INT(fifo_skip_older(&f, test_fifo_seen_cb, &s), 0, "one queued frame is the newest: kept");
	CHECK_INT(s.n, 0, "no callback");
	fifo_take(&f, id);
	fifo_push(&f, d);
	fifo_push(&f, b);
	fifo_push(&f, c);
	CHECK_INT(fifo_skip_older(&f, test_fifo_seen_cb, &s), 2, "two of three queued frames skipped");
	CHECK_INT(s.n, 2, "the callback saw each skipped frame once");
	CHECK_STR(s.ids[0], b, "oldest skipped first");
	CHECK_STR(s.ids[1], c, "then the next");
	CHECK_INT(fifo_len(&f), 1, "one frame left queued");
	CHECK_INT(fifo_contains(&f, a), 1, "the frame in flight is untouched");
	CHECK_INT(fifo_contains(&f, b) || fifo_contains(&f, c), 0, "skipped frames have left the fifo");
	CHECK_INT(fifo_done(&f, a), 0, "the frame in flight finishes as usual");
	CHECK_INT(fifo_take(&f, id), 0, "take");
	CHECK_STR(id, d, "the newest frame is next");
	CHECK_INT(fifo_push(&f, b), 1, "a skipped id can be queued again (found again by a rescan)");
	fifo_free(&f);
}

/* Many out of order pushes stay sorted. */
CASE(many_sorted)
{
	char id[FRAMEID_SIZE];
	struct fifo f;
	int i, ok;

	fifo_init(&f);
	for (i = 999; i >= 0; i--) {
		char big[64];

		snprintf(big, sizeof(big), "17640265960%05d-000", i);
		fifo_push(&f, big);
	}
	ok = 1;
	for (i = 0; i < 1000; i++) {
		char want[64];

		snprintf(want, sizeof(want), "17640265960%05d-000", i);
		if (fifo_take(&f, id) != 0 || strcmp(id, want) != 0)
			ok = 0;
		fifo_done(&f, id);
	}
	CHECK_INT(ok, 1, "1000 ids pushed newest first come out oldest first");
	fifo_free(&f);
}

/* Recovery: frames in queue/ and active/ (a worker was killed holding
 * one) and a stale tmp/ file; after spool_recover the rebuilt fifo holds
 * all of them in id order, the claimed one first. */
CASE(recover)
{
	const char *a = "1764026596000001-000", *b = "1764026596000002-000",
	    *c = "1764026596000003-000", *d = "1764026596000004-000";
	char id[FRAMEID_SIZE], root[256];
	struct spool sp;
	struct fifo f;
	int stale, requeued;

	snprintf(root, sizeof(root), "%s/spool", check_tmpdir());
	CHECK_INT(spool_open(&sp, root, 100, 1 << 20, 0), 0, "spool_open");
	CHECK_INT(spool_commit(&sp, "gate1", c, "jpg", "\xff\xd8x\xff\xd9", 5, NULL), 0, "commit c");
	CHECK_INT(spool_commit(&sp, "gate1", a, "jpg", "\xff\xd8x\xff\xd9", 5, NULL), 0, "commit a");
	CHECK_INT(spool_commit(&sp, "gate1", b, "jpg", "\xff\xd8x\xff\xd9", 5, NULL), 0, "commit b");
	CHECK_INT(spool_commit(&sp, "lobby", d, "jpg", "\xff\xd8x\xff\xd9", 5, NULL), 0, "commit d for another camera");
	CHECK_INT(spool_claim(&sp, "gate1", a), 0, "claim a (the worker held it)");
	{
		char tmp[300];
		FILE *t;

		snprintf(tmp, sizeof(tmp), "%s/tmp/gate1.%s.jpg", root, "1764026596000009-000");
		struct timeval old[2] = { { time(NULL) - 3600, 0 }, { time(NULL) - 3600, 0 } };

		t = fopen(tmp, "w");
		if (t)
			fclose(t);
		utimes(tmp, old); /* a dead writer's file, not one being written now */
	}
	CHECK_INT(spool_recover(&sp, &stale, &requeued), 0, "spool_recover");
	CHECK_INT(stale, 1, "one stale tmp file removed");
	CHECK_INT(requeued, 1, "one active frame requeued");
	fifo_init(&f);
	CHECK_INT(spool_list(&sp, SPOOL_QUEUE, NULL, test_fifo_list_cb, &f), 0, "spool_list");
	CHECK_INT(fifo_len(&f), 3, "gate1 has three frames after recovery");
	fifo_take(&f, id);
	CHECK_STR(id, a, "the recovered frame is first");
	/* the worker claims a; a rescan meanwhile must not queue it twice */
	spool_claim(&sp, "gate1", a);
	CHECK_INT(spool_list(&sp, SPOOL_QUEUE, NULL, test_fifo_list_cb, &f), 0, "rescan while a is in flight");
	CHECK_INT(fifo_len(&f), 2, "a rescan adds nothing new");
	spool_done(&sp, "gate1", a);
	fifo_done(&f, id);
	fifo_take(&f, id);
	CHECK_STR(id, b, "then b");
	spool_claim(&sp, "gate1", b);
	spool_done(&sp, "gate1", b);
	fifo_done(&f, id);
	CHECK_INT(spool_list(&sp, SPOOL_QUEUE, NULL, test_fifo_list_cb, &f), 0, "rescan after a and b are done");
	CHECK_INT(fifo_len(&f), 1, "only c is left");
	fifo_take(&f, id);
	CHECK_STR(id, c, "then c");
	fifo_done(&f, id);
	fifo_free(&f);
}

CHECK_MAIN()
