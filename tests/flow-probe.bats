#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# make probe end to end with the simulated KMS: every profile, re-runs, knobs,
# injected failures, a port in use, STAGING=url, ADR-0001; interrupts and signals
# at any moment, two probes of one folder at once, planted links, signing keys and
# secrets. kms-sim never outlives the run. Each test has its own artifacts folder;
# processes are tracked by their ids (the make a test starts, the kms-sim a probe
# records), never found by a name pattern to be killed.

load test_helper

setup() {
  A="$BATS_TEST_TMPDIR/artifacts"
  # (make check exports the knobs of its own make; the ita step runs only with a key)
  unset ITA_API_KEY ITA_URL ITA_JWKS_URL
}
teardown() {
  stop_servers
  stop_bg_makes
  # a kms-sim a failed test may have left: the one each probe folder recorded
  local f pid
  for f in "$A"/probe/*/.steps/deploy; do
    [ -f "$f" ] || continue
    pid=$(sim_pid_of "$f")
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = kms-sim ] && kill "$pid" 2>/dev/null
  done
  return 0
}

# mk ARGS...: make in the project, this test's artifacts folder, no parent make's flags
# the kms-sim processes serving from this test's folders (counted, never killed by pattern)
sims() { pgrep -f -- "kms-sim .*$BATS_TEST_TMPDIR" | wc -l; }
# the pid of the kms-sim a probe folder's deploy record names
sim_pid_of() { sed -n 's/.*kms-sim (SIMULATED) pid \([0-9]*\) on .*/\1/p' "$1"; }
sim_gone() { # DIR: the kms-sim of the folder's run is not running
  local pid
  pid=$(sim_pid_of "$1/.steps/deploy")
  [ -n "$pid" ] || { echo "no kms-sim recorded in $1"; return 1; }
  ! kill -0 "$pid" 2>/dev/null || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != kms-sim ]
}

# bg_make OUT ARGS...: mk in the background, in a session of its own with SIGINT at
# its default (a job started with & ignores it), as a terminal runs it; sets BG_PID
# (also the process group, for kill -INT -- -PID as Ctrl-C), tracked for teardown
bg_make() {
  local out=$1
  shift
  python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.setsid(); os.execvp(sys.argv[1], sys.argv[1:])' \
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" "$@" > "$out" 2>&1 &
  BG_PID=$!
  echo "$BG_PID" >> "$BATS_TEST_TMPDIR/.makes"
}
stop_bg_makes() {
  local pid
  [ -f "$BATS_TEST_TMPDIR/.makes" ] || return 0
  while read -r pid; do kill -TERM -- -"$pid" 2>/dev/null; done < "$BATS_TEST_TMPDIR/.makes"
  rm -f "$BATS_TEST_TMPDIR/.makes"
}
# wait_for FILE: until it exists (10 s at most)
wait_for() {
  local i
  for ((i = 0; i < 1000; i++)); do [ -e "$1" ] && return 0; sleep 0.01; done
  echo "never appeared: $1"
  return 1
}
# wait_bg PID: wait for a job of this shell; its exit status in $status
wait_bg() { status=0; wait "$1" || status=$?; }

# verified DIR FILE: FILE's signature and bundle verify with the folder's key
verified() {
  cosign-wrap verify --key "$1/cosign.pub" --signature "$1/$2.sig" < "$1/$2" > /dev/null &&
    cosign-wrap verify --key "$1/cosign.pub" --bundle "$1/$2.sigstore.json" < "$1/$2" > /dev/null
}
# complete_record DIR: the invariant of a folder after any run, interrupted or not:
# a report with the signatures of every file beside it, no temporary, kms-sim gone;
# a PASS report has its candidates, a FAIL report none
complete_record() {
  local d=$1 f
  [ -f "$d/probe-report.md" ] || { echo "no report in $d"; return 1; }
  for f in probe-report.md probe.log $(cd "$d" && ls attest-request.json attest-response.json collateral.json \
      compose.yaml staging.json attestation-quote.bin attestation-quote.json verification.json ita-appraisal.json \
      event-log-replay.json compose-hash.txt measurement-policy-candidates.json 2>/dev/null); do
    verified "$d" "$f" || { echo "not signed: $f"; return 1; }
  done
  [ -z "$(find "$d" -name '*.tmp' -o -name '.attest.*')" ] || { echo "temporaries left: $(find "$d" -name '*.tmp')"; return 1; }
  sim_gone "$d"
  if head -n 1 "$d/probe-report.md" | grep -q ': PASS'; then
    [ -f "$d/measurement-policy-candidates.json" ] || { echo "a PASS without candidates"; return 1; }
  else
    [ ! -e "$d/measurement-policy-candidates.json" ] || { echo "a FAIL with candidates"; return 1; }
  fi
}

