/* jsonl - see jsonl.h. */
#include <errno.h>

#include "jsonl.h"

int
jsonl_put(FILE *f, json_t *o, size_t flags)
{
	int rc = 0;

	if (o == NULL)
		return -ENOMEM;
	if (json_dumpf(o, f, JSON_COMPACT | flags) != 0 || fputc('\n', f) == EOF)
		rc = -EIO;
	json_decref(o);
	return rc;
}

int
jsonl_close(FILE *f)
{
	if (f == NULL)
		return 0;
	return (ferror(f) | fclose(f)) != 0 ? -EIO : 0;
}
