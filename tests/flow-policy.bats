#!/usr/bin/env bats
# The policy flow: candidates from simulated probes (debug, debug-read-only) and
# from a real quote verified against its real collateral (locked-read-only), node
# lists from a node release's published-mrtds.json, merged into copies of the
# repository's policies; the three pass policy-lint --release, and policy-check
# (and make policy-check) accepts each quote under its own profile's policy and
# refuses one whose RTMR2 differs. (kms-sim loading the merged policies comes
# with kms-sim --policy.)

load test_helper

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

pol() { printf '%s/pol/kms-phala-attestation-policy.%s.json' "$T" "$1"; }

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
