/* kernels - our forward for darknet's convolution and maxpool layers (see
 * kernels.h): batch-norm folded once; 3x3 stride-1 convolutions by a
 * direct AVX2/FMA kernel (4 channels x 24 pixels per tile, weights packed
 * at attach time); other convolutions by OpenBLAS sgemm over cache-sized
 * im2col chunks (1x1 without im2col); depthwise and small-group
 * convolutions by direct kernels over padded planes, skipping zero taps;
 * bias and activation written with the output. darknet stays the owner
 * of the graph and of every buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "kernels.h"
#include "kernels_avx2.h"
#include "kernels_avx512.h"
#include "kernels_priv.h"
#include "kernels_ocv.h"
#include "kernels_wino.h"
#include "kernels_wino512.h"

/* Exported by libdarknet but not declared in darknet.h. */
float activate(float x, ACTIVATION a);
void forward_maxpool_layer(layer l, network net);

/* kernels_amx.c's, when it is linked in (kernels_priv.h) */
#pragma weak kamx_conv_attach
#pragma weak kamx_ours
#pragma weak kamx_fuse_pools
#pragma weak kamx_fused

/* im2col chunk size: about half of Zen 3's 512 KB L2, so the chunk and the
 * output rows it produces stay in L2 while sgemm packs them. (Measured:
 * 256 KB to whole-layer chunks are within the noise of a loaded machine.) */
#define KERNELS_CHUNK_FLOATS (256 * 1024 / 4)

/* out (m x nc, row stride ldc) = bias + a (m x k) * b (k x nc), then act. */
static void kernels_gemm(int m, int nc, int k, const float *a, const float *b, int ldb,
    const float *bias, float *out, int ldc, int act)
{
	kx_bias_fill(out, ldc, m, nc, bias);
	/* beta = 1 over the bias: OpenBLAS would zero the block first for 0 */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, nc, k, 1.0f, a, k, b, ldb,
	    1.0f, out, ldc);
	if (act >= 0)
		kx_act(out, ldc, m, nc, (enum kx_act)act);
}

/* Bytes in net->workspace: darknet allocates the largest layer's
 * workspace_size (parse_network_cfg, resize_network). */
long kernels_ws_bytes(const network *net)
{
	long m = 0;
	int i;

	for (i = 0; i < net->n; i++)
		if ((long)net->layers[i].workspace_size > m)
			m = (long)net->layers[i].workspace_size;
	return m;
}

/* 3x3 stride-1 and stride-2 convolutions run our direct kernel, with the
 * weights packed for it in the layer's weight_updates (same size; unused
 * by inference). Packing depends on the filters only, so it is done at
 * attach whenever the kernel may run, and stays valid through any resize
 * (even a resize_network that did not re-attach). */
static int kernels_conv3_packable(const layer *l)
{
	int groups = l->groups > 0 ? l->groups : 1;

	return l->size == 3 && (l->stride == 1 || l->stride == 2) && groups == 1 &&
	    l->n % 4 == 0 && l->weight_updates != NULL;
}

/* ...and it runs when the padded input fits the network's workspace and
 * rows are wider than 8 (one 8-pixel tile per row is load-bound; sgemm
 * does better there). */
static int kernels_conv3_direct(const layer *l, const network *net)
{
	long need = ((long)l->c * (l->h + 2 * l->pad) * (l->w + 2 * l->pad) + KX_CONV3_SLACK) *
	    (long)sizeof(float);

	return kernels_conv3_packable(l) && l->out_w > 8 && need <= kernels_ws_bytes(net);
}

/* Winograd F(2x2,3x3) (kernels_wino.c) for 3x3 stride-1 convolutions
 * of 32 or more channels in, 32 or more out (16 over 1024 tiles or more),
 * whose output is 8 or more pixels wide (else the direct kernel), and
 * wider than 12 or higher (else kernels_ocv_chosen): where it measured
 * faster than the direct kernels on our networks (person 416: 1.1-1.8x on
 * those layers; 32 in, 16 or 32 out at 104x104: 1.24-1.35x; 16 in: 0.86x,
 * 64 in, 8 or 16 out at 45x45: 0.65-0.81x, the transforms outweighing the
 * multiplies saved). Its transformed weights follow the direct kernel's
 * packed ones in weight_updates (kernels_conv3_attach); such layers run
 * kernels_conv_wino. Process-wide switch, set before attach. */
