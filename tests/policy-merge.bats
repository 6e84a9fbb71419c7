#!/usr/bin/env bats
# policy-merge: candidates (ours and upstream's) and published measurements into
# a profile's policy file; normalisation, order, provenance, refusals.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

setup() {
  T="$BATS_TEST_TMPDIR"
  F="$FIX/policy-merge"
  M="$FIX/mrtd-extract"
  P="$ROOT/policies"
  export SOURCE_DATE_EPOCH=1767225600
  REAL="$M/real/dcap-qvl_sample_tdx_quote.candidates.json"             # role node, verified, UpToDate
  OUTDATED="$M/real/dstack-teekit_packages_qvl_test_sampleQuotes_tdx-v4-edgeless.candidates.json"
  UP="$F/upstream-tdx_quote.candidates.json"
  S="$VEC/dcap-qvl/sample"
}

# sim PROFILE: the simulated kms candidates of the mrtd-extract suite, for PROFILE
sim() { jq --arg p "$1" '.profile = $p' "$M/sim.candidates.json"; }
# the verdict of the quote the upstream candidates were extracted from
verdict() { quote-verify --collateral "$S/tdx_quote_collateral.json" --now 1752919234 < "$S/tdx_quote" > "$T/verdict.json"; }
# refused ARGS...: exit 1, one stderr line, nothing on stdout; the line is in $stderr
refused() {
  run -1 --separate-stderr policy-merge "$@"
  one_line
}

@test "simulated candidates into debug: the golden policy, byte for byte" {
  sim debug > "$T/c.json"
  run -0 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated < "$T/c.json"
  diff -u "$F/debug.sim.golden.json" <(printf '%s\n' "$output")
  [ -z "$stderr" ]
}

@test "kms candidates fill kms_allowed_*, the compose hash kms_allowed_event_payload; the rest is unchanged" {
  sim debug > "$T/c.json"
  policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated < "$T/c.json" > "$T/out.json"
  for r in mrtd rtmr0 rtmr1 rtmr2 rtmr3; do
    assert_equal "$(jq -c ".policy.kms_allowed_$r" "$T/out.json")" "$(jq -c ".policy.allowed_$r" "$T/c.json")"
    assert_equal "$(jq -c ".policy.node_allowed_$r" "$T/out.json")" '[]'
  done
  assert_equal "$(jq -r '.policy.kms_allowed_event_payload[0]' "$T/out.json")" ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b
  assert_equal "$(jq -c .policy.kms_allowed_tcb_statuses "$T/out.json")" '["uptodate"]'
  assert_equal "$(jq -r .generated_at "$T/out.json")" 2026-01-01T00:00:00Z
  # outside the allowlists, provenance and generated_at: the file as it was
  diff <(jq -S 'del(.policy, .provenance, .generated_at)' "$P/kms-phala-attestation-policy.debug.json") \
       <(jq -S 'del(.policy, .provenance, .generated_at)' "$T/out.json")
  # one provenance record per value, naming where it came from
  mrtd=$(jq -r '.policy.allowed_mrtd[0]' "$T/c.json")
  assert_equal "$(jq -c --arg v "$mrtd" '.provenance.kms_allowed_mrtd[$v] | [.source, .simulated, .unverified, .verified, .tcb_status, .quote_sha256, .kms_version, .shape]' "$T/out.json")" \
    '["sim",true,false,true,"UpToDate","cfc07f5da7afe36444c44d8ed4f7d2726ca15e8d3d6b53e9fc8967ee057b4afc","2.3.40","mero-policy"]'
  assert_equal "$(jq -r --arg v "$mrtd" '.provenance.kms_allowed_mrtd[$v].candidates_sha256' "$T/out.json")" "$(sha256sum < "$T/c.json" | cut -c1-64)"
  assert_equal "$(jq '[.provenance[] | length] | add' "$T/out.json")" 6
}

@test "merging the same candidates again changes nothing, whatever the clock says" {
  sim debug > "$T/c.json"
  policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated < "$T/c.json" > "$T/once.json"
  SOURCE_DATE_EPOCH=1800000000 policy-merge --policy "$T/once.json" --allow-simulated < "$T/c.json" > "$T/twice.json"
  cmp "$T/once.json" "$T/twice.json"
  # and a policy that changes gets the time of its change
  jq '.policy.allowed_rtmr2 = ["'"$(printf '%096d' 7)"'"]' "$T/c.json" > "$T/c2.json"
  SOURCE_DATE_EPOCH=1800000000 policy-merge --policy "$T/once.json" --allow-simulated < "$T/c2.json" > "$T/three.json"
  assert_equal "$(jq -r .generated_at "$T/three.json")" 2027-01-15T08:00:00Z
}

