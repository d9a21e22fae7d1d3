/* train - darknet's `darknet classifier train` with gatewatch's fast
 * kernels (train_fast.c overrides libdarknet's gemm, im2col, activations
 * and fill through its PLT). Same arguments, same log lines and the same
 * weight files as Debian's /usr/bin/darknet, whose train_classifier lives
 * in the darknet program, not in libdarknet, so it is rewritten here from
 * the library's exported pieces (load_network, load_data, train_network,
 * save_weights).
 *
 * Usage: train classifier train DATA CFG [WEIGHTS] [-clear]
 *   DATA: darknet .data file (classes, train, labels, backup)
 * Writes BACKUP/<cfg base>.weights at the end, <base>_<epoch>.weights each
 * epoch and <base>.backup every 1000 batches, like darknet. Exit 0 done,
 * 1 on a load failure (darknet itself exits on most bad input), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <darknet.h>

#include "kernels.h"
#include "toolopt.h"

static void train_classifier(char *datacfg, char *cfgfile, char *weightfile, int clear)
{
	char *base = basecfg(cfgfile), buff[4096];
	float avg_loss = -1;
	network *net;
	list *options, *plist;
	char **labels, **paths;
	load_args args;
	data train, buffer;
	pthread_t load_thread;
	int classes, N, epoch;

	printf("%s\n", base);
	srand(time(0));
	net = load_network(cfgfile, weightfile, clear);
	printf("Learning Rate: %g, Momentum: %g, Decay: %g\n", net->learning_rate, net->momentum,
	    net->decay);
	options = read_data_cfg(datacfg);
	char *backup_directory = option_find_str(options, "backup", "/backup/");
	char *label_list = option_find_str(options, "labels", "data/labels.list");
	char *train_list = option_find_str(options, "train", "data/train.list");
	classes = option_find_int(options, "classes", 2);
	labels = get_labels(label_list);
	plist = get_paths(train_list);
	paths = (char **)list_to_array(plist);
	N = plist->size;
	printf("%d\n", N);

	memset(&args, 0, sizeof(args));
	args.w = net->w;
	args.h = net->h;
	args.threads = 32;
	args.hierarchy = net->hierarchy;
	args.min = net->min_ratio * net->w;
	args.max = net->max_ratio * net->w;
	printf("%d %d\n", args.min, args.max);
	args.angle = net->angle;
	args.aspect = net->aspect;
	args.exposure = net->exposure;
	args.saturation = net->saturation;
	args.hue = net->hue;
	args.size = net->w;
	args.paths = paths;
	args.classes = classes;
	args.n = net->batch * net->subdivisions;
	args.m = N;
	args.labels = labels;
	args.type = CLASSIFICATION_DATA;
	args.d = &buffer;
	load_thread = load_data(args);

	epoch = (int)(*net->seen / N);
	while (get_current_batch(net) < (size_t)net->max_batches || net->max_batches == 0) {
		double t = what_time_is_it_now();
		float loss;

		pthread_join(load_thread, 0);
		train = buffer;
		load_thread = load_data(args);
		printf("Loaded: %lf seconds\n", what_time_is_it_now() - t);
		t = what_time_is_it_now();
		loss = train_network(net, train);
		if (avg_loss == -1)
			avg_loss = loss;
		avg_loss = avg_loss * .9 + loss * .1;
		printf("%ld, %.3f: %f, %f avg, %f rate, %lf seconds, %ld images\n",
		    (long)get_current_batch(net), (float)(*net->seen) / N, loss, avg_loss,
		    get_current_rate(net), what_time_is_it_now() - t, (long)*net->seen);
		fflush(stdout);
		free_data(train);
		if (*net->seen / N > (size_t)epoch) {
			epoch = (int)(*net->seen / N);
			snprintf(buff, sizeof(buff), "%s/%s_%d.weights", backup_directory, base, epoch);
			save_weights(net, buff);
		}
		if (get_current_batch(net) % 1000 == 0) {
			snprintf(buff, sizeof(buff), "%s/%s.backup", backup_directory, base);
			save_weights(net, buff);
		}
	}
	snprintf(buff, sizeof(buff), "%s/%s.weights", backup_directory, base);
	save_weights(net, buff);
	pthread_join(load_thread, 0);
	free_network(net);
	free_ptrs((void **)labels, classes);
	free_ptrs((void **)paths, plist->size);
	free_list(plist);
	free(base);
}

static const char train_usage[] =
    "usage: train classifier train DATA CFG [WEIGHTS] [-clear]\n";

int main(int argc, char **argv)
{
	int clear = 0, i, n = 0;
	char *pos[8];

	toolopt_std(argc, argv, "train", train_usage);

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-clear") == 0)
			clear = 1;
		else if (n < 8)
			pos[n++] = argv[i];
	}
	if (n < 4 || n > 5 || strcmp(pos[0], "classifier") != 0 || strcmp(pos[1], "train") != 0) {
		return toolopt_usage(train_usage);
	}
	/* one BLAS thread, and say which path runs */
	fprintf(stderr, "train: %s\n", kernels_available() ?
	    "OpenBLAS sgemm, AVX2 activations" : "OpenBLAS sgemm (no AVX2/FMA: darknet's activations)");
	train_classifier(pos[2], pos[3], n == 5 ? pos[4] : NULL, clear);
	return 0;
}
