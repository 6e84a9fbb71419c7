#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# policy-promote: signed candidates into the profile's policy file, a branch
# with one commit in the local repository, and with a token the pull request
# on the fake GitHub API (tests/lib/fake-github.py).

load test_helper
load lib/fake-github
load lib/promote

setup_file() {
  promote_keys "$BATS_FILE_TMPDIR/keys"
}

setup() {
  KEYS="$BATS_FILE_TMPDIR/keys"
  T=$BATS_TEST_TMPDIR
  policy_repo "$T/repo"
  candidates "$T/probe"
  unset GITHUB_TOKEN GH_TOKEN GITHUB_REPOSITORY GITHUB_SERVER_URL GITHUB_API_URL SOURCE_DATE_EPOCH GITHUB_WAIT_MAX
  cd "$T" || return
}
teardown() { stop_servers; }

BRANCH=automation/kms-policy-2.3.40-c4fd2cc1f523
DEBUG=policies/kms-phala-attestation-policy.debug.json

promote() {
  policy-promote --profile debug --key "$KEYS/test.pub" --repo-dir "$T/repo" --work "$T/work" "$@"
}

@test "a local promotion: one commit on the automation branch, the work tree and HEAD untouched" {
  local head
  head=$(git -C repo rev-parse HEAD)
  run -0 --separate-stderr promote --candidates probe --allow-simulated
  [ "$(jq -r .branch <<<"$output")" = "$BRANCH" ]
  [ "$(jq -r '[.changed, .pushed, .pull_request, .tag, .title] | @tsv' <<<"$output")" = \
    "$(printf 'true\tfalse\t\t2.3.40\tchore(policy): promote KMS policy candidate for 2.3.40')" ]
  commit=$(jq -r .commit <<<"$output")
  # the branch holds exactly one new commit, on HEAD, changing the debug file alone
  [ "$(git -C repo rev-parse "$BRANCH")" = "$commit" ]
  [ "$(git -C repo rev-parse "$BRANCH^")" = "$head" ]
  [ "$(git -C repo diff --name-only "$head" "$BRANCH")" = "$DEBUG" ]
  [ "$(git -C repo log -1 --format=%s "$BRANCH")" = "chore(policy): promote KMS policy candidate for 2.3.40" ]
  # HEAD, the index and the work tree are as they were
  [ "$(git -C repo rev-parse HEAD)" = "$head" ]
  [ "$(git -C repo symbolic-ref --short HEAD)" = master ]
  [ -z "$(git -C repo status --porcelain)" ]
  # the committed file holds the candidates' values, and is what the receipt's hash says
  git -C repo show "$BRANCH:$DEBUG" > promoted.json
  [ "$(jq -r '.policy.kms_allowed_mrtd[0]' promoted.json)" = "$(jq -r '.policy.allowed_mrtd[0]' probe/measurement-policy-candidates.json)" ]
  [ "$(jq -r '.policy.kms_allowed_event_payload[0]' promoted.json)" = "$(jq -r .provenance.compose_hash probe/measurement-policy-candidates.json)" ]
  [ "$(jq -r --arg f "$DEBUG" '.files[] | select(.path == $f) | .sha256_after' <<<"$output")" = "$(sha256sum < promoted.json | cut -c1-64)" ]
  [ "$(jq -r --arg f "$DEBUG" '.files[] | select(.path == $f) | .sha256_before' <<<"$output")" = "$(sha256sum < "$ROOT/$DEBUG" | cut -c1-64)" ]
  # the verified inputs are kept; no token: it says what it would send
  cmp work/measurement-policy-candidates.json probe/measurement-policy-candidates.json
  [[ "$stderr" == *"no GitHub token (GITHUB_TOKEN or GH_TOKEN): the branch $BRANCH stays local"* ]]
}

