/* test_camdb - the cameras table (common/camdb.c) on an in-memory SQLite
 * database: the config file seeds it, what the API changed stays until
 * the config's own lines change, tokens are kept only as hashes and
 * checked, a removed camera is refused and may be added again. */
#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "camdb.h"
#include "check.h"

#define S 1000000LL
#define T0 (1800000000LL * S)

static sqlite3 *
test_camdb_open(void)
{
	sqlite3 *db = NULL;

	CHECK_INT(authdb_init(), 0, "libsodium starts");
	CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK, "in-memory database");
	CHECK_INT(camdb_schema(db), 0, "schema created");
	return db;
}

/* test_camdb_config - a config with camera gate1 (token tok, name, mode)
 * and, when two, lobby */
static void
test_camdb_config(struct config *c, const char *tok, const char *name, const char *mode, int two)
{
	char err[256];

	config_defaults(c);
	CHECK_INT(config_set(c, "camera.gate1.token", tok, err, sizeof(err)), 0, "gate1 token");
	CHECK_INT(config_set(c, "camera.gate1.name", name, err, sizeof(err)), 0, "gate1 name");
	CHECK_INT(config_set(c, "camera.gate1.mode", mode, err, sizeof(err)), 0, "gate1 mode");
	if (two)
		CHECK_INT(config_set(c, "camera.lobby.token", "lobby-token-1", err, sizeof(err)), 0, "lobby token");
}

CASE(seed_and_check)
{
	sqlite3 *db = test_camdb_open();
	struct camdb_camera cam;
	struct config c;

	test_camdb_config(&c, "gate1-token-1", "Front", "gate", 1);
	CHECK_INT(camdb_seed(db, &c, T0), 2, "two cameras seeded");
	CHECK_INT(camdb_seed(db, &c, T0 + S), 0, "seeding again changes nothing");
	CHECK_INT(camdb_check(db, "gate1", "gate1-token-1", &cam), 1, "the config's token is welcome");
	CHECK_STR(cam.name, "Front", "name from the config");
	CHECK(cam.mode == CONFIG_MODE_GATE && cam.from_config, "mode gate, from the config");
	CHECK(strlen(cam.token_hash) == 64 && strstr(cam.token_hash, "gate1-token") == NULL, "only a hash is kept");
	CHECK_INT(camdb_check(db, "gate1", "gate1-token-2", &cam), 0, "a wrong token is refused");
	CHECK_INT(camdb_check(db, "gate1", "lobby-token-1", &cam), 0, "another camera's token is refused");
	CHECK_INT(camdb_check(db, "nope", "gate1-token-1", &cam), 0, "an unknown camera is refused");
	CHECK_INT(camdb_get(db, "lobby", &cam), 0, "lobby is there");
	CHECK_STR(cam.name, "lobby", "an unnamed camera is named by its id");
	sqlite3_close(db);
}

CASE(api_changes_stay_until_the_config_changes)
{
	sqlite3 *db = test_camdb_open();
	char tok[AUTHDB_SECRET_SIZE];
	struct camdb_camera cam;
	struct config c;

	test_camdb_config(&c, "gate1-token-1", "Front", "gate", 1);
	CHECK_INT(camdb_seed(db, &c, T0), 2, "seeded");
	CHECK_INT(camdb_set(db, "gate1", "Main gate", CONFIG_MODE_INDOOR, T0 + S), 0, "renamed, indoor");
	CHECK_INT(camdb_rotate(db, "gate1", T0 + 2 * S, tok), 0, "a new token");
	CHECK(strncmp(tok, "gwc_", 4) == 0 && strlen(tok) > 40, "camera tokens start gwc_");
	CHECK_INT(camdb_seed(db, &c, T0 + 3 * S), 0, "the same config changes nothing at the next start");
	CHECK_INT(camdb_check(db, "gate1", "gate1-token-1", &cam), 0, "the old token stays refused");
	CHECK_INT(camdb_check(db, "gate1", tok, &cam), 1, "the new token is welcome");
	CHECK(strcmp(cam.name, "Main gate") == 0 && cam.mode == CONFIG_MODE_INDOOR, "the API's name and mode stay");
	test_camdb_config(&c, "gate1-token-9", "Front", "gate", 1);
	CHECK_INT(camdb_seed(db, &c, T0 + 4 * S), 1, "a changed config line is applied");
	CHECK_INT(camdb_check(db, "gate1", "gate1-token-9", &cam), 1, "the config's new token is welcome");
	CHECK(strcmp(cam.name, "Front") == 0 && cam.mode == CONFIG_MODE_GATE, "and its name and mode");
	CHECK_INT(camdb_check(db, "gate1", tok, &cam), 0, "the API's token is not");
	sqlite3_close(db);
}

