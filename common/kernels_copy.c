/* kernels_copy - the forwards of the layers kernels.c covers that
 * compute little: route, upsample, same-shape shortcut (declared in
 * kernels_priv.h). */
#include <string.h>

#include "kernels_avx2.h"
#include "kernels_priv.h"

/* Exported by libdarknet but not declared in darknet.h. */
float activate(float x, ACTIVATION a);

/* Route: the inputs' outputs one after the other (darknet copies them
 * with a strided loop). */
void kernels_route(layer l, network net)
{
	long off = 0;
	int i;

	for (i = 0; i < l.n; i++) {
		memcpy(l.output + off, net.layers[l.input_layers[i]].output,
		    sizeof(float) * l.input_sizes[i]);
		off += l.input_sizes[i];
	}
}

/* Nearest upsampling by l.stride, times l.scale, as upsample_cpu: each
 * input row widened once, then copied to its stride output rows. */
void kernels_upsample(layer l, network net)
{
	int s = l.stride, ch, y, x, k;

	for (ch = 0; ch < l.c; ch++)
		for (y = 0; y < l.h; y++) {
			const float *in = net.input + ((long)ch * l.h + y) * l.w;
			float *o = l.output + ((long)ch * l.out_h + (long)y * s) * l.out_w;

			for (x = 0; x < l.out_w; x++)
				o[x] = l.scale * in[x / s];
			for (k = 1; k < s; k++)
				memcpy(o + (long)k * l.out_w, o, sizeof(float) * l.out_w);
		}
}

/* Shortcut of two outputs of the same shape (darknet's handles others). */
void kernels_shortcut(layer l, network net)
{
	int act = kernels_act_of(l.activation), i;

	kx_shortcut(net.input, net.layers[l.index].output, l.alpha, l.beta, l.outputs,
	    act >= 0 ? (enum kx_act)act : KX_LINEAR, l.output);
	if (act < 0)
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}
