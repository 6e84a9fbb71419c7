#!/usr/bin/env bats
# phala-cvm against tests/lib/fake-phala.py on 127.0.0.1: upstream's two-phase
# create, the polls, the service URLs, the teardown's fallbacks, the failure
# modes (409, 401, 5xx, a CVM that never runs), and the key kept out of
# everything.

load test_helper

KEY="phala-test-key-Zq7xW2vK9mP4"

setup() {
  export PHALA_CLOUD_API_KEY="$KEY"
  unset PHALA_API_VERSION PHALA_CLOUD_API_PREFIX
  LOG="$BATS_TEST_TMPDIR/requests.log"
  STATE="$BATS_TEST_TMPDIR/state.json"
  BODIES="$BATS_TEST_TMPDIR/bodies.jsonl"
  COMPOSE="$BATS_TEST_TMPDIR/compose.yaml"
  printf 'services:\n  kms:\n    image: ghcr.io/calimero-network/mero-kms-phala@sha256:%s\n    # caf\xc3\xa9 "quoted"\n' \
    "$(printf 'ab%.0s' {1..32})" > "$COMPOSE"
}

teardown() { stop_servers; }

# fake [OPTIONS]: start the fake API (the key from $PHALA_CLOUD_API_KEY); sets
# PHALA_API_BASE_URL and ROOT_URL
fake() {
  start_server PHALA python3 "$BATS_TEST_DIRNAME/lib/fake-phala.py" --log "$LOG" --state "$STATE" \
    --bodies "$BODIES" "$@"
  [ -n "$PHALA_URL" ]
  export PHALA_API_BASE_URL="$PHALA_URL"
  ROOT_URL="${PHALA_URL%/api/v1}"
}

# the requests the fake saw: "METHOD PATH STATUS" per line
requests() { if [ -f "$LOG" ]; then cut -d' ' -f1-3 "$LOG"; fi; }
existing() { jq -r '.existing | join(" ")' "$STATE"; }

# shellcheck disable=SC2120
deploy() { phala-cvm deploy --profile debug --kms-version 2.3.40 --compose "$COMPOSE" "$@"; }

@test "deploy: GET the name, POST /cvms/provision with upstream's body, POST /cvms, the CVM JSON" {
  fake
  run -0 --separate-stderr deploy --region us-west
  [ -z "$stderr" ]
  echo "$output" > "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .name <<<"$output")" = mero-kms-debug-2-3-40 ]
  [ "$(jq -r .status <<<"$output")" = creating ]
  [ "$(jq -r .reused <<<"$output")" = false ]
  [ "$(jq -r .id <<<"$output")" = 1001 ]
  [[ "$(jq -r .app_id <<<"$output")" =~ ^[0-9a-f]{40}$ ]]
  [[ "$(jq -r .vm_uuid <<<"$output")" =~ ^[0-9a-f-]{36}$ ]]
  [ "$(jq -r .gateway_base_domain <<<"$output")" = dstack-fake.phala.test ]
  [ "$(jq -c .endpoints <<<"$output")" = '[]' ]
  # canonical: sorted keys, two-space indent
  [ "$output" = "$(jq -S --indent 2 . <<<"$output")" ]
  run -0 requests
  [ "$output" = "GET /api/v1/cvms/mero-kms-debug-2-3-40 404
POST /api/v1/cvms/provision 200
POST /api/v1/cvms 200" ]
  grep -q ' key=ok version=2026-01-21$' "$LOG"
  [ "$(grep -vc ' key=ok version=2026-01-21$' "$LOG")" -eq 0 ]
  # the provision body: exactly upstream's fields, the YAML byte for byte
  run -0 jq -cS 'select(.path == "/api/v1/cvms/provision") | .body | del(.compose_file.docker_compose_file)' "$BODIES"
  [ "$output" = '{"compose_file":{"allowed_envs":[],"name":"","public_logs":true,"public_sysinfo":false},"instance_type":"tdx.small","kms":"PHALA","listed":false,"name":"mero-kms-debug-2-3-40","prefer_dev":false,"region":"us-west"}' ]
  jq -j 'select(.path == "/api/v1/cvms/provision") | .body.compose_file.docker_compose_file' "$BODIES" > "$BATS_TEST_TMPDIR/sent.yaml"
  cmp "$COMPOSE" "$BATS_TEST_TMPDIR/sent.yaml"
  # the commit: the provision's app_id and compose_hash, nothing else
  local app hash
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")
  hash=$(jq -r .compose_hash "$BATS_TEST_TMPDIR/cvm.json")
  run -0 jq -c 'select(.path == "/api/v1/cvms") | .body' "$BODIES"
  [ "$output" = "{\"app_id\":\"$app\",\"compose_hash\":\"$hash\"}" ]
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
}

