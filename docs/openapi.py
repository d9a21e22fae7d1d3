#!/usr/bin/python3
"""openapi.py - writes docs/openapi.json, the OpenAPI 3.1 document of the
notifier's HTTP API (served at /api/openapi.json; built into the program
by mk/accounts.mk). Edit this script, run it, commit both:
    python3 docs/openapi.py > docs/openapi.json
test/e2e/test_openapi.py checks the document against the running server."""
import json

P = "#/components/parameters/"
S = "#/components/schemas/"
R = "#/components/responses/"


def ref(kind, name):
    return {"$ref": {"p": P, "s": S, "r": R}[kind] + name}


def ok(schema, desc="OK", headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers:
        r["headers"] = headers
    return r


def errors(*codes):
    names = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
             409: "Conflict", 413: "TooLarge", 422: "Unprocessable", 429: "TooManyRequests", 500: "ServerError"}
    return {str(c): ref("r", names[c]) for c in codes}


def page(item):
    """a Page whose items are item representations"""
    return {"allOf": [ref("s", "Page"), {"type": "object", "properties": {"items": {"type": "array", "items": ref("s", item)}}}]}


def body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def qparam(name, desc, schema):
    return {"name": name, "in": "query", "required": False, "description": desc, "schema": schema}


def pparam(name, desc, schema):
    return {"name": name, "in": "path", "required": True, "description": desc, "schema": schema}


links = {"type": "object", "description": "HAL links: self, related resources, and the actions the caller's "
         "role allows now", "additionalProperties": ref("s", "Link")}
ms = {"type": "integer", "description": "unix milliseconds"}
ms_null = {"type": ["integer", "null"], "description": "unix milliseconds, or null"}
role = {"type": "string", "enum": ["viewer", "supervisor", "admin"]}
counts = {"type": "object", "required": ["people", "passed", "denied", "alerts"],
          "properties": {k: {"type": "integer", "minimum": 0} for k in
                         ("people", "passed", "denied", "alerts", "overrides")}}

