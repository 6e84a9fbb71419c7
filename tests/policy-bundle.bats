#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# policy-bundle: what a KMS release's policy files must be (tag = version, the
# profile of the name, loadable by mero-kms with every list filled, the legacy
# copy), the golden compatibility map, the notes.

load test_helper

F="$FIX/policy-bundle"
R="$FIX/policy-lint/release"

setup() {
  P="$BATS_TEST_TMPDIR/p"
  mkdir -p "$P"
  cp "$R"/*.json "$P/"
  V="$F/versions.json"
}

sha() { sha256sum < "$1" | cut -d' ' -f1; }
bundle() { run --separate-stderr policy-bundle --kms-version 2.3.40 --versions "$V" --dir "$P" "$@"; }
# edit FILE JQ: rewrite a policy file in place
edit() { jq "$2" "$P/$1" > "$P/x" && mv "$P/x" "$P/$1"; }

@test "the compatibility map: golden bytes, each policy's SHA-256 and URL, the compose hash, the node release" {
  bundle
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  diff <(echo "$output") "$F/compatibility-map.golden.json"
  local p
  for p in debug debug-read-only locked-read-only; do
    [ "$(jq -r --arg p "$p" '.compatibility.profiles[$p].kms_policy_sha256' <<<"$output")" = "$(sha "$R/kms-phala-attestation-policy.$p.json")" ]
    [ "$(jq -r --arg p "$p" '.compatibility.profiles[$p].kms_policy_url' <<<"$output")" = \
      "https://github.com/calimero-network/mero-tee/releases/download/mero-kms-v2.3.40/kms-phala-attestation-policy.$p.json" ]
    [ "$(jq -r --arg p "$p" '.compatibility.profiles[$p].event_payload' <<<"$output")" = \
      "$(jq -r '.policy.kms_allowed_event_payload[0] // "null"' "$R/kms-phala-attestation-policy.$p.json")" ]
  done
  [ "$(jq -r '[.tag, .compatibility.kms_tag, .compatibility.node_image_tag, .compatibility.legacy_policy_sha256] | join(" ")' <<<"$output")" = \
    "2.3.40 mero-kms-v2.3.40 mero-tee-v2.3.40 $(sha "$R/kms-phala-attestation-policy.json")" ]
  # a version given as a tag, another repository, --map
  run -0 policy-bundle --kms-version mero-kms-v2.3.40 --versions "$V" --dir "$P" --repo o/r --map "$BATS_TEST_TMPDIR/m.json"
  [ -z "$output" ]
  [ "$(jq -r '.compatibility.profiles.debug.kms_policy_url' "$BATS_TEST_TMPDIR/m.json")" = \
    "https://github.com/o/r/releases/download/mero-kms-v2.3.40/kms-phala-attestation-policy.debug.json" ]
}

@test "a file whose tag is not the release's version is refused" {
  run -1 --separate-stderr policy-bundle --kms-version 2.3.41 --versions "$V" --dir "$P"
  [ "$stderr" = "policy-bundle: kms-phala-attestation-policy.debug.json: tag '2.3.40' is not the release's version 2.3.41: a release carries policy files bumped to its version in a merged pull request" ]
  [ -z "$output" ]
  edit kms-phala-attestation-policy.locked-read-only.json 'del(.tag)'
  bundle
  [ "$status" -eq 1 ]
  [ "$stderr" = "policy-bundle: kms-phala-attestation-policy.locked-read-only.json: tag '(missing)' is not the release's version 2.3.40: a release carries policy files bumped to its version in a merged pull request" ]
}

@test "a file mero-kms would refuse: another profile, a role, an empty list, a bad value" {
  local mut want
  while IFS='|' read -r mut want; do
    cp "$R/kms-phala-attestation-policy.debug-read-only.json" "$P/"
    edit kms-phala-attestation-policy.debug-read-only.json "$mut"
    bundle
    [ "$status" -eq 1 ] || { echo "$mut: $status $stderr"; return 1; }
    [ "$stderr" = "policy-bundle: kms-phala-attestation-policy.debug-read-only.json: mero-kms 2.3.40 would refuse it: $want" ] ||
      { echo "$mut: $stderr"; return 1; }
  done <<'EOF'
.profile = "debug"|Policy profile mismatch: expected 'debug-read-only', got 'debug'
.role = "node"|Policy role mismatch: expected 'kms', got 'node'
.policy.node_allowed_rtmr1 = []|Measurement policy is enforced, but allowed_rtmr1 is empty. Configure at least one trusted RTMR1 value.
.policy.node_allowed_mrtd = ["abc"]|Invalid measurement in policy field 'node_allowed_mrtd': expected 48 bytes (96 hex chars), got 3 chars
EOF
}

@test "the legacy file must be a byte copy of locked-read-only" {
  printf ' ' >> "$P/kms-phala-attestation-policy.json"
  bundle
  [ "$status" -eq 1 ]
  [ "$stderr" = "policy-bundle: kms-phala-attestation-policy.json is not a byte copy of kms-phala-attestation-policy.locked-read-only.json (make policies)" ]
}

@test "--notes: per profile the policy's SHA-256, compose hash, measurements, sources and promotions; the coupling" {
  printf 'debug\tabc1234 Merge pull request #41 from automation/kms-policy-2.3.40\ndebug-read-only\tdef5678 policy(debug-read-only): \033[31mpromote\n' \
    > "$BATS_TEST_TMPDIR/history"
  bundle --notes "$BATS_TEST_TMPDIR/notes.md" --history "$BATS_TEST_TMPDIR/history"
  [ "$status" -eq 0 ]
  local N="$BATS_TEST_TMPDIR/notes.md"
  grep -qx "# mero-kms-v2.3.40: KMS attestation policies" "$N"
  grep -qx -- "- policy: \`kms-phala-attestation-policy.locked-read-only.json\`, SHA-256 \`$(sha "$R/kms-phala-attestation-policy.locked-read-only.json")\`" "$N"
  grep -qx -- "- compose hash (kms_allowed_event_payload): \`$(jq -r '.policy.kms_allowed_event_payload[0]' "$R/kms-phala-attestation-policy.debug.json")\`" "$N"
  grep -qx -- "- compose hash (kms_allowed_event_payload): none" "$N"
  grep -qx -- "- KMS MRTD: \`$(expected dcap-qvl/sample/tdx_quote .mr_td)\`" "$N"
  grep -q -- "- probe: MRTD \`91eb2b44d141d4ec...\` from source \`upstream-extractor\`, quote SHA-256 \`" "$N"
  grep -q -- "- node: MRTD \`1cea2a6d042083cc...\` from the node image release 2.3.40 (published-mrtds.json SHA-256 \`" "$N"
  grep -qx -- "- promotion: abc1234 Merge pull request #41 from automation/kms-policy-2.3.40" "$N"
  # control characters of a commit subject never reach the notes
  grep -qx -- "- promotion: def5678 policy(debug-read-only):  \[31mpromote" "$N"
  run -1 grep -q $'\033' "$N"
  grep -qx "Version coupling (ADR-0003): \`mero-kms-v2.3.40\` goes with \`mero-tee-v2.3.40\`; both move together ($V)." "$N"
  # a release the versions file does not describe: nothing written
  rm "$N"
  echo '{"kms_version": "2.3.39", "node_image_version": "2.3.39"}' > "$BATS_TEST_TMPDIR/v.json"
  run -1 --separate-stderr policy-bundle --kms-version 2.3.40 --versions "$BATS_TEST_TMPDIR/v.json" --dir "$P" --notes "$N" \
    --map "$BATS_TEST_TMPDIR/m.json"
  [ "$stderr" = "policy-bundle: release notes: '$BATS_TEST_TMPDIR/v.json' names the KMS version 2.3.39, not this release's 2.3.40: bump it (with the other component, or mark that one unchanged) first" ]
  [ ! -e "$N" ] && [ ! -e "$BATS_TEST_TMPDIR/m.json" ]
}

@test "usage, missing and malformed files" {
  run -2 --separate-stderr policy-bundle --kms-version 2.3.40
  [ "${stderr_lines[0]}" = "policy-bundle: --kms-version X.Y.Z and --versions FILE are required" ]
  run -2 --separate-stderr policy-bundle --kms-version 2.3 --versions "$V"
  [ "${stderr_lines[0]}" = "policy-bundle: --kms-version must be X.Y.Z with an optional -suffix (got '2.3')" ]
  run -2 --separate-stderr policy-bundle --kms-version 2.3.40 --versions "$V" --repo 'o/r;x'
  [ "${stderr_lines[0]}" = "policy-bundle: --repo needs OWNER/NAME (letters, digits, '.', '_', '-')" ]
  rm "$P/kms-phala-attestation-policy.debug.json"
  bundle
  [ "$status" -eq 66 ]
  [ "$stderr" = "policy-bundle: cannot open '$P/kms-phala-attestation-policy.debug.json': No such file or directory" ]
  echo '{' > "$P/kms-phala-attestation-policy.debug.json"
  bundle
  [ "$status" -eq 65 ]
  [[ "$stderr" == "policy-bundle: cannot parse '$P/kms-phala-attestation-policy.debug.json': "* ]]
  cp "$R/kms-phala-attestation-policy.debug.json" "$P/"
  run -66 --separate-stderr policy-bundle --kms-version 2.3.40 --versions "$BATS_TEST_TMPDIR/none.json" --dir "$P"
  run -74 --separate-stderr policy-bundle --kms-version 2.3.40 --versions "$V" --dir "$P" --map /dev/full
}
