# jsonin.mk - unit tests of the JSON that comes from outside, which the
# generic $(B)/test/% rule cannot link (it links only libgwcommon):
# test_meta (worker/meta.c: a spooled frame's trailer) and test_camsg
# (ingest/camsg.c: a camera's text messages and ingest's answers).
$(B)/test/unit/test_meta.o: GW_CFLAGS += -Iworker
$(B)/test/test_meta: $(B)/test/unit/test_meta.o $(B)/worker/meta.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_meta.o $(B)/worker/meta.o $(LDLIBS_BASE)

$(B)/test/unit/test_camsg.o: GW_CFLAGS += -Iingest
$(B)/test/test_camsg: $(B)/test/unit/test_camsg.o $(B)/ingest/camsg.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_camsg.o $(B)/ingest/camsg.o -lwebsockets $(LDLIBS_BASE)
