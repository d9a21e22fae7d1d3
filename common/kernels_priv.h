/* kernels_priv - what kernels.c shares with its other parts (not for
 * use outside common/kernels*.c). */
#ifndef GW_KERNELS_PRIV_H
#define GW_KERNELS_PRIV_H

#include "kernels.h"

/* The activation the AVX2 loops apply (enum kx_act), or -1 for
 * "darknet's, afterwards". */
int kernels_act_of(ACTIVATION a);

/* Bytes in net->workspace: darknet allocates the largest layer's
 * workspace_size (parse_network_cfg, resize_network). */
long kernels_ws_bytes(const network *net);

/* kernels_fc_attach - our forward for a connected layer (batch 1, no
 * batch-norm), its weights packed if it is wide (kernels_fc.c). */
void kernels_fc_attach(layer *l);

/* kernels_fc_ours - 1 if l runs a forward of kernels_fc.c. */
int kernels_fc_ours(const layer *l);

/* Forwards of kernels_copy.c: route (the inputs' outputs one after the
 * other), nearest upsampling (l.stride, times l.scale) and the shortcut
 * of two outputs of the same shape. */
void kernels_route(layer l, network net);
void kernels_upsample(layer l, network net);
void kernels_shortcut(layer l, network net);

/* kernels_read_elsewhere - 1 if a route or shortcut of net reads layer
 * i's output (so its output must be kept: no pool fused into it). */
int kernels_read_elsewhere(const network *net, int i);

/* kernels_conv_fp32 - the generic fp32 forward of a covered convolution
 * (AVX2; 3x3 weights as kernels_attach packed them in weight_updates,
 * before kamx_conv_attach was asked): for kernels_amx.c's layers to fall
 * back on at run time. */
void kernels_conv_fp32(layer l, network net);

/* The AMX path (kernels_amx.c, its own; declared weak where called, so
 * a build without that file links and runs the fp32 path):
 * kamx_usable - 1 if this CPU and OS let the process use AMX tiles;
 * kamx_conv_attach - called by kernels_attach for every covered
 *   convolution (batch-norm folded, our own forward already set) when
 *   kernels_isa() is KERNELS_AMX: 1 = it set l->forward and packed what
 *   it needs (not in weight_updates), 0 = the layer is left as it was;
 * kamx_ours - 1 if l->forward is one of its forwards;
 * kamx_fuse_pools - called after kernels_attach's own pool fusing (AMX
 *   only): fuses 2x2 pools into the layers kamx_conv_attach took;
 * kamx_fused - 1 if l is such a layer whose own output is not written
 *   (kernels_output_kept says 0). */
int kamx_usable(void);
int kamx_conv_attach(layer *l, const network *net);
int kamx_ours(const layer *l);
void kamx_fuse_pools(network *net);
int kamx_fused(const layer *l);

#endif