@test "deploy: --name, --instance-type; a mero-kms-v version prefix is dropped from the default name" {
  fake
  run -0 phala-cvm deploy --name probe.a_1 --instance-type tdx.medium --compose "$COMPOSE"
  [ "$(jq -r .name <<<"$output")" = probe.a_1 ]
  [ "$(jq -r 'select(.path == "/api/v1/cvms/provision") | .body | [.instance_type, has("region")] | @tsv' "$BODIES")" = "tdx.medium	false" ]
  run -0 phala-cvm deploy --profile LOCKED-read-only --kms-version mero-kms-v2.10.0-rc.1 --compose "$COMPOSE"
  [ "$(jq -r .name <<<"$output")" = mero-kms-locked-read-only-2-10-0-rc-1 ]
}

@test "deploy: a bad name, profile or version exits 2 before any request" {
  fake
  local args
  for args in "--name ab" "--name a/b" "--name $(printf 'x%.0s' {1..101})" "--profile prod --kms-version 1.2.3" \
      "--profile debug --kms-version latest" "--profile debug" "--name ok-name --profile debug --kms-version 1.2.3"; do
    # shellcheck disable=SC2086
    run -2 --separate-stderr phala-cvm deploy $args --compose "$COMPOSE"
    [ -z "$output" ]
    [[ "$(sed -n 2p <<<"$stderr")" == "usage: phala-cvm deploy"* ]]
  done
  run -2 --separate-stderr phala-cvm deploy --name 'bad name' --compose "$COMPOSE"
  [ "$(sed -n 1p <<<"$stderr")" = "phala-cvm: the CVM name 'bad name' does not match ^[a-zA-Z0-9._-]{3,100}\$" ]
  run -2 --separate-stderr phala-cvm deploy --name okname
  [ "$(sed -n 1p <<<"$stderr")" = "phala-cvm: deploy needs --compose FILE" ]
  run -2 --separate-stderr phala-cvm deploy --name okname --compose "$COMPOSE" --instance-type 'a b'
  [ "$(sed -n 1p <<<"$stderr")" = "phala-cvm: --instance-type 'a b' is not [a-zA-Z0-9._-]{3,100}" ]
  [ "$(requests)" = "" ]
}

