/* kernels_fc - our forward for darknet's connected layers (batch 1, no
 * batch-norm): see kernels_priv.h. */
#include <stdlib.h>

#include <cblas.h>

#include "kernels_avx2.h"
#include "kernels_priv.h"

/* Exported by libdarknet but not declared in darknet.h. */
float activate(float x, ACTIVATION a);

/* Connected layer without batch-norm, batch 1: output = weights (outputs x
 * inputs) x input + biases, then activation (darknet's runs its own gemm
 * with a transposed operand and a call per element to activate). */
static void kernels_fc_forward(layer l, network net)
{
	int act = kernels_act_of(l.activation), i;

	if ((long)l.outputs * l.inputs > 4096) {
		cblas_sgemv(CblasRowMajor, CblasNoTrans, l.outputs, l.inputs, 1.0f, l.weights, l.inputs,
		    net.input, 1, 0.0f, l.output, 1);
		for (i = 0; i < l.outputs; i++)
			l.output[i] += l.biases[i];
	} else {   /* a few outputs (the mask head's last): not worth a cold call into OpenBLAS */
		for (i = 0; i < l.outputs; i++) {
			const float *w = l.weights + (long)i * l.inputs;
			float acc = 0;
			int j;

			for (j = 0; j < l.inputs; j++)
				acc += w[j] * net.input[j];
			l.output[i] = acc + l.biases[i];
		}
	}
	if (act >= 0)
		kx_act(l.output, l.outputs, 1, l.outputs, (enum kx_act)act);
	else
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}

/* A wide connected layer (the mask head's 4096 -> 128) reading a ReLU's
 * output, most of it zero: the weights of the nonzero inputs only, packed
 * at attach in weight_updates (kx_fc_sparse); sums in another order than
 * sgemv's, within 1e-6 of it. Cold, its 2 MB of weights were most of the
 * layer's time. */
static void kernels_fc_sparse_forward(layer l, network net)
{
	int act = kernels_act_of(l.activation), i;

	if ((long)l.inputs * (long)sizeof(int) > kernels_ws_bytes(&net)) {
		kernels_fc_forward(l, net);
		return;
	}
	kx_fc_sparse(l.weight_updates, l.outputs, l.inputs, net.input, l.biases, l.output,
	    (int *)net.workspace);
	if (act >= 0)
		kx_act(l.output, l.outputs, 1, l.outputs, (enum kx_act)act);
	else
		for (i = 0; i < l.outputs; i++)
			l.output[i] = activate(l.output[i], l.activation);
}

void kernels_fc_attach(layer *l)
{
	long need = (long)(l->outputs + 63) / 64 * 64 * l->inputs;
	float *wu;

	l->forward = kernels_fc_forward;
	if (l->inputs < 256 || l->outputs < 16 || l->weight_updates == NULL ||
	    (wu = realloc(l->weight_updates, sizeof(float) * need)) == NULL)
		return;
	l->weight_updates = wu;
	kx_fc_pack(l->weights, l->outputs, l->inputs, wu);
	l->forward = kernels_fc_sparse_forward;
}

int kernels_fc_ours(const layer *l)
{
	return l->forward == kernels_fc_forward || l->forward == kernels_fc_sparse_forward;
}
