/* toolopt - --help and --version for the model tools (toolopt.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolopt.h"
#include "version.h"

void
toolopt_std(int argc, char **argv, const char *name, const char *usage)
{
	if (argc < 2)
		return;
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, stdout);
		exit(0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", name, GW_VERSION);
		exit(0);
	}
}

int
toolopt_usage(const char *usage)
{
	fputs(usage, stderr);
	return 2;
}
