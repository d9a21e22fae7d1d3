/* fuzz_trailer - libFuzzer: a spool file (image + metadata trailer) through
 * spool_read, and the trailer's JSON through the worker's meta_parse. A
 * spool file is written by ingest, but the spool is a folder on disk: its
 * reader must not trust it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spool.h"
#include "../../worker/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		(void)meta_parse(metatext, &m, err, sizeof(err));
		free(img);
		free(metatext);
	}
	/* the trailer's JSON alone, NUL-terminated as spool_read leaves it */
	if ((metatext = malloc(size + 1)) != NULL) {
		for (size_t i = 0; i < size; i++)
			metatext[i] = data[i] ? (char)data[i] : ' ';
		metatext[size] = '\0';
		(void)meta_parse(metatext, &m, err, sizeof(err));
		free(metatext);
	}
	return 0;
}