@test "the body: the report's summary, old and new values per list, the files' SHA-256, the signed candidates as signed" {
  run -0 --separate-stderr promote --candidates probe/measurement-policy-candidates.json --allow-simulated
  body=work/pr-body.md
  grep -qx '> \*\*Staging probe debug: PASS (SIMULATED: local kms-sim, not TDX hardware)\*\*' "$body"
  grep -qx '> - verified: \*\*yes\*\*' "$body"
  mrtd=$(jq -r '.policy.allowed_mrtd[0]' probe/measurement-policy-candidates.json)
  grep -qF "| \`kms_allowed_mrtd\` | _none_ | \`$mrtd\` | a local probe, quote \`c4fd2cc1f523\`, source \`sim\` (simulated) |" "$body"
  grep -qF "| \`$DEBUG\` | \`$(sha256sum < "$ROOT/$DEBUG" | cut -c1-64)\` | \`$(git -C repo show "$BRANCH:$DEBUG" | sha256sum | cut -c1-64)\` |" "$body"
  # the fenced candidates are the signed bytes, and the signature is theirs
  sed -n '/^<!-- mero-policy:signed-candidates -->$/,/^<!-- \/mero-policy:signed-candidates -->$/p' "$body" > block
  awk '/^````json$/ { on = 1; next } /^````$/ { on = 0 } on' block > embedded.json
  awk '/^````text$/ { on = 1; next } /^````$/ { on = 0 } on' block > embedded.sig
  cmp embedded.json probe/measurement-policy-candidates.json
  run -0 cosign-wrap verify --key "$KEYS/test.pub" --signature embedded.sig < embedded.json
}

@test "running again with the same candidates changes nothing: the same commit, no second one" {
  run -0 --separate-stderr promote --candidates probe --allow-simulated
  first=$(jq -r .commit <<<"$output")
  sleep 1
  run -0 --separate-stderr promote --candidates probe --allow-simulated
  [ "$(jq -r .commit <<<"$output")" = "$first" ]
  [ "$(git -C repo rev-list --count "$BRANCH")" -eq 2 ]
}

@test "values the file already holds: nothing to promote, no branch, exit 0" {
  run -0 --separate-stderr promote --candidates probe --allow-simulated
  git -C repo merge -q --ff-only "$BRANCH"
  git -C repo branch -q -D "$BRANCH"
  run -0 --separate-stderr promote --candidates probe --allow-simulated
  [ "$(jq -r '[.changed, .branch, .commit] | @tsv' <<<"$output")" = "$(printf 'false\t\t')" ]
  [[ "$stderr" == *"nothing to promote: $DEBUG already holds every value of the candidates"* ]]
  run -1 git -C repo rev-parse --verify -q "$BRANCH"
}

@test "a signature that does not verify: tampered candidates, another key, no signature, no key" {
  sed -i 's/"source": "sim"/"source": "phala"/' probe/measurement-policy-candidates.json
  run -1 --separate-stderr promote --candidates probe --allow-simulated
  [[ "$stderr" == "policy-promote: the signature probe/measurement-policy-candidates.json.sig of probe/measurement-policy-candidates.json does not verify with $KEYS/test.pub: "* ]]
  [ -z "$output" ]
  candidates other
  sign other/measurement-policy-candidates.json "$KEYS/other.key"
  run -1 --separate-stderr promote --candidates other --allow-simulated
  [[ "$stderr" == *"does not verify with $KEYS/test.pub"* ]]
  rm other/measurement-policy-candidates.json.sig
  run -66 --separate-stderr promote --candidates other --allow-simulated
  [[ "$stderr" == *"other/measurement-policy-candidates.json.sig"* ]]
  run -66 --separate-stderr policy-promote --profile debug --key "$T/no.pub" --repo-dir repo --work work \
    --candidates probe --allow-simulated
  [[ "$stderr" == "policy-promote: cannot check the signature "*"no.pub"* ]]
  # nothing was committed by any of them
  [ "$(git -C repo for-each-ref refs/heads | wc -l)" -eq 1 ]
}

@test "ADR-0001: promotion refuses candidates whose recorded profiles disagree, and candidates of another profile" {
  candidates mismatch '.provenance.measured_profile = "locked-read-only"'
  run -1 --separate-stderr promote --candidates mismatch --allow-simulated
  [ "$stderr" = "policy-promote: the candidates' recorded profiles disagree: the probe pinned debug, the KMS reported 'locked-read-only' (ADR-0001)" ]
  candidates other '.profile = "debug-read-only" | .provenance.measured_profile = "debug-read-only"'
  run -1 --separate-stderr promote --candidates other --allow-simulated
  [ "$stderr" = "policy-promote: the candidates are for profile debug-read-only, not debug: candidates never cross profiles (ADR-0001)" ]
  [ "$(git -C repo for-each-ref refs/heads | wc -l)" -eq 1 ]
}

