#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# make publish end to end against tests/lib/fake-github.py: the node image
# release mero-tee-v2.3.40 gets published-mrtds.json (golden), the checksums
# file (golden; sha256sum -c) re-signed (openssl, cosign-wrap), data first and
# checksums last, the notes; the same inputs again upload nothing; DRY_RUN;
# the faults (500 then success, 429 Retry-After, a dropped upload, 422
# already_exists, a draft, a published immutable release, a paginated
# 30-asset release), after each a consistent release and a re-run that
# completes; make verify-release on what publish uploaded and on a tampered
# asset, a missing asset, a bad signature; make verify-node.

load test_helper
load lib/fake-github
load lib/release

TAG=mero-tee-v2.3.40
F="$FIX/mrtd-publish"
S="$VEC/dcap-qvl/sample"

setup() {
  release_setup
  C="$BATS_TEST_TMPDIR/candidates"
  mkdir -p "$C"
  cp "$F"/candidates/*.json "$C/"
  D="$BATS_TEST_TMPDIR/download"
}

teardown() { stop_servers; }

publish() { run --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES="$C" "$@"; }
verify() { run --separate-stderr mk verify-release RELEASE_TAG="$TAG" "$@"; }
# download: the release's assets into $D (fresh)
download() { rm -rf "$D" && release-fetch --repo "$REPO" --tag "$TAG" --dir "$D" > "$BATS_TEST_TMPDIR/fetch.json"; }
# the upload order: asset names in the order they were POSTed
upload_order() { gh_ctl GET /_fake/log | jq -r '.[] | select(.method == "POST" and (.path | startswith("/uploads/"))) | .path | capture("name=(?<n>[^&]+)").n'; }
asset_id() { gh_state | jq -r --arg t "$TAG" --arg n "$1" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t) | .assets[] | select(.name == $n) | .id'; }
# replace ASSET FILE: another writer puts FILE on the release as ASSET
replace_asset() {
  cp "$2" "$BATS_TEST_TMPDIR/$1"
  release-upload --repo "$REPO" --tag "$TAG" --clobber "$BATS_TEST_TMPDIR/$1" > /dev/null
}

@test "make publish: the golden published-mrtds.json and checksums, signed, data first and checksums last, the notes" {
  publish
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  [[ "$output" == *"publish: $TAG of $REPO: 8 change(s)"* ]]
  [ "$(assets "$TAG" | cut -d' ' -f1 | tr '\n' ' ')" = "node-image-gcp-checksums.txt node-image-gcp-checksums.txt.sig node-image-gcp-checksums.txt.sigstore.json published-mrtds.json published-mrtds.json.sig published-mrtds.json.sigstore.json " ]
  download
  cmp "$D/published-mrtds.json" "$F/published-mrtds.golden.json"
  cmp "$D/node-image-gcp-checksums.txt" "$F/node-image-gcp-checksums.golden.txt"
  (cd "$D" && sha256sum -c --strict node-image-gcp-checksums.txt)
  local f
  for f in node-image-gcp-checksums.txt published-mrtds.json; do
    cosign-wrap verify --key "$PUB" --signature "$D/$f.sig" < "$D/$f"
    cosign-wrap verify --key "$PUB" --bundle "$D/$f.sigstore.json" < "$D/$f"
    base64 -d "$D/$f.sig" > "$BATS_TEST_TMPDIR/sig.der"
    openssl dgst -sha256 -verify "$PUB" -signature "$BATS_TEST_TMPDIR/sig.der" "$D/$f"
  done
  [ "$(upload_order | tr '\n' ' ')" = "published-mrtds.json published-mrtds.json.sig published-mrtds.json.sigstore.json node-image-gcp-checksums.txt node-image-gcp-checksums.txt.sig node-image-gcp-checksums.txt.sigstore.json " ]
  # a draft, created with the notes; not published without PUBLISH_RELEASE=1
  local rel
  rel=$(gh_state | jq --arg t "$TAG" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t)')
  [ "$(jq -r .draft <<<"$rel")" = true ]
  diff <(jq -j .body <<<"$rel") "$A/publish/$TAG/new/notes.md"
  grep -qx "Version coupling (ADR-0003): \`mero-kms-v2.3.40\` goes with \`mero-tee-v2.3.40\`; both move together (policies/versions.json)." "$A/publish/$TAG/new/notes.md"
  grep -q "(SHA-256 \`$(sha256sum < "$F/published-mrtds.golden.json" | cut -d' ' -f1)\`)" "$A/publish/$TAG/new/notes.md"
  # what a consumer checks passes
  verify
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "verify-release: OK: $TAG: 6 checks passed" ]
}

@test "the same inputs again upload nothing and say so; DRY_RUN=1 uploads nothing" {
  publish DRY_RUN=1
  [ "$status" -eq 0 ]
  [[ "$output" == *"  would upload   published-mrtds.json"* ]]
  [[ "$output" == *"  would set      the release notes"* ]]
  [ "${lines[-1]}" = "publish: DRY_RUN=1: 7 change(s) planned, nothing uploaded (files in $A/publish/$TAG/new)" ]
  [ -z "$(api_writes)" ]
  [ -z "$(assets "$TAG")" ]
  # what the dry run prepared is what a real run uploads
  cmp "$A/publish/$TAG/new/published-mrtds.json" "$F/published-mrtds.golden.json"
  publish
  [ "$status" -eq 0 ]
  : > "$GH_LOG"
  # another day: generated_at would move, the released bytes are kept
  SOURCE_DATE_EPOCH=1767312000 publish
  [ "$status" -eq 0 ]
  [ "$output" = "publish: nothing to upload: the release $TAG already holds these files and notes" ]
  [ -z "$(api_writes)" ]
  publish DRY_RUN=1
  [ "${lines[-1]}" = "publish: DRY_RUN=1: 0 change(s) planned, nothing uploaded (files in $A/publish/$TAG/new)" ]
  [ -z "$(api_writes)" ]
}

@test "the release's other checksums lines are kept once checked against its assets; lines of files not there are refused" {
  printf '{"provenance": 1}\n' > "$BATS_TEST_TMPDIR/release-provenance.json"
  printf 'sbom\n' > "$BATS_TEST_TMPDIR/node-image-gcp-release-sbom.spdx.json"
  (cd "$BATS_TEST_TMPDIR" && sha256sum release-provenance.json node-image-gcp-release-sbom.spdx.json) > "$BATS_TEST_TMPDIR/sums"
  gh_seed "$(jq -n --arg t "$TAG" --rawfile p "$BATS_TEST_TMPDIR/release-provenance.json" \
    --rawfile s "$BATS_TEST_TMPDIR/node-image-gcp-release-sbom.spdx.json" --rawfile c "$BATS_TEST_TMPDIR/sums" \
    '{repos: {"'"$REPO"'": {releases: [{tag_name: $t, assets: [{name: "release-provenance.json", content: $p},
      {name: "node-image-gcp-release-sbom.spdx.json", content: $s}, {name: "node-image-gcp-checksums.txt", content: $c}]}]}}}')"
  publish
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  download
  [ "$(cut -d' ' -f3 "$D/node-image-gcp-checksums.txt" | tr '\n' ' ')" = "node-image-gcp-release-sbom.spdx.json published-mrtds.json release-provenance.json " ]
  (cd "$D" && sha256sum -c --strict node-image-gcp-checksums.txt)
  verify
  [ "$status" -eq 0 ]
  # a checksums line whose file is gone: the release is broken; nothing is signed over it
  curl -sS -f -X DELETE -H "Authorization: Bearer $GH_RELEASE_TOKEN" -H 'X-GitHub-Api-Version: 2022-11-28' \
    -H 'Accept: application/vnd.github+json' "$GH_URL/repos/$REPO/releases/assets/$(asset_id release-provenance.json)"
  : > "$GH_LOG"
  publish
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "publish: the release's node-image-gcp-checksums.txt lists files that are not on the release as listed (release-provenance.json: MISSING): fix the release first" ]
  [ -z "$(api_writes)" ]
}

@test "the candidates are validated before anything is uploaded; ALLOW_SIMULATED=1 publishes simulated ones, marked" {
  rm "$C/measurement-policy-candidates-debug.json"
  publish
  [ "$status" -eq 2 ]
  [[ "$stderr" == "mrtd-publish: profile debug: no candidates (a release publishes every profile: debug, debug-read-only or locked-read-only)"* ]]
  [ -z "$(api_writes)" ]
  jq '.source = "sim"' "$F/candidates/measurement-policy-candidates-debug.json" > "$C/measurement-policy-candidates-debug.json"
  publish
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"simulated measurements (source sim): refused without --allow-simulated"* ]]
  [ -z "$(api_writes)" ]
  publish ALLOW_SIMULATED=1
  [ "$status" -eq 0 ]
  download
  [ "$(jq -r '[.simulated, .profiles.debug.simulated] | join(" ")' "$D/published-mrtds.json")" = "true true" ]
  grep -q '^\*\*SIMULATED\*\*' "$A/publish/$TAG/new/notes.md"
  verify
  [ "$status" -eq 0 ]
  [[ "$output" == *"SIMULATED (published with ALLOW_SIMULATED)"* ]]
}

@test "other measurements need REPLACE=1; a published immutable release refuses every change; the draft flow publishes it" {
  gh_seed '{"repos": {"'"$REPO"'": {"immutable_releases": true}}}'
  publish PUBLISH_RELEASE=1
  [ "$status" -eq 0 ]
  [[ "$output" == *"  published the release"* ]]
  [ "$(gh_state | jq -r --arg t "$TAG" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t) | [.draft, .immutable] | join(" ")')" = "false true" ]
  publish
  [ "$output" = "publish: nothing to upload: the release $TAG already holds these files and notes" ]
  local before
  before=$(assets "$TAG")
  jq '.policy.allowed_rtmr1 += ["'"$(printf 'ef%.0s' $(seq 48))"'"]' "$F/candidates/measurement-policy-candidates-debug.json" > "$C/measurement-policy-candidates-debug.json"
  publish
  [ "$status" -eq 2 ]
  [[ "$stderr" == "publish: the release $TAG already has another published-mrtds.json: REPLACE=1 replaces it (a published immutable release cannot change: make a new one)"* ]]
  publish REPLACE=1
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"is published and immutable: no asset can be added, replaced or deleted"* ]]
  [ "$(assets "$TAG")" = "$before" ]
  consistent "$TAG"
}

@test "REPLACE=1 replaces the measurements of a release that is not immutable; verify-release passes" {
  publish
  jq '.policy.allowed_rtmr1 += ["'"$(printf 'ef%.0s' $(seq 48))"'"]' "$F/candidates/measurement-policy-candidates-debug.json" > "$C/measurement-policy-candidates-debug.json"
  publish REPLACE=1
  [ "$status" -eq 0 ]
  [[ "$output" == *"  replaced published-mrtds.json"* ]]
  [[ "$output" == *"  replaced node-image-gcp-checksums.txt"* ]]
  download
  [ "$(jq '.profiles.debug.allowed_rtmr1 | length' "$D/published-mrtds.json")" -eq 2 ]
  verify
  [ "$status" -eq 0 ]
}

@test "faults: a 500 then success and a 429 with Retry-After; the release is complete" {
  gh_fault '[{"action": "500", "method": "POST", "path": "^/uploads/"}, {"action": "429", "retry_after": 1, "path": "/releases/tags/"},
             {"action": "502", "method": "GET", "path": "/releases/[0-9]+/assets$"}]'
  publish
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  run -0 gh_requests
  assert_line --regexp '^POST /uploads/repos/.*/assets 500$'
  assert_line --regexp '^GET /repos/.*/releases/tags/mero-tee-v2.3.40 429$'
  consistent "$TAG"
  verify
  [ "$status" -eq 0 ]
}

