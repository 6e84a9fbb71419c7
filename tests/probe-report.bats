#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# probe-report: the Markdown summary of a probe folder (goldens from recorded
# folders of a passing and a failing simulated probe). The generic command-line
# tests (--help, --version, unknown options, missing values) are tests/cli.bats'.

load test_helper

F="$FIX/probe-report"
STEPS="$ROOT/mk/probe/steps"
IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:1ba138daecb2752e65fb42d03879ad1a6d1cf06863a0c4f89ddc0e1387eadec1
PHALA_IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:5555555555555555555555555555555555555555555555555555555555555555

report() { # DIR POLICY [more options]; the steps file: STEPS_FILE, or mk/probe/steps; BACKEND, IMAGE
  local d=$1 p=$2
  shift 2
  SOURCE_DATE_EPOCH=1764360000 probe-report --steps "${STEPS_FILE:-$STEPS}" --profile debug-read-only \
    --backend "${BACKEND:-sim}" --image "${IMAGE:-$IMG}" \
    --kms-version 2.3.40 --dir "$d" --policy "$p" "$@"
}

@test "--dir, --steps, --profile and --backend are required (exit 2)" {
  run -2 --separate-stderr probe-report --profile debug --backend sim --steps "$STEPS"
  [ "$(sed -n 1p <<<"$stderr")" = "probe-report: --dir, --steps, --profile and --backend are required" ]
  [[ "$(sed -n 2p <<<"$stderr")" == "usage: probe-report --dir DIR --steps FILE"* ]]
  [ -z "$output" ]
  run -2 --separate-stderr probe-report --profile debug --backend sim --dir "$F/pass"
  [ "$(sed -n 1p <<<"$stderr")" = "probe-report: --dir, --steps, --profile and --backend are required" ]
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

@test "a passing STAGING=phala probe with the ita step: golden report" {
  cd "$ROOT"
  BACKEND=phala IMAGE=$PHALA_IMG run -0 --separate-stderr report tests/fixtures/probe-report/phala \
    policies/kms-phala-attestation-policy.debug-read-only.json
  diff -u "$F/phala.golden.md" <(printf '%s\n' "$output")
}

@test "a STAGING=phala probe whose teardown failed: golden report, the CVM named for a delete by hand" {
  cd "$ROOT"
  BACKEND=phala IMAGE=$PHALA_IMG run -0 --separate-stderr report tests/fixtures/probe-report/phala-teardown-fail \
    policies/kms-phala-attestation-policy.debug-read-only.json
  diff -u "$F/phala-teardown-fail.golden.md" <(printf '%s\n' "$output")
}

@test "the staging CVM: its identifiers from staging.json, the deploy, boot and health times, the teardown" {
  BACKEND=phala run -0 report "$F/phala" "$F/policy-partial.json"
  assert_line '| name | mero-kms-debug-read-only-2-3-40 |'
  assert_line '| CVM id | 1001 |'
  assert_line '| app id | 734fe232305b670635b7d862eeec0d18f92d4dda |'
  assert_line '| boot | 1.101 s (until running) |'
  assert_line '| reused | no: deployed for this probe, deleted at the end |'
  assert_line --partial '| teardown | done: CVM mero-kms-debug-read-only-2-3-40 deleted'
  # a reused CVM, kept; no CVM at all
  cp -r "$F/phala" "$BATS_TEST_TMPDIR/run"
  jq '.reused = true' "$F/phala/staging.json" > "$BATS_TEST_TMPDIR/run/staging.json"
  printf 'skip\tskip\t0\tCVM app_734f is reused (STAGING_CVM_ID): kept\n' > "$BATS_TEST_TMPDIR/run/.steps/teardown"
  BACKEND=phala run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_line '| reused | yes (STAGING_CVM_ID): kept at the end |'
  assert_line '| teardown | CVM app_734f is reused (STAGING_CVM_ID): kept |'
  assert_line --index 0 '# Staging probe debug-read-only: PASS (NOT verified under Intel'"'"'s root CA)'
  jq '.cvm = null' "$F/phala/staging.json" > "$BATS_TEST_TMPDIR/run/staging.json"
  BACKEND=phala run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_line '| CVM | none was deployed (name `mero-kms-debug-read-only-2-3-40`) |'
  # other backends have no CVM section, their KMS URL from staging.json
  run -0 report "$F/pass" "$F/policy-partial.json"
  refute_output --partial '## Staging CVM'
  assert_line '| KMS URL | http://127.0.0.1:37681 |'
}

@test "the compose hashes: the YAML's, the measured one, Phala Cloud's; a difference is called so" {
  BACKEND=phala run -0 report "$F/phala" "$F/policy-partial.json"
  yaml=$(sha256sum < "$F/phala/compose.yaml" | cut -c1-64)
  assert_line -- '- `compose.yaml`, the YAML deployed: SHA-256 `'"$yaml"'`'
  assert_line -- '- Phala Cloud'"'"'s (the app-compose JSON it built around the YAML): `56676ebc41c37c7b87065f4c9e68927ec1afcfcc0d4246e59c4e7ccc6cfdc537`: the measured one'
  cp -r "$F/phala" "$BATS_TEST_TMPDIR/run"
  jq '.cvm.compose_hash = "00" * 32' "$F/phala/staging.json" > "$BATS_TEST_TMPDIR/run/staging.json"
  BACKEND=phala run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_output --partial ': `0000000000000000000000000000000000000000000000000000000000000000`: DIFFERS from the measured one'
  # sim: the KMS measured the YAML itself
  run -0 report "$F/pass" "$F/policy-partial.json"
  assert_output --partial '`9b11d6d8814d48336f7f97f19c076dfa93b101db91080f61e78b371728bac7bc`: the YAML'"'"'s own'
  refute_output --partial "- Phala Cloud's (the app-compose JSON"
}

@test "Intel Trust Authority beside quote-verify: same, DIFFERS, no appraisal, skipped" {
  BACKEND=phala run -0 report "$F/phala" "$F/policy-partial.json"
  assert_line '| verdict | verified | token signature verified (PS384, key `fake-ita-signing-key-1`, API v2) |'
  assert_line '| TCB status | UpToDate | UpToDate |'
  [ "$(grep -c '^| \(MRTD\|RTMR[0-3]\|report data\) | `[0-9a-f]*` | same |$' <<<"$output")" -eq 6 ]
  cp -r "$F/phala" "$BATS_TEST_TMPDIR/run"
  jq '.tcb_status = "OutOfDate" | .rtmr2 = "11" * 48' "$F/phala/ita-appraisal.json" > "$BATS_TEST_TMPDIR/run/ita-appraisal.json"
  BACKEND=phala run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_line '| TCB status | UpToDate | OutOfDate DIFFERS |'
  assert_output --regexp '\| RTMR2 \| `[0-9a-f]{96}` \| `(11){48}` DIFFERS \|'
  # a refused token leaves no appraisal: the step's message says why
  rm "$BATS_TEST_TMPDIR/run/ita-appraisal.json"
  printf 'fail\t1\t80\tita-appraise: refused the ITA token: the token expired\n' > "$BATS_TEST_TMPDIR/run/.steps/ita"
  BACKEND=phala run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_line 'No appraisal: ita-appraise: refused the ITA token: the token expired'
  assert_line --index 0 '# Staging probe debug-read-only: FAIL (NOT verified under Intel'"'"'s root CA)'
  run -0 report "$F/pass" "$F/policy-partial.json"
  assert_line 'Skipped: ITA_API_KEY is not set (no second opinion on the quote).'
}

@test "the report names the simulated source, the failure, and each step's result" {
  run -0 report "$F/fail-verify" "$ROOT/policies/kms-phala-attestation-policy.debug-read-only.json"
  assert_line --index 0 "# Staging probe debug-read-only: FAIL (SIMULATED: local kms-sim, not TDX hardware)"
  assert_output --partial '**Failed at step `verify`**: quote-verify: not verified: quote_signature'
  assert_output --partial '| replay | replay the event log against the quote (rtmr-replay) | not run | |'
  assert_output --partial '| extract | extract candidates (mrtd-extract) | not run | |'
  assert_output --partial 'No candidates file: nothing from this run can be promoted.'
}

@test "the steps come from the steps file: a step added to a copy is in the report, in its place" {
  cp -r "$F/pass" "$BATS_TEST_TMPDIR/run"
  awk '{ print } /^verify\t/ { print "notarise\tnotary.json\tnotarise the verdict (a step of tomorrow)" }' \
    "$STEPS" > "$BATS_TEST_TMPDIR/steps"
  STEPS_FILE="$BATS_TEST_TMPDIR/steps" run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_output --partial '| notarise | notarise the verdict (a step of tomorrow) | not run | |'
  [ "$(grep -n '^| verify |' <<<"$output" | cut -d: -f1)" -eq $(( $(grep -n '^| notarise |' <<<"$output" | cut -d: -f1) - 1 )) ]
  assert_output --partial "12 of 15 steps ran (2 skipped)"
  # its record is read like any other's; a failed one is the headline
  printf 'fail\t1\t7\tnotary: refused\n' > "$BATS_TEST_TMPDIR/run/.steps/notarise"
  STEPS_FILE="$BATS_TEST_TMPDIR/steps" run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json"
  assert_line --index 0 "# Staging probe debug-read-only: FAIL (SIMULATED: local kms-sim, not TDX hardware)"
  assert_output --partial '**Failed at step `notarise`**: notary: refused'
  assert_output --partial '| notarise | notarise the verdict (a step of tomorrow) | fail: notary: refused | 0.007 s |'
  # a step removed from the file is not reported, even with a record
  grep -v '^decode' "$STEPS" > "$BATS_TEST_TMPDIR/steps"
  STEPS_FILE="$BATS_TEST_TMPDIR/steps" run -0 report "$F/pass" "$F/policy-partial.json"
  refute_output --partial '| decode |'
  assert_output --partial "11 of 13 steps ran (2 skipped)"
}

@test "a steps file that is missing is 66; one that is not the table, or a directory, is 65" {
  STEPS_FILE="$BATS_TEST_TMPDIR/none" run -66 --separate-stderr report "$F/pass" /dev/null
  [ "$stderr" = "probe-report: no steps file '$BATS_TEST_TMPDIR/none'" ]
  printf 'render compose.yaml render it\n' > "$BATS_TEST_TMPDIR/steps"
  STEPS_FILE="$BATS_TEST_TMPDIR/steps" run -65 --separate-stderr report "$F/pass" /dev/null
  [ "$stderr" = "probe-report: steps file '$BATS_TEST_TMPDIR/steps' line 1: not NAME<TAB>ARTIFACTS<TAB>WHAT" ]
  one_line
  STEPS_FILE="$BATS_TEST_TMPDIR" run -65 --separate-stderr report "$F/pass" /dev/null
  [ "$stderr" = "probe-report: cannot read steps file '$BATS_TEST_TMPDIR': a directory" ]
  printf '# nothing\n' > "$BATS_TEST_TMPDIR/steps"
  STEPS_FILE="$BATS_TEST_TMPDIR/steps" run -65 --separate-stderr report "$F/pass" /dev/null
  [ "$stderr" = "probe-report: steps file '$BATS_TEST_TMPDIR/steps' lists no step" ]
}

@test "measurements against the policy: unchanged, changed and new" {
  run -0 report "$F/pass" "$F/policy-partial.json"
  mrtd=$(jq -r .td_report.mr_td "$F/pass/attestation-quote.json")
  assert_output --partial "| MRTD | \`$mrtd\` | - | unchanged |"
  assert_output --regexp '\| RTMR1 \| `[0-9a-f]{96}` \| matches \| changed \|'
  assert_output --regexp '\| RTMR3 \| `[0-9a-f]{96}` \| matches \| new \|'
  assert_output --partial '| TCB status | `uptodate` | | unchanged |'
  # without --policy every value is new
  run -0 probe-report --steps "$STEPS" --profile debug-read-only --backend sim --dir "$F/pass"
  assert_output --partial '| MRTD | `'"$mrtd"'` | - | new (no policy file) |'
}

@test "--policy naming a missing, unreadable or directory file is 66, not ignored; not JSON is 65" {
  run -66 --separate-stderr report "$F/pass" "$BATS_TEST_TMPDIR/absent.json"
  [[ "$stderr" == "probe-report: cannot open '$BATS_TEST_TMPDIR/absent.json': No such file or directory" ]]
  one_line
  # unreadable, even for root: a link to itself
  ln -s "$BATS_TEST_TMPDIR/cycle" "$BATS_TEST_TMPDIR/cycle"
  run -66 --separate-stderr report "$F/pass" "$BATS_TEST_TMPDIR/cycle"
  [[ "$stderr" == "probe-report: cannot open '$BATS_TEST_TMPDIR/cycle': Too many levels of symbolic links" ]]
  run -66 --separate-stderr report "$F/pass" "$BATS_TEST_TMPDIR"
  [[ "$stderr" == "probe-report: cannot read '$BATS_TEST_TMPDIR': not a regular file"* ]]
  echo '{"policy":' > "$BATS_TEST_TMPDIR/bad.json"
  run -65 --separate-stderr report "$F/pass" "$BATS_TEST_TMPDIR/bad.json"
  [[ "$stderr" == "probe-report: cannot parse '$BATS_TEST_TMPDIR/bad.json': "* ]]
}

@test "another backend is not called simulated, but a quote under a non-Intel root is flagged" {
  run -0 probe-report --steps "$STEPS" --profile locked-read-only --backend url --kms-url https://kms.example --dir "$F/pass"
  assert_line --index 0 "# Staging probe locked-read-only: PASS (NOT verified under Intel's root CA)"
  assert_output --partial '| KMS URL | https://kms.example |'
  refute_output --partial 'SIMULATED: local kms-sim'
  refute_output --partial '> **Simulated.**'
  # with the built-in Intel root in the verdict, no flag
  mkdir "$BATS_TEST_TMPDIR/intel"
  jq '.root_ca.builtin = true' "$F/pass/verification.json" > "$BATS_TEST_TMPDIR/intel/verification.json"
  run -0 probe-report --steps "$STEPS" --profile locked-read-only --backend url --dir "$BATS_TEST_TMPDIR/intel"
  assert_line --index 0 "# Staging probe locked-read-only: FAIL"
}

@test "--interrupted: a run stopped between steps is a FAIL, whatever its records say" {
  run -0 report "$F/pass" "$F/policy-partial.json" --interrupted SIGTERM
  assert_line --index 0 "# Staging probe debug-read-only: FAIL (SIMULATED: local kms-sim, not TDX hardware)"
  assert_output --partial '**Interrupted** by SIGTERM between steps: the run did not complete.'
  # a step recorded as interrupted is the headline
  cp -r "$F/pass" "$BATS_TEST_TMPDIR/run"
  printf 'fail\t130\t250\tinterrupted by SIGINT\n' > "$BATS_TEST_TMPDIR/run/.steps/replay"
  run -0 report "$BATS_TEST_TMPDIR/run" "$F/policy-partial.json" --interrupted SIGINT
  assert_output --partial '**Failed at step `replay`**: interrupted by SIGINT'
}

@test "an artifact that is not JSON, unreadable, a directory or over its cap exits 65 naming it; a missing folder 66" {
  cp -r "$F/pass" "$BATS_TEST_TMPDIR/bad"
  echo '{"verified": tru' > "$BATS_TEST_TMPDIR/bad/verification.json"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" "$F/policy-partial.json"
  [ -z "$output" ]
  [[ "$stderr" == "probe-report: cannot parse '$BATS_TEST_TMPDIR/bad/verification.json'"* ]]
  # a directory where the verdict should be: not "no verdict", and never a PASS
  rm "$BATS_TEST_TMPDIR/bad/verification.json"
  mkdir "$BATS_TEST_TMPDIR/bad/verification.json"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" "$F/policy-partial.json"
  [ "$stderr" = "probe-report: cannot read '$BATS_TEST_TMPDIR/bad/verification.json': a directory" ]
  [ -z "$output" ]
  # unreadable (a link that cannot be followed)
  rmdir "$BATS_TEST_TMPDIR/bad/verification.json"
  ln -s verification.json "$BATS_TEST_TMPDIR/bad/verification.json"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" "$F/policy-partial.json"
  [ "$stderr" = "probe-report: cannot read '$BATS_TEST_TMPDIR/bad/verification.json': Too many levels of symbolic links" ]
  # over the 64 MiB cap (a sparse file)
  rm "$BATS_TEST_TMPDIR/bad/verification.json"
  cp "$F/pass/verification.json" "$BATS_TEST_TMPDIR/bad/"
  truncate -s 65M "$BATS_TEST_TMPDIR/bad/event-log-replay.json"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" "$F/policy-partial.json"
  [ "$stderr" = "probe-report: cannot read '$BATS_TEST_TMPDIR/bad/event-log-replay.json': over the 64 MiB cap" ]
  # a step record that is a directory
  rm "$BATS_TEST_TMPDIR/bad/event-log-replay.json"
  rm "$BATS_TEST_TMPDIR/bad/.steps/verify" && mkdir "$BATS_TEST_TMPDIR/bad/.steps/verify"
  run -65 --separate-stderr report "$BATS_TEST_TMPDIR/bad" "$F/policy-partial.json"
  [ "$stderr" = "probe-report: cannot read '$BATS_TEST_TMPDIR/bad/.steps/verify': a directory" ]
  run -66 --separate-stderr report "$BATS_TEST_TMPDIR/nowhere" "$F/policy-partial.json"
  [ "$stderr" = "probe-report: no probe folder '$BATS_TEST_TMPDIR/nowhere'" ]
}

@test "the report into a full device exits 74" {
  run -74 --separate-stderr bash -c "probe-report --steps '$STEPS' --profile debug --backend sim --dir '$F/pass' > /dev/full"
  [[ "$stderr" == "probe-report: cannot write to standard output"* ]]
}
