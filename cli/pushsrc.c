/* pushsrc - frames (files or jpegstream on stdin) and temperatures (fixed
 * or a sensor) for `gatewatch push`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pushsrc.h"
#include "util.h"

int
pushsrc_open(struct pushsrc *s, const struct pushopts *opt, void (*wake)(void *))
{
	struct stat st;
	int rc;

	memset(s, 0, sizeof(*s));
	s->opt = opt;
	if (opt->sensor_path) {
		if (sensor_open(&s->sensor, opt->sensor_path, (long)opt->max_age_ms) != 0) {
			fprintf(stderr, "gatewatch push: --temperature-from %s: %s (start the sensor program first, "
			    "or create the file or FIFO)\n", opt->sensor_path, s->sensor.problem);
			return 2;
		}
		s->has_sensor = 1;
	}
	if (!opt->use_stdin)
		return 0;
	s->live = !opt->all_frames && !(fstat(0, &st) == 0 && S_ISREG(st.st_mode));
	s->js_started = 1;
	if ((rc = jpegstream_start(&s->js, 0, !s->live, wake, NULL)) != 0) {
		fprintf(stderr, "gatewatch push: cannot start reading stdin: %s\n", strerror(-rc));
		return 1;
	}
	return 0;
}

int
pushsrc_next(struct pushsrc *s, unsigned char **frame, size_t *len, char *name, size_t namelen)
{
	const char *file;
	uint64_t index;
	int rc;

	s->error[0] = '\0';
	if (s->opt->use_stdin) {
		rc = jpegstream_take(&s->js, frame, len, &index);
		if (rc > 0)
			snprintf(name, namelen, "stdin#%llu", (unsigned long long)index);
		else if (rc < 0 && s->js.error[0])
			snprintf(s->error, sizeof(s->error), "stdin: %s", s->js.error);
		return rc;
	}
	if (s->next_file >= s->opt->nfiles)
		return -1;
	file = s->opt->files[s->next_file];
	util_strlcpy(name, file, namelen);
	if ((rc = util_read_file(file, (size_t)1 << 30, frame, len)) != 0) {
		snprintf(s->error, sizeof(s->error), "%.200s: %s", file, strerror(-rc));
		return -1;
	}
	s->next_file++;
	return 1;
}

static uint64_t
pushsrc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int
pushsrc_temperature(struct pushsrc *s, double *c)
{
	if (s->opt->has_temp) {
		*c = s->opt->temperature;
		return 1;
	}
	if (!s->has_sensor)
		return 0;
	if (sensor_read(&s->sensor, pushsrc_wall_ms(), c)) {
		if (s->sensor_problem[0])
			fprintf(stderr, "gatewatch push: temperature sensor %s: reading again (%.1f C)\n",
			    s->sensor.path, *c);
		s->sensor_problem[0] = '\0';
		return 1;
	}
	if (strcmp(s->sensor_problem, s->sensor.problem) != 0) {
		fprintf(stderr, "gatewatch push: temperature sensor %s: %s; frames go without a temperature\n",
		    s->sensor.path, s->sensor.problem);
		util_strlcpy(s->sensor_problem, s->sensor.problem, sizeof(s->sensor_problem));
	}
	return 0;
}

void
pushsrc_close(struct pushsrc *s, uint64_t *frames, uint64_t *dropped, uint64_t *skipped)
{
	if (s->js_started) {
		jpegstream_counts(&s->js, frames, dropped, skipped);
		jpegstream_stop(&s->js);
		s->js_started = 0;
	}
	if (s->has_sensor) {
		sensor_close(&s->sensor);
		s->has_sensor = 0;
	}
}
