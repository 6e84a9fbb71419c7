#!/usr/bin/env bash
# quote-verify: whole-process time per quote against quote2json on the same
# quote (the goal: at most 2x) and against @phala/dcap-qvl's `test_case.js
# verify` (node) on the same quote, collateral and time; --lines throughput
# with and without the PCK-chain cache; ECDSA verifications per quote next to
# `openssl speed ecdsap256`, the physical bound. A few seconds.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
vec="$here/../tests/fixtures/vectors/tdx/dcap-qvl/sample"
Q="$vec/tdx_quote"
C="$vec/tdx_quote_collateral.json"
NOW=1752919234
RUNS=${BENCH_RUNS:-20}
NODE_RUNS=${BENCH_NODE_RUNS:-8}
BATCH=${BENCH_BATCH:-6000}
BATCH_NOCACHE=${BENCH_BATCH_NOCACHE:-1500}
qvl=$(ensure_dcap_qvl)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# both verify the quote, with the same status, before anything is timed
ours_status=$("$BIN/quote-verify" --collateral "$C" --now $NOW < "$Q" | jq -r .status)
peer_status=$(node "$qvl/test_case.js" verify --time $NOW "$Q" "$C" | sed -n 's/^Status: //p')
[ "$ours_status" = UpToDate ] && [ "$peer_status" = "$ours_status" ] ||
  { echo "bench: quote-verify ($ours_status) and dcap-qvl ($peer_status) disagree"; exit 1; }

# quote-verify and quote2json in alternate rounds, so that the machine's load
# weighs on both alike
ours=0 q2j=0
for ((r = 0; r < 5; r++)); do
  ours=$((ours + $(per_proc "$RUNS" "$Q" "$BIN/quote-verify" --collateral "$C" --now $NOW)))
  q2j=$((q2j + $(per_proc "$RUNS" "$Q" "$BIN/quote2json")))
done
ours=$((ours / 5)) q2j=$((q2j / 5))
node_us=$(per_proc "$NODE_RUNS" "$Q" node "$qvl/test_case.js" verify --time $NOW "$Q" "$C")
floor_us=$(per_proc "$RUNS" "$Q" /bin/true)

# --lines: one collateral, many quotes (the same platform: cached PCK chain and QE
# report signature), then --no-cache (every chain and QE report verified anew)
b64=$(base64 -w0 "$Q")
for ((i = 0; i < BATCH; i++)); do printf '%s\n' "$b64"; done > "$tmp/lines"
head -n "$BATCH_NOCACHE" "$tmp/lines" > "$tmp/lines-nc"
lines_qps() {
  local file=$1 n t0 t1
  shift
  n=$(wc -l < "$file")
  t0=$(now_ns)
  "$BIN/quote-verify" --collateral "$C" --now $NOW --lines --stats "$@" < "$file" > "$tmp/out" 2> "$tmp/stats"
  t1=$(now_ns)
  [ "$(grep -c '"verified":true' "$tmp/out")" -eq "$n" ]
  echo $(( n * 1000000000 / (t1 - t0) ))
}
qps=$(lines_qps "$tmp/lines")
stats_cached=$(cat "$tmp/stats")
qps_nc=$(lines_qps "$tmp/lines-nc" --no-cache)
stats_nc=$(cat "$tmp/stats")

# ECDSA verifications per quote. quote-verify counts its own (--stats); each
# verification of the 3-certificate PCK chain adds 2 (the leaf's and the
# Platform CA's signatures; each CRL's signature is verified once per process
# and the anchor's self-signature not at all).
# --stats: "quote-verify: Q quotes: E ECDSA and C PCK chain verifications, ..."
per_quote() {
  sed -E 's/^quote-verify: ([0-9]+) quotes: ([0-9]+) ECDSA and ([0-9]+) PCK chain.*/\1 \2 \3/' <<<"$1" |
    awk '{ printf "%.2f", ($2 + $3 * 2) / $1 }'
}
ecdsa_nc=$(per_quote "$stats_nc")
ecdsa_cached=$(per_quote "$stats_cached")
speed=$(openssl speed -seconds 1 ecdsap256 2>/dev/null | awk '/nistp256/ { print int($NF) }')
bound_nc=$(awk -v s="$speed" -v e="$ecdsa_nc" 'BEGIN { printf "%d", s / e }')
bound_cached=$(awk -v s="$speed" -v e="$ecdsa_cached" 'BEGIN { printf "%d", s / e }')

