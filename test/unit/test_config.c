/* test_config - defaults, file parsing, errors with file:line, flags,
 * dump round trip, camera keys, and docs/CONFIG.md naming every key. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "paths.h"
#include "util.h"

static void
test_config_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static int
test_config_args(struct config *c, char *err, size_t errlen, int *next, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "prog";
	va_start(ap, next);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	config_defaults(c);
	return config_args(c, argc, argv, next, err, errlen);
}

/* A file with comments, quotes, cameras: written as gw.conf and loaded
 * into c; 0 or -1 (reported). */
static int
test_config_good_file(struct config *c)
{
	char err[512];
	int rc;

	test_config_write_file("gw.conf",
	    "# comment\n"
	    "\n"
	    "  ingest.port = 9000   # trailing comment\n"
	    "http.port=9001\n"
	    "ingest.max_bytes = 2M\n"
	    "worker.temp_limit = 38.5\n"
	    "listen.address = \"0.0.0.0\"\n"
	    "dir = \"state dir # not a comment\"\n"
	    "log.level = debug\n"
	    "camera.gate1.token = \"s3cret-token\"\n"
	    "camera.gate1.name = \"Front gate\"\n"
	    "camera.lobby.token = lobby-token-1\n"
	    "camera.lobby.mode = indoor\n"
	    "track.min_hits = 2\n"
	    "track.iou_match = 0.4\n"
	    "alert.after_ms = 1500\n"
	    "webhook.url = \"http://127.0.0.1:9/hook\"\n"
	    "webhook.secret = s3cret\n");
	config_defaults(c);
	rc = config_load(c, "gw.conf", err, sizeof(err));
	if (rc)
		printf("# %s\n", err);
	return rc;
}

