#!/usr/bin/env bats
# collateral-fetch against tests/lib/fake-pcs.py on 127.0.0.1 serving recorded
# collateral from the vectors: the round trip, the v4 URLs, retries with
# Retry-After, timeouts, refused connections, impossible answers, the API key.

load test_helper

Q="$VEC/dcap-qvl/sample/tdx_quote"
C="$VEC/dcap-qvl/sample/tdx_quote_collateral.json"

# start_fake COLLATERAL [--script EP=ACTIONS]...: serve on a free port; sets $URL
start_fake() {
  local coll=$1
  shift
  PORT_FILE="$BATS_TEST_TMPDIR/port"
  LOG="$BATS_TEST_TMPDIR/requests.log"
  rm -f "$PORT_FILE" "$LOG"
  python3 "$BATS_TEST_DIRNAME/lib/fake-pcs.py" --collateral "$coll" --port-file "$PORT_FILE" --log "$LOG" "$@" \
    3>&- &
  FAKE_PID=$!
  local _
  for _ in $(seq 100); do
    [ -s "$PORT_FILE" ] && break
    sleep 0.05
  done
  [ -s "$PORT_FILE" ]
  URL="http://127.0.0.1:$(cat "$PORT_FILE")"
}

teardown() {
  if [ -n "${FAKE_PID:-}" ]; then
    kill "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
  fi
}

# the requests the fake saw: "ENDPOINT STATUS" per line
requests() { cut -d' ' -f1,2 "$LOG"; }

@test "--help documents PCS_API_KEY and the exit codes" {
  run -0 --separate-stderr collateral-fetch --help
  assert_output --partial 'PCS_API_KEY'
  assert_output --partial '75 timeout or 429/5xx after the retries'
  assert_output --partial '78 PCS_API_KEY holds a line break'
}

@test "program-specific usage errors exit 2 with the synopsis and nothing on stdout" {
  run -2 --separate-stderr collateral-fetch --pcs --pccs-url http://127.0.0.1:1
  [ -z "$output" ]
  [ "$(sed -n 1p <<<"$stderr")" = "collateral-fetch: --pccs-url and --pcs exclude each other" ]
  [[ "$(sed -n 2p <<<"$stderr")" == "usage: collateral-fetch "* ]]
  run -2 --separate-stderr collateral-fetch --pccs-url ftp://example
  [[ "$stderr" == *"--pccs-url needs an http:// or https:// URL, not 'ftp://example'"* ]]
  run -2 --separate-stderr collateral-fetch --root-ca-crl-url ftp://example/crl
  [ "$(sed -n 1p <<<"$stderr")" = "collateral-fetch: --root-ca-crl-url needs an http:// or https:// URL, not 'ftp://example/crl'" ]
  run -2 --separate-stderr collateral-fetch --root-ca-crl-url file:///etc/passwd
  [[ "$stderr" == *"--root-ca-crl-url needs an http:// or https:// URL"* ]]
  run -2 --separate-stderr collateral-fetch --timeout 0
  [[ "$stderr" == *"--timeout needs seconds from 0.001 to 3600, not '0'"* ]]
  # below a millisecond is refused, not turned into the 30 s default
  run -2 --separate-stderr collateral-fetch --timeout 0.0004
  [[ "$stderr" == *"--timeout needs seconds from 0.001 to 3600, not '0.0004'"* ]]
  run -2 --separate-stderr collateral-fetch --timeout 3601
  run -2 --separate-stderr collateral-fetch --retries 99
  [[ "$stderr" == *"--retries needs 0 to 10, not '99'"* ]]
  run -2 --separate-stderr collateral-fetch --input=pem
  [[ "$stderr" == *"unknown input form 'pem'"* ]]
  [ -z "$output" ]
}

@test "--timeout 0.001 is a millisecond: a slow answer times out at once (75), not after 30 s" {
  start_fake "$C" --script pckcrl=slow,slow
  local t0
  t0=$(date +%s%N)
  run -75 --separate-stderr collateral-fetch --pccs-url "$URL" --timeout 0.001 --retries 1 < "$Q"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  [[ "$stderr" == "collateral-fetch: GET $URL/sgx/certification/v4/pckcrl?ca=platform&encoding=der: timed out (after 2 attempts)" ]]
  [ "$ms" -lt 3000 ]
}

@test "a malformed quote exits 65 before any request" {
  start_fake "$C"
  printf 'garbage garbage garbage' > "$BATS_TEST_TMPDIR/bad"
  run -65 --separate-stderr collateral-fetch --pccs-url "$URL" < "$BATS_TEST_TMPDIR/bad"
  [ -z "$output" ]
  [ "$(nlines "$stderr")" -eq 1 ]
  [ "$stderr" = "collateral-fetch: cannot decode quote: input is not valid base64" ]
  [ ! -s "$LOG" ]
}

