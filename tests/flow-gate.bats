#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# The promotion flow of the seed, as make targets against the fake GitHub API:
# make probe (sim, debug) -> make promote PUSH=1 -> two security approvals ->
# make gate passes and posts the commit status; a later change request makes
# it fail; make protect requires it. And the workflows that run these targets.

load test_helper
load lib/fake-github
load lib/promote

setup_file() { promote_probe; }

setup() {
  KEYS="$BATS_FILE_TMPDIR/keys"
  A="$BATS_FILE_TMPDIR/a"
  T=$BATS_TEST_TMPDIR
  unset GH_TOKEN GITHUB_WAIT_MAX GITHUB_RUN_ID
  rm -rf "$A/promote" "$A/gate"
}
teardown() { stop_servers; }

open_promotion() {
  promote_fake
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  policy_repo "$T/repo"
  remote_push "$T/repo" master
  mk promote PROFILE=debug ALLOW_SIMULATED=1 COSIGN_PUB="$KEYS/test.pub" REPO_DIR="$T/repo" PUSH=1 > "$T/promote.json" 2>/dev/null
  BRANCH=$(jq -r .branch "$T/promote.json")
  HEAD=$(head_of "$BRANCH")
}

statuses() {
  gh_state | jq -r --arg h "$HEAD" '.repos["o/r"].statuses[$h] // [] | map("\(.context) \(.state)") | join(",")'
}

@test "probe (sim, debug) -> promote -> two security approvals -> make gate passes and posts success" {
  open_promotion
  [ "$(jq -r .pull_request.number "$T/promote.json")" = 1 ]
  export GITHUB_STEP_SUMMARY="$T/step-summary.md"
  # before the reviews: the gate fails, naming what is missing, and says so on the commit
  run -2 --separate-stderr mk gate PR=1 STATUS=1 COSIGN_PUB="$KEYS/test.pub"
  [[ "$stderr" == *"policy-gate:   NOT MET approvals: 0 of 2 required approvals"* ]]
  [[ "$stderr" == *"gate: FAIL (exit 1; the verdict: $A/gate/pr-1/verdict.json)"* ]]
  [ "$(statuses)" = "policy-gate failure" ]
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  run -0 --separate-stderr mk gate PR=1 STATUS=1 COSIGN_PUB="$KEYS/test.pub"
  [ "$output" = "gate: PASS (the verdict: $A/gate/pr-1/verdict.json)" ]
  [ "$(jq -r '[.pass, (.requirements | map(select(.met)) | length)] | @tsv' "$A/gate/pr-1/verdict.json")" = "$(printf 'true\t5')" ]
  [ "$(statuses)" = "policy-gate success,policy-gate failure" ]
  # the job summary got both runs' summaries
  [ "$(grep -c '^## Policy gate: ' "$GITHUB_STEP_SUMMARY")" -eq 2 ]
  [ "$(grep '^## Policy gate: ' "$GITHUB_STEP_SUMMARY" | paste -sd ,)" = "## Policy gate: FAIL,## Policy gate: PASS" ]
  # the token is in nothing the gate wrote or said
  [[ "$output$stderr" != *"$GH_TOKEN_VALUE"* ]]
  run grep -rlF "$GH_TOKEN_VALUE" "$A/gate" "$GITHUB_STEP_SUMMARY"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
}

@test "a later change request: make gate fails (exit 2) naming the approvals, and the status says failure" {
  open_promotion
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  review 1 "$TOK_BOB" REQUEST_CHANGES
  run -2 --separate-stderr mk gate PR=1 STATUS=1 COSIGN_PUB="$KEYS/test.pub"
  [[ "$stderr" == *"policy-gate: FAIL: o/r #1 at ${HEAD:0:12}: 4 of 5 requirements met"* ]]
  [ "$(jq -r '.unmet | length' "$A/gate/pr-1/verdict.json")" -eq 1 ]
  [ "$(statuses)" = "policy-gate failure" ]
  # a PR without PR= is refused before anything runs
  run -2 --separate-stderr mk gate
  [[ "$stderr" == "gate: PR=n (the pull request's number) is required"* ]]
}

