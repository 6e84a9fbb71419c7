#!/usr/bin/env bats
# release-upload against tests/lib/fake-github.py: drafts, identical and
# different assets, --clobber, immutable releases, pagination, and the faults
# of the GitHub client (5xx, 429, secondary and primary rate limits, dropped
# connections mid-upload, 401/403, a Link to another host). After each fault
# the release's assets are checked and a re-run completes the job.

load test_helper
load lib/fake-github

setup() {
  fake_github_start
  export GH_RELEASE_TOKEN="$GH_TOKEN_VALUE"
  unset GITHUB_TOKEN GH_TOKEN GITHUB_WAIT_MAX
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  printf '{"a": 1}\n' > "$W/a.json"
  printf 'bee\n' > "$W/b.txt"
  head -c 300000 /dev/urandom > "$W/c.bin"
}

teardown() { stop_servers; }

# draft TAG [IMMUTABLE_REPO]: a repository o/r with a draft release TAG
draft() {
  gh_seed "{\"repos\": {\"o/r\": {\"immutable_releases\": ${2:-false}, \"releases\": [{\"tag_name\": \"$1\", \"draft\": true}]}}}"
}

# published TAG ASSET_NAME CONTENT_FILE IMMUTABLE: a published release with one asset
published() {
  gh_seed "$(jq -n --arg t "$1" --arg n "$2" --rawfile c "$3" --argjson i "$4" \
    '{repos: {"o/r": {releases: [{tag_name: $t, immutable: $i, assets: [{name: $n, content: $c}]}]}}}')"
}

