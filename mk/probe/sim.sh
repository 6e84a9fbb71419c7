# shellcheck shell=bash
# shellcheck disable=SC2154 # D, tmp and BIN are mk/probe/attest's
# shellcheck disable=SC2034 # BACKEND_JQ_ARGS and BACKEND_JQ are read by mk/probe/attest
# STAGING=sim for mk/probe/attest (sourced): kms-sim on loopback, started with the
# probe's compose file and profile, its state (the simulated PKI, the pinned
# profile) in DIR/sim-state, tracked by its process id. Environment: SIM_LISTEN
# SIM_FLAGS (words mk/knobs.mk allows: kms-sim's failure injection).
sim_pid=
sim_url=

backend_deploy() {
  local t0 rc msg
  t0=$(now_ms)
  # shellcheck disable=SC2086
  "$BIN/kms-sim" --listen "$SIM_LISTEN" --profile "$PROFILE" --compose "$D/compose.yaml" \
    --state "$D/sim-state" --kms-version "$KMS_VERSION" --image-digest "$KMS_IMAGE_DIGEST" $SIM_FLAGS \
    > "$tmp/sim-url" 2> "$tmp/kms-sim.log" &
  sim_pid=$!
  for _ in $(seq 1000); do
    [ -s "$tmp/sim-url" ] && break
    kill -0 "$sim_pid" 2>/dev/null || break
    sleep 0.01
  done
  sim_url=$(head -n 1 "$tmp/sim-url")
  if [ -z "$sim_url" ]; then
    wait "$sim_pid"
    rc=$?
    sim_pid=
    msg=$(grep -v '^$' "$tmp/kms-sim.log" | tail -n 1)
    echo "${msg:-kms-sim did not start}" >&2
    step_record "$D" deploy "$rc" $(($(now_ms) - t0)) "${msg:-kms-sim did not start (exit $rc)}"
    return 1
  fi
  step_record "$D" deploy 0 $(($(now_ms) - t0)) "kms-sim (SIMULATED) pid $sim_pid on $sim_url"
}

backend_boot() { step_record "$D" boot skip 0 "kms-sim runs on loopback: no CVM to boot"; }

backend_urls() { printf '%s\n' "$sim_url"; }

backend_teardown() {
  local t0 i
  [ -n "$sim_pid" ] || return 0
  t0=$(now_ms)
  kill -TERM "$sim_pid" 2>/dev/null
  # it has 5 s to stop cleanly, then it is killed
  for ((i = 0; i < 500; i++)); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.01; done
  kill -0 "$sim_pid" 2>/dev/null && kill -KILL "$sim_pid" 2>/dev/null
  wait "$sim_pid" 2>/dev/null
  if kill -0 "$sim_pid" 2>/dev/null; then
    step_record "$D" teardown 1 $(($(now_ms) - t0)) "kms-sim (pid $sim_pid) is still running"
    return 1
  fi
  step_record "$D" teardown 0 $(($(now_ms) - t0)) "kms-sim (pid $sim_pid) stopped"
}

backend_json() { BACKEND_JQ_ARGS=() BACKEND_JQ='{}'; }
