/* test_image - decode real photos, refuse truncated/non-image/oversized
 * input, crop with clamping, and write JPEGs that decode again. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "image.h"
#include "util.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
/* reported at the end of the file, for stb prototypes left undefined */
#pragma GCC diagnostic ignored "-Wunused-function"

#define PHOTOS "/usr/share/darknet/data"
#define CONVERT "/usr/bin/convert"

static unsigned char *
test_image_load(const char *path, size_t *len)
{
	unsigned char *b = NULL;
	int rc = util_read_file(path, 64u << 20, &b, len);

	if (rc < 0)
		printf("# cannot read %s: %s\n", path, strerror(-rc));
	return b;
}

CASE(photos)
{
	static const struct { const char *name; int w, h; } ph[] = {
		{ "person.jpg", 640, 424 }, { "dog.jpg", 768, 576 }, { "eagle.jpg", 773, 512 },
		{ "giraffe.jpg", 500, 500 }, { "horses.jpg", 773, 512 }, { "kite.jpg", 1352, 900 },
		{ "scream.jpg", 352, 448 },
	};
	char path[256], what[128], err[256];
	size_t i, len;

	for (i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		struct image im;
		const char *ext = NULL;
		unsigned char *b;
		int w = 0, h = 0, rc;

		snprintf(path, sizeof(path), "%s/%s", PHOTOS, ph[i].name);
		b = test_image_load(path, &len);
		snprintf(what, sizeof(what), "%s is readable", ph[i].name);
		CHECK(b != NULL, what);
		if (b == NULL)
			continue;
		rc = image_probe(b, len, &ext, &w, &h, err, sizeof(err));
		snprintf(what, sizeof(what), "probe %s", ph[i].name);
		CHECK_INT(rc, 0, what);
		snprintf(what, sizeof(what), "probe %s says jpg", ph[i].name);
		CHECK_STR(ext, "jpg", what);
		snprintf(what, sizeof(what), "probe %s width", ph[i].name);
		CHECK_INT(w, ph[i].w, what);
		rc = image_decode(b, len, 4096L * 4096L, &im, err, sizeof(err));
		snprintf(what, sizeof(what), "decode %s", ph[i].name);
		if (rc != 0)
			printf("# %s: %s\n", ph[i].name, err);
		CHECK_INT(rc, 0, what);
		snprintf(what, sizeof(what), "decode %s width", ph[i].name);
		CHECK_INT(im.w, ph[i].w, what);
		snprintf(what, sizeof(what), "decode %s height", ph[i].name);
		CHECK_INT(im.h, ph[i].h, what);
		image_free(&im);
		free(b);
	}
}

/* A photo of PHOTOS, or NULL after a failed check. */
static unsigned char *
test_image_photo(const char *name, size_t *len)
{
	char path[256], what[300];
	unsigned char *b;

	snprintf(path, sizeof(path), "%s/%s", PHOTOS, name);
	b = test_image_load(path, len);
	snprintf(what, sizeof(what), "%s is readable", path);
	if (b == NULL)
		CHECK(0, what);
	return b;
}

CASE(truncated)
{
	char err[256] = "";
	struct image im;
	unsigned char *b;
	size_t len;
	int rc;

	if ((b = test_image_photo("person.jpg", &len)) == NULL)
		return;
	/* stb alone would decode this with grey blocks and return success */
	rc = image_decode(b, len * 6 / 10, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "JPEG cut at 60% is refused");
	CHECK(strstr(err, "truncated") != NULL, "JPEG cut at 60% says truncated");
	printf("# reason: %s\n", err);
	image_free(&im);
	rc = image_decode(b, len - 2, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "JPEG missing only its EOI marker is refused");
	rc = image_decode(b, 400, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "JPEG cut inside its headers is refused");
	/* trailing bytes after EOI are ignored (the spool appends metadata) */
	{
		unsigned char *t = malloc(len + 100);

		memcpy(t, b, len);
		memset(t + len, 'x', 100);
		rc = image_decode(t, len + 100, 0, &im, err, sizeof(err));
		CHECK_INT(rc, 0, "JPEG followed by trailing bytes decodes");
		CHECK_INT(im.w, 640, "JPEG with trailing bytes width");
		image_free(&im);
		free(t);
	}
	free(b);
}

