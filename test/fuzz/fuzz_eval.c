/* fuzz_eval - libFuzzer: the annotation files `gatewatch eval` reads
 * (cli/evalset.c): a set's JSON lines, a PASCAL VOC .xml file, and an
 * --extra file of more faces for a set's images, and a --corrections file
 * (cli/evalfix.c). A bad file must be a clear error (-1 with a message),
 * never a crash, every face kept has a finite box, and the counts of
 * extra and corrected faces agree with the faces. The first byte
 * picks what the rest is: 0 a set (.jsonl), 1 a VOC file, 2 a set, a NUL
 * byte, then an --extra file for it, 3 a set, a NUL byte, a corrections
 * file, and after another NUL byte an --extra file (eval's order). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evalfix.h"
#include "evalset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_eval_dir[64];   /* the files' folder, made at the first input */

/* fuzz_eval_clean - the folder and its files, at exit. */
static void
fuzz_eval_clean(void)
{
	static const char *const names[] = { "img1.jpg", "a.jpg", "a.xml", "set.jsonl", "extra.jsonl", "fix.jsonl" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_eval_dir, names[i]);
		unlink(path);
	}
	rmdir(fuzz_eval_dir);
}

/* fuzz_eval_write - data into dir/name (the folder made once). */
static void
fuzz_eval_write(const char *dir, const char *name, const uint8_t *data, size_t size, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_eval_dir;
	struct evalset set = { 0, 0, NULL, 0, 0 };
	char path[128], extra[128], err[512];
	const uint8_t *nul, *nul2 = NULL;
	uint8_t mode;
	int rc, i, j;

	if (dir[0] == '\0') {
		/* a VOC file's image must exist: one beside it by the name the
		 * seeds use, one by the file's own base name */
		snprintf(fuzz_eval_dir, sizeof(fuzz_eval_dir), "%s/fuzz_eval.XXXXXX",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (strlen(fuzz_eval_dir) >= sizeof(fuzz_eval_dir) - 1 || mkdtemp(fuzz_eval_dir) == NULL)
			abort();
		atexit(fuzz_eval_clean);
		fuzz_eval_write(dir, "img1.jpg", (const uint8_t *)"", 0, path, sizeof(path));
		fuzz_eval_write(dir, "a.jpg", (const uint8_t *)"", 0, path, sizeof(path));
	}
	if (size < 1)
		return 0;
	mode = data[0] % 4;
	data++, size--;
	err[0] = '\0';
	if (mode == 1) {
		fuzz_eval_write(dir, "a.xml", data, size, path, sizeof(path));
		rc = evalset_load(&set, path, err, sizeof(err));
	} else {
		nul = mode >= 2 ? memchr(data, 0, size) : NULL;
		fuzz_eval_write(dir, "set.jsonl", data, nul ? (size_t)(nul - data) : size, path, sizeof(path));
		rc = evalset_load(&set, path, err, sizeof(err));
		if (rc >= 0 && nul != NULL && mode == 3) {
			nul2 = memchr(nul + 1, 0, size - (size_t)(nul + 1 - data));
			fuzz_eval_write(dir, "fix.jsonl", nul + 1, (size_t)((nul2 ? nul2 : data + size) - (nul + 1)), extra,
			    sizeof(extra));
			rc = evalfix_load(&set, extra, err, sizeof(err));
			nul = nul2;
		}
		if (rc >= 0 && nul != NULL) {
			fuzz_eval_write(dir, "extra.jsonl", nul + 1, size - (size_t)(nul + 1 - data), extra, sizeof(extra));
			rc = evalset_extra(&set, extra, err, sizeof(err));
		}
	}
	/* an error says what went wrong */
	if (rc < 0 && err[0] == '\0')
		abort();
	/* the counts agree with the faces: extras are the last nextra, corrections summed */
	for (i = 0, j = 0; i < set.n; j += set.v[i++].ncorrected)
		if (set.v[i].nextra < 0 || set.v[i].nextra > set.v[i].nfaces || set.v[i].ncorrected < 0)
			abort();
	if (j != set.corrected)
		abort();
	for (i = 0; i < set.n; i++)
		for (j = 0; j < set.v[i].nfaces; j++)
			if (!(set.v[i].faces[j].w > 0) || !(set.v[i].faces[j].h > 0) ||
			    !isfinite(set.v[i].faces[j].x + set.v[i].faces[j].y + set.v[i].faces[j].w + set.v[i].faces[j].h) ||
			    evalset_class_name(set.v[i].faces[j].cls) == NULL)
				abort();
	evalset_free(&set);
	return 0;
}
