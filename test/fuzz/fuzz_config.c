/* fuzz_config - libFuzzer: a configuration file through config_load and
 * config_check (a bad file must be a clear error, never a crash). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static struct config c;
	char path[64], err[512];

	if (fd < 0 && (fd = memfd_create("gatewatch.conf", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_defaults(&c);
	if (config_load(&c, path, err, sizeof(err)) == 0)
		(void)config_check(&c, err, sizeof(err));
	return 0;
}
