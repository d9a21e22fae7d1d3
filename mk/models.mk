# models.mk - tools and checks for the face detector and mask classifier
# (models/tools/*.c). They link the network objects directly, not all of
# libgwcommon, so they build even while other common/ modules change.
MODEL_TOOL_OBJ = $(call obj,common/nn.c common/facedet.c common/maskcls.c common/facever.c models/tools/ppm.c models/tools/chin.c models/tools/toolopt.c) $(KERNELS_OBJ)
MODEL_TOOLS = $(B)/models/maskaug $(B)/models/maskfeat $(B)/models/facecheck $(B)/models/maskeval $(B)/models/nnbench $(B)/models/verifycheck

$(B)/models/%: $(B)/models/tools/%.o $(MODEL_TOOL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DARKNET_LIBS) $(KERNELS_LIBS) -lm -pthread

$(B)/models/tools/%.o: GW_CFLAGS += -Imodels/tools

model-tools: $(MODEL_TOOLS)
test bench: $(MODEL_TOOLS)
.PHONY: model-tools
.PRECIOUS: $(B)/models/tools/%.o


# facetrain: fine-tunes the face detector with darknet's training path
# (forward_network, our SSD loss, backward_network, update_network) and the
# fast kernels of train_fast.o; make train-face runs it.
FACETRAIN_OBJ = $(call obj,models/tools/facetrain.c models/tools/faceaug.c models/tools/faceloss.c models/tools/toolopt.c) $(B)/models/tools/train_fast.o
$(B)/models/facetrain: $(FACETRAIN_OBJ) $(KERNELS_OBJ) $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $(FACETRAIN_OBJ) $(KERNELS_OBJ) $(B)/libgwcommon.a $(DARKNET_LIBS) $(KERNELS_LIBS) -ljansson -lsystemd -lm -pthread

model-tools: $(B)/models/facetrain
# test/models/test_facetrain.sh runs it on two of dlib's example photos.
test: $(B)/models/facetrain

# test/models/test_faceloss.sh runs it: facetrain's loss against its own gradient.
$(B)/models/faceloss-check: $(B)/test/models/test_faceloss.o $(B)/models/tools/faceloss.o $(MODEL_TOOL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DARKNET_LIBS) $(KERNELS_LIBS) -lm -pthread

$(B)/test/models/test_faceloss.o: GW_CFLAGS += -Imodels/tools
test: $(B)/models/faceloss-check
