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

#endif
