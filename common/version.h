/* version - the one version string of every gatewatch binary
 * (`gatewatch-ingest --version`, `gatewatch --version`, the model tools).
 * Bump it here only. */
#ifndef GW_VERSION_H
#define GW_VERSION_H

#define GW_VERSION "0.3.0"

#endif
