#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
# compose-lint: ADR-0001 (profile pinning) and ADR-0002 (no env policy) in
# compose files, templates and workflows; every finding with file and line.

load test_helper

CL="$FIX/compose-lint"
DIGEST_A=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
DIGEST_B=sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
DIGEST_C=sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc
IMAGE=ghcr.io/calimero-network/mero-kms-phala

setup() {
  cd "$BATS_TEST_TMPDIR" || return
}

# kms_compose FILE PROFILE [DIGEST]: a rendered KMS compose file (the profile on line 7)
kms_compose() {
  cat > "$1" <<EOF
services:
  mero-kms:
    image: $IMAGE@${3:-$DIGEST_A}
    environment:
      LISTEN_ADDR: "0.0.0.0:8080"
      MERO_KMS_VERSION: "2.3.40"
      MERO_KMS_PROFILE: "$2"
EOF
}

findings() { grep -c ': ERROR: ' <<<"$output" || true; }

@test "the project's template, rendered fixtures and workflows pass" {
  run --separate-stderr -0 compose-lint "$ROOT/policies/kms-compose.template.yaml" \
    "$ROOT/tests/fixtures/compose-hash/kms-compose.locked-read-only.yaml" "$ROOT/tests/fixtures/kms-sim/compose.yaml" \
    "$ROOT/.github/workflows"
  local n
  n=$(find "$ROOT/.github/workflows" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) | grep -c .)
  [ "$n" -ge 8 ]
  [ "$output" = "compose-lint: OK: $((n + 3)) files checked (3 compose, $n workflows), 0 skipped" ]
  [ -z "$stderr" ]
}

@test "env policy in the KMS service: every variable, mapping and list forms, is an error at its line" {
  local v
  for v in USE_ENV_POLICY ALLOWED_TCB_STATUSES ALLOWED_MRTD ALLOWED_RTMR0 ALLOWED_RTMR1 ALLOWED_RTMR2 ALLOWED_RTMR3; do
    kms_compose map.yaml debug
    echo "      $v: \"x\"" >> map.yaml
    run -1 compose-lint map.yaml
    [ "$output" = "compose-lint: ERROR: map.yaml:8: the KMS service 'mero-kms' sets $v: the env-policy escape hatch is banned for every profile (ADR-0002); the policy comes from the release policy file [env-policy]" ]
    printf 'services:\n  kms:\n    image: %s:2.3.40\n    environment:\n      - MERO_KMS_PROFILE=debug\n      - %s\n' "$IMAGE" "$v" > list.yaml
    run -1 compose-lint list.yaml
    [ "$output" = "compose-lint: ERROR: list.yaml:6: the KMS service 'kms' sets $v: the env-policy escape hatch is banned for every profile (ADR-0002); the policy comes from the release policy file [env-policy]" ]
  done
  # USE_ENV_POLICY=false is still the escape hatch configured (upstream's probe refuses any mention)
  kms_compose off.yaml debug
  echo '      USE_ENV_POLICY: "false"' >> off.yaml
  run -1 compose-lint off.yaml
  [ "$(findings)" -eq 1 ]
}

@test "what is not set for the KMS is not judged: another service, a comment, a longer name" {
  kms_compose c.yaml locked-read-only
  cat >> c.yaml <<'EOF'
      # ALLOWED_MRTD: a comment is no setting
      ALLOWED_MRTD_NOTE: "a longer name"
  prometheus:
    image: prom/prometheus:v2.53.0
    environment:
      ALLOWED_TCB_STATUSES: "UpToDate"
      USE_ENV_POLICY: "true"
EOF
  run -0 compose-lint c.yaml
  [ "$output" = "compose-lint: OK: 1 files checked (1 compose, 0 workflows), 0 skipped" ]
}