@test "simulated candidates need --allow-simulated and never go into locked-read-only; unverified ones never go" {
  run -1 --separate-stderr promote --candidates probe
  [[ "$stderr" == *"the candidates are simulated (source sim, not TDX hardware): promoting them into debug needs --allow-simulated"* ]]
  candidates locked '.profile = "locked-read-only" | .provenance.measured_profile = "locked-read-only"'
  run -1 --separate-stderr policy-promote --profile locked-read-only --key "$KEYS/test.pub" --repo-dir repo --work work \
    --candidates locked --allow-simulated
  [ "$stderr" = "policy-promote: the candidates are simulated (source sim): they are never promoted into locked-read-only" ]
  candidates unverified '.provenance.unverified = true'
  run -1 --separate-stderr promote --candidates unverified --allow-simulated
  [[ "$stderr" == *"not marked verified"* ]]
}

@test "real hardware candidates into locked-read-only: the legacy copy follows, policy-lint passes" {
  candidates real '.profile = "locked-read-only" | .source = "phala" | .provenance.simulated = false
    | .provenance.measured_profile = "locked-read-only" | .provenance.verification.root_ca = {builtin: true, intel: true,
      sha256: "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3", subject: "CN=Intel SGX Root CA"}'
  run -0 --separate-stderr policy-promote --profile locked-read-only --key "$KEYS/test.pub" --repo-dir repo --work work \
    --candidates real
  b=$(jq -r .branch <<<"$output")
  [ "$(git -C repo diff --name-only master "$b" | sort | paste -sd ' ')" = \
    "policies/kms-phala-attestation-policy.json policies/kms-phala-attestation-policy.locked-read-only.json" ]
  cmp <(git -C repo show "$b:policies/kms-phala-attestation-policy.json") \
    <(git -C repo show "$b:policies/kms-phala-attestation-policy.locked-read-only.json")
  run -0 policy-lint work/policies/*.json
}

@test "the release tag: from the candidates, or --release-tag, which must agree with them" {
  run -1 --separate-stderr promote --candidates probe --allow-simulated --release-tag 2.3.41
  [ "$stderr" = "policy-promote: the candidates were measured on KMS 2.3.40, not on the release 2.3.41" ]
  run -0 --separate-stderr promote --candidates probe --allow-simulated --release-tag mero-kms-v2.3.40
  [ "$(jq -r .branch <<<"$output")" = "$BRANCH" ]
  run -2 --separate-stderr promote --candidates probe --release-tag 'v1;rm'
  [[ "$stderr" == *"--release-tag must be a KMS version"* ]]
}

@test "policy-merge's refusals and policy-lint's findings stop the promotion before any commit" {
  candidates tcb '.policy.allowed_tcb_statuses = ["outofdate"] | .provenance.verification.status = "OutOfDate"'
  run -1 --separate-stderr promote --candidates tcb --allow-simulated
  [[ "$stderr" == *"policy-promote: policy-merge refused the candidates: policy-merge: "*"outofdate"* ]]
  # another profile's file at HEAD that does not lint
  jq '.policy.node_allowed_mrtd = ["ABC"]' "$ROOT/policies/kms-phala-attestation-policy.debug-read-only.json" \
    > repo/policies/kms-phala-attestation-policy.debug-read-only.json
  git -C repo -c user.name=t -c user.email=t@t commit -qam "a bad value"
  run -1 --separate-stderr promote --candidates probe --allow-simulated
  [[ "$stderr" == *"kms-phala-attestation-policy.debug-read-only.json:"*"[measurement-hex]"* ]]
  [[ "$stderr" == *"policy-promote: policy-lint finds errors in the promoted policy files (listed above): "* ]]
  [ "$(git -C repo for-each-ref refs/heads | wc -l)" -eq 1 ]
}

@test "malformed candidates (signed, so the signature passes) exit 65" {
  printf 'not json\n' > probe/measurement-policy-candidates.json
  sign probe/measurement-policy-candidates.json
  run -65 --separate-stderr promote --candidates probe --allow-simulated
  [[ "$stderr" == "policy-promote: the candidates are not JSON: "* ]]
  candidates upstream 'del(.role) | del(.profile)'
  run -65 --separate-stderr promote --candidates upstream --allow-simulated
  [ "$stderr" = "policy-promote: the candidates have no role (a string): not mrtd-extract's candidates" ]
}

@test "usage: the candidates or a run, one of them; --run-id and --push need the repository" {
  run -2 --separate-stderr policy-promote --candidates probe
  [[ "$stderr" == "policy-promote: --profile is required"* ]]
  run -2 --separate-stderr promote
  [[ "$stderr" == "policy-promote: give either --candidates or --run-id"* ]]
  run -2 --separate-stderr promote --candidates probe --run-id 5 --repo o/r
  [[ "$stderr" == "policy-promote: give either --candidates or --run-id"* ]]
  run -2 --separate-stderr promote --run-id 5
  [[ "$stderr" == "policy-promote: --run-id needs the repository: --repo OWNER/NAME or GITHUB_REPOSITORY"* ]]
  run -2 --separate-stderr promote --run-id x --repo o/r
  [[ "$stderr" == "policy-promote: --run-id must be a workflow run id"* ]]
  run -2 --separate-stderr promote --candidates probe --repo 'o/r;x'
  [[ "$stderr" == "policy-promote: the repository must be OWNER/NAME"* ]]
  run -2 --separate-stderr promote --candidates probe --base '../x'
  [[ "$stderr" == "policy-promote: --base must be a branch name"* ]]
  run -2 --separate-stderr policy-promote --profile Sideways --candidates probe
  [[ "$stderr" == "policy-promote: --profile must be debug, debug-read-only or locked-read-only (got 'Sideways')"* ]]
}

@test "> /dev/full: exit 74, the branch made (the receipt is what failed)" {
  run -74 --separate-stderr bash -c 'policy-promote --profile debug --key "$1" --repo-dir repo --work work \
    --candidates probe --allow-simulated > /dev/full' _ "$KEYS/test.pub"
  [[ "$stderr" == *"policy-promote: "*"write"* ]]
  git -C repo rev-parse --verify -q "$BRANCH"
}

# ---- with the fake GitHub API

@test "--push: the branch pushed to GitHub, the pull request opened, labelled, its body holding the signed candidates" {
  promote_fake
  remote_push repo master
  run -0 --separate-stderr env GITHUB_TOKEN="$GH_TOKEN_VALUE" policy-promote --profile debug --key "$KEYS/test.pub" \
    --repo-dir repo --work work --candidates probe --allow-simulated --push --draft
  [ "$(jq -c .pull_request <<<"$output")" = '{"action":"created","draft":true,"html_url":"https://github.invalid/o/r/pull/1","number":1}' ]
  [ "$(jq -r .pushed <<<"$output")" = true ]
  [ "$(head_of "$BRANCH")" = "$(jq -r .commit <<<"$output")" ]
  run -0 gh_state
  pr=$(jq '.repos["o/r"].pulls["1"]' <<<"$output")
  [ "$(jq -r '[.title, .base.ref, .head.ref, .draft, ([.labels[].name] | join(","))] | @tsv' <<<"$pr")" = \
    "$(printf 'chore(policy): promote KMS policy candidate for 2.3.40\tmaster\t%s\ttrue\tpolicy-promotion' "$BRANCH")" ]
  jq -j .body <<<"$pr" | cmp - work/pr-body.md
}

@test "--push again with the same candidates updates the pull request instead of opening a second" {
  promote_fake
  remote_push repo master
  : > "$GH_LOG"
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -0 --separate-stderr promote --candidates probe --allow-simulated --push
  [ "$(jq -r .pull_request.action <<<"$output")" = created ]
  run -0 --separate-stderr promote --candidates probe --allow-simulated --push
  [ "$(jq -r '[.pull_request.action, .pull_request.number, .pushed] | @tsv' <<<"$output")" = "$(printf 'updated\t1\tfalse')" ]
  run -0 gh_state
  [ "$(jq '.repos["o/r"].pulls | length' <<<"$output")" -eq 1 ]
  # one push of the branch, one pull request created, one update
  [ "$(gh_requests | grep -c '^POST /o/r.git/git-receive-pack 200$')" -eq 1 ]
  [ "$(gh_requests | grep -c '^POST /repos/o/r/pulls 201$')" -eq 1 ]
  [ "$(gh_requests | grep -c '^PATCH /repos/o/r/pulls/1 200$')" -eq 1 ]
}

@test "Actions may not open pull requests: the branch stays pushed and the compare URL is printed" {
  promote_fake
  gh_seed '{"repos": {"o/r": {"actions_can_create_pr": false}}}'
  remote_push repo master
  run -0 --separate-stderr env GITHUB_TOKEN="$GH_TOKEN_VALUE" policy-promote --profile debug --key "$KEYS/test.pub" \
    --repo-dir repo --work work --candidates probe --allow-simulated --push
  url="$GH_URL/o/r/compare/master...$BRANCH?expand=1"
  [ "$(jq -r '[.pull_request, .compare_url, .pushed] | @tsv' <<<"$output")" = "$(printf '\t%s\ttrue' "$url")" ]
  [[ "$stderr" == *"the API refused to open the pull request (HTTP 403: GitHub Actions is not permitted to create or approve pull requests.): the branch is pushed; open it here: $url"* ]]
  [ "$(head_of "$BRANCH")" = "$(jq -r .commit <<<"$output")" ]
}

@test "--push without a token: the local commit is made, what it would send is printed, exit 78" {
  promote_fake
  run -78 --separate-stderr promote --candidates probe --allow-simulated --push
  [[ "$stderr" == *"no GitHub token (GITHUB_TOKEN or GH_TOKEN): the branch $BRANCH stays local; the pull request would be \"chore(policy): promote KMS policy candidate for 2.3.40\" into master, labelled policy-promotion"* ]]
  [[ "$stderr" == *"policy-promote: --push needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN" ]]
  git -C repo rev-parse --verify -q "$BRANCH"
  [ -z "$output" ]
}

@test "--run-id: the run's probe-artifacts zip through the Actions API, unpacked, verified and promoted" {
  promote_fake
  local files
  files=$(jq -n --rawfile c probe/measurement-policy-candidates.json --rawfile s probe/measurement-policy-candidates.json.sig \
    --rawfile r probe/probe-report.md --rawfile rs probe/probe-report.md.sig \
    '{"measurement-policy-candidates.json": $c, "measurement-policy-candidates.json.sig": $s,
      "probe-report.md": $r, "probe-report.md.sig": $rs, "attestation-quote.bin": "x"}')
  gh_seed "$(jq -n --argjson f "$files" '{repos: {"o/r": {runs: [
    {id: 4242, artifacts: [{name: "probe-artifacts-debug", files: $f}, {name: "probe-artifacts-locked-read-only", files: {}}]},
    {id: 4343, artifacts: [{name: "probe-artifacts", files: ($f | with_entries(.key = "debug/" + .key))}]},
    {id: 4444, artifacts: [{name: "probe-artifacts-debug", files: $f, expired: true}]},
    {id: 4545, artifacts: [{name: "other", files: $f}]}]}}}')"
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -0 --separate-stderr promote --run-id 4242 --allow-simulated
  [ "$(jq -r '[.branch, .candidates.run_id, .probe_report.included] | @tsv' <<<"$output")" = \
    "$(printf 'automation/kms-policy-2.3.40-4242\t4242\ttrue')" ]
  cmp work/run-4242/measurement-policy-candidates.json probe/measurement-policy-candidates.json
  [ ! -e work/run-4242/attestation-quote.bin ]
  grep -qF "probe run [4242]($GH_URL/o/r/actions/runs/4242)" work/pr-body.md
  # the seed's manual flow names the artifact probe-artifacts; its files may sit in a folder
  run -0 --separate-stderr promote --run-id 4343 --allow-simulated
  [ "$(jq -r .branch <<<"$output")" = automation/kms-policy-2.3.40-4343 ]
  run -66 --separate-stderr promote --run-id 4444 --allow-simulated
  [ "$stderr" = "policy-promote: the artifact probe-artifacts-debug of workflow run 4444 has expired" ]
  run -66 --separate-stderr promote --run-id 4545 --allow-simulated
  [ "$stderr" = "policy-promote: workflow run 4545 has no artifact named probe-artifacts-debug or probe-artifacts" ]
  run -76 --separate-stderr promote --run-id 9999 --allow-simulated
  [ "$stderr" = "policy-promote: GET $GH_URL/repos/o/r/actions/runs/9999/artifacts: HTTP 404: Not Found" ]
}

@test "a run's artifact that is not a zip, or whose candidates are tampered with, is refused" {
  promote_fake
  gh_seed "$(jq -n --rawfile s probe/measurement-policy-candidates.json.sig '{repos: {"o/r": {runs: [
    {id: 7, artifacts: [{name: "probe-artifacts-debug", files: {"measurement-policy-candidates.json": "{}\n",
      "measurement-policy-candidates.json.sig": $s}}]},
    {id: 8, artifacts: [{name: "probe-artifacts-debug", files: {"probe-report.md": "x"}}]}]}}}')"
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -1 --separate-stderr promote --run-id 7 --allow-simulated
  [[ "$stderr" == *"does not verify with $KEYS/test.pub"* ]]
  run -66 --separate-stderr promote --run-id 8 --allow-simulated
  [ "$stderr" = "policy-promote: the artifact probe-artifacts-debug of workflow run 8 holds no measurement-policy-candidates.json" ]
}

@test "GitHub failures: 401 77, 403 77 with the API's message, 5xx and rate limits past the bound 75, a dropped connection retried" {
  promote_fake
  remote_push repo master
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -77 --separate-stderr env GITHUB_TOKEN=wrong policy-promote --profile debug --key "$KEYS/test.pub" --repo-dir repo \
    --work work --candidates probe --allow-simulated --push
  [[ "$stderr" == *"policy-promote: GET $GH_URL/repos/o/r/git/ref/heads/$BRANCH: HTTP 401: Bad credentials (the token in GITHUB_TOKEN was refused)" ]]
  gh_fault '{"action": "403", "path": "/pulls$", "message": "Resource not accessible by integration"}'
  run -77 --separate-stderr promote --candidates probe --allow-simulated --push
  [[ "$stderr" == *"policy-promote: GET $GH_URL/repos/o/r/pulls: HTTP 403: Resource not accessible by integration" ]]
  gh_fault '{"action": "502", "path": "/pulls$", "times": -1}'
  run -75 --separate-stderr promote --candidates probe --allow-simulated --push
  [[ "$stderr" == *"GET $GH_URL/repos/o/r/pulls?"*": HTTP 502 (after 4 attempts)" ]]
  gh_ctl DELETE /_fake/faults
  gh_fault '{"action": "429", "path": "/labels$", "retry_after": 30}'
  run -75 --separate-stderr env GITHUB_WAIT_MAX=5 policy-promote --profile debug --key "$KEYS/test.pub" --repo-dir repo \
    --work work --candidates probe --allow-simulated --push
  [[ "$stderr" == *"secondary rate limit (Retry-After 30 s): waiting 30 s more would pass GITHUB_WAIT_MAX (5 s); retry later" ]]
  gh_fault '[{"action": "close", "path": "/pulls$"}, {"action": "primary", "path": "/labels$", "reset_in": 0}]'
  run -0 --separate-stderr promote --candidates probe --allow-simulated --push
  [ "$(jq -r .pull_request.number <<<"$output")" = 1 ]
  [[ "$stderr" == *"primary rate limit exhausted"* ]]
}

@test "the token is in no command line (strace) and in nothing the run wrote" {
  command -v strace >/dev/null
  promote_fake
  remote_push repo master
  # (LeakSanitizer cannot run under a tracer: the SAN=1 build runs without it here)
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" GITHUB_TOKEN="$GH_TOKEN_VALUE" \
    strace -f -qq -s 4096 -e trace=execve -o "$T/execve.log" policy-promote --profile debug --key "$KEYS/test.pub" \
    --repo-dir repo --work work --candidates probe --allow-simulated --push > out.json 2> err.txt
  jq -e '.pull_request.number == 1' out.json
  # git ran (the push went through git), and no process saw the token in its arguments
  grep -q 'execve("[^"]*git", \["git", "-C", "[^"]*", "-c", "credential.helper=", "-c", "credential.helper=!f()' execve.log
  run -1 grep -qF "$GH_TOKEN_VALUE" execve.log
  # nothing written anywhere holds it: outputs, the work folder, the repository, the fake's log and repository
  run grep -rlF "$GH_TOKEN_VALUE" out.json err.txt work repo "$GH_LOG" "$T/git"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  grep -qF 'Bearer [redacted]' "$GH_LOG"
}
