#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# version-sync (ADR-0003) in temporary git repositories laid out as upstream
# mero-tee is: mero-kms/Cargo.toml, Cargo.lock, mero-tee/versions.json, and
# this project's policies/versions.json where a test writes one.

load test_helper
load lib/fake-github

VS="$FIX/version-sync"

setup() {
  REPO="$BATS_TEST_TMPDIR/repo"
  mkdir -p "$REPO/mero-kms" "$REPO/mero-tee"
  cd "$REPO" || return
  git init -q -b main .
  git config user.email test@example.com
  git config user.name test
  git config commit.gpgsign false
  cp "$VS/Cargo.toml" mero-kms/Cargo.toml
  cp "$VS/Cargo.lock" Cargo.lock
  cp "$VS/versions.json" mero-tee/versions.json
  commit base
  git tag base
}

teardown() { stop_servers; }

commit() { git add -A && git commit -q -m "$1"; }

# pull_requests: the fake GitHub with o/r's pull requests 42 (skip-version-sync and
# the justification comment), 43 (the label, no justification), 44 (no label)
pull_requests() {
  fake_github_start
  export GITHUB_TOKEN="$GH_TOKEN_VALUE" GITHUB_REPOSITORY=o/r
  unset GH_TOKEN
  gh_seed "$(jq -n --slurpfile c "$VS/comments.json" --slurpfile n "$VS/comments-none.json" '{repos: {"o/r": {pulls: [
    {number: 42, labels: ["bug", "skip-version-sync"], comments: ($c[0] | map({user: .user.login, body}))},
    {number: 43, labels: ["skip-version-sync"], comments: ($n[0] | map({user: .user.login, body}))},
    {number: 44, labels: ["bug"], comments: ($c[0] | map({user: .user.login, body}))}]}}}')"
}

# set_kms V: the KMS version in Cargo.toml (line 3) and Cargo.lock (line 26)
set_kms() {
  sed -i "3s/^version = .*/version = \"$1\"/" mero-kms/Cargo.toml
  sed -i "26s/^version = .*/version = \"$1\"/" Cargo.lock
}
# set_node V: imageVersion (line 3 of mero-tee/versions.json)
set_node() { sed -i "3s/\"imageVersion\": .*/\"imageVersion\": \"$1\"/" mero-tee/versions.json; }

# versions_file KMS NODE [MARKER_JSON]: this project's policies/versions.json
versions_file() {
  mkdir -p policies
  {
    printf '{\n  "kms_version": "%s",\n  "node_image_version": "%s",\n  "schema_version": 1' "$1" "$2"
    [ -z "${3:-}" ] || printf ',\n  "unchanged": %s' "$3"
    printf '\n}\n'
  } > policies/versions.json
}

errors() { grep -c '^version-sync: ERROR: ' <<<"$output" || true; }

