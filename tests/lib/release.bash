# Helpers for the release flows (tests/flow-publish.bats, flow-release.bats,
# flow-probe-release.bats): the fake GitHub API with the project's repository,
# a signing key made for the test, make with this test's artifacts folder.
# Load after test_helper and lib/fake-github; call stop_servers from teardown.
#
#   release_setup [SEED_JSON]  start the fake (repository calimero-network/mero-tee, merged
#                              with SEED_JSON), export GH_RELEASE_TOKEN, COSIGN_KEY,
#                              COSIGN_PASSWORD (the key's; it lives in $KEYS) and set
#                              PUB (its public key, given to make as COSIGN_PUB)
#   mk ARGS...                 make in the project (no parent make's flags), ARTIFACTS=$A
#   assets TAG                 "NAME STATE SIZE" of the release's assets, sorted
#   api_writes                 the requests that changed something (POST, PATCH, DELETE)
#   consistent TAG             the release holds no partial asset, and its checksums file,
#                              when there is one, describes exactly files that are there

REPO=calimero-network/mero-tee

release_setup() {
  fake_github_start
  gh_seed "{\"repos\": {\"$REPO\": {}}}"
  [ -z "${1:-}" ] || gh_seed "$1"
  export GH_RELEASE_TOKEN="$GH_TOKEN_VALUE"
  unset GITHUB_TOKEN GH_TOKEN GITHUB_WAIT_MAX
  # under make check the outer make exports its knobs (KMS_VERSION=2.3.40 among them):
  # a knob a test does not give must not be given
  unset KMS_VERSION RELEASE_TAG CANDIDATES IMAGE_FAMILY CHECKSUMS POLICY_DIR PROFILE QUOTE COLLATERAL ROOT_CA \
    VERIFY_AT DRY_RUN REPLACE PUBLISH_RELEASE ALLOW_SIMULATED RELEASE_BRANCH AUDIT_LAST AUDIT_PREFIX RELEASE_REPO
  A="$BATS_TEST_TMPDIR/artifacts"
  KEYS="$BATS_TEST_TMPDIR/keys"
  mkdir -p "$KEYS"
  export COSIGN_PASSWORD="pw-$RANDOM"
  cosign-wrap generate-key-pair --output-key-prefix "$KEYS/release" > /dev/null
  export COSIGN_KEY="$KEYS/release.key"
  PUB="$KEYS/release.pub"
  export SOURCE_DATE_EPOCH=1767225600
}

# test_helper's mk, with the release key as COSIGN_PUB
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" COSIGN_PUB="$PUB" "$@"; }

assets() { gh_assets "$REPO" "$1"; }

api_writes() { gh_requests | grep -E '^(POST|PATCH|DELETE|PUT) ' || true; }

consistent() {
  local d="$BATS_TEST_TMPDIR/consistent.$RANDOM" sums
  [ -z "$(assets "$1" | grep -v ' uploaded ')" ] || { echo "partial assets: $(assets "$1")"; return 1; }
  release-fetch --repo "$REPO" --tag "$1" --dir "$d" > "$d.json" || return 1
  sums=$(jq -r '.assets[].name | select(endswith("checksums.txt"))' "$d.json")
  [ -z "$sums" ] || release-sums check "$d/$sums" > /dev/null || { release-sums check "$d/$sums"; return 1; }
}
