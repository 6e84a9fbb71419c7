#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# policy-gate against the fake GitHub API: a promotion pull request opened by
# policy-promote (or edited by hand), reviews, teams, and every way the gate
# says no, each naming its reason.

load test_helper
load lib/fake-github
load lib/promote

setup_file() {
  promote_keys "$BATS_FILE_TMPDIR/keys"
}

BRANCH=automation/kms-policy-2.3.40-c4fd2cc1f523
DEBUG=policies/kms-phala-attestation-policy.debug.json

setup() {
  KEYS="$BATS_FILE_TMPDIR/keys"
  T=$BATS_TEST_TMPDIR
  unset GH_TOKEN GITHUB_WAIT_MAX SOURCE_DATE_EPOCH
  cd "$T" || return
  promote_fake
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  policy_repo repo
  remote_push repo master
  candidates probe
  # pull request #1: the promotion of a simulated debug probe, by releaser
  policy-promote --profile debug --key "$KEYS/test.pub" --repo-dir repo --work work --candidates probe \
    --allow-simulated --push > promote.json 2>/dev/null
  HEAD=$(head_of "$BRANCH")
}
teardown() { stop_servers; }

gate() {
  policy-gate --repo o/r --pr "${PRN:-1}" --key "$KEYS/test.pub" --work "$T/gate" "$@"
}

# the requirement ID of the last verdict: "met|NOT MET detail"
req() {
  jq -r --arg id "$1" '.requirements[] | select(.id == $id) | "\(if .met then "met" else "NOT MET" end) \(.detail)"' <<<"$output"
}