# config_cases STATUS TEXT MESSAGE...: each TEXT as --config exits STATUS with
# "version-sync: FILE:MESSAGE" (MESSAGE starts with the line number)
config_cases() {
  local want=$1 f="$BATS_TEST_TMPDIR/c.toml" n=0
  shift
  while [ $# -ge 2 ]; do
    printf '%s' "$1" > "$f"
    run --separate-stderr "-$want" version-sync --config "$f"
    [ "$stderr" = "version-sync: $f:$2" ] || { echo "case $n: $stderr"; return 1; }
    shift 2
    n=$((n + 1))
  done
}

@test "equal versions at the head: OK with both versions" {
  run --separate-stderr -0 version-sync
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
  [ -z "$stderr" ]
  run -0 version-sync --base base --head HEAD
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
}

@test "the KMS bumped alone: the head's versions differ, and the change bumps one side (file and line)" {
  set_kms 2.3.41
  commit "kms only"
  run --separate-stderr -1 version-sync --base base --head HEAD
  [ "$(errors)" -eq 2 ]
  [ "${lines[0]}" = 'version-sync: ERROR: mero-kms/Cargo.toml:3: the KMS is at 2.3.41 but the node image is at 2.3.40 (mero-tee/versions.json:3): bump both, or mark one unchanged for this release ("unchanged" in policies/versions.json)' ]
  [ "${lines[1]}" = 'version-sync: ERROR: mero-kms/Cargo.toml:3: the KMS is bumped from 2.3.40 to 2.3.41, but the node image stays at 2.3.40: bump it in the same change, or mark it unchanged for this release ("unchanged" in policies/versions.json)' ]
  [ -z "$stderr" ]
}

@test "the node image bumped alone fails at its file and line" {
  set_node 2.3.41
  commit "node only"
  run -1 version-sync --base base --head HEAD
  [ "$(errors)" -eq 2 ]
  [[ "${lines[1]}" == 'version-sync: ERROR: mero-tee/versions.json:3: the node image is bumped from 2.3.40 to 2.3.41, but the KMS stays at 2.3.40: '* ]]
}

@test "both bumped in one change: OK" {
  set_kms 2.3.41
  set_node 2.3.41
  commit both
  run -0 version-sync --base base --head HEAD
  [ "$output" = "version-sync: OK: kms=2.3.41, node=2.3.41" ]
}

@test "neither bumped (other files changed): OK; the change rule compares the merge base, not the base's tip" {
  echo "notes" > README.md
  commit docs
  run -0 version-sync --base base --head HEAD
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
  # the base branch moves on with both bumped; a branch from the old base that
  # bumps nothing is still in sync with its merge base
  git checkout -q -b feature base
  echo "feature" > FEATURE.md
  commit feature
  git checkout -q main
  set_kms 2.3.41
  set_node 2.3.41
  commit "both on main"
  run -0 version-sync --base main --head feature
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
}

@test "the unchanged marker: the KMS bumped, the node image explicitly kept for this release, with a notice" {
  set_kms 2.3.41
  versions_file 2.3.41 2.3.40 '{"component": "node", "version": "2.3.40", "release": "2.3.41", "reason": "KMS-only fix; the node image is not affected"}'
  commit "kms with marker"
  run --separate-stderr -0 version-sync --base base --head HEAD
  [ "${lines[0]}" = "version-sync: NOTICE: policies/versions.json:5: the node image stays at 2.3.40 for release 2.3.41: KMS-only fix; the node image is not affected" ]
  [ "${lines[1]}" = "version-sync: OK: kms=2.3.41, node=2.3.40" ]
  [ "${#lines[@]}" -eq 2 ]
  run -0 version-sync --base base --head HEAD --format json
  [ "$(jq -c .unchanged <<<"$output")" = '{"component":"node","reason":"KMS-only fix; the node image is not affected","release":"2.3.41","version":"2.3.40"}' ]
  [ "$(jq -r '.ok, .kms, .node' <<<"$output" | tr '\n' ' ')" = "true 2.3.41 2.3.40 " ]
}

@test "a stale marker (another release) and a marker on the bumped side fail at the marker's lines" {
  set_kms 2.3.41
  versions_file 2.3.41 2.3.40 '{"component": "node", "version": "2.3.40", "release": "2.3.39", "reason": "old"}'
  commit stale
  run -1 version-sync --base base --head HEAD
  [ "$(errors)" -eq 1 ]
  [[ "$output" == *"version-sync: ERROR: policies/versions.json:5: the unchanged marker is for release 2.3.39, but the KMS is at 2.3.41 (mero-kms/Cargo.toml:3): update the marker for this release or remove it"* ]]
  # the marker keeps the KMS, but the change bumps it
  versions_file 2.3.41 2.3.40 '{"component": "kms", "version": "2.3.41", "release": "2.3.40", "reason": "wrong side"}'
  commit "wrong side"
  run -1 version-sync --base base --head HEAD
  [[ "$output" == *"version-sync: ERROR: policies/versions.json:5: the unchanged marker keeps the KMS unchanged, but this change bumps it from 2.3.40 to 2.3.41"* ]]
  # a marker missing its reason
  versions_file 2.3.41 2.3.40 '{"component": "node", "version": "2.3.40", "release": "2.3.41", "reason": " "}'
  commit "no reason"
  run -1 version-sync --base base --head HEAD
  [[ "$output" == *"version-sync: ERROR: policies/versions.json:5: the unchanged marker needs reason (a non-empty string)"* ]]
}

@test "a marker left when both versions are equal again must be removed" {
  versions_file 2.3.40 2.3.40 '{"component": "node", "version": "2.3.40", "release": "2.3.40", "reason": "left over"}'
  commit leftover
  run -1 version-sync
  [ "$output" = "version-sync: ERROR: policies/versions.json:5: the unchanged marker keeps the node image unchanged, but the KMS and the node image are both at 2.3.40: remove it" ]
}

@test "the project's versions file must agree with upstream's files" {
  versions_file 2.3.41 2.3.40
  commit "versions file ahead"
  run -1 version-sync
  [ "$output" = "version-sync: ERROR: policies/versions.json:2: the KMS version here is 2.3.41, but mero-kms/Cargo.toml:3 says 2.3.40" ]
}

@test "a Cargo.lock that disagrees with Cargo.toml: the lock's line, naming both" {
  sed -i '26s/.*/version = "2.3.39"/' Cargo.lock
  commit "lock behind"
  run -1 version-sync
  [ "$output" = "version-sync: ERROR: Cargo.lock:26: the KMS version here is 2.3.39, but mero-kms/Cargo.toml:3 says 2.3.40" ]
}

@test "two [[package]] entries named mero-kms-phala: an error at the second, naming the first" {
  printf '\n[[package]]\nname = "mero-kms-phala"\nversion = "2.3.41"\n' >> Cargo.lock
  commit "two entries"
  run -1 version-sync
  [ "$output" = "version-sync: ERROR: Cargo.lock:32: a second [[package]] named mero-kms-phala (the first is at line 24): the lock file must hold one" ]
  # and none at all
  sed -i 's/"mero-kms-phala"/"other"/' Cargo.lock
  commit "no entry"
  run -1 version-sync
  [ "$output" = "version-sync: ERROR: Cargo.lock: no [[package]] named mero-kms-phala" ]
}

@test "skip-version-sync with a justification comment passes, quoting it; the findings are shown as overridden" {
  set_kms 2.3.41
  commit "kms only"
  run --separate-stderr -0 version-sync --base base --head HEAD --labels 'bug, skip-version-sync' --comments "$VS/comments.json"
  [ "$(errors)" -eq 0 ]
  [ "$(grep -c '^version-sync: OVERRIDDEN: mero-kms/Cargo.toml:3: ' <<<"$output")" -eq 2 ]
  [ "${lines[2]}" = 'version-sync: NOTICE: skip-version-sync: the findings above are overridden, justified by @release-engineer: "mero-kms 2.3.41 fixes a key-path bug only; the node image is unaffected"' ]
  [ "${lines[3]}" = "version-sync: OK: kms=2.3.41, node=2.3.40 (overridden by skip-version-sync)" ]
  run -0 version-sync --base base --head HEAD --labels skip-version-sync --comments "$VS/comments.json" --format json
  [ "$(jq -r '.override.overridden, .override.author, ([.findings[].level] | join(","))' <<<"$output" | tr '\n' ' ')" = "true release-engineer overridden,overridden,notice " ]
}

@test "skip-version-sync without a justification fails and says what is missing" {
  set_kms 2.3.41
  commit "kms only"
  run -1 version-sync --base base --head HEAD --labels skip-version-sync --comments "$VS/comments-none.json"
  [ "$(errors)" -eq 3 ]
  [ "${lines[2]}" = "version-sync: ERROR: the skip-version-sync label needs a pull request comment with a line 'version-sync: <justification>', and none has one" ]
  run -1 version-sync --base base --head HEAD --labels skip-version-sync
  [ "${lines[2]}" = "version-sync: ERROR: the skip-version-sync label needs a pull request comment with a line 'version-sync: <justification>', and no comments were given (--comments FILE)" ]
  # the label is required even when nothing is out of sync
  git checkout -q base
  run -1 version-sync --labels skip-version-sync --comments "$VS/comments-none.json"
  [ "$(errors)" -eq 1 ]
}

@test "a justification without the label overrides nothing; other labels do not count" {
  set_kms 2.3.41
  commit "kms only"
  run -1 version-sync --base base --head HEAD --comments "$VS/comments.json"
  [ "$(errors)" -eq 2 ]
  run -1 version-sync --base base --head HEAD --labels 'skip-version-sync-later,no-skip-version-sync' --comments "$VS/comments.json"
  [ "$(errors)" -eq 2 ]
}

@test "malformed TOML exits 65 naming the file and the line" {
  printf '[package]\nname = "mero-kms-phala"\nversion = 2.3.41"\n' > mero-kms/Cargo.toml
  run --separate-stderr -65 version-sync
  [ -z "$output" ]
  [ "$stderr" = "version-sync: mero-kms/Cargo.toml:3: malformed TOML: invalid value '2.3.41'" ]
  cp "$VS/Cargo.toml" mero-kms/Cargo.toml
  printf '\n[[package]]\nname = "x"\nname = "y"\n' >> Cargo.lock
  run --separate-stderr -65 version-sync
  [ "$stderr" = "version-sync: Cargo.lock:34: malformed TOML: duplicate key 'name'" ]
}

@test "the TOML reader is strict: each case is 65 with its line" {
  local cases=(
    $'a = 1\n[t]\nb = 2\n[t]\n'                   "4: malformed TOML: table [t] is defined twice (or is already a value)"
    $'a = {b = 1}\n[a]\n'                          "2: malformed TOML: table [a] is defined twice (or is already a value)"
    $'a = [1, 2]\n[[a]]\n'                         "2: malformed TOML: [[a]]: 'a' is already a value or a table"
    $'s = "tab\\q"\n'                              "1: malformed TOML: invalid escape '\\q'"
    $'s = "open\n'                                 "1: malformed TOML: unterminated string"
    $'\n\nk = """\nnever closed\n'                 "3: malformed TOML: unterminated string"
    $'x = 01\n'                                    "1: malformed TOML: invalid value '01'"
    $'x = 1 2\n'                                   "1: malformed TOML: expected the end of the line, found '2'"
    $'t = {a = 1,}\n'                              "1: malformed TOML: a trailing comma in an inline table"
    $'a.b = 1\n[a]\n'                              "2: malformed TOML: table [a] is defined twice (or is already a value)"
    $'u = "\\uD800"\n'                             "1: malformed TOML: \\u escape of a value that is not a Unicode scalar value"
    $'ok = 1\n= 2\n'                               "2: malformed TOML: expected a key"
    $'c = "\x01"\n'                                "1: malformed TOML: control character in a string"
    $'bad = "\xff"\n'                              "1: malformed TOML: invalid UTF-8"
  )
  config_cases 65 "${cases[@]}"
}

@test "valid TOML of every kind reads; a version that is not a string or not a version is a finding" {
  cat > mero-kms/Cargo.toml <<'EOF'
# comment
"quoted key" = 'literal \n'
dates = [1979-05-27T07:32:00Z, 1979-05-27 07:32:00.5+01:00, 07:32:00, 1979-05-27]
nums = [+1_000, 0xdead_beef, 0o17, 0b101, 3.14, -2e-3, inf, -nan]
nested = [[1, 2], ["a", {x = true}], ]
multi = """\
    joined \
    line"""
lit = '''
raw \n'''

[package]
name = "mero-kms-phala"
version.workspace = true
EOF
  run -1 version-sync
  [ "${lines[0]}" = "version-sync: ERROR: mero-kms/Cargo.toml:14: package.version is not a string" ]
  sed -i 's/^version.workspace = true/version = "v2.3.40-rc.1+build"/' mero-kms/Cargo.toml
  run -1 version-sync
  [ "${lines[0]}" = "version-sync: ERROR: Cargo.lock:26: the KMS version here is 2.3.40, but mero-kms/Cargo.toml:14 says v2.3.40-rc.1+build" ]
  sed -i 's/^version = .*/version = "two.three"/' mero-kms/Cargo.toml
  run -1 version-sync
  [ "${lines[0]}" = "version-sync: ERROR: mero-kms/Cargo.toml:14: package.version is 'two.three', which is not a version (X.Y.Z)" ]
}

@test "malformed JSON (a version file, the comments) exits 65 naming the file and the line" {
  printf '{\n  "imageVersion": "2.3.40",\n  "x": \n}\n' > mero-tee/versions.json
  run --separate-stderr -65 version-sync
  [ -z "$output" ]
  [[ "$stderr" == "version-sync: mero-tee/versions.json:4: malformed JSON: "* ]]
  cp "$VS/versions.json" mero-tee/versions.json
  printf '[\n  {"body": "version-sync: ok"},\n  {"body": }\n]\n' > "$BATS_TEST_TMPDIR/c.json"
  run --separate-stderr -65 version-sync --labels skip-version-sync --comments "$BATS_TEST_TMPDIR/c.json"
  [[ "$stderr" == "version-sync: $BATS_TEST_TMPDIR/c.json:3: malformed JSON: "* ]]
  echo '{"body": "version-sync: x"}' > "$BATS_TEST_TMPDIR/c.json"
  run --separate-stderr -65 version-sync --labels skip-version-sync --comments "$BATS_TEST_TMPDIR/c.json"
  [ "$stderr" = "version-sync: $BATS_TEST_TMPDIR/c.json: not a JSON array of comments (GitHub's issue comments)" ]
  run --separate-stderr -66 version-sync --labels skip-version-sync --comments "$BATS_TEST_TMPDIR/none.json"
  one_line
}

@test "--format github: one annotation per finding, with file and line" {
  set_kms 2.3.41
  commit "kms only"
  run -1 version-sync --base base --head HEAD --format github
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[0]}" == "::error file=mero-kms/Cargo.toml,line=3,title=version-sync::the KMS is at 2.3.41 but the node image is at 2.3.40 "* ]]
  [[ "${lines[1]}" == "::error file=mero-kms/Cargo.toml,line=3,title=version-sync::the KMS is bumped from 2.3.40 to 2.3.41"* ]]
  run -0 version-sync --base base --head HEAD --format github --labels skip-version-sync --comments "$VS/comments.json"
  [[ "${lines[0]}" == "::notice file=mero-kms/Cargo.toml,line=3,title=version-sync::overridden: the KMS is at 2.3.41 "* ]]
  [ "${lines[3]}" = "version-sync: OK: kms=2.3.41, node=2.3.40 (overridden by skip-version-sync)" ]
}

