#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# release-fetch against tests/lib/fake-github.py: a release by tag (drafts
# too) or the latest with a tag prefix, every asset or some, pagination, the
# listing of the latest tags, and the faults: 5xx and 429 answers, a dropped
# download, bytes that do not match the listing, names that must not be
# written.

load test_helper
load lib/fake-github

setup() {
  fake_github_start
  export GH_RELEASE_TOKEN="$GH_TOKEN_VALUE"
  unset GITHUB_TOKEN GH_TOKEN GITHUB_WAIT_MAX
  D="$BATS_TEST_TMPDIR/d"
}

teardown() { stop_servers; }

# release TAG [DRAFT] [PRERELEASE] ASSETS_JSON: a release of o/r
release() {
  gh_seed "$(jq -n --arg t "$1" --argjson d "$2" --argjson p "$3" --argjson a "$4" \
    '{repos: {"o/r": {releases: [{tag_name: $t, draft: $d, prerelease: $p, assets: $a}]}}}')"
}

@test "by tag: every asset into the folder, byte for byte, and a receipt; a draft is found too" {
  release mero-kms-v2.3.40 false false '[{"name": "a.json", "content": "{\"a\": 1}\n"}, {"name": "sums.txt", "content": "x\n"}]'
  run -0 --separate-stderr release-fetch --repo o/r --tag mero-kms-v2.3.40 --dir "$D"
  [ -z "$stderr" ]
  [ "$(jq -r '[.tag, .draft, .immutable, (.assets | map(.name + ":" + .result) | join(","))] | join(" ")' <<<"$output")" = \
    "mero-kms-v2.3.40 false false a.json:downloaded,sums.txt:downloaded" ]
  [ "$(cat "$D/a.json")" = '{"a": 1}' ]
  [ "$(jq -r '.assets[0] | [.size, .sha256, .path] | join(" ")' <<<"$output")" = "9 $(sha256sum < "$D/a.json" | cut -d' ' -f1) $D/a.json" ]
  # nothing but the two files: no temporary left
  [ "$(ls -A "$D" | tr '\n' ' ')" = "a.json sums.txt " ]
  # downloads go to the asset host without the token (it refuses tokens)
  gh_ctl GET /_fake/log | jq -e '[.[] | select(.host == "assets")] | length == 2 and all(.auth == "none")'
  release mero-tee-v1.0.0 true false '[{"name": "published-mrtds.json", "content": "{}\n"}]'
  run -0 release-fetch --repo o/r --tag mero-tee-v1.0.0 --dir "$D"
  [ "$(jq -r '[.draft, .assets[0].result] | join(" ")' <<<"$output")" = "true downloaded" ]
}

@test "--asset: only those; a missing one is 69, or absent with --if-exists; no release is 69" {
  release v1 false false '[{"name": "a.json", "content": "1\n"}, {"name": "b.json", "content": "2\n"}]'
  run -0 release-fetch --repo o/r --tag v1 --dir "$D" --asset b.json
  [ "$(jq -r '[.assets[].name] | join(" ")' <<<"$output")" = b.json ]
  [ ! -e "$D/a.json" ]
  run -69 --separate-stderr release-fetch --repo o/r --tag v1 --dir "$D" --asset b.json --asset c.json
  [ "$stderr" = "release-fetch: the release v1 of o/r has no asset 'c.json'" ]
  [ -z "$output" ]
  run -0 release-fetch --repo o/r --tag v1 --dir "$D" --asset c.json --asset a.json --if-exists
  [ "$(jq -r '[.assets[] | .name + ":" + .result + ":" + (.path // "-")] | join(" ")' <<<"$output")" = \
    "c.json:absent:- a.json:downloaded:$D/a.json" ]
  run -69 --separate-stderr release-fetch --repo o/r --tag v2 --dir "$D"
  [ "$stderr" = "release-fetch: o/r has no release with the tag 'v2', published or draft" ]
}

