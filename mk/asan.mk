# asan.mk - `make test-asan`: every program and unit test built with
# AddressSanitizer + UndefinedBehaviorSanitizer (gcc, -O1) in build-asan/,
# then the unit tests and the end-to-end suites that handle outside input
# or crashes run against that build. Undefined behaviour aborts (no
# recover). About 10 minutes here (build 4, suites 5); CI runs it after
# `make test` (.ci/run). Leak checking is off: darknet and libwebsockets
# keep their allocations until exit. handle_segv=0: a SIGSEGV kills the
# process as it would without ASan (the dispatcher's crash handling is
# tested with a worker that crashes on purpose); memory errors are still
# caught by the shadow checks.
ASAN_B = build-asan
ASAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
# The pipeline suites (test_pipeline_*) are left out: the networks under
# ASan at -O1 are several times slower, and on this 2-core machine a push
# of a few photos ran past its 300 s limit; they run in `make test`.
# test_dispatcher covers crashes (workers killed, crashing on a frame).
ASAN_SUITES = unit e2e/test_ingest_server.py e2e/test_ingest_limits.py e2e/test_listen_address.py \
              e2e/test_notifier_results.py e2e/test_peer_auth.py e2e/test_durability.py \
              e2e/test_dispatcher.py models/test_kernels.sh
# models/test_kernels.sh: our layer kernels (edge tiles, padded copies,
# slack reads) against darknet's, person at 320 only: 80 s of CPU here
# (105 s user with 416 too), 12 min wall at load 20 under nice 10.
ASAN_ENV = ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=0:handle_segv=0 \
           UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
           B=$(ASAN_B) BIN=$(ASAN_B)/bin KERNELS_PERSON_SIZES=320

.PHONY: test-asan asan-build
asan-build: deps models
	$(MAKE) B=$(ASAN_B) BIN=$(ASAN_B)/bin CFLAGS="$(ASAN_FLAGS)" all \
	    $(patsubst test/unit/%.c,$(ASAN_B)/test/%,$(UNIT_SRC)) $(ASAN_B)/models/kernels-check
test-asan: asan-build
	$(ASAN_ENV) sh test/run.sh $(ASAN_SUITES)

# stb_image and stb_image_write (inside image.c) shift and add signed
# values past their range (left shift of a negative or too-large int):
# not memory errors, fixed upstream later, not ours to patch. The rest of
# image.c's file is still checked by ASan. test_image.c holds a second copy
# of stb_image_write (its reference JPEG writer): the same exception.
$(ASAN_B)/common/image.o $(ASAN_B)/test/unit/test_image.o: override CFLAGS += -fno-sanitize=shift,signed-integer-overflow
