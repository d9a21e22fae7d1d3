/* test_nn - nn_resize_tf (table-driven, row-cached) is bit-identical to
 * TensorFlow's per-pixel bilinear form, kept here as the reference, for
 * down- and up-scaling, odd sizes and windows larger than the image
 * (zero padding at the bottom/right); and the kernels' CPU gate. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "nn.h"
#include "nn_priv.h"

/* The original per-pixel implementation (tfjs-backend-cpu ResizeBilinear,
 * align_corners=false, half_pixel_centers=false). */
static void
test_nn_ref_resize(const struct image *im, int sw, int sh, int dw, int dh,
    const float mean[3], float scale, float *dst)
{
	double ry = (double)sh / dh, rx = (double)sw / dw;
	size_t plane = (size_t)dw * dh;
	int y, x, c;

	for (y = 0; y < dh; y++) {
		double s = ry * y;
		int ya = (int)floor(s), yb = ya + 1 < sh ? ya + 1 : sh - 1;
		float fy = (float)(s - ya);
		const unsigned char *ra = ya < im->h ? im->rgb + (size_t)ya * im->w * 3 : NULL;
		const unsigned char *rb = yb < im->h ? im->rgb + (size_t)yb * im->w * 3 : NULL;

		for (x = 0; x < dw; x++) {
			double sx = rx * x;
			int xa = (int)floor(sx), xb = xa + 1 < sw ? xa + 1 : sw - 1;
			float fx = (float)(sx - xa);

			for (c = 0; c < 3; c++) {
				float tl = ra && xa < im->w ? ra[xa * 3 + c] : 0;
				float tr = ra && xb < im->w ? ra[xb * 3 + c] : 0;
				float bl = rb && xa < im->w ? rb[xa * 3 + c] : 0;
				float br = rb && xb < im->w ? rb[xb * 3 + c] : 0;
				float top = tl + (tr - tl) * fx;
				float bot = bl + (br - bl) * fx;
				float v = top + (bot - top) * fy;

				dst[c * plane + (size_t)y * dw + x] = (v - mean[c]) * scale;
			}
		}
	}
}

CASE(resize_tf)
{
	static const int cases[][6] = {   /* image w h, window sw sh, out dw dh */
		{ 640, 480, 640, 480, 416, 416 },   /* person: stretch down */
		{ 640, 480, 640, 640, 320, 320 },   /* face: pad to square, down */
		{ 97, 61, 97, 97, 224, 224 },       /* up, padded */
		{ 33, 50, 50, 50, 64, 64 },         /* up, padded right */
		{ 300, 200, 300, 200, 299, 201 },   /* odd, nearly 1:1 */
		{ 5, 3, 8, 8, 3, 7 },               /* tiny */
	};
	static const float mean[3] = { 122.78f, 117.0f, 104.0f };
	size_t t;
	char what[128];

	srand(7);
	for (t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		const int *k = cases[t];
		struct image im = { k[0], k[1], malloc((size_t)k[0] * k[1] * 3) };
		size_t n = (size_t)3 * k[4] * k[5], i;
		float *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);

		for (i = 0; i < (size_t)k[0] * k[1] * 3; i++)
			im.rgb[i] = (unsigned char)rand();
		test_nn_ref_resize(&im, k[2], k[3], k[4], k[5], mean, 1.0f / 255, a);
		memset(b, 0x7f, sizeof(float) * n);
		nn_resize_tf(&im, k[2], k[3], k[4], k[5], mean, 1.0f / 255, b);
		snprintf(what, sizeof(what), "nn_resize_tf %dx%d (window %dx%d) -> %dx%d is bit-identical to TF's per-pixel form",
		    k[0], k[1], k[2], k[3], k[4], k[5]);
		CHECK(memcmp(a, b, sizeof(float) * n) == 0, what);
		free(a);
		free(b);
		free(im.rgb);
	}
}

CASE(kernels_gate)
{
	CHECK(kernels_available() == (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")),
	    "kernels run exactly where the CPU has AVX2 and FMA");
}

/* nn.kernels picks the instruction set from the CPU's, and avx2 forces
 * the AVX2 kernels where the CPU has AVX-512 */
CASE(kernels_isa)
{
	int cpu = kernels_isa_cpu();
	int z = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl");

	CHECK(cpu >= (z && kernels_available() ? KERNELS_AVX512 : kernels_available() ? KERNELS_AVX2 :
	    KERNELS_STOCK), "the CPU's best instruction set is the one cpuid says (or AMX above it)");
	CHECK(nn_set_kernels("avx2") == 0 && kernels_isa() == (cpu < KERNELS_AVX2 ? cpu : KERNELS_AVX2),
	    "nn.kernels avx2: the AVX2 kernels (or less on a CPU without)");
	CHECK(nn_set_kernels("auto") == 0 && kernels_isa() == cpu,
	    "nn.kernels auto: the CPU's best, AMX included where the CPU and kernel grant it");
	CHECK(nn_set_kernels("avx512") == 0 && kernels_isa() == (cpu < KERNELS_AVX512 ? cpu : KERNELS_AVX512),
	    "nn.kernels avx512: the fp32 kernels at the CPU's best up to AVX-512, never AMX");
	CHECK(nn_set_kernels("amx") == 0 && nn_set_kernels("stock") == 0 &&
	    nn_set_kernels("fast") == -EINVAL && nn_kernels_valid("AVX2") < 0,
	    "nn.kernels takes auto, avx512, avx2, amx, stock only");
	nn_set_kernels("auto");
}

/* nn_sort is stable (best first, equal scores in their order), so the
 * boxes over a threshold sort the same whatever lower boxes come with them
 * (ingest's close-up faces handed to the worker, firstpass.h). */
CASE(sort_stable)
{
	struct nn_box b[300], hi[300];
	int i, n = 300, nh = 0, ok = 1;

	for (i = 0; i < n; i++) {
		b[i] = (struct nn_box){ (float)i, 0, 1, 1, (float)((i * 7919) % 13) / 13.0f };
		if (b[i].score > 0.5f)
			hi[nh++] = b[i];
	}
	nn_sort(b, n);
	nn_sort(hi, nh);
	for (i = 1; i < n; i++)
		ok &= b[i - 1].score > b[i].score || (b[i - 1].score == b[i].score && b[i - 1].x < b[i].x);
	CHECK(ok, "best first, equal scores in their first order");
	for (i = 0; i < nh; i++)
		ok &= b[i].x == hi[i].x;
	CHECK(ok, "the boxes over 0.5 sort the same alone as with the others");
}

CHECK_MAIN()