CASE(defaults)
{
	static struct config c;
	char err[512];

	config_defaults(&c);
	CHECK_STR(c.dir, "./var", "default dir");
	CHECK_STR(c.listen_address, "127.0.0.1", "default listen.address");
	CHECK_INT(c.ingest_port, 8080, "default ingest.port");
	CHECK_INT(c.http_port, 8081, "default http.port");
	CHECK_INT(c.ingest_max_bytes, 4 << 20, "default ingest.max_bytes");
	CHECK_INT(c.ingest_max_pixels, 4096 * 4096, "default ingest.max_pixels");
	CHECK_INT(c.ingest_threads, 2, "default ingest.threads");
	CHECK_INT(c.ingest_max_inflight, 4, "default ingest.max_inflight");
	CHECK(c.motion_threshold == 0.01, "default ingest.motion_threshold");
	CHECK_INT(c.motion_recheck_ms, 2000, "default ingest.motion_recheck_ms");
	CHECK_INT(c.person_input, 416, "default ingest.person_input");
	CHECK(c.person_threshold == 0.35, "default ingest.person_threshold");
	CHECK(c.closeup_threshold == 0.6, "default ingest.closeup_threshold");
	CHECK_INT(c.spool_max_frames, 300, "default spool.max_frames");
	CHECK_INT(c.spool_max_bytes, 256L << 20, "default spool.max_bytes");
	CHECK_INT(c.spool_min_free_mb, 200, "default spool.min_free_mb");
	CHECK_INT(c.worker_idle_ms, 30000, "default dispatcher.worker_idle_ms");
	CHECK_INT(c.worker_backoff_ms, 250, "default dispatcher.worker_backoff_ms");
	CHECK_INT(c.worker_backoff_max_ms, 10000, "default dispatcher.worker_backoff_max_ms");
	CHECK_INT(c.worker_max_crashes, 2, "default dispatcher.max_crashes");
	CHECK_INT(c.face_input, 360, "default worker.face_input");
	CHECK_INT(c.body_input, 360, "default worker.body_input");
	CHECK_INT(c.frame_search, 1, "default worker.frame_search");
	CHECK_INT(c.frame_only_px, 0, "default worker.frame_only_px");
	CHECK_INT(c.tile_px, 120, "default worker.tile_px");
	CHECK(c.face_threshold == 0.7, "default worker.face_threshold");
	CHECK(c.mask_threshold == 0, "default worker.mask_threshold");
	CHECK(c.temp_limit == 37.8, "default worker.temp_limit");
	CHECK_INT(c.client_queue, 256, "default notifier.client_queue");
	CHECK_INT(c.snapshot_keep_days, 7, "default notifier.snapshot_keep_days");
	CHECK_INT(c.track_min_hits, 2, "default track.min_hits");
	CHECK_INT(c.track_max_missing_ms, 3000, "default track.max_missing_ms");
	CHECK_INT(c.track_tentative_missing_ms, 1000, "default track.tentative_missing_ms");
	CHECK(c.track_iou_match == 0.3, "default track.iou_match");
	CHECK(c.track_center_match == 0.75, "default track.center_match");
	CHECK_INT(c.track_consensus_n, 2, "default track.consensus_n");
	CHECK_INT(c.track_consensus_window, 5, "default track.consensus_window");
	CHECK(c.track_consensus_min_score == 0.6, "default track.consensus_min_score");
	CHECK(c.track_consensus_majority == 0.6, "default track.consensus_majority");
	CHECK_INT(c.track_stable_ms, 3000, "default track.stable_ms");
	CHECK_INT(c.track_recheck_ms, 5000, "default track.recheck_ms");
	CHECK(c.track_decide_score == 0.97, "default track.decide_score");
	CHECK_INT(c.gate_face_prompt_ms, 1500, "default gate.face_prompt_ms");
	CHECK_INT(c.gate_face_timeout_ms, 6000, "default gate.face_timeout_ms");
	CHECK_STR(c.gate_face_timeout_verdict, "DENY", "default gate.face_timeout_verdict");
	CHECK(c.track_recheck_box_change == 0.5, "default track.recheck_box_change");
	CHECK(c.track_best_improve == 0.1, "default track.best_improve");
	CHECK_INT(c.alert_after_ms, 10000, "default alert.after_ms");
	CHECK_INT(c.alert_track_cooldown_ms, 60000, "default alert.track_cooldown_ms");
	CHECK_INT(c.alert_camera_cooldown_ms, 10000, "default alert.camera_cooldown_ms");
	CHECK_STR(c.webhook_url, "", "default webhook.url is empty (off)");
	CHECK_STR(c.webhook_secret, "", "default webhook.secret is empty");
	CHECK_STR(c.webhook_ca_file, "", "default webhook.ca_file is empty");
	CHECK_INT(c.webhook_backoff_min_ms, 1000, "default webhook.backoff_min_ms");
	CHECK_INT(c.webhook_backoff_max_ms, 60000, "default webhook.backoff_max_ms");
	CHECK_INT(c.webhook_timeout_ms, 10000, "default webhook.timeout_ms");
	CHECK_INT(c.webhook_keep_days, 7, "default webhook.keep_days");
	CHECK_STR(c.log_level, "info", "default log.level");
	CHECK_STR(c.tls_cert, "", "default tls.cert is empty");
	CHECK_INT(c.ncameras, 0, "no cameras by default");
	/* The tree build compiles in the tree's own folders (mk/install.mk). */
	CHECK_STR(c.models_dir, paths_models_dir, "default models.dir is the compiled-in one");
	CHECK(c.models_dir[0] == '/' && strstr(c.models_dir, "models") != NULL, "default models.dir is absolute");
	CHECK_STR(c.www_dir, paths_www_dir, "default www.dir is the compiled-in one");
	CHECK_STR(c.run_dir, "", "default run.dir is empty (DIR/run)");
	CHECK(access(paths_www_dir, R_OK) == 0, "the compiled-in www.dir exists in a tree build");
	CHECK(strstr(c.www_dir, "www") != NULL && c.www_dir[0] == '/', "default www.dir is absolute, ends in www");
	CHECK_INT(config_check(&c, err, sizeof(err)), 0, "defaults pass config_check");
}

