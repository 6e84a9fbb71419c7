#!/usr/bin/env bats
# mrtd-extract: measurement-policy-candidates.json from a verified quote and its replay.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:198a5c6d6dc285076c9011394fd2e4c176d6001e72ef9e64e2849a9b5a5794a3

setup() {
  R="$FIX/rtmr-replay"
  M="$FIX/mrtd-extract"
  SIM="$VEC/dstack/sdk/simulator"
  T="$BATS_TEST_TMPDIR"
  export SOURCE_DATE_EPOCH=1767225600
  quote2json < "$SIM/quote.hex" > "$T/sim.json"
  SIMV="$M/sim-verified.json"
  # the options of the simulator golden ("${SIMOPTS[@]:2}": all but the profile)
  SIMOPTS=(--profile locked-read-only --source sim --verification "$SIMV" --kms-version 2.3.40 --image-digest "$IMG")
}

@test "usage errors exit 2 with the synopsis" {
  declare -A want=(
    ["--source sim --unverified --role node"]="--profile must be debug, debug-read-only or locked-read-only"
    ["--profile prod --source sim --unverified --role node"]="--profile must be debug, debug-read-only or locked-read-only"
    ["--profile debug --unverified --role node"]="--source is required (sim, phala, url, gcp, ...)"
    ["--profile debug --source Sim --unverified --role node"]="bad --source 'Sim' (lower-case letters, digits and -)"
    ["--profile debug --source sim --unverified --role agent"]="--role must be kms or node"
    ["--profile debug --source sim --role node"]="--verification FILE is required (or --unverified)"
    ["--profile debug --source sim --unverified"]="--replay FILE is required for role kms (its compose hash)"
    ["--profile debug --source sim --unverified --role node --compose-hash 00"]="--compose-hash needs --replay"
    ["--profile debug --source sim --unverified --role node --image-digest ghcr.io/x:latest"]="--image-digest must be name@sha256:<64 hex> or sha256:<64 hex>"
    ["--profile debug --source sim --unverified --role node --kms-version v"]="bad --kms-version 'v'"
  )
  local args argv
  for args in "${!want[@]}"; do
    read -ra argv <<<"$args"
    run -2 --separate-stderr mrtd-extract "${argv[@]}" < "$T/sim.json"
    assert_equal "${stderr_lines[0]}" "mrtd-extract: ${want[$args]}"
    assert_equal "${stderr_lines[1]%% *}" "usage:"
    assert_output ''
  done
}

@test "dstack simulator: golden candidates, values equal the quote's (expected.json)" {
  mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" < "$T/sim.json" > "$T/out.json"
  cmp "$T/out.json" "$M/sim.candidates.json"
  k=dstack/sdk/simulator/quote.hex
  assert_equal "$(jq -r '.policy.allowed_mrtd[0]' "$T/out.json")" "$(expected $k .mr_td)"
  for i in 0 1 2 3; do
    assert_equal "$(jq -r ".policy.allowed_rtmr$i|length" "$T/out.json")" 1
    assert_equal "$(jq -r ".policy.allowed_rtmr${i}[0]" "$T/out.json")" "$(expected $k .rtmr$i)"
  done
  assert_equal "$(jq -c .policy.allowed_tcb_statuses "$T/out.json")" '["uptodate"]'
  assert_equal "$(jq -c .policy.allowed_event_payload "$T/out.json")" '["ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b"]'
  assert_equal "$(jq -c '[.schema_version,.role,.profile,.source]' "$T/out.json")" '[1,"kms","locked-read-only","sim"]'
  assert_equal "$(jq -c '.provenance|[.simulated,.unverified,.generated_at,.kms_version,.quote_sha256]' "$T/out.json")" \
    '[true,false,"2026-01-01T00:00:00Z","2.3.40","cfc07f5da7afe36444c44d8ed4f7d2726ca15e8d3d6b53e9fc8967ee057b4afc"]'
  assert_equal "$(jq -c '.provenance.verification.root_ca|[.builtin,.intel]' "$T/out.json")" '[false,false]'
}