@test "deploy: a missing, empty or non-UTF-8 compose file exits 66 or 65 before any request" {
  fake
  run -66 --separate-stderr phala-cvm deploy --name okname --compose "$BATS_TEST_TMPDIR/nope.yaml"
  one_line
  [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/nope.yaml'"* ]]
  : > "$BATS_TEST_TMPDIR/empty.yaml"
  run -65 --separate-stderr phala-cvm deploy --name okname --compose "$BATS_TEST_TMPDIR/empty.yaml"
  one_line
  printf 'services: \xff\n' > "$BATS_TEST_TMPDIR/latin.yaml"
  run -65 --separate-stderr phala-cvm deploy --name okname --compose "$BATS_TEST_TMPDIR/latin.yaml"
  one_line
  [[ "$stderr" == *"is not UTF-8 text"* ]]
  [ "$(requests)" = "" ]
}

@test "PHALA_CLOUD_API_KEY missing or empty: exit 78 before any request, for every command" {
  fake
  deploy > /dev/null
  : > "$LOG"
  local cmd
  for cmd in "deploy --name okname --compose $COMPOSE" "status --name okname" "wait --name okname" \
      "url --name okname --port 80" "attestation --name okname" "delete --name okname"; do
    # shellcheck disable=SC2086
    PHALA_CLOUD_API_KEY='' run -78 --separate-stderr phala-cvm $cmd
    one_line
    [ "$stderr" = "phala-cvm: PHALA_CLOUD_API_KEY is not set: the Phala Cloud API needs an API key" ]
  done
  run -78 --separate-stderr env -u PHALA_CLOUD_API_KEY phala-cvm status --name okname
  [ "$(requests)" = "" ]
}

@test "a refused key (401) exits 77 and names the variable, not the key" {
  PHALA_CLOUD_API_KEY=the-fakes-own-key fake
  run -77 --separate-stderr deploy
  one_line
  [ "$stderr" = "phala-cvm: GET $PHALA_API_BASE_URL/cvms/mero-kms-debug-2-3-40: HTTP 401: Invalid API key (the API refused PHALA_CLOUD_API_KEY)" ]
  [ "$(requests)" = "GET /api/v1/cvms/mero-kms-debug-2-3-40 401" ]
  grep -q ' key=bad ' "$LOG"
  # a 401 in the middle of a wait ends it at once
  run -77 --separate-stderr phala-cvm wait --name mero-kms-debug-2-3-40 --timeout 30
  one_line
}

@test "PHALA_API_VERSION is sent as X-Phala-Version; a malformed one or base URL exits 78" {
  fake --api-version 2025-10-28
  PHALA_API_VERSION=2025-10-28 run -0 deploy
  grep -q 'POST /api/v1/cvms 200 key=ok version=2025-10-28$' "$LOG"
  run -76 --separate-stderr phala-cvm status --name mero-kms-debug-2-3-40
  [[ "$stderr" == *"HTTP 400: Unsupported X-Phala-Version '2026-01-21'"* ]]
  : > "$LOG"
  PHALA_API_VERSION=$'2026-01-21\r\nX-Evil: 1' run -78 --separate-stderr phala-cvm status --name okname
  one_line
  [[ "$stderr" == "phala-cvm: PHALA_API_VERSION must be a date YYYY-MM-DD, not '(unprintable)'" ]]
  PHALA_API_BASE_URL=ftp://example run -78 --separate-stderr phala-cvm status --name okname
  [ "$stderr" = "phala-cvm: PHALA_API_BASE_URL must be an http:// or https:// URL of printable characters, not 'ftp://example'" ]
  unset PHALA_API_BASE_URL
  PHALA_CLOUD_API_PREFIX='http://exa mple' run -78 --separate-stderr phala-cvm status --name okname
  [[ "$stderr" == "phala-cvm: PHALA_CLOUD_API_PREFIX must be"* ]]
  [ "$(requests)" = "" ]
}

@test "commit refused with 409: exit 69 with the API's error code, no CVM left" {
  fake --script commit=409
  run -69 --separate-stderr deploy
  one_line
  [ "$stderr" = "phala-cvm: POST $PHALA_API_BASE_URL/cvms: HTTP 409: ERR-03-007 CVM_APP_ID_CONFLICT: the app id is taken" ]
  [ "$(requests | tail -1)" = "POST /api/v1/cvms 409" ]
  [ "$(existing)" = "" ]
}

@test "5xx, 429 and dropped connections are retried; the deploy then succeeds" {
  fake --script provision=500,503 --script commit=close,429:ra=0 --script get=502
  run -0 --separate-stderr deploy --verbose
  [ "$(jq -r .status <<<"$output")" = creating ]
  # the retried requests on stderr, what became of the CVM last
  [[ "$(sed -n 1p <<<"$stderr")" == *"retry 1 of 3"* ]]
  [[ "$(sed -n '$p' <<<"$stderr")" == "phala-cvm: CVM 'mero-kms-debug-2-3-40' (id 1001, app id "*") deployed" ]]
  run -0 requests
  [ "$output" = "GET /api/v1/cvms/mero-kms-debug-2-3-40 502
GET /api/v1/cvms/mero-kms-debug-2-3-40 404
POST /api/v1/cvms/provision 500
POST /api/v1/cvms/provision 503
POST /api/v1/cvms/provision 200
POST /api/v1/cvms 0
POST /api/v1/cvms 429
POST /api/v1/cvms 200" ]
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
  [ "$(jq '.provisions' "$STATE")" = 1 ]
}

@test "5xx after every retry: exit 75 naming the request and the attempts" {
  fake --script provision=500,500,500,500
  run -75 --separate-stderr deploy
  one_line
  [ "$stderr" = "phala-cvm: POST $PHALA_API_BASE_URL/cvms/provision: HTTP 500 (after 4 attempts)" ]
  [ "$(existing)" = "" ]
}

@test "an answer that is not the API's: exit 76" {
  fake --script provision=garbage
  run -76 --separate-stderr deploy
  one_line
  [[ "$stderr" == "phala-cvm: POST $PHALA_API_BASE_URL/cvms/provision: HTTP 200 but the answer is not JSON: <html>"* ]]
}

@test "an existing CVM of the same name is deleted and polled until gone before the deploy" {
  fake --existing mero-kms-debug-2-3-40 --delete-seconds 0.6
  local old
  old=$(jq -r '.cvms[0].vm_uuid | gsub("-"; "")' "$STATE")
  run -0 --separate-stderr deploy
  [ "$stderr" = "phala-cvm: deleted existing CVM 'mero-kms-debug-2-3-40' (via $old)" ]
  run -0 requests
  [ "$(sed -n 1,2p <<<"$output")" = "GET /api/v1/cvms/mero-kms-debug-2-3-40 200
DELETE /api/v1/cvms/$old 204" ]
  # polled while deleting, until 404, then provisioned
  [ "$(grep -c '^GET /api/v1/cvms/mero-kms-debug-2-3-40 200' <<<"$output")" -ge 2 ]
  [ "$(grep -n 'GET /api/v1/cvms/mero-kms-debug-2-3-40 404' <<<"$output" | cut -d: -f1)" -lt \
    "$(grep -n 'POST /api/v1/cvms/provision' <<<"$output" | cut -d: -f1)" ]
  [ "$(jq -c '[.cvms[] | [.id, .deleted]]' "$STATE")" = '[[1001,true],[1002,false]]' ]
}

@test "an existing CVM that never goes: exit 75 after --replace-timeout, nothing provisioned" {
  fake --existing mero-kms-debug-2-3-40 --delete-seconds 60
  run -75 --separate-stderr deploy --replace-timeout 0.5
  [[ "$(sed -n '$p' <<<"$stderr")" =~ ^"phala-cvm: the existing CVM 'mero-kms-debug-2-3-40' not gone after 0 s ("[0-9]+" polls; last: status 'deleting')"$ ]]
  [ "$(jq '.provisions' "$STATE")" = 1 ]
}

@test "wait: creating until the boot time has passed, then the CVM JSON with status running" {
  fake --boot-seconds 2
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  local t0=$SECONDS
  run -0 --separate-stderr phala-cvm wait --timeout 30 < "$BATS_TEST_TMPDIR/cvm.json"
  [ -z "$stderr" ] # progress only on a terminal
  [ "$(jq -r .status <<<"$output")" = running ]
  [ "$(jq -r .app_id <<<"$output")" = "$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")" ]
  [ $((SECONDS - t0)) -lt 10 ]
  # polled by the app id, with backoff (not hundreds of requests)
  local polls
  polls=$(grep -c "^GET /api/v1/cvms/app_$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json") 200" "$LOG")
  [ "$polls" -ge 1 ]
  [ "$polls" -le 14 ]
}

@test "wait: on a terminal, its progress on stderr; stdout still the CVM JSON alone" {
  # the first poll must come before the boot ends: under valgrind a start takes seconds
  fake --boot-seconds "$([ "${VALGRIND:-0}" = 1 ] && echo 8 || echo 1)"
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  # stderr on a pseudo-terminal (script(1)), stdout to a file
  run -0 script -qec "phala-cvm wait --timeout 30 --cvm '$BATS_TEST_TMPDIR/cvm.json' 2>&1 > '$BATS_TEST_TMPDIR/out.json'" /dev/null
  [[ "$output" == *"phala-cvm: waiting for CVM 'mero-kms-debug-2-3-40' to be running ("*"status 'creating')"* ]]
  [[ "$output" =~ "phala-cvm: CVM 'mero-kms-debug-2-3-40' is running after "[0-9]+\.[0-9]" s" ]]
  [ "$(jq -r .status "$BATS_TEST_TMPDIR/out.json")" = running ]
}

@test "wait: a CVM that never runs times out with exit 75 and the last status" {
  fake --never-running
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -75 --separate-stderr phala-cvm wait --cvm "$BATS_TEST_TMPDIR/cvm.json" --timeout 1
  one_line
  [[ "$stderr" =~ ^"phala-cvm: CVM 'mero-kms-debug-2-3-40' not running after 1 s ("[0-9]+" polls; last: status 'creating')"$ ]]
}

@test "wait: a stopped CVM gets one start call, then runs" {
  fake --after-boot stopped --start-seconds 0.5
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 phala-cvm wait --timeout 20 < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .status <<<"$output")" = running ]
  [ "$(grep -c '^POST /api/v1/cvms/app_[0-9a-f]*/start 200' "$LOG")" -eq 1 ]
  [ "$(jq '.cvms[0].starts' "$STATE")" = 1 ]
}

@test "wait: 5xx and dropped connections while polling are only a poll that failed" {
  fake --boot-seconds 0.5 --script get=500,close,503
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 phala-cvm wait --timeout 20 --cvm "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .status <<<"$output")" = running ]
}

@test "wait --until gone; status and wait of an unknown CVM exit 69" {
  fake --delete-seconds 3
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json" > /dev/null
  run -0 phala-cvm status < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .status <<<"$output")" = deleting ]
  run -0 --separate-stderr phala-cvm wait --until gone --timeout 30 < "$BATS_TEST_TMPDIR/cvm.json"
  [ -z "$output" ]
  [ -z "$stderr" ]
  run -69 --separate-stderr phala-cvm status < "$BATS_TEST_TMPDIR/cvm.json"
  one_line
  [[ "$stderr" == "phala-cvm: GET $PHALA_API_BASE_URL/cvms/app_"*": HTTP 404: CVM app_"*" not found" ]]
}

