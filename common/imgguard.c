/* imgguard - a structural check of JPEG and PNG files in front of
 * stb_image. Debian 12's stb_image is 2.27: a Huffman table declaring more
 * than 256 codes overflows its decoder state (fixed upstream in 2.28), a
 * scan may use a table that was never defined (uninitialised memory), and
 * sampling factors that do not divide the maxima overrun its resampler.
 * A camera is outside input, so every segment the decoder trusts is checked
 * here first, and the sender is told which one is wrong. The checks follow
 * ITU T.81 (JPEG) and the PNG specification, restricted to what stb decodes.
 * Nothing here allocates; a walk is linear in the file's size. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "imgguard.h"
#include "util.h"

#define GUARD_TRUNC(what) do { \
	util_errf(err, errlen, "truncated image (%s)", what); \
	return -EINVAL; \
} while (0)

#define GUARD_BAD(...) do { \
	util_errf(err, errlen, __VA_ARGS__); \
	return -EINVAL; \
} while (0)

static unsigned
imgguard_be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t
imgguard_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct imgguard_jpeg_state {
	int sof;                 /* frame header seen */
	int progressive;
	int nf;                  /* frame components */
	unsigned char id[4], tq[4];
	int dht[2][4];           /* [class][slot] defined */
	int dqt[4];
	int scans;
};

/* One DHT segment (s: after the length field, n bytes). */
static int
imgguard_dht(struct imgguard_jpeg_state *st, const unsigned char *s, size_t n, char *err, size_t errlen)
{
	size_t i = 0;

	while (i < n) {
		unsigned tc, th, codes = 0, j;
		unsigned long code = 0;

		if (n - i < 17)
			GUARD_BAD("damaged JPEG: Huffman table header cut short");
		tc = s[i] >> 4;
		th = s[i] & 15;
		if (tc > 1 || th > 3)
			GUARD_BAD("damaged JPEG: Huffman table class %u slot %u (class 0-1, slot 0-3)", tc, th);
		for (j = 0; j < 16; j++)
			codes += s[i + 1 + j];
		if (codes > 256)
			GUARD_BAD("damaged JPEG: Huffman table with %u codes (at most 256)", codes);
		/* The code of each length follows the previous ones (T.81 C.2):
		 * more codes of length j than 2^j allows is no prefix code. */
		for (j = 1; j <= 16; j++) {
			code += s[i + j];
			if (code > (1UL << j))
				GUARD_BAD("damaged JPEG: Huffman table code lengths are inconsistent (%lu codes of up to %u bits)",
				          code, j);
			code <<= 1;
		}
		if (n - i - 17 < codes)
			GUARD_BAD("damaged JPEG: Huffman table longer than its segment");
		st->dht[tc][th] = 1;
		i += 17 + codes;
	}
	return 0;
}

static int
imgguard_dqt(struct imgguard_jpeg_state *st, const unsigned char *s, size_t n, char *err, size_t errlen)
{
	size_t i = 0, size;

	while (i < n) {
		unsigned pq = s[i] >> 4, tq = s[i] & 15;

		if (pq > 1 || tq > 3)
			GUARD_BAD("damaged JPEG: quantisation table precision %u slot %u", pq, tq);
		size = 1 + 64 * (pq + 1);
		if (n - i < size)
			GUARD_BAD("damaged JPEG: quantisation table longer than its segment");
		st->dqt[tq] = 1;
		i += size;
	}
	return 0;
}

