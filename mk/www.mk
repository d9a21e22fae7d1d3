# www.mk - the dashboard's one third-party file set, uPlot, copied from the
# pinned npm package (package-lock.json) into www/vendor/ at build time.
# www/vendor/ is generated, not committed (www/.gitignore); nothing is
# fetched from a CDN at run time.
WWW_VENDOR = www/vendor/uPlot.iife.min.js www/vendor/uPlot.min.css

.PHONY: www
www: $(WWW_VENDOR)
all: www

www/vendor/%: node_modules/uplot/dist/%
	@mkdir -p www/vendor
	cp $< $@

node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css:
	$(MAKE) deps
