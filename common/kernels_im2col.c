/* kernels_im2col - darknet's im2col_cpu for a band of output rows (see
 * kernels.h): used by kernels.c's sgemm path and by the training fast
 * path (models/tools/train_fast.c). */
#include <string.h>

#include "kernels.h"

void kernels_im2col(const float *im, int c, int h, int w, int size, int stride, int pad,
    int row0, int row1, float *col)
{
	int ow = (w + 2 * pad - size) / stride + 1;
	int nc = (row1 - row0) * ow;
	int ch, ky, kx, y, x;

	for (ch = 0; ch < c; ch++) {
		const float *plane = im + (long)ch * h * w;

		for (ky = 0; ky < size; ky++) {
			for (kx = 0; kx < size; kx++) {
				float *dst = col + ((long)(ch * size + ky) * size + kx) * nc;
				/* output columns whose input column is inside the image */
				int x0 = pad - kx > 0 ? (pad - kx + stride - 1) / stride : 0;
				int x1 = (w - 1 + pad - kx) >= 0 ? (w - 1 + pad - kx) / stride + 1 : 0;

				if (x1 > ow)
					x1 = ow;
				if (x0 > x1)
					x0 = x1;
				for (y = row0; y < row1; y++, dst += ow) {
					int iy = y * stride - pad + ky;
					const float *src;

					if (iy < 0 || iy >= h) {
						memset(dst, 0, sizeof(float) * ow);
						continue;
					}
					src = plane + (long)iy * w + kx - pad;
					for (x = 0; x < x0; x++)
						dst[x] = 0;
					if (stride == 1)
						memcpy(dst + x0, src + x0, sizeof(float) * (x1 - x0));
					else
						for (x = x0; x < x1; x++)
							dst[x] = src[x * stride];
					for (x = x1; x < ow; x++)
						dst[x] = 0;
				}
			}
		}
	}
}