FILES="attest-request.json attest-response.json attestation-quote.bin attestation-quote.json verification.json
  event-log-replay.json compose-hash.txt measurement-policy-candidates.json probe-report.md probe.log"
DIGEST3=ghcr.io/calimero-network/mero-kms-phala@sha256:0000000000000000000000000000000000000000000000000000000000000003

@test "a full simulated probe of each profile: every artifact, signed, and kms-sim gone" {
  for p in debug debug-read-only locked-read-only; do
    run -0 --separate-stderr mk probe PROFILE=$p
    [[ "$output" == *"probe: $p: Staging probe $p: PASS (SIMULATED"* ]]
    d="$A/probe/$p"
    for f in $FILES; do
      [ -s "$d/$f" ] || { echo "missing $f"; false; }
      verified "$d" "$f"
    done
    [ "$(jq -r .source "$d/measurement-policy-candidates.json")" = sim ]
    [ "$(jq -r .profile "$d/measurement-policy-candidates.json")" = "$p" ]
    [ "$(jq -r '.policy.allowed_tcb_statuses | join(",")' "$d/measurement-policy-candidates.json")" = uptodate ]
    grep -q '^# Staging probe '"$p"': PASS (SIMULATED: local kms-sim, not TDX hardware)$' "$d/probe-report.md"
    grep -q 'source `sim`' "$d/probe-report.md"
    # every step of mk/probe/steps passed, in the file's order, but boot (no CVM) and ita
    # (no ITA_API_KEY), skipped
    [ "$(awk 'NR > 1 && $1 != "total" { print $1 "=" $2 }' "$d/probe.log" | paste -sd ' ')" = \
      "$(grep -v '^#' "$ROOT/mk/probe/steps" | cut -f1 | sed 's/^\(boot\|ita\)$/&=skip/; /=/!s/$/=pass/' | paste -sd ' ')" ]
    [ "$(grep -c '^[a-z-]* *pass ' "$d/probe.log")" -eq 12 ]
    grep -q '^boot  *skip  *skip  *0  kms-sim runs on loopback: no CVM to boot$' "$d/probe.log"
    grep -q "Skipped: ITA_API_KEY is not set (no second opinion on the quote)." "$d/probe-report.md"
    [ "$(jq -r .backend "$d/staging.json")" = sim ]
    [ "$(jq -r .kms_url "$d/staging.json")" = "$(sed -n 's/.* on \(http:.*\)$/\1/p' "$d/.steps/deploy")" ]
    [ "$(jq -r .td_report.mr_td "$d/attestation-quote.json")" = "$(jq -r '.policy.allowed_mrtd[0]' "$d/measurement-policy-candidates.json")" ]
    # the quote the report is about is the one in the response
    cmp "$d/attestation-quote.bin" <(jq -r .quoteB64 "$d/attest-response.json" | base64 -d)
    sim_gone "$d"
    [ "$(sims)" -eq 0 ]
    [ -z "$(find "$d" -name '*.tmp')" ]
  done
  # an independent check of one signature with OpenSSL
  d="$A/probe/locked-read-only"
  base64 -d "$d/measurement-policy-candidates.json.sig" > "$BATS_TEST_TMPDIR/c.der"
  run -0 openssl dgst -sha256 -verify "$d/cosign.pub" -signature "$BATS_TEST_TMPDIR/c.der" "$d/measurement-policy-candidates.json"
}

