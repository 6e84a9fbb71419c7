#!/usr/bin/env bats
# The build and make itself: help, deps, the missing-library message, install, quiet
# output, flags that rebuild, knobs that are checked before anything runs.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
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

@test "changing CFLAGS, LDFLAGS or LDLIBS rebuilds; the same flags again rebuild nothing" {
  b=(OBJDIR="$BATS_TEST_TMPDIR/obj" BIN="$BATS_TEST_TMPDIR/bin")
  t="$BATS_TEST_TMPDIR/bin/compose-hash"
  run -0 mk "${b[@]}" "$t"
  [[ "$output" == *"LD     $t"* ]]
  run -0 mk "${b[@]}" "$t"
  [[ "$output" != *"CC "* ]]
  [[ "$output" != *"LD "* ]]
  run -0 mk "${b[@]}" CFLAGS="-O2 -g -DMP_FLAGS_CHANGED" "$t"
  [[ "$output" == *"CC     $BATS_TEST_TMPDIR/obj/compose-hash.o"* ]]
  [[ "$output" == *"LD     $t"* ]]
  run -0 mk "${b[@]}" CFLAGS="-O2 -g -DMP_FLAGS_CHANGED" "$t"
  [[ "$output" != *"CC "* ]]
  [[ "$output" != *"LD "* ]]
  run -0 mk "${b[@]}" CFLAGS="-O2 -g -DMP_FLAGS_CHANGED" LDFLAGS=-Wl,-O1 "$t"
  [[ "$output" == *"LD     $t"* ]]
  run -0 mk "${b[@]}" CFLAGS="-O2 -g -DMP_FLAGS_CHANGED" LDFLAGS=-Wl,-O1 LDLIBS="-ljq -lcurl -lmicrohttpd -lsodium -lssl -lcrypto -lm -lpthread" "$t"
  [[ "$output" == *"LD     $t"* ]]
  grep -q -- '-DMP_FLAGS_CHANGED .* -Wl,-O1 .*-lpthread' "$BATS_TEST_TMPDIR/obj/.flags"
  run -0 "$t" --version
}

# Every knob that reaches a command, with a value that is valid and one of the
# ways a value can carry shell or make code. The raw text of a knob is never
# expanded: nothing runs, make stops at once with one line naming it (exit 2).
KNOBS="PROFILE=debug STAGING=sim SOURCE=sim KMS_URL=http://127.0.0.1:9 PCCS_URL=https://pccs.example/sgx
  KMS_VERSION=2.3.40 KMS_IMAGE_DIGEST=ghcr.io/x@sha256:0000000000000000000000000000000000000000000000000000000000000003
  SERVICE_PORT=8080 SIM_LISTEN=127.0.0.1:0 SIM_FLAGS=--debug-td ALLOWED_TCB_STATUSES=UpToDate HEALTH_TIMEOUT=3
  HEALTH_INTERVAL=0.2 STAGING_CVM_ID=app_1 COLLATERAL=/tmp/c.json ROOT_CA=/tmp/root.pem
  COMPOSE_TEMPLATE=policies/kms-compose.template.yaml POLICY_DIR=policies ARTIFACTS=/tmp/a KEYS_DIR=/tmp/k
  SHARED=../shared PREFIX=/usr/local DESTDIR=/tmp/d BIN=bin OBJDIR=build/obj COSIGN_WRAP=bin/cosign-wrap V=0 SAN=0
  VALGRIND=0 PROBE_FAILED=1 PROBE_INTERRUPTED=SIGINT FUZZ_SECONDS=1 TESTS=tests/make.bats BATS_FLAGS=--tap"

