#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# kms-sim --app-compose FILE: the compose-hash runtime event is the SHA-256 of the
# dstack app-compose JSON Phala Cloud builds around the YAML (as dstack measures
# it), not of the YAML; the event log still replays to RTMR3. The fake Phala API
# starts its CVMs' KMS so (tests/flow-probe-phala.bats).

load test_helper

setup() {
  COMPOSE="$BATS_TEST_TMPDIR/compose.yaml"
  APP="$BATS_TEST_TMPDIR/app-compose.json"
  printf 'services:\n  kms:\n    image: ghcr.io/calimero-network/mero-kms-phala@sha256:%064d\n' 7 > "$COMPOSE"
  jq -cnS --rawfile y "$COMPOSE" '{docker_compose_file: $y, manifest_version: 2, name: "kms", runner: "docker-compose"}' \
    | tr -d '\n' > "$APP"
}
teardown() { stop_servers; }

attest() { # ARGS...: kms-sim with ARGS, attested; the response in $BATS_TEST_TMPDIR/r.json
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile debug --compose "$COMPOSE" --state "$BATS_TEST_TMPDIR/state" "$@"
  [ -n "$SIM_URL" ]
  kms-attest --url "$SIM_URL" > "$BATS_TEST_TMPDIR/r.json"
  stop_servers
}
event() { jq -r '.eventLog[] | select(.event == "compose-hash") | .event_payload' "$BATS_TEST_TMPDIR/r.json"; }

@test "--app-compose FILE: the compose-hash event is the app-compose JSON's SHA-256, and replays" {
  attest --app-compose "$APP"
  app=$(sha256sum < "$APP" | cut -c1-64)
  [ "$(event)" = "$app" ]
  [ "$app" != "$(sha256sum < "$COMPOSE" | cut -c1-64)" ]
  # the event log is consistent with the quote, and compose-hash agrees on the bytes
  jq -r .quoteB64 "$BATS_TEST_TMPDIR/r.json" | base64 -d | quote2json > "$BATS_TEST_TMPDIR/q.json"
  run -0 rtmr-replay --quote "$BATS_TEST_TMPDIR/q.json" < "$BATS_TEST_TMPDIR/r.json"
  [ "$(jq -r .runtime.compose_hash <<<"$output")" = "$app" ]
  run -0 compose-hash --event-log "$BATS_TEST_TMPDIR/r.json" < "$APP"
  run -1 --separate-stderr compose-hash --event-log "$BATS_TEST_TMPDIR/r.json" < "$COMPOSE"
  [[ "$stderr" == *": compose-hash event "*" carries $app, not $(sha256sum < "$COMPOSE" | cut -c1-64)" ]]
}

@test "without --app-compose the event is the YAML's SHA-256, as before" {
  attest
  [ "$(event)" = "$(sha256sum < "$COMPOSE" | cut -c1-64)" ]
}

@test "--app-compose naming a missing file or a folder exits 66 before serving" {
  run -66 --separate-stderr timeout 60 kms-sim --listen 127.0.0.1:0 --profile debug --compose "$COMPOSE" \
    --state "$BATS_TEST_TMPDIR/state" --app-compose "$BATS_TEST_TMPDIR/none.json"
  [ -z "$output" ]
  [[ "$stderr" == "kms-sim: cannot "*"$BATS_TEST_TMPDIR/none.json"* ]]
  run -66 --separate-stderr timeout 60 kms-sim --listen 127.0.0.1:0 --profile debug --compose "$COMPOSE" \
    --state "$BATS_TEST_TMPDIR/state" --app-compose "$BATS_TEST_TMPDIR"
  [ -z "$output" ]
  [[ "$stderr" == *"not a regular file"* ]]
}