static int
imgguard_sof(struct imgguard_jpeg_state *st, unsigned m, const unsigned char *s, size_t n, int *w, int *h,
          char *err, size_t errlen)
{
	int i, hmax = 1, vmax = 1;

	if (st->sof)
		GUARD_BAD("damaged JPEG: second frame header");
	if (n < 6)
		GUARD_BAD("damaged JPEG: frame header cut short");
	if (s[0] != 8)
		GUARD_BAD("unsupported JPEG: %u-bit samples (8-bit only)", s[0]);
	*h = (int)imgguard_be16(s + 1);
	*w = (int)imgguard_be16(s + 3);
	if (*h == 0)
		GUARD_BAD("unsupported JPEG: height 0 (height given after the scan)");
	if (*w == 0)
		GUARD_BAD("damaged JPEG: width 0");
	st->nf = s[5];
	if (st->nf != 1 && st->nf != 3 && st->nf != 4)
		GUARD_BAD("damaged JPEG: %d components (1, 3 or 4)", st->nf);
	if (n != 6 + 3 * (size_t)st->nf)
		GUARD_BAD("damaged JPEG: frame header of %zu bytes for %d components", n + 2, st->nf);
	for (i = 0; i < st->nf; i++) {
		unsigned hs = s[7 + 3 * i] >> 4, vs = s[7 + 3 * i] & 15;

		st->id[i] = s[6 + 3 * i];
		st->tq[i] = s[8 + 3 * i];
		if (hs < 1 || hs > 4 || vs < 1 || vs > 4)
			GUARD_BAD("damaged JPEG: sampling factors %ux%u (1-4)", hs, vs);
		if (st->tq[i] > 3)
			GUARD_BAD("damaged JPEG: quantisation slot %u (0-3)", st->tq[i]);
		if ((int)hs > hmax)
			hmax = (int)hs;
		if ((int)vs > vmax)
			vmax = (int)vs;
	}
	/* stb's upsampler assumes each factor divides the largest one */
	for (i = 0; i < st->nf; i++)
		if (hmax % (s[7 + 3 * i] >> 4) != 0 || vmax % (s[7 + 3 * i] & 15) != 0)
			GUARD_BAD("unsupported JPEG: sampling factors %dx%d do not divide %dx%d",
			          s[7 + 3 * i] >> 4, s[7 + 3 * i] & 15, hmax, vmax);
	st->progressive = m == 0xC2;
	st->sof = 1;
	return 0;
}

static int
imgguard_sos(struct imgguard_jpeg_state *st, const unsigned char *s, size_t n, char *err, size_t errlen)
{
	int ns, i, k, ss, se, ah, al;

	if (!st->sof)
		GUARD_BAD("damaged JPEG: scan before the frame header");
	if (n < 1)
		GUARD_BAD("damaged JPEG: scan header cut short");
	ns = s[0];
	if (ns < 1 || ns > 4 || ns > st->nf)
		GUARD_BAD("damaged JPEG: scan of %d components in a frame of %d", ns, st->nf);
	if (n != 4 + 2 * (size_t)ns)
		GUARD_BAD("damaged JPEG: scan header of %zu bytes for %d components", n + 2, ns);
	ss = s[1 + 2 * ns];
	se = s[2 + 2 * ns];
	ah = s[3 + 2 * ns] >> 4;
	al = s[3 + 2 * ns] & 15;
	if (st->progressive) {
		if (ss > 63 || se > 63 || ss > se || ah > 13 || al > 13)
			GUARD_BAD("damaged JPEG: progressive scan range %d-%d, bits %d/%d", ss, se, ah, al);
	} else if (ss != 0 || ah != 0 || al != 0) {
		GUARD_BAD("damaged JPEG: baseline scan with spectral selection");
	}
	for (i = 0; i < ns; i++) {
		unsigned id = s[1 + 2 * i], td = s[2 + 2 * i] >> 4, ta = s[2 + 2 * i] & 15;
		int need_dc = !st->progressive || (ss == 0 && ah == 0);
		int need_ac = !st->progressive || ss > 0;

		for (k = 0; k < st->nf && st->id[k] != id; k++)
			;
		if (k == st->nf)
			GUARD_BAD("damaged JPEG: scan names component %u, not in the frame", id);
		if (td > 3 || ta > 3)
			GUARD_BAD("damaged JPEG: scan uses Huffman slots %u/%u (0-3)", td, ta);
		if (need_dc && !st->dht[0][td])
			GUARD_BAD("damaged JPEG: scan uses DC Huffman table %u, never defined", td);
		if (need_ac && !st->dht[1][ta])
			GUARD_BAD("damaged JPEG: scan uses AC Huffman table %u, never defined", ta);
		if (!st->dqt[st->tq[k]])
			GUARD_BAD("damaged JPEG: component %u uses quantisation table %u, never defined", id, st->tq[k]);
	}
	st->scans++;
	return 0;
}

/* imgguard_jpeg_segment - one marker segment m (s: after the length
 * field, n bytes); 0, or -EINVAL with err. */
