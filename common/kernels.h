/* kernels - gatewatch's own forward for the darknet layers that cost the
 * time (convolution, maxpool; also connected, route, upsample and
 * same-shape shortcut), installed into a loaded darknet network.
 *
 * darknet keeps parsing the cfg, loading the weights and owning the graph;
 * kernels_attach swaps the `forward` pointer of the layers it covers and
 * leaves darknet's forward in place for the rest (region, softmax,
 * avgpool, ...). Convolutions: batch-norm folded into weights and biases
 * once; 3x3 stride-1 ones of many channels by Winograd F(2x2,3x3)
 * (kernels_wino.h), the other 3x3 ones by one of two direct AVX2/FMA
 * kernels (pixels in the vector lanes, or output channels: kernels_ocv.h,
 * for stride 2, small planes and 32+ channels), chosen by shape; the
 * others by OpenBLAS sgemm (one thread: gatewatch runs one network per thread) over
 * im2col row chunks that stay in cache (1x1 stride-1 without im2col);
 * depthwise and small-group convolutions as direct AVX2/FMA kernels; bias
 * and activation written with the output. All state lives in the network
 * object itself (folded weights in the layer, the 3x3 kernel's packed
 * weights in the layer's weight_updates, which inference never uses,
 * scratch in net->workspace), so any number of networks may run in as
 * many threads at once.
 *
 * Needs AVX2 and FMA at run time; without them kernels_attach changes
 * nothing and darknet's own forward runs. Where the CPU has AVX-512
 * (F, BW, VL) the layers that have an AVX-512 kernel run it (chosen at
 * attach, kernels_set_isa; nn.kernels avx2 forces the AVX2 ones). Outputs agree with darknet's to
 * float rounding (the model tests check 1e-5 of each output's largest
 * value and identical boxes). */
#ifndef GW_KERNELS_H
#define GW_KERNELS_H

#include <darknet.h>

/* kernels_available - 1 if this CPU runs our kernels (AVX2 and FMA). */
int kernels_available(void);

/* The instruction sets our kernels have a path for, each a superset of
 * the one before: KERNELS_STOCK none (darknet's own forward runs),
 * KERNELS_AVX2 AVX2 + FMA, KERNELS_AVX512 AVX-512 F/BW/VL (fp32, the
 * AVX2 kernels where it has none of its own), KERNELS_AMX the AMX
 * convolutions of kernels_amx.c where they take a layer, AVX-512 for the
 * rest. */
enum kernels_isa { KERNELS_STOCK, KERNELS_AVX2, KERNELS_AVX512, KERNELS_AMX };

/* kernels_isa_cpu - the best of them this CPU (and OS) runs; AMX only
 * when kernels_amx.c is linked in and says it can run. */
int kernels_isa_cpu(void);

/* kernels_set_isa - the instruction set networks attached from now on
 * use: isa, or the CPU's best if that is lower (returned). Process-wide;
 * networks attached earlier keep theirs (so one process can run a layer
 * both ways and compare). Default KERNELS_AVX512 (fp32) for programs
 * that never call nn_set_kernels (the model tools); nn.kernels auto asks
 * for KERNELS_AMX, capped by the CPU. */
int kernels_set_isa(int isa);

/* kernels_isa - the instruction set kernels_attach uses now. */
int kernels_isa(void);

/* kernels_isa_name - "stock", "avx2", "avx512" or "amx". */
const char *kernels_isa_name(int isa);

/* kernels_attach - install our forward into the layers of net that we
 * cover; call after load_network() and again after every
 * resize_network(). Folds batch-norm on the first call only (the layer is
 * left as an equivalent batch-norm-free darknet layer, so darknet's own
 * forward still gives the same result on it). Frees the delta buffers of
 * covered layers (inference does not need them; darknet's forward_network
 * would clear them on every call). Not for networks that will be trained.
 * Returns the number of layers covered, 0 if the CPU lacks AVX2/FMA (net
 * unchanged). Call from the thread that owns net. */
int kernels_attach(network *net);

/* kernels_set_winograd - 0: no Winograd (the direct 3x3 kernels for
 * every 3x3 layer), 1 (default): Winograd where it is faster. For
 * measuring one against the other; process-wide, call before
 * kernels_attach (networks attached earlier keep what they had). */
void kernels_set_winograd(int on);

/* kernels_attached - number of layers of net running our forward. */
int kernels_attached(const network *net);

/* kernels_output_kept - 0 if layer i's output is not written by our
 * forward (a convolution fused with the maxpool after it, the pool's
 * output written directly: kernels_attach does this only where nothing
 * else reads it), else 1. */
int kernels_output_kept(const network *net, int i);

/* kernels_predict - network_predict without darknet's per-call clearing
 * of every layer's delta. Returns net->output (owned by net). Works on
 * any network, attached or not. */
float *kernels_predict(network *net, float *input);

/* kernels_im2col - rows [row0, row1) of the output of a size x size,
 * stride, pad convolution over the c x h x w planar image im, as the
 * (c*size*size) x ((row1-row0)*out_w) matrix darknet's im2col_cpu writes
 * (zero outside the image). out_w = (w + 2*pad - size) / stride + 1. */
void kernels_im2col(const float *im, int c, int h, int w, int size, int stride, int pad,
    int row0, int row1, float *col);

/* kernels_activate - darknet's activate_array, vectorised for linear,
 * leaky and relu (darknet's own for the others). */
void kernels_activate(float *x, int n, ACTIVATION a);

#endif
