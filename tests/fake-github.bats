#!/usr/bin/env bats
# tests/lib/fake-github.py itself, through curl and git: what it checks of a
# client, how it paginates, and the parts of the GitHub API the later suites
# (promote, gate, publish) stand on: pulls with files from a bare git
# repository pushed over smart HTTP, reviews, labels, teams, statuses, Actions
# artifacts, releases' rules. If the fake drifts from GitHub's behaviour, the
# suites built on it prove nothing: these tests pin it.

load test_helper
load lib/fake-github

setup() { fake_github_start; }
teardown() { stop_servers; }

# api METHOD PATH [JSON]: an authenticated API call; prints "STATUS" then the body
api() {
  local args=(-sS -X "$1" -A mero-policy-tests -H "Authorization: Bearer $GH_TOKEN_VALUE"
    -H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28' -o "$BATS_TEST_TMPDIR/body"
    -D "$BATS_TEST_TMPDIR/head" -w '%{http_code}\n')
  [ $# -lt 3 ] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
  curl "${args[@]}" "$GH_URL$2"
  cat "$BATS_TEST_TMPDIR/body"
}
# raw CURL_ARGS...: GET /repos/o/r with exactly these headers; prints the body, then the status
raw() { curl -sS -w '%{http_code}' "$@" "$GH_URL/repos/o/r"; }
header() { grep -i "^$1:" "$BATS_TEST_TMPDIR/head" | cut -d' ' -f2- | tr -d '\r'; }
body() { tail -n +2 <<<"$output"; }

@test "what a client must send: User-Agent, Accept, X-GitHub-Api-Version, a known token" {
  gh_seed '{"repos": {"o/r": {}}}'
  local auth="Authorization: Bearer $GH_TOKEN_VALUE" acc='Accept: application/vnd.github+json' ver='X-GitHub-Api-Version: 2022-11-28'
  run -0 raw -H "$auth" -H "$acc" -H "$ver" -H 'User-Agent:'
  [[ "$output" == *'"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header'*'}'*403 ]]
  run -0 raw -A t -H "$auth" -H "$ver"
  [[ "$output" == *"Unsupported 'Accept' header: '*/*'. Must accept 'application/vnd.github+json'."*415 ]]
  run -0 raw -A t -H "$auth" -H "$acc"
  [[ "$output" == *"Missing 'X-GitHub-Api-Version' header"*400 ]]
  run -0 raw -A t -H "$auth" -H "$acc" -H 'X-GitHub-Api-Version: 2021-01-01'
  [[ "$output" == *"API version '2021-01-01' is not supported."*400 ]]
  run -0 raw -A t -H "$acc" -H "$ver"
  [[ "$output" == *'"message": "Requires authentication"'*401 ]]
  run -0 raw -A t -H 'Authorization: Bearer ghp_nottheone' -H "$acc" -H "$ver"
  [[ "$output" == *'"message": "Bad credentials"'*401 ]]
  run -0 api GET /repos/o/r
  [ "${lines[0]}" = 200 ]
  [ "$(body | jq -r .default_branch)" = master ]
  [ -n "$(header x-ratelimit-remaining)" ]
  # the log keeps every header but the token
  [ "$(jq -r 'select(.auth == "ok") | .headers.authorization' "$GH_LOG" | sort -u)" = "Bearer [redacted]" ]
  [ "$(jq -r 'select(.headers.authorization == "Bearer [redacted]") | .auth' "$GH_LOG" | sort | uniq -c | awk '{print $2 $1}' | tr '\n' ' ')" = "bad1 ok5 " ]
  run grep -F "$GH_TOKEN_VALUE" "$GH_LOG"
  [ "$status" -eq 1 ]
}

@test "uploads need a media type and a length; a duplicate name is 422 already_exists; drafts are hidden by tag" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "draft": true}]}}}'
  local up
  up=$(gh_state | jq -r '.repos["o/r"].releases[0].upload_url | sub("\\{.*"; "")')
  run -0 curl -sS -A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' --data-binary x -w '%{http_code}' "$up?name=x.txt"
  [[ "$output" == *"Bad Content-Type header value: 'application/x-www-form-urlencoded'"*422 ]]
  local hdr=(-A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/vnd.github+json'
    -H 'X-GitHub-Api-Version: 2022-11-28' -H 'Content-Type: text/plain')
  run -0 curl -sS "${hdr[@]}" -H 'Transfer-Encoding: chunked' --data-binary x -w '%{http_code}' "$up?name=x.txt"
  [[ "$output" == *'"message": "Length Required"'*411 ]]
  run -0 curl -sS "${hdr[@]}" --data-binary 'hello' -w '%{http_code}' "$up?name=x.txt"
  [[ "$output" == *'"digest": "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"'*201 ]]
  run -0 curl -sS "${hdr[@]}" --data-binary 'hello' -w '%{http_code}' "$up?name=x.txt"
  [ "$(jq -c '.errors' <<<"${output%422}")" = '[{"resource":"ReleaseAsset","code":"already_exists","field":"name"}]' ]
  [[ "$output" == *422 ]]
  run -0 api GET /repos/o/r/releases/tags/v1
  [ "${lines[0]}" = 404 ]
  run -0 api PATCH "/repos/o/r/releases/$(gh_state | jq '.repos["o/r"].releases[0].id')" '{"draft": false}'
  run -0 api GET /repos/o/r/releases/tags/v1
  [ "${lines[0]}" = 200 ]
  run -0 api GET /repos/o/r/releases/latest
  [ "$(body | jq -r .tag_name)" = v1 ]
}