@test "--latest PREFIX: the most recently published release with the prefix, never a draft or a pre-release" {
  release mero-kms-v2.3.39 false false '[{"name": "p.json", "content": "39\n"}]'
  release mero-kms-v2.3.40 false false '[{"name": "p.json", "content": "40\n"}]'
  release mero-tee-v9.0.0 false false '[{"name": "p.json", "content": "tee\n"}]'
  release mero-kms-v2.4.0 true false '[{"name": "p.json", "content": "draft\n"}]'
  release mero-kms-v2.5.0-rc1 false true '[{"name": "p.json", "content": "pre\n"}]'
  run -0 release-fetch --repo o/r --latest mero-kms-v --dir "$D"
  [ "$(jq -r .tag <<<"$output")" = mero-kms-v2.3.40 ]
  [ "$(cat "$D/p.json")" = 40 ]
  run -69 --separate-stderr release-fetch --repo o/r --latest mero-node-v --dir "$D"
  [ "$stderr" = "release-fetch: o/r has no published release whose tag starts with 'mero-node-v'" ]
  run -0 --separate-stderr release-fetch --repo o/r --list 2 --prefix mero-
  [ "$output" = "mero-tee-v9.0.0
mero-kms-v2.3.40" ]
  run -0 release-fetch --repo o/r --list 10 --prefix mero-kms-v
  [ "$output" = "mero-kms-v2.3.40
mero-kms-v2.3.39" ]
}

@test "a 35-asset release is read over two pages and fetched whole" {
  gh_seed '{"repos": {"o/r": {"releases": [{"tag_name": "big", "generate_assets": 35}]}}}'
  run -0 release-fetch --repo o/r --tag big --dir "$D"
  [ "$(jq '.assets | length' <<<"$output")" -eq 35 ]
  [ "$(ls "$D" | wc -l)" -eq 35 ]
  [ "$(cat "$D/asset-0035.txt")" = "asset 35" ]
  gh_seed '{"settings": {"max_per_page": 20}}'
  : > "$GH_LOG"
  run -0 release-fetch --repo o/r --tag big --dir "$D" --asset asset-0034.txt
  [ "$(gh_requests | grep -c "^GET /repos/o/r/releases/[0-9]*/assets 200")" -eq 2 ]
}

@test "faults: a 500 and a 429 with Retry-After are retried; a dropped download starts again" {
  release v1 false false '[{"name": "a.json", "content": "{\"a\": 1}\n"}]'
  gh_fault '[{"action": "500", "path": "/releases/[0-9]+/assets$"}, {"action": "429", "retry_after": 1, "path": "/releases/assets/"},
             {"action": "close", "host": "assets"}]'
  run -0 --separate-stderr release-fetch --repo o/r --tag v1 --dir "$D"
  [ "$(cat "$D/a.json")" = '{"a": 1}' ]
  run -0 gh_requests
  assert_line --regexp '^GET /repos/o/r/releases/[0-9]+/assets 500$'
  assert_line --regexp '^GET /repos/o/r/releases/[0-9]+/assets 200$'
  assert_line --regexp '^GET /repos/o/r/releases/assets/[0-9]+ 429$'
  assert_line --regexp '^GET /asset/[0-9a-f]+ dropped$'
  assert_line --regexp '^GET /asset/[0-9a-f]+ 200$'
  [ "$(gh_ctl GET /_fake/log | jq '[.[] | select(.host == "assets")] | length')" -eq 2 ]
}

@test "bytes that do not match the listing (damaged, short) are never kept: 76, no file, no temporary" {
  release v1 false false '[{"name": "a.json", "content": "{\"a\": 1}\n"}]'
  gh_fault '{"action": "corrupt", "host": "assets", "times": -1}'
  run -76 --separate-stderr release-fetch --repo o/r --tag v1 --dir "$D"
  [[ "$stderr" == "release-fetch: asset 'a.json' of v1: its SHA-256 is "*", the release lists sha256:"*": nothing kept" ]]
  [ -z "$output" ]
  [ -z "$(ls -A "$D")" ]
  gh_ctl DELETE /_fake/faults
  gh_fault '{"action": "short", "host": "assets", "times": -1}'
  run -76 --separate-stderr release-fetch --repo o/r --tag v1 --dir "$D"
  [ "$stderr" = "release-fetch: asset 'a.json' of v1: 4 bytes arrived, the release lists 9: nothing kept" ]
  [ -z "$(ls -A "$D")" ]
  # the same bytes without a digest in the listing: the size still catches it
  gh_seed '{"settings": {"digest": false}}'
  run -76 release-fetch --repo o/r --tag v1 --dir "$D"
  gh_ctl DELETE /_fake/faults
  run -0 release-fetch --repo o/r --tag v1 --dir "$D"
  [ "$(cat "$D/a.json")" = '{"a": 1}' ]
}

@test "names that are not asset names and incomplete uploads are never written" {
  release v1 false false '[{"name": "../evil.json", "content": "x\n"}, {"name": "a b.json", "content": "y\n"},
    {"name": "part.bin", "size": 10, "state": "starter"}, {"name": "ok.json", "content": "z\n"}]'
  run -0 release-fetch --repo o/r --tag v1 --dir "$D"
  [ "$(jq -r '[.assets[] | .name + ":" + .result] | join(",")' <<<"$output")" = \
    "../evil.json:refused,a b.json:refused,part.bin:incomplete,ok.json:downloaded" ]
  [ "$(ls -A "$D")" = ok.json ]
  [ ! -e "$BATS_TEST_TMPDIR/evil.json" ]
}

