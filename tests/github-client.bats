#!/usr/bin/env bats
# The GitHub client of filters/lib/github.h through a small driver
# (tests/lib/gh-call.c, built here against the library archive) against
# tests/lib/fake-github.py: the calls release-upload does not make (PUT,
# DELETE, lists held in an object, a download into a file), soft 4xx answers,
# the exits of the failures, a token echoed by a server.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper
load lib/fake-github

setup_file() {
  local lib="$ROOT/build/obj/libmero.a" san=()
  if [ "${SAN:-0}" = 1 ]; then
    lib="$ROOT/build/san/obj/libmero.a"
    san=('-fsanitize=address,undefined' -fno-omit-frame-pointer)
  fi
  cc -O1 -g -D_GNU_SOURCE -I"$ROOT/filters" "${san[@]}" -o "$BATS_FILE_TMPDIR/gh-call" \
    "$ROOT/tests/lib/gh-call.c" "$lib" -ljq -lcurl -lssl -lcrypto -lm
}

setup() {
  fake_github_start
  export GITHUB_TOKEN="$GH_TOKEN_VALUE"
  unset GH_TOKEN GH_RELEASE_TOKEN GITHUB_WAIT_MAX
}
teardown() { stop_servers; }

gh_call() {
  if [ "${VALGRIND:-0}" = 1 ]; then
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
      --suppressions="$ROOT/tests/valgrind.supp" --show-leak-kinds=definite,indirect "$BATS_FILE_TMPDIR/gh-call" "$@"
  else
    "$BATS_FILE_TMPDIR/gh-call" "$@"
  fi
}

@test "JSON calls: POST, PATCH, PUT, DELETE and GET, each with the API's headers" {
  gh_seed '{"repos": {"o/r": {"pulls": [{"number": 4}]}}}'
  run -0 --separate-stderr gh_call POST /repos/o/r/releases '{"tag_name": "v1", "draft": true}'
  [ "${lines[0]}" = 201 ]
  local id
  id=$(tail -n +2 <<<"$output" | jq .id)
  run -0 gh_call PATCH "/repos/o/r/releases/$id" '{"body": "notes"}'
  [ "$(tail -n +2 <<<"$output" | jq -r .body)" = notes ]
  run -0 gh_call PUT /repos/o/r/issues/4/labels '{"labels": ["policy-promotion"]}'
  [ "$(tail -n +2 <<<"$output" | jq -r '.[0].name')" = policy-promotion ]
  run -0 gh_call DELETE "/repos/o/r/releases/$id"
  [ "$output" = "$(printf '204\nnull')" ]
  run -0 gh_call get /repos/o/r
  [ "$(jq -r .full_name <<<"$output")" = o/r ]
  run -0 jq -r '[.method, .headers["content-type"] // "-", .headers["x-github-api-version"]] | join(" ")' "$GH_LOG"
  assert_output "$(printf 'POST application/json 2022-11-28\nPATCH application/json 2022-11-28\nPUT application/json 2022-11-28\nDELETE - 2022-11-28\nGET - 2022-11-28')"
}

@test "GH_SOFT: a 404 and a 422 come back to the caller with the API's answer" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1"}]}}}'
  run -0 gh_call GET /repos/o/r/releases/tags/v9
  [ "${lines[0]}" = 404 ]
  [ "$(tail -n +2 <<<"$output" | jq -r .message)" = "Not Found" ]
  run -0 gh_call POST /repos/o/r/releases '{"tag_name": "v1"}'
  [ "${lines[0]}" = 422 ]
  [ "$(tail -n +2 <<<"$output" | jq -r '.errors[0].code')" = already_exists ]
}

@test "failures: 404 without GH_SOFT 76, 401 77, 403 77, 5xx after the retries 75, no API at all 69" {
  gh_seed '{"repos": {"o/r": {}}}'
  run -76 --separate-stderr gh_call get /repos/o/nope
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/nope: HTTP 404: Not Found" ]
  [ -z "$output" ]
  run -77 --separate-stderr env -u GITHUB_TOKEN "$BATS_FILE_TMPDIR/gh-call" get /repos/o/r
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r: HTTP 401: Requires authentication (no token was sent)" ]
  gh_fault '{"action": "403", "path": "^/repos/o/r$", "message": "Must have admin rights to Repository."}'
  run -77 --separate-stderr gh_call get /repos/o/r
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r: HTTP 403: Must have admin rights to Repository." ]
  gh_fault '{"action": "502", "path": "^/repos/o/r$", "times": 4}'
  run -75 --separate-stderr gh_call get /repos/o/r
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r: HTTP 502 (after 4 attempts)" ]
  run -69 --separate-stderr env GITHUB_API_URL=http://127.0.0.1:1 "$BATS_FILE_TMPDIR/gh-call" get /repos/o/r
  [[ "$stderr" == "gh-call: GET http://127.0.0.1:1/repos/o/r: connection refused or host unreachable (after 4 attempts)" ]]
}