@test "the work tree is read unless --head names a commit" {
  set_kms 2.3.41
  run -1 version-sync
  [ "$(errors)" -eq 1 ]
  run -0 version-sync --head HEAD
  [ "$output" = "version-sync: OK: kms=2.3.40, node=2.3.40" ]
  run -1 version-sync --base base
  [ "$(errors)" -eq 2 ]
  run -1 version-sync --format json
  [ "$(jq -r '.head, .work_tree, .kms' <<<"$output" | tr '\n' ' ')" = "null true 2.3.41 " ]
  run -0 version-sync --format json --head HEAD~0
  [ "$(jq -r '.head' <<<"$output")" = "$(git rev-parse HEAD)" ]
}

@test "a source missing at the head, or not a regular file, is an error naming it" {
  git rm -q mero-tee/versions.json
  commit "no node version"
  run -1 version-sync
  [ "${lines[0]}" = "version-sync: ERROR: mero-tee/versions.json: missing at the head (a version source of the built-in defaults)" ]
  [ "${lines[1]}" = "version-sync: ERROR: no source gives the node image version (sources: the built-in defaults)" ]
  mkdir -p mero-tee
  ln -s ../elsewhere.json mero-tee/versions.json
  echo '{"imageVersion": "2.3.40"}' > elsewhere.json
  run -1 version-sync
  [ "${lines[0]}" = "version-sync: ERROR: mero-tee/versions.json: not a regular file (a folder, a link or a submodule)" ]
  commit "a link"
  run -1 version-sync --head HEAD
  [ "${lines[0]}" = "version-sync: ERROR: mero-tee/versions.json: not a regular file (a folder, a link or a submodule)" ]
}

