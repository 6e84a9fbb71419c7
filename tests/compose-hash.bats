#!/usr/bin/env bats
# compose-hash: SHA-256 of the exact compose bytes, --check, --event-log.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

setup() {
  C="$FIX/compose-hash"
  SIM="$VEC/dstack/sdk/simulator"
  T="$BATS_TEST_TMPDIR"
  unset IMAGE_REF SERVICE_PORT MERO_KMS_VERSION MERO_KMS_PROFILE
}

# an event log whose compose-hash runtime event carries $1 (digest left to be computed)
log_with_hash() {
  jq --arg h "$1" '(.[] | select(.event == "compose-hash")) |= (.event_payload = $h | .digest = "")' "$SIM/eventlog.json"
}

@test "program-specific usage errors exit 2 with the synopsis" {
  run -2 --separate-stderr compose-hash --check abc
  assert_equal "${stderr_lines[0]}" "compose-hash: --check needs 64 hex digits, not 'abc'"
  assert_equal "${stderr_lines[1]}" "usage: compose-hash [--check HEX] [--event-log FILE] < COMPOSE > HASH"
  run -2 --separate-stderr compose-hash extra
  assert_equal "${stderr_lines[0]}" "compose-hash: unexpected argument 'extra'"
  # rendering is compose-render's: --help does not offer it
  run -0 compose-hash --help
  refute_output --partial 'render'
  refute_output --partial '__MERO_KMS_PROFILE__'
}

@test "golden: the hash of the exact bytes of a compose YAML and an app-compose.json" {
  for f in kms-compose.locked-read-only.yaml app-compose.json; do
    run -0 --separate-stderr compose-hash < "$C/$f"
    assert_output "$(cat "$C/$f.sha256")"
    assert_output "$(sha256sum < "$C/$f" | cut -c1-64)"
  done
  assert_equal "$(cat "$C/app-compose.json.sha256")" a40dfbf6a790e69f7a4a59d86fab48e308399e5c1efeb5b2eb27c451f61871e4
}

@test "no re-serialisation: the same app-compose in another serialiser's form hashes differently" {
  jq -S --indent 4 . "$C/app-compose.json" > "$T/pretty.json"
  printf '\n' | cat "$C/app-compose.json" - > "$T/newline.json"
  a=$(compose-hash < "$C/app-compose.json")
  b=$(compose-hash < "$T/pretty.json")
  c=$(compose-hash < "$T/newline.json")
  assert [ "$a" != "$b" ]
  assert [ "$a" != "$c" ]
  assert_equal "$b" "$(sha256sum < "$T/pretty.json" | cut -c1-64)"
  # the same document all the same
  assert_equal "$(jq -cS . "$T/pretty.json")" "$(jq -cS . "$C/app-compose.json")"
}

@test "--check: a match prints the hash, a mismatch exits 1 with nothing on stdout" {
  h=$(cat "$C/app-compose.json.sha256")
  run -0 --separate-stderr compose-hash --check "$h" < "$C/app-compose.json"
  assert_output "$h"
  run -0 --separate-stderr compose-hash --check "${h^^}" < "$C/app-compose.json"
  assert_output "$h"
  run -1 --separate-stderr compose-hash --check "$h" < "$C/kms-compose.locked-read-only.yaml"
  one_line
  assert_equal "$stderr" "compose-hash: compose hash $(cat "$C/kms-compose.locked-read-only.yaml.sha256") differs from the expected $h"
}

@test "--event-log: the compose-hash event carries the hash (also inside an /attest response)" {
  h=$(cat "$C/app-compose.json.sha256")
  log_with_hash "$h" > "$T/log.json"
  jq '{quoteB64: "", eventLog: .}' "$T/log.json" > "$T/resp.json"
  run -0 --separate-stderr compose-hash --event-log "$T/log.json" < "$C/app-compose.json"
  assert_output "$h"
  run -0 --separate-stderr compose-hash --event-log "$T/resp.json" --check "$h" < "$C/app-compose.json"
  assert_output "$h"
}

@test "--event-log: another hash, no compose-hash event, a bad digest, a bad or missing log" {
  run -1 --separate-stderr compose-hash --event-log "$SIM/eventlog.json" < "$C/app-compose.json"
  one_line
  assert_equal "$stderr" "compose-hash: event log '$SIM/eventlog.json': compose-hash event 22 carries ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b, not $(cat "$C/app-compose.json.sha256")"
  jq 'map(select(.event != "compose-hash"))' "$SIM/eventlog.json" > "$T/none.json"
  run -1 --separate-stderr compose-hash --event-log "$T/none.json" < "$C/app-compose.json"
  assert_equal "$stderr" "compose-hash: event log '$T/none.json' has no compose-hash runtime event in IMR 3"
  jq '(.[] | select(.event == "compose-hash") | .event_payload) = "'"$(cat "$C/app-compose.json.sha256")"'"' "$SIM/eventlog.json" > "$T/stale.json"
  run -1 --separate-stderr compose-hash --event-log "$T/stale.json" < "$C/app-compose.json"
  assert_regex "$stderr" "^compose-hash: event log '.*': event 22 'compose-hash' \(IMR 3\): recorded digest [0-9a-f]{96} differs from the computed V1 digest [0-9a-f]{96}$"
  echo '[{"imr":9,"event_type":1,"digest":""}]' > "$T/bad.json"
  run -65 --separate-stderr compose-hash --event-log "$T/bad.json" < "$C/app-compose.json"
  one_line
  assert_equal "$stderr" "compose-hash: cannot parse event log '$T/bad.json': event 0: unknown IMR 9 (0-3 are RTMR0-3)"
  run -66 --separate-stderr compose-hash --event-log "$T/missing.json" < "$C/app-compose.json"
  one_line
}

@test "empty input exits 65, a missing or directory event log 66, a write error 74" {
  run -65 --separate-stderr compose-hash < /dev/null
  one_line
  assert_equal "$stderr" "compose-hash: empty compose file"
  run -66 --separate-stderr compose-hash --event-log "$T/none.json" < "$C/app-compose.json"
  one_line
  mkdir "$T/dir"
  run -66 --separate-stderr compose-hash --event-log "$T/dir" < "$C/app-compose.json"
  one_line
  assert_equal "$stderr" "compose-hash: cannot read '$T/dir': not a regular file (a directory)"
  run -74 --separate-stderr bash -c 'compose-hash < "$1" > /dev/full' _ "$C/app-compose.json"
  assert_equal "$(nlines "$stderr")" 1
}
