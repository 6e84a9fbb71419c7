# shellcheck shell=bash
# Probe bookkeeping, sourced by the scripts of mk/probe/ and by mk/probe.mk's recipes.
# The steps are those of mk/probe/steps (PROBE_STEPS_FILE), in its order. Each step
# leaves one record, DIR/.steps/NAME: "status<TAB>exit<TAB>ms<TAB>message", read by
# probe-report and probe.log. A step that starts makes the older run's report and
# everything from itself on obsolete: they are removed first, so that the folder only
# ever holds one run's record (see steps_forget_from).
#
# Files are never written through a name a link may have been planted at: a unique
# temporary beside the target (mktemp: O_CREAT|O_EXCL), renamed over it (put).

# (few processes: a probe runs these functions hundreds of times)
PROBE_LIB_DIR=${BASH_SOURCE[0]%/*}
PROBE_STEPS_FILE=${PROBE_STEPS_FILE:-$PROBE_LIB_DIR/steps}
PROBE_SIG_SUFFIXES=".sig .sigstore.json"
PROBE_REPORT=probe-report.md
# shellcheck disable=SC2034 # read by the scripts that source this file
PROBE_CANDIDATES=measurement-policy-candidates.json

# PROBE_STEPS (the names in order) and PROBE_STEP_ARTIFACTS[NAME], from the steps file
# (tab-separated: name, artifacts or -, text; '#' comments)
probe_steps_read() {
  local name arts _text
  PROBE_STEPS=()
  declare -gA PROBE_STEP_ARTIFACTS=()
  while IFS=$'\t' read -r name arts _text; do
    case $name in '' | '#'*) continue ;; esac
    [ "$arts" = - ] && arts=
    PROBE_STEPS+=("$name")
    PROBE_STEP_ARTIFACTS[$name]=$arts
  done < "$PROBE_STEPS_FILE"
  [ ${#PROBE_STEPS[@]} -gt 0 ] || { echo "probe: no steps in $PROBE_STEPS_FILE" >&2; return 78; }
}
probe_steps_read || exit

# every artifact a step makes that is signed (not the dot files), in step order
probe_artifacts() {
  local s a
  for s in "${PROBE_STEPS[@]}"; do
    for a in ${PROBE_STEP_ARTIFACTS[$s]}; do
      case $a in .*) ;; *) echo "$a" ;; esac
    done
  done
}

# remove FILE... and their signatures (one rm, none when nothing is there)
rm_signed() {
  local f x list=()
  for f; do
    for x in '' $PROBE_SIG_SUFFIXES; do
      if [ -e "$f$x" ] || [ -L "$f$x" ]; then list+=("$f$x"); fi
    done
  done
  [ ${#list[@]} = 0 ] || rm -f -- "${list[@]}"
}

# probe_mktemp FILE: a new empty file of a unique name beside FILE, in PROBE_TMP
# (bash's noclobber opens it O_CREAT|O_EXCL: a link planted at the name is never
# followed, and a name that is not then a plain file of ours is passed over;
# mode from the umask; no process)
probe_mktemp() {
  local -
  local d=. i
  [[ $1 != */* ]] || d=${1%/*}
  set -C
  for ((i = 0; i < 100; i++)); do
    PROBE_TMP="$d/.${1##*/}.$SRANDOM$SRANDOM.tmp"
    { : > "$PROBE_TMP"; } 2> /dev/null && [ -f "$PROBE_TMP" ] && [ ! -L "$PROBE_TMP" ] && return 0
  done
  PROBE_TMP=
  echo "probe: cannot create a file beside '$1'" >&2
  return 74
}

# put [-c] [--drop OTHER] FILE CMD...: CMD's stdout becomes FILE, or nothing changes
# (CMD failed: its status is returned). With -c, FILE is left as it is when the bytes
# are equal; --drop: when FILE changes, OTHER and its signatures go first.
put() {
  local same=0 drop='' f tmp rc
  [ "$1" = -c ] && { same=1; shift; }
  [ "$1" = --drop ] && { drop=$2; shift 2; }
  f=$1
  shift
  probe_mktemp "$f" || return 74
  tmp=$PROBE_TMP
  "$@" > "$tmp" && rc=0 || rc=$?
  if [ $rc != 0 ]; then rm -f "$tmp"; return $rc; fi
  if [ $same = 1 ] && [ -f "$f" ] && [ ! -L "$f" ] && same_text "$tmp" "$f"; then
    rm -f "$tmp"
    return 0
  fi
  [ -z "$drop" ] || rm_signed "$drop"
  mv -f -T "$tmp" "$f"
}