# reseed_pr REVIEWS [LABELS] [BODYFILE] [BRANCH] [AUTHOR]: pull request #PRN (1) as given
reseed_pr() {
  local body
  body=$(cat "${3:-work/pr-body.md}")
  pr_seed "$(jq -n --argjson n "${PRN:-1}" --argjson r "$1" --argjson l "${2:-[\"policy-promotion\"]}" \
    --arg b "$body" --arg h "${4:-$BRANCH}" --arg u "${5:-releaser}" \
    '{number: $n, head: {ref: $h}, base: {ref: "master"}, body: $b, labels: $l, reviews: $r, user: $u}')"
}

approved() { # approved LOGIN... on the head commit
  local l out=()
  for l in "$@"; do out+=("$(jq -n --arg u "$l" --arg c "$HEAD" '{user: $u, state: "APPROVED", commit_id: $c}')"); done
  printf '%s\n' "${out[@]}" | jq -s -c .
}

# edit_branch NAME JQ: a branch off the promotion branch whose debug file is changed by JQ, pushed
edit_branch() {
  git -C repo checkout -q -b "$1" "$BRANCH"
  jq --indent 2 -S "$2" "repo/$DEBUG" > edited.json && mv edited.json "repo/$DEBUG"
  git -C repo -c user.name=t -c user.email=t@t commit -qam "edit by hand"
  git -C repo checkout -q master
  remote_push repo "$1"
  HEAD=$(head_of "$1")
}

@test "a promotion with two security-team approvals of the head commit passes, with every requirement met" {
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  : > "$GH_LOG"
  run -0 --separate-stderr gate
  [ "$(jq -r '[.pass, .head_sha, .author, (.requirements | map(.id) | join(","))] | @tsv' <<<"$output")" = \
    "$(printf 'true\t%s\treleaser\tlabel,lint,values,approvals,structure' "$HEAD")" ]
  [ "$(req values)" = "met all 6 added values are in verified signed evidence of their profile" ]
  [[ "$(req approvals)" == "met 2 of 2 required approvals of the head commit from distinct members of calimero-network/security"* ]]
  [ "$(req structure)" = "met no structural change: only allowlist values and provenance" ]
  # the evidence: the values, what backs each, the verified candidates
  [ "$(jq '[.requirements[] | select(.id == "values") | .evidence.added[] | select(.backed_by | startswith("signed candidates #1"))] | length' <<<"$output")" -eq 6 ]
  [ "$(jq -r '.requirements[] | select(.id == "values") | .evidence.candidates[0] | [.signature, .profile, .source] | @tsv' <<<"$output")" = \
    "$(printf 'verified\tdebug\tsim')" ]
  [[ "$stderr" == "policy-gate: PASS: o/r #1 at ${HEAD:0:12}: 5 of 5 requirements met"* ]]
  cmp <(printf '%s\n' "$output") gate/verdict.json
  grep -qx '## Policy gate: PASS' gate/summary.md
  # read-only: nothing but GETs (no status without --status)
  [ -z "$(gh_requests | grep -v '^GET ')" ]
}

@test "approvals that do not count: one approval, two from one person, the author's own, a non-member's" {
  review 1 "$TOK_ALICE" APPROVE
  run -1 --separate-stderr gate
  [[ "$(req approvals)" == "NOT MET 1 of 2 required approvals"* ]]
  [ "$(jq -r '.unmet | join("|")' <<<"$output")" = "$(req approvals | sed 's/^NOT MET /approvals: /')" ]
  review 1 "$TOK_ALICE" APPROVE
  run -1 --separate-stderr gate
  [[ "$(req approvals)" == "NOT MET 1 of 2 required approvals"* ]]
  reseed_pr "$(approved alice releaser)"
  run -1 --separate-stderr gate
  [[ "$(req approvals)" == "NOT MET 1 of 2 required approvals"* ]]
  [ "$(jq -r '.requirements[] | select(.id == "approvals") | .evidence[] | select(.login == "releaser") | .why_not' <<<"$output")" = \
    "the author's own approval does not count" ]
  reseed_pr "$(approved alice mallory)"
  run -1 --separate-stderr gate
  [ "$(jq -r '.requirements[] | select(.id == "approvals") | .evidence[] | select(.login == "mallory") | .why_not' <<<"$output")" = \
    "not a member of calimero-network/security" ]
  [[ "$stderr" == *"policy-gate:   NOT MET approvals: 1 of 2 required approvals"* ]]
}

@test "an approval of an older commit is stale; a later change request or a dismissal cancels one; a comment does not" {
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  # a new commit on the branch: both approvals are of the old head
  edit_branch fixup '.generated_at = "2026-01-02T00:00:00Z"'
  remote_push repo "fixup:$BRANCH"
  HEAD=$(head_of "$BRANCH")
  run -1 --separate-stderr gate
  [[ "$(req approvals)" == "NOT MET 0 of 2 required approvals"* ]]
  [[ "$(jq -r '.requirements[] | select(.id == "approvals") | .evidence[0].why_not' <<<"$output")" == "the approval is of an older commit ("*"), not the head" ]]
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  review 1 "$TOK_BOB" COMMENT
  run -0 --separate-stderr gate
  review 1 "$TOK_BOB" REQUEST_CHANGES
  run -1 --separate-stderr gate
  [ "$(jq -r '.requirements[] | select(.id == "approvals") | .evidence[] | select(.login == "bob") | .why_not' <<<"$output")" = \
    "the latest review is CHANGES_REQUESTED" ]
  reseed_pr "$(jq -n --arg c "$HEAD" '[{user: "alice", state: "APPROVED", commit_id: $c}, {user: "bob", state: "DISMISSED", commit_id: $c}]')"
  run -1 --separate-stderr gate
  [ "$(jq -r '.requirements[] | select(.id == "approvals") | .evidence[] | select(.login == "bob") | .why_not' <<<"$output")" = \
    "the latest review is a dismissed approval" ]
}

@test "no policy-promotion label: the gate fails, and the label is no way around the checks" {
  reseed_pr "$(approved alice bob)" '["bug"]'
  run -1 --separate-stderr gate
  [ "$(req label)" = "NOT MET the pull request changes policies/ but does not carry the policy-promotion label" ]
  [ "$(jq -r '.requirements | map(select(.met | not) | .id) | join(",")' <<<"$output")" = label ]
}

@test "a value typed by hand is in no signed candidates: the gate names it" {
  extra=$(hex96 typed-by-hand)
  edit_branch by-hand ".policy.kms_allowed_mrtd += [\"$extra\"]"
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work/pr-body.md by-hand
  run -1 --separate-stderr gate
  [[ "$(req values)" == "NOT MET 1 of 7 added values are in no verified signed candidates of their profile (nor a verified node release): $DEBUG kms_allowed_mrtd '${extra:0:16}...'; signed candidates #1 are of profile debug" ]]
  [ "$(jq -r --arg v "$extra" '.requirements[] | select(.id == "values") | .evidence.added[] | select(.value == $v) | .backed_by' <<<"$output")" = null ]
}

@test "a candidates block edited after signing does not verify: none of its values count" {
  mrtd=$(jq -r '.policy.allowed_mrtd[0]' probe/measurement-policy-candidates.json)
  sed "s/\"$mrtd\"/\"$(hex96 other)\"/" work/pr-body.md > tampered.md
  run -1 cmp -s tampered.md work/pr-body.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' tampered.md
  run -1 --separate-stderr gate
  [[ "$(req values)" == "NOT MET 6 of 6 added values are in no verified signed candidates"*"; signed candidates #1: the signature does not verify with $KEYS/test.pub: "* ]]
  # signed by another key: the same
  candidates other
  sign other/measurement-policy-candidates.json "$KEYS/other.key"
  policy-promote --profile debug --key "$KEYS/other.pub" --repo-dir repo --work work2 --candidates other --allow-simulated \
    > /dev/null 2>&1
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work2/pr-body.md
  run -1 --separate-stderr gate
  [[ "$(req values)" == *"signed candidates #1: the signature does not verify with $KEYS/test.pub"* ]]
  # no candidates at all
  printf 'values typed by hand\n' > empty.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' empty.md
  run -1 --separate-stderr gate
  [[ "$(req values)" == *"; the body holds no signed candidates and names no node release" ]]
}

@test "candidates of another profile, simulated candidates for locked-read-only: they back nothing" {
  candidates dro '.profile = "debug-read-only" | .provenance.measured_profile = "debug-read-only"'
  { echo "candidates of debug-read-only"; echo '<!-- mero-policy:signed-candidates -->'; echo '````json'
    cat dro/measurement-policy-candidates.json; echo '````'; echo '````text'; cat dro/measurement-policy-candidates.json.sig
    echo; echo '````'; echo '<!-- /mero-policy:signed-candidates -->'; } > dro.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' dro.md
  run -1 --separate-stderr gate
  [[ "$(req values)" == "NOT MET 6 of 6 added values"*"; signed candidates #1 are of profile debug-read-only" ]]
  # the same values, simulated, in locked-read-only
  git -C repo checkout -q -b locked master
  jq --indent 2 -S --slurpfile c probe/measurement-policy-candidates.json \
    '.policy.kms_allowed_mrtd = $c[0].policy.allowed_mrtd' "repo/policies/kms-phala-attestation-policy.locked-read-only.json" > l.json
  cp l.json repo/policies/kms-phala-attestation-policy.locked-read-only.json
  cp l.json repo/policies/kms-phala-attestation-policy.json
  git -C repo -c user.name=t -c user.email=t@t commit -qam "sim values into locked" && git -C repo checkout -q master
  remote_push repo locked
  HEAD=$(head_of locked)
  candidates lk '.profile = "locked-read-only" | .provenance.measured_profile = "locked-read-only"'
  { echo '<!-- mero-policy:signed-candidates -->'; echo '````json'; cat lk/measurement-policy-candidates.json; echo '````'
    echo '````text'; cat lk/measurement-policy-candidates.json.sig; echo; echo '````'; echo '<!-- /mero-policy:signed-candidates -->'; } > lk.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' lk.md locked
  run -1 --separate-stderr gate
  [[ "$(req values)" == "NOT MET 2 of 2 added values are in no verified signed candidates"* ]]
}

@test "a structural change fails without the architecture team's approval, and passes with it" {
  edit_branch structural '.source.workflow = "by hand" | .review_notes = "x" | del(.policy_registry_entry_path)'
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work/pr-body.md structural
  run -1 --separate-stderr gate
  [ "$(req structure)" = "NOT MET 3 structural changes (first: $DEBUG .policy_registry_entry_path (removed)) need an approval of the head commit from the architecture team (calimero-network/architecture)" ]
  [ "$(jq -r '.requirements[] | select(.id == "structure") | .evidence | map("\(.path) \(.change)") | join(",")' <<<"$output")" = \
    ".policy_registry_entry_path removed,.review_notes added,.source.workflow changed" ]
  [ "$(jq -r '.unmet | length' <<<"$output")" -eq 2 ] # and lint: a required field removed
  git -C repo checkout -q -b structural2 "$BRANCH"
  jq --indent 2 -S '.source.workflow = "by hand" | .review_notes = "x"' "repo/$DEBUG" > s.json && mv s.json "repo/$DEBUG"
  git -C repo -c user.name=t -c user.email=t@t commit -qam "structure" && git -C repo checkout -q master
  remote_push repo structural2
  HEAD=$(head_of structural2)
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work/pr-body.md structural2
  run -1 --separate-stderr gate
  [ "$(jq -r '.unmet | map(split(":")[0]) | join(",")' <<<"$output")" = structure ]
  reseed_pr "$(approved alice bob carol)" '["policy-promotion"]' work/pr-body.md structural2
  run -0 --separate-stderr gate
  [[ "$(req structure)" == "met 2 structural changes (first: "*"), approved by the architecture team (calimero-network/architecture)" ]]
}

@test "structural, as the issue names it: schema_version, kms, measurement_markers, a file removed, another file added" {
  edit_branch shape '.schema_version = 2 | .kms.attest_endpoint = "/attest2" | .measurement_markers.kms_role = "x"'
  git -C repo checkout -q shape
  git -C repo rm -q policies/kms-phala-attestation-policy.debug-read-only.json
  echo notes > repo/policies/NOTES.md
  git -C repo add policies/NOTES.md
  git -C repo -c user.name=t -c user.email=t@t commit -qm "files" && git -C repo checkout -q master
  remote_push repo shape
  HEAD=$(head_of shape)
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work/pr-body.md shape
  run -1 --separate-stderr gate
  [[ "$(req structure)" == "NOT MET 5 structural changes (first: "*") need an approval of the head commit from the architecture team (calimero-network/architecture)" ]]
  run -0 jq -r '.requirements[] | select(.id == "structure") | .evidence[] | "\(.file) \(.path // "-"): \(.change)"' <<<"$output"
  assert_output "policies/NOTES.md -: a file under policies/ that is not a policy file changes
policies/kms-phala-attestation-policy.debug-read-only.json -: the policy file is removed
$DEBUG .kms.attest_endpoint: changed
$DEBUG .measurement_markers.kms_role: changed
$DEBUG .schema_version: changed"
}

@test "node values from a release whose checksums signature verifies; not from one signed by another key" {
  local mrtd r0 r1 r2 r3
  mrtd=$(hex96 node-mrtd) r0=$(hex96 r0) r1=$(hex96 r1) r2=$(hex96 r2) r3=$(hex96 r3)
  jq -n --arg m "$mrtd" --arg a "$r0" --arg b "$r1" --arg c "$r2" --arg d "$r3" '{role: "node", tag: "0.3.0",
    profiles: {debug: {allowed_mrtd: [$m], allowed_rtmr0: [$a], allowed_rtmr1: [$b], allowed_rtmr2: [$c],
      allowed_rtmr3: [$d], allowed_tcb_statuses: ["uptodate"]}}}' > published-mrtds.json
  sha256sum published-mrtds.json > node-image-gcp-checksums.txt
  sign node-image-gcp-checksums.txt
  cp node-image-gcp-checksums.txt.sig good.sig
  sign node-image-gcp-checksums.txt "$KEYS/other.key"
  cp node-image-gcp-checksums.txt.sig bad.sig
  gh_seed "$(jq -n --rawfile p published-mrtds.json --rawfile s node-image-gcp-checksums.txt --rawfile g good.sig \
    --rawfile b bad.sig '{repos: {"o/r": {releases: [
      {tag_name: "mero-tee-v0.3.0", assets: [{name: "published-mrtds.json", content: $p},
        {name: "node-image-gcp-checksums.txt", content: $s}, {name: "node-image-gcp-checksums.txt.sig", content: $g}]},
      {tag_name: "mero-tee-v0.3.1", assets: [{name: "published-mrtds.json", content: $p},
        {name: "node-image-gcp-checksums.txt", content: $s}, {name: "node-image-gcp-checksums.txt.sig", content: $b}]}]}}}')"
  edit_branch node ".policy.node_allowed_mrtd = [\"$mrtd\"] | .policy.node_allowed_rtmr0 = [\"$r0\"]
    | .policy.node_allowed_rtmr3 = [\"$r3\"]"
  { cat work/pr-body.md; echo '<!-- mero-policy:node-release mero-tee-v0.3.0 -->'; } > node.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' node.md node
  run -0 --separate-stderr gate
  [ "$(jq -r --arg v "$mrtd" '.requirements[] | select(.id == "values") | .evidence.added[] | select(.value == $v) | .backed_by' <<<"$output")" = \
    "node release mero-tee-v0.3.0" ]
  cmp gate/releases/mero-tee-v0.3.0/published-mrtds.json published-mrtds.json
  sed 's/mero-tee-v0.3.0/mero-tee-v0.3.1/' node.md > node1.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' node1.md node
  run -1 --separate-stderr gate
  [[ "$(req values)" == "NOT MET 3 of 9 added values"*"; node release mero-tee-v0.3.1: the signature of node-image-gcp-checksums.txt does not verify with $KEYS/test.pub: "* ]]
  sed 's/mero-tee-v0.3.0/mero-tee-v9/' node.md > node9.md
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' node9.md node
  run -1 --separate-stderr gate
  [[ "$(req values)" == *"; node release mero-tee-v9: no published release has this tag" ]]
}

