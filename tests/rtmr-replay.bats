#!/usr/bin/env bats
# rtmr-replay: dstack JSON and TCG CCEL event logs replayed into RTMR0-3.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

setup() {
  R="$FIX/rtmr-replay"
  SIM="$VEC/dstack/sdk/simulator"
  CCEL="$VEC/go-tdx-guest/testing/testdata/ccel"
  quote2json < "$SIM/quote.hex" > "$BATS_TEST_TMPDIR/sim.json"
  T="$BATS_TEST_TMPDIR"
}

@test "a bad register list and --rtmr without --quote exit 2 with usage" {
  run -2 --separate-stderr rtmr-replay --quote "$T/sim.json" --rtmr 4
  assert [ -z "$output" ]
  assert_equal "${stderr_lines[0]}" "rtmr-replay: bad register list '4' (digits 0-3 separated by commas)"
  assert_equal "${stderr_lines[1]}" "usage: rtmr-replay [--quote FILE] [--rtmr LIST] < EVENT_LOG > REPLAY_JSON"
  run -2 --separate-stderr rtmr-replay --rtmr 3
  assert_equal "${stderr_lines[0]}" "rtmr-replay: --rtmr needs --quote"
}

@test "dstack simulator: golden replay, byte for byte" {
  run -0 --separate-stderr rtmr-replay --quote "$T/sim.json" < "$SIM/eventlog.json"
  rtmr-replay --quote "$T/sim.json" < "$SIM/eventlog.json" > "$T/out.json"
  cmp "$T/out.json" "$R/simulator.replay.json"
}

@test "dstack simulator: all four replayed registers equal the quote's (expected.json) and an independent replay" {
  rtmr-replay --quote "$T/sim.json" < "$SIM/eventlog.json" > "$T/out.json"
  python3 "$R/replay.py" "$SIM/eventlog.json" > "$T/ref.txt"
  for i in 0 1 2 3; do
    want=$(expected dstack/sdk/simulator/quote.hex ".rtmr$i")
    assert_equal "$(jq -r ".registers.rtmr$i.replayed" "$T/out.json")" "$want"
    assert_equal "$(sed -n "$((i + 1))p" "$T/ref.txt")" "$want"
    assert_equal "$(jq -r ".registers.rtmr$i.match" "$T/out.json")" true
  done
  assert_equal "$(jq -c '[.registers[].events]' "$T/out.json")" '[13,5,2,7]'
  assert_equal "$(jq -c .quote.enforced "$T/out.json")" '[0,1,2,3]'
}

@test "dstack simulator: runtime event values and the verified compose hash" {
  rtmr-replay --quote "$T/sim.json" < "$SIM/eventlog.json" > "$T/out.json"
  assert_equal "$(jq -r .runtime.compose_hash "$T/out.json")" ea549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b
  assert_equal "$(jq -r .runtime.app_id "$T/out.json")" ea549f02e1a25fabd1cb788380e033ec5461b2ff
  assert_equal "$(jq -r .runtime.instance_id "$T/out.json")" 59df8036b824b0aac54f8998b9e1fb2a0cfc5d3a
  assert_equal "$(jq -r .runtime.boot_mr_done "$T/out.json")" true
  assert_equal "$(jq -r .compose_hash_verified "$T/out.json")" true
  assert_equal "$(jq -r '[.runtime_events[].event]|join(",")' "$T/out.json")" \
    system-preparing,app-id,compose-hash,instance-id,boot-mr-done,key-provider,system-ready
  # runtime digests arrived recorded: each was recomputed (V1) and matched
  assert_equal "$(jq -r '[.events[]|select(.imr==3)|.digest_source+"/"+.format]|unique|join(" ")' "$T/out.json")" verified/v1
  assert_equal "$(jq -r '.runtime_events[]|select(.event=="key-provider").text|fromjson.name' "$T/out.json")" kms
}

@test "without --quote: registers only, compose hash not verified" {
  run -0 --separate-stderr rtmr-replay < "$SIM/eventlog.json"
  assert_equal "$(jq -r .quote <<<"$output")" null
  assert_equal "$(jq -r .compose_hash_verified <<<"$output")" false
  assert_equal "$(jq -r .registers.rtmr3.replayed <<<"$output")" "$(expected dstack/sdk/simulator/quote.hex .rtmr3)"
  assert_equal "$(jq -r '.registers.rtmr3|has("match")' <<<"$output")" false
}

