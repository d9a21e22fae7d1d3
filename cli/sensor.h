/* sensor - a body-temperature sensor read through the file system: the
 * sensor program writes degrees C as text, either into a regular file
 * (rewritten per reading, best by write-to-temp + rename) or into a FIFO
 * (one reading per line). `gatewatch push --temperature-from PATH` asks for
 * the latest reading once per frame. */
#ifndef GW_CLI_SENSOR_H
#define GW_CLI_SENSOR_H

#include <stdint.h>

#define SENSOR_LINE_MAX 128

struct sensor {
	char path[1024];
	int fifo;                  /* 1: a stream (FIFO, character device), read non-blocking */
	int fd;                    /* stream only: owned, closed by sensor_close */
	char part[SENSOR_LINE_MAX];/* stream only: a line not finished yet */
	size_t part_len;
	int has;                   /* a valid reading is known */
	double value;              /* the latest valid reading, degrees C */
	uint64_t at_ms;            /* when it was written (file mtime) or read (stream), CLOCK_REALTIME ms */
	long max_age_ms;           /* older readings are not used; 0 = no limit */
	char problem[160];         /* why the last read found no valid value, "" if it did */
};

/* sensor_open - set s up for path. Returns 0, or a negative errno (path
 * missing, not a file or stream, not readable); s->problem then says why. */
int sensor_open(struct sensor *s, const char *path, long max_age_ms);

/* sensor_read - the newest reading for a frame taken now. Never blocks:
 * a FIFO is drained of what is already written and its last complete
 * line kept. Returns 1 with *c set, or 0 when there is no valid, fresh
 * reading (s->problem says why: no value yet, not a number, out of the
 * range -50..100 C, older than max_age_ms). A damaged or half-written
 * value keeps the previous reading. */
int sensor_read(struct sensor *s, uint64_t now_ms, double *c);

/* sensor_close - release what sensor_open took. */
void sensor_close(struct sensor *s);

#endif