@test "a quote without a PCK chain (certification data type 3) exits 65" {
  # the type-5 header before the PEM chain at byte 1258 becomes type 3
  python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); assert b[1252]==5; b[1252]=3; open(sys.argv[2],"wb").write(b)' "$Q" "$BATS_TEST_TMPDIR/q3"
  run -65 --separate-stderr collateral-fetch --pccs-url http://127.0.0.1:1 < "$BATS_TEST_TMPDIR/q3"
  [[ "$stderr" == "collateral-fetch: the quote's certification data is of type 3, not a PCK certificate chain (type 5)"* ]]
}

@test "recorded collateral comes back byte for byte as QuoteCollateralV3 (golden: the vector itself)" {
  start_fake "$C"
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ -z "$stderr" ]
  diff <(printf '%s\n' "$output") <(jq -S . "$C")
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 200 qe 200 rootcacrl 200 " ]
  [ "$(cut -d' ' -f4 "$LOG" | tr '\n' ' ')" = "/sgx/certification/v4/pckcrl?ca=platform&encoding=der /tdx/certification/v4/tcb?fmspc=B0C06F000000 /tdx/certification/v4/qe/identity?update=standard /sgx/certification/v4/rootcacrl " ]
}

@test "fetched collateral verifies the quote with quote-verify (same verdict as the recorded file)" {
  start_fake "$C"
  collateral-fetch --pccs-url "$URL" < "$Q" > "$BATS_TEST_TMPDIR/c.json"
  run -0 --separate-stderr quote-verify --collateral "$BATS_TEST_TMPDIR/c.json" --now 1752919234 < "$Q"
  diff <(printf '%s\n' "$output") "$FIX/quote-verify/tdx_quote.verdict.json"
}

@test "hex and base64 quotes are read too; a PCCS URL ending in /tdx/certification/v4/ is accepted" {
  start_fake "$C"
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL/tdx/certification/v4/" < "$VEC/dcap-qvl/sample/tdx-quote.hex"
  [ "$(j() { jq -r .tcb_info <<<"$output" | jq -r .fmspc; }; j)" = "B0C06F000000" ]
  [ "$(sed -n 2p "$LOG" | cut -d' ' -f4)" = "/tdx/certification/v4/tcb?fmspc=B0C06F000000" ]
  base64 -w0 "$Q" > "$BATS_TEST_TMPDIR/q.b64"
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL/sgx/certification/v4" < "$BATS_TEST_TMPDIR/q.b64"
}

@test "an SGX quote uses the /sgx/ TCB info and QE identity, and its processor CA's CRL" {
  local s="$VECTORS/sgx/dcap-qvl/sample"
  start_fake "$s/sgx_quote_collateral.json"
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" < "$s/sgx_quote"
  diff <(printf '%s\n' "$output") <(jq -S . "$s/sgx_quote_collateral.json")
  [ "$(cut -d' ' -f4 "$LOG" | tr '\n' ' ')" = "/sgx/certification/v4/pckcrl?ca=processor&encoding=der /sgx/certification/v4/tcb?fmspc=00A067110000 /sgx/certification/v4/qe/identity?update=standard /sgx/certification/v4/rootcacrl " ]
}

@test "--root-ca-crl-url fetches the root CA CRL from another place" {
  start_fake "$C"
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" --root-ca-crl-url "$URL/elsewhere/rootcacrl" < "$Q"
  [ "$(sed -n 4p "$LOG" | cut -d' ' -f4)" = "/elsewhere/rootcacrl" ]
}

# ---- failures and retries ----

@test "404 exits 69 naming the URL, the status and Intel's Error-Code" {
  start_fake "$C" --script tcb=404
  run -69 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: HTTP 404 (Error-Code FakeError)" ]
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 404 " ]
}

@test "500 then 200 with Retry-After: 1 succeeds after waiting a second" {
  start_fake "$C" --script tcb=500:ra=1
  local t0
  t0=$(date +%s%N)
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  [ -z "$stderr" ]
  [ "$ms" -ge 1000 ]
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 500 tcb 200 qe 200 rootcacrl 200 " ]
  diff <(printf '%s\n' "$output") <(jq -S . "$C")
}

@test "429 with a Retry-After HTTP date is retried; --verbose says so on stderr" {
  start_fake "$C" --script qe=429:ra=date1
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" --verbose < "$Q"
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 200 qe 429 qe 200 rootcacrl 200 " ]
  [[ "$stderr" == "collateral-fetch: GET $URL/tdx/certification/v4/qe/identity?update=standard: HTTP 429, retry 1 of 3 in "*" ms" ]]
}

@test "5xx until the retries are exhausted exits 75" {
  start_fake "$C" --script pckcrl=503,502,500,503
  run -75 --separate-stderr collateral-fetch --pccs-url "$URL" --retries 2 < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: GET $URL/sgx/certification/v4/pckcrl?ca=platform&encoding=der: HTTP 500 (after 3 attempts)" ]
  [ "$(requests | tr '\n' ' ')" = "pckcrl 503 pckcrl 502 pckcrl 500 " ]
}