@test "a dropped connection on a GET is retried; a trailing / on GITHUB_API_URL is dropped" {
  gh_seed '{"repos": {"o/r": {}}}'
  gh_fault '{"action": "close", "path": "^/repos/o/r$"}'
  run -0 env GITHUB_API_URL="$GH_URL/" "$BATS_FILE_TMPDIR/gh-call" get /repos/o/r
  [ "$(jq -r .full_name <<<"$output")" = o/r ]
  run -0 gh_requests
  assert_output "$(printf 'GET /repos/o/r dropped\nGET /repos/o/r 200')"
}

@test "a list held in an object (Actions artifacts) is collected over its pages" {
  local arts
  arts=$(jq -n '[range(25) | {name: "a\(.)", files: {"f.txt": "x"}}]')
  gh_seed "{\"settings\": {\"max_per_page\": 10}, \"repos\": {\"o/r\": {\"runs\": [{\"id\": 5, \"artifacts\": $arts}]}}}"
  run -0 gh_call all /repos/o/r/actions/runs/5/artifacts artifacts
  [ "$(jq -r 'map(.name) | join(" ")' <<<"$output")" = "$(seq 0 24 | sed 's/^/a/' | tr '\n' ' ' | sed 's/ $//')" ]
  [ "$(gh_requests | grep -c '/artifacts 200')" -eq 3 ]
  run -76 --separate-stderr gh_call all /repos/o/r/actions/runs/5/artifacts
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r/actions/runs/5/artifacts: the answer holds no list" ]
  run -76 --separate-stderr gh_call all /repos/o/r/actions/runs/5/artifacts workflow_runs
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r/actions/runs/5/artifacts: the answer holds no list in workflow_runs" ]
}

@test "a download into a file follows the 302 to the asset host without the token; a 404 leaves no file" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "assets": [{"name": "p.json", "content": "{\"p\": 1}\n"}]}],
            "runs": [{"id": 8, "artifacts": [{"name": "probe-artifacts", "files": {"c.json": "{}"}}]}]}}}'
  local aid art
  aid=$(gh_state | jq '.repos["o/r"].releases[0].assets[0].id')
  run -0 gh_call download "/repos/o/r/releases/assets/$aid" "$BATS_TEST_TMPDIR/p.json"
  [ "$(cat "$BATS_TEST_TMPDIR/p.json")" = '{"p": 1}' ]
  art=$(gh_state >/dev/null; "$BATS_FILE_TMPDIR/gh-call" all /repos/o/r/actions/runs/8/artifacts artifacts | jq .[0].id)
  run -0 gh_call download "/repos/o/r/actions/artifacts/$art/zip" "$BATS_TEST_TMPDIR/a.zip"
  [ "$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("c.json").decode())' "$BATS_TEST_TMPDIR/a.zip")" = "{}" ]
  [ "$(jq -r 'select(.host == "assets") | "\(.status) \(.headers | has("authorization"))"' "$GH_LOG")" = "$(printf '200 false\n200 false')" ]
  run -76 --separate-stderr gh_call download /repos/o/r/releases/assets/999999 "$BATS_TEST_TMPDIR/none"
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r/releases/assets/999999: HTTP 404: Not Found" ]
  [ ! -e "$BATS_TEST_TMPDIR/none" ]
  [ -z "$(find "$BATS_TEST_TMPDIR" -name '*.tmp')" ]
}

@test "a URL off the API's origin is refused before anything is sent" {
  run -76 --separate-stderr gh_call get http://127.0.0.2:9/repos/o/r
  [ "$stderr" = "gh-call: GET http://127.0.0.2:9/repos/o/r: the URL is not on the API's origin ${GH_URL}: refused (the token goes nowhere else)" ] ||
    [[ "$stderr" == "gh-call: GET http://127.0.0.2:9/repos/o/r: the URL is not on the API's origin http://127.0.0.1:"*": refused (the token goes nowhere else)" ]]
  [ "$(wc -l < "$GH_LOG")" -eq 0 ]
}

@test "a server that echoes the token in a message: the message is printed with the token wiped" {
  gh_seed '{"repos": {"o/r": {}}}'
  gh_fault "{\"action\": \"403\", \"path\": \"^/repos/o/r\$\", \"message\": \"token $GH_TOKEN_VALUE lacks the repo scope\"}"
  run -77 --separate-stderr gh_call get /repos/o/r
  [ "$stderr" = "gh-call: GET $GH_URL/repos/o/r: HTTP 403: token *** lacks the repo scope" ]
}

@test "an upload with gh_upload: type and length sent, the created asset returned" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "v1", "draft": true}]}}}'
  local up
  up=$(gh_state | jq -r '.repos["o/r"].releases[0].upload_url | sub("\\{.*"; "")')
  printf 'data\n' > "$BATS_TEST_TMPDIR/d.txt"
  run -0 gh_call upload "$up?name=d.txt" "$BATS_TEST_TMPDIR/d.txt" text/plain
  [ "${lines[0]}" = 201 ]
  [ "$(tail -n +2 <<<"$output" | jq -r '[.name, .size, .content_type, .digest] | join(" ")')" = \
    "d.txt 5 text/plain sha256:$(sha256sum "$BATS_TEST_TMPDIR/d.txt" | cut -d' ' -f1)" ]
}