@test "every knob: a valid value is taken; quotes, \$(...), backticks, ; or a newline run nothing and exit 2" {
  M="$BATS_TEST_TMPDIR/marker"
  A="$BATS_TEST_TMPDIR/artifacts"
  n=0
  for kv in $KNOBS; do
    k=${kv%%=*} good=${kv#*=}
    others=(); [ "$k" = PROFILE ] || others=(PROFILE=debug)
    # the valid value passes the check (make -n: nothing runs)
    run -0 mk -n -s ARTIFACTS="$A" "${others[@]}" probe-check "$k=$good"
    for bad in "$good'; touch $M; echo '" "$good\"; touch $M; echo \"" "\$(shell touch $M)" "$good\$(touch $M)" \
        "\`touch $M\`" "$good;touch $M" "$good"$'\n'"touch $M"; do
      # on the command line
      run -2 --separate-stderr mk -s ARTIFACTS="$A" "${others[@]}" probe "$k=$bad"
      [[ "$stderr" == *"*** $k must be "* ]] || { echo "$k='$bad': $stderr"; false; }
      [ "$(nlines "$stderr")" -eq 1 ]
      # in the environment, as the workflows pass their inputs
      [ "$k" = ARTIFACTS ] && a=() || a=(ARTIFACTS="$A")
      run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$k=$bad" make -C "$ROOT" -s "${a[@]}" "${others[@]}" probe
      [[ "$stderr" == *"*** $k must be "* ]] || { echo "env $k='$bad': $stderr"; false; }
      n=$((n + 1))
    done
  done
  [ ! -e "$M" ]
  [ ! -e "$A" ]
  [ "$n" -ge 200 ]
}

@test "a value a knob's pattern refuses: version, image digest, URL, profile, port, flags" {
  for kv in KMS_VERSION=2.3 KMS_VERSION=latest KMS_VERSION=v2.3.40- KMS_IMAGE_DIGEST=ghcr.io/x:latest \
      KMS_IMAGE_DIGEST=ghcr.io/x@sha256:abc KMS_URL=ftp://kms.example KMS_URL=https:// KMS_URL="http://a b" \
      PROFILE=Debug SERVICE_PORT=0 SERVICE_PORT=123456 SIM_FLAGS="--tcb sideways" SIM_FLAGS=--pid-file \
      ALLOWED_TCB_STATUSES=Fine HEALTH_INTERVAL=.5 COLLATERAL=-rf ARTIFACTS="a b" SAN=2; do
    run -2 --separate-stderr mk -s -n probe-check "$kv"
    [[ "$stderr" == *"*** ${kv%%=*} must be "* ]] || { echo "$kv: $stderr"; false; }
  done
  for kv in KMS_VERSION=mero-kms-v2.3.40 KMS_VERSION=v0.4.0-rc.1+b7 ALLOWED_TCB_STATUSES="uptodate, OutOfDate" \
      SIM_FLAGS="--tcb outofdate --boot-seconds 0.5 --bad-signature"; do
    run -0 mk -s -n PROFILE=debug probe-check "$kv"
  done
}

@test "a '\$' in any variable on the command line, or in a build knob, is refused: make would expand it" {
  M="$BATS_TEST_TMPDIR/marker"
  run -2 --separate-stderr mk -s help NOT_A_KNOB="\$(shell touch $M)"
  [[ "$stderr" == *"NOT_A_KNOB: a '\$' in a value given to make is refused"* ]]
  run -2 --separate-stderr env -u MAKEFLAGS CFLAGS="-O2 \$(shell touch $M)" make -C "$ROOT" -s help
  [[ "$stderr" == *"CFLAGS: a '\$' in a value given to make is refused"* ]]
  # an environment variable that is no knob is never expanded: it passes through untouched
  run -0 env -u MAKEFLAGS NOT_A_KNOB="\$(shell touch $M)" make -C "$ROOT" -s help
  [ ! -e "$M" ]
}

@test "the profile list of make is the one of filters/lib/profile.h" {
  list=$(sed -n 's/^#define MP_PROFILE_LIST //p' "$ROOT/filters/lib/profile.h" | tr -d '",')
  [ "$(wc -w <<<"$list")" -eq 3 ]
  # probe-all is one probe-PROFILE target per profile of the list, and nothing else
  run -0 bash -c "cd '$ROOT' && make -pRrq : 2>/dev/null | sed -n 's/^probe-all: *//p'"
  [ "$(tr ' ' '\n' <<<"$output" | sort | paste -sd ' ')" = "$(for p in $list; do echo "probe-$p"; done | sort | paste -sd ' ')" ]
  for p in $list; do run -0 mk -s -n probe-check PROFILE=$p; done
  run -2 --separate-stderr mk -s -n probe-check PROFILE=production
  [[ "$stderr" == *"PROFILE must be one of: $(echo $list) (got 'production')"* ]]
}
