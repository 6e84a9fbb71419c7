#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# kms-sim: a local simulated mero-kms. Every server is started on
# 127.0.0.1:0 by the test and killed in teardown.

load test_helper
load lib/fake-github

KS="$FIX/kms-sim"
DEFAULT_BINDING=2323feace9fd1751a89ab2bebb8aba145f343a3688e3d1655ed428eb0766e396
NONCE_HEX=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
NONCE_B64=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=

setup() {
  STATE="$BATS_TEST_TMPDIR/state"
  COMPOSE="$KS/compose.yaml"
  SIM_PIDS=()
  unset MERO_KMS_PROFILE KMS_POLICY_PROFILE
}

# every server started is tracked by its pid (start_sim) and stopped here
teardown() { stop_servers; }

# start_sim [ARGS...]: start kms-sim in the background (state $STATE unless
# --state is given); sets URL, PORT, SIM_PID and SIM_ERR once the URL line is out.
start_sim() {
  local out="$BATS_TEST_TMPDIR/sim.${#SIM_PIDS[@]}" state=(--state "$STATE") a
  for a in "$@"; do [ "$a" = --state ] && state=(); done
  kms-sim --listen 127.0.0.1:0 --compose "$COMPOSE" "${state[@]}" "$@" >"$out.url" 2>"$out.err" 3>&- &
  SIM_PID=$!
  SIM_PIDS+=("$SIM_PID")
  echo "$SIM_PID" >> "$BATS_TEST_TMPDIR/.servers"
  SIM_ERR="$out.err"
  for _ in $(seq 1 900); do
    if [ "$(wc -l <"$out.url")" -ge 1 ]; then
      URL=$(head -n1 "$out.url")
      PORT=${URL##*:}
      return 0
    fi
    if ! kill -0 "$SIM_PID" 2>/dev/null; then
      echo "kms-sim exited before printing its URL: $(cat "$out.err")" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "kms-sim printed no URL in 90 s" >&2
  return 1
}

# stop_sim: SIGTERM the last server and return its exit status
stop_sim() {
  kill -TERM "$SIM_PID"
  local st=0
  wait "$SIM_PID" || st=$?
  return $st
}

# post PATH BODY [CURL ARGS...]: POST with Content-Type application/json; status in $code, body in FILE $BATS_TEST_TMPDIR/body
post() {
  local path=$1 body=$2
  shift 2
  code=$(curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$body" "$@" "$URL$path")
}

# attest [BINDING_B64]: a good /attest request with the fixed nonce; the
# response in $BATS_TEST_TMPDIR/resp.json, the quote in quote.bin and quote.json
attest() {
  local body="{\"nonceB64\":\"$NONCE_B64\"${1:+,\"bindingB64\":\"$1\"}}"
  post /attest "$body"
  [ "$code" = 200 ] || { echo "attest answered $code: $(cat "$BATS_TEST_TMPDIR/body")" >&2; return 1; }
  cp "$BATS_TEST_TMPDIR/body" "$BATS_TEST_TMPDIR/resp.json"
  jq -r .quoteB64 "$BATS_TEST_TMPDIR/resp.json" | base64 -d >"$BATS_TEST_TMPDIR/quote.bin"
  quote2json <"$BATS_TEST_TMPDIR/quote.bin" >"$BATS_TEST_TMPDIR/quote.json"
}

q() { jq -r "$1" "$BATS_TEST_TMPDIR/quote.json"; }

# ksim ARGS...: a kms-sim run that must exit by itself (refusals, usage): a
# server that starts by mistake is stopped after 60 s (status 124)
ksim() { timeout 60 kms-sim "$@" 3>&-; }

# ---- usage ----

@test "kms-sim: missing --listen, --compose or --state exits 2" {
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE"
  [[ "$stderr" == *"--listen, --compose and --state are required"* ]]
  [ ! -e "$STATE" ]
}

@test "kms-sim: a non-loopback --listen address exits 2" {
  run -2 --separate-stderr ksim --listen 0.0.0.0:0 --compose "$COMPOSE" --state "$STATE" --profile debug
  [[ "$stderr" == *"'0.0.0.0' is not a loopback IPv4 address"* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:70000 --compose "$COMPOSE" --state "$STATE" --profile debug
  [[ "$stderr" == *"bad port '70000'"* ]]
}

@test "kms-sim: unknown --profile, --tcb or --kms-version values exit 2" {
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile prod
  [[ "$stderr" == *"unsupported profile 'prod'"* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile "debug$(printf ' %.0s' $(seq 1 40))x"
  [[ "$stderr" == *"unsupported profile 'debug "* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug --tcb old
  [[ "$stderr" == *"--tcb is uptodate or outofdate, not 'old'"* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug --kms-version '1 2'
  [[ "$stderr" == *"--kms-version: '1 2' is not a version"* ]]
  [ ! -e "$STATE/image-profile" ]
}

@test "kms-sim: a missing compose file or a folder given as one exits 66 and nothing is printed" {
  run -66 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$BATS_TEST_TMPDIR/none.yaml" --state "$STATE" --profile debug
  [ -z "$output" ]
  [[ "$stderr" == *"cannot open '$BATS_TEST_TMPDIR/none.yaml'"* ]]
  mkdir "$BATS_TEST_TMPDIR/dir"
  run -66 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$BATS_TEST_TMPDIR/dir" --state "$STATE" --profile debug
  one_line
  assert_equal "$stderr" "kms-sim: cannot read '$BATS_TEST_TMPDIR/dir': not a regular file (a directory)"
  [ ! -e "$STATE" ]
}

@test "kms-sim: the --profile is required while the state folder has no pin" {
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE"
  [[ "$stderr" == *"--profile is required"* ]]
}

# ---- serving ----

@test "kms-sim: starts on port 0, prints its URL, writes the pid file and answers /health" {
  start_sim --profile debug-read-only --kms-version mero-kms-v2.3.41 --pid-file "$BATS_TEST_TMPDIR/pid"
  [[ "$URL" =~ ^http://127\.0\.0\.1:[0-9]+$ ]]
  [ "$PORT" -gt 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$SIM_PID" ]
  run -0 curl -s "$URL/health"
  assert_output '{"status":"alive","service":"mero-kms-phala","version":"2.3.41","profile":"debug-read-only","policy":{"status":"degraded","reason":"no policy source: kms-sim was started without --policy or --policy-url"}}'
  run -0 curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/health"
  assert_output '200 application/json'
  grep -q 'SIMULATED mero-kms-phala 2.3.41, profile debug-read-only' "$SIM_ERR"
}

@test "kms-sim: --boot-seconds answers /health 503 starting, then alive" {
  start_sim --profile debug --boot-seconds 1
  run -0 curl -s -w ' %{http_code}' "$URL/health"
  assert_output '{"status":"starting","service":"mero-kms-phala"} 503'
  sleep 1.2
  run -0 curl -s -w ' %{http_code}' "$URL/health"
  [[ "$output" == *'"status":"alive"'*' 200' ]]
  run -2 --separate-stderr kms-sim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --boot-seconds soon
  [[ "$stderr" == *"--boot-seconds needs 0 to 3600 seconds"* ]]
}

@test "kms-sim: SIGTERM stops it with exit 0 and removes the pid file" {
  start_sim --profile debug --pid-file "$BATS_TEST_TMPDIR/pid"
  local st=0
  stop_sim || st=$?
  [ "$st" = 0 ]
  [ ! -e "$BATS_TEST_TMPDIR/pid" ]
  grep -q 'stopped by SIGTERM' "$SIM_ERR"
  run -7 curl -s "$URL/health"
}

@test "kms-sim: SIGINT and SIGHUP stop it with exit 0 and remove the pid file" {
  local sig st
  for sig in INT HUP; do
    start_sim --profile debug --pid-file "$BATS_TEST_TMPDIR/pid"
    [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$SIM_PID" ]
    kill -"$sig" "$SIM_PID"
    st=0
    wait "$SIM_PID" || st=$?
    [ "$st" = 0 ]
    grep -q "stopped by SIG$sig" "$SIM_ERR"
    [ ! -e "$BATS_TEST_TMPDIR/pid" ]
  done
}

@test "kms-sim: a link planted at the pid file is replaced, its target untouched, and removed at the end" {
  echo precious > "$BATS_TEST_TMPDIR/target"
  ln -s "$BATS_TEST_TMPDIR/target" "$BATS_TEST_TMPDIR/pid"
  start_sim --profile debug --pid-file "$BATS_TEST_TMPDIR/pid"
  [ ! -L "$BATS_TEST_TMPDIR/pid" ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$SIM_PID" ]
  stop_sim
  [ ! -e "$BATS_TEST_TMPDIR/pid" ]
  [ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
  # a link to a missing file: the target is never created
  ln -s "$BATS_TEST_TMPDIR/absent" "$BATS_TEST_TMPDIR/pid"
  start_sim --profile debug --pid-file "$BATS_TEST_TMPDIR/pid"
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$SIM_PID" ]
  stop_sim
  [ ! -e "$BATS_TEST_TMPDIR/absent" ]
  [ ! -L "$BATS_TEST_TMPDIR/absent" ]
}

@test "kms-sim: a port in use exits 69 naming the address, with nothing on stdout" {
  start_sim --profile debug
  run -69 --separate-stderr ksim --listen "127.0.0.1:$PORT" --compose "$COMPOSE" --state "$STATE" --profile debug
  [ -z "$output" ]
  assert_equal "$stderr" "kms-sim: cannot listen on 127.0.0.1:$PORT: Address already in use"
  run -0 curl -s "$URL/health"
}

@test "kms-sim: stdout on /dev/full exits 74" {
  run -74 --separate-stderr bash -c 'timeout 60 kms-sim --listen 127.0.0.1:0 --compose "$1" --state "$2" --profile debug >/dev/full' _ "$COMPOSE" "$STATE"
  [[ "$stderr" == *"cannot write to standard output"* ]]
}

@test "kms-sim: /attest answers the quote, report data nonce||default binding, the event log and vmConfig" {
  start_sim --profile locked-read-only
  attest
  run -0 jq -r 'keys_unsorted | join(",")' "$BATS_TEST_TMPDIR/resp.json"
  assert_output 'quoteB64,reportDataHex,eventLog,vmConfig'
  run -0 jq -r .reportDataHex "$BATS_TEST_TMPDIR/resp.json"
  assert_output "$NONCE_HEX$DEFAULT_BINDING"
  [ "$(q .td_report.report_data)" = "$NONCE_HEX$DEFAULT_BINDING" ]
  run -0 jq -r '.eventLog | type, length' "$BATS_TEST_TMPDIR/resp.json"
  assert_output $'array\n27'
  run -0 jq -r '.vmConfig | fromjson | "\(.cpu_count) \(.memory_size) \(.os_image_hash | length) \(.image)"' "$BATS_TEST_TMPDIR/resp.json"
  assert_output '2 2147483648 64 mero-kms-sim-2.3.40'
}

@test "kms-sim: a bindingB64 given is bound in report data" {
  start_sim --profile debug
  local b64 hex
  hex=$(printf 'b%.0s' $(seq 1 32) | xxd -p -c 64)
  b64=$(printf 'b%.0s' $(seq 1 32) | base64 -w0)
  attest "$b64"
  [ "$(jq -r .reportDataHex "$BATS_TEST_TMPDIR/resp.json")" = "$NONCE_HEX$hex" ]
  [ "$(q .td_report.report_data)" = "$NONCE_HEX$hex" ]
}

@test "kms-sim: the sequence form of the request is accepted as serde does" {
  start_sim --profile debug
  post /attest "[\"$NONCE_B64\"]"
  [ "$code" = 200 ]
  run -0 jq -r .reportDataHex "$BATS_TEST_TMPDIR/body"
  assert_output "$NONCE_HEX$DEFAULT_BINDING"
}

@test "kms-sim: quote2json parses the quote: header, TD report, attributes and the PCK values" {
  start_sim --profile locked-read-only
  attest
  [ "$(q '.header | "\(.version) \(.attestation_key_type) \(.tee_type) \(.qe_vendor_id)"')" = "4 2 129 939a7233f79c4ca9940a0db3957f0607" ]
  [ "$(q .report_type)" = TD10 ]
  [ "$(q .td_report.td_attributes)" = 0000001000000000 ]
  [ "$(q .td_attributes_flags.sept_ve_disable)" = true ]
  [ "$(q .td_attributes_flags.debug)" = false ]
  [ "$(q .td_report.tee_tcb_svn)" = 05010300000000000000000000000000 ]
  [ "$(q .td_report.mr_signer_seam)" = "$(printf '0%.0s' $(seq 1 96))" ]
  [ "$(q '.pck | "\(.fmspc) \(.pce_id) \(.pce_svn) \(.cpu_svn) \(.ca) \(.sgx_type_name)"')" = "53494d000000 0000 13 03030202040100050000000000000000 platform Scalable" ]
  [ "$(q '.pck.tcb_components | join(",")')" = "3,3,2,2,4,1,0,5,0,0,0,0,0,0,0,0" ]
  [ "$(q .pck.subject)" = "O=mero-policy simulation (not Intel Corporation),CN=mero-policy SIMULATED SGX PCK Certificate (not Intel)" ]
  [ "$(q '.auth_data.certification_data.cert_type')" = 6 ]
  [ "$(q '.auth_data.qe_report_data.certification_data | "\(.cert_type) \(.encoding) \(.order) \(.pck_cert_chain | length)"')" = "5 pem leaf-first 3" ]
  [ "$(q '.auth_data.qe_report_data.qe_report | "\(.isv_prod_id) \(.isv_svn)"')" = "2 4" ]
  [ "$(q .sizes.trailing_bytes)" = 0 ]
  [ "$(q .sizes.signed)" = 632 ]
}

@test "kms-sim: --debug-td sets DEBUG; --tcb outofdate lowers the TDX microcode SVN" {
  start_sim --profile debug --debug-td --tcb outofdate
  attest
  [ "$(q .td_report.td_attributes)" = 0100001000000000 ]
  [ "$(q .td_attributes_flags.debug)" = true ]
  [ "$(q .td_report.tee_tcb_svn)" = 05010200000000000000000000000000 ]
}

# ---- event log and measurements ----

@test "kms-sim: replaying the event log gives RTMR0-3 of the quote; runtime events carry V1 digests" {
  start_sim --profile locked-read-only
  attest
  run -0 python3 "$KS/replay.py" <"$BATS_TEST_TMPDIR/resp.json"
  assert_line "rtmr0=$(q .td_report.rt_mr0)"
  assert_line "rtmr1=$(q .td_report.rt_mr1)"
  assert_line "rtmr2=$(q .td_report.rt_mr2)"
  assert_line "rtmr3=$(q .td_report.rt_mr3)"
  local ch
  ch=$(sha256sum "$COMPOSE" | cut -c1-64)
  assert_line "compose-hash=$ch"
  assert_line "app-id=${ch:0:40}"
  assert_line "calimero.kms.profile=$(printf 'calimero.kms.profile=locked-read-only' | xxd -p -c 200)"
  assert_line 'boot-mr-done='
  run -0 jq -r '[.eventLog[] | .event] | map(select(. != "")) | join(",")' "$BATS_TEST_TMPDIR/resp.json"
  assert_output 'system-preparing,app-id,compose-hash,instance-id,boot-mr-done,system-ready,calimero.kms.profile'
  # boot events keep their digest, payload stripped
  run -0 jq -r '[.eventLog[] | select(.imr < 3) | .event_payload] | unique | join(",")' "$BATS_TEST_TMPDIR/resp.json"
  assert_output ''
}

@test "kms-sim: RTMR3 also replays with openssl alone" {
  start_sim --profile debug
  attest
  local mr d
  mr=$(printf '0%.0s' $(seq 1 96))
  for d in $(jq -r '.eventLog[] | select(.imr == 3) | .digest' "$BATS_TEST_TMPDIR/resp.json"); do
    mr=$(printf '%s%s' "$mr" "$d" | xxd -r -p | openssl dgst -sha384 -r | cut -c1-96)
  done
  [ "$mr" = "$(q .td_report.rt_mr3)" ]
}

@test "kms-sim: measurements are golden per profile and version, whatever the keys" {
  local p
  for p in debug debug-read-only locked-read-only; do
    start_sim --profile "$p" --state "$BATS_TEST_TMPDIR/state-$p"
    attest
    run -0 jq -c '.td_report | {mr_td, rt_mr0, rt_mr1, rt_mr2, rt_mr3}' "$BATS_TEST_TMPDIR/quote.json"
    assert_output "$(jq -c --arg p "$p" '.[$p]' "$KS/measurements.json")"
    stop_sim
  done
  # a second, fresh state folder (new keys) measures the same
  start_sim --profile debug --state "$BATS_TEST_TMPDIR/other"
  attest
  [ "$(q .td_report.mr_td)" = "$(jq -r .debug.mr_td "$KS/measurements.json")" ]
  [ "$(q .td_report.rt_mr3)" = "$(jq -r .debug.rt_mr3 "$KS/measurements.json")" ]
}

@test "kms-sim: each profile measures differently; a version changes MRTD and RTMR0-3" {
  run -0 jq -r '[.[] | .mr_td] | unique | length' "$KS/measurements.json"
  assert_output 3
  run -0 jq -r '[.[] | .rt_mr3] | unique | length' "$KS/measurements.json"
  assert_output 3
  start_sim --profile debug --kms-version 9.9.9
  attest
  [ "$(q .td_report.mr_td)" != "$(jq -r .debug.mr_td "$KS/measurements.json")" ]
  [ "$(q .td_report.rt_mr0)" != "$(jq -r .debug.rt_mr0 "$KS/measurements.json")" ]
  # RTMR3 through the instance-id event, derived from profile, version and app id
  [ "$(q .td_report.rt_mr3)" != "$(jq -r .debug.rt_mr3 "$KS/measurements.json")" ]
}

@test "kms-sim: a different compose file changes RTMR3 only" {
  printf 'services: {}\n' >"$BATS_TEST_TMPDIR/other.yaml"
  COMPOSE="$BATS_TEST_TMPDIR/other.yaml"
  start_sim --profile debug
  attest
  [ "$(q .td_report.mr_td)" = "$(jq -r .debug.mr_td "$KS/measurements.json")" ]
  [ "$(q .td_report.rt_mr2)" = "$(jq -r .debug.rt_mr2 "$KS/measurements.json")" ]
  [ "$(q .td_report.rt_mr3)" != "$(jq -r .debug.rt_mr3 "$KS/measurements.json")" ]
}

# ---- the cryptography, checked with openssl alone ----

@test "kms-sim: openssl verifies the quote signature, the QE report signature and the QE report binding" {
  start_sim --profile debug
  attest
  local d="$BATS_TEST_TMPDIR/parts"
  mkdir -p "$d"
  python3 "$KS/quote-parts.py" "$BATS_TEST_TMPDIR/quote.bin" "$d"
  run -0 openssl dgst -sha256 -verify <(openssl pkey -pubin -inform DER -in "$d/ak.der") -signature "$d/sig.der" "$d/signed.bin"
  assert_output 'Verified OK'
  openssl x509 -in "$d/chain.pem" -pubkey -noout >"$d/pck.pub"
  run -0 openssl dgst -sha256 -verify "$d/pck.pub" -signature "$d/qesig.der" "$d/qe.bin"
  assert_output 'Verified OK'
  # report_data[0..32] = SHA256(attestation key || qe_auth_data), then zeros
  local ak want
  ak=$(grep '^ak=' "$d/fields.txt" | cut -d= -f2)
  want=$( { printf '%s' "$ak" | xxd -r -p; cat "$d/auth.bin"; } | openssl dgst -sha256 -r | cut -c1-64)
  grep -qx "qe_report_data=${want}$(printf '0%.0s' $(seq 1 64))" "$d/fields.txt"
  grep -qx 'auth_len=32' "$d/fields.txt"
  grep -qx 'qe_isvprodid=2' "$d/fields.txt"
  grep -qx 'outer_type=6' "$d/fields.txt"
  grep -qx 'cert_type=5' "$d/fields.txt"
  grep -qx 'chain_nul=1' "$d/fields.txt"
  # the signature data ends the quote exactly
  [ "$(grep '^end=' "$d/fields.txt" | cut -d= -f2)" = "$(grep '^quote_len=' "$d/fields.txt" | cut -d= -f2)" ]
}

@test "kms-sim: --bad-signature makes the quote signature fail under openssl" {
  start_sim --profile debug --bad-signature
  attest
  local d="$BATS_TEST_TMPDIR/parts"
  mkdir -p "$d"
  python3 "$KS/quote-parts.py" "$BATS_TEST_TMPDIR/quote.bin" "$d"
  run -1 openssl dgst -sha256 -verify <(openssl pkey -pubin -inform DER -in "$d/ak.der") -signature "$d/sig.der" "$d/signed.bin"
  assert_output 'Verification failure'
  openssl x509 -in "$d/chain.pem" -pubkey -noout >"$d/pck.pub"
  run -0 openssl dgst -sha256 -verify "$d/pck.pub" -signature "$d/qesig.der" "$d/qe.bin"
  assert_output 'Verified OK'
}

@test "kms-sim: openssl verifies the PCK chain to the simulated root with both CRLs" {
  start_sim --profile debug
  attest
  local d="$BATS_TEST_TMPDIR/parts" c="$STATE/collateral.json"
  mkdir -p "$d"
  python3 "$KS/quote-parts.py" "$BATS_TEST_TMPDIR/quote.bin" "$d"
  jq -r .root_ca_crl "$c" | xxd -r -p | openssl crl -inform DER -out "$d/root.crl"
  jq -r .pck_crl "$c" | xxd -r -p | openssl crl -inform DER -out "$d/pck.crl"
  cat "$d/root.crl" "$d/pck.crl" >"$d/crls.pem"
  openssl x509 -in "$d/chain.pem" -out "$d/leaf.pem"
  awk '/BEGIN/{n++} n==2' "$d/chain.pem" >"$d/pckca.pem"
  run -0 openssl verify -crl_check_all -CRLfile "$d/crls.pem" -CAfile "$STATE/root-ca.pem" -untrusted "$d/pckca.pem" "$d/leaf.pem"
  assert_output "$d/leaf.pem: OK"
  # the chain in the quote ends with the root written to the state folder
  awk '/BEGIN/{n++} n==3' "$d/chain.pem" | cmp - "$STATE/root-ca.pem"
  openssl x509 -inform DER -in "$STATE/root-ca.der" | cmp - "$STATE/root-ca.pem"
  run -0 openssl x509 -in "$STATE/root-ca.pem" -noout -subject
  assert_output 'subject=CN = mero-policy SIMULATED SGX Root CA (not Intel), O = mero-policy simulation (not Intel Corporation)'
  # the PCK CRL lists one revoked serial that is not the leaf's
  run -0 openssl crl -in "$d/pck.crl" -noout -text
  assert_output --partial 'Key Compromise'
  run -0 openssl crl -in "$d/pck.crl" -noout -issuer
  assert_output --partial 'SIMULATED SGX PCK Platform CA'
}

@test "kms-sim: the collateral is QuoteCollateralV3 JSON whose signatures verify over the exact texts" {
  start_sim --profile debug
  local c="$STATE/collateral.json" d="$BATS_TEST_TMPDIR/coll"
  mkdir -p "$d"
  run -0 jq -r 'keys | join(",")' "$c"
  assert_output 'pck_crl,pck_crl_issuer_chain,qe_identity,qe_identity_issuer_chain,qe_identity_signature,root_ca_crl,tcb_info,tcb_info_issuer_chain,tcb_info_signature'
  jq -r .tcb_info_issuer_chain "$c" | openssl x509 -pubkey -noout >"$d/tcb.pub"
  local k
  for k in tcb_info qe_identity; do
    jq -j ".$k" "$c" >"$d/$k.txt"
    jq -r ".${k}_signature" "$c" | python3 -c '
import sys
raw = bytes.fromhex(sys.stdin.read().strip())
def i(b):
    b = b.lstrip(b"\0") or b"\0"
    b = b"\0" + b if b[0] & 0x80 else b
    return b"\x02" + bytes([len(b)]) + b
body = i(raw[:32]) + i(raw[32:])
sys.stdout.buffer.write(b"\x30" + bytes([len(body)]) + body)' >"$d/$k.sig"
    run -0 openssl dgst -sha256 -verify "$d/tcb.pub" -signature "$d/$k.sig" "$d/$k.txt"
    assert_output 'Verified OK'
  done
  run -0 jq -r '.tcb_info | fromjson | "\(.id) \(.version) \(.fmspc) \(.pceId) \(.tcbLevels | length) \(.tcbLevels[0].tcbStatus) \(.tcbLevels[1].tcbStatus) \(.tcbLevels[1].advisoryIDs | join(",")) \(.tdxModuleIdentities[0].id)"' "$c"
  assert_output 'TDX 3 53494D000000 0000 2 UpToDate OutOfDate SIM-SA-00001,SIM-SA-00002 TDX_01'
  run -0 jq -r '.tcb_info | fromjson | [.tcbLevels[] | (.tcb.sgxtcbcomponents | length), (.tcb.tdxtcbcomponents | length)] | join(",")' "$c"
  assert_output '16,16,16,16'
  run -0 jq -r '.qe_identity | fromjson | "\(.id) \(.version) \(.isvprodid) \(.tcbLevels[0].tcb.isvsvn)"' "$c"
  assert_output 'TD_QE 2 2 4'
  # the window: issued a day ago, valid for 30 days
  local issue next
  issue=$(jq -r '.tcb_info | fromjson | .issueDate' "$c")
  next=$(jq -r '.tcb_info | fromjson | .nextUpdate' "$c")
  [ $(( $(date -d "$next" +%s) - $(date -d "$issue" +%s) )) -eq $((31 * 86400)) ]
  [ "$(date -d "$issue" +%s)" -le "$(date +%s)" ]
}

# ---- state: keys persisted, collateral kept or rewritten ----

@test "kms-sim: keys are 0600 and reused; the collateral is kept while fresh and rewritten when expiring" {
  start_sim --profile debug
  stop_sim
  local f
  for f in root-ca.key pck-platform-ca.key tcb-signing.key pck.key; do
    [ "$(stat -c %a "$STATE/$f")" = 600 ]
  done
  [ "$(stat -c %a "$STATE")" = 700 ]
  cp "$STATE/root-ca.pem" "$BATS_TEST_TMPDIR/root1.pem"
  cp "$STATE/collateral.json" "$BATS_TEST_TMPDIR/coll1.json"
  start_sim --profile debug
  stop_sim
  cmp "$STATE/root-ca.pem" "$BATS_TEST_TMPDIR/root1.pem"
  cmp "$STATE/collateral.json" "$BATS_TEST_TMPDIR/coll1.json"
  grep -q 'collateral kept' "$SIM_ERR"
  # 25 days later less than 7 days of validity are left: rewritten, same root
  SOURCE_DATE_EPOCH=$(( $(date +%s) + 25 * 86400 )) start_sim --profile debug
  stop_sim
  grep -q 'collateral written' "$SIM_ERR"
  run -1 cmp -s "$STATE/collateral.json" "$BATS_TEST_TMPDIR/coll1.json"
  cmp "$STATE/root-ca.pem" "$BATS_TEST_TMPDIR/root1.pem"
  # a removed collateral file is written again
  rm "$STATE/collateral.json"
  start_sim --profile debug
  [ -s "$STATE/collateral.json" ]
}

@test "kms-sim: links planted at every state file and likely temporary name leave their targets untouched" {
  local t="$BATS_TEST_TMPDIR/targets" f names
  mkdir -p "$STATE" "$t"
  names="image-profile kms-sim.lock root-ca.key root-ca.pem root-ca.der pck-platform-ca.key pck-platform-ca.pem
    tcb-signing.key tcb-signing.pem pck.key pck.pem collateral.json"
  for f in $names; do
    # the final names point at files that do not exist (a link to an existing
    # file would be read as state); the temporaries of old at existing ones
    ln -s "$t/$f.absent" "$STATE/$f"
    echo "precious $f" > "$t/$f.tmp"
    ln -s "$t/$f.tmp" "$STATE/$f.tmp"
    ln -s "$t/$f.tmp" "$STATE/.$f.tmp"
  done
  start_sim --profile debug
  run -0 curl -s "$URL/health"
  stop_sim
  for f in $names; do
    [ ! -e "$t/$f.absent" ] && [ ! -L "$t/$f.absent" ] || { echo "followed: $f"; return 1; }
    [ "$(cat "$t/$f.tmp")" = "precious $f" ] || { echo "written through: $f.tmp"; return 1; }
    [ -L "$STATE/$f.tmp" ] && [ -L "$STATE/.$f.tmp" ] || { echo "removed: $f.tmp"; return 1; }
    [ -f "$STATE/$f" ] && [ ! -L "$STATE/$f" ] || { echo "not replaced: $f"; return 1; }
  done
  [ "$(cat "$STATE/image-profile")" = debug ]
  [ "$(stat -c %a "$STATE/root-ca.key")" = 600 ]
  # no temporary of ours is left
  [ -z "$(find "$STATE" -name '*.tmp' ! -type l)" ]
  # and the state made this way is used again as it is
  cp "$STATE/collateral.json" "$BATS_TEST_TMPDIR/coll1.json"
  start_sim --profile debug
  stop_sim
  cmp "$STATE/collateral.json" "$BATS_TEST_TMPDIR/coll1.json"
}

@test "kms-sim: a tampered collateral file is rewritten" {
  start_sim --profile debug
  stop_sim
  jq '.tcb_info |= sub("UpToDate"; "Revoked")' "$STATE/collateral.json" >"$BATS_TEST_TMPDIR/t.json"
  cp "$BATS_TEST_TMPDIR/t.json" "$STATE/collateral.json"
  start_sim --profile debug
  grep -q 'collateral written' "$SIM_ERR"
  run -0 jq -r '.tcb_info | fromjson | .tcbLevels[0].tcbStatus' "$STATE/collateral.json"
  assert_output UpToDate
}

@test "kms-sim: a key file that is not a P-256 key refuses with 78" {
  mkdir -p "$STATE"
  echo junk >"$STATE/root-ca.key"
  run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug
  [ -z "$output" ]
  [[ "$stderr" == *"state file '$STATE/root-ca.key' is not a P-256 private key"* ]]
}

@test "kms-sim: --image-digest missing from the compose file is warned about" {
  start_sim --profile debug --image-digest "ghcr.io/x/y@sha256:$(printf 'f%.0s' $(seq 1 64))"
  grep -q "does not mention the image digest 'sha256:ffff" "$SIM_ERR"
  start_sim --profile debug --state "$BATS_TEST_TMPDIR/s2" --image-digest sha256:2c1b3b1f6bbd0e9cf1b0d8ad2c1a9f5e0b7e6f4d3c2b1a09f8e7d6c5b4a39281
  ! grep -q 'does not mention' "$SIM_ERR"
}

# ---- ADR-0001: profile pinning ----

@test "kms-sim: the first start pins --profile into DIR/image-profile; later starts may omit it" {
  start_sim --profile Locked-Read-Only
  [ "$(cat "$STATE/image-profile")" = locked-read-only ]
  stop_sim
  start_sim
  run -0 curl -s "$URL/health"
  assert_output --partial '"profile":"locked-read-only"'
}

@test "kms-sim: a --profile that differs from the pinned image refuses with 78 and nothing on stdout" {
  mkdir -p "$STATE"
  echo locked-read-only >"$STATE/image-profile"
  run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug
  [ -z "$output" ]
  [[ "$stderr" == *"--profile 'debug' does not match profile-pinned image value 'locked-read-only'"* ]]
  [ "$(nlines "$stderr")" = 1 ]
  [ "$(cat "$STATE/image-profile")" = locked-read-only ]
}

@test "kms-sim: an empty pinned profile file refuses with 78" {
  mkdir -p "$STATE"
  printf ' \n' >"$STATE/image-profile"
  run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug
  [ -z "$output" ]
  assert_equal "$stderr" "kms-sim: pinned image profile '$STATE/image-profile' is empty; refusing to start"
}

@test "kms-sim: an unknown pinned profile refuses with 78" {
  mkdir -p "$STATE"
  echo production >"$STATE/image-profile"
  run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE"
  [[ "$stderr" == *"holds an unsupported profile 'production'"* ]]
}

@test "kms-sim: MERO_KMS_PROFILE that disagrees with the pin refuses with 78" {
  mkdir -p "$STATE"
  echo debug >"$STATE/image-profile"
  MERO_KMS_PROFILE=locked-read-only run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug
  [ -z "$output" ]
  assert_equal "$stderr" "kms-sim: MERO_KMS_PROFILE 'locked-read-only' does not match profile-pinned image value 'debug'; build/deploy the matching KMS image profile instead"
  MERO_KMS_PROFILE='' run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE"
  [[ "$stderr" == *"MERO_KMS_PROFILE is set but empty"* ]]
}

@test "kms-sim: the legacy KMS_POLICY_PROFILE is checked too, and must agree with MERO_KMS_PROFILE" {
  mkdir -p "$STATE"
  echo debug >"$STATE/image-profile"
  KMS_POLICY_PROFILE=debug-read-only run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE"
  [[ "$stderr" == *"KMS_POLICY_PROFILE 'debug-read-only' does not match profile-pinned image value 'debug'"* ]]
  MERO_KMS_PROFILE=debug KMS_POLICY_PROFILE=locked-read-only run -78 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE"
  assert_equal "$stderr" "kms-sim: MERO_KMS_PROFILE and legacy KMS_POLICY_PROFILE disagree; set only MERO_KMS_PROFILE"
}

@test "kms-sim: an environment profile that agrees (any case) starts" {
  export MERO_KMS_PROFILE=' DEBUG '
  start_sim --profile debug
  run -0 curl -s "$URL/health"
  assert_output --partial '"profile":"debug"'
}

# ---- HTTP errors, as mero-kms (axum 0.8) answers them ----

@test "kms-sim: wrong methods answer 405 with Allow; unknown paths 404; HEAD /health 200" {
  start_sim --profile debug
  run -0 curl -s -i -X POST "$URL/health"
  assert_line --index 0 --partial 'HTTP/1.1 405'
  assert_line --partial 'Allow: GET,HEAD'
  run -0 curl -s -i "$URL/attest"
  assert_line --index 0 --partial 'HTTP/1.1 405'
  assert_line --partial 'Allow: POST'
  run -0 curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/attest"
  assert_output 405
  run -0 curl -s -o /dev/null -w '%{http_code} %{size_download}' "$URL/nope"
  assert_output '404 0'
  run -0 curl -s -o /dev/null -w '%{http_code}' "$URL/attest/"
  assert_output 404
  run -0 curl -s -o /dev/null -w '%{http_code}' -I "$URL/health"
  assert_output 200
}

@test "kms-sim: a missing or wrong content type answers 415" {
  start_sim --profile debug
  run -0 curl -s -w ' %{http_code}' -X POST --data-binary '{}' -H 'Content-Type:' "$URL/attest"
  assert_output 'Expected request with `Content-Type: application/json` 415'
  run -0 curl -s -w ' %{http_code} %{content_type}' -H 'Content-Type: text/plain' --data-binary "{\"nonceB64\":\"$NONCE_B64\"}" "$URL/attest"
  assert_output 'Expected request with `Content-Type: application/json` 415 text/plain; charset=utf-8'
  # parameters and +json subtypes are JSON to axum
  post /attest "{\"nonceB64\":\"$NONCE_B64\"}" -H 'Content-Type: Application/JSON; charset=utf-8'
  [ "$code" = 200 ]
  post /attest "{\"nonceB64\":\"$NONCE_B64\"}" -H 'Content-Type: application/vnd.mero+json'
  [ "$code" = 200 ]
}

@test "kms-sim: a body over 64 KiB answers 413; 64 KiB exactly is read" {
  start_sim --profile debug
  local big="$BATS_TEST_TMPDIR/big"
  { printf '{"nonceB64":"%s","pad":"' "$NONCE_B64"; head -c 70000 /dev/zero | tr '\0' a; printf '"}'; } >"$big"
  run -0 curl -s -w ' %{http_code}' -H 'Content-Type: application/json' --data-binary @"$big" "$URL/attest"
  assert_output 'Failed to buffer the request body: length limit exceeded 413'
  { printf '{"nonceB64":"%s","pad":"' "$NONCE_B64"; head -c $((65536 - 68)) /dev/zero | tr '\0' a; printf '"}'; } >"$big"
  [ "$(stat -c %s "$big")" -eq 65536 ]
  run -0 curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$big" "$URL/attest"
  assert_output 200
}

@test "kms-sim: malformed JSON answers 400 and a missing or mistyped field 422, in axum's plain text" {
  start_sim --profile debug
  post /attest ''
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0'
  post /attest '{"nonceB64":'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to parse the request body as JSON: nonceB64: EOF while parsing a value at line 1 column 12'
  post /attest "{\"nonceB64\":\"$NONCE_B64\"} x"
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to parse the request body as JSON: trailing characters at line 1 column 61'
  post /attest '{"a" 1}'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to parse the request body as JSON: a: expected `:` at line 1 column 6'
  post /attest '{"title":"oops"}'
  [ "$code" = 422 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to deserialize the JSON body into the target type: missing field `nonceB64` at line 1 column 16'
  post /attest '{"nonceB64":1,"bindingB64":null}'
  [ "$code" = 422 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to deserialize the JSON body into the target type: nonceB64: invalid type: integer `1`, expected a string at line 1 column 13'
  post /attest "{\"nonceB64\":\"$NONCE_B64\",\"bindingB64\":1.5e3}"
  [ "$code" = 422 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to deserialize the JSON body into the target type: bindingB64: invalid type: floating point `1500.0`, expected a string at line 1 column 77'
  post /attest '"nonce"'
  [ "$code" = 422 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" 'Failed to deserialize the JSON body into the target type: invalid type: string "nonce", expected struct KmsAttestRequest at line 1 column 7'
  post /attest "{\"nonceB64\":\"$NONCE_B64\",\"nonceB64\":\"x\"}"
  [ "$code" = 422 ]
  [[ "$(cat "$BATS_TEST_TMPDIR/body")" == *'duplicate field `nonceB64`'* ]]
  run -0 curl -s -o /dev/null -w '%{content_type}' -H 'Content-Type: application/json' --data-binary '{' "$URL/attest"
  assert_output 'text/plain; charset=utf-8'
}

@test "kms-sim: bad base64 or a wrong length answers mero-kms's 400 invalid_attestation_request" {
  start_sim --profile debug
  post /attest '{"nonceB64":"AAAA"}'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" '{"error":"invalid_attestation_request","details":"nonceB64 must be exactly 32 bytes"}'
  post /attest '{"nonceB64":"!!!!"}'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" '{"error":"invalid_attestation_request","details":"nonceB64: Invalid symbol 33, offset 0."}'
  post /attest '{"nonceB64":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" '{"error":"invalid_attestation_request","details":"nonceB64: Invalid padding"}'
  post /attest '{"nonceB64":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="}'
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" '{"error":"invalid_attestation_request","details":"nonceB64: Invalid last symbol 57, offset 42."}'
  post /attest "{\"nonceB64\":\"$NONCE_B64\",\"bindingB64\":\"AAAA\"}"
  [ "$code" = 400 ]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/body")" '{"error":"invalid_attestation_request","details":"bindingB64 must be exactly 32 bytes"}'
  run -0 curl -s -o /dev/null -w '%{content_type}' -H 'Content-Type: application/json' --data-binary '{"nonceB64":""}' "$URL/attest"
  assert_output 'application/json'
}

# ---- quote-verify (issue 3) on kms-sim's output ----

# verify [QUOTE-VERIFY ARGS...]: quote-verify the last quote against the state's collateral
verify() {
  quote-verify --collateral "$STATE/collateral.json" "$@" <"$BATS_TEST_TMPDIR/quote.bin"
}

@test "kms-sim: quote-verify with --root-ca: UpToDate, every check passes" {
  start_sim --profile locked-read-only
  attest
  run -0 --separate-stderr verify --root-ca "$STATE/root-ca.pem" --expect-report-data "$NONCE_HEX"
  run -0 jq -r '"\(.verified) \(.status) \(.platform_status.status) \(.qe_status.status) \(.fmspc)"' <<<"$output"
  assert_output 'true UpToDate UpToDate UpToDate 53494d000000'
}

@test "kms-sim: quote-verify: --tcb outofdate gives OutOfDate with the advisories" {
  start_sim --profile debug --tcb outofdate
  attest
  run -0 --separate-stderr verify --root-ca "$STATE/root-ca.der"
  run -0 jq -r '"\(.verified) \(.status) \(.advisory_ids | join(","))"' <<<"$output"
  assert_output 'true OutOfDate SIM-SA-00001,SIM-SA-00002'
}

@test "kms-sim: quote-verify: --debug-td fails with Debug mode is enabled" {
  start_sim --profile debug --debug-td
  attest
  run -1 --separate-stderr verify --root-ca "$STATE/root-ca.pem"
  run -0 jq -r '"\(.verified) \(.failed_check) \(.error)"' <<<"$output"
  assert_output 'false td_debug Debug mode is enabled'
}

@test "kms-sim: quote-verify: --bad-signature fails at the quote signature" {
  start_sim --profile debug --bad-signature
  attest
  run -1 --separate-stderr verify --root-ca "$STATE/root-ca.pem"
  run -0 jq -r '"\(.verified) \(.failed_check) \(.error)"' <<<"$output"
  assert_output 'false quote_signature ISV enclave report signature is invalid'
}

@test "kms-sim: quote-verify without --root-ca (Intel's root) does not verify a simulated quote" {
  start_sim --profile debug
  attest
  run -1 --separate-stderr verify
  run -0 jq -r '"\(.verified) \(.failed_check)"' <<<"$output"
  assert_output 'false tcb_info_chain'
}

# ---- the policy, loaded as mero-kms loads it (issue 11) ----

POL="$KS/policy.json"

# polvar NAME [JQ ARGS...] FILTER: prints the path of a variant of the fixture
# policy (profile debug, tag 2.3.40, every list filled) made by jq's FILTER
polvar() {
  local name=$1
  shift
  jq "$@" "$POL" >"$BATS_TEST_TMPDIR/$name"
  printf '%s' "$BATS_TEST_TMPDIR/$name"
}

sha() { sha256sum <"$1" | cut -c1-64; }

# refused ARGS...: kms-sim with the state, compose and listen address of the
# test must refuse to start; its stderr in $stderr, nothing on stdout
refused() {
  local want=$1
  shift
  run "-$want" --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" "$@"
  one_line
}

# refuses FILTER MESSAGE: the fixture policy changed by jq's FILTER (in
# $BATS_TEST_TMPDIR/variant.json) refuses to start a debug KMS with MESSAGE
refuses() {
  local f
  f=$(polvar variant.json "$1")
  refused 78 --profile debug --policy "$f"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$f': $2"
}

# health_policy: the policy member of /health, compact
health_policy() { curl -s "$URL/health" | jq -c .policy; }

@test "kms-sim --policy: a good policy of each profile loads; /health reports its profile, tag and SHA-256" {
  local p f
  for p in debug debug-read-only locked-read-only; do
    f=$(polvar "policy-$p.json" ".profile = \"$p\"")
    STATE="$BATS_TEST_TMPDIR/state-$p"
    start_sim --profile "$p" --policy "$f"
    run -0 curl -s "$URL/health"
    assert_output "{\"status\":\"alive\",\"service\":\"mero-kms-phala\",\"version\":\"2.3.40\",\"profile\":\"$p\",\"policy\":{\"status\":\"loaded\",\"source\":\"$f\",\"profile\":\"$p\",\"tag\":\"2.3.40\",\"sha256\":\"$(sha "$f")\"}}"
    grep -qxF "kms-sim: policy loaded from $f (profile $p, tag 2.3.40, sha256 $(sha "$f")); entries: tcb_statuses=1, mrtd=1, rtmr0=1, rtmr1=1, rtmr2=1, rtmr3=1" "$SIM_ERR"
    stop_sim
  done
  # the file's profile is read as mero-kms parses profiles: trimmed, any case
  f=$(polvar spaced.json '.profile = " Debug-Read-Only "')
  STATE="$BATS_TEST_TMPDIR/state-debug-read-only"
  start_sim --policy "$f"
  assert_equal "$(health_policy | jq -r .status)" loaded
}

@test "kms-sim --policy: a tag other than the KMS version refuses to start (78), naming both" {
  refuses '.tag = "2.3.39"' "Policy tag mismatch: expected '2.3.40', got '2.3.39'"
  # the version is compared bare: mero-kms-v2.3.39 is 2.3.39
  start_sim --kms-version mero-kms-v2.3.39 --policy "$BATS_TEST_TMPDIR/variant.json"
  assert_equal "$(health_policy | jq -r '"\(.status) \(.tag)"')" 'loaded 2.3.39'
  stop_sim
  # ... but a tag keeps its prefix
  refuses '.tag = "v2.3.40"' "Policy tag mismatch: expected '2.3.40', got 'v2.3.40'"
  refuses 'del(.tag)' "Policy JSON missing 'tag' string"
  refuses '.tag = 2.34' "Policy JSON missing 'tag' string"
}

@test "kms-sim --policy: a role other than kms, or none, refuses to start (78)" {
  refuses '.role = "node"' "Policy role mismatch: expected 'kms', got 'node'"
  refuses 'del(.role)' "Policy JSON missing 'role' for KMS policy"
}

@test "kms-sim --policy: a profile other than the pinned one, an unknown one or none refuses to start (78)" {
  refuses '.profile = "locked-read-only"' "Policy profile mismatch: expected 'debug', got 'locked-read-only'"
  # the pin decides, not --profile: the environment cannot move it either
  MERO_KMS_PROFILE=locked-read-only refused 78 --policy "$BATS_TEST_TMPDIR/variant.json"
  [[ "$stderr" == *"does not match profile-pinned image value 'debug'"* ]]
  refuses '.profile = "prod"' "Unsupported KMS policy profile 'prod'. Expected one of: debug, debug-read-only, locked-read-only"
  refuses 'del(.profile)' "Policy JSON missing 'profile' for requested profile 'debug'"
}

@test "kms-sim --policy: the legacy file may lack role and profile for locked-read-only only" {
  local legacy="$BATS_TEST_TMPDIR/legacy/kms-phala-attestation-policy.json"
  mkdir -p "${legacy%/*}"
  jq 'del(.role, .profile)' "$POL" >"$legacy"
  STATE="$BATS_TEST_TMPDIR/state-locked"
  start_sim --profile locked-read-only --policy "$legacy"
  assert_equal "$(health_policy)" "{\"status\":\"loaded\",\"source\":\"$legacy\",\"profile\":\"locked-read-only\",\"tag\":\"2.3.40\",\"sha256\":\"$(sha "$legacy")\"}"
  stop_sim
  # the same text under another name is not the legacy file
  cp "$legacy" "$BATS_TEST_TMPDIR/other.json"
  refused 78 --policy "$BATS_TEST_TMPDIR/other.json"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$BATS_TEST_TMPDIR/other.json': Policy JSON missing 'role' for KMS policy"
  # another profile: the role is required
  STATE="$BATS_TEST_TMPDIR/state-debug"
  refused 78 --profile debug --policy "$legacy"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$legacy': Policy JSON missing 'role' for KMS policy"
  jq 'del(.profile)' "$POL" >"$legacy"
  refused 78 --policy "$legacy"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$legacy': Policy JSON missing 'profile' for requested profile 'debug'"
  # a role that is there must be kms, even in the legacy file
  STATE="$BATS_TEST_TMPDIR/state-locked"
  jq 'del(.profile) | .role = "node"' "$POL" >"$legacy"
  refused 78 --policy "$legacy"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$legacy': Policy role mismatch: expected 'kms', got 'node'"
}

@test "kms-sim --policy: a policy that loads with an empty allowlist refuses to start with mero-kms's message" {
  local m="Measurement policy is enforced, but" n
  refuses '.policy.node_allowed_tcb_statuses = [" ", 7]' "$m allowed_tcb_statuses is empty. Configure at least one allowed status (recommended: UpToDate)."
  refuses '.policy.node_allowed_mrtd = []' "$m allowed_mrtd is empty. Provide policy via MERO_KMS_VERSION + MERO_KMS_PROFILE, or use USE_ENV_POLICY=true for explicit air-gapped mode."
  for n in 0 1 2 3; do
    refuses "del(.policy.node_allowed_rtmr$n)" "$m allowed_rtmr$n is empty. Configure at least one trusted RTMR$n value."
  done
  # nothing was served: the state's pin is all the start left behind
  [ "$(cat "$STATE/image-profile")" = debug ]
}

@test "kms-sim --policy: mero-kms's defaults and fallbacks: no TCB list is [uptodate], allowed_* stand in, kms_allowed_* are not its lists" {
  local f
  f=$(polvar fallback.json '.policy |= (del(.node_allowed_tcb_statuses)
    | .allowed_rtmr2 = .node_allowed_rtmr2 | del(.node_allowed_rtmr2)
    | .kms_allowed_mrtd = [] | .kms_allowed_tcb_statuses = [])')
  start_sim --profile debug --policy "$f"
  assert_equal "$(health_policy | jq -r .status)" loaded
  grep -qF 'entries: tcb_statuses=1, mrtd=1, rtmr0=1, rtmr1=1, rtmr2=1, rtmr3=1' "$SIM_ERR"
  stop_sim
  # a node_ list that is there wins over its fallback, even empty
  f=$(polvar fallback.json '.policy.allowed_rtmr1 = .policy.node_allowed_rtmr1 | .policy.node_allowed_rtmr1 = []')
  refused 78 --policy "$f"
  [[ "$stderr" == *"allowed_rtmr1 is empty."* ]]
}

@test "kms-sim --policy: entries are normalised as mero-kms does; a bad one refuses to start (78)" {
  local f v
  v=$(jq -r '.policy.node_allowed_mrtd[0]' "$POL")
  f=$(polvar entries.json --arg v "  0x${v^^} " '.policy.node_allowed_mrtd = [$v] | .policy.node_allowed_tcb_statuses = [" UpToDate "]')
  start_sim --profile debug --policy "$f"
  assert_equal "$(health_policy | jq -r .status)" loaded
  stop_sim
  refuses '.policy.node_allowed_rtmr0 = ["abc"]' "Invalid measurement in policy field 'node_allowed_rtmr0': expected 48 bytes (96 hex chars), got 3 chars"
  refuses '.policy.node_allowed_rtmr3 = [1]' "Policy field 'node_allowed_rtmr3' entries must be strings"
  refuses '.policy.node_allowed_mrtd = ["zz" * 48]' "Invalid measurement in policy field 'node_allowed_mrtd': value contains non-hex characters"
  refuses '.policy = []' "Policy JSON missing 'policy' object"
}

@test "kms-sim --policy: a file that is not JSON (65), missing or a folder (66) stops before the state is touched" {
  printf '{"tag": "2.3.40",\n  "role": kms}' >"$BATS_TEST_TMPDIR/bad.json"
  refused 65 --profile debug --policy "$BATS_TEST_TMPDIR/bad.json"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$BATS_TEST_TMPDIR/bad.json': Invalid policy JSON: not JSON at line 2 column 11"
  printf '{"tag": "2.3.40\xff"}' >"$BATS_TEST_TMPDIR/bad.json"
  refused 65 --profile debug --policy "$BATS_TEST_TMPDIR/bad.json"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$BATS_TEST_TMPDIR/bad.json': Policy body is not valid UTF-8: invalid utf-8 sequence from index 15"
  rm -rf "$STATE"
  refused 66 --profile debug --policy "$BATS_TEST_TMPDIR/none.json"
  [[ "$stderr" == "kms-sim: cannot open '$BATS_TEST_TMPDIR/none.json'"* ]]
  refused 66 --profile debug --policy "$BATS_TEST_TMPDIR"
  assert_equal "$stderr" "kms-sim: cannot read '$BATS_TEST_TMPDIR': not a regular file (a directory)"
  [ ! -e "$STATE" ]
}

@test "kms-sim: MERO_KMS_POLICY_SHA256 pins the policy's bytes, normalised as mero-kms normalises it" {
  local f h
  f=$(polvar pinned.json '.')
  h=$(sha "$f")
  MERO_KMS_POLICY_SHA256=" 0x${h^^} " start_sim --profile debug --policy "$f"
  assert_equal "$(health_policy | jq -r '"\(.status) \(.sha256)"')" "loaded $h"
  stop_sim
  # one byte more (a trailing newline) and it is another file
  echo >>"$f"
  MERO_KMS_POLICY_SHA256=$h refused 78 --policy "$f"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$f': Policy hash mismatch for $f: expected $h, got $(sha "$f")"
  # a malformed pin refuses to start before anything is touched, policy or not
  rm -rf "$STATE"
  MERO_KMS_POLICY_SHA256=abc refused 78 --profile debug
  assert_equal "$stderr" "kms-sim: MERO_KMS_POLICY_SHA256 must contain exactly 64 hex chars (got 3); refusing to start"
  MERO_KMS_POLICY_SHA256=$(printf 'g%.0s' $(seq 64)) refused 78 --profile debug --policy "$f"
  assert_equal "$stderr" "kms-sim: MERO_KMS_POLICY_SHA256 contains non-hex characters; refusing to start"
  MERO_KMS_POLICY_SHA256='' refused 78 --profile debug
  assert_equal "$stderr" "kms-sim: MERO_KMS_POLICY_SHA256 must contain exactly 64 hex chars (got 0); refusing to start"
  [ ! -e "$STATE" ]
}

@test "kms-sim: --policy and --policy-url exclude each other; --policy-url is an http(s) base" {
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug --policy "$POL" --policy-url http://127.0.0.1:1/x
  [[ "$stderr" == "kms-sim: --policy and --policy-url exclude each other"* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug --policy-url file:///etc
  [[ "$stderr" == "kms-sim: --policy-url must start with http:// or https://, not 'file:///etc'"* ]]
  run -2 --separate-stderr ksim --listen 127.0.0.1:0 --compose "$COMPOSE" --state "$STATE" --profile debug --policy-url 'http://127.0.0.1:1/x?y'
  [[ "$stderr" == "kms-sim: --policy-url: 'http://127.0.0.1:1/x?y' is not a release download base"* ]]
  [ ! -e "$STATE" ]
}

@test "kms-sim: without a policy it runs degraded, as mero-kms: /attest answers, /health says why" {
  start_sim --profile debug
  assert_equal "$(health_policy)" '{"status":"degraded","reason":"no policy source: kms-sim was started without --policy or --policy-url"}'
  grep -qxF 'kms-sim: warning: policy unavailable; /attest remains available but /get-key is fail-closed: no policy source: kms-sim was started without --policy or --policy-url' "$SIM_ERR"
  attest
  [ "$(q .td_report.report_data)" = "$NONCE_HEX$DEFAULT_BINDING" ]
}

# ---- --policy-url: a KMS release served by the fake GitHub's asset host ----

TAG=mero-kms-v2.3.40

# release FILE...: publish the files (by their names) as the assets of a new
# release $TAG of calimero-network/mero-tee; sets BASE, its download base (a
# release is seeded once: a test that changes the files sets another TAG)
release() {
  local f
  for f in "$@"; do
    jq -n --arg n "${f##*/}" --arg c "$(base64 -w0 <"$f")" '{name: $n, content_b64: $c}'
  done | jq -s --arg t "$TAG" '{repos: {"calimero-network/mero-tee": {releases: [{tag_name: $t, assets: .}]}}}' >"$BATS_TEST_TMPDIR/seed.json"
  gh_seed "$(cat "$BATS_TEST_TMPDIR/seed.json")"
  BASE="$(gh_state | jq -r .asset_host)/download/calimero-network/mero-tee/$TAG"
}

# release_files PROFILE...: the fixture policy for each profile under its
# release name in $BATS_TEST_TMPDIR/rel (the legacy name for "legacy")
release_files() {
  local p
  mkdir -p "$BATS_TEST_TMPDIR/rel"
  for p in "$@"; do
    if [ "$p" = legacy ]; then
      jq '.profile = "locked-read-only"' "$POL" >"$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.json"
    else
      jq --arg p "$p" '.profile = $p' "$POL" >"$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.$p.json"
    fi
  done
}

# downloads: the asset host's requests, "STATUS NAME USER-AGENT" a line
downloads() {
  jq -r 'select(.host == "assets") | "\(.status) \(.path | sub(".*/"; "")) \(.headers["user-agent"])"' "$GH_LOG"
}

@test "kms-sim --policy-url: the profile's file of the release loads, fetched as mero-kms fetches it" {
  fake_github_start
  release_files debug debug-read-only locked-read-only legacy
  release "$BATS_TEST_TMPDIR"/rel/*.json
  local f="$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.debug-read-only.json"
  MERO_KMS_POLICY_SHA256=$(sha "$f") start_sim --profile debug-read-only --policy-url "$BASE/"
  assert_equal "$(health_policy)" "{\"status\":\"loaded\",\"source\":\"$BASE/kms-phala-attestation-policy.debug-read-only.json\",\"profile\":\"debug-read-only\",\"tag\":\"2.3.40\",\"sha256\":\"$(sha "$f")\"}"
  assert_equal "$(downloads)" "200 kms-phala-attestation-policy.debug-read-only.json mero-kms-phala/1.0"
}

@test "kms-sim --policy-url: a 404 moves on to the legacy file, which may lack role and profile for locked-read-only" {
  fake_github_start
  release_files legacy
  jq 'del(.role, .profile)' "$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.json" >"$BATS_TEST_TMPDIR/legacy.json"
  mv "$BATS_TEST_TMPDIR/legacy.json" "$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.json"
  release "$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.json"
  STATE="$BATS_TEST_TMPDIR/state-locked"
  start_sim --profile locked-read-only --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r '"\(.status) \(.source) \(.profile)"')" "loaded $BASE/kms-phala-attestation-policy.json locked-read-only"
  assert_equal "$(downloads)" "404 kms-phala-attestation-policy.locked-read-only.json mero-kms-phala/1.0
200 kms-phala-attestation-policy.json mero-kms-phala/1.0"
  # another profile: the legacy file without role leaves the KMS degraded
  STATE="$BATS_TEST_TMPDIR/state-debug"
  start_sim --profile debug --policy-url "$BASE"
  assert_equal "$(health_policy)" "{\"status\":\"degraded\",\"reason\":\"Failed to load release policy for version '2.3.40' profile 'debug': Policy JSON missing 'role' for KMS policy\"}"
  # neither file: degraded, naming the last one not found
  STATE="$BATS_TEST_TMPDIR/state-debug"
  start_sim --profile debug --policy-url "$BASE/../mero-kms-v9.9.9"
  assert_equal "$(health_policy | jq -r .reason)" "Failed to load release policy for version '2.3.40' profile 'debug': Policy fetch failed for profile 'debug': not found: $BASE/../mero-kms-v9.9.9/kms-phala-attestation-policy.json"
}

@test "kms-sim --policy-url: any other non-2xx fails the fetch: degraded, the legacy file not tried, /attest answers" {
  fake_github_start
  release_files debug legacy
  release "$BATS_TEST_TMPDIR"/rel/*.json
  gh_fault '{"action": "500", "host": "assets", "path": "policy\\.debug\\.json$"}'
  start_sim --profile debug --policy-url "$BASE"
  run -0 curl -s -w ' %{http_code}' "$URL/health"
  assert_output "{\"status\":\"alive\",\"service\":\"mero-kms-phala\",\"version\":\"2.3.40\",\"profile\":\"debug\",\"policy\":{\"status\":\"degraded\",\"reason\":\"Failed to load release policy for version '2.3.40' profile 'debug': Policy fetch failed: 500 Internal Server Error $BASE/kms-phala-attestation-policy.debug.json\"}} 200"
  assert_equal "$(downloads)" "500 kms-phala-attestation-policy.debug.json mero-kms-phala/1.0"
  grep -qF "kms-sim: warning: policy unavailable; /attest remains available but /get-key is fail-closed: Failed to load release policy" "$SIM_ERR"
  attest
  [ "$(q .td_report.report_data)" = "$NONCE_HEX$DEFAULT_BINDING" ]
}

@test "kms-sim --policy-url: a network error moves on to the legacy file; none reachable leaves it degraded" {
  fake_github_start
  release_files locked-read-only legacy
  release "$BATS_TEST_TMPDIR"/rel/*.json
  gh_fault '{"action": "close", "host": "assets", "path": "policy\\.locked-read-only\\.json$"}'
  start_sim --profile locked-read-only --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r '"\(.status) \(.source)"')" "loaded $BASE/kms-phala-attestation-policy.json"
  assert_equal "$(downloads)" "dropped kms-phala-attestation-policy.locked-read-only.json mero-kms-phala/1.0
200 kms-phala-attestation-policy.json mero-kms-phala/1.0"
  stop_sim
  # nothing listens there: both requests fail, the last error is named
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  start_sim --policy-url "http://127.0.0.1:$port/rel"
  assert_equal "$(health_policy | jq -r .reason)" "Failed to load release policy for version '2.3.40' profile 'locked-read-only': Policy fetch failed for profile 'locked-read-only': request error for http://127.0.0.1:$port/rel/kms-phala-attestation-policy.json: connection refused or host unreachable"
  attest
}

@test "kms-sim --policy-url: a fetched policy that fails mero-kms's checks or the pin leaves it degraded; an empty list refuses to start" {
  fake_github_start
  release_files debug
  local f="$BATS_TEST_TMPDIR/rel/kms-phala-attestation-policy.debug.json" h
  h=$(sha "$f")
  jq '.tag = "2.3.39"' "$POL" >"$f"
  release "$f"
  start_sim --profile debug --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r .reason)" "Failed to load release policy for version '2.3.40' profile 'debug': Policy tag mismatch: expected '2.3.40', got '2.3.39'"
  # the pin: the bytes served are not the ones pinned
  MERO_KMS_POLICY_SHA256=$h start_sim --kms-version 2.3.39 --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r .reason)" "Failed to load release policy for version '2.3.39' profile 'debug': Policy hash mismatch for $BASE/kms-phala-attestation-policy.debug.json: expected $h, got $(sha "$f")"
  MERO_KMS_POLICY_SHA256=$(sha "$f") start_sim --kms-version 2.3.39 --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r .status)" loaded
  # not JSON
  printf 'not json' >"$f"
  TAG=mero-kms-v2.3.40-text release "$f"
  start_sim --policy-url "$BASE"
  assert_equal "$(health_policy | jq -r .reason)" "Failed to load release policy for version '2.3.40' profile 'debug': Invalid policy JSON: not JSON at line 1 column 1"
  # once loaded, an empty list stops the start
  jq '.policy.node_allowed_rtmr3 = []' "$POL" >"$f"
  TAG=mero-kms-v2.3.40-empty release "$f"
  refused 78 --policy-url "$BASE"
  assert_equal "$stderr" "kms-sim: refusing to start: policy '$BASE/kms-phala-attestation-policy.debug.json': Measurement policy is enforced, but allowed_rtmr3 is empty. Configure at least one trusted RTMR3 value."
}

@test "kms-sim: a string that is not UTF-8 answers 400; escaped UTF-8 in an unknown member is read and ignored" {
  start_sim --profile debug
  post /attest "$(printf '{"x\377":1,"nonceB64":"%s"}' "$NONCE_B64")"
  [ "$code" = 400 ]
  [[ "$(cat "$BATS_TEST_TMPDIR/body")" == 'Failed to parse the request body as JSON: invalid unicode code point at line 1 column '* ]]
  post /attest "{\"x\\u00e9\\ud83d\\ude00\":1,\"nonceB64\":\"$NONCE_B64\"}"
  [ "$code" = 200 ]
}