CASE(file)
{
	static struct config c;
	const struct config_camera *cam;
	char err[512];

	CHECK_INT(test_config_good_file(&c), 0, "load a good file");
	CHECK_INT(c.ingest_port, 9000, "ingest.port from file");
	CHECK_INT(c.http_port, 9001, "http.port without spaces");
	CHECK_INT(c.ingest_max_bytes, 2 << 20, "M suffix on a byte key");
	CHECK(c.temp_limit == 38.5, "double from file");
	CHECK_STR(c.listen_address, "0.0.0.0", "quoted value");
	CHECK_STR(c.dir, "state dir # not a comment", "# inside quotes is kept");
	CHECK_STR(c.log_level, "debug", "log.level");
	CHECK_INT(c.track_min_hits, 2, "track.min_hits from file");
	CHECK(c.track_iou_match == 0.4, "track.iou_match from file");
	CHECK_INT(c.alert_after_ms, 1500, "alert.after_ms from file");
	CHECK_STR(c.webhook_url, "http://127.0.0.1:9/hook", "webhook.url from file");
	CHECK_STR(c.webhook_secret, "s3cret", "webhook.secret from file");
	CHECK_INT(c.ncameras, 2, "two cameras");
	cam = config_camera(&c, "gate1");
	CHECK(cam != NULL, "camera gate1 exists");
	if (cam) {
		CHECK_STR(cam->token, "s3cret-token", "gate1 token");
		CHECK_STR(cam->name, "Front gate", "gate1 name");
		CHECK_INT(cam->mode, CONFIG_MODE_GATE, "gate1 mode defaults to gate");
	}
	cam = config_camera(&c, "lobby");
	CHECK(cam != NULL && cam->mode == CONFIG_MODE_INDOOR, "lobby is indoor");
	CHECK(cam != NULL && strcmp(cam->name, "lobby") == 0, "name defaults to the id");
	CHECK(config_camera(&c, "nope") == NULL, "unknown camera is NULL");
	CHECK_INT(config_check(&c, err, sizeof(err)), 0, "file passes config_check");
}

/* Dump and load again: same values. */
CASE(dump_round_trip)
{
	static struct config c, d;
	char err[512], *dump = NULL;
	size_t dumplen = 0;
	FILE *f;
	int rc;

	CHECK_INT(test_config_good_file(&c), 0, "load a good file");
	f = open_memstream(&dump, &dumplen);
	config_dump(&c, f);
	fclose(f);
	test_config_write_file("dump.conf", dump);
	config_defaults(&d);
	rc = config_load(&d, "dump.conf", err, sizeof(err));
	CHECK_INT(rc, 0, "a dump loads back");
	if (rc)
		printf("# %s\n", err);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0, "dump round trip gives identical values");
	CHECK(strstr(dump, "dispatcher.worker_backoff_max_ms = 10000\n") != NULL, "dump names dispatcher.worker_backoff_max_ms");
	CHECK(strstr(dump, "camera.lobby.mode = indoor\n") != NULL, "dump names camera keys");
	CHECK(strstr(dump, "alert.after_ms = 1500\n") != NULL, "dump names alert.after_ms");
	CHECK(strstr(dump, "webhook.url = \"http://127.0.0.1:9/hook\"\n") != NULL, "dump names webhook.url");
	free(dump);
}

