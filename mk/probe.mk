# make probe PROFILE=p [STAGING=sim|phala|url] [KMS_URL=...] [KMS_VERSION=...] [KMS_IMAGE_DIGEST=...]
# The staging probe of the seed document as file targets under artifacts/probe/<p>/:
# the steps of mk/probe/steps (render, deploy, boot, health, attest, collateral,
# teardown, decode, parse, verify, ita, replay, compose-hash, extract), then the
# log, the report and the signatures. A second run with nothing changed does nothing.
#
# `make probe` runs mk/probe/run, which locks the folder, runs the steps in an inner
# make (probe-run) and, when a step fails or the run is interrupted, writes the record
# of the run (probe-finish). Knobs are checked in mk/knobs.mk before anything runs and
# reach the programs through the environment (exported below), never pasted into a
# shell string; secrets are never make variables here (mk/knobs.mk, SECRETS).
PROFILE ?=
STAGING ?= sim
KMS_URL ?=
KMS_VERSION ?= 2.3.40
# empty for STAGING=sim: mk/probe/run derives a stable stand-in from the version
# and the profile (one image per profile, as ADR-0001 has it)
KMS_IMAGE_DIGEST ?=
SERVICE_PORT ?= 8080
SIM_LISTEN ?= 127.0.0.1:0
SIM_FLAGS ?=
COLLATERAL ?=
ROOT_CA ?=
PCCS_URL ?=
# STAGING=phala: a CVM on Phala Cloud (PHALA_CLOUD_API_KEY in the environment;
# PHALA_API_BASE_URL and PHALA_API_VERSION, when set, are phala-cvm's); the reuse of a
# staging CVM (STAGING_CVM_ID: it is not deleted at the end); BOOT_TIMEOUT bounds the
# wait for it to run; HOLD keeps the staging KMS up that long after it attested
STAGING_CVM_ID ?=
PHALA_INSTANCE_TYPE ?= tdx.small
PHALA_REGION ?=
BOOT_TIMEOUT ?= 1200
HOLD ?= 0
HOLD_MAX := 3600
# the optional ita step (ITA_API_KEY in the environment): ita-appraise's defaults
# (Intel's service) unless these name another
ITA_URL ?=
ITA_JWKS_URL ?=
# where the quote comes from, recorded in the candidates (a KMS at KMS_URL that is itself
# a simulator, trusted with ROOT_CA=its simulated root, is SOURCE=sim)
SOURCE ?= $(STAGING)
# TCB statuses a probe accepts (mero-kms's own default allowlist is uptodate)
ALLOWED_TCB_STATUSES ?= UpToDate
# a CVM's KMS pulls its image and starts after the CVM runs: upstream waits 20 minutes
HEALTH_TIMEOUT ?= $(if $(filter phala,$(STAGING)),1200,300)
HEALTH_INTERVAL ?= 0.2
COMPOSE_TEMPLATE ?= policies/kms-compose.template.yaml
POLICY_DIR ?= policies
export PROFILE STAGING KMS_URL KMS_VERSION KMS_IMAGE_DIGEST SERVICE_PORT SIM_LISTEN SIM_FLAGS COLLATERAL \
  ROOT_CA PCCS_URL SOURCE ALLOWED_TCB_STATUSES HEALTH_TIMEOUT HEALTH_INTERVAL COMPOSE_TEMPLATE STAGING_CVM_ID \
  PHALA_INSTANCE_TYPE PHALA_REGION BOOT_TIMEOUT HOLD ITA_URL ITA_JWKS_URL

# The compose renderer (compose-render once it lands: one line)
RENDER := compose-render

PD := $(ARTIFACTS)/probe/$(PROFILE)
PROBE_REPORT := probe-report.md
PROBE_POLICY := $(POLICY_DIR)/kms-phala-attestation-policy.$(PROFILE).json

# ---- the released policy (issue 13): POLICY_SOURCE=release compares the measurements
# with the profile's policy of the latest mero-kms-v* release of RELEASE_REPO (or
# POLICY_RELEASE=TAG), checked against the release's signed checksums
# (mk/release/fetch-policy, GH_RELEASE_TOKEN from the environment). Fetched first, on
# every run (the release may be new), and rewritten only when it changes; after a
# failed run what was fetched is reported, nothing is fetched again.
POLICY_SOURCE ?= repo
POLICY_RELEASE ?=
export POLICY_SOURCE POLICY_RELEASE
ifeq ($(POLICY_SOURCE),release)
PROBE_POLICY := $(PD)/released-policy.json
PROBE_RELEASED := $(PROBE_POLICY)
ifeq ($(PROBE_FAILED),)
# (with released-policy.source, which names the release: both rewritten when either changes)
$(PROBE_RELEASED): FORCE | $(PD)
	$(Q)BIN=$(BIN) mk/release/fetch-policy $(PD)