# fails_every_attempt FAULT FILE: with FAULT on every attempt the upload of FILE exits 75
# with nothing on stdout and no asset left ($stderr kept); a re-run then completes
fails_every_attempt() {
  draft v1
  gh_fault "$1"
  run -75 --separate-stderr release-upload --repo o/r --tag v1 "$2"
  [ -z "$output" ]
  [ -z "$(gh_assets o/r v1)" ]
  local err=$stderr
  run -0 release-upload --repo o/r --tag v1 "$2"
  [ "$(gh_assets o/r v1)" = "$(basename "$2") uploaded $(stat -c %s "$2")" ]
  stderr=$err
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
uploads() { gh_requests | grep -c '^POST /uploads/' || true; }
# the stored bytes of the asset with this id equal FILE
stored_is() { cmp <(gh_ctl GET "/_fake/asset/$1") "$2"; }

@test "--help names the options, the token variables and the exit codes" {
  run -0 --separate-stderr release-upload --help
  assert_line --index 0 --partial 'usage: release-upload --repo OWNER/NAME --tag TAG'
  assert_output --partial 'GH_RELEASE_TOKEN, else GITHUB_TOKEN, else GH_TOKEN'
  assert_output --partial '--clobber'
  assert_output --partial '75 rate limit or retries'
  [ -z "$stderr" ]
}

@test "usage: required options, OWNER/NAME, asset names, duplicate names, no FILE" {
  run -2 --separate-stderr release-upload --tag v1 "$W/a.json"
  [ "$(sed -n 1p <<<"$stderr")" = "release-upload: --repo and --tag are required" ]
  [[ "$(sed -n 2p <<<"$stderr")" == "usage: release-upload"* ]]
  [ -z "$output" ]
  run -2 --separate-stderr release-upload --repo o --tag v1 "$W/a.json"
  [ "$(sed -n 1p <<<"$stderr")" = "release-upload: --repo needs OWNER/NAME (letters, digits, '.', '_', '-'), not 'o'" ]
  run -2 --separate-stderr release-upload --repo 'o/r/x' --tag v1 "$W/a.json"
  [[ "$stderr" == *"--repo needs OWNER/NAME"* ]]
  cp "$W/a.json" "$W/a b.json"
  run -2 --separate-stderr release-upload --repo o/r --tag v1 "$W/a b.json"
  [ "$(sed -n 1p <<<"$stderr")" = "release-upload: the asset name 'a b.json' (of '$W/a b.json') may hold only letters, digits, '.', '_' and '-'" ]
  mkdir -p "$W/other"
  cp "$W/a.json" "$W/other/a.json"
  run -2 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json" "$W/other/a.json"
  [ "$(sed -n 1p <<<"$stderr")" = "release-upload: two files are named 'a.json': '$W/a.json' and '$W/other/a.json'" ]
  run -2 --separate-stderr release-upload --repo o/r --tag v1
  [ "$(sed -n 1p <<<"$stderr")" = "release-upload: no FILE given" ]
  run -2 --separate-stderr release-upload --repo o/r --tag 'v 1' "$W/a.json"
  [[ "$stderr" == *"--tag needs a tag name without spaces"* ]]
  # nothing reached the API
  [ "$(gh_requests | wc -l)" -eq 0 ]
}

@test "a missing FILE or a directory exits 66 before any request" {
  draft v1
  run -66 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json" "$W/missing.json"
  [ "$stderr" = "release-upload: cannot open '$W/missing.json': No such file or directory" ]
  [ -z "$output" ]
  mkdir "$W/d.json"
  run -66 --separate-stderr release-upload --repo o/r --tag v1 "$W/d.json"
  [ "$stderr" = "release-upload: cannot read '$W/d.json': not a regular file" ]
  [ "$(gh_requests | wc -l)" -eq 0 ]
}

@test "configuration: no token, a bad GITHUB_API_URL, a bad GITHUB_WAIT_MAX exit 78" {
  draft v1
  run -78 --separate-stderr env -u GH_RELEASE_TOKEN release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: no GitHub token: set GH_RELEASE_TOKEN, GITHUB_TOKEN or GH_TOKEN" ]
  run -78 --separate-stderr env GITHUB_API_URL=ftp://127.0.0.1/ release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: GITHUB_API_URL must be an http(s) URL"* ]]
  run -78 --separate-stderr env GITHUB_API_URL=http://api.example.com release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: GITHUB_API_URL 'http://api.example.com': plain http is only for a loopback host; use https" ]
  run -78 --separate-stderr env GITHUB_API_URL=https://user:pw@api.example.com release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"without credentials"* ]]
  [[ "$stderr" != *"pw@"* ]]
  run -78 --separate-stderr env GITHUB_WAIT_MAX=soon release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: GITHUB_WAIT_MAX must be a number of seconds from 0 to 86400, not 'soon'" ]
  [ "$(gh_requests | wc -l)" -eq 0 ]
}

@test "a draft is found through the release list; the receipt and the stored bytes match the files" {
  draft v1.2.3
  run -0 --separate-stderr release-upload --repo o/r --tag v1.2.3 "$W/a.json" "$W/b.txt" "$W/c.bin"
  [ -z "$stderr" ]
  echo "$output" > "$BATS_TEST_TMPDIR/receipt.json"
  local rid
  rid=$(gh_state | jq '.repos["o/r"].releases[0].id')
  [ "$(jq .release_id <<<"$output")" = "$rid" ]
  [ "$(jq -r '[.draft, .created, .published, .immutable] | join(" ")' <<<"$output")" = "true false false false" ]
  [ "$(jq -r '.assets | map(.name + " " + .result + " " + (.size | tostring)) | join(",")' <<<"$output")" = \
    "a.json uploaded 9,b.txt uploaded 4,c.bin uploaded 300000" ]
  local f id
  for f in a.json b.txt c.bin; do
    [ "$(jq -r --arg n "$f" '.assets[] | select(.name == $n) | .sha256' <<<"$output")" = "$(sha "$W/$f")" ]
    id=$(jq -r --arg n "$f" '.assets[] | select(.name == $n) | .id' <<<"$output")
    stored_is "$id" "$W/$f"
    [ "$(gh_state | jq -r --argjson i "$id" '.repos["o/r"].releases[0].assets[] | select(.id == $i) | .sha256')" = "$(sha "$W/$f")" ]
  done
  # a draft's download URL is the untagged one GitHub gives it
  [[ "$(jq -r '.assets[0].download_url' <<<"$output")" == "$GH_URL"*"/download/o/r/untagged-"*"/a.json" ]] ||
    [[ "$(jq -r '.assets[0].download_url' <<<"$output")" == *"/download/o/r/untagged-"*"/a.json" ]]
  # by tag (404 for a draft), then the list, then the assets, then three uploads
  run -0 gh_requests
  assert_line --index 0 "GET /repos/o/r/releases/tags/v1.2.3 404"
  assert_line --index 1 "GET /repos/o/r/releases 200"
  assert_line --index 2 "GET /repos/o/r/releases/$rid/assets 200"
  assert_line --index 3 "POST /uploads/repos/o/r/releases/$rid/assets 201"
  [ "${#lines[@]}" -eq 6 ]
}

@test "every request carries the headers GitHub requires; uploads their type and length" {
  draft v1
  run -0 release-upload --repo o/r --tag v1 "$W/a.json" "$W/c.bin"
  run -0 jq -r 'select(.host == "api") | [.headers.accept, .headers["x-github-api-version"],
    (.headers["user-agent"] | startswith("mero-policy/")), .headers.authorization, .auth] | join(" ")' "$GH_LOG"
  local l
  for l in "${lines[@]}"; do
    [ "$l" = "application/vnd.github+json 2022-11-28 true Bearer [redacted] ok" ]
  done
  [ "${#lines[@]}" -eq 5 ]
  run -0 jq -r 'select(.path | startswith("/uploads/")) | [.path, .headers["content-type"], .headers["content-length"]] | join(" ")' "$GH_LOG"
  assert_line --index 0 --regexp '^/uploads/repos/o/r/releases/[0-9]+/assets\?name=a\.json application/json 9$'
  assert_line --index 1 --regexp '^/uploads/repos/o/r/releases/[0-9]+/assets\?name=c\.bin application/octet-stream 300000$'
}

