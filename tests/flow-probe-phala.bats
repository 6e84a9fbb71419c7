#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# make probe STAGING=phala against tests/lib/fake-phala.py on 127.0.0.1, whose
# CVMs each run a kms-sim the fake starts on commit (the compose-hash event
# measured from the app-compose JSON, as dstack does) behind its gateway: the
# whole probe end to end, probe-all with three CVMs at once, the reuse of a CVM,
# the hold window, and the teardown after every failure (a refused commit, a CVM
# that never runs, a KMS that fails to attest, a wrong compose hash, SIGINT
# during the boot and the health waits, SIGTERM to make alone), each confirmed
# by the fake; a teardown that fails fails make. The API key is never in any
# artifact or output. Processes are tracked by their ids.

load test_helper

KEY="phala-probe-key-Qx81LmZ3vT"
DIGEST=ghcr.io/calimero-network/mero-kms-phala@sha256:5555555555555555555555555555555555555555555555555555555555555555

setup_file() {
  COSIGN_PASSWORD='' cosign-wrap generate-key-pair --output-key-prefix "$BATS_FILE_TMPDIR/release" > /dev/null
}

setup() {
  A="$BATS_TEST_TMPDIR/artifacts"
  KMS="$BATS_TEST_TMPDIR/kms"
  STATE="$BATS_TEST_TMPDIR/state.json"
  LOG="$BATS_TEST_TMPDIR/requests.log"
  export PHALA_CLOUD_API_KEY="$KEY" COSIGN_KEY="$BATS_FILE_TMPDIR/release.key" COSIGN_PASSWORD=
  # (make check exports the knobs of its own make: SOURCE=sim among them)
  unset PHALA_API_VERSION PHALA_CLOUD_API_PREFIX ITA_API_KEY SOURCE
}
teardown() {
  stop_bg_makes
  stop_servers
}

# fake [OPTIONS]: the fake API, its CVMs' kms-sim under $KMS (its simulated PKI made
# before it prints its URL: up to 60 s under valgrind); sets PHALA_API_BASE_URL
fake() {
  local out="$BATS_TEST_TMPDIR/fake.url" i
  python3 "$BATS_TEST_DIRNAME/lib/fake-phala.py" --kms-sim "$(command -v kms-sim)" --kms-state "$KMS" \
    --state "$STATE" --log "$LOG" "$@" > "$out" 2> "$out.err" &
  echo $! >> "$BATS_TEST_TMPDIR/.servers"
  FAKE_PID=$!
  for ((i = 0; i < 6000; i++)); do
    [ -s "$out" ] && break
    kill -0 "$FAKE_PID" 2>/dev/null || break
    sleep 0.01
  done
  PHALA_API_BASE_URL=$(head -n 1 "$out")
  export PHALA_API_BASE_URL
  [ -n "$PHALA_API_BASE_URL" ] || { cat "$out.err"; false; }
}

# mk ARGS...: make in the project, this test's artifacts, no parent make's flags
# probe ARGS...: a STAGING=phala probe of the fake's CVMs (simulated quotes: SOURCE=sim,
# trusted under the fake's simulated root, with its collateral)
probe() {
  mk probe STAGING=phala SOURCE=sim KMS_IMAGE_DIGEST="$DIGEST" COLLATERAL="$KMS/collateral.json" \
    ROOT_CA="$KMS/root-ca.pem" "$@"
}

# the fake's state, live
state() { curl -sf "${PHALA_API_BASE_URL%/api/v1}/_fake/state"; }
existing() { state | jq -r '.existing | join(" ")'; }
deleted() { state | jq -r '.deleted | join(" ")'; }
kms_running() { state | jq -r .kms_running; }
# nothing is left: no CVM, no KMS process of a CVM
nothing_left() {
  [ -z "$(existing)" ] || { echo "CVMs left: $(existing)"; return 1; }
  [ "$(kms_running)" = 0 ] || { echo "kms-sim left: $(kms_running)"; return 1; }
  local pid
  for pid in $(state | jq -r '.cvms[].kms.pid // empty'); do
    ! kill -0 "$pid" 2>/dev/null || { echo "kms-sim $pid still runs"; return 1; }
  done
}
# the requests the fake saw: "METHOD PATH STATUS"
requests() { cut -d' ' -f1-3 "$LOG"; }

