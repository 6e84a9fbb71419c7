# make probe PROFILE=p [STAGING=sim|url] [KMS_URL=...] [KMS_VERSION=...] [KMS_IMAGE_DIGEST=...]
# The staging probe of the seed document as file targets under artifacts/probe/<p>/:
# render the compose file, deploy (kms-sim, or reuse a KMS at KMS_URL), attest with a
# fresh nonce, fetch collateral, tear down, parse, verify, replay, check the compose
# hash, extract candidates, report, sign. Each artifact is written as $@.tmp, then
# renamed; a second run with nothing changed does nothing.
PROFILES := debug debug-read-only locked-read-only
PROFILE ?=
STAGING ?= sim
KMS_URL ?=
KMS_VERSION ?= 2.3.40
# the simulated image has no registry digest: a stable stand-in derived from the version
ifeq ($(origin KMS_IMAGE_DIGEST),undefined)
ifeq ($(STAGING),sim)
KMS_IMAGE_DIGEST := ghcr.io/calimero-network/mero-kms-phala@sha256:$(shell printf 'simulated mero-kms-phala %s' '$(KMS_VERSION)' | sha256sum | cut -c1-64)
endif
endif
SERVICE_PORT ?= 8080
SIM_LISTEN ?= 127.0.0.1:0
SIM_FLAGS ?=
COLLATERAL ?=
ROOT_CA ?=
PCCS_URL ?=
# reuse of a staging CVM (STAGING=phala, with the Phala Cloud backend)
STAGING_CVM_ID ?=
# where the quote comes from, recorded in the candidates (a KMS at KMS_URL that is itself
# a simulator, trusted with ROOT_CA=its simulated root, is SOURCE=sim)
SOURCE ?= $(STAGING)
# TCB statuses a probe accepts (mero-kms's own default allowlist is uptodate)
ALLOWED_TCB_STATUSES ?= UpToDate
HEALTH_TIMEOUT ?= 300
HEALTH_INTERVAL ?= 0.2
COMPOSE_TEMPLATE ?= policies/kms-compose.template.yaml
POLICY_DIR ?= policies

PD := $(ARTIFACTS)/probe/$(PROFILE)
PROBE_FILES := attest-request.json attest-response.json attestation-quote.bin attestation-quote.json \
  verification.json event-log-replay.json compose-hash.txt measurement-policy-candidates.json \
  probe-report.md probe.log
STEP := PROBE_ON_FAIL='$(MAKE) -s probe-finish PROBE_FAILED=1' mk/probe/step $(PD)

.PHONY: probe probe-all probe-check probe-finish $(addprefix probe-,$(PROFILES))

probe-check:
	@case " $(PROFILES) " in *" $(PROFILE) "*) ;; \
	  *) echo "probe: PROFILE must be one of: $(PROFILES) (got '$(PROFILE)')" >&2; exit 2;; esac
	@case "$(STAGING)" in sim) ;; \
	  url) [ -n "$(KMS_URL)" ] || { echo "probe: STAGING=url needs KMS_URL=http(s)://..." >&2; exit 2; };; \
	  phala) echo "probe: STAGING=phala needs the Phala Cloud backend, which is not built yet; use STAGING=sim or STAGING=url" >&2; exit 2;; \
	  *) echo "probe: STAGING must be sim or url (got '$(STAGING)')" >&2; exit 2;; esac
	@[ -z "$(STAGING_CVM_ID)" ] || { echo "probe: STAGING_CVM_ID (reuse of a staging CVM) needs the Phala Cloud backend, which is not built yet; to reuse a running KMS use STAGING=url KMS_URL=..." >&2; exit 2; }
	@[ -n "$(KMS_IMAGE_DIGEST)" ] || { echo "probe: KMS_IMAGE_DIGEST=name@sha256:... is required for STAGING=$(STAGING)" >&2; exit 2; }

# The steps stop at the first failure. The report, the log and the signatures are
# written in every case: on success as the last targets of this make, on a failed
# step by the step itself (mk/probe/lib.sh runs `make probe-finish`), which also
# removes the candidates file. A run with nothing changed parses the makefiles once.
PROBE_ARTIFACTS := compose.yaml collateral.json $(filter-out probe-report.md probe.log,$(PROBE_FILES))
probe: probe-check $(BINS) $(if $(filter sim,$(STAGING)),$(if $(COSIGN_KEY),,keys)) \
    $(PD)/probe.log $(PD)/probe-report.md $(PD)/.signed
	@echo "probe: $(PROFILE): $$(head -n 1 $(PD)/probe-report.md | sed 's/^# //') -> $(PD)/"

