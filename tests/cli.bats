#!/usr/bin/env bats
# One table over every program in bin/ (and every command of a program of
# commands): the command line of filters/lib/cli.c. The options are read from
# each program's own --help, so a program added later is covered without edits.

load test_helper

setup_file() {
  local dir="$BATS_FILE_TMPDIR/cli"
  mkdir -p "$dir"
  # the table: one line per program or command, "PROG[ COMMAND]"
  local p c
  for p in "$BIN"/*; do
    [ -x "$p" ] || continue
    p=$(basename "$p")
    echo "$p"
    "$BIN/$p" --help | awk '/^commands/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' |
      while read -r c; do echo "$p $c"; done
  done > "$dir/table"
}

table() { cat "$BATS_FILE_TMPDIR/cli/table"; }

# options ENTRY: one line per option of the entry's --help, "NAME VALUE|- REPEAT|-"
options() {
  # shellcheck disable=SC2086
  $1 --help | awk '
    /^options:/ { on = 1; next }
    on && /^$/ { on = 0 }
    on && /^  --/ {
      if (name != "") print name, val, rep
      name = $1; sub(/^--/, "", name); val = "-"; rep = "-"
      if ($2 ~ /^[A-Z][A-Z0-9_|.,/-]*$/) val = $2
    }
    on && /\(may be repeated\)/ { rep = "repeat" }
    END { if (name != "") print name, val, rep }' | grep -v -E '^(help|version) '
}

# usage_error ENTRY MESSAGE ARGS...: exit 2, "PROG: MESSAGE" then "usage: ..."
# on stderr, nothing on stdout; otherwise a line naming what was wrong
usage_error() {
  local entry=$1 want=$2 prog=${1%% *}
  shift 2
  # shellcheck disable=SC2086
  run --separate-stderr $entry "$@"
  local first second
  first=$(sed -n 1p <<<"$stderr")
  second=$(sed -n 2p <<<"$stderr")
  if [ "$status" -ne 2 ] || [ -n "$output" ] || [ "$first" != "$prog: $want" ] || [[ "$second" != "usage: "* ]]; then
    echo "FAIL: $entry $*: status $status, stdout '${output:0:60}', stderr '${first}' / '${second:0:40}'"
  fi
}

@test "the table covers every program in bin/ and the commands of cosign-wrap" {
  run -0 table
  [ "$(nlines "$output")" -ge 11 ]
  for p in quote2json quote-verify collateral-fetch rtmr-replay compose-hash mrtd-extract cosign-wrap \
      kms-sim kms-attest probe-report; do
    grep -qx "$p" <<<"$output"
  done
  grep -qx "cosign-wrap sign" <<<"$output"
  grep -qx "cosign-wrap verify" <<<"$output"
  # every entry documents at least --help and --version under options:
  local e
  while read -r e; do
    # shellcheck disable=SC2086
    [ "$($e --help | grep -c -E '^  --(help|version) ')" -eq 2 ] || { echo "no options section: $e"; return 1; }
  done < <(table)
}

@test "--help: exit 0, the synopsis and text on stdout, nothing on stderr" {
  local e bad=
  while read -r e; do
    # shellcheck disable=SC2086
    run --separate-stderr $e --help
    if [ "$status" -ne 0 ] || [ -n "$stderr" ] || [[ "$output" != "usage: ${e%% *}"* ]] ||
       [ "$(nlines "$output")" -lt 4 ]; then
      bad+="$e: status $status stderr '${stderr:0:80}'"$'\n'
    fi
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}

@test "--version prints NAME X.Y.Z, one version for every program" {
  local e bad='' versions=
  while read -r e; do
    # shellcheck disable=SC2086
    run --separate-stderr $e --version
    if [ "$status" -ne 0 ] || [ -n "$stderr" ] || ! [[ "$output" =~ ^${e%% *}\ ([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
      bad+="$e: status $status '$output'"$'\n'
    else
      versions+="${BASH_REMATCH[1]}"$'\n'
    fi
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
  [ "$(sort -u <<<"$versions" | grep -c .)" -eq 1 ]
}

@test "an unknown option: exit 2, PROG: unknown option '--x', the synopsis, empty stdout" {
  local e bad=
  while read -r e; do
    bad+=$(usage_error "$e" "unknown option '--no-such-option'" --no-such-option)
    bad+=$(usage_error "$e" "unknown option '-Z'" -Z)
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}

@test "options are not abbreviated, and a flag takes no value" {
  local e name val rep bad='' n=0
  while read -r e; do
    while read -r name val rep; do
      [ ${#name} -gt 3 ] || continue
      # an abbreviation is unknown unless it is itself the name of an option
      if ! options "$e" | awk '{print $1}' | grep -qx "${name:0:3}"; then
        bad+=$(usage_error "$e" "unknown option '--${name:0:3}'" "--${name:0:3}" x)
      fi
      if [ "$val" = - ]; then
        bad+=$(usage_error "$e" "option '--$name' takes no value" "--$name=x")
        n=$((n + 1))
      fi
    done < <(options "$e")
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
  [ "$n" -gt 5 ]
}

@test "every option that takes a value, given without one: exit 2, PROG: option '--x' needs a value" {
  local e name val rep bad='' n=0
  while read -r e; do
    while read -r name val rep; do
      [ "$val" != - ] || continue
      bad+=$(usage_error "$e" "option '--$name' needs a value" "--$name")
      n=$((n + 1))
    done < <(options "$e")
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
  [ "$n" -gt 30 ] # the table did read options
}

@test "every single-valued option given twice: exit 2, PROG: option '--x' given twice" {
  local e name val rep bad='' n=0 r=0
  while read -r e; do
    while read -r name val rep; do
      if [ "$rep" = repeat ]; then
        r=$((r + 1))
        continue
      fi
      if [ "$val" = - ]; then
        bad+=$(usage_error "$e" "option '--$name' given twice" "--$name" "--$name")
      else
        bad+=$(usage_error "$e" "option '--$name' given twice" "--$name" v1 "--$name" v2)
      fi
      n=$((n + 1))
    done < <(options "$e")
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
  [ "$n" -gt 30 ]
}

@test "a success path into /dev/full exits 74 with one line on stderr" {
  local e bad=
  while read -r e; do
    for a in --help --version; do
      # shellcheck disable=SC2086
      run --separate-stderr $e $a
      [ "$status" -eq 0 ] || continue
      # shellcheck disable=SC2086
      run --separate-stderr bash -c "$e $a > /dev/full"
      if [ "$status" -ne 74 ] || [ "$(nlines "$stderr")" -ne 1 ] || [[ "$stderr" != "${e%% *}: "* ]]; then
        bad+="$e $a: status $status stderr '$stderr'"$'\n'
      fi
    done
  done < <(table)
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}

@test "a program of commands: no command and an unknown command are usage errors" {
  local p
  for p in $(table | awk 'NF == 2 { print $1 }' | sort -u); do
    run -2 --separate-stderr "$p"
    [ -z "$output" ]
    [ "$(sed -n 1p <<<"$stderr")" = "$p: no command given" ]
    run -2 --separate-stderr "$p" no-such-command
    [ -z "$output" ]
    [ "$(sed -n 1p <<<"$stderr")" = "$p: unknown command 'no-such-command'" ]
  done
}
