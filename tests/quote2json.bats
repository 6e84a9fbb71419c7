#!/usr/bin/env bats
# quote2json: every real quote of the vectors, the input forms, batch mode,
# truncation and corruption, usage and I/O errors.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

V4="$VEC/dcap-qvl/sample/tdx_quote"
V5="$VEC/dcap-qvl/sample/tdx_quote_outdated"

# hex of bytes [off, off+len) of a file
bytes_hex() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d ' \n'; }

@test "program-specific usage errors exit 2 with the synopsis and nothing on stdout" {
  run -2 --separate-stderr quote2json --input=pem
  [ -z "$output" ]
  [ "$(sed -n 1p <<<"$stderr")" = "quote2json: unknown input form 'pem' (bin, hex or base64)" ]
  [[ "$(sed -n 2p <<<"$stderr")" == "usage: quote2json "* ]]
  run -2 --separate-stderr quote2json extra-arg
  [ "$(sed -n 1p <<<"$stderr")" = "quote2json: unexpected argument 'extra-arg'" ]
  [ -z "$output" ]
}

@test "every quote of expected.json: header, body, measurements, sizes and PCK values" {
  local n=0 bad=""
  while IFS= read -r key; do
    local src="$key"
    case "$key" in *.json) src=$(expected "$key" .binary) ;; esac
    quote2json < "$VEC/$src" > "$BATS_TEST_TMPDIR/q.json" || { bad+="$key: exit $?"$'\n'; continue; }
    local diff
    diff=$(jq -n --arg k "$key" --slurpfile e "$VEC/expected.json" --slurpfile g "$BATS_TEST_TMPDIR/q.json" \
      '[$e[0].quotes[$k], $g[0]]' | jq -r -f "$FIX/quote2json/to-expected.jq")
    [ -z "$diff" ] || bad+="$key: $diff"$'\n'
    n=$((n + 1))
  done < <(jq -r '.quotes | keys[]' "$VEC/expected.json")
  [ -z "$bad" ] || { echo "$bad"; false; }
  [ "$n" -eq 21 ]
}

@test "golden output of a v4 and a v5 quote is byte-identical" {
  run -0 bash -c "quote2json < '$V4' | cmp - '$FIX/quote2json/tdx_quote.golden.json'"
  run -0 bash -c "quote2json < '$V5' | cmp - '$FIX/quote2json/tdx_quote_outdated.golden.json'"
}

@test "v4 quote: measurements equal the bytes at their offsets, padding reported" {
  run -0 quote2json < "$V4"
  [ "$(jq -r .td_report.mr_td <<<"$output")" = "$(bytes_hex "$V4" 184 48)" ]
  [ "$(jq -r .td_report.rt_mr0 <<<"$output")" = "$(bytes_hex "$V4" 376 48)" ]
  [ "$(jq -r .td_report.rt_mr3 <<<"$output")" = "$(bytes_hex "$V4" 520 48)" ]
  [ "$(jq -r .td_report.report_data <<<"$output")" = "$(bytes_hex "$V4" 568 64)" ]
  [ "$(jq -r .sizes.trailing_bytes <<<"$output")" = 70 ]
  [ "$(jq -r .sha256 <<<"$output")" = "$(sha256sum < "$V4" | cut -d' ' -f1)" ]
  [ "$(jq -r .report_type <<<"$output")" = TD10 ]
  [ "$(jq -r .header.reserved <<<"$output")" = 00000000 ]
}

@test "v5 quote: body descriptor, TD report 1.5 with TEE_TCB_SVN2 and MRSERVICETD" {
  run -0 quote2json < "$V5"
  [ "$(jq -c .body_descriptor <<<"$output")" = '{"body_size":648,"body_type":3}' ]
  [ "$(jq -r .report_type <<<"$output")" = TD15 ]
  [ "$(jq -r .td_report.tee_tcb_svn2 <<<"$output")" = "$(bytes_hex "$V5" 638 16)" ]
  [ "$(jq -r .td_report.mr_service_td <<<"$output")" = "$(bytes_hex "$V5" 654 48)" ]
  [ "$(jq -r .td_report.mr_td <<<"$output")" = "$(bytes_hex "$V5" 190 48)" ]
  [ "$(jq -r .sizes.signed <<<"$output")" = 702 ]
}

