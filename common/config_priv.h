/* config_priv - what config.c (the key table, the file and the flags)
 * shares with config_check.c (the value checks); users include config.h. */
#ifndef GW_CONFIG_PRIV_H
#define GW_CONFIG_PRIV_H

#include <stddef.h>

#include "config.h"

enum config_type { CT_STR, CT_INT, CT_LONG, CT_BYTES, CT_DOUBLE, CT_LEVEL };

struct config_key {
	const char *key;
	enum config_type type;
	size_t off;
	size_t size;            /* CT_STR: buffer size */
	double min, max;        /* numbers: inclusive range */
	const char *def;        /* the default, as a config file would say it; "" = 0 or empty */
	const char *doc;
};

/* config_check_number - parse a number in k's range; bytes allows a k/M/G
 * suffix. Returns 0, -EINVAL if value is not a number, -ERANGE if out
 * of range. */
int config_check_number(const struct config_key *k, const char *value, double *out);

/* config_check_printable - 1 if s has no control characters. */
int config_check_printable(const char *s);

/* config_check_camera - camera.<id>.token|name|mode; 0, or -EINVAL with err. */
int config_check_camera(struct config *c, const char *key, const char *value, char *err, size_t errlen);

#endif
