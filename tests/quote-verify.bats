#!/usr/bin/env bats
# quote-verify: every verify case of expected.json, mutations of a real quote
# and its collateral, collateral signed at test time by a test CA
# (tests/lib/testca.py, openssl CLI) for revocation, TCB levels, module
# identities and TD attributes, Intel's rules, batch mode, usage and I/O.

load test_helper

Q="$VEC/dcap-qvl/sample/tdx_quote"
C="$VEC/dcap-qvl/sample/tdx_quote_collateral.json"
NOW=1752919234            # dcap-qvl's now for its sample (2025-07-19T10:00:34Z)
CANOW=1736899200          # test CA collateral: 2025-01-01..2025-02-01, verified at 2025-01-15
ROOT_DER="$VEC/dcap-qvl/src/TrustedRootCA.der"
INTEL_ROOT_SHA256=44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3

setup_file() {
  export CA="$BATS_FILE_TMPDIR/ca"
  python3 "$BATS_TEST_DIRNAME/lib/testca.py" init "$CA"
}

# copy collateral $1 to $4 with the first OLD ($2) in field FIELD ($3... see below) replaced by NEW
# usage: edit_collateral SRC FIELD OLD NEW DST
edit_collateral() {
  python3 - "$@" <<'PY'
import json, sys
src, field, old, new, dst = sys.argv[1:6]
c = json.load(open(src))
assert old in c[field], (field, old)
c[field] = c[field].replace(old, new, 1)
json.dump(c, open(dst, 'w'))
PY
}

# scenario NAME SPEC: quote.bin and collateral.json from the test CA
scenario() {
  python3 "$BATS_TEST_DIRNAME/lib/testca.py" make "$CA" "$2" "$BATS_TEST_TMPDIR/$1"
}

# qvca STATUS NAME [OPTIONS...]: verify scenario NAME with the test root
qvca() {
  local want=$1 name=$2
  shift 2
  run "-$want" --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/$name/collateral.json" \
    --now "$CANOW" --root-ca "$CA/root.pem" "$@" < "$BATS_TEST_TMPDIR/$name/quote.bin"
}

# j FILTER: a jq value of $output
j() { jq -c "$@" <<<"$output"; }

# the verdict of one expected.json verify case, compared field by field
vcase() {
  local c q src col now
  c=$(jq -c ".verify_cases[$1]" "$VEC/expected.json")
  q=$(jq -r .quote <<<"$c")
  src=$q
  case "$q" in *.json) src=$(expected "$q" .binary) ;; esac
  col=$(jq -r .collateral <<<"$c")
  now=$(jq -r .now <<<"$c")
  local opts=()
  [ "$(jq -r '.options.allow_debug // false' <<<"$c")" = true ] && opts+=(--allow-debug)
  [ "$(jq -r '.options.skip_attrs // false' <<<"$c")" = true ] && opts+=(--skip-td-attributes)
  run --separate-stderr quote-verify --collateral "$VEC/$col" --now "$now" "${opts[@]}" < "$VEC/$src"
  if [ "$(jq -r .expected.ok <<<"$c")" = true ]; then
    [ "$status" -eq 0 ]
    [ -z "$stderr" ]
    [ "$(j '[.verified, .status, .advisory_ids, [.platform_status.status, .platform_status.advisory_ids], [.qe_status.status, .qe_status.advisory_ids], .failed_check, .error]')" = \
      "$(jq -c '.expected | [true, .status, .advisory_ids, .platform_status, .qe_status, null, null]' <<<"$c")" ]
  else
    [ "$status" -eq 1 ]
    [ "$(j '[.verified, .error]')" = "$(jq -c '.expected | [false, .error]' <<<"$c")" ]
    # one stderr line names the failed check and why
    [ "$stderr" = "quote-verify: not verified: $(j -r .failed_check): $(jq -r .expected.error <<<"$c")" ]
    # failed_check names the first check whose result is "fail"
    [ "$(j '[.checks[] | select(.result == "fail") | .name] | first')" = "$(j .failed_check)" ]
  fi
  [ "$(j -r .quote_sha256)" = "$(quote2json < "$VEC/$src" | jq -r .sha256)" ]
}

# ---- usage, input and output errors ----

@test "--help names the built-in root's fingerprint and --allow-status" {
  run -0 --separate-stderr quote-verify --help
  assert_output --partial "$INTEL_ROOT_SHA256"
  assert_output --partial '--allow-status LIST'
}

@test "program-specific usage errors exit 2 with the synopsis and nothing on stdout" {
  run -2 --separate-stderr quote-verify < "$Q"
  [ -z "$output" ]
  [ "$(sed -n 1p <<<"$stderr")" = "quote-verify: --collateral FILE is required" ]
  [[ "$(sed -n 2p <<<"$stderr")" == "usage: quote-verify --collateral FILE"* ]]
  run -2 --separate-stderr quote-verify --collateral "$C" --now yesterday < "$Q"
  [[ "$stderr" == *"--now needs Unix seconds, not 'yesterday'"* ]]
  run -2 --separate-stderr quote-verify --collateral "$C" --expect-report-data 12345 < "$Q"
  [[ "$stderr" == *"--expect-report-data needs 1 to 64 bytes of hex"* ]]
  run -2 --separate-stderr quote-verify --collateral - < "$Q"
  [[ "$stderr" == *"--collateral cannot be standard input"* ]]
  run -2 --separate-stderr quote-verify --collateral "$C" --root-ca - < "$Q"
  [[ "$stderr" == *"--root-ca cannot be standard input"* ]]
  run -2 --separate-stderr quote-verify --collateral "$C" --input=pem < "$Q"
  [[ "$stderr" == *"unknown input form 'pem'"* ]]
  run -2 --separate-stderr quote-verify --collateral "$C" extra < "$Q"
  [[ "$stderr" == *"unexpected argument 'extra'"* ]]
  [ -z "$output" ]
}

@test "a missing collateral or root CA file exits 66 with nothing on stdout" {
  run -66 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/none.json" < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "quote-verify: cannot open '$BATS_TEST_TMPDIR/none.json': No such file or directory" ]
  run -66 --separate-stderr quote-verify --collateral "$C" --root-ca "$BATS_TEST_TMPDIR/root.der" < "$Q"
  [ -z "$output" ]
  [[ "$stderr" == "quote-verify: cannot open '$BATS_TEST_TMPDIR/root.der'"* ]]
}

@test "a malformed quote exits 65 with one stderr line and nothing on stdout" {
  printf 'not a quote at all, just text!' > "$BATS_TEST_TMPDIR/bad"
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/bad"
  [ -z "$output" ]
  [ "$(nlines "$stderr")" -eq 1 ]
  [[ "$stderr" == "quote-verify: cannot parse quote: "* ]]
  head -c 700 "$Q" > "$BATS_TEST_TMPDIR/short"
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/short"
  [ -z "$output" ]
  [ "$stderr" = "quote-verify: cannot parse quote: signature data length 4300 at byte 632 points past the end (64 bytes left)" ]
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW < /dev/null
  [ "$stderr" = "quote-verify: cannot parse quote: empty input" ]
}

@test "a PCK chain that does not parse is a malformed quote (65)" {
  # a letter's case in the leaf's base64: still PEM, no longer a certificate (quote2json agrees)
  local off
  off=$(grep -obUaP -- '-----BEGIN CERTIFICATE' "$Q" | head -1 | cut -d: -f1)
  [ "$off" -eq 1258 ]
  flip_byte "$Q" $((off + 40)) 32 "$BATS_TEST_TMPDIR/q"
  run -65 quote2json < "$BATS_TEST_TMPDIR/q"
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ -z "$output" ]
  [[ "$stderr" == "quote-verify: cannot parse quote: PCK certificate chain at byte 1258: certificate 1 of the chain does not parse"* ]]
}

