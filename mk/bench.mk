# bench.mk - helpers of `make bench` (test/bench/run.sh): decode_bench times
# image_decode and spool_commit with the project's own code, the reference
# figures the pipeline benchmark reports its results against.

$(B)/bench/decode_bench: $(B)/test/bench/decode_bench.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/bench/decode_bench.o $(LDLIBS_BASE)

bench: $(B)/bench/decode_bench
