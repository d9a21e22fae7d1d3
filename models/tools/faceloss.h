/* faceloss - the SSD loss of the face detector's heads for facetrain: the
 * anchors as common/facedet.c decodes them, matching of annotated faces to
 * anchors, and the deltas (darknet's sign: the negative gradient) of the
 * class convs (trained as linear: the sigmoid is applied here) and the box
 * convs. */
#ifndef GW_FACELOSS_H
#define GW_FACELOSS_H

#include <darknet.h>

#define FACELOSS_LEVELS 5
#define FACELOSS_ANCHORS 4

/* One annotated face in the network's input, fractions of its side. cls:
 * 0 Mask, 1 NoMask, 2 either (mask_chin, unknown: only NoMask is trained
 * up, Mask left alone), -1 ignore (too small or cut: neither positive nor
 * negative). */
struct faceloss_box { float x, y, w, h; int cls; };

struct faceloss {
	layer *cls[FACELOSS_LEVELS], *loc[FACELOSS_LEVELS];
	float (*anchor)[4];   /* cx, cy, w, h, level by level, as facedet.c */
	int n;
	float *best;          /* per anchor: best IoU, matched box index */
	int *match;
	float *negloss;
	int *order;
	float pos_iou, neg_iou, neg_ratio, norm;
	int oneclass;         /* 1: a face is a face: -log max(sigmoid Mask, NoMask) */
	float weight[3];      /* positives' loss x weight[cls] (default 1 1 1) */
};

struct faceloss_sums { double cls, box; long pos, neg; };

/* faceloss_init - find the heads (class convs of 8 filters with logistic
 * activation, set to LINEAR here for training; box convs of 16, linear)
 * and build the anchors. Returns 0 or -1 with the reason on stderr. */
int faceloss_init(struct faceloss *fl, network *net);
void faceloss_free(struct faceloss *fl);

/* faceloss_delta - after forward_network on one image (batch 1): match
 * the boxes, write the heads' deltas, add the losses to s. */
void faceloss_delta(struct faceloss *fl, const struct faceloss_box *b, int nb, struct faceloss_sums *s);

#endif
