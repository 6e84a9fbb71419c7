#!/usr/bin/env bats
# ita-appraise against tests/lib/fake-ita.py on 127.0.0.1, which signs its
# tokens with a key made here (openssl) and publishes it as a JWKS: a good
# token under each algorithm, a token signed by another key, expired and
# not-yet-valid tokens, an MRTD that is not the quote's, the v1 fallback, the
# retries, one JWKS fetch per run, the API key.

load test_helper

KEY="ita-test-key-Hq3vN8xR2"
Q="$VEC/dcap-qvl/sample/tdx_quote"

setup_file() {
  local d="$BATS_FILE_TMPDIR/keys"
  mkdir -p "$d"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/rsa.pem" 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$d/other.pem" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/p256.pem" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$d/p384.pem" 2>/dev/null
  local k
  for k in rsa p256 p384; do
    openssl req -x509 -key "$d/$k.pem" -subj "/CN=fake ITA signing $k" -days 3650 -out "$d/$k.crt" 2>/dev/null
  done
  quote2json < "$Q" > "$BATS_FILE_TMPDIR/quote.json"
}

setup() {
  export ITA_API_KEY="$KEY"
  unset ITA_URL ITA_JWKS_URL
  KEYS="$BATS_FILE_TMPDIR/keys"
  QJ="$BATS_FILE_TMPDIR/quote.json"
  LOG="$BATS_TEST_TMPDIR/requests.log"
}

teardown() { stop_servers; }

# ita [OPTIONS]: start the fake ITA with the RSA key (PS384); sets ITA_URL
ita() {
  start_server ITA python3 "$BATS_TEST_DIRNAME/lib/fake-ita.py" --key "$KEYS/rsa.pem" --cert "$KEYS/rsa.crt" \
    --other-key "$KEYS/other.pem" --log "$LOG" "$@"
  [ -n "$ITA_URL" ]
  export ITA_URL
}

requests() { cut -d' ' -f1-3 "$LOG"; }

