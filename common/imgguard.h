/* imgguard - check a camera frame's container structure (JPEG markers, PNG
 * chunks) before any decoder sees it, so that only structurally sound files
 * reach stb_image. */
#ifndef GW_IMGGUARD_H
#define GW_IMGGUARD_H

#include <stddef.h>

/* imgguard_jpeg - walk a JPEG from SOI to EOI and check every segment the
 * decoder will trust: Huffman tables (class, slot, at most 256 codes,
 * code-length counts that form a prefix code), quantisation tables, the one
 * frame header (8-bit, 1/3/4 components, sampling factors 1..4 dividing the
 * maxima, non-zero size), scan headers (components of the frame, tables
 * defined before use, spectral ranges) and segment lengths. Bytes after EOI
 * are ignored. Returns 0 with *w, *h set, or -EINVAL with the problem in err
 * ("truncated image ..." when the file ends early). */
int imgguard_jpeg(const void *buf, size_t len, int *w, int *h, char *err, size_t errlen);

/* imgguard_png - walk a PNG's chunk chain from the signature to IEND: IHDR
 * first and well-formed (size, bit depth for the colour type, methods),
 * PLTE sizes, at least one IDAT, no unknown critical chunk, every chunk
 * inside the buffer. Returns 0 with *w, *h set, or -EINVAL with the problem
 * in err. Bytes after IEND are ignored. */
int imgguard_png(const void *buf, size_t len, int *w, int *h, char *err, size_t errlen);

#endif
