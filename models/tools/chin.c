/* chin - draw a surgical/cloth mask below the nose of a face box.
 * Geometry in face-box units (0..1 across, 0 = box top, 1 = box bottom):
 * tiny_face_detector's box runs from the brows to the chin, the nose tip
 * sits near 0.62 and the mouth near 0.78, so chin_draw's top edge is drawn
 * between 0.64 and 0.70 and it reaches past the chin. In mask-scenes'
 * annotated boxes (and maskcls_from_detector's, which are mapped onto them)
 * the nose tip sits near 0.45 and the real below-the-nose masks' top edge
 * at 0.45-0.55 (round 6, the 39 train faces of 40+ px looked at), so
 * chin_draw's mask leaves the mouth showing: chin_draw_nose draws its top
 * edge at CHIN_NOSE_TOP (just under the nostrils) instead. */
#include <math.h>

#include "chin.h"

static unsigned chin_rand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 8) & 0xffffff;
}

static float chin_uniform(unsigned *s, float lo, float hi)
{
	return lo + (hi - lo) * (chin_rand(s) / (float)0xffffff);
}

/* chin_draw_at - the mask with its top edge at lo..hi of the box. */
static void chin_draw_at(struct image *im, const struct nn_box *face, unsigned seed, float lo, float hi)
{
	static const float palette[][3] = {
		{ 236, 238, 240 }, { 150, 190, 228 }, { 30, 32, 36 },
		{ 110, 150, 200 }, { 200, 205, 210 }, { 70, 75, 90 },
	};
	unsigned s = seed * 2654435761u + 1;
	const float *col = palette[chin_rand(&s) % (sizeof(palette) / sizeof(palette[0]))];
	float top = chin_uniform(&s, lo, hi), bottom = chin_uniform(&s, 1.02f, 1.10f);
	float inset = chin_uniform(&s, 0.04f, 0.10f), shade = chin_uniform(&s, 0.75f, 1.05f);
	float tilt = chin_uniform(&s, -0.04f, 0.04f);
	int pleats = chin_rand(&s) % 2;
	int x, y, c;
	int y0 = (int)(face->y + face->h * (top - 0.05f)), y1 = (int)(face->y + face->h * bottom) + 1;
	int x0 = (int)face->x, x1 = (int)(face->x + face->w) + 1;

	for (y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++) {
		float v = (y + 0.5f - face->y) / face->h;
		for (x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++) {
			float u = (x + 0.5f - face->x) / face->w, d = 2 * u - 1;
			float t = top + 0.04f * d * d + tilt * d;         /* top edge dips at the sides */
			float b = bottom - 0.12f * d * d;                 /* rounded bottom */
			float side = inset + 0.10f * (v - t) / (1 - t);   /* narrows towards the chin */
			float light, n;
			unsigned char *p;

			if (v < t || v > b || u < side || u > 1 - side)
				continue;
			/* lit from above, darker at the sides, optional pleats */
			light = shade * (1.0f - 0.25f * d * d - 0.15f * (v - t));
			if (pleats && fmodf((v - t) * 12.0f, 1.0f) < 0.12f)
				light *= 0.85f;
			n = chin_uniform(&s, -6, 6);
			p = im->rgb + ((size_t)y * im->w + x) * 3;
			for (c = 0; c < 3; c++) {
				float val = col[c] * light + n;
				p[c] = (unsigned char)(val < 0 ? 0 : val > 255 ? 255 : val);
			}
		}
	}
}

void chin_draw(struct image *im, const struct nn_box *face, unsigned seed)
{
	chin_draw_at(im, face, seed, 0.64f, 0.70f);
}

void chin_draw_nose(struct image *im, const struct nn_box *face, unsigned seed)
{
	chin_draw_at(im, face, seed, CHIN_NOSE_TOP_LO, CHIN_NOSE_TOP_HI);
}

/* chin_luma - mean luma of the rows v0..v1, columns 0.2..0.8 of box in im
 * (box units), or -1 when none of it is inside im. */
static float chin_luma(const struct image *im, const struct nn_box *b, float v0, float v1)
{
	int x0 = (int)(b->x + 0.2f * b->w), x1 = (int)(b->x + 0.8f * b->w);
	int y0 = (int)(b->y + v0 * b->h), y1 = (int)(b->y + v1 * b->h), x, y;
	double sum = 0;
	long n = 0;

	for (y = y0 < 0 ? 0 : y0; y <= y1 && y < im->h; y++)
		for (x = x0 < 0 ? 0 : x0; x <= x1 && x < im->w; x++) {
			const unsigned char *p = im->rgb + ((size_t)y * im->w + x) * 3;

			sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
			n++;
		}
	return n ? (float)(sum / n) : -1;
}

