# ops.mk - unit test of gatewatch up's log files (test/unit/test_logpump.c),
# linked with cli/logpump.o (the generic $(B)/test/% rule links only
# libgwcommon).
$(B)/test/unit/test_logpump.o: GW_CFLAGS += -Icli

$(B)/test/test_logpump: $(B)/test/unit/test_logpump.o $(B)/cli/logpump.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_logpump.o $(B)/cli/logpump.o $(LDLIBS_BASE)

# The notifier writes its JSON with jansson (health.c, mqtt.c, webpush.c), talks MQTT
# with libmosquitto (mqtt.c), Web Push with libcurl (webpush.c). Anything that
# links the notifier's objects (the fuzz harness) takes OPS_NOTIFIER_LIBS too.
OPS_NOTIFIER_LIBS = -ljansson -lmosquitto -lcurl
$(BIN)/gatewatch-notifier: LDLIBS_BASE += $(OPS_NOTIFIER_LIBS)
