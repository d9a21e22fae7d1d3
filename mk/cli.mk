# cli.mk - the unit test of `gatewatch push`'s inputs (test/unit/test_pushinput.c),
# linked with cli/sensor.o and cli/jpegstream.o (the generic $(B)/test/% rule
# links only libgwcommon).
$(B)/test/unit/test_pushinput.o: GW_CFLAGS += -Icli

$(B)/test/test_pushinput: $(B)/test/unit/test_pushinput.o $(B)/cli/sensor.o $(B)/cli/jpegstream.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -pthread