# same_text A B: the two files hold the same bytes, and no NUL (read -d '' reads a
# file to its end, status 1, only when it holds no NUL): cmp without a process
same_text() {
  local a b
  IFS= read -r -d '' a < "$1" && return 1
  IFS= read -r -d '' b < "$2" && return 1
  [ "$a" = "$b" ]
}

# step_stderr: a step's stderr, line by line: shown on stderr, and its last line
# that is not empty kept in PROBE_STEP_LAST (step_run runs it in its own shell)
step_stderr() {
  local line
  PROBE_STEP_LAST=
  while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line" >&2
    [ -z "$line" ] || PROBE_STEP_LAST=$line
  done
}

# Step NAME starts: the report of an older run, and the records and artifacts of NAME
# and of every later step, no longer describe the folder: remove them.
steps_forget_from() { # DIR NAME
  local s a after=0 arts=("$1/$PROBE_REPORT")
  [ -d "$1/.steps" ] || mkdir -p "$1/.steps"
  for s in "${PROBE_STEPS[@]}"; do
    [ "$s" = "$2" ] && after=1
    [ $after = 1 ] || continue
    arts+=("$1/.steps/$s")
    for a in ${PROBE_STEP_ARTIFACTS[$s]}; do arts+=("$1/$a"); done
  done
  rm_signed "${arts[@]}"
}

