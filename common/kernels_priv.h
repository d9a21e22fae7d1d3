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

/* kernels_conv_fp32 - the fp32 forward of a covered convolution
 * (whatever kernel its shape and the CPU take): for kernels_amx.c's
 * layers to fall back on at run time. */
void kernels_conv_fp32(layer l, network net);

/* The AMX path (kernels_amx.c, its own; declared weak where called, so
 * a build without that file links and runs the fp32 path):
 * kamx_usable - 1 if this CPU and OS let the process use AMX tiles;
 * kamx_conv_attach - called by kernels_attach for every covered
 *   convolution (batch-norm already folded) when kernels_isa() is
 *   KERNELS_AMX: 1 = it set l->forward and packed what it needs, 0 =
 *   the layer is left to the fp32 path;
 * kamx_ours - 1 if l->forward is one of its forwards;
 * kamx_fuse_pools - called after kernels_fuse_pools when KERNELS_AMX: the
 *   2x2 maxpools after its layers written by those layers (the pool's
 *   forward a no-op);
 * kamx_fused - 1 if l is one of its layers that writes its pool's output
 *   instead of its own (kernels_output_kept). */
int kamx_usable(void);
int kamx_conv_attach(layer *l, const network *net);
int kamx_ours(const layer *l);
void kamx_fuse_pools(network *net);
int kamx_fused(const layer *l);

#endif