@test "the sources come from policies/version-sync.toml at the head; a changed config is noticed" {
  mkdir -p policies
  printf '[[source]]\nkind = "versions"\nfile = "policies/versions.json"\n' > policies/version-sync.toml
  versions_file 2.3.41 2.3.41
  git rm -q -r mero-kms mero-tee Cargo.lock
  commit "own layout"
  run -0 version-sync --base base --head HEAD
  [ "${lines[0]}" = "version-sync: NOTICE: policies/version-sync.toml: the version sources changed in this change: the head's were used (review them)" ]
  [ "${lines[1]}" = "version-sync: OK: kms=2.3.41, node=2.3.41" ]
  # --config names another file
  printf '[[source]]\ncomponent = "kms"\nkind = "json"\nfile = "policies/versions.json"\nkey = "kms_version"\n' > "$BATS_TEST_TMPDIR/kms-only.toml"
  run --separate-stderr -78 version-sync --config "$BATS_TEST_TMPDIR/kms-only.toml"
  [ "$stderr" = "version-sync: $BATS_TEST_TMPDIR/kms-only.toml: no [[source]] gives the node image version" ]
}

@test "an invalid config exits 78 naming its line" {
  local cases=(
    $'[[source]]\nkind = "yaml"\nfile = "a"\n'                              "1: a [[source]] needs kind = \"toml\", \"cargo-lock\", \"json\" or \"versions\""
    $'[[source]]\nkind = "versions"\nfile = "../etc/passwd"\n'              "1: a [[source]] needs file = a path from the repository's root ([A-Za-z0-9._/-], no '..')"
    $'[[source]]\nkind = "versions"\nfile = "/etc/passwd"\n'                "1: a [[source]] needs file = a path from the repository's root ([A-Za-z0-9._/-], no '..')"
    $'[[source]]\nkind = "toml"\nfile = "a.toml"\ncomponent = "kms"\n'      "1: key = \"a.b\" is required for this kind"
    $'[[source]]\nkind = "versions"\nfile = "v.json"\ncolour = "red"\n'     "4: unknown key 'colour' in a [[source]] (component, kind, file, key, package, optional)"
    $'sources = 1\n'                                                         "1: unknown key 'sources' (the config holds [[source]] tables)"
    $'[[source]]\nkind = "versions"\nfile = "a.json"\n[[source]]\nkind = "versions"\nfile = "b.json"\n' "4: a second versions file (one carries the unchanged marker)"
  )
  config_cases 78 "${cases[@]}"
}