@test "a good token: the signature verified, the claims of the quote, one JWKS fetch" {
  ita
  run -0 --separate-stderr ita-appraise --quote-json "$QJ" --token-out "$BATS_TEST_TMPDIR/token.jwt" < "$Q"
  [ -z "$stderr" ]
  [ "$output" = "$(jq -S --indent 2 . <<<"$output")" ]
  [ "$(jq -r '[.signature_verified, .algorithm, .api, .key_id, .tcb_status, .tcb_date, .issuer] | @tsv' <<<"$output")" = \
    "true	PS384	v2	fake-ita-signing-key-1	UpToDate	2024-03-13T00:00:00Z	Intel Trust Authority" ]
  local f
  for f in mrtd:mr_td rtmr0:rt_mr0 rtmr1:rt_mr1 rtmr2:rt_mr2 rtmr3:rt_mr3 report_data:report_data; do
    [ "$(jq -r ".${f%%:*}" <<<"$output")" = "$(jq -r ".td_report.${f#*:}" "$QJ")" ]
  done
  [ "$(jq -c .quote_comparison <<<"$output")" = '{"differs":[],"matches":true}' ]
  [ "$(jq -c .advisory_ids <<<"$output")" = '["INTEL-SA-00837"]' ]
  [[ "$(jq -r .token_id <<<"$output")" =~ ^[0-9a-f-]{36}$ ]]
  [[ "$(jq -r .expires_at <<<"$output")" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
  [ "$(tr -cd . < "$BATS_TEST_TMPDIR/token.jwt" | wc -c)" -eq 2 ]
  run -0 requests
  [ "$output" = "POST /appraisal/v2/attest 200
GET /certs 200" ]
  grep -q '^POST /appraisal/v2/attest 200 key=ok$' "$LOG"
}

@test "RS256, PS256, RS384, ES256 and ES384 tokens verify too; the quote may come as base64" {
  local alg key
  for alg in RS256:rsa PS256:rsa RS384:rsa ES256:p256 ES384:p384; do
    key=${alg#*:}
    start_server ITA python3 "$BATS_TEST_DIRNAME/lib/fake-ita.py" --key "$KEYS/$key.pem" --cert "$KEYS/$key.crt" \
      --alg "${alg%%:*}" --log "$LOG"
    run -0 --separate-stderr ita-appraise --url "$ITA_URL" --quote-json "$QJ" < <(base64 -w0 "$Q")
    [ "$(jq -r .algorithm <<<"$output")" = "${alg%%:*}" ]
    [ "$(jq -r .quote_comparison.matches <<<"$output")" = true ]
    stop_servers
  done
}

@test "a token signed by another key: exit 1, nothing on stdout, nothing written" {
  ita --mode wrong-key
  run -1 --separate-stderr ita-appraise --quote-json "$QJ" --token-out "$BATS_TEST_TMPDIR/token.jwt" < "$Q"
  one_line
  [ "$stderr" = "ita-appraise: refused the ITA token: the PS384 signature does not verify with key 'fake-ita-signing-key-1'" ]
  [ ! -e "$BATS_TEST_TMPDIR/token.jwt" ]
  # the same with keys from another JWKS than the signer's (ITA_JWKS_URL)
  stop_servers
  start_server OTHER python3 "$BATS_TEST_DIRNAME/lib/fake-ita.py" --key "$KEYS/other.pem" --cert "$KEYS/rsa.crt" \
    --log /dev/null
  ita
  ITA_JWKS_URL="$OTHER_URL/certs" run -1 --separate-stderr ita-appraise < "$Q"
  [ "$stderr" = "ita-appraise: refused the ITA token: the signing key's x5c certificate holds another key" ]
}

@test "an unknown kid or the none algorithm: exit 1" {
  ita --mode unknown-kid
  run -1 --separate-stderr ita-appraise < "$Q"
  [ "$stderr" = "ita-appraise: refused the ITA token: no key 'no-such-key' in the key set" ]
  stop_servers
  ita --mode alg-none
  run -1 --separate-stderr ita-appraise < "$Q"
  [ "$stderr" = "ita-appraise: refused the ITA token: the token's algorithm 'none' is not one of RS256, RS384, PS256, PS384, ES256, ES384" ]
}

@test "an expired or not yet valid token: exit 1; --now moves the clock" {
  ita --mode expired
  run -1 --separate-stderr ita-appraise < "$Q"
  one_line
  [[ "$stderr" =~ ^"ita-appraise: refused the ITA token: the token expired at 20"[0-9-]+T[0-9:]+Z$ ]]
  stop_servers
  ita --mode not-yet-valid
  run -1 --separate-stderr ita-appraise < "$Q"
  [[ "$stderr" == "ita-appraise: refused the ITA token: the token is not valid before "* ]]
  stop_servers
  ita
  run -1 --separate-stderr ita-appraise --now $(($(date +%s) + 7200)) < "$Q"
  [[ "$stderr" == *"the token expired at"* ]]
  run -0 ita-appraise --now $(($(date +%s) + 300)) < "$Q"
  # before the signing certificate's validity
  run -1 --separate-stderr ita-appraise --now 1000000000 < "$Q"
  [ "$stderr" = "ita-appraise: refused the ITA token: the signing key's x5c certificate is not valid at 1000000000" ]
}

@test "an MRTD that is not the quote's: exit 1 with --quote-json, the claims still written" {
  ita --mode mrtd-mismatch
  run -1 --separate-stderr ita-appraise --quote-json "$QJ" < "$Q"
  [ "$stderr" = "ita-appraise: ITA's mrtd differs from the quote's ('$QJ')" ]
  [ "$(jq -c .quote_comparison <<<"$output")" = '{"differs":["mrtd"],"matches":false}' ]
  [ "$(jq -r .mrtd <<<"$output")" != "$(jq -r .td_report.mr_td "$QJ")" ]
  [ "$(jq -r .rtmr0 <<<"$output")" = "$(jq -r .td_report.rt_mr0 "$QJ")" ]
  # without --quote-json the token is still a good token
  run -0 ita-appraise < "$Q"
}

@test "a 404 on v2 falls back to v1 (flat claims); still one JWKS fetch" {
  ita --v2-404
  run -0 ita-appraise --quote-json "$QJ" < "$Q"
  [ "$(jq -r .api <<<"$output")" = v1 ]
  [ "$(jq -r .mrtd <<<"$output")" = "$(jq -r .td_report.mr_td "$QJ")" ]
  [ "$(jq -r .tcb_status <<<"$output")" = UpToDate ]
  [ "$(requests)" = "POST /appraisal/v2/attest 404
POST /appraisal/v1/attest 200
GET /certs 200" ]
}

@test "429 and 5xx are retried (Retry-After honoured); still failing after the retries: exit 75" {
  ita --script attest=429:ra=0,503,close --script certs=500
  run -0 ita-appraise < "$Q"
  [ "$(requests)" = "POST /appraisal/v2/attest 429
POST /appraisal/v2/attest 503
POST /appraisal/v2/attest 0
POST /appraisal/v2/attest 200
GET /certs 500
GET /certs 200" ]
  stop_servers
  : > "$LOG"
  ita --script attest=500,500,500
  run -75 --separate-stderr ita-appraise --retries 2 < "$Q"
  one_line
  [ "$stderr" = "ita-appraise: POST $ITA_URL/appraisal/v2/attest: HTTP 500 (after 3 attempts)" ]
}

@test "policy ids are sent and their matches reported; bad policy options exit 2" {
  ita
  local p1=4f1d7b4a-8c2e-4e55-9a1b-0c3d2e1f0a9b p2=749DD9B1-234F-41F5-A6CA-42C4312DD4F1
  run -0 ita-appraise --policy-id "$p1" --policy-id "$p2" --policy-must-match < "$Q"
  [ "$(jq -c .policy_ids_matched <<<"$output")" = "[\"$p1\",\"$p2\"]" ]
  [ "$(jq -c .policy_ids_unmatched <<<"$output")" = '[]' ]
  run -2 --separate-stderr ita-appraise --policy-id not-a-uuid < "$Q"
  [ "$(sed -n 1p <<<"$stderr")" = "ita-appraise: --policy-id needs a UUID, not 'not-a-uuid'" ]
  run -2 --separate-stderr ita-appraise --policy-must-match < "$Q"
  [ "$(sed -n 1p <<<"$stderr")" = "ita-appraise: --policy-must-match needs --policy-id" ]
  [ "$(requests)" = "POST /appraisal/v2/attest 200
GET /certs 200" ]
}

@test "ITA_API_KEY missing: exit 78 before any request; refused: exit 77" {
  ita
  ITA_API_KEY='' run -78 --separate-stderr ita-appraise < "$Q"
  one_line
  [ "$stderr" = "ita-appraise: ITA_API_KEY is not set: Intel Trust Authority needs an API key" ]
  [ ! -s "$LOG" ]
  ITA_API_KEY=wrong-key run -77 --separate-stderr ita-appraise < "$Q"
  one_line
  [ "$stderr" = "ita-appraise: POST $ITA_URL/appraisal/v2/attest: HTTP 401: {\"error\": \"Unauthorized\"} (ITA refused ITA_API_KEY)" ]
}

@test "impossible answers exit 76: no token; a service that is not there exits 69" {
  ita --mode no-token
  run -76 --separate-stderr ita-appraise < "$Q"
  one_line
  [ "$stderr" = "ita-appraise: POST $ITA_URL/appraisal/v2/attest: HTTP 200 without a token (a JSON object with \"token\": JWT)" ]
  stop_servers
  ita --script certs=404
  run -69 --separate-stderr ita-appraise < "$Q"
  [ "$stderr" = "ita-appraise: GET $ITA_URL/certs: HTTP 404" ]
  run -69 --separate-stderr ita-appraise --url http://127.0.0.1:1 --retries 0 < "$Q"
  one_line
}

@test "malformed input exits 65, a missing quote JSON 66, before any request; bad URLs 2 or 78" {
  ita
  run -65 --separate-stderr ita-appraise <<<'not a quote at all !!'
  one_line
  echo '{"td_report": {"mr_td": "00"}}' > "$BATS_TEST_TMPDIR/partial.json"
  run -66 --separate-stderr ita-appraise --quote-json "$BATS_TEST_TMPDIR/none.json" < "$Q"
  one_line
  [ ! -s "$LOG" ]
  run -65 --separate-stderr ita-appraise --quote-json "$BATS_TEST_TMPDIR/partial.json" < "$Q"
  [ "$stderr" = "ita-appraise: '$BATS_TEST_TMPDIR/partial.json': no td_report.rt_mr0 (not quote2json's output of a TDX quote)" ]
  run -2 ita-appraise --url ftp://x < "$Q"
  run -2 ita-appraise --jwks-url 'http://a b' < "$Q"
  ITA_URL=file:///etc run -78 --separate-stderr ita-appraise < "$Q"
  [ "$stderr" = "ita-appraise: ITA_URL must be an http:// or https:// URL" ]
}

@test "a failed write of the claims exits 74; the key is in no output" {
  ita
  run -74 --separate-stderr bash -c 'ita-appraise < "$1" > /dev/full' _ "$Q"
  one_line
  ITA_API_KEY="$KEY-x" run -77 --separate-stderr ita-appraise --verbose < "$Q"
  local all="$output$stderr"
  run -0 --separate-stderr ita-appraise --verbose < "$Q"
  all+="$output$stderr"
  [[ "$all" != *"$KEY"* ]]
  run ! grep -F "$KEY" "$LOG"
}
