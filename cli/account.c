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
account_user_usage(FILE *out)
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
account_token_usage(FILE *out)
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
	struct stat st;
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
	/* A new file is 0600 (the umask above); an existing one loses only
	 * what others may do: installed, its group may read it (gatewatch
	 * events, README "Installing it as a service"). */
	if (stat(path, &st) == 0 && (st.st_mode & 007) != 0)
		(void)chmod(path, st.st_mode & 0770);
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
 * end); on a terminal, prompted for twice without echo. 0, -ENODATA (no
 * line) or -EINVAL (the two differ). */
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
		return -ENODATA;
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
		if (strcmp(pw, again) != 0)
			return -EINVAL;
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
account_user_print(const struct authdb_user *u, void *arg)
{
	char c[32];

	(void)arg;
	account_time(u->created_us, c, sizeof(c));
	printf("%-24s %-10s %s\n", u->name, authdb_role_name(u->role), c);
}

static void
account_token_print(const struct authdb_token *t, void *arg)
{
	char c[32], l[32];

	(void)arg;
	account_time(t->created_us, c, sizeof(c));
	account_time(t->last_used_us, l, sizeof(l));
	printf("%-6lld %-20s %-10s %-20s %-20s %-20s %s\n", (long long)t->id, t->name, authdb_role_name(t->role),
	    c, l, t->created_by, t->revoked_us ? "revoked" : "active");
}

/* One `gatewatch user|token VERB ...` run. */
struct account_op {
	const char *cmd;       /* "user", "token" */
	char *w[3];            /* the words: verb, name or id, role */
	int nw;
	const char *role_arg;  /* --role */
	int role;              /* parsed, for add and role */
	struct config c;
	char who[96];          /* for the audit trail */
	int64_t now;
};

static const struct args_flag account_flags[] = {
	{ "role", 1, ARGS_KEY_OWN },
	{ NULL, 0, 0 },
};

/* args_parse's context: the operation and how many words it may take. */
struct account_argctx {
	struct account_op *op;
	int maxwords;
};

/* account_flag - args_parse's handler: --role, and the words (operands). */
static int
account_flag(void *ctx, int key, const char *arg)
{
	struct account_argctx *x = ctx;
	struct account_op *op = x->op;

	if (key != ARGS_OPERAND)
		op->role_arg = arg;
	else if (arg[0] == '-' || op->nw == x->maxwords) {
		fprintf(stderr, "gatewatch %s: unknown or incomplete argument %s\n", op->cmd, arg);
		return -1;
	} else
		op->w[op->nw++] = (char *)arg;
	return 0;
}

/* account_args - the words and config flags from argv, and --role.
 * Returns 0, or 2 after a message. */
static int
account_args(struct account_op *op, int argc, char **argv, int maxwords, void (*usage)(FILE *))
{
	struct account_argctx x = { op, maxwords };
	struct args_config ac;
	int rc;

	if (args_config_start(&ac, 2 * argc, argv) != 0)
		return 1;
	rc = args_parse(op->cmd, argc, argv, account_flags, &ac, account_flag, &x, usage, NULL);
	if (rc != -1) {
		args_config_free(&ac);
		return rc;
	}
	return args_config_finish(&ac, op->cmd, &op->c) != 0 ? 2 : 0;
}

/* account_role - role (a --role value or a word) into op->role. 0 or 2. */
static int
account_role(struct account_op *op, const char *role)
{
	if ((op->role = authdb_role_parse(role)) >= 0)
		return 0;
	fprintf(stderr, "gatewatch %s %s: --role %s: admin, supervisor or viewer\n", op->cmd, op->w[0],
	    role ? role : "(missing)");
	return 2;
}

/* account_verb - op's verb is one of verbs ("list:1 add:2 ...": the verb
 * and how many words it takes). */
static int
account_verb(const struct account_op *op, const char *verbs)
{
	char want[32];

	if (op->nw < 1)
		return 0;
	snprintf(want, sizeof(want), "%s:%d", op->w[0], op->nw);
	for (; *verbs; verbs += strcspn(verbs, " "), verbs += *verbs == ' ')
		if (strncmp(verbs, want, strlen(want)) == 0 && (verbs[strlen(want)] == ' ' || verbs[strlen(want)] == '\0'))
			return 1;
	return 0;
}