@test "status: the CVM JSON; --expect-compose-hash against the app-compose the attestation shows" {
  fake
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 phala-cvm attestation --cvm "$BATS_TEST_TMPDIR/cvm.json"
  local measured
  measured=$(jq -j .tcb_info.app_compose <<<"$output" | sha256sum | cut -d' ' -f1)
  [ "$(jq -r .tcb_info.app_compose <<<"$output" | jq -r .docker_compose_file)" = "$(cat "$COMPOSE")" ]
  run -0 phala-cvm status --expect-compose-hash "$measured" --name mero-kms-debug-2-3-40
  [ "$(jq -r .compose_hash <<<"$output")" = "$measured" ]
  [ "$(jq -r .compose_hash "$BATS_TEST_TMPDIR/cvm.json")" = "$measured" ]
  run -0 phala-cvm status --expect-compose-hash "${measured^^}" < "$BATS_TEST_TMPDIR/cvm.json"
  run -1 --separate-stderr phala-cvm status --expect-compose-hash "$(printf '0%.0s' {1..64})" < "$BATS_TEST_TMPDIR/cvm.json"
  one_line
  [ "$stderr" = "phala-cvm: CVM 'mero-kms-debug-2-3-40': the API's compose hash is $measured, expected $(printf '0%.0s' {1..64})" ]
  run -2 --separate-stderr phala-cvm status --expect-compose-hash abc < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(sed -n 1p <<<"$stderr")" = "phala-cvm: --expect-compose-hash needs 64 hex digits, not 'abc'" ]
}

