# accounts.mk - the OpenAPI document (docs/openapi.json, the one copy) is
# built into the notifier, which serves it at /api/openapi.json: ld turns
# the file into an object with _binary_openapi_json_start/_end.
NOTIFIER_EXTRA_OBJS += $(B)/notifier/openapi_doc.o

$(B)/notifier/openapi_doc.o: docs/openapi.json
	@mkdir -p $(dir $@)
	cd docs && ld -r -b binary -z noexecstack -o $(abspath $@) openapi.json

$(BIN)/gatewatch-notifier: $(B)/notifier/openapi_doc.o

# the unit test of common/authdb.c needs SQLite and libsodium besides libgwcommon
$(B)/test/test_authdb: $(B)/test/unit/test_authdb.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_BASE) -lsodium -lsqlite3

# ...and so does the one of common/camdb.c (the cameras table)
$(B)/test/test_camdb: $(B)/test/unit/test_camdb.o $(B)/libgwcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDLIBS_BASE) -lsodium -lsqlite3
