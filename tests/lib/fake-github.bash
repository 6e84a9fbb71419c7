# Helpers for the suites that talk to tests/lib/fake-github.py (load it after
# test_helper; call stop_servers from teardown).
#
#   fake_github_start          start the fake; sets GH_URL, GH_PID, GH_LOG, GH_TOKEN
#                              (a fresh random token, seeded for user "releaser"),
#                              exports GITHUB_API_URL
#   gh_ctl METHOD PATH [JSON]  a control call (/_fake/...); prints the answer
#   gh_seed JSON               merge JSON into the fake's state
#   gh_fault JSON              add faults (one object or a list)
#   gh_state                   the state as JSON
#   gh_requests                the requests seen: "METHOD PATH STATUS" a line, no query
#   gh_assets OWNER/REPO TAG   the assets of the release with that tag (drafts too):
#                              "NAME STATE SIZE" a line, sorted

fake_github_start() {
  GH_LOG="$BATS_TEST_TMPDIR/github.log"
  : > "$GH_LOG"
  start_server GH python3 "$ROOT/tests/lib/fake-github.py" --log "$GH_LOG" --git-root "$BATS_TEST_TMPDIR/git" "$@"
  if [ -z "$GH_URL" ]; then
    cat "$BATS_TEST_TMPDIR"/GH.url.*.err >&2
    return 1
  fi
  export GITHUB_API_URL="$GH_URL"
  GH_TOKEN_VALUE=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
  GH_TOKEN_VALUE="ghp_$GH_TOKEN_VALUE"
  gh_seed "{\"tokens\": {\"$GH_TOKEN_VALUE\": \"releaser\"}}"
}

gh_ctl() {
  if [ $# -ge 3 ]; then
    curl -sS -f -X "$1" -H 'Content-Type: application/json' --data-binary "$3" "$GH_URL$2"
  else
    curl -sS -f -X "$1" "$GH_URL$2"
  fi
}

gh_seed() { gh_ctl POST /_fake/seed "$1" > /dev/null; }
gh_fault() { gh_ctl POST /_fake/faults "$1" > /dev/null; }
gh_state() { gh_ctl GET /_fake/state; }

gh_requests() {
  jq -r '"\(.method) \(.path | sub("\\?.*"; "")) \(.status)"' "$GH_LOG"
}

gh_assets() {
  gh_state | jq -r --arg r "$1" --arg t "$2" \
    '.repos[$r].releases[] | select(.tag_name == $t) | .assets[] | "\(.name) \(.state) \(.size)"' | sort
}
