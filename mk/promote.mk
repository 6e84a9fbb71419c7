# The promotion pull request, the CI gate on it, and the branch protection that
# makes the gate count (issue 12):
#   make promote PROFILE=p [CANDIDATES=FILE|DIR | RUN_ID=n] [RELEASE_TAG=v] [PUSH=1] [DRAFT=1]
#                [ALLOW_SIMULATED=1] [BASE_BRANCH=master] [COSIGN_PUB=cosign.pub]
#       the probe's signed candidates (default $(ARTIFACTS)/probe/p/) verified with
#       COSIGN_PUB, merged into the profile's policy file, linted, committed on
#       automation/kms-policy-<tag>-<run|quote> (policy-promote); with PUSH=1 and a
#       token the branch pushed and the pull request opened or updated
#   make gate PR=n [STATUS=1] [SECURITY_TEAM=org/slug] [ARCHITECTURE_TEAM=org/slug]
#                [REQUIRED_APPROVALS=2]
#       the CI check of a policy pull request (policy-gate): verdict.json and
#       summary.md in $(ARTIFACTS)/gate/pr-n/; read-only but for the commit status
#   make protect BRANCH=master [DRY_RUN=1] [REQUIRED_CHECKS=policy-gate,check,lint]
#       the branch protection (gh-protect), printed first, set when it differs
# Knobs are checked in mk/knobs.mk before anything runs and reach the programs
# through the environment; the token (GITHUB_TOKEN or GH_TOKEN) is read by the
# programs from the environment only.
LDLIBS_policy-promote = -lzip
HEADER_PKGS += zip.h:libzip-dev

CANDIDATES ?=
RUN_ID ?=
RELEASE_TAG ?=
PUSH ?= 0
DRAFT ?= 0
ALLOW_SIMULATED ?= 0
BASE_BRANCH ?= master
COSIGN_PUB ?= cosign.pub
REPO_DIR ?= .
PR ?=
STATUS ?= 0
SECURITY_TEAM ?= calimero-network/security
ARCHITECTURE_TEAM ?= calimero-network/architecture
REQUIRED_APPROVALS ?= 2
BRANCH ?= master
DRY_RUN ?= 0
REQUIRED_CHECKS ?= policy-gate,check,lint

# the programs find policy-merge, policy-lint and cosign-wrap on PATH
PR_PATH = $(abspath $(BIN)):$$PATH

.PHONY: promote gate protect

promote: export MP_PROFILE := $(value PROFILE)
promote: export MP_CANDIDATES := $(value CANDIDATES)
promote: export MP_RUN_ID := $(value RUN_ID)
promote: export MP_TAG := $(value RELEASE_TAG)
promote: export MP_PUSH := $(value PUSH)
promote: export MP_DRAFT := $(value DRAFT)
promote: export MP_SIM := $(value ALLOW_SIMULATED)
promote: export MP_BASE := $(value BASE_BRANCH)
promote: export MP_KEY := $(value COSIGN_PUB)
promote: export MP_REPO_DIR := $(value REPO_DIR)
promote: export MP_ARTIFACTS := $(value ARTIFACTS)
promote: $(BIN)/policy-promote $(BIN)/policy-merge $(BIN)/policy-lint $(BIN)/cosign-wrap
	@[ -n "$$MP_PROFILE" ] || { echo "promote: PROFILE must be one of: $(PROFILES) (got '')" >&2; exit 2; }
	$(Q)args=(--profile "$$MP_PROFILE" --key "$$MP_KEY" --base "$$MP_BASE" --repo-dir "$$MP_REPO_DIR" \
	  --work "$$MP_ARTIFACTS/promote/$$MP_PROFILE"); \
	if [ -n "$$MP_RUN_ID" ]; then args+=(--run-id "$$MP_RUN_ID"); [ -z "$$MP_CANDIDATES" ] || args+=(--candidates "$$MP_CANDIDATES"); \
	else args+=(--candidates "$${MP_CANDIDATES:-$$MP_ARTIFACTS/probe/$$MP_PROFILE}"); fi; \
	[ -z "$$MP_TAG" ] || args+=(--release-tag "$$MP_TAG"); \
	[ "$$MP_PUSH" != 1 ] || args+=(--push); \
	[ "$$MP_DRAFT" != 1 ] || args+=(--draft); \
	[ "$$MP_SIM" != 1 ] || args+=(--allow-simulated); \
	PATH="$(PR_PATH)" policy-promote "$${args[@]}"

gate: export MP_PR := $(value PR)
gate: export MP_STATUS := $(value STATUS)
gate: export MP_SECURITY := $(value SECURITY_TEAM)
gate: export MP_ARCH := $(value ARCHITECTURE_TEAM)
gate: export MP_APPROVALS := $(value REQUIRED_APPROVALS)
gate: export MP_KEY := $(value COSIGN_PUB)
gate: export MP_ARTIFACTS := $(value ARTIFACTS)
gate: $(BIN)/policy-gate $(BIN)/policy-lint $(BIN)/cosign-wrap
	@[ -n "$$MP_PR" ] || { echo "gate: PR=n (the pull request's number) is required" >&2; exit 2; }
	$(Q)dir="$$MP_ARTIFACTS/gate/pr-$$MP_PR"; rc=0; \
	PATH="$(PR_PATH)" policy-gate --pr "$$MP_PR" --security-team "$$MP_SECURITY" \
	  --architecture-team "$$MP_ARCH" --approvals "$$MP_APPROVALS" --key "$$MP_KEY" --work "$$dir" \
	  $$([ "$$MP_STATUS" != 1 ] || echo --status) > /dev/null || rc=$$?; \
	if [ -f "$$dir/summary.md" ] && [ -n "$${GITHUB_STEP_SUMMARY:-}" ]; then cat "$$dir/summary.md" >> "$$GITHUB_STEP_SUMMARY"; fi; \
	[ "$$rc" -ne 0 ] || echo "gate: PASS (the verdict: $$dir/verdict.json)"; \
	[ "$$rc" -eq 0 ] || echo "gate: FAIL (exit $$rc; the verdict: $$dir/verdict.json)" >&2; \
	exit "$$rc"

protect: export MP_BRANCH := $(value BRANCH)
protect: export MP_DRY := $(value DRY_RUN)
protect: export MP_CHECKS := $(value REQUIRED_CHECKS)
protect: export MP_APPROVALS := $(value REQUIRED_APPROVALS)
protect: $(BIN)/gh-protect
	$(Q)args=(--branch "$$MP_BRANCH" --approvals "$$MP_APPROVALS"); IFS=, read -ra checks <<< "$$MP_CHECKS"; \
	for c in "$${checks[@]}"; do args+=(--check "$$c"); done; \
	[ "$$MP_DRY" != 1 ] || args+=(--dry-run); \
	$(BIN)/gh-protect "$${args[@]}" > /dev/null

help-extra::
	@echo "  promote         PROFILE=p [CANDIDATES=FILE|DIR | RUN_ID=n] [RELEASE_TAG=v] [PUSH=1] [DRAFT=1]:"
	@echo "                  the signed candidates into the profile's policy file, on a branch; PUSH=1 opens the PR"
	@echo "  gate            PR=n [STATUS=1]: the policy gate of a pull request (label, lint, approvals, values)"
	@echo "  protect         BRANCH=master [DRY_RUN=1]: require the gate, the CI checks and the reviews"
