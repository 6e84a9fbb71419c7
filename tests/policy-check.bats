#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# policy-check: decisions on the verdicts of the real vectors, rule for rule as
# mero-kms decides /get-key (reference/apis.md 4.4, get_key.rs, policy.rs).

load test_helper

# The verdicts of every verify case of the vectors (quote-verify, each with its
# own collateral and time), numbered as in expected.json.
setup_file() {
  local d="$BATS_FILE_TMPDIR/verdicts" i=0 q c now opts flags rc
  mkdir -p "$d"
  while IFS=$'\t' read -r q c now opts; do
    flags=()
    [[ "$opts" == *allow_debug* ]] && flags+=(--allow-debug)
    [[ "$opts" == *skip_attrs* ]] && flags+=(--skip-td-attributes)
    # a quote wrapped in JSON: its binary form, as expected.json names it
    case "$q" in *.json) q=$(jq -r --arg k "$q" '.quotes[$k].binary' "$VEC/expected.json") ;; esac
    # a verdict that says no is data too (exit 1); anything else stops the suite
    rc=0
    "$BIN/quote-verify" --collateral "$VEC/$c" --now "$now" "${flags[@]}" < "$VEC/$q" > "$d/$i.json" || rc=$?
    [ "$rc" -le 1 ] || return 1
    i=$((i + 1))
  done < <(jq -r '.verify_cases[] | [.quote, .collateral, (.now | tostring), (.options | keys | join(","))] | @tsv' "$VEC/expected.json")
}

setup() {
  T="$BATS_TEST_TMPDIR"
  D="$BATS_FILE_TMPDIR/verdicts"
  BASE="$ROOT/policies/kms-phala-attestation-policy.locked-read-only.json"
  UPTODATE="$D/0.json" # dcap-qvl sample tdx_quote: verified, UpToDate
  OUTDATED="$D/14.json" # dstack-teekit tdx-v4-edgeless: verified, OutOfDate
  UNVERIFIED="$D/1.json" # dcap-qvl tdx_quote_outdated: No matching TCB level found
}

# policy_for VERDICT [JQ]: the locked-read-only policy with node lists that allow
# exactly this quote (TCB status lower-cased), then JQ applied
policy_for() {
  jq --slurpfile v "$1" '($v[0].measurements) as $m
    | .policy.node_allowed_mrtd = [$m.mr_td] | .policy.node_allowed_rtmr0 = [$m.rt_mr0]
    | .policy.node_allowed_rtmr1 = [$m.rt_mr1] | .policy.node_allowed_rtmr2 = [$m.rt_mr2]
    | .policy.node_allowed_rtmr3 = [$m.rt_mr3]
    | .policy.node_allowed_tcb_statuses = [$v[0].status | ascii_downcase]
    | '"${2:-.}" "$BASE" > "$T/policy.json"
}

# decide VERDICT: policy-check on $T/policy.json; the decision in $T/d.json
decide() {
  run --separate-stderr policy-check --policy "$T/policy.json" "${@:2}" < "$1"
  printf '%s\n' "$output" > "$T/d.json"
}

@test "the table: every verified vector is allowed by a policy of its own values, and refused register by register" {
  local n=0 v cases
  cases=$(jq -r '.verify_cases | to_entries[] | select(.value.expected.ok) | .key' "$VEC/expected.json")
  [ "$(wc -l <<<"$cases")" -eq 13 ]
  for k in $cases; do
    v="$D/$k.json"
    policy_for "$v"
    decide "$v"
    [ "$status" -eq 0 ] || { echo "case $k: $stderr"; false; }
    [ "$(jq -r .allowed "$T/d.json")" = true ]
    [ "$(jq -r .registers.mrtd.value "$T/d.json")" = "$(jq -r .measurements.mr_td "$v")" ]
    [ "$(jq -r .tcb_status.value "$T/d.json")" = "$(jq -r '.verify_cases['"$k"'].expected.status' "$VEC/expected.json")" ]
    [ "$(jq -c '[.registers[] | .list_size] | unique' "$T/d.json")" = '[1]' ]
    # each register in turn not allowed: refused naming that register only
    for r in mrtd rtmr0 rtmr1 rtmr2 rtmr3; do
      policy_for "$v" ".policy.node_allowed_$r = [\"$(printf 'ee%.0s' $(seq 48))\"]"
      decide "$v"
      [ "$status" -eq 1 ] || { echo "case $k $r: status $status"; false; }
      [ "$(jq -c '[.registers | to_entries[] | select(.value.allowed | not) | .key]' "$T/d.json")" = "[\"$r\"]" ]
      [ "$stderr" = "policy-check: refused: $r not in node_allowed_$r (1 entry)" ]
      label=$(tr a-z A-Z <<<"$r")
      val=$(jq -r ".registers.$r.value" "$T/d.json")
      [ "$(jq -c .mero_kms "$T/d.json")" = "{\"details\":\"$label '$val' is not in allowlist\",\"error\":\"measurement_policy_rejected\",\"status\":403}" ]
      n=$((n + 1))
    done
  done
  [ "$n" -eq 65 ]
}

