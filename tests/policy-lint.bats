#!/usr/bin/env bats
# policy-lint: every rule with the line and column it points at, the formats,
# --release over the three files, and the repository's own policies.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

setup() {
  T="$BATS_TEST_TMPDIR"
  R="$FIX/policy-lint/release"
  mkdir -p "$T/rel"
  cp "$R"/*.json "$T/rel/"
  H=$(printf 'ab%.0s' $(seq 48))
}

# mutate PROFILE JQ: apply JQ to the release set's file of PROFILE (in $T/rel), canonical as policy-merge writes it
mutate() {
  local f="$T/rel/kms-phala-attestation-policy.$1.json"
  jq -S "$2" "$f" > "$f.new" && mv "$f.new" "$f"
}
# lint PROFILE [ARGS...]: policy-lint on that file of the set
lint() {
  local p=$1
  shift
  run --separate-stderr policy-lint "$@" "$T/rel/kms-phala-attestation-policy.$p.json"
}
# at FILE REGEX [SKIP]: "LINE:COL" of the first match of REGEX in FILE, SKIP characters
# further on (columns in characters)
at() { LC_ALL=C.UTF-8 awk -v re="$2" -v skip="${3:-0}" 'match($0, re) { print NR ":" RSTART + skip; exit }' "$1"; }
# finding FILE LINECOL SEVERITY MESSAGE RULE: the text line expected
finding() { printf '%s:%s: %s: %s [%s]' "$1" "$2" "$3" "$4" "$5"; }

@test "the repository's own policies pass, and the legacy file is the locked file's copy" {
  cd "$ROOT"
  run -0 --separate-stderr policy-lint policies/kms-phala-attestation-policy.debug.json \
    policies/kms-phala-attestation-policy.debug-read-only.json \
    policies/kms-phala-attestation-policy.locked-read-only.json policies/kms-phala-attestation-policy.json
  [[ "$output" != *": error: "* ]]
  [[ "$output" != *": warning: "* ]]
  cmp policies/kms-phala-attestation-policy.json policies/kms-phala-attestation-policy.locked-read-only.json
  # the shape of the upstream release, completed
  for p in debug debug-read-only locked-read-only; do
    f=policies/kms-phala-attestation-policy.$p.json
    assert_equal "$(jq -c '[.schema_version, .role, .profile, .tag, .merod_config_path, .policy_registry_entry_path]' "$f")" \
      "[1,\"kms\",\"$p\",\"2.3.40\",\"tee.kms.phala.attestation\",\"release-probe+node\"]"
    assert_equal "$(jq -c '.measurement_markers | keys' "$f")" '["kms_role","node_profile_key","node_role","node_root_hash_key"]'
    assert_equal "$(jq -c '.policy | keys | length' "$f")" 13
    assert_equal "$(jq -c '.source | keys' "$f")" '["ref","repository","workflow"]'
    diff <(jq -S . "$f") "$f"
  done
}

@test "make lint-policies rewrites the legacy copy when it differs, then lints the four files" {
  # a copy of the tree with its build (times kept: nothing is rebuilt), to change the legacy file in
  mkdir "$T/repo"
  tar -C "$ROOT" --exclude=./.git --exclude=./artifacts --exclude=./build/fuzz --exclude=./bench/cache -cf - . | tar -C "$T/repo" -xf -
  cd "$T/repo"
  echo '{}' > policies/kms-phala-attestation-policy.json
  run -0 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL make -s lint-policies SAN="${SAN:-0}"
  [[ "$output" != *"  CC "* ]]
  cmp policies/kms-phala-attestation-policy.json policies/kms-phala-attestation-policy.locked-read-only.json
  assert_equal "$(grep -c '\[empty-list\]' <<<"$output")" 4
  [ "${stderr_lines[-1]}" = "policy-lint: 0 errors, 0 warnings, 4 notices in 4 files" ]
  run -0 env -u MAKEFLAGS -u MAKELEVEL make -s lint-policies SAN="${SAN:-0}" LINT_FORMAT=json
  assert_equal "$(jq -r .files <<<"$output")" 4
  run -2 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL make -s lint-policies LINT_FORMAT='$(shell touch pwned)'
  [ ! -e pwned ]
  [[ "$stderr" == *"LINT_FORMAT must be one of: text json github"* ]]
}

@test "the release set passes --release; warnings do not fail" {
  run -0 --separate-stderr policy-lint --release "$T"/rel/*.json
  assert_equal "$(grep -c ': warning: ' <<<"$output")" 2
  assert_equal "$stderr" "policy-lint: 0 errors, 2 warnings, 0 notices in 4 files"
}

@test "json-syntax: a file that is not JSON exits 65, pointed at where jq stopped; the other files are still linted" {
  printf '{\n  "a": [1,\n  }\n' > "$T/bad.json"
  run -65 --separate-stderr policy-lint "$T/bad.json" "$T/rel/kms-phala-attestation-policy.debug.json"
  assert_line --index 0 --regexp "^$T/bad.json:3:3: error: not JSON: .* \[json-syntax\]$"
  assert_line --index 1 --partial '[provenance-simulated]'
  assert_equal "${stderr_lines[0]%%:*}" policy-lint
  [[ "${stderr_lines[0]}" == "policy-lint: cannot parse '$T/bad.json': "* ]]
  run -65 --separate-stderr policy-lint < /dev/null
  assert_output --partial '-:1:1: error: not JSON'
  # what jq 1.6 accepts but mero-kms's parser (serde_json) refuses is no policy file either
  printf '{\n  "a": nan\n}\n' > "$T/nan.json"
  run -65 --separate-stderr policy-lint "$T/nan.json"
  assert_output "$T/nan.json:2:8: error: not strict JSON (mero-kms's parser refuses it): not a JSON literal or number at line 2, column 8 [json-syntax]"
  printf '{"a": "x\001", "b": "\\ud800"}' > "$T/ctl.json"
  run -65 policy-lint "$T/ctl.json"
  assert_output --partial "ctl.json:1:10: error: not JSON: Invalid string: control characters"
  for t in '["\\udc00"]' '["\xff"]' '[01]'; do
    printf "$t" > "$T/lax.json"
    run -65 policy-lint "$T/lax.json"
    assert_output --partial "error: not strict JSON (mero-kms's parser refuses it): "
  done
}

@test "duplicate-key: the ignored occurrence is pointed at" {
  printf '{\n  "role": "node",\n  "tag": "2.3.40",\n  "role": "kms"\n}\n' > "$T/dup.json"
  run -1 --separate-stderr policy-lint "$T/dup.json"
  assert_line "$(finding "$T/dup.json" 2:3 error '.role appears again at line 4: this value is ignored' duplicate-key)"
  # a key in two different objects is no duplicate
  run -0 --separate-stderr policy-lint "$T/rel/kms-phala-attestation-policy.debug.json"
  refute_output --partial duplicate-key
}

@test "required-field, field-type, schema-version, role, tag, timestamp, constant" {
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  mutate debug 'del(.kms.provider) | .schema_version = 2 | .role = "node" | .tag = "mero-kms-v2.3.40"
    | .generated_at = "yesterday" | .kms.default_binding_hex = "00" | .source = "x" | .merod_config_path = 7'
  lint debug
  [ "$status" -eq 1 ]
  assert_line "$(finding "$f" "$(at "$f" '"kms": ' 7)" error '.kms.provider is missing (a string)' required-field)"
  assert_line "$(finding "$f" "$(at "$f" '^  "source": ' 12)" error '.source must be an object, not a string' field-type)"
  assert_line "$(finding "$f" "$(at "$f" '"merod_config_path": ' 21)" error '.merod_config_path must be a string, not a number' field-type)"
  assert_line "$(finding "$f" "$(at "$f" '"schema_version": ' 18)" error 'schema_version is 2, not 1' schema-version)"
  assert_line --partial ": error: role is 'node': mero-kms loads only role \"kms\" [role]"
  assert_line --partial ": error: tag 'mero-kms-v2.3.40' is not a bare version such as 2.3.40"
  assert_line --partial ": error: generated_at 'yesterday' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ) [timestamp]"
  assert_line --partial ": error: .kms.default_binding_hex is '00', the release writes '2323feace9fd1751a89ab2bebb8aba145f343a3688e3d1655ed428eb0766e396' [constant]"
  for t in 2.3 v2.3.40 "2.3.40 "; do
    mutate debug ".tag = \"$t\" | .schema_version = 1 | .role = \"kms\""
    lint debug
    assert_line --partial ": error: tag '$t' is not a bare version"
  done
}

@test "profile: one of the three, lower-case, and the one the file name carries" {
  mutate debug '.profile = "Debug"'
  lint debug
  [ "$status" -eq 1 ]
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  assert_line "$(finding "$f" "$(at "$f" '"Debug"')" error "profile 'Debug' is not debug, debug-read-only or locked-read-only (lower-case)" profile)"
  mutate debug '.profile = "locked-read-only"'
  lint debug
  assert_line --partial ": error: profile is 'locked-read-only' but the file name says 'debug' [profile]"
  cp "$R/kms-phala-attestation-policy.debug.json" "$T/kms-phala-attestation-policy.prod.json"
  run -1 --separate-stderr policy-lint "$T/kms-phala-attestation-policy.prod.json"
  assert_line --partial ": error: the file name names profile 'prod', which is not debug, debug-read-only or locked-read-only [profile]"
  # a name without a profile: only the value is checked
  cp "$R/kms-phala-attestation-policy.debug.json" "$T/candidate.json"
  run -0 policy-lint "$T/candidate.json"
}

@test "unknown-field and legacy-fallback point at the key" {
  mutate debug '.extra = 1 | .kms.more = true | .policy.allowed_mrtd = []'
  lint debug
  [ "$status" -eq 1 ]
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  assert_line "$(finding "$f" "$(at "$f" '"extra"')" warning '.extra is not part of the policy file'"'"'s shape' unknown-field)"
  assert_line "$(finding "$f" "$(at "$f" '"more"')" warning '.kms.more is not part of the policy file'"'"'s shape' unknown-field)"
  assert_line "$(finding "$f" "$(at "$f" '"allowed_mrtd"')" error '.policy.allowed_mrtd: mero-kms reads it whenever node_allowed_mrtd is missing; remove it' legacy-fallback)"
}

@test "entry-type, measurement-hex, event-payload-hex, duplicate-value: at the entry, saying what mero-kms makes of it" {
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  mutate debug '.policy.kms_allowed_rtmr0 += [7] | .policy.node_allowed_mrtd = ["0x'"${H^^}"'", "'"$H"'", " '"$H"'", "'"${H:2}"'"]
    | .policy.kms_allowed_event_payload += ["'"$H"'"]'
  lint debug
  [ "$status" -eq 1 ]
  assert_line "$(finding "$f" "$(at "$f" ' 7$' 1)" error '.policy.kms_allowed_rtmr0[1] is a number: allowlists hold strings only' entry-type)"
  assert_line "$(finding "$f" "$(at "$f" '"0xABAB')" error ".policy.node_allowed_mrtd[0] is not 96 lower-case hex characters: it has a 0x prefix (mero-kms reads it as abababababab...; write it so)" measurement-hex)"
  assert_line "$(finding "$f" "$(at "$f" '" abab')" error ".policy.node_allowed_mrtd[2] is not 96 lower-case hex characters: it has leading white space (mero-kms reads it as abababababab...; write it so)" measurement-hex)"
  assert_line --partial ".policy.node_allowed_mrtd[3] is not 96 lower-case hex characters: it has the wrong length (94 characters); mero-kms refuses to load the policy: expected 48 bytes (96 hex chars), got 94 chars [measurement-hex]"
  assert_line --partial ".policy.node_allowed_mrtd[1] repeats .policy.node_allowed_mrtd[0] ('abababababababab...') [duplicate-value]"
  assert_line --partial ".policy.node_allowed_mrtd[2] repeats .policy.node_allowed_mrtd[0]"
  assert_line --partial ".policy.kms_allowed_event_payload[1] is not 64 lower-case hex characters: it has the wrong length (96 characters) [event-payload-hex]"
  mutate debug '.policy.node_allowed_rtmr1 = ["'"${H:0:95}"'g"]'
  lint debug
  assert_line --partial "it has characters that are not hex (96 characters); mero-kms refuses to load the policy: value contains non-hex characters [measurement-hex]"
}

@test "tcb-status-format is an error, tcb-status-unknown a warning" {
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  mutate debug '.policy.kms_allowed_tcb_statuses = ["UpToDate"] | .policy.node_allowed_tcb_statuses = ["uptodate", "unrecognized", " outofdate"]'
  lint debug
  [ "$status" -eq 1 ]
  assert_line "$(finding "$f" "$(at "$f" '"UpToDate"')" error "TCB status 'UpToDate' must be written 'uptodate' (mero-kms trims and lower-cases)" tcb-status-format)"
  assert_line "$(finding "$f" "$(at "$f" '"unrecognized"')" warning "TCB status 'unrecognized' is not one mero-kms's verifier reports; no quote will match it" tcb-status-unknown)"
  assert_line --partial "TCB status ' outofdate' must be written 'outofdate'"
  mutate debug '.policy.kms_allowed_tcb_statuses = ["uptodate", "swhardeningneeded", "configurationneeded", "configurationandswhardeningneeded", "outofdate", "outofdateconfigurationneeded", "revoked", "future"]
    | .policy.node_allowed_tcb_statuses = ["uptodate"]'
  lint debug
  [ "$status" -eq 0 ]
  assert_equal "$(grep -c tcb-status <<<"$output")" 1
  assert_line --partial "TCB status 'future' is not one"
}

@test "empty-list: one notice per file without --release, an error per list with it" {
  cd "$ROOT"
  run -0 --separate-stderr policy-lint policies/kms-phala-attestation-policy.debug.json
  assert_output "policies/kms-phala-attestation-policy.debug.json:21:13: notice: 10 empty allowlists (a release needs them filled: mero-kms refuses to start with one empty): kms_allowed_mrtd, kms_allowed_rtmr0, kms_allowed_rtmr1, kms_allowed_rtmr2, kms_allowed_rtmr3, node_allowed_mrtd, node_allowed_rtmr0, node_allowed_rtmr1, node_allowed_rtmr2, node_allowed_rtmr3 [empty-list]"
  mutate debug '.policy.node_allowed_rtmr2 = [] | .policy.kms_allowed_event_payload = []'
  run -1 --separate-stderr policy-lint --release "$T"/rel/*.json
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  assert_line "$(finding "$f" "$(at "$f" '"node_allowed_rtmr2"' 22)" error '.policy.node_allowed_rtmr2 is empty: mero-kms refuses to start with an empty allowlist' empty-list)"
  assert_equal "$(grep -c '\[empty-list\]' <<<"$output")" 1 # an empty event payload is allowed
}

@test "provenance-format, provenance-orphan, provenance-simulated" {
  f="$T/rel/kms-phala-attestation-policy.locked-read-only.json"
  v=$(jq -r '.policy.kms_allowed_mrtd[0]' "$f")
  mutate locked-read-only '.provenance.kms_allowed_mrtd["'"$v"'"].simulated = "no" | .provenance.bogus = {}
    | .provenance.kms_allowed_rtmr0["'"$H"'"] = {source: "sim", simulated: false, unverified: false}
    | .provenance.kms_allowed_rtmr1[.policy.kms_allowed_rtmr1[0]] |= (.simulated = true | .source = "sim")'
  lint locked-read-only
  [ "$status" -eq 1 ]
  assert_line "$(finding "$f" "$(at "$f" "\"$v\": \\{")" error ".provenance.kms_allowed_mrtd[\"$v\"] needs source (a string), simulated and unverified (booleans)" provenance-format)"
  assert_line "$(finding "$f" "$(at "$f" '"bogus"')" error ".provenance.bogus: provenance is keyed by the policy's allowlists" provenance-format)"
  assert_line "$(finding "$f" "$(at "$f" "\"$H\"")" warning ".provenance.kms_allowed_rtmr0.$H: .policy.kms_allowed_rtmr0 holds no such value" provenance-orphan)"
  assert_line --regexp ': error: .provenance.kms_allowed_rtmr1.* comes from a simulated quote \(source .sim.\): never in locked-read-only \[provenance-simulated\]$'
  # in a debug profile: one warning for the file
  lint debug
  [ "$status" -eq 0 ]
  assert_output --partial ": warning: 6 values of this debug policy come from simulated or unverified quotes: never merge them into locked-read-only [provenance-simulated]"
}

@test "provenance-missing: a value without provenance is a warning at its line (an error with --release)" {
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  v=$(jq -r '.policy.node_allowed_rtmr3[0]' "$f")
  mutate debug 'del(.provenance.node_allowed_rtmr3)'
  run -0 --separate-stderr policy-lint "$f"
  assert_line "$(finding "$f" "$(at "$f" "\"$v\"")" warning ".policy.node_allowed_rtmr3[0] ('${v:0:16}...') has no provenance: where it came from is unknown" provenance-missing)"
  assert_equal "$(grep -c '\[provenance-missing\]' <<<"$output")" 1
  # with every value backed: no such warning
  cp "$R"/*.json "$T/rel/"
  run -0 --separate-stderr policy-lint "$f"
  refute_output --partial provenance-missing
}

@test "legacy-copy: the legacy file must be the byte copy of the locked-read-only file beside it" {
  run -0 policy-lint "$T/rel/kms-phala-attestation-policy.json"
  mutate locked-read-only '.commit_sha = "abc"'
  run -1 --separate-stderr policy-lint "$T/rel/kms-phala-attestation-policy.json"
  assert_output "$T/rel/kms-phala-attestation-policy.json:1:1: error: differs from $T/rel/kms-phala-attestation-policy.locked-read-only.json from line 2 on: the legacy file must be its byte copy (make policies) [legacy-copy]"
  rm "$T/rel/kms-phala-attestation-policy.locked-read-only.json"
  run -1 policy-lint "$T/rel/kms-phala-attestation-policy.json"
  assert_output --partial "error: no readable $T/rel/kms-phala-attestation-policy.locked-read-only.json to compare the legacy file with [legacy-copy]"
}

@test "release-files, release-provenance, release-event-payload" {
  run -1 --separate-stderr policy-lint --release "$T/rel/kms-phala-attestation-policy.debug.json" "$T/rel/kms-phala-attestation-policy.locked-read-only.json"
  assert_line "(release): error: no debug-read-only policy file among the files: a release needs the three profiles [release-files]"
  cp "$T/rel/kms-phala-attestation-policy.debug.json" "$T/rel/second-debug.json"
  run -1 --separate-stderr policy-lint --release "$T"/rel/kms-phala-attestation-policy.*.json "$T/rel/second-debug.json"
  assert_line --partial "second-debug.json:$(at "$T/rel/second-debug.json" '"debug"'): error: a second debug file (the first is $T/rel/kms-phala-attestation-policy.debug.json) [release-files]"
  rm "$T/rel/second-debug.json"
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  v=$(jq -r '.policy.node_allowed_rtmr3[0]' "$f")
  p=$(jq -r '.policy.kms_allowed_event_payload[0]' "$f")
  mutate debug 'del(.provenance.node_allowed_rtmr3) | .policy.kms_allowed_event_payload += ["'"${H:0:64}"'"]
    | .provenance.kms_allowed_event_payload["'"${H:0:64}"'"] = {source: "x", simulated: false, unverified: false}'
  run -1 --separate-stderr policy-lint --release "$T"/rel/*.json
  assert_line "$(finding "$f" "$(at "$f" "\"$v\"")" error ".policy.node_allowed_rtmr3[0] ('${v:0:16}...') has no provenance: where it came from is unknown" release-provenance)"
  assert_line "$(finding "$f" "$(at "$f" "\"${H:0:64}\"\$")" error '.policy.kms_allowed_event_payload holds 2 values: a release names one compose hash (or none)' release-event-payload)"
  # without --release neither is asked for
  run -0 policy-lint "$f"
}

@test "release-kms-distinct, release-locked-overlap, release-role-overlap" {
  # debug-read-only allows what debug allows for the KMS
  d="$T/rel/kms-phala-attestation-policy.debug.json"
  mutate debug-read-only ".policy.kms_allowed_rtmr0 = $(jq -c .policy.kms_allowed_rtmr0 "$d")
    | .provenance.kms_allowed_rtmr0 = $(jq -c .provenance.kms_allowed_rtmr0 "$d")"
  run -1 --separate-stderr policy-lint --release "$T"/rel/*.json
  f="$T/rel/kms-phala-attestation-policy.debug-read-only.json"
  assert_line "$(finding "$f" "$(at "$f" '"policy": ' 10)" error "the KMS MRTD and RTMR0-3 allowlists of debug-read-only equal those of debug ($d): profiles must differ" release-kms-distinct)"
  cp "$R"/*.json "$T/rel/"
  # a locked node value that debug's nodes allow too
  v=$(jq -r '.policy.node_allowed_rtmr1[0]' "$d")
  mutate locked-read-only '.policy.node_allowed_rtmr1 += ["'"$v"'"] | .provenance.node_allowed_rtmr1["'"$v"'"] = {source: "x", simulated: false, unverified: false}'
  run -1 --separate-stderr policy-lint --release "$T"/rel/*.json
  l="$T/rel/kms-phala-attestation-policy.locked-read-only.json"
  assert_line "$(finding "$l" "$(at "$l" "\"$v\"\$")" error ".policy.node_allowed_rtmr1[1] ('${v:0:16}...') is also allowed for debug nodes ($d)" release-locked-overlap)"
  cp "$R"/*.json "$T/rel/"
  # a KMS RTMR3 that debug's nodes may present
  k=$(jq -r '.policy.kms_allowed_rtmr3[0]' "$d")
  mutate debug '.policy.node_allowed_rtmr3 += ["'"$k"'"] | .provenance.node_allowed_rtmr3["'"$k"'"] = {source: "x", simulated: false, unverified: false}'
  run -1 --separate-stderr policy-lint --release "$T"/rel/*.json
  assert_line "$(finding "$d" "$(at "$d" "\"$k\"\$")" error ".policy.kms_allowed_rtmr3[0] ('${k:0:16}...') is also a node RTMR3 value: a node must never pass for the KMS" release-role-overlap)"
}

@test "--format json: every finding with file, line, column, path, rule, severity and message" {
  mutate debug '.policy.node_allowed_mrtd += ["0x'"$H"'"]'
  run -1 --separate-stderr policy-lint --format json "$T/rel/kms-phala-attestation-policy.debug.json"
  f="$T/rel/kms-phala-attestation-policy.debug.json"
  assert_equal "$(jq -c '[.errors, .warnings, .notices, .files]' <<<"$output")" '[1,2,0,1]'
  # the warnings: the simulated values of this debug file, and the added value without provenance
  assert_equal "$(jq -r '[.findings[] | select(.severity == "warning") | .rule] | sort | join(" ")' <<<"$output")" \
    "provenance-missing provenance-simulated"
  assert_equal "$(jq -c '.findings[] | select(.rule == "measurement-hex") | [.file, .line, .column, .path, .severity]' <<<"$output")" \
    "[\"$f\",$(at "$f" '"0xabab' | tr : ,),\".policy.node_allowed_mrtd[1]\",\"error\"]"
  diff <(jq -S . <<<"$output") <(printf '%s\n' "$output")
}

@test "--format github: workflow annotations at the line and column, with GitHub's escaping" {
  mkdir -p "$T/a,b"
  jq -S '.policy.node_allowed_mrtd += ["0x'"$H"'"] | .extra = 1' "$R/kms-phala-attestation-policy.debug.json" > "$T/a,b/p:1.json"
  run -1 --separate-stderr policy-lint --format github "$T/a,b/p:1.json"
  esc=$(sed 's/%/%25/g; s/:/%3A/g; s/,/%2C/g' <<<"$T/a,b/p:1.json")
  lc=$(at "$T/a,b/p:1.json" '"0xabab')
  assert_line "::error file=$esc,line=${lc%:*},col=${lc#*:},title=measurement-hex::.policy.node_allowed_mrtd[1] is not 96 lower-case hex characters: it has a 0x prefix (mero-kms reads it as abababababab...; write it so)"
  assert_line --regexp '^::warning file=.*,title=unknown-field::\.extra is not part of'
  assert_line --regexp '^::warning file=.*,title=provenance-simulated::'
  # a message holding % and a newline stays on one line
  printf '{"%%\\n": 1}' > "$T/odd.json"
  run -1 policy-lint --format github "$T/odd.json"
  assert_line --regexp '^::warning file=.*::\.\["%25\\n"\] is not part'
}

@test "stdin, a missing file, usage" {
  run -0 --separate-stderr policy-lint < "$R/kms-phala-attestation-policy.debug.json"
  assert_output --partial '-:'
  run -66 --separate-stderr policy-lint "$T/none.json"
  one_line
  run -2 --separate-stderr policy-lint --format xml x
  assert_equal "${stderr_lines[0]}" "policy-lint: --format must be text, json or github (got 'xml')"
  run -2 --separate-stderr policy-lint --list-rules x
  assert_equal "${stderr_lines[0]}" "policy-lint: --list-rules takes no FILE"
}

@test "every rule has a README row and a test in this suite" {
  run -0 policy-lint --list-rules
  [ "$(nlines "$output")" -ge 29 ]
  while read -r id sev _; do
    grep -q "^| \`$id\` | $sev |" "$ROOT/README.md" || { echo "README lacks $id"; false; }
    [ "$(grep -c -- "$id" "$BATS_TEST_FILENAME")" -ge 2 ] || { echo "no test names $id"; false; }
  done <<<"$output"
}

@test "the policy parser's fuzz harness (make fuzz) builds, and runs clean over its seed corpus" {
  run -0 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s build/fuzz/fuzz_policy
  mkdir "$T/corpus"
  "$ROOT/tests/fuzz/seed" fuzz_policy "$T/corpus"
  [ "$(find "$T/corpus" -type f | wc -l)" -ge 10 ]
  run -0 --separate-stderr "$ROOT/build/fuzz/fuzz_policy" -runs=0 "$T/corpus"
  [[ "$stderr" == *"INITED cov: "* ]]
  [[ "$stderr" == *"Done "*" runs in "* ]]
}