@test "the head's policy files must lint clean" {
  edit_branch badhex '.policy.kms_allowed_rtmr0 += ["ABCDEF"]'
  reseed_pr "$(approved alice bob)" '["policy-promotion"]' work/pr-body.md badhex
  run -1 --separate-stderr gate
  [ "$(req lint)" = "NOT MET policy-lint finds 1 error in the head's policy files" ]
  [ "$(jq -r '.requirements[] | select(.id == "lint") | .evidence[] | select(.severity == "error") | "\(.file) \(.rule)"' <<<"$output")" = \
    "$DEBUG measurement-hex" ]
}

@test "a pull request that changes nothing under policies/ passes without any of the policy requirements" {
  git -C repo checkout -q -b docs master
  echo notes > repo/NOTES.md
  git -C repo add NOTES.md && git -C repo -c user.name=t -c user.email=t@t commit -qm notes && git -C repo checkout -q master
  remote_push repo docs
  PRN=2 reseed_pr '[]' '[]' work/pr-body.md docs
  PRN=2 run -0 --separate-stderr gate
  [ "$(jq -r '[.pass, .policy_change, (.requirements | map(.id) | join(","))] | @tsv' <<<"$output")" = "$(printf 'true\tfalse\tpolicy')" ]
}

@test "--status posts the commit status policy-gate on the head: failure, then success" {
  export GITHUB_RUN_ID=77
  run -1 --separate-stderr gate --status
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  run -0 --separate-stderr gate --status
  run -0 gh_state
  [ "$(jq -r --arg h "$HEAD" '.repos["o/r"].statuses[$h] | map("\(.context) \(.state)") | join(",")' <<<"$output")" = \
    "policy-gate success,policy-gate failure" ]
  desc=$(jq -r --arg h "$HEAD" '.repos["o/r"].statuses[$h][1].description' <<<"$output")
  [[ "$desc" == "approvals: 0 of 2 required approvals of the head commit from distinct members of calimero-network/security"* ]]
  [ "${#desc}" -le 140 ]
  [ "$(jq -r --arg h "$HEAD" '.repos["o/r"].statuses[$h][0].target_url' <<<"$output")" = "$GH_URL/o/r/actions/runs/77" ]
}