@test "PCK chain: three PEM certificates whose leaf openssl reads with the same serial" {
  run -0 quote2json < "$V4"
  [ "$(jq '.auth_data.qe_report_data.certification_data.pck_cert_chain | length' <<<"$output")" = 3 ]
  jq -r '.auth_data.qe_report_data.certification_data.pck_cert_chain[0]' <<<"$output" > "$BATS_TEST_TMPDIR/leaf.pem"
  serial=$(openssl x509 -in "$BATS_TEST_TMPDIR/leaf.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
  [ "$(jq -r .pck.serial <<<"$output")" = "$serial" ]
  [ "$(jq -r .pck.sgx_type_name <<<"$output")" = Scalable ]
  [ "$(jq -c .pck.tcb_components <<<"$output")" = '[3,3,2,2,4,1,0,5,0,0,0,0,0,0,0,0]' ]
  [ "$(jq -r .pck.ca <<<"$output")" = platform ]
}

@test "hex input with 0x prefix and newline, hex without prefix, base64 and URL-safe base64 agree" {
  quote2json < "$V4" > "$BATS_TEST_TMPDIR/bin.json"
  run -0 bash -c "quote2json < '$VEC/dcap-qvl/sample/tdx-quote.hex' | jq -r .td_report.mr_td"
  [ "$output" = "$(expected dcap-qvl/sample/tdx-quote.hex .mr_td)" ]
  run -0 bash -c "xxd -p '$V4' | quote2json | cmp - '$BATS_TEST_TMPDIR/bin.json'"
  run -0 bash -c "base64 -w0 '$V4' | quote2json | cmp - '$BATS_TEST_TMPDIR/bin.json'"
  run -0 bash -c "base64 -w76 '$V4' | quote2json --input=base64 | cmp - '$BATS_TEST_TMPDIR/bin.json'"
  run -0 bash -c "base64 -w0 '$V4' | tr '+/' '-_' | tr -d = | quote2json | cmp - '$BATS_TEST_TMPDIR/bin.json'"
  run -0 bash -c "xxd -p '$V4' | tr a-f A-F | quote2json --input=hex | cmp - '$BATS_TEST_TMPDIR/bin.json'"
}

@test "a forced form that does not fit the input exits 65" {
  run -65 --separate-stderr quote2json --input=hex < "$V4"
  [ -z "$output" ]
  [[ "$stderr" == "quote2json: cannot decode quote: bad hex character"* ]]
  run -65 --separate-stderr bash -c "printf 'abc' | quote2json --input=hex"
  [[ "$stderr" == *"odd number of digits"* ]]
}

@test "SGX v3 quote parses with its enclave report" {
  local q="$VECTORS/sgx/dcap-qvl/sample/sgx_quote"
  run -0 quote2json < "$q"
  [ "$(jq -r .report_type <<<"$output")" = SgxEnclave ]
  [ "$(jq -r .header.version <<<"$output")" = 3 ]
  [ "$(jq -r .enclave_report.mr_enclave <<<"$output")" = "$(bytes_hex "$q" 112 32)" ]
  [ "$(jq -r .enclave_report.mr_signer <<<"$output")" = "$(bytes_hex "$q" 176 32)" ]
  [ "$(jq -r .pck.ca <<<"$output")" = processor ]
  [ "$(jq -r .sizes.signed <<<"$output")" = 432 ]
}

@test "Intel's sample: a type-5 chain in DER, root first, is accepted and reported" {
  run -0 quote2json < "$VEC/intel-qvl/Src/AttestationApp/sampleData/tdx/quote.dat"
  [ "$(jq -r .auth_data.qe_report_data.certification_data.encoding <<<"$output")" = der ]
  [ "$(jq -r .auth_data.qe_report_data.certification_data.order <<<"$output")" = root-first ]
  [ "$(jq -r .pck.subject <<<"$output")" = "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=Intel SGX PCK Certificate" ]
  [ "$(jq -r .pck.pce_svn <<<"$output")" = 10593 ]
  [ "$(jq -r .auth_data.qe_report_data.qe_auth_data <<<"$output")" = "" ]
}

@test "every 1-byte prefix of a v4 and a v5 quote is rejected (batch, every length)" {
  for q in "$V4" "$V5"; do
    local end=$(( $(quote2json < "$q" | jq '.sizes.quote - .sizes.trailing_bytes') ))
    python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
for n in range(1, int(sys.argv[2])): print(d[:n].hex())
" "$q" "$end" > "$BATS_TEST_TMPDIR/prefixes"
    run -65 --separate-stderr quote2json --lines < "$BATS_TEST_TMPDIR/prefixes"
    [ -z "$output" ]
    [ "$(grep -c '^quote2json: line [0-9]*: cannot parse quote: .* at byte [0-9]*' <<<"$stderr")" -eq $((end - 1)) ]
    [[ "$stderr" == *"$((end - 1)) of $((end - 1)) quotes failed to parse (0 written)"* ]]
  done
}

@test "prefixes as whole processes: exit 65, one stderr line naming a byte, empty stdout" {
  for q in "$V4" "$V5"; do
    local size
    size=$(stat -c %s "$q")
    for n in 0 1 47 48 53 54 300 631 632 635 700 701 702 706 770 834 1100 1200 1247 1300 2000 3000 4000 4935; do
      [ "$n" -lt "$size" ] || continue
      [ "$q" = "$V4" ] || [ "$n" -lt 5006 ]
      head -c "$n" "$q" > "$BATS_TEST_TMPDIR/p"
      run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/p"
      [ -z "$output" ]
      [ "$(nlines "$stderr")" -eq 1 ]
      [[ "$stderr" == "quote2json: cannot parse quote: "* ]]
    done
  done
  head -c 200 "$V4" > "$BATS_TEST_TMPDIR/p"
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/p"
  [ "$stderr" = "quote2json: cannot parse quote: body truncated at byte 48 of 200 (needs 584 bytes)" ]
}

@test "bit flips in every length field are rejected with 65, never a crash" {
  # v4 offsets: sig data length 632 (u32), outer cert size 766 (u32),
  # QE auth length 1218 (u16), PCK cert data size 1254 (u32)
  local total=0
  for field in 632:4 766:4 1218:2 1254:4; do
    local off=${field%:*} len=${field#*:}
    for ((b = 0; b < len; b++)); do
      for mask in 1 2 4 8 16 32 64 128; do
        flip_byte "$V4" $((off + b)) "$mask" "$BATS_TEST_TMPDIR/f"
        run --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
        if [ "$status" -ne 65 ]; then echo "offset $((off + b)) mask $mask: status $status"; false; fi
        [ -z "$output" ]
        total=$((total + 1))
      done
    done
  done
  [ "$total" -eq 112 ]
}

@test "unknown version, attestation key type, TEE type and certification type name the byte" {
  flip_byte "$V4" 0 2 "$BATS_TEST_TMPDIR/f"       # version 4 -> 6
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [ "$stderr" = "quote2json: cannot parse quote: unknown quote version 6 at byte 0" ]
  flip_byte "$V4" 2 1 "$BATS_TEST_TMPDIR/f"       # key type 2 -> 3 (P-384)
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [[ "$stderr" == *"unsupported attestation key type 3 at byte 2"* ]]
  flip_byte "$V4" 4 2 "$BATS_TEST_TMPDIR/f"
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [[ "$stderr" == *"unknown TEE type 0x00000083 at byte 4"* ]]
  flip_byte "$V4" 764 8 "$BATS_TEST_TMPDIR/f"     # outer type 6 -> 14
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [[ "$stderr" == *"unknown certification data type 14 at byte 764"* ]]
  flip_byte "$V4" 1252 8 "$BATS_TEST_TMPDIR/f"    # inner type 5 -> 13
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [[ "$stderr" == *"unknown certification data type 13 at byte 1252"* ]]
  flip_byte "$V5" 48 1 "$BATS_TEST_TMPDIR/f"      # body type 3 -> 2, size stays 648
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [[ "$stderr" == *"body size 648 at byte 50 does not match body type 2 (584 bytes)"* ]]
}

@test "a PCK certificate that does not parse exits 65" {
  # corrupt a byte inside the base64 of the leaf certificate's signature area
  flip_byte "$V4" 1400 1 "$BATS_TEST_TMPDIR/f"
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/f"
  [ -z "$output" ]
  [[ "$stderr" == "quote2json: cannot parse quote: PCK certificate chain at byte 1258: certificate 1 of the chain does not parse"* ]]
}

@test "empty and oversized input exit 65" {
  run -65 --separate-stderr quote2json < /dev/null
  [ "$stderr" = "quote2json: cannot parse quote: empty input" ]
  head -c $((1024 * 1024 + 1)) /dev/zero > "$BATS_TEST_TMPDIR/big"
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/big"
  [[ "$stderr" == *"exceeds the 1 MiB quote cap"* ]]
  head -c $((3 * 1024 * 1024)) /dev/zero > "$BATS_TEST_TMPDIR/huge"
  run -65 --separate-stderr quote2json < "$BATS_TEST_TMPDIR/huge"
  [[ "$stderr" == *"exceeds the"*"input cap"* ]]
  [ -z "$output" ]
}

@test "--lines: one compact object per line, equal to the single-quote output" {
  { xxd -p -c 100000 "$V4"; echo; base64 -w0 "$V5"; echo; } > "$BATS_TEST_TMPDIR/lines"
  run -0 --separate-stderr quote2json --lines < "$BATS_TEST_TMPDIR/lines"
  [ "$(nlines "$output")" -eq 2 ]
  [ "$(sed -n 1p <<<"$output")" = "$(quote2json < "$V4" | jq -cS .)" ]
  [ "$(sed -n 2p <<<"$output")" = "$(quote2json < "$V5" | jq -cS .)" ]
}

@test "--lines: a bad line is named, the following lines are still written, exit 65" {
  { xxd -p -c 100000 "$V4"; echo "00zz"; xxd -p -c 100000 "$V4" | cut -c1-500; xxd -p -c 100000 "$V5"; } > "$BATS_TEST_TMPDIR/lines"
  run -65 --separate-stderr quote2json --lines < "$BATS_TEST_TMPDIR/lines"
  [ "$(nlines "$output")" -eq 2 ]
  [ "$(sed -n 2p <<<"$output" | jq -r .report_type)" = TD15 ]
  [[ "$stderr" == *"line 2: "* ]]
  [[ "$stderr" == *"line 3: cannot parse quote: body truncated"* ]]
  [[ "$stderr" == *"2 of 4 quotes failed to parse (2 written)"* ]]
}

@test "writing to a full device exits 74" {
  run -74 --separate-stderr bash -c "quote2json < '$V4' > /dev/full"
  [[ "$stderr" == "quote2json: cannot write to standard output"* ]]
  run -74 --separate-stderr bash -c "xxd -p -c 100000 '$V4' | quote2json --lines > /dev/full"
}

@test "--lines into a closed pipe dies of SIGPIPE (141) like other filters, and leaves no file behind" {
  local hex _
  hex=$(xxd -p -c 100000 "$V4")
  for _ in $(seq 300); do printf '%s\n' "$hex"; done > "$BATS_TEST_TMPDIR/lines"
  mkdir "$BATS_TEST_TMPDIR/cwd" "$BATS_TEST_TMPDIR/tmp"
  cd "$BATS_TEST_TMPDIR/cwd"
  TMPDIR="$BATS_TEST_TMPDIR/tmp" run -0 bash -c 'quote2json --lines < "$1" | head -c1 > /dev/null; echo "${PIPESTATUS[0]}"' \
    _ "$BATS_TEST_TMPDIR/lines"
  [ "$output" = 141 ]
  [ -z "$(find "$BATS_TEST_TMPDIR/cwd" "$BATS_TEST_TMPDIR/tmp" -mindepth 1 -print -quit)" ]
}