@test "a connection dropped on every upload attempt: no partial asset, a consistent release, a re-run completes" {
  gh_fault '{"action": "drop-upload", "path": "^/uploads/", "times": 4}'
  publish
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"publish: the upload to $TAG stopped (re-run to complete it)"* ]]
  [ -z "$(assets "$TAG" | grep -v ' uploaded ')" ]
  [ -z "$(assets "$TAG" | grep checksums)" ]
  consistent "$TAG"
  publish
  [ "$status" -eq 0 ]
  consistent "$TAG"
  verify
  [ "$status" -eq 0 ]
}

@test "422 already_exists: another writer's identical upload is taken as done; a different one stops the run" {
  gh_fault "$(jq -n --rawfile c "$F/published-mrtds.golden.json" '{action: "race", path: "^/uploads/", content: $c}')"
  publish
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  verify
  [ "$status" -eq 0 ]
  # another tag's release, where the other writer's file differs
  gh_ctl DELETE /_fake/faults
  curl -sS -f -X DELETE -H "Authorization: Bearer $GH_RELEASE_TOKEN" -H 'X-GitHub-Api-Version: 2022-11-28' \
    -H 'Accept: application/vnd.github+json' \
    "$GH_URL/repos/$REPO/releases/$(gh_state | jq -r --arg t "$TAG" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t) | .id')"
  gh_fault '{"action": "race", "path": "^/uploads/", "content": "{\"theirs\": true}\n"}'
  publish
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"another upload put a different 'published-mrtds.json' on $TAG meanwhile"* ]]
  consistent "$TAG"
  publish REPLACE=1
  [ "$status" -eq 0 ]
  verify
  [ "$status" -eq 0 ]
}