probe-all: $(BINS) $(if $(COSIGN_KEY),,keys)
	@$(MAKE) $(addprefix probe-,$(PROFILES))

$(addprefix probe-,$(PROFILES)): probe-%:
	@$(MAKE) -s probe PROFILE=$*

# ---- the knobs a run depends on, rewritten only when they change
$(PD) $(PD)/.steps:
	$(Q)mkdir -p $@

$(PD)/.config: FORCE | $(PD)
	$(Q)printf '%s\n' 'PROFILE=$(PROFILE)' 'STAGING=$(STAGING)' 'SOURCE=$(SOURCE)' 'KMS_URL=$(KMS_URL)' \
	  'KMS_VERSION=$(KMS_VERSION)' 'KMS_IMAGE_DIGEST=$(KMS_IMAGE_DIGEST)' 'SERVICE_PORT=$(SERVICE_PORT)' \
	  'SIM_FLAGS=$(SIM_FLAGS)' 'ALLOWED_TCB_STATUSES=$(ALLOWED_TCB_STATUSES)' 'COLLATERAL=$(COLLATERAL)' 'ROOT_CA=$(ROOT_CA)' 'PCCS_URL=$(PCCS_URL)' > $@.new
	$(Q)if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

.PHONY: FORCE
FORCE:

# The steps. After a failed step (PROBE_FAILED=1, the report-writing make) they are
# not defined at all, so that nothing is re-run: what exists is reported as it is.
ifeq ($(PROBE_FAILED),)
# ---- render
$(PD)/compose.yaml: $(COMPOSE_TEMPLATE) $(BIN)/compose-render $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)$(STEP) render -- $(BIN)/compose-render --template $(COMPOSE_TEMPLATE) \
	  --image-ref '$(KMS_IMAGE_DIGEST)' --port '$(SERVICE_PORT)' --kms-version '$(KMS_VERSION)' \
	  --profile '$(PROFILE)' > $@.tmp
	$(Q)mv $@.tmp $@

# ---- deploy, attest, collateral, teardown (one script: the KMS lives only this long)
$(PD)/attest-request.json $(PD)/attest-response.json $(PD)/collateral.json &: $(PD)/compose.yaml \
    $(BIN)/kms-attest $(if $(filter sim,$(STAGING)),$(BIN)/kms-sim) $(PD)/.config $(COLLATERAL)
	$(call say,PROBE,$(PD)/attest-response.json)
	$(Q)BIN=$(BIN) STAGING='$(STAGING)' PROFILE='$(PROFILE)' KMS_URL='$(KMS_URL)' KMS_VERSION='$(KMS_VERSION)' \
	  KMS_IMAGE_DIGEST='$(KMS_IMAGE_DIGEST)' SIM_LISTEN='$(SIM_LISTEN)' SIM_FLAGS='$(SIM_FLAGS)' \
	  COLLATERAL='$(COLLATERAL)' PCCS_URL='$(PCCS_URL)' HEALTH_TIMEOUT='$(HEALTH_TIMEOUT)' \
	  HEALTH_INTERVAL='$(HEALTH_INTERVAL)' PROBE_ON_FAIL='$(MAKE) -s probe-finish PROBE_FAILED=1' mk/probe/attest $(PD)

# ---- parse
$(PD)/attestation-quote.bin: $(PD)/attest-response.json
	$(Q)jq -er .quoteB64 $< | base64 -d > $@.tmp
	$(Q)mv $@.tmp $@

$(PD)/attestation-quote.json: $(PD)/attestation-quote.bin $(BIN)/quote2json
	$(call say,PROBE,$@)
	$(Q)$(STEP) parse -- $(BIN)/quote2json < $< > $@.tmp
	$(Q)mv $@.tmp $@