else
PROBE_RELEASED := $(wildcard $(PROBE_RELEASED))
endif
# the report names the release its policy came from
PROBE_POLICY_ARGS := $(if $(PROBE_RELEASED),--policy $(PROBE_POLICY) --policy-source "$$(cat $(PD)/released-policy.source)")
PROBE_POLICY_DEPS := $(PROBE_RELEASED)
else
PROBE_POLICY_ARGS := $(if $(wildcard $(PROBE_POLICY)),--policy $(PROBE_POLICY))
PROBE_POLICY_DEPS := $(wildcard $(PROBE_POLICY))
endif
STEP := mk/probe/step $(PD)
# put in the recipe's own shell (mk/probe/lib.sh), not one more bash
PUT := source mk/probe/lib.sh && put

# ---- the steps, from mk/probe/steps: each line as one word, fields joined by '|'
# and spaces as '^'
PROBE_STEPS_FILE := mk/probe/steps
probe_lines := $(filter-out $(hash)%,$(subst $(nl), ,$(subst $(tab),|,$(subst $(space),^,$(file <$(PROBE_STEPS_FILE))))))
PROBE_STEPS := $(foreach l,$(probe_lines),$(firstword $(subst |, ,$(l))))
# $(call step_files,STEP...): the artifacts the steps make, in the folder (none for a
# step the file does not list: removing a step's line removes its prerequisites)
step_files = $(addprefix $(PD)/,$(filter-out -,$(subst ^, ,$(foreach s,$(1),$(word 2,$(subst |, ,$(filter $(s)|%,$(probe_lines))))))))
PROBE_OUTPUTS := $(call step_files,$(PROBE_STEPS))
PROBE_ARTIFACTS := $(foreach f,$(PROBE_OUTPUTS),$(if $(filter .%,$(notdir $(f))),,$(f)))

.PHONY: probe probe-all probe-results probe-check probe-knobs probe-profile probe-run probe-finish \
  $(addprefix probe-,$(PROFILES))

# (one shell for all: a no-op re-run pays for one)
probe-knobs:
	@case "$$STAGING" in sim) ;; \
	  url) [ -n "$$KMS_URL" ] || { echo "probe: STAGING=url needs KMS_URL=http(s)://..." >&2; exit 2; };; \
	  phala) [ -n "$${PHALA_CLOUD_API_KEY:+set}" ] || { echo "probe: STAGING=phala needs PHALA_CLOUD_API_KEY (the Phala Cloud API key) in the environment" >&2; exit 2; };; esac; \
	[ -z "$$STAGING_CVM_ID" ] || [ "$$STAGING" = phala ] || { echo "probe: STAGING_CVM_ID (the reuse of a staging CVM) is for STAGING=phala; to probe a KMS that runs elsewhere use STAGING=url KMS_URL=..." >&2; exit 2; }; \
	[ -n "$$KMS_IMAGE_DIGEST" ] || [ "$$STAGING" = sim ] || { echo "probe: KMS_IMAGE_DIGEST=name@sha256:... is required for STAGING=$$STAGING" >&2; exit 2; }; \
	h=$${HOLD:-0}; [ "$${h%%.*}" -le $(HOLD_MAX) ] || { echo "probe: HOLD must be at most $(HOLD_MAX) seconds (got '$$HOLD')" >&2; exit 2; }; \
	[ -n "$${COSIGN_KEY:+set}" ] || [ "$$STAGING" = sim ] || { echo "probe: COSIGN_KEY is required to sign a STAGING=$$STAGING probe (the development key signs simulated probes only)" >&2; exit 2; }

# (no shell when PROFILE is given: mk/knobs.mk checked it)
probe-profile:
	$(if $(PROFILE),,@echo "probe: PROFILE must be one of: $(PROFILES) (got '')" >&2; exit 2)

probe-check: probe-knobs probe-profile

# the development key signs simulated probes without COSIGN_KEY
PROBE_KEYS = $(if $(filter sim,$(STAGING)),$(if $(value COSIGN_KEY),,keys))

