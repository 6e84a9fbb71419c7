#!/usr/bin/env bats
# mrtd-publish: the publication rules of a node image's measurements (each with
# a case that breaks it), the published-mrtds.json golden in upstream's shape,
# the input layouts (folder, probe folders, one file per profile, one file keyed
# by profile, upstream's extractor with its verdict), determinism and the
# previous file, the notes, --check.

load test_helper

F="$FIX/mrtd-publish"
GOLDEN="$F/published-mrtds.golden.json"
TAG=mero-tee-v2.3.40

setup() {
  export SOURCE_DATE_EPOCH=1767225600
  C="$BATS_TEST_TMPDIR/c"
  mkdir -p "$C"
  cp "$F"/candidates/*.json "$C/"
}

cand() { printf '%s/measurement-policy-candidates-%s.json' "$C" "$1"; }
# edit PROFILE JQ: rewrite one profile's candidates in place
edit() { jq "$2" "$(cand "$1")" > "$C/x" && mv "$C/x" "$(cand "$1")"; }
publish() { run --separate-stderr mrtd-publish --release-tag "$TAG" "$@"; }

@test "a folder of three verified profiles gives the golden published-mrtds.json, byte for byte" {
  publish "$C"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  diff <(echo "$output") "$GOLDEN"
  # upstream's shape: role, bare tag, markers, and per profile the measured values,
  # allowed_* lists, plus the seed's metadata and where each came from
  [ "$(jq -r '[.role, .tag, .release_tag, .generated_at, .simulated] | join(" ")' "$GOLDEN")" = \
    "node 2.3.40 mero-tee-v2.3.40 2026-01-01T00:00:00Z false" ]
  [ "$(jq -c .measurement_markers "$GOLDEN")" = \
    '{"profile_key":"calimero.profile","role":"calimero.role=node","root_hash_key":"calimero.root_hash"}' ]
  [ "$(jq -r '.profiles | keys | join(" ")' "$GOLDEN")" = "debug debug-read-only locked-read-only" ]
  local p
  for p in debug debug-read-only locked-read-only; do
    [ "$(jq -r --arg p "$p" '.profiles[$p].image_family' "$GOLDEN")" = "mero-tee-$p" ]
    [ "$(jq -r --arg p "$p" '.profiles[$p] | [.mrtd == .allowed_mrtd[0], .rtmr3 == .allowed_rtmr3[0], .verified] | all' "$GOLDEN")" = true ]
    [ "$(jq -r --arg p "$p" '.profiles[$p].candidates_sha256' "$GOLDEN")" = "$(sha256sum < "$(cand "$p")" | cut -d' ' -f1)" ]
    [ "$(jq -r --arg p "$p" '.profiles[$p].quote_sha256' "$GOLDEN")" = "$(jq -r .provenance.quote_sha256 "$(cand "$p")")" ]
  done
  # the measured values are the candidates' (the real dcap-qvl sample quote for locked-read-only)
  [ "$(jq -r '.profiles["locked-read-only"].mrtd' "$GOLDEN")" = "$(expected dcap-qvl/sample/tdx_quote .mr_td)" ]
  [ "$(jq -r '.profiles["debug-read-only"].allowed_tcb_statuses[0]' "$GOLDEN")" = outofdate ]
}

@test "the same document from files, probe folders, a file keyed by profile and a profiles object" {
  publish "$(cand debug)" "$(cand debug-read-only)" "$(cand locked-read-only)"
  [ "$status" -eq 0 ]
  diff <(echo "$output") "$GOLDEN"
  local P="$BATS_TEST_TMPDIR/probe" p
  for p in debug debug-read-only locked-read-only; do
    mkdir -p "$P/$p"
    cp "$(cand "$p")" "$P/$p/measurement-policy-candidates.json"
  done
  publish "$P"
  [ "$status" -eq 0 ]
  diff <(jq 'del(.profiles[].candidates)' <<<"$output") <(jq 'del(.profiles[].candidates)' "$GOLDEN")
  [ "$(jq -r '.profiles.debug.candidates' <<<"$output")" = measurement-policy-candidates.json ]
  jq -n --slurpfile a "$(cand debug)" --slurpfile b "$(cand debug-read-only)" --slurpfile c "$(cand locked-read-only)" \
    '{debug: $a[0], "debug-read-only": $b[0], "locked-read-only": $c[0]}' > "$BATS_TEST_TMPDIR/keyed.json"
  publish "$BATS_TEST_TMPDIR/keyed.json"
  [ "$status" -eq 0 ]
  # the candidates of a keyed file are hashed as canonical JSON: the same bytes as the files
  diff <(jq 'del(.profiles[].candidates)' <<<"$output") <(jq 'del(.profiles[].candidates)' "$GOLDEN")
  [ "$(jq -r '.profiles.debug.candidates' <<<"$output")" = keyed.json ]
  jq '{profiles: .}' "$BATS_TEST_TMPDIR/keyed.json" > "$BATS_TEST_TMPDIR/wrapped.json"
  publish "$BATS_TEST_TMPDIR/wrapped.json"
  [ "$status" -eq 0 ]
  diff <(jq 'del(.profiles[].candidates)' <<<"$output") <(jq 'del(.profiles[].candidates)' "$GOLDEN")
  # a key that is not a profile
  jq '. + {staging: .debug}' "$BATS_TEST_TMPDIR/keyed.json" > "$BATS_TEST_TMPDIR/bad.json"
  publish "$BATS_TEST_TMPDIR/bad.json"
  [ "$status" -eq 65 ]
  [ "$stderr" = "mrtd-publish: '$BATS_TEST_TMPDIR/bad.json': 'staging' is not a profile (debug, debug-read-only or locked-read-only) with its candidates" ]
}

@test "every profile is needed, once" {
  rm "$(cand debug-read-only)"
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: profile debug-read-only: no candidates (a release publishes every profile: debug, debug-read-only or locked-read-only)" ]
  [ -z "$output" ]
  publish "$C" "$(cand debug)"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: profile debug: two candidates, '$(cand debug)' and '$(cand debug)'" ]
  # candidates whose name says one profile and whose content another
  cp "$F/candidates/measurement-policy-candidates-debug-read-only.json" "$(cand debug-read-only)"
  edit debug '.profile = "locked-read-only"'
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: candidates '$(cand debug)' are for the profile locked-read-only, but their name says debug" ]
}

@test "every list must hold a value: MRTD, RTMR0-3 and the TCB statuses" {
  local l
  for l in mrtd rtmr0 rtmr1 rtmr2 rtmr3 tcb_statuses; do
    cp "$F/candidates/measurement-policy-candidates-locked-read-only.json" "$(cand locked-read-only)"
    edit locked-read-only ".policy.allowed_$l = []"
    publish "$C"
    [ "$status" -eq 1 ] || { echo "$l: $status"; return 1; }
    [ "$stderr" = "mrtd-publish: profile locked-read-only ('$(cand locked-read-only)'): allowed_$l is empty (every list must hold a value)" ]
    [ -z "$output" ]
  done
}

@test "registers are 48 bytes of hex, normalised as mero-kms does (0x, case, white space)" {
  local v
  v=$(jq -r '.policy.allowed_rtmr1[0]' "$(cand debug)")
  edit debug ".policy.allowed_rtmr1 = [\" 0x${v^^} \"]"
  publish "$C"
  [ "$status" -eq 0 ]
  diff <(jq 'del(.profiles.debug.candidates_sha256)' <<<"$output") <(jq 'del(.profiles.debug.candidates_sha256)' "$GOLDEN")
  edit debug ".policy.allowed_rtmr1 = [\"${v:0:94}\"]"
  publish "$C"
  [ "$status" -eq 65 ]
  [[ "$stderr" == "mrtd-publish: candidates '$(cand debug)': policy.allowed_rtmr1[0] '${v:0:94}': expected 48 bytes (96 hex chars), got 94 chars" ]]
  edit debug ".policy.allowed_rtmr1 = [\"${v:0:94}zz\"]"
  publish "$C"
  [ "$status" -eq 65 ]
  edit debug '.policy.allowed_rtmr1 = [7]'
  publish "$C"
  [ "$status" -eq 65 ]
  [ "$stderr" = "mrtd-publish: candidates '$(cand debug)': policy.allowed_rtmr1[0] is not a string" ]
}

@test "two profiles that share an RTMR0, an RTMR2 and an RTMR3 value are refused; one register apart is enough" {
  local d
  d=$(cand debug)
  edit debug-read-only ".policy.allowed_rtmr0 = $(jq -c .policy.allowed_rtmr0 "$d") | .policy.allowed_rtmr2 = $(jq -c .policy.allowed_rtmr2 "$d")"
  publish "$C"
  [ "$status" -eq 1 ]
  [[ "$stderr" == "mrtd-publish: profiles debug and debug-read-only are identical on RTMR0, RTMR2 and RTMR3 ("*"): each profile's image must measure differently (calimero.profile in RTMR2, RTMR3 at boot)" ]]
  # a second value that differs does not help: the shared one would still pass both
  edit debug-read-only ".policy.allowed_rtmr2 += [\"$(printf 'ab%.0s' $(seq 48))\"]"
  publish "$C"
  [ "$status" -eq 1 ]
  # RTMR2 apart: accepted (RTMR1 and MRTD may be equal: MRTD is the firmware's)
  cp "$F/candidates/measurement-policy-candidates-debug-read-only.json" "$(cand debug-read-only)"
  edit debug-read-only ".policy.allowed_rtmr0 = $(jq -c .policy.allowed_rtmr0 "$d") | .policy.allowed_mrtd = $(jq -c .policy.allowed_mrtd "$d") | .policy.allowed_rtmr1 = $(jq -c .policy.allowed_rtmr1 "$d")"
  publish "$C"
  [ "$status" -eq 0 ]
}

@test "simulated, unverified and KMS candidates are refused; --allow-simulated publishes them and says so" {
  edit debug '.source = "sim"'
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: profile debug ('$(cand debug)'): simulated measurements (source sim): refused without --allow-simulated" ]
  publish --allow-simulated "$C"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.simulated, .profiles.debug.simulated, .profiles.debug.verified, .profiles["locked-read-only"].simulated] | join(" ")' <<<"$output")" = "true true true false" ]
  mrtd-publish --release-tag "$TAG" --allow-simulated "$C" > "$BATS_TEST_TMPDIR/sim.json"
  run -0 mrtd-publish --check "$BATS_TEST_TMPDIR/sim.json"
  [[ "$output" == *"SIMULATED (published with ALLOW_SIMULATED)" ]]
  cp "$F/candidates/measurement-policy-candidates-debug.json" "$(cand debug)"
  edit debug '.provenance.unverified = true | .provenance.verification.verified = false | .provenance.verification.failed_check = "qe_report_signature" | .provenance.verification.error = "bad signature"'
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: profile debug ('$(cand debug)'): unverified measurements (qe_report_signature: bad signature): refused without --allow-simulated" ]
  cp "$F/candidates/measurement-policy-candidates-debug.json" "$(cand debug)"
  edit debug '.role = "kms"'
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: candidates '$(cand debug)' are role kms (a KMS's measurements): a node image release publishes role node" ]
}

@test "upstream's extractor candidates: the profile from the name, verified by quote-verify's verdict beside them" {
  local S="$VEC/dcap-qvl/sample" U="$FIX/policy-merge/upstream-tdx_quote.candidates.json"
  rm "$(cand locked-read-only)"
  cp "$U" "$(cand locked-read-only)"
  publish "$C"
  [ "$status" -eq 1 ]
  [ "$stderr" = "mrtd-publish: profile locked-read-only ('$(cand locked-read-only)'): unverified measurements (upstream candidates carry no verification: give --verification VERDICT): refused without --allow-simulated" ]
  quote-verify --collateral "$S/tdx_quote_collateral.json" --now 1752919234 < "$S/tdx_quote" > "$C/verification-locked-read-only.json"
  publish "$C"
  [ "$status" -eq 0 ]
  [ "$(jq -r '.profiles["locked-read-only"] | [.candidates_shape, .verified, .tcb_status, .mrtd == $m] | join(" ")' \
       --arg m "$(expected dcap-qvl/sample/tdx_quote .mr_td)" <<<"$output")" = "upstream-extractor true UpToDate true" ]
  # a verdict of another quote is refused
  jq '.measurements.rt_mr2 = "'"$(printf 'cd%.0s' $(seq 48))"'"' "$C/verification-locked-read-only.json" > "$C/v" &&
    mv "$C/v" "$C/verification-locked-read-only.json"
  publish "$C"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"is not the rt_mr2 of the verified quote"* ]]
  # upstream candidates whose name gives no profile
  cp "$U" "$BATS_TEST_TMPDIR/some.json"
  publish "$(cand debug)" "$(cand debug-read-only)" "$BATS_TEST_TMPDIR/some.json"
  [ "$status" -eq 65 ]
  [ "$stderr" = "mrtd-publish: candidates '$BATS_TEST_TMPDIR/some.json': upstream candidates name no profile: call the file measurement-policy-candidates-PROFILE.json or key it by profile" ]
}

@test "image families: a prefix or PROFILE=FAMILY; bad names are usage errors" {
  publish --image-family calimero-node --image-family locked-read-only=prod-locked "$C"
  [ "$status" -eq 0 ]
  [ "$(jq -r '[.profiles[].image_family] | join(" ")' <<<"$output")" = "calimero-node-debug calimero-node-debug-read-only prod-locked" ]
  local bad
  for bad in 'Mero' 'x_y' 'staging=abc' 'debug=-x' "$(printf 'a%.0s' $(seq 64))"; do
    publish --image-family "$bad" "$C"
    [ "$status" -eq 2 ] || { echo "$bad: $status"; return 1; }
    [[ "$(sed -n 1p <<<"$stderr")" == "mrtd-publish: --image-family '$bad'"* ]]
  done
}

@test "usage: the release tag, CANDIDATES, --notes without --versions, --check alone" {
  local t
  for t in 2.3.40 v2.3.40 mero-kms-v2.3.40 mero-tee-v2.3 mero-tee-vv2.3.40; do
    run -2 --separate-stderr mrtd-publish --release-tag "$t" "$C"
    [ "$(sed -n 1p <<<"$stderr")" = "mrtd-publish: --release-tag must be mero-tee-vX.Y.Z, the node image release (got '$t')" ]
  done
  run -2 --separate-stderr mrtd-publish "$C"
  [ "$(sed -n 1p <<<"$stderr")" = "mrtd-publish: --release-tag TAG is required" ]
  run -2 --separate-stderr mrtd-publish --release-tag "$TAG"
  [ "$(sed -n 1p <<<"$stderr")" = "mrtd-publish: no CANDIDATES given" ]
  run -2 --separate-stderr mrtd-publish --release-tag "$TAG" --notes "$BATS_TEST_TMPDIR/n.md" "$C"
  [ "$(sed -n 1p <<<"$stderr")" = "mrtd-publish: --notes needs --versions FILE (the version coupling the notes document)" ]
  run -2 --separate-stderr mrtd-publish --check "$GOLDEN" "$C"
  [ "$(sed -n 1p <<<"$stderr")" = "mrtd-publish: --check FILE takes no other option and no CANDIDATES" ]
}

@test "missing and malformed input: 66 and 65, one line, nothing written" {
  publish "$BATS_TEST_TMPDIR/none.json"
  [ "$status" -eq 66 ]
  [ "$stderr" = "mrtd-publish: cannot open '$BATS_TEST_TMPDIR/none.json': No such file or directory" ]
  mkdir "$BATS_TEST_TMPDIR/empty"
  publish "$BATS_TEST_TMPDIR/empty"
  [ "$status" -eq 66 ]
  [ "$stderr" = "mrtd-publish: folder '$BATS_TEST_TMPDIR/empty' holds no measurement-policy-candidates-PROFILE.json or PROFILE/measurement-policy-candidates.json" ]
  printf '{"schema_version": 1,' > "$(cand debug)"
  publish --output "$BATS_TEST_TMPDIR/out.json" "$C"
  [ "$status" -eq 65 ]
  [[ "$stderr" == "mrtd-publish: cannot parse the candidates '$(cand debug)': "* ]]
  one_line
  [ ! -e "$BATS_TEST_TMPDIR/out.json" ]
  echo '[1]' > "$(cand debug)"
  publish "$C"
  [ "$status" -eq 65 ]
  [ "$stderr" = "mrtd-publish: '$(cand debug)': not candidates (a JSON object)" ]
}

@test "deterministic: the same inputs give the same bytes; --previous keeps the released bytes when only the time moves" {
  mrtd-publish --release-tag "$TAG" "$C" > "$BATS_TEST_TMPDIR/a.json"
  mrtd-publish --release-tag "$TAG" "$C" > "$BATS_TEST_TMPDIR/b.json"
  cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
  SOURCE_DATE_EPOCH=1767312000 mrtd-publish --release-tag "$TAG" "$C" > "$BATS_TEST_TMPDIR/c.json"
  [ "$(diff "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/c.json" | grep -c '^[<>]')" -eq 2 ]
  [ "$(jq -r .generated_at "$BATS_TEST_TMPDIR/c.json")" = 2026-01-02T00:00:00Z ]
  # the released file again: nothing to upload
  SOURCE_DATE_EPOCH=1767312000 mrtd-publish --release-tag "$TAG" --previous "$BATS_TEST_TMPDIR/a.json" \
    --output "$BATS_TEST_TMPDIR/d.json" "$C"
  cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/d.json"
  # other measurements: a new document, the time of the change
  edit debug '.policy.allowed_rtmr1 += ["'"$(printf 'ef%.0s' $(seq 48))"'"]'
  SOURCE_DATE_EPOCH=1767312000 mrtd-publish --release-tag "$TAG" --previous "$BATS_TEST_TMPDIR/a.json" "$C" > "$BATS_TEST_TMPDIR/e.json"
  [ "$(jq -r '[.generated_at, (.profiles.debug.allowed_rtmr1 | length)] | join(" ")' "$BATS_TEST_TMPDIR/e.json")" = "2026-01-02T00:00:00Z 2" ]
  # a previous file that is not JSON
  echo nope > "$BATS_TEST_TMPDIR/p.json"
  run -65 --separate-stderr mrtd-publish --release-tag "$TAG" --previous "$BATS_TEST_TMPDIR/p.json" "$C"
  [[ "$stderr" == "mrtd-publish: cannot parse the previous '$BATS_TEST_TMPDIR/p.json': "* ]]
}

@test "--notes: per profile the measurements and their sources, the file's SHA-256, the version coupling" {
  local V="$BATS_TEST_TMPDIR/versions.json"
  echo '{"schema_version": 1, "kms_version": "2.3.40", "node_image_version": "2.3.40"}' > "$V"
  run -0 mrtd-publish --release-tag "$TAG" --notes "$BATS_TEST_TMPDIR/notes.md" --versions "$V" \
    --output "$BATS_TEST_TMPDIR/p.json" "$C"
  [ -z "$output" ]
  cmp "$BATS_TEST_TMPDIR/p.json" "$GOLDEN"
  local N="$BATS_TEST_TMPDIR/notes.md"
  grep -qx "# $TAG: node image measurements" "$N"
  grep -q "(SHA-256 \`$(sha256sum < "$GOLDEN" | cut -d' ' -f1)\`)" "$N"
  grep -qx "## locked-read-only" "$N"
  grep -qx -- "- MRTD: \`$(expected dcap-qvl/sample/tdx_quote .mr_td)\`" "$N"
  grep -qx -- "- TCB statuses: \`outofdate\`" "$N"
  grep -q -- "- from: \`measurement-policy-candidates-debug.json\` (SHA-256 \`$(sha256sum < "$(cand debug)" | cut -d' ' -f1)\`, mero-policy shape), source \`gcp\`" "$N"
  grep -qx "Version coupling (ADR-0003): \`mero-kms-v2.3.40\` goes with \`mero-tee-v2.3.40\`; both move together ($V)." "$N"
  run -1 grep -q SIMULATED "$N"
  # a KMS release that moves alone, the node image kept
  echo '{"schema_version": 1, "kms_version": "2.3.41", "node_image_version": "2.3.40",
    "unchanged": {"component": "node", "version": "2.3.40", "release": "2.3.41", "reason": "KMS-only fix"}}' > "$V"
  run -0 mrtd-publish --release-tag "$TAG" --notes "$N" --versions "$V" "$C"
  grep -qx "Version coupling (ADR-0003): \`mero-kms-v2.3.41\` goes with \`mero-tee-v2.3.40\`; the node image stays unchanged at 2.3.40 for release 2.3.41: KMS-only fix ($V)." "$N"
  # a release the versions file does not describe: refused, nothing written
  rm "$N"
  run -1 --separate-stderr mrtd-publish --release-tag mero-tee-v2.4.0 --notes "$N" --versions "$V" \
    --output "$BATS_TEST_TMPDIR/q.json" "$C"
  [ "$stderr" = "mrtd-publish: release notes: '$V' names the node image version 2.3.40, not this release's 2.4.0: bump it (with the other component, or mark that one unchanged) first" ]
  [ ! -e "$N" ] && [ ! -e "$BATS_TEST_TMPDIR/q.json" ]
  echo '{"kms_version": "2.3.41", "node_image_version": "2.3.40"}' > "$V"
  run -1 --separate-stderr mrtd-publish --release-tag "$TAG" --notes "$N" --versions "$V" "$C"
  [ "$stderr" = "mrtd-publish: release notes: '$V': the KMS (2.3.41) and node image (2.3.40) versions differ and no \"unchanged\" marker says why (version-sync)" ]
}

@test "--check: the golden passes; each broken rule of a published file is exit 1 naming it" {
  run -0 --separate-stderr mrtd-publish --check "$GOLDEN"
  [ "$output" = "$GOLDEN: node 2.3.40 (mero-tee-v2.3.40), 3 profiles, verified measurements" ]
  # upstream's own fixture shape passes too
  run -0 mrtd-publish --check "$FIX/policy-merge/published-mrtds.json"
  local P="$BATS_TEST_TMPDIR/p.json" mut want
  while IFS='|' read -r mut want; do
    jq "$mut" "$GOLDEN" > "$P"
    run --separate-stderr mrtd-publish --check "$P"
    [ "$status" -eq 1 ] || { echo "$mut: status $status"; return 1; }
    [ "$stderr" = "mrtd-publish: $P: $want" ] || { echo "$mut: $stderr"; return 1; }
    [ -z "$output" ]
  done <<'EOF'
.role = "kms"|role is not "node"
.tag = "v2.3.40"|tag is not a bare version (2.3.40)
.generated_at = "yesterday"|generated_at is not a UTC time (2026-01-01T00:00:00Z)
.measurement_markers.role = "calimero.role=kms"|measurement_markers are not upstream's {role: calimero.role=node, profile_key: calimero.profile, root_hash_key: calimero.root_hash}
del(.profiles.debug)|profiles.debug is missing or not an object
.profiles.staging = .profiles.debug|profiles holds 4 entries, not exactly debug, debug-read-only or locked-read-only
.profiles.debug.allowed_rtmr2 = []|profile debug ('published-mrtds.json'): allowed_rtmr2 is empty (every list must hold a value)
.profiles.debug.rtmr1 = .profiles["debug-read-only"].rtmr1|profiles.debug.rtmr1 is another value, not the first of allowed_rtmr1
.profiles["debug-read-only"] = .profiles.debug|profiles debug and debug-read-only are identical on RTMR0, RTMR2 and RTMR3 (9d112d1d2c2546d9..., 2a514f6213e05aea..., 0000000000000000...): each profile's image must measure differently (calimero.profile in RTMR2, RTMR3 at boot)
EOF
  echo '{' > "$P"
  run -65 --separate-stderr mrtd-publish --check "$P"
  [[ "$stderr" == "mrtd-publish: cannot parse '$P': "* ]]
}

@test "--output replaces the file atomically; a full device is exit 74" {
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$BATS_TEST_TMPDIR/out.json"
  run -0 mrtd-publish --release-tag "$TAG" --output "$BATS_TEST_TMPDIR/out.json" "$C"
  [ -z "$output" ]
  [ ! -L "$BATS_TEST_TMPDIR/out.json" ] && [ ! -e "$BATS_TEST_TMPDIR/elsewhere" ]
  cmp "$BATS_TEST_TMPDIR/out.json" "$GOLDEN"
  run -74 --separate-stderr bash -c 'mrtd-publish --release-tag "$1" "$2" > /dev/full' _ "$TAG" "$C"
  run -74 --separate-stderr mrtd-publish --release-tag "$TAG" --output /dev/full "$C"
}