CASE(not_image)
{
	static const unsigned char hdr_only[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0x12, 0x34, 0x56 };
	const char *ext;
	char err[256] = "";
	struct image im;
	int w, h, rc;

	rc = image_decode("hello, world", 12, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "text is refused");
	CHECK(strstr(err, "not a JPEG or PNG") != NULL, "text refusal names the formats");
	CHECK(im.rgb == NULL, "refused image leaves no pixels");
	rc = image_probe("GIF89a\x01\x00\x01\x00", 10, &ext, &w, &h, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "GIF is refused by probe");
	rc = image_decode("", 0, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "empty buffer is refused");
	rc = image_decode(hdr_only, sizeof(hdr_only), 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "JPEG magic with garbage is refused");
	printf("# reason: %s\n", err);
}

CASE(max_pixels)
{
	char err[256] = "";
	struct image im;
	unsigned char *b;
	size_t len;
	int rc;

	if ((b = test_image_photo("kite.jpg", &len)) == NULL)
		return;
	rc = image_decode(b, len, 1352L * 900 - 1, &im, err, sizeof(err));
	CHECK_INT(rc, -E2BIG, "1352x900 over max_pixels is refused");
	CHECK(strstr(err, "1352x900") != NULL, "max_pixels refusal names the size");
	CHECK(im.rgb == NULL, "oversized image leaves no pixels");
	rc = image_decode(b, len, 1352L * 900, &im, err, sizeof(err));
	CHECK_INT(rc, 0, "1352x900 at exactly max_pixels decodes");
	image_free(&im);
	free(b);
}