# api METHOD PATH JSON: a call to the fake's REST API as the releaser, by hand (curl)
api() {
  curl -sS -f -X "$1" -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'User-Agent: tests' \
    -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' --data-binary "$3" "$GH_URL$2"
}

@test "the seed's manual flow: make promote CANDIDATES= without a token, the pull request opened by hand; the same gate" {
  promote_fake
  policy_repo "$T/repo"
  remote_push "$T/repo" master
  # the artifacts "downloaded" into a folder of their own; no token: the branch stays local
  cp -r "$A/probe/debug" "$T/downloaded"
  unset GITHUB_TOKEN
  run -0 --separate-stderr mk promote PROFILE=debug CANDIDATES="$T/downloaded" ALLOW_SIMULATED=1 \
    COSIGN_PUB="$KEYS/test.pub" REPO_DIR="$T/repo"
  BRANCH=$(jq -r .branch <<<"$output")
  [ "$(jq -r '[.pushed, .pull_request] | @tsv' <<<"$output")" = "$(printf 'false\t')" ]
  [[ "$stderr" == *"no GitHub token (GITHUB_TOKEN or GH_TOKEN): the branch $BRANCH stays local"* ]]
  run -0 gh_state
  [ "$(jq '.repos["o/r"].pulls | length' <<<"$output")" -eq 0 ]
  # by hand: the branch pushed, the pull request opened with the body make promote wrote, then labelled
  remote_push "$T/repo" "$BRANCH"
  HEAD=$(head_of "$BRANCH")
  api POST /repos/o/r/pulls "$(jq -n --arg h "$BRANCH" --rawfile b "$A/promote/debug/pr-body.md" \
    '{title: "policy: debug values from the staging probe", head: $h, base: "master", body: $b}')" > "$T/pr.json"
  n=$(jq -r .number "$T/pr.json")
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -2 --separate-stderr mk gate PR="$n" COSIGN_PUB="$KEYS/test.pub"
  [[ "$stderr" == *"NOT MET label: the pull request changes policies/ but does not carry the policy-promotion label"* ]]
  api POST "/repos/o/r/issues/$n/labels" '{"labels": ["policy-promotion"]}' > /dev/null
  review "$n" "$TOK_ALICE" APPROVE
  review "$n" "$TOK_BOB" APPROVE
  # the gate reads and, with STATUS=1, posts the one commit status: nothing else is written
  : > "$GH_LOG"
  run -0 --separate-stderr mk gate PR="$n" COSIGN_PUB="$KEYS/test.pub"
  [ "$output" = "gate: PASS (the verdict: $A/gate/pr-$n/verdict.json)" ]
  [ "$(jq -r '[.pass, ([.requirements[].id] | join(","))] | @tsv' "$A/gate/pr-$n/verdict.json")" = \
    "$(printf 'true\tlabel,lint,values,approvals,structure')" ]
  run -0 gh_requests
  [ -n "$output" ]
  [ -z "$(grep -v '^GET ' <<<"$output")" ]
  : > "$GH_LOG"
  run -0 --separate-stderr mk gate PR="$n" STATUS=1 COSIGN_PUB="$KEYS/test.pub"
  run -0 gh_requests
  [ "$(grep -v '^GET ' <<<"$output")" = "POST /repos/o/r/statuses/$HEAD 201" ]
  [ "$(statuses)" = "policy-gate success" ]
}

