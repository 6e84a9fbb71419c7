#!/usr/bin/env bash
# make probe: wall time of a full simulated probe of one profile, of make -j3
# probe-all, and of a no-op re-run (build and development key excluded).
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC2034 # root is read by mk (bench/lib.sh)
root=$(cd "$here/.." && pwd)
source "$here/lib.sh"
RUNS=${BENCH_PROBE_RUNS:-5}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mk keys

ms_of() { # best and median of RUNS runs of: CLEAN-CMD; timed make ARGS...
  local clean=$1; shift
  local i t0 t1 times=()
  for ((i = 0; i < RUNS; i++)); do
    eval "$clean"
    t0=$(now_ns); mk "$@"; t1=$(now_ns)
    times+=($(( (t1 - t0) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%d %d\n", a[1], a[int((NR+1)/2)]}'
}
read -r one_best one_med < <(ms_of 'rm -rf "$tmp/a/probe"' probe PROFILE=locked-read-only)
read -r all_best all_med < <(ms_of 'rm -rf "$tmp/a/probe"' -j3 probe-all)
mk probe PROFILE=locked-read-only
read -r noop_best noop_med < <(ms_of ':' probe PROFILE=locked-read-only)

met() { [ "$1" -lt "$2" ] && echo met || echo "NOT met"; }
printf '%-44s %9s %9s   %s\n' "make probe, simulated ($RUNS runs)" "best ms" "median ms" goal
printf '%-44s %9s %9s   %s\n' "one profile, from a clean folder" "$one_best" "$one_med" "< 1000 ms: $(met "$one_med" 1000)"
printf '%-44s %9s %9s   %s\n' "make -j3 probe-all, from a clean folder" "$all_best" "$all_med" "(3 profiles, $(nproc) cores)"
printf '%-44s %9s %9s   %s\n' "no-op re-run of one profile" "$noop_best" "$noop_med" "< 50 ms: $(met "$noop_med" 50)"
jq -n --argjson ob "$one_best" --argjson om "$one_med" --argjson ab "$all_best" --argjson am "$all_med" \
  --argjson nb "$noop_best" --argjson nm "$noop_med" --argjson runs "$RUNS" --argjson cores "$(nproc)" \
  '{bench: "probe", unit: "milliseconds wall time", runs: $runs, cores: $cores,
    one_profile: {best: $ob, median: $om}, probe_all_j3: {best: $ab, median: $am},
    noop_rerun: {best: $nb, median: $nm}, goals: {one_profile_max: 1000, noop_max: 50}}' \
  > "$ARTIFACTS/bench/probe.json"