@test "the decision JSON: per register its value, allowed, list and size; the policy's identity" {
  policy_for "$UPTODATE" '.policy.node_allowed_rtmr1 += ["'"$(printf 'ab%.0s' $(seq 48))"'"]'
  decide "$UPTODATE"
  [ "$status" -eq 0 ]
  assert_equal "$(jq -c '.registers.rtmr1 | [.allowed, .list, .list_size]' "$T/d.json")" '[true,"node_allowed_rtmr1",2]'
  assert_equal "$(jq -c '[.allowed, .role, .verified, .reason, .mero_kms, .quote_sha256]' "$T/d.json")" \
    '[true,"node",true,null,null,"c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db"]'
  assert_equal "$(jq -c '.tcb_status' "$T/d.json")" '{"allowed":true,"default":false,"list":"node_allowed_tcb_statuses","list_size":1,"value":"UpToDate"}'
  assert_equal "$(jq -r .policy.sha256 "$T/d.json")" "$(sha256sum < "$T/policy.json" | cut -c1-64)"
  assert_equal "$(jq -c '.policy | [.profile, .tag]' "$T/d.json")" '["locked-read-only","2.3.40"]'
  # canonical: what jq -S writes
  diff <(jq -S . "$T/d.json") "$T/d.json"
}

@test "TCB status: lower-cased against the list; each status in and out; the list's entries trimmed and lower-cased" {
  for s in uptodate swhardeningneeded configurationneeded configurationandswhardeningneeded outofdate outofdateconfigurationneeded revoked; do
    policy_for "$UPTODATE" ".policy.node_allowed_tcb_statuses = [\"$s\"]"
    decide "$UPTODATE"
    if [ "$s" = uptodate ]; then [ "$status" -eq 0 ]; else
      [ "$status" -eq 1 ]
      assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "TCB status 'UpToDate' is not allowed. Allowed values: $s"
      assert_equal "$(jq -r .mero_kms.error "$T/d.json")" tcb_status_rejected
      assert_equal "$stderr" "policy-check: refused: tcb_status 'UpToDate' not in node_allowed_tcb_statuses (1 entry)"
    fi
  done
  policy_for "$OUTDATED"
  decide "$OUTDATED"
  [ "$status" -eq 0 ]
  policy_for "$OUTDATED" '.policy.node_allowed_tcb_statuses = ["uptodate", "swhardeningneeded"]'
  decide "$OUTDATED"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "TCB status 'OutOfDate' is not allowed. Allowed values: uptodate, swhardeningneeded"
  # entries as mero-kms reads them: trimmed, lower-cased, non-strings and empty ones dropped
  policy_for "$OUTDATED" '.policy.node_allowed_tcb_statuses = [" OutOfDate\t", 7, null, ""]'
  decide "$OUTDATED"
  [ "$status" -eq 0 ]
  assert_equal "$(jq -r .tcb_status.list_size "$T/d.json")" 1
}