# bg_make OUT ARGS...: probe ARGS in the background, in a session of its own with
# SIGINT at its default (as a terminal runs it); BG_PID is also its process group
bg_make() {
  local out=$1
  shift
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe STAGING=phala \
    SOURCE=sim KMS_IMAGE_DIGEST="$DIGEST" COLLATERAL="$KMS/collateral.json" ROOT_CA="$KMS/root-ca.pem" "$@" \
    > "$out" 2>&1 &
  BG_PID=$!
  echo "$BG_PID" >> "$BATS_TEST_TMPDIR/.makes"
}
stop_bg_makes() {
  local pid
  [ -f "$BATS_TEST_TMPDIR/.makes" ] || return 0
  while read -r pid; do kill -TERM -- -"$pid" 2>/dev/null; done < "$BATS_TEST_TMPDIR/.makes"
  rm -f "$BATS_TEST_TMPDIR/.makes"
}
wait_for() { # FILE: until it exists (60 s at most)
  local i
  for ((i = 0; i < 6000; i++)); do [ -e "$1" ] && return 0; sleep 0.01; done
  echo "never appeared: $1"
  return 1
}
wait_bg() { status=0; wait "$1" || status=$?; }

verified() { # DIR FILE
  cosign-wrap verify --key "$1/cosign.pub" --signature "$1/$2.sig" < "$1/$2" > /dev/null &&
    cosign-wrap verify --key "$1/cosign.pub" --bundle "$1/$2.sigstore.json" < "$1/$2" > /dev/null
}
# signed_record DIR: a report, every file beside it signed, no temporary; FAIL: no candidates
signed_record() {
  local d=$1 f
  [ -f "$d/probe-report.md" ] || { echo "no report in $d"; return 1; }
  for f in probe-report.md probe.log $(cd "$d" && ls compose.yaml staging.json attest-request.json \
      attest-response.json collateral.json attestation-quote.bin attestation-quote.json verification.json \
      ita-appraisal.json event-log-replay.json compose-hash.txt measurement-policy-candidates.json 2>/dev/null); do
    verified "$d" "$f" || { echo "not signed: $f"; return 1; }
  done
  [ -z "$(find "$d" -name '*.tmp' -o -name '.attest.*')" ] || { echo "temporaries left"; return 1; }
  if ! head -n 1 "$d/probe-report.md" | grep -q ': PASS'; then
    [ ! -e "$d/measurement-policy-candidates.json" ] || { echo "a FAIL with candidates"; return 1; }
  fi
}
# failed_at DIR STEP TEXT: the report's headline names the step, and the text
failed_at() {
  grep -q "^# Staging probe [a-z-]*: FAIL" "$1/probe-report.md" || { head -3 "$1/probe-report.md"; return 1; }
  grep -q '^\*\*Failed at step `'"$2"'`\*\*: .*'"$3" "$1/probe-report.md" || { grep '^\*\*' "$1/probe-report.md"; return 1; }
}
# torn_down DIR NAME: the teardown passed, the fake deleted the CVM NAME, nothing is left
torn_down() {
  grep -q '^teardown  *pass  *0  *[0-9]*  phala-cvm: CVM '"'$2'"' deleted (DELETE /cvms/[^)]*), and gone$' "$1/probe.log" || { cat "$1/probe.log"; return 1; }
  [[ " $(deleted) " == *" $2 "* ]] || { echo "not deleted: $2 ($(deleted))"; return 1; }
  nothing_left
}
no_key() { # FILE|DIR...: the API key is in none of them
  ! grep -rqF -- "$KEY" "$@" || { grep -rlF -- "$KEY" "$@"; false; }
}