static int kernels_wino_on = 1;

void kernels_set_winograd(int on)
{
	kernels_wino_on = on;
}

static int kernels_wino_packable(const layer *l)
{
	long tiles = (long)((l->out_h + 1) / 2) * ((l->out_w + 1) / 2);

	return kernels_wino_on && kernels_conv3_packable(l) && l->stride == 1 && l->c >= 32 &&
	    (l->n >= 32 || (l->n >= 16 && tiles >= 1024));
}

static void kernels_conv(layer l, network net);

/* z: AVX-512's (kernels_wino512.c, the same packed weights) */
static void kernels_conv_wino_any(layer l, network net, int z)
{
	int act = kernels_act_of(l.activation), i;

	/* AVX-512's panels are twice as wide: where its scratch does not fit
	 * the network's workspace, the AVX2 Winograd (the same result) */
	if (z && kwz_scratch(l.c, l.h, l.w, l.pad, l.n) * (long)sizeof(float) > kernels_ws_bytes(&net))
		z = 0;
	if (l.out_w < 8 || kw_scratch(l.c, l.h, l.w, l.pad, l.n) * (long)sizeof(float) > kernels_ws_bytes(&net)) {
		kernels_conv(l, net);
		return;
	}
	(z ? kwz_conv3 : kw_conv3)(net.input, l.c, l.h, l.w, l.pad, l.weight_updates + l.nweights,
	    l.biases, l.n, act >= 0 ? (enum kx_act)act : KX_LINEAR, l.output, net.workspace);
	if (act < 0)
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}

static void kernels_conv_wino(layer l, network net)
{
	kernels_conv_wino_any(l, net, 0);
}

static void kernels_conv_wino512(layer l, network net)
{
	kernels_conv_wino_any(l, net, 1);
}

/* The output-channel kernel (kernels_ocv.c) where it measured faster
 * (person, face and mask networks, layer against layer, interleaved):
 * stride 2 of 8 or more channels in (1.2-1.5x the pixel-vector kernel),
 * planes of 12x12 or less that Winograd does not take (3-4x im2col +
 * sgemm, which narrow planes used), and the other 3x3 layers of 32 or
 * more channels in, 16 or more out in whole vectors (1.05-1.25x). Not
 * for 3 input channels: at stride 1 its store per tile outweighs 27 taps
 * (0.6x); at stride 2 (the person network's first layer) the
 * pixel-vector kernel's 16-pixel tiles are 1.2-1.3x it at 416, 1.05-1.1x
 * at 320 (one layer alone, round 6; 64 channels in and more: 0.7-0.9x).
 * Winograd takes the small planes of 8x8 or more (one layer alone, round
 * 6, once Winograd's pooled output lost its masked stores: 64 -> 64 at
 * 8x8 1.6x, 128 -> 128 at 12x12 1.46x, 256 -> 256 at 10x10 1.28x,
 * 128 -> 128 at 10x10 1.10x); at 6x6 and 4x4 this kernel is 1.2-1.9x
 * Winograd. */
static int kernels_ocv_chosen(const layer *l)
{
	if (l->stride == 2)
		return l->c >= 8;
	if (l->out_w <= 12 && l->out_h <= 12)
		return !(kernels_wino_packable(l) && l->out_w >= 8 && l->out_h >= 8);
	return !kernels_wino_packable(l) && l->c >= 32 && l->n % 16 == 0;
}

