/* webpath - which URL paths name what the web server serves: the files
 * under www.dir and their types, the snapshots, what answers without
 * credentials, and where http:// on the TLS port is sent. Pure functions
 * of their arguments. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "frameid.h"
#include "util.h"
#include "webpath.h"

static const struct {
	const char *ext, *type;
} webpath_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".webmanifest", "application/manifest+json" },
};

const char *
webpath_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	if (dot == NULL || strchr(dot, '/'))
		return NULL;
	for (i = 0; i < sizeof(webpath_types) / sizeof(webpath_types[0]); i++)
		if (strcmp(dot, webpath_types[i].ext) == 0)
			return webpath_types[i].type;
	return NULL;
}

int
webpath_static_ok(const char *p)
{
	const char *s;

	if (*p != '/' || strlen(p) > 200)
		return 0;
	for (s = p; *s; s++) {
		if (*s == '/') {
			if (s[1] == '/' || s[1] == '.' || s[1] == '\0')
				return 0;
		} else if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	}
	return 1;
}

/* webpath_track_id_valid - 1 for a track id: 1 to 19 digits, no leading 0. */
static int
webpath_track_id_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 19 || s[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int
webpath_snapshot(const char *dir, const char *uri, char *out, size_t outlen)
{
	char cam[CAMERA_ID_SIZE], fid[FRAMEID_SIZE];
	const char *p = uri + strlen("/snapshots/"), *slash, *dot;
	int n;

	if ((slash = strchr(p, '/')) == NULL || (size_t)(slash - p) >= sizeof(cam))
		return -1;
	memcpy(cam, p, (size_t)(slash - p));
	cam[slash - p] = '\0';
	p = slash + 1;
	if ((dot = strchr(p, '.')) == NULL || strcmp(dot, ".jpg") != 0 || (size_t)(dot - p) >= sizeof(fid))
		return -1;
	memcpy(fid, p, (size_t)(dot - p));
	fid[dot - p] = '\0';
	if (!util_camera_id_valid(cam) ||
	    !(frameid_valid(fid) || webpath_track_id_valid(fid) || strcmp(fid, "latest") == 0))
		return -1;
	n = snprintf(out, outlen, "%s/snapshots/%s/%s.jpg", dir, cam, fid);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int
webpath_public(const char *uri)
{
	static const char *const open_paths[] = {
		"/style.css", "/favicon.svg", "/common.js", "/api/config", "/api/session",
		"/sw.js", "/manifest.webmanifest", /* fetched by the browser itself, no secrets */
	};
	size_t i;

	/* the login page's and the camera page's own files: /login.*, /camera.* */
	if (strncmp(uri, "/login.", 7) == 0 || strncmp(uri, "/camera.", 8) == 0)
		return 1;
	for (i = 0; i < sizeof(open_paths) / sizeof(open_paths[0]); i++)
		if (strcmp(uri, open_paths[i]) == 0)
			return 1;
	return 0;
}

const char *
webpath_camera(const char *path, char *id)
{
	const char *p = path + 13, *end;
	size_t n;

	if (strncmp(path, "/api/cameras/", 13) != 0)
		return NULL;
	end = strchr(p, '/');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n >= CAMERA_ID_SIZE)
		return NULL;
	memcpy(id, p, n);
	id[n] = '\0';
	return util_camera_id_valid(id) ? p + n : NULL;
}

/* webpath_put - append s to out (n used), bytes outside A-Za-z0-9-._~
 * and keep percent-encoded; 0, or -1 when out is full */
static int
webpath_put(char *out, size_t outlen, size_t *n, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("-._~", *c) || strchr(keep, *c)) {
			if (*n + 1 >= outlen)
				return -1;
			out[(*n)++] = (char)*c;
		} else {
			if (*n + 3 >= outlen)
				return -1;
			out[(*n)++] = '%';
			out[(*n)++] = hex[*c >> 4];
			out[(*n)++] = hex[*c & 15];
		}
	}
	out[*n] = '\0';
	return 0;
}

int
webpath_https_location(const char *host, const char *path, const char *query, char *out, size_t outlen)
{
	size_t n;
	int len;

	if (host[0] == '\0' || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
	    strlen(host) || path[0] != '/')
		return -1;
	if ((len = snprintf(out, outlen, "https://%s", host)) < 0 || (size_t)len >= outlen)
		return -1;
	n = (size_t)len;
	if (webpath_put(out, outlen, &n, path, "/") != 0)
		return -1;
	if (query[0] && (webpath_put(out, outlen, &n, "?", "?") != 0 || webpath_put(out, outlen, &n, query, "=&") != 0))
		return -1;
	return 0;
}

const char *
webpath_login_location(const char *path, char *out, size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "/login.html?next=");

	if (n >= outlen || webpath_put(out, outlen, &n, path, "/") != 0)
		util_strlcpy(out, "/login.html", outlen);
	return out;
}