@test "malformed collateral exits 65 naming the field, with nothing on stdout" {
  printf '{"tcb_info": 3' > "$BATS_TEST_TMPDIR/c1.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c1.json" < "$Q"
  [ -z "$output" ]
  [[ "$stderr" == "quote-verify: cannot parse collateral '$BATS_TEST_TMPDIR/c1.json': collateral is not JSON"* ]]
  jq 'del(.qe_identity)' "$C" > "$BATS_TEST_TMPDIR/c2.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c2.json" < "$Q"
  [ "$stderr" = "quote-verify: cannot parse collateral '$BATS_TEST_TMPDIR/c2.json': collateral: qe_identity is missing, null or not a string" ]
  jq '.tcb_info_signature = "abcd"' "$C" > "$BATS_TEST_TMPDIR/c3.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c3.json" < "$Q"
  [[ "$stderr" == *"tcb_info_signature is not 64 bytes (hex r||s)" ]]
  jq '.pck_crl = "3082"' "$C" > "$BATS_TEST_TMPDIR/c4.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c4.json" < "$Q"
  [[ "$stderr" == *"collateral: pck_crl: not a DER or PEM CRL"* ]]
  jq '.tcb_info = "{\"id\":\"TDX\"}"' "$C" > "$BATS_TEST_TMPDIR/c5.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c5.json" < "$Q"
  [[ "$stderr" == *"TCB info: version is missing or not a number" ]]
  jq '.qe_identity |= sub("\"tcbStatus\":\"UpToDate\""; "\"tcbStatus\":\"Fine\"")' "$C" > "$BATS_TEST_TMPDIR/c6.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c6.json" < "$Q"
  [[ "$stderr" == *"QE identity: tcbLevels[0] is malformed"* ]]
}

@test "every required collateral field missing, null or of the wrong type exits 65 naming it" {
  local f how
  for f in tcb_info qe_identity tcb_info_signature qe_identity_signature tcb_info_issuer_chain \
      qe_identity_issuer_chain pck_crl_issuer_chain root_ca_crl pck_crl; do
    for how in "del(.$f)" ".$f = null" ".$f = 42" ".$f = {}"; do
      jq "$how" "$C" > "$BATS_TEST_TMPDIR/c.json"
      run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
      [ -z "$output" ] || { echo "$f ($how): stdout written"; return 1; }
      [[ "$stderr" == "quote-verify: cannot parse collateral '$BATS_TEST_TMPDIR/c.json': collateral: $f "* ]] ||
        { echo "$f ($how): $stderr"; return 1; }
    done
  done
  # an empty issuer chain is a string but holds no certificate
  jq '.pck_crl_issuer_chain = ""' "$C" > "$BATS_TEST_TMPDIR/c.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [ "$stderr" = "quote-verify: cannot parse collateral '$BATS_TEST_TMPDIR/c.json': collateral: pck_crl_issuer_chain: no PEM certificate found" ]
  # the optional pck_certificate_chain: null is absent, a number is malformed
  jq '.pck_certificate_chain = null' "$C" > "$BATS_TEST_TMPDIR/c.json"
  run -0 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  jq '.pck_certificate_chain = 7' "$C" > "$BATS_TEST_TMPDIR/c.json"
  run -65 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [[ "$stderr" == *"collateral: pck_certificate_chain is not a string" ]]
}

@test "a directory given as the collateral or the root CA exits 66: not a regular file" {
  run -66 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR" --now $NOW < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "quote-verify: cannot read '$BATS_TEST_TMPDIR': not a regular file (a directory)" ]
  run -66 --separate-stderr quote-verify --collateral "$C" --root-ca "$BATS_TEST_TMPDIR" --now $NOW < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "quote-verify: cannot read '$BATS_TEST_TMPDIR': not a regular file (a directory)" ]
}

@test "a write error on stdout exits 74" {
  run -74 --separate-stderr bash -c "quote-verify --collateral '$C' --now $NOW < '$Q' > /dev/full"
  [[ "$stderr" == "quote-verify: cannot write to standard output"* ]]
}

# ---- the trust anchor ----

@test "the built-in Intel SGX Root CA is dcap-qvl's TrustedRootCA.der (SHA-256 44a0196b...74d3)" {
  [ "$(sha256sum "$ROOT_DER" | cut -c1-64)" = "$INTEL_ROOT_SHA256" ]
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$Q"
  [ "$(j .root_ca)" = "{\"builtin\":true,\"sha256\":\"$INTEL_ROOT_SHA256\",\"subject\":\"C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX Root CA\"}" ]
}

@test "--root-ca takes the same root as DER or PEM and names it (builtin false)" {
  openssl x509 -inform der -in "$ROOT_DER" -out "$BATS_TEST_TMPDIR/root.pem"
  for r in "$ROOT_DER" "$BATS_TEST_TMPDIR/root.pem"; do
    run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --root-ca "$r" < "$Q"
    [ "$(j '[.verified, .status, .root_ca.builtin, .root_ca.sha256]')" = "[true,\"UpToDate\",false,\"$INTEL_ROOT_SHA256\"]" ]
  done
  printf 'garbage' > "$BATS_TEST_TMPDIR/bad.pem"
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW --root-ca "$BATS_TEST_TMPDIR/bad.pem" < "$Q"
  [ -z "$output" ]
  [[ "$stderr" == "quote-verify: cannot use root CA '$BATS_TEST_TMPDIR/bad.pem': not a PEM or DER certificate"* ]]
}

@test "real Intel collateral does not verify under another root: tcb_info_chain fails" {
  scenario base '{}'
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW --root-ca "$CA/root.der" < "$Q"
  [ "$(j '[.verified, .status, .failed_check, .root_ca.builtin]')" = '[false,null,"tcb_info_chain",false]' ]
  [[ "$(j -r .error)" == *"self-signed certificate in certificate chain"* ]]
  [ "$(j '[.checks[] | select(.name == "pck_chain") | .result]')" = '["skip"]' ]
}

# ---- golden output ----

@test "golden verdicts are byte-identical (UpToDate, and a failed SEPT_VE_DISABLE)" {
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$Q"
  diff <(printf '%s\n' "$output") "$FIX/quote-verify/tdx_quote.verdict.json"
  run -1 --separate-stderr quote-verify --collateral "$VEC/derived/collateral-tdx-00806f050000-20250929.json" \
    --now 1759186800 < "$VEC/derived/tdx-v4-azure.bin"
  diff <(printf '%s\n' "$output") "$FIX/quote-verify/tdx-v4-azure.verdict.json"
}

@test "the verdict carries the output contract's keys" {
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$Q"
  [ "$(j 'keys')" = '["advisory_ids","checks","collateral","error","failed_check","fmspc","measurements","now","pck","platform_status","ppid","qe_status","qe_tcb_level","quote_sha256","quote_version","report_type","root_ca","rules","status","tcb_level","tdx_module_status","verified"]' ]
  [ "$(j '.measurements | keys')" = '["mr_td","report_data","rt_mr0","rt_mr1","rt_mr2","rt_mr3"]' ]
  [ "$(j .measurements.mr_td)" = "\"$(expected dcap-qvl/sample/tdx_quote .mr_td)\"" ]
  [ "$(j .measurements.report_data)" = "\"$(expected dcap-qvl/sample/tdx_quote .report_data)\"" ]
  [ "$(j '[.fmspc, .ppid, .pck.pce_svn, .tcb_level.index, .tcb_level.tcb_date]')" = '["b0c06f000000","811dca2a26b952e85bb6448b097ba4fd",11,0,"2024-03-13T00:00:00Z"]' ]
  [ "$(j '[.tdx_module_status.identity, .tdx_module_status.status, .tdx_module_status.isvsvn]')" = '["TDX_01","UpToDate",6]' ]
  [ "$(j .collateral)" = '{"earliest_expiration_date":"2025-07-19T10:00:35Z","earliest_issue_date":"2018-05-21T10:45:10Z","latest_issue_date":"2025-06-19T10:32:27Z","qe_identity_issue_date":"2025-06-19T10:32:27Z","qe_identity_next_update":"2025-07-19T10:32:27Z","tcb_evaluation_data_number":17,"tcb_info_issue_date":"2025-06-19T10:16:03Z","tcb_info_next_update":"2025-07-19T10:16:03Z"}' ]
  [ "$(j '[.checks[].name]')" = '["root_ca_revocation","quote_header","qe_vendor_id","tcb_info_window","tcb_info_chain","tcb_info_signature","qe_identity_window","qe_identity_chain","qe_identity_signature","qe_identity_type","pck_chain","qe_report_signature","qe_report_data","qe_identity_policy","qe_tcb_level","quote_signature","fmspc","tcb_info_type","pce_id","platform_tcb_level","tdx_module_identity","tdx_module_tcb_level","tcb_status","mr_service_td","td_debug","td_reserved_attributes","sept_ve_disable","report_data"]' ]
  [ "$(j '[.now, .rules, .quote_version, .report_type]')" = '["2025-07-19T10:00:34Z","dcap-qvl",4,"TD10"]' ]
}

