# www.mk - the pages' third-party files, copied from the pinned npm
# packages (package.json, package-lock.json) into www/vendor/ at build
# time: uPlot (the dashboard's chart) and Swagger UI (apidocs.html, the API
# docs page). www/vendor/ is generated, not committed (www/.gitignore);
# nothing is fetched from a CDN at run time.
WWW_SWAGGER = swagger-ui-bundle.js swagger-ui.css
WWW_VENDOR = www/vendor/uPlot.iife.min.js www/vendor/uPlot.min.css $(addprefix www/vendor/,$(WWW_SWAGGER)) \
	www/vendor/swagger-ui.LICENSE

.PHONY: www
www: $(WWW_VENDOR)
all: www

www/vendor/%: node_modules/uplot/dist/%
	@mkdir -p www/vendor
	cp $< $@

www/vendor/swagger-%: node_modules/swagger-ui-dist/swagger-%
	@mkdir -p www/vendor
	cp $< $@

www/vendor/swagger-ui.LICENSE: node_modules/swagger-ui-dist/LICENSE
	@mkdir -p www/vendor
	cp $< $@

node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css \
    $(addprefix node_modules/swagger-ui-dist/,$(WWW_SWAGGER) LICENSE):
	$(MAKE) deps