static int
imgguard_jpeg_segment(struct imgguard_jpeg_state *st, unsigned m, const unsigned char *s, size_t n,
    int *w, int *h, char *err, size_t errlen)
{
	size_t seglen = n + 2;

	switch (m) {
	case 0xC0: case 0xC1: case 0xC2:
		return imgguard_sof(st, m, s, n, w, h, err, errlen);
	case 0xC3: case 0xC5: case 0xC6: case 0xC7:
	case 0xC9: case 0xCA: case 0xCB: case 0xCD: case 0xCE: case 0xCF:
		GUARD_BAD("unsupported JPEG: %s coding (frame marker 0x%02X)",
		          m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF ? "lossless" :
		          m >= 0xC9 ? "arithmetic" : "hierarchical", m);
	case 0xC4:
		return imgguard_dht(st, s, n, err, errlen);
	case 0xCC:
		GUARD_BAD("unsupported JPEG: arithmetic coding");
	case 0xDB:
		return imgguard_dqt(st, s, n, err, errlen);
	case 0xDA:
		return imgguard_sos(st, s, n, err, errlen);
	case 0xDC: case 0xDD:
		if (seglen != 4)
			GUARD_BAD("damaged JPEG: %s segment of length %zu", m == 0xDD ? "restart interval" : "line count", seglen);
		break;
	case 0xFE:
		break;
	default:
		if (m >= 0xE0 && m <= 0xEF)
			break;
		GUARD_BAD("damaged JPEG: unknown marker 0x%02X", m);
	}
	return 0;
}

/* imgguard_jpeg_scan_end - where the entropy-coded data that starts at i
 * ends: at the next marker that is neither a stuffed 0xFF00, a fill byte
 * nor a restart marker (or at len - 1). */
static size_t
imgguard_jpeg_scan_end(const unsigned char *p, size_t len, size_t i)
{
	while (i + 1 < len && !(p[i] == 0xFF && p[i + 1] != 0x00 && p[i + 1] != 0xFF &&
	    !(p[i + 1] >= 0xD0 && p[i + 1] <= 0xD7)))
		i++;
	return i;
}

int
imgguard_jpeg(const void *buf, size_t len, int *w, int *h, char *err, size_t errlen)
{
	const unsigned char *p = buf;
	struct imgguard_jpeg_state st;
	size_t i = 2, seglen;
	unsigned m;
	int rc;

	memset(&st, 0, sizeof(st));
	*w = *h = 0;
	if (len < 4 || p[0] != 0xFF || p[1] != 0xD8)
		GUARD_BAD("not a JPEG image");
	while (i + 1 < len) {
		if (p[i] != 0xFF) {   /* junk between segments: stb skips it too */
			i++;
			continue;
		}
		m = p[i + 1];
		if (m == 0xFF) {      /* fill byte */
			i++;
			continue;
		}
		i += 2;
		if (m == 0xD9) {
			if (!st.sof)
				GUARD_BAD("damaged JPEG: no frame header");
			if (st.scans == 0)
				GUARD_BAD("damaged JPEG: no scan");
			return 0;
		}
		if ((m >= 0xD0 && m <= 0xD7) || m == 0x01 || m == 0x00)
			continue;
		if (m == 0xD8)
			GUARD_BAD("damaged JPEG: second start-of-image marker");
		if (i + 2 > len)
			GUARD_TRUNC("no JPEG end marker");
		seglen = imgguard_be16(p + i);
		if (seglen < 2)
			GUARD_BAD("damaged JPEG: segment 0x%02X of length %zu", m, seglen);
		if (seglen > len - i)
			GUARD_TRUNC("no JPEG end marker");
		rc = imgguard_jpeg_segment(&st, m, p + i + 2, seglen - 2, w, h, err, errlen);
		if (rc < 0)
			return rc;
		i += seglen;
		if (m == 0xDA) /* entropy-coded data follows the scan header */
			i = imgguard_jpeg_scan_end(p, len, i);
	}
	GUARD_TRUNC("no JPEG end marker");
}