@test "STAGING=phala end to end: deployed, running, alive, attested, torn down; the report records the CVM" {
  fake --boot-seconds 0.5 --kms-boot-seconds 0.3
  run -0 --separate-stderr probe PROFILE=locked-read-only
  d="$A/probe/locked-read-only"
  name=mero-kms-locked-read-only-2-3-40
  [[ "$output" == *"probe: locked-read-only: Staging probe locked-read-only: PASS (NOT verified under Intel's root CA)"* ]]
  # every step passed but the ita step (no ITA_API_KEY), in the steps file's order
  [ "$(awk 'NR > 1 && $1 != "total" { print $1 "=" $2 }' "$d/probe.log" | paste -sd ' ')" = \
    "render=pass deploy=pass boot=pass health=pass attest=pass collateral=pass teardown=pass decode=pass parse=pass verify=pass ita=skip replay=pass compose-hash=pass extract=pass" ]
  torn_down "$d" "$name"
  # the API saw upstream's calls with the key and the version header, the KMS through the gateway
  [ "$(grep -c ' key=ok version=2026-01-21$' "$LOG")" -eq "$(grep -vc '/gw/' "$LOG")" ]
  run -0 requests
  [[ "$output" == *"POST /api/v1/cvms/provision 200"*"POST /api/v1/cvms 200"*"/health 200"*"POST /gw/"*"/attest 200"*"DELETE /api/v1/cvms/"*" 204"* ]]
  # the report: the CVM, its timings and teardown
  app=$(state | jq -r .cvms[0].app_id)
  uuid=$(state | jq -r .cvms[0].vm_uuid)
  # each step's message is phala-cvm's line (--verbose) saying what became of the CVM
  grep -qx "deploy  *pass  *0  *[0-9]*  phala-cvm: CVM '$name' (id 1001, app id $app) deployed" "$d/probe.log"
  grep -qx "boot  *pass  *0  *[0-9]*  phala-cvm: CVM '$name' is running after [0-9.]* s" "$d/probe.log"
  grep -qx '| backend | phala (a staging CVM on Phala Cloud) |' "$d/probe-report.md"
  grep -qx "| name | $name |" "$d/probe-report.md"
  grep -qx '| CVM id | 1001 |' "$d/probe-report.md"
  grep -qx "| app id | $app |" "$d/probe-report.md"
  grep -qx "| vm uuid | $uuid |" "$d/probe-report.md"
  grep -qx '| reused | no: deployed for this probe, deleted at the end |' "$d/probe-report.md"
  grep -Eqx '\| boot \| [0-9]+\.[0-9]{3} s \(until running\) \|' "$d/probe-report.md"
  grep -Eqx '\| health \| [0-9]+\.[0-9]{3} s \(until /health said alive\) \|' "$d/probe-report.md"
  grep -qx "| teardown | done: phala-cvm: CVM '$name' deleted (DELETE /cvms/${uuid//-/}), and gone |" "$d/probe-report.md"
  grep -qx "| KMS URL | ${PHALA_API_BASE_URL%/api/v1}/gw/$app |" "$d/probe-report.md"
  # the compose hashes: the YAML's, and the app-compose JSON's the CVM measured, which the API reported
  yaml=$(sha256sum < "$d/compose.yaml" | cut -c1-64)
  measured=$(sha256sum < "$KMS/cvms/1001/app-compose.json" | cut -c1-64)
  [ "$yaml" != "$measured" ]
  [ "$(jq -r .cvm.compose_hash "$d/staging.json")" = "$measured" ]
  [ "$(cat "$d/compose-hash.txt")" = "$measured" ]
  [ "$(jq -r .runtime.compose_hash "$d/event-log-replay.json")" = "$measured" ]
  [ "$(jq -r .provenance.compose_hash "$d/measurement-policy-candidates.json")" = "$measured" ]
  grep -qx -e '- `compose.yaml`, the YAML deployed: SHA-256 `'"$yaml"'`' "$d/probe-report.md"
  grep -qx -e '- Phala Cloud'"'"'s (the app-compose JSON it built around the YAML): `'"$measured"'`: the measured one' "$d/probe-report.md"
  grep -q "Skipped: ITA_API_KEY is not set" "$d/probe-report.md"
  # staging.json: the CVM as it ran and its teardown
  [ "$(jq -r '[.backend, .cvm.status, .cvm.name, .reused, .teardown.result] | @tsv' "$d/staging.json")" = \
    "phala	running	$name	false	deleted" ]
  [ "$(jq -r .source "$d/measurement-policy-candidates.json")" = sim ]
  [ "$(jq -r .profile "$d/measurement-policy-candidates.json")" = locked-read-only ]
  signed_record "$d"
  no_key "$A" "$BATS_TEST_TMPDIR/fake.url.err"
  [[ "$output$stderr" != *"$KEY"* ]]
  # nothing changed: nothing is done again, no CVM deployed
  n=$(wc -l < "$LOG")
  run -0 probe PROFILE=locked-read-only
  [ "$(wc -l < "$LOG")" -eq "$n" ]
}

