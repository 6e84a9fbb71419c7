#!/usr/bin/env bats
# make probe end to end with the simulated KMS: every profile, re-runs, knobs,
# injected failures, a port in use, STAGING=url, ADR-0001; kms-sim never outlives
# the run. Each test has its own artifacts folder.

load test_helper

setup() {
  A="$BATS_TEST_TMPDIR/artifacts"
}
teardown() {
  stop_servers
  # nothing of this test may keep running
  pkill -f -- "$BATS_TEST_TMPDIR" 2>/dev/null || true
}

# mk ARGS...: make in the project, this test's artifacts folder, no parent make's flags
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" "$@"; }
# the kms-sim processes serving from this test's folders
sims() { pgrep -f -- "kms-sim .*$BATS_TEST_TMPDIR" | wc -l; }

FILES="attest-request.json attest-response.json attestation-quote.bin attestation-quote.json verification.json
  event-log-replay.json compose-hash.txt measurement-policy-candidates.json probe-report.md probe.log"

@test "a full simulated probe of each profile: every artifact, signed, and kms-sim gone" {
  for p in debug debug-read-only locked-read-only; do
    run -0 --separate-stderr mk probe PROFILE=$p
    [[ "$output" == *"probe: $p: Staging probe $p: PASS (SIMULATED"* ]]
    d="$A/probe/$p"
    for f in $FILES; do
      [ -s "$d/$f" ] || { echo "missing $f"; false; }
      run -0 cosign-wrap verify --key "$d/cosign.pub" --signature "$d/$f.sig" < "$d/$f"
      run -0 cosign-wrap verify --key "$d/cosign.pub" --bundle "$d/$f.sigstore.json" < "$d/$f"
    done
    [ "$(jq -r .source "$d/measurement-policy-candidates.json")" = sim ]
    [ "$(jq -r .profile "$d/measurement-policy-candidates.json")" = "$p" ]
    [ "$(jq -r '.policy.allowed_tcb_statuses | join(",")' "$d/measurement-policy-candidates.json")" = uptodate ]
    grep -q '^# Staging probe '"$p"': PASS (SIMULATED: local kms-sim, not TDX hardware)$' "$d/probe-report.md"
    grep -q 'source `sim`' "$d/probe-report.md"
    [ "$(grep -c '^[a-z-]* *pass ' "$d/probe.log")" -eq 11 ]
    [ "$(jq -r .td_report.mr_td "$d/attestation-quote.json")" = "$(jq -r '.policy.allowed_mrtd[0]' "$d/measurement-policy-candidates.json")" ]
    [ "$(sims)" -eq 0 ]
  done
  # an independent check of one signature with OpenSSL
  d="$A/probe/locked-read-only"
  base64 -d "$d/measurement-policy-candidates.json.sig" > "$BATS_TEST_TMPDIR/c.der"
  run -0 openssl dgst -sha256 -verify "$d/cosign.pub" -signature "$BATS_TEST_TMPDIR/c.der" "$d/measurement-policy-candidates.json"
}

@test "the three profiles measure differently; make -j3 probe-all gives what a sequential run gives" {
  run -0 mk -j3 probe-all
  for r in mrtd rtmr0 rtmr3; do
    n=$(for p in debug debug-read-only locked-read-only; do
          jq -r ".policy.allowed_$r[0]" "$A/probe/$p/measurement-policy-candidates.json"; done | sort -u | wc -l)
    [ "$n" -eq 3 ] || { echo "allowed_$r repeats across profiles"; false; }
  done
  [ "$(jq -r '.runtime.kms_profile' "$A/probe/debug/event-log-replay.json")" = debug ]
  # in parallel or one after the other, the same measurements
  for p in debug debug-read-only locked-read-only; do
    jq -S .policy "$A/probe/$p/measurement-policy-candidates.json" > "$BATS_TEST_TMPDIR/$p.parallel"
  done
  rm -rf "$A/probe"
  run -0 mk probe-all
  for p in debug debug-read-only locked-read-only; do
    diff <(jq -S .policy "$A/probe/$p/measurement-policy-candidates.json") "$BATS_TEST_TMPDIR/$p.parallel"
  done
}

@test "a second run with nothing changed does nothing; a changed knob reruns what depends on it" {
  run -0 mk probe PROFILE=debug
  d="$A/probe/debug"
  before=$(cd "$d" && find . -type f -printf '%p %T@ %s\n' | sort)
  sleep 0.01
  run -0 mk probe PROFILE=debug
  after=$(cd "$d" && find . -type f -printf '%p %T@ %s\n' | sort)
  [ "$before" = "$after" ]
  [ "$(wc -l <<<"$after")" -gt 30 ]
  [[ "$output" != *PROBE* ]]
  sha=$(jq -r .sha256 "$d/attestation-quote.json")
  run -0 mk probe PROFILE=debug KMS_VERSION=2.3.41
  [ "$(jq -r .provenance.kms_version "$d/measurement-policy-candidates.json")" = 2.3.41 ]
  [ "$(jq -r .sha256 "$d/attestation-quote.json")" != "$sha" ]
  grep -q 'MERO_KMS_VERSION: "2.3.41"' "$d/compose.yaml"
  run -0 mk probe PROFILE=debug KMS_VERSION=2.3.41 KMS_IMAGE_DIGEST=ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 7)
  [ "$(jq -r .provenance.image_digest "$d/measurement-policy-candidates.json")" = "ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 7)" ]
}

