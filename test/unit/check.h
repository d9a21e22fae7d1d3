/* check.h - the few assertions gatewatch's C unit tests use. Each prints
 * "ok - what" or "not ok - what: got X, want Y" so test/run.sh can count,
 * and a failed check does not stop the test: the exit status does. */
#ifndef GW_CHECK_H
#define GW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, what) do { \
	if (cond) printf("ok - %s\n", what); \
	else { printf("not ok - %s: %s is false (%s:%d)\n", what, #cond, __FILE__, __LINE__); check_failures++; } \
} while (0)

#define CHECK_INT(got, want, what) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) printf("ok - %s\n", what); \
	else { printf("not ok - %s: got %lld, want %lld (%s:%d)\n", what, g_, w_, __FILE__, __LINE__); check_failures++; } \
} while (0)

#define CHECK_STR(got, want, what) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ && w_ && strcmp(g_, w_) == 0) printf("ok - %s\n", what); \
	else { printf("not ok - %s: got \"%s\", want \"%s\" (%s:%d)\n", what, g_ ? g_ : "(null)", w_ ? w_ : "(null)", __FILE__, __LINE__); check_failures++; } \
} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