probe: probe-check $(BINS) $(PROBE_KEYS)
	$(Q)BIN=$(BIN) mk/probe/run $(MAKE) $(PROFILE) $(PD)

# The three profiles at once: make runs probe-all with a job per profile unless it
# was given its own -j (and not with deps, which must finish first), so that the
# wall time is the slowest profile's, not the sum; distinct folders, distinct CVM
# names (mero-kms-<profile>-<version>), one KMS each. A last line gives the time.
ifneq ($(filter probe-all,$(MAKECMDGOALS)),)
ifeq ($(filter deps,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(words $(PROFILES))
endif
PROBE_ALL_T0 := $(shell date +%s%N)
endif
probe-all: $(addprefix probe-,$(PROFILES))
	$(Q)source mk/probe/lib.sh && probe_all_summary "$(ARTIFACTS)/probe" "$(PROBE_ALL_T0)" $(PROFILES)

$(addprefix probe-,$(PROFILES)): probe-%: probe-knobs $(BINS) $(PROBE_KEYS)
	$(Q)BIN=$(BIN) mk/probe/run $(MAKE) $* $(ARTIFACTS)/probe/$*

# The workflow's "Probe Results" step: the report's headline and steps, and the
# whole report appended to $$GITHUB_STEP_SUMMARY when that is set (GitHub Actions)
probe-results: probe-profile
	$(Q)source mk/probe/lib.sh && probe_results $(PD)

# the inner make of mk/probe/run: the steps one after the other, in the file's order
ifneq ($(filter probe-run probe-finish,$(MAKECMDGOALS)),)
.NOTPARALLEL:
endif
# (the signing key first: mk/probe/run has checked that COSIGN_KEY signs before anything deploys)
probe-run: $(PD)/.config $(PD)/cosign.pub $(PROBE_RELEASED) $(PROBE_OUTPUTS) $(PD)/probe.log $(PD)/$(PROBE_REPORT)

# ---- the knobs a run depends on, rewritten only when they change
$(PD) $(PD)/.steps:
	$(Q)mkdir -p $@

# (the record of a failed run, PROBE_FAILED=1, keeps the .config of the run: a run
# interrupted before it rewrote it leaves the previous run as it was)
# Make compares first: a file that already says what the recipe would write costs no
# shell (a no-op re-run); the recipe compares the bytes again (put -c). One list of
# names gives both the text make expects and the recipe's printf arguments (names,
# never values, go into the shell string). Knobs are checked (mk/knobs.mk): expanding
# them runs nothing. ITA is whether the secret ITA_API_KEY is set, read with $(value).
PROBE_CONFIG_NAMES := PROFILE STAGING SOURCE KMS_URL KMS_VERSION KMS_IMAGE_DIGEST SERVICE_PORT SIM_FLAGS \
  ALLOWED_TCB_STATUSES COLLATERAL ROOT_CA PCCS_URL STAGING_CVM_ID PHALA_API_BASE_URL PHALA_INSTANCE_TYPE \
  PHALA_REGION ITA ITA_URL ITA_JWKS_URL
config_value = $(if $(filter ITA,$(1)),$(if $(value ITA_API_KEY),on),$($(1)))
# the file's text without its last newline, as $(file <) reads it
config_text = $(firstword $(1))=$(call config_value,$(firstword $(1)))$(if $(call rest,$(1)),$(nl)$(call config_text,$(call rest,$(1))))
# the recipe's arguments: "NAME=$NAME" for each (ITA: "ITA=${ITA_API_KEY:+on}")
config_args = $(foreach n,$(1),"$(n)=$(if $(filter ITA,$(n)),$${ITA_API_KEY:+on},$${$(n)-})")
# 1 when FILE (a file, not a folder) holds TEXT and a newline (make 4.3's $(file <)
# does not always drop the last newline, seen here after other expansions: both
# forms are taken)
file_says = $(if $(wildcard $(1)/.),,$(if $(wildcard $(1)),$(call file_is,$(2),$(file <$(1))|)))
file_is = $(or $(call eq,$(1)|,$(2)),$(call eq,$(1)$(nl)|,$(2)))
# FILE's prerequisite: FORCE unless it says what the names give (or the run failed)
config_force = $(if $(PROBE_FAILED)$(call file_says,$(1),$(call config_text,$(2))),,FORCE)
$(PD)/.config: $(call config_force,$(PD)/.config,$(PROBE_CONFIG_NAMES)) | $(PD)
	$(Q)$(PUT) -c --drop $(PD)/$(PROBE_REPORT) $@ printf '%s\n' $(call config_args,$(PROBE_CONFIG_NAMES))

.PHONY: FORCE
FORCE:

# which policy the report compares with: another source makes the report again
$(PD)/.policy: $(call config_force,$(PD)/.policy,POLICY_SOURCE POLICY_RELEASE) | $(PD)
	$(Q)$(PUT) -c $@ printf '%s\n' $(call config_args,POLICY_SOURCE POLICY_RELEASE)

# The steps. After a failed step (PROBE_FAILED=1, the make that writes the record)
# they are not defined at all, so that nothing is re-run: what exists is reported.
ifeq ($(PROBE_FAILED),)
$(call step_files,render): $(COMPOSE_TEMPLATE) $(BIN)/$(firstword $(RENDER)) $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)$(STEP) render --out $@ -- $(BIN)/$(RENDER) --template "$$COMPOSE_TEMPLATE" \
	  --image-ref "$$KMS_IMAGE_DIGEST" --port "$$SERVICE_PORT" --kms-version "$$KMS_VERSION" --profile "$$PROFILE"

# deploy, boot, health, attest, collateral, teardown: one script (the KMS lives only
# this long), with the backend's part (mk/probe/STAGING.sh)
$(call step_files,deploy boot health attest collateral teardown) &: $(call step_files,render) $(BIN)/kms-attest \
    $(if $(filter sim,$(STAGING)),$(BIN)/kms-sim) $(if $(filter phala,$(STAGING)),$(BIN)/phala-cvm) \
    $(BIN)/json-get mk/probe/attest mk/probe/$(STAGING).sh $(PD)/.config $(COLLATERAL)
	$(call say,PROBE,$(PD)/attest-response.json)
	$(Q)BIN=$(BIN) mk/probe/attest $(PD)

$(call step_files,decode): $(PD)/attest-response.json $(BIN)/json-get
	$(Q)$(STEP) decode --in $< --out $@ -- $(BIN)/json-get --base64 .quoteB64

$(call step_files,parse): $(PD)/attestation-quote.bin $(BIN)/quote2json
	$(call say,PROBE,$@)
	$(Q)$(STEP) parse --in $< --out $@ -- $(BIN)/quote2json

# verify, with the TCB gate (ALLOWED_TCB_STATUSES): the verdict is data, kept as
# evidence when it says no; the probe stops there
# (the expected report data is the response's reportDataHex, which kms-attest checked
# equals the nonce it drew || the binding it sent)
.PRECIOUS: $(call step_files,deploy verify ita)
PROBE_ROOT_CA = $(if $(filter sim,$(STAGING)),$(PD)/sim-state/root-ca.pem,$(ROOT_CA))
$(call step_files,verify): $(PD)/attestation-quote.bin $(PD)/collateral.json $(PD)/attest-response.json \
    $(BIN)/quote-verify $(BIN)/json-get $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)$(STEP) verify --keep-no --in $< --out $@ -- $(BIN)/quote-verify --collateral $(PD)/collateral.json \
	  $(if $(PROBE_ROOT_CA),--root-ca $(PROBE_ROOT_CA)) --allow-status "$${ALLOWED_TCB_STATUSES// /,}" \
	  --expect-report-data "$$($(BIN)/json-get .reportDataHex < $(PD)/attest-response.json)"