@test "a bad quote signature: the report says why, make fails, no candidates, kms-sim gone" {
  run -0 mk probe PROFILE=debug
  run --separate-stderr mk probe PROFILE=debug SIM_FLAGS=--bad-signature
  [ "$status" -ne 0 ]
  d="$A/probe/debug"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ ! -e "$d/measurement-policy-candidates.json.sig" ]
  grep -q '^# Staging probe debug: FAIL (SIMULATED' "$d/probe-report.md"
  grep -q '^\*\*Failed at step `verify`\*\*: quote-verify: not verified: quote_signature: ISV enclave report signature is invalid' "$d/probe-report.md"
  [ "$(jq -r .verified "$d/verification.json")" = false ]
  # the evidence of the failed run is signed too
  run -0 cosign-wrap verify --key "$d/cosign.pub" --signature "$d/probe-report.md.sig" < "$d/probe-report.md"
  [ "$(sims)" -eq 0 ]
}

@test "an out-of-date TCB: verified, but refused by the TCB gate; no candidates" {
  run --separate-stderr mk probe PROFILE=debug-read-only SIM_FLAGS="--tcb outofdate"
  [ "$status" -ne 0 ]
  d="$A/probe/debug-read-only"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ "$(jq -r .status "$d/verification.json")" = OutOfDate ]
  grep -q '^\*\*Failed at step `tcb-policy`\*\*: tcb-policy: TCB status OutOfDate (SIM-SA-00001, SIM-SA-00002) is not allowed' "$d/probe-report.md"
  [ "$(sims)" -eq 0 ]
  # a run that allows it passes
  run -0 mk probe PROFILE=debug-read-only SIM_FLAGS="--tcb outofdate" ALLOWED_TCB_STATUSES="UpToDate OutOfDate"
  [ "$(jq -r '.policy.allowed_tcb_statuses | join(",")' "$d/measurement-policy-candidates.json")" = outofdate ]
}

@test "a debug TD fails verification with the reason in the report" {
  run --separate-stderr mk probe PROFILE=debug SIM_FLAGS=--debug-td
  [ "$status" -ne 0 ]
  grep -q 'td_debug: Debug mode is enabled' "$A/probe/debug/probe-report.md"
  [ ! -e "$A/probe/debug/measurement-policy-candidates.json" ]
}

@test "a port already in use: the deploy step fails, named in the report" {
  start_server PORT python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)'
  run --separate-stderr mk probe PROFILE=debug SIM_LISTEN=127.0.0.1:$PORT_URL
  [ "$status" -ne 0 ]
  grep -q '^\*\*Failed at step `deploy`\*\*: kms-sim: .*127.0.0.1:'"$PORT_URL" "$A/probe/debug/probe-report.md"
  grep -q '^deploy  *fail' "$A/probe/debug/probe.log"
  [ ! -e "$A/probe/debug/attest-response.json" ]
  [ "$(sims)" -eq 0 ]
}

@test "an interrupted run stops kms-sim, and the report says where it stopped" {
  # a KMS still booting: /health answers 503 "starting" for 30 s
  # its own process group, SIGINT at its default (a job started with & ignores it),
  # so that kill -INT on the group is what Ctrl-C at a terminal does
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" \
    probe PROFILE=debug SIM_FLAGS="--boot-seconds 30" > "$BATS_TEST_TMPDIR/out" 2>&1 &
  pid=$!
  for ((i = 0; i < 500; i++)); do [ "$(sims)" -eq 1 ] && pgrep -f "kms-attest --url" > /dev/null && break; sleep 0.02; done
  [ "$(sims)" -eq 1 ]
  sleep 0.3
  t0=$(date +%s)
  kill -INT -- -"$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -ne 0 ]
  [ $(( $(date +%s) - t0 )) -lt 10 ]
  [ "$(sims)" -eq 0 ]
  ! pgrep -f -- "kms-attest --url .*$BATS_TEST_TMPDIR" > /dev/null
  grep -q '^teardown  *pass .*stopped' "$A/probe/debug/probe.log"
  grep -q '^\*\*Failed at step `attest`\*\*: interrupted by SIGINT' "$A/probe/debug/probe-report.md"
  [ ! -e "$A/probe/debug/measurement-policy-candidates.json" ]
}

@test "ADR-0001: an environment profile that disagrees with the pinned image refuses to start" {
  run --separate-stderr env MERO_KMS_PROFILE=debug make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=locked-read-only
  [ "$status" -ne 0 ]
  grep -q 'does not match profile-pinned image value' "$A/probe/locked-read-only/probe-report.md"
  grep -q '^deploy  *fail  *78 \|^deploy  *fail ' "$A/probe/locked-read-only/probe.log"
  [ "$(sims)" -eq 0 ]
}