@test "existing values first, new ones appended in the candidates' order; values normalised and de-duplicated" {
  sim debug > "$T/c.json"
  policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated < "$T/c.json" > "$T/one.json"
  old=$(jq -r '.policy.allowed_rtmr1[0]' "$T/c.json")
  a=$(printf 'ab%.0s' $(seq 48)) b=$(printf 'cd%.0s' $(seq 48))
  # upper case, 0x, white space, a repeat of an existing value and a repeat within the candidates
  jq --arg a "$a" --arg b "$b" --arg old "$old" \
    '.policy.allowed_rtmr1 = [" 0x\($b | ascii_upcase)\n", $old, "0x\($a)", $b]' "$T/c.json" > "$T/c2.json"
  policy-merge --policy "$T/one.json" --allow-simulated < "$T/c2.json" > "$T/two.json"
  assert_equal "$(jq -c .policy.kms_allowed_rtmr1 "$T/two.json")" "[\"$old\",\"$b\",\"$a\"]"
  assert_equal "$(jq -r '.provenance.kms_allowed_rtmr1 | keys | length' "$T/two.json")" 3
  # the first record of a value stays: the second candidates' hash is on the new values only
  h1=$(sha256sum < "$T/c.json" | cut -c1-64) h2=$(sha256sum < "$T/c2.json" | cut -c1-64)
  assert_equal "$(jq -r --arg v "$old" '.provenance.kms_allowed_rtmr1[$v].candidates_sha256' "$T/two.json")" "$h1"
  assert_equal "$(jq -r --arg v "$b" '.provenance.kms_allowed_rtmr1[$v].candidates_sha256' "$T/two.json")" "$h2"
}

@test "--replace: the candidates' values replace the lists, and the records of values that left go" {
  sim debug > "$T/c.json"
  policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated < "$T/c.json" > "$T/one.json"
  new=$(printf 'ef%.0s' $(seq 48))
  jq --arg n "$new" '.policy.allowed_mrtd = [$n]' "$T/c.json" > "$T/c2.json"
  policy-merge --policy "$T/one.json" --allow-simulated --replace < "$T/c2.json" > "$T/two.json"
  assert_equal "$(jq -c .policy.kms_allowed_mrtd "$T/two.json")" "[\"$new\"]"
  assert_equal "$(jq -c '.provenance.kms_allowed_mrtd | keys' "$T/two.json")" "[\"$new\"]"
  # lists the candidates do not fill, and the TCB list, are untouched
  assert_equal "$(jq -c .policy.kms_allowed_rtmr0 "$T/two.json")" "$(jq -c .policy.kms_allowed_rtmr0 "$T/one.json")"
  assert_equal "$(jq -c .policy.kms_allowed_tcb_statuses "$T/two.json")" '["uptodate"]'
  # without --replace the old value stays first
  policy-merge --policy "$T/one.json" --allow-simulated < "$T/c2.json" > "$T/three.json"
  assert_equal "$(jq -r '.policy.kms_allowed_mrtd | length' "$T/three.json")" 2
}

@test "--published: node_allowed_* from .profiles[P].allowed_* of a node release, with its provenance" {
  for p in debug debug-read-only locked-read-only; do
    run -0 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.$p.json" --published "$F/published-mrtds.json" < /dev/null
    printf '%s\n' "$output" > "$T/$p.json"
    for r in mrtd rtmr0 rtmr1 rtmr2 rtmr3; do
      assert_equal "$(jq -c ".policy.node_allowed_$r" "$T/$p.json")" "$(jq -c --arg p "$p" ".profiles[\$p].allowed_$r" "$F/published-mrtds.json")"
      assert_equal "$(jq -c ".policy.kms_allowed_$r" "$T/$p.json")" '[]'
    done
    v=$(jq -r '.policy.node_allowed_rtmr3[0]' "$T/$p.json")
    assert_equal "$(jq -c --arg v "$v" '.provenance.node_allowed_rtmr3[$v] | [.source, .tag, .simulated, .unverified, .published_sha256]' "$T/$p.json")" \
      "[\"published-mrtds\",\"2.3.40\",false,false,\"$(sha256sum < "$F/published-mrtds.json" | cut -c1-64)\"]"
  done
  # candidates and the release in one run
  sim debug | policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated --published "$F/published-mrtds.json" > "$T/both.json"
  assert_equal "$(jq '[.policy[] | length] | add' "$T/both.json")" 13
}