@test "STAGING=phala with the default SOURCE=phala: a simulated quote is no phala candidate; the CVM goes anyway" {
  fake
  run -2 --separate-stderr mk probe STAGING=phala PROFILE=debug KMS_IMAGE_DIGEST="$DIGEST" \
    COLLATERAL="$KMS/collateral.json" ROOT_CA="$KMS/root-ca.pem"
  d="$A/probe/debug"
  failed_at "$d" extract "only sim candidates come from a simulated root"
  torn_down "$d" mero-kms-debug-2-3-40
  signed_record "$d"
}

@test "make probe-all STAGING=phala: three CVMs at once, distinct names, one KMS each, all torn down" {
  fake --boot-seconds 3
  run -0 --separate-stderr mk probe-all STAGING=phala SOURCE=sim KMS_IMAGE_DIGEST="$DIGEST" \
    COLLATERAL="$KMS/collateral.json" ROOT_CA="$KMS/root-ca.pem"
  [[ "$output" =~ probe-all:\ 3\ profiles\ in\ [0-9.]+\ s ]]
  # the three existed at the same time: they ran concurrently, not one after the other
  [ "$(state | jq -r .max_existing)" -eq 3 ]
  [ "$(state | jq -r '[.cvms[].name] | sort | join(" ")')" = \
    "mero-kms-debug-2-3-40 mero-kms-debug-read-only-2-3-40 mero-kms-locked-read-only-2-3-40" ]
  # one KMS each, each of its own profile
  [ "$(state | jq -r '[.cvms[].kms.url] | unique | length')" -eq 3 ]
  for p in debug debug-read-only locked-read-only; do
    d="$A/probe/$p"
    grep -q "^# Staging probe $p: PASS" "$d/probe-report.md"
    [ "$(jq -r .runtime.kms_profile "$d/event-log-replay.json")" = "$p" ]
    torn_down "$d" "mero-kms-$p-2-3-40"
    signed_record "$d"
  done
  # three profiles, three measurements
  [ "$(for p in debug debug-read-only locked-read-only; do jq -r '.policy.allowed_rtmr3[0]' "$A/probe/$p/measurement-policy-candidates.json"; done | sort -u | wc -l)" -eq 3 ]
}

@test "a refused commit (409): the deploy fails, the name is looked up for a CVM to delete, none is left" {
  fake --script commit=409
  run -2 --separate-stderr probe PROFILE=debug
  d="$A/probe/debug"
  failed_at "$d" deploy "HTTP 409: ERR-03-007"
  grep -q "^teardown  *pass .*phala-cvm: no CVM 'mero-kms-debug-2-3-40' to delete: gone already\$" "$d/probe.log"
  run -0 requests
  [[ "$output" == *"POST /api/v1/cvms 409"*"DELETE /api/v1/cvms/mero-kms-debug-2-3-40 404"* ]]
  [ "$(state | jq -r .provisions)" -eq 1 ]
  [ "$(state | jq -r '.cvms | length')" -eq 0 ]
  nothing_left
  grep -qx '| CVM | none was deployed (name `mero-kms-debug-2-3-40`) |' "$d/probe-report.md"
  [ "$(jq -r '.cvm, .teardown.result' "$d/staging.json" | paste -sd ' ')" = "null gone" ]
  signed_record "$d"
}