@test "a missing node_allowed_tcb_statuses means [\"uptodate\"], as mero-kms defaults; an empty one allows nothing" {
  policy_for "$UPTODATE" 'del(.policy.node_allowed_tcb_statuses)'
  decide "$UPTODATE"
  [ "$status" -eq 0 ]
  assert_equal "$(jq -c '.tcb_status | [.default, .list, .list_size]' "$T/d.json")" '[true,null,1]'
  policy_for "$OUTDATED" 'del(.policy.node_allowed_tcb_statuses)'
  decide "$OUTDATED"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "TCB status 'OutOfDate' is not allowed. Allowed values: uptodate"
  # mero-kms falls back to policy.allowed_tcb_statuses before its default
  policy_for "$OUTDATED" 'del(.policy.node_allowed_tcb_statuses) | .policy.allowed_tcb_statuses = ["outofdate"]'
  decide "$OUTDATED"
  [ "$status" -eq 0 ]
  assert_equal "$(jq -r .tcb_status.list "$T/d.json")" allowed_tcb_statuses
  policy_for "$UPTODATE" '.policy.node_allowed_tcb_statuses = []'
  decide "$UPTODATE"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "TCB status 'UpToDate' is not allowed. Allowed values: "
}

@test "an empty register list rejects, named as mero-kms names it; every failing check is named" {
  policy_for "$UPTODATE" '.policy.node_allowed_rtmr1 = []'
  decide "$UPTODATE"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "RTMR1 allowlist is empty"
  assert_equal "$stderr" "policy-check: refused: rtmr1: node_allowed_rtmr1 is empty"
  assert_equal "$(jq -c '.registers.rtmr1 | [.allowed, .list_size]' "$T/d.json")" '[false,0]'
  # several at once: the first in mero-kms's order is its answer, all are named
  policy_for "$UPTODATE" '.policy.node_allowed_tcb_statuses = ["outofdate"] | .policy.node_allowed_rtmr3 = [] | .policy.node_allowed_mrtd = [.policy.node_allowed_rtmr0[0]]'
  decide "$UPTODATE"
  [ "$status" -eq 1 ]
  assert_equal "$stderr" "policy-check: refused: tcb_status 'UpToDate' not in node_allowed_tcb_statuses (1 entry); mrtd not in node_allowed_mrtd (1 entry); rtmr3: node_allowed_rtmr3 is empty"
  assert_equal "$(jq -r .mero_kms.error "$T/d.json")" tcb_status_rejected
  assert_equal "$(nlines "$stderr")" 1
}

@test "entries with 0x, upper case and white space match after normalisation" {
  policy_for "$UPTODATE" '.policy.node_allowed_mrtd |= map("0x" + ascii_upcase) | .policy.node_allowed_rtmr0 |= map(" " + . + "\n")
    | .policy.node_allowed_rtmr2 |= map("0x0x" + .) | .policy.node_allowed_rtmr3 |= map("\u00a0" + ascii_upcase + "\u2003")'
  decide "$UPTODATE"
  [ "$status" -eq 0 ]
  # but 0X is no prefix for mero-kms: the entry is malformed and the policy does not load
  policy_for "$UPTODATE" '.policy.node_allowed_mrtd |= map("0X" + .)'
  decide "$UPTODATE"
  [ "$status" -eq 65 ]
  assert_equal "$stderr" "policy-check: cannot load policy '$T/policy.json': Invalid measurement in policy field 'node_allowed_mrtd': expected 48 bytes (96 hex chars), got 98 chars"
}

@test "mero-kms's fallback: a missing node_allowed_X reads policy.allowed_X; a present one wins even when empty" {
  policy_for "$UPTODATE" '.policy.allowed_rtmr2 = .policy.node_allowed_rtmr2 | del(.policy.node_allowed_rtmr2)'
  decide "$UPTODATE"
  [ "$status" -eq 0 ]
  assert_equal "$(jq -r .registers.rtmr2.list "$T/d.json")" allowed_rtmr2
  policy_for "$UPTODATE" '.policy.allowed_rtmr2 = .policy.node_allowed_rtmr2 | .policy.node_allowed_rtmr2 = []'
  decide "$UPTODATE"
  [ "$status" -eq 1 ]
  policy_for "$UPTODATE" 'del(.policy.node_allowed_rtmr2)'
  decide "$UPTODATE"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -c '.registers.rtmr2 | [.list, .list_size]' "$T/d.json")" '[null,0]'
}

