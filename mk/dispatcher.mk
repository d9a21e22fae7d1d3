# dispatcher - unit test of the per-camera FIFO, linked with the dispatcher's
# fifo.o (an explicit rule: it overrides the generic $(B)/test/% rule).
$(B)/test/unit/test_fifo.o: GW_CFLAGS += -Idispatcher

$(B)/test/test_fifo: $(B)/test/unit/test_fifo.o $(B)/dispatcher/fifo.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_fifo.o $(B)/dispatcher/fifo.o $(LDLIBS_BASE)