@test "the KMS service is found by its image, its name or its MERO_KMS_* variables" {
  printf 'services:\n  app:\n    image: %s@%s\n    environment:\n      USE_ENV_POLICY: "1"\n' "$IMAGE" "$DIGEST_A" > by-image.yaml
  printf 'services:\n  mero-kms-staging:\n    image: example/other\n    environment:\n      ALLOWED_MRTD: "x"\n' > by-name.yaml
  printf 'services:\n  app:\n    image: example/other\n    environment:\n      MERO_KMS_VERSION: "2.3.40"\n      ALLOWED_RTMR3: "x"\n' > by-env.yaml
  run -1 compose-lint by-image.yaml by-name.yaml by-env.yaml
  [ "$(findings)" -eq 3 ]
  [[ "${lines[0]}" == "compose-lint: ERROR: by-env.yaml:6: the KMS service 'app' sets ALLOWED_RTMR3:"* ]]
  [[ "${lines[1]}" == "compose-lint: ERROR: by-image.yaml:5: the KMS service 'app' sets USE_ENV_POLICY:"* ]]
  [[ "${lines[2]}" == "compose-lint: ERROR: by-name.yaml:5: the KMS service 'mero-kms-staging' sets ALLOWED_MRTD:"* ]]
}

@test "env policy through a YAML anchor and merge key is reported where it is written" {
  cat > anchor.yaml <<EOF
x-policy: &policy
  ALLOWED_MRTD: "abc"
services:
  mero-kms:
    image: $IMAGE@$DIGEST_A
    environment:
      <<: *policy
      MERO_KMS_PROFILE: debug
EOF
  run -1 compose-lint anchor.yaml
  [ "$output" = "compose-lint: ERROR: anchor.yaml:2: the KMS service 'mero-kms' sets ALLOWED_MRTD: the env-policy escape hatch is banned for every profile (ADR-0002); the policy comes from the release policy file [env-policy]" ]
}

@test "env policy in the KMS service's env_file is reported at the env file's line" {
  mkdir -p deploy
  kms_compose deploy/compose.yaml debug
  printf '    env_file:\n      - kms.env\n      - missing.env\n' >> deploy/compose.yaml
  printf '# development\nLOG=debug\nexport USE_ENV_POLICY=true\n' > deploy/kms.env
  run -1 compose-lint deploy/compose.yaml
  [ "$output" = "compose-lint: ERROR: deploy/kms.env:3: the KMS service 'mero-kms' sets USE_ENV_POLICY: the env-policy escape hatch is banned for every profile (ADR-0002); the policy comes from the release policy file [env-policy]" ]
}

@test "MERO_KMS_PROFILE: one of the three (any case), never another value, an interpolation or no value" {
  kms_compose ok.yaml Locked-Read-Only
  run -0 compose-lint ok.yaml
  kms_compose bad.yaml production
  run -1 compose-lint bad.yaml
  [ "$output" = "compose-lint: ERROR: bad.yaml:7: MERO_KMS_PROFILE is 'production', not debug, debug-read-only or locked-read-only [profile-value]" ]
  kms_compose interp.yaml '${PROFILE:-debug}'
  run -1 compose-lint interp.yaml
  [ "$output" = "compose-lint: ERROR: interp.yaml:7: MERO_KMS_PROFILE is '\${PROFILE:-debug}', left to interpolation when deployed: pin debug, debug-read-only or locked-read-only [profile-value]" ]
  printf 'services:\n  mero-kms:\n    environment:\n      - MERO_KMS_PROFILE\n' > none.yaml
  run -1 compose-lint none.yaml
  [ "$output" = "compose-lint: ERROR: none.yaml:4: MERO_KMS_PROFILE has no value here, so the deploying environment would choose it: pin debug, debug-read-only or locked-read-only [profile-value]" ]
}

@test "a template may leave the profile to its placeholder, and only to that one" {
  run -0 compose-lint "$ROOT/policies/kms-compose.template.yaml"
  sed 's/__MERO_KMS_PROFILE__/__PROFILE__/' "$ROOT/policies/kms-compose.template.yaml" > other.template.yaml
  run -1 compose-lint other.template.yaml
  [ "$output" = "compose-lint: ERROR: other.template.yaml:18: MERO_KMS_PROFILE is '__PROFILE__', not debug, debug-read-only or locked-read-only [profile-value]" ]
}

