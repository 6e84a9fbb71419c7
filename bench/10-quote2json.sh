#!/usr/bin/env bash
# quote2json: whole-process time per quote against two peers that parse the same
# fields (@phala/dcap-qvl in node, a python3 offset reader), and --lines throughput.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
Q="$here/../tests/fixtures/vectors/tdx/dcap-qvl/sample/tdx_quote"
RUNS=${BENCH_RUNS:-40}
BATCH=${BENCH_BATCH:-20000}
qvl=$(ensure_dcap_qvl)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# the three agree on the measurements before anything is timed
"$BIN/quote2json" < "$Q" | jq -S '{mr_td: .td_report.mr_td, rt_mr0: .td_report.rt_mr0, rt_mr3: .td_report.rt_mr3, report_data: .td_report.report_data}' > "$tmp/a"
node "$here/peer-dcap-qvl-parse.js" "$qvl" "$Q" | jq -S '{mr_td, rt_mr0, rt_mr3, report_data}' > "$tmp/b"
python3 "$here/peer-quote-fields.py" "$Q" | jq -S '{mr_td, rt_mr0, rt_mr3, report_data}' > "$tmp/c"
cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c" || { echo "bench: peers disagree on the measurements"; exit 1; }

ours=$(per_proc "$RUNS" "$Q" "$BIN/quote2json")
node_us=$(per_proc "$RUNS" "$Q" node "$here/peer-dcap-qvl-parse.js" "$qvl" "$Q")
py_us=$(per_proc "$RUNS" "$Q" python3 "$here/peer-quote-fields.py" "$Q")
shell_us=$(per_proc "$RUNS" "$Q" /bin/true)

# batch: BATCH hex lines through --lines, one process
hexline=$(xxd -p -c 100000 "$Q")
for ((i = 0; i < BATCH; i++)); do printf '%s\n' "$hexline"; done > "$tmp/lines"
t0=$(now_ns)
"$BIN/quote2json" --lines < "$tmp/lines" > "$tmp/out"
t1=$(now_ns)
[ "$(wc -l < "$tmp/out")" -eq "$BATCH" ]
batch_ns=$((t1 - t0))
qps=$(( BATCH * 1000000000 / batch_ns ))

printf '%-44s %12s %10s\n' "whole process, one quote (mean of $RUNS)" "us/quote" "vs ours"
printf '%-44s %12s %10s\n' "quote2json" "$ours" "1.0"
printf '%-44s %12s %10s\n' "@phala/dcap-qvl Quote.parse (node)" "$node_us" "$(ratio "$node_us" "$ours")x"
printf '%-44s %12s %10s\n' "python3 offset reader" "$py_us" "$(ratio "$py_us" "$ours")x"
printf '%-44s %12s\n' "(fork+exec of /bin/true, the floor)" "$shell_us"
printf '%-44s %12s   goal >= 20x: %s\n' "node peer / quote2json" "$(ratio "$node_us" "$ours")x" \
  "$(at_least "$(ratio "$node_us" "$ours")" 20)"
printf '%-44s %12s   goal >= 20000/s: %s\n' "quote2json --lines ($BATCH quotes, 1 core)" "$qps/s" \
  "$(at_least "$qps" 20000)"

jq -n --argjson ours "$ours" --argjson node "$node_us" --argjson py "$py_us" --argjson floor "$shell_us" \
  --argjson qps "$qps" --argjson batch "$BATCH" --argjson runs "$RUNS" \
  '{bench: "quote2json", unit: "microseconds per whole process", runs: $runs,
    quote2json_us: $ours, dcap_qvl_node_us: $node, python3_us: $py, exec_floor_us: $floor,
    ratio_node: ($node / $ours), ratio_python: ($py / $ours),
    lines_batch: $batch, lines_quotes_per_second: $qps,
    goals: {ratio_node_min: 20, lines_qps_min: 20000}}' > "$ARTIFACTS/bench/quote2json.json"
