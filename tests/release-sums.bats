#!/usr/bin/env bats
# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
# release-sums: the checksums file of a release: written in sha256sum's format
# (checked with sha256sum -c itself), updated line by line, and checked as a
# consumer checks downloaded assets; hostile lines are refused.

load test_helper

setup() {
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  printf '{"a": 1}\n' > "$W/published-mrtds.json"
  printf 'provenance\n' > "$W/release-provenance.json"
  head -c 200000 /dev/urandom > "$W/image.tar.gz"
}

sha() { sha256sum < "$1" | cut -d' ' -f1; }

@test "update: sorted sha256sum lines that sha256sum -c accepts; a base's other lines are kept" {
  run -0 --separate-stderr release-sums update "$W/release-provenance.json" "$W/published-mrtds.json"
  [ -z "$stderr" ]
  [ "$output" = "$(sha "$W/published-mrtds.json")  published-mrtds.json
$(sha "$W/release-provenance.json")  release-provenance.json" ]
  printf '%s\n' "$output" > "$W/sums.txt"
  (cd "$W" && sha256sum -c --strict sums.txt)
  # a new published-mrtds.json: its line replaced, the others kept, one more added
  printf '{"a": 2}\n' > "$W/published-mrtds.json"
  run -0 release-sums update --base "$W/sums.txt" --output "$W/new.txt" "$W/published-mrtds.json" "$W/image.tar.gz"
  [ -z "$output" ]
  [ "$(cat "$W/new.txt")" = "$(sha "$W/image.tar.gz")  image.tar.gz
$(sha "$W/published-mrtds.json")  published-mrtds.json
$(sha "$W/release-provenance.json")  release-provenance.json" ]
  (cd "$W" && sha256sum -c --strict new.txt)
  # the same files again: the same bytes
  release-sums update --base "$W/new.txt" "$W/published-mrtds.json" > "$W/again.txt"
  cmp "$W/new.txt" "$W/again.txt"
  # sha256sum's binary marker and upper-case hex are read, and written back canonical
  { printf '%s *image.tar.gz\n' "$(sha "$W/image.tar.gz" | tr a-f A-F)"; } > "$W/b.txt"
  run -0 release-sums update --base "$W/b.txt" "$W/published-mrtds.json"
  [ "${lines[0]}" = "$(sha "$W/image.tar.gz")  image.tar.gz" ]
}

@test "check: OK, FAILED, MISSING and NOT LISTED; exit 1 when one is not OK" {
  release-sums update --output "$W/sums.txt" "$W"/*.json "$W/image.tar.gz"
  run -0 --separate-stderr release-sums check "$W/sums.txt"
  [ "$output" = "image.tar.gz: OK
published-mrtds.json: OK
release-provenance.json: OK" ]
  printf 'x' >> "$W/published-mrtds.json"
  rm "$W/release-provenance.json"
  run -1 --separate-stderr release-sums check "$W/sums.txt"
  [ "$output" = "image.tar.gz: OK
published-mrtds.json: FAILED (SHA-256 $(sha "$W/published-mrtds.json"))
release-provenance.json: MISSING" ]
  [ -z "$stderr" ]
  run -0 release-sums check --name image.tar.gz "$W/sums.txt"
  [ "$output" = "image.tar.gz: OK" ]
  run -1 release-sums check --name image.tar.gz --name other.json "$W/sums.txt"
  [ "$output" = "image.tar.gz: OK
other.json: NOT LISTED" ]
  # --dir: the files elsewhere
  mkdir "$W/d"
  cp "$W/image.tar.gz" "$W/d/"
  mv "$W/sums.txt" "$BATS_TEST_TMPDIR/sums.txt"
  run -0 release-sums check --dir "$W/d" --name image.tar.gz "$BATS_TEST_TMPDIR/sums.txt"
  # a folder where a file is listed counts as missing
  mkdir "$W/d/published-mrtds.json"
  run -1 release-sums check --dir "$W/d" --name published-mrtds.json "$BATS_TEST_TMPDIR/sums.txt"
  [ "$output" = "published-mrtds.json: MISSING" ]
}

@test "malformed lines are refused with their line: a path, a second line of a name, bad hex, no newline" {
  local good
  good=$(sha "$W/image.tar.gz")
  local -a cases=(
    "$good  ../etc/passwd|the name is not an asset name (letters, digits, '.', '_', '-')"
    "$good  sub/image.tar.gz|the name is not an asset name (letters, digits, '.', '_', '-')"
    "$good  ..|the name is not an asset name (letters, digits, '.', '_', '-')"
    "\\$good  image.tar.gz|not '<64 hex digits>  NAME'"
    "${good:0:63}  image.tar.gz|not '<64 hex digits>  NAME'"
    "${good:0:63}g  image.tar.gz|not '<64 hex digits>  NAME'"
    "$good image.tar.gz|not '<64 hex digits>  NAME'"
    "|not '<64 hex digits>  NAME'"
    "# comment|not '<64 hex digits>  NAME'"
  )
  local c line want
  for c in "${cases[@]}"; do
    line=${c%%|*} want=${c#*|}
    printf '%s  image.tar.gz\n%s\n' "$good" "$line" > "$W/sums.txt"
    run --separate-stderr release-sums check "$W/sums.txt"
    [ "$status" -eq 65 ] || { echo "'$line': $status"; return 1; }
    [ "$stderr" = "release-sums: '$W/sums.txt' line 2: $want" ] || { echo "$stderr"; return 1; }
    [ -z "$output" ]
    run -65 release-sums update --base "$W/sums.txt" "$W/image.tar.gz"
  done
  printf '%s  image.tar.gz\n%s  image.tar.gz\n' "$good" "$good" > "$W/sums.txt"
  run -65 --separate-stderr release-sums check "$W/sums.txt"
  [ "$stderr" = "release-sums: '$W/sums.txt' line 2: a second line for this name" ]
  printf '%s  image.tar.gz' "$good" > "$W/sums.txt"
  run -65 --separate-stderr release-sums check "$W/sums.txt"
  [ "$stderr" = "release-sums: '$W/sums.txt' line 1: no newline at the end" ]
  printf '%s  image.tar.gz\0x\n' "$good" > "$W/sums.txt"
  run -65 --separate-stderr release-sums check "$W/sums.txt"
  [ "$stderr" = "release-sums: '$W/sums.txt' line 1: a NUL byte" ]
  # an empty file lists nothing: every name is NOT LISTED
  : > "$W/sums.txt"
  run -1 release-sums check --name image.tar.gz "$W/sums.txt"
  [ "$output" = "image.tar.gz: NOT LISTED" ]
}

@test "usage and missing files: asset names only, 66 for a missing file or checksums" {
  cp "$W/image.tar.gz" "$W/bad name.gz"
  run -2 --separate-stderr release-sums update "$W/bad name.gz"
  [ "${stderr_lines[0]}" = "release-sums: '$W/bad name.gz': 'bad name.gz' is not an asset name (letters, digits, '.', '_', '-')" ]
  run -2 --separate-stderr release-sums update
  [ "${stderr_lines[0]}" = "release-sums: no FILE given" ]
  run -2 --separate-stderr release-sums check --name ../x "$W/sums.txt"
  [ "${stderr_lines[0]}" = "release-sums: --name '../x' is not an asset name (letters, digits, '.', '_', '-')" ]
  run -2 --separate-stderr release-sums check
  [ "${stderr_lines[0]}" = "release-sums: no CHECKSUMS file given" ]
  run -66 --separate-stderr release-sums update "$W/none.json"
  [ "$stderr" = "release-sums: cannot open '$W/none.json': No such file or directory" ]
  run -66 --separate-stderr release-sums update "$W"
  [ "$stderr" = "release-sums: cannot read '$W': not a regular file" ]
  run -66 --separate-stderr release-sums check "$W/none.txt"
  [ "$stderr" = "release-sums: cannot open '$W/none.txt': No such file or directory" ]
  run -66 --separate-stderr release-sums update --base "$W/none.txt" "$W/image.tar.gz"
  run -74 --separate-stderr release-sums update --output /dev/full "$W/image.tar.gz"
  run -74 --separate-stderr bash -c 'release-sums update "$1" > /dev/full' _ "$W/image.tar.gz"
}

@test "names: the listed names, once the file is well formed" {
  release-sums update --output "$W/sums.txt" "$W"/*.json "$W/image.tar.gz"
  run -0 --separate-stderr release-sums names "$W/sums.txt"
  [ "$output" = "image.tar.gz
published-mrtds.json
release-provenance.json" ]
  printf '%s  ../x\n' "$(sha "$W/image.tar.gz")" >> "$W/sums.txt"
  run -65 --separate-stderr release-sums names "$W/sums.txt"
  [ "$stderr" = "release-sums: '$W/sums.txt' line 4: the name is not an asset name (letters, digits, '.', '_', '-')" ]
  [ -z "$output" ]
  run -2 --separate-stderr release-sums names
  [ "${stderr_lines[0]}" = "release-sums: no CHECKSUMS file given" ]
}