@test "a draft release is found through the list and published with PUBLISH_RELEASE=1" {
  gh_seed '{"repos": {"'"$REPO"'": {"releases": [{"tag_name": "'"$TAG"'", "draft": true, "body": "old notes"}]}}}'
  publish PUBLISH_RELEASE=1
  [ "$status" -eq 0 ]
  [[ "$output" == *"  updated the release notes"* ]]
  [[ "$output" == *"  published the release"* ]]
  [ "$(gh_state | jq -r '.repos["'"$REPO"'"].releases | length')" -eq 1 ]
  [ "$(gh_state | jq -r '.repos["'"$REPO"'"].releases[0].draft')" = false ]
  run -0 gh_requests
  assert_line "GET /repos/$REPO/releases/tags/$TAG 404"
  verify
  [ "$status" -eq 0 ]
}

@test "a 30-asset release read over pages: every listed file is checked, kept and verified" {
  local i d="$BATS_TEST_TMPDIR/thirty"
  mkdir -p "$d"
  for i in $(seq 1 30); do printf 'asset %d\n' "$i" > "$d/$(printf 'asset-%04d.txt' "$i")"; done
  (cd "$d" && sha256sum asset-*.txt) > "$BATS_TEST_TMPDIR/sums"
  gh_seed "$(jq -n --arg t "$TAG" --rawfile c "$BATS_TEST_TMPDIR/sums" \
    '{settings: {max_per_page: 10}, repos: {"'"$REPO"'": {releases: [{tag_name: $t, generate_assets: 30,
      assets: [{name: "node-image-gcp-checksums.txt", content: $c}]}]}}}')"
  publish
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  [ "$(gh_requests | grep -c "^GET /repos/$REPO/releases/[0-9]*/assets 200")" -ge 4 ]
  download
  [ "$(wc -l < "$D/node-image-gcp-checksums.txt")" -eq 31 ]
  verify
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "verify-release: OK: $TAG: 36 checks passed" ]
}

