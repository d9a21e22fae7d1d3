/* test_amx - the AMX bf16 convolutions (common/kernels_amx.c) against a
 * double-precision reference:
 *   random   layers of random ragged shapes (channels 1-70, filters
 *            1-64, 1x1/3x3/5x5, pad 0-2, planes 1-40 wide and high, with
 *            and without the fused 2x2 maxpool);
 *   nets     every stride-1 ungrouped convolution of the face, mask and
 *            person networks, on its real input (a photo through the fp32
 *            forward), at the sizes given.
 * Each output must lie within 2^-7 of sum |w x| of the reference (bf16
 * rounds each input and weight by at most 2^-9 of itself; the sums are
 * fp32) plus 1e-5: a wrong tap, channel or pixel is off by the size of a
 * whole product. The worst difference relative to the layer's largest
 * output is printed. Then:
 *   boxes    facedet at each face size with nn.kernels=amx and =avx512: every
 *            box of one matched by a box of the other at IoU >= 0.8 with
 *            a score within 0.05 (the detector's threshold is 0.7; bf16
 *            moves scores by about 0.01);
 *   refused  a child whose arch_prctl(ARCH_REQ_XCOMP_PERM) a seccomp
 *            filter refuses: nn.kernels=amx gives the fp32 kernels
 *            (kernels_isa), and nn_kernels_name (the daemons' ready line)
 *            says amx was refused and why.
 * Without AMX on the CPU each check says "skip" with the reason.
 *
 * Usage: amx-check MODELS NAME=SIZE[,SIZE...]... -- IMAGE... */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "image.h"
#include "kernels.h"
#include "kernels_amx.h"
#include "nn.h"
#include "nn_priv.h"
#include "util.h"

#include "tap.h"

#define MAXIMG 8

static const char *models;
static struct image img[MAXIMG];
static int nimg;

struct shape {
	int c, n, size, pad, h, w, act, pool;
	int sample;     /* check interior outputs 1 in sample (edges all) */
};

/* The reference output (double) and sum |w x| of output f at (y, x). */
static void ref_at(const struct shape *s, const float *in, const float *wt, const float *bias,
    int f, int y, int x, double *val, double *mag)
{
	double v = bias[f], m = fabs(bias[f]);
	int ch, ky, kx;

	for (ch = 0; ch < s->c; ch++)
		for (ky = 0; ky < s->size; ky++)
			for (kx = 0; kx < s->size; kx++) {
				int iy = y + ky - s->pad, ix = x + kx - s->pad;
				double p;

				if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
					continue;
				p = (double)wt[((f * s->c + ch) * s->size + ky) * s->size + kx] *
				    in[(ch * s->h + iy) * s->w + ix];
				v += p;
				m += fabs(p);
			}
	*val = v;
	*mag = m;
}

static double act_of(int act, double v)
{
	return act == KX_RELU ? fmax(v, 0) : act == KX_LEAKY && v < 0 ? .1 * v : v;
}

/* Run kamx on one layer, compare. Returns the worst |diff| / max |ref|,
 * or -1 (and says why in why) if an output is outside its bound. */
static double check_shape(const struct shape *s, const float *in, const float *wt,
    const float *bias, char *why, size_t whylen)
{
	int oh = s->h + 2 * s->pad - s->size + 1, ow = s->w + 2 * s->pad - s->size + 1;
	int qh = s->pool ? (oh + 1) / 2 : oh, qw = s->pool ? (ow + 1) / 2 : ow, f, y, x, dy, dx;
	struct kamx_conv *p = kamx_pack(wt, bias, s->n, s->c, s->size, s->pad);
	float *out = malloc(sizeof(float) * s->n * qh * qw);
	void *ws = p ? aligned_alloc(64, (kamx_scratch(p, s->h, s->w) + 63) & ~63L) : NULL;
	double worst = 0, mx = 0;

	if (p == NULL || out == NULL || ws == NULL) {
		snprintf(why, whylen, "out of memory");
		worst = -1;
		goto out;
	}
	kamx_run(p, in, s->h, s->w, s->act, s->pool, out, ws);
	for (f = 0; f < s->n && worst >= 0; f++)
		for (y = 0; y < qh && worst >= 0; y++)
			for (x = 0; x < qw; x++) {
				int edge = y < 2 || y >= qh - 2 || x < 2 || x >= qw - 2;
				double best = -INFINITY, bmag = 0, got = out[(f * qh + y) * qw + x], d;

				if (!edge && (y * 7 + x + f) % s->sample != 0)
					continue;
				for (dy = 0; dy < (s->pool ? 2 : 1); dy++)
					for (dx = 0; dx < (s->pool ? 2 : 1); dx++) {
						int cy = (s->pool ? 2 * y : y) + dy, cx = (s->pool ? 2 * x : x) + dx;
						double v, m;

						if (cy >= oh || cx >= ow)
							continue;
						ref_at(s, in, wt, bias, f, cy, cx, &v, &m);
						if (v > best)
							best = v;
						bmag = fmax(bmag, m);
					}
				best = act_of(s->act, best);
				d = fabs(got - best);
				mx = fmax(mx, fabs(best));
				if (!(d <= ldexp(bmag, -7) + 1e-5)) {
					snprintf(why, whylen, "filter %d (%d, %d): %.6g, reference %.6g, bound %.3g",
					    f, y, x, got, best, ldexp(bmag, -7) + 1e-5);
					worst = -1;
					break;
				}
				worst = fmax(worst, d);
			}
	if (worst > 0 && mx > 0)
		worst /= mx;
out:
	free(p);
	free(out);
	free(ws);
	return worst;
}