/* account_start - --help, the words and flags, the verb known with its
 * words. Returns -1 to go on, or the exit status (0 after --help, 2 after
 * the usage or a message). */
static int
account_start(struct account_op *op, int argc, char **argv, int maxwords, const char *verbs,
    void (*usage)(FILE *))
{
	int rc;

	if (args_wants_help(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if ((rc = account_args(op, argc, argv, maxwords, usage)) != 0)
		return rc;
	if (!account_verb(op, verbs)) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/* account_run - open the database, run fn, close. Returns fn's exit status, or 1. */
static int
account_run(struct account_op *op, int (*fn)(sqlite3 *, struct account_op *))
{
	char err[512];
	sqlite3 *db;
	int status;

	if (account_db_open(op->c.dir, &db, err, sizeof(err)) != 0) {
		fprintf(stderr, "gatewatch %s: %s\n", op->cmd, err);
		return 1;
	}
	account_who(op->who, sizeof(op->who));
	op->now = (int64_t)util_now_us();
	status = fn(db, op);
	sqlite3_close(db);
	return status;
}

/* account_done - a change's outcome: the error (exit status 1) or its
 * line in the audit trail (0). */
static int
account_done(sqlite3 *db, int rc, const struct account_op *op, const char *action, const char *target,
    const char *detail)
{
	if (rc == 0) {
		authdb_audit(db, op->now, op->who, action, target, detail, NULL);
		return 0;
	}
	if (rc == -ENOENT)
		fprintf(stderr, "gatewatch %s %s: no such %s\n", op->cmd, op->w[0], op->cmd);
	else if (rc == -EPERM)   /* user del / user role: authdb keeps the last admin (the API's rule too) */
		fprintf(stderr, "gatewatch user %s: %s is the last admin and stays one: make another user admin "
		    "first (gatewatch user role NAME admin); nothing changed\n", op->w[0], op->w[1]);
	else
		fprintf(stderr, "gatewatch %s %s: %s\n", op->cmd, op->w[0], rc == -EIO ? sqlite3_errmsg(db) : strerror(-rc));
	return 1;
}

/* account_user_password - user add / user passwd: the password from stdin. */
static int
account_user_password(sqlite3 *db, struct account_op *op)
{
	char pw[AUTHDB_PASSWORD_MAX + 2], d[64];
	int add = strcmp(op->w[0], "add") == 0, rc;

	if (!add && authdb_user_get(db, op->w[1], NULL) != 0)
		return account_done(db, -ENOENT, op, NULL, NULL, NULL);
	if ((rc = account_read_password(pw, sizeof(pw))) != 0) {
		fprintf(stderr, "gatewatch user %s: %s\n", op->w[0],
		    rc == -EINVAL ? "the two passwords differ: nothing changed" : "no password on stdin");
		return 1;
	}
	if (!authdb_password_ok(pw)) {
		fprintf(stderr, "gatewatch user %s: a password has %d to %d characters, no control characters\n",
		    op->w[0], AUTHDB_PASSWORD_MIN, AUTHDB_PASSWORD_MAX);
		return 2;
	}
	rc = add ? authdb_user_add(db, op->w[1], op->role, pw, op->now) : authdb_user_passwd(db, op->w[1], pw, op->now);
	memset(pw, 0, sizeof(pw));
	if (rc == -EEXIST) {
		fprintf(stderr, "gatewatch user add: %s already exists (user passwd / user role change it)\n", op->w[1]);
		return 1;
	}
	snprintf(d, sizeof(d), "{\"role\":\"%s\"}", authdb_role_name(op->role));
	if (account_done(db, rc, op, add ? "user_add" : "user_passwd", op->w[1], add ? d : NULL) != 0)
		return 1;
	fprintf(stderr, add ? "user %s added (%s)\n" : "password of %s changed; their sessions ended%s\n",
	    op->w[1], add ? authdb_role_name(op->role) : "");
	return 0;
}

/* account_user_verb - one user verb on the open database. */
static int
account_user_verb(sqlite3 *db, struct account_op *op)
{
	char d[64];

	if (strcmp(op->w[0], "list") == 0)
		return authdb_users(db, account_user_print, NULL) < 0 ? 1 : 0;
	if (strcmp(op->w[0], "add") == 0 || strcmp(op->w[0], "passwd") == 0)
		return account_user_password(db, op);
	if (strcmp(op->w[0], "role") == 0) {
		snprintf(d, sizeof(d), "{\"role\":\"%s\"}", authdb_role_name(op->role));
		if (account_done(db, authdb_user_set_role(db, op->w[1], op->role, op->now), op, "user_role",
		    op->w[1], d) != 0)
			return 1;
		fprintf(stderr, "user %s is now %s\n", op->w[1], authdb_role_name(op->role));
		return 0;
	}
	if (account_done(db, authdb_user_del(db, op->w[1]), op, "user_del", op->w[1], NULL) != 0)
		return 1;
	fprintf(stderr, "user %s deleted; their sessions ended\n", op->w[1]);
	return 0;
}

int
cmd_user(int argc, char **argv)
{
	struct account_op op = { .cmd = "user" };
	int rc;

	if ((rc = account_start(&op, argc, argv, 3, "list:1 add:2 del:2 passwd:2 role:3", account_user_usage)) >= 0)
		return rc;
	if ((strcmp(op.w[0], "add") == 0 && account_role(&op, op.role_arg) != 0) ||
	    (strcmp(op.w[0], "role") == 0 && account_role(&op, op.w[2]) != 0))
		return 2;
	if (op.nw >= 2 && !authdb_name_valid(op.w[1])) {
		fprintf(stderr, "gatewatch user: \"%s\" is not a user name (1..63 of A-Z a-z 0-9 . _ @ -)\n", op.w[1]);
		return 2;
	}
	return account_run(&op, account_user_verb);
}

/* account_token_add - a new token, printed once on stdout. */
static int
account_token_add(sqlite3 *db, struct account_op *op)
{
	char tok[AUTHDB_SECRET_SIZE], d[96], target[32];
	int64_t id;

	if ((id = authdb_token_add(db, op->w[1], op->role, op->who, op->now, tok)) < 0)
		return account_done(db, -EIO, op, NULL, NULL, NULL);
	snprintf(target, sizeof(target), "%lld", (long long)id);
	snprintf(d, sizeof(d), "{\"name\":\"%s\",\"role\":\"%s\"}", op->w[1], authdb_role_name(op->role));
	account_done(db, 0, op, "token_add", target, d);
	printf("%s\n", tok);
	fprintf(stderr, "token %lld (%s, %s) added: it is shown only this once.\n"
	    "Send it as: Authorization: Bearer <token>\n", (long long)id, op->w[1], authdb_role_name(op->role));
	memset(tok, 0, sizeof(tok));
	return 0;
}

/* account_token_verb - one token verb on the open database. */
static int
account_token_verb(sqlite3 *db, struct account_op *op)
{
	if (strcmp(op->w[0], "list") == 0) {
		printf("%-6s %-20s %-10s %-20s %-20s %-20s %s\n", "ID", "NAME", "ROLE", "CREATED", "LAST USED",
		    "BY", "STATE");
		return authdb_tokens(db, account_token_print, NULL) < 0 ? 1 : 0;
	}
	if (strcmp(op->w[0], "add") == 0)
		return account_token_add(db, op);
	if (account_done(db, authdb_token_revoke(db, strtoll(op->w[1], NULL, 10), op->now), op,
	    "token_revoke", op->w[1], NULL) != 0)
		return 1;
	fprintf(stderr, "token %s revoked\n", op->w[1]);
	return 0;
}

int
cmd_token(int argc, char **argv)
{
	struct account_op op = { .cmd = "token" };
	char *end;
	int rc;

	if ((rc = account_start(&op, argc, argv, 2, "list:1 add:2 revoke:2", account_token_usage)) >= 0)
		return rc;
	if (strcmp(op.w[0], "add") == 0) {
		if (account_role(&op, op.role_arg) != 0)
			return 2;
		if (!authdb_name_valid(op.w[1])) {
			fprintf(stderr, "gatewatch token add: \"%s\" is not a token name (1..63 of A-Z a-z 0-9 . _ @ -)\n",
			    op.w[1]);
			return 2;
		}
	}
	if (strcmp(op.w[0], "revoke") == 0 && (strtoll(op.w[1], &end, 10) <= 0 || *end != '\0')) {
		fprintf(stderr, "gatewatch token revoke: %s: not a token id (see gatewatch token list)\n", op.w[1]);
		return 2;
	}
	return account_run(&op, account_token_verb);
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