@test "--label is sent URL-encoded and stored" {
  draft v1
  run -0 release-upload --repo o/r --tag v1 --label 'KMS policy & notes' "$W/a.json"
  run -0 jq -r 'select(.path | startswith("/uploads/")) | .path' "$GH_LOG"
  [[ "$output" == *"?name=a.json&label=KMS%20policy%20%26%20notes" ]]
  [ "$(gh_state | jq -r '.repos["o/r"].releases[0].assets[0].label')" = "KMS policy & notes" ]
}

@test "a re-run finds every asset identical and uploads nothing" {
  draft v1
  run -0 release-upload --repo o/r --tag v1 "$W/a.json" "$W/b.txt"
  local first=$output
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json" "$W/b.txt"
  [ "$(jq -r '[.assets[].result] | join(" ")' <<<"$output")" = "identical identical" ]
  [ "$(jq -c '[.assets[] | {id, sha256, download_url}]' <<<"$output")" = "$(jq -c '[.assets[] | {id, sha256, download_url}]' <<<"$first")" ]
  [ "$(uploads)" -eq 2 ]
  [ -z "$stderr" ]
}

@test "without the API's digest, identity is decided by downloading the asset: the redirect goes to the asset host without the token" {
  gh_seed '{"settings": {"digest": false}}'
  published v1 a.json "$W/a.json" false
  # an asset of the name on another release is not the one compared
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v2", "assets": [{"name": "a.json", "content": "other"}]}]}}}'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = identical ]
  run -0 jq -r 'select(.host == "assets") | "\(.method) \(.status) \(.auth) \(.headers | has("authorization"))"' "$GH_LOG"
  [ "$output" = "GET 200 none false" ]
  run -0 gh_requests
  assert_line --regexp '^GET /repos/o/r/releases/assets/[0-9]+ 302$'
  # same size, other bytes: a download shows the difference
  printf '{"a": 2}\n' > "$W/a.json"
  run -1 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: the release v1 already has different 'a.json': --clobber replaces them" ]
  [ -z "$output" ]
  [ "$(uploads)" -eq 0 ]
}

@test "different content exits 1 and changes nothing; --clobber deletes and uploads again" {
  printf 'old content' > "$W/old"
  published v1 a.json "$W/old" false
  local old_id
  old_id=$(gh_state | jq '.repos["o/r"].releases[0].assets[0].id')
  run -1 --separate-stderr release-upload --repo o/r --tag v1 "$W/b.txt" "$W/a.json"
  [ "$stderr" = "release-upload: the release v1 already has different 'a.json': --clobber replaces them" ]
  [ -z "$output" ]
  # the plan comes first: not even b.txt was uploaded
  [ "$(uploads)" -eq 0 ]
  [ "$(gh_assets o/r v1)" = "a.json uploaded 11" ]
  run -0 release-upload --repo o/r --tag v1 --clobber "$W/b.txt" "$W/a.json"
  [ "$(jq -r '[.assets[].result] | join(" ")' <<<"$output")" = "uploaded replaced" ]
  local new_id
  new_id=$(jq '.assets[1].id' <<<"$output")
  [ "$new_id" != "$old_id" ]
  stored_is "$new_id" "$W/a.json"
  run -0 gh_requests
  assert_line "DELETE /repos/o/r/releases/assets/$old_id 204"
  [ "$(gh_assets o/r v1)" = "$(printf 'a.json uploaded 9\nb.txt uploaded 4')" ]
}

