# Helpers for the suites of make promote and make gate (policy-promote,
# policy-gate, gh-protect, flow-promote, flow-gate). Load after test_helper and
# lib/fake-github; the fake's users are seeded by promote_fake.
#
#   promote_keys DIR          test key pairs made here (empty password): DIR/test.{key,pub},
#                             the project's key in these tests, and DIR/other.{key,pub}
#   sign FILE [KEY]           FILE.sig, by DIR/test.key unless KEY names another
#   candidates DIR [JQ]       DIR/measurement-policy-candidates.json from the fixture (a
#                             simulated debug probe), changed by the jq filter JQ, signed,
#                             with the probe report beside it, signed too
#   policy_repo DIR           a git repository holding the project's policies/, one commit
#   promote_fake              start the fake GitHub with repository o/r (git), the users
#                             releaser (GH_TOKEN_VALUE), alice, bob, carol, mallory (tokens
#                             TOK_ALICE...), the teams calimero-network/security (releaser,
#                             alice, bob) and calimero-network/architecture (carol)
#   remote_push DIR REFSPEC   git push from DIR to the fake's o/r (the token from the environment)
#   pr_seed JSON              a pull request of o/r as the fake seeds it ({"number", "head":
#                             {"ref"}, "body", "labels", "reviews", "user", ...})
#   review N TOKEN EVENT [COMMIT]  a review through the API (APPROVE, REQUEST_CHANGES, COMMENT)
#   head_of BRANCH            the commit of BRANCH in the fake's repository
#   hex96 SEED                96 hex digits derived from SEED
#   promote_probe             (setup_file) the test keys in $BATS_FILE_TMPDIR/keys and one
#                             simulated debug probe signed with test.key, in $A

promote_keys() {
  local d=$1 k
  mkdir -p "$d"
  for k in test other; do
    [ -f "$d/$k.key" ] || COSIGN_PASSWORD='' cosign-wrap generate-key-pair --output-key-prefix "$d/$k" >/dev/null 2>&1
  done
  KEYS=$d
}

sign() {
  COSIGN_KEY="${2:-$KEYS/test.key}" COSIGN_PASSWORD='' cosign-wrap sign < "$1" > "$1.sig"
}

candidates() {
  local d=$1 filter=${2:-.}
  mkdir -p "$d"
  jq --indent 2 -S "$filter" "$FIX/promote/measurement-policy-candidates.json" > "$d/measurement-policy-candidates.json"
  cp "$FIX/promote/probe-report.md" "$d/probe-report.md"
  sign "$d/measurement-policy-candidates.json"
  sign "$d/probe-report.md"
}

policy_repo() {
  local d=$1
  git init -q -b master "$d"
  cp -r "$ROOT/policies" "$d/"
  git -C "$d" add -A
  git -C "$d" -c user.name=test -c user.email=test@example.invalid commit -q -m "policies"
}

promote_fake() {
  fake_github_start
  TOK_ALICE=tok_alice_$RANDOM$RANDOM TOK_BOB=tok_bob_$RANDOM$RANDOM TOK_CAROL=tok_carol_$RANDOM$RANDOM
  TOK_MALLORY=tok_mallory_$RANDOM$RANDOM
  gh_seed "$(jq -n --arg a "$TOK_ALICE" --arg b "$TOK_BOB" --arg c "$TOK_CAROL" --arg m "$TOK_MALLORY" '{
    tokens: {($a): "alice", ($b): "bob", ($c): "carol", ($m): "mallory"},
    teams: {"calimero-network/security": ["releaser", "alice", "bob"], "calimero-network/architecture": ["carol"]},
    repos: {"o/r": {git: true}}}')"
  export GITHUB_SERVER_URL="$GH_URL" GITHUB_REPOSITORY=o/r GH_TOKEN_VALUE
}

remote_push() {
  # shellcheck disable=SC2016 # the helper's shell reads the token from the environment
  git -C "$1" -c credential.helper= -c 'credential.helper=!f() { echo username=test; echo "password=$GH_TOKEN_VALUE"; }; f' \
    push -q --force "$GH_URL/o/r.git" "$2"
}

pr_seed() {
  gh_seed "$(jq -n --argjson pr "$1" '{repos: {"o/r": {pulls: [$pr]}}}')"
}

review() {
  local body
  body=$(jq -n --arg e "$3" --arg c "${4:-}" '{event: $e} + (if $c == "" then {} else {commit_id: $c} end)')
  curl -sS -f -X POST -H "Authorization: Bearer $2" -H 'User-Agent: tests' -H 'Accept: application/vnd.github+json' \
    -H 'X-GitHub-Api-Version: 2022-11-28' --data-binary "$body" "$GH_URL/repos/o/r/pulls/$1/reviews" > /dev/null
}

head_of() {
  git --git-dir "$BATS_TEST_TMPDIR/git/o/r.git" rev-parse "refs/heads/$1"
}

hex96() {
  printf '%s' "$1" | sha384sum | cut -c1-96
}

promote_probe() {
  promote_keys "$BATS_FILE_TMPDIR/keys"
  # shellcheck disable=SC2034 # the artifact folder of test_helper's mk
  A="$BATS_FILE_TMPDIR/a"
  COSIGN_KEY="$BATS_FILE_TMPDIR/keys/test.key" COSIGN_PASSWORD='' mk probe PROFILE=debug > /dev/null
}
