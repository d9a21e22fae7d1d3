/* upbanner - what `gatewatch up` prints once everything is up; see
 * upbanner.h. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "cmd.h"
#include "upbanner.h"
#include "util.h"

void
upbanner_print(const struct config *c, const char *conf, const char *admin_pw, const char *const *progs, int nprogs,
    const char *demo_token)
{
	const char *la = c->listen_address;
	int tls = c->tls_cert[0] != '\0', i;
	int every = strcmp(la, "0.0.0.0") == 0 || strcmp(la, "::") == 0 || strcmp(la, "*") == 0 || la[0] == '\0';
	char host[sizeof(c->listen_address) + 2], self[CONFIG_PATH_SIZE];

	/* URLs one can open: every interface -> this machine; IPv6 in [] */
	if (every)
		util_strlcpy(host, strcmp(la, "::") == 0 ? "[::1]" : "127.0.0.1", sizeof(host));
	else if (strchr(la, ':') != NULL && la[0] != '[')
		snprintf(host, sizeof(host), "[%s]", la);
	else
		util_strlcpy(host, la, sizeof(host));
	printf("gatewatch is up (pid %d), state in %s\n", (int)getpid(), c->dir);
	printf("  dashboard    %s://%s:%d/\n", tls ? "https" : "http", host, c->http_port);
	printf("  camera page  %s://%s:%d/camera.html\n", tls ? "https" : "http", host, c->http_port);
	printf("  ingest       %s://%s:%d/\n", tls ? "wss" : "ws", host, c->ingest_port);
	if (demo_token)
		printf("  demo camera  id=demo token=%s\n", demo_token);
	/* the command as one can type it: a tree build's is not on PATH */
	if (cmd_bin_path("gatewatch", self, sizeof(self)) != 0 || access(self, X_OK) != 0)
		util_strlcpy(self, "gatewatch", sizeof(self));
	if (admin_pw[0])
		printf("  log in as    user=%s password=%s  (change it: %s user passwd %s --dir %s)\n",
		    ACCOUNT_FIRST_ADMIN, admin_pw, self, ACCOUNT_FIRST_ADMIN, c->dir);
	else
		printf("  accounts     %s user list|add|passwd --dir %s\n", self, c->dir);
	if (every)
		printf("  warning      listening on every interface%s: anyone on the network can reach the login page\n",
		    tls ? "" : " WITHOUT TLS (passwords and faces cross the network in clear; set tls.cert/tls.key)");
	printf("  config       %s\n", conf);
	for (i = 0; i < nprogs; i++)
		printf("  log          %s/log/%s.log\n", c->dir, progs[i]);
	printf("gatewatch up: ready (Ctrl-C stops everything)\n");
	fflush(stdout);
}
