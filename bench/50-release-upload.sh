#!/usr/bin/env bash
# release-upload: a 100 MiB sparse file uploaded to the fake GitHub API
# (tests/lib/fake-github.py on loopback) and checked identical by a second
# run: peak memory (maximum resident set size, /usr/bin/time -v) against the
# goal of 20 MiB (memory independent of the file's size: the file is streamed),
# beside a 1 MiB upload for comparison, and the wall time.
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
MIB=${BENCH_UPLOAD_MIB:-100}
tmp=$(mktemp -d)
fake_pid=
cleanup() {
  [ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
  [ -z "$fake_pid" ] || wait "$fake_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

python3 "$here/../tests/lib/fake-github.py" > "$tmp/url" 2> "$tmp/fake.err" &
fake_pid=$!
for ((i = 0; i < 500; i++)); do [ -s "$tmp/url" ] && break; sleep 0.01; done
url=$(head -n 1 "$tmp/url")
[ -n "$url" ] || { cat "$tmp/fake.err"; echo "bench: the fake GitHub API did not start"; exit 1; }
token="ghp_bench$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
curl -sSf -X POST --data-binary "{\"tokens\": {\"$token\": \"bench\"},
  \"repos\": {\"o/r\": {\"releases\": [{\"tag_name\": \"bench\", \"draft\": true}]}}}" "$url/_fake/seed" > /dev/null

truncate -s "${MIB}M" "$tmp/big.bin"
head -c 1048576 /dev/urandom > "$tmp/small.bin"

# run NAME FILE: one release-upload under /usr/bin/time -v; prints "KIB MS RESULT"
run() {
  local t0 t1 kib
  t0=$(now_ns)
  GITHUB_API_URL=$url GH_RELEASE_TOKEN=$token /usr/bin/time -v -o "$tmp/$1.time" \
    "$BIN/release-upload" --repo o/r --tag bench "$2" > "$tmp/$1.json"
  t1=$(now_ns)
  kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tmp/$1.time")
  echo "$kib $(( (t1 - t0) / 1000000 )) $(jq -r '.assets[0].result' "$tmp/$1.json")"
}
read -r small_kib small_ms small_res < <(run small "$tmp/small.bin")
read -r big_kib big_ms big_res < <(run big "$tmp/big.bin")
read -r again_kib again_ms again_res < <(run again "$tmp/big.bin")
[ "$small_res $big_res $again_res" = "uploaded uploaded identical" ] ||
  { echo "bench: unexpected results: $small_res $big_res $again_res"; exit 1; }
[ "$(jq -r '.assets[0].sha256' "$tmp/big.json")" = "$(sha256sum "$tmp/big.bin" | cut -d' ' -f1)" ]

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? "met" : "NOT met" }'; }
printf '%-46s %10s %9s   %s\n' "release-upload to the fake GitHub API" "peak MiB" "wall ms" goal
printf '%-46s %10s %9s\n' "1 MiB file, uploaded" "$(mib "$small_kib")" "$small_ms"
printf '%-46s %10s %9s   %s\n' "$MIB MiB sparse file, uploaded" "$(mib "$big_kib")" "$big_ms" \
  "< 20 MiB: $(below "$big_kib" 20480)"
printf '%-46s %10s %9s\n' "$MIB MiB again (identical: digest compared)" "$(mib "$again_kib")" "$again_ms"
printf '%-46s %10s\n' "peak memory, $MIB MiB / 1 MiB" "$(ratio "$big_kib" "$small_kib")"
jq -n --argjson mib "$MIB" --argjson sk "$small_kib" --argjson sm "$small_ms" --argjson bk "$big_kib" \
  --argjson bm "$big_ms" --argjson ak "$again_kib" --argjson am "$again_ms" \
  '{bench: "release-upload", unit: "KiB maximum resident set size, milliseconds wall time",
    file_mib: $mib, small_1mib: {peak_kib: $sk, ms: $sm}, big: {peak_kib: $bk, ms: $bm},
    identical_rerun: {peak_kib: $ak, ms: $am}, goals: {peak_kib_max: 20480}}' \
  > "$ARTIFACTS/bench/release-upload.json"
