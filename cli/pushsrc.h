/* pushsrc - where `gatewatch push` gets its frames and their temperature:
 * image files one after another, or a stream of JPEGs on stdin split by
 * jpegstream (a live pipe keeps only the newest frame); a fixed
 * --temperature or a sensor's latest reading. Used from one thread (the
 * stdin reader is jpegstream's own). */
#ifndef GW_CLI_PUSHSRC_H
#define GW_CLI_PUSHSRC_H

#include <stddef.h>
#include <stdint.h>

#include "jpegstream.h"
#include "pushopts.h"
#include "sensor.h"

struct pushsrc {
	const struct pushopts *opt;        /* not owned */
	int next_file;                     /* files handed out so far */
	int live;                          /* stdin is a live stream */
	int js_started;
	struct jpegstream js;
	int has_sensor;
	struct sensor sensor;
	char sensor_problem[160];          /* the last one reported, to say it once */
	char error[300];                   /* why pushsrc_next gave -1 with an error */
};

/* pushsrc_open - open the sensor and start reading stdin (wake is called
 * from the reader thread when a frame is ready). Returns 0, or the exit
 * status (2 for a sensor that is not there, 1 otherwise; said on stderr). */
int pushsrc_open(struct pushsrc *s, const struct pushopts *opt, void (*wake)(void *));

/* pushsrc_next - the next frame (malloc'd, the caller frees) and its name
 * ("stdin#N" or the file): 1; 0 when none is ready yet; -1 when none will
 * come (error[] says why if it is an error, else ""). */
int pushsrc_next(struct pushsrc *s, unsigned char **frame, size_t *len, char *name, size_t namelen);

/* pushsrc_temperature - the temperature to send with the next frame: 1
 * with *c set, 0 for none (why said once on stderr). */
int pushsrc_temperature(struct pushsrc *s, double *c);

/* pushsrc_close - stop the reader (before anything it wakes is gone) and
 * close the sensor; stdin's counts (frames read, dropped, bytes skipped). */
void pushsrc_close(struct pushsrc *s, uint64_t *frames, uint64_t *dropped, uint64_t *skipped);

#endif
