#!/usr/bin/env bats
# The build itself: help, deps, the missing-library message, install, quiet output.

load test_helper

mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" "$@"; }

@test "make help lists the targets and the knobs" {
  run -0 mk -s help
  for t in deps check fuzz bench install probe probe-all keys; do
    [[ "$output" == *"  $t "* ]] || { echo "help lacks $t"; false; }
  done
  for k in V=1 SAN=1 VALGRIND=1 PREFIX; do
    [[ "$output" == *"$k"* ]] || { echo "help lacks $k"; false; }
  done
}

@test "make deps with everything installed is quick and changes nothing" {
  t0=$(date +%s%N)
  run -0 mk -s deps
  t1=$(date +%s%N)
  [[ "$output" == "deps: all "*" packages installed" ]]
  [ $(( (t1 - t0) / 1000000 )) -lt 2000 ]
}

@test "a missing library header fails the build with one line naming the package and make deps" {
  run -2 --separate-stderr mk -s OBJDIR="$BATS_TEST_TMPDIR/obj" BIN="$BATS_TEST_TMPDIR/bin" \
    CC="cc -nostdinc" "$BATS_TEST_TMPDIR/bin/quote2json"
  [[ "$stderr" == *"build: missing jq.h from Debian package libjq-dev: run 'make deps'"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/bin/quote2json" ]
}

@test "the build is quiet by default and shows commands with V=1" {
  run -0 mk OBJDIR="$BATS_TEST_TMPDIR/obj" BIN="$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/bin/compose-hash"
  [[ "$output" == *"  CC     $BATS_TEST_TMPDIR/obj/compose-hash.o"* ]]
  [[ "$output" != *" -Wall "* ]]
  run -0 mk V=1 -B OBJDIR="$BATS_TEST_TMPDIR/obj" BIN="$BATS_TEST_TMPDIR/bin" "$BATS_TEST_TMPDIR/bin/compose-hash"
  [[ "$output" == *"-Wall -Wextra -Werror"* ]]
  run -0 "$BATS_TEST_TMPDIR/bin/compose-hash" --version
}

@test "make install puts every program under DESTDIR/PREFIX/bin" {
  run -0 mk -s install DESTDIR="$BATS_TEST_TMPDIR/root" PREFIX=/opt/mp
  for p in "$ROOT"/filters/*.c; do
    n=$(basename "$p" .c)
    [ -x "$BATS_TEST_TMPDIR/root/opt/mp/bin/$n" ] || { echo "not installed: $n"; false; }
  done
  run -0 "$BATS_TEST_TMPDIR/root/opt/mp/bin/quote2json" --version
}
