# models.mk - tools and checks for the face detector and mask classifier
# (models/tools/*.c). They link the network objects directly, not all of
# libgwcommon, so they build even while other common/ modules change.
MODEL_TOOL_OBJ = $(call obj,common/nn.c common/facedet.c common/maskcls.c models/tools/ppm.c models/tools/chin.c models/tools/toolopt.c) $(KERNELS_OBJ)
MODEL_TOOLS = $(B)/models/maskaug $(B)/models/maskfeat $(B)/models/facecheck $(B)/models/maskeval $(B)/models/nnbench

$(B)/models/%: $(B)/models/tools/%.o $(MODEL_TOOL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DARKNET_LIBS) $(KERNELS_LIBS) -lm -pthread

$(B)/models/tools/%.o: GW_CFLAGS += -Imodels/tools

model-tools: $(MODEL_TOOLS)
test bench: $(MODEL_TOOLS)
.PHONY: model-tools
.PRECIOUS: $(B)/models/tools/%.o