@test "the deprecated KMS_POLICY_PROFILE: absent or equal; different or alone is an error at its line" {
  kms_compose equal.yaml debug
  echo '      KMS_POLICY_PROFILE: "DEBUG"' >> equal.yaml
  run -0 compose-lint equal.yaml
  kms_compose differ.yaml debug
  echo '      KMS_POLICY_PROFILE: "locked-read-only"' >> differ.yaml
  run -1 compose-lint differ.yaml
  [ "$output" = "compose-lint: ERROR: differ.yaml:8: the deprecated KMS_POLICY_PROFILE is locked-read-only but MERO_KMS_PROFILE is debug: it must be absent or equal [profile-legacy]" ]
  printf 'services:\n  mero-kms:\n    environment:\n      KMS_POLICY_PROFILE: debug\n' > alone.yaml
  run -1 compose-lint alone.yaml
  [ "$output" = "compose-lint: ERROR: alone.yaml:4: KMS_POLICY_PROFILE is deprecated: set MERO_KMS_PROFILE (the KMS refuses the two when they differ) [profile-legacy]" ]
}

@test "the image's <version>-<profile> tag names the same profile (the longest profile name wins)" {
  kms_compose same.yaml debug-read-only
  sed -i "3s|.*|    image: $IMAGE:2.3.40-debug-read-only@$DIGEST_A|" same.yaml
  run -0 compose-lint same.yaml
  kms_compose differ.yaml debug
  sed -i "3s|.*|    image: $IMAGE:2.3.40-debug-read-only@$DIGEST_A|" differ.yaml
  run -1 compose-lint differ.yaml
  [ "$output" = "compose-lint: ERROR: differ.yaml:3: the image's tag names the profile debug-read-only, but MERO_KMS_PROFILE is debug [profile-image]" ]
  # a tag without a profile says nothing
  kms_compose plain.yaml debug
  sed -i "3s|.*|    image: $IMAGE:2.3.40@$DIGEST_A|" plain.yaml
  run -0 compose-lint plain.yaml
}

@test "the io.calimero.kms_profile label, where given, names the same profile" {
  kms_compose map.yaml locked-read-only
  printf '    labels:\n      io.calimero.kms_profile: debug\n' >> map.yaml
  run -1 compose-lint map.yaml
  [ "$output" = "compose-lint: ERROR: map.yaml:9: the label io.calimero.kms_profile is debug, but MERO_KMS_PROFILE is locked-read-only [profile-label]" ]
  kms_compose list.yaml locked-read-only
  printf '    labels:\n      - io.calimero.kms_profile=locked-read-only\n' >> list.yaml
  run -0 compose-lint list.yaml
  # without MERO_KMS_PROFILE the tag is the reference
  printf 'services:\n  mero-kms:\n    image: %s:2.3.40-debug\n    labels:\n      - io.calimero.kms_profile=prod\n' "$IMAGE" > tag.yaml
  run -1 compose-lint tag.yaml
  [ "$output" = "compose-lint: ERROR: tag.yaml:5: the label io.calimero.kms_profile is 'prod', not debug, debug-read-only or locked-read-only [profile-label]" ]
}

@test "one image per profile: a digest rendered for two profiles is an error naming both places" {
  kms_compose debug.yaml debug "$DIGEST_A"
  kms_compose locked.yaml locked-read-only "$DIGEST_A"
  kms_compose locked-again.yaml locked-read-only "$DIGEST_B"
  kms_compose locked-same.yaml locked-read-only "$DIGEST_B"
  run -1 compose-lint debug.yaml locked.yaml locked-again.yaml locked-same.yaml
  [ "$output" = "compose-lint: ERROR: locked.yaml:3: the image sha256:aaaaaaaaaaaa... is pinned here for locked-read-only and at debug.yaml:3 for debug: one image per profile (ADR-0001) [profile-digest]" ]
}