@test "a policy mero-kms would not load: exit 65 with mero-kms's message" {
  declare -A want=(
    ['.policy.node_allowed_mrtd = [7]']="Policy field 'node_allowed_mrtd' entries must be strings"
    ['.policy.node_allowed_rtmr0 |= map(.[2:])']="Invalid measurement in policy field 'node_allowed_rtmr0': expected 48 bytes (96 hex chars), got 94 chars"
    ['.policy.node_allowed_rtmr1 |= map("zz" + .[2:])']="Invalid measurement in policy field 'node_allowed_rtmr1': value contains non-hex characters"
    ['.policy.node_allowed_rtmr3 = "x"']="Policy field 'node_allowed_rtmr3' must be an array"
    ['.role = "node"']="Policy role mismatch: expected 'kms', got 'node'"
    ['del(.tag)']="Policy JSON missing 'tag' string"
    ['.profile = "prod"']="Unsupported KMS policy profile 'prod'. Expected one of: debug, debug-read-only, locked-read-only"
    ['.profile = "debug" | del(.role)']="Policy JSON missing 'role' for KMS policy"
    ['del(.policy)']="Policy JSON missing 'policy' object"
  )
  for j in "${!want[@]}"; do
    policy_for "$UPTODATE" "$j"
    decide "$UPTODATE"
    [ "$status" -eq 65 ] || { echo "$j: status $status"; false; }
    assert_equal "$stderr" "policy-check: cannot load policy '$T/policy.json': ${want[$j]}"
    assert_equal "$output" ''
  done
  # the legacy file of locked-read-only may lack role and profile
  policy_for "$UPTODATE" 'del(.role, .profile)'
  decide "$UPTODATE"
  [ "$status" -eq 0 ]
}

@test "a quote that did not verify is refused as mero-kms refuses it (401); no TCB status is a 403" {
  policy_for "$UPTODATE"
  decide "$UNVERIFIED"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -c .mero_kms "$T/d.json")" '{"details":"Quote cryptographic verification failed","error":"attestation_verification_failed","status":401}'
  [[ "$stderr" == "policy-check: refused: not verified (platform_tcb_level: No matching TCB level found); tcb_status missing not in node_allowed_tcb_statuses (1 entry); "* ]]
  jq '.status = null' "$UPTODATE" > "$T/nostatus.json"
  decide "$T/nostatus.json"
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms.details "$T/d.json")" "Quote verification did not provide a TCB status"
}

@test "fail closed: a verdict it cannot read exits 65 with nothing on stdout" {
  policy_for "$UPTODATE"
  run -65 --separate-stderr policy-check --policy "$T/policy.json" <<<'{"verified": true'
  one_line
  run -65 --separate-stderr policy-check --policy "$T/policy.json" <<<'[]'
  assert_equal "$stderr" "policy-check: cannot read verdict: not a quote-verify verdict (a JSON object)"
  jq 'del(.verified)' "$UPTODATE" | { run -65 --separate-stderr policy-check --policy "$T/policy.json"; assert_equal "$stderr" "policy-check: cannot read verdict: not a quote-verify verdict: no verified boolean"; }
  jq '.measurements.rt_mr2 = "00"' "$UPTODATE" > "$T/short.json"
  run -65 --separate-stderr policy-check --policy "$T/policy.json" < "$T/short.json"
  assert_equal "$stderr" "policy-check: cannot read verdict: verdict: measurements.rt_mr2 is not 48 bytes of hex (not a TD quote?)"
  # an SGX quote's verdict has no TD registers
  run -1 --separate-stderr quote-verify --collateral "$VEC/dcap-qvl/sample/tdx_quote_collateral.json" --now 1752919234 \
    < "$VECTORS/sgx/dcap-qvl/sample/sgx_quote"
  printf '%s\n' "$output" > "$T/sgx.json"
  run -65 --separate-stderr policy-check --policy "$T/policy.json" < "$T/sgx.json"
  assert_equal "$stderr" "policy-check: cannot read verdict: verdict: measurements.mr_td is missing (not a TD quote?)"
  assert_output ''
  run -66 --separate-stderr policy-check --policy "$T/none.json" < "$UPTODATE"
  one_line
}