@test "pipe: quote2json | mrtd-extract equals the golden byte for byte, twice in a row" {
  for run in 1 2; do
    quote2json < "$SIM/quote.hex" |
      mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" > "$T/pipe$run.json"
    cmp "$T/pipe$run.json" "$M/sim.candidates.json"
  done
  # the whole chain from the raw vectors, replay included
  quote2json < "$SIM/quote.hex" > "$T/q.json"
  rtmr-replay --quote "$T/q.json" < "$SIM/eventlog.json" > "$T/replay.json"
  quote2json < "$SIM/quote.hex" | mrtd-extract "${SIMOPTS[@]}" --replay "$T/replay.json" > "$T/chain.json"
  cmp "$T/chain.json" "$M/sim.candidates.json"
}

@test "without SOURCE_DATE_EPOCH the time is the clock's" {
  unset SOURCE_DATE_EPOCH
  before=$(date -u +%s)
  run -0 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" < "$T/sim.json"
  t=$(date -u -d "$(jq -r .provenance.generated_at <<<"$output")" +%s)
  assert [ "$t" -ge "$before" ]
  assert [ "$t" -le "$(( $(date -u +%s) + 1 ))" ]
}

@test "mero-kms-shaped response on stdin: golden, the same candidates as from quote JSON" {
  mrtd-extract "${SIMOPTS[@]}" --replay "$R/kms-attest-response.replay.json" < "$R/kms-attest-response.json" > "$T/out.json"
  cmp "$T/out.json" "$M/kms-attest-response.candidates.json"
  assert_equal "$(jq -r .provenance.quote_origin "$T/out.json")" quoteB64
  diff <(jq 'del(.provenance.quote_origin)' "$T/out.json") <(jq 'del(.provenance.quote_origin)' "$M/sim.candidates.json")
}

@test "merod's attest shape (data.quoteB64) on stdin" {
  jq '{data: {quoteB64: .quoteB64}}' "$R/kms-attest-response.json" > "$T/merod.json"
  run -0 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" < "$T/merod.json"
  assert_equal "$(jq -r .provenance.quote_origin <<<"$output")" data.quoteB64
  diff <(jq 'del(.provenance.quote_origin)' <<<"$output") <(jq 'del(.provenance.quote_origin)' "$M/sim.candidates.json")
}