@test "immutable releases: no upload or delete once published; the tag cannot be used again" {
  gh_seed '{"repos": {"o/r": {"immutable_releases": true, "releases": [{"tag_name": "v2", "assets": [{"name": "a.txt", "content": "a"}]}]}}}'
  local rid aid up
  rid=$(gh_state | jq '.repos["o/r"].releases[0].id')
  aid=$(gh_state | jq '.repos["o/r"].releases[0].assets[0].id')
  [ "$(gh_state | jq '.repos["o/r"].releases[0].immutable')" = true ]
  up=$(gh_state | jq -r '.repos["o/r"].releases[0].upload_url | sub("\\{.*"; "")')
  run -0 curl -sS -A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' -H 'Content-Type: text/plain' --data-binary b -w '%{http_code}' "$up?name=b.txt"
  [[ "$output" == *'"message": "Cannot upload assets to an immutable release."'*422 ]]
  run -0 api DELETE "/repos/o/r/releases/assets/$aid"
  [ "${lines[0]}" = 422 ]
  [ "$(body | jq -r .message)" = "Cannot delete assets from an immutable release." ]
  run -0 api DELETE "/repos/o/r/releases/$rid"
  [ "${lines[0]}" = 204 ]
  run -0 api POST /repos/o/r/releases '{"tag_name": "v2"}'
  [ "${lines[0]}" = 422 ]
  [ "$(body | jq -r '.errors[0].message')" = "tag_name was used by an immutable release" ]
}

@test "asset downloads redirect to the asset host, which refuses a request carrying a token" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "assets": [{"name": "a.txt", "content": "payload"}]}]}}}'
  local aid loc
  aid=$(gh_state | jq '.repos["o/r"].releases[0].assets[0].id')
  run -0 curl -sS -A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/octet-stream' \
    -H 'X-GitHub-Api-Version: 2022-11-28' -o /dev/null -w '%{http_code} %{redirect_url}' "$GH_URL/repos/o/r/releases/assets/$aid"
  [[ "$output" == "302 $(gh_state | jq -r .asset_host)/asset/"*"?X-Amz-Signature="* ]]
  loc=${output#302 }
  run -0 curl -sS "$loc"
  [ "$output" = payload ]
  run -0 curl -sS -H "Authorization: Bearer $GH_TOKEN_VALUE" -w '%{http_code}' "$loc"
  [[ "$output" == *"Only one auth mechanism allowed"*400 ]]
}