@test "--create-draft creates a missing release as a draft; without it a missing release exits 69" {
  gh_seed '{"repos": {"o/r": {}}}'
  run -69 --separate-stderr release-upload --repo o/r --tag v9 "$W/a.json"
  [ "$stderr" = "release-upload: o/r has no release with the tag 'v9', published or draft (--create-draft makes one)" ]
  [ -z "$output" ]
  run -0 release-upload --repo o/r --tag v9 --create-draft "$W/a.json"
  [ "$(jq -r '[.created, .draft] | join(" ")' <<<"$output")" = "true true" ]
  [ "$(gh_state | jq -r '.repos["o/r"].releases | map("\(.tag_name) \(.draft)") | join(",")')" = "v9 true" ]
  # the second run finds the draft it made instead of making another
  run -0 release-upload --repo o/r --tag v9 --create-draft "$W/a.json"
  [ "$(jq -r '[.created, .assets[0].result] | join(" ")' <<<"$output")" = "false identical" ]
  [ "$(gh_state | jq '.repos["o/r"].releases | length')" -eq 1 ]
}

@test "--publish publishes the draft after the uploads; the receipt's URLs are the tag's; the release is then immutable" {
  draft v2 true
  run -0 release-upload --repo o/r --tag v2 --publish "$W/a.json" "$W/b.txt"
  [ "$(jq -r '[.draft, .published, .immutable] | join(" ")' <<<"$output")" = "false true true" ]
  [[ "$(jq -r '.assets[1].download_url' <<<"$output")" == */download/o/r/v2/b.txt ]]
  curl -sSf "$(jq -r '.assets[1].download_url' <<<"$output")" | cmp - "$W/b.txt"
  # the PATCH came after both uploads
  run -0 gh_requests
  [ "$(grep -n '^PATCH /repos/o/r/releases/' <<<"$output" | cut -d: -f1)" -gt "$(grep -n '^POST /uploads/' <<<"$output" | tail -1 | cut -d: -f1)" ]
  [ "$(gh_state | jq -r '.repos["o/r"].releases[0] | "\(.draft) \(.immutable)"')" = "false true" ]
}

@test "a published immutable release: identical assets pass, a new or different asset is refused before any change" {
  published v3 a.json "$W/a.json" true
  run -0 release-upload --repo o/r --tag v3 "$W/a.json"
  [ "$(jq -r '[.immutable, .assets[0].result] | join(" ")' <<<"$output")" = "true identical" ]
  run -1 --separate-stderr release-upload --repo o/r --tag v3 "$W/a.json" "$W/b.txt"
  [ "$stderr" = "release-upload: the release v3 of o/r is published and immutable: no asset can be added, replaced or deleted (new assets); make a new release through the draft flow (--create-draft, then --publish)" ]
  printf 'changed\n' > "$W/a.json"
  run -1 --separate-stderr release-upload --repo o/r --tag v3 --clobber "$W/a.json"
  [[ "$stderr" == *"is published and immutable: no asset can be added, replaced or deleted ('a.json')"* ]]
  [ -z "$output" ]
  [ "$(uploads)" -eq 0 ]
  [ "$(gh_requests | grep -c '^DELETE' || true)" -eq 0 ]
  [ "$(gh_assets o/r v3)" = "a.json uploaded 9" ]
}

@test "two drafts with the tag exit 1 naming the problem" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "draft": true}, {"tag_name": "v1", "draft": true}]}}}'
  run -1 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: 2 draft releases of o/r carry the tag 'v1': delete all but one" ]
}

@test "pagination: the drafts and assets of long lists are found on later pages (Link rel=next)" {
  gh_seed '{"settings": {"max_per_page": 10}}'
  local rels
  rels=$(jq -n '[range(12) | {tag_name: "old-\(.)"}] + [{tag_name: "v5", draft: true, generate_assets: 35}]')
  gh_seed "{\"repos\": {\"o/r\": {\"releases\": $rels}}}"
  printf 'asset 34\n' > "$W/asset-0034.txt"
  run -0 release-upload --repo o/r --tag v5 "$W/asset-0034.txt" "$W/a.json"
  [ "$(jq -r '[.assets[].result] | join(" ")' <<<"$output")" = "identical uploaded" ]
  run -0 gh_requests
  # 13 releases at 10 a page: 2 pages; 35 assets: 4 pages
  [ "$(grep -c '^GET /repos/o/r/releases 200' <<<"$output")" -eq 2 ]
  [ "$(grep -c '^GET /repos/o/r/releases/[0-9]*/assets 200' <<<"$output")" -eq 4 ]
  [ "$(jq -r 'select(.path | test("/assets\\?")) | .path' "$GH_LOG" | grep -c 'page=4')" -eq 1 ]
  [ "$(gh_assets o/r v5 | wc -l)" -eq 36 ]
}

