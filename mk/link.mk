# link.mk - the unit test of common/link.c runs its libuv drivers, so it
# links libuv besides libgwcommon (an explicit rule: it overrides the
# generic $(B)/test/% rule).
$(B)/test/test_link: $(B)/test/unit/test_link.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/unit/test_link.o $(LDLIBS_BASE) -luv