static void kernels_conv_ocv(layer l, network net)
{
	int act = kernels_act_of(l.activation), i;

	long need = ((long)l.c * (l.h + 2 * l.pad) * (l.w + 2 * l.pad) + KX_CONV3_SLACK) *
	    (long)sizeof(float);

	if (need > kernels_ws_bytes(&net)) {
		kernels_conv(l, net);
		return;
	}
	ko_conv3(net.input, l.c, l.h, l.w, l.stride, l.pad, l.weight_updates + l.nweights, l.biases,
	    l.n, act >= 0 ? (enum kx_act)act : KX_LINEAR, l.output, net.workspace);
	if (act < 0)
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}

static void kernels_conv(layer l, network net)
{
	int groups = l.groups > 0 ? l.groups : 1;
	int m = l.n / groups, cg = l.c / groups, k = l.size * l.size * cg;
	int n = l.out_w * l.out_h, act = kernels_act_of(l.activation);
	int g, i;

	for (g = 0; g < groups; g++) {
		const float *a = l.weights + (long)g * m * k;
		const float *im = net.input + (long)g * cg * l.h * l.w;
		float *out = l.output + (long)g * m * n;
		const float *bias = l.biases + (long)g * m;

		if (kernels_conv3_direct(&l, &net)) {
			kx_conv3(im, cg, l.h, l.w, l.stride, l.pad, l.weight_updates, bias, m,
			    act >= 0 ? (enum kx_act)act : KX_LINEAR, out, net.workspace);
		} else if (groups > 1 && cg <= 4 && l.size > 1 &&
		    cg * l.size * l.size <= 64 && ((long)cg * (l.h + 2 * l.pad) * (l.w + 2 * l.pad) +
		    KX_CONV3_SLACK) * (long)sizeof(float) <= kernels_ws_bytes(&net)) {
			/* depthwise or small groups: pad the group's planes once,
			 * then rows without border cases (vectors at stride 1) */
			int ph = l.h + 2 * l.pad, pw = l.w + 2 * l.pad;

			kx_pad_planes(im, cg, l.h, l.w, l.pad, net.workspace);
			for (i = 0; i < m; i++)
				kx_depthwise_padded(net.workspace, cg, ph, pw, l.size, l.stride, a + (long)i * k,
				    bias[i], act >= 0 ? (enum kx_act)act : KX_LINEAR,
				    out + (long)i * n, l.out_h, l.out_w);
		} else if (groups > 1 && cg <= 4 && l.size > 1) {
			/* depthwise, or groups of a few channels: one direct kernel
			 * per output plane (sgemm would run a k <= 36 product per group) */
			for (i = 0; i < m; i++)
				kx_depthwise(im, cg, l.h, l.w, l.size, l.stride, l.pad, a + (long)i * k,
				    bias[i], act >= 0 ? (enum kx_act)act : KX_LINEAR,
				    out + (long)i * n, l.out_h, l.out_w);
		} else if (l.size == 1) {
			/* 1x1 stride 1: the input is already the k x n matrix */
			int step = KERNELS_CHUNK_FLOATS / (m > k ? m : k), p;

			step = step < 64 ? 64 : step & ~15;
			for (p = 0; p < n; p += step) {
				int nc = n - p < step ? n - p : step;

				kernels_gemm(m, nc, k, a, im + p, n, bias, out + p, n, act);
			}
		} else {
			int rows = KERNELS_CHUNK_FLOATS / (k * l.out_w), r;

			if (rows < 1)
				rows = 1;
			for (r = 0; r < l.out_h; r += rows) {
				int r1 = r + rows < l.out_h ? r + rows : l.out_h;
				int nc = (r1 - r) * l.out_w;

				kernels_im2col(im, cg, l.h, l.w, l.size, l.stride, l.pad, r, r1,
				    net.workspace);
				kernels_gemm(m, nc, k, a, net.workspace, nc, bias,
				    out + (long)r * l.out_w, n, act);
			}
		}
	}
	if (act < 0)
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}

void kernels_conv_fp32(layer l, network net)
{
	kernels_conv(l, net);
}

/* a 3x3 stride-1 layer on the direct kernel, in AVX-512 (kernels_avx512.c,
 * 8 channels x 32 pixels a tile) */
