/* test_webpath - notifier/webpath.c: where http:// on the TLS port is
 * sent (the path and query kept, nothing a client sent able to end the
 * Location header), and which paths name files. */
#include <string.h>

#include "check.h"
#include "../../notifier/webpath.h"

CASE(https_location)
{
	char loc[128];

	CHECK_INT(webpath_https_location("127.0.0.1:8080", "/api/tracks", "", loc, sizeof(loc)), 0, "a path");
	CHECK_STR(loc, "https://127.0.0.1:8080/api/tracks", "the path is kept");
	CHECK_INT(webpath_https_location("gate.example.org", "/camera.html", "camera=cam1&x=a b", loc, sizeof(loc)), 0,
	    "a path and a query");
	CHECK_STR(loc, "https://gate.example.org/camera.html?camera=cam1&x=a%20b", "the query too, encoded");
	CHECK_INT(webpath_https_location("[::1]:8080", "/", "", loc, sizeof(loc)), 0, "an IPv6 address");
	CHECK_STR(loc, "https://[::1]:8080/", "the root");
	CHECK_INT(webpath_https_location("h", "/a\r\nSet-Cookie: x=1", "b=\r\nX: y", loc, sizeof(loc)), 0,
	    "a line end in the path and the query");
	CHECK_STR(loc, "https://h/a%0D%0ASet-Cookie%3A%20x%3D1?b=%0D%0AX%3A%20y", "is percent-encoded, not written");
	CHECK_INT(webpath_https_location("h", "/%\"<>\\\x7f\xc3\xa9", "", loc, sizeof(loc)), 0, "odd bytes");
	CHECK_STR(loc, "https://h/%25%22%3C%3E%5C%7F%C3%A9", "are percent-encoded");
	CHECK_INT(webpath_https_location("evil\r\nX: y", "/", "", loc, sizeof(loc)), -1, "a Host with a line end: -1");
	CHECK_INT(webpath_https_location("a/b", "/", "", loc, sizeof(loc)), -1, "a Host with a slash: -1");
	CHECK_INT(webpath_https_location("", "/", "", loc, sizeof(loc)), -1, "no Host: -1");
	CHECK_INT(webpath_https_location("h", "x", "", loc, sizeof(loc)), -1, "a path not from /: -1");
	CHECK_INT(webpath_https_location("h", "/0123456789", "", loc, 18), -1, "too long for out: -1");
	CHECK_INT(webpath_https_location("h", "/\x01", "", loc, 12), -1, "an encoding that does not fit: -1");
}

CASE(login_location)
{
	char loc[64];

	CHECK_STR(webpath_login_location("/cams.html", loc, sizeof(loc)), "/login.html?next=/cams.html", "next is the path");
	CHECK_STR(webpath_login_location("/x.html?a&b", loc, sizeof(loc)), "/login.html?next=/x.html%3Fa%26b",
	    "a ? or & in the path does not end next");
	CHECK_STR(webpath_login_location("/a\r\nb.html", loc, sizeof(loc)), "/login.html?next=/a%0D%0Ab.html",
	    "a line end is percent-encoded");
	CHECK_STR(webpath_login_location("/0123456789012345678901234567890123456789012345.html", loc, sizeof(loc)),
	    "/login.html", "a path too long: the login page alone");
}

CASE(camera_paths)
{
	char id[32];
	const char *rest;

	rest = webpath_camera("/api/cameras/gate-1", id);
	CHECK(rest && rest[0] == '\0' && strcmp(id, "gate-1") == 0, "a camera");
	rest = webpath_camera("/api/cameras/gate-1/token", id);
	CHECK(rest && strcmp(rest, "/token") == 0 && strcmp(id, "gate-1") == 0, "a camera and what follows");
	CHECK(webpath_camera("/api/cameras/", id) == NULL, "no id: NULL");
	CHECK(webpath_camera("/api/cameras//token", id) == NULL, "an empty id: NULL");
	CHECK(webpath_camera("/api/cameras/a.b", id) == NULL, "an id with a dot: NULL");
	CHECK(webpath_camera("/api/camerasX/a", id) == NULL, "another path: NULL");
	CHECK(webpath_camera("/api/cameras/0123456789012345678901234567890", id) != NULL, "31 characters: an id");
	CHECK(webpath_camera("/api/cameras/01234567890123456789012345678901", id) == NULL,
	    "32: too long, never cut to a shorter id");
	CHECK(webpath_camera("/api/cameras/01234567890123456789012345678901/token", id) == NULL, "nor before a slash");
}

CASE(static_paths)
{
	CHECK(webpath_static_ok("/index.html") && webpath_static_ok("/a/b-c_d.js"), "plain paths name files");
	CHECK(!webpath_static_ok("/../x") && !webpath_static_ok("/.git") && !webpath_static_ok("//x") &&
	    !webpath_static_ok("/a%2e"), "no dot components, empty ones or other bytes");
}

CHECK_MAIN()
