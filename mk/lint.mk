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
# (knobs checked in mk/knobs.mk)
ifeq ($(origin LINT_FORMAT),undefined)
LINT_FORMAT := $(if $(filter true,$(value GITHUB_ACTIONS)),github,text)
endif
SHELLCHECK_SEVERITY ?= warning
VERSION_SYNC_BASE ?=
VERSION_SYNC_HEAD ?=
VERSION_SYNC_LABELS ?=
VERSION_SYNC_COMMENTS ?=
# the pull request whose labels and comments version-sync reads through the
# GitHub API (instead of the two knobs above)
VERSION_SYNC_PR ?=
LINT_CHECKS := policy versions compose shell

LDLIBS_compose-lint = -lyaml
HEADER_PKGS += yaml.h:libyaml-dev


.PHONY: lint $(addprefix lint-,$(LINT_CHECKS))

lint:
	@failed=; for c in $(LINT_CHECKS); do $(MAKE) -s lint-$$c || failed="$$failed $$c"; done; \
	if [ -n "$$failed" ]; then echo "lint: FAILED:$$failed (of: $(LINT_CHECKS))" >&2; exit 1; fi; \
	echo "lint: OK: $(LINT_CHECKS)"

# policy-lint on the policy files, the legacy copy made first (mk/policy.mk)
lint-policy: lint-policies

lint-versions: export VS_BASE = $(value VERSION_SYNC_BASE)
lint-versions: export VS_HEAD = $(value VERSION_SYNC_HEAD)
lint-versions: export VS_LABELS = $(value VERSION_SYNC_LABELS)
lint-versions: export VS_COMMENTS = $(value VERSION_SYNC_COMMENTS)
lint-versions: export VS_PR = $(value VERSION_SYNC_PR)
lint-versions: $(BIN)/version-sync
	$(Q)$(BIN)/version-sync --format $(LINT_FORMAT) $${VS_BASE:+--base "$$VS_BASE"} $${VS_HEAD:+--head "$$VS_HEAD"} \
	  $${VS_LABELS:+--labels "$$VS_LABELS"} $${VS_COMMENTS:+--comments "$$VS_COMMENTS"} $${VS_PR:+--pr "$$VS_PR"}

lint-compose: $(BIN)/compose-lint
	$(Q)$(BIN)/compose-lint --format $(LINT_FORMAT)

lint-shell:
	$(Q)LINT_FORMAT=$(LINT_FORMAT) SHELLCHECK_SEVERITY=$(SHELLCHECK_SEVERITY) mk/lint/shellcheck

help-extra::
	@echo "  lint            policy-lint, version-sync, compose-lint, shellcheck (LINT_FORMAT=github for CI;"
	@echo "                  VERSION_SYNC_BASE=rev diffs the versions against a base); lint-policy, lint-versions,"
	@echo "                  lint-compose, lint-shell run one"