schemas = {
    "Link": {"type": "object", "required": ["href"], "properties": {
        "href": {"type": "string"}, "method": {"type": "string", "enum": ["GET", "POST", "PATCH", "DELETE"]},
        "templated": {"type": "boolean"}}},
    "Problem": {"type": "object", "description": "RFC 9457 problem details", "required": ["type", "title", "status"],
                "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                               "detail": {"type": "string"},
                               "error": {"type": "string", "description": "the detail again, for older clients"}}},
    "Entry": {"type": "object", "required": ["_links"], "properties": {
        "name": {"type": "string"}, "user": {"type": "string"}, "role": {"type": "string"}, "_links": links}},
    "Session": {"type": "object", "required": ["user", "role", "kind"], "properties": {
        "user": {"type": ["string", "null"]}, "role": {"type": "string", "enum": ["none", "viewer", "supervisor",
                                                                                   "admin"]},
        "kind": {"type": "string", "enum": ["none", "session", "token"]}, "expires": ms, "_links": links}},
    "Login": {"type": "object", "required": ["user", "password"], "additionalProperties": False,
              "properties": {"user": {"type": "string"}, "password": {"type": "string"}}},
    "User": {"type": "object", "required": ["name", "role", "created", "changed", "_links"], "properties": {
        "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$"}, "role": role,
        "created": ms, "changed": ms, "_links": links}},
    "NewUser": {"type": "object", "required": ["name", "role", "password"], "properties": {
        "name": {"type": "string"}, "role": role, "password": {"type": "string", "minLength": 8, "maxLength": 256}}},
    "UserChange": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
        "role": role, "password": {"type": "string", "minLength": 8, "maxLength": 256}}},
    "Token": {"type": "object", "required": ["id", "name", "role", "created", "active", "_links"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "role": role, "created_by": {"type": "string"},
        "created": ms, "last_used": ms_null, "revoked": ms_null, "active": {"type": "boolean"},
        "token": {"type": "string", "description": "the bearer token: only in the answer to POST /api/tokens"},
        "_links": links}},
    "NewToken": {"type": "object", "required": ["name", "role"], "properties": {
        "name": {"type": "string"}, "role": role}},
    "AuditEntry": {"type": "object", "required": ["id", "at", "who", "action", "_links"], "properties": {
        "id": {"type": "integer"}, "at": ms, "who": {"type": "string"},
        "action": {"type": "string", "description": "login, login_failed, logout, alert_ack, override, user_add, "
                   "user_del, user_passwd, user_role, token_add, token_revoke"},
        "target": {"type": ["string", "null"]}, "detail": {"type": ["object", "null"]},
        "addr": {"type": ["string", "null"]}, "_links": links}},
    "Page": {"type": "object", "required": ["items", "count", "_links"], "properties": {
        "items": {"type": "array"}, "count": {"type": "integer"}, "_links": links}},
    "Person": {"type": "object", "description": "one person's visit (a track)", "required": ["id", "camera", "track", "_links"],
               "properties": {
                   "id": {"type": "integer"}, "camera": {"type": "string"}, "track": {"type": "integer"},
                   "first_seen_ms": ms, "last_seen_ms": ms, "ended_ms": ms_null, "decision_ms": ms_null,
                   "verdict": {"type": "string", "enum": ["PASS", "DENY", "none"]}, "reason": {"type": "string"},
                   "mask": {"type": ["string", "null"]}, "mask_score": {"type": ["number", "null"]},
                   "temperature": {"type": ["number", "null"]}, "snapshot": {"type": ["string", "null"]},
                   "looks": {"type": "integer"}, "skipped": {"type": "integer"},
                   "override": {"type": ["object", "null"]}, "_links": links}},
    "Alert": {"type": "object", "required": ["id", "camera", "track", "raised_ms", "_links"], "properties": {
        "id": {"type": "integer"}, "camera": {"type": "string"}, "track": {"type": "integer"}, "raised_ms": ms,
        "reason": {"type": "string"}, "acked_ms": ms_null, "acked_by": {"type": ["string", "null"]},
        "_links": links}},
    "Camera": {"type": "object", "required": ["id", "name", "_links"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "mode": {"type": "string", "enum": ["gate", "indoor", "unknown"]},
        "configured": {"type": "boolean", "description": "a camera of the cameras table (else only seen)"},
        "fps_in": {"type": "number", "description": "frames in per second (ingest's count), over the same last "
                   "seconds as fps_analysed (5 s); stats.fps_in is ingest's last second"},
        "fps_analysed": {"type": "number", "description": "frames analysed per second (results committed), over "
                         "the same last seconds as fps_in"},
        "token": {"type": "string", "description": "the camera's token: only in the answers to POST "
                  "/api/cameras and POST /api/cameras/{id}/token (shown once; only its hash is kept)"},
        "_links": links}},
    "NewCamera": {"type": "object", "required": ["id"], "additionalProperties": False, "properties": {
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,31}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 63, "description": "default: the id"},
        "mode": {"type": "string", "enum": ["gate", "indoor"], "description": "default: gate"}}},
    "CameraChange": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 63},
        "mode": {"type": "string", "enum": ["gate", "indoor"]}}},
    "Day": {"type": "object", "required": ["date", "total", "cameras", "hours"], "properties": {
        "date": {"type": "string", "format": "date"}, "total": counts,
        "cameras": {"type": "object", "additionalProperties": counts},
        "hours": {"type": "array", "minItems": 24, "maxItems": 24, "items": {"type": "object"}}}},
    "Range": {"type": "object", "required": ["from", "to", "by", "buckets", "total", "cameras"], "properties": {
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "by": {"type": "string", "enum": ["hour", "day", "week", "month"]},
        "buckets": {"type": "array", "items": {"type": "object", "required": ["bucket", "camera", "counts"],
                                               "properties": {"bucket": {"type": "string"}, "camera": {"type": "string"},
                                                              "counts": ref("s", "RangeCounts")}}},
        "total": ref("s", "RangeCounts"), "cameras": {"type": "object", "additionalProperties": ref("s", "RangeCounts")},
        "_links": links}},
    "RangeCounts": {"type": "object", "required": ["people", "passed", "denied", "alerts", "pass_rate"],
                    "properties": {"people": {"type": "integer"}, "passed": {"type": "integer"},
                                   "denied": {"type": "integer"}, "alerts": {"type": "integer"},
                                   "overrides": {"type": "integer"},
                                   "pass_rate": {"type": ["number", "null"],
                                                 "description": "passed / (passed + denied); null when none decided"}}},
    "Override": {"type": "object", "required": ["verdict"], "properties": {
        "verdict": {"type": "string", "enum": ["PASS", "DENY"]}, "note": {"type": "string", "maxLength": 200}}},
    "Health": {"type": "object", "required": ["ok", "db"], "properties": {
        "ok": {"type": "boolean"}, "db": {"type": "string"}, "live_clients": {"type": "integer"}}},
    "Config": {"type": "object", "required": ["ingest_port", "tls"], "properties": {
        "ingest_port": {"type": "integer"}, "tls": {"type": "boolean"}}},
}

