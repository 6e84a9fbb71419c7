#!/usr/bin/env bash
# rtmr-replay: whole-process time per event log against a python3 reference replay
# (tests/fixtures/rtmr-replay/replay.py, hashlib), on the dstack simulator log; the
# binary CCEL; and replay throughput on a large synthetic runtime log.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
F="$here/../tests/fixtures"
LOG="$F/vectors/tdx/dstack/sdk/simulator/eventlog.json"
CCEL="$F/vectors/tdx/go-tdx-guest/testing/testdata/ccel/ccel_data.dat"
RUNS=${BENCH_RUNS:-40}
EVENTS=${BENCH_EVENTS:-20000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# both replay the same registers before anything is timed
"$BIN/rtmr-replay" < "$LOG" | jq -r '.registers[].replayed' > "$tmp/a"
python3 "$F/rtmr-replay/replay.py" "$LOG" > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "bench: rtmr-replay and the python replay disagree"; exit 1; }

ours=$(per_proc "$RUNS" "$LOG" "$BIN/rtmr-replay")
py=$(per_proc "$RUNS" "$LOG" python3 "$F/rtmr-replay/replay.py" /dev/stdin)
ccel=$(per_proc "$RUNS" "$CCEL" "$BIN/rtmr-replay")
floor=$(per_proc "$RUNS" "$LOG" /bin/true)

# EVENTS runtime events with empty digests: each is hashed, then extended
jq -n --argjson n "$EVENTS" '[range($n) | {imr: 3, event_type: 134217729, digest: "",
  event: "e\(.)", event_payload: "00112233445566778899aabbccddeeff"}]' > "$tmp/big.json"
t0=$(now_ns)
"$BIN/rtmr-replay" < "$tmp/big.json" > "$tmp/out"
t1=$(now_ns)
[ "$(jq .log.events "$tmp/out")" -eq "$EVENTS" ]
eps=$(( EVENTS * 1000000000 / (t1 - t0) ))

printf '%-48s %12s %10s\n' "whole process, one log (mean of $RUNS)" "us/log" "vs ours"
printf '%-48s %12s %10s\n' "rtmr-replay, simulator log (27 events)" "$ours" "1.0"
printf '%-48s %12s %10s\n' "python3 reference replay, same log" "$py" "$(ratio "$py" "$ours")x"
printf '%-48s %12s\n' "rtmr-replay, go-tdx-guest CCEL (43 events)" "$ccel"
printf '%-48s %12s\n' "(fork+exec of /bin/true, the floor)" "$floor"
printf '%-48s %12s\n' "rtmr-replay, $EVENTS runtime events, one process" "$eps/s"

mkdir -p "$ARTIFACTS/bench"
jq -n --argjson ours "$ours" --argjson py "$py" --argjson ccel "$ccel" --argjson floor "$floor" \
  --argjson eps "$eps" --argjson events "$EVENTS" --argjson runs "$RUNS" \
  '{bench: "rtmr-replay", unit: "microseconds per whole process", runs: $runs,
    rtmr_replay_us: $ours, python3_us: $py, ratio_python: ($py / $ours), ccel_us: $ccel,
    exec_floor_us: $floor, synthetic_events: $events, events_per_second: $eps}' \
  > "$ARTIFACTS/bench/rtmr-replay.json"
