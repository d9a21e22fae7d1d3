/* check.h - gatewatch's C unit test runner: named cases and a few checks.
 *
 *	CASE(round_trip)
 *	{
 *		CHECK_INT(msg_decode(...), 0, "a frame decodes");
 *	}
 *	...
 *	CHECK_MAIN()
 *
 * Each CASE runs in its own fresh temporary directory (the working
 * directory; check_tmpdir() gives its absolute path), removed with
 * everything in it when the case returns. Repository files are found
 * through check_root() (GW_ROOT, else the directory the test started in).
 *
 * Each check prints "ok - what" or "not ok - what: got X, want Y" so
 * test/run.sh can count, and a failed check does not stop its case. The
 * runner prints "# case NAME" before a case and a closing line
 * "# NAME: N cases, N checks, N failed"; the exit status is 0 when every
 * check passed, 1 otherwise, 2 for a bad command line.
 *
 * Usage: test_x [--list] [case...]   (no case: all, in file order)
 *
 * A test that must prepare something for every case (a model loaded
 * once) writes its own main and ends it with `return check_run(argc, argv);`.
 */
#ifndef GW_CHECK_H
#define GW_CHECK_H

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK_MAX_CASES 128

struct check_case {
	const char *name;
	void (*fn)(void);
	int line;
};

static int check_failures __attribute__((unused));
static int check_count __attribute__((unused));
static struct check_case check_cases[CHECK_MAX_CASES] __attribute__((unused));
static int check_ncases __attribute__((unused));
static char check_root_dir[PATH_MAX] __attribute__((unused));
static char check_tmp_dir[PATH_MAX] __attribute__((unused));

#define CHECK_RESULT_(pass) (check_count++, (pass) ? 1 : (check_failures++, 0))

#define CHECK(cond, what) do { \
	if (CHECK_RESULT_(cond)) printf("ok - %s\n", what); \
	else printf("not ok - %s: %s is false (%s:%d)\n", what, #cond, __FILE__, __LINE__); \
} while (0)

#define CHECK_INT(got, want, what) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (CHECK_RESULT_(g_ == w_)) printf("ok - %s\n", what); \
	else printf("not ok - %s: got %lld, want %lld (%s:%d)\n", what, g_, w_, __FILE__, __LINE__); \
} while (0)

#define CHECK_STR(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	if (CHECK_RESULT_(g_ && w_ && strcmp(g_, w_) == 0)) printf("ok - %s\n", what); \
	else printf("not ok - %s: got \"%s\", want \"%s\" (%s:%d)\n", what, g_ ? g_ : "(null)", \
	    w_ ? w_ : "(null)", __FILE__, __LINE__); \
} while (0)

/* For a test that has no cases and its own main. */
#define CHECK_DONE() (check_failures ? 1 : 0)

static inline void
check_register(const char *name, void (*fn)(void), int line)
{
	if (check_ncases == CHECK_MAX_CASES) {
		fprintf(stderr, "check.h: more than %d cases\n", CHECK_MAX_CASES);
		exit(2);
	}
	check_cases[check_ncases++] = (struct check_case){ name, fn, line };
}

