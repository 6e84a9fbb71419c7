# shellcheck shell=bash
# shellcheck disable=SC2154 # D, tmp and BIN are mk/probe/attest's
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

# phala_cmd OUT-MESSAGE-JQ PHALA-CVM-ARGS...: phala-cvm's JSON on stdout, and one
# line made from it on stderr (the step's message)
phala_cmd() {
  local msg=$1 j
  shift
  j=$("$BIN/phala-cvm" "$@") || return
  printf '%s\n' "$j"
  jq -r "$msg" <<< "$j" >&2
}

backend_deploy() {
  local said='"CVM \(.name) (id \(.id), app id \(.app_id)), " + (if .reused then "reused (STAGING_CVM_ID): kept at the end" else "deployed" end)'
  if [ -n "$STAGING_CVM_ID" ]; then
    step_run "$D" deploy --out "$tmp/cvm.json" -- phala_cmd "$said" deploy --reuse "$STAGING_CVM_ID"
  else
    step_run "$D" deploy --out "$tmp/cvm.json" -- phala_cmd "$said" deploy --name "$cvm_name" \
      --compose "$D/compose.yaml" --instance-type "$PHALA_INSTANCE_TYPE" ${PHALA_REGION:+--region "$PHALA_REGION"}
  fi
}

backend_boot() {
  step_run "$D" boot --out "$tmp/cvm-running.json" -- phala_cmd '"CVM \(.name) is \(.status)"' \
    wait --until running --timeout "$BOOT_TIMEOUT" --cvm "$tmp/cvm.json"
}

backend_urls() {
  if [ -n "$KMS_URL" ]; then
    printf '%s\n' "$KMS_URL"
  else
    "$BIN/phala-cvm" url --port "$SERVICE_PORT" --cvm "$tmp/cvm-running.json"
  fi
}

backend_teardown() {
  local said='if .result == "deleted" then "CVM \(.name) deleted (DELETE /cvms/\(.deleted_via)), and gone" else "no CVM \(.name) to delete: gone already" end'
  if [ -n "$STAGING_CVM_ID" ]; then
    step_record "$D" teardown skip 0 "CVM $STAGING_CVM_ID is reused (STAGING_CVM_ID): kept"
  elif [ -s "$tmp/cvm.json" ]; then
    step_run "$D" teardown --out "$tmp/teardown.json" -- phala_cmd "$said" delete --cvm "$tmp/cvm.json" \
      --wait "$TEARDOWN_TIMEOUT"
  else
    step_run "$D" teardown --out "$tmp/teardown.json" -- phala_cmd "$said" delete --name "$cvm_name" \
      --wait "$TEARDOWN_TIMEOUT"
  fi
}

# {cvm, cvm_name, reused, teardown}: the CVM as it last was seen, and phala-cvm
# delete's result
backend_json() {
  local cvm=null td=null f
  for f in "$tmp/cvm.json" "$tmp/cvm-running.json"; do [ -s "$f" ] && cvm=$(cat "$f"); done
  [ -s "$tmp/teardown.json" ] && td=$(cat "$tmp/teardown.json")
  jq -n --argjson cvm "$cvm" --argjson td "$td" --arg name "$cvm_name" --arg reuse "$STAGING_CVM_ID" \
    '{cvm: $cvm, cvm_name: ($cvm.name? // $name), reused: ($reuse != ""), teardown: $td}'
}
