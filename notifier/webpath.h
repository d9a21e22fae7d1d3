/* webpath - which URL paths name what the web server (web.c) serves.
 * Pure functions: any thread. */
#ifndef GW_WEBPATH_H
#define GW_WEBPATH_H

#include <stddef.h>

/* webpath_type - the Content-Type of a file by its extension; NULL for
 * one that is not served. */
const char *webpath_type(const char *path);

/* webpath_static_ok - 1 if a URL path may name a file under www.dir:
 * only [A-Za-z0-9._-/], no empty component, no component starting with a
 * dot (so no "..", no hidden files). */
int webpath_static_ok(const char *p);

/* webpath_snapshot - map /snapshots/<camera>/<frame id, track id or
 * "latest">.jpg to its file under dir; 0, or -1 when the path is not
 * exactly that shape (or too long). */
int webpath_snapshot(const char *dir, const char *uri, char *out, size_t outlen);

/* webpath_public - 1 for what answers without credentials: the login
 * page's and the camera page's own files, the style and scripts they
 * share, /api/config and /api/session. */
int webpath_public(const char *uri);

/* webpath_camera - for /api/cameras/ID and what follows it: ID (a valid
 * camera id) into id (CAMERA_ID_SIZE), and the rest of the path ("" or
 * "/..."); NULL when path is not that (the API's one reading of it). */
const char *webpath_camera(const char *path, char *id);

/* webpath_https_location - the Location of the 301 that http:// on the
 * TLS port gets: https://host then path (from '/') and ?query when query
 * is not empty, each byte of path and query outside A-Za-z0-9-._~/ (the
 * query keeps = and & too) percent-encoded, so nothing a client sent can
 * end the header or add one. host: a name or address with an optional
 * port (A-Za-z0-9 and .-:[] only). 0, or -1 when host or path is not
 * that, or out is too small. */
int webpath_https_location(const char *host, const char *path, const char *query, char *out, size_t outlen);

/* webpath_login_location - the login page with ?next=path (percent-
 * encoded as above), or without it when path does not fit; returns out
 * (outlen at least 12). */
const char *webpath_login_location(const char *path, char *out, size_t outlen);

#endif
