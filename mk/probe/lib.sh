# Probe step bookkeeping, sourced by mk/probe/step and mk/probe/attest.
# Each step leaves one record, DIR/.steps/NAME: "status<TAB>exit<TAB>ms<TAB>message",
# read by probe-report and probe.log. A failed step removes the records and the
# artifacts of the later steps: they described an older run.
PROBE_STEPS="render deploy attest collateral teardown parse verify tcb-policy replay compose-hash extract"

# Forget the records of step NAME and of every later step (after a failure:
# they describe an older run); with ONLY=1 the record of NAME alone.
steps_forget_from() { # DIR NAME [ONLY]
  local s after=0
  mkdir -p "$1/.steps"
  if [ "${3-}" = 1 ]; then rm -f "$1/.steps/$2"; return 0; fi
  for s in $PROBE_STEPS; do
    [ "$s" = "$2" ] && after=1
    [ $after = 1 ] && rm -f "$1/.steps/$s"
  done
  return 0
}

# the artifacts each step makes
step_artifacts() {
  case $1 in
    render) echo compose.yaml ;;
    deploy|attest|collateral|teardown) echo attest-request.json attest-response.json collateral.json ;;
    parse) echo attestation-quote.bin attestation-quote.json ;;
    verify) echo verification.json ;;
    tcb-policy) echo .tcb-policy ;;
    replay) echo event-log-replay.json ;;
    compose-hash) echo compose-hash.txt ;;
    extract) echo measurement-policy-candidates.json ;;
  esac
}

# After step NAME failed, the artifacts of the later steps describe an older run:
# remove them (and their signatures), so that the report shows only this run.
artifacts_forget_after() { # DIR NAME
  local s f after=0
  for s in $PROBE_STEPS; do
    if [ $after = 1 ] && [ "$s" != deploy ] && [ "$s" != attest ] && [ "$s" != collateral ] && [ "$s" != teardown ]; then
      for f in $(step_artifacts "$s"); do rm -f "$1/$f" "$1/$f.sig" "$1/$f.sigstore.json"; done
      rm -f "$1/.steps/$s"
    fi
    [ "$s" = "$2" ] && after=1
  done
  return 0
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

step_record() { # DIR NAME EXIT MS MESSAGE
  local status=pass
  [ "$3" = 0 ] || status=fail
  [ "$3" = skip ] && status=skip
  printf '%s\t%s\t%s\t%s\n' "$status" "$3" "$4" "$(printf '%s' "$5" | tr '\t\n' '  ' | cut -c1-400)" \
    > "$1/.steps/$2"
}

# step_run DIR NAME [--keep-no] -- CMD...: run CMD as step NAME. Its stderr is
# shown and its last line becomes the step's message. With --keep-no, exit 1
# (a verdict that is data, as quote-verify's) is recorded as a failure but
# returns 0 so make keeps the output; the next step refuses it.
step_run() {
  local dir=$1 name=$2 keep=0 err rc t0
  shift 2
  [ "${1-}" = --keep-no ] && { keep=1; shift; }
  [ "${1-}" = -- ] && shift
  steps_forget_from "$dir" "$name" 1
  err=$(mktemp)
  t0=$(now_ms)
  PROBE_CURRENT_DIR=$dir PROBE_CURRENT_STEP=$name PROBE_STEP_T0=$t0
  "$@" 2>"$err" && rc=0 || rc=$?
  PROBE_CURRENT_STEP=
  cat "$err" >&2
  step_record "$dir" "$name" "$rc" $(( $(now_ms) - t0 )) "$(grep -v '^$' "$err" | tail -n 1)"
  rm -f "$err"
  [ $keep = 1 ] && [ $rc = 1 ] && return 0
  if [ $rc != 0 ]; then
    artifacts_forget_after "$dir" "$name"
    probe_failed
  fi
  return $rc
}

# A signal while a step runs: record it as interrupted (the traps of mk/probe/step
# and mk/probe/attest call this, then exit 128+N).
step_interrupted() { # SIGNAL
  [ -n "${PROBE_CURRENT_STEP-}" ] || return 0
  step_record "$PROBE_CURRENT_DIR" "$PROBE_CURRENT_STEP" 130 $(( $(now_ms) - PROBE_STEP_T0 )) \
    "interrupted by SIG$1"
  artifacts_forget_after "$PROBE_CURRENT_DIR" "$PROBE_CURRENT_STEP"
  PROBE_CURRENT_STEP=
}

# After a failed step: write the report, the log and the signatures of what
# exists, and leave no candidates file (PROBE_ON_FAIL, set by mk/probe.mk).
probe_failed() {
  if [ -n "${PROBE_ON_FAIL-}" ] && [ -z "${PROBE_FINISHING-}" ]; then
    export PROBE_FINISHING=1
    local cmd=$PROBE_ON_FAIL
    PROBE_ON_FAIL=
    $cmd || true
  fi
}