@test "make protect: the dry run changes nothing; then the gate, CI and reviews are required; again, nothing to change" {
  promote_fake
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  run -0 --separate-stderr mk protect DRY_RUN=1
  [[ "$stderr" == *"gh-protect: required_status_checks.contexts: null -> [\"check\",\"lint\",\"policy-gate\"]"* ]]
  [ "$(gh_state | jq -c '.repos["o/r"].protection')" = '{}' ]
  run -0 --separate-stderr mk protect BRANCH=master
  [ "$(gh_state | jq -c '.repos["o/r"].protection.master | [.required_status_checks.contexts, .required_pull_request_reviews.required_approving_review_count, .required_pull_request_reviews.require_code_owner_reviews, .required_pull_request_reviews.dismiss_stale_reviews, .allow_force_pushes]')" = \
    '[["check","lint","policy-gate"],2,true,true,false]' ]
  run -0 --separate-stderr mk protect BRANCH=master
  [ "$stderr" = "gh-protect: o/r master: the protection is already in place: nothing to change" ]
}

@test "the workflows: the promotion by hand, the probe's follow-up job, the gate on pull requests and reviews, lint in CI" {
  run -0 python3 -c '
import sys, yaml
W = sys.argv[1] + "/.github/workflows/"
def load(n):
    d = yaml.safe_load(open(W + n))
    return d, d.get("on", d.get(True))
d, on = load("kms-phala-policy-promotion-pr.yaml")
inputs = on["workflow_dispatch"]["inputs"]
assert {"probe_run_id", "profile", "release_tag", "base_branch", "draft_pr"} <= set(inputs), inputs
assert inputs["base_branch"]["default"] == "master"
assert inputs["profile"]["options"] == ["debug", "debug-read-only", "locked-read-only"]
step = d["jobs"]["promote"]["steps"][-2]
assert step["run"] == "make promote" and step["env"]["RUN_ID"] == "${{ inputs.probe_run_id }}", step
assert step["env"]["PUSH"] == "1" and "inputs.draft_pr" in step["env"]["DRAFT"]
assert d["permissions"]["pull-requests"] == "write" and d["permissions"]["actions"] == "read"
d, on = load("kms-phala-staging-probe.yaml")
job = d["jobs"]["promote"]
assert job["needs"] == "probe" and "success()" in job["if"]
assert job["steps"][-1]["run"] == "make promote" and job["steps"][-1]["env"]["RUN_ID"] == "${{ github.run_id }}"
d, on = load("kms-policy-gate.yaml")
assert set(on["pull_request"]["types"]) == {"opened", "synchronize", "reopened", "labeled", "unlabeled", "edited"}
assert set(on["pull_request_review"]["types"]) == {"submitted", "dismissed"}
steps = d["jobs"]["gate"]["steps"]
assert steps[0]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}", "the base gate judges"
assert steps[-1]["run"] == "make gate" and steps[-1]["env"]["STATUS"] == "1"
assert steps[-1]["env"]["PR"] == "${{ github.event.pull_request.number }}"
assert d["permissions"]["statuses"] == "write" and d["permissions"]["contents"] == "read"
d, on = load("ci.yaml")
steps = d["jobs"]["lint"]["steps"]
assert steps[1]["run"] == "make deps" and steps[2]["with"]["fetch-depth"] == 0
assert steps[-1]["run"] == "make lint LINT_FORMAT=github"
print("ok")' "$ROOT"
  [ "$output" = ok ]
  # CODEOWNERS routes policies/ to the security team, the gate and the schema to architecture too
  grep -qx '/policies/ *@calimero-network/security' "$ROOT/.github/CODEOWNERS"
  grep -qx '/filters/policy-gate/ *@calimero-network/security @calimero-network/architecture' "$ROOT/.github/CODEOWNERS"
  grep -qx '/filters/lib/policy.h *@calimero-network/security @calimero-network/architecture' "$ROOT/.github/CODEOWNERS"
  # the project's public key is a P-256 key cosign-wrap reads
  run -1 --separate-stderr cosign-wrap verify --key "$ROOT/cosign.pub" --signature "$A/probe/debug/probe-report.md.sig" \
    < "$A/probe/debug/probe-report.md"
}
