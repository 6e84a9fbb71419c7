#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# The policy flow: candidates from simulated probes (debug, debug-read-only) and
# from a real quote verified against its real collateral (locked-read-only), node
# lists from a node release's published-mrtds.json, merged into copies of the
# repository's policies; the three pass policy-lint --release, and policy-check
# (and make policy-check) accepts each quote under its own profile's policy and
# refuses one whose RTMR2 differs; kms-sim starts with each merged policy (from
# the file, and fetched from a KMS release as mero-kms fetches it) and refuses
# to start with one whose list is empty.

load test_helper
load lib/fake-github

setup_file() {
  local A="$BATS_FILE_TMPDIR/artifacts"
  # the simulated probes, once for the file: each test works on copies
  for p in debug debug-read-only; do
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" probe PROFILE=$p \
      > "$BATS_FILE_TMPDIR/probe-$p.log" 2>&1
  done
}

setup() {
  T="$BATS_TEST_TMPDIR"
  A="$BATS_FILE_TMPDIR/artifacts"
  S="$VEC/dcap-qvl/sample"
  export SOURCE_DATE_EPOCH=1767225600
  mkdir -p "$T/pol"
  cp "$ROOT"/policies/kms-phala-attestation-policy.*.json "$T/pol/"
}

teardown() { stop_servers; }

pol() { printf '%s/pol/kms-phala-attestation-policy.%s.json' "$T" "$1"; }

# sim PROFILE ARGS...: start kms-sim for PROFILE on the compose file of the
# profile's probe (kms-sim's fixture for locked-read-only, which has no probe
# here), in its own state folder; sets SIM_URL and SIM_PID
sim() {
  local p=$1 i out compose="$A/probe/$1/compose.yaml"
  shift
  [ -f "$compose" ] || compose="$FIX/kms-sim/compose.yaml"
  out=$(mktemp "$T/sim-$p.XXXXXX")
  kms-sim --listen 127.0.0.1:0 --compose "$compose" --state "$T/sim-$p" --profile "$p" "$@" \
    > "$out" 2> "$out.log" &
  SIM_PID=$!
  echo "$SIM_PID" >> "$BATS_TEST_TMPDIR/.servers"
  for ((i = 0; i < 900; i++)); do
    [ -s "$out" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$out.log" >&2; return 1; }
    sleep 0.1
  done
  SIM_URL=$(cat "$out")
}

# sim_stop: SIGTERM the last kms-sim, which must exit 0
sim_stop() {
  kill -TERM "$SIM_PID"
  wait "$SIM_PID"
}

# the real quote's verdict and upstream-shaped KMS candidates extracted from it
real_candidates() {
  quote-verify --collateral "$S/tdx_quote_collateral.json" --now 1752919234 < "$S/tdx_quote" > "$T/real.verdict.json"
  quote2json < "$S/tdx_quote" | jq --slurpfile v "$T/real.verdict.json" '.td_report as $r | {
    schema_version: 1, generated_at_utc: "2026-01-01T00:00:00Z", measurement_source: "td_quote",
    quote_field_path: "quoteB64",
    policy: {allowed_tcb_statuses: [$v[0].status], allowed_mrtd: [$r.mr_td], allowed_rtmr0: [$r.rt_mr0],
             allowed_rtmr1: [$r.rt_mr1], allowed_rtmr2: [$r.rt_mr2], allowed_rtmr3: [$r.rt_mr3]}}' > "$T/real.candidates.json"
}

# merge the three policies: the probes' candidates, the real quote's, the node release
merge_all() {
  local p c
  for p in debug debug-read-only; do
    c="$A/probe/$p/measurement-policy-candidates.json"
    policy-merge --policy "$(pol $p)" --allow-simulated --signature "$c.sig" --published "$FIX/policy-merge/published-mrtds.json" \
      --output "$(pol $p)" < "$c"
  done
  real_candidates
  policy-merge --policy "$(pol locked-read-only)" --role kms --profile locked-read-only --verification "$T/real.verdict.json" \
    --published "$FIX/policy-merge/published-mrtds.json" --output "$(pol locked-read-only)" < "$T/real.candidates.json"
  cp "$(pol locked-read-only)" "$T/pol/kms-phala-attestation-policy.json"
}