@test "status --expect-compose-hash: a wrong API compose hash is a clean no (exit 1)" {
  fake --wrong-compose-hash
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  local measured
  measured=$(phala-cvm attestation < "$BATS_TEST_TMPDIR/cvm.json" | jq -j .tcb_info.app_compose | sha256sum | cut -d' ' -f1)
  run -1 --separate-stderr phala-cvm status --expect-compose-hash "$measured" < "$BATS_TEST_TMPDIR/cvm.json"
  one_line
  [[ "$stderr" == *", expected $measured" ]]
}

@test "url: endpoints, then the gateway domain, then the public suffix, without duplicates" {
  fake --endpoint mero-kms-debug-2-3-40=http://127.0.0.1:4567/ --gateway-domain gw.example
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  local app
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")
  run -0 phala-cvm url --port 8080 < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$output" = "http://127.0.0.1:4567
https://$app-8080.gw.example
http://$app-8080.gw.example
https://app_$app-8080.dstack-pha-prod5.phala.network
https://$app-8080.dstack-pha-prod5.phala.network
http://app_$app-8080.dstack-pha-prod5.phala.network
http://$app-8080.dstack-pha-prod5.phala.network" ]
  # the endpoint can be set later (the probe points it at its kms-sim)
  curl -sf -X PUT --data 'http://127.0.0.1:9999' "$ROOT_URL/_fake/endpoint/mero-kms-debug-2-3-40"
  run -0 phala-cvm url --port 9 --suffix sfx.test --id "app_$app"
  [ "$(sed -n '1p;$p' <<<"$output")" = "http://127.0.0.1:9999
http://$app-9.sfx.test" ]
  run -2 phala-cvm url --cvm "$BATS_TEST_TMPDIR/cvm.json" --port 0
  run -2 phala-cvm url --cvm "$BATS_TEST_TMPDIR/cvm.json"
  run -2 phala-cvm url --cvm "$BATS_TEST_TMPDIR/cvm.json" --port 80 --suffix 'a/b'
}

@test "delete: by vm uuid; a CVM already gone is success; the fallbacks to app id and name" {
  fake
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  local uuid app
  uuid=$(jq -r '.vm_uuid | gsub("-"; "")' "$BATS_TEST_TMPDIR/cvm.json")
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")
  run -0 phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -c . <<<"$output")" = "{\"deleted_via\":\"$uuid\",\"name\":\"mero-kms-debug-2-3-40\",\"result\":\"deleted\"}" ]
  [ "$(existing)" = "" ]
  : > "$LOG"
  run -0 phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .result <<<"$output")" = gone ]
  [ "$(requests)" = "DELETE /api/v1/cvms/$uuid 404
DELETE /api/v1/cvms/app_$app 404
DELETE /api/v1/cvms/mero-kms-debug-2-3-40 404
DELETE /api/v1/cvms/1001 404" ]
  # a vm uuid the API does not know: the app id deletes it
  deploy > "$BATS_TEST_TMPDIR/cvm2.json"
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm2.json")
  jq '.vm_uuid = "00000000-0000-0000-0000-000000000000"' "$BATS_TEST_TMPDIR/cvm2.json" > "$BATS_TEST_TMPDIR/cvm3.json"
  run -0 phala-cvm delete --cvm "$BATS_TEST_TMPDIR/cvm3.json"
  [ "$(jq -r .deleted_via <<<"$output")" = "app_$app" ]
  # only the name left
  deploy > /dev/null
  echo '{"name": "mero-kms-debug-2-3-40"}' > "$BATS_TEST_TMPDIR/byname.json"
  run -0 phala-cvm delete --wait 10 < "$BATS_TEST_TMPDIR/byname.json"
  [ "$(jq -r .deleted_via <<<"$output")" = mero-kms-debug-2-3-40 ]
  [ "$(existing)" = "" ]
  [ "$(jq '.deleted | length' "$STATE")" = 3 ]
}

