/* test_maskcls - the mask classifier's thresholds file (read, refused with
 * a reason naming the file when malformed), maskcls_decide's rule, and
 * maskcls_run's mirror averaging (a mirrored face gets the same answer).
 * Uses the committed network in models/trained/ (MASK_MODELS overrides),
 * copied into each case's temp dir beside the thresholds file under test. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nn.h"

static int
test_maskcls_copy(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;
	int rc = in && out ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* test_maskcls_write - the case's temp dir's file name holds text (NULL: no file) */
static void
test_maskcls_write(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), name);
	if (text == NULL) {
		unlink(path);
		return;
	}
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* open_err - maskcls_open must fail; its message must hold want. */
static void
test_maskcls_open_err(const char *text, const char *want, const char *what)
{
	char err[512] = "", msg[640];
	struct maskcls *mc;

	test_maskcls_write("mask.thresholds", text);
	mc = maskcls_open(check_tmpdir(), err, sizeof(err));
	snprintf(msg, sizeof(msg), "%s: refused, \"%s\" in \"%s\"", what, want, err);
	CHECK(mc == NULL && strstr(err, want) != NULL && strstr(err, "mask.thresholds") != NULL, msg);
	maskcls_close(mc);
}

/* Copies the network into the case's temp dir: 0, or -1 after a failed check. */
static int
test_maskcls_setup(void)
{
	static const char *files[] = { "mask.cfg", "mask.weights", "mask.labels" };
	const char *src = getenv("MASK_MODELS") ? getenv("MASK_MODELS") : "models/trained";
	char from[PATH_MAX + 64], to[PATH_MAX + 64], what[PATH_MAX + 128];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s%s/%s", src[0] == '/' ? "" : check_root(), src[0] == '/' ? "" : "/",
		    src, files[i]);
		snprintf(to, sizeof(to), "%s/%s", check_tmpdir(), files[i]);
		snprintf(what, sizeof(what), "copy %s (MASK_MODELS names another folder)", from);
		if (test_maskcls_copy(from, to) < 0) {
			CHECK(0, what);
			return -1;
		}
	}
	return 0;
}

/* Copies the network, writes the thresholds the cases below use, opens. */
static struct maskcls *
test_maskcls_open(void)
{
	char err[512] = "";
	struct maskcls *mc;

	if (test_maskcls_setup() < 0)
		return NULL;
	test_maskcls_write("mask.thresholds", "# notes are allowed\n\nmask_on 0.6\nmask_off 0.5\nmask_chin 0.9\n");
	mc = maskcls_open(check_tmpdir(), err, sizeof(err));
	CHECK(mc != NULL, "thresholds with a note and a blank line load");
	if (mc == NULL)
		printf("# %s\n", err);
	return mc;
}

CASE(thresholds_refused)
{
	if (test_maskcls_setup() < 0)
		return;
	test_maskcls_open_err(NULL, "No such file", "no mask.thresholds");
	test_maskcls_open_err("mask_on 0.5\nmask_off 0.5\n", "no threshold for mask_chin", "a class missing");
	test_maskcls_open_err("mask_on 0.5\nmask_off 0.5\nmask_chin 0.5\nmask_nose 0.5\n", "unknown class", "an unknown class");
	test_maskcls_open_err("mask_on 0.5\nmask_off 0.5\nmask_on 0.4\nmask_chin 0.5\n", "repeated class", "a class twice");
	test_maskcls_open_err("mask_on 1.5\nmask_off 0.5\nmask_chin 0.5\n", ":1: want", "a probability over 1");
	test_maskcls_open_err("mask_on 0.5\nmask_off -0.1\nmask_chin 0.5\n", ":2: want", "a negative probability");
	test_maskcls_open_err("mask_on 0.5 0.6\nmask_off 0.5\nmask_chin 0.5\n", ":1: want", "a trailing word");
	test_maskcls_open_err("mask_on nan\nmask_off 0.5\nmask_chin 0.5\n", ":1: want", "not a number");
}

CASE(thresholds_and_decide)
{
	struct maskcls *mc = test_maskcls_open();

	if (mc == NULL)
		return;
	CHECK(maskcls_threshold(mc, MASKCLS_ON) == 0.6f && maskcls_threshold(mc, MASKCLS_OFF) == 0.5f &&
	    maskcls_threshold(mc, MASKCLS_CHIN) == 0.9f, "maskcls_threshold gives the file's values");
	CHECK(maskcls_threshold(mc, 7) == 1, "no threshold for a class that does not exist");
	CHECK_INT(maskcls_decide(mc, (float[]){ 0.6f, 0.3f, 0.1f }), MASKCLS_ON, "mask_on at its threshold");
	CHECK_INT(maskcls_decide(mc, (float[]){ 0.59f, 0.3f, 0.11f }), MASKCLS_UNSURE, "mask_on under its threshold");
	CHECK_INT(maskcls_decide(mc, (float[]){ 0.2f, 0.5f, 0.3f }), MASKCLS_OFF, "mask_off at its threshold");
	CHECK_INT(maskcls_decide(mc, (float[]){ 0.05f, 0.07f, 0.88f }), MASKCLS_UNSURE, "mask_chin under its threshold");
	CHECK_INT(maskcls_decide(mc, (float[]){ 0.02f, 0.03f, 0.95f }), MASKCLS_CHIN, "mask_chin over its threshold");
	maskcls_close(mc);
}