static void kernels_conv512(layer l, network net)
{
	int act = kernels_act_of(l.activation);

	if (act < 0 || l.stride != 1 || !kernels_conv3_direct(&l, &net)) {
		kernels_conv(l, net);
		return;
	}
	kz_conv3(net.input, l.c, l.h, l.w, l.pad, l.weight_updates, l.biases, l.n, (enum kx_act)act,
	    l.output, net.workspace);
}

static void kernels_maxpool(layer l, network net)
{
	float *tmp = malloc(sizeof(float) * l.w);
	int ch;

	if (tmp == NULL) {   /* cannot happen for real widths; darknet's then */
		forward_maxpool_layer(l, net);
		return;
	}
	for (ch = 0; ch < l.c; ch++)
		kx_maxpool(net.input + (long)ch * l.h * l.w, l.h, l.w, l.size, l.stride, l.pad,
		    l.output + (long)ch * l.out_h * l.out_w, l.out_h, l.out_w, tmp);
	free(tmp);
}

/* A 3x3 stride-1 layer on the direct kernel whose only reader is the 2x2
 * stride-2 maxpool after it (the face and mask networks' full-resolution
 * first layer, 3 channels in): kx_conv3_pool2 writes the pool's output
 * two convolution rows at a time, the layer's own output is never written
 * (face 360: 16.6 MB written and read back), and the pool's forward does
 * nothing. Bit for bit the unfused result. Set up by kernels_fuse_pools. */
static void kernels_maxpool_fused(layer l, network net)
{
	(void)l;
	(void)net;
}

static layer kernels_next(const layer *l, const network *net)
{
	int i = 0;

	while (i < net->n - 1 && net->layers[i].weights != l->weights)
		i++;
	return net->layers[i + 1];
}

static void kernels_conv_pool_any(layer l, network net, int z)
{
	int act = kernels_act_of(l.activation);
	layer p = kernels_next(&l, &net);

	if (act < 0 || !kernels_conv3_direct(&l, &net) || p.type != MAXPOOL ||
	    kx_conv3_pool2_ws(l.c, l.h, l.w, l.pad, l.n) * (long)sizeof(float) > kernels_ws_bytes(&net)) {
		kernels_conv(l, net);
		net.input = l.output;
		kernels_maxpool(p, net);
		return;
	}
	(z ? kz_conv3_pool2 : kx_conv3_pool2)(net.input, l.c, l.h, l.w, l.pad, l.weight_updates,
	    l.biases, l.n, (enum kx_act)act, p.output, p.out_h, p.out_w, net.workspace);
}

static void kernels_conv_pool(layer l, network net)
{
	kernels_conv_pool_any(l, net, 0);
}

static void kernels_conv512_pool(layer l, network net)
{
	kernels_conv_pool_any(l, net, 1);
}

/* the same for a Winograd layer: pooled in its output transform */
static void kernels_conv_wino_pool_any(layer l, network net, int z)
{
	int act = kernels_act_of(l.activation);
	layer p = kernels_next(&l, &net);

	if (z && kwz_scratch(l.c, l.h, l.w, l.pad, l.n) * (long)sizeof(float) > kernels_ws_bytes(&net))
		z = 0;   /* as kernels_conv_wino_any */
	if (act < 0 || l.out_w < 8 || p.type != MAXPOOL ||
	    kw_scratch(l.c, l.h, l.w, l.pad, l.n) * (long)sizeof(float) > kernels_ws_bytes(&net)) {
		kernels_conv_wino_any(l, net, z);
		net.input = l.output;
		kernels_maxpool(p, net);
		return;
	}
	(z ? kwz_conv3_pool2 : kw_conv3_pool2)(net.input, l.c, l.h, l.w, l.pad,
	    l.weight_updates + l.nweights, l.biases, l.n, (enum kx_act)act, p.output, p.out_h,
	    p.out_w, net.workspace);
}

static void kernels_conv_wino_pool(layer l, network net)
{
	kernels_conv_wino_pool_any(l, net, 0);
}

