/* kernels_act8 - the activation of 8 floats, for the AVX2 files alone
 * (kernels_avx2.c, kernels_wino.c, built with -mavx2 -mfma). */
#ifndef GW_KERNELS_ACT8_H
#define GW_KERNELS_ACT8_H

#include <immintrin.h>

#include "kernels_avx2.h"

static inline __m256 kx_act8(__m256 v, enum kx_act act)
{
	if (act == KX_LEAKY)
		return _mm256_max_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(.1f)));
	if (act == KX_RELU)
		return _mm256_max_ps(v, _mm256_setzero_ps());
	return v;
}

/* kx_store8 - lanes lo .. n-1 of v (0 <= lo, n <= 8 or more: then all
 * from lo) to o + lo ...: one plain store when they are all 8, else
 * through the stack. Not _mm256_maskstore_ps: a masked store to memory
 * costs ~20 cycles on Zen 3 (measured 6.4 ns against 1 ns for storeu),
 * a third of a 3-channel 4 x 24 tile's 162 FMA cycles. */
static inline void kx_store8(float *o, __m256 v, int lo, int n)
{
	float t[8];
	int i;

	if (lo <= 0 && n >= 8) {
		_mm256_storeu_ps(o, v);
		return;
	}
	_mm256_storeu_ps(t, v);
	for (i = lo < 0 ? 0 : lo; i < n && i < 8; i++)
		o[i] = t[i];
}

#endif
