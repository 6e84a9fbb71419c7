#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# make release-policy end to end against tests/lib/fake-github.py: the KMS
# release mero-kms-v2.3.40 gets the profiles' policy files, the legacy copy,
# the compatibility map (golden), the checksums and every signature, the notes;
# refused unless the files are the default branch's, pass policy-lint
# --release and carry the version; released policy is immutable; DRY_RUN;
# faults; make verify-releases (the auditor); the release workflows.

load test_helper
load lib/fake-github
load lib/release

TAG=mero-kms-v2.3.40

setup() {
  release_setup
  # a repository whose default branch holds release-ready policy files
  G="$BATS_TEST_TMPDIR/repo"
  P="$G/policies"
  mkdir -p "$P"
  cp "$FIX"/policy-lint/release/*.json "$FIX/policy-bundle/versions.json" "$P/"
  git -C "$G" init -q -b main
  commit "Merge pull request #7 from automation/kms-policy-2.3.40-1"
  D="$BATS_TEST_TMPDIR/download"
}

teardown() { stop_servers; }

commit() { git -C "$G" add -A && git -C "$G" -c user.name=t -c user.email=t@example.invalid commit -q -m "$1"; }
release() { run --separate-stderr mk release-policy POLICY_DIR="$P" RELEASE_BRANCH=main "$@"; }
verify() { run --separate-stderr mk verify-release RELEASE_TAG="$TAG"; }
download() { rm -rf "$D" && release-fetch --repo "$REPO" --tag "$TAG" --dir "$D" > "$BATS_TEST_TMPDIR/fetch.json"; }
names() { assets "$TAG" | cut -d' ' -f1 | tr '\n' ' '; }
# edit FILE JQ: a change to a policy file of the work tree
edit() { jq "$2" "$P/$1" > "$P/x" && mv "$P/x" "$P/$1"; }

@test "make release-policy: policy files, legacy copy, compatibility map (golden), checksums, signatures, notes; immutable once published" {
  gh_seed '{"repos": {"'"$REPO"'": {"immutable_releases": true}}}'
  release KMS_VERSION=2.3.40 PUBLISH_RELEASE=1
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  [[ "$output" == *"  published the release"* ]]
  local f want=""
  for f in kms-phala-attestation-policy.debug-read-only.json kms-phala-attestation-policy.debug.json \
      kms-phala-attestation-policy.json kms-phala-attestation-policy.locked-read-only.json kms-phala-checksums.txt \
      kms-phala-compatibility-map.json; do
    want+="$f $f.sig $f.sigstore.json "
  done
  [ "$(names)" = "$want" ]
  download
  cmp "$D/kms-phala-compatibility-map.json" "$FIX/policy-bundle/compatibility-map.golden.json"
  for f in debug debug-read-only locked-read-only; do
    cmp "$D/kms-phala-attestation-policy.$f.json" "$FIX/policy-lint/release/kms-phala-attestation-policy.$f.json"
  done
  cmp "$D/kms-phala-attestation-policy.json" "$D/kms-phala-attestation-policy.locked-read-only.json"
  (cd "$D" && sha256sum -c --strict kms-phala-checksums.txt)
  [ "$(cut -d' ' -f3 "$D/kms-phala-checksums.txt" | tr '\n' ' ')" = "kms-phala-attestation-policy.debug-read-only.json kms-phala-attestation-policy.debug.json kms-phala-attestation-policy.json kms-phala-attestation-policy.locked-read-only.json kms-phala-compatibility-map.json " ]
  base64 -d "$D/kms-phala-checksums.txt.sig" > "$BATS_TEST_TMPDIR/sig.der"
  openssl dgst -sha256 -verify "$PUB" -signature "$BATS_TEST_TMPDIR/sig.der" "$D/kms-phala-checksums.txt"
  cosign-wrap verify --key "$PUB" --bundle "$D/kms-phala-checksums.txt.sigstore.json" < "$D/kms-phala-checksums.txt"
  # the notes: per profile, the promotions of the default branch, the coupling
  local rel N="$A/release-policy/$TAG/new/notes.md"
  rel=$(gh_state | jq --arg t "$TAG" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t)')
  [ "$(jq -r '[.draft, .immutable] | join(" ")' <<<"$rel")" = "false true" ]
  diff <(jq -j .body <<<"$rel") "$N"
  grep -qx -- "- promotion: $(git -C "$G" log -1 --format=%h) Merge pull request #7 from automation/kms-policy-2.3.40-1" "$N"
  grep -qx -- "- policy: \`kms-phala-attestation-policy.debug.json\`, SHA-256 \`$(sha256sum < "$D/kms-phala-attestation-policy.debug.json" | cut -d' ' -f1)\`" "$N"
  grep -q "^Version coupling (ADR-0003): \`mero-kms-v2.3.40\` goes with \`mero-tee-v2.3.40\`" "$N"
  verify
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "verify-release: OK: $TAG: 19 checks passed" ]
  # again, the version given as the tag: nothing to upload, and nothing written
  : > "$GH_LOG"
  release KMS_VERSION=mero-kms-v2.3.40
  [ "$status" -eq 0 ]
  [ "$output" = "release-policy: nothing to upload: the release $TAG already holds these files and notes" ]
  [ -z "$(api_writes)" ]
}

@test "released policy is immutable: other content under a released version is refused" {
  release KMS_VERSION=2.3.40
  [ "$status" -eq 0 ]
  local before
  before=$(assets "$TAG")
  edit kms-phala-attestation-policy.debug.json '.generated_at = "2026-02-01T00:00:00Z"'
  commit "policy(debug): another promotion"
  : > "$GH_LOG"
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "release-policy: $TAG already has another kms-phala-attestation-policy.debug.json: released policy is immutable, a change needs a new version" ]
  [ -z "$(api_writes)" ]
  [ "$(assets "$TAG")" = "$before" ]
}

@test "refused unless the work tree's policy files are the default branch's" {
  edit kms-phala-attestation-policy.debug.json '.generated_at = "2026-02-01T00:00:00Z"'
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "release-policy: $P/kms-phala-attestation-policy.debug.json differs from main's: released policy comes from merged pull requests only (commit it, open a pull request, merge, then release)" ]
  # committed on a branch that is not merged
  git -C "$G" checkout -q -b feature
  commit "policy(debug): not merged"
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [[ "${stderr_lines[0]}" == *"kms-phala-attestation-policy.debug.json differs from main's"* ]]
  # the branch itself
  release KMS_VERSION=2.3.40 RELEASE_BRANCH=feature
  [ "$status" -eq 0 ]
  release KMS_VERSION=2.3.40 RELEASE_BRANCH=no-such-branch
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "release-policy: RELEASE_BRANCH 'no-such-branch' is not a commit of the repository of $P (fetch it first)" ]
  git -C "$G" checkout -q main
  git -C "$G" rm -q policies/kms-phala-attestation-policy.json
  commit "drop the legacy copy"
  cp "$FIX/policy-lint/release/kms-phala-attestation-policy.json" "$P/"
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "release-policy: $P/kms-phala-attestation-policy.json is not on main: released policy comes from merged pull requests only" ]
}

@test "refused unless policy-lint --release passes, every tag is the version and the versions file describes the release" {
  release
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "release-policy: KMS_VERSION=X.Y.Z (the KMS release) is required" ]
  run -2 --separate-stderr mk release-policy POLICY_DIR="$P" RELEASE_BRANCH=main KMS_VERSION='2.3.40;x'
  [[ "$stderr" == *"KMS_VERSION must be a version"* ]]
  release KMS_VERSION=2.3.41
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "policy-bundle: kms-phala-attestation-policy.debug.json: tag '2.3.40' is not the release's version 2.3.41: a release carries policy files bumped to its version in a merged pull request" ]
  edit kms-phala-attestation-policy.debug-read-only.json '.policy.node_allowed_rtmr1 = []'
  commit "an empty list"
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"[empty-list]"* ]]
  [[ "$stderr" == *"release-policy: policy-lint --release refuses the policy files (above): a release needs them complete"* ]]
  git -C "$G" reset -q --hard HEAD~1
  echo '{"schema_version": 1, "kms_version": "2.3.39", "node_image_version": "2.3.39"}' > "$P/versions.json"
  commit "versions"
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [ "${stderr_lines[0]}" = "policy-bundle: release notes: '$P/versions.json' names the KMS version 2.3.39, not this release's 2.3.40: bump it (with the other component, or mark that one unchanged) first" ]
  [ -z "$(api_writes)" ]
  [ -z "$(assets "$TAG")" ]
}

@test "DRY_RUN=1 plans every file and uploads nothing" {
  release KMS_VERSION=2.3.40 DRY_RUN=1
  [ "$status" -eq 0 ]
  [ "$(grep -c '^  would upload   ' <<<"$output")" -eq 18 ]
  [ "${lines[-1]}" = "release-policy: DRY_RUN=1: 19 change(s) planned, nothing uploaded (files in $A/release-policy/$TAG/new)" ]
  [ -z "$(api_writes)" ]
  cmp "$A/release-policy/$TAG/new/kms-phala-compatibility-map.json" "$FIX/policy-bundle/compatibility-map.golden.json"
}

@test "faults: a 500 then success; a dropped upload on every attempt leaves a consistent draft and a re-run completes" {
  gh_fault '[{"action": "500", "method": "POST", "path": "^/uploads/"}, {"action": "429", "retry_after": 1, "method": "PATCH"}]'
  release KMS_VERSION=2.3.40
  [ "$status" -eq 0 ] || { echo "$stderr"; return 1; }
  consistent "$TAG"
  gh_ctl DELETE /_fake/faults
  curl -sS -f -X DELETE -H "Authorization: Bearer $GH_RELEASE_TOKEN" -H 'X-GitHub-Api-Version: 2022-11-28' \
    -H 'Accept: application/vnd.github+json' \
    "$GH_URL/repos/$REPO/releases/$(gh_state | jq -r --arg t "$TAG" '.repos["'"$REPO"'"].releases[] | select(.tag_name == $t) | .id')"
  gh_fault '{"action": "drop-upload", "path": "^/uploads/", "times": 4}'
  release KMS_VERSION=2.3.40
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"release-policy: the upload to $TAG stopped (re-run to complete it)"* ]]
  consistent "$TAG"
  [ -z "$(assets "$TAG" | grep checksums)" ]
  release KMS_VERSION=2.3.40
  [ "$status" -eq 0 ]
  verify
  [ "$status" -eq 0 ]
}

@test "make verify-releases: the auditor checks the latest releases and fails when one does not check out" {
  release KMS_VERSION=2.3.40 PUBLISH_RELEASE=1
  [ "$status" -eq 0 ]
  run -0 mk publish RELEASE_TAG=mero-tee-v2.3.40 CANDIDATES="$FIX/mrtd-publish/candidates" POLICY_DIR="$P" PUBLISH_RELEASE=1
  gh_seed '{"repos": {"'"$REPO"'": {"releases": [{"tag_name": "other-v1"}]}}}'
  run --separate-stderr mk verify-releases AUDIT_LAST=5 AUDIT_PREFIX=mero-
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "verify-releases: OK: 2 releases verified (mero-tee-v2.3.40 mero-kms-v2.3.40)" ]
  run -0 --separate-stderr mk verify-releases AUDIT_LAST=1
  [ "${lines[-1]}" = "verify-releases: OK: 1 releases verified (mero-tee-v2.3.40)" ]
  # a release that does not check out fails the audit, the others are still checked
  printf 'x' > "$BATS_TEST_TMPDIR/kms-phala-compatibility-map.json.sig"
  release-upload --repo "$REPO" --tag "$TAG" --clobber "$BATS_TEST_TMPDIR/kms-phala-compatibility-map.json.sig" > /dev/null
  run --separate-stderr mk verify-releases AUDIT_PREFIX=mero-
  [ "$status" -eq 2 ]
  assert_line --regexp '^  FAIL  signature +kms-phala-compatibility-map.json.sig +does not verify kms-phala-compatibility-map.json with '
  [ "${lines[-1]}" = "verify-releases: FAILED: 1 of 2 releases: $TAG" ]
}

@test "the release workflows call make only, with their inputs and secrets through the environment" {
  run -0 python3 - "$ROOT/.github/workflows" <<'PY'
import sys, yaml
d = sys.argv[1]
def load(n):
    w = yaml.safe_load(open(d + "/" + n))
    return w, w.get("on", w.get(True)), open(d + "/" + n).read()
w, on, text = load("node-image-gcp-policy-promotion.yaml")
inputs = on["workflow_dispatch"]["inputs"]
for i in ("release_tag", "image_family", "candidates_artifact"):
    assert i in inputs, i
runs = [s["run"] for j in w["jobs"].values() for s in j["steps"] if "run" in s]
assert any(r.startswith("make publish") for r in runs), runs
assert "${{ inputs.release_tag }}" not in "".join(runs), "an input pasted into a run line"
for s in ("GH_RELEASE_TOKEN", "COSIGN_KEY", "COSIGN_PASSWORD"):
    assert "secrets." + s in text, s
assert "download-artifact" in text
w, on, text = load("release-auditor.yaml")
assert on["schedule"][0]["cron"], on
runs = [s["run"] for j in w["jobs"].values() for s in j["steps"] if "run" in s]
assert any(r.startswith("make verify-releases") for r in runs), runs
w, on, text = load("release-kms-policy.yaml")
runs = [s["run"] for j in w["jobs"].values() for s in j["steps"] if "run" in s]
assert any(r.startswith("make release-policy") for r in runs), runs
assert "${{ inputs.kms_version }}" not in "".join(runs)
assert "fetch-depth: 0" in text
print("ok")
PY
}
