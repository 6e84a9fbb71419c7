#!/usr/bin/env bats
# compose-hash: SHA-256 of the exact compose bytes, --check, --event-log, --render.

load test_helper

IMG=ghcr.io/calimero-network/mero-kms-phala@sha256:198a5c6d6dc285076c9011394fd2e4c176d6001e72ef9e64e2849a9b5a5794a3

setup() {
  C="$FIX/compose-hash"
  TPL="$ROOT/policies/kms-compose.template.yaml"
  SIM="$VEC/dstack/sdk/simulator"
  T="$BATS_TEST_TMPDIR"
  unset IMAGE_REF SERVICE_PORT MERO_KMS_VERSION MERO_KMS_PROFILE
}

# an event log whose compose-hash runtime event carries $1 (digest left to be computed)
log_with_hash() {
  jq --arg h "$1" '(.[] | select(.event == "compose-hash")) |= (.event_payload = $h | .digest = "")' "$SIM/eventlog.json"
}

render() { compose-hash --render --template "$TPL" "$@"; }

@test "--help exits 0 and names the modes" {
  run -0 --separate-stderr compose-hash --help
  assert_line --index 0 --partial 'usage: compose-hash [--check HEX]'
  assert_output --partial '--render'
  assert_output --partial '__MERO_KMS_PROFILE__'
}

@test "--version prints the version" {
  run -0 compose-hash --version
  assert_output --regexp '^compose-hash [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "bad flags and option mixes exit 2 with usage" {
  run -2 --separate-stderr compose-hash --frobnicate
  assert_equal "${stderr_lines[1]}" "usage: compose-hash [--check HEX] [--event-log FILE] < COMPOSE > HASH"
  run -2 --separate-stderr compose-hash --check abc
  assert_equal "${stderr_lines[0]}" "compose-hash: --check needs 64 hex digits, not 'abc'"
  run -2 --separate-stderr compose-hash --render --check "$(printf '0%.0s' {1..64})"
  assert_equal "${stderr_lines[0]}" "compose-hash: --render does not combine with --check or --event-log"
  run -2 --separate-stderr compose-hash --image-ref "$IMG"
  assert_equal "${stderr_lines[0]}" "compose-hash: --template, --image-ref, --port, --kms-version and --profile need --render"
  run -2 --separate-stderr compose-hash extra
  assert_equal "${stderr_lines[0]}" "compose-hash: unexpected argument 'extra'"
}

@test "golden: the hash of the exact bytes of a compose YAML and an app-compose.json" {
  for f in kms-compose.locked-read-only.yaml app-compose.json; do
    run -0 --separate-stderr compose-hash < "$C/$f"
    assert_output "$(cat "$C/$f.sha256")"
    assert_output "$(sha256sum < "$C/$f" | cut -c1-64)"
  done
  assert_equal "$(cat "$C/app-compose.json.sha256")" 2c34e67e69db8fa515c6e65f491a2a59a6baa59e2f2d587a933f6d3c584f3a16
}

@test "no re-serialisation: the same app-compose in another serialiser's form hashes differently" {
  jq -S --indent 4 . "$C/app-compose.json" > "$T/pretty.json"
  printf '\n' | cat "$C/app-compose.json" - > "$T/newline.json"
  a=$(compose-hash < "$C/app-compose.json")
  b=$(compose-hash < "$T/pretty.json")
  c=$(compose-hash < "$T/newline.json")
  assert [ "$a" != "$b" ]
  assert [ "$a" != "$c" ]
  assert_equal "$b" "$(sha256sum < "$T/pretty.json" | cut -c1-64)"
  # the same document all the same
  assert_equal "$(jq -cS . "$T/pretty.json")" "$(jq -cS . "$C/app-compose.json")"
}

@test "--check: a match prints the hash, a mismatch exits 1 with nothing on stdout" {
  h=$(cat "$C/app-compose.json.sha256")
  run -0 --separate-stderr compose-hash --check "$h" < "$C/app-compose.json"
  assert_output "$h"
  run -0 --separate-stderr compose-hash --check "${h^^}" < "$C/app-compose.json"
  assert_output "$h"
  run -1 --separate-stderr compose-hash --check "$h" < "$C/kms-compose.locked-read-only.yaml"
  one_line
  assert_equal "$stderr" "compose-hash: compose hash $(cat "$C/kms-compose.locked-read-only.yaml.sha256") differs from the expected $h"
}