@test "STAGING=url probes a KMS that already runs, and leaves it running" {
  # the KMS runs the compose file the probe expects (rendered from the same template and knobs)
  compose-hash --render --template "$ROOT/policies/kms-compose.template.yaml" --port 8080 \
    --image-ref ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 3) --kms-version 2.3.40 \
    --profile locked-read-only > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile locked-read-only --kms-version 2.3.40 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  mk keys
  # the KMS at the URL is a simulator: its quotes are sim candidates, trusted with its root
  run -0 --separate-stderr mk probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" SOURCE=sim \
    KMS_IMAGE_DIGEST=ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 3) \
    COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem" \
    COSIGN_KEY="$A/keys/dev-cosign.key"
  d="$A/probe/locked-read-only"
  grep -q "^# Staging probe locked-read-only: PASS (NOT verified under Intel's root CA)" "$d/probe-report.md"
  grep -q '^teardown  *skip .*not ours to stop' "$d/probe.log"
  [ "$(jq -r .source "$d/measurement-policy-candidates.json")" = sim ]
  # the same run calling its simulated quote "url" is refused by mrtd-extract
  run --separate-stderr mk probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" SOURCE=url \
    KMS_IMAGE_DIGEST=ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 3) \
    COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem" \
    COSIGN_KEY="$A/keys/dev-cosign.key"
  [ "$status" -ne 0 ]
  grep -q "only sim candidates come from a simulated root" "$d/probe-report.md"
  kill -0 "$SIM_PID"
  run -0 curl -sf "$SIM_URL/health"
}

@test "STAGING=url against a KMS running another compose file: the compose-hash step fails" {
  printf 'services:\n  kms:\n    image: ghcr.io/calimero-network/mero-kms-phala@sha256:%064d\n' 3 > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile locked-read-only --kms-version 2.3.40 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  mk keys
  run --separate-stderr mk probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" \
    KMS_IMAGE_DIGEST=ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 3) \
    COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem" \
    COSIGN_KEY="$A/keys/dev-cosign.key"
  [ "$status" -ne 0 ]
  grep -q '^\*\*Failed at step `compose-hash`\*\*: compose-hash: .*compose-hash event .* carries '"$(sha256sum < "$BATS_TEST_TMPDIR/compose.yaml" | cut -c1-64)" "$A/probe/locked-read-only/probe-report.md"
  [ ! -e "$A/probe/locked-read-only/measurement-policy-candidates.json" ]
}

@test "STAGING=url needs KMS_URL; an unknown profile or backend is refused before anything runs" {
  run -2 --separate-stderr mk probe PROFILE=locked-read-only STAGING=url
  [[ "$stderr" == *"STAGING=url needs KMS_URL"* ]]
  run -2 --separate-stderr mk probe PROFILE=production
  [[ "$stderr" == *"PROFILE must be one of: debug debug-read-only locked-read-only (got 'production')"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=aws
  [[ "$stderr" == *"STAGING must be sim or url"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING_CVM_ID=app_0123
  [[ "$stderr" == *"STAGING_CVM_ID (reuse of a staging CVM) needs the Phala Cloud backend"* ]]
  [ ! -e "$A/probe" ]
}

@test "a real backend without COSIGN_KEY is refused at signing, never with the development key" {
  printf 'services:\n  kms:\n    image: x@sha256:%064d\n' 4 > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile debug --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  run --separate-stderr env -u COSIGN_KEY make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=debug STAGING=url \
    KMS_URL="$SIM_URL" KMS_IMAGE_DIGEST=x@sha256:$(printf '%064d' 4) \
    COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem"
  [ "$status" -ne 0 ]
  [[ "$stderr" == *"COSIGN_KEY is required to sign a STAGING=url probe"* ]]
  [ ! -e "$A/probe/debug/measurement-policy-candidates.json.sig" ]
}

@test "kms-sim's HTTP errors, as mero-kms gives them" {
  printf 'services: {}\n' > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile debug --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"nonceB64":"AAAA"}' "$SIM_URL/attest"
  [ "$output" = 400 ]
  run -0 curl -s -H 'Content-Type: application/json' -d '{"nonceB64":"AAAA"}' "$SIM_URL/attest"
  [ "$(jq -r .error <<<"$output")" = invalid_attestation_request ]
  run -0 curl -s -o /dev/null -w '%{http_code}' -d '{}' "$SIM_URL/attest"
  [ "$output" = 415 ]
  run -0 curl -s -o /dev/null -w '%{http_code}' "$SIM_URL/attest"
  [ "$output" = 405 ]
  head -c 70000 /dev/zero | tr '\0' 'a' > "$BATS_TEST_TMPDIR/big"
  run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/big" "$SIM_URL/attest"
  [ "$output" = 413 ]
}
