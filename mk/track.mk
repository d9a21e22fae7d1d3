# track.mk - unit test binaries for worker/track*.c, worker/lag.c and notifier/webhook.c, webpath.c, rate.c.
# The generic $(B)/test/% rule links only the test object with libgwcommon,
# these tests also need the module under test (and its libraries).

TRACK_OBJS = $(B)/worker/track.o $(B)/worker/track_decide.o $(B)/worker/track_config.o $(B)/worker/track_gap.o \
    $(B)/worker/track_adopt.o $(B)/worker/track_head.o
$(B)/test/test_track: $(B)/test/unit/test_track.o $(TRACK_OBJS) $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_track.o $(TRACK_OBJS) $(LDLIBS_BASE)

$(B)/test/test_track_gate: $(B)/test/unit/test_track_gate.o $(TRACK_OBJS) $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_track_gate.o $(TRACK_OBJS) $(LDLIBS_BASE)

WEBHOOK_OBJS = $(B)/notifier/webhook.o $(B)/notifier/outbox.o $(B)/notifier/httppost.o
$(B)/test/test_webhook: $(B)/test/unit/test_webhook.o $(WEBHOOK_OBJS) $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_webhook.o $(WEBHOOK_OBJS) \
	    -lcurl -lsqlite3 -lcrypto $(LDLIBS_BASE)

$(B)/test/test_webpath: $(B)/test/unit/test_webpath.o $(B)/notifier/webpath.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_webpath.o $(B)/notifier/webpath.o $(LDLIBS_BASE)

$(B)/test/test_rate: $(B)/test/unit/test_rate.o $(B)/notifier/rate.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_rate.o $(B)/notifier/rate.o $(LDLIBS_BASE)

.PHONY: test-track
test-track: $(B)/test/test_track $(B)/test/test_track_gate $(B)/test/test_webhook
	$(B)/test/test_track
	$(B)/test/test_track_gate
	$(B)/test/test_webhook


$(B)/test/test_lag: $(B)/test/unit/test_lag.o $(B)/worker/lag.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_lag.o $(B)/worker/lag.o $(LDLIBS_BASE)
