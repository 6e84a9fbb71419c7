#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# make promote: a simulated probe's signed candidates promoted into the debug
# policy on a branch, and with PUSH=1 and a token the pull request opened on
# the fake GitHub API; the knobs checked before anything runs; the token in
# no command line and in nothing the run wrote.

load test_helper
load lib/fake-github
load lib/promote

setup_file() { promote_probe; }

setup() {
  KEYS="$BATS_FILE_TMPDIR/keys"
  A="$BATS_FILE_TMPDIR/a"
  T=$BATS_TEST_TMPDIR
  unset GITHUB_TOKEN GH_TOKEN GITHUB_REPOSITORY GITHUB_SERVER_URL GITHUB_API_URL
  policy_repo "$T/repo"
  rm -rf "$A/promote"
}
teardown() { stop_servers; }

@test "make probe (sim, debug) then make promote: the candidates verified, merged, linted and committed on a branch" {
  [ -s "$A/probe/debug/measurement-policy-candidates.json.sig" ]
  run -0 --separate-stderr mk promote PROFILE=debug ALLOW_SIMULATED=1 COSIGN_PUB="$KEYS/test.pub" REPO_DIR="$T/repo"
  quote=$(jq -r .provenance.quote_sha256 "$A/probe/debug/measurement-policy-candidates.json")
  branch="automation/kms-policy-2.3.40-${quote:0:12}"
  [ "$(jq -r '[.branch, .changed, .pushed] | @tsv' <<<"$output")" = "$(printf '%s\ttrue\tfalse' "$branch")" ]
  [ "$(git -C "$T/repo" log -1 --format=%s "$branch")" = "chore(policy): promote KMS policy candidate for 2.3.40" ]
  [ "$(git -C "$T/repo" show "$branch:policies/kms-phala-attestation-policy.debug.json" | jq -r '.policy.kms_allowed_mrtd[0]')" = \
    "$(jq -r '.policy.allowed_mrtd[0]' "$A/probe/debug/measurement-policy-candidates.json")" ]
  [ -s "$A/promote/debug/pr-body.md" ]
  [[ "$stderr" == *"no GitHub token (GITHUB_TOKEN or GH_TOKEN): the branch $branch stays local"* ]]
  # the project's own key did not sign this probe: refused
  run -2 --separate-stderr mk promote PROFILE=debug ALLOW_SIMULATED=1 REPO_DIR="$T/repo"
  [[ "$stderr" == *"policy-promote: the signature "*" does not verify with cosign.pub: "* ]]
  # simulated candidates need ALLOW_SIMULATED=1
  run -2 --separate-stderr mk promote PROFILE=debug COSIGN_PUB="$KEYS/test.pub" REPO_DIR="$T/repo"
  [[ "$stderr" == *"needs --allow-simulated (make promote ALLOW_SIMULATED=1)"* ]]
  run -2 --separate-stderr mk promote COSIGN_PUB="$KEYS/test.pub"
  [[ "$stderr" == "promote: PROFILE must be one of: debug debug-read-only locked-read-only (got '')"* ]]
}

@test "make promote PUSH=1 DRAFT=1 with a token: a draft pull request; the token in no command line and in no output" {
  command -v strace >/dev/null
  promote_fake
  remote_push "$T/repo" master
  # (LeakSanitizer cannot run under a tracer: the SAN=1 build runs without it here)
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" GITHUB_TOKEN="$GH_TOKEN_VALUE" \
    strace -f -qq -s 4096 -e trace=execve -o "$T/execve.log" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" promote PROFILE=debug \
    ALLOW_SIMULATED=1 COSIGN_PUB="$KEYS/test.pub" REPO_DIR="$T/repo" PUSH=1 DRAFT=1 > "$T/out.json" 2> "$T/err.txt"
  [ "$(jq -c '[.pull_request.number, .pull_request.draft, .pushed]' "$T/out.json")" = '[1,true,true]' ]
  run -0 gh_state
  [ "$(jq -r '.repos["o/r"].pulls["1"] | [.draft, (.labels | map(.name) | join(","))] | @tsv' <<<"$output")" = \
    "$(printf 'true\tpolicy-promotion')" ]
  grep -q 'execve("[^"]*policy-promote"' "$T/execve.log"
  grep -q '"push", "--porcelain"' "$T/execve.log"
  run -1 grep -qF "$GH_TOKEN_VALUE" "$T/execve.log"
  run grep -rlF "$GH_TOKEN_VALUE" "$T/out.json" "$T/err.txt" "$A/promote" "$T/repo" "$GH_LOG" "$T/git"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  # a token on make's command line is refused before anything runs
  run -2 --separate-stderr mk promote PROFILE=debug GITHUB_TOKEN=x
  [[ "$stderr" == *"GITHUB_TOKEN is a secret: give it in the environment, not on make's command line"* ]]
  run -2 --separate-stderr mk promote PROFILE=debug GH_TOKEN=x
  [[ "$stderr" == *"GH_TOKEN is a secret: give it in the environment, not on make's command line"* ]]
}