@test "the README lists the checks in the verdict's (the table's) order" {
  local readme
  readme=$(awk '/^`root_ca_revocation` \(/,/`report_data`\.$/' "$ROOT/README.md" | tr '\n' ' ' |
    grep -oE '`[a-z_0-9]+`' | tr -d '`' | grep -vx enclave_debug | jq -Rsc 'split("\n")[:-1]')
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$Q"
  [ "$readme" = "$(j '[.checks[].name]')" ]
}

@test "--now defaults to SOURCE_DATE_EPOCH (then the clock)" {
  SOURCE_DATE_EPOCH=$NOW run -0 --separate-stderr quote-verify --collateral "$C" < "$Q"
  [ "$(j .now)" = '"2025-07-19T10:00:34Z"' ]
  SOURCE_DATE_EPOCH=1800000000 run -1 --separate-stderr quote-verify --collateral "$C" < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_window","TCBInfo expired"]' ]
}

# ---- expected.json: the 27 verify cases ----

@test "expected.json case 0: dcap-qvl tdx_quote with tdx_quote_collateral.json -> UpToDate" { vcase 0; }
@test "expected.json case 1: dcap-qvl tdx_quote_outdated with tdx_quote_outdated_collateral.json -> No matching TCB level found" { vcase 1; }
@test "expected.json case 2: go-tdx-guest quote_v5_sample.dat with tdx_quote_outdated_collateral.json -> UpToDate" { vcase 2; }
@test "expected.json case 3: dcap-qvl quote_hex.txt with quote_collateral.json -> UpToDate" { vcase 3; }
@test "expected.json case 4: dcap-qvl tdx-quote.hex with tdx_quote_collateral.json -> No matching TCB level found" { vcase 4; }
@test "expected.json case 5: dcap-qvl quote-from-tappd.hex with tdx_quote_collateral.json -> No matching TCB level found" { vcase 5; }
@test "expected.json case 6: dstack tdx_quote with tdx_quote_collateral.json -> No matching TCB level found" { vcase 6; }
@test "expected.json case 7: dstack quote.hex with tdx_quote_collateral.json -> No matching TCB level found" { vcase 7; }
@test "expected.json case 8: go-tdx-guest tdx_prod_quote_SPR_E4.dat with collateral-tdx-50806f000000-20230701-from-go-tdx-guest.json -> No matching TCB level found" { vcase 8; }
@test "expected.json case 9: dstack-teekit tdx-v4-trustee.dat with collateral-tdx-50806f000000-20230701-from-go-tdx-guest.json -> Debug mode is enabled" { vcase 9; }
@test "expected.json case 10: dstack-teekit tdx-v4-trustee.dat with collateral-tdx-50806f000000-20230701-from-go-tdx-guest.json allow_debug -> UpToDate" { vcase 10; }
@test "expected.json case 11: dstack-teekit tdx-v4-azure with collateral-tdx-00806f050000-20250929.json -> SEPT_VE_DISABLE is not enabled" { vcase 11; }
@test "expected.json case 12: dstack-teekit tdx-v4-gcp.json with collateral-tdx-00806f050000-20250929.json -> UpToDate" { vcase 12; }
@test "expected.json case 13: dstack-teekit tdx-v4-gcp-no-nonce.json with collateral-tdx-00806f050000-20250929.json -> UpToDate" { vcase 13; }
@test "expected.json case 14: dstack-teekit tdx-v4-edgeless.dat with collateral-tdx-00806f050000-20250929.json -> OutOfDate" { vcase 14; }
@test "expected.json case 15: dstack-teekit tdx-v4-zkdcap.dat with collateral-tdx-00806f050000-20250929.json -> OutOfDate" { vcase 15; }
@test "expected.json case 16: go-tdx-guest cos-113-tdx-quote.dat with collateral-tdx-00806f050000-20250929.json -> OutOfDate" { vcase 16; }
@test "expected.json case 17: trustee td-quote.bin with collateral-tdx-00806f050000-20250929.json -> No matching TCB level found" { vcase 17; }
@test "expected.json case 18: dstack-teekit tdx-v4-trustee.dat with collateral-tdx-50806f000000-20250929.json -> Debug mode is enabled" { vcase 18; }
@test "expected.json case 19: go-tdx-guest tdx_prod_quote_SPR_E4.dat with collateral-tdx-50806f000000-20250929.json -> No matching TCB level found" { vcase 19; }
@test "expected.json case 20: dstack-teekit tdx-v4-moemahhouk.dat with collateral-tdx-90c06f000000-20250929.json -> No matching TCB level found" { vcase 20; }
@test "expected.json case 21: dstack-teekit tdx-v5-trustee.dat with collateral-tdx-90c06f000000-20250929.json -> No matching TCB level found" { vcase 21; }
@test "expected.json case 22: dcap-qvl tdx_quote with collateral-tdx-b0c06f000000-20250929.json -> UpToDate" { vcase 22; }
@test "expected.json case 23: dcap-qvl tdx-quote.hex with collateral-tdx-b0c06f000000-20250929.json -> No matching TCB level found" { vcase 23; }
@test "expected.json case 24: dstack-teekit tdx-v4-trustee.dat with collateral-tdx-50806f000000-20250929.json allow_debug -> OutOfDate" { vcase 24; }
@test "expected.json case 25: dstack-teekit tdx-v4-azure with collateral-tdx-00806f050000-20250929.json skip_attrs -> OutOfDate" { vcase 25; }
@test "expected.json case 26: trustee tdx_quote_6.dat with collateral-tdx-00a06d080000-20251102-HYPOTHETICAL.json -> OutOfDate" { vcase 26; }

@test "an SGX v3 quote verifies too: dcap-qvl's upstream assertion (ConfigurationAndSWHardeningNeeded)" {
  local s="$VECTORS/sgx/dcap-qvl/sample"
  run -0 --separate-stderr quote-verify --collateral "$s/sgx_quote_collateral.json" --now 1752919277 < "$s/sgx_quote"
  [ "$(j '[.status, .advisory_ids, .report_type, .tdx_module_status, .pck.ca]')" = '["ConfigurationAndSWHardeningNeeded",["INTEL-SA-00289","INTEL-SA-00615"],"SgxEnclave",null,"processor"]' ]
  [ "$(j '.measurements.mr_enclave')" = '"33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb"' ]
  [ "$(j '[.checks[] | select(.name == "enclave_debug") | .result]')" = '["pass"]' ]
  # a TDX collateral for an SGX quote is refused at the QE identity type
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$s/sgx_quote"
  [ "$(j .failed_check)" = '"qe_identity_type"' ]
}

# ---- mutations of a real quote and its collateral (tdx_quote, v4: signature at 636,
# attestation key 700, QE report 770, its signature 1154, QE auth data 1220) ----

