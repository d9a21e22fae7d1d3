/* paths - the compiled-in locations of gatewatch's parts (see paths.h).
 * The values come from the Makefile: the tree for a tree build, PREFIX
 * for `make install` (which compiles this file a second time). */
#include "paths.h"

#if !defined(GW_PATH_LIBEXEC) || !defined(GW_PATH_MODELS) || !defined(GW_PATH_WWW) || !defined(GW_PATH_STATE)
#error "paths.c needs GW_PATH_LIBEXEC, GW_PATH_MODELS, GW_PATH_WWW and GW_PATH_STATE (see mk/install.mk)"
#endif

const char paths_libexec_dir[] = GW_PATH_LIBEXEC;
const char paths_models_dir[] = GW_PATH_MODELS;
const char paths_www_dir[] = GW_PATH_WWW;
const char paths_state_dir[] = GW_PATH_STATE;