@test "a CVM that never runs: the boot wait times out (BOOT_TIMEOUT) and the CVM is deleted" {
  fake --never-running
  run -2 --separate-stderr probe PROFILE=debug BOOT_TIMEOUT=1
  d="$A/probe/debug"
  failed_at "$d" boot "phala-cvm: CVM 'mero-kms-debug-2-3-40' not running after 1 s"
  torn_down "$d" mero-kms-debug-2-3-40
  run -1 grep -q '^health ' "$d/probe.log"
  signed_record "$d"
}

@test "the KMS fails to attest mid-way (401 attestation_verification_failed): the CVM is deleted" {
  fake --script kms-attest=401
  run -2 --separate-stderr probe PROFILE=debug-read-only
  d="$A/probe/debug-read-only"
  failed_at "$d" attest "attestation_verification_failed"
  grep -q '^health  *pass' "$d/probe.log"
  torn_down "$d" mero-kms-debug-read-only-2-3-40
  [ ! -e "$d/attest-response.json" ]
  signed_record "$d"
}

@test "Phala Cloud reporting another compose hash than the CVM measured fails the probe" {
  fake --wrong-compose-hash
  run -2 --separate-stderr probe PROFILE=debug
  d="$A/probe/debug"
  api=$(jq -r .cvm.compose_hash "$d/staging.json")
  measured=$(jq -r .runtime.compose_hash "$d/event-log-replay.json")
  [ "$api" != "$measured" ]
  failed_at "$d" compose-hash "Phala Cloud's compose hash $api is not the measured one, $measured"
  grep -q ": \`$api\`: DIFFERS from the measured one" "$d/probe-report.md"
  torn_down "$d" mero-kms-debug-2-3-40
  signed_record "$d"
}

# interrupt SIGNAL HOW RECORD: a probe held at a wait, ended by SIGNAL once RECORD
# exists, sent to its process group (HOW=group, as Ctrl-C) or to make alone (HOW=make,
# as a CI cancel); sets d and status
interrupt() {
  local signal=$1 how=$2 record=$3
  shift 3
  bg_make "$BATS_TEST_TMPDIR/out" PROFILE=debug "$@"
  d="$A/probe/debug"
  wait_for "$d/.steps/$record"
  sleep 0.3
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
  if [ "$how" = group ]; then kill -"$signal" -- -"$BG_PID"; else kill -"$signal" "$BG_PID"; fi
  wait_bg "$BG_PID"
  cat "$BATS_TEST_TMPDIR/out"
}

@test "SIGINT during the boot wait: the step says so, and the CVM is deleted" {
  fake --boot-seconds 60
  interrupt INT group deploy
  [ "$status" -eq 130 ]
  failed_at "$d" boot "interrupted by SIGINT"
  torn_down "$d" mero-kms-debug-2-3-40
  signed_record "$d"
}

@test "SIGINT during the health wait: the step says so, and the CVM is deleted" {
  fake --kms-boot-seconds 60
  interrupt INT group boot
  [ "$status" -eq 130 ]
  failed_at "$d" health "interrupted by SIGINT"
  torn_down "$d" mero-kms-debug-2-3-40
  signed_record "$d"
}

@test "SIGTERM to make alone (a CI cancel) during the boot wait deletes the CVM too" {
  fake --boot-seconds 60
  interrupt TERM make deploy
  [ "$status" -eq 143 ]
  failed_at "$d" boot "interrupted by SIGTERM"
  torn_down "$d" mero-kms-debug-2-3-40
}

@test "a teardown that fails fails the probe, and the report says the CVM may still run" {
  # the key refused at the delete (revoked during the run): no retry helps
  fake --script delete=403
  run -2 --separate-stderr probe PROFILE=debug
  d="$A/probe/debug"
  failed_at "$d" teardown "DELETE .*: HTTP 403: fake error 403 (the API refused PHALA_CLOUD_API_KEY)"
  grep -q '^| teardown | FAILED: phala-cvm: DELETE ' "$d/probe-report.md"
  grep -qx '\*\*The CVM may still run.\*\* Delete it by hand: `phala-cvm delete --id 1001 --wait 300`.' "$d/probe-report.md"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
  # the evidence names the CVM to delete by hand
  [ "$(jq -r '.cvm.name, .teardown' "$d/staging.json" | paste -sd ' ')" = "mero-kms-debug-2-3-40 null" ]
  signed_record "$d"
}

