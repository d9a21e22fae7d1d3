/* dbschema - the notifier's database schema (dbschema.c has the tables)
 * and its migrations, one version at a time. */
#ifndef GW_DBSCHEMA_H
#define GW_DBSCHEMA_H

#include <stddef.h>
#include <sqlite3.h>

#define DB_SCHEMA_VERSION 3

/* dbschema_migrate - create or migrate db's schema to DB_SCHEMA_VERSION,
 * plus the webhook outbox. Returns 0, or -1 with err set (a database
 * newer than this program is an error). */
int dbschema_migrate(sqlite3 *db, char *err, size_t errlen);

#endif
