/*
 * tap.h - one "ok - " / "not ok - " line a check, for the model tools'
 * C checks (kernels-check, amx-check), which test/run.sh counts; main
 * returns failures ? 1 : 0.
 */
#ifndef GW_TEST_MODELS_TAP_H
#define GW_TEST_MODELS_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int failures;

static void ok(int good, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
ok(int good, const char *fmt, ...)
{
	va_list ap;

	printf(good ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!good)
		failures++;
}

#endif