@test "STAGING_CVM_ID reuses a CVM that runs: probed, and kept" {
  fake
  compose-render --template "$ROOT/policies/kms-compose.template.yaml" --port 8080 --image-ref "$DIGEST" \
    --kms-version 2.3.40 --profile debug > "$BATS_TEST_TMPDIR/compose.yaml"
  phala-cvm deploy --name staging-kms-1 --compose "$BATS_TEST_TMPDIR/compose.yaml" > "$BATS_TEST_TMPDIR/cvm.json"
  app=$(jq -r .app_id "$BATS_TEST_TMPDIR/cvm.json")
  run -0 --separate-stderr probe PROFILE=debug STAGING_CVM_ID="app_$app"
  d="$A/probe/debug"
  grep -q '^# Staging probe debug: PASS' "$d/probe-report.md"
  grep -q "^teardown  *skip .*CVM app_$app is reused (STAGING_CVM_ID): kept" "$d/probe.log"
  grep -qx '| reused | yes (STAGING_CVM_ID): kept at the end |' "$d/probe-report.md"
  grep -qx '| name | staging-kms-1 |' "$d/probe-report.md"
  # nothing deployed, nothing deleted: the CVM and its KMS still run
  [ "$(state | jq -r .provisions)" -eq 1 ]
  run -1 grep -q '^DELETE ' "$LOG"
  [ "$(existing)" = staging-kms-1 ]
  [ "$(kms_running)" -eq 1 ]
  [ "$(jq -r .reused "$d/staging.json")" = true ]
}

@test "HOLD keeps the attested CVM up that long, an interrupt during the hold deletes it; HOLD is bounded" {
  fake
  bg_make "$BATS_TEST_TMPDIR/out" PROFILE=debug HOLD=60
  d="$A/probe/debug"
  wait_for "$d/.steps/collateral"
  sleep 0.5
  # attested, held: the CVM and its KMS still serve
  [ "$(existing)" = mero-kms-debug-2-3-40 ]
  run -0 curl -sf "$(state | jq -r '.cvms[0].kms.url')/health"
  [ ! -e "$d/.steps/teardown" ]
  grep -q 'stays up 60 s (HOLD), then it is torn down' "$BATS_TEST_TMPDIR/out"
  kill -INT -- -"$BG_PID"
  wait_bg "$BG_PID"
  [ "$status" -eq 130 ]
  torn_down "$d" mero-kms-debug-2-3-40
  run -2 --separate-stderr probe PROFILE=debug HOLD=3601
  [[ "$stderr" == *"HOLD must be at most 3600 seconds (got '3601')"* ]]
  run -2 --separate-stderr probe PROFILE=debug HOLD=forever
  [[ "$stderr" == *"HOLD must be a number of seconds"* ]]
}

@test "KMS_URL overrides the CVM's URLs: the health wait polls it alone, and its failure deletes the CVM" {
  fake
  # a port nothing listens on: the CVM's own gateway URL would be alive
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  run -2 --separate-stderr probe PROFILE=debug KMS_URL="http://127.0.0.1:$port" HEALTH_TIMEOUT=1
  d="$A/probe/debug"
  failed_at "$d" health "no /health alive within 1 s"
  grep -q "^health  *fail .*last: http://127.0.0.1:$port: " "$d/probe.log"
  # the gateway of the CVM was never asked
  run -1 grep -q ' /gw/' "$LOG"
  torn_down "$d" mero-kms-debug-2-3-40
  signed_record "$d"
}