@test "pagination: more than 100 changed files, more than 30 reviews, a team of more than 100 members" {
  local files reviews members
  files=$(jq -n --arg d "$DEBUG" '[range(0; 150) | {filename: "docs/f\(.).md", status: "added"}] + [{filename: $d}]')
  reviews=$(jq -n --arg h "$HEAD" '[range(0; 35) | {user: "commenter\(.)", state: "COMMENTED", commit_id: $h}]
    + [{user: "m120", state: "APPROVED", commit_id: $h}, {user: "m130", state: "APPROVED", commit_id: $h}]')
  members=$(jq -n '[range(0; 150) | "m\(.)"]')
  gh_seed "$(jq -n --argjson m "$members" '{teams: {"calimero-network/security": $m}}')"
  pr_seed "$(jq -n --argjson f "$files" --argjson r "$reviews" --arg b "$(cat work/pr-body.md)" --arg h "$BRANCH" \
    '{number: 1, head: {ref: $h}, base: {ref: "master"}, body: $b, labels: ["policy-promotion"], files: $f, reviews: $r, user: "releaser"}')"
  run -0 --separate-stderr gate
  [[ "$(req approvals)" == "met 2 of 2 "* ]]
  gh_requests > requests
  grep -q '^GET /repos/o/r/pulls/1/files 200$' requests
  [ "$(grep -c '^GET /repos/o/r/pulls/1/files 200$' requests)" -eq 2 ]
  [ "$(grep -c '^GET /orgs/calimero-network/teams/security/members 200$' requests)" -eq 2 ]
  [ "$(grep -c '^GET /repos/o/r/pulls/1/reviews 200$' requests)" -eq 1 ]
  # 37 reviews: at 100 a page one request; with pages of 30 (the default) two
  gh_seed '{"settings": {"max_per_page": 30}}'
  : > "$GH_LOG"
  run -0 --separate-stderr gate
  [ "$(gh_requests | grep -c '^GET /repos/o/r/pulls/1/reviews 200$')" -eq 2 ]
  [ "$(gh_requests | grep -c '^GET /orgs/calimero-network/teams/security/members 200$')" -eq 5 ]
}

# limited FAULT STATUS MAX: the gate under the fault alone, with GITHUB_WAIT_MAX=MAX, exits STATUS
limited() {
  gh_ctl DELETE /_fake/faults > /dev/null
  gh_fault "$1"
  run "-$2" --separate-stderr env GITHUB_WAIT_MAX="$3" policy-gate --repo o/r --pr 1 --key "$KEYS/test.pub" --work "$T/gate"
}

@test "GitHub failures: 401 77, 403 77, 5xx 75, primary and secondary rate limits past GITHUB_WAIT_MAX 75, another 4xx 76, a dropped connection retried" {
  run -77 --separate-stderr env GITHUB_TOKEN=nope policy-gate --repo o/r --pr 1 --key "$KEYS/test.pub" --work "$T/gate"
  [ "$stderr" = "policy-gate: GET $GH_URL/repos/o/r/pulls/1: HTTP 401: Bad credentials (the token in GITHUB_TOKEN was refused)" ]
  [ -z "$output" ]
  gh_fault '{"action": "403", "path": "/reviews$", "message": "Resource not accessible by integration"}'
  run -77 --separate-stderr gate
  [ "$stderr" = "policy-gate: GET $GH_URL/repos/o/r/pulls/1/reviews: HTTP 403: Resource not accessible by integration" ]
  gh_fault '{"action": "503", "path": "/compare/", "times": -1}'
  run -75 --separate-stderr gate
  [[ "$stderr" == "policy-gate: GET $GH_URL/repos/o/r/compare/"*": HTTP 503 (after 4 attempts)" ]]
  limited '{"action": "secondary", "path": "/files$", "retry_after": 60}' 75 1
  [[ "$stderr" == *"secondary rate limit (Retry-After 60 s): waiting 60 s more would pass GITHUB_WAIT_MAX (1 s); retry later" ]]
  # the primary limit (x-ratelimit-remaining 0) until a reset an hour away; a secondary limit without Retry-After
  limited '{"action": "primary", "path": "/reviews$", "reset_in": 3600}' 75 5
  [[ "$stderr" == "policy-gate: GET $GH_URL/repos/o/r/pulls/1/reviews: HTTP 403, primary rate limit exhausted (x-ratelimit-reset "*"): waiting "*" s more would pass GITHUB_WAIT_MAX (5 s); retry later" ]]
  [ -z "$output" ]
  limited '{"action": "secondary", "path": "/reviews$"}' 75 5
  [[ "$stderr" == *": HTTP 403, secondary rate limit: waiting 60 s more would pass GITHUB_WAIT_MAX (5 s); retry later" ]]
  # a primary limit whose reset has come: waited out, then the answer
  limited '{"action": "primary", "path": "/reviews$", "reset_in": 0}' 1 5
  [[ "$stderr" == *"primary rate limit exhausted"*", waiting "* ]]
  [ "$(jq -r .pass <<<"$output")" = false ]
  # another 4xx is an impossible answer: exit 76 naming the API's message (the status post refused)
  gh_fault '{"action": "4xx", "status": 422, "path": "/statuses/", "message": "No commit found for SHA"}'
  run -76 --separate-stderr gate --status
  [[ "$stderr" == *"policy-gate: POST $GH_URL/repos/o/r/statuses/$HEAD: HTTP 422: No commit found for SHA" ]]
  [ -z "$output" ]
  run -76 --separate-stderr gate --security-team calimero-network/nobody
  [ "$stderr" = "policy-gate: GET $GH_URL/orgs/calimero-network/teams/nobody/members: HTTP 404: Not Found" ]
  gh_fault '{"action": "close", "path": "/pulls/1$"}'
  gh_fault '{"action": "link-elsewhere", "path": "/members$"}'
  run -76 --separate-stderr gate
  [[ "$stderr" == *"its Link rel=\"next\" is not on the API's origin"* ]]
  [ "$(gh_requests | grep -c '^GET /repos/o/r/pulls/1 dropped$')" -eq 1 ]
  run -78 --separate-stderr env -u GITHUB_TOKEN policy-gate --repo o/r --pr 1
  [ "$stderr" = "policy-gate: no GitHub token: set GITHUB_TOKEN or GH_TOKEN" ]
}

@test "usage: --pr is required, a number; the repository and teams are OWNER/NAME; --approvals 1 to 20" {
  run -2 --separate-stderr policy-gate --repo o/r
  [[ "$stderr" == "policy-gate: --pr is required"* ]]
  run -2 --separate-stderr policy-gate --repo o/r --pr 1x
  [[ "$stderr" == "policy-gate: --pr must be a pull request number (got '1x')"* ]]
  run -2 --separate-stderr env -u GITHUB_REPOSITORY policy-gate --pr 1
  [[ "$stderr" == "policy-gate: the repository: --repo OWNER/NAME or GITHUB_REPOSITORY"* ]]
  run -2 --separate-stderr policy-gate --pr 1 --security-team 'org/../x'
  [[ "$stderr" == "policy-gate: a repository or team is OWNER/NAME of letters, digits and . _ - (got 'org/../x')"* ]]
  run -2 --separate-stderr policy-gate --pr 1 --approvals 0
  [[ "$stderr" == "policy-gate: --approvals must be 1 to 20 (got '0')"* ]]
}

@test "> /dev/full: exit 74" {
  review 1 "$TOK_ALICE" APPROVE
  review 1 "$TOK_BOB" APPROVE
  run -74 --separate-stderr bash -c 'policy-gate --repo o/r --pr 1 --key "$1" --work "$2" > /dev/full' _ "$KEYS/test.pub" "$T/gate"
}
