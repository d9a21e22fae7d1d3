/* account - what `gatewatch user|token` share with `gatewatch up`: opening
 * the accounts in DIR/gatewatch.db and creating the first administrator. */
#ifndef GW_CLI_ACCOUNT_H
#define GW_CLI_ACCOUNT_H

#include <sqlite3.h>
#include <stddef.h>

/* account_db_open - open (creating if needed, mode 0600) DIR/gatewatch.db
 * with the account tables. 0, or -1 with err set. */
int account_db_open(const char *dir, sqlite3 **db, char *err, size_t errlen);

/* account_first_admin - when DIR has no user at all, create "admin" with a
 * generated password, kept in DIR/initial-admin-password (0600) so a later
 * `gatewatch up` can show it again. Writes the password to pw (if the file
 * still holds the admin's password) or "" and returns 0; -1 with err set. */
#define ACCOUNT_FIRST_ADMIN "admin"
int account_first_admin(const char *dir, char *pw, size_t pwlen, char *err, size_t errlen);

#endif
