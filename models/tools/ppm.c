/* ppm - decode images via ImageMagick into RGB8; write PPM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ppm.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_PNM
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_image.h>

int ppm_decode(const char *path, struct image *im)
{
	int w, h, n;
	unsigned char *p = stbi_load(path, &w, &h, &n, 3);

	if (p == NULL) {
		fprintf(stderr, "%s: %s\n", path, stbi_failure_reason());
		return -1;
	}
	/* stb's buffer comes from malloc (STBI_MALLOC default): free() works */
	im->rgb = p;
	im->w = w;
	im->h = h;
	return 0;
}

static int ppm_read_header_int(FILE *f, int *v)
{
	int c;

	do {
		c = getc(f);
		if (c == '#')
			while (c != '\n' && c != EOF)
				c = getc(f);
	} while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
	if (c < '0' || c > '9')
		return -1;
	*v = 0;
	while (c >= '0' && c <= '9') {
		*v = *v * 10 + (c - '0');
		if (*v > 1 << 16)
			return -1;
		c = getc(f);
	}
	return 0;
}

static int ppm_read_ppm(FILE *f, struct image *im)
{
	int w, h, max;
	size_t n;

	if (getc(f) != 'P' || getc(f) != '6' || ppm_read_header_int(f, &w) < 0 ||
	    ppm_read_header_int(f, &h) < 0 || ppm_read_header_int(f, &max) < 0 || max != 255 || w < 1 || h < 1)
		return -1;
	n = (size_t)w * h * 3;
	if ((im->rgb = malloc(n)) == NULL)
		return -1;
	if (fread(im->rgb, 1, n, f) != n) {
		free(im->rgb);
		im->rgb = NULL;
		return -1;
	}
	im->w = w;
	im->h = h;
	return 0;
}

int ppm_load(const char *path, struct image *im)
{
	int p[2], status, rc;
	pid_t pid;
	FILE *f;

	if (pipe(p) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		char src[4096];

		snprintf(src, sizeof(src), "%s[0]", path);
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl("/usr/bin/convert", "convert", src, "-depth", "8", "ppm:-", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "rb");
	rc = f ? ppm_read_ppm(f, im) : -1;
	if (f) {
		while (getc(f) != EOF)
			;
		fclose(f);
	}
	waitpid(pid, &status, 0);
	if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (rc == 0)
			free(im->rgb);
		fprintf(stderr, "%s: cannot decode\n", path);
		return -1;
	}
	return 0;
}

int ppm_write(const char *path, const struct image *im)
{
	FILE *f = fopen(path, "wb");
	size_t n = (size_t)im->w * im->h * 3;
	int rc;

	if (f == NULL)
		return -1;
	fprintf(f, "P6\n%d %d\n255\n", im->w, im->h);
	rc = fwrite(im->rgb, 1, n, f) == n ? 0 : -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}