/* Errors name the file, line and key. */
CASE(errors)
{
	static struct config c;
	char err[512];

	test_config_write_file("bad1.conf", "ingest.port = 8080\nbogus.key = 1\n");
	config_defaults(&c);
	CHECK_INT(config_load(&c, "bad1.conf", err, sizeof(err)), -EINVAL, "unknown key fails");
	CHECK(strstr(err, "bad1.conf:2:") && strstr(err, "bogus.key"), "error names file:line and key");
	printf("# %s\n", err);
	test_config_write_file("bad2.conf", "ingest.port = 99999\n");
	CHECK_INT(config_load(&c, "bad2.conf", err, sizeof(err)), -EINVAL, "port out of range fails");
	CHECK(strstr(err, "bad2.conf:1:") && strstr(err, "ingest.port") && strstr(err, "range"), "range error message");
	test_config_write_file("bad3.conf", "ingest.threads = two\n");
	CHECK_INT(config_load(&c, "bad3.conf", err, sizeof(err)), -EINVAL, "not a number fails");
	test_config_write_file("bad4.conf", "just words\n");
	CHECK_INT(config_load(&c, "bad4.conf", err, sizeof(err)), -EINVAL, "line without = fails");
	CHECK(strstr(err, "bad4.conf:1:") != NULL, "malformed line names the line");
	test_config_write_file("bad5.conf", "dir = \"unterminated\n");
	CHECK_INT(config_load(&c, "bad5.conf", err, sizeof(err)), -EINVAL, "unterminated quote fails");
	test_config_write_file("bad6.conf", "log.level = loud\n");
	CHECK_INT(config_load(&c, "bad6.conf", err, sizeof(err)), -EINVAL, "bad log.level fails");
	test_config_write_file("bad7.conf", "camera.a/b.token = 12345678\n");
	CHECK_INT(config_load(&c, "bad7.conf", err, sizeof(err)), -EINVAL, "camera id with / fails");
	test_config_write_file("bad8.conf", "camera.x.colour = red\n");
	CHECK_INT(config_load(&c, "bad8.conf", err, sizeof(err)), -EINVAL, "unknown camera key fails");
	test_config_write_file("bad9.conf", "camera.x.mode = outdoor\n");
	CHECK_INT(config_load(&c, "bad9.conf", err, sizeof(err)), -EINVAL, "bad camera mode fails");
	test_config_write_file("bad10.conf", "worker.mask_threshold = 1.5\n");
	CHECK_INT(config_load(&c, "bad10.conf", err, sizeof(err)), -EINVAL, "threshold above 1 fails");
	test_config_write_file("bad11.conf", "ingest.threads = 3x\n");
	CHECK_INT(config_load(&c, "bad11.conf", err, sizeof(err)), -EINVAL, "trailing junk after a number fails");
	test_config_write_file("bad12.conf", "track.consensus_majority = 2\n");
	CHECK_INT(config_load(&c, "bad12.conf", err, sizeof(err)), -EINVAL, "track.consensus_majority above 1 fails");
	test_config_write_file("bad13.conf", "alert.after_ms = 0\n");
	CHECK_INT(config_load(&c, "bad13.conf", err, sizeof(err)), -EINVAL, "alert.after_ms 0 fails");
	CHECK(strstr(err, "bad13.conf:1:") && strstr(err, "alert.after_ms"), "alert error names file:line and key");
	CHECK_INT(config_load(&c, "missing.conf", err, sizeof(err)), -ENOENT, "missing file fails (-ENOENT)");
	CHECK(strstr(err, "missing.conf") && strstr(err, "No such file"), "missing file error names it");
}

CASE(cross_field)
{
	static struct config c;
	char err[512];

	config_defaults(&c);
	c.http_port = c.ingest_port;
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "same port twice fails");
	config_defaults(&c);
	util_strlcpy(c.tls_cert, "cert.pem", sizeof(c.tls_cert));
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "tls.cert without tls.key fails");
	config_defaults(&c);
	c.worker_backoff_ms = 20000;
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "backoff above its max fails");
	config_defaults(&c);
	c.face_input = 362;
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "face_input not a multiple of 8 fails");
	config_defaults(&c);
	c.track_consensus_window = 1;
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "consensus window below consensus_n fails");
	CHECK(strstr(err, "track.consensus_window") != NULL, "message names track.consensus_window");
	config_defaults(&c);
	util_strlcpy(c.gate_face_timeout_verdict, "MAYBE", sizeof(c.gate_face_timeout_verdict));
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "gate.face_timeout_verdict other than DENY, PASS, none fails");
	CHECK(strstr(err, "gate.face_timeout_verdict") != NULL, "message names gate.face_timeout_verdict");
	config_defaults(&c);
	c.webhook_backoff_min_ms = 70000;
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "webhook backoff min above max fails");
	config_defaults(&c);
	CHECK_INT(config_set(&c, "webhook.url", "ftp://x/y", err, sizeof(err)), 0, "webhook.url set");
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "webhook.url not http(s) fails the check");
	CHECK(strstr(err, "webhook.url") != NULL, "message names webhook.url");
	CHECK_INT(config_set(&c, "webhook.url", "https://hooks.example/x", err, sizeof(err)), 0, "https webhook.url");
	CHECK_INT(config_check(&c, err, sizeof(err)), 0, "https webhook.url passes");
	config_defaults(&c);
	CHECK_INT(config_set(&c, "camera.x.name", "X", err, sizeof(err)), 0, "camera name before token");
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "camera without a token fails the check");
	CHECK(strstr(err, "camera.x.token") != NULL, "message names camera.x.token");
	config_defaults(&c);
	config_set(&c, "camera.a.token", "same-token", err, sizeof(err));
	config_set(&c, "camera.b.token", "same-token", err, sizeof(err));
	CHECK_INT(config_check(&c, err, sizeof(err)), -EINVAL, "two cameras with one token fail");
	CHECK_INT(config_set(&c, "camera.c.token", "short", err, sizeof(err)), -EINVAL, "a token under 8 characters fails");
}

