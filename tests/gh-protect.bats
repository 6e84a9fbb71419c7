#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# gh-protect against the fake GitHub API: the protection read first, the
# difference printed, set only when it differs, what it does not manage kept.

load test_helper
load lib/fake-github

setup() {
  fake_github_start
  gh_seed '{"repos": {"o/r": {}}}'
  export GITHUB_TOKEN="$GH_TOKEN_VALUE" GITHUB_REPOSITORY=o/r
  unset GH_TOKEN GITHUB_WAIT_MAX
}
teardown() { stop_servers; }

protection() { gh_state | jq -c --arg b "${1:-master}" '.repos["o/r"].protection[$b]'; }

WANT='{"allow_deletions":false,"allow_force_pushes":false,"allow_fork_syncing":false,"block_creations":false,"enforce_admins":true,"lock_branch":false,"required_conversation_resolution":false,"required_linear_history":false,"required_pull_request_reviews":{"dismiss_stale_reviews":true,"require_code_owner_reviews":true,"require_last_push_approval":false,"required_approving_review_count":2},"required_status_checks":{"contexts":["check","lint","policy-gate"],"strict":true},"restrictions":null}'

@test "an unprotected branch: the dry run prints every change and sets nothing; then it is set; then nothing to change" {
  run -0 --separate-stderr gh-protect --check policy-gate --check check --check lint --dry-run
  [ "$(jq -c .after <<<"$output")" = "$WANT" ]
  [ "$(jq -r '[.before, .applied, (.changes | length)] | @tsv' <<<"$output")" = "$(printf '\tfalse\t14')" ]
  [[ "$stderr" == *"gh-protect: required_status_checks.contexts: null -> [\"check\",\"lint\",\"policy-gate\"]"* ]]
  [[ "$stderr" == *"gh-protect: required_pull_request_reviews.required_approving_review_count: null -> 2"* ]]
  [[ "$stderr" == *"gh-protect: o/r master: 14 changes (dry run: nothing changed)" ]]
  [ "$(protection)" = null ]
  [ -z "$(gh_requests | grep -v '^GET ')" ]
  run -0 --separate-stderr gh-protect --check policy-gate --check check --check lint
  [ "$(jq -r .applied <<<"$output")" = true ]
  [ "$(protection)" = "$WANT" ]
  : > "$GH_LOG"
  run -0 --separate-stderr gh-protect --check policy-gate --check check --check lint
  [ "$(jq -r '[.applied, (.changes | length)] | @tsv' <<<"$output")" = "$(printf 'false\t0')" ]
  [ "$stderr" = "gh-protect: o/r master: the protection is already in place: nothing to change" ]
  [ "$(gh_requests)" = "GET /repos/o/r/branches/master/protection 200" ]
}

@test "a protection in place: its other checks, a higher approval count, push restrictions and linear history are kept" {
  gh_seed '{"repos": {"o/r": {"protection": {"main": {"required_status_checks": {"strict": false, "contexts": ["build"]},
    "enforce_admins": false, "required_pull_request_reviews": {"required_approving_review_count": 3},
    "restrictions": {"users": ["bot"], "teams": ["release"], "apps": []}, "required_linear_history": true,
    "allow_force_pushes": true}}}}}'
  run -0 --separate-stderr gh-protect --branch main
  [ "$(jq -c .after.required_status_checks <<<"$output")" = '{"contexts":["build","check","policy-gate"],"strict":true}' ]
  p=$(protection main)
  [ "$(jq -c '[.required_pull_request_reviews.required_approving_review_count, .restrictions, .required_linear_history,
    .allow_force_pushes, .enforce_admins, .required_pull_request_reviews.dismiss_stale_reviews]' <<<"$p")" = \
    '[3,{"apps":[],"teams":["release"],"users":["bot"]},true,false,true,true]' ]
  [[ "$stderr" == *"gh-protect: allow_force_pushes: true -> false"* ]]
  [[ "$stderr" == *"gh-protect: enforce_admins: false -> true"* ]]
  [[ "$stderr" != *"restrictions"* ]]
}

@test "a token without admin rights: 403 is exit 77; no token 78; the API down 75" {
  gh_fault '{"action": "403", "path": "/protection$", "message": "Must have admin rights to Repository."}'
  run -77 --separate-stderr gh-protect
  [ "$stderr" = "gh-protect: GET $GH_URL/repos/o/r/branches/master/protection: HTTP 403: Must have admin rights to Repository." ]
  [ -z "$output" ]
  run -78 --separate-stderr env -u GITHUB_TOKEN gh-protect
  [ "$stderr" = "gh-protect: no GitHub token: set GITHUB_TOKEN or GH_TOKEN" ]
  gh_fault '{"action": "500", "path": "/protection$", "method": "PUT", "times": -1}'
  run -75 --separate-stderr gh-protect
  [[ "$stderr" == *"gh-protect: PUT $GH_URL/repos/o/r/branches/master/protection: HTTP 500 (after 4 attempts)" ]]
}

@test "usage: a branch name, status check names, --approvals 1 to 6, the repository" {
  run -2 --separate-stderr gh-protect --branch '../x'
  [[ "$stderr" == "gh-protect: --branch must be a branch name (got '../x')"* ]]
  run -2 --separate-stderr gh-protect --check 'a;b'
  [[ "$stderr" == "gh-protect: --check must name a status check"* ]]
  run -2 --separate-stderr gh-protect --approvals 9
  [[ "$stderr" == "gh-protect: --approvals must be 1 to 6 (got '9')"* ]]
  run -2 --separate-stderr env -u GITHUB_REPOSITORY gh-protect
  [[ "$stderr" == "gh-protect: the repository: --repo OWNER/NAME or GITHUB_REPOSITORY"* ]]
  run -74 --separate-stderr bash -c 'gh-protect --dry-run > /dev/full'
}
