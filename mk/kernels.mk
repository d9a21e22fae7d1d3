# kernels.mk - gatewatch's own layer kernels (common/kernels*.c) and the
# fast training program. kernels_avx2.c, kernels_ocv.c and kernels_wino.c alone are built for
# AVX2/FMA, kernels_*512.c for AVX-512: the rest of the code checks the CPU before calling them. OpenBLAS gives sgemm.
KERNELS_OBJ = $(B)/common/kernels.o $(B)/common/kernels_isa.o $(B)/common/kernels_copy.o $(B)/common/kernels_im2col.o $(B)/common/kernels_fc.o $(B)/common/kernels_avx2.o $(B)/common/kernels_ocv.o $(B)/common/kernels_wino.o $(B)/common/kernels_wino512.o $(B)/common/kernels_avx512.o $(B)/common/kernels_amx.o
KERNELS_LIBS = -lopenblas

# override: also when CFLAGS is given on the command line (sanitizer builds)
$(B)/common/kernels_avx2.o $(B)/common/kernels_ocv.o $(B)/common/kernels_wino.o: override CFLAGS += -mavx2 -mfma
# the AVX-512 ones (kernels_isa.c says when the CPU has it)
$(B)/common/kernels_wino512.o $(B)/common/kernels_avx512.o: override CFLAGS += -mavx2 -mfma -mavx512f -mavx512bw -mavx512vl

# test/models/test_kernels.sh runs it: our forward against darknet's.
$(B)/models/kernels-check: $(B)/test/models/test_kernels.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/models/test_kernels.o $(LDLIBS_BASE)

test: $(B)/models/kernels-check

# test/bench/models-kernels.sh runs it: stock against ours, interleaved.
$(B)/bench/kernels-bench: $(B)/test/bench/kernels_bench.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(B)/test/bench/kernels_bench.o $(LDLIBS_BASE)

bench: $(B)/bench/kernels-bench

# train: `darknet classifier train` with the fast kernels (train_fast.o
# overrides libdarknet's gemm, im2col, ... through its PLT). -O3 for the
# plain loops of train_fast.c.
$(B)/models/train: $(B)/models/tools/train.o $(B)/models/tools/train_fast.o $(B)/models/tools/toolopt.o $(KERNELS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DARKNET_LIBS) $(KERNELS_LIBS) -lm -pthread

$(B)/models/tools/train_fast.o: CFLAGS += -O3
model-tools: $(B)/models/train

# test/models/test_train_fast.sh runs it: train_fast.c against libdarknet.
$(B)/models/train-fast-check: $(B)/test/models/test_train_fast.o $(B)/models/tools/train_fast.o $(KERNELS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DARKNET_LIBS) $(KERNELS_LIBS) -ldl -lm -pthread

test: $(B)/models/train-fast-check

# make bench's own packages (the onnxruntime column; never needed by make
# test): deploy/install-deps.sh --bench.
.bench-deps.stamp: deploy/install-deps.sh test/bench/ort/package.json test/bench/ort/package-lock.json
	sh deploy/install-deps.sh --bench
	touch $@
bench: .bench-deps.stamp