static float frand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return ((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void check_random(int count)
{
	static const int cs[] = { 1, 2, 3, 5, 16, 31, 32, 33, 64, 70 }, ns[] = { 1, 8, 16, 17, 31, 32, 48, 64 };
	unsigned seed = 14;
	double worst = 0;
	char why[256];
	int t;

	for (t = 0; t < count; t++) {
		struct shape s;
		float *in, *wt, *bias;
		double r;
		int i;

		s.c = cs[t % 10];
		s.n = ns[(t / 10) % 8];
		s.size = t % 3 == 0 ? 3 : t % 3 == 1 ? 1 : 5;
		s.pad = (int)((frand(&seed) + 1) * 1.5f) % (s.size / 2 + 2);
		s.h = 1 + (int)((frand(&seed) + 1) * 20);
		s.w = 1 + (int)((frand(&seed) + 1) * 20);
		s.act = t % 3;
		s.pool = t % 2;
		s.sample = 1;
		if (s.h + 2 * s.pad < s.size || s.w + 2 * s.pad < s.size)
			s.pad = s.size / 2 + 1;
		in = malloc(sizeof(float) * s.c * s.h * s.w);
		wt = malloc(sizeof(float) * s.n * s.c * s.size * s.size);
		bias = malloc(sizeof(float) * s.n);
		for (i = 0; i < s.c * s.h * s.w; i++)
			in[i] = frand(&seed);
		for (i = 0; i < s.n * s.c * s.size * s.size; i++)
			wt[i] = frand(&seed) * 0.3f;
		for (i = 0; i < s.n; i++)
			bias[i] = frand(&seed);
		r = check_shape(&s, in, wt, bias, why, sizeof(why));
		free(in);
		free(wt);
		free(bias);
		if (r < 0) {
			ok(0, "random layer %d: %d -> %d %dx%d pad %d on %dx%d%s: %s", t, s.c, s.n, s.size,
			    s.size, s.pad, s.h, s.w, s.pool ? " pooled" : "", why);
			return;
		}
		worst = fmax(worst, r);
	}
	ok(1, "%d random layers (1-70 channels, 1-64 filters, 1x1/3x3/5x5, pad 0-2, 1-40 px, pooled "
	    "or not) within 2^-7 of sum |w x| (worst %.2g of the largest output)", count, worst);
}

/* The photo stretched to the network's input, RGB / 255, planar. */
static void input_of(const struct image *im, int size, float *in)
{
	static const float zero[3] = { 0, 0, 0 };

	nn_resize_tf(im, im->w, im->h, size, size, zero, 1.0f / 255, in);
}

static int pool_after(const network *net, int i)
{
	const layer *l = &net->layers[i], *p = i + 1 < net->n ? &net->layers[i + 1] : NULL;

	return p && p->type == MAXPOOL && p->size == 2 && p->stride == 2 && p->pad / 2 == 0 &&
	    p->out_w == (l->out_w + 1) / 2 && p->out_h == (l->out_h + 1) / 2;
}

/* Every stride-1 ungrouped convolution of one network at one size, on
 * its real inputs: the fp32 forward's (kernels.c) outputs of the layer
 * before. */
static void check_net(const char *name, int size)
{
	char err[512], why[256];
	network *net;
	float *in = NULL;
	double worst = 0;
	int i, j, layers = 0, pooled = 0, worst_layer = -1;

	nn_set_kernels("avx512");
	if ((net = nn_load(models, name, err, sizeof(err))) == NULL) {
		ok(0, "%s %d: load: %s", name, size, err);
		return;
	}
	if (size != net->w && strcmp(name, "mask") != 0)
		nn_resize(net, size, size);
	size = net->w;
	in = malloc(sizeof(float) * 3 * size * size);
	for (j = 0; in && j < nimg; j++) {
		input_of(&img[j], size, in);
		nn_predict(net, in);
		for (i = 0; i < net->n; i++) {
			const layer *l = &net->layers[i];
			struct shape s = { l->c, l->n, l->size, l->pad, l->h, l->w, 0, 0, 1 };
			long macs = (long)l->n * l->c * l->size * l->size * l->out_h * l->out_w;
			double r;

			if (l->type != CONVOLUTIONAL || l->stride != 1 || (l->groups > 1))
				continue;
			s.act = l->activation == RELU ? KX_RELU : l->activation == LEAKY ? KX_LEAKY : KX_LINEAR;
			s.sample = j > 0 ? 1 + (int)(macs / 1000000) : 1 + (int)(macs / 20000000);
			for (s.pool = 0; s.pool <= pool_after(net, i); s.pool++) {
				r = check_shape(&s, i == 0 ? in : net->layers[i - 1].output, l->weights,
				    l->biases, why, sizeof(why));
				if (r < 0) {
					ok(0, "%s %d: photo %d layer %d (%d -> %d %dx%d pad %d on %dx%d%s): %s",
					    name, size, j, i, s.c, s.n, s.size, s.size, s.pad, s.h, s.w,
					    s.pool ? " pooled" : "", why);
					goto out;
				}
				if (r > worst) {
					worst = r;
					worst_layer = i;
				}
				layers += j == 0;
				pooled += j == 0 && s.pool;
			}
		}
	}
	ok(in != NULL && layers > 0, "%s %d: %d stride-1 convolutions (%d also pooled) on %d photos "
	    "within 2^-7 of sum |w x| (worst %.2g of the largest output, layer %d)", name, size,
	    layers - pooled, pooled, nimg, worst, worst_layer);
out:
	free(in);
	free_network(net);
}

static double iou(const struct nn_box *a, const struct nn_box *b)
{
	double x0 = fmax(a->x, b->x), y0 = fmax(a->y, b->y);
	double x1 = fmin(a->x + a->w, b->x + b->w), y1 = fmin(a->y + a->h, b->y + b->h);
	double in = x1 > x0 && y1 > y0 ? (x1 - x0) * (y1 - y0) : 0;

	return in > 0 ? in / (a->w * a->h + b->w * b->h - in) : 0;
}

/* Boxes of a (score >= 0.5) each matched in b (score >= 0.4): IoU >= 0.8,
 * score within 0.05. Returns the unmatched count; *worst the largest
 * score difference of the matches. */
static int unmatched(const struct nn_box *a, int na, const struct nn_box *b, int nb, double *worst)
{
	int i, j, miss = 0;

	for (i = 0; i < na; i++) {
		int found = 0;

		if (a[i].score < 0.5f)
			continue;
		for (j = 0; j < nb && !found; j++)
			if (iou(&a[i], &b[j]) >= 0.8 && fabs(a[i].score - b[j].score) <= 0.05) {
				*worst = fmax(*worst, fabs(a[i].score - b[j].score));
				found = 1;
			}
		miss += !found;
	}
	return miss;
}

/* The face detector as the programs run it, nn.kernels = amx against
 * avx512 (AVX-512 or AVX2, fp32), on every photo. */
static void check_boxes(int size)
{
	struct nn_box box[2][MAXIMG][64];
	int count[2][MAXIMG], m, i, miss = 0, total = 0;
	const char *mode[2] = { "avx512", "amx" };
	double worst = 0;
	char err[512];

	for (m = 0; m < 2; m++) {
		struct facedet *fd;

		nn_set_kernels(mode[m]);
		if ((fd = facedet_open(models, size, err, sizeof(err))) == NULL) {
			ok(0, "boxes %d: facedet_open (%s): %s", size, mode[m], err);
			return;
		}
		for (i = 0; i < nimg; i++)
			count[m][i] = facedet_run(fd, &img[i], 0.4f, box[m][i], 64);
		facedet_close(fd);
	}
	nn_set_kernels("auto");
	for (i = 0; i < nimg; i++) {
		miss += unmatched(box[0][i], count[0][i], box[1][i], count[1][i], &worst);
		miss += unmatched(box[1][i], count[1][i], box[0][i], count[0][i], &worst);
		total += count[0][i];
	}
	ok(miss == 0 && total > 0, "boxes %d: facedet with nn.kernels=amx and =avx512 on %d photos: %d "
	    "boxes, every box over 0.5 of one matched by the other (IoU >= 0.8, score within 0.05; "
	    "%d unmatched, worst score difference %.3f)", size, nimg, total, miss, worst);
}

/* Refuse arch_prctl(ARCH_REQ_XCOMP_PERM) in this process and its
 * children, as a kernel without AMX support or a sandbox would. */
static int refuse_amx(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_arch_prctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1023, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return -errno;
	return 0;
}

/* In a child refused AMX: kamx_usable() no, with the kernel's refusal as
 * its reason. */
static void check_refused(void)
{
	int fd[2], status = 0;
	char why[256] = "", *auto_name;
	ssize_t n;
	pid_t pid;

	if (pipe(fd) != 0 || (pid = fork()) < 0) {
		ok(0, "refused: pipe/fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		int rc = refuse_amx();
		const char *r = rc ? strerror(-rc) : nn_set_kernels("amx") != 0 ? "amx not a mode" :
		    kernels_isa() == KERNELS_AMX ? "amx granted" : nn_kernels_name();
		char both[256];

		/* then the default, auto: the fp32 path, named as asked (no "amx refused") */
		snprintf(both, sizeof(both), "%s\n%s", r, nn_set_kernels("auto") != 0 ? "auto not a mode" :
		    nn_kernels_name());
		close(fd[0]);
		if (write(fd[1], both, strlen(both)) < 0)
			_exit(2);
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], why, sizeof(why) - 1);
	close(fd[0]);
	waitpid(pid, &status, 0);
	why[n > 0 ? n : 0] = '\0';
	auto_name = strchr(why, '\n');
	if (auto_name != NULL)
		*auto_name++ = '\0';
	ok(strstr(why, "amx refused: the kernel refused") != NULL && strncmp(why, "avx", 3) == 0,
	    "refused: nn.kernels=amx in a process whose arch_prctl(ARCH_REQ_XCOMP_PERM) fails runs "
	    "the fp32 kernels and says why: \"%s\"", why);
	ok(auto_name != NULL && strcmp(auto_name, kernels_isa_name(KERNELS_AVX512)) == 0,
	    "refused: nn.kernels=auto there names the fp32 path it runs, not an amx refusal: \"%s\"",
	    auto_name ? auto_name : "(none)");
}

int main(int argc, char **argv)
{
	int i, a;

	if (argc < 4) {
		fprintf(stderr, "usage: amx-check MODELS NAME=SIZE[,SIZE...]... -- IMAGE...\n");
		return 2;
	}
	models = argv[1];
	for (a = 2; a < argc && strcmp(argv[a], "--") != 0; a++)
		;
	for (i = a + 1; i < argc && nimg < MAXIMG; i++) {
		char err[256];
		unsigned char *buf = NULL;
		size_t len;

		if (util_read_file(argv[i], 64 << 20, &buf, &len) < 0 ||
		    image_decode(buf, len, 100L << 20, &img[nimg], err, sizeof(err)) < 0) {
			ok(0, "load %s: %s", argv[i], buf ? err : strerror(errno));
			free(buf);
			return 1;
		}
		free(buf);
		nimg++;
	}
	check_refused();     /* first: a fork after kamx_usable() inherits the grant */
	if (!kamx_usable()) {
		printf("ok - skip: AMX not usable here: %s\n", kamx_why());
		return 0;
	}
	check_random(400);
	for (i = 2; i < a; i++) {
		char *spec = strdup(argv[i]), *eq = strchr(spec, '='), *tok, *save = NULL;

		if (eq == NULL) {
			ok(0, "bad spec %s", argv[i]);
			free(spec);
			continue;
		}
		*eq = '\0';
		for (tok = strtok_r(eq + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			check_net(spec, atoi(tok));
			if (strcmp(spec, "face") == 0)
				check_boxes(atoi(tok));
		}
		free(spec);
	}
	return failures ? 1 : 0;
}