CASE(flags)
{
	char err[512], cwd[PATH_MAX], want[PATH_MAX + 64];
	static struct config c;
	int next, rc;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	CHECK_INT(test_config_good_file(&c), 0, "load a good file");
	test_config_write_file("bad1.conf", "ingest.port = 8080\nbogus.key = 1\n");
	rc = test_config_args(&c, err, sizeof(err), &next, "-c", "gw.conf", "--set", "ingest.port=7000", "--dir", "v2", "--own", NULL);
	CHECK_INT(rc, 0, "config_args with -c, --set, --dir");
	if (rc)
		printf("# %s\n", err);
	CHECK_INT(next, 7, "next points at the first unknown flag");
	CHECK_INT(c.ingest_port, 7000, "--set overrides the file");
	CHECK_INT(c.http_port, 9001, "the file applied");
	snprintf(want, sizeof(want), "%s/v2", cwd);
	CHECK_STR(c.dir, want, "--dir relative is made absolute");
	rc = test_config_args(&c, err, sizeof(err), &next, "--set", "ingest.port=7000", "-c", "gw.conf", NULL);
	CHECK_INT(c.ingest_port, 9000, "flags apply in order: later file wins");
	CHECK_INT(next, 5, "next is argc when all flags are known");
	rc = test_config_args(&c, err, sizeof(err), &next, "--dir=/abs/x", "--set=http.port=1234", "--config=gw.conf", NULL);
	CHECK_INT(rc, 0, "--flag=value forms");
	CHECK(strstr(c.dir, "/state dir # not a comment") != NULL, "dir from the last file, made absolute");
	rc = test_config_args(&c, err, sizeof(err), &next, NULL);
	snprintf(want, sizeof(want), "%s/var", cwd);
	CHECK_STR(c.dir, want, "default dir ./var becomes absolute");
	rc = test_config_args(&c, err, sizeof(err), &next, "--set", "nokey", NULL);
	CHECK_INT(rc, -EINVAL, "--set without = fails");
	rc = test_config_args(&c, err, sizeof(err), &next, "--set", "x.y=1", NULL);
	CHECK_INT(rc, -EINVAL, "--set of an unknown key fails");
	CHECK(strstr(err, "x.y") != NULL, "message names the key");
	rc = test_config_args(&c, err, sizeof(err), &next, "-c", NULL);
	CHECK_INT(rc, -EINVAL, "-c without a file fails");
	rc = test_config_args(&c, err, sizeof(err), &next, "-c", "bad1.conf", NULL);
	CHECK_INT(rc, -EINVAL, "-c with a bad file fails");
	CHECK(strstr(err, "bad1.conf:2:") != NULL, "config_args passes the file error on");
	rc = test_config_args(&c, err, sizeof(err), &next, "--set", "http.port=8080", NULL);
	CHECK_INT(rc, -EINVAL, "config_args runs config_check");
}

