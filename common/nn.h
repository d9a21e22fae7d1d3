/* nn - the darknet networks gatewatch runs, behind one small API.
 *
 * Each network object owns a darknet network and its buffers: one object
 * per thread, never shared (darknet keeps state in the network). Loading
 * reads <models_dir>/<name>.cfg and .weights, written by `make models`; a
 * missing or unloadable file is an error with the path in err, never a
 * silent fallback. All boxes are in pixels of the input image. */
#ifndef GW_NN_H
#define GW_NN_H

#include <stddef.h>
#include "image.h"

struct nn_box {
	float x, y, w, h;   /* top-left corner and size, pixels */
	float score;
};

/* Face detector: AIZOOTech's face mask detector (model360, MIT; trained on
 * masked and unmasked faces) converted to darknet (models/face.cfg +
 * face.weights, models/scripts/convert-face.py). input: 64..1024, square
 * (360: the size it was trained at). Preprocessing: the view stretched to
 * the input (bilinear, half-pixel centres), RGB/255; decode its SSD heads
 * (5 maps x 4 anchors per cell), face score = max(Mask, NoMask), NMS 0.4. */
struct facedet;
struct facedet *facedet_open(const char *models_dir, int input, char *err, size_t errlen);
/* facedet_open_canvas - the same network at a w x h input (h <= w; the
 * anchors keep their pixel sizes at w): for facedet_run_tiles only, e.g.
 * 360 x 180 holds two 180 x 180 cells for half a 360 run. */
struct facedet *facedet_open_canvas(const char *models_dir, int w, int h, char *err, size_t errlen);
/* facedet_run - faces on the whole image, boxes sorted by score, at most
 * max; returns the count or -errno. */
int facedet_run(struct facedet *fd, const struct image *im, float threshold, struct nn_box *out, int max);
/* facedet_run_tiles - one run on nv views (each inside im) side by side:
 * view t is stretched into the square cell t (row t / grid, column
 * t % grid) of width / grid pixels, as many rows as the input's height
 * holds (nv at most grid x rows; grid 1 on a square input: one view
 * stretched to the whole input), the rest of the input black. A face
 * belongs to the cell its centre lies in. count[t] gets the number of
 * faces of view t, which follow those of views 0..t-1 in out (in image
 * pixels, each view's best first; at most max in all). Several small head
 * regions for the price of one run. Returns the total or -errno. */
struct facedet_view { int x, y, w, h; };
int facedet_run_tiles(struct facedet *fd, const struct image *im, const struct facedet_view *v, int nv,
                      int grid, float threshold, struct nn_box *out, int *count, int max);
/* facedet_close - free fd (NULL is fine). */
void facedet_close(struct facedet *fd);

/* Person detector: human-models NanoDet converted to darknet
 * (models/person.cfg + person.weights), person class only. input: 416
 * (320 also accepted). Preprocessing: stretch to input, RGB/255; decode
 * strides 8/16/32 (sigmoid scores, softmax distance bins), NMS. */
struct persondet;
struct persondet *persondet_open(const char *models_dir, int input, char *err, size_t errlen);
int persondet_run(struct persondet *pd, const struct image *im, float threshold, struct nn_box *out, int max);
void persondet_close(struct persondet *pd);

/* Mask classifier: trained by `make train-mask` (models/mask.cfg +
 * mask.weights + mask.labels + mask.thresholds). Classes in this order;
 * MASKCLS_UNSURE is maskcls_decide's "no class is sure enough". */
enum maskcls_class { MASKCLS_ON = 0, MASKCLS_OFF, MASKCLS_CHIN, MASKCLS_N, MASKCLS_UNSURE = MASKCLS_N };
struct maskcls;
/* maskcls_open - load the network, its labels (checked against the order
 * above) and its per-class thresholds; NULL with the reason in err when any
 * file is missing or malformed. */
struct maskcls *maskcls_open(const char *models_dir, char *err, size_t errlen);
/* maskcls_run - classify the face box (expanded by the same margin used in
 * training) of im; probs gets MASKCLS_N probabilities, the mean of the
 * network's answers for the crop and its mirror image (two passes).
 * Returns the argmax class or -errno. */
int maskcls_run(struct maskcls *mc, const struct image *im, const struct nn_box *face, float probs[MASKCLS_N]);
/* maskcls_from_detector - the box maskcls_run wants for a face box from
 * facedet_run: the detector's boxes sit higher and are taller than the
 * annotated boxes the classifier learnt (measured, see maskcls.c). */
void maskcls_from_detector(const struct nn_box *det, struct nn_box *out);
/* maskcls_nose_box - the box whose nn_face_square crop (NN_MASK_MARGIN) is
 * the square around the nose of face (a box as maskcls_run takes it): rows
 * MASKCLS_NOSE_TOP..MASKCLS_NOSE_BOTTOM of its height, centred across it.
 * A classifier whose models folder has mask.region "nose" crops this. */
void maskcls_nose_box(const struct nn_box *face, struct nn_box *out);
/* maskcls_decide - the class to act on: the argmax of probs when its
 * probability reaches that class's threshold (mask.thresholds), else
 * MASKCLS_UNSURE (wait for a better view). */
int maskcls_decide(const struct maskcls *mc, const float probs[MASKCLS_N]);
/* maskcls_features - the input of the head's first [connected] layer (the
 * backbone's features), crop and mirror averaged, of the last maskcls_run,
 * into out (n floats; out NULL: just the count). Returns the count,
 * -EINVAL when n is not it, -ENOENT when the net has no such layer. */
int maskcls_features(const struct maskcls *mc, float *out, int n);
/* maskcls_threshold - the minimum probability to call cls (1 for a bad cls). */
float maskcls_threshold(const struct maskcls *mc, int cls);
/* maskcls_close - free mc (NULL is fine). */
void maskcls_close(struct maskcls *mc);
const char *maskcls_name(int cls); /* "mask_on", "mask_off", "mask_chin" */

/* nn_set_kernels - which forward networks loaded from now on run: "auto"
 * (the default: gatewatch's kernels at the best instruction set the CPU
 * has, AMX bf16 tiles for the convolutions where granted, else AVX-512 or
 * AVX2 + FMA, darknet's own without AVX2), "amx" (the same; the reason
 * AMX was refused in nn_kernels_name), "avx512" (the fp32 kernels, never
 * AMX), "avx2" (gatewatch's AVX2 kernels even where the CPU has
 * AVX-512) or "stock" (darknet's own everywhere): the config key
 * nn.kernels. Process-wide: call from main before loading any network.
 * Returns 0, or -EINVAL for another mode. */
int nn_set_kernels(const char *mode);
/* nn_kernels_valid - >= 0 if mode is one nn_set_kernels takes, else -EINVAL. */
int nn_kernels_valid(const char *mode);
/* nn_kernels_name - what runs, for logs ("avx512", "avx2", "stock", ...). */
const char *nn_kernels_name(void);

/* nn_nms - in-place greedy NMS over boxes sorted by score; returns the kept count. */
int nn_nms(struct nn_box *b, int n, float iou_threshold);
float nn_iou(const struct nn_box *a, const struct nn_box *b);
/* nn_center_inside - 1 if the centre of a lies inside b (edges excluded). */
int nn_center_inside(const struct nn_box *a, const struct nn_box *b);

#endif
