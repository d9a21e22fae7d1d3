/* kernels_amx - convolutions on Intel AMX tiles: bf16 inputs and weights,
 * fp32 sums (TDPBF16PS), for the stride-1, ungrouped convolutions the
 * face and mask networks are made of (and the person network's stride-1
 * ones). Chosen by nn.kernels = amx (kernels_set_isa(KERNELS_AMX));
 * everything else keeps the fp32 kernels.
 *
 * Filters in blocks of 16 are the tiles' rows, 16 pixels of the padded
 * input's flattened plane their columns, so each tile of sums is 16
 * channels x 16 pixels of the planar output (no transpose); 32 input
 * channels a step (K), one step per filter tap, read straight from the
 * input converted once to bf16 channel pairs (no im2col). A layer of few
 * input channels (c x size x size <= 32: the first layer) takes its taps
 * as K instead. Bias, activation and a following 2x2 maxpool are applied
 * when a band of rows is written out.
 *
 * Results differ from the fp32 path by bf16 rounding (8-bit mantissa) of
 * the inputs and weights: test_kernels_amx checks each layer shape within
 * 1/64 of the largest output and the face network's boxes.
 *
 * Linux gives a process the tiles' state only after
 * arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA): kamx_usable asks
 * once (cpuid first: AMX-TILE, AMX-BF16, AVX512-BF16, AVX512BW; then the
 * OS's XCR0). Nothing in this file runs a tile or AVX-512 instruction
 * unless kamx_usable() said yes; it builds with any compiler (without one
 * that knows AMX, kamx_usable says no). */
#ifndef GW_KERNELS_AMX_H
#define GW_KERNELS_AMX_H

#include "kernels_avx2.h"

/* kamx_usable - 1 if this process may run AMX bf16 tiles (checked once,
 * thread-safe), else 0 and kamx_why() says why. */
int kamx_usable(void);

/* kamx_why - "" if usable, else the reason (a static string). */
const char *kamx_why(void);

/* A convolution's weights packed for the tiles (opaque; free() it). */
struct kamx_conv;

/* kamx_pack - pack the n x c x size x size filters w (darknet's order)
 * and n biases for a stride-1 convolution with zero padding pad.
 * Returns NULL on allocation failure. Needs kamx_usable(). */
struct kamx_conv *kamx_pack(const float *w, const float *bias, int n, int c, int size, int pad);

/* kamx_scratch - bytes of scratch kamx_run needs on a c x h x w input. */
long kamx_scratch(const struct kamx_conv *p, int h, int w);

/* kamx_run - the convolution of the c x h x w planar in, plus bias, then
 * act (a kx_act, or -1 for none: the caller applies its own), into the
 * n x oh x ow out (oh = h + 2 pad - size + 1, likewise ow); with pool, out
 * is instead darknet's 2x2 stride-2 maxpool of that (qh = (oh + 1) / 2,
 * likewise qw). ws: kamx_scratch bytes. The calling
 * thread's tile configuration is set and released here. */
void kamx_run(const struct kamx_conv *p, const float *in, int h, int w, int act, int pool,
    float *out, void *ws);

#endif