/* A tiny PNG built by hand (stored deflate), so the PNG path needs no tool. */
static uint32_t
test_image_crc32_of(const unsigned char *p, size_t n, uint32_t c)
{
	size_t i;
	int k;

	c = ~c;
	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
test_image_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

static size_t
test_image_chunk(unsigned char *out, const char *type, const unsigned char *data, uint32_t n)
{
	test_image_put32(out, n);
	memcpy(out + 4, type, 4);
	if (n)
		memcpy(out + 8, data, n);
	test_image_put32(out + 8 + n, test_image_crc32_of(out + 4, 4 + n, 0));
	return 12 + n;
}

static size_t
test_image_make_png(unsigned char *out, int w, int h)
{
	unsigned char ihdr[13], raw[1024], z[1100];
	uint32_t a = 1, bsum = 0;
	size_t n = 0, rn = 0, i;
	int x, y;

	memcpy(out, "\x89PNG\r\n\x1a\n", 8);
	n = 8;
	test_image_put32(ihdr, (uint32_t)w);
	test_image_put32(ihdr + 4, (uint32_t)h);
	ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
	n += test_image_chunk(out + n, "IHDR", ihdr, 13);
	for (y = 0; y < h; y++) {
		raw[rn++] = 0;
		for (x = 0; x < w; x++) {
			raw[rn++] = (unsigned char)(x * 40);
			raw[rn++] = (unsigned char)(y * 60);
			raw[rn++] = 200;
		}
	}
	for (i = 0; i < rn; i++) {
		a = (a + raw[i]) % 65521;
		bsum = (bsum + a) % 65521;
	}
	z[0] = 0x78; z[1] = 0x01; z[2] = 1;
	z[3] = (unsigned char)rn; z[4] = (unsigned char)(rn >> 8);
	z[5] = (unsigned char)~rn; z[6] = (unsigned char)(~rn >> 8);
	memcpy(z + 7, raw, rn);
	test_image_put32(z + 7 + rn, (bsum << 16) | a);
	n += test_image_chunk(out + n, "IDAT", z, (uint32_t)(rn + 11));
	n += test_image_chunk(out + n, "IEND", NULL, 0);
	return n;
}

CASE(png)
{
	unsigned char png[2048];
	const char *ext = NULL;
	char err[256] = "";
	struct image im;
	size_t n = test_image_make_png(png, 5, 4);
	int w, h, rc;

	rc = image_probe(png, n, &ext, &w, &h, err, sizeof(err));
	CHECK_INT(rc, 0, "probe PNG");
	CHECK_STR(ext, "png", "probe PNG says png");
	rc = image_decode(png, n, 100, &im, err, sizeof(err));
	if (rc)
		printf("# %s\n", err);
	CHECK_INT(rc, 0, "decode PNG");
	CHECK_INT(im.w * 100 + im.h, 504, "PNG is 5x4");
	if (rc == 0) {
		const unsigned char *px = im.rgb + ((size_t)2 * 5 + 3) * 3;   /* x=3, y=2 */

		CHECK_INT(px[0] * 65536 + px[1] * 256 + px[2], 120 * 65536 + 120 * 256 + 200, "PNG pixel (3,2)");
	}
	image_free(&im);
	rc = image_decode(png, n - 12, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "PNG without IEND is refused");
	CHECK(strstr(err, "truncated") != NULL, "PNG without IEND says truncated");
	rc = image_decode(png, n / 2, 0, &im, err, sizeof(err));
	CHECK_INT(rc, -EINVAL, "PNG cut in IDAT is refused");
	rc = image_decode(png, n, 19, &im, err, sizeof(err));
	CHECK_INT(rc, -E2BIG, "PNG over max_pixels is refused");
}

/* find marker m's segment in a JPEG; returns its offset (at 0xFF) or 0 */
static size_t
test_image_find_marker(const unsigned char *b, size_t len, unsigned m)
{
	size_t i = 2;

	while (i + 4 < len && b[i] == 0xFF) {
		if (b[i + 1] == m)
			return i;
		if (b[i + 1] == 0xDA)
			return 0;
		i += 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
	}
	return 0;
}

/* expect decode and probe of b to fail with -EINVAL and `want` in the message */
static void
test_image_guard_refuses(const unsigned char *b, size_t len, const char *want, const char *what)
{
	struct image im;
	const char *ext;
	char err[256] = "", msg[256];
	int w, h, rc;

	rc = image_decode(b, len, 0, &im, err, sizeof(err));
	snprintf(msg, sizeof(msg), "%s: decode refused", what);
	CHECK_INT(rc, -EINVAL, msg);
	if (strstr(err, want) == NULL)
		printf("# got \"%s\", want \"%s\"\n", err, want);
	snprintf(msg, sizeof(msg), "%s: reason names it", what);
	CHECK(strstr(err, want) != NULL, msg);
	if (rc == 0)
		image_free(&im);
	rc = image_probe(b, len, &ext, &w, &h, err, sizeof(err));
	snprintf(msg, sizeof(msg), "%s: probe refused", what);
	CHECK_INT(rc, -EINVAL, msg);
}

/* Files that crash or corrupt stb_image 2.27 never reach it. The fixtures:
 * dht-2040-codes.jpg (a Huffman table of 2040 codes, SIGSEGV in
 * stbi__jpeg_huff_decode), sos-undefined-table.jpg (found by libFuzzer: a
 * scan using a table never defined, use-after-free under ASan). */
CASE(guard)
{
	const char *root = check_root();
	char path[512];
	unsigned char *b, *c;
	size_t len, off;

	snprintf(path, sizeof(path), "%s/test/fixtures/bad/dht-2040-codes.jpg", root);
	if ((b = test_image_load(path, &len)) != NULL)
		test_image_guard_refuses(b, len, "Huffman table with 2040 codes (at most 256)", "crafted DHT");
	CHECK(b != NULL, "crafted DHT fixture is readable");
	free(b);
	snprintf(path, sizeof(path), "%s/test/fixtures/bad/sos-undefined-table.jpg", root);
	if ((b = test_image_load(path, &len)) != NULL)
		test_image_guard_refuses(b, len, "never defined", "scan with an undefined table");
	CHECK(b != NULL, "fuzzer's fixture is readable");
	free(b);

	/* edits of a real photo, one fault each */
	b = test_image_load(PHOTOS "/person.jpg", &len);
	CHECK(b != NULL, "person.jpg readable");
	if (b == NULL)
		return;
	c = malloc(len);
	off = test_image_find_marker(b, len, 0xC4);
	CHECK(off != 0, "person.jpg has a DHT before its scan");
	if (off) {
		memcpy(c, b, len);
		c[off + 4] = 0x05;   /* class 0, slot 5 */
		test_image_guard_refuses(c, len, "slot 5", "DHT slot out of range");
		memcpy(c, b, len);
		c[off + 5] = 3;      /* three codes of 1 bit */
		test_image_guard_refuses(c, len, "inconsistent", "DHT code lengths no prefix code");
	}
	off = test_image_find_marker(b, len, 0xC0);
	CHECK(off != 0, "person.jpg has a baseline SOF");
	if (off) {
		memcpy(c, b, len);
		c[off + 9] = 2;      /* two components, length still for three */
		test_image_guard_refuses(c, len, "2 components", "SOF component count");
		memcpy(c, b, len);
		c[off + 11] = 0x32;  /* Y 3x2 */
		c[off + 14] = 0x21;  /* Cb 2x1: 2 does not divide 3 */
		test_image_guard_refuses(c, len, "do not divide", "SOF sampling factors");
		memcpy(c, b, len);
		c[off + 4] = 12;
		test_image_guard_refuses(c, len, "12-bit", "SOF precision");
	}
	free(c);
	free(b);
}

/* A huge PNG is called too large, not damaged (its header is fine). */
CASE(png_too_large)
{
	unsigned char png[2048];
	const char *ext = NULL;
	char err[256] = "";
	struct image im;
	size_t n = test_image_make_png(png, 5, 4);
	int w = 0, h = 0, rc;

	test_image_put32(png + 16, 60000);
	test_image_put32(png + 20, 60000);
	rc = image_probe(png, n, &ext, &w, &h, err, sizeof(err));
	CHECK_INT(rc, 0, "60000x60000 PNG header probes");
	CHECK_INT(w, 60000, "its width");
	rc = image_decode(png, n, 4096L * 4096L, &im, err, sizeof(err));
	CHECK_INT(rc, -E2BIG, "60000x60000 PNG refused as too big");
	CHECK(strstr(err, "60000x60000 is too large") != NULL, "the reason says too large");
	printf("# %s\n", err);
	memcpy(png + 8 + 25 + 4, "ABCD", 4);    /* IDAT -> unknown critical chunk */
	test_image_guard_refuses(png, n, "critical chunk ABCD", "PNG with an unknown critical chunk");
}

CASE(crop)
{
	struct image im = { 10, 8, NULL }, out;
	int x, y, rc;

	im.rgb = malloc(10 * 8 * 3);
	for (y = 0; y < 8; y++)
		for (x = 0; x < 10; x++) {
			im.rgb[(y * 10 + x) * 3] = (unsigned char)x;
			im.rgb[(y * 10 + x) * 3 + 1] = (unsigned char)y;
			im.rgb[(y * 10 + x) * 3 + 2] = 7;
		}
	rc = image_crop(&im, 2, 3, 4, 2, &out);
	CHECK_INT(rc, 0, "crop inside");
	CHECK_INT(out.w * 100 + out.h, 402, "crop inside is 4x2");
	if (rc == 0)
		CHECK_INT(out.rgb[(1 * 4 + 3) * 3] * 256 + out.rgb[(1 * 4 + 3) * 3 + 1], 5 * 256 + 4,
		          "crop pixel (3,1) is source (5,4)");
	image_free(&out);
	rc = image_crop(&im, -5, -5, 8, 7, &out);
	CHECK_INT(rc, 0, "crop over the top-left corner");
	CHECK_INT(out.w * 100 + out.h, 302, "crop over the top-left is clamped to 3x2");
	if (rc == 0)
		CHECK_INT(out.rgb[0] * 256 + out.rgb[1], 0, "clamped crop starts at (0,0)");
	image_free(&out);
	rc = image_crop(&im, 7, 6, 100, 100, &out);
	CHECK_INT(out.w * 100 + out.h, 302, "crop over the bottom-right is clamped to 3x2");
	image_free(&out);
	rc = image_crop(&im, 20, 20, 5, 5, &out);
	CHECK_INT(rc, -EINVAL, "crop outside the image is refused");
	rc = image_crop(&im, 2147483000, 0, 2147483000, 5, &out);
	CHECK_INT(rc, -EINVAL, "crop with overflowing size is refused");
	free(im.rgb);
}

CASE(write_jpeg)
{
	char path[128], err[256] = "";
	struct image src, back;
	struct dirent *de;
	unsigned char *b;
	size_t len;
	int rc, others = 0, x, y;
	long diff = 0;
	DIR *d;

	src.w = 64;
	src.h = 48;
	src.rgb = malloc(64 * 48 * 3);
	for (y = 0; y < 48; y++)
		for (x = 0; x < 64; x++) {
			src.rgb[(y * 64 + x) * 3] = (unsigned char)(x * 4);
			src.rgb[(y * 64 + x) * 3 + 1] = (unsigned char)(y * 5);
			src.rgb[(y * 64 + x) * 3 + 2] = 128;
		}
	snprintf(path, sizeof(path), "%s/out.jpg", check_tmpdir());
	rc = image_write_jpeg(&src, path, 90);
	CHECK_INT(rc, 0, "write JPEG");
	b = test_image_load(path, &len);
	CHECK(b != NULL, "written JPEG exists");
	if (b != NULL) {
		rc = image_decode(b, len, 0, &back, err, sizeof(err));
		CHECK_INT(rc, 0, "written JPEG decodes (and has its EOI)");
		CHECK_INT(back.w * 100 + back.h, 6448, "written JPEG is 64x48");
		if (rc == 0) {
			for (x = 0; x < 64 * 48 * 3; x++)
				diff += abs((int)back.rgb[x] - (int)src.rgb[x]);
			CHECK(diff / (64 * 48 * 3) < 6, "written JPEG is close to the source (mean abs diff < 6)");
		}
		image_free(&back);
		free(b);
	}
	if ((d = opendir(check_tmpdir())) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && strcmp(de->d_name, "out.jpg") != 0)
				others++;
		closedir(d);
	}
	CHECK_INT(others, 0, "write JPEG leaves no temporary file");
	rc = image_write_jpeg(&src, "/nonexistent-dir/x.jpg", 90);
	CHECK_INT(rc, -ENOENT, "write JPEG into a missing dir fails");
	rc = image_write_jpeg(&src, path, 0);
	CHECK_INT(rc, -EINVAL, "write JPEG quality 0 is refused");
	free(src.rgb);
}

