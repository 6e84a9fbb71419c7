# Shared setup for every bats suite: programs from $BIN (bin/ or the SAN
# build), vectors from $SHARED (../shared), bats-support and bats-assert.
# With VALGRIND=1 every program runs under valgrind and any error or leak
# turns its exit status into 99.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
BIN="${BIN:-$ROOT/bin}"
SHARED="${SHARED:-$(cd "$ROOT/../shared" 2>/dev/null && pwd)}"
# the vectors of ../shared/vectors, copied so the suites run without ../shared
VECTORS="$ROOT/tests/fixtures/vectors"
VEC="$VECTORS/tdx"
# shellcheck disable=SC2034 # used by the suites that load this file
FIX="$ROOT/tests/fixtures"
export LC_ALL=C

# mk ARGS...: the project's make, quiet, out of any outer make's jobserver, into the
# suite's artifact folder $A, on the build the suite runs (SAN); a suite that needs
# another make defines its own mk after loading this file
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" SAN="${SAN:-0}" "$@"; }

_mp_path() {
  if [ "${VALGRIND:-0}" = 1 ]; then
    local wrap="$BATS_RUN_TMPDIR/valgrind-bin"
    if [ ! -d "$wrap" ]; then
      mkdir -p "$wrap.tmp.$$"
      local p
      for p in "$BIN"/*; do
        [ -x "$p" ] || continue
        cat > "$wrap.tmp.$$/$(basename "$p")" <<WRAP
#!/usr/bin/env bash
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --suppressions="$ROOT/tests/valgrind.supp" \
  --show-leak-kinds=definite,indirect "$p" "\$@"
WRAP
        chmod +x "$wrap.tmp.$$/$(basename "$p")"
      done
      mv -T "$wrap.tmp.$$" "$wrap" 2>/dev/null || rm -rf "$wrap.tmp.$$"
    fi
    PATH="$wrap:$PATH"
  else
    PATH="$BIN:$PATH"
  fi
  export PATH
}
_mp_path

# vec PATH: the path of a TDX vector file
vec() { printf '%s/%s' "$VEC" "$1"; }

# A field of tdx/expected.json: expected QUOTE_KEY JQ_PATH
expected() { jq -r --arg k "$1" ".quotes[\$k]$2" "$VEC/expected.json"; }

# Count the lines of a string (0 for empty).
nlines() { [ -z "$1" ] && echo 0 || printf '%s\n' "$1" | wc -l; }

# A failed run of the conventions: one stderr line, nothing on stdout.
# shellcheck disable=SC2154 # stderr is set by bats' run --separate-stderr
one_line() { [ "$(nlines "$stderr")" -eq 1 ] && [ -z "$output" ]; }

# flip_byte SRC OFFSET MASK DST: a copy of SRC with one byte xor-ed with MASK
# (a negative OFFSET counts from the end; MASK may be hex, 0x..)
flip_byte() {
  python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[int(sys.argv[2])] ^= int(sys.argv[3], 0)
open(sys.argv[4], "wb").write(b)' "$@"
}

# start_server NAME CMD...: start a server that prints its URL on stdout once it
# accepts connections; sets ${NAME}_URL and ${NAME}_PID. stop_servers (call it
# from teardown) kills every server a test started.
start_server() {
  local name=$1 i pid out
  shift
  out=$(mktemp "$BATS_TEST_TMPDIR/$name.url.XXXXXX")
  "$@" > "$out" 2> "$out.err" &
  pid=$!
  echo "$pid" >> "$BATS_TEST_TMPDIR/.servers"
  for ((i = 0; i < 1000; i++)); do
    [ -s "$out" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  printf -v "${name}_URL" '%s' "$(head -n 1 "$out")"
  printf -v "${name}_PID" '%s' "$pid"
}

stop_servers() {
  local pid i
  [ -f "$BATS_TEST_TMPDIR/.servers" ] || return 0
  while read -r pid; do
    kill "$pid" 2>/dev/null || continue
    for ((i = 0; i < 500; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
    kill -9 "$pid" 2>/dev/null || true
  done < "$BATS_TEST_TMPDIR/.servers"
  rm -f "$BATS_TEST_TMPDIR/.servers"
}
