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
# generate-key-pair refuses to overwrite anything. Makes of one checkout that
# run at once (two probes) take turns on the folder's lock: one key is made.
$(DEV_COSIGN_KEY): | $(COSIGN_WRAP)
	$(call say,KEYS,$@ (development key))
	$(Q)install -d -m 700 $(@D)
	$(Q)exec 9< $(@D) && flock 9 && if [ ! -e $@ ]; then rm -f $(DEV_COSIGN_PUB) && \
	  COSIGN_PASSWORD="$${COSIGN_PASSWORD-}" $(COSIGN_WRAP) generate-key-pair --output-key-prefix $(basename $@); fi

# Normally written with the key; derived again from the key if it goes missing.
$(DEV_COSIGN_PUB): $(DEV_COSIGN_KEY) | $(COSIGN_WRAP)
	$(Q)if [ ! -e $@ ] || [ $@ -ot $< ]; then \
	  COSIGN_KEY=$< COSIGN_PASSWORD="$${COSIGN_PASSWORD-}" mk/probe/put $@ $(COSIGN_WRAP) public-key; fi