@test "usage; a token refused is 77; without a token a public release is asked for anonymously" {
  run -2 --separate-stderr release-fetch --tag v1
  [ "${stderr_lines[0]}" = "release-fetch: --repo needs OWNER/NAME (letters, digits, '.', '_', '-')" ]
  run -2 --separate-stderr release-fetch --repo o/r
  [ "${stderr_lines[0]}" = "release-fetch: give one of --tag TAG, --latest PREFIX and --list N" ]
  run -2 --separate-stderr release-fetch --repo o/r --tag v1 --latest v
  [ "${stderr_lines[0]}" = "release-fetch: give one of --tag TAG, --latest PREFIX and --list N" ]
  run -2 --separate-stderr release-fetch --repo o/r --tag v1 --asset ../x
  [ "${stderr_lines[0]}" = "release-fetch: --asset '../x' is not an asset name (letters, digits, '.', '_', '-')" ]
  run -2 --separate-stderr release-fetch --repo o/r --list 0
  [ "${stderr_lines[0]}" = "release-fetch: --list needs a number from 1 to 1000 (got '0')" ]
  run -2 --separate-stderr release-fetch --repo o/r --list 3 --dir x
  [ "${stderr_lines[0]}" = "release-fetch: --list takes only --prefix" ]
  run -2 --separate-stderr release-fetch --repo o/r --tag 'v 1'
  [ "${stderr_lines[0]}" = "release-fetch: a tag or prefix without spaces or control characters, at most 255 bytes" ]
  [ "$(gh_requests | wc -l)" -eq 0 ]
  release v1 false false '[]'
  run -77 --separate-stderr env GH_RELEASE_TOKEN=ghp_wrong release-fetch --repo o/r --tag v1 --dir "$D"
  [[ "$stderr" == *"HTTP 401"* ]]
  [[ "$stderr" != *ghp_wrong* ]]
  # no token at all: the request goes without one (the fake, like a private repository, refuses it)
  run -77 env -u GH_RELEASE_TOKEN release-fetch --repo o/r --tag v1 --dir "$D"
  [ "$(gh_ctl GET /_fake/log | jq -r '.[-1].auth')" = none ]
  echo > "$BATS_TEST_TMPDIR/file"
  run -74 --separate-stderr release-fetch --repo o/r --tag v1 --dir "$BATS_TEST_TMPDIR/file"
  [ "$stderr" = "release-fetch: '$BATS_TEST_TMPDIR/file' is not a folder" ]
}

@test "--if-exists: no release at all is a receipt without a release, not an error" {
  gh_seed '{"repos": {"o/r": {}}}'
  run -0 --separate-stderr release-fetch --repo o/r --tag mero-tee-v1.0.0 --dir "$D" --asset published-mrtds.json --if-exists
  [ "$(jq -c '[.release_id, .tag, .assets]' <<<"$output")" = '[null,"mero-tee-v1.0.0",[{"name":"published-mrtds.json","path":null,"result":"absent","sha256":null,"size":null}]]' ]
  [ -z "$(ls -A "$D")" ]
  # --latest finds nothing: still 69
  run -69 release-fetch --repo o/r --latest mero-kms-v --if-exists
}