/* a face-like test card and its mirror image: mirror averaging means
 * the mirrored face (box mirrored too) gets the same probabilities */
CASE(mirror)
{
	struct maskcls *mc = test_maskcls_open();
	struct nn_box box = { 20, 14, 40, 48, 1 }, mbox;
	float p[MASKCLS_N], q[MASKCLS_N], d = 0;
	struct image im, mir;
	int x, y, c, a, b;

	if (mc == NULL)
		return;
	im.w = mir.w = 80;
	im.h = mir.h = 76;
	im.rgb = malloc((size_t)im.w * im.h * 3);
	mir.rgb = malloc((size_t)im.w * im.h * 3);
	for (y = 0; y < im.h; y++)
		for (x = 0; x < im.w; x++)
			for (c = 0; c < 3; c++)
				im.rgb[((size_t)y * im.w + x) * 3 + c] =
				    (unsigned char)((x * 7 + y * 3 * (c + 1) + (x * y) % 23) & 255);
	for (y = 0; y < im.h; y++)
		for (x = 0; x < im.w; x++)
			memcpy(mir.rgb + ((size_t)y * im.w + x) * 3, im.rgb + ((size_t)y * im.w + im.w - 1 - x) * 3, 3);
	mbox = box;
	mbox.x = im.w - box.x - box.w;
	a = maskcls_run(mc, &im, &box, p);
	b = maskcls_run(mc, &mir, &mbox, q);
	for (c = 0; c < MASKCLS_N; c++)
		d = fmaxf(d, fabsf(p[c] - q[c]));
	CHECK(a >= 0 && a < MASKCLS_N && a == b, "a face and its mirror image get the same class");
	CHECK(d < 1e-4f, "... and the same probabilities (within 1e-4)");
	CHECK(fabsf(p[0] + p[1] + p[2] - 1) < 1e-4f, "probabilities sum to 1");
	box.w = 0;
	CHECK_INT(maskcls_run(mc, &im, &box, p), -EINVAL, "an empty face box is refused");
	free(im.rgb);
	free(mir.rgb);
	maskcls_close(mc);
}

/* mask.region "nose": the head reads maskcls_nose_box's crop, so the face
 * box gives what a face-region head gives on the nose box; "face" and no
 * file are the same; anything else is refused naming the file */
CASE(region)
{
	struct maskcls *mc = test_maskcls_open(), *nose;
	struct nn_box box = { 20, 14, 40, 48, 1 }, nb;
	float p[MASKCLS_N], q[MASKCLS_N], r[MASKCLS_N], d = 0, dface = 0;
	char err[512] = "";
	struct image im;
	int x, y, c;

	if (mc == NULL)
		return;
	im.w = 80;
	im.h = 76;
	im.rgb = malloc((size_t)im.w * im.h * 3);
	for (y = 0; y < im.h; y++)
		for (x = 0; x < im.w; x++)
			for (c = 0; c < 3; c++)
				im.rgb[((size_t)y * im.w + x) * 3 + c] =
				    (unsigned char)((x * 5 + y * y * (c + 2) + (x * y) % 19) & 255);
	maskcls_nose_box(&box, &nb);
	CHECK(fabsf(nb.x + nb.w / 2 - 40) < 1e-4f && fabsf(nb.w - nb.h) < 1e-4f &&
	    fabsf(nb.w * 1.4f - 0.5f * 48) < 1e-3f && fabsf(nb.y + nb.h / 2 - (14 + 0.47f * 48)) < 1e-3f,
	    "the nose box: centred across the face, its crop rows 0.22-0.72 of the face's height");
	test_maskcls_write("mask.region", "nose\n");
	nose = maskcls_open(check_tmpdir(), err, sizeof(err));
	CHECK(nose != NULL, "mask.region \"nose\" loads");
	if (nose != NULL) {
		maskcls_run(nose, &im, &box, p);
		maskcls_run(mc, &im, &nb, q);
		maskcls_run(mc, &im, &box, r);
		for (c = 0; c < MASKCLS_N; c++) {
			d = fmaxf(d, fabsf(p[c] - q[c]));
			dface = fmaxf(dface, fabsf(p[c] - r[c]));
		}
		CHECK(d < 1e-6f, "a nose head on the face box = the face head on maskcls_nose_box's box");
		CHECK(dface > 1e-4f, "... which is another crop than the face's");
		maskcls_close(nose);
	}
	test_maskcls_write("mask.region", "face\n");
	nose = maskcls_open(check_tmpdir(), err, sizeof(err));
	CHECK(nose != NULL, "mask.region \"face\" loads");
	if (nose != NULL) {
		maskcls_run(nose, &im, &box, p);
		CHECK(memcmp(p, r, sizeof(p)) == 0, "... and crops as without the file");
		maskcls_close(nose);
	}
	test_maskcls_write("mask.region", "chin\n");
	nose = maskcls_open(check_tmpdir(), err, sizeof(err));
	CHECK(nose == NULL && strstr(err, "mask.region") != NULL, "mask.region \"chin\" is refused, naming the file");
	maskcls_close(nose);
	test_maskcls_write("mask.region", NULL);
	free(im.rgb);
	maskcls_close(mc);
}

CHECK_MAIN()