static void kernels_conv_wino512_pool(layer l, network net)
{
	kernels_conv_wino_pool_any(l, net, 1);
}

int kernels_read_elsewhere(const network *net, int i)
{
	int j, k;

	for (j = 0; j < net->n; j++) {
		const layer *l = &net->layers[j];

		if (l->type == SHORTCUT && l->index == i)
			return 1;
		for (k = 0; l->type == ROUTE && k < l->n; k++)
			if (l->input_layers[k] == i)
				return 1;
	}
	return 0;
}

static void kernels_fuse_pools(network *net)
{
	int i;

	for (i = 0; i + 1 < net->n; i++) {
		layer *l = &net->layers[i], *p = &net->layers[i + 1];

		if ((l->forward == kernels_conv || l->forward == kernels_conv512 ||
		    l->forward == kernels_conv_wino || l->forward == kernels_conv_wino512) &&
		    kernels_conv3_packable(l) && l->stride == 1 &&
		    p->forward == kernels_maxpool && p->size == 2 && p->stride == 2 && p->pad / 2 == 0 &&
		    p->c == l->out_c && p->h == l->out_h && p->w == l->out_w &&
		    kernels_act_of(l->activation) >= 0 && !kernels_read_elsewhere(net, i)) {
			l->forward = l->forward == kernels_conv ? kernels_conv_pool :
			    l->forward == kernels_conv512 ? kernels_conv512_pool :
			    l->forward == kernels_conv_wino ? kernels_conv_wino_pool : kernels_conv_wino512_pool;
			p->forward = kernels_maxpool_fused;
		}
	}
}

int kernels_output_kept(const network *net, int i)
{
	return i < 0 || i >= net->n || (net->layers[i].forward != kernels_conv_pool &&
	    net->layers[i].forward != kernels_conv512_pool &&
	    net->layers[i].forward != kernels_conv_wino_pool &&
	    net->layers[i].forward != kernels_conv_wino512_pool &&
	    (kamx_fused == NULL || !kamx_fused(&net->layers[i])));
}

/* Fold darknet's inference batch-norm, (x - mean) / (sqrt(var) + .000001)
 * * scale + bias, into the filter weights and the bias. */
static void kernels_fold_batchnorm(layer *l)
{
	int per = l->nweights / l->n, f, i;

	for (f = 0; f < l->n; f++) {
		double s = l->scales[f] / (sqrt(l->rolling_variance[f]) + .000001f);

		for (i = 0; i < per; i++)
			l->weights[(long)f * per + i] = (float)(l->weights[(long)f * per + i] * s);
		l->biases[f] = (float)(l->biases[f] - l->rolling_mean[f] * s);
	}
	l->batch_normalize = 0;
}

/* The forward of a 3x3 layer, fastest first, and its weights packed for
 * it in weight_updates (grown for it): kx_conv3's always (every other
 * kernel falls back to it), then ko_conv3's or Winograd's if it is the
 * one. Packed at every attach (after every
 * resize: the choice depends on the plane); a resize without one keeps a
 * forward whose weights are there. */
static void kernels_conv3_attach(layer *l, int isa)
{
	int ocv = l->n % 8 == 0 && kernels_ocv_chosen(l), wino = !ocv && kernels_wino_packable(l);
	long need = l->nweights + (ocv ? l->nweights : wino ? KW_WEIGHTS(l->n, l->c) : 0);
	float *wu = realloc(l->weight_updates, sizeof(float) * need);

	l->forward = isa >= KERNELS_AVX512 && l->stride == 1 ? kernels_conv512 : kernels_conv;
	if (wu == NULL)   /* the direct kernel in the old weight_updates */
		wino = ocv = 0;
	else
		l->weight_updates = wu;
	kx_conv3_pack(l->weights, l->n, l->c, l->weight_updates);
	if (ocv) {
		ko_pack(l->weights, l->n, l->c, l->weight_updates + l->nweights);
		l->forward = kernels_conv_ocv;
	} else if (wino) {
		kw_pack(l->weights, l->n, l->c, l->weight_updates + l->nweights);
		l->forward = isa >= KERNELS_AVX512 ? kernels_conv_wino512 : kernels_conv_wino;
	}
}