@test "the probes passed and left signed candidates" {
  for p in debug debug-read-only; do
    grep -q "probe: $p: Staging probe $p: PASS (SIMULATED" "$BATS_FILE_TMPDIR/probe-$p.log"
    c="$A/probe/$p/measurement-policy-candidates.json"
    run -0 cosign-wrap verify --key "$A/probe/$p/cosign.pub" --signature "$c.sig" < "$c"
  done
}

@test "merged: each profile's lists filled from its own sources; --release passes on the three files" {
  merge_all
  for p in debug debug-read-only; do
    c="$A/probe/$p/measurement-policy-candidates.json"
    for r in mrtd rtmr0 rtmr1 rtmr2 rtmr3; do
      assert_equal "$(jq -c ".policy.kms_allowed_$r" "$(pol $p)")" "$(jq -c ".policy.allowed_$r" "$c")"
      assert_equal "$(jq -c ".policy.node_allowed_$r" "$(pol $p)")" "$(jq -c --arg p $p ".profiles[\$p].allowed_$r" "$FIX/policy-merge/published-mrtds.json")"
    done
    assert_equal "$(jq -c .policy.kms_allowed_event_payload "$(pol $p)")" "[\"$(cat "$A/probe/$p/compose-hash.txt")\"]"
    v=$(jq -r '.policy.kms_allowed_mrtd[0]' "$(pol $p)")
    assert_equal "$(jq -r --arg v "$v" '.provenance.kms_allowed_mrtd[$v].signature_sha256' "$(pol $p)")" \
      "$(sha256sum < "$c.sig" | cut -c1-64)"
  done
  assert_equal "$(jq -r '.policy.kms_allowed_mrtd[0]' "$(pol locked-read-only)")" "$(expected dcap-qvl/sample/tdx_quote .mr_td)"
  assert_equal "$(jq -c .policy.kms_allowed_event_payload "$(pol locked-read-only)")" '[]'
  run -0 --separate-stderr policy-lint --release "$(pol debug)" "$(pol debug-read-only)" "$(pol locked-read-only)" "$T/pol/kms-phala-attestation-policy.json"
  [[ "$output" != *": error: "* ]]
  # the debug files say their values are simulated; the locked file has nothing to say
  assert_equal "$(grep -c 'provenance-simulated' <<<"$output")" 2
  refute_output --partial locked-read-only.json
  # merging the same again changes nothing
  for f in "$T"/pol/*.json; do sha256sum "$f"; done > "$T/before"
  merge_all
  for f in "$T"/pol/*.json; do sha256sum "$f"; done | diff "$T/before" -
}

@test "simulated candidates never reach locked-read-only, and need --allow-simulated for debug" {
  c="$A/probe/debug/measurement-policy-candidates.json"
  run -1 --separate-stderr policy-merge --policy "$(pol debug)" < "$c"
  assert_equal "$stderr" "policy-merge: simulated candidates (source 'sim'): refused without --allow-simulated"
  jq '.profile = "locked-read-only" | .provenance.measured_profile = "locked-read-only"' "$c" > "$T/relabelled.json"
  run -1 --separate-stderr policy-merge --policy "$(pol locked-read-only)" --allow-simulated < "$T/relabelled.json"
  assert_equal "$stderr" "policy-merge: simulated candidates (source 'sim') are never merged into locked-read-only: refused"
  run -1 --separate-stderr policy-merge --policy "$(pol debug-read-only)" --allow-simulated < "$c"
  [[ "$stderr" == *"cohort separation, ADR-0001"* ]]
}

@test "policy-check accepts each quote under its own profile's policy, refuses another profile's and a changed RTMR2" {
  merge_all
  for p in debug debug-read-only; do
    run -0 --separate-stderr policy-check --role kms --policy "$(pol $p)" < "$A/probe/$p/verification.json"
    assert_equal "$(jq -r .allowed <<<"$output")" true
  done
  run -0 policy-check --role kms --policy "$(pol locked-read-only)" < "$T/real.verdict.json"
  # a KMS of one profile does not pass for another (the profiles measure differently)
  run -1 --separate-stderr policy-check --role kms --policy "$(pol debug-read-only)" < "$A/probe/debug/verification.json"
  [[ "$stderr" == "policy-check: refused: mrtd not in kms_allowed_mrtd (1 entry); rtmr0 not in"* ]]
  # one register changed: RTMR2, and only it, is named
  other=$(printf '5a%.0s' $(seq 48))
  for p in debug debug-read-only; do
    jq --arg o "$other" '.measurements.rt_mr2 = $o' "$A/probe/$p/verification.json" > "$T/rtmr2.json"
    run -1 --separate-stderr policy-check --role kms --policy "$(pol $p)" < "$T/rtmr2.json"
    assert_equal "$stderr" "policy-check: refused: rtmr2 not in kms_allowed_rtmr2 (1 entry)"
    assert_equal "$(jq -c '[.registers | to_entries[] | select(.value.allowed | not) | .key]' <<<"$output")" '["rtmr2"]'
  done
  jq --arg o "$other" '.measurements.rt_mr2 = $o' "$T/real.verdict.json" > "$T/rtmr2.json"
  run -1 --separate-stderr policy-check --role kms --policy "$(pol locked-read-only)" < "$T/rtmr2.json"
  assert_equal "$stderr" "policy-check: refused: rtmr2 not in kms_allowed_rtmr2 (1 entry)"
}

@test "make policy-check: the known peers a policy allows and the ones it would lock out" {
  merge_all
  Q="$T/peers"
  mkdir -p "$Q"
  for p in debug debug-read-only; do
    cp "$A/probe/$p/attestation-quote.bin" "$Q/sim-$p.quote"
    cp "$A/probe/$p/collateral.json" "$Q/sim-$p.collateral.json"
    cp "$A/probe/$p/sim-state/root-ca.pem" "$Q/sim-$p.root-ca.pem"
  done
  cp "$S/tdx_quote" "$Q/real.quote"
  cp "$S/tdx_quote_collateral.json" "$Q/real.collateral.json"
  echo 1752919234 > "$Q/real.now"
  run -0 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$T/art" SAN="${SAN:-0}" \
    policy-check POLICY="$(pol debug)" QUOTES="$Q" ROLE=kms
  assert_line --index 0 "policy-check: $(pol debug) (profile debug) against 3 known peers in $Q (role kms)"
  assert_line "  LOCKED OUT  real: mrtd not in kms_allowed_mrtd (1 entry); rtmr0 not in kms_allowed_rtmr0 (1 entry); rtmr1 not in kms_allowed_rtmr1 (1 entry); rtmr2 not in kms_allowed_rtmr2 (1 entry); rtmr3 not in kms_allowed_rtmr3 (1 entry)"
  assert_line "  allowed     sim-debug"
  assert_line --regexp '^  LOCKED OUT  sim-debug-read-only: mrtd not in '
  assert_line "policy-check: 3 peers: 1 allowed, 2 locked out, 0 not decided (decisions in $T/art/policy-check)"
  assert_equal "$(jq -r .allowed "$T/art/policy-check/sim-debug.decision.json")" true
  # a peer without its collateral cannot be decided: the target fails
  rm "$Q/real.collateral.json"
  run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$T/art" SAN="${SAN:-0}" \
    policy-check POLICY="$(pol locked-read-only)" QUOTES="$Q" ROLE=kms
  assert_line --regexp "^  CANNOT TELL real: quote-verify: cannot open '.*real.collateral.json'"
  # knobs are data: refused before anything runs
  run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$T/art" \
    policy-check POLICY="\$(shell touch $T/pwned)" QUOTES="$Q"
  [ ! -e "$T/pwned" ]
  [[ "$stderr" == *"POLICY must be a path of letters, digits and . _ / + -"* ]]
  for bad in "a'b" 'a"b' 'a`id`b' 'a;b' $'a\nb'; do
    run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s policy-check POLICY="$(pol debug)" QUOTES="$bad"
    [[ "$stderr" == *"QUOTES must be a path of letters, digits and . _ / + -"* ]] || { echo "not refused: $bad"; false; }
  done
  run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s policy-check POLICY="$(pol debug)" QUOTES="$Q" ROLE=agent
  [[ "$stderr" == *"ROLE must be one of: node kms"* ]]
}

@test "kms-sim starts with each merged policy, from the file and from a release; a client checking it accepts it" {
  merge_all
  local p h
  for p in debug debug-read-only locked-read-only; do
    sim "$p" --policy "$(pol $p)"
    h=$(sha256sum < "$(pol $p)" | cut -c1-64)
    assert_equal "$(curl -s "$SIM_URL/health" | jq -c .policy)" \
      "{\"status\":\"loaded\",\"source\":\"$(pol $p)\",\"profile\":\"$p\",\"tag\":\"2.3.40\",\"sha256\":\"$h\"}"
    # the simulated KMS of a debug profile is the one its probe measured: the
    # policy's kms_allowed_* accept it as a client checking the KMS would
    if [ "$p" != locked-read-only ]; then
      kms-attest --url "$SIM_URL" --timeout 60 --interval 0.2 | jq -r .quoteB64 | base64 -d > "$T/quote-$p.bin"
      run -0 --separate-stderr quote-verify --collateral "$T/sim-$p/collateral.json" --root-ca "$T/sim-$p/root-ca.pem" < "$T/quote-$p.bin"
      echo "$output" > "$T/verdict-$p.json"
      run -0 --separate-stderr policy-check --role kms --policy "$(pol $p)" < "$T/verdict-$p.json"
      assert_equal "$(jq -r .allowed <<<"$output")" true
    fi
    sim_stop
  done
  # the legacy copy: the locked-read-only KMS loads it too
  sim locked-read-only --policy "$T/pol/kms-phala-attestation-policy.json"
  assert_equal "$(curl -s "$SIM_URL/health" | jq -r '"\(.policy.status) \(.policy.profile)"')" 'loaded locked-read-only'
  sim_stop
  # released: the four files as the assets of mero-kms-v2.3.40, fetched by a KMS
  # that pins the bytes of its profile's file
  fake_github_start
  for f in "$T"/pol/*.json; do
    jq -n --arg n "${f##*/}" --arg c "$(base64 -w0 < "$f")" '{name: $n, content_b64: $c}'
  done | jq -s '{repos: {"calimero-network/mero-tee": {releases: [{tag_name: "mero-kms-v2.3.40", assets: .}]}}}' > "$T/seed.json"
  gh_seed "$(cat "$T/seed.json")"
  base="$(gh_state | jq -r .asset_host)/download/calimero-network/mero-tee/mero-kms-v2.3.40"
  for p in debug debug-read-only locked-read-only; do
    MERO_KMS_POLICY_SHA256=$(sha256sum < "$(pol $p)" | cut -c1-64) sim "$p" --policy-url "$base"
    assert_equal "$(curl -s "$SIM_URL/health" | jq -r '"\(.policy.status) \(.policy.source)"')" \
      "loaded $base/kms-phala-attestation-policy.$p.json"
    sim_stop
  done
}

@test "kms-sim refuses to start with a policy whose list is empty: a merged one emptied, the repository's own" {
  merge_all
  jq '.policy.node_allowed_rtmr2 = []' "$(pol debug)" > "$T/kms-phala-attestation-policy.debug.json"
  run -78 --separate-stderr kms-sim --listen 127.0.0.1:0 --compose "$A/probe/debug/compose.yaml" --state "$T/sim-debug" \
    --profile debug --policy "$T/kms-phala-attestation-policy.debug.json"
  [ -z "$output" ]
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$T/kms-phala-attestation-policy.debug.json': Measurement policy is enforced, but allowed_rtmr2 is empty. Configure at least one trusted RTMR2 value."
  # the committed files have no node values yet: no KMS would start with them
  run -78 --separate-stderr kms-sim --listen 127.0.0.1:0 --compose "$A/probe/debug/compose.yaml" --state "$T/sim-debug" \
    --profile debug --policy "$ROOT/policies/kms-phala-attestation-policy.debug.json"
  [ -z "$output" ]
  [[ "$stderr" == *"Measurement policy is enforced, but allowed_mrtd is empty."* ]]
}