@test "a flipped bit in the quote signature fails quote_signature" {
  flip_byte "$Q" 650 1 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$stderr" = "quote-verify: not verified: quote_signature: ISV enclave report signature is invalid" ]
  [ "$(j '[.verified, .status, .failed_check, .error]')" = '[false,null,"quote_signature","ISV enclave report signature is invalid"]' ]
  # the judgement checks after a failed gate are not evaluated
  [ "$(j '[.checks[] | select(.name == "platform_tcb_level" or .name == "td_debug") | .result]')" = '["skip","skip"]' ]
}

@test "a flipped bit in the signed body (MRTD) fails quote_signature" {
  flip_byte "$Q" 184 128 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$(j '[.failed_check, .error]')" = '["quote_signature","ISV enclave report signature is invalid"]' ]
  [ "$(j .measurements.mr_td)" != "\"$(expected dcap-qvl/sample/tdx_quote .mr_td)\"" ]
}

@test "a flipped bit in the QE report fails qe_report_signature" {
  flip_byte "$Q" $((770 + 200)) 4 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$(j '[.failed_check, .error]')" = '["qe_report_signature","Signature is invalid for qe_report in quote"]' ]
  [ "$(j '[.checks[] | select(.name == "pck_chain") | .result]')" = '["pass"]' ]
}

@test "a flipped bit in the QE authentication data fails qe_report_data" {
  flip_byte "$Q" 1225 1 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$(j '[.failed_check, .error]')" = '["qe_report_data","QE report hash mismatch"]' ]
}

@test "a flipped bit in the attestation key fails qe_report_data (the QE binds the key)" {
  flip_byte "$Q" 710 1 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$(j '[.failed_check, .error]')" = '["qe_report_data","QE report hash mismatch"]' ]
}

@test "an unknown QE vendor ID fails qe_vendor_id" {
  flip_byte "$Q" 12 1 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$BATS_TEST_TMPDIR/q"
  [ "$(j '[.failed_check, .error]')" = '["qe_vendor_id","Unknown QE vendor ID"]' ]
}

@test "a flipped bit in the TCB info text fails tcb_info_signature (the exact bytes are signed)" {
  edit_collateral "$C" tcb_info '"tcbEvaluationDataNumber":17' '"tcbEvaluationDataNumber":16' "$BATS_TEST_TMPDIR/c.json"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_signature","Signature is invalid for tcb_info in quote_collateral"]' ]
  [ "$(j '[.checks[] | select(.name == "tcb_info_chain") | .result]')" = '["pass"]' ]
}

@test "white space added to the TCB info text fails tcb_info_signature (no re-serialisation)" {
  edit_collateral "$C" tcb_info '{"id"' '{ "id"' "$BATS_TEST_TMPDIR/c.json"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [ "$(j .failed_check)" = '"tcb_info_signature"' ]
}

@test "a flipped bit in the TCB info signature fails tcb_info_signature" {
  local sig
  sig=$(jq -r .tcb_info_signature "$C")
  edit_collateral "$C" tcb_info_signature "${sig:0:4}" "$(printf '%04x' $((0x${sig:0:4} ^ 1)))" "$BATS_TEST_TMPDIR/c.json"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_signature","Signature is invalid for tcb_info in quote_collateral"]' ]
}

@test "a flipped bit in the QE identity text fails qe_identity_signature" {
  edit_collateral "$C" qe_identity '"isvprodid":2' '"isvprodid":3' "$BATS_TEST_TMPDIR/c.json"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now $NOW < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["qe_identity_signature","Signature is invalid for qe_identity in quote_collateral"]' ]
}

@test "now before the TCB info's issue date fails tcb_info_window" {
  run -1 --separate-stderr quote-verify --collateral "$C" --now 1750300000 < "$Q"
  [ "$(j '[.status, .failed_check, .error]')" = '[null,"tcb_info_window","TCBInfo issue date is in the future"]' ]
}

@test "now after the TCB info's next update fails tcb_info_window" {
  run -1 --separate-stderr quote-verify --collateral "$C" --now 1752920200 < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_window","TCBInfo expired"]' ]
}

@test "now after the PCK CRL's next update (windows still open) fails pck_chain: CRL has expired" {
  run -1 --separate-stderr quote-verify --collateral "$C" --now 1752919300 < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["pck_chain","CRL has expired (certificate 0, CN=Intel SGX PCK Certificate)"]' ]
}

@test "Intel-signed collateral of another FMSPC fails fmspc" {
  run -1 --separate-stderr quote-verify --collateral "$VEC/derived/collateral-tdx-00806f050000-20250929.json" \
    --now 1759186800 < "$Q"
  [ "$(j '[.failed_check, .error]')" = '["fmspc","Fmspc mismatch"]' ]
  [ "$(j '[.checks[] | select(.name == "fmspc") | .detail]')" = '["the PCK certificate'"'"'s FMSPC b0c06f000000 is not the TCB info'"'"'s 00806f050000"]' ]
}

@test "a TCB level that does not match is explained component by component" {
  run -1 --separate-stderr quote-verify --collateral "$VEC/dcap-qvl/sample/tdx_quote_outdated_collateral.json" \
    --now 1774003274 < "$VEC/dcap-qvl/sample/tdx_quote_outdated"
  [ "$(j '[.failed_check, .error, .status, .platform_status]')" = '["platform_tcb_level","No matching TCB level found",null,null]' ]
  [[ "$(j -r '.checks[] | select(.name == "platform_tcb_level") | .detail')" == "level 1 (UpToDate, 2024-11-13T00:00:00Z): SGX component 8 is 3 < 5; level 2 (OutOfDate, 2024-03-13T00:00:00Z): SGX component 8 is 3 < 5;"* ]]
}

# ---- --expect-report-data ----

@test "--expect-report-data checks a prefix of the report data (the nonce binding)" {
  local rd
  rd=$(expected dcap-qvl/sample/tdx_quote .report_data)
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --expect-report-data "${rd:0:64}" < "$Q"
  [ "$(j '[.checks[] | select(.name == "report_data") | .result]')" = '["pass"]' ]
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --expect-report-data "0x$rd" < "$Q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW --expect-report-data 9a9d48e7f6799643 < "$Q"
  [ "$(j '[.verified, .status, .failed_check, .error]')" = '[false,"UpToDate","report_data","Report data mismatch"]' ]
  [ "$(j -r '.checks[] | select(.name == "report_data") | .detail')" = "report data starts with 9a9d48e7f6799642, expected 9a9d48e7f6799643" ]
}

# ---- --lines ----

@test "--lines verifies one hex or base64 quote per line, one JSON verdict per line" {
  { xxd -p "$Q" | tr -d '\n'; printf '\n\n'; cat "$VEC/dcap-qvl/sample/tdx-quote.hex"; printf '\n\n'; base64 -w0 "$Q"; echo; } > "$BATS_TEST_TMPDIR/lines"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW --lines < "$BATS_TEST_TMPDIR/lines"
  # one stderr line per quote that does not verify, with its line number
  [ "$stderr" = "quote-verify: line 3: not verified: platform_tcb_level: No matching TCB level found" ]
  [ "$(nlines "$output")" -eq 3 ]
  [ "$(jq -sc 'map([.line, .verified, .status, .error])' <<<"$output")" = '[[1,true,"UpToDate",null],[3,false,null,"No matching TCB level found"],[5,true,"UpToDate",null]]' ]
  # each line is the single-quote verdict plus "line"
  diff <(sed -n 1p <<<"$output" | jq -S 'del(.line)') "$FIX/quote-verify/tdx_quote.verdict.json"
}