@test "mero-kms-shaped /attest response: golden replay against its own quoteB64" {
  rtmr-replay --quote "$R/kms-attest-response.json" < "$R/kms-attest-response.json" > "$T/out.json"
  cmp "$T/out.json" "$R/kms-attest-response.replay.json"
  assert_equal "$(jq -r .quote.origin "$T/out.json")" quoteB64
  diff <(jq -c .registers "$T/out.json") <(jq -c .registers "$R/simulator.replay.json")
}

@test "the fixture script rebuilds the mero-kms-shaped response byte for byte" {
  "$R/make-kms-response.sh" > "$T/resp.json"
  cmp "$T/resp.json" "$R/kms-attest-response.json"
}

@test "event log as a JSON string, as GetQuote's event_log string, and under merod's data" {
  jq -c . "$SIM/eventlog.json" | jq -Rs 'rtrimstr("\n")' > "$T/str.json"
  jq -c '{event_log: (.|tojson), quote: "00"}' "$SIM/eventlog.json" > "$T/getquote.json"
  jq -c '{data: {eventLog: .}}' "$SIM/eventlog.json" > "$T/merod.json"
  jq -c '{data: {quoteB64: .quoteB64}}' "$R/kms-attest-response.json" > "$T/merod-quote.json"
  for f in str getquote merod; do
    run -0 --separate-stderr rtmr-replay --quote "$T/merod-quote.json" < "$T/$f.json"
    assert_equal "$(jq -c '[.registers[].match]' <<<"$output")" '[true,true,true,true]'
    assert_equal "$(jq -r .quote.origin <<<"$output")" data.quoteB64
  done
}

@test "go-tdx-guest CCEL (binary TCG log): golden replay, RTMR0-3 equal the quote's" {
  quote2json < "$CCEL/cos-113-tdx-quote.dat" > "$T/cos.json"
  rtmr-replay --quote "$T/cos.json" < "$CCEL/ccel_data.dat" > "$T/out.json"
  cmp "$T/out.json" "$R/ccel.replay.json"
  for i in 0 1 2 3; do
    assert_equal "$(jq -r ".registers.rtmr$i.replayed" "$T/out.json")" \
      "$(expected go-tdx-guest/testing/testdata/ccel/cos-113-tdx-quote.dat ".rtmr$i")"
  done
  assert_equal "$(jq -c .log "$T/out.json")" '{"events":43,"format":"tcg-ccel","trailing_bytes":244043}'
  assert_equal "$(jq -c '[.registers[].events]' "$T/out.json")" '[16,7,20,0]'
  assert_equal "$(jq -r '[.events[]|select(.type_name=="EV_SEPARATOR")]|length' "$T/out.json")" 2
}

@test "CCEL: --rtmr 0,1,2 enforces the boot registers only" {
  quote2json < "$CCEL/cos-113-tdx-quote.dat" > "$T/cos.json"
  run -0 --separate-stderr rtmr-replay --quote "$T/cos.json" --rtmr 0,1,2 < "$CCEL/ccel_data.dat"
  assert_equal "$(jq -c .quote.enforced <<<"$output")" '[0,1,2]'
  assert_equal "$(jq -c '[.registers[].enforced]' <<<"$output")" '[true,true,true,false]'
}

@test "CCEL: a truncated log and a log without the Spec ID header exit 65" {
  head -c 1000 "$CCEL/ccel_data.dat" > "$T/trunc.bin"
  run -65 --separate-stderr rtmr-replay < "$T/trunc.bin"
  one_line
  assert_equal "$stderr" "rtmr-replay: cannot parse event log: event 3 truncated in its data at byte 478"
  { printf '\000\000\000\000\004\000\000\000'; tail -c +9 "$CCEL/ccel_data.dat"; } > "$T/nohdr.bin"
  run -65 --separate-stderr rtmr-replay < "$T/nohdr.bin"
  one_line
  assert_equal "$stderr" "rtmr-replay: cannot parse event log: not a TCG event log: the first event is not EV_NO_ACTION"
}

@test "CCEL: an MR index outside 1-4 exits 65 naming it" {
  python3 - "$CCEL/ccel_data.dat" "$T/mr9.bin" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
off = 32 + struct.unpack_from("<I", d, 28)[0]
struct.pack_into("<I", d, off, 9)
open(sys.argv[2], "wb").write(d)
EOF
  run -65 --separate-stderr rtmr-replay < "$T/mr9.bin"
  one_line
  assert_equal "$stderr" "rtmr-replay: cannot parse event log: event 0 at byte 65: unknown MR index 9 (CCEL MR 1-4 are RTMR0-3)"
}