@test "make promote RUN_ID=n: the run's probe artifact through the Actions API" {
  promote_fake
  local d="$A/probe/debug" files
  files=$(jq -n --rawfile c "$d/measurement-policy-candidates.json" --rawfile s "$d/measurement-policy-candidates.json.sig" \
    --rawfile r "$d/probe-report.md" --rawfile rs "$d/probe-report.md.sig" \
    '{"measurement-policy-candidates.json": $c, "measurement-policy-candidates.json.sig": $s, "probe-report.md": $r,
      "probe-report.md.sig": $rs}')
  gh_seed "$(jq -n --argjson f "$files" '{repos: {"o/r": {runs: [{id: 31337, artifacts: [{name: "probe-artifacts-debug", files: $f}]}]}}}')"
  run -0 --separate-stderr env GITHUB_TOKEN="$GH_TOKEN_VALUE" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s \
    ARTIFACTS="$A" SAN="${SAN:-0}" promote PROFILE=debug RUN_ID=31337 ALLOW_SIMULATED=1 COSIGN_PUB="$KEYS/test.pub" \
    REPO_DIR="$T/repo" RELEASE_TAG=mero-kms-v2.3.40
  [ "$(jq -r '[.branch, .candidates.run_id, .probe_report.included] | @tsv' <<<"$output")" = \
    "$(printf 'automation/kms-policy-2.3.40-31337\t31337\ttrue')" ]
  git -C "$T/repo" rev-parse --verify -q automation/kms-policy-2.3.40-31337
}

@test "every knob of promote, gate and protect: quotes, \$(...), backticks, ; or a newline run nothing and exit 2" {
  M="$T/marker"
  local n=0 kv k good bad
  for kv in CANDIDATES=a/b.json RUN_ID=12 RELEASE_TAG=2.3.40 PUSH=1 DRAFT=0 ALLOW_SIMULATED=1 BASE_BRANCH=master \
      COSIGN_PUB=cosign.pub REPO_DIR=. PR=3 STATUS=1 SECURITY_TEAM=org/security ARCHITECTURE_TEAM=org/arch \
      REQUIRED_APPROVALS=2 BRANCH=main DRY_RUN=1 REQUIRED_CHECKS=policy-gate,check GITHUB_REPOSITORY=o/r VERSION_SYNC_PR=4; do
    k=${kv%%=*} good=${kv#*=}
    run -0 mk -n promote PROFILE=debug "$k=$good"
    for bad in "$good'; touch $M; echo '" "\$(shell touch $M)" "\`touch $M\`" "$good;touch $M" "$good"$'\n'"touch $M"; do
      for target in promote gate protect; do
        run -2 --separate-stderr mk "$target" PROFILE=debug "$k=$bad"
        [[ "$stderr" == *"*** $k must be "* ]] || { echo "$k='$bad' ($target): $stderr"; false; }
        n=$((n + 1))
      done
      others=(PR=1); [ "$k" != PR ] || others=()
      run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$k=$bad" make -C "$ROOT" -s ARTIFACTS="$A" gate \
        "${others[@]}"
      [[ "$stderr" == *"*** $k must be "* ]] || { echo "env $k='$bad': $stderr"; false; }
    done
  done
  [ ! -e "$M" ]
  [ "$n" -ge 280 ]
  for kv in BASE_BRANCH=../x BASE_BRANCH=-f SECURITY_TEAM=org GITHUB_REPOSITORY=o/r/x PR=-1 STATUS=2 RUN_ID=0x1; do
    run -2 --separate-stderr mk -n promote PROFILE=debug "$kv"
    [[ "$stderr" == *"*** ${kv%%=*} must be "* ]] || { echo "$kv: $stderr"; false; }
  done
}
