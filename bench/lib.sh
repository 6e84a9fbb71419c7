# shellcheck shell=bash
# Helpers shared by the bench parts (sourced).
# ensure_dcap_qvl: install @phala/dcap-qvl (the JavaScript port of Phala's verifier)
# into $BENCH_CACHE/node once; prints the package folder.
ensure_dcap_qvl() {
  local dir="$BENCH_CACHE/node"
  if [ ! -d "$dir/node_modules/@phala/dcap-qvl" ]; then
    mkdir -p "$dir"
    (cd "$dir" && { [ -f package.json ] || echo '{"private":true}' > package.json; } &&
      npm install --silent --no-audit --no-fund @phala/dcap-qvl@0.3.9 >&2)
  fi
  printf '%s\n' "$dir/node_modules/@phala/dcap-qvl"
}

# mk ARGS...: make in the project ($root) into $tmp/a, without a parent make's flags,
# quiet: its stderr (the steps' messages) shown only when it fails
# shellcheck disable=SC2154 # root and tmp are the sourcing part's
mk() {
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" -s ARTIFACTS="$tmp/a" "$@" > /dev/null 2> "$tmp/make.err" ||
    { cat "$tmp/make.err" >&2; return 1; }
}

# now_ns: a monotonic clock in nanoseconds
now_ns() { date +%s%N; }

# ratio A B: A / B with one decimal
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
# at_least A B: "met" when A >= B (numbers, decimals allowed), else "NOT met"
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? "met" : "NOT met" }'; }
# at_most A B: "met" when A <= B, else "NOT met"
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? "met" : "NOT met" }'; }

# per_proc RUNS STDIN CMD...: mean wall time of one whole process of CMD in
# microseconds over RUNS runs (after 2 warm-ups), each forked by this shell with
# stdin from the file STDIN: ours and the peers are measured alike
per_proc() {
  local n=$1 in=$2 t0 t1 i
  shift 2
  for ((i = 0; i < 2; i++)); do "$@" < "$in" > /dev/null; done
  t0=$(now_ns)
  for ((i = 0; i < n; i++)); do "$@" < "$in" > /dev/null; done
  t1=$(now_ns)
  echo $(( (t1 - t0) / n / 1000 ))
}
