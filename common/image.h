/* image - decode camera frames (JPEG/PNG via stb_image, compiled static so
 * libdarknet's own stbi_* copy is never mixed in) into 8-bit RGB, and the
 * few pixel operations the pipeline needs. */
#ifndef GW_IMAGE_H
#define GW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct image {
	int w, h;              /* pixels */
	unsigned char *rgb;    /* owned: w*h*3 bytes, row-major RGB; free with image_free */
};

/* image_probe - format and size without decoding. Returns 0 with ext set to
 * "jpg" or "png", -EINVAL if neither (message in err). */
int image_probe(const void *buf, size_t len, const char **ext, int *w, int *h, char *err, size_t errlen);

/* image_decode - decode JPEG/PNG to RGB. Refuses images over max_pixels
 * (-E2BIG; max_pixels <= 0: no limit) before decoding; a truncated image
 * (JPEG without its EOI marker, PNG without IEND) is -EINVAL with
 * "truncated image (...)" in err, a damaged one -EINVAL with stb's reason.
 * Bytes after EOI/IEND (the spool trailer) are ignored. Returns 0 or -errno. */
int image_decode(const void *buf, size_t len, long max_pixels, struct image *out, char *err, size_t errlen);

void image_free(struct image *im);

/* image_crop - copy a clamped rectangle into out (owned by caller, free with
 * image_free). -EINVAL if nothing of the rectangle lies inside the image. */
int image_crop(const struct image *in, int x, int y, int w, int h, struct image *out);

/* image_write_jpeg - write RGB as JPEG (quality 1..100) to path, via tmp
 * file + rename. Returns 0 or -errno. */
int image_write_jpeg(const struct image *im, const char *path, int quality);

#endif