@test "--lines exits 0 when every quote verifies, and checks the collateral once" {
  for _ in 1 2 3 4 5; do base64 -w0 "$Q"; echo; done > "$BATS_TEST_TMPDIR/lines"
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --lines --stats < "$BATS_TEST_TMPDIR/lines"
  [ "$(nlines "$output")" -eq 5 ]
  # one PCK chain and one QE report signature for the five; the TCB info and QE identity
  # share their issuer chain: one verification
  [ "$stderr" = "quote-verify: 5 quotes: 6 ECDSA and 1 PCK chain verifications, 8 cache hits; collateral: 2 ECDSA and 1 chain verifications" ]
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --lines --stats --no-cache < "$BATS_TEST_TMPDIR/lines"
  [ "$stderr" = "quote-verify: 5 quotes: 10 ECDSA and 5 PCK chain verifications, 0 cache hits; collateral: 2 ECDSA and 1 chain verifications" ]
}

@test "--lines reports a malformed line by number, still writes the others, exits 65" {
  { base64 -w0 "$Q"; echo; echo 'zz not a quote'; base64 -w0 "$Q"; echo; } > "$BATS_TEST_TMPDIR/lines"
  run -65 --separate-stderr quote-verify --collateral "$C" --now $NOW --lines < "$BATS_TEST_TMPDIR/lines"
  [ "$(jq -sc 'map(.line)' <<<"$output")" = '[1,3]' ]
  [[ "$stderr" == "quote-verify: line 2: "* ]]
  [[ "$stderr" == *"quote-verify: 1 of 3 quotes are malformed (2 verdicts written)" ]]
}

# ---- test CA: revocation ----

@test "test CA: a quote and collateral signed by the test CA verify with --root-ca" {
  scenario base '{}'
  qvca 0 base
  [ -z "$stderr" ]
  [ "$(j '[.verified, .status, .advisory_ids, .fmspc, .root_ca.builtin, .root_ca.subject]')" = '[true,"UpToDate",[],"c0ffee000000",false,"O=mero-policy TEST (not Intel),CN=mero-policy TEST SGX Root CA"]' ]
  [ "$(j .root_ca.sha256)" = "\"$(openssl x509 -in "$CA/root.pem" -outform der | sha256sum | cut -c1-64)\"" ]
  # the same root as DER
  run -0 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/base/collateral.json" --now "$CANOW" \
    --root-ca "$CA/root.der" < "$BATS_TEST_TMPDIR/base/quote.bin"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/base/collateral.json" --now $CANOW \
    < "$BATS_TEST_TMPDIR/base/quote.bin"
  [ "$(j '[.failed_check, .root_ca.builtin]')" = '["tcb_info_chain",true]' ]
}

@test "test CA: a PCK CRL that revokes the PCK leaf fails pck_chain" {
  scenario revpck '{"revoke":["pck"]}'
  qvca 1 revpck
  [ "$(j '[.verified, .status, .failed_check, .error]')" = '[false,null,"pck_chain","certificate revoked (certificate 0, CN=mero-policy TEST SGX PCK Certificate)"]' ]
}

@test "test CA: a root CA CRL that revokes the PCK Platform CA fails pck_chain" {
  scenario revca '{"revoke":["pckca"]}'
  qvca 1 revca
  [ "$(j '[.failed_check, .error]')" = '["pck_chain","certificate revoked (certificate 1, CN=mero-policy TEST SGX PCK Platform CA)"]' ]
}

@test "test CA: a root CA CRL that revokes the TCB signing certificate fails tcb_info_chain" {
  scenario revtcb '{"revoke":["tcb"]}'
  qvca 1 revtcb
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_chain","certificate revoked (certificate 0, CN=mero-policy TEST SGX TCB Signing)"]' ]
}

@test "test CA: unknown revocation status (no CRL from the PCK's issuer) fails pck_chain" {
  scenario nocrl '{"pck_crl_issuer":"root"}'
  qvca 1 nocrl
  [ "$(j '[.failed_check, .error]')" = '["pck_chain","unable to get certificate CRL (certificate 0, CN=mero-policy TEST SGX PCK Certificate)"]' ]
}

@test "test CA: a CRL issued after now is accepted as dcap-qvl accepts it, and said so" {
  scenario crlfuture '{"dates":{"crl_last":"20250120000000Z"}}'
  qvca 0 crlfuture
  [[ "$(j -r '.checks[] | select(.name == "pck_chain") | .detail')" == *"a CRL's thisUpdate lies after the verification time (accepted, as dcap-qvl does)" ]]
}

# ---- test CA: TCB levels and statuses ----

COMP='[2,2,2,2,3,1,0,5,0,0,0,0,0,0,0,0]'
TDXC='[5,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0]'

@test "test CA: a ConfigurationNeeded level verifies with its status and advisories" {
  scenario cfg '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"ConfigurationNeeded","advisories":["INTEL-SA-00999"]}]}'
  qvca 0 cfg
  [ "$(j '[.verified, .status, .advisory_ids, .platform_status]')" = '[true,"ConfigurationNeeded",["INTEL-SA-00999"],{"advisory_ids":["INTEL-SA-00999"],"status":"ConfigurationNeeded"}]' ]
}

@test "test CA: levels are walked highest first; PCESVN below a level skips it (SWHardeningNeeded)" {
  scenario swh '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"SWHardeningNeeded","advisories":["INTEL-SA-00615"]},{"sgx":'"$COMP"',"pcesvn":12,"tdx":'"$TDXC"',"status":"UpToDate"}]}'
  qvca 0 swh
  [ "$(j '[.status, .advisory_ids, .tcb_level.index, .tcb_level.pce_svn]')" = '["SWHardeningNeeded",["INTEL-SA-00615"],0,11]' ]
  [ "$(j '[.checks[] | select(.name == "platform_tcb_level") | .detail]')" = '["level 1 of 2 (SWHardeningNeeded, tcbDate 2024-03-13T00:00:00Z, PCESVN >= 11)"]' ]
}

@test "test CA: a ConfigurationAndSWHardeningNeeded level below an unmatched UpToDate one" {
  scenario caswh '{"tcb_levels":[{"sgx":[3,2,2,2,3,1,0,5,0,0,0,0,0,0,0,0],"pcesvn":11,"tdx":'"$TDXC"',"status":"UpToDate"},{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"ConfigurationAndSWHardeningNeeded","advisories":["INTEL-SA-00289","INTEL-SA-00615"]}]}'
  qvca 0 caswh
  [ "$(j '[.status, .advisory_ids, .tcb_level.index]')" = '["ConfigurationAndSWHardeningNeeded",["INTEL-SA-00289","INTEL-SA-00615"],1]' ]
}

@test "test CA: a Revoked platform level fails tcb_status and still reports the status" {
  scenario revoked '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"Revoked","advisories":["INTEL-SA-00001"]}]}'
  qvca 1 revoked
  [ "$(j '[.verified, .status, .advisory_ids, .failed_check, .error]')" = '[false,"Revoked",["INTEL-SA-00001"],"tcb_status","TCB status is invalid: Revoked"]' ]
}

@test "test CA: a QE below every QE identity level fails qe_tcb_level (status null)" {
  scenario qelow '{"quote":{"qe_isvsvn":1}}'
  qvca 1 qelow
  [ "$(j '[.status, .failed_check, .error, .qe_status]')" = '[null,"qe_tcb_level","QE ISVSVN 1 is below minimum required 2 from QE Identity",null]' ]
  # the quote signature after it is still checked
  [ "$(j '[.checks[] | select(.name == "quote_signature") | .result]')" = '["pass"]' ]
}

@test "test CA: an OutOfDate QE with a ConfigurationNeeded platform: dcap-qvl OutOfDate, Intel OutOfDateConfigurationNeeded" {
  scenario qeood '{"quote":{"qe_isvsvn":3},"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"ConfigurationNeeded","advisories":["INTEL-SA-00999"]}]}'
  qvca 0 qeood
  [ "$(j '[.status, .advisory_ids, .qe_status.status, .rules]')" = '["OutOfDate",["INTEL-SA-00999","INTEL-SA-00615"],"OutOfDate","dcap-qvl"]' ]
  qvca 0 qeood --intel-rules
  [ "$(j '[.status, .advisory_ids, .rules]')" = '["OutOfDateConfigurationNeeded",["INTEL-SA-00999","INTEL-SA-00615"],"intel"]' ]
}

