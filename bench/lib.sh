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

# now_ns: a monotonic clock in nanoseconds
now_ns() { date +%s%N; }
