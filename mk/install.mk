# install.mk - `make install`: binaries, www/, models, systemd units, a
# sysusers.d and a tmpfiles.d entry, and a default configuration.
#
# Where the programs find each other, the models and www/ is compiled in
# (common/paths.c), never looked up through /proc/self/exe. The tree build
# points at the tree itself (bin/, models/out/, www/, ./var), so `make run`
# and `make test` run in place. `make install` links a second set of the
# same objects with common/paths.c compiled for PREFIX ($(B)/install/), and
# copies those:
#
#   make install PREFIX=/usr/local DESTDIR=
#
#   $(PREFIX)/bin/gatewatch                      the CLI
#   $(PREFIX)/libexec/gatewatch/gatewatch-*      the four daemons
#   $(PREFIX)/share/gatewatch/{www,models}/      static files, networks
#   $(SYSTEMDUNITDIR)/gatewatch*.{service,target}
#   $(SYSUSERSDIR)/gatewatch.conf, $(TMPFILESDIR)/gatewatch.conf
#   $(SYSCONFDIR)/gatewatch/gatewatch.conf       only if absent
#   $(PREFIX)/share/doc/gatewatch/               README, docs/, example config
PREFIX        ?= /usr/local
SYSCONFDIR    ?= /etc
LOCALSTATEDIR ?= /var
LIBEXECDIR    ?= $(PREFIX)/libexec/gatewatch
DATADIR       ?= $(PREFIX)/share/gatewatch
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
DESTDIR       ?=
INSTALL       ?= install

# The tree's own locations; fixed once, so a sub-make with another BIN
# (the install link below) does not change them.
GW_TREE_BIN    ?= $(abspath $(BIN))
GW_TREE_MODELS ?= $(abspath $(MODELS))
GW_TREE_ROOT   ?= $(CURDIR)
gw_paths_defs = -DGW_PATH_LIBEXEC='"$(1)"' -DGW_PATH_MODELS='"$(2)"' -DGW_PATH_WWW='"$(3)"' -DGW_PATH_STATE='"$(4)"'
GW_TREE_DEFS    = $(call gw_paths_defs,$(GW_TREE_BIN),$(GW_TREE_MODELS),$(GW_TREE_ROOT)/www,./var)
GW_INSTALL_DEFS = $(call gw_paths_defs,$(LIBEXECDIR),$(DATADIR)/models,$(DATADIR)/www,$(LOCALSTATEDIR)/lib/gatewatch)

# Rebuild paths.o when the values change, not only when paths.c does.
gw_stamp = @mkdir -p $(dir $(1)); echo '$(2)' | cmp -s - $(1) || echo '$(2)' > $(1)
.PHONY: gw-paths-force
$(B)/common/paths.stamp: gw-paths-force
	$(call gw_stamp,$@,$(GW_TREE_DEFS))
$(B)/install/paths.stamp: gw-paths-force
	$(call gw_stamp,$@,$(GW_INSTALL_DEFS))

$(B)/common/paths.o: GW_CFLAGS += $(GW_TREE_DEFS)
$(B)/common/paths.o: $(B)/common/paths.stamp
$(B)/install/paths.o: common/paths.c $(B)/install/paths.stamp
	@mkdir -p $(dir $@)
	$(CC) $(GW_CFLAGS) $(CFLAGS) $(GW_INSTALL_DEFS) -c -o $@ common/paths.c

# PATHS_O (set only by the install link) comes before libgwcommon.a on the
# link line, so the archive's tree paths.o is never pulled in.
ifneq ($(PATHS_O),)
$(PROGRAMS): $(PATHS_O)
endif

# What the programs read from models.dir: networks, labels, the mask
# classifier's per-class thresholds (maskcls_open fails without them) and
# its crop region when there is one; not the manifests (provenance notes).
INSTALL_MODEL_EXTS = cfg weights labels thresholds region

INST_BIN = $(B)/install/bin
INST_PROGRAMS = $(patsubst $(BIN)/%,$(INST_BIN)/%,$(PROGRAMS))

.PHONY: install install-programs
install-programs: all $(B)/install/paths.o
	$(MAKE) BIN=$(INST_BIN) PATHS_O=$(B)/install/paths.o GW_TREE_BIN=$(GW_TREE_BIN) \
	    GW_TREE_MODELS=$(GW_TREE_MODELS) GW_TREE_ROOT=$(GW_TREE_ROOT) $(INST_PROGRAMS)

gw_subst = sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@BINDIR@|$(PREFIX)/bin|g' \
    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
    -e 's|@LOCALSTATEDIR@|$(LOCALSTATEDIR)|g' -e 's|@DOCDIR@|$(PREFIX)/share/doc/gatewatch|g'

install: install-programs models
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/models \
	    $(DESTDIR)$(DATADIR)/www $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(PREFIX)/share/doc/gatewatch/docs
	$(INSTALL) -m 0755 $(INST_BIN)/gatewatch $(DESTDIR)$(PREFIX)/bin/gatewatch
	$(INSTALL) -m 0755 $(filter-out $(INST_BIN)/gatewatch,$(INST_PROGRAMS)) $(DESTDIR)$(LIBEXECDIR)/
	$(INSTALL) -m 0644 $(wildcard $(addprefix $(MODELS)/*.,$(INSTALL_MODEL_EXTS))) $(DESTDIR)$(DATADIR)/models/
	cd www && find . -type d ! -name '.*' -exec $(INSTALL) -d $(abspath $(DESTDIR)$(DATADIR)/www)/{} \;
	cd www && find . -type f ! -name '.*' -exec $(INSTALL) -m 0644 {} $(abspath $(DESTDIR)$(DATADIR)/www)/{} \;
	for u in deploy/systemd/*.in; do \
	    n=$$(basename $$u .in); $(gw_subst) $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$n.tmp && \
	    chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$n.tmp && mv $(DESTDIR)$(SYSTEMDUNITDIR)/$$n.tmp $(DESTDIR)$(SYSTEMDUNITDIR)/$$n; done
	$(gw_subst) deploy/sysusers.conf > $(DESTDIR)$(SYSUSERSDIR)/gatewatch.conf
	$(gw_subst) deploy/tmpfiles.conf > $(DESTDIR)$(TMPFILESDIR)/gatewatch.conf
	chmod 0644 $(DESTDIR)$(SYSUSERSDIR)/gatewatch.conf $(DESTDIR)$(TMPFILESDIR)/gatewatch.conf
	$(INSTALL) -m 0644 README.md deploy/gatewatch.conf.example $(DESTDIR)$(PREFIX)/share/doc/gatewatch/
	$(INSTALL) -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/gatewatch/docs/
	# The configuration holds camera tokens: root-owned, readable by the
	# gatewatch group only (chown only when installing as root for real).
	$(INSTALL) -d -m 0750 $(DESTDIR)$(SYSCONFDIR)/gatewatch
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf ]; then \
	    $(gw_subst) deploy/gatewatch.conf.in > $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf.tmp && \
	    chmod 0640 $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf.tmp && \
	    mv $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf.tmp $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf; \
	else echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/gatewatch/gatewatch.conf"; fi
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	    systemd-sysusers $(SYSUSERSDIR)/gatewatch.conf 2>/dev/null || true; \
	    chgrp gatewatch $(SYSCONFDIR)/gatewatch $(SYSCONFDIR)/gatewatch/gatewatch.conf 2>/dev/null || true; \
	    systemd-tmpfiles --create $(TMPFILESDIR)/gatewatch.conf 2>/dev/null || true; \
	    systemctl daemon-reload 2>/dev/null || true; fi
