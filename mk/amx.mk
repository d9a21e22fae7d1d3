# amx.mk - the AMX bf16 convolutions' check (common/kernels_amx.c; its
# tile code is compiled for AMX by target attributes on its functions, so
# no per-file flag: the file builds with any compiler, see kernels_amx.h).
# test/models/test_amx.sh runs it.
$(B)/models/amx-check: $(B)/test/models/test_amx.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/models/test_amx.o $(LDLIBS_BASE)

test: $(B)/models/amx-check