@test "each real quote that verifies: golden node candidates with its TCB status" {
  n=0
  for g in "$M"/real/*.candidates.json; do
    name=$(basename "$g" .candidates.json)
    v="$M/verification/$name.json"
    q=$(jq -r '.fixture_note | capture("for (?<q>[^ ]+) at").q' "$v")
    bin=$(expected "$q" .binary)
    quote2json < "$VEC/$bin" | mrtd-extract --role node --profile locked-read-only --source url \
      --verification "$v" > "$T/out.json"
    cmp "$T/out.json" "$g"
    assert_equal "$(jq -r '.policy.allowed_mrtd[0]' "$T/out.json")" "$(expected "$q" .mr_td)"
    assert_equal "$(jq -r '.policy.allowed_rtmr2[0]' "$T/out.json")" "$(expected "$q" .rtmr2)"
    assert_equal "$(jq -r '.policy.allowed_tcb_statuses[0]' "$T/out.json")" "$(jq -r '.status|ascii_downcase' "$v")"
    assert_equal "$(jq -c '[.provenance.simulated,.provenance.unverified,.provenance.verification.root_ca.intel,.policy.allowed_event_payload]' "$T/out.json")" '[false,false,true,[]]'
    n=$((n + 1))
  done
  assert_equal "$n" 9
}

@test "a failed verification is refused; --unverified records it (golden)" {
  V="$M/verification/dstack_sdk_simulator_quote.json"
  run -1 --separate-stderr mrtd-extract --profile debug --source phala --verification "$V" \
    --replay "$R/simulator.replay.json" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: the quote failed verification at platform_tcb_level: No matching TCB level found (--unverified records candidates that cannot be promoted)"
  mrtd-extract --profile debug --source phala --unverified --verification "$V" \
    --replay "$R/simulator.replay.json" < "$T/sim.json" > "$T/out.json"
  cmp "$T/out.json" "$M/sim-unverified.candidates.json"
  assert_equal "$(jq -c '[.provenance.unverified,.provenance.verification.verified,.policy.allowed_tcb_statuses]' "$T/out.json")" '[true,false,[]]'
  # no verification at all
  run -0 --separate-stderr mrtd-extract --profile debug --source phala --unverified --replay "$R/simulator.replay.json" < "$T/sim.json"
  assert_equal "$(jq -c '[.provenance.unverified,.provenance.verification,.provenance.simulated]' <<<"$output")" '[true,null,false]'
}

@test "a verdict the TCB gate refused (quote-verify --allow-status) is refused, even with --unverified" {
  g=$(ls "$M"/real/*.candidates.json | head -n 1)
  name=$(basename "$g" .candidates.json)
  v="$M/verification/$name.json"
  q=$(jq -r '.fixture_note | capture("for (?<q>[^ ]+) at").q' "$v")
  quote2json < "$VEC/$(expected "$q" .binary)" > "$T/q.json"
  for d in allowed refused bogus; do
    jq --arg d "$d" '.tcb_gate = {allowed: ["uptodate"], decision: $d}' "$v" > "$T/gate-$d.json"
  done
  run -0 mrtd-extract --role node --profile locked-read-only --source url --verification "$T/gate-allowed.json" < "$T/q.json"
  for u in "" --unverified; do
    run -1 --separate-stderr mrtd-extract --role node --profile locked-read-only --source url $u \
      --verification "$T/gate-refused.json" < "$T/q.json"
    one_line
    assert_equal "$stderr" "mrtd-extract: verification '$T/gate-refused.json': the TCB gate refused status $(jq -r .status "$v")"
  done
  jq '.tcb_gate = {allowed: []}' "$v" > "$T/gate-none.json"
  run -65 --separate-stderr mrtd-extract --role node --profile locked-read-only --source url --verification "$T/gate-none.json" < "$T/q.json"
  one_line
}

@test "a verification of another quote is refused, even with --unverified" {
  V="$M/verification/dcap-qvl_sample_tdx_quote.json"
  for u in "" --unverified; do
    run -1 --separate-stderr mrtd-extract --profile debug --source sim $u --verification "$V" \
      --replay "$R/simulator.replay.json" < "$T/sim.json"
    one_line
    assert_equal "$stderr" "mrtd-extract: verification '$V' belongs to another quote (quote_sha256 $(jq -r .quote_sha256 "$V"), this quote cfc07f5da7afe36444c44d8ed4f7d2726ca15e8d3d6b53e9fc8967ee057b4afc)"
  done
}

@test "a simulated root is accepted for --source sim only" {
  run -1 --separate-stderr mrtd-extract --profile locked-read-only --source phala --verification "$SIMV" \
    --replay "$R/simulator.replay.json" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: verification '$SIMV' trusted a root CA other than Intel's (CN=mero-policy simulated root CA (test fixture),O=mero-policy) but --source is 'phala': only sim candidates come from a simulated root"
  # the Intel root given as a file (not built in) is still Intel's
  jq '.root_ca.builtin = false' "$M/verification/go-tdx-guest_testing_testdata_quote_v5_sample.json" > "$T/v.json"
  quote2json < "$VEC/go-tdx-guest/testing/testdata/quote_v5_sample.dat" > "$T/v5.json"
  run -0 --separate-stderr mrtd-extract --role node --profile debug --source gcp --verification "$T/v.json" < "$T/v5.json"
  assert_equal "$(jq -c '[.provenance.simulated,.provenance.verification.root_ca.intel]' <<<"$output")" '[false,true]'
}

@test "replays that do not prove the compose hash for this quote are refused" {
  rtmr-replay < "$SIM/eventlog.json" > "$T/noquote.json"
  quote2json < "$VEC/go-tdx-guest/testing/testdata/ccel/cos-113-tdx-quote.dat" > "$T/cos.json"
  jq '.compose_hash_verified = false' "$R/simulator.replay.json" > "$T/unverified.json"
  jq '.runtime.compose_hash = null | .compose_hash_verified = false' "$R/simulator.replay.json" > "$T/nohash.json"
  jq '.registers.rtmr3.replayed = ("00" + .registers.rtmr3.replayed[2:])' "$R/simulator.replay.json" > "$T/rtmr3.json"
  declare -A want=(
    [noquote]="replay '$T/noquote.json' was not compared with a quote (run rtmr-replay --quote)"
    [ccel]="replay '$R/ccel.replay.json' was compared with another quote (sha256 54334c81b4e03634ab3a269ad397c9cea3b5c9ee96c57505b684470b964fd15e, this quote cfc07f5da7afe36444c44d8ed4f7d2726ca15e8d3d6b53e9fc8967ee057b4afc)"
    [unverified]="replay '$T/unverified.json' did not verify the compose hash ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b against RTMR3"
    [nohash]="replay '$T/nohash.json' has no verified compose-hash event (a KMS measures one into RTMR3)"
    [rtmr3]="replay '$T/rtmr3.json': replayed RTMR3 001a3da994b6611ee602f25f07b41671ece90cd2898689f1ad4448fdf1155e3668736cca4499659caae2d8044070de57 differs from the quote's 6d1a3da994b6611ee602f25f07b41671ece90cd2898689f1ad4448fdf1155e3668736cca4499659caae2d8044070de57"
  )
  for k in "${!want[@]}"; do
    f="$T/$k.json"; [ "$k" = ccel ] && f="$R/ccel.replay.json"
    run -1 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$f" < "$T/sim.json"
    one_line
    assert_equal "$stderr" "mrtd-extract: ${want[$k]}"
  done
  # a node without a compose hash is fine
  run -0 --separate-stderr mrtd-extract --role node --profile debug --source sim --verification "$SIMV" --replay "$T/nohash.json" < "$T/sim.json"
  assert_equal "$(jq -c .policy.allowed_event_payload <<<"$output")" '[]'
}

@test "--compose-hash must equal the measured compose hash" {
  h=ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b
  run -0 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" --compose-hash $h < "$T/sim.json"
  assert_output "$(cat "$M/sim.candidates.json")"
  other=$(cat "$FIX/compose-hash/app-compose.json.sha256")
  run -1 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$R/simulator.replay.json" --compose-hash "$other" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: the deployed compose hash $other differs from the measured $h"
}

@test "the KMS profile measured into RTMR3 must be the --profile (ADR-0001)" {
  jq '.runtime.kms_profile = "debug"' "$R/simulator.replay.json" > "$T/prof.json"
  run -1 --separate-stderr mrtd-extract "${SIMOPTS[@]}" --replay "$T/prof.json" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: the KMS measured profile 'debug' into RTMR3, not 'locked-read-only' (ADR-0001)"
  run -0 --separate-stderr mrtd-extract --profile debug "${SIMOPTS[@]:2}" --replay "$T/prof.json" < "$T/sim.json"
  assert_equal "$(jq -c '[.profile,.provenance.measured_profile]' <<<"$output")" '["debug","debug"]'
}

@test "--kms-version drops a mero-kms-v or v prefix; --image-digest takes a bare digest; --profile in any case" {
  d=${IMG#*@}
  run -0 --separate-stderr mrtd-extract --role node --profile debug --source sim --verification "$SIMV" --kms-version mero-kms-v2.3.40 --image-digest "$d" < "$T/sim.json"
  assert_equal "$(jq -c '.provenance|[.kms_version,.image_digest]' <<<"$output")" "[\"2.3.40\",\"$d\"]"
  run -0 --separate-stderr mrtd-extract --role node --profile debug --source sim --verification "$SIMV" --kms-version v0.4.0 < "$T/sim.json"
  assert_equal "$(jq -r .provenance.kms_version <<<"$output")" 0.4.0
  # the profile is matched as mero-kms matches it: whole, in any case
  run -0 --separate-stderr mrtd-extract --role node --profile Debug-Read-Only --source sim --verification "$SIMV" < "$T/sim.json"
  assert_equal "$(jq -r .profile <<<"$output")" debug-read-only
}

@test "malformed inputs exit 65, a missing file or a folder 66, a write error 74" {
  node=(--role node --profile debug --source sim)
  run -65 --separate-stderr mrtd-extract "${node[@]}" --verification "$SIMV" <<<'{"td_report":'
  one_line
  assert_regex "$stderr" '^mrtd-extract: cannot parse quote JSON: '
  quote2json < "$VECTORS/sgx/dcap-qvl/sample/sgx_quote" > "$T/sgx.json"
  run -65 --separate-stderr mrtd-extract "${node[@]}" --unverified < "$T/sgx.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: not a TD quote (report type SgxEnclave)"
  jq '.td_report.mr_td = "abcd"' "$T/sim.json" > "$T/short.json"
  run -65 --separate-stderr mrtd-extract "${node[@]}" --unverified < "$T/short.json"
  assert_equal "$stderr" "mrtd-extract: quote JSON td_report.mr_td is not 48 bytes of hex"
  jq 'del(.quote_sha256)' "$SIMV" > "$T/v1.json"
  run -65 --separate-stderr mrtd-extract "${node[@]}" --verification "$T/v1.json" < "$T/sim.json"
  assert_equal "$stderr" "mrtd-extract: verification '$T/v1.json' has no quote_sha256"
  jq '.verified = "yes"' "$SIMV" > "$T/v2.json"
  run -65 --separate-stderr mrtd-extract "${node[@]}" --verification "$T/v2.json" < "$T/sim.json"
  assert_equal "$stderr" "mrtd-extract: verification '$T/v2.json': verified is not true or false"
  echo '[]' > "$T/r.json"
  run -65 --separate-stderr mrtd-extract "${node[@]}" --verification "$SIMV" --replay "$T/r.json" < "$T/sim.json"
  assert_equal "$stderr" "mrtd-extract: replay '$T/r.json' is not a JSON object"
  run -66 --separate-stderr mrtd-extract "${node[@]}" --verification "$T/none.json" < "$T/sim.json"
  one_line
  mkdir "$T/dir"
  run -66 --separate-stderr mrtd-extract "${node[@]}" --verification "$T/dir" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: cannot read '$T/dir': not a regular file (a directory)"
  run -66 --separate-stderr mrtd-extract "${node[@]}" --verification "$SIMV" --replay "$T/dir" < "$T/sim.json"
  one_line
  assert_equal "$stderr" "mrtd-extract: cannot read '$T/dir': not a regular file (a directory)"
  run -74 --separate-stderr bash -c 'mrtd-extract --role node --profile debug --source sim --verification "$1" < "$2" > /dev/full' _ "$SIMV" "$T/sim.json"
  assert_equal "$(nlines "$stderr")" 1
}

@test "the fixture scripts rebuild the verification stand-ins byte for byte" {
  "$M/make-verifications.sh" "$T/v"
  diff -r "$T/v" "$M/verification"
}

@test "with quote-verify's own output: it agrees with the stand-ins, and the candidates equal the goldens" {
  n=0
  for v in "$M"/verification/*.json; do
    q=$(jq -r '.fixture_note | capture("for (?<q>[^ ]+) at").q' "$v")
    now=$(jq -r '.fixture_note | capture("now=(?<n>[0-9]+)").n' "$v")
    col=$(jq -r --arg q "$q" '[.verify_cases[] | select(.quote == $q and .options == {})][0].collateral' "$VEC/expected.json")
    bin=$(expected "$q" .binary)
    # exit 0 when verified, 1 when not (the verdict is on stdout either way)
    want_st=$(jq -r 'if .verified then 0 else 1 end' "$v")
    st=0
    quote-verify --collateral "$VEC/$col" --now "$now" < "$VEC/$bin" > "$T/qv.json" 2> "$T/qv.err" || st=$?
    assert_equal "$st" "$want_st"
    # verified: the same status and advisories; failed: the same check and reason
    keys='{verified, quote_sha256, root_ca} + if .verified then {status, advisory_ids} else {failed_check, error} end'
    assert_equal "$(jq -cS "$keys" "$T/qv.json")" "$(jq -cS "$keys" "$v")"
    g="$M/real/$(basename "$v" .json).candidates.json"
    [ -f "$g" ] || continue
    quote2json < "$VEC/$bin" | mrtd-extract --role node --profile locked-read-only --source url \
      --verification "$T/qv.json" > "$T/out.json"
    cmp "$T/out.json" "$g"
    n=$((n + 1))
  done
  assert_equal "$n" 9
}