@test "--event-log: the compose-hash event carries the hash (also inside an /attest response)" {
  h=$(cat "$C/app-compose.json.sha256")
  log_with_hash "$h" > "$T/log.json"
  jq '{quoteB64: "", eventLog: .}' "$T/log.json" > "$T/resp.json"
  run -0 --separate-stderr compose-hash --event-log "$T/log.json" < "$C/app-compose.json"
  assert_output "$h"
  run -0 --separate-stderr compose-hash --event-log "$T/resp.json" --check "$h" < "$C/app-compose.json"
  assert_output "$h"
}

@test "--event-log: another hash, no compose-hash event, a bad digest, a bad or missing log" {
  run -1 --separate-stderr compose-hash --event-log "$SIM/eventlog.json" < "$C/app-compose.json"
  one_line
  assert_equal "$stderr" "compose-hash: event log '$SIM/eventlog.json': compose-hash event 22 carries ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b, not $(cat "$C/app-compose.json.sha256")"
  jq 'map(select(.event != "compose-hash"))' "$SIM/eventlog.json" > "$T/none.json"
  run -1 --separate-stderr compose-hash --event-log "$T/none.json" < "$C/app-compose.json"
  assert_equal "$stderr" "compose-hash: event log '$T/none.json' has no compose-hash runtime event in IMR 3"
  jq '(.[] | select(.event == "compose-hash") | .event_payload) = "'"$(cat "$C/app-compose.json.sha256")"'"' "$SIM/eventlog.json" > "$T/stale.json"
  run -1 --separate-stderr compose-hash --event-log "$T/stale.json" < "$C/app-compose.json"
  assert_regex "$stderr" "^compose-hash: event log '.*': event 22 'compose-hash' \(IMR 3\): recorded digest [0-9a-f]{96} differs from the computed V1 digest [0-9a-f]{96}$"
  echo '[{"imr":9,"event_type":1,"digest":""}]' > "$T/bad.json"
  run -65 --separate-stderr compose-hash --event-log "$T/bad.json" < "$C/app-compose.json"
  one_line
  assert_equal "$stderr" "compose-hash: cannot parse event log '$T/bad.json': event 0: unknown IMR 9 (0-3 are RTMR0-3)"
  run -66 --separate-stderr compose-hash --event-log "$T/missing.json" < "$C/app-compose.json"
  one_line
}

@test "--render: golden output of the shipped template, and its hash" {
  run -0 --separate-stderr render --image-ref "$IMG" --port 8443 --kms-version 2.3.40 --profile locked-read-only
  render --image-ref "$IMG" --port 8443 --kms-version 2.3.40 --profile locked-read-only > "$T/out.yaml"
  cmp "$T/out.yaml" "$C/kms-compose.locked-read-only.yaml"
  assert_equal "$(compose-hash < "$T/out.yaml")" "$(cat "$C/kms-compose.locked-read-only.yaml.sha256")"
  grep -qx '      MERO_KMS_PROFILE: "locked-read-only"' "$T/out.yaml"
  grep -qx "    image: $IMG" "$T/out.yaml"
}

@test "--render: values from the environment; options win; stdin is the default template" {
  IMAGE_REF=$IMG SERVICE_PORT=8443 MERO_KMS_VERSION=2.3.40 MERO_KMS_PROFILE=locked-read-only \
    compose-hash --render < "$TPL" > "$T/env.yaml"
  cmp "$T/env.yaml" "$C/kms-compose.locked-read-only.yaml"
  MERO_KMS_PROFILE=debug render --image-ref "$IMG" --kms-version 2.3.40 --profile debug-read-only > "$T/opt.yaml"
  grep -qx '      MERO_KMS_PROFILE: "debug-read-only"' "$T/opt.yaml"
  grep -qx '      - "8080:8080"' "$T/opt.yaml"
  # each profile renders (and hashes) differently
  a=$(render --image-ref "$IMG" --kms-version 2.3.40 --profile debug | compose-hash)
  b=$(render --image-ref "$IMG" --kms-version 2.3.40 --profile locked-read-only | compose-hash)
  assert [ "$a" != "$b" ]
}