# the clock in milliseconds (bash's own: no process)
# clock_ms VAR: the same into VAR, without the subshell of $(now_ms)
clock_ms() { local t=${EPOCHREALTIME//[!0-9]/}; printf -v "$1" '%s' $((10#$t / 1000)); }
now_ms() { local m; clock_ms m; echo "$m"; }
# milliseconds of a number of seconds (2, 0.25)
ms_of() { awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'; }

# The record of a step. Written in place when nothing is at its name (as after
# steps_forget_from): bash's noclobber opens it O_CREAT|O_EXCL, so that a link
# planted meanwhile is never followed; anything else goes through put.
step_record() { # DIR NAME EXIT MS MESSAGE
  local status=pass f=$1/.steps/$2 line
  [ "$3" = 0 ] || status=fail
  [ "$3" = skip ] && status=skip
  local msg=${5//[$'\t\n']/ }
  printf -v line '%s\t%s\t%s\t%s\n' "$status" "$3" "$4" "${msg:0:400}"
  if [ ! -e "$f" ] && [ ! -L "$f" ] && write_new "$f" "$line"; then
    return 0
  fi
  put "$f" printf '%s' "$line"
}
# write_new FILE TEXT: FILE created O_EXCL with TEXT, or status 1 (something is there)
write_new() {
  local -
  set -C
  printf '%s' "$2" 2> /dev/null > "$1"
}

# step_run DIR NAME [--keep-no] [--in FILE] [--out FILE] -- CMD...: run CMD as step
# NAME, stdin from FILE, stdout into FILE (replaced only when the step succeeds). Its
# stderr is shown and its last line becomes the step's message. With --keep-no,
# exit 1 (a verdict that is data, as quote-verify's) fails the step but keeps its
# output, when there is one, as evidence for the report (dated 1970, so that the
# next run redoes the step).
step_run() {
  local dir=$1 name=$2 keep=0 in=/dev/stdin out='' rc t0 t1 lastpipe=1
  shift 2
  while [ $# -gt 0 ]; do
    case $1 in
      --keep-no) keep=1; shift ;;
      --in) in=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  steps_forget_from "$dir" "$name"
  PROBE_STEP_TMP=
  if [ -n "$out" ]; then
    probe_mktemp "$out" || return 74
    PROBE_STEP_TMP=$PROBE_TMP
  fi
  clock_ms t0
  PROBE_CURRENT_DIR=$dir PROBE_CURRENT_STEP=$name PROBE_STEP_T0=$t0
  # stdout into the temporary (or this shell's stdout); stderr through step_stderr,
  # in this shell (lastpipe), so that no file and no process more are needed
  shopt -q lastpipe || { lastpipe=0; shopt -s lastpipe; }
  { "$@" < "$in" 2>&1 >&3 3>&- | step_stderr; } 3> "${PROBE_STEP_TMP:-/dev/stdout}"
  rc=${PIPESTATUS[0]}
  [ $lastpipe = 1 ] || shopt -u lastpipe
  PROBE_CURRENT_STEP=
  clock_ms t1
  step_record "$dir" "$name" "$rc" $((t1 - t0)) "$PROBE_STEP_LAST"
  if [ -n "$PROBE_STEP_TMP" ]; then
    if [ $rc = 0 ] || { [ $keep = 1 ] && [ $rc = 1 ] && [ -s "$PROBE_STEP_TMP" ]; }; then
      mv -f -T "$PROBE_STEP_TMP" "$out"
      # evidence of a "no": dated 1970, so that make never takes it for done
      [ $rc = 0 ] || touch -h -d @0 "$out"
    else
      rm -f "$PROBE_STEP_TMP"
    fi
  fi
  PROBE_STEP_TMP=''
  return $rc
}

# A signal while a step runs: record it as interrupted, leave no temporary (the
# traps of mk/probe/step and mk/probe/attest call this, then exit 128+N).
step_interrupted() { # SIGNAL
  [ -z "${PROBE_STEP_TMP-}" ] || rm -f "$PROBE_STEP_TMP"
  [ -n "${PROBE_CURRENT_STEP-}" ] || return 0
  step_record "$PROBE_CURRENT_DIR" "$PROBE_CURRENT_STEP" $((128 + $(kill -l "$1"))) \
    $(($(now_ms) - PROBE_STEP_T0)) "interrupted by SIG$1"
  PROBE_CURRENT_STEP=
}

# probe.log: one line per step that has a record, in step order (result, exit
# status, milliseconds, message), and the total
probe_log() { # DIR
  local s st rc ms msg total=0
  printf '%-13s %-6s %4s %8s  %s\n' step result exit ms message
  for s in "${PROBE_STEPS[@]}"; do
    [ -f "$1/.steps/$s" ] || continue
    IFS=$'\t' read -r st rc ms msg < "$1/.steps/$s"
    total=$((total + ms))
    printf '%-13s %-6s %4s %8s  %s\n' "$s" "$st" "$rc" "$ms" "$msg"
  done
  printf '%-13s %-6s %4s %8s\n' total '' '' "$total"
}

# The public half of the signing key: COSIGN_KEY's (a path or the key text, from the
# environment), or for simulated runs the development key's
signer_public_key() { # BIN DEV_PUB
  if [ -n "${COSIGN_KEY:+set}" ]; then
    "$1/cosign-wrap" public-key
  elif [ "${STAGING-}" = sim ]; then
    cat "$2"
  else
    echo "probe: COSIGN_KEY is required to sign a STAGING=${STAGING-} probe (the development key signs simulated probes only)" >&2
    return 78
  fi
}

# Temporaries a killed run left behind, in DIR and its folders (only while holding
# the folder's lock; no process when there are none)
probe_tmp_clean() { # DIR
  local -a left
  local ng=0 dg=0
  shopt -q nullglob && ng=1
  shopt -q dotglob && dg=1
  shopt -s nullglob dotglob
  left=("$1"/*.tmp "$1"/*/*.tmp "$1"/.attest.* "$1"/*/.attest.*)
  [ $ng = 1 ] || shopt -u nullglob
  [ $dg = 1 ] || shopt -u dotglob
  [ ${#left[@]} = 0 ] || rm -rf -- "${left[@]}" 2> /dev/null
  return 0
}

# probe-all's last line: each profile's headline and the time of its steps, and
# the wall time since T0 (nanoseconds), that of the slowest profile
probe_all_summary() { # ROOT T0 PROFILE...
  local root=$1 t0=$2 p total slowest=0 sum=0
  shift 2
  for p; do
    total=$(awk '$1 == "total" { print $2 }' "$root/$p/probe.log" 2>/dev/null)
    total=${total:-0}
    sum=$((sum + total))
    [ "$total" -le "$slowest" ] || slowest=$total
  done
  printf 'probe-all: %d profiles in %s s (their recorded steps: the slowest %s s, together %s s)\n' $# \
    "$(awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f", ns / 1e9 }')" \
    "$(awk -v ms="$slowest" 'BEGIN { printf "%.1f", ms / 1000 }')" "$(awk -v ms="$sum" 'BEGIN { printf "%.1f", ms / 1000 }')"
}

# The workflow's "Probe Results": the report's headline, why it failed, its steps;
# the whole report appended to $GITHUB_STEP_SUMMARY (the runner's file) when set
probe_results() { # DIR
  local d=$1
  if [ ! -f "$d/$PROBE_REPORT" ]; then
    echo "probe: no report in $d/: the probe did not get as far as writing one" >&2
    [ -z "${GITHUB_STEP_SUMMARY-}" ] || printf '# No probe report\n\nThe probe wrote no report in `%s`.\n' "$d" >> "$GITHUB_STEP_SUMMARY"
    return 1
  fi
  sed -n '1p; /^\*\*Failed at step\|^\*\*Interrupted\|^\*\*Incomplete/p' "$d/$PROBE_REPORT"
  [ ! -f "$d/probe.log" ] || { echo; cat "$d/probe.log"; }
  echo
  echo "artifacts: $d/ (the report: $d/$PROBE_REPORT)"
  [ -z "${GITHUB_STEP_SUMMARY-}" ] || cat "$d/$PROBE_REPORT" >> "$GITHUB_STEP_SUMMARY"
}