CASE(removed_and_added)
{
	sqlite3 *db = test_camdb_open();
	char tok[AUTHDB_SECRET_SIZE], tok2[AUTHDB_SECRET_SIZE];
	struct camdb_camera cam;
	struct config c;

	test_camdb_config(&c, "gate1-token-1", "Front", "gate", 1);
	CHECK_INT(camdb_seed(db, &c, T0), 2, "seeded");
	CHECK_INT(camdb_add(db, "newcam", "New", CONFIG_MODE_GATE, T0, tok), 0, "added");
	CHECK_INT(camdb_add(db, "newcam", "New", CONFIG_MODE_GATE, T0, tok2), -EEXIST, "the same id again");
	CHECK_INT(camdb_add(db, "bad id", "New", CONFIG_MODE_GATE, T0, tok2), -EINVAL, "a bad id");
	CHECK_INT(camdb_add(db, "x", "a\nb", CONFIG_MODE_GATE, T0, tok2), -EINVAL, "a name with a newline");
	CHECK_INT(camdb_check(db, "newcam", tok, &cam), 1, "the new camera's token is welcome");
	CHECK(!cam.from_config, "not from the config");
	CHECK_INT(camdb_remove(db, "newcam", T0 + S), 0, "removed");
	CHECK_INT(camdb_remove(db, "newcam", T0 + S), -ENOENT, "removed once");
	CHECK_INT(camdb_check(db, "newcam", tok, &cam), 0, "a removed camera is refused");
	CHECK_INT(camdb_rotate(db, "newcam", T0 + S, tok2), -ENOENT, "no new token for it");
	CHECK_INT(camdb_add(db, "newcam", "Again", CONFIG_MODE_INDOOR, T0 + 2 * S, tok2), 0, "its id may be used again");
	CHECK_INT(camdb_check(db, "newcam", tok, &cam), 0, "the old token stays refused");
	CHECK_INT(camdb_check(db, "newcam", tok2, &cam), 1, "the new one is welcome");
	/* the config's camera removed through the API: the same config does not bring it back */
	CHECK_INT(camdb_remove(db, "gate1", T0 + 3 * S), 0, "gate1 removed through the API");
	CHECK_INT(camdb_seed(db, &c, T0 + 4 * S), 0, "the same config changes nothing");
	CHECK_INT(camdb_get(db, "gate1", NULL), -ENOENT, "gate1 stays removed");
	/* a config camera nobody changed goes with its lines; they bring it back */
	test_camdb_config(&c, "gate1-token-1", "Front", "gate", 0);
	CHECK_INT(camdb_seed(db, &c, T0 + 5 * S), 1, "lobby's lines are gone");
	CHECK_INT(camdb_get(db, "lobby", NULL), -ENOENT, "lobby is gone");
	CHECK_INT(camdb_get(db, "newcam", NULL), 0, "the API's camera stays");
	test_camdb_config(&c, "gate1-token-1", "Front", "gate", 1);
	CHECK_INT(camdb_seed(db, &c, T0 + 6 * S), 1, "lobby's lines are back");
	CHECK_INT(camdb_check(db, "lobby", "lobby-token-1", &cam), 1, "and so is lobby");
	CHECK_INT(camdb_list(db, NULL, NULL), 2, "lobby and newcam listed");
	sqlite3_close(db);
}

/* The mode a program reads for a camera (the worker, the dispatcher): the
 * DIR/gatewatch.db row wins, then the config file; a camera neither knows
 * is -ENOENT for camdb_mode_known and gate for camdb_mode. */
CASE(mode_from_the_database)
{
	struct config c;
	sqlite3 *db = NULL;
	char err[256], tok[256], path[CONFIG_PATH_SIZE + 32];

	test_camdb_config(&c, "gate1-token-1", "Front", "indoor", 0);
	CHECK_INT(config_set(&c, "dir", check_tmpdir(), err, sizeof(err)), 0, "dir");
	CHECK_INT(camdb_mode_known(&c, "gate1"), CONFIG_MODE_INDOOR, "no database yet: the config file's mode");
	CHECK_INT(camdb_mode_known(&c, "dash"), -ENOENT, "a camera nobody knows: -ENOENT");
	CHECK_INT(camdb_mode(&c, "dash"), CONFIG_MODE_GATE, "...which camdb_mode takes for gate");
	snprintf(path, sizeof(path), "%s/gatewatch.db", c.dir);
	CHECK_INT(authdb_init(), 0, "libsodium starts");
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK, "database file");
	CHECK_INT(camdb_schema(db), 0, "schema created");
	CHECK_INT(camdb_seed(db, &c, T0), 1, "gate1 seeded");
	CHECK_INT(camdb_add(db, "dash", "Dashboard's", CONFIG_MODE_GATE, T0, tok), 0, "a camera added from the dashboard");
	CHECK_INT(camdb_set(db, "gate1", "Front", CONFIG_MODE_GATE, T0 + S), 0, "gate1 made a gate camera by the API");
	sqlite3_close(db);
	CHECK_INT(camdb_mode_known(&c, "dash"), CONFIG_MODE_GATE, "the database's camera is known, with its mode");
	CHECK_INT(camdb_mode_known(&c, "gate1"), CONFIG_MODE_GATE, "the database's mode wins over the config file's");
	CHECK_INT(camdb_mode_known(&c, "nope"), -ENOENT, "still -ENOENT for a camera nobody knows");
}

CHECK_MAIN()
