#!/usr/bin/env bats
# compose-render: the KMS compose template rendered, with its guard checks.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:198a5c6d6dc285076c9011394fd2e4c176d6001e72ef9e64e2849a9b5a5794a3

setup() {
  # the golden rendering lives beside the compose-hash fixtures, whose hash it is
  C="$FIX/compose-hash"
  TPL="$ROOT/policies/kms-compose.template.yaml"
  T="$BATS_TEST_TMPDIR"
  unset IMAGE_REF SERVICE_PORT MERO_KMS_VERSION MERO_KMS_PROFILE
}

render() { compose-render --template "$TPL" "$@"; }

@test "golden output of the shipped template, and its hash" {
  render --image-ref "$IMG" --port 8443 --kms-version 2.3.40 --profile locked-read-only > "$T/out.yaml"
  cmp "$T/out.yaml" "$C/kms-compose.locked-read-only.yaml"
  assert_equal "$(compose-hash < "$T/out.yaml")" "$(cat "$C/kms-compose.locked-read-only.yaml.sha256")"
  grep -qx '      MERO_KMS_PROFILE: "locked-read-only"' "$T/out.yaml"
  grep -qx "    image: $IMG" "$T/out.yaml"
  grep -qx '      - "8443:8080"' "$T/out.yaml"
  grep -qx '      MERO_KMS_VERSION: "2.3.40"' "$T/out.yaml"
}

@test "values from the environment; options win; stdin is the default template; the profile in any case" {
  IMAGE_REF=$IMG SERVICE_PORT=8443 MERO_KMS_VERSION=2.3.40 MERO_KMS_PROFILE=locked-read-only \
    compose-render < "$TPL" > "$T/env.yaml"
  cmp "$T/env.yaml" "$C/kms-compose.locked-read-only.yaml"
  MERO_KMS_PROFILE=debug render --image-ref "$IMG" --kms-version 2.3.40 --profile debug-read-only > "$T/opt.yaml"
  grep -qx '      MERO_KMS_PROFILE: "debug-read-only"' "$T/opt.yaml"
  grep -qx '      - "8080:8080"' "$T/opt.yaml"
  # the profile is matched whole and case-insensitively, and rendered in its own spelling
  render --image-ref "$IMG" --port 8443 --kms-version 2.3.40 --profile Locked-Read-Only > "$T/case.yaml"
  cmp "$T/case.yaml" "$C/kms-compose.locked-read-only.yaml"
  # each profile renders (and hashes) differently
  a=$(render --image-ref "$IMG" --kms-version 2.3.40 --profile debug | compose-hash)
  b=$(render --image-ref "$IMG" --kms-version 2.3.40 --profile locked-read-only | compose-hash)
  assert [ "$a" != "$b" ]
}

