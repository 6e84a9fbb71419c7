# make keys: a development cosign key pair, $(ARTIFACTS)/keys/dev-cosign.{key,pub}.
# It is for local runs only (artifacts/ is ignored by git); releases sign with
# the key in COSIGN_KEY. The password is COSIGN_PASSWORD from the environment,
# empty when unset; it never goes on a command line.
KEYS_DIR ?= $(ARTIFACTS)/keys
DEV_COSIGN_KEY := $(KEYS_DIR)/dev-cosign.key
DEV_COSIGN_PUB := $(KEYS_DIR)/dev-cosign.pub
COSIGN_WRAP ?= $(BIN)/cosign-wrap

.PHONY: keys
keys: $(DEV_COSIGN_KEY) $(DEV_COSIGN_PUB)

# The program is order-only on purpose: rebuilding cosign-wrap must never
# replace a key. An orphaned .pub (its key deleted) is removed first, since
# generate-key-pair refuses to overwrite anything.
$(DEV_COSIGN_KEY): | $(COSIGN_WRAP)
	$(call say,KEYS,$@ (development key))
	$(Q)install -d -m 700 $(@D)
	$(Q)rm -f $(DEV_COSIGN_PUB)
	$(Q)COSIGN_PASSWORD="$${COSIGN_PASSWORD-}" $(COSIGN_WRAP) generate-key-pair --output-key-prefix $(basename $@)

# Normally written with the key; derived again from the key if it goes missing.
$(DEV_COSIGN_PUB): $(DEV_COSIGN_KEY) | $(COSIGN_WRAP)
	$(Q)if [ ! -e $@ ] || [ $@ -ot $< ]; then \
	  COSIGN_KEY=$< COSIGN_PASSWORD="$${COSIGN_PASSWORD-}" $(COSIGN_WRAP) public-key > $@.tmp && mv $@.tmp $@; \
	fi
