#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# make lint: policy-lint, version-sync, compose-lint and shellcheck over the
# project itself; the knobs; the guard workflow; the ADR files.

load test_helper

# mk ARGS...: make in the project, without a parent make's flags
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s SAN="${SAN:-0}" "$@"; }

@test "make lint-versions: the project's own versions are in sync" {
  run --separate-stderr -0 mk lint-versions
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
  [ "$(jq -r '.kms_version + " " + .node_image_version' "$ROOT/policies/versions.json")" = "2.3.40 2.3.40" ]
}

@test "make lint-compose: the project's compose files, template and workflows pass; the skip list is reported" {
  run --separate-stderr -0 mk lint-compose
  [ "${lines[0]}" = "compose-lint: SKIPPED: tests/fixtures/compose-lint/dev-env-policy.compose.yaml: listed in policies/lint-skip.conf:6: the deliberately failing cases of tests/compose-lint.bats (a development override among them)" ]
  [[ "${lines[1]}" =~ ^compose-lint:\ OK:\ ([0-9]+)\ files\ checked\ \(([0-9]+)\ compose,\ ([0-9]+)\ workflows\),\ 1\ skipped$ ]]
  [ "${BASH_REMATCH[2]}" -ge 3 ]
  [ "${BASH_REMATCH[3]}" -ge 3 ]
}

@test "make lint-policy is make lint-policies: every policy file, in the chosen format" {
  run -0 --separate-stderr mk lint-policy LINT_FORMAT=github
  [ "${stderr_lines[-1]}" = "policy-lint: 0 errors, 0 warnings, 4 notices in 4 files" ]
  [ "$(grep -c '^::notice file=policies/kms-phala-attestation-policy\.' <<<"$output")" -eq 4 ]
}

@test "make lint on the project passes: every check runs and says OK" {
  run -0 --separate-stderr mk lint
  [[ "$output" == *"version-sync: OK: kms=2.3.40, node=2.3.40"* ]]
  [[ "$output" == *"compose-lint: OK: "* ]]
  [[ "$output" == *"lint: shell: OK: "*" scripts"* ]]
  [ "${lines[-1]}" = "lint: OK: policy versions compose shell" ]
  [[ "$stderr" == *"policy-lint: 0 errors, 0 warnings, "* ]]
}

@test "make lint runs every check after a failure, and names the failed ones" {
  # the skip-version-sync label without its justification comment: version-sync fails
  run -2 --separate-stderr mk lint VERSION_SYNC_LABELS=skip-version-sync
  [[ "$output" == *"version-sync: ERROR: the skip-version-sync label needs a pull request comment"* ]]
  # the checks after it still ran
  [[ "$output" == *"compose-lint: OK: "* ]]
  [[ "$output" == *"lint: shell: OK: "*" scripts"* ]]
  [[ "$stderr" == *"policy-lint: 0 errors, 0 warnings, "* ]]
  [[ "$stderr" == *$'\nlint: FAILED: versions (of: policy versions compose shell)\n'* ]]
}

@test "make lint-shell: no finding in the scripts of the lint work" {
  run mk lint-shell
  local f
  for f in mk/lint/shellcheck tests/version-sync.bats tests/compose-lint.bats tests/flow-lint.bats tests/fuzz/seed-fuzz_toml; do
    [[ "$output" != *"$f:"* ]] || { grep "$f:" <<<"$output"; false; }
  done
  # and shellcheck itself, on exactly these files, at the same severity
  cd "$ROOT"
  run -0 shellcheck --severity=warning --external-sources mk/lint/shellcheck tests/version-sync.bats \
    tests/compose-lint.bats tests/flow-lint.bats tests/fuzz/seed-fuzz_toml
}

@test "the shellcheck step: scripts by name or #!, findings with file and line, text or github" {
  cd "$BATS_TEST_TMPDIR"
  git init -q repo && cd repo
  printf '#!/bin/sh\nunused=1\n' > bad.sh
  printf '#!/usr/bin/env bash\necho "$1"\n' > tool
  printf '#!/usr/bin/env python3\nx = 1\n' > tool.py
  printf 'unused=1\n' > ignored.sh
  echo 'ignored.sh' > .gitignore
  run -1 "$ROOT/mk/lint/shellcheck"
  [ "$output" = "bad.sh:2:1: warning: unused appears unused. Verify use (or export if used externally). [SC2034]" ]
  run -1 env LINT_FORMAT=github "$ROOT/mk/lint/shellcheck"
  [ "$output" = "::warning file=bad.sh,line=2,col=1,title=shellcheck SC2034::unused appears unused. Verify use (or export if used externally)." ]
  rm bad.sh
  run -0 "$ROOT/mk/lint/shellcheck"
  [ "$output" = "lint: shell: OK: 1 scripts" ]
}