@test "the three profiles measure differently; make probe-all (all at once) gives what one after the other gives" {
  run -0 mk probe-all
  [[ "$output" =~ probe-all:\ 3\ profiles\ in\ [0-9.]+\ s ]]
  for r in mrtd rtmr0 rtmr3; do
    n=$(for p in debug debug-read-only locked-read-only; do
          jq -r ".policy.allowed_${r}[0]" "$A/probe/$p/measurement-policy-candidates.json"; done | sort -u | wc -l)
    [ "$n" -eq 3 ] || { echo "allowed_$r repeats across profiles"; false; }
  done
  [ "$(jq -r '.runtime.kms_profile' "$A/probe/debug/event-log-replay.json")" = debug ]
  # in parallel or one after the other, the same measurements
  for p in debug debug-read-only locked-read-only; do
    complete_record "$A/probe/$p"
    jq -S .policy "$A/probe/$p/measurement-policy-candidates.json" > "$BATS_TEST_TMPDIR/$p.parallel"
  done
  rm -rf "$A/probe"
  for p in debug debug-read-only locked-read-only; do
    run -0 mk probe PROFILE=$p
    diff <(jq -S .policy "$A/probe/$p/measurement-policy-candidates.json") "$BATS_TEST_TMPDIR/$p.parallel"
  done
  # make -j3 probe-all, as before: make's own jobs
  rm -rf "$A/probe"
  run -0 mk -j3 probe-all
  for p in debug debug-read-only locked-read-only; do complete_record "$A/probe/$p"; done
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
  # make saw that .config and .policy say what they would: no shell was run to write them
  run -0 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    strace -f -qq -e trace=execve -s 256 -o "$BATS_TEST_TMPDIR/noop.trace" \
    make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=debug
  grep -q 'probe-run' "$BATS_TEST_TMPDIR/noop.trace"
  run ! grep -q 'put -c' "$BATS_TEST_TMPDIR/noop.trace"
  # a .config that does not say what this run would write (make compares it first) is
  # written again, and what depends on it is redone
  cp "$d/.config" "$BATS_TEST_TMPDIR/config"
  printf 'KMS_VERSION=0.0.1\n' >> "$d/.config"
  run -0 mk probe PROFILE=debug
  [[ "$output" == *"PROBE  $d/compose.yaml"* ]]
  cmp "$d/.config" "$BATS_TEST_TMPDIR/config"
  sed -i 's/^ITA=$/ITA=on/' "$d/.config"
  run -0 mk probe PROFILE=debug
  cmp "$d/.config" "$BATS_TEST_TMPDIR/config"
  complete_record "$d"
  sha=$(jq -r .sha256 "$d/attestation-quote.json")
  run -0 mk probe PROFILE=debug KMS_VERSION=2.3.41
  [ "$(jq -r .provenance.kms_version "$d/measurement-policy-candidates.json")" = 2.3.41 ]
  [ "$(jq -r .sha256 "$d/attestation-quote.json")" != "$sha" ]
  grep -q 'MERO_KMS_VERSION: "2.3.41"' "$d/compose.yaml"
  # the knob from the environment is the same knob
  run -0 env KMS_VERSION=2.3.41 KMS_IMAGE_DIGEST="ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 7)" \
    make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=debug
  [ "$(jq -r .provenance.image_digest "$d/measurement-policy-candidates.json")" = "ghcr.io/calimero-network/mero-kms-phala@sha256:$(printf '%064d' 7)" ]
  complete_record "$d"
}

@test "a bad quote signature: the report says why, make fails, no candidates, kms-sim gone" {
  run -0 mk probe PROFILE=debug
  run -2 --separate-stderr mk probe PROFILE=debug SIM_FLAGS=--bad-signature
  d="$A/probe/debug"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ ! -e "$d/measurement-policy-candidates.json.sig" ]
  grep -q '^# Staging probe debug: FAIL (SIMULATED' "$d/probe-report.md"
  grep -q '^\*\*Failed at step `verify`\*\*: quote-verify: not verified: quote_signature: ISV enclave report signature is invalid' "$d/probe-report.md"
  [ "$(jq -r .verified "$d/verification.json")" = false ]
  [[ "$stderr" == *"probe: debug: Staging probe debug: FAIL (SIMULATED"* ]]
  # the evidence of the failed run is signed too
  complete_record "$d"
  [ "$(sims)" -eq 0 ]
}

@test "an out-of-date TCB: verified, but refused by the TCB gate; no candidates" {
  run -2 --separate-stderr mk probe PROFILE=debug-read-only SIM_FLAGS="--tcb outofdate"
  d="$A/probe/debug-read-only"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ "$(jq -r .status "$d/verification.json")" = OutOfDate ]
  grep -q '^\*\*Failed at step `verify`\*\*: quote-verify: not allowed: TCB status OutOfDate (SIM-SA-00001, SIM-SA-00002) is not in --allow-status uptodate' "$d/probe-report.md"
  [ "$(jq -r .tcb_gate.decision "$d/verification.json")" = refused ]
  sim_gone "$d"
  # the refused verdict is evidence, not a finished step: the same run again refuses again
  run -2 --separate-stderr mk probe PROFILE=debug-read-only SIM_FLAGS="--tcb outofdate"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  grep -q '^\*\*Failed at step `verify`\*\*: quote-verify: not allowed' "$d/probe-report.md"
  # a run that allows it passes
  run -0 mk probe PROFILE=debug-read-only SIM_FLAGS="--tcb outofdate" ALLOWED_TCB_STATUSES="UpToDate OutOfDate"
  [ "$(jq -r '.policy.allowed_tcb_statuses | join(",")' "$d/measurement-policy-candidates.json")" = outofdate ]
}

@test "a debug TD fails verification with the reason in the report" {
  run -2 --separate-stderr mk probe PROFILE=debug SIM_FLAGS=--debug-td
  grep -q 'td_debug: Debug mode is enabled' "$A/probe/debug/probe-report.md"
  [ ! -e "$A/probe/debug/measurement-policy-candidates.json" ]
}