@test "the images file: three profiles, pinned, distinct, tags agreeing; each problem at its line" {
  mkdir none # a folder without YAML: only the images file is linted
  run -0 compose-lint --images "$CL/kms-images.json" none
  [ "$output" = "compose-lint: OK: 0 files checked (0 compose, 0 workflows), 0 skipped" ]
  run -1 compose-lint --images "$CL/kms-images.bad.json" none
  [ "${lines[0]}" = "compose-lint: ERROR: $CL/kms-images.bad.json:2: no image for the profile locked-read-only (one image per profile) [profile-digest]" ]
  [ "${lines[1]}" = "compose-lint: ERROR: $CL/kms-images.bad.json:4: the image sha256:aaaaaaaaaaaa... is pinned here for debug-read-only and at $CL/kms-images.bad.json:3 for debug: one image per profile (ADR-0001) [profile-digest]" ]
  [ "${lines[2]}" = "compose-lint: ERROR: $CL/kms-images.bad.json:5: 'production' is not a profile (debug, debug-read-only or locked-read-only) [profile-value]" ]
  [ "${#lines[@]}" -eq 3 ]
  # a rendered compose pinning another profile's image from the file
  kms_compose c.yaml locked-read-only "$DIGEST_A"
  run -1 compose-lint --images "$CL/kms-images.json" c.yaml
  [ "$output" = "compose-lint: ERROR: $CL/kms-images.json:3: the image sha256:aaaaaaaaaaaa... is pinned here for debug and at c.yaml:3 for locked-read-only: one image per profile (ADR-0001) [profile-digest]" ]
  printf '{\n  "images": {\n    "debug": "%s:2.3.40-locked-read-only@%s",\n    "debug-read-only": "%s:2.3.40",\n    "locked-read-only": "%s@%s"\n  }\n}\n' \
    "$IMAGE" "$DIGEST_A" "$IMAGE" "$IMAGE" "$DIGEST_C" > img.json
  run -1 compose-lint --images img.json none
  [ "${lines[0]}" = "compose-lint: ERROR: img.json:3: the image of debug has a tag naming the profile locked-read-only [profile-image]" ]
  [ "${lines[1]}" = "compose-lint: ERROR: img.json:4: the image of debug-read-only is not pinned by digest (name@sha256:<64 lower-case hex>) [profile-digest]" ]
  printf '{\n  "images": {\n    "debug": 1,\n}\n' > broken.json
  run --separate-stderr -65 compose-lint --images broken.json none
  [[ "$stderr" == "compose-lint: broken.json:4: malformed JSON: "* ]]
  [ -z "$output" ]
}

@test "workflows: MERO_KMS_PROFILE is a literal profile, a choice input of profiles or a matrix of profiles" {
  cat > wf.yaml <<'EOF'
on:
  workflow_dispatch:
    inputs:
      profile:
        type: choice
        options: [debug, debug-read-only, locked-read-only]
      free:
        type: string
jobs:
  a:
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        profile: [debug, locked-read-only]
        wrong: [debug, staging]
    env:
      MERO_KMS_PROFILE: ${{ matrix.profile }}
    steps:
      - run: make probe
        env:
          MERO_KMS_PROFILE: ${{ inputs.profile }}
      - run: make probe
        env:
          MERO_KMS_PROFILE: ${{ github.event.inputs.free }}
      - run: make probe
        env:
          MERO_KMS_PROFILE: ${{ matrix.wrong }}
      - run: make probe
        env:
          MERO_KMS_PROFILE: ${{ vars.PROFILE }}
      - run: |
          echo "MERO_KMS_PROFILE=production" >> "$GITHUB_ENV"
          echo "MERO_KMS_PROFILE=${PROFILE}" >> "$GITHUB_ENV"
          echo "KMS_POLICY_PROFILE=debug"
EOF
  run -1 compose-lint wf.yaml
  [ "$(findings)" -eq 4 ]
  [ "${lines[0]}" = "compose-lint: ERROR: wf.yaml:24: MERO_KMS_PROFILE comes from the input 'free', which is not a choice input whose options are debug, debug-read-only or locked-read-only [profile-value]" ]
  [ "${lines[1]}" = "compose-lint: ERROR: wf.yaml:27: MERO_KMS_PROFILE comes from matrix.wrong, whose values are not all one of debug, debug-read-only or locked-read-only [profile-value]" ]
  [ "${lines[2]}" = "compose-lint: ERROR: wf.yaml:30: MERO_KMS_PROFILE is set from '\${{ vars.PROFILE }}', which lint cannot resolve to debug, debug-read-only or locked-read-only: use a literal, a choice input or a matrix of profiles [profile-value]" ]
  [ "${lines[3]}" = "compose-lint: ERROR: wf.yaml:32: MERO_KMS_PROFILE is 'production', not debug, debug-read-only or locked-read-only [profile-value]" ]
}

