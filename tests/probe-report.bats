#!/usr/bin/env bats
# probe-report: the Markdown summary of a probe folder (goldens from recorded
# folders of a passing and a failing simulated probe).

load test_helper

F="$FIX/probe-report"
IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:1ba138daecb2752e65fb42d03879ad1a6d1cf06863a0c4f89ddc0e1387eadec1

report() { # DIR POLICY [more options]
  local d=$1 p=$2
  shift 2
  SOURCE_DATE_EPOCH=1764360000 probe-report --profile debug-read-only --backend sim --image "$IMG" \
    --kms-version 2.3.40 --dir "$d" --policy "$p" "$@"
}

@test "--help exits 0; a bad flag or a missing --dir exits 2" {
  run -0 probe-report --help
  assert_output --partial 'usage: probe-report --dir DIR'
  run -2 --separate-stderr probe-report --bogus
  [[ "$stderr" == *"usage: probe-report"* ]]
  run -2 --separate-stderr probe-report --profile debug --backend sim
  [[ "$stderr" == *"--dir, --profile and --backend are required"* ]]
}

@test "a passing simulated probe: golden report" {
  cd "$ROOT"
  run -0 --separate-stderr report tests/fixtures/probe-report/pass tests/fixtures/probe-report/policy-partial.json
  diff -u "$F/pass.golden.md" <(printf '%s\n' "$output")
}

@test "a probe that failed verification: golden report" {
  cd "$ROOT"
  run -0 --separate-stderr report tests/fixtures/probe-report/fail-verify policies/kms-phala-attestation-policy.debug-read-only.json
  diff -u "$F/fail-verify.golden.md" <(printf '%s\n' "$output")
}

@test "the report names the simulated source, the failure, and each step's result" {
  run -0 report "$F/fail-verify" "$ROOT/policies/kms-phala-attestation-policy.debug-read-only.json"
  assert_line --index 0 "# Staging probe debug-read-only: FAIL (SIMULATED: local kms-sim, not TDX hardware)"
  assert_output --partial '**Failed at step `verify`**: quote-verify: not verified: quote_signature'
  assert_output --partial '| tcb-policy | TCB status among ALLOWED_TCB_STATUSES | fail: tcb-policy: the quote is not verified |'
  assert_output --partial '| extract | extract candidates (mrtd-extract) | not run | |'
  assert_output --partial 'No candidates file: nothing from this run can be promoted.'
}

@test "measurements against the policy: unchanged, changed and new" {
  run -0 report "$F/pass" "$F/policy-partial.json"
  mrtd=$(jq -r .td_report.mr_td "$F/pass/attestation-quote.json")
  assert_output --partial "| MRTD | \`$mrtd\` | - | unchanged |"
  assert_output --regexp '\| RTMR1 \| `[0-9a-f]{96}` \| matches \| changed \|'
  assert_output --regexp '\| RTMR3 \| `[0-9a-f]{96}` \| matches \| new \|'
  assert_output --partial '| TCB status | `uptodate` | | unchanged |'
  run -0 report "$F/pass" "$BATS_TEST_TMPDIR/absent.json"
  assert_output --partial '| MRTD | `'"$mrtd"'` | - | new (no policy file) |'
}

@test "another backend is not called simulated, but a quote under a non-Intel root is flagged" {
  run -0 probe-report --profile locked-read-only --backend url --kms-url https://kms.example --dir "$F/pass" --policy "$BATS_TEST_TMPDIR/none.json"
  assert_line --index 0 "# Staging probe locked-read-only: PASS (NOT verified under Intel's root CA)"
  assert_output --partial '| KMS URL | https://kms.example |'
  refute_output --partial 'SIMULATED: local kms-sim'
  refute_output --partial '> **Simulated.**'
  # with the built-in Intel root in the verdict, no flag
  mkdir "$BATS_TEST_TMPDIR/intel"
  jq '.root_ca.builtin = true' "$F/pass/verification.json" > "$BATS_TEST_TMPDIR/intel/verification.json"
  run -0 probe-report --profile locked-read-only --backend url --dir "$BATS_TEST_TMPDIR/intel"
  assert_line --index 0 "# Staging probe locked-read-only: FAIL"
}

@test "an artifact that is not JSON exits 65; a missing folder 66" {
  cp -r "$F/pass" "$BATS_TEST_TMPDIR/bad"
  echo '{"verified": tru' > "$BATS_TEST_TMPDIR/bad/verification.json"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" /dev/null
  [ -z "$output" ]
  [[ "$stderr" == "probe-report: cannot parse '$BATS_TEST_TMPDIR/bad/verification.json'"* ]]
  run -66 --separate-stderr report "$BATS_TEST_TMPDIR/nowhere" /dev/null
  [ "$stderr" = "probe-report: no probe folder '$BATS_TEST_TMPDIR/nowhere'" ]
}

@test "writing to a full device exits 74" {
  run -74 --separate-stderr bash -c "probe-report --profile debug --backend sim --dir '$F/pass' > /dev/full"
  [[ "$stderr" == "probe-report: cannot write to standard output"* ]]
}