@test "a port already in use: the deploy step fails, named in the report" {
  start_server PORT python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(120)'
  run -2 --separate-stderr mk probe PROFILE=debug SIM_LISTEN=127.0.0.1:$PORT_URL
  grep -q '^\*\*Failed at step `deploy`\*\*: kms-sim: .*127.0.0.1:'"$PORT_URL" "$A/probe/debug/probe-report.md"
  grep -q '^deploy  *fail' "$A/probe/debug/probe.log"
  [ ! -e "$A/probe/debug/attest-response.json" ]
  [ "$(sims)" -eq 0 ]
  verified "$A/probe/debug" probe-report.md
}

# interrupted SIGNAL HOW: a run held at the health step (a KMS that boots for 30 s)
# ended by SIGNAL, sent to the process group as a terminal does (HOW=group) or to
# make alone as a CI cancel does (HOW=make); sets d and the exit status of make
interrupted() {
  local signal=$1 how=$2 t0
  run -0 mk keys
  bg_make "$BATS_TEST_TMPDIR/out" probe PROFILE=debug SIM_FLAGS="--boot-seconds 30"
  d="$A/probe/debug"
  wait_for "$d/.steps/deploy"
  sleep 0.5
  [ "$(sims)" -eq 1 ]
  t0=$(date +%s)
  if [ "$how" = group ]; then kill -"$signal" -- -"$BG_PID"; else kill -"$signal" "$BG_PID"; fi
  wait_bg "$BG_PID"
  cat "$BATS_TEST_TMPDIR/out"
  [ $(($(date +%s) - t0)) -lt 10 ]
}
check_interrupted() { # SIGNAL
  sim_gone "$d"
  [ "$(sims)" -eq 0 ]
  ! pgrep -f -- "kms-attest --url .*$BATS_TEST_TMPDIR" > /dev/null
  grep -q '^teardown  *pass .*stopped' "$d/probe.log"
  grep -q '^\*\*Failed at step `health`\*\*: interrupted by SIG'"$1" "$d/probe-report.md"
  grep -q '^# Staging probe debug: FAIL' "$d/probe-report.md"
  complete_record "$d"
}

@test "an interrupted run (Ctrl-C) stops kms-sim, and the signed report says where it stopped" {
  interrupted INT group
  [ "$status" -eq 130 ]
  check_interrupted INT
}

@test "SIGTERM to make alone (a CI cancel) stops the steps too and still writes the signed report" {
  interrupted TERM make
  [ "$status" -eq 143 ]
  check_interrupted TERM
}

@test "SIGHUP to make alone stops the steps too and still writes the signed report" {
  interrupted HUP make
  [ "$status" -eq 129 ]
  check_interrupted HUP
}

@test "an interrupt at any moment leaves the previous run or a complete, signed record of this one" {
  run -0 mk probe PROFILE=debug
  d="$A/probe/debug"
  v=41
  for delay in 0.05 0.2 0.35 0.5 0.65 0.8 1.0 1.3; do
    v=$((v + 1))
    bg_make "$BATS_TEST_TMPDIR/out" probe PROFILE=debug KMS_VERSION=2.3.$v
    sleep "$delay"
    kill -INT -- -"$BG_PID" 2>/dev/null || echo "# finished before $delay s"
    wait_bg "$BG_PID"
    [ "$status" -eq 0 ] || [ "$status" -eq 130 ] || { cat "$BATS_TEST_TMPDIR/out"; echo "status $status after $delay s"; false; }
    complete_record "$d" || { echo "after $delay s (status $status):"; cat "$BATS_TEST_TMPDIR/out" "$d/probe.log"; false; }
    if head -n 1 "$d/probe-report.md" | grep -q ': PASS'; then
      # a PASS is a whole run: this one, or the previous one when nothing of this one ran
      k=$(jq -r .provenance.kms_version "$d/measurement-policy-candidates.json")
      grep -q "| KMS version | $k |" "$d/probe-report.md"
    fi
  done
}

@test "two probes of one folder at once: the second waits for the first, never both write" {
  run -0 mk keys
  bg_make "$BATS_TEST_TMPDIR/first" probe PROFILE=debug SIM_FLAGS="--boot-seconds 1.5"
  first=$BG_PID
  wait_for "$A/probe/debug/.steps/deploy"
  bg_make "$BATS_TEST_TMPDIR/second" probe PROFILE=debug SIM_FLAGS="--boot-seconds 1.5"
  second=$BG_PID
  for ((i = 0; i < 500; i++)); do grep -q waiting "$BATS_TEST_TMPDIR/second" && break; sleep 0.01; done
  grep -q "^probe: debug: another probe is writing $A/probe/debug; waiting for it to finish$" "$BATS_TEST_TMPDIR/second"
  # while the first runs, the second has not touched the folder: one kms-sim
  [ "$(sims)" -le 1 ]
  wait_bg "$first"
  [ "$status" -eq 0 ]
  wait_bg "$second"
  [ "$status" -eq 0 ]
  cat "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/second"
  grep -q 'PASS' "$BATS_TEST_TMPDIR/second"
  complete_record "$A/probe/debug"
}