CASE(paths)
{
	char err[512], want[PATH_MAX + 64];
	static struct config c;
	int next;

	CHECK_INT(test_config_args(&c, err, sizeof(err), &next, NULL), 0, "defaults, dir made absolute");
	CHECK_INT(config_path(&c, "run/dispatcher.sock", want, sizeof(want)), 0, "config_path");
	CHECK(strncmp(want, c.dir, strlen(c.dir)) == 0 && strcmp(want + strlen(c.dir), "/run/dispatcher.sock") == 0,
	    "config_path joins dir and rel");
	CHECK_INT(config_path(&c, "run/dispatcher.sock", want, 8), -ENAMETOOLONG, "config_path too long");
	CHECK_INT(config_set(&c, "run.dir", "/run/gatewatch", err, sizeof(err)), 0, "set run.dir");
	CHECK_INT(config_path(&c, "run/dispatcher.sock", want, sizeof(want)), 0, "config_path with run.dir");
	CHECK_STR(want, "/run/gatewatch/dispatcher.sock", "run/ goes under run.dir");
	CHECK_INT(config_path(&c, "spool", want, sizeof(want)), 0, "config_path spool with run.dir");
	CHECK(strncmp(want, c.dir, strlen(c.dir)) == 0, "other paths stay under dir");
}

/* test_config_missing - how many `key = value` lines of the defaults'
 * config_dump file `rel` (under the repository) lacks, by missing(): each
 * one said on stdout. Returns -1 when the file cannot be read. */
static int
test_config_missing(const char *rel, int (*missing)(const char *text, const char *key, const char *line))
{
	static struct config c;
	char path[PATH_MAX + 64], *line, *save, *dump = NULL;
	unsigned char *text;
	size_t len, dumplen = 0;
	int n = 0;
	FILE *f;

	config_defaults(&c);
	f = open_memstream(&dump, &dumplen);
	config_dump(&c, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", check_root(), rel);
	if (util_read_file(path, 1 << 20, &text, &len) != 0) {
		free(dump);
		return -1;
	}
	for (line = strtok_r(dump, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[128];

		if (line[0] != '#' && sscanf(line, "%127s", key) == 1 && missing((char *)text, key, line)) {
			printf("# %s: want \"%s\"\n", rel, line);
			n++;
		}
	}
	free(text);
	free(dump);
	return n;
}

/* docs/CONFIG.md names the key in backquotes. */
static int
test_config_undocumented(const char *text, const char *key, const char *line)
{
	char pat[160];

	(void)line;
	snprintf(pat, sizeof(pat), "`%s`", key);
	return strstr(text, pat) == NULL;
}

CASE(docs_name_every_key)
{
	CHECK_INT(test_config_missing("docs/CONFIG.md", test_config_undocumented), 0, "docs/CONFIG.md names every key");
}

/* The example has the line `key = value` as config_dump writes it (a
 * comment may follow), or the key commented out (`#key = ...`: the paths
 * whose default is compiled in or relative). */
static int
test_config_not_in_example(const char *text, const char *key, const char *line)
{
	size_t n = strlen(line);
	char commented[160];
	const char *hit;

	for (hit = strstr(text, line); hit; hit = strstr(hit + 1, line))
		if ((hit == text || hit[-1] == '\n') && (hit[n] == '\n' || hit[n] == ' ' || hit[n] == '\0'))
			return 0;
	snprintf(commented, sizeof(commented), "#%s =", key);
	return strstr(text, commented) == NULL;
}

/* deploy/gatewatch.conf.example lists every key with its default; so
 * does the config fuzzer's copy of it (its seed, kept the same). */
CASE(example_lists_every_default)
{
	CHECK_INT(test_config_missing("deploy/gatewatch.conf.example", test_config_not_in_example), 0,
	    "deploy/gatewatch.conf.example has every key with its default");
	CHECK_INT(test_config_missing("test/fuzz/corpus/config/example.conf", test_config_not_in_example), 0,
	    "test/fuzz/corpus/config/example.conf too");
}

CHECK_MAIN()