/* The reference for write_jpeg_large: stb's JPEG writer into memory. */
struct test_image_mem {
	unsigned char *p;
	size_t len, cap;
};

static void
test_image_mem_put(void *ctx, void *data, int size)
{
	struct test_image_mem *m = ctx;

	if (m->len + (size_t)size > m->cap)
		return;   /* the test's buffer is far larger than any output */
	memcpy(m->p + m->len, data, (size_t)size);
	m->len += (size_t)size;
}

/* A JPEG several times the sink's 16 KiB buffer (stb hands the sink one
 * byte at a time, the sink collects them) is written byte for byte as stb
 * makes it. */
CASE(write_jpeg_large)
{
	struct test_image_mem ref = { NULL, 0, 4u << 20 };
	struct image src;
	char path[128];
	unsigned char *b;
	size_t len = 0, i;

	src.w = 640;
	src.h = 480;
	src.rgb = malloc(640 * 480 * 3);
	ref.p = malloc(ref.cap);
	CHECK(src.rgb != NULL && ref.p != NULL, "allocate");
	if (src.rgb == NULL || ref.p == NULL) {
		free(src.rgb);
		free(ref.p);
		return;
	}
	for (i = 0; i < 640 * 480 * 3; i++)   /* a gradient with grain: a big JPEG */
		src.rgb[i] = (unsigned char)(64 + (i / 3) % 640 / 8 + (((i * 2654435761u) >> 24) & 63));
	CHECK(stbi_write_jpg_to_func(test_image_mem_put, &ref, 640, 480, 3, src.rgb, 90) != 0,
	    "stb writes the reference JPEG to memory");
	snprintf(path, sizeof(path), "%s/big.jpg", check_tmpdir());
	CHECK_INT(image_write_jpeg(&src, path, 90), 0, "write a large JPEG");
	b = test_image_load(path, &len);
	CHECK(ref.len > 3 * 16384, "the JPEG is several buffers long");
	CHECK(b != NULL && len == ref.len && memcmp(b, ref.p, len) == 0,
	    "the file is the JPEG stb makes, byte for byte");
	free(b);
	unlink(path);
	free(ref.p);
	free(src.rgb);
}