responses = {}
for code, name, desc in ((400, "BadRequest", "a bad query value or body"),
                         (401, "Unauthorized", "no session or bearer token (or an unknown/revoked one)"),
                         (403, "Forbidden", "the caller's role may not do this, or the Origin is not this server's"),
                         (404, "NotFound", "no such resource"), (405, "MethodNotAllowed", "see the Allow header"),
                         (409, "Conflict", "it exists, or it would leave no admin"),
                         (413, "TooLarge", "a body over 1 KiB"), (422, "Unprocessable", "a well-formed body with bad values"),
                         (429, "TooManyRequests", "too many failed logins: see Retry-After"),
                         (500, "ServerError", "a database error")):
    responses[name] = {"description": desc, "content": {"application/problem+json": {"schema": ref("s", "Problem")}}}
responses["TooManyRequests"]["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                           "description": "seconds to wait"}}

parameters = {
    "camera": qparam("camera", "only this camera", {"type": "string"}),
    "limit": qparam("limit", "items per page, 1..500", {"type": "integer", "minimum": 1, "maximum": 500}),
}

paths = {
    "/api": {"get": {"summary": "entry point: links to every collection the caller may use",
                     "responses": {"200": ok(ref("s", "Entry")), **errors(401)}}},
    "/api/openapi.json": {"get": {"summary": "this document", "responses": {"200": ok({"type": "object"}),
                                                                          **errors(401)}}},
    "/api/session": {
        "get": {"summary": "who is asking (user null when nobody)", "security": [],
                "responses": {"200": ok(ref("s", "Session"))}},
        "post": {"summary": "log in: sets the gw_session cookie (HttpOnly, SameSite=Strict, Secure under TLS)",
                 "security": [], "requestBody": body(ref("s", "Login")),
                 "responses": {"201": ok(ref("s", "Session"), "logged in",
                                         {"Set-Cookie": {"schema": {"type": "string"}}}),
                               **errors(400, 401, 403, 429, 500)}},
        "delete": {"summary": "log out", "responses": {"204": {"description": "logged out; the cookie is cleared"},
                                                       **errors(403)}}},
    "/api/health": {"get": {"summary": "is the database usable", "responses": {"200": ok(ref("s", "Health")),
                                                                              **errors(401)}}},
    "/api/config": {"get": {"summary": "what the camera page needs (answers without a login)", "security": [],
                            "responses": {"200": ok(ref("s", "Config"))}}},
    "/api/cameras": {"get": {"summary": "every camera with its latest frame and person",
                             "responses": {"200": ok({"type": "array", "items": ref("s", "Camera")}),
                                           **errors(401)}},
                     "post": {"summary": "add a camera (admin): it may stream at once with the token in this "
                              "answer (shown once)", "requestBody": body(ref("s", "NewCamera")),
                              "responses": {"201": ok(ref("s", "Camera"), "created",
                                                      {"Location": {"schema": {"type": "string"}}}),
                                            **errors(400, 401, 403, 409, 422)}}},
    "/api/cameras/{id}": {"parameters": [pparam("id", "camera id", {"type": "string"})],
                          "get": {"summary": "one camera's settings (id, name, mode): its ETag changes only "
                                  "when they do, so it is what If-Match on PATCH, DELETE and .../token is checked "
                                  "against; the live state is at .../status",
                                  "responses": {"200": ok(ref("s", "Camera")), **errors(401, 404)}},
                          "patch": {"summary": "rename a camera and/or set its mode (admin)",
                                    "requestBody": body(ref("s", "CameraChange")),
                                    "responses": {"200": ok(ref("s", "Camera")),
                                                  **errors(400, 401, 403, 404, 422)}},
                          "delete": {"summary": "remove a camera (admin): its token is refused from now on, "
                                     "its open connections closed",
                                     "responses": {"204": {"description": "removed"}, **errors(401, 403, 404)}}},
    "/api/cameras/{id}/status": {"parameters": [pparam("id", "camera id", {"type": "string"})],
                                 "get": {"summary": "one camera's live state: its settings, last seen, analysed "
                                         "frame rate, workers, ingest stats, queue, last frame analysis and last "
                                         "person (as in GET /api/cameras)",
                                         "responses": {"200": ok(ref("s", "Camera")), **errors(401, 404)}}},
    "/api/cameras/{id}/token": {"post": {
        "summary": "a new token for the camera (admin), shown once: the old one is refused from now on",
        "parameters": [pparam("id", "camera id", {"type": "string"})],
        "responses": {"200": ok(ref("s", "Camera")), **errors(401, 403, 404)}}},
    "/api/stats/today": {"get": {"summary": "today's figures (local time), in total, per camera, per hour",
                                 "responses": {"200": ok(ref("s", "Day")), **errors(401, 500)}}},
    "/api/stats/day/{date}": {"get": {"summary": "any day's figures",
                                      "parameters": [pparam("date", "YYYY-MM-DD, local time",
                                                            {"type": "string", "format": "date"})],
                                      "responses": {"200": ok(ref("s", "Day")), **errors(400, 401, 500)}}},
    "/api/stats": {"get": {
        "summary": "figures for a range of local days, per hour, day, week or month, per camera and in total",
        "parameters": [qparam("from", "first day (YYYY-MM-DD), default today", {"type": "string", "format": "date"}),
                       qparam("to", "last day, included (default: from)", {"type": "string", "format": "date"}),
                       qparam("by", "bucket size (hour: at most 31 days)",
                              {"type": "string", "enum": ["hour", "day", "week", "month"]}),
                       ref("p", "camera")],
        "responses": {"200": ok(ref("s", "Range")), **errors(400, 401, 500)}}},
    "/api/stats.csv": {"get": {
        "summary": "the buckets of /api/stats as CSV (bucket,camera,people,passed,denied,alerts,overrides,pass_rate)",
        "parameters": [qparam("from", "first day", {"type": "string", "format": "date"}),
                       qparam("to", "last day, included", {"type": "string", "format": "date"}),
                       qparam("by", "bucket size", {"type": "string", "enum": ["hour", "day", "week", "month"]}),
                       ref("p", "camera")],
        "responses": {"200": {"description": "CSV", "content": {"text/csv; charset=utf-8": {"schema": {"type": "string"}}}},
                      **errors(400, 401, 500)}}},
    "/api/tracks.csv": {"get": {
        "summary": "people as CSV, with the filters of /api/tracks (limit up to 10000)",
        "parameters": [ref("p", "camera"),
                       qparam("verdict", "PASS, DENY or none", {"type": "string", "enum": ["PASS", "DENY", "none"]}),
                       qparam("since", "present at or after (unix ms)", {"type": "integer"}),
                       qparam("until", "present before (unix ms)", {"type": "integer"}),
                       qparam("limit", "rows, 1..10000", {"type": "integer", "minimum": 1, "maximum": 10000}),
                       qparam("before", "rows with a smaller id", {"type": "integer"})],
        "responses": {"200": {"description": "CSV", "content": {"text/csv; charset=utf-8": {"schema": {"type": "string"}}}},
                      **errors(400, 401, 500)}}},
    "/api/tracks": {"get": {
        "summary": "people, newest first; a full page has a Link: rel=\"next\" header",
        "parameters": [ref("p", "camera"),
                       qparam("verdict", "PASS, DENY or none", {"type": "string", "enum": ["PASS", "DENY", "none"]}),
                       qparam("since", "present at or after (unix ms)", {"type": "integer"}),
                       qparam("until", "present before (unix ms)", {"type": "integer"}),
                       ref("p", "limit"), qparam("before", "page: items with a smaller id", {"type": "integer"})],
        "responses": {"200": ok({"type": "array", "items": ref("s", "Person")}, "OK",
                                {"Link": {"schema": {"type": "string"}}}), **errors(400, 401, 500)}}},
    "/api/tracks/{id}": {"get": {"summary": "one person", "parameters": [pparam("id", "the item's id",
                                                                             {"type": "integer"})],
                                 "responses": {"200": ok(ref("s", "Person")), **errors(401, 404)}}},
    "/api/tracks/{camera}/{track}/override": {"post": {
        "summary": "a supervisor's verdict for a person, sent to the gate; recorded as by the caller",
        "parameters": [pparam("camera", "camera id", {"type": "string"}),
                       pparam("track", "track id", {"type": "integer"})],
        "requestBody": body(ref("s", "Override")),
        "responses": {"200": ok({"type": "array", "items": ref("s", "Person")}),
                      **errors(400, 401, 403, 404, 413, 500)}}},
    "/api/alerts": {"get": {"summary": "alerts, newest first (100 a page unless limit says); a full page has a "
                                       "Link: rel=\"next\" header",
                            "parameters": [qparam("state", "open (default) or all",
                                                  {"type": "string", "enum": ["open", "all"]}), ref("p", "limit"),
                                           qparam("before", "page: items with a smaller id", {"type": "integer"})],
                            "responses": {"200": ok({"type": "array", "items": ref("s", "Alert")}, "OK",
                                                    {"Link": {"schema": {"type": "string"}}}),
                                          **errors(400, 401, 500)}}},
    "/api/alerts/{id}": {"get": {"summary": "one alert", "parameters": [pparam("id", "alert id", {"type": "integer"})],
                                 "responses": {"200": ok(ref("s", "Alert")), **errors(401, 404)}}},
    "/api/alerts/{id}/ack": {"post": {
        "summary": "acknowledge (supervisor, admin); idempotent; recorded as by the caller",
        "parameters": [pparam("id", "alert id", {"type": "integer"})],
        "requestBody": {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": ok(ref("s", "Alert")), **errors(400, 401, 403, 404, 413, 500)}}},
    "/api/push/key": {"get": {"summary": "the VAPID public key for PushManager.subscribe (404: Web Push off)",
                              "responses": {"200": ok({"type": "object", "properties": {"public_key": {"type": "string"}}}),
                                            **errors(401, 404)}}},
    "/api/push/subscriptions": {"post": {
        "summary": "subscribe this browser to alerts (supervisor, admin); cameras/reasons: empty = all",
        "requestBody": body({"type": "object", "properties": {"endpoint": {"type": "string"}, "keys": {"type": "object", "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}}}, "cameras": {"type": "array", "items": {"type": "string"}}, "reasons": {"type": "array", "items": {"type": "string"}}}, "required": ["endpoint", "keys"]}),
        "responses": {"201": ok({"type": "object", "properties": {"id": {"type": "integer"}}}, "created"),
                      **errors(400, 401, 403, 404, 413, 500)}}},
    "/api/push/unsubscribe": {"post": {
        "summary": "drop the subscription with this endpoint (supervisor, admin)",
        "requestBody": body({"type": "object", "properties": {"endpoint": {"type": "string"}}, "required": ["endpoint"]}),
        "responses": {"200": ok({"type": "object", "properties": {"dropped": {"type": "boolean"}}}),
                      **errors(400, 401, 403, 404, 413)}}},
    "/api/users": {
        "get": {"summary": "every user (admin); the whole list, not paged: limit or before is a 400",
                "responses": {"200": ok(page("User")), **errors(400, 401, 403)}},
        "post": {"summary": "add a user (admin)", "requestBody": body(ref("s", "NewUser")),
                 "responses": {"201": ok(ref("s", "User"), "created", {"Location": {"schema": {"type": "string"}}}),
                               **errors(400, 401, 403, 409, 422)}}},
    "/api/users/{name}": {
        "parameters": [pparam("name", "user name", {"type": "string"})],
        "get": {"summary": "one user (admin, or the user)", "responses": {"200": ok(ref("s", "User")),
                                                                         **errors(401, 403, 404)}},
        "patch": {"summary": "change role (admin) or password (admin, or the user: ends their sessions)",
                  "requestBody": body(ref("s", "UserChange")),
                  "responses": {"200": ok(ref("s", "User")), **errors(400, 401, 403, 404, 409, 422)}},
        "delete": {"summary": "remove a user (admin); not the last admin",
                   "responses": {"204": {"description": "removed"}, **errors(401, 403, 404, 409)}}},
    "/api/tokens": {
        "get": {"summary": "every API token, revoked ones too; never the secret (admin); the whole list, not "
                           "paged: limit or before is a 400",
                "responses": {"200": ok(page("Token")), **errors(400, 401, 403)}},
        "post": {"summary": "make a bearer token (admin): shown once, in this answer",
                 "requestBody": body(ref("s", "NewToken")),
                 "responses": {"201": ok(ref("s", "Token"), "created", {"Location": {"schema": {"type": "string"}}}),
                               **errors(400, 401, 403, 422)}}},
    "/api/tokens/{id}": {
        "parameters": [pparam("id", "token id", {"type": "integer"})],
        "get": {"summary": "one token (admin)", "responses": {"200": ok(ref("s", "Token")), **errors(401, 403, 404)}},
        "delete": {"summary": "revoke (admin)", "responses": {"204": {"description": "revoked"},
                                                              **errors(401, 403, 404)}}},
    "/api/audit": {"get": {"summary": "the audit trail, newest first (admin); a full page has a Link: rel=\"next\" "
                           "header and the same URL in _links.next",
                           "parameters": [ref("p", "limit"),
                                          qparam("before", "page: entries with a smaller id", {"type": "integer"}),
                                          qparam("action", "only this action", {"type": "string"}),
                                          qparam("who", "only this user (or token:NAME, cli:USER)",
                                                 {"type": "string"})],
                           "responses": {"200": ok(page("AuditEntry"), "OK", {"Link": {"schema": {"type": "string"}}}),
                                         **errors(400, 401, 403)}}},
    "/api/audit/{id}": {"get": {"summary": "one audit entry (admin)",
                                "parameters": [pparam("id", "entry id", {"type": "integer"})],
                                "responses": {"200": ok(ref("s", "AuditEntry")), **errors(401, 403, 404)}}},
}

# Every JSON GET carries an ETag; If-None-Match with it gives 304.
for path, ops in paths.items():
    op = ops.get("get")
    if op and path != "/api/session":
        op["responses"]["304"] = {"description": "not modified: the If-None-Match ETag is current"}
        for code, r in op["responses"].items():
            if code == "200":
                r.setdefault("headers", {})["ETag"] = {"schema": {"type": "string"}}
        op.setdefault("parameters", []).append(
            {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}})
for path, method, what in (("/api/users/{name}", "patch", "user"), ("/api/cameras/{id}", "patch", "camera"),
                           ("/api/cameras/{id}", "delete", "camera"), ("/api/cameras/{id}/token", "post", "camera")):
    op = paths[path][method]
    op.setdefault("parameters", []).append(
        {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
         "description": "the ETag of GET %s: 412 if the %s changed since" % (path.replace("/token", ""), what)})
    op["responses"]["412"] = {"description": "the %s changed since the If-Match ETag" % what,
                              "content": {"application/problem+json": {"schema": ref("s", "Problem")}}}

doc = {
    "openapi": "3.1.0",
    "info": {"title": "gatewatch notifier API", "version": "1",
             "description": "People, alerts, cameras and figures of a gatewatch site, and its accounts. Every "
             "call needs a login session (cookie gw_session, from POST /api/session) or a bearer token, except "
             "where security is empty. Requests that change something, sent with a cookie, must carry this "
             "server's own Origin. Errors are application/problem+json (RFC 9457). People (/api/tracks), alerts "
             "and the audit trail are paged, newest first, limit (1..500, default 50; alerts 100) at a time: a full "
             "page's Link header rel=\"next\" is the next page's URL, with the same filters (the audit trail, an "
             "object, also has it as _links.next). "
             "Users and tokens are whole lists, never paged: limit or before on them is a 400."},
    "servers": [{"url": "/"}],
    "security": [{"cookie": []}, {"bearer": []}],
    "paths": paths,
    "components": {
        "securitySchemes": {
            "cookie": {"type": "apiKey", "in": "cookie", "name": "gw_session"},
            "bearer": {"type": "http", "scheme": "bearer", "description": "gatewatch token add, or POST /api/tokens"}},
        "schemas": schemas, "responses": responses, "parameters": parameters},
}

print(json.dumps(doc, indent=1))