# ---- test CA: TDX module identities ----

@test "test CA: an OutOfDate TDX module identity level is merged into the status" {
  scenario modood '{"quote":{"tee_tcb_svn":"03010200000000000000000000000000"},"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":[3,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0],"status":"UpToDate"}]}'
  qvca 0 modood
  [ "$(j '[.status, .advisory_ids, .platform_status.status, .tdx_module_status.identity, .tdx_module_status.status, .tdx_module_status.isvsvn]')" = '["OutOfDate",["INTEL-SA-00960"],"UpToDate","TDX_01","OutOfDate",3]' ]
}

@test "test CA: a module version without its identity in the TCB info fails tdx_module_identity" {
  scenario modmiss '{"module_identities":[{"id":"TDX_03","levels":[{"isvsvn":1,"status":"UpToDate"}]}]}'
  qvca 1 modmiss
  [ "$(j '[.status, .failed_check, .error]')" = '[null,"tdx_module_identity","TDX module identity TDX_01 not found in TCB info"]' ]
}

@test "test CA: a module identity with another MRSIGNER fails tdx_module_identity" {
  scenario modsig '{"module_identities":[{"id":"TDX_01","mrsigner":"'"$(printf 'ab%.0s' {1..48})"'","levels":[{"isvsvn":1,"status":"UpToDate"}]}]}'
  qvca 1 modsig
  [ "$(j '[.failed_check, .error]')" = '["tdx_module_identity","TDX module MRSIGNER mismatch"]' ]
}

@test "test CA: module version 0 is judged by tdxModule, with no identity level" {
  scenario mod0 '{"quote":{"tee_tcb_svn":"05000200000000000000000000000000"}}'
  qvca 0 mod0
  [ "$(j '[.status, .tdx_module_status.identity, .tdx_module_status.version]')" = '["UpToDate",null,0]' ]
  [ "$(j '[.checks[] | select(.name == "tdx_module_tcb_level") | .result]')" = '["skip"]' ]
}

@test "test CA: SEAM attributes outside the module mask fail tdx_module_identity" {
  scenario seam '{"quote":{"seam_attributes":"0100000000000000"}}'
  qvca 1 seam
  [ "$(j '[.failed_check, .error]')" = '["tdx_module_identity","TDX module attributes mismatch"]' ]
}

# ---- test CA: where Intel's rules differ ----

@test "test CA: --intel-rules ignores TEE_TCB_SVN[0..1] for a module version above 0 (dcap-qvl compares all 16)" {
  scenario intelsvn '{"quote":{"tee_tcb_svn":"03010200000000000000000000000000"},"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"UpToDate"}],"module_identities":[{"id":"TDX_01","levels":[{"isvsvn":3,"status":"UpToDate"}]}]}'
  qvca 1 intelsvn
  [ "$(j '[.failed_check, .error]')" = '["platform_tcb_level","No matching TCB level found"]' ]
  [ "$(j -r '.checks[] | select(.name == "platform_tcb_level") | .detail')" = "level 1 (UpToDate, 2024-03-13T00:00:00Z): TEE_TCB_SVN[0] is 3 < 5" ]
  qvca 0 intelsvn --intel-rules
  [ "$(j '[.verified, .status, .tcb_level.index]')" = '[true,"UpToDate",0]' ]
}

@test "test CA: --intel-rules gives TDRelaunchAdvised for a TD 1.5 whose updated module is current" {
  local s='{"quote":{"version":5,"body":"td15","tee_tcb_svn":"03010200000000000000000000000000","tee_tcb_svn2":"05010200000000000000000000000000"},"module_identities":[{"id":"TDX_01","levels":[{"isvsvn":5,"status":"UpToDate"},{"isvsvn":3,"status":"OutOfDate","advisories":["INTEL-SA-00960"]}]}]}'
  scenario relaunch "$s"
  qvca 0 relaunch
  [ "$(j '[.status, .advisory_ids, .report_type, .quote_version]')" = '["OutOfDate",["INTEL-SA-00837","INTEL-SA-00960"],"TD15",5]' ]
  qvca 0 relaunch --intel-rules
  [ "$(j '[.status, .advisory_ids, .tdx_module_status.tee_tcb_svn2]')" = '["TDRelaunchAdvised",["INTEL-SA-00960"],"05010200000000000000000000000000"]' ]
  # the same TD whose updated module is still old: no relaunch advice
  scenario norelaunch "$(jq -c '.quote.tee_tcb_svn2 = "04010200000000000000000000000000"' <<<"$s")"
  qvca 0 norelaunch --intel-rules
  [ "$(j .status)" = '"OutOfDate"' ]
}

@test "test CA: --intel-rules requires the module identity even when tdxModuleIdentities is empty" {
  scenario nomods '{"module_identities":[]}'
  qvca 0 nomods
  [ "$(j '[.status, .tdx_module_status.identity]')" = '["UpToDate",null]' ]
  qvca 1 nomods --intel-rules
  [ "$(j '[.failed_check, .error]')" = '["tdx_module_identity","TDX module identity TDX_01 not found in TCB info"]' ]
}

# ---- test CA: QE identity, TCB info type, PCE-ID ----

@test "test CA: a QE identity with another MRSIGNER fails qe_identity_policy" {
  scenario qesig '{"qe_identity":{"mrsigner":"'"$(printf '00%.0s' {1..32})"'"}}'
  qvca 1 qesig
  [ "$(j '[.failed_check, .error]')" = '["qe_identity_policy","QE MRSIGNER mismatch: expected 0000000000000000000000000000000000000000000000000000000000000000, got DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5"]' ]
}

@test "test CA: a QE identity of type QE (SGX) for a TDX quote fails qe_identity_type" {
  scenario qetype '{"qe_identity":{"id":"QE"}}'
  qvca 1 qetype
  [ "$(j '[.failed_check, .error]')" = '["qe_identity_type","Unsupported QE Identity id/version for the quote TEE type: QE version 2 (expected TD_QE version [2, 3])"]' ]
}

@test "test CA: an SGX TCB info for a TDX quote fails tcb_info_type; another PCE-ID fails pce_id" {
  scenario titype '{"tcb_info":{"id":"SGX"}}'
  qvca 1 titype
  [ "$(j '[.failed_check, .error]')" = '["tcb_info_type","TDX quote with non-TDX TCB info in the collateral"]' ]
  scenario pceid '{"tcb_info":{"pceId":"0100"}}'
  qvca 1 pceid
  [ "$(j '[.failed_check, .error]')" = '["pce_id","PCE ID mismatch"]' ]
}

# ---- test CA: TD attributes ----

@test "test CA: a debug TD fails td_debug unless --allow-debug" {
  scenario dbg '{"quote":{"td_attributes":"0100001000000000"}}'
  qvca 1 dbg
  [ "$(j '[.verified, .status, .failed_check, .error]')" = '[false,"UpToDate","td_debug","Debug mode is enabled"]' ]
  qvca 0 dbg --allow-debug
  [ "$(j -r '.checks[] | select(.name == "td_debug") | .detail')" = "TDATTRIBUTES.DEBUG is set, allowed by --allow-debug" ]
}

@test "test CA: reserved TD attribute bits fail td_reserved_attributes" {
  scenario resv '{"quote":{"td_attributes":"0000001000000001"}}'
  qvca 1 resv
  [ "$(j '[.failed_check, .error]')" = '["td_reserved_attributes","Reserved bits in TD attributes are set"]' ]
}

@test "test CA: SEPT_VE_DISABLE clear fails sept_ve_disable; --skip-td-attributes reports the policy skipped" {
  scenario septve '{"quote":{"td_attributes":"0000000000000000"}}'
  qvca 1 septve
  [ "$(j '[.failed_check, .error]')" = '["sept_ve_disable","SEPT_VE_DISABLE is not enabled"]' ]
  qvca 0 septve --skip-td-attributes
  [ "$(j '[.checks[] | select(.result == "skip") | .name]')" = '["mr_service_td","td_debug","td_reserved_attributes","sept_ve_disable","report_data"]' ]
  [ "$(j -r '.checks[] | select(.name == "sept_ve_disable") | .detail')" = "skipped by --skip-td-attributes" ]
}