printf '%-52s %12s %10s\n' "whole process, one quote" "us/quote" "vs ours"
printf '%-52s %12s %10s\n' "quote-verify (mean of 5 x $RUNS)" "$ours" "1.0"
printf '%-52s %12s %10s\n' "quote2json on the same quote (mean of 5 x $RUNS)" "$q2j" "$(ratio "$q2j" "$ours")x"
printf '%-52s %12s %10s\n' "@phala/dcap-qvl test_case.js verify (mean of $NODE_RUNS)" "$node_us" "$(ratio "$node_us" "$ours")x"
printf '%-52s %12s\n' "(fork+exec of /bin/true, the floor)" "$floor_us"
printf '%-52s %12s   goal <= 2.0x: %s\n' "quote-verify / quote2json, per process" "$(ratio "$ours" "$q2j")x" \
  "$(at_most "$(ratio "$ours" "$q2j")" 2.0)"
printf '%-52s %12s   goal >= 10x: %s\n' "dcap-qvl / quote-verify" "$(ratio "$node_us" "$ours")x" \
  "$(at_least "$(ratio "$node_us" "$ours")" 10)"
printf '%-52s %12s   goal >= 3000/s: %s\n' "--lines, same platform ($BATCH quotes, 1 core)" "$qps/s" \
  "$(at_least "$qps" 3000)"
printf '%-52s %12s\n' "--lines --no-cache ($BATCH_NOCACHE quotes, 1 core)" "$qps_nc/s"
printf '%-52s %12s\n' "openssl speed ecdsap256 verify" "$speed/s"
printf '%-52s %12s   bound %s/s\n' "ECDSA verifications per quote, cached" "$ecdsa_cached" "$bound_cached"
printf '%-52s %12s   bound %s/s\n' "ECDSA verifications per quote, --no-cache" "$ecdsa_nc" "$bound_nc"

jq -n --argjson ours "$ours" --argjson q2j "$q2j" --argjson node "$node_us" --argjson floor "$floor_us" --argjson qps "$qps" \
  --argjson qps_nc "$qps_nc" --argjson batch "$BATCH" --argjson batch_nc "$BATCH_NOCACHE" \
  --argjson speed "$speed" --argjson e_c "$ecdsa_cached" --argjson e_nc "$ecdsa_nc" \
  --argjson runs "$RUNS" --argjson node_runs "$NODE_RUNS" \
  '{bench: "quote-verify", unit: "microseconds per whole process", runs: $runs, node_runs: $node_runs,
    quote_verify_us: $ours, quote2json_us: $q2j, ratio_quote2json: ($ours / $q2j),
    dcap_qvl_node_us: $node, exec_floor_us: $floor, ratio_node: ($node / $ours),
    lines_batch: $batch, lines_quotes_per_second: $qps,
    lines_no_cache_batch: $batch_nc, lines_no_cache_quotes_per_second: $qps_nc,
    openssl_ecdsap256_verify_per_second: $speed,
    ecdsa_per_quote_cached: $e_c, ecdsa_per_quote_no_cache: $e_nc,
    bound_cached_per_second: ($speed / $e_c), bound_no_cache_per_second: ($speed / $e_nc),
    goals: {ratio_quote2json_max: 2.0, ratio_node_min: 10, lines_qps_min: 3000}}' > "$ARTIFACTS/bench/quote-verify.json"