@test "delete: a DELETE that keeps failing exits 75; a refused key 77" {
  fake --script delete=500,500,500,500
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json" # the app id after the vm uuid failed
  [ "$(jq -r .deleted_via <<<"$output")" = "app_$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")" ]
  stop_servers
  fake --script delete=500,500,500,500,500,500,500,500,500,500,500,500,500,500,500,500
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -75 --separate-stderr phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json"
  one_line
  local uuid
  uuid=$(jq -r '.vm_uuid | gsub("-"; "")' "$BATS_TEST_TMPDIR/cvm.json")
  [ "$stderr" = "phala-cvm: cannot delete CVM 'mero-kms-debug-2-3-40': DELETE $PHALA_API_BASE_URL/cvms/$uuid: HTTP 500 (after 4 attempts)" ]
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
  PHALA_CLOUD_API_KEY=wrong run -77 phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json"
}

@test "--verbose: deploy, wait and delete say what became of the CVM, on stderr, last; quiet without it" {
  fake --boot-seconds 0.3
  run -0 --separate-stderr deploy --verbose
  echo "$output" > "$BATS_TEST_TMPDIR/cvm.json"
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")
  uuid=$(jq -r '.vm_uuid | gsub("-"; "")' "$BATS_TEST_TMPDIR/cvm.json")
  [ "$stderr" = "phala-cvm: CVM 'mero-kms-debug-2-3-40' (id 1001, app id $app) deployed" ]
  run -0 --separate-stderr phala-cvm wait --verbose --timeout 10 --cvm "$BATS_TEST_TMPDIR/cvm.json"
  [[ "$stderr" =~ ^"phala-cvm: CVM 'mero-kms-debug-2-3-40' is running after "[0-9]+\.[0-9]" s"$ ]]
  [ "$(jq -r .status <<<"$output")" = running ]
  run -0 --separate-stderr phala-cvm delete --verbose --wait 5 --cvm "$BATS_TEST_TMPDIR/cvm.json"
  [ "$stderr" = "phala-cvm: CVM 'mero-kms-debug-2-3-40' deleted (DELETE /cvms/$uuid), and gone" ]
  [ "$(jq -r .result <<<"$output")" = deleted ]
  run -0 --separate-stderr phala-cvm delete --verbose --cvm "$BATS_TEST_TMPDIR/cvm.json"
  [ "$stderr" = "phala-cvm: no CVM 'mero-kms-debug-2-3-40' to delete: gone already" ]
  # without --verbose (and not on a terminal): nothing on stderr
  run -0 --separate-stderr phala-cvm delete --wait 5 --name mero-kms-debug-2-3-40
  [ -z "$stderr" ]
  [ "$(jq -r .result <<<"$output")" = gone ]
}