# ---- verify: the verdict is data, kept when it says no (mrtd-extract then refuses)
PROBE_ROOT_CA = $(if $(filter sim,$(STAGING)),$(PD)/sim-state/root-ca.pem,$(ROOT_CA))
# (the expected report data is the response's reportDataHex, which kms-attest checked
# equals the nonce it drew || the binding it sent)
$(PD)/verification.json: $(PD)/attestation-quote.bin $(PD)/collateral.json $(PD)/attest-response.json $(BIN)/quote-verify
	$(call say,PROBE,$@)
	$(Q)BIN=$(BIN) $(STEP) verify --keep-no -- mk/probe/verify $@.tmp --collateral $(PD)/collateral.json \
	    $(if $(PROBE_ROOT_CA),--root-ca $(PROBE_ROOT_CA)) \
	    --expect-report-data "$$(jq -er .reportDataHex $(PD)/attest-response.json)" < $<
	$(Q)mv $@.tmp $@

# ---- the TCB status must be one the probe accepts (a verified OutOfDate quote is still a no)
$(PD)/.tcb-policy: $(PD)/verification.json $(PD)/.config
	$(Q)$(STEP) tcb-policy -- mk/probe/tcb-policy $< '$(ALLOWED_TCB_STATUSES)' > $@.tmp
	$(Q)mv $@.tmp $@

# ---- replay the event log against the quote
# (after the TCB gate, order-only: the steps run in the order the report lists them)
$(PD)/event-log-replay.json: $(PD)/attest-response.json $(PD)/attestation-quote.json $(BIN)/rtmr-replay | $(PD)/.tcb-policy
	$(call say,PROBE,$@)
	$(Q)$(STEP) replay -- $(BIN)/rtmr-replay --quote $(PD)/attestation-quote.json < $(PD)/attest-response.json > $@.tmp
	$(Q)mv $@.tmp $@

# ---- the compose hash of the deployed bytes, checked against the event log
$(PD)/compose-hash.txt: $(PD)/compose.yaml $(PD)/attest-response.json $(PD)/event-log-replay.json $(BIN)/compose-hash
	$(call say,PROBE,$@)
	$(Q)$(STEP) compose-hash -- $(BIN)/compose-hash --event-log $(PD)/attest-response.json < $(PD)/compose.yaml > $@.tmp
	$(Q)mv $@.tmp $@

# ---- candidates
$(PD)/measurement-policy-candidates.json: $(PD)/attestation-quote.json $(PD)/verification.json $(PD)/.tcb-policy \
    $(PD)/event-log-replay.json $(PD)/compose-hash.txt $(BIN)/mrtd-extract $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)$(STEP) extract -- $(BIN)/mrtd-extract --profile '$(PROFILE)' --source '$(SOURCE)' --role kms \
	  --verification $(PD)/verification.json --replay $(PD)/event-log-replay.json \
	  --compose-hash "$$(cat $(PD)/compose-hash.txt)" --image-digest '$(KMS_IMAGE_DIGEST)' \
	  --kms-version '$(KMS_VERSION)' < $< > $@.tmp
	$(Q)mv $@.tmp $@

endif