@test "pagination: 150 files of a pull request, 45 reviews, a team of 120; Link rel=next/last" {
  local files reviews members
  files=$(jq -n '[range(150) | {filename: "policies/f\(.).json", patch: "@@ -1 +1 @@\n-a\n+b"}]')
  reviews=$(jq -n '[range(45) | {user: "u\(.)", state: "APPROVED"}]')
  members=$(jq -n '[range(120) | "m\(.)"]')
  gh_seed "{\"teams\": {\"org/security\": $members}, \"repos\": {\"o/r\": {\"pulls\": [{\"number\": 7, \"files\": $files, \"reviews\": $reviews}]}}}"
  run -0 api GET '/repos/o/r/pulls/7/files?per_page=100'
  [ "$(body | jq length)" -eq 100 ]
  [[ "$(header link)" == "<$GH_URL/repos/o/r/pulls/7/files?per_page=100&page=2>; rel=\"next\", <$GH_URL/repos/o/r/pulls/7/files?per_page=100&page=2>; rel=\"last\"" ]]
  run -0 api GET '/repos/o/r/pulls/7/files?per_page=100&page=2'
  [ "$(body | jq -r '.[49].filename')" = policies/f149.json ]
  [[ "$(header link)" == *'rel="prev"'* ]]
  [[ "$(header link)" != *'rel="next"'* ]]
  run -0 api GET /repos/o/r/pulls/7/reviews
  [ "$(body | jq length)" -eq 30 ]
  [[ "$(header link)" == *'page=2>; rel="next"'* ]]
  run -0 api GET '/repos/o/r/pulls/7/reviews?per_page=500'
  [ "$(body | jq length)" -eq 45 ]
  run -0 api GET '/orgs/org/teams/security/members?per_page=100&page=2'
  [ "$(body | jq -r 'map(.login) | join(" ")')" = "$(seq 100 119 | sed 's/^/m/' | tr '\n' ' ' | sed 's/ $//')" ]
  run -0 api GET /orgs/org/teams/security/memberships/m119
  [ "$(body | jq -r .state)" = active ]
  run -0 api GET /orgs/org/teams/security/memberships/outsider
  [ "${lines[0]}" = 404 ]
}

@test "git: a push over smart HTTP with the token, a pull request whose files and contents come from the pushed commits" {
  gh_seed '{"repos": {"o/r": {"git": true}}}'
  local w="$BATS_TEST_TMPDIR/work" remote
  remote="http://x-access-token:$GH_TOKEN_VALUE@${GH_URL#http://}/o/r.git"
  git init -q -b master "$w"
  git -C "$w" -c user.name=t -c user.email=t@t commit -q --allow-empty -m base
  mkdir -p "$w/policies"
  echo '{"a": 1}' > "$w/policies/p.json"
  git -C "$w" add . && git -C "$w" -c user.name=t -c user.email=t@t commit -q -m policy
  git -C "$w" push -q "$remote" master 2>/dev/null
  git -C "$w" checkout -q -b promote
  echo '{"a": 2}' > "$w/policies/p.json"
  echo new > "$w/policies/new.txt"
  git -C "$w" add . && git -C "$w" -c user.name=t -c user.email=t@t commit -q -m "chore(policy): promote"
  git -C "$w" push -q "$remote" promote 2>/dev/null
  # without a token git is refused
  run git -C "$w" push "${GH_URL}/o/r.git" promote
  [ "$status" -ne 0 ]
  run -0 api GET /repos/o/r/git/ref/heads/promote
  [ "$(body | jq -r .object.sha)" = "$(git -C "$w" rev-parse HEAD)" ]
  run -0 api POST /repos/o/r/pulls '{"title": "chore(policy): promote", "head": "o:promote", "base": "master", "body": "b"}'
  [ "${lines[0]}" = 201 ]
  [ "$(body | jq -r '.head.sha')" = "$(git -C "$w" rev-parse HEAD)" ]
  local n
  n=$(body | jq .number)
  run -0 api POST /repos/o/r/pulls '{"title": "again", "head": "promote", "base": "master"}'
  [ "${lines[0]}" = 422 ]
  [ "$(body | jq -r '.errors[0].message')" = "A pull request already exists for o:promote." ]
  run -0 api GET "/repos/o/r/pulls/$n/files"
  [ "$(body | jq -r 'map("\(.filename) \(.status) +\(.additions) -\(.deletions)") | join(",")')" = \
    "policies/new.txt added +1 -0,policies/p.json modified +1 -1" ]
  [ "$(body | jq -r '.[1].patch')" = "$(printf '@@ -1 +1 @@\n-{"a": 1}\n+{"a": 2}')" ]
  run -0 api GET '/repos/o/r/contents/policies/p.json?ref=promote'
  [ "$(body | jq -r .content | base64 -d)" = '{"a": 2}' ]
  run -0 api GET "/repos/o/r/pulls?head=o:promote&state=open"
  [ "$(body | jq length)" -eq 1 ]
}