@test "revisions: checked before git sees them; unknown ones and no repository exit 66" {
  run --separate-stderr -2 version-sync --base '--output=/tmp/x'
  [ "$(sed -n 1p <<<"$stderr")" = "version-sync: a revision is 1-255 characters of [A-Za-z0-9._/@{}~^+-], not starting with '-' (got '--output=/tmp/x')" ]
  run --separate-stderr -2 version-sync --head 'HEAD;touch x'
  [ ! -e x ]
  run --separate-stderr -2 version-sync --format yaml
  [ "$(sed -n 1p <<<"$stderr")" = "version-sync: --format must be text, json or github (got 'yaml')" ]
  run --separate-stderr -66 version-sync --base no-such-branch
  [ "$stderr" = "version-sync: cannot resolve --base 'no-such-branch': no such commit" ]
  cd "$BATS_TEST_TMPDIR"
  mkdir plain && cd plain
  run --separate-stderr -66 version-sync
  [[ "$stderr" == "version-sync: not in a git work tree: fatal: not a git repository"* ]]
}

@test "> /dev/full exits 74 after a verdict" {
  run --separate-stderr -74 bash -c 'version-sync > /dev/full'
  one_line
}

@test "--pr: the label and the justification comment read through the GitHub API" {
  set_kms 2.3.41
  commit "kms only"
  pull_requests
  run --separate-stderr -0 version-sync --base base --head HEAD --pr 42
  [ "${lines[2]}" = 'version-sync: NOTICE: skip-version-sync: the findings above are overridden, justified by @release-engineer: "mero-kms 2.3.41 fixes a key-path bug only; the node image is unaffected"' ]
  [ "${lines[3]}" = "version-sync: OK: kms=2.3.41, node=2.3.40 (overridden by skip-version-sync)" ]
  [ "$(gh_requests)" = "$(printf 'GET /repos/o/r/issues/42/labels 200\nGET /repos/o/r/issues/42/comments 200')" ]
  run -1 version-sync --base base --head HEAD --pr 43 --repo o/r
  [ "${lines[2]}" = "version-sync: ERROR: the skip-version-sync label needs a pull request comment with a line 'version-sync: <justification>', and none has one" ]
  # without the label the comments are not read, and a justification alone overrides nothing
  : > "$GH_LOG"
  run -1 version-sync --base base --head HEAD --pr 44
  [ "$(errors)" -eq 2 ]
  [ "$(gh_requests)" = "GET /repos/o/r/issues/44/labels 200" ]
}