@test "--role kms decides with kms_allowed_*, with no default for a missing TCB list" {
  policy_for "$UPTODATE"
  decide "$UPTODATE" --role kms
  [ "$status" -eq 1 ]
  assert_equal "$(jq -r .mero_kms "$T/d.json")" null
  assert_equal "$(jq -r .reason "$T/d.json")" "MRTD allowlist is empty"
  jq '.policy |= (. + {kms_allowed_mrtd: .node_allowed_mrtd, kms_allowed_rtmr0: .node_allowed_rtmr0,
      kms_allowed_rtmr1: .node_allowed_rtmr1, kms_allowed_rtmr2: .node_allowed_rtmr2, kms_allowed_rtmr3: .node_allowed_rtmr3})' \
    "$T/policy.json" > "$T/kms.json"
  mv "$T/kms.json" "$T/policy.json"
  decide "$UPTODATE" --role kms
  [ "$status" -eq 0 ]
  assert_equal "$(jq -c '[.role, .registers.mrtd.list, .tcb_status.list]' "$T/d.json")" '["kms","kms_allowed_mrtd","kms_allowed_tcb_statuses"]'
  jq 'del(.policy.kms_allowed_tcb_statuses)' "$T/policy.json" > "$T/kms.json"
  run -1 --separate-stderr policy-check --policy "$T/kms.json" --role kms < "$UPTODATE"
  assert_equal "$stderr" "policy-check: refused: tcb_status 'UpToDate' not in the default list (0 entries)"
}

@test "--lines: one decision per verdict line, a summary on stderr, the worst status" {
  policy_for "$UPTODATE"
  { jq -c . "$UPTODATE"; jq -c . "$OUTDATED"; echo; jq -c . "$UPTODATE"; } > "$T/in"
  run -1 --separate-stderr policy-check --policy "$T/policy.json" --lines < "$T/in"
  assert_equal "$(jq -c '[.line, .allowed]' <<<"$output" | tr -d '\n')" '[1,true][2,false][4,true]'
  assert_equal "$stderr" "policy-check: 3 verdicts: 2 allowed, 1 refused, 0 unreadable"
  echo 'not json' >> "$T/in"
  run -65 --separate-stderr policy-check --policy "$T/policy.json" --lines < "$T/in"
  assert_equal "$(tail -n 1 <<<"$output" | jq -c '[.line, .allowed, (.error | length > 0)]')" '[5,false,true]'
  assert_equal "${stderr_lines[0]%%:*}" "policy-check"
  [[ "${stderr_lines[0]}" == "policy-check: line 5: cannot read verdict: "* ]]
  assert_equal "${stderr_lines[1]}" "policy-check: 4 verdicts: 2 allowed, 1 refused, 1 unreadable"
  grep -v OutOfDate "$T/in" | head -n 1 > "$T/ok"
  run -0 --separate-stderr policy-check --policy "$T/policy.json" --lines < "$T/ok"
  # quote-verify --lines feeds it directly
  S="$VEC/dcap-qvl/sample"
  xxd -p < "$S/tdx_quote" | tr -d '\n' > "$T/q.hex"; echo >> "$T/q.hex"
  quote-verify --collateral "$S/tdx_quote_collateral.json" --now 1752919234 --lines < "$T/q.hex" |
    policy-check --policy "$T/policy.json" --lines > "$T/out"
  assert_equal "$(jq -r .allowed "$T/out")" true
}

@test "usage: --policy is required, --role is node or kms" {
  run -2 --separate-stderr policy-check
  assert_equal "${stderr_lines[0]}" "policy-check: --policy FILE is required"
  run -2 --separate-stderr policy-check --policy x --role agent
  assert_equal "${stderr_lines[0]}" "policy-check: --role must be node or kms (got 'agent')"
  assert_equal "${stderr_lines[1]%% *}" "usage:"
}

# ---- --published: a node image release's published-mrtds.json instead of a policy file

