# make lint: the three ADRs and the shell scripts, checked by machine.
#   lint-policy    policy-lint on the profiles' policy files (policies/)
#   lint-versions  version-sync (ADR-0003): the KMS and node image versions move together
#   lint-compose   compose-lint (ADR-0001, ADR-0002): profile pinning, no env policy
#   lint-shell     shellcheck on every shell script (mk/lint/shellcheck)
# `make lint` runs all four, even after one fails, prints every finding with
# its file and line, and fails when any of them does. LINT_FORMAT=github turns
# findings into workflow annotations (CI). The version-sync knobs come from the
# pull request in CI: VERSION_SYNC_BASE (the base to diff against; empty: only
# the head's versions are compared), VERSION_SYNC_HEAD (default: the work
# tree), VERSION_SYNC_LABELS (l1,l2,...), VERSION_SYNC_COMMENTS (a file of the
# pull request's comments, GitHub's JSON). They reach version-sync through the
# environment as they are (make never expands them), and it validates them.
LINT_FORMAT ?= text
SHELLCHECK_SEVERITY ?= warning
VERSION_SYNC_BASE ?=
VERSION_SYNC_HEAD ?=
VERSION_SYNC_LABELS ?=
VERSION_SYNC_COMMENTS ?=
LINT_CHECKS := policy versions compose shell
LINT_POLICY_FILES = $(sort $(wildcard policies/kms-phala-attestation-policy.*.json))

LDLIBS_compose-lint = -lyaml
HEADER_PKGS += yaml.h:libyaml-dev

ifneq ($(filter-out text github,$(LINT_FORMAT)),)
$(error lint: LINT_FORMAT must be text or github (got '$(LINT_FORMAT)'))
endif
ifneq ($(filter-out error warning info style,$(SHELLCHECK_SEVERITY)),)
$(error lint: SHELLCHECK_SEVERITY must be error, warning, info or style)
endif

.PHONY: lint $(addprefix lint-,$(LINT_CHECKS))

lint:
	@failed=; for c in $(LINT_CHECKS); do $(MAKE) -s lint-$$c || failed="$$failed $$c"; done; \
	if [ -n "$$failed" ]; then echo "lint: FAILED:$$failed (of: $(LINT_CHECKS))" >&2; exit 1; fi; \
	echo "lint: OK: $(LINT_CHECKS)"

# policy-lint comes with the policy filters (another branch until it is merged)
lint-policy:
	@if [ ! -x $(BIN)/policy-lint ]; then \
	  echo "lint: policy: $(BIN)/policy-lint is missing (it comes with the policy filters; then 'make')" >&2; exit 1; fi
	$(Q)$(BIN)/policy-lint --format $(LINT_FORMAT) $(LINT_POLICY_FILES)

lint-versions: export VS_BASE = $(value VERSION_SYNC_BASE)
lint-versions: export VS_HEAD = $(value VERSION_SYNC_HEAD)
lint-versions: export VS_LABELS = $(value VERSION_SYNC_LABELS)
lint-versions: export VS_COMMENTS = $(value VERSION_SYNC_COMMENTS)
lint-versions: $(BIN)/version-sync
	$(Q)$(BIN)/version-sync --format $(LINT_FORMAT) $${VS_BASE:+--base "$$VS_BASE"} $${VS_HEAD:+--head "$$VS_HEAD"} \
	  $${VS_LABELS:+--labels "$$VS_LABELS"} $${VS_COMMENTS:+--comments "$$VS_COMMENTS"}

lint-compose: $(BIN)/compose-lint
	$(Q)$(BIN)/compose-lint --format $(LINT_FORMAT)

lint-shell:
	$(Q)LINT_FORMAT=$(LINT_FORMAT) SHELLCHECK_SEVERITY=$(SHELLCHECK_SEVERITY) mk/lint/shellcheck

help-extra::
	@echo "  lint            policy-lint, version-sync, compose-lint, shellcheck (LINT_FORMAT=github for CI;"
	@echo "                  VERSION_SYNC_BASE=rev diffs the versions against a base); lint-policy, lint-versions,"
	@echo "                  lint-compose, lint-shell run one"