@test "verify-release fails on a tampered asset, a missing asset, a bad signature, an unlisted asset" {
  publish
  [ "$status" -eq 0 ]
  # tampered
  jq '.profiles.debug.allowed_rtmr3 += ["'"$(printf '11%.0s' $(seq 48))"'"]' "$F/published-mrtds.golden.json" > "$BATS_TEST_TMPDIR/t.json"
  replace_asset published-mrtds.json "$BATS_TEST_TMPDIR/t.json"
  verify
  [ "$status" -eq 2 ]
  assert_line --regexp '^  FAIL  sha256 +published-mrtds.json +FAILED \(SHA-256 [0-9a-f]{64}\) \(listed in node-image-gcp-checksums.txt\)$'
  assert_line --regexp '^  FAIL  signature +published-mrtds.json.sig +does not verify published-mrtds.json with '
  assert_line --regexp '^  FAIL  bundle +published-mrtds.json.sigstore.json +does not verify published-mrtds.json with '
  [ "${lines[-1]}" = "verify-release: FAILED: $TAG: 3 of 6 checks failed" ]
  publish REPLACE=1
  verify
  [ "$status" -eq 0 ]
  # missing
  curl -sS -f -X DELETE -H "Authorization: Bearer $GH_RELEASE_TOKEN" -H 'X-GitHub-Api-Version: 2022-11-28' \
    -H 'Accept: application/vnd.github+json' "$GH_URL/repos/$REPO/releases/assets/$(asset_id published-mrtds.json)"
  verify
  [ "$status" -eq 2 ]
  assert_line --regexp '^  FAIL  sha256 +published-mrtds.json +MISSING \(listed in node-image-gcp-checksums.txt\)$'
  assert_line --regexp '^  FAIL  signature +published-mrtds.json.sig +the signature of published-mrtds.json, which the release does not have$'
  publish REPLACE=1
  verify
  [ "$status" -eq 0 ]
  # a bad signature: another key's
  cosign-wrap generate-key-pair --output-key-prefix "$KEYS/other" > /dev/null
  download
  COSIGN_KEY="$KEYS/other.key" cosign-wrap sign < "$D/node-image-gcp-checksums.txt" > "$BATS_TEST_TMPDIR/bad.sig"
  replace_asset node-image-gcp-checksums.txt.sig "$BATS_TEST_TMPDIR/bad.sig"
  verify
  [ "$status" -eq 2 ]
  assert_line --regexp '^  FAIL  signature +node-image-gcp-checksums.txt.sig +does not verify node-image-gcp-checksums.txt with '
  [ "${lines[-1]}" = "verify-release: FAILED: $TAG: 1 of 6 checks failed" ]
  publish
  [ "$status" -eq 0 ]
  verify
  [ "$status" -eq 0 ]
  # an asset nothing vouches for
  echo extra > "$BATS_TEST_TMPDIR/extra.bin"
  release-upload --repo "$REPO" --tag "$TAG" "$BATS_TEST_TMPDIR/extra.bin" > /dev/null
  verify
  [ "$status" -eq 2 ]
  assert_line --regexp '^  FAIL  unlisted +extra.bin +neither in node-image-gcp-checksums.txt nor a signature of a file$'
  # the project's key is required
  verify COSIGN_PUB="$BATS_TEST_TMPDIR/none.pub"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "verify-release: COSIGN_PUB '$BATS_TEST_TMPDIR/none.pub' (the project's public key) is missing"* ]]
}