@test "a 130-asset release at GitHub's page size: two pages of 100" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v6", "draft": true, "generate_assets": 130}]}}}'
  printf 'asset 125\n' > "$W/asset-0125.txt"
  run -0 release-upload --repo o/r --tag v6 "$W/asset-0125.txt"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = identical ]
  [ "$(gh_requests | grep -c '^GET /repos/o/r/releases/[0-9]*/assets 200')" -eq 2 ]
}

@test "a Link rel=next to another host is refused (76): the token goes nowhere else" {
  draft v1
  gh_fault '{"action": "link-elsewhere", "method": "GET", "path": "/releases/[0-9]+/assets$"}'
  run -76 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: GET http://elsewhere.invalid:9/repositories/1/next: its Link rel=\"next\" is not on the API's origin http://127.0.0.1:"*"refused (the token goes nowhere else)" ]]
  [ -z "$output" ]
  [ "$(uploads)" -eq 0 ]
}

@test "an upload_url on another host is refused (76) before the file is sent" {
  draft v1
  gh_seed '{"settings": {"upload_base": "http://uploads.elsewhere.invalid:9"}}'
  run -76 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: POST http://uploads.elsewhere.invalid:9/repos/o/r/releases/"*"/assets: the upload URL is not on the API's origin"* ]]
}

@test "500 then success: a GET is retried by the client, an upload by release-upload; one asset each" {
  draft v1
  gh_fault '[{"action": "500", "method": "GET", "path": "/releases$"}, {"action": "500", "method": "POST", "path": "^/uploads/"}]'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json" "$W/b.txt"
  [ "$(jq -r '[.assets[].result] | join(" ")' <<<"$output")" = "uploaded uploaded" ]
  run -0 gh_requests
  assert_line --index 1 "GET /repos/o/r/releases 500"
  assert_line --index 2 "GET /repos/o/r/releases 200"
  [ "$(grep -c '^POST /uploads/.* 500$' <<<"$output")" -eq 1 ]
  [ "$(grep -c '^POST /uploads/.* 201$' <<<"$output")" -eq 2 ]
  [ "$(gh_assets o/r v1)" = "$(printf 'a.json uploaded 9\nb.txt uploaded 4')" ]
}

@test "500 on every attempt: exit 75 after the retries; nothing partial is left and a re-run completes" {
  fails_every_attempt '{"action": "500", "method": "POST", "path": "^/uploads/", "times": 4}' "$W/a.json"
  [[ "$stderr" == "release-upload: POST http://127.0.0.1:"*"/uploads/repos/o/r/releases/"*"/assets: HTTP 500 (after 4 attempts)" ]]
  [ "$(uploads)" -eq 5 ]
}

@test "a 502 that leaves a starter asset: it is deleted and the upload repeated" {
  draft v1
  gh_fault '{"action": "starter-502", "path": "^/uploads/"}'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/c.bin"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = uploaded ]
  run -0 gh_requests
  assert_line --regexp '^DELETE /repos/o/r/releases/assets/[0-9]+ 204$'
  [ "$(gh_assets o/r v1)" = "c.bin uploaded 300000" ]
}

@test "429 with Retry-After is waited out, then the call succeeds" {
  draft v1
  gh_fault '{"action": "429", "method": "GET", "path": "/releases/tags/", "retry_after": 1}'
  local t0=$SECONDS
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = uploaded ]
  [[ "$stderr" == "release-upload: GET http://127.0.0.1:"*"/repos/o/r/releases/tags/v1: HTTP 429, secondary rate limit (Retry-After 1 s), waiting 1 s" ]]
  [ $((SECONDS - t0)) -ge 1 ]
  run -0 gh_requests
  assert_line --index 0 "GET /repos/o/r/releases/tags/v1 429"
  assert_line --index 1 "GET /repos/o/r/releases/tags/v1 404"
}