@test "--pr: usage, and GitHub's answers: no such pull request 76, a refused token 77, no API 69" {
  pull_requests
  run --separate-stderr -2 version-sync --pr 42 --labels skip-version-sync
  [[ "$stderr" == "version-sync: --pr reads the labels and comments itself: not with --labels or --comments"* ]]
  run --separate-stderr -2 version-sync --repo o/r
  [[ "$stderr" == "version-sync: --repo goes with --pr"* ]]
  run --separate-stderr -2 version-sync --pr 4x
  [[ "$stderr" == "version-sync: --pr must be a pull request number (got '4x')"* ]]
  run --separate-stderr -2 env -u GITHUB_REPOSITORY version-sync --pr 42
  [[ "$stderr" == "version-sync: --pr needs the repository: --repo OWNER/NAME or GITHUB_REPOSITORY"* ]]
  run --separate-stderr -2 version-sync --pr 42 --repo 'o/r;x'
  [[ "$stderr" == "version-sync: the repository must be OWNER/NAME (got 'o/r;x')"* ]]
  run --separate-stderr -76 version-sync --pr 7
  [ "$stderr" = "version-sync: GET $GH_URL/repos/o/r/issues/7/labels: HTTP 404: Not Found" ]
  [ -z "$output" ]
  run --separate-stderr -77 env -u GITHUB_TOKEN version-sync --pr 42
  [ "$stderr" = "version-sync: GET $GH_URL/repos/o/r/issues/42/labels: HTTP 401: Requires authentication (no token was sent)" ]
  run --separate-stderr -69 env GITHUB_API_URL=http://127.0.0.1:9 version-sync --pr 42
  [[ "$stderr" == "version-sync: GET http://127.0.0.1:9/repos/o/r/issues/42/labels"*"connection refused"* ]]
}
