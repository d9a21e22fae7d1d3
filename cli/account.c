/* account - `gatewatch user` and `gatewatch token`: people's accounts and
 * API tokens in DIR/gatewatch.db (common/authdb.c), managed on the server
 * machine by whoever may write that file. Passwords come from stdin (one
 * line; prompted for without echo on a terminal) so scripts can pipe them;
 * a new token is printed once on stdout. Every change is written to the
 * audit trail as "cli:<unix user>". */
#include <errno.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "args.h"
#include "authdb.h"
#include "cmd.h"
#include "config.h"
#include "util.h"

static void
user_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch user add NAME --role admin|supervisor|viewer [--dir DIR | -c FILE]\n"
	    "       gatewatch user passwd NAME [--dir DIR | -c FILE]\n"
	    "       gatewatch user role NAME admin|supervisor|viewer [--dir DIR | -c FILE]\n"
	    "       gatewatch user del NAME [--dir DIR | -c FILE]\n"
	    "       gatewatch user list [--dir DIR | -c FILE]\n"
	    "The password is read from stdin (one line, at least %d characters).\n"
	    "Roles: viewer sees everything and changes nothing; supervisor also acknowledges\n"
	    "alerts and overrides gate decisions; admin also manages users, cameras and tokens.\n",
	    AUTHDB_PASSWORD_MIN);
}

static void
token_usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewatch token add NAME --role admin|supervisor|viewer [--dir DIR | -c FILE]\n"
	    "       gatewatch token list [--dir DIR | -c FILE]\n"
	    "       gatewatch token revoke ID [--dir DIR | -c FILE]\n"
	    "`add` prints the new bearer token once (use it as `Authorization: Bearer TOKEN`);\n"
	    "only its hash is stored.\n");
}

int
account_db_open(const char *dir, sqlite3 **out, char *err, size_t errlen)
{
	char path[CONFIG_PATH_SIZE + 32];
	sqlite3 *db = NULL;
	mode_t old;
	int rc;

	if ((rc = util_mkdirs(dir)) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/gatewatch.db", dir);
	/* People's data and password hashes: never readable by others. */
	old = umask(077);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 5000);
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON", NULL, NULL, NULL);
	}
	umask(old);
	if (rc != SQLITE_OK || authdb_init() != 0 || authdb_schema(db) != 0) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return -1;
	}
	(void)chmod(path, 0600);
	*out = db;
	return 0;
}

/* account_who - "cli:<unix user>" for the audit trail. */
static void
account_who(char *out, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw)
		snprintf(out, len, "cli:%s", pw->pw_name);
	else
		snprintf(out, len, "cli:uid%d", (int)getuid());
}

/* account_read_password - one line from stdin into pw (without the line
 * end); on a terminal, prompted for twice without echo. 0 or -1. */
static int
account_read_password(char *pw, size_t len)
{
	struct termios t, saved;
	char again[AUTHDB_PASSWORD_MAX + 2];
	int tty = isatty(0);
	size_t n;

	if (tty) {
		fprintf(stderr, "Password: ");
		tcgetattr(0, &saved);
		t = saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSANOW, &t);
	}
	if (fgets(pw, (int)len, stdin) == NULL) {
		if (tty)
			tcsetattr(0, TCSANOW, &saved);
		return -1;
	}
	n = strcspn(pw, "\r\n");
	pw[n] = '\0';
	if (tty) {
		fprintf(stderr, "\nAgain: ");
		if (fgets(again, sizeof(again), stdin) == NULL)
			again[0] = '\0';
		again[strcspn(again, "\r\n")] = '\0';
		tcsetattr(0, TCSANOW, &saved);
		fprintf(stderr, "\n");
		if (strcmp(pw, again) != 0) {
			fprintf(stderr, "the two passwords differ\n");
			return -1;
		}
	}
	return 0;
}