@test "a slow answer times out: exit 75 after the retries" {
  start_fake "$C" --script tcb=slow,slow
  local t0
  t0=$(date +%s%N)
  run -75 --separate-stderr collateral-fetch --pccs-url "$URL" --timeout 0.5 --retries 1 < "$Q"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: timed out (after 2 attempts)" ]
  [ "$ms" -lt 5000 ]   # without timeouts two slow answers take 6 s
}

@test "a dropped connection is retried" {
  start_fake "$C" --script rootcacrl=close
  run -0 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 200 qe 200 rootcacrl 0 rootcacrl 200 " ]
}

@test "connection refused exits 69 after the retries" {
  # a port that was free a moment ago
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  run -69 --separate-stderr collateral-fetch --pccs-url "http://127.0.0.1:$port" --retries 1 < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: GET http://127.0.0.1:$port/sgx/certification/v4/pckcrl?ca=platform&encoding=der: connection refused or host unreachable (after 2 attempts)" ]
}

@test "401 and 403 exit 77" {
  start_fake "$C" --script pckcrl=401 --script tcb=403
  run -77 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [[ "$stderr" == *"pckcrl?ca=platform&encoding=der: HTTP 401 (Error-Code FakeError)" ]]
  run -77 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [[ "$stderr" == *"tcb?fmspc=B0C06F000000: HTTP 403 (Error-Code FakeError)" ]]
}

# ---- impossible answers ----

@test "garbage instead of TCB info exits 76" {
  start_fake "$C" --script tcb=garbage
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: the answer is not a JSON object with a \"tcbInfo\" object" ]
}

@test "garbage instead of a CRL exits 76" {
  start_fake "$C" --script pckcrl=garbage
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [[ "$stderr" == "collateral-fetch: GET $URL/sgx/certification/v4/pckcrl?ca=platform&encoding=der: the answer is not a CRL: "* ]]
}

@test "a missing issuer chain header exits 76" {
  start_fake "$C" --script qe=nochain
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/qe/identity?update=standard: the answer has no SGX-Enclave-Identity-Issuer-Chain header" ]
}

@test "a signature that does not verify with the issuer chain exits 76" {
  start_fake "$C" --script tcb=badsig
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: the \"tcbInfo\" signature does not verify with the issuer chain's leaf key" ]
}

@test "TCB info for another FMSPC exits 76" {
  start_fake "$VEC/derived/collateral-tdx-00806f050000-20250929.json"
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: the TCB info is for another FMSPC than B0C06F000000" ]
}

# ---- the API key ----

@test "PCS_API_KEY is sent as Ocp-Apim-Subscription-Key and never printed" {
  start_fake "$C" --script tcb=503,503
  PCS_API_KEY=k3y-Sekr1t run -75 --separate-stderr collateral-fetch --pccs-url "$URL" --retries 1 --verbose < "$Q"
  [ "$(cut -d' ' -f3 "$LOG" | sort -u)" = "key=k3y-Sekr1t" ]
  [[ "$stderr" != *"k3y-Sekr1t"* ]]
  [ "$(nlines "$stderr")" -eq 2 ]
  PCS_API_KEY='' run -0 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ "$(tail -1 "$LOG" | cut -d' ' -f3)" = "key=-" ]
}

@test "a line break in PCS_API_KEY is a configuration error (78) before any request, the key never printed" {
  start_fake "$C"
  PCS_API_KEY=$'k3y\nInjected: 1' run -78 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: PCS_API_KEY holds a line break: it cannot be sent as a header" ]
  [ ! -s "$LOG" ]
  PCS_API_KEY=$'k3y\r' run -78 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ ! -s "$LOG" ]
}

@test "response headers over 64 KiB are an impossible answer (76), not retried" {
  start_fake "$C" --script tcb=hugeheaders,hugeheaders
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [ -z "$output" ]
  [ "$stderr" = "collateral-fetch: GET $URL/tdx/certification/v4/tcb?fmspc=B0C06F000000: response headers exceed 65536 bytes" ]
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 200 " ]
  # one header line longer than libcurl's own limit: the same
  start_fake "$C" --script qe=hugeheader,hugeheader
  run -76 --separate-stderr collateral-fetch --pccs-url "$URL" < "$Q"
  [[ "$stderr" == "collateral-fetch: GET $URL/tdx/certification/v4/qe/identity?update=standard: "* ]]
  [ "$(requests | tr '\n' ' ')" = "pckcrl 200 tcb 200 qe 200 " ]
}

@test "a write error on stdout exits 74" {
  start_fake "$C"
  run -74 --separate-stderr bash -c "collateral-fetch --pccs-url '$URL' < '$Q' > /dev/full"
  [[ "$stderr" == "collateral-fetch: cannot write to standard output"* ]]
}
