# shellcheck shell=bash
# shellcheck disable=SC2154 # D, tmp and BIN are mk/probe/attest's
# shellcheck disable=SC2034 # BACKEND_JQ_ARGS and BACKEND_JQ are read by mk/probe/attest
# STAGING=url for mk/probe/attest (sourced): the KMS at KMS_URL runs already; it
# is neither deployed nor torn down here.
backend_deploy() { step_record "$D" deploy skip 0 "STAGING=url: reusing the KMS at $KMS_URL"; }
backend_boot() { step_record "$D" boot skip 0 "STAGING=url: the KMS runs already"; }
backend_urls() { printf '%s\n' "$KMS_URL"; }
backend_teardown() { step_record "$D" teardown skip 0 "STAGING=url: the KMS at $KMS_URL is not ours to stop"; }
backend_json() { BACKEND_JQ_ARGS=() BACKEND_JQ='{}'; }
