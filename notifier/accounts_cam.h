/* accounts_cam - the changes admins make to cameras over HTTP:
 *   POST   /api/cameras           {"id","name"?,"mode"?} -> 201 + Location,
 *                                 the camera with its token (shown once);
 *                                 409 if the id is taken
 *   PATCH  /api/cameras/ID        {"name"} and/or {"mode"}: 200
 *   DELETE /api/cameras/ID        204: its token is refused from now on
 *   POST   /api/cameras/ID/token  a new token (shown once): 200; the old
 *                                 one is refused from now on
 * Admin only; PATCH, DELETE and the new token honour If-Match (the ETag of
 * GET /api/cameras/ID; 412 when it changed). Each change goes to the
 * database (camdb.h: ingest checks hellos against it, so a new camera can
 * stream at once and a removed one or an old token is refused; ingest
 * closes their open connections within 5 s), to the dashboard's list
 * (cams.h) and to the audit trail. The GETs are api.c's and rest.c's.
 * Loop thread only. */
#ifndef GW_ACCOUNTS_CAM_H
#define GW_ACCOUNTS_CAM_H

#include <stddef.h>

#include "accounts.h"

/* accounts_cam_owns - 1 for /api/cameras, /api/cameras/ID and
 * /api/cameras/ID/token (any method; web.c sends only the changes). */
int accounts_cam_owns(const char *path);

/* accounts_cam_handle - as accounts_handle, for the paths above; im is
 * the request's If-Match ("" when none). */
int accounts_cam_handle(const char *im, const char *method, const char *path, const char *body, size_t len,
    struct auth_req *r, struct jbuf *out, struct accounts_out *ao);

#endif
