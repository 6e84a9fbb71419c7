# The policy files (policies/kms-phala-attestation-policy.*.json) and their checks:
#   make policies        the legacy kms-phala-attestation-policy.json: a byte copy of locked-read-only
#   make lint-policies   policy-lint over the three profiles' files and the legacy copy
#   make policy-check POLICY=FILE QUOTES=DIR [ROLE=node|kms]
#                        verify every known peer's quote in DIR with its collateral and say
#                        which ones the proposed policy would lock out
# Knobs are data: read raw with $(value ...) (never expanded), refused at parse time
# (exit 2) when they hold a quote, a backtick, $, ;, a backslash or a newline, and
# handed to the recipes as environment variables, never pasted into a shell string.

# (lazy: PROFILES is set by a file included later)
POLICY_FILES = $(foreach p,$(PROFILES),policies/kms-phala-attestation-policy.$(p).json)
LEGACY_POLICY := policies/kms-phala-attestation-policy.json
ifeq ($(origin LINT_FORMAT),undefined)
LINT_FORMAT := $(if $(filter true,$(GITHUB_ACTIONS)),github,text)
endif
LINT_RELEASE ?= 0
ROLE ?= node

define mp_newline


endef
# the refused characters a knob's raw text holds (empty when none)
mp_unsafe = $(strip $(foreach c,' " ` ; \ $$,$(findstring $(c),$(value $(1))))$(if $(findstring $(mp_newline),$(value $(1))),newline))
# $(call mp_knob,NAME,what it must be): stop (exit 2) unless NAME is one word of safe characters
mp_knob = $(if $(or $(call mp_unsafe,$(1)),$(filter-out 1,$(words $(value $(1))))),$(error $(1) must be $(2), one word without quotes, backticks, $$, ;, \ or newlines))

ifneq ($(filter lint-policies,$(MAKECMDGOALS)),)
$(call mp_knob,LINT_FORMAT,text or json or github)
$(call mp_knob,LINT_RELEASE,0 or 1)
$(if $(filter-out text json github,$(value LINT_FORMAT)),$(error LINT_FORMAT must be text, json or github))
$(if $(filter-out 0 1,$(value LINT_RELEASE)),$(error LINT_RELEASE must be 0 or 1))
endif

ifneq ($(filter policy-check,$(MAKECMDGOALS)),)
$(call mp_knob,POLICY,the policy file to check (POLICY=FILE))
$(call mp_knob,QUOTES,the folder of known peers' quotes (QUOTES=DIR))
$(call mp_knob,ROLE,node or kms)
$(call mp_knob,ARTIFACTS,a folder)
$(if $(filter-out node kms,$(value ROLE)),$(error ROLE must be node or kms))
endif

.PHONY: policies lint-policies policy-check

policies: $(LEGACY_POLICY).check
# rewritten only when it differs from the locked-read-only file
.PHONY: $(LEGACY_POLICY).check
$(LEGACY_POLICY).check:
	$(Q)if ! cmp -s policies/kms-phala-attestation-policy.locked-read-only.json $(LEGACY_POLICY); then \
	  cp policies/kms-phala-attestation-policy.locked-read-only.json $(LEGACY_POLICY).tmp && \
	  mv $(LEGACY_POLICY).tmp $(LEGACY_POLICY) && printf '  %-6s %s\n' POLICY $(LEGACY_POLICY); fi

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