@test "--reuse: no deployment, reused in the CVM JSON, kept by delete unless --force" {
  fake --existing staging-kms
  run -0 phala-cvm deploy --reuse staging-kms --profile debug --kms-version 2.3.40 --compose "$COMPOSE"
  echo "$output" > "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r '[.name, .reused, .status] | @tsv' <<<"$output")" = "staging-kms	true	running" ]
  [ "$(requests)" = "GET /api/v1/cvms/staging-kms 200" ]
  run -0 phala-cvm wait < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .reused <<<"$output")" = true ]
  : > "$LOG"
  # the teardown of a reused CVM needs no key and sends nothing
  PHALA_CLOUD_API_KEY='' run -0 --separate-stderr phala-cvm delete < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -c . <<<"$output")" = '{"deleted_via":null,"name":"staging-kms","result":"kept"}' ]
  [ "$stderr" = "phala-cvm: CVM 'staging-kms' is reused: kept (--force deletes it)" ]
  [ "$(requests)" = "" ]
  run -0 phala-cvm delete --force < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$(jq -r .result <<<"$output")" = deleted ]
  [ "$(existing)" = "" ]
  run -69 phala-cvm deploy --reuse no-such-cvm
  run -65 phala-cvm deploy --reuse 'a/b'
}

@test "attestation: the API's answer as canonical JSON; 409 while the CVM is not running" {
  fake --boot-seconds 30
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -69 --separate-stderr phala-cvm attestation < "$BATS_TEST_TMPDIR/cvm.json"
  [[ "$stderr" == *"/attestation: HTTP 409: CVM app_"*" is not running" ]]
  stop_servers
  fake
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 phala-cvm attestation < "$BATS_TEST_TMPDIR/cvm.json"
  [ "$output" = "$(jq -S --indent 2 . <<<"$output")" ]
  [ "$(jq -r '.tcb_info | [.mrtd, .rtmr3] | @tsv' <<<"$output")" = "$(printf 'a%.0s' {1..96})	$(printf '3%.0s' {1..96})" ]
}