# the optional second opinion of Intel Trust Authority (ITA_API_KEY), kept as
# evidence when it says no
$(call step_files,ita): $(PD)/attestation-quote.bin $(PD)/attestation-quote.json $(call step_files,verify) \
    $(BIN)/ita-appraise $(BIN)/json-get mk/probe/ita $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)BIN=$(BIN) mk/probe/ita $(PD)

# replay the event log against the quote
$(call step_files,replay): $(PD)/attest-response.json $(PD)/attestation-quote.json $(BIN)/rtmr-replay \
    $(call step_files,verify ita)
	$(call say,PROBE,$@)
	$(Q)$(STEP) replay --in $< --out $@ -- $(BIN)/rtmr-replay --quote $(PD)/attestation-quote.json

# the compose hash the KMS measured, checked against the event log: that of the
# deployed bytes, or for phala Phala Cloud's (mk/probe/compose-check)
$(call step_files,compose-hash): $(PD)/compose.yaml $(PD)/attest-response.json $(PD)/event-log-replay.json \
    $(PD)/staging.json $(BIN)/compose-hash $(BIN)/json-get mk/probe/compose-check
	$(call say,PROBE,$@)
	$(Q)BIN=$(BIN) $(STEP) compose-hash --in $< --out $@ -- mk/probe/compose-check $(PD)