/* Progressive JPEGs have several scans with tables between them: the
 * end-marker walk must still find EOI. And a 640x480 PNG made by a tool. */
CASE(tool_made)
{
	static const struct { const char *args, *file, *ext; int w, h; } t[] = {
		{ "-interlace Plane", "prog.jpg", "jpg", 640, 424 },
		{ "-resize 640x480!", "p640.png", "png", 640, 480 },
		{ "-resize 640x480! -quality 85", "p640.jpg", "jpg", 640, 480 },
	};
	char cmd[512], path[128], what[128], err[256] = "";
	size_t i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct image im;
		unsigned char *b;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", check_tmpdir(), t[i].file);
		snprintf(cmd, sizeof(cmd), CONVERT " " PHOTOS "/person.jpg %s %s", t[i].args, path);
		snprintf(what, sizeof(what), "convert makes %s", t[i].file);
		CHECK_INT(system(cmd), 0, what);
		if ((b = test_image_load(path, &len)) == NULL)
			continue;
		rc = image_decode(b, len, 0, &im, err, sizeof(err));
		snprintf(what, sizeof(what), "decode %s", t[i].file);
		if (rc)
			printf("# %s\n", err);
		CHECK_INT(rc, 0, what);
		snprintf(what, sizeof(what), "%s is %dx%d", t[i].file, t[i].w, t[i].h);
		CHECK_INT(im.w * 10000 + im.h, t[i].w * 10000 + t[i].h, what);
		image_free(&im);
		rc = image_decode(b, len * 7 / 10, 0, &im, err, sizeof(err));
		snprintf(what, sizeof(what), "%s cut at 70%% is refused", t[i].file);
		CHECK_INT(rc, -EINVAL, what);
		image_free(&im);
		free(b);
	}
}

CHECK_MAIN()