@test "reviews, labels, comments and commit statuses" {
  gh_seed '{"teams": {}, "repos": {"o/r": {"pulls": [{"number": 3, "user": "releaser", "head": {"ref": "b", "sha": "1111111111111111111111111111111111111111"}}]}}}'
  run -0 api POST /repos/o/r/pulls/3/reviews '{"event": "APPROVE"}'
  [ "${lines[0]}" = 422 ]
  [ "$(body | jq -r '.errors[0]')" = "Can not approve your own pull request" ]
  run -0 api POST /repos/o/r/pulls/3/reviews '{"event": "COMMENT", "body": "looks fine"}'
  [ "$(body | jq -r '[.state, .commit_id] | join(" ")')" = "COMMENTED 1111111111111111111111111111111111111111" ]
  run -0 api PUT "/repos/o/r/pulls/3/reviews/$(body | jq .id)/dismissals" '{"message": "stale"}'
  [ "$(body | jq -r .state)" = DISMISSED ]
  run -0 api POST /repos/o/r/issues/3/labels '{"labels": ["policy-promotion", "x"]}'
  [ "$(body | jq -r 'map(.name) | join(" ")')" = "policy-promotion x" ]
  run -0 api DELETE /repos/o/r/issues/3/labels/x
  [ "$(body | jq -r 'map(.name) | join(" ")')" = "policy-promotion" ]
  run -0 api DELETE /repos/o/r/issues/3/labels/x
  [ "${lines[0]}" = 404 ]
  run -0 api POST /repos/o/r/issues/3/comments '{"body": "skip-version-sync: because"}'
  [ "${lines[0]}" = 201 ]
  local sha=1111111111111111111111111111111111111111
  run -0 api POST "/repos/o/r/statuses/$sha" '{"state": "failure", "context": "policy-gate", "description": "1 approval"}'
  run -0 api POST "/repos/o/r/statuses/$sha" '{"state": "success", "context": "policy-gate"}'
  run -0 api POST "/repos/o/r/statuses/$sha" '{"state": "great"}'
  [ "${lines[0]}" = 422 ]
  run -0 api GET "/repos/o/r/commits/$sha/status"
  [ "$(body | jq -r '[.state, .total_count] | join(" ")')" = "success 1" ]
  run -0 api GET "/repos/o/r/commits/$sha/statuses"
  [ "$(body | jq -r 'map(.state) | join(" ")')" = "success failure" ]
}

@test "Actions: a run's artifacts (an object holding the list) and the artifact's zip from the asset host" {
  gh_seed '{"repos": {"o/r": {"runs": [{"id": 77, "artifacts": [{"name": "probe-artifacts", "files": {"debug/measurement-policy-candidates.json": "{}\n"}}]}]}}}'
  run -0 api GET /repos/o/r/actions/runs/77/artifacts
  [ "$(body | jq -r '[.total_count, .artifacts[0].name] | join(" ")')" = "1 probe-artifacts" ]
  local zip
  zip=$(body | jq -r '.artifacts[0].archive_download_url')
  run -0 curl -sS -A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' -o /dev/null -w '%{http_code} %{redirect_url}' "$zip"
  [[ "$output" == "302 "* ]]
  curl -sSf -o "$BATS_TEST_TMPDIR/a.zip" "${output#302 }"
  run -0 python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.namelist(), z.read(z.namelist()[0]))' "$BATS_TEST_TMPDIR/a.zip"
  [ "$output" = "['debug/measurement-policy-candidates.json'] b'{}\\n'" ]
}

@test "faults: each is served as many times as asked, then the real answer" {
  gh_seed '{"repos": {"o/r": {}}}'
  gh_fault '[{"action": "503", "path": "^/repos/o/r$", "times": 2}, {"action": "primary", "path": "^/user$", "reset_in": 30}]'
  run -0 api GET /repos/o/r
  [ "${lines[0]}" = 503 ]
  run -0 api GET /repos/o/r
  [ "${lines[0]}" = 503 ]
  run -0 api GET /repos/o/r
  [ "${lines[0]}" = 200 ]
  run -0 api GET /user
  [ "${lines[0]}" = 403 ]
  [ "$(header x-ratelimit-remaining)" = 0 ]
  [ "$(( $(header x-ratelimit-reset) - $(date +%s) ))" -ge 28 ]
  gh_fault '{"action": "close", "path": "^/user$"}'
  run curl -sS -A t -H "Authorization: Bearer $GH_TOKEN_VALUE" -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' "$GH_URL/user"
  [ "$status" -eq 52 ] || [ "$status" -eq 56 ] # empty reply, or reset
  run -0 api GET /user
  [ "$(body | jq -r .login)" = releaser ]
}