$(call step_files,extract): $(PD)/attestation-quote.json $(PD)/verification.json \
    $(PD)/event-log-replay.json $(PD)/compose-hash.txt $(BIN)/mrtd-extract $(PD)/.config
	$(call say,PROBE,$@)
	$(Q)$(STEP) extract --in $< --out $@ -- $(BIN)/mrtd-extract --profile "$$PROFILE" --source "$$SOURCE" \
	  --role kms --verification $(PD)/verification.json --replay $(PD)/event-log-replay.json \
	  --compose-hash "$$(cat $(PD)/compose-hash.txt)" --image-digest "$$KMS_IMAGE_DIGEST" \
	  --kms-version "$$KMS_VERSION"
endif

# ---- log, report and signatures: after a failed step (PROBE_FAILED=1) of whatever exists
PROBE_INPUTS = $(if $(PROBE_FAILED),$(wildcard $(PROBE_OUTPUTS)),$(PROBE_OUTPUTS))
# step records are rewritten by the steps themselves: prerequisites only after a failure
PROBE_STEP_FILES = $(if $(PROBE_FAILED),$(wildcard $(PD)/.steps/*))
PROBE_SIGNED = $(filter $(PROBE_ARTIFACTS),$(PROBE_INPUTS)) $(PD)/probe.log $(PD)/$(PROBE_REPORT)
PROBE_SIGS = $(foreach f,$(PROBE_SIGNED),$(f).sig $(f).sigstore.json)

$(PD)/probe.log: $(PROBE_INPUTS) $(PROBE_STEP_FILES) $(PROBE_STEPS_FILE) | $(PD)/.steps
	$(Q)source mk/probe/lib.sh && put $@ probe_log $(PD)

# the public half of the signing key, next to the signatures (COSIGN_KEY holding the
# key text, or a path, is read by cosign-wrap from the environment); another key
# makes the report's signatures another key's: the report goes, to be signed again
$(PD)/cosign.pub: $(if $(value COSIGN_KEY),FORCE,$(DEV_COSIGN_PUB)) | $(PD)
	$(Q)source mk/probe/lib.sh && put -c --drop $(PD)/$(PROBE_REPORT) $@ signer_public_key $(BIN) $(DEV_COSIGN_PUB)

# the report, signed with every artifact that needs it (mk/probe/seal); the record of a
# failed run (PROBE_FAILED=1) always writes it again: that run took its candidates away
$(PD)/$(PROBE_REPORT): $(PROBE_INPUTS) $(PROBE_STEP_FILES) $(PD)/probe.log $(PD)/.config $(PD)/cosign.pub \
    $(BIN)/probe-report $(BIN)/cosign-wrap $(PROBE_STEPS_FILE) $(PROBE_POLICY_DEPS) $(PD)/.policy \
    $(if $(PROBE_FAILED)$(filter-out $(wildcard $(PROBE_SIGS)),$(PROBE_SIGS)),FORCE) | $(PD)/.steps
	$(call say,PROBE,$@)
	$(Q)BIN=$(BIN) DEV_COSIGN_KEY=$(DEV_COSIGN_KEY) mk/probe/seal $(PD) -- $(BIN)/probe-report \
	  --steps $(PROBE_STEPS_FILE) --dir $(PD) --profile "$$PROFILE" --backend "$$STAGING" --kms-url "$$KMS_URL" \
	  --image "$$KMS_IMAGE_DIGEST" --kms-version "$$KMS_VERSION" $(PROBE_POLICY_ARGS) \
	  $(if $(PROBE_INTERRUPTED),--interrupted $(PROBE_INTERRUPTED))

probe-finish: $(PD)/probe.log $(PD)/$(PROBE_REPORT)

help-extra::
	@echo "  probe           PROFILE=p [STAGING=sim|phala|url] [KMS_URL=] [KMS_VERSION=] [KMS_IMAGE_DIGEST=]"
	@echo "                  [STAGING_CVM_ID=] [HOLD=s] the staging probe; artifacts in artifacts/probe/<p>/"
	@echo "  probe-all       the three profiles at once"
	@echo "  probe-results   PROFILE=p: the report's summary (and \$$GITHUB_STEP_SUMMARY)"
	@echo "  keys            a development cosign key pair in artifacts/keys/ (simulated probes)"