@test "V2 runtime digests: golden replay, registers equal an independent replay" {
  rtmr-replay < "$R/eventlog-v2.json" > "$T/out.json"
  cmp "$T/out.json" "$R/eventlog-v2.replay.json"
  python3 "$R/replay.py" "$R/eventlog-v2.json" > "$T/ref.txt"
  assert_equal "$(jq -r '.registers[].replayed' "$T/out.json")" "$(cat "$T/ref.txt")"
  assert_equal "$(jq -r '[.runtime_events[]|.event[0:12]+"="+.format]|join(",")' "$T/out.json")" \
    'system-prepa=v1,app-id=v2,compose-hash=v2,instance-id=v1,boot-mr-done=v2,calimero "x"=v2,key-provider=v2,system-ready=v2'
  # app-id came with an empty digest: computed; the others recorded and matched
  assert_equal "$(jq -r '.events[21].digest_source' "$T/out.json")" computed
  assert_equal "$(jq -r '.events[22].digest_source' "$T/out.json")" verified
  # the V2 RTMR3 differs from the V1 one of the same events
  refute [ "$(jq -r .registers.rtmr3.replayed "$T/out.json")" = "$(expected dstack/sdk/simulator/quote.hex .rtmr3)" ]
}

@test "V2: the JCS preimage is dstack's own test vector" {
  jq -n '[{imr: 3, event_type: 134217729, event: "compose-hash", event_payload: "abcd", version: 2, digest: "",
           preimage: ("{\"name\":\"compose-hash\",\"payload\":\"abcd\",\"type\":134217729}" | explode | map(. as $c | "0123456789abcdef"[($c / 16 | floor):($c / 16 | floor) + 1] + "0123456789abcdef"[($c % 16):($c % 16) + 1]) | join(""))}]' > "$T/v2.json"
  run -0 --separate-stderr rtmr-replay < "$T/v2.json"
  want=$(printf '{"name":"compose-hash","payload":"abcd","type":134217729}' | sha384sum | cut -c1-96)
  assert_equal "$(jq -r '.events[0].computed_digest' <<<"$output")" "$want"
  assert_equal "$(jq -r '.events[0].format' <<<"$output")" v2
}

@test "V2: a preimage that is not the event's exits 1 naming the event" {
  jq '(.[] | select(.event == "key-provider") | .preimage) |= (.[0:-2] + "7e")' "$R/eventlog-v2.json" > "$T/bad.json"
  run -1 --separate-stderr rtmr-replay < "$T/bad.json"
  one_line
  assert_equal "$stderr" "rtmr-replay: event 26 'key-provider' (IMR 3): its preimage is not the V2 preimage of its name and payload"
}

@test "malformed logs exit 65 with one line and nothing on stdout" {
  jq '.[3].digest = "zz" + .[3].digest[2:]' "$SIM/eventlog.json" > "$T/badhex.json"
  jq '.[3].digest = .[3].digest[0:94]' "$SIM/eventlog.json" > "$T/short.json"
  jq '.[5].imr = 7' "$SIM/eventlog.json" > "$T/imr.json"
  jq '.[2].digest = ""' "$SIM/eventlog.json" > "$T/nodigest.json"
  jq '.[4].event_payload = "abc"' "$SIM/eventlog.json" > "$T/oddpayload.json"
  jq '.[1] |= del(.event_type)' "$SIM/eventlog.json" > "$T/notype.json"
  printf '[{"imr":0' > "$T/trunc.json"
  printf '{"quoteB64":"AAAA"}' > "$T/nolog.json"
  declare -A want=(
    [badhex]="cannot parse event log: event 3: digest is not hex"
    [short]="cannot parse event log: event 3: digest is 47 bytes, not 48 (SHA-384)"
    [imr]="cannot parse event log: event 5: unknown IMR 7 (0-3 are RTMR0-3)"
    [nodigest]="event 2 (IMR 0, type 0x80000001): a boot event without a digest (only runtime events can be computed)"
    [oddpayload]="cannot parse event log: event 4: event_payload is not hex"
    [notype]="cannot parse event log: event 1: no event_type"
    [nolog]="cannot parse event log: JSON object holds no eventLog or event_log"
  )
  for f in "${!want[@]}"; do
    run -65 --separate-stderr rtmr-replay < "$T/$f.json"
    one_line
    assert_equal "$stderr" "rtmr-replay: ${want[$f]}"
  done
  run -65 --separate-stderr rtmr-replay < "$T/trunc.json"
  one_line
  assert_output ''
  assert_equal "${stderr%%:*}" rtmr-replay
  run -65 --separate-stderr rtmr-replay < /dev/null
  assert_equal "$stderr" "rtmr-replay: cannot parse event log: empty event log"
}

