# Interoperability check of cosign-wrap's bundles with sigstore-js, offline.
#   make deps-sigstore-js  install the pinned npm packages (tests/interop/package-lock.json)
#                          into tests/interop/node_modules: the only step that uses the network
#   make check-interop     run tests/interop/*.bats (no network)
INTEROP_DIR := tests/interop

.PHONY: deps-sigstore-js check-interop
deps-sigstore-js: $(INTEROP_DIR)/node_modules/.package-lock.json

$(INTEROP_DIR)/node_modules/.package-lock.json: $(INTEROP_DIR)/package.json $(INTEROP_DIR)/package-lock.json
	$(call say,NPM,$(INTEROP_DIR) (@sigstore/verify, from the npm registry))
	$(Q)npm ci --prefix $(INTEROP_DIR) --no-audit --no-fund --loglevel=error >/dev/null
	$(Q)touch $@

check-interop: $(BINS)
	$(Q)BIN=$(abspath $(BIN)) LC_ALL=C bats $(BATS_FLAGS) $(wildcard $(INTEROP_DIR)/*.bats)