@test "HOLD=1: the attested CVM stays up a second, then the probe tears it down and passes" {
  fake
  t0=$(date +%s%N)
  run -0 --separate-stderr probe PROFILE=debug HOLD=1
  t1=$(date +%s%N)
  d="$A/probe/debug"
  [[ "$stderr" == *"probe: debug: the staging KMS at ${PHALA_API_BASE_URL%/api/v1}/gw/"*" stays up 1 s (HOLD), then it is torn down"* ]]
  [ $(((t1 - t0) / 1000000)) -ge 1000 ]
  grep -q '^# Staging probe debug: PASS' "$d/probe-report.md"
  torn_down "$d" mero-kms-debug-2-3-40
  # the delete came after the attestation, not before
  run -0 requests
  [[ "$output" == *"POST /gw/"*"/attest 200"*"DELETE /api/v1/cvms/"* ]]
}

@test "a signing key that cannot sign (wrong password) stops the probe before anything deploys" {
  fake
  COSIGN_PASSWORD=wrong run -77 --separate-stderr bash -c 'BIN=$0 "$1"/mk/probe/run make debug "$2"' "$BIN" "$ROOT" "$A/probe/debug"
  assert_equal "${stderr_lines[0]}" 'cosign-wrap: COSIGN_KEY: cannot decrypt the cosign key: wrong password, or the key file is corrupted'
  assert_equal "${stderr_lines[1]}" 'probe: debug: the signing key (COSIGN_KEY) cannot sign: nothing was run'
  COSIGN_PASSWORD=wrong run -2 --separate-stderr probe PROFILE=debug
  [[ "$stderr" == *"probe: debug: the signing key (COSIGN_KEY) cannot sign: nothing was run"* ]]
  # the API saw nothing, and the folder holds no run
  [ ! -s "$LOG" ]
  [ -z "$(find "$A/probe/debug" -mindepth 1 -print -quit)" ]
}

@test "STAGING=phala knobs: the key, a digest-pinned image, sane settings; refused before anything runs" {
  run -2 --separate-stderr env -u PHALA_CLOUD_API_KEY make -C "$ROOT" -s ARTIFACTS="$A" probe PROFILE=debug \
    STAGING=phala KMS_IMAGE_DIGEST="$DIGEST"
  [[ "$stderr" == *"STAGING=phala needs PHALA_CLOUD_API_KEY (the Phala Cloud API key) in the environment"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala
  [[ "$stderr" == *"KMS_IMAGE_DIGEST=name@sha256:... is required for STAGING=phala"* ]]
  for img in ghcr.io/calimero-network/mero-kms-phala:latest ghcr.io/calimero-network/mero-kms-phala:2.3.40; do
    run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala KMS_IMAGE_DIGEST="$img"
    [[ "$stderr" == *"KMS_IMAGE_DIGEST must be an image pinned by digest"* ]]
  done
  run -2 --separate-stderr mk probe PROFILE=debug STAGING_CVM_ID=app_0123
  [[ "$stderr" == *"STAGING_CVM_ID (the reuse of a staging CVM) is for STAGING=phala"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala KMS_IMAGE_DIGEST="$DIGEST" STAGING_CVM_ID='a;b'
  [[ "$stderr" == *"STAGING_CVM_ID must be an identifier"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala KMS_IMAGE_DIGEST="$DIGEST" PHALA_API_BASE_URL='http://x/$(id)'
  [[ "$stderr" == *"PHALA_API_BASE_URL"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala KMS_IMAGE_DIGEST="$DIGEST" PHALA_REGION='us west'
  [[ "$stderr" == *"PHALA_REGION must be an identifier"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=phala KMS_IMAGE_DIGEST="$DIGEST" BOOT_TIMEOUT=1h
  [[ "$stderr" == *"BOOT_TIMEOUT must be a number of seconds"* ]]
  run -2 --separate-stderr env PHALA_CLOUD_API_KEY="$KEY" make -C "$ROOT" -s ARTIFACTS="$A" probe PROFILE=debug \
    STAGING=phala KMS_IMAGE_DIGEST="$DIGEST" PHALA_CLOUD_API_KEY="$KEY"
  [[ "$stderr" == *"PHALA_CLOUD_API_KEY is a secret: give it in the environment, not on make's command line"* ]]
  [[ "$stderr" != *"$KEY"* ]]
  [ ! -e "$A/probe" ]
}
