# gatewatch - top-level build.  `make run` and `make test` are the two
# commands a newcomer needs; both install what is missing first.
#
# B and BIN may be overridden (e.g. `make B=build-x BIN=bin-x`) so that
# several builds of the tree can run side by side.

B    ?= build
BIN  ?= bin
CC   ?= cc
CFLAGS ?= -O2 -g
MODELS ?= models/out

DARKNET_INC  = -I/usr/lib/darknet/include
DARKNET_LIBS = -L/usr/lib/darknet -Wl,-rpath,/usr/lib/darknet -ldarknet

# Warnings are errors in CI (.ci/run passes WERROR=-Werror), not in every
# build: a newer compiler's new warning must not stop someone's build, nor
# an -O1 sanitizer build whose warnings differ (issue 11).
WERROR ?=
GW_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra $(WERROR) -pthread -Icommon $(DARKNET_INC) -MMD -MP
LDLIBS_BASE = $(PATHS_O) $(B)/libgwcommon.a $(DARKNET_LIBS) $(KERNELS_LIBS) -ljansson -lsystemd -lm -pthread

COMMON_SRC     = $(wildcard common/*.c)
INGEST_SRC     = $(wildcard ingest/*.c)
DISPATCHER_SRC = $(wildcard dispatcher/*.c)
WORKER_SRC     = $(wildcard worker/*.c)
NOTIFIER_SRC   = $(wildcard notifier/*.c)
CLI_SRC        = $(wildcard cli/*.c)
UNIT_SRC       = $(wildcard test/unit/test_*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))

PROGRAMS = $(BIN)/gatewatch-ingest $(BIN)/gatewatch-dispatcher $(BIN)/gatewatch-worker \
           $(BIN)/gatewatch-notifier $(BIN)/gatewatch
UNIT_BINS = $(patsubst test/unit/%.c,$(B)/test/%,$(UNIT_SRC))

.PHONY: all deps models train-mask train-face train-verify fit-vision model-tools run test test-unit bench clean
all: $(PROGRAMS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GW_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/libgwcommon.a: $(call obj,$(COMMON_SRC))
	@rm -f $@
	ar rcs $@ $^

$(BIN)/gatewatch-ingest: $(call obj,$(INGEST_SRC)) $(B)/libgwcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(INGEST_SRC)) -lwebsockets -luv $(LDLIBS_BASE) -lsodium -lsqlite3

$(BIN)/gatewatch-dispatcher: $(call obj,$(DISPATCHER_SRC)) $(B)/libgwcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(DISPATCHER_SRC)) -luv $(LDLIBS_BASE) -lsodium -lsqlite3

$(BIN)/gatewatch-worker: $(call obj,$(WORKER_SRC)) $(B)/libgwcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(WORKER_SRC)) $(LDLIBS_BASE) -luv -lsodium -lsqlite3

# also used by mk/fuzz.mk (fuzz_http links the notifier's objects)
NOTIFIER_LDLIBS = -lwebsockets -luv -lsqlite3 -ljansson -lssl -lcrypto $(LDLIBS_BASE) -lsodium -lsqlite3
$(BIN)/gatewatch-notifier: $(call obj,$(NOTIFIER_SRC)) $(B)/libgwcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(NOTIFIER_SRC)) $(NOTIFIER_EXTRA_OBJS) $(NOTIFIER_LDLIBS)

$(BIN)/gatewatch: $(call obj,$(CLI_SRC)) $(B)/libgwcommon.a
	@mkdir -p $(BIN)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(CLI_SRC)) -lwebsockets -luv -lsqlite3 -ljansson -lexpat $(LDLIBS_BASE) -lsodium -lsqlite3

$(B)/test/%: $(B)/test/unit/%.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_BASE)

# Debian and npm packages; re-run when the list changes.
deps: .deps.stamp
.deps.stamp: deploy/install-deps.sh package.json package-lock.json
	sh deploy/install-deps.sh
	@touch $@

# Networks: converted from pinned npm packages and vendored weights, mask
# classifier trained here.
models: $(MODELS)/face.weights $(MODELS)/person.weights $(MODELS)/mask.weights \
    $(if $(wildcard models/trained/verify.weights),$(MODELS)/verify.weights)
# The face detector: AIZOOTech's model360 (MIT), kept in models/vendor/,
# converted into $(MODELS)/face-source/ (the start of `make train-face`;
# test_face.sh checks the conversion there). Shipped as face.weights:
# models/trained/face.weights (fine-tuned by `make train-face`, with
# face.manifest) when committed, else the converted source itself. Checked
# on every make (a file removed from models/trained leaves no newer date):
# copied only when the contents differ.
FACE_SRC = $(MODELS)/face-source
$(FACE_SRC)/face.weights: models/scripts/convert-face.py models/scripts/aizoo_pth.py \
    models/vendor/aizoo-facemask/model360.pth | deps
	/usr/bin/python3 models/scripts/convert-face.py --out $(FACE_SRC)
$(MODELS)/face.weights: $(FACE_SRC)/face.weights face-ship-check
	@set -e; from=$(FACE_SRC); [ ! -f models/trained/face.weights ] || from=models/trained; \
	cmp -s $(FACE_SRC)/face.cfg $(MODELS)/face.cfg || cp $(FACE_SRC)/face.cfg $(MODELS)/face.cfg; \
	if [ $$from = models/trained ]; then cmp -s $$from/face.manifest $(MODELS)/face.manifest || \
	    cp $$from/face.manifest $(MODELS)/face.manifest; else rm -f $(MODELS)/face.manifest; fi; \
	cmp -s $$from/face.weights $@ || { cp $$from/face.weights $@ && echo "models: $@ <- $$from/face.weights"; }
.PHONY: face-ship-check
$(MODELS)/person.weights: models/scripts/convert-nanodet.js | deps
	node models/scripts/convert-nanodet.js --out $(MODELS)
# The mask classifier is trained by `make train-mask` and committed in
# models/trained/ with its thresholds and manifest (it needs
# ../shared/datasets; see models/trained/README.md). Copied without the
# layers nothing reads (prune-net.py: same outputs, bit for bit).
MASK_FILES = mask.cfg mask.weights mask.labels mask.thresholds mask.manifest
$(MODELS)/mask.weights: $(addprefix models/trained/,$(MASK_FILES)) models/scripts/prune-net.py
	@mkdir -p $(MODELS)
	cp models/trained/mask.labels models/trained/mask.thresholds $(MODELS)/
	/usr/bin/python3 models/scripts/prune-net.py --in models/trained --out $(MODELS) --name mask
# --crossfit 5: mask.thresholds fitted on out-of-fold predictions (mask.crossfit).
train-mask: all $(MODELS)/face.weights $(MODELS)/person.weights $(B)/models/maskaug $(B)/models/maskfeat $(B)/models/maskeval
	sh models/scripts/train-mask.sh --out $(MODELS) --tools $(B)/models --crossfit 5
	cp $(addprefix $(MODELS)/,$(MASK_FILES) mask.crossfit) models/trained/
	$(MAKE) fit-vision
# The face verifier (worker.face_verify, common/facever.c): trained by `make
# train-verify` on the train split (docs/MODELS.md, round 10) into
# models/verifytrain/out; copied to models/trained/ (with its thresholds and
# manifest) only when it ships. None ships yet.
VERIFY_FILES = verify.cfg verify.weights verify.threshold verify.manifest
$(MODELS)/verify.weights: $(addprefix models/trained/,$(VERIFY_FILES))
	@mkdir -p $(MODELS)
	cp $(addprefix models/trained/,$(VERIFY_FILES)) $(MODELS)/
train-verify: all models $(B)/models/maskaug $(B)/models/maskfeat
	sh models/scripts/train-verify.sh --out models/verifytrain/out --tools $(B)/models
# The face detector fine-tuned on mask-scenes' train split (docs/MODELS.md
# "Fine-tuning the face detector"): every epoch scored on held-out train
# images (models/facetrain/holdout.txt); nothing is installed.
train-face: models $(B)/models/facetrain
	sh models/scripts/train-face.sh --out models/facetrain
# The vision path's thresholds (worker.face_threshold, mask.thresholds),
# fitted on the train split of mask-scenes (mask.thresholds: mask.crossfit's
# when made for the committed weights, else the calibration part's when the
# head held it out, else 0): models/trained/vision.fit.
fit-vision: all models $(B)/models/maskeval
	/usr/bin/python3 models/scripts/fit-vision.py --write models/trained
	cp models/trained/mask.thresholds $(MODELS)/

# RUN_ARGS: more `gatewatch up` flags, e.g. make run RUN_ARGS="--http-port 9081 --ingest-port 9080"
run: deps all models
	$(BIN)/gatewatch up --dir var --demo $(RUN_ARGS)

test: deps all models $(UNIT_BINS)
	sh test/run.sh

test-unit: $(UNIT_BINS)
	sh test/run.sh unit

bench: deps all models
	sh test/bench/run.sh

clean:
	rm -rf $(B) $(BIN)

# Each area may add its own rules (models, www vendoring, test helpers).
include $(wildcard mk/*.mk)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
