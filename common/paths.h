/* paths - where gatewatch finds its own parts, fixed when it is built.
 *
 * An installed build (`make install PREFIX=/usr/local`) has the install
 * locations compiled in; the tree build (`make`, `make run`, `make test`)
 * has the tree's own bin/, models/out/ and www/, so the same source runs in
 * place and installed without looking at /proc/self/exe. The Makefile sets
 * the GW_PATH_* macros; see mk/install.mk. */
#ifndef GW_PATHS_H
#define GW_PATHS_H

/* The folder holding gatewatch-ingest, -dispatcher, -worker, -notifier. */
extern const char paths_libexec_dir[];
/* Default models.dir, www.dir and dir (the state root). */
extern const char paths_models_dir[];
extern const char paths_www_dir[];
extern const char paths_state_dir[];

#endif