@test "--published: a status the policy does not allow, a missing profile, a malformed value" {
  jq '.profiles.debug.allowed_tcb_statuses = ["OutOfDate"]' "$F/published-mrtds.json" > "$T/pub.json"
  refused --policy "$P/kms-phala-attestation-policy.debug.json" --published "$T/pub.json" < /dev/null
  assert_equal "$stderr" "policy-merge: TCB status 'outofdate' of the published measurements is not allowed by the policy's node_allowed_tcb_statuses (uptodate): refused"
  jq 'del(.profiles.debug)' "$F/published-mrtds.json" > "$T/pub.json"
  run -65 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --published "$T/pub.json" < /dev/null
  one_line
  assert_equal "$stderr" "policy-merge: '$T/pub.json' is not a published-mrtds.json with profiles.debug"
  jq '.profiles.debug.allowed_rtmr2 = ["abc"]' "$F/published-mrtds.json" > "$T/pub.json"
  run -65 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --published "$T/pub.json" < /dev/null
  assert_equal "$stderr" "policy-merge: $T/pub.json: profiles.debug.allowed_rtmr2[0] 'abc': expected 48 bytes (96 hex chars), got 3 chars"
}

@test "verified node candidates of a real quote go into locked-read-only's node lists without any flag" {
  run -0 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.locked-read-only.json" < "$REAL"
  printf '%s\n' "$output" > "$T/out.json"
  assert_equal "$(jq -r '.policy.node_allowed_mrtd[0]' "$T/out.json")" "$(expected dcap-qvl/sample/tdx_quote .mr_td)"
  assert_equal "$(jq -r '.policy.node_allowed_rtmr2[0]' "$T/out.json")" "$(expected dcap-qvl/sample/tdx_quote .rtmr2)"
  v=$(expected dcap-qvl/sample/tdx_quote .mr_td)
  assert_equal "$(jq -c --arg v "$v" '.provenance.node_allowed_mrtd[$v] | [.source, .simulated, .unverified, .tcb_status]' "$T/out.json")" '["url",false,false,"UpToDate"]'
}

@test "upstream's extractor candidates: role and profile from the options, verified with --verification" {
  run -2 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --profile locked-read-only < "$UP"
  assert_equal "${stderr_lines[0]}" "policy-merge: upstream candidates carry no role: give --role kms|node"
  run -2 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --role kms < "$UP"
  assert_equal "${stderr_lines[0]}" "policy-merge: upstream candidates carry no profile: give --profile P"
  # without a verdict they are unverified
  refused --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --role kms --profile locked-read-only < "$UP"
  assert_equal "$stderr" "policy-merge: unverified upstream candidates (upstream candidates carry no verification: give --verification VERDICT) are never merged into locked-read-only: refused"
  run -0 policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --role kms --profile debug --allow-unverified < "$UP"
  # with the verdict of their quote: verified, under Intel's root
  verdict
  policy-merge --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --role kms --profile locked-read-only \
    --verification "$T/verdict.json" < "$UP" > "$T/out.json"
  assert_equal "$(jq -r '.policy.kms_allowed_rtmr0[0]' "$T/out.json")" "$(expected dcap-qvl/sample/tdx_quote .rtmr0)"
  assert_equal "$(jq -c .policy.kms_allowed_event_payload "$T/out.json")" '[]'
  v=$(expected dcap-qvl/sample/tdx_quote .rtmr0)
  assert_equal "$(jq -c --arg v "$v" '.provenance.kms_allowed_rtmr0[$v] | [.source, .measurement_source, .verified, .simulated, .unverified, .quote_sha256, .shape]' "$T/out.json")" \
    '["upstream-extractor","td_quote",true,false,false,"c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db","upstream-extractor"]'
}

