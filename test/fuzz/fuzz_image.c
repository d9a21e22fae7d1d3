/* fuzz_image - libFuzzer: camera bytes through image_probe and
 * image_decode (imgguard, then stb_image), as ingest and the worker do.
 * A crash here is a camera that can kill ingest. */
#include <stddef.h>
#include <stdint.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image im;
	const char *ext;
	char err[256];
	int w, h;

	if (image_probe(data, size, &ext, &w, &h, err, sizeof(err)) == 0 &&
	    image_decode(data, size, 2000L * 2000L, &im, err, sizeof(err)) == 0)
		image_free(&im);
	return 0;
}
