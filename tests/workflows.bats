#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
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
assert up, "no upload"
# the seed: gh run download <run-id> -n probe-artifacts; kept 14 days, even after a failure
assert up[0]["with"]["name"] == "probe-artifacts", up[0]["with"]["name"]
assert up[0]["with"]["retention-days"] == 14, up[0]["with"]
assert up[0]["if"] == "always()", up[0]
paths = up[0]["with"]["path"].split("\n")
assert paths[0] == "artifacts/probe/${{ inputs.profile }}/", paths
# the private keys of the simulated CA are not uploaded
assert "!artifacts/probe/${{ inputs.profile }}/sim-state/" in paths, paths
# the step the seed tells users to watch, after the probe, whatever it said
names = [s.get("name") for s in steps]
res = steps[names.index("Probe Results")]
assert names.index("Probe Results") > [i for i, s in enumerate(steps) if s.get("run", "").startswith("make probe")][0]
assert res["run"] == "make probe-results" and res["if"] == "always()", res
assert res["env"]["PROFILE"] == "${{ inputs.profile }}", res
# phala by default, sim selectable; the optional ITA key
st = inputs["staging"]
assert st["default"] == "phala" and "sim" in st["options"], st
assert "secrets.ITA_API_KEY" in text
# the seed: GH_RELEASE_TOKEN fetches the released policy the report compares with
ps = inputs["policy_source"]
assert ps["default"] == "release" and sorted(ps["options"]) == ["release", "repo"], ps
probe = [s for s in steps if s.get("run") == "make probe"][0]
assert probe["env"]["POLICY_SOURCE"] == "${{ inputs.policy_source }}", probe["env"]
assert probe["env"]["POLICY_RELEASE"] == "${{ inputs.policy_release }}", probe["env"]
assert probe["env"]["GH_RELEASE_TOKEN"] == "${{ secrets.GH_RELEASE_TOKEN }}", probe["env"]
' "$ROOT/.github/workflows/kms-phala-staging-probe.yaml"
  for i in kms_version kms_image_digest profile staging_cvm_id; do
    [[ " $output " == *" $i "* ]] || { echo "missing input $i"; false; }
  done
}

@test "make probe-results: the report's summary, and the whole report appended to GITHUB_STEP_SUMMARY" {
  A="$BATS_TEST_TMPDIR/a"
  mkdir -p "$A/probe/debug"
  cp -r "$FIX/probe-report/pass/." "$A/probe/debug/"
  SOURCE_DATE_EPOCH=1764360000 probe-report --steps "$ROOT/mk/probe/steps" --dir "$A/probe/debug" --profile debug \
    --backend sim > "$A/probe/debug/probe-report.md"
  printf 'step result\nrender pass\n' > "$A/probe/debug/probe.log"
  echo "# before" > "$BATS_TEST_TMPDIR/summary.md"
  run -0 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL GITHUB_STEP_SUMMARY="$BATS_TEST_TMPDIR/summary.md" \
    make -C "$ROOT" -s ARTIFACTS="$A" probe-results PROFILE=debug
  [ "${lines[0]}" = "# Staging probe debug: PASS (SIMULATED: local kms-sim, not TDX hardware)" ]
  [[ "$output" == *"render pass"* ]]
  [[ "$output" == *"artifacts: $A/probe/debug/ (the report: $A/probe/debug/probe-report.md)" ]]
  # appended, not replaced
  [ "$(head -n 1 "$BATS_TEST_TMPDIR/summary.md")" = "# before" ]
  diff <(tail -n +2 "$BATS_TEST_TMPDIR/summary.md") "$A/probe/debug/probe-report.md"
  # a failed run: its headline and why
  printf 'fail\t75\t1200000\tphala-cvm: CVM not running after 1200 s\n' > "$A/probe/debug/.steps/boot"
  probe-report --steps "$ROOT/mk/probe/steps" --dir "$A/probe/debug" --profile debug --backend phala \
    > "$A/probe/debug/probe-report.md"
  run -0 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL -u GITHUB_STEP_SUMMARY make -C "$ROOT" -s ARTIFACTS="$A" \
    probe-results PROFILE=debug
  [ "${lines[1]}" = '**Failed at step `boot`**: phala-cvm: CVM not running after 1200 s' ]
  # no report at all: said so, make fails, and the summary says it too
  rm "$A/probe/debug/probe-report.md"
  run -2 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL GITHUB_STEP_SUMMARY="$BATS_TEST_TMPDIR/summary.md" \
    make -C "$ROOT" -s ARTIFACTS="$A" probe-results PROFILE=debug
  [[ "$stderr" == *"probe: no report in $A/probe/debug/: the probe did not get as far as writing one"* ]]
  [ "$(tail -n 1 "$BATS_TEST_TMPDIR/summary.md")" = "The probe wrote no report in \`$A/probe/debug\`." ]
  run -2 --separate-stderr env -u MAKEFLAGS -u MAKELEVEL make -C "$ROOT" -s ARTIFACTS="$A" probe-results
  [[ "$stderr" == *"PROFILE must be one of"* ]]
}

@test "the target check can fail: an unknown target is caught" {
  run -1 grep -qx -- "no-such-target" "$BATS_FILE_TMPDIR/targets"
  grep -qx -- probe "$BATS_FILE_TMPDIR/targets"
  grep -qx -- deps "$BATS_FILE_TMPDIR/targets"
}

@test "the profile choices of the probe workflow are the profile list of filters/lib/profile.h" {
  list=$(sed -n 's/^#define MP_PROFILE_LIST //p' "$ROOT/filters/lib/profile.h" | tr -d '",')
  [ "$(wc -w <<<"$list")" -eq 3 ]
  run -0 python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
on = d.get("on", d.get(True))
print(" ".join(on["workflow_dispatch"]["inputs"]["profile"]["options"]))' "$ROOT/.github/workflows/kms-phala-staging-probe.yaml"
  [ "$output" = "$(echo $list)" ]
}

@test "workflow inputs reach make through the environment only, and make refuses a hostile one with exit 2" {
  # no run line pastes an expression (an input, a secret) into the shell
  run -0 python3 -c '
import sys, yaml, glob
for wf in sorted(glob.glob(sys.argv[1] + "/*.y*ml")):
    for job in yaml.safe_load(open(wf))["jobs"].values():
        for st in job["steps"]:
            assert "${{" not in st.get("run", ""), wf + ": " + st["run"]
# the probe step: every input it passes, by environment variable
d = yaml.safe_load(open(sys.argv[1] + "/kms-phala-staging-probe.yaml"))
for st in d["jobs"]["probe"]["steps"]:
    if st.get("run", "").startswith("make probe"):
        for k, v in st["env"].items():
            if "inputs." in v:
                print(k)' "$ROOT/.github/workflows"
  inputs=$output
  [ "$(wc -l <<<"$inputs")" -ge 5 ]
  M="$BATS_TEST_TMPDIR/marker"
  for k in $inputs; do
    for bad in "x'; touch $M; echo '" "\$(shell touch $M)" "\`touch $M\`"; do
      run -2 --separate-stderr env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PROFILE=debug "$k=$bad" \
        make -C "$ROOT" -s ARTIFACTS="$BATS_TEST_TMPDIR/a" probe
      [[ "$stderr" == *"*** $k must be "* ]] || { echo "$k: $stderr"; false; }
    done
  done
  [ ! -e "$M" ]
  [ ! -e "$BATS_TEST_TMPDIR/a" ]
}