@test "make verify-node: a node's quote against the release's published measurements, through the signed checksums" {
  publish
  [ "$status" -eq 0 ]
  local q=(QUOTE="$S/tdx_quote" COLLATERAL="$S/tdx_quote_collateral.json" VERIFY_AT=1752919234)
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=locked-read-only "${q[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "verify-node: $TAG: published-mrtds.json checks out (node-image-gcp-checksums.txt signed with $PUB)" ]
  [[ "${lines[1]}" == "verify-node: ALLOWED: $S/tdx_quote is a locked-read-only node of $TAG"* ]]
  [ "$(jq -r .allowed "$A/verify-node/$TAG/locked-read-only/decision.json")" = true ]
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=debug "${q[@]}"
  [ "$status" -eq 2 ]
  [ "${lines[1]}" = "verify-node: REFUSED: $S/tdx_quote against $TAG debug: mrtd not in node_allowed_mrtd (1 entry); rtmr0 not in node_allowed_rtmr0 (1 entry); rtmr1 not in node_allowed_rtmr1 (1 entry); rtmr2 not in node_allowed_rtmr2 (1 entry)" ]
  # at the clock the recorded collateral has expired: not verified, refused
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=locked-read-only QUOTE="$S/tdx_quote" COLLATERAL="$S/tdx_quote_collateral.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"REFUSED"*"not verified"* ]]
  # a published file that is not the one the checksums list
  jq '.profiles.debug.allowed_rtmr3 += ["'"$(printf '11%.0s' $(seq 48))"'"]' "$F/published-mrtds.golden.json" > "$BATS_TEST_TMPDIR/t.json"
  replace_asset published-mrtds.json "$BATS_TEST_TMPDIR/t.json"
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=locked-read-only "${q[@]}"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "verify-node: $TAG: published-mrtds.json is not the file node-image-gcp-checksums.txt lists (published-mrtds.json: FAILED (SHA-256 "* ]]
  # checksums signed by another key
  publish REPLACE=1
  cosign-wrap generate-key-pair --output-key-prefix "$KEYS/other" > /dev/null
  download
  COSIGN_KEY="$KEYS/other.key" cosign-wrap sign < "$D/node-image-gcp-checksums.txt" > "$BATS_TEST_TMPDIR/bad.sig"
  replace_asset node-image-gcp-checksums.txt.sig "$BATS_TEST_TMPDIR/bad.sig"
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=locked-read-only "${q[@]}"
  [ "$status" -eq 2 ]
  [[ "$stderr" == "verify-node: $TAG: node-image-gcp-checksums.txt.sig does not verify node-image-gcp-checksums.txt with $PUB: the release is not the project's"* ]]
  run --separate-stderr mk verify-node RELEASE_TAG="$TAG" PROFILE=locked-read-only
  [ "$status" -eq 2 ]
  [[ "$stderr" == "verify-node: QUOTE=FILE (the node's TDX quote) is required"* ]]
}

