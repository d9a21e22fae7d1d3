/* fuzz_trailer - libFuzzer: a spool file (image + metadata trailer) through
 * spool_read, and the trailer's JSON through the worker's meta_parse. A
 * spool file is written by ingest, but the spool is a folder on disk: its
 * reader must not trust it. A trailer meta_parse accepts must hold what
 * worker/meta.h promises its readers (analyse_given indexes the close-up
 * faces by n and trusts their order): anything else aborts. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spool.h"
#include "../../worker/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* meta_promised - abort unless m is what meta.h says an accepted trailer gives */
static void
meta_promised(const struct meta *m)
{
	const struct firstpass_faces *f = &m->faces;
	int i;

	if (m->npersons < 0 || m->npersons > MSG_PERSONS_MAX || f->n < 0 || f->n > FIRSTPASS_FACES_MAX)
		abort();
	if (f->input == 0 ? f->n != 0 : f->input < 128 || f->input > 1024 || !(f->threshold >= 0 && f->threshold <= 1))
		abort();
	for (i = 0; i < f->n; i++)
		if (!isfinite(f->f[i].x) || !isfinite(f->f[i].y) || !(f->f[i].w > 0 && f->f[i].h > 0) ||
		    !isfinite(f->f[i].w) || !isfinite(f->f[i].h) || !(f->f[i].score > f->threshold && f->f[i].score <= 1) ||
		    (i > 0 && f->f[i].score > f->f[i - 1].score))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	unsigned char *img;
	size_t imglen;
	char path[64], *metatext, err[256];
	struct meta m;

	if (fd < 0 && (fd = memfd_create("spoolframe", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (spool_read(path, &img, &imglen, &metatext) == 0) {
		if (meta_parse(metatext, &m, err, sizeof(err)) == 0)
			meta_promised(&m);
		free(img);
		free(metatext);
	}
	/* the trailer's JSON alone, NUL-terminated as spool_read leaves it */
	if ((metatext = malloc(size + 1)) != NULL) {
		for (size_t i = 0; i < size; i++)
			metatext[i] = data[i] ? (char)data[i] : ' ';
		metatext[size] = '\0';
		if (meta_parse(metatext, &m, err, sizeof(err)) == 0)
			meta_promised(&m);
		free(metatext);
	}
	return 0;
}