@test "the CVM to act on: --cvm, --id, --name exclude each other; malformed CVM JSON exits 65" {
  fake
  run -2 --separate-stderr phala-cvm status --id a1b --name abc
  [ "$(sed -n 1p <<<"$stderr")" = "phala-cvm: --cvm, --id and --name exclude each other" ]
  run -65 --separate-stderr phala-cvm status <<<'not json'
  one_line
  run -65 --separate-stderr phala-cvm status <<<'[1]'
  [ "$stderr" = "phala-cvm: standard input: not a CVM JSON object" ]
  run -65 --separate-stderr phala-cvm status <<<'{"reused": true}'
  [ "$stderr" = "phala-cvm: standard input: the CVM JSON has none of app_id, vm_uuid, id, name" ]
  run -65 --separate-stderr phala-cvm delete <<<'{"vm_uuid": "../../etc"}'
  [ "$stderr" = "phala-cvm: standard input: vm_uuid is not an identifier ([A-Za-z0-9._-], at most 128)" ]
  run -65 --separate-stderr phala-cvm status --id '../x'
  run -66 --separate-stderr phala-cvm status --cvm "$BATS_TEST_TMPDIR/none.json"
  run -2 phala-cvm wait --until stopped --name abc
  [ "$(requests)" = "" ]
}

@test "a failed write of the CVM JSON exits 74" {
  fake
  deploy > "$BATS_TEST_TMPDIR/cvm.json"
  run -74 --separate-stderr bash -c 'phala-cvm status < "$1" > /dev/full' _ "$BATS_TEST_TMPDIR/cvm.json"
  one_line
}

@test "the API key appears in no output, message, log or state, whatever happens" {
  fake --endpoint http://127.0.0.1:1 --script get=500 --script provision=503 --after-boot stopped
  local all="$BATS_TEST_TMPDIR/all"
  keep() { printf '%s\n%s\n' "$output" "$stderr" >> "$all"; }
  run -0 --separate-stderr deploy --verbose; keep
  echo "$output" > "$BATS_TEST_TMPDIR/cvm.json"
  run -0 --separate-stderr phala-cvm wait --timeout 10 --verbose --cvm "$BATS_TEST_TMPDIR/cvm.json"; keep
  [ "$(jq -r .status <<<"$output")" = running ]
  run -0 --separate-stderr phala-cvm status --name mero-kms-debug-2-3-40 --verbose; keep
  run -0 --separate-stderr phala-cvm url --name mero-kms-debug-2-3-40 --port 80; keep
  run -0 --separate-stderr phala-cvm attestation --name mero-kms-debug-2-3-40; keep
  PHALA_CLOUD_API_KEY="$KEY-not" run -77 --separate-stderr phala-cvm status --name mero-kms-debug-2-3-40; keep
  PHALA_API_BASE_URL=http://127.0.0.1:1/api run -69 --separate-stderr phala-cvm status --name x12; keep
  run -0 --separate-stderr phala-cvm delete --name mero-kms-debug-2-3-40 --wait 5; keep
  grep -q 'retry 1 of 3' "$all" # --verbose did print the retries
  grep -q 'HTTP 401' "$all"
  run ! grep -rF "$KEY" "$all" "$LOG" "$STATE" "$BODIES"
  # the key did go out, as X-API-Key
  grep -q ' key=ok ' "$LOG"
}