@test "the shellcheck step outside a git work tree: every file but build/, bin/ and artifacts/, never a vacuous pass" {
  mkdir -p "$BATS_TEST_TMPDIR/copy/sub" "$BATS_TEST_TMPDIR/copy/build" "$BATS_TEST_TMPDIR/copy/artifacts"
  cd "$BATS_TEST_TMPDIR/copy"
  printf '#!/bin/sh
unused=1
' > sub/bad.sh
  printf '#!/usr/bin/env bash
echo "$1"
' > tool
  printf 'unused=1
' > build/gen.sh
  printf 'unused=1
' > artifacts/run.sh
  run -1 env GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" "$ROOT/mk/lint/shellcheck"
  [ "$output" = "sub/bad.sh:2:1: warning: unused appears unused. Verify use (or export if used externally). [SC2034]" ]
  rm sub/bad.sh
  run -0 env GIT_CEILING_DIRECTORIES="$BATS_TEST_TMPDIR" "$ROOT/mk/lint/shellcheck"
  [ "$output" = "lint: shell: OK: 1 scripts" ]
}

@test "knobs: LINT_FORMAT is checked before anything runs; VERSION_SYNC_* reach version-sync unexpanded" {
  run --separate-stderr -2 mk lint LINT_FORMAT=xml
  [[ "$stderr" == *"LINT_FORMAT must be one of: text json github (got 'xml').  Stop."* ]]
  [ -z "$output" ]
  cd "$BATS_TEST_TMPDIR"
  # shellcheck disable=SC2016 # the knob holds make syntax on purpose
  run --separate-stderr -2 env VERSION_SYNC_BASE='$(shell touch pwned)' \
    make -C "$ROOT" -s SAN="${SAN:-0}" lint-versions
  [ ! -e pwned ] && [ ! -e "$ROOT/pwned" ]
  [[ "$stderr" == *"VERSION_SYNC_BASE must be a git revision (letters, digits and _ . / @ { } ~ ^ + -, not starting with -) (got '\$(shell touch pwned)')"* ]]
  run -2 env VERSION_SYNC_LABELS='bug,skip-version-sync' make -C "$ROOT" -s SAN="${SAN:-0}" lint-versions
  [[ "$output" == *"version-sync: ERROR: the skip-version-sync label needs a pull request comment"* ]]
  run -0 env VERSION_SYNC_LABELS='skip-version-sync' VERSION_SYNC_COMMENTS="$FIX/version-sync/comments.json" \
    make -C "$ROOT" -s SAN="${SAN:-0}" lint-versions LINT_FORMAT=github
  [[ "$output" == *"::notice title=version-sync::notice: skip-version-sync: nothing to override, justified by @release-engineer: "* ]]
}

@test "the guard workflow runs make lint-versions on version-file changes, with the pull request's base and number" {
  run -0 python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
on = d.get("on", d.get(True))
pr = on["pull_request"]
files = ["mero-kms/Cargo.toml", "Cargo.lock", "mero-tee/versions.json", "policies/versions.json", "policies/version-sync.toml"]
assert pr["paths"] == files and on["push"]["paths"] == files, "paths"
assert {"labeled", "unlabeled", "synchronize"} <= set(pr["types"]), "types"
assert "workflow_dispatch" in on
steps = d["jobs"]["version-sync"]["steps"]
assert steps[-2]["with"]["fetch-depth"] == 0, "history for the merge base"
last = steps[-1]
assert last["run"] == "make lint-versions"
env = last["env"]
assert env["VERSION_SYNC_BASE"] == "${{ github.event.pull_request.base.sha }}"
# the labels and the justification comment are read through the API (version-sync --pr)
assert env["VERSION_SYNC_PR"] == "${{ github.event.pull_request.number }}" and env["LINT_FORMAT"] == "github"
assert "VERSION_SYNC_LABELS" not in env
print("ok")' "$ROOT/.github/workflows/release-version-sync-guard.yaml"
  [ "$output" = ok ]
}

@test "the ADR files have the usual sections and name the checks that enforce them, which exist" {
  # every target the makefiles define (make's database, nothing run)
  (cd "$ROOT" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -pRrq : 2>/dev/null |
    awk -F: '/^[A-Za-z0-9][^$#\/\t=%]*:([^=]|$)/ { print $1 }' | sort -u) > "$BATS_TEST_TMPDIR/targets"
  grep -qx lint-versions "$BATS_TEST_TMPDIR/targets"
  local adr n=0
  for adr in "$ROOT"/docs/adr/000[123]-*.md; do
    n=$((n + 1))
    grep -q '^Status: ' "$adr"
    grep -q '^Date: [0-9]\{4\}-[0-9][0-9]-[0-9][0-9]$' "$adr"
    for s in Context Decision Consequences "Alternatives considered" "Enforced by"; do
      grep -qx "## $s" "$adr" || { echo "$adr: no ## $s"; false; }
    done
    # every test file and make target named under "Enforced by" exists
    local t
    for t in $(sed -n '/^## Enforced by/,/^## /p' "$adr" | grep -o 'tests/[a-z-]*\.bats' | sort -u); do
      [ -f "$ROOT/$t" ] || { echo "$adr names $t"; false; }
    done
    for t in $(sed -n '/^## Enforced by/,/^## /p' "$adr" | grep -o 'make [a-z-]*' | awk '{print $2}' | sort -u); do
      grep -qx -- "$t" "$BATS_TEST_TMPDIR/targets" || { echo "$adr names make $t"; false; }
    done
  done
  [ "$n" -eq 3 ]
  grep -qi 'supersede' "$ROOT/docs/adr/README.md"
}
