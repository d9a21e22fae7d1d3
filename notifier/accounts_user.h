/* accounts_user - GET, POST /api/users and GET, PATCH, DELETE
 * /api/users/NAME (accounts.h lists what each does). Loop thread only. */
#ifndef GW_ACCOUNTS_USER_H
#define GW_ACCOUNTS_USER_H

#include <stddef.h>

#include "accounts.h"

/* accounts_users - as accounts_handle, for /api/users (name NULL) and
 * /api/users/NAME; im is the request's If-Match ("" when none). */
int accounts_users(const char *im, const char *method, const char *name, const char *body, size_t len,
    struct auth_req *r, struct jbuf *out, struct accounts_out *ao);

#endif
