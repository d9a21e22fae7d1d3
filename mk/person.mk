# person.mk - the NanoDet person detector's test helper (test/models/test_person.mjs
# runs it; models/scripts/convert-nanodet.js writes the network it loads).
# persondet.c is #included by the tool, so only nn.o is linked beside it.

$(B)/models/person-tool: test/models/test_person_tool.c common/persondet.c $(B)/common/nn.o $(KERNELS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(GW_CFLAGS) $(CFLAGS) -o $@ test/models/test_person_tool.c $(B)/common/nn.o $(KERNELS_OBJ) $(DARKNET_LIBS) $(KERNELS_LIBS) -lm -pthread

test: $(B)/models/person-tool

# The converter's helper is part of the recipe too.
$(MODELS)/person.weights: models/scripts/nanodet-model.js