@test "--published: the release's allowed_* lists of the profile decide, with the policy file's rules" {
  local G="$FIX/mrtd-publish/published-mrtds.golden.json"
  # the golden's locked-read-only measurements are the dcap-qvl sample quote's
  run -0 --separate-stderr policy-check --published "$G" --profile locked-read-only < "$UPTODATE"
  [ -z "$stderr" ]
  assert_equal "$(jq -c '[.allowed, .role, .policy.profile, .policy.tag, .policy.release_tag, .policy.simulated, .registers.mrtd.list]' <<<"$output")" \
    '[true,"node","locked-read-only","2.3.40","mero-tee-v2.3.40",false,"node_allowed_mrtd"]'
  assert_equal "$(jq -r .policy.sha256 <<<"$output")" "$(sha256sum < "$G" | cut -d' ' -f1)"
  # another profile's measurements refuse it, register by register, in mero-kms's words
  run -1 --separate-stderr policy-check --published "$G" --profile debug < "$UPTODATE"
  assert_equal "$stderr" "policy-check: refused: mrtd not in node_allowed_mrtd (1 entry); rtmr0 not in node_allowed_rtmr0 (1 entry); rtmr1 not in node_allowed_rtmr1 (1 entry); rtmr2 not in node_allowed_rtmr2 (1 entry)"
  assert_equal "$(jq -c .mero_kms <<<"$output")" '{"details":"MRTD '"'$(expected dcap-qvl/sample/tdx_quote .mr_td)'"' is not in allowlist","error":"measurement_policy_rejected","status":403}'
  # normalised as mero-kms normalises; the TCB list of the profile applies
  jq '.profiles["locked-read-only"].allowed_mrtd = [" 0x" + (.profiles["locked-read-only"].allowed_mrtd[0] | ascii_upcase)]' "$G" > "$T/p.json"
  run -0 --separate-stderr policy-check --published "$T/p.json" --profile locked-read-only < "$UPTODATE"
  jq '.profiles["locked-read-only"].allowed_tcb_statuses = ["outofdate"]' "$G" > "$T/p.json"
  run -1 --separate-stderr policy-check --published "$T/p.json" --profile locked-read-only < "$UPTODATE"
  assert_equal "$stderr" "policy-check: refused: tcb_status 'UpToDate' not in node_allowed_tcb_statuses (1 entry)"
  # no TCB list: mero-kms's default ["uptodate"]; a marked release says so in the decision
  jq 'del(.profiles["locked-read-only"].allowed_tcb_statuses) | .simulated = true' "$G" > "$T/p.json"
  run -0 --separate-stderr policy-check --published "$T/p.json" --profile locked-read-only < "$UPTODATE"
  assert_equal "$(jq -c '[.tcb_status.default, .policy.simulated]' <<<"$output")" '[true,true]'
  # --lines works the same
  jq -c . "$UPTODATE" > "$T/in"
  run -0 --separate-stderr policy-check --published "$G" --profile LOCKED-READ-ONLY --lines < "$T/in"
  assert_equal "$(jq -c '[.line, .allowed]' <<<"$output")" '[1,true]'
}

@test "--published: usage, a file that is not a published-mrtds.json, a missing one" {
  local G="$FIX/mrtd-publish/published-mrtds.golden.json"
  run -2 --separate-stderr policy-check --published "$G" < "$UPTODATE"
  assert_equal "${stderr_lines[0]}" "policy-check: --published needs --profile P and decides role node only (no --role)"
  run -2 --separate-stderr policy-check --published "$G" --profile debug --role kms < "$UPTODATE"
  assert_equal "${stderr_lines[0]}" "policy-check: --published needs --profile P and decides role node only (no --role)"
  run -2 --separate-stderr policy-check --published "$G" --policy "$BASE" --profile debug < "$UPTODATE"
  assert_equal "${stderr_lines[0]}" "policy-check: --policy and --published exclude each other"
  run -2 --separate-stderr policy-check --policy "$BASE" --profile debug < "$UPTODATE"
  assert_equal "${stderr_lines[0]}" "policy-check: --profile is for --published (a policy file names its own profile)"
  run -2 --separate-stderr policy-check --published "$G" --profile staging < "$UPTODATE"
  assert_equal "${stderr_lines[0]}" "policy-check: --profile must be debug, debug-read-only or locked-read-only (got 'staging')"
  run -65 --separate-stderr policy-check --published "$BASE" --profile debug < "$UPTODATE"
  assert_equal "$stderr" "policy-check: '$BASE' is not a published-mrtds.json with profiles.debug"
  [ -z "$output" ]
  jq '.profiles.debug.allowed_rtmr1 = ["abc"]' "$G" > "$T/p.json"
  run -65 --separate-stderr policy-check --published "$T/p.json" --profile debug < "$UPTODATE"
  [[ "$stderr" == "policy-check: cannot load published measurements '$T/p.json': "* ]]
  echo '{' > "$T/p.json"
  run -65 --separate-stderr policy-check --published "$T/p.json" --profile debug < "$UPTODATE"
  [[ "$stderr" == "policy-check: cannot parse published measurements '$T/p.json': "* ]]
  run -66 --separate-stderr policy-check --published "$T/none.json" --profile debug < "$UPTODATE"
  assert_equal "$stderr" "policy-check: cannot open '$T/none.json': No such file or directory"
}