@test "upstream candidates with the verdict of another quote are refused" {
  V="$VEC/go-tdx-guest/testing/testdata/quote_v5_sample.dat"
  quote-verify --collateral "$S/tdx_quote_outdated_collateral.json" --now 1774003274 < "$V" > "$T/other.json"
  refused --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --role kms --profile locked-read-only --verification "$T/other.json" < "$UP"
  [[ "$stderr" == "policy-merge: candidates' mrtd '91eb2b44d141d4ec...' is not the mr_td of the verified quote ($T/other.json): a verdict of another quote" ]]
  # --verification is for upstream candidates only
  run -2 --separate-stderr policy-merge --policy "$P/kms-phala-attestation-policy.locked-read-only.json" --verification "$T/other.json" < "$REAL"
  assert_equal "${stderr_lines[0]}" "policy-merge: --verification is for upstream candidates (these carry their own verification)"
}

@test "refusals name the value and the rule: profile, role, simulated, unverified, TCB status" {
  D="$P/kms-phala-attestation-policy.debug.json" L="$P/kms-phala-attestation-policy.locked-read-only.json"
  sim debug-read-only > "$T/ro.json"
  refused --policy "$D" --allow-simulated < "$T/ro.json"
  assert_equal "$stderr" "policy-merge: candidates of profile 'debug-read-only' are not for the policy's profile 'debug': refused (cohort separation, ADR-0001)"
  sim debug > "$T/c.json"
  refused --policy "$D" --profile locked-read-only --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: --profile locked-read-only is not the policy's profile 'debug': refused (cohort separation, ADR-0001)"
  jq '.provenance.measured_profile = "locked-read-only"' "$T/c.json" > "$T/m.json"
  refused --policy "$D" --allow-simulated < "$T/m.json"
  assert_equal "$stderr" "policy-merge: the KMS measured profile 'locked-read-only' (calimero.kms.profile), not the policy's 'debug': refused (cohort separation, ADR-0001)"
  refused --policy "$D" --allow-simulated --role node < "$T/c.json"
  assert_equal "$stderr" "policy-merge: --role node, but the candidates are role 'kms': refused"
  refused --policy "$D" < "$T/c.json"
  assert_equal "$stderr" "policy-merge: simulated candidates (source 'sim'): refused without --allow-simulated"
  sim locked-read-only > "$T/l.json"
  refused --policy "$L" --allow-simulated --allow-unverified < "$T/l.json"
  assert_equal "$stderr" "policy-merge: simulated candidates (source 'sim') are never merged into locked-read-only: refused"
  # a source that is not sim but claims a non-Intel root counts as simulated
  jq '.provenance.verification.root_ca.intel = false | .provenance.verification.root_ca.builtin = false | .provenance.verification.root_ca.sha256 = "00"' "$REAL" > "$T/root.json"
  refused --policy "$L" < "$T/root.json"
  assert_equal "$stderr" "policy-merge: simulated candidates (source 'url') are never merged into locked-read-only: refused"
  jq '.profile = "debug"' "$M/sim-unverified.candidates.json" > "$T/u.json"
  refused --policy "$D" < "$T/u.json"
  assert_equal "$stderr" "policy-merge: unverified candidates (platform_tcb_level: No matching TCB level found): refused without --allow-unverified"
  run -0 policy-merge --policy "$D" --allow-unverified < "$T/u.json"
  refused --policy "$L" < "$OUTDATED"
  assert_equal "$stderr" "policy-merge: TCB status 'outofdate' of the candidates is not allowed by the policy's node_allowed_tcb_statuses (uptodate): refused"
}

@test "a structural change is refused unless --allow-structure: another tag, a list the file lacks" {
  D="$P/kms-phala-attestation-policy.debug.json"
  sim debug | jq '.provenance.kms_version = "2.3.41"' > "$T/c.json"
  refused --policy "$D" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" 'policy-merge: structural change .tag "2.3.40" -> "2.3.41": refused without --allow-structure'
  run -0 policy-merge --policy "$D" --allow-simulated --allow-structure < "$T/c.json"
  assert_equal "$(jq -r .tag <<<"$output")" 2.3.41
  jq 'del(.policy.kms_allowed_rtmr3)' "$D" > "$T/lacks.json"
  sim debug > "$T/c.json"
  refused --policy "$T/lacks.json" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" 'policy-merge: structural change .policy.kms_allowed_rtmr3 (absent) -> [1 value]: refused without --allow-structure'
}