@test "test CA: a TD 1.5 bound to a service TD fails mr_service_td unless --allow-service-td" {
  scenario svc '{"quote":{"version":5,"body":"td15","mr_service_td":"'"$(printf '01%.0s' {1..48})"'"}}'
  qvca 1 svc
  [ "$(j '[.failed_check, .error, .report_type]')" = '["mr_service_td","Invalid MR service TD","TD15"]' ]
  qvca 0 svc --allow-service-td
}

@test "test CA: every failed judgement is listed, failed_check names the first" {
  scenario many '{"quote":{"td_attributes":"0100000000000000"},"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":12,"tdx":'"$TDXC"',"status":"UpToDate"}]}'
  qvca 1 many
  [ "$(j '[.failed_check, [.checks[] | select(.result == "fail") | .name]]')" = '["platform_tcb_level",["platform_tcb_level","td_debug","sept_ve_disable"]]' ]
  [ "$(j .status)" = null ]
}

@test "Intel's synthetic sample (DER chain in the quote, SVNs above 255) under its test root: auth data length rules" {
  local d="$VEC/intel-qvl/Src/AttestationApp/sampleData/tdx"
  # Intel's PCS-shaped files to QuoteCollateralV3, the signed members sliced as served
  python3 - "$d" "$BATS_TEST_TMPDIR/c.json" <<'PY'
import json, sys
d, out = sys.argv[1:3]
def member(name, key):
    t = open(f"{d}/{name}").read(); o = json.loads(t)
    inner = json.dumps(o[key], separators=(",", ":")); assert inner in t
    return inner, o["signature"]
ti, tis = member("tcbInfo.json", "tcbInfo"); qi, qis = member("qeIdentity.json", "enclaveIdentity")
chain = open(f"{d}/tcbSignChain.pem").read()
json.dump({"tcb_info": ti, "tcb_info_signature": tis, "qe_identity": qi, "qe_identity_signature": qis,
           "tcb_info_issuer_chain": chain, "qe_identity_issuer_chain": chain,
           "pck_crl_issuer_chain": open(f"{d}/pckSignChain.pem").read(),
           "root_ca_crl": open(f"{d}/rootCaCrl.der", "rb").read().hex(),
           "pck_crl": open(f"{d}/intermediateCaCrl.der", "rb").read().hex()}, open(out, "w"))
PY
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --root-ca "$d/trustedRootCaCert.pem" \
    --now 1700000000 < "$d/quote.dat"
  [ "$(j '[.failed_check, .error]')" = '["qe_report_data","Invalid QE auth data length"]' ]
  [ "$(j '[.checks[] | select(.name == "pck_chain" or .name == "tcb_info_signature") | .result]')" = '["pass","pass"]' ]
  # Intel hashes QE authentication data of any length (here 0): the synthetic QE identity then disagrees
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --root-ca "$d/trustedRootCaCert.pem" \
    --now 1700000000 --intel-rules < "$d/quote.dat"
  [ "$(j '[.checks[] | select(.name == "qe_report_data") | .detail]')" = '["QE report data binds the attestation key and the 0 bytes of QE authentication data"]' ]
  [ "$(j .failed_check)" = '"qe_identity_policy"' ]
}

@test "test CA: the collateral's pck_certificate_chain is used instead of the quote's (encrypted-PPID quotes)" {
  scenario pckcoll '{}'
  local d="$BATS_TEST_TMPDIR/pckcoll" off
  quote2json < "$d/quote.bin" | jq -r '.auth_data.qe_report_data.certification_data.pck_cert_chain | join("")' > "$d/chain.pem"
  jq --rawfile c "$d/chain.pem" '.pck_certificate_chain = $c' "$d/collateral.json" > "$d/c2.json"
  # certification data type 5 -> 3 (its PEM body is then opaque bytes)
  off=$(grep -obUaP -- '-----BEGIN CERTIFICATE' "$d/quote.bin" | head -1 | cut -d: -f1)
  flip_byte "$d/quote.bin" $((off - 6)) 6 "$d/q3.bin"
  run -1 --separate-stderr quote-verify --collateral "$d/collateral.json" --now $CANOW --root-ca "$CA/root.pem" < "$d/q3.bin"
  [ "$(j '[.failed_check, .error]')" = '["pck_chain","Unsupported DCAP PCK cert format: 3"]' ]
  run -0 --separate-stderr quote-verify --collateral "$d/c2.json" --now $CANOW --root-ca "$CA/root.pem" < "$d/q3.bin"
  [[ "$(j -r '.checks[] | select(.name == "pck_chain") | .detail')" == *" (from the collateral); revocation checked"* ]]
  [ "$(j '[.verified, .status, .fmspc]')" = '[true,"UpToDate","c0ffee000000"]' ]
}

@test "test CA: a TDX level without TDX components stops the matching, as in dcap-qvl" {
  scenario notdx '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":null,"status":"UpToDate"},{"sgx":'"$COMP"',"pcesvn":5,"tdx":[3,0,2,0,0,0,0,0,0,0,0,0,0,0,0,0],"status":"OutOfDate"}]}'
  qvca 1 notdx
  [ "$(j '[.status, .failed_check, .error]')" = '[null,"platform_tcb_level","No TDX components in the TCB info"]' ]
}

# ---- --allow-status: the TCB-status gate ----

# gate_scenario NAME STATUS: a platform TCB level of STATUS with one advisory (none for UpToDate)
gate_scenario() {
  local adv='["INTEL-SA-00'"$((${#2} + 100))"'"]'
  [ "$2" = UpToDate ] && adv='[]'
  scenario "$1" '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"'"$2"'","advisories":'"$adv"'}]}'
}

@test "--allow-status: each TCB status is allowed when listed (any case) and refused otherwise, advisories named" {
  local st adv
  for st in UpToDate SWHardeningNeeded ConfigurationNeeded ConfigurationAndSWHardeningNeeded OutOfDate \
      OutOfDateConfigurationNeeded; do
    gate_scenario "g-$st" "$st"
    adv="INTEL-SA-00$((${#st} + 100))"
    [ "$st" = UpToDate ] && adv="no advisories"
    # allowed: the status in lower case among others
    qvca 0 "g-$st" --allow-status "revoked,${st,,}"
    [ -z "$stderr" ]
    [ "$(j '[.verified, .status, .tcb_gate]')" = "[true,\"$st\",{\"allowed\":$(printf '%s\n' revoked "${st,,}" | sort | jq -Rsc 'split("\n")[:-1]'),\"decision\":\"allowed\"}]" ]
    # refused: exit 1, the verdict still written, one line naming the status and its advisories
    qvca 1 "g-$st" --allow-status Fine,Perfect
    [ "$stderr" = "quote-verify: not allowed: TCB status $st ($adv) is not in --allow-status fine,perfect" ]
    [ "$(j '[.verified, .status, .failed_check, .tcb_gate.decision]')" = "[true,\"$st\",null,\"refused\"]" ]
  done
}

@test "--allow-status: a Revoked platform does not verify: tcb_gate not-evaluated, the not-verified line" {
  gate_scenario g-revoked Revoked
  qvca 1 g-revoked --allow-status UpToDate,Revoked
  [ "$stderr" = "quote-verify: not verified: tcb_status: TCB status is invalid: Revoked" ]
  [ "$(j '[.verified, .status, .tcb_gate]')" = '[false,"Revoked",{"allowed":["revoked","uptodate"],"decision":"not-evaluated"}]' ]
}