static void
account_time(int64_t us, char *out, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (us <= 0) {
		snprintf(out, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
user_print(const struct authdb_user *u, void *arg)
{
	char c[32];

	(void)arg;
	account_time(u->created_us, c, sizeof(c));
	printf("%-24s %-10s %s\n", u->name, authdb_role_name(u->role), c);
}

static void
token_print(const struct authdb_token *t, void *arg)
{
	char c[32], l[32];

	(void)arg;
	account_time(t->created_us, c, sizeof(c));
	account_time(t->last_used_us, l, sizeof(l));
	printf("%-6lld %-20s %-10s %-20s %-20s %-20s %s\n", (long long)t->id, t->name, authdb_role_name(t->role),
	    c, l, t->created_by, t->revoked_us ? "revoked" : "active");
}

/* account_args - split argv into positional words and config flags, and
 * pick --role. Returns 0, or 2 after a message. */
static int
account_args(const char *cmd, int argc, char **argv, char **words, int *nwords, int maxwords,
    const char **role, struct config *c)
{
	char **cargv, err[512];
	int i, cargc = 1, next = 0, rc;

	if ((cargv = calloc((size_t)argc + 1, sizeof(*cargv))) == NULL)
		return 1;
	cargv[0] = argv[0];
	*nwords = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
			*role = argv[++i];
		else if (strncmp(argv[i], "--role=", 7) == 0)
			*role = argv[i] + 7;
		else if (args_config_flag(argc, argv, &i, cargv, &cargc))
			continue;
		else if (argv[i][0] == '-' || *nwords == maxwords) {
			fprintf(stderr, "gatewatch %s: unknown or incomplete argument %s\n", cmd, argv[i]);
			free(cargv);
			return 2;
		} else
			words[(*nwords)++] = argv[i];
	}
	config_defaults(c);
	rc = config_args(c, cargc, cargv, &next, err, sizeof(err));
	free(cargv);
	if (rc != 0) {
		fprintf(stderr, "gatewatch %s: %s\n", cmd, err);
		return 2;
	}
	return 0;
}

static int
account_role(const char *cmd, const char *role)
{
	int r = authdb_role_parse(role);

	if (r < 0)
		fprintf(stderr, "gatewatch %s: --role %s: admin, supervisor or viewer\n", cmd, role ? role : "(missing)");
	return r;
}

int
cmd_user(int argc, char **argv)
{
	char *w[3], who[96], err[512], pw[AUTHDB_PASSWORD_MAX + 2];
	const char *role = NULL, *verb;
	struct config c;
	sqlite3 *db;
	int nw, rc, r = 0, status = 0;
	int64_t now = (int64_t)util_now_us();

	if (args_wants_help(argc, argv)) {
		user_usage(stdout);
		return 0;
	}
	if ((rc = account_args("user", argc, argv, w, &nw, 3, &role, &c)) != 0)
		return rc;
	if (nw < 1) {
		user_usage(stderr);
		return 2;
	}
	verb = w[0];
	if ((strcmp(verb, "list") == 0 && nw != 1) ||
	    ((strcmp(verb, "add") == 0 || strcmp(verb, "del") == 0 || strcmp(verb, "passwd") == 0) && nw != 2) ||
	    (strcmp(verb, "role") == 0 && nw != 3) ||
	    (strcmp(verb, "list") && strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "passwd") &&
	    strcmp(verb, "role"))) {
		user_usage(stderr);
		return 2;
	}
	if (strcmp(verb, "add") == 0 && (r = account_role("user add", role)) < 0)
		return 2;
	if (strcmp(verb, "role") == 0 && (r = account_role("user role", w[2])) < 0)
		return 2;
	if (nw >= 2 && !authdb_name_valid(w[1])) {
		fprintf(stderr, "gatewatch user: \"%s\" is not a user name (1..63 of A-Z a-z 0-9 . _ @ -)\n", w[1]);
		return 2;
	}
	if (account_db_open(c.dir, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch user: %s\n", err);
		return 1;
	}
	account_who(who, sizeof(who));
	if (strcmp(verb, "list") == 0) {
		if (authdb_users(db, user_print, NULL) < 0)
			status = 1;
	} else if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) {
		int add = strcmp(verb, "add") == 0;

		if (!add && authdb_user_get(db, w[1], NULL) != 0) {
			fprintf(stderr, "gatewatch user passwd: no user %s\n", w[1]);
			sqlite3_close(db);
			return 1;
		}
		if (account_read_password(pw, sizeof(pw)) != 0) {
			fprintf(stderr, "gatewatch user %s: no password on stdin\n", verb);
			sqlite3_close(db);
			return 1;
		}
		if (!authdb_password_ok(pw)) {
			fprintf(stderr, "gatewatch user %s: a password has %d to %d characters, no control characters\n",
			    verb, AUTHDB_PASSWORD_MIN, AUTHDB_PASSWORD_MAX);
			sqlite3_close(db);
			return 2;
		}
		rc = add ? authdb_user_add(db, w[1], r, pw, now) : authdb_user_passwd(db, w[1], pw, now);
		memset(pw, 0, sizeof(pw));
		if (rc == -EEXIST) {
			fprintf(stderr, "gatewatch user add: %s already exists (user passwd / user role change it)\n", w[1]);
			status = 1;
		} else if (rc != 0) {
			fprintf(stderr, "gatewatch user %s: %s\n", verb, rc == -EIO ? sqlite3_errmsg(db) : strerror(-rc));
			status = 1;
		} else {
			authdb_audit(db, now, who, add ? "user_add" : "user_passwd", w[1],
			    add ? (r == AUTHDB_ADMIN ? "{\"role\":\"admin\"}" : r == AUTHDB_SUPERVISOR ?
			    "{\"role\":\"supervisor\"}" : "{\"role\":\"viewer\"}") : NULL, NULL);
			fprintf(stderr, add ? "user %s added (%s)\n" : "password of %s changed; their sessions ended%s\n",
			    w[1], add ? authdb_role_name(r) : "");
		}
	} else if (strcmp(verb, "role") == 0) {
		if ((rc = authdb_user_set_role(db, w[1], r, now)) != 0) {
			fprintf(stderr, "gatewatch user role: %s\n", rc == -ENOENT ? "no such user" : sqlite3_errmsg(db));
			status = 1;
		} else {
			char d[64];

			snprintf(d, sizeof(d), "{\"role\":\"%s\"}", authdb_role_name(r));
			authdb_audit(db, now, who, "user_role", w[1], d, NULL);
		}
	} else {
		if ((rc = authdb_user_del(db, w[1])) != 0) {
			fprintf(stderr, "gatewatch user del: %s\n", rc == -ENOENT ? "no such user" : sqlite3_errmsg(db));
			status = 1;
		} else
			authdb_audit(db, now, who, "user_del", w[1], NULL, NULL);
	}
	sqlite3_close(db);
	return status;
}

int
cmd_token(int argc, char **argv)
{
	char *w[2], who[96], err[512], tok[AUTHDB_SECRET_SIZE], d[96];
	const char *role = NULL, *verb;
	struct config c;
	sqlite3 *db;
	int nw, rc, r = 0, status = 0;
	int64_t now = (int64_t)util_now_us(), id;

	if (args_wants_help(argc, argv)) {
		token_usage(stdout);
		return 0;
	}
	if ((rc = account_args("token", argc, argv, w, &nw, 2, &role, &c)) != 0)
		return rc;
	if (nw < 1 || (strcmp(w[0], "list") == 0 && nw != 1) ||
	    ((strcmp(w[0], "add") == 0 || strcmp(w[0], "revoke") == 0) && nw != 2) ||
	    (strcmp(w[0], "list") && strcmp(w[0], "add") && strcmp(w[0], "revoke"))) {
		token_usage(stderr);
		return 2;
	}
	verb = w[0];
	if (strcmp(verb, "add") == 0) {
		if ((r = account_role("token add", role)) < 0)
			return 2;
		if (!authdb_name_valid(w[1])) {
			fprintf(stderr, "gatewatch token add: \"%s\" is not a token name (1..63 of A-Z a-z 0-9 . _ @ -)\n", w[1]);
			return 2;
		}
	}
	id = 0;
	if (strcmp(verb, "revoke") == 0) {
		char *end;

		id = strtoll(w[1], &end, 10);
		if (*end != '\0' || id <= 0) {
			fprintf(stderr, "gatewatch token revoke: %s: not a token id (see gatewatch token list)\n", w[1]);
			return 2;
		}
	}
	if (account_db_open(c.dir, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch token: %s\n", err);
		return 1;
	}
	account_who(who, sizeof(who));
	if (strcmp(verb, "list") == 0) {
		printf("%-6s %-20s %-10s %-20s %-20s %-20s %s\n", "ID", "NAME", "ROLE", "CREATED", "LAST USED",
		    "BY", "STATE");
		if (authdb_tokens(db, token_print, NULL) < 0)
			status = 1;
	} else if (strcmp(verb, "add") == 0) {
		if ((id = authdb_token_add(db, w[1], r, who, now, tok)) < 0) {
			fprintf(stderr, "gatewatch token add: %s\n", sqlite3_errmsg(db));
			status = 1;
		} else {
			char target[32];

			snprintf(target, sizeof(target), "%lld", (long long)id);
			snprintf(d, sizeof(d), "{\"name\":\"%s\",\"role\":\"%s\"}", w[1], authdb_role_name(r));
			authdb_audit(db, now, who, "token_add", target, d, NULL);
			printf("%s\n", tok);
			fprintf(stderr, "token %lld (%s, %s) added: it is shown only this once.\n"
			    "Send it as: Authorization: Bearer <token>\n", (long long)id, w[1], authdb_role_name(r));
			memset(tok, 0, sizeof(tok));
		}
	} else {
		if ((rc = authdb_token_revoke(db, id, now)) != 0) {
			fprintf(stderr, "gatewatch token revoke: %s\n", rc == -ENOENT ? "no such token" : sqlite3_errmsg(db));
			status = 1;
		} else
			authdb_audit(db, now, who, "token_revoke", w[1], NULL, NULL);
	}
	sqlite3_close(db);
	return status;
}

int
account_first_admin(const char *dir, char *pw, size_t pwlen, char *err, size_t errlen)
{
	char path[CONFIG_PATH_SIZE + 48], tok[AUTHDB_SECRET_SIZE];
	sqlite3 *db;
	FILE *f;
	int n, role, rc = 0;

	pw[0] = '\0';
	if (account_db_open(dir, &db, err, errlen) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/initial-admin-password", dir);
	if ((n = authdb_count_role(db, 0)) < 0) {
		snprintf(err, errlen, "reading users: %s", sqlite3_errmsg(db));
		rc = -1;
	} else if (n == 0) {
		mode_t old = umask(077);

		/* 24 characters of a 256-bit secret: plenty, and easy to copy. */
		authdb_random_secret("", tok);
		tok[24] = '\0';
		if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", tok) < 0 || fclose(f) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			rc = -1;
		} else if (authdb_user_add(db, ACCOUNT_FIRST_ADMIN, AUTHDB_ADMIN, tok, (int64_t)util_now_us()) != 0) {
			snprintf(err, errlen, "cannot add the first admin: %s", sqlite3_errmsg(db));
			rc = -1;
		} else {
			authdb_audit(db, (int64_t)util_now_us(), "cli:gatewatch-up", "user_add", ACCOUNT_FIRST_ADMIN,
			    "{\"role\":\"admin\",\"first\":true}", NULL);
			snprintf(pw, pwlen, "%s", tok);
		}
		umask(old);
	} else if ((f = fopen(path, "r")) != NULL) {
		/* Shown again only while it is still the admin's password. */
		if (fgets(tok, sizeof(tok), f) != NULL) {
			tok[strcspn(tok, "\r\n")] = '\0';
			if (authdb_login(db, ACCOUNT_FIRST_ADMIN, tok, &role) == 1)
				snprintf(pw, pwlen, "%s", tok);
			else
				(void)unlink(path);
		}
		fclose(f);
	}
	memset(tok, 0, sizeof(tok));
	sqlite3_close(db);
	return rc;
}
