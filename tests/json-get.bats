#!/usr/bin/env bats
# json-get: the values at a few paths of a JSON document (the probe's scripts use
# it where a jq process would cost 30 ms). jq is the independent check.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper

setup() {
  T="$BATS_TEST_TMPDIR"
  R="$FIX/kms-attest/recorded-response.json"
  cat > "$T/doc.json" <<'EOF'
{"cvm": {"name": "mero-kms-debug-2-3-40", "id": 1001, "compose_hash": null,
         "endpoints": [{"app": "https://a.example"}, {"app": "https://b.example"}]},
 "ok": true, "off": false, "n": 1.5, "big": 18446744073709551615, "s": "tab\there",
 "multi": "one\ntwo", "empty": "", "list": [[1, 2], [3]], "dash-ed": "d", "u": "\u00e9t\u00e9"}
EOF
}

@test "strings as their text, other values as compact JSON, one line per PATH, as jq -r prints them" {
  run -0 --separate-stderr json-get .cvm.name .cvm.id .ok .off .n .s .empty .list '.list[1]' '.cvm.endpoints[1].app' .dash-ed .u < "$T/doc.json"
  assert_equal "$stderr" ''
  expected=$(jq -r '.cvm.name, .cvm.id, .ok, .off, .n, .s, .empty, (.list | tojson), (.list[1] | tojson), .cvm.endpoints[1].app, ."dash-ed", .u' "$T/doc.json")
  assert_equal "$output" "$expected"
  run -0 json-get . < "$R"
  assert_equal "$output" "$(jq -cS . "$R")"
  run -0 json-get '.[1][0]' '.[0]' <<<'[7, [8, 9]]'
  assert_equal "$output" $'8\n7'
}

@test "the recorded /attest response: --base64 writes the quote's bytes; .reportDataHex" {
  run -0 json-get .reportDataHex < "$R"
  assert_equal "$output" "$(jq -r .reportDataHex "$R")"
  json-get --base64 .quoteB64 < "$R" > "$T/quote.bin"
  jq -r .quoteB64 "$R" | base64 -d | cmp - "$T/quote.bin"
  # no newline is added to the bytes
  [ "$(stat -c %s "$T/quote.bin")" -eq "$(jq -r .quoteB64 "$R" | base64 -d | wc -c)" ]
  run -0 quote2json < "$T/quote.bin"
}

@test "a PATH absent or null exits 1, prints nothing, and says which" {
  run -1 --separate-stderr json-get .cvm.name .cvm.nope < "$T/doc.json"
  assert_equal "$output" ''
  assert_equal "$stderr" 'json-get: .cvm.nope is absent'
  run -1 --separate-stderr json-get .cvm.compose_hash < "$T/doc.json"
  assert_equal "$stderr" 'json-get: .cvm.compose_hash is null'
  # a name into a string or an array, an index into an object, past the end: absent
  for p in .s.x .list.x '.cvm[0]' '.list[2]' '.list[0][5]'; do
    run -1 --separate-stderr json-get "$p" < "$T/doc.json"
    assert_equal "$stderr" "json-get: $p is absent"
  done
}

@test "strings that cannot be lines: a NUL always, a newline with several PATHs (65, nothing printed)" {
  run -0 json-get .multi < "$T/doc.json"
  assert_equal "$output" $'one\ntwo'
  run -65 --separate-stderr json-get .cvm.name .multi < "$T/doc.json"
  assert_equal "$output" ''
  assert_equal "$stderr" 'json-get: the string at .multi holds a newline: ask for it alone'
  run -65 --separate-stderr json-get .a <<<'{"a": "x\u0000y"}'
  assert_equal "$stderr" 'json-get: the string at .a holds a NUL byte: it cannot be printed as text'
}

@test "--base64: one PATH, a string of base64; anything else 65 or 2" {
  run -0 json-get --base64 .a <<<'{"a": "aGVsbG8="}'
  assert_equal "$output" hello
  run -65 --separate-stderr json-get --base64 .a <<<'{"a": "not base64!"}'
  assert_equal "$stderr" 'json-get: the string at .a is not base64'
  run -65 --separate-stderr json-get --base64 .a <<<'{"a": 12}'
  assert_equal "$stderr" 'json-get: .a is not a string: no base64 to decode'
  run -2 --separate-stderr json-get --base64 .a .b <<<'{}'
  assert_equal "${stderr_lines[0]}" 'json-get: --base64 takes one PATH'
}

@test "usage: a PATH is needed, and only .names and [indexes] (no jq expressions)" {
  run -2 --separate-stderr json-get < "$T/doc.json"
  assert_equal "${stderr_lines[0]}" 'json-get: json-get needs a PATH (.name, .name[0].name, or .)'
  assert_equal "${stderr_lines[1]}" 'usage: json-get [--base64] PATH... < JSON > VALUES'
  for p in name '.a | .b' '.a[]' '.a[-1]' '..' '.a.' '.["a"]' '.a[1' "\$(touch $T/x)" ".$(printf 'x%.0s' {1..256})"; do
    run -2 --separate-stderr json-get "$p" < "$T/doc.json"
    assert_equal "$output" ''
    assert_equal "${stderr_lines[0]}" "json-get: '$p' is not a PATH of .names and [indexes]"
  done
  [ ! -e "$T/x" ]
}

@test "malformed or oversized input exits 65 with one line; > /dev/full exits 74" {
  run -65 --separate-stderr json-get .a <<<'{"a": '
  assert_equal "$output" ''
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == "json-get: standard input is not JSON: "* ]]
  run -65 --separate-stderr json-get .a < /dev/null
  [[ "$stderr" == "json-get: standard input is not JSON: "* ]]
  head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$T/big"
  run -65 --separate-stderr json-get .a < "$T/big"
  [[ "$stderr" == "json-get: standard input exceeds"* ]]
  run -74 --separate-stderr bash -c "json-get .cvm.name < '$T/doc.json' > /dev/full"
  assert_equal "$stderr" 'json-get: cannot write to standard output: No space left on device'
}
