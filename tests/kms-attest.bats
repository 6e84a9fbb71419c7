#!/usr/bin/env bats
# kms-attest against kms-sim (the simulated mero-kms) and against a fake KMS that
# misbehaves in each way kms-attest must notice.

load test_helper
load lib/outfiles

FAKE="$FIX/kms-attest/fake-kms.py"
RECORDED="$FIX/kms-attest/recorded-response.json"

setup() {
  printf 'services:\n  kms:\n    image: ghcr.io/calimero-network/mero-kms-phala@sha256:%064d\n' 0 > "$BATS_TEST_TMPDIR/compose.yaml"
}
teardown() {
  stop_servers
  unmount_full_fs
}

sim() { start_server SIM kms-sim --listen 127.0.0.1:0 --profile "${1:-debug}" --kms-version 2.3.40 \
  --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"; }
fake() { start_server FAKE python3 "$FAKE" "$@"; }

# expected report data (hex) of a request file: nonce || binding (default binding if absent)
rd_of() {
  { jq -r .nonceB64 "$1" | base64 -d
    jq -r '.bindingB64 // "IyP+rOn9F1GomrK+u4q6FF80OjaI49FlXtQo6wdm45Y="' "$1" | base64 -d; } | od -An -tx1 -v | tr -d ' \n'
}

@test "usage errors exit 2: no --url, bad URL, bad binding, bad timeout" {
  run -2 --separate-stderr kms-attest
  [[ "$stderr" == *"--url is required"* ]]
  run -2 --separate-stderr kms-attest --url ftp://x
  [[ "$stderr" == *"must start with http"* ]]
  run -2 --separate-stderr kms-attest --url http://127.0.0.1:1 --binding-b64 AAAA
  [[ "$stderr" == *"exactly 32 bytes"* ]]
  run -2 --separate-stderr kms-attest --url http://127.0.0.1:1 --timeout soon
  [[ "$stderr" == *"--timeout needs a number"* ]]
}

@test "attests kms-sim: a fresh nonce, report data nonce || default binding, in the quote too" {
  sim debug
  run -0 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$BATS_TEST_TMPDIR/req.json"
  echo "$output" > "$BATS_TEST_TMPDIR/resp.json"
  [ "$(jq -r 'keys | join(",")' "$BATS_TEST_TMPDIR/resp.json")" = "eventLog,quoteB64,reportDataHex,vmConfig" ]
  want=$(rd_of "$BATS_TEST_TMPDIR/req.json")
  [ "${want:64}" = 2323feace9fd1751a89ab2bebb8aba145f343a3688e3d1655ed428eb0766e396 ]
  [ "$(jq -r .reportDataHex "$BATS_TEST_TMPDIR/resp.json")" = "$want" ]
  [ "$(jq -r .quoteB64 "$BATS_TEST_TMPDIR/resp.json" | quote2json | jq -r .td_report.report_data)" = "$want" ]
  [ "$(jq -r .nonceB64 "$BATS_TEST_TMPDIR/req.json" | base64 -d | wc -c)" -eq 32 ]
  [ "$(jq -r 'has("bindingB64")' "$BATS_TEST_TMPDIR/req.json")" = false ]
}

@test "progress on stderr when it is a terminal, none when it is not" {
  # (2 s of boot: kms-attest must still find the KMS starting under valgrind)
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile debug --boot-seconds 2 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  # script(1) gives kms-attest a terminal; its stdout goes to a file
  run -0 script -qec "kms-attest --url '$SIM_URL' --interval 0.1 > '$BATS_TEST_TMPDIR/resp.json'" /dev/null
  [[ "$output" == *"waiting for $SIM_URL/health"*"HTTP 503"* ]]
  [[ "$output" == *"$SIM_URL/health is alive after"* ]]
  [ "$(jq -r 'has("quoteB64")' "$BATS_TEST_TMPDIR/resp.json")" = true ]
  stop_servers
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile debug --boot-seconds 0.6 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  run -0 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.1
  [ -z "$stderr" ]
}

@test "two runs use two different nonces" {
  sim debug
  kms-attest --url "$SIM_URL" --request-out "$BATS_TEST_TMPDIR/a.json" > /dev/null
  kms-attest --url "$SIM_URL" --request-out "$BATS_TEST_TMPDIR/b.json" > /dev/null
  [ "$(jq -r .nonceB64 "$BATS_TEST_TMPDIR/a.json")" != "$(jq -r .nonceB64 "$BATS_TEST_TMPDIR/b.json")" ]
}

@test "--binding-b64 is sent and bound into the quote" {
  sim debug
  b=$(printf 'peer-id-hash-of-32-bytes-exactly' | base64)
  run -0 --separate-stderr kms-attest --url "$SIM_URL/" --binding-b64 "$b" --request-out "$BATS_TEST_TMPDIR/req.json"
  [ "$(jq -r .bindingB64 "$BATS_TEST_TMPDIR/req.json")" = "$b" ]
  [ "$(jq -r .reportDataHex <<<"$output" | cut -c65-)" = "$(printf 'peer-id-hash-of-32-bytes-exactly' | od -An -tx1 -v | tr -d ' \n')" ]
}

@test "--expect-profile and --expect-version: a match passes, a mismatch exits 1 naming both" {
  sim debug-read-only
  run -0 --separate-stderr kms-attest --url "$SIM_URL" --expect-profile debug-read-only --expect-version mero-kms-v2.3.40
  run -1 --separate-stderr kms-attest --url "$SIM_URL" --expect-profile locked-read-only
  [ -z "$output" ]
  [ "$stderr" = "kms-attest: $SIM_URL/health reports profile 'debug-read-only', expected 'locked-read-only'" ]
  run -1 --separate-stderr kms-attest --url "$SIM_URL" --expect-version 2.4.0
  [[ "$stderr" == *"reports version '2.3.40', expected '2.4.0'"* ]]
}

@test "a KMS that reports no version is warned about, not refused (mero-kms has no version endpoint)" {
  fake echo-rd "$RECORDED"
  run -1 --separate-stderr kms-attest --url "$FAKE_URL" --expect-version 2.3.40
  [[ "$stderr" == *"reports no version; '2.3.40' not checked"* ]]
}

@test "an answer carrying someone else's nonce exits 1 (replay)" {
  fake replay "$RECORDED"
  run -1 --separate-stderr kms-attest --url "$FAKE_URL"
  [ -z "$output" ]
  [[ "$stderr" == *"reportDataHex is not our nonce || binding"* ]]
}

@test "reportDataHex right but a quote bound to another nonce exits 1" {
  fake echo-rd "$RECORDED"
  run -1 --separate-stderr kms-attest --url "$FAKE_URL"
  [ -z "$output" ]
  [[ "$stderr" == *"the quote's report data is not our nonce || binding"* ]]
}

@test "nothing listening: exit 75 after the timeout, naming the URL" {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run -75 --separate-stderr kms-attest --url "http://127.0.0.1:$port" --timeout 0.5 --interval 0.1
  [ -z "$output" ]
  [[ "$stderr" == "kms-attest: http://127.0.0.1:$port/health not alive after 0 s"*"connection refused"* ]] || \
    [[ "$stderr" == "kms-attest: http://127.0.0.1:$port/health not alive after 1 s"*"connection refused"* ]]
}

@test "a KMS that never reports alive: exit 75 with its last status" {
  fake starting
  run -75 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 0.6 --interval 0.1
  [[ "$stderr" == *"not alive after"*"last: status 'starting'"* ]]
}

@test "a /health that does not answer in time: exit 75" {
  fake slow-health
  run -75 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 1 --interval 0.1
  [[ "$stderr" == *"/health not alive after 1 s"* ]]
}

@test "refused or impossible answers exit 76 naming URL and status" {
  fake health-404
  run -76 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 2
  [ "$stderr" = "kms-attest: GET $FAKE_URL/health: HTTP 404: not_found: no such route" ]
  stop_servers
  fake health-text
  run -76 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 2
  [[ "$stderr" == *"GET $FAKE_URL/health: HTTP 200 but not a JSON object"* ]]
  stop_servers
  fake attest-400
  run -76 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 2
  [ "$stderr" = "kms-attest: POST $FAKE_URL/attest: HTTP 400: invalid_attestation_request: nonceB64 must be exactly 32 bytes" ]
  stop_servers
  fake attest-text
  run -76 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 2
  [[ "$stderr" == *"POST $FAKE_URL/attest: HTTP 200 but the answer is not a JSON object"* ]]
  stop_servers
  fake attest-nokey
  run -76 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 2
  [[ "$stderr" == *"the answer lacks quoteB64"* ]]
  [ -z "$output" ]
}

@test "an /attest that keeps failing with 500: retried, then exit 75" {
  fake attest-500
  run -75 --separate-stderr kms-attest --url "$FAKE_URL" --timeout 5
  [[ "$stderr" == *"$FAKE_URL/attest"* ]]
  [ -z "$output" ]
}

@test "writing the response to a full device exits 74" {
  sim debug
  run -74 --separate-stderr bash -c "kms-attest --url '$SIM_URL' > /dev/full"
  [[ "$stderr" == "kms-attest: cannot write to standard output"* ]]
}

@test "--request-out: a device is written in place and stays a device; a full one exits 74" {
  sim debug
  dev_null_at "$BATS_TEST_TMPDIR/null"
  run -0 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$BATS_TEST_TMPDIR/null"
  [ "$(jq -r 'keys | join(",")' <<<"$output")" = "eventLog,quoteB64,reportDataHex,vmConfig" ]
  [ -c "$BATS_TEST_TMPDIR/null" ]
  dev_full_at "$BATS_TEST_TMPDIR/full"
  run -74 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$BATS_TEST_TMPDIR/full"
  one_line
  assert_equal "$stderr" "kms-attest: cannot write '$BATS_TEST_TMPDIR/full': No space left on device"
  [ -c "$BATS_TEST_TMPDIR/full" ]
  [ -z "$(temporaries "$BATS_TEST_TMPDIR")" ]
}

@test "--request-out: a link at the name is replaced (its target untouched), links at temporary names are never followed" {
  sim debug
  local d="$BATS_TEST_TMPDIR/out"
  mkdir "$d"
  echo precious > "$BATS_TEST_TMPDIR/target"
  ln -s "$BATS_TEST_TMPDIR/target" "$d/req.json"
  plant_links "$d" req.json "$BATS_TEST_TMPDIR/target"
  run -0 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$d/req.json"
  [ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
  [ -f "$d/req.json" ]
  [ ! -L "$d/req.json" ]
  [ "$(jq -r .nonceB64 "$d/req.json" | base64 -d | wc -c)" -eq 32 ]
  [ "$(stat -c %a "$d/req.json")" = 644 ]
  [ -L "$d/req.json.tmp" ]
  [ -L "$d/.req.json.tmp" ]
  [ -L "$d/req.json.new" ]
  [ -z "$(temporaries "$d")" ]
}

@test "--request-out: a full file system exits 74 and leaves no temporary; a folder is refused" {
  sim debug
  full_fs "$BATS_TEST_TMPDIR/small"
  run -74 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$BATS_TEST_TMPDIR/small/req.json"
  one_line
  [[ "$stderr" == "kms-attest: cannot write '$BATS_TEST_TMPDIR/small/req.json': No space left on device" ]]
  [ ! -e "$BATS_TEST_TMPDIR/small/req.json" ]
  [ -z "$(temporaries "$BATS_TEST_TMPDIR/small")" ]
  mkdir "$BATS_TEST_TMPDIR/dir"
  run -74 --separate-stderr kms-attest --url "$SIM_URL" --interval 0.05 --request-out "$BATS_TEST_TMPDIR/dir"
  one_line
  [ -d "$BATS_TEST_TMPDIR/dir" ]
}