@test "a secondary rate limit (403 and Retry-After) is waited out; one beyond GITHUB_WAIT_MAX exits 75 at once" {
  draft v1
  gh_fault '{"action": "secondary", "method": "POST", "path": "^/uploads/", "retry_after": 1}'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"HTTP 403, secondary rate limit (Retry-After 1 s), waiting 1 s" ]]
  [ "$(gh_assets o/r v1)" = "a.json uploaded 9" ]
  gh_fault '{"action": "secondary", "method": "POST", "path": "^/uploads/", "retry_after": 120}'
  local t0=$SECONDS
  run -75 --separate-stderr env GITHUB_WAIT_MAX=2 release-upload --repo o/r --tag v1 "$W/b.txt"
  [[ "$stderr" == "release-upload: POST http://127.0.0.1:"*"/assets: HTTP 403, secondary rate limit (Retry-After 120 s): waiting 120 s more would pass GITHUB_WAIT_MAX (2 s); retry later" ]]
  [ $((SECONDS - t0)) -lt 10 ]
  [ -z "$output" ]
  [ "$(gh_assets o/r v1)" = "a.json uploaded 9" ]
}

@test "a secondary rate limit without Retry-After waits a minute: beyond a small GITHUB_WAIT_MAX it exits 75" {
  draft v1
  gh_fault '{"action": "secondary", "method": "GET", "path": "/releases/tags/"}'
  run -75 --separate-stderr env GITHUB_WAIT_MAX=5 release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"HTTP 403, secondary rate limit: waiting 60 s more would pass GITHUB_WAIT_MAX (5 s); retry later" ]]
}

@test "the primary rate limit (x-ratelimit-remaining 0) waits until x-ratelimit-reset; a far reset exits 75" {
  draft v1
  gh_fault '{"action": "primary", "method": "GET", "path": "/releases/[0-9]+/assets$", "reset_in": 1}'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"HTTP 403, primary rate limit exhausted (x-ratelimit-reset "*"), waiting "[12]" s" ]]
  gh_fault '{"action": "primary", "status": 429, "method": "GET", "path": "/releases/[0-9]+/assets$", "reset_in": 3600}'
  run -75 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"HTTP 429, primary rate limit exhausted (x-ratelimit-reset "*"): waiting 360"[01]" s more would pass GITHUB_WAIT_MAX (600 s); retry later" ]]
}

@test "a connection dropped mid-upload: the starter asset is deleted and the upload completes in the same run" {
  draft v1
  gh_fault '{"action": "drop-upload", "path": "^/uploads/"}'
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/c.bin"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = uploaded ]
  stored_is "$(jq '.assets[0].id' <<<"$output")" "$W/c.bin"
  run -0 gh_requests
  assert_line --regexp '^POST /uploads/.* dropped$'
  assert_line --regexp '^DELETE /repos/o/r/releases/assets/[0-9]+ 204$'
  [ "$(gh_assets o/r v1)" = "c.bin uploaded 300000" ]
}

@test "connections dropped on every attempt: exit 75, no partial asset left, and a re-run completes" {
  fails_every_attempt '{"action": "drop-upload", "path": "^/uploads/", "times": 4}' "$W/c.bin"
  [[ "$stderr" == "release-upload: POST http://127.0.0.1:"*"/assets?name=c.bin: "*"(after 4 attempts)" ]]
}

@test "a starter asset left by an earlier run is cleaned up by the next" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "draft": true, "assets": [{"name": "c.bin", "size": 1000, "state": "starter"}]}]}}}'
  run -0 release-upload --repo o/r --tag v1 "$W/c.bin"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = uploaded ]
  [ "$(gh_assets o/r v1)" = "c.bin uploaded 300000" ]
}

@test "422 already_exists (another writer won the race): same content is identical, different is 1, --clobber replaces" {
  draft v1
  gh_fault "$(jq -n --rawfile c "$W/a.json" '{action: "race", path: "^/uploads/", content: $c}')"
  run -0 release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = identical ]
  [ "$(gh_assets o/r v1)" = "a.json uploaded 9" ]
  gh_fault '{"action": "race", "path": "^/uploads/", "content": "theirs"}'
  run -1 --separate-stderr release-upload --repo o/r --tag v1 "$W/b.txt"
  [ "$stderr" = "release-upload: another upload put a different 'b.txt' on v1 meanwhile: --clobber replaces it" ]
  [ -z "$output" ]
  [ "$(gh_assets o/r v1)" = "$(printf 'a.json uploaded 9\nb.txt uploaded 6')" ]
  gh_fault '{"action": "race", "path": "^/uploads/", "content": "theirs, again"}'
  run -0 release-upload --repo o/r --tag v1 --clobber "$W/c.bin"
  [ "$(jq -r '.assets[0].result' <<<"$output")" = replaced ]
  [ "$(gh_assets o/r v1 | grep c.bin)" = "c.bin uploaded 300000" ]
}

