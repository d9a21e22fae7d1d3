/* frameid - time-ordered frame names: 16 digits of microseconds, '-', a
 * 3-digit sequence. Strictly increasing within a process: the timestamp
 * part never goes below the last one issued, and the sequence orders ids
 * issued within the same microsecond; when it wraps the timestamp part is
 * advanced by one microsecond instead, so sorting by name stays arrival order. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "frameid.h"
#include "util.h"

static pthread_mutex_t frameid_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t frameid_last_us;
static unsigned frameid_seq;

void
frameid_next(char out[FRAMEID_SIZE])
{
	uint64_t now = util_now_us(), t;
	unsigned seq;

	pthread_mutex_lock(&frameid_lock);
	if (now > frameid_last_us) {
		frameid_last_us = now;
		frameid_seq = 0;
	} else if (++frameid_seq > 999) {
		/* same microsecond (or the clock stepped back): borrow the next one */
		frameid_last_us++;
		frameid_seq = 0;
	}
	t = frameid_last_us;
	seq = frameid_seq;
	pthread_mutex_unlock(&frameid_lock);
	snprintf(out, FRAMEID_SIZE, "%016llu-%03u", (unsigned long long)(t % 10000000000000000ull), seq);
}

int
frameid_valid(const char *s)
{
	int i;

	if (s == NULL || strlen(s) != FRAMEID_LEN)
		return 0;
	for (i = 0; i < FRAMEID_LEN; i++) {
		if (i == 16) {
			if (s[i] != '-')
				return 0;
		} else if (s[i] < '0' || s[i] > '9')
			return 0;
	}
	return 1;
}

uint64_t
frameid_time_us(const char *s)
{
	uint64_t t = 0;
	int i;

	if (!frameid_valid(s))
		return 0;
	for (i = 0; i < 16; i++)
		t = t * 10 + (uint64_t)(s[i] - '0');
	return t;
}
