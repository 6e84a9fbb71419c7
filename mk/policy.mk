# The policy files (policies/kms-phala-attestation-policy.*.json) and their checks:
#   make policies        the legacy kms-phala-attestation-policy.json: a byte copy of locked-read-only
#   make lint-policies   policy-lint over the three profiles' files and the legacy copy
#   make policy-check POLICY=FILE QUOTES=DIR [ROLE=node|kms]
#                        verify every known peer's quote in DIR with its collateral and say
#                        which ones the proposed policy would lock out
# Knobs (POLICY, QUOTES, ROLE, LINT_FORMAT, LINT_RELEASE) are checked in mk/knobs.mk
# and reach the recipes as environment variables, never pasted into a shell string.

# (lazy: PROFILES is set by a file included later)
POLICY_FILES = $(foreach p,$(PROFILES),policies/kms-phala-attestation-policy.$(p).json)
LEGACY_POLICY := policies/kms-phala-attestation-policy.json
LINT_RELEASE ?= 0
ROLE ?= node

.PHONY: policies lint-policies policy-check

policies: $(LEGACY_POLICY).check
# rewritten only when it differs from the locked-read-only file
.PHONY: $(LEGACY_POLICY).check
$(LEGACY_POLICY).check:
	$(Q)if ! cmp -s policies/kms-phala-attestation-policy.locked-read-only.json $(LEGACY_POLICY); then \
	  t=$$(mktemp policies/.legacy.XXXXXX) && chmod 644 "$$t" && \
	  cp policies/kms-phala-attestation-policy.locked-read-only.json "$$t" && \
	  mv -f -T "$$t" $(LEGACY_POLICY) && printf '  %-6s %s\n' POLICY $(LEGACY_POLICY); fi

lint-policies: export MP_LINT_FORMAT := $(value LINT_FORMAT)
lint-policies: export MP_LINT_RELEASE := $(value LINT_RELEASE)
lint-policies: policies $(BIN)/policy-lint
	$(Q)$(BIN)/policy-lint --format "$$MP_LINT_FORMAT" $$([ "$$MP_LINT_RELEASE" = 1 ] && echo --release) \
	  $(POLICY_FILES) $(LEGACY_POLICY)

policy-check: export MP_POLICY := $(value POLICY)
policy-check: export MP_QUOTES := $(value QUOTES)
policy-check: export MP_ROLE := $(value ROLE)
policy-check: export MP_OUT := $(value ARTIFACTS)/policy-check
policy-check: $(BIN)/policy-check $(BIN)/quote-verify
	$(Q)BIN=$(BIN) mk/policy/check-peers

help-extra::
	@echo "  policies        the legacy kms-phala-attestation-policy.json (a copy of locked-read-only)"
	@echo "  lint-policies   policy-lint on policies/ [LINT_FORMAT=text|json|github] [LINT_RELEASE=1]"
	@echo "  policy-check    POLICY=FILE QUOTES=DIR [ROLE=node|kms]: the known peers a policy locks out"
