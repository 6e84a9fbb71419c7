#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# The released policy in the probe (issue 13): make probe POLICY_SOURCE=release
# compares the measurements with the profile's policy of the latest
# mero-kms-v* release (or POLICY_RELEASE=TAG), fetched from the fake GitHub API
# and checked against the release's signed checksums, and the report names the
# release; the default stays the repository's file and never asks GitHub.

load test_helper
load lib/fake-github
load lib/release

setup() {
  release_setup
  D="$BATS_TEST_TMPDIR/rel"
  mkdir -p "$D"
}

teardown() { stop_servers; }

probe() { run --separate-stderr mk probe PROFILE="${PROFILE_P:-debug}" "$@"; }
report() { cat "$A/probe/${PROFILE_P:-debug}/probe-report.md"; }
# the policy line of a register in the report: "| MRTD | `...` | ... | unchanged |" -> unchanged
verdict_of() { report | awk -F' \\| ' -v r="| $1" '$1 == r { sub(/ \|$/, "", $4); print $4 }'; }

# kms_release TAG DIR [KEY]: the files of DIR (and a kms-phala-checksums.txt of them,
# signed with KEY, default the release key) as the published release TAG
kms_release() {
  local tag=$1 dir=$2 key=${3:-$COSIGN_KEY} f files=()
  (cd "$dir" && release-sums update --output kms-phala-checksums.txt ./*.json)
  COSIGN_KEY=$key cosign-wrap sign < "$dir/kms-phala-checksums.txt" > "$dir/kms-phala-checksums.txt.sig"
  for f in "$dir"/*; do files+=("$f"); done
  release-upload --repo "$REPO" --tag "$tag" --create-draft --publish "${files[@]}" > /dev/null
}

# a release-ready debug policy that allows this probe's MRTD, RTMR1-3 and TCB status, not its RTMR0
debug_policy_from_probe() {
  jq --slurpfile c "$A/probe/debug/measurement-policy-candidates.json" '
    .policy.kms_allowed_mrtd = $c[0].policy.allowed_mrtd | .policy.kms_allowed_rtmr1 = $c[0].policy.allowed_rtmr1
    | .policy.kms_allowed_rtmr2 = $c[0].policy.allowed_rtmr2 | .policy.kms_allowed_rtmr3 = $c[0].policy.allowed_rtmr3
    | .policy.kms_allowed_rtmr0 = ["'"$(printf 'ab%.0s' $(seq 48))"'"] | .policy.kms_allowed_event_payload = []' \
    "$ROOT/policies/kms-phala-attestation-policy.debug.json"
}

@test "POLICY_SOURCE=release: the latest mero-kms-v* release's policy, checked, is what the report compares with" {
  probe
  [ "$status" -eq 0 ]
  # the default: the repository's file, and not a single request to GitHub
  [ -z "$(gh_requests)" ]
  report | grep -qx 'Compared with `policies/kms-phala-attestation-policy.debug.json` (`policy.kms_allowed_\*`).'
  [ "$(verdict_of MRTD)" = new ]
  # releases: an older one that allows nothing, the latest, a newer draft and another component's
  mkdir -p "$D/old" "$D/new" "$D/draft" "$D/tee"
  cp "$ROOT/policies/kms-phala-attestation-policy.debug.json" "$D/old/"
  kms_release mero-kms-v2.3.39 "$D/old"
  debug_policy_from_probe > "$D/new/kms-phala-attestation-policy.debug.json"
  kms_release mero-kms-v2.3.40 "$D/new"
  jq '.policy.kms_allowed_mrtd = []' "$D/new/kms-phala-attestation-policy.debug.json" > "$D/draft/kms-phala-attestation-policy.debug.json"
  (cd "$D/draft" && release-sums update --output kms-phala-checksums.txt ./*.json)
  release-upload --repo "$REPO" --tag mero-kms-v2.4.0 --create-draft "$D/draft"/* > /dev/null
  echo '{}' > "$D/tee/published-mrtds.json"
  kms_release mero-tee-v9.9.9 "$D/tee"
  : > "$GH_LOG"
  probe POLICY_SOURCE=release
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  local sha
  sha=$(sha256sum < "$D/new/kms-phala-attestation-policy.debug.json" | cut -d' ' -f1)
  report | grep -qx "Compared with the policy of the release mero-kms-v2.3.40 (kms-phala-attestation-policy.debug.json, SHA-256 $sha) (\`policy.kms_allowed_\*\`)."
  [ "$(verdict_of MRTD)" = unchanged ]
  [ "$(verdict_of RTMR0)" = changed ]
  [ "$(verdict_of RTMR3)" = unchanged ]
  [ "$(verdict_of 'compose hash')" = new ]
  cmp "$A/probe/debug/released-policy.json" "$D/new/kms-phala-attestation-policy.debug.json"
  # the token went to the API only, the downloads to the asset host without it
  gh_ctl GET /_fake/log | jq -e '[.[] | select(.host == "assets")] | length > 0 and all(.auth == "none")'
  gh_ctl GET /_fake/log | jq -e '[.[] | select(.host == "api")] | all(.auth == "ok")'
  # a release named by POLICY_RELEASE
  probe POLICY_SOURCE=release POLICY_RELEASE=mero-kms-v2.3.39
  [ "$status" -eq 0 ]
  report | grep -q '^Compared with the policy of the release mero-kms-v2.3.39 (kms-phala-attestation-policy.debug.json, SHA-256 '
  [ "$(verdict_of MRTD)" = new ]
  # and back to the repository's file: the report is made again
  probe
  [ "$status" -eq 0 ]
  report | grep -qx 'Compared with `policies/kms-phala-attestation-policy.debug.json` (`policy.kms_allowed_\*`).'
}

@test "a second run with the same release changes nothing; a new release makes the report again" {
  mkdir -p "$D/a" "$D/b"
  cp "$ROOT/policies/kms-phala-attestation-policy.debug.json" "$D/a/"
  kms_release mero-kms-v2.3.40 "$D/a"
  probe POLICY_SOURCE=release
  [ "$status" -eq 0 ]
  local r="$A/probe/debug/probe-report.md" t
  t=$(stat -c %Y.%y "$r")
  sleep 1
  probe POLICY_SOURCE=release
  [ "$status" -eq 0 ]
  [ "$(stat -c %Y.%y "$r")" = "$t" ]
  debug_policy_from_probe > "$D/b/kms-phala-attestation-policy.debug.json"
  kms_release mero-kms-v2.3.41 "$D/b"
  probe POLICY_SOURCE=release
  [ "$status" -eq 0 ]
  [ "$(stat -c %Y.%y "$r")" != "$t" ]
  grep -q '^Compared with the policy of the release mero-kms-v2.3.41 ' "$r"
  [ "$(verdict_of MRTD)" = unchanged ]
}

@test "locked-read-only falls back to the legacy file, as mero-kms does; a release without the profile's policy fails" {
  mkdir -p "$D/a"
  cp "$ROOT/policies/kms-phala-attestation-policy.locked-read-only.json" "$D/a/kms-phala-attestation-policy.json"
  kms_release mero-kms-v2.3.40 "$D/a"
  PROFILE_P=locked-read-only probe POLICY_SOURCE=release
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  PROFILE_P=locked-read-only report | grep -q '^Compared with the policy of the release mero-kms-v2.3.40 (kms-phala-attestation-policy.json, SHA-256 '
  probe POLICY_SOURCE=release
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"probe: POLICY_SOURCE=release: the release mero-kms-v2.3.40 has no kms-phala-attestation-policy.debug.json"* ]]
}

@test "a released policy that does not check out is never compared with: a bad signature, another file, no release" {
  mkdir -p "$D/a"
  cp "$ROOT/policies/kms-phala-attestation-policy.debug.json" "$D/a/"
  cosign-wrap generate-key-pair --output-key-prefix "$KEYS/other" > /dev/null
  kms_release mero-kms-v2.3.40 "$D/a" "$KEYS/other.key"
  probe POLICY_SOURCE=release
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"probe: POLICY_SOURCE=release: mero-kms-v2.3.40's kms-phala-checksums.txt.sig does not verify with $PUB"* ]]
  [ ! -e "$A/probe/debug/released-policy.json" ]
  [ -z "$(grep 'Compared with the policy of the release' "$A/probe/debug/probe-report.md" 2> /dev/null)" ]
  # the policy file is not the one the checksums list
  mkdir -p "$D/b"
  cp "$ROOT/policies/kms-phala-attestation-policy.debug.json" "$D/b/"
  (cd "$D/b" && release-sums update --output kms-phala-checksums.txt ./*.json)
  cosign-wrap sign < "$D/b/kms-phala-checksums.txt" > "$D/b/kms-phala-checksums.txt.sig"
  jq '.generated_at = "2026-03-01T00:00:00Z"' "$ROOT/policies/kms-phala-attestation-policy.debug.json" > "$D/b/kms-phala-attestation-policy.debug.json"
  release-upload --repo "$REPO" --tag mero-kms-v2.3.41 --create-draft --publish "$D/b"/* > /dev/null
  probe POLICY_SOURCE=release
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"probe: POLICY_SOURCE=release: mero-kms-v2.3.41's kms-phala-attestation-policy.debug.json is not the file kms-phala-checksums.txt lists"* ]]
  probe POLICY_SOURCE=release POLICY_RELEASE=mero-kms-v9.9.9
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"probe: POLICY_SOURCE=release: $REPO has no release mero-kms-v9.9.9"* ]]
  run -2 --separate-stderr mk probe PROFILE=debug POLICY_SOURCE=github
  [[ "$stderr" == *"POLICY_SOURCE must be one of: repo release (got 'github')"* ]]
}

@test "probe-report --policy-source names the release instead of the file, and needs --policy" {
  probe
  [ "$status" -eq 0 ]
  local d="$A/probe/debug"
  run -0 probe-report --dir "$d" --steps "$ROOT/mk/probe/steps" --profile debug --backend sim \
    --policy "$ROOT/policies/kms-phala-attestation-policy.debug.json" --policy-source 'the release mero-kms-v2.3.40 (x.json)'
  assert_line 'Compared with the policy of the release mero-kms-v2.3.40 (x.json) (`policy.kms_allowed_*`).'
  run -2 --separate-stderr probe-report --dir "$d" --steps "$ROOT/mk/probe/steps" --profile debug --backend sim \
    --policy-source 'the release x'
  [ "${stderr_lines[0]}" = "probe-report: --policy-source names where --policy came from: give --policy FILE too" ]
}