static int
imgguard_png_type_ok(const unsigned char *t)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!((t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z')))
			return 0;
	return 1;
}

/* imgguard_png_ihdr - the IHDR chunk's data d (clen bytes): size, colour
 * type, depth and methods; *w, *h set when it is good. 0 or -EINVAL. */
static int
imgguard_png_ihdr(const unsigned char *d, size_t clen, int *w, int *h, char *err, size_t errlen)
{
	uint32_t pw, ph;
	unsigned depth, ctype;

	if (clen != 13)
		GUARD_BAD("damaged PNG: IHDR of %zu bytes (13)", clen);
	pw = imgguard_be32(d);
	ph = imgguard_be32(d + 4);
	depth = d[8];
	ctype = d[9];
	if (pw == 0 || ph == 0)
		GUARD_BAD("damaged PNG: size %ux%u", (unsigned)pw, (unsigned)ph);
	/* stb's own limit; the caller's pixel cap comes on top */
	if (pw > (1u << 24) || ph > (1u << 24))
		GUARD_BAD("image %ux%u is too large (at most 16777216 pixels a side)",
		          (unsigned)pw, (unsigned)ph);
	switch (ctype) {
	case 0:
		if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
			GUARD_BAD("damaged PNG: grey at %u bits", depth);
		break;
	case 3:
		if (depth != 1 && depth != 2 && depth != 4 && depth != 8)
			GUARD_BAD("damaged PNG: palette at %u bits", depth);
		break;
	case 2: case 4: case 6:
		if (depth != 8 && depth != 16)
			GUARD_BAD("damaged PNG: colour type %u at %u bits", ctype, depth);
		break;
	default:
		GUARD_BAD("damaged PNG: colour type %u", ctype);
	}
	if (d[10] != 0 || d[11] != 0 || d[12] > 1)
		GUARD_BAD("damaged PNG: compression/filter/interlace method %u/%u/%u", d[10], d[11], d[12]);
	*w = (int)pw;
	*h = (int)ph;
	return 0;
}

int
imgguard_png(const void *buf, size_t len, int *w, int *h, char *err, size_t errlen)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	const unsigned char *p = buf, *t, *d;
	size_t i = 8, clen;
	int first = 1, plte = 0, idat = 0, rc;
	unsigned ctype = 0;

	*w = *h = 0;
	if (len < 8 || memcmp(p, sig, 8) != 0)
		GUARD_BAD("not a PNG image");
	while (len - i >= 12) {
		clen = imgguard_be32(p + i);
		t = p + i + 4;
		d = p + i + 8;
		if (clen > 0x7FFFFFFFu)
			GUARD_BAD("damaged PNG: chunk length %zu", clen);
		if (clen > len - i - 12)
			GUARD_TRUNC("no PNG IEND chunk");
		if (!imgguard_png_type_ok(t))
			GUARD_BAD("damaged PNG: chunk type is not four letters");
		if (first) {
			if (memcmp(t, "IHDR", 4) != 0)
				GUARD_BAD("damaged PNG: first chunk is not IHDR");
			if ((rc = imgguard_png_ihdr(d, clen, w, h, err, errlen)) < 0)
				return rc;
			ctype = d[9];
			first = 0;
		} else if (memcmp(t, "IHDR", 4) == 0) {
			GUARD_BAD("damaged PNG: second IHDR");
		} else if (memcmp(t, "PLTE", 4) == 0) {
			if (plte || idat)
				GUARD_BAD("damaged PNG: PLTE repeated or after IDAT");
			if (clen == 0 || clen % 3 != 0 || clen > 768)
				GUARD_BAD("damaged PNG: palette of %zu bytes", clen);
			plte = 1;
		} else if (memcmp(t, "IDAT", 4) == 0) {
			if (ctype == 3 && !plte)
				GUARD_BAD("damaged PNG: palette image without PLTE");
			idat = 1;
		} else if (memcmp(t, "IEND", 4) == 0) {
			if (!idat)
				GUARD_BAD("damaged PNG: no image data (IDAT)");
			return 0;
		} else if (!(t[0] & 0x20)) {
			/* critical chunk we do not know: the decoder would fail */
			GUARD_BAD("unsupported PNG: critical chunk %.4s", (const char *)t);
		}
		i += 12 + clen;
	}
	if (first)
		GUARD_BAD("damaged PNG: no IHDR chunk");
	GUARD_TRUNC("no PNG IEND chunk");
}
