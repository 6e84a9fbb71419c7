#!/usr/bin/env bats
# The GitHub workflows are thin callers of make: each parses as YAML, and every
# run step calls make targets that exist.

load test_helper

setup_file() {
  # every target the makefiles define (make's database, nothing run)
  (cd "$ROOT" && make -pRrq : 2>/dev/null | awk -F: '/^[A-Za-z0-9][^$#\/\t=%]*:([^=]|$)/ { print $1 }' | sort -u) \
    > "$BATS_FILE_TMPDIR/targets"
}

@test "there are workflows: the staging probe and CI" {
  [ -f "$ROOT/.github/workflows/kms-phala-staging-probe.yaml" ]
  [ -f "$ROOT/.github/workflows/ci.yaml" ]
}

@test "every workflow parses as YAML with jobs and steps" {
  for wf in "$ROOT"/.github/workflows/*.y*ml; do
    run -0 python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert isinstance(d, dict) and d.get("jobs"), "no jobs"
for name, job in d["jobs"].items():
    assert job.get("steps"), name + " has no steps"
print(len(d["jobs"]))' "$wf"
    [ "$output" -ge 1 ]
  done
}

@test "every run step is a make call of targets that exist" {
  local n=0
  while IFS= read -r line; do
    n=$((n + 1))
    [[ "$line" == make* ]] || { echo "not a make call: $line"; false; }
    for word in $line; do
      case "$word" in make|-*|*=*) continue ;; esac
      grep -qx -- "$word" "$BATS_FILE_TMPDIR/targets" || { echo "no make target '$word' (in: $line)"; false; }
    done
  done < <(python3 -c '
import sys, yaml, glob
for wf in sorted(glob.glob(sys.argv[1] + "/*.y*ml")):
    for job in yaml.safe_load(open(wf))["jobs"].values():
        for st in job["steps"]:
            for line in st.get("run", "").splitlines():
                if line.strip() and not line.strip().startswith("#"):
                    print(line.strip())' "$ROOT/.github/workflows")
  [ "$n" -ge 4 ]
}

@test "the probe workflow has the seed's inputs and secrets and uploads the artifact folder" {
  run -0 python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
on = d.get("on", d.get(True))
inputs = on["workflow_dispatch"]["inputs"]
print(" ".join(sorted(inputs)))
text = open(sys.argv[1]).read()
for s in ("PHALA_CLOUD_API_KEY", "GH_RELEASE_TOKEN", "COSIGN_KEY"):
    assert "secrets." + s in text, s
steps = d["jobs"]["probe"]["steps"]
up = [s for s in steps if "upload-artifact" in s.get("uses", "")]
assert up and up[0]["with"]["path"].startswith("artifacts/probe/"), "no upload"
' "$ROOT/.github/workflows/kms-phala-staging-probe.yaml"
  for i in kms_version kms_image_digest profile staging_cvm_id; do
    [[ " $output " == *" $i "* ]] || { echo "missing input $i"; false; }
  done
}

@test "the target check can fail: an unknown target is caught" {
  ! grep -qx -- "no-such-target" "$BATS_FILE_TMPDIR/targets"
  grep -qx -- probe "$BATS_FILE_TMPDIR/targets"
  grep -qx -- deps "$BATS_FILE_TMPDIR/targets"
}