@test "--render refuses mutable images, missing version or profile, bad values: exit 1 with the reason" {
  d=${IMG#*@}
  declare -A want=(
    ["--image-ref ghcr.io/calimero-network/mero-kms-phala:latest --kms-version 1 --profile debug"]="refused: image reference 'ghcr.io/calimero-network/mero-kms-phala:latest' uses the mutable tag latest and no digest (name@sha256:<64 hex>)"
    ["--image-ref ghcr.io/calimero-network/mero-kms-phala:2.3.40 --kms-version 1 --profile debug"]="refused: image reference 'ghcr.io/calimero-network/mero-kms-phala:2.3.40' is not pinned by digest (name@sha256:<64 hex>)"
    ["--image-ref ghcr.io/x/kms:latest@$d --kms-version 1 --profile debug"]="refused: image reference 'ghcr.io/x/kms:latest@$d' uses the mutable tag latest"
    ["--image-ref ghcr.io/x/kms@${d^^} --kms-version 1 --profile debug"]="refused: image reference 'ghcr.io/x/kms@${d^^}' is not pinned by digest (name@sha256:<64 hex>)"
    ["--image-ref $IMG --profile debug"]="refused: no KMS version (--kms-version or MERO_KMS_VERSION)"
    ["--image-ref $IMG --kms-version 1"]="refused: no profile (--profile or MERO_KMS_PROFILE)"
    ["--image-ref $IMG --kms-version 1 --profile production"]="refused: unknown profile 'production' (debug, debug-read-only or locked-read-only)"
    ["--image-ref $IMG --kms-version 1 --profile debug --port 70000"]="refused: service port '70000' is not a number from 1 to 65535"
    ["--image-ref $IMG --kms-version 1/2 --profile debug"]="refused: KMS version '1/2' has a character other than letters, digits and .-+_"
    ["--kms-version 1 --profile debug"]="refused: no image reference (--image-ref or IMAGE_REF)"
  )
  for args in "${!want[@]}"; do
    eval "run -1 --separate-stderr render $args"
    one_line
    assert_equal "$stderr" "compose-hash: ${want[$args]}"
  done
}

@test "--render refuses legacy env-policy fields, unrendered placeholders and unpinned settings" {
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
    run -1 --separate-stderr compose-hash --render --template "$T/tpl.yaml" "${ok[@]}"
    one_line
    case "$stderr" in
      "compose-hash: refused: ${want[$extra]}"*) ;;
      *) fail "unexpected message: $stderr" ;;
    esac
  done
  # a comment naming a legacy field is not a setting
  { cat "$TPL"; echo '      # USE_ENV_POLICY and ALLOWED_MRTD are gone since 2.3 (ADR-0002)'; } > "$T/tpl.yaml"
  run -0 --separate-stderr compose-hash --render --template "$T/tpl.yaml" "${ok[@]}"
  assert_line '      # USE_ENV_POLICY and ALLOWED_MRTD are gone since 2.3 (ADR-0002)'
  # a template that leaves the version to deploy-time interpolation, or does not set it
  sed 's/"__MERO_KMS_VERSION__"/"${KMS_VERSION}"/' "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-hash --render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-hash: refused: line 17: MERO_KMS_VERSION is interpolated at deploy time"
  grep -v MERO_KMS_PROFILE "$TPL" > "$T/tpl.yaml"
  run -1 --separate-stderr compose-hash --render --template "$T/tpl.yaml" "${ok[@]}"
  assert_equal "$stderr" "compose-hash: refused: the compose file does not set MERO_KMS_PROFILE"
}

@test "empty input exits 65, a missing template 66, a write error 74" {
  run -65 --separate-stderr compose-hash < /dev/null
  one_line
  assert_equal "$stderr" "compose-hash: empty compose file"
  run -66 --separate-stderr render --template "$T/none.yaml" --image-ref "$IMG" --kms-version 1 --profile debug
  one_line
  run -74 --separate-stderr bash -c 'compose-hash < "$1" > /dev/full' _ "$C/app-compose.json"
  assert_equal "$(nlines "$stderr")" 1
}