@test "workflows: the env policy is an error in the env of a step that deploys a KMS, and in its script" {
  cat > wf.yaml <<EOF
on: workflow_dispatch
env:
  USE_ENV_POLICY: "true"
jobs:
  deploy:
    runs-on: ubuntu-24.04
    env:
      ALLOWED_MRTD: "abc"
    steps:
      - name: Deploy KMS
        run: docker compose -f compose.yaml up -d
        env:
          ALLOWED_RTMR0: "abc"
      - name: Deploy again
        run: |
          phala deploy --env-file kms.env
          docker run -e ALLOWED_TCB_STATUSES=uptodate $IMAGE@$DIGEST_A
EOF
  run -1 compose-lint wf.yaml
  [ "$(findings)" -eq 4 ]
  [ "${lines[0]}" = "compose-lint: ERROR: wf.yaml:3: USE_ENV_POLICY is set in the workflow env for the step 'Deploy KMS', which deploys a KMS: the env-policy escape hatch is banned for every profile (ADR-0002) [env-policy]" ]
  [ "${lines[1]}" = "compose-lint: ERROR: wf.yaml:8: ALLOWED_MRTD is set in the job env for the step 'Deploy KMS', which deploys a KMS: the env-policy escape hatch is banned for every profile (ADR-0002) [env-policy]" ]
  [ "${lines[2]}" = "compose-lint: ERROR: wf.yaml:13: ALLOWED_RTMR0 is set in the step env for the step 'Deploy KMS', which deploys a KMS: the env-policy escape hatch is banned for every profile (ADR-0002) [env-policy]" ]
  [ "${lines[3]}" = "compose-lint: ERROR: wf.yaml:17: the script of a step that deploys a KMS sets ALLOWED_TCB_STATUSES: the env-policy escape hatch is banned for every profile (ADR-0002) [env-policy]" ]
}

@test "workflows: ALLOWED_TCB_STATUSES as the probe's make knob is not the KMS's env policy" {
  cat > wf.yaml <<'EOF'
on: workflow_dispatch
jobs:
  probe:
    runs-on: ubuntu-24.04
    env:
      ALLOWED_TCB_STATUSES: UpToDate,OutOfDate
    steps:
      - run: make deps
      - name: Staging probe
        env:
          ALLOWED_TCB_STATUSES: UpToDate
          USE_ENV_POLICY: "true"
        run: |
          # make deploys only the rendered compose, which compose-render checks
          make probe PROFILE=debug ALLOWED_TCB_STATUSES=UpToDate
      - name: Unit tests of the env policy (no KMS deployed)
        env:
          USE_ENV_POLICY: "true"
          ALLOWED_MRTD: "abc"
        run: cargo test
EOF
  run -0 compose-lint wf.yaml
  [ "$output" = "compose-lint: OK: 1 files checked (0 compose, 1 workflows), 0 skipped" ]
}

@test "workflows: a job container or service running a mero-kms image gets no env policy" {
  cat > wf.yaml <<EOF
on: pull_request
jobs:
  it:
    runs-on: ubuntu-24.04
    services:
      kms:
        image: $IMAGE:2.3.40-debug@$DIGEST_A
        env:
          MERO_KMS_PROFILE: locked-read-only
          USE_ENV_POLICY: "1"
      redis:
        image: redis:7
        env:
          ALLOWED_MRTD: "not the KMS"
    steps:
      - run: make check
EOF
  run -1 compose-lint wf.yaml
  [ "$(findings)" -eq 2 ]
  [ "${lines[0]}" = "compose-lint: ERROR: wf.yaml:7: the image's tag names the profile debug, but MERO_KMS_PROFILE is locked-read-only [profile-image]" ]
  [ "${lines[1]}" = "compose-lint: ERROR: wf.yaml:10: USE_ENV_POLICY is set in the job service env for a mero-kms container: the env-policy escape hatch is banned for every profile (ADR-0002) [env-policy]" ]
}

