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

#endif