@test "a recorded runtime digest that disagrees with its payload exits 1 naming the event" {
  jq '(.[] | select(.event == "compose-hash") | .event_payload) |= ("00" + .[2:])' "$SIM/eventlog.json" > "$T/tampered.json"
  run -1 --separate-stderr rtmr-replay --quote "$T/sim.json" < "$T/tampered.json"
  one_line
  assert_output ''
  assert_regex "$stderr" "^rtmr-replay: event 22 'compose-hash' \(IMR 3\): recorded digest 9c1fecc2[0-9a-f]{88} differs from the computed V1 digest [0-9a-f]{96}$"
}

@test "a tampered compose-hash payload (digest dropped) fails the RTMR3 comparison" {
  jq '(.[] | select(.event == "compose-hash")) |= (.event_payload = ("00" + .event_payload[2:]) | .digest = "")' \
    "$SIM/eventlog.json" > "$T/tampered.json"
  run -1 --separate-stderr rtmr-replay --quote "$T/sim.json" < "$T/tampered.json"
  one_line
  assert_output ''
  assert_regex "$stderr" "^rtmr-replay: RTMR3 differs from the quote: replayed [0-9a-f]{96} from 7 events, quote 6d1a3da994b6611ee602f25f07b41671ece90cd2898689f1ad4448fdf1155e3668736cca4499659caae2d8044070de57$"
  # the same log against RTMR0-2 only: accepted, RTMR3 reported as differing, compose hash unverified
  run -0 --separate-stderr rtmr-replay --quote "$T/sim.json" --rtmr 0,1,2 < "$T/tampered.json"
  assert_equal "$(jq -r .registers.rtmr3.match <<<"$output")" false
  assert_equal "$(jq -r .compose_hash_verified <<<"$output")" false
  assert_equal "$(jq -r .runtime.compose_hash <<<"$output")" 00549f02e1a25fabd1cb788380e033ec5461b2ffe4328d753642cf035452e48b
}

@test "another quote: exits 1 naming the first register that differs" {
  quote2json < "$VEC/dcap-qvl/sample/tdx_quote" > "$T/other.json"
  run -1 --separate-stderr rtmr-replay --quote "$T/other.json" < "$SIM/eventlog.json"
  one_line
  assert_regex "$stderr" '^rtmr-replay: RTMR0 differs from the quote: replayed 85e0855a[0-9a-f]{88} from 13 events, quote [0-9a-f]{96}$'
  run -1 --separate-stderr rtmr-replay --quote "$T/other.json" --rtmr 2,3 < "$SIM/eventlog.json"
  assert_regex "$stderr" '^rtmr-replay: RTMR2 differs'
}

@test "a quote that is not a TD quote, or not quote JSON, exits 65; a missing one or a folder 66" {
  quote2json < "$VECTORS/sgx/dcap-qvl/sample/sgx_quote" > "$T/sgx.json"
  run -65 --separate-stderr rtmr-replay --quote "$T/sgx.json" < "$SIM/eventlog.json"
  one_line
  assert_equal "$stderr" "rtmr-replay: cannot use quote '$T/sgx.json': not a TD quote (report type SgxEnclave)"
  echo '{"quoteB64":"!!"}' > "$T/bad.json"
  run -65 --separate-stderr rtmr-replay --quote "$T/bad.json" < "$SIM/eventlog.json"
  assert_equal "$stderr" "rtmr-replay: cannot use quote '$T/bad.json': quoteB64 is not base64"
  run -66 --separate-stderr rtmr-replay --quote "$T/none.json" < "$SIM/eventlog.json"
  one_line
  assert_output ''
  mkdir "$T/dir"
  run -66 --separate-stderr rtmr-replay --quote "$T/dir" < "$SIM/eventlog.json"
  one_line
  assert_equal "$stderr" "rtmr-replay: cannot read '$T/dir': not a regular file (a directory)"
}

@test "a write error on stdout exits 74" {
  run -74 --separate-stderr bash -c 'rtmr-replay < "$1" > /dev/full' _ "$SIM/eventlog.json"
  assert_equal "$(nlines "$stderr")" 1
}

@test "a closed output pipe ends it by SIGPIPE (status 141), as other filters" {
  # the pipe's reader is gone before the first write: no race
  run -0 python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], "rb"), stdout=w, stderr=subprocess.DEVNULL)
print(128 - p.returncode if p.returncode < 0 else p.returncode)' "$SIM/eventlog.json" rtmr-replay
  assert_output 141
}
