# fuzz.mk - libFuzzer harnesses (clang from Debian) for every parser of
# outside bytes: test/fuzz/fuzz_*.c. Each harness is compiled with the
# sources it exercises instrumented (ASan + UBSan + coverage); the rest of
# gatewatch comes from $(B)/libgwcommon.a as built by gcc.
#   make fuzz [FUZZ_SECONDS=300]   each harness for that long (test/fuzz/run.sh)
#   make test                      each for FUZZ_TEST_SECONDS (20) in the "fuzz" suite
# Seeds: test/fuzz/corpus/<name>/ (committed). A crash is saved under
# test/fuzz/crashes/; once fixed, move it to test/fuzz/regress/<name>/,
# which every run replays first.
FUZZ_CC ?= clang
FUZZ_FLAGS = -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
             -Icommon $(DARKNET_INC)
FUZZ_DIR = $(B)/fuzz
FUZZ_NAMES = image camera_json trailer msg config http accounts eval
FUZZ_BINS = $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 300

# stb_image (inside image.c) does signed arithmetic that overflows on
# hostile entropy data (fixed upstream after 2.27); that is not a memory
# error and imgguard cannot see it, so those two checks are off for it.
FUZZ_STB = -fno-sanitize=signed-integer-overflow,shift

$(FUZZ_DIR)/fuzz_image: test/fuzz/fuzz_image.c common/image.c common/imgguard.c common/util.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_STB) -o $@ $^ -lm

$(FUZZ_DIR)/fuzz_camera_json: test/fuzz/fuzz_camera_json.c ingest/camsg.c common/utf8.c $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iingest -o $@ test/fuzz/fuzz_camera_json.c ingest/camsg.c common/utf8.c \
	    -lwebsockets $(LDLIBS_BASE)

$(FUZZ_DIR)/fuzz_trailer: test/fuzz/fuzz_trailer.c common/spool.c worker/meta.c $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Iworker -o $@ test/fuzz/fuzz_trailer.c common/spool.c worker/meta.c $(LDLIBS_BASE)

$(FUZZ_DIR)/fuzz_msg: test/fuzz/fuzz_msg.c common/msg.c $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_msg.c common/msg.c $(LDLIBS_BASE)

$(FUZZ_DIR)/fuzz_config: test/fuzz/fuzz_config.c common/config.c common/config_check.c $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ test/fuzz/fuzz_config.c common/config.c common/config_check.c $(LDLIBS_BASE)

$(FUZZ_DIR)/fuzz_eval: test/fuzz/fuzz_eval.c cli/evalset.c cli/evalfix.c $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Icli -o $@ test/fuzz/fuzz_eval.c cli/evalset.c cli/evalfix.c -lexpat $(LDLIBS_BASE)

# the notifier links libmosquitto, libcurl, jansson (mk/ops.mk, a target-specific LDLIBS_BASE): so does its harness.
# What it reaches (the path checks, api_post and the database writes behind
# it) is instrumented; the rest of the notifier as built.
FUZZ_HTTP_SRC = notifier/webpath.c notifier/api.c notifier/db.c notifier/query.c notifier/problem.c notifier/jbuf.c
$(FUZZ_DIR)/fuzz_http: LDLIBS_BASE += $(OPS_NOTIFIER_LIBS)
FUZZ_HTTP_OBJ = $(filter-out $(B)/notifier/main.o $(patsubst notifier/%.c,$(B)/notifier/%.o,$(FUZZ_HTTP_SRC)),\
                $(call obj,$(NOTIFIER_SRC)))
$(FUZZ_DIR)/fuzz_http: test/fuzz/fuzz_http.c $(FUZZ_HTTP_SRC) $(FUZZ_HTTP_OBJ) $(NOTIFIER_EXTRA_OBJS) $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Inotifier -o $@ test/fuzz/fuzz_http.c $(FUZZ_HTTP_SRC) $(FUZZ_HTTP_OBJ) \
	    $(NOTIFIER_EXTRA_OBJS) $(NOTIFIER_LDLIBS)

# The accounts and camera resources: their sources instrumented, the rest
# of the notifier as built (libgwcommon.a's authdb.o, authtoken.o and camdb.o are not
# pulled in: the instrumented copies define their symbols first).
FUZZ_ACCOUNTS_SRC = notifier/accounts.c notifier/accounts_cam.c notifier/accounts_user.c notifier/auth.c notifier/rest.c \
                    common/authdb.c common/authtoken.c common/camdb.c
$(FUZZ_DIR)/fuzz_accounts: LDLIBS_BASE += $(OPS_NOTIFIER_LIBS)
FUZZ_ACCOUNTS_OBJ = $(filter-out $(B)/notifier/main.o $(patsubst notifier/%.c,$(B)/notifier/%.o,$(FUZZ_ACCOUNTS_SRC)),\
                    $(call obj,$(NOTIFIER_SRC)))
$(FUZZ_DIR)/fuzz_accounts: test/fuzz/fuzz_accounts.c $(FUZZ_ACCOUNTS_SRC) $(FUZZ_ACCOUNTS_OBJ) $(NOTIFIER_EXTRA_OBJS) \
                           $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Inotifier -Wl,--wrap=crypto_pwhash_str -o $@ test/fuzz/fuzz_accounts.c \
	    $(FUZZ_ACCOUNTS_SRC) $(FUZZ_ACCOUNTS_OBJ) $(NOTIFIER_EXTRA_OBJS) $(NOTIFIER_LDLIBS)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)
fuzz: $(FUZZ_BINS)
	sh test/fuzz/run.sh $(FUZZ_SECONDS)

# `make test` runs the fuzz suite: the harnesses must be built
test: fuzz-build