static int kernels_conv_covered(const layer *l)
{
	int groups = l->groups > 0 ? l->groups : 1;

	if (l->binary || l->xnor || l->batch != 1 || l->n % groups || l->c % groups)
		return 0;
	/* darknet reads a 1x1 input as is whatever its stride or pad: keep
	 * its own forward for the odd ones rather than differ from it */
	if (l->size == 1 && (l->stride != 1 || l->pad != 0))
		return 0;
	return 1;
}

int kernels_attach(network *net)
{
	int i, covered = 0, isa = kernels_isa();

	if (isa == KERNELS_STOCK)
		return 0;
	for (i = 0; i < net->n; i++) {
		layer *l = &net->layers[i];

		if (l->type == CONVOLUTIONAL && kernels_conv_covered(l)) {
			if (l->batch_normalize)
				kernels_fold_batchnorm(l);
			if (kernels_conv3_packable(l))
				kernels_conv3_attach(l, isa);
			else
				l->forward = kernels_conv;
			/* kernels_amx.c's where it takes the layer (over ours:
			 * kernels_conv_fp32 still finds its packed weights) */
			if (isa == KERNELS_AMX && kamx_conv_attach != NULL)
				kamx_conv_attach(l, net);
		} else if (l->type == CONNECTED && l->batch == 1 && !l->batch_normalize) {
			kernels_fc_attach(l);
		} else if (l->type == MAXPOOL && l->batch == 1) {
			l->forward = kernels_maxpool;
		} else if (l->type == ROUTE && l->batch == 1) {
			l->forward = kernels_route;
		} else if (l->type == UPSAMPLE && l->batch == 1 && !l->reverse && l->stride > 0 &&
		    l->out_w == l->w * l->stride && l->out_h == l->h * l->stride) {
			l->forward = kernels_upsample;
		} else if (l->type == SHORTCUT && l->batch == 1 && l->w == l->out_w &&
		    l->h == l->out_h && l->c == l->out_c) {
			l->forward = kernels_shortcut;
		} else {
			continue;
		}
		covered++;
		free(l->delta);
		l->delta = NULL;
	}
	kernels_fuse_pools(net);
	if (isa == KERNELS_AMX && kamx_fuse_pools != NULL)
		kamx_fuse_pools(net);
	return covered;
}

int kernels_attached(const network *net)
{
	int i, n = 0;

	for (i = 0; i < net->n; i++)
		if (net->layers[i].forward == kernels_conv || net->layers[i].forward == kernels_conv_wino ||
		    net->layers[i].forward == kernels_conv_ocv ||
		    net->layers[i].forward == kernels_maxpool || kernels_fc_ours(&net->layers[i]) ||
		    net->layers[i].forward == kernels_shortcut || net->layers[i].forward == kernels_route ||
		    net->layers[i].forward == kernels_upsample ||
		    net->layers[i].forward == kernels_conv_pool ||
		    net->layers[i].forward == kernels_conv_wino_pool ||
		    net->layers[i].forward == kernels_conv_wino512 ||
		    net->layers[i].forward == kernels_conv512 ||
		    net->layers[i].forward == kernels_conv512_pool ||
		    net->layers[i].forward == kernels_conv_wino512_pool ||
		    net->layers[i].forward == kernels_maxpool_fused ||
		    (kamx_ours != NULL && kamx_ours(&net->layers[i])))
			n++;
	return n;
}

float *kernels_predict(network *netp, float *input)
{
	network net = *netp;
	int i;

	net.input = input;
	net.truth = 0;
	net.train = 0;
	net.delta = 0;
	for (i = 0; i < net.n; i++) {
		layer l = net.layers[i];

		net.index = i;
		l.forward(l, net);
		net.input = l.output;
		if (l.truth)
			net.truth = l.output;
	}
	return netp->output;
}