@test "the skip list: a development override is skipped and reported; an entry needs a reason" {
  mkdir -p dev
  cp "$CL/dev-env-policy.compose.yaml" dev/override.yaml
  printf '# skipped\ndev/  development overrides (env policy for local runs)\n' > skip.conf
  run -0 compose-lint --skip-list skip.conf dev/override.yaml
  [ "${lines[0]}" = "compose-lint: SKIPPED: dev/override.yaml: listed in skip.conf:2: development overrides (env policy for local runs)" ]
  [ "${lines[1]}" = "compose-lint: OK: 0 files checked (0 compose, 0 workflows), 1 skipped" ]
  run -1 compose-lint dev/override.yaml
  [ "$(findings)" -eq 1 ]
  printf 'dev/*.yaml  a glob\n' > glob.conf
  run -0 compose-lint --skip-list glob.conf ./dev/override.yaml
  [[ "${lines[0]}" == "compose-lint: SKIPPED: dev/override.yaml: listed in glob.conf:1: a glob" ]]
  printf '\ndev/override.yaml\n' > bad.conf
  run --separate-stderr -78 compose-lint --skip-list bad.conf dev/override.yaml
  [ "$stderr" = "compose-lint: bad.conf:2: a skipped file needs a reason: PATTERN REASON..." ]
  [ -z "$output" ]
}

@test "without paths: the YAML files git lists (tracked and untracked, not ignored), with the default skip list" {
  mkdir repo && cd repo
  git init -q .
  mkdir -p policies deploy ignored
  printf 'deploy/dev.yaml  a development override\n' > policies/lint-skip.conf
  cp "$CL/dev-env-policy.compose.yaml" deploy/dev.yaml
  kms_compose deploy/prod.yml locked-read-only
  cp "$CL/dev-env-policy.compose.yaml" ignored/x.yaml
  echo 'ignored/' > .gitignore
  printf 'not: [yaml\n' > notes.txt
  run -0 compose-lint
  [ "${lines[0]}" = "compose-lint: SKIPPED: deploy/dev.yaml: listed in policies/lint-skip.conf:1: a development override" ]
  [ "${lines[1]}" = "compose-lint: OK: 1 files checked (1 compose, 0 workflows), 1 skipped" ]
  cd "$BATS_TEST_TMPDIR"
  mkdir plain && cd plain
  run --separate-stderr -66 compose-lint
  [[ "$stderr" == "compose-lint: cannot list the repository's files (name the files or folders to lint): git: fatal: not a git repository"* ]]
}

@test "malformed YAML: an error at its line, the other files still linted, exit 65" {
  printf 'services:\n  mero-kms:\n    environment: [\n' > broken.yaml
  kms_compose bad.yaml prod
  run --separate-stderr -65 compose-lint broken.yaml bad.yaml
  [ "${lines[0]}" = "compose-lint: ERROR: bad.yaml:7: MERO_KMS_PROFILE is 'prod', not debug, debug-read-only or locked-read-only [profile-value]" ]
  [[ "${lines[1]}" == "compose-lint: ERROR: broken.yaml:4: malformed YAML: "*" [yaml]" ]]
  [ "$stderr" = "compose-lint: 1 file is not YAML" ]
  run --separate-stderr -66 compose-lint no-such.yaml
  one_line
}

@test "--format github and json carry file, line and rule" {
  kms_compose bad.yaml prod
  run -1 compose-lint --format github bad.yaml
  [ "$output" = "::error file=bad.yaml,line=7,title=compose-lint profile-value::MERO_KMS_PROFILE is 'prod', not debug, debug-read-only or locked-read-only" ]
  run -1 compose-lint --format json bad.yaml
  [ "$(jq -c '.findings[0] | [.file, .line, .rule, .level]' <<<"$output")" = '["bad.yaml",7,"profile-value","error"]' ]
  [ "$(jq -c '[.ok, .compose_files, .workflows, .skipped]' <<<"$output")" = '[false,1,0,0]' ]
  run --separate-stderr -2 compose-lint --format sarif bad.yaml
  [ "$(sed -n 1p <<<"$stderr")" = "compose-lint: --format must be text, json or github (got 'sarif')" ]
}

@test "> /dev/full exits 74" {
  kms_compose ok.yaml debug
  run --separate-stderr -74 bash -c 'compose-lint ok.yaml > /dev/full'
  one_line
}