/* CASE(name) { ... } defines and registers a case (before main runs). */
#define CASE(name) \
	static void check_case_##name(void); \
	__attribute__((constructor)) static void check_reg_##name(void) \
	{ check_register(#name, check_case_##name, __LINE__); } \
	static void check_case_##name(void)

/* The repository root (no trailing slash) and the current case's temp dir.
 * (Not inline: callers size their buffers for paths, not for PATH_MAX.) */
__attribute__((unused, noinline)) static const char *
check_root(void)
{
	return check_root_dir;
}

__attribute__((unused, noinline)) static const char *
check_tmpdir(void)
{
	return check_tmp_dir;
}

static inline int
check_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)type; (void)ftw;
	if (remove(path) == -1 && errno != ENOENT)
		printf("# could not remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* Removes dir and everything under it (symbolic links are not followed).
 * 0 or a negative errno. */
static inline int
check_rmtree(const char *dir)
{
	if (nftw(dir, check_rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

/* Creates a fresh empty directory /tmp/gw-<tag>.XXXXXX (TMPDIR honoured)
 * into out; 0 or a negative errno. check_rmtree() removes it. */
static inline int
check_mkdtemp(char *out, size_t len, const char *tag)
{
	const char *t = getenv("TMPDIR");

	if ((size_t)snprintf(out, len, "%s/gw-%s.XXXXXX", t && *t ? t : "/tmp", tag) >= len)
		return -ENAMETOOLONG;
	return mkdtemp(out) ? 0 : -errno;
}

/* The whole of a file as a NUL-terminated string to free(); "" (still to
 * free) when it cannot be read. */
static inline char *
check_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;

	if (f != NULL) {
		FILE *out = open_memstream(&buf, &len);
		char chunk[4096];

		while (out != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, out);
		if (out != NULL)
			fclose(out);
		fclose(f);
	}
	return buf ? buf : strdup("");
}

static inline int
check_cmp_line(const void *a, const void *b)
{
	return ((const struct check_case *)a)->line - ((const struct check_case *)b)->line;
}

static inline int
check_one(const struct check_case *c)
{
	int before = check_failures, checks = check_count, rc;

	printf("# case %s\n", c->name);
	fflush(stdout);
	rc = check_mkdtemp(check_tmp_dir, sizeof(check_tmp_dir), c->name);
	if (rc < 0 || chdir(check_tmp_dir) == -1) {
		printf("not ok - %s: temp dir: %s\n", c->name, strerror(rc < 0 ? -rc : errno));
		check_failures++;
		return 1;
	}
	c->fn();
	if (check_count == checks) {
		printf("not ok - case %s ran no check\n", c->name);
		check_failures++;
	}
	if (chdir(check_root_dir) == -1 && chdir("/") == -1) {}
	if (check_rmtree(check_tmp_dir) < 0)
		printf("# %s: temp dir %s left behind\n", c->name, check_tmp_dir);
	check_tmp_dir[0] = '\0';
	fflush(stdout);
	return check_failures != before;
}

/* Runs the cases named in argv (all when none), in file order. */
static inline int
check_run(int argc, char **argv)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *root = getenv("GW_ROOT");
	const char *failed_cases[CHECK_MAX_CASES];
	int i, j, run = 0, nfailed = 0, want_all = 1;

	qsort(check_cases, (size_t)check_ncases, sizeof(check_cases[0]), check_cmp_line);
	if (root && *root)
		snprintf(check_root_dir, sizeof(check_root_dir), "%s", root);
	else if (getcwd(check_root_dir, sizeof(check_root_dir)) == NULL)
		snprintf(check_root_dir, sizeof(check_root_dir), ".");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--list") == 0) {
			for (j = 0; j < check_ncases; j++)
				printf("%s\n", check_cases[j].name);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || argv[i][0] == '-') {
			printf("usage: %s [--list] [case...]\n", prog);
			return strcmp(argv[i], "--help") == 0 ? 0 : 2;
		}
		for (j = 0; j < check_ncases && strcmp(check_cases[j].name, argv[i]) != 0; j++)
			;
		if (j == check_ncases) {
			fprintf(stderr, "%s: no case named %s (--list shows them)\n", prog, argv[i]);
			return 2;
		}
		want_all = 0;
	}
	for (j = 0; j < check_ncases; j++) {
		int named = want_all;

		for (i = 1; i < argc && !named; i++)
			named = strcmp(argv[i], check_cases[j].name) == 0;
		if (!named)
			continue;
		run++;
		if (check_one(&check_cases[j]))
			failed_cases[nfailed++] = check_cases[j].name;
	}
	printf("# %s: %d cases, %d checks, %d failed", prog, run, check_count, check_failures);
	for (j = 0; j < nfailed; j++)
		printf("%s%s", j ? " " : "; failed cases: ", failed_cases[j]);
	printf("\n");
	return check_failures ? 1 : 0;
}

#define CHECK_MAIN() \
	int main(int argc, char **argv) { return check_run(argc, argv); }

#endif