@test "a created asset of the wrong size or digest is deleted and the run fails (76)" {
  draft v1
  gh_fault '{"action": "size-mismatch", "path": "^/uploads/"}'
  run -76 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [ "$stderr" = "release-upload: uploaded 'a.json' but GitHub reports 10 bytes, 9 were sent: the asset was deleted" ]
  [ -z "$output" ]
  [ -z "$(gh_assets o/r v1)" ]
  gh_fault '{"action": "digest-mismatch", "path": "^/uploads/"}'
  run -76 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: uploaded 'a.json' but GitHub reports the digest sha256:000"*", the file's SHA-256 is $(sha "$W/a.json"): the asset was deleted" ]]
  [ -z "$(gh_assets o/r v1)" ]
}

@test "401 exits 77 naming the variable; 403 without rate-limit headers exits 77 with the API's message" {
  draft v1
  run -77 --separate-stderr env GH_RELEASE_TOKEN=ghp_wrongtoken123 release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: GET http://127.0.0.1:"*"/repos/o/r/releases/tags/v1: HTTP 401: Bad credentials (the token in GH_RELEASE_TOKEN was refused)" ]]
  [ -z "$output" ]
  # GITHUB_TOKEN is used when GH_RELEASE_TOKEN is not set
  run -77 --separate-stderr env -u GH_RELEASE_TOKEN GITHUB_TOKEN=ghp_wrongtoken123 release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == *"(the token in GITHUB_TOKEN was refused)" ]]
  gh_fault '{"action": "403", "method": "POST", "path": "^/uploads/"}'
  run -77 --separate-stderr release-upload --repo o/r --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: POST http://127.0.0.1:"*"/assets: HTTP 403: Resource not accessible by integration" ]]
  gh_fault '{"action": "401", "method": "PATCH"}'
  run -77 --separate-stderr release-upload --repo o/r --tag v1 --publish "$W/a.json"
  [[ "$stderr" == *"PATCH "*"/repos/o/r/releases/"*": HTTP 401: Bad credentials"* ]]
  [ "$(gh_state | jq '.repos["o/r"].releases[0].draft')" = true ]
}

@test "another 4xx exits 76 with the API's message" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "draft": true}]}}}'
  run -76 --separate-stderr release-upload --repo o/nope --tag v1 "$W/a.json"
  [[ "$stderr" == "release-upload: GET http://127.0.0.1:"*"/repos/o/nope/releases: HTTP 404: Not Found" ]]
}

@test "the token never appears in anything a run wrote, the fake's log included" {
  draft v1 true
  gh_fault '[{"action": "500", "method": "GET", "path": "/releases$"}, {"action": "drop-upload", "path": "^/uploads/"},
             {"action": "429", "path": "/assets$", "retry_after": 0}]'
  gh_seed '{"settings": {"digest": false}}'
  local out="$BATS_TEST_TMPDIR/out"
  mkdir -p "$out"
  release-upload --repo o/r --tag v1 "$W/a.json" "$W/c.bin" > "$out/1.json" 2> "$out/1.err"
  release-upload --repo o/r --tag v1 --publish "$W/a.json" "$W/c.bin" > "$out/2.json" 2> "$out/2.err"
  printf 'x\n' > "$W/a.json"
  run -1 release-upload --repo o/r --tag v1 "$W/a.json"
  echo "$output" > "$out/3.err"
  run -77 env GH_RELEASE_TOKEN="${GH_TOKEN_VALUE}x" release-upload --repo o/r --tag v1 "$W/a.json"
  echo "$output" > "$out/4.err"
  [ "$(jq -r '.assets[1].result' "$out/2.json")" = identical ]
  cp "$GH_LOG" "$out/"
  cat "$BATS_TEST_TMPDIR"/GH.url.* > "$out/fake.out"
  run grep -rF -e "$GH_TOKEN_VALUE" "$out"
  [ "$status" -eq 1 ]
  # and the log did record the requests with the header's scheme only
  [ "$(grep -c 'Bearer \[redacted\]' "$GH_LOG")" -gt 8 ]
  [ "$(jq -r 'select(.host == "assets") | .auth' "$GH_LOG" | sort -u)" = none ]
}