/* chin_sample - bilinear sample of im at (x, y), edges repeated. */
static void chin_sample(const struct image *im, float x, float y, float out[3])
{
	int x0, y0, x1, y1, c;
	float fx, fy;

	x = x < 0 ? 0 : x > im->w - 1 ? im->w - 1 : x;
	y = y < 0 ? 0 : y > im->h - 1 ? im->h - 1 : y;
	x0 = (int)x, y0 = (int)y;
	x1 = x0 + 1 < im->w ? x0 + 1 : x0, y1 = y0 + 1 < im->h ? y0 + 1 : y0;
	fx = x - x0, fy = y - y0;
	for (c = 0; c < 3; c++) {
		const unsigned char *a = im->rgb + ((size_t)y0 * im->w + x0) * 3 + c;
		const unsigned char *b = im->rgb + ((size_t)y0 * im->w + x1) * 3 + c;
		const unsigned char *d = im->rgb + ((size_t)y1 * im->w + x0) * 3 + c;
		const unsigned char *e = im->rgb + ((size_t)y1 * im->w + x1) * 3 + c;

		out[c] = (1 - fy) * ((1 - fx) * *a + fx * *b) + fy * ((1 - fx) * *d + fx * *e);
	}
}

/* chin_paste - geometry in box units as in chin_draw (mask-scenes'
 * annotated boxes and maskcls_from_detector's boxes agree: brows or
 * forehead to chin). The donor's mask is the part of its box from SRC_TOP
 * (0.45..0.55: below the nose bridge, so no eyes or glasses come along) to
 * 0.96, inset 8% at the top to 20% at the bottom on each side (where the
 * mask narrows to the chin); it is squeezed into the rows top..bottom of face:
 * top 0.60..0.68 (just under the nose), or, one time in six, 0.76..0.84
 * (on the chin, mouth visible); bottom 1.00..1.10. Its outline is a
 * rounded shape a little narrower than the face (real masks reach the ear
 * loops), feathered over about 4% of the face; the donor is relit by the
 * ratio of the two faces' upper-face luma (0.6..1.6), so a white mask in a
 * dim scene stays dim. */
static void chin_paste_at(struct image *im, const struct nn_box *face, const struct image *donor,
                          const struct nn_box *dbox, unsigned seed, int nose)
{
	unsigned s = seed * 2654435761u + 7;
	float src_top = chin_uniform(&s, 0.45f, 0.55f);
	int low = chin_rand(&s) % 6 == 0;
	float top = nose ? chin_uniform(&s, CHIN_NOSE_TOP_LO, CHIN_NOSE_TOP_HI) :
	    low ? chin_uniform(&s, 0.76f, 0.84f) : chin_uniform(&s, 0.60f, 0.68f);
	float bottom = chin_uniform(&s, 1.00f, 1.10f), inset = chin_uniform(&s, 0.0f, 0.06f);
	float tilt = chin_uniform(&s, -0.04f, 0.04f), bow = chin_uniform(&s, -0.05f, 0.04f);
	float lt = chin_luma(im, face, 0.1f, 0.5f), ld = chin_luma(donor, dbox, 0.1f, 0.4f);
	float gain = lt > 0 && ld > 0 ? lt / ld : 1, feather = 0.04f;
	int x, y, c;
	int y0 = (int)(face->y + face->h * (top - 0.08f)), y1 = (int)(face->y + face->h * bottom) + 1;
	int x0 = (int)face->x, x1 = (int)(face->x + face->w) + 1;

	gain = gain < 0.6f ? 0.6f : gain > 1.6f ? 1.6f : gain;
	for (y = y0 < 0 ? 0 : y0; y < y1 && y < im->h; y++) {
		float v = (y + 0.5f - face->y) / face->h;
		for (x = x0 < 0 ? 0 : x0; x < x1 && x < im->w; x++) {
			float u = (x + 0.5f - face->x) / face->w, d = 2 * u - 1;
			float t = top + bow * d * d + tilt * d;          /* top edge: ear loops pull the sides */
			float b = bottom - 0.15f * d * d;                /* rounded bottom */
			float side = inset + 0.08f * (v - t) / (1 - t);  /* narrows towards the chin */
			float a, e, su, sv, ss, px[3];
			unsigned char *p;

			e = fminf(fminf(v - t, b - v), fminf(u - side, 1 - side - u));
			if (e <= 0)
				continue;
			a = e >= feather ? 1 : e / feather;
			/* the point of the donor's mask this maps to */
			sv = (v - t) / (b - t);
			ss = 0.08f + 0.12f * sv;                         /* the donor's mask narrows too */
			su = ss + (u - side) / (1 - 2 * side) * (1 - 2 * ss);
			sv = src_top + sv * (0.96f - src_top);
			chin_sample(donor, dbox->x + su * dbox->w, dbox->y + sv * dbox->h, px);
			p = im->rgb + ((size_t)y * im->w + x) * 3;
			for (c = 0; c < 3; c++) {
				float val = a * px[c] * gain + (1 - a) * p[c];

				p[c] = (unsigned char)(val < 0 ? 0 : val > 255 ? 255 : val + 0.5f);
			}
		}
	}
}

void chin_paste(struct image *im, const struct nn_box *face, const struct image *donor,
                const struct nn_box *dbox, unsigned seed)
{
	chin_paste_at(im, face, donor, dbox, seed, 0);
}

void chin_paste_nose(struct image *im, const struct nn_box *face, const struct image *donor,
                     const struct nn_box *dbox, unsigned seed)
{
	chin_paste_at(im, face, donor, dbox, seed, 1);
}
