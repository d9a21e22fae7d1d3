/* chin - draw a surgical/cloth mask below the nose of a face box.
 * Geometry in face-box units (0..1 across, 0 = box top, 1 = box bottom):
 * tiny_face_detector's box runs from the brows to the chin, the nose tip
 * sits near 0.62 and the mouth near 0.78, so the mask's top edge is drawn
 * between 0.64 and 0.70 and it reaches past the chin. */
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

void chin_draw(struct image *im, const struct nn_box *face, unsigned seed)
{
	static const float palette[][3] = {
		{ 236, 238, 240 }, { 150, 190, 228 }, { 30, 32, 36 },
		{ 110, 150, 200 }, { 200, 205, 210 }, { 70, 75, 90 },
	};
	unsigned s = seed * 2654435761u + 1;
	const float *col = palette[chin_rand(&s) % (sizeof(palette) / sizeof(palette[0]))];
	float top = chin_uniform(&s, 0.64f, 0.70f), bottom = chin_uniform(&s, 1.02f, 1.10f);
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