@test "progress goes to stderr when it is a terminal, nowhere otherwise" {
  draft v1
  head -c 3000000 /dev/zero > "$W/big.bin"
  run -0 script -qec "release-upload --repo o/r --tag v1 '$W/big.bin' > '$BATS_TEST_TMPDIR/r.json'" /dev/null
  [[ "$output" == *"release-upload: big.bin: 2.9 of 2.9 MiB (100%)"* ]]
  [ "$(jq -r '.assets[0].result' "$BATS_TEST_TMPDIR/r.json")" = uploaded ]
  run -0 --separate-stderr release-upload --repo o/r --tag v1 "$W/big.bin"
  [ -z "$stderr" ]
}

@test "a receipt that cannot be written exits 74 with one line" {
  draft v1
  run -74 --separate-stderr bash -c "release-upload --repo o/r --tag v1 '$W/a.json' > /dev/full"
  [ "$stderr" = "release-upload: cannot write to standard output: No space left on device" ]
}

@test "--notes: set on the new draft, updated when they differ, left alone when equal, also on an immutable release" {
  printf '# v9\n\nfirst\n' > "$W/notes.md"
  gh_seed '{"repos": {"o/r": {"immutable_releases": true}}}'
  run -0 --separate-stderr release-upload --repo o/r --tag v9 --create-draft --notes "$W/notes.md" "$W/a.json"
  [ "$(jq -r '[.created, .notes] | join(" ")' <<<"$output")" = "true created" ]
  [ "$(gh_state | jq -r '.repos["o/r"].releases[] | select(.tag_name == "v9") | .body')" = "$(cat "$W/notes.md")" ]
  # the same notes: no PATCH
  : > "$GH_LOG"
  run -0 release-upload --repo o/r --tag v9 --notes "$W/notes.md" "$W/a.json"
  [ "$(jq -r '[.notes, .assets[0].result] | join(" ")' <<<"$output")" = "unchanged identical" ]
  [ -z "$(gh_requests | grep '^PATCH')" ]
  # other notes: one PATCH of the body, before the uploads; then publish
  printf '# v9\n\nsecond\n' > "$W/notes.md"
  : > "$GH_LOG"
  run -0 release-upload --repo o/r --tag v9 --notes "$W/notes.md" --publish "$W/a.json" "$W/b.txt"
  [ "$(jq -r '[.notes, .published, .immutable] | join(" ")' <<<"$output")" = "updated true true" ]
  run -0 gh_requests
  local patch upload
  patch=$(grep -n '^PATCH /repos/o/r/releases/[0-9]* 200' <<<"$output" | head -n 1 | cut -d: -f1)
  upload=$(grep -n '^POST /uploads/' <<<"$output" | head -n 1 | cut -d: -f1)
  [ -n "$patch" ] && [ "$patch" -lt "$upload" ]
  [ "$(gh_state | jq -r '.repos["o/r"].releases[] | select(.tag_name == "v9") | .body')" = "$(cat "$W/notes.md")" ]
  # published and immutable: the notes can still change, the assets cannot
  printf '# v9\n\nthird\n' > "$W/notes.md"
  run -0 release-upload --repo o/r --tag v9 --notes "$W/notes.md"
  [ "$(jq -r '[.notes, (.assets | length)] | join(" ")' <<<"$output")" = "updated 0" ]
  printf 'changed\n' > "$W/b.txt"
  printf '# v9\n\nfourth\n' > "$W/notes.md"
  run -1 --separate-stderr release-upload --repo o/r --tag v9 --notes "$W/notes.md" "$W/b.txt"
  [[ "$stderr" == *"is published and immutable"* ]]
  # a refused run changes nothing, notes included
  [ "$(gh_state | jq -r '.repos["o/r"].releases[] | select(.tag_name == "v9") | .body')" = "$(printf '# v9\n\nthird')" ]
  head -c 125001 /dev/zero | tr '\0' x > "$W/big.md"
  run -65 --separate-stderr release-upload --repo o/r --tag v9 --notes "$W/big.md"
  [[ "$stderr" == "release-upload: "*"exceeds"* ]]
}