@test "links planted at every temporary and final name of a probe folder are never written through" {
  d="$A/probe/debug"
  mkdir -p "$d/.steps" "$BATS_TEST_TMPDIR/outside"
  names=".config .config.new cosign.pub cosign.pub.new kms-sim.log probe.log.tmp compose.yaml.tmp"
  for f in $FILES compose.yaml collateral.json; do names+=" $f $f.tmp $f.sig $f.sig.tmp $f.sigstore.json $f.sigstore.json.tmp"; done
  for s in $(grep -v '^#' "$ROOT/mk/probe/steps" | cut -f1); do names+=" .steps/$s .steps/$s.tmp"; done
  n=0
  for f in $(tr ' ' '\n' <<<"$names" | sort -u); do
    n=$((n + 1))
    echo "outside $n" > "$BATS_TEST_TMPDIR/outside/$n"
    ln -s "$BATS_TEST_TMPDIR/outside/$n" "$d/$f"
  done
  touch -d '2001-01-01' "$BATS_TEST_TMPDIR"/outside/*
  run -0 mk probe PROFILE=debug
  # and once more, over the files of the first run
  run -0 mk probe PROFILE=debug KMS_VERSION=2.3.41
  for ((i = 1; i <= n; i++)); do
    [ "$(cat "$BATS_TEST_TMPDIR/outside/$i")" = "outside $i" ] || { echo "written through: $i"; false; }
  done
  [ -z "$(find "$BATS_TEST_TMPDIR/outside" -type f -newermt '2001-01-02')" ]
  # the artifacts are files of the folder now, not links
  for f in $FILES compose.yaml .config cosign.pub; do [ -f "$d/$f" ] && [ ! -L "$d/$f" ]; done
  complete_record "$d"
}

# a cosign key pair with a password, outside the artifacts
key_pair() {
  COSIGN_PASSWORD='pw with spaces, $dollars and "quotes"' \
    cosign-wrap generate-key-pair --output-key-prefix "$BATS_TEST_TMPDIR/release" > /dev/null
}

@test "COSIGN_KEY as key text and as a path, with a password: the signatures verify with its key" {
  key_pair
  pw='pw with spaces, $dollars and "quotes"'
  d="$A/probe/debug"
  COSIGN_KEY="$(cat "$BATS_TEST_TMPDIR/release.key")" COSIGN_PASSWORD="$pw" run -0 --separate-stderr mk probe PROFILE=debug
  cmp "$d/cosign.pub" "$BATS_TEST_TMPDIR/release.pub"
  for f in $FILES; do
    run -0 cosign-wrap verify --key "$BATS_TEST_TMPDIR/release.pub" --signature "$d/$f.sig" < "$d/$f"
  done
  # no development key was made for it
  [ ! -e "$A/keys/dev-cosign.key" ]
  # another key, nothing else changed: every file is signed again with it
  run -0 mk probe PROFILE=debug
  cmp "$d/cosign.pub" "$A/keys/dev-cosign.pub"
  complete_record "$d"
  rm -rf "$d"
  COSIGN_KEY="$BATS_TEST_TMPDIR/release.key" COSIGN_PASSWORD="$pw" run -0 --separate-stderr mk probe PROFILE=debug
  cmp "$d/cosign.pub" "$BATS_TEST_TMPDIR/release.pub"
  complete_record "$d"
  run -0 cosign-wrap verify --key "$BATS_TEST_TMPDIR/release.pub" --bundle "$d/probe-report.md.sigstore.json" < "$d/probe-report.md"
}

@test "a signing failure fails the probe: no report says PASS without its signatures" {
  key_pair
  d="$A/probe/debug"
  COSIGN_KEY="$(cat "$BATS_TEST_TMPDIR/release.key")" COSIGN_PASSWORD=wrong run -2 --separate-stderr mk probe PROFILE=debug
  [[ "$stderr" == *"cosign-wrap: "* ]]
  [ ! -e "$d/probe-report.md" ]
  [ ! -e "$d/measurement-policy-candidates.json" ]
  [ -z "$(find "$d" -name '*.tmp')" ]
}

@test "a secret is never in any argv: the probe under strace" {
  command -v strace > /dev/null
  key_pair
  key=$(cat "$BATS_TEST_TMPDIR/release.key")
  body=$(sed -n 2p "$BATS_TEST_TMPDIR/release.key")
  pw='pw with spaces, $dollars and "quotes"'
  run -0 mk keys
  # the ita step runs with ITA_API_KEY: against a fake ITA that knows this key
  ITA_API_KEY=ita-SECRET-1414 fake_ita
  # strace can fail to attach where ptrace is not allowed: that is a failure, not a skip
  # (LeakSanitizer cannot run under a tracer: the SAN=1 build runs without it here)
  run -0 --separate-stderr env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" COSIGN_KEY="$key" COSIGN_PASSWORD="$pw" PHALA_CLOUD_API_KEY=phala-SECRET-3141 GITHUB_TOKEN=ghp_SECRET2718 \
    GH_RELEASE_TOKEN=ghr_SECRET1618 ITA_API_KEY=ita-SECRET-1414 PCS_API_KEY=pcs-SECRET-1732 \
    strace -f -qq -e trace=execve -s 65536 -o "$BATS_TEST_TMPDIR/trace" \
    make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=debug ITA_URL="$ITA_URL"
  # the trace saw the programs that use the secrets
  grep -q 'execve("[^"]*cosign-wrap", \["[^"]*cosign-wrap", "sign"' "$BATS_TEST_TMPDIR/trace"
  grep -q 'execve("[^"]*kms-attest"' "$BATS_TEST_TMPDIR/trace"
  grep -q 'execve("[^"]*ita-appraise"' "$BATS_TEST_TMPDIR/trace"
  grep -q '^ita  *pass ' "$A/probe/debug/probe.log"
  for s in "$body" "$pw" 'pw with spaces' phala-SECRET-3141 ghp_SECRET2718 ghr_SECRET1618 ita-SECRET-1414 pcs-SECRET-1732; do
    ! grep -qF -- "$s" "$BATS_TEST_TMPDIR/trace" || { echo "in an argv: $s"; grep -F -- "$s" "$BATS_TEST_TMPDIR/trace" | head -3; false; }
  done
  cmp "$A/probe/debug/cosign.pub" "$BATS_TEST_TMPDIR/release.pub"
}

# ---- the ita step: Intel Trust Authority's second opinion (tests/lib/fake-ita.py)

ITA_KEY="ita-probe-key-Zw5tR1pL"
# fake_ita [OPTIONS]: a fake ITA knowing ITA_API_KEY (default ITA_KEY), signing with
# a key made here; sets ITA_URL
fake_ita() {
  local k="$BATS_TEST_TMPDIR/ita-keys"
  if [ ! -d "$k" ]; then
    mkdir -p "$k"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/rsa.pem" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/other.pem" 2>/dev/null
    openssl req -x509 -key "$k/rsa.pem" -subj "/CN=fake ITA signing" -days 3650 -out "$k/rsa.crt" 2>/dev/null
  fi
  ITA_API_KEY="${ITA_API_KEY:-$ITA_KEY}" start_server ITA python3 "$BATS_TEST_DIRNAME/lib/fake-ita.py" \
    --key "$k/rsa.pem" --cert "$k/rsa.crt" --other-key "$k/other.pem" --log "$BATS_TEST_TMPDIR/ita.log" "$@"
  [ -n "$ITA_URL" ]
}
# ita_probe ARGS...: a simulated probe of debug with the ita step
ita_probe() { ITA_API_KEY="$ITA_KEY" mk probe PROFILE=debug ITA_URL="$ITA_URL" "$@"; }

@test "the ita step: ITA's verdict beside quote-verify's in the report; without ITA_API_KEY, skipped and said so" {
  fake_ita
  run -0 --separate-stderr ita_probe
  d="$A/probe/debug"
  grep -q '^ita  *pass  *0 .*ita: ITA agrees: TCB status UpToDate, MRTD, RTMR0-3 and report data as in the quote' "$d/probe.log"
  grep -qx '| verdict | verified | token signature verified (PS384, key `fake-ita-signing-key-1`, API v2) |' "$d/probe-report.md"
  grep -qx '| TCB status | UpToDate | UpToDate |' "$d/probe-report.md"
  mrtd=$(jq -r .td_report.mr_td "$d/attestation-quote.json")
  grep -qx "| MRTD | \`$mrtd\` | same |" "$d/probe-report.md"
  [ "$(grep -c '^| \(RTMR[0-3]\|report data\) | `[0-9a-f]*` | same |$' "$d/probe-report.md")" -eq 5 ]
  [ "$(jq -r '[.signature_verified, .tcb_status, .mrtd, .quote_comparison.matches] | @tsv' "$d/ita-appraisal.json")" = \
    "true	UpToDate	$mrtd	true" ]
  verified "$d" ita-appraisal.json
  grep -q '^# Staging probe debug: PASS' "$d/probe-report.md"
  # the quote went to ITA with the key, which is in no artifact and no output
  grep -q '^POST /appraisal/v2/attest 200 key=ok$' "$BATS_TEST_TMPDIR/ita.log"
  ! grep -rqF "$ITA_KEY" "$A" || { grep -rlF "$ITA_KEY" "$A"; false; }
  [[ "$output$stderr" != *"$ITA_KEY"* ]]
  # the key gone: the step is skipped (the knobs changed: it runs again) and the report says so
  run -0 mk probe PROFILE=debug ITA_URL="$ITA_URL"
  grep -q '^ita  *skip  *skip  *0  ITA_API_KEY is not set' "$d/probe.log"
  [ "$(jq -r .skipped "$d/ita-appraisal.json")" = "ITA_API_KEY is not set" ]
  grep -qx 'Skipped: ITA_API_KEY is not set (no second opinion on the quote).' "$d/probe-report.md"
}

@test "the ita step: a token signed by another key, an expired one, or a key ITA refuses fails the probe" {
  for mode in wrong-key:"refused the ITA token: the PS384 signature does not verify" \
      expired:"refused the ITA token: the token expired at "; do
    fake_ita --mode "${mode%%:*}"
    run -2 --separate-stderr ita_probe
    d="$A/probe/debug"
    grep -q '^\*\*Failed at step `ita`\*\*: ita-appraise: '"${mode#*:}" "$d/probe-report.md" || { grep '^\*\*' "$d/probe-report.md"; false; }
    grep -q '^No appraisal: ita-appraise: '"${mode#*:}" "$d/probe-report.md"
    [ ! -e "$d/ita-appraisal.json" ]
    [ ! -e "$d/measurement-policy-candidates.json" ]
    complete_record "$d"
    stop_servers
  done
  fake_ita
  ITA_API_KEY=another-key run -2 --separate-stderr mk probe PROFILE=debug ITA_URL="$ITA_URL"
  grep -q '^\*\*Failed at step `ita`\*\*: ita-appraise: POST .*: HTTP 401.*(ITA refused ITA_API_KEY)' "$A/probe/debug/probe-report.md"
  [ ! -e "$A/probe/debug/measurement-policy-candidates.json" ]
}

@test "the ita step: an MRTD or a TCB status of ITA's that differs fails the probe, the appraisal kept as evidence" {
  fake_ita --mode mrtd-mismatch
  run -2 --separate-stderr ita_probe
  d="$A/probe/debug"
  grep -q '^\*\*Failed at step `ita`\*\*: ita-appraise: ITA.s mrtd differs from the quote.s' "$d/probe-report.md"
  [ "$(jq -c .quote_comparison "$d/ita-appraisal.json")" = '{"differs":["mrtd"],"matches":false}' ]
  grep -q '^| MRTD | `[0-9a-f]*` | `[0-9a-f]*` DIFFERS |$' "$d/probe-report.md"
  [ ! -e "$d/measurement-policy-candidates.json" ]
  complete_record "$d"
  # the evidence of a "no" is never taken for a finished step: the same run refuses again
  run -2 --separate-stderr ita_probe
  grep -q '^\*\*Failed at step `ita`\*\*' "$d/probe-report.md"
  stop_servers
  fake_ita --tcb-status OutOfDate
  run -2 --separate-stderr ita_probe
  grep -q "^\*\*Failed at step \`ita\`\*\*: ita: ITA's TCB status OutOfDate is not quote-verify's UpToDate" "$d/probe-report.md"
  grep -qx '| TCB status | UpToDate | OutOfDate DIFFERS |' "$d/probe-report.md"
  [ "$(jq -r .tcb_status "$d/ita-appraisal.json")" = OutOfDate ]
  complete_record "$d"
}

@test "a secret on make's command line is refused before anything runs" {
  run -2 --separate-stderr mk probe PROFILE=debug COSIGN_KEY=/some/key
  [[ "$stderr" == *"COSIGN_KEY is a secret: give it in the environment, not on make's command line"* ]]
  [ ! -e "$A" ]
}

@test "ADR-0001: an environment profile that disagrees with the pinned image refuses to start" {
  run -2 --separate-stderr env MERO_KMS_PROFILE=debug make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=locked-read-only
  grep -q 'does not match profile-pinned image value' "$A/probe/locked-read-only/probe-report.md"
  grep -q '^deploy  *fail  *78 ' "$A/probe/locked-read-only/probe.log"
  [ "$(sims)" -eq 0 ]
}

@test "STAGING=url probes a KMS that already runs, and leaves it running" {
  # the KMS runs the compose file the probe expects (rendered from the same template and knobs)
  compose-render --template "$ROOT/policies/kms-compose.template.yaml" --port 8080 \
    --image-ref "$DIGEST3" --kms-version 2.3.40 --profile locked-read-only > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile locked-read-only --kms-version 2.3.40 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  mk keys
  export COSIGN_KEY="$A/keys/dev-cosign.key"
  # the KMS at the URL is a simulator: its quotes are sim candidates, trusted with its root
  run -0 --separate-stderr mk probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" SOURCE=sim \
    KMS_IMAGE_DIGEST="$DIGEST3" COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" \
    ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem"
  d="$A/probe/locked-read-only"
  grep -q "^# Staging probe locked-read-only: PASS (NOT verified under Intel's root CA)" "$d/probe-report.md"
  grep -q '^teardown  *skip .*not ours to stop' "$d/probe.log"
  [ "$(jq -r .source "$d/measurement-policy-candidates.json")" = sim ]
  # the same run calling its simulated quote "url" is refused by mrtd-extract
  run -2 --separate-stderr mk probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" SOURCE=url \
    KMS_IMAGE_DIGEST="$DIGEST3" COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" \
    ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem"
  grep -q "only sim candidates come from a simulated root" "$d/probe-report.md"
  kill -0 "$SIM_PID"
  run -0 curl -sf "$SIM_URL/health"
}

@test "STAGING=url against a KMS running another compose file: the compose-hash step fails" {
  printf 'services:\n  kms:\n    image: %s\n' "$DIGEST3" > "$BATS_TEST_TMPDIR/compose.yaml"
  start_server SIM kms-sim --listen 127.0.0.1:0 --profile locked-read-only --kms-version 2.3.40 \
    --compose "$BATS_TEST_TMPDIR/compose.yaml" --state "$BATS_TEST_TMPDIR/state"
  mk keys
  run -2 --separate-stderr env COSIGN_KEY="$A/keys/dev-cosign.key" make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" \
    probe PROFILE=locked-read-only STAGING=url KMS_URL="$SIM_URL" KMS_IMAGE_DIGEST="$DIGEST3" \
    COLLATERAL="$BATS_TEST_TMPDIR/state/collateral.json" ROOT_CA="$BATS_TEST_TMPDIR/state/root-ca.pem"
  grep -q '^\*\*Failed at step `compose-hash`\*\*: compose-hash: .*compose-hash event .* carries '"$(sha256sum < "$BATS_TEST_TMPDIR/compose.yaml" | cut -c1-64)" "$A/probe/locked-read-only/probe-report.md"
  [ ! -e "$A/probe/locked-read-only/measurement-policy-candidates.json" ]
}

@test "STAGING=url needs KMS_URL; an unknown profile or backend is refused before anything runs" {
  run -2 --separate-stderr mk probe PROFILE=locked-read-only STAGING=url
  [[ "$stderr" == *"STAGING=url needs KMS_URL"* ]]
  run -2 --separate-stderr mk probe PROFILE=production
  [[ "$stderr" == *"PROFILE must be one of: debug debug-read-only locked-read-only (got 'production')"* ]]
  run -2 --separate-stderr mk probe
  [[ "$stderr" == *"PROFILE must be one of: debug debug-read-only locked-read-only (got '')"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING=aws
  [[ "$stderr" == *"STAGING must be sim, url or phala (got 'aws')"* ]]
  run -2 --separate-stderr env -u PHALA_CLOUD_API_KEY make -C "$ROOT" -s ARTIFACTS="$A" probe PROFILE=debug \
    STAGING=phala KMS_IMAGE_DIGEST="$DIGEST3"
  [[ "$stderr" == *"STAGING=phala needs PHALA_CLOUD_API_KEY (the Phala Cloud API key) in the environment"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug STAGING_CVM_ID=app_0123
  [[ "$stderr" == *"STAGING_CVM_ID (the reuse of a staging CVM) is for STAGING=phala"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug SIM_FLAGS=--pid-file=/etc/passwd
  [[ "$stderr" == *"SIM_FLAGS must be kms-sim's failure injection"* ]]
  [ ! -e "$A/probe" ]
}

@test "a real backend without COSIGN_KEY is refused before anything runs, never signed with the development key" {
  run -2 --separate-stderr env -u COSIGN_KEY make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=debug \
    STAGING=url KMS_URL=http://127.0.0.1:9 KMS_IMAGE_DIGEST="$DIGEST3"
  [[ "$stderr" == *"COSIGN_KEY is required to sign a STAGING=url probe"* ]]
  [ ! -e "$A/probe" ]
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
