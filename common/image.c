/* image - camera frames in, 8-bit RGB out, through a private (static) copy
 * of stb_image restricted to JPEG and PNG; and JPEG out through a private
 * stb_image_write. libdarknet exports its own stbi_* symbols, so ours must
 * never be visible outside this file.
 *
 * A frame cut in transit must be refused with a reason the sender can act
 * on. stb_image 2.27 decodes a PNG that lacks its IEND chunk without
 * complaint, and reports a cut JPEG only as "expected marker" (older and
 * other decoders fill the missing blocks with grey), and 2.27 trusts
 * Huffman tables it should not. So before stb sees a byte, imgguard walks
 * the file's structure: a JPEG must reach its EOI marker, a PNG its IEND
 * chunk ("truncated image" otherwise), and every segment stb relies on must
 * be sound. Bytes after them (the spool's metadata trailer) are ignored, as
 * every image reader does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "imgguard.h"
#include "util.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define STBI_NO_STDIO
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#include <stb/stb_image.h>
#define STBI_WRITE_NO_STDIO
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop
/* reported at the end of the file, for stb prototypes left undefined */
#pragma GCC diagnostic ignored "-Wunused-function"

static int
image_is_jpeg(const unsigned char *p, size_t n)
{
	return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
}

static int
image_is_png(const unsigned char *p, size_t n)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };

	return n >= 8 && memcmp(p, sig, 8) == 0;
}

int
image_probe(const void *buf, size_t len, const char **ext, int *w, int *h, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	int iw, ih, rc;

	if (buf == NULL || len == 0) {
		util_errf(err, errlen, "empty image");
		return -EINVAL;
	}
	if (len > INT_MAX) {
		util_errf(err, errlen, "image of %zu bytes is too large", len);
		return -E2BIG;
	}
	if (image_is_jpeg(p, len))
		*ext = "jpg";
	else if (image_is_png(p, len))
		*ext = "png";
	else {
		util_errf(err, errlen, "not a JPEG or PNG image");
		return -EINVAL;
	}
	/* stb never sees bytes the guard has not walked (see imgguard.c) */
	if ((rc = strcmp(*ext, "jpg") == 0 ? imgguard_jpeg(p, len, &iw, &ih, err, errlen) :
	    imgguard_png(p, len, &iw, &ih, err, errlen)) < 0)
		return rc;
	*w = iw;
	*h = ih;
	return 0;
}

int
image_decode(const void *buf, size_t len, long max_pixels, struct image *out, char *err, size_t errlen)
{
	const char *ext, *why;
	unsigned char *rgb;
	int w, h, comp, rc, jpeg;

	out->w = out->h = 0;
	out->rgb = NULL;
	if ((rc = image_probe(buf, len, &ext, &w, &h, err, errlen)) < 0)
		return rc;
	if (max_pixels > 0 && (long long)w * h > max_pixels) {
		util_errf(err, errlen, "image %dx%d is too large (more than %ld pixels)", w, h, max_pixels);
		return -E2BIG;
	}
	jpeg = strcmp(ext, "jpg") == 0;
	rgb = stbi_load_from_memory(buf, (int)len, &w, &h, &comp, 3);
	if (rgb == NULL) {
		why = stbi_failure_reason();
		if (why != NULL && strcmp(why, "outofmem") == 0) {
			util_errf(err, errlen, "out of memory decoding %dx%d", w, h);
			return -ENOMEM;
		}
		if (why != NULL && strcmp(why, "too large") == 0) {
			util_errf(err, errlen, "image %dx%d is too large to decode", w, h);
			return -E2BIG;
		}
		util_errf(err, errlen, "damaged %s: %s", jpeg ? "JPEG" : "PNG", why ? why : "decode failed");
		return -EINVAL;
	}
	out->w = w;
	out->h = h;
	out->rgb = rgb;
	return 0;
}

void
image_free(struct image *im)
{
	if (im == NULL)
		return;
	stbi_image_free(im->rgb);
	im->rgb = NULL;
	im->w = im->h = 0;
}

int
image_crop(const struct image *in, int x, int y, int w, int h, struct image *out)
{
	int x0, y0, x1, y1, row;
	size_t rowlen;

	out->w = out->h = 0;
	out->rgb = NULL;
	if (in == NULL || in->rgb == NULL || in->w <= 0 || in->h <= 0)
		return -EINVAL;
	/* clamp in 64 bits: x + w may overflow an int */
	x0 = x < 0 ? 0 : x > in->w ? in->w : x;
	y0 = y < 0 ? 0 : y > in->h ? in->h : y;
	x1 = (long long)x + w > in->w ? in->w : (long long)x + w < 0 ? 0 : x + w;
	y1 = (long long)y + h > in->h ? in->h : (long long)y + h < 0 ? 0 : y + h;
	if (x1 <= x0 || y1 <= y0)
		return -EINVAL;
	rowlen = (size_t)(x1 - x0) * 3;
	/* malloc, as stb does: image_free releases either through stbi_image_free */
	if ((out->rgb = malloc(rowlen * (size_t)(y1 - y0))) == NULL)
		return -ENOMEM;
	for (row = y0; row < y1; row++)
		memcpy(out->rgb + (size_t)(row - y0) * rowlen,
		       in->rgb + ((size_t)row * (size_t)in->w + (size_t)x0) * 3, rowlen);
	out->w = x1 - x0;
	out->h = y1 - y0;
	return 0;
}

/* stb's JPEG writer hands its callback one byte at a time: collect them,
 * so a snapshot is a few write() calls, not one per byte. */
struct image_sink {
	int fd;
	int err;   /* first write error, as errno */
	size_t used;
	unsigned char buf[16384];
};

static void
image_sink_flush(struct image_sink *s)
{
	const unsigned char *p = s->buf;
	size_t left = s->used;

	while (left > 0 && s->err == 0) {
		ssize_t n = write(s->fd, p, left);

		if (n == -1) {
			if (errno != EINTR)
				s->err = errno;
			continue;
		}
		p += n;
		left -= (size_t)n;
	}
	s->used = 0;
}

static void
image_sink_write(void *ctx, void *data, int size)
{
	struct image_sink *s = ctx;
	const unsigned char *p = data;

	while (size > 0 && s->err == 0) {
		size_t n = sizeof(s->buf) - s->used;

		if (n > (size_t)size)
			n = (size_t)size;
		memcpy(s->buf + s->used, p, n);
		s->used += n;
		p += n;
		size -= (int)n;
		if (s->used == sizeof(s->buf))
			image_sink_flush(s);
	}
}

int
image_write_jpeg(const struct image *im, const char *path, int quality)
{
	struct image_sink sink;
	char tmp[PATH_MAX];
	int rc = 0;

	if (im == NULL || im->rgb == NULL || im->w <= 0 || im->h <= 0 || path == NULL ||
	    quality < 1 || quality > 100)
		return -EINVAL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	sink.err = 0;
	sink.used = 0;
	if ((sink.fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return -errno;
	if (!stbi_write_jpg_to_func(image_sink_write, &sink, im->w, im->h, 3, im->rgb, quality))
		rc = sink.err ? -sink.err : -EIO;
	else if (image_sink_flush(&sink), sink.err)
		rc = -sink.err;
	if (rc == 0 && fchmod(sink.fd, 0640) == -1)
		rc = -errno;
	if (rc == 0 && fsync(sink.fd) == -1)
		rc = -errno;
	if (close(sink.fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}
