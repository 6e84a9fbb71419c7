# shellcheck shell=bash
# shellcheck disable=SC2154 # D, tmp and BIN are mk/probe/attest's
# shellcheck disable=SC2034 # BACKEND_JQ_ARGS and BACKEND_JQ are read by mk/probe/attest
# STAGING=phala for mk/probe/attest (sourced): a staging CVM on Phala Cloud through
# phala-cvm, tracked by its CVM JSON ($tmp/cvm.json), or by its name while its
# deploy has not finished (a commit that went through before the deploy failed is
# deleted too). A reused CVM (STAGING_CVM_ID) is described, never deleted.
# Environment: PHALA_CLOUD_API_KEY (read by phala-cvm only), PHALA_API_BASE_URL,
# PHALA_API_VERSION, PHALA_INSTANCE_TYPE, PHALA_REGION, BOOT_TIMEOUT, STAGING_CVM_ID,
# KMS_URL (overrides the CVM's URLs).
TEARDOWN_TIMEOUT=300
# the default name, as upstream: mero-kms-<profile>-<version, dots as dashes>
cvm_version=${KMS_VERSION#mero-kms-v}
cvm_version=${cvm_version#v}
cvm_version=${cvm_version//./-}
cvm_name=mero-kms-$PROFILE-${cvm_version//+/-}

# phala_cmd COMMAND ARGS...: phala-cvm's JSON on stdout; on stderr (--verbose) the
# requests it retried and, last, what became of the CVM: the step's message
phala_cmd() {
  local c=$1
  shift
  "$BIN/phala-cvm" "$c" --verbose "$@"
}

backend_deploy() {
  if [ -n "$STAGING_CVM_ID" ]; then
    step_run "$D" deploy --out "$tmp/cvm.json" -- phala_cmd deploy --reuse "$STAGING_CVM_ID"
  else
    step_run "$D" deploy --out "$tmp/cvm.json" -- phala_cmd deploy --name "$cvm_name" \
      --compose "$D/compose.yaml" --instance-type "$PHALA_INSTANCE_TYPE" ${PHALA_REGION:+--region "$PHALA_REGION"}
  fi
}

backend_boot() {
  step_run "$D" boot --out "$tmp/cvm-running.json" -- phala_cmd wait --until running --timeout "$BOOT_TIMEOUT" --cvm "$tmp/cvm.json"
}

backend_urls() {
  if [ -n "$KMS_URL" ]; then
    printf '%s\n' "$KMS_URL"
  else
    "$BIN/phala-cvm" url --port "$SERVICE_PORT" --cvm "$tmp/cvm-running.json"
  fi
}

backend_teardown() {
  if [ -n "$STAGING_CVM_ID" ]; then
    step_record "$D" teardown skip 0 "CVM $STAGING_CVM_ID is reused (STAGING_CVM_ID): kept"
  elif [ -s "$tmp/cvm.json" ]; then
    step_run "$D" teardown --out "$tmp/teardown.json" -- phala_cmd delete --cvm "$tmp/cvm.json" \
      --wait "$TEARDOWN_TIMEOUT"
  else
    step_run "$D" teardown --out "$tmp/teardown.json" -- phala_cmd delete --name "$cvm_name" \
      --wait "$TEARDOWN_TIMEOUT"
  fi
}

# backend_json: BACKEND_JQ_ARGS and BACKEND_JQ, the part of staging.json that is the
# backend's ({cvm, cvm_name, reused, teardown}: the CVM as it last was seen, and
# phala-cvm delete's result), for staging_json's one jq
backend_json() {
  local cvm=null td=null f
  for f in "$tmp/cvm.json" "$tmp/cvm-running.json"; do [ -s "$f" ] && cvm=$(< "$f"); done
  [ -s "$tmp/teardown.json" ] && td=$(< "$tmp/teardown.json")
  BACKEND_JQ_ARGS=(--argjson cvm "$cvm" --argjson td "$td" --arg name "$cvm_name" --arg reuse "$STAGING_CVM_ID")
  # shellcheck disable=SC2016 # jq's variables
  BACKEND_JQ='{cvm: $cvm, cvm_name: ($cvm.name? // $name), reused: ($reuse != ""), teardown: $td}'
}