@test "--allow-status: several advisory IDs are listed comma-separated; a quote that fails is not-evaluated" {
  scenario g-two '{"tcb_levels":[{"sgx":'"$COMP"',"pcesvn":11,"tdx":'"$TDXC"',"status":"OutOfDate","advisories":["INTEL-SA-00837","INTEL-SA-00960"]}]}'
  qvca 1 g-two --allow-status uptodate
  [ "$stderr" = "quote-verify: not allowed: TCB status OutOfDate (INTEL-SA-00837, INTEL-SA-00960) is not in --allow-status uptodate" ]
  flip_byte "$Q" 650 1 "$BATS_TEST_TMPDIR/q"
  run -1 --separate-stderr quote-verify --collateral "$C" --now $NOW --allow-status UpToDate < "$BATS_TEST_TMPDIR/q"
  [ "$stderr" = "quote-verify: not verified: quote_signature: ISV enclave report signature is invalid" ]
  [ "$(j .tcb_gate)" = '{"allowed":["uptodate"],"decision":"not-evaluated"}' ]
}

@test "--allow-status: the list is lower-cased, sorted and de-duplicated; without it there is no tcb_gate" {
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW --allow-status UPTODATE,OutOfDate,uptodate,SWHardeningNeeded < "$Q"
  [ "$(j .tcb_gate)" = '{"allowed":["outofdate","swhardeningneeded","uptodate"],"decision":"allowed"}' ]
  run -0 --separate-stderr quote-verify --collateral "$C" --now $NOW < "$Q"
  [ "$(j 'has("tcb_gate")')" = false ]
}

@test "--allow-status: an entry that is not a word is a usage error (2)" {
  local bad
  for bad in '' ',' 'UpToDate,' ',UpToDate' 'UpToDate,,OutOfDate' 'Up To Date' 'UpToDate;OutOfDate' "UpToDate'"; do
    run -2 --separate-stderr quote-verify --collateral "$C" --now $NOW --allow-status "$bad" < "$Q"
    [ -z "$output" ]
    [ "$(sed -n 1p <<<"$stderr")" = "quote-verify: --allow-status needs TCB status names separated by commas, not '$bad'" ]
  done
}

@test "--allow-status with --lines: each verdict carries tcb_gate; a refused line is named and exits 1" {
  gate_scenario g-ood OutOfDate
  { base64 -w0 "$BATS_TEST_TMPDIR/g-ood/quote.bin"; echo; } > "$BATS_TEST_TMPDIR/lines"
  run -1 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/g-ood/collateral.json" --now "$CANOW" \
    --root-ca "$CA/root.pem" --lines --allow-status uptodate < "$BATS_TEST_TMPDIR/lines"
  [ "$stderr" = "quote-verify: line 1: not allowed: TCB status OutOfDate (INTEL-SA-00109) is not in --allow-status uptodate" ]
  [ "$(j -c '[.line, .tcb_gate.decision]')" = '[1,"refused"]' ]
  run -0 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/g-ood/collateral.json" --now "$CANOW" \
    --root-ca "$CA/root.pem" --lines --allow-status uptodate,outofdate < "$BATS_TEST_TMPDIR/lines"
  [ "$(j -c '[.line, .tcb_gate.decision]')" = '[1,"allowed"]' ]
}

# ---- the PCK chain judged as OpenSSL's X509_verify_cert judges it ----

# openssl_verdict NAME: what `openssl verify -crl_check_all` says of scenario NAME's PCK
# chain at CANOW with the collateral's two CRLs: "OK" or "REASON (certificate DEPTH)"
# (the first error; a CRL not yet valid is accepted, as dcap-qvl and quote-verify accept it)
openssl_verdict() {
  local d="$BATS_TEST_TMPDIR/$1" out
  quote2json < "$d/quote.bin" | jq -r '.auth_data.qe_report_data.certification_data.pck_cert_chain[]' |
    awk -v d="$d" '/BEGIN CERT/ { n++ } { print > (n == 1 ? d "/leaf.pem" : d "/rest.pem") }'
  jq -r .root_ca_crl "$d/collateral.json" | xxd -r -p | openssl crl -inform DER -out "$d/root-crl.pem"
  jq -r .pck_crl "$d/collateral.json" | xxd -r -p | openssl crl -inform DER -out "$d/pck-crl.pem"
  out=$(openssl verify -no-CApath -no-CAstore -CAfile "$CA/root.pem" -untrusted "$d/rest.pem" \
    -CRLfile "$d/root-crl.pem" -CRLfile "$d/pck-crl.pem" -crl_check_all -attime "$CANOW" "$d/leaf.pem" 2>&1 || true)
  out=$(grep -E '^error [0-9]+ at [0-9]+ depth lookup: ' <<<"$out" | grep -v 'CRL is not yet valid' | head -n 1 |
    sed -E 's/^error [0-9]+ at ([0-9]+) depth lookup: (.*)$/\2 (certificate \1)/')
  echo "${out:-OK}"
}

# our_verdict NAME: quote-verify's pck_chain check of scenario NAME, in the same words
our_verdict() {
  local d="$BATS_TEST_TMPDIR/$1"
  quote-verify --collateral "$d/collateral.json" --root-ca "$CA/root.pem" --now "$CANOW" < "$d/quote.bin" 2>/dev/null |
    jq -r '(.checks[] | select(.name == "pck_chain")) as $c
      | if $c.result == "pass" then "OK" elif $c.result == "fail" then (.error | sub(", CN=.*\\)$"; ")")) else "skipped" end'
}

@test "test CA: the PCK chain's verdict is OpenSSL's (openssl verify -crl_check_all) in every case of the table" {
  local name spec want ours theirs bad=
  while IFS='|' read -r name spec want; do
    scenario "dx-$name" "$spec"
    ours=$(our_verdict "dx-$name")
    theirs=$(openssl_verdict "dx-$name")
    [ "$ours" = "$theirs" ] && [ "$ours" = "$want" ] || bad+="$name: ours '$ours', openssl '$theirs', expected '$want'"$'\n'
  done <<'TABLE'
base|{}|OK
revoked-leaf|{"revoke":["pck"]}|certificate revoked (certificate 0)
revoked-ca|{"revoke":["pckca"]}|certificate revoked (certificate 1)
expired-leaf|{"leaf":{"end":"20250110000000Z"}}|certificate has expired (certificate 0)
future-leaf|{"leaf":{"start":"20250120000000Z"}}|certificate is not yet valid (certificate 0)
critical-ext|{"leaf":{"ext":"1.2.3.4 = critical,DER:0500"}}|unhandled critical extension (certificate 0)
ca-not-ca|{"pckca":{"ext":"basicConstraints = critical, CA:FALSE"}}|invalid CA certificate (certificate 1)
ca-no-certsign|{"pckca":{"ext":"keyUsage = critical, cRLSign"}}|invalid CA certificate (certificate 1)
ca-no-crlsign|{"pckca":{"ext":"keyUsage = critical, keyCertSign"}}|key usage does not include CRL signing (certificate 0)
expired-ca|{"pckca":{"end":"20250110000000Z"}}|certificate has expired (certificate 1)
other-key-akid|{"leaf":{"signer":"other"}}|unable to get local issuer certificate (certificate 0)
other-key|{"leaf":{"signer":"other","ext":"authorityKeyIdentifier = none"}}|certificate signature failure (certificate 0)
sub-ca|{"sub_ca":{}}|unable to get certificate CRL (certificate 1)
path-length|{"pckca":{"ext":"basicConstraints = critical, CA:TRUE, pathlen:0"},"sub_ca":{}}|path length constraint exceeded (certificate 2)
no-leaf-crl|{"pck_crl_issuer":"root"}|unable to get certificate CRL (certificate 0)
crl-other-key|{"leaf":{"signer":"other","ext":"authorityKeyIdentifier = none"},"pck_crl_issuer":"other"}|CRL signature failure (certificate 0)
crl-in-future|{"dates":{"crl_last":"20250120000000Z"}}|OK
TABLE
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}