@test "--output writes the policy file in place, atomically; --signature records the signature's digest" {
  cp "$P/kms-phala-attestation-policy.debug.json" "$T/policy.json"
  sim debug > "$T/c.json"
  printf 'MEUCIQDsignature' > "$T/c.json.sig"
  run -0 --separate-stderr policy-merge --policy "$T/policy.json" --output "$T/policy.json" --allow-simulated --signature "$T/c.json.sig" < "$T/c.json"
  assert_output ''
  assert_equal "$(jq -r '.policy.kms_allowed_mrtd | length' "$T/policy.json")" 1
  assert_equal "$(jq -r '[.provenance.kms_allowed_mrtd[]][0].signature_sha256' "$T/policy.json")" "$(sha256sum < "$T/c.json.sig" | cut -c1-64)"
  ls -A "$T"
  [ "$(find "$T" -mindepth 1 -maxdepth 1 -name '*policy*' | wc -l)" -eq 1 ] # no temporary left beside it
  # a refused merge leaves the file as it was
  before=$(sha256sum < "$T/policy.json")
  run -1 policy-merge --policy "$T/policy.json" --output "$T/policy.json" < "$T/c.json"
  assert_equal "$(sha256sum < "$T/policy.json")" "$before"
  run -74 --separate-stderr policy-merge --policy "$T/policy.json" --output /dev/full --allow-simulated < "$T/c.json"
  one_line
}

@test "malformed input exits 65, a missing file 66, with one stderr line and nothing on stdout" {
  D="$P/kms-phala-attestation-policy.debug.json"
  run -65 --separate-stderr policy-merge --policy "$D" <<<'{"schema_version": 1,'
  one_line
  run -65 --separate-stderr policy-merge --policy "$D" < /dev/null
  assert_equal "$stderr" "policy-merge: no candidates on stdin"
  sim debug | jq '.policy.allowed_mrtd = ["0x1234"]' > "$T/c.json"
  run -65 --separate-stderr policy-merge --policy "$D" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: candidates: policy.allowed_mrtd[0] '0x1234': expected 48 bytes (96 hex chars), got 4 chars"
  sim debug | jq '.policy.allowed_rtmr0 = [7]' > "$T/c.json"
  run -65 --separate-stderr policy-merge --policy "$D" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: candidates: policy.allowed_rtmr0[0] is not a string"
  sim debug | jq '.schema_version = 2' > "$T/c.json"
  run -65 --separate-stderr policy-merge --policy "$D" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: candidates: not a candidates file of schema_version 1"
  # a value in the policy that mero-kms would refuse stops the merge
  jq '.policy.kms_allowed_rtmr1 = ["xyz"]' "$D" > "$T/bad.json"
  sim debug > "$T/c.json"
  run -65 --separate-stderr policy-merge --policy "$T/bad.json" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: policy: .policy.kms_allowed_rtmr1[0] 'xyz': expected 48 bytes (96 hex chars), got 3 chars"
  jq '.profile = "prod"' "$D" > "$T/bad.json"
  run -65 --separate-stderr policy-merge --policy "$T/bad.json" --allow-simulated < "$T/c.json"
  assert_equal "$stderr" "policy-merge: policy '$T/bad.json': profile 'prod' is not debug, debug-read-only or locked-read-only"
  run -66 --separate-stderr policy-merge --policy "$T/none.json" < "$T/c.json"
  one_line
  run -66 --separate-stderr policy-merge --policy "$D" --published "$T/none.json" < "$T/c.json"
  one_line
  assert_output ''
}

@test "usage: bad --role and --profile values, --policy missing" {
  run -2 --separate-stderr policy-merge --policy x --role agent
  assert_equal "${stderr_lines[0]}" "policy-merge: --role must be kms or node (got 'agent')"
  run -2 --separate-stderr policy-merge --policy x --profile prod
  assert_equal "${stderr_lines[0]}" "policy-merge: --profile must be debug, debug-read-only or locked-read-only (got 'prod')"
  run -2 --separate-stderr policy-merge
  assert_equal "${stderr_lines[0]}" "policy-merge: --policy FILE is required"
  assert_equal "${stderr_lines[1]%% *}" "usage:"
}

@test "the merged policy passes policy-lint and loads in policy-check" {
  sim debug > "$T/c.json"
  policy-merge --policy "$P/kms-phala-attestation-policy.debug.json" --allow-simulated --published "$F/published-mrtds.json" \
    < "$T/c.json" > "$T/kms-phala-attestation-policy.debug.json"
  run -0 --separate-stderr policy-lint "$T/kms-phala-attestation-policy.debug.json"
  # simulated provenance is a warning in a debug profile
  assert_output --partial '[provenance-simulated]'
  [[ "$output" != *": error: "* ]]
}