# ---- log, report and signatures: after a failed step (PROBE_FAILED=1) of whatever exists
PROBE_PRESENT = $(wildcard $(addprefix $(PD)/,$(PROBE_ARTIFACTS)))
PROBE_INPUTS = $(if $(PROBE_FAILED),$(PROBE_PRESENT),$(addprefix $(PD)/,$(PROBE_ARTIFACTS)))
# step records are rewritten by the steps themselves: prerequisites only after a failure
PROBE_STEP_FILES = $(if $(PROBE_FAILED),$(wildcard $(PD)/.steps/*))
PROBE_POLICY := $(POLICY_DIR)/kms-phala-attestation-policy.$(PROFILE).json

$(PD)/probe.log: $(PROBE_INPUTS) $(PROBE_STEP_FILES) | $(PD)/.steps
	$(Q)source mk/probe/lib.sh; total=0; { \
	  printf '%-13s %-5s %10s  %s\n' step result ms message; \
	  for s in $$PROBE_STEPS; do f=$(PD)/.steps/$$s; [ -f $$f ] || continue; \
	    IFS=$$'\t' read -r st rc ms msg < $$f; total=$$((total + ms)); \
	    printf '%-13s %-5s %10s  %s\n' "$$s" "$$st" "$$ms" "$$msg"; done; \
	  printf '%-13s %-5s %10s\n' total '' "$$total"; } > $@.tmp
	$(Q)mv $@.tmp $@

$(PD)/probe-report.md: $(PROBE_INPUTS) $(PROBE_STEP_FILES) $(PD)/.config $(BIN)/probe-report \
    $(wildcard $(PROBE_POLICY)) | $(PD)/.steps
	$(call say,PROBE,$@)
	$(Q)$(BIN)/probe-report --dir $(PD) --profile '$(PROFILE)' --backend '$(STAGING)' \
	  --kms-url '$(KMS_URL)' --image '$(KMS_IMAGE_DIGEST)' --kms-version '$(KMS_VERSION)' \
	  --policy $(PROBE_POLICY) > $@.tmp
	$(Q)mv $@.tmp $@

# signing key: COSIGN_KEY (path or key text, password in COSIGN_PASSWORD), or the
# development key of `make keys` for simulated runs only
PROBE_SIGNER = $(if $(COSIGN_KEY),$(COSIGN_KEY),$(if $(filter sim,$(STAGING)),$(DEV_COSIGN_KEY)))
# the public half, next to the signatures; re-derived when the key file changes
# (COSIGN_KEY holding the key text itself: every run)
PROBE_SIGNER_DEP = $(if $(COSIGN_KEY),$(if $(wildcard $(COSIGN_KEY)),$(COSIGN_KEY),FORCE),$(DEV_COSIGN_PUB))
$(PD)/cosign.pub: $(PROBE_SIGNER_DEP) | $(PD)
	$(Q)if [ -z "$(PROBE_SIGNER)" ]; then echo "probe: COSIGN_KEY is required to sign a STAGING=$(STAGING) probe (the development key signs simulated probes only)" >&2; exit 78; fi
	$(Q)if [ -z "$(COSIGN_KEY)" ]; then cp $(DEV_COSIGN_PUB) $@.new; else COSIGN_KEY='$(PROBE_SIGNER)' $(BIN)/cosign-wrap public-key > $@.new; fi
	$(Q)if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

# One cosign-wrap run signs every artifact that changed (or lost its signature):
# FILE.sig (cosign v2, and cosign-wrap) and FILE.sigstore.json (cosign v3 bundles).
# The key is decrypted once; scrypt makes each load cost a tenth of a second.
probe_signed = $(1) $(PD)/probe-report.md $(PD)/probe.log
probe_sigs = $(foreach f,$(call probe_signed,$(1)),$(f).sig $(f).sigstore.json)
$(PD)/.signed: $(call probe_signed,$(PROBE_INPUTS)) $(PD)/cosign.pub $(BIN)/cosign-wrap \
    $(if $(filter-out $(wildcard $(call probe_sigs,$(PROBE_INPUTS))),$(call probe_sigs,$(PROBE_INPUTS))),FORCE)
	$(Q)todo=; for f in $(call probe_signed,$(PROBE_INPUTS)); do \
	  if [ ! -e $$f.sig ] || [ ! -e $$f.sigstore.json ] || [ $$f -nt $$f.sig ] || [ $(PD)/cosign.pub -nt $$f.sig ]; \
	  then todo="$$todo $$f"; fi; done; \
	  if [ -n "$$todo" ]; then COSIGN_KEY='$(PROBE_SIGNER)' $(BIN)/cosign-wrap sign --bundles $$todo; fi
	$(Q)touch $@

probe-finish: $(PD)/probe.log $(PD)/probe-report.md $(PD)/.signed
	@rm -f $(PD)/measurement-policy-candidates.json $(PD)/measurement-policy-candidates.json.sig \
	  $(PD)/measurement-policy-candidates.json.sigstore.json $(PD)/*.tmp
	@echo "probe: $(PROFILE): $$(head -n 1 $(PD)/probe-report.md | sed 's/^# //') -> $(PD)/" >&2

help-extra::
	@echo "  probe           PROFILE=p [STAGING=sim|url] [KMS_URL=] [KMS_VERSION=] [KMS_IMAGE_DIGEST=]"
	@echo "                  the staging probe; artifacts in artifacts/probe/<p>/"
	@echo "  probe-all       the three profiles (make -j3 probe-all runs them in parallel)"
	@echo "  keys            a development cosign key pair in artifacts/keys/ (simulated probes)"
