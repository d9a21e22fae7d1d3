/* toolopt - what every model tool answers like the gatewatch programs do:
 * --help (its usage on stdout, exit 0) and --version ("NAME VERSION", the
 * one version of common/version.h). The tools link the network objects
 * only, not libgwcommon (mk/models.mk), hence this small file. */
#ifndef GW_TOOLOPT_H
#define GW_TOOLOPT_H

/* toolopt_std - argv[1] -h/--help or --version: answer and exit 0;
 * anything else returns. */
void toolopt_std(int argc, char **argv, const char *name, const char *usage);

/* toolopt_usage - the usage on stderr; returns 2, the exit status of a
 * bad command line. */
int toolopt_usage(const char *usage);

#endif