@test "mutable images, missing version or profile, bad values: exit 1 with the reason, nothing on stdout" {
  d=${IMG#*@}
  declare -A want=(
    ["--image-ref ghcr.io/calimero-network/mero-kms-phala:latest --kms-version 2.3.40 --profile debug"]="refused: image reference 'ghcr.io/calimero-network/mero-kms-phala:latest' uses the mutable tag latest and no digest (name@sha256:<64 hex>)"
    ["--image-ref ghcr.io/calimero-network/mero-kms-phala:2.3.40 --kms-version 2.3.40 --profile debug"]="refused: image reference 'ghcr.io/calimero-network/mero-kms-phala:2.3.40' is not pinned by digest (name@sha256:<64 hex>)"
    ["--image-ref ghcr.io/x/kms:latest@$d --kms-version 2.3.40 --profile debug"]="refused: image reference 'ghcr.io/x/kms:latest@$d' uses the mutable tag latest"
    ["--image-ref ghcr.io/x/kms@${d^^} --kms-version 2.3.40 --profile debug"]="refused: image reference 'ghcr.io/x/kms@${d^^}' is not pinned by digest (name@sha256:<64 hex>)"
    ["--image-ref $IMG --profile debug"]="refused: no KMS version (--kms-version or MERO_KMS_VERSION)"
    ["--image-ref $IMG --kms-version 2.3.40"]="refused: no profile (--profile or MERO_KMS_PROFILE)"
    ["--image-ref $IMG --kms-version 2.3.40 --profile production"]="refused: unknown profile 'production' (debug, debug-read-only or locked-read-only)"
    ["--image-ref $IMG --kms-version 2.3.40 --profile debug-read-only-x"]="refused: unknown profile 'debug-read-only-x' (debug, debug-read-only or locked-read-only)"
    ["--image-ref $IMG --kms-version 2.3.40 --profile debug --port 70000"]="refused: service port '70000' is not a number from 1 to 65535"
    ["--image-ref $IMG --kms-version 2.3.40 --profile debug --port 0"]="refused: service port '0' is not a number from 1 to 65535"
    ["--image-ref $IMG --kms-version 1/2 --profile debug"]="refused: KMS version '1/2' is not a version (X.Y.Z, optionally -pre or +build; a mero-kms-v prefix is allowed)"
    ["--image-ref $IMG --kms-version 2.3 --profile debug"]="refused: KMS version '2.3' is not a version (X.Y.Z, optionally -pre or +build; a mero-kms-v prefix is allowed)"
    ["--kms-version 2.3.40 --profile debug"]="refused: no image reference (--image-ref or IMAGE_REF)"
  )
  for args in "${!want[@]}"; do
    eval "run -1 --separate-stderr render $args"
    one_line
    assert_equal "$stderr" "compose-render: ${want[$args]}"
  done
  # a quote in a value is refused before it reaches the file
  run -1 --separate-stderr render --image-ref "ghcr.io/x/k'\"@$d" --kms-version 2.3.40 --profile debug
  one_line
  assert_equal "$stderr" "compose-render: refused: image reference 'ghcr.io/x/k'\"@$d' contains a space, quote or \$"
  run -1 --separate-stderr render --image-ref "$IMG" --kms-version "2.3.40'; touch x" --profile debug
  one_line
  # a version with a prefix or a suffix is one
  render --image-ref "$IMG" --kms-version mero-kms-v2.3.40-rc.1 --profile debug > "$T/rc.yaml"
  grep -qx '      MERO_KMS_VERSION: "mero-kms-v2.3.40-rc.1"' "$T/rc.yaml"
}

@test "legacy env-policy fields, unrendered placeholders and unpinned settings are refused" {
  ok=(--image-ref "$IMG" --kms-version 2.3.40 --profile debug)
  declare -A want=(
    ['      USE_ENV_POLICY: "true"']="line 21 sets the legacy env-policy field USE_ENV_POLICY"
    ['      ALLOWED_TCB_STATUSES: uptodate']="line 21 sets the legacy env-policy field ALLOWED_TCB_STATUSES"
    ['      - ALLOWED_MRTD=abcd']="line 21 sets the legacy env-policy field ALLOWED_MRTD"
    ['      "ALLOWED_RTMR2": ""']="line 21 sets the legacy env-policy field ALLOWED_RTMR*"
    ['      EXTRA: __NODE_URL__']="line 21 keeps the placeholder __NODE_URL__"
    ['    image: redis:7']="line 21: image 'redis:7' is not pinned by digest (name@sha256:<64 hex>)"
  )
  for extra in "${!want[@]}"; do
    { cat "$TPL"; printf '%s\n' "$extra"; } > "$T/tpl.yaml"
    run -1 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
    one_line
    case "$stderr" in
      "compose-render: refused: ${want[$extra]}"*) ;;
      *) fail "unexpected message: $stderr" ;;
    esac
  done
  # a comment naming a legacy field is not a setting
  { cat "$TPL"; echo '      # USE_ENV_POLICY and ALLOWED_MRTD are gone since 2.3 (ADR-0002)'; } > "$T/tpl.yaml"
  run -0 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
  assert_line '      # USE_ENV_POLICY and ALLOWED_MRTD are gone since 2.3 (ADR-0002)'
  # a template that leaves the version to deploy-time interpolation, or does not set it
  sed 's/"__MERO_KMS_VERSION__"/"${KMS_VERSION}"/' "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-render: refused: line 17: MERO_KMS_VERSION is interpolated at deploy time"
  sed 's/"__MERO_KMS_VERSION__"/""/' "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-render: refused: line 17: MERO_KMS_VERSION is empty"
  grep -v MERO_KMS_PROFILE "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-render: refused: the compose file does not set MERO_KMS_PROFILE"
  grep -v 'image:' "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-render: refused: the compose file names no image"
}

@test "an empty or binary template 65, a missing or directory template 66, a write error 74" {
  ok=(--image-ref "$IMG" --kms-version 2.3.40 --profile debug)
  run -65 --separate-stderr compose-render "${ok[@]}" < /dev/null
  one_line
  assert_equal "$stderr" "compose-render: empty template"
  printf 'a\0b' > "$T/bin.yaml"
  run -65 --separate-stderr compose-render --template "$T/bin.yaml" "${ok[@]}"
  one_line
  run -66 --separate-stderr compose-render --template "$T/none.yaml" "${ok[@]}"
  one_line
  mkdir "$T/dir"
  run -66 --separate-stderr compose-render --template "$T/dir" "${ok[@]}"
  one_line
  assert_equal "$stderr" "compose-render: cannot read '$T/dir': not a regular file (a directory)"
  run -74 --separate-stderr bash -c 'compose-render --template "$1" "${@:2}" > /dev/full' _ "$TPL" "${ok[@]}"
  one_line
}