@test "knobs are checked before anything runs; the signing key comes from the environment only" {
  run -2 --separate-stderr mk publish RELEASE_TAG='mero-tee-v2.3.40;id' CANDIDATES="$C"
  [[ "$stderr" == *"RELEASE_TAG must be an identifier (letters, digits, _ . -) (got 'mero-tee-v2.3.40;id')"* ]]
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES='$(shell touch x)'
  [[ "$stderr" == *"CANDIDATES must be a path of letters, digits and . _ / + - (not starting with -) (got '\$(shell touch x)')"* ]]
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES="$C" IMAGE_FAMILY='Mero;x'
  [[ "$stderr" == *"IMAGE_FAMILY must be a family prefix or PROFILE=FAMILY words (a-z, 0-9, -) (got 'Mero;x')"* ]]
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES="$C" RELEASE_REPO='o/r/x'
  [[ "$stderr" == *"RELEASE_REPO must be OWNER/NAME (letters, digits and . _ -) (got 'o/r/x')"* ]]
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES="$C" COSIGN_KEY=/some/key
  [[ "$stderr" == *"COSIGN_KEY is a secret: give it in the environment, not on make's command line"* ]]
  [ -z "$(gh_requests)" ]
  run -2 --separate-stderr env -u COSIGN_KEY make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" publish RELEASE_TAG="$TAG" CANDIDATES="$C"
  [[ "$stderr" == "publish: COSIGN_KEY (the release signing key) is not set in the environment"* ]]
  cosign-wrap generate-key-pair --output-key-prefix "$KEYS/other" > /dev/null
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG" CANDIDATES="$C" COSIGN_PUB="$KEYS/other.pub"
  [[ "$stderr" == "publish: COSIGN_KEY is not the key of COSIGN_PUB ($KEYS/other.pub): its signatures would not verify"* ]]
  run -2 --separate-stderr mk publish RELEASE_TAG="$TAG"
  [[ "$stderr" == "publish: CANDIDATES=FILE-or-DIR (the probe VMs' measurement candidates) is required"* ]]
  [ -z "$(gh_requests)" ]
}

@test "no secret is ever in an argv: make publish under strace" {
  command -v strace > /dev/null
  local pw='pw with spaces, $dollars and "quotes"'
  rm -f "$KEYS"/release.*
  COSIGN_PASSWORD="$pw" cosign-wrap generate-key-pair --output-key-prefix "$KEYS/release" > /dev/null
  local body
  body=$(sed -n 2p "$KEYS/release.key")
  # (LeakSanitizer cannot run under a tracer: the SAN=1 build runs without it here)
  run -0 env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" COSIGN_KEY="$(cat "$KEYS/release.key")" \
    COSIGN_PASSWORD="$pw" strace -f -qq -e trace=execve -s 65536 -o "$BATS_TEST_TMPDIR/trace" \
    make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" COSIGN_PUB="$PUB" publish RELEASE_TAG="$TAG" CANDIDATES="$C"
  grep -q 'execve("[^"]*release-upload"' "$BATS_TEST_TMPDIR/trace"
  grep -q 'execve("[^"]*cosign-wrap", \["[^"]*cosign-wrap", "sign"' "$BATS_TEST_TMPDIR/trace"
  local s
  for s in "$body" "$pw" 'pw with spaces' "$GH_RELEASE_TOKEN"; do
    ! grep -qF -- "$s" "$BATS_TEST_TMPDIR/trace" || { echo "in an argv: $s"; false; }
  done
}
