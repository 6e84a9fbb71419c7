#!/usr/bin/env bats
# cosign-wrap's bundles checked by sigstore-js (@sigstore/verify 3.1.1), an
# independent Sigstore verifier, offline. Run with `make check-interop` after
# `make deps-sigstore-js` (which installs the pinned packages from npm once);
# nothing here touches the network.

ROOT_DIR="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
export BIN="${BIN:-$ROOT_DIR/bin}"
load ../test_helper

setup() {
  KEYS="$ROOT_DIR/tests/fixtures/vectors/cosign"
  T="$BATS_TEST_TMPDIR"
  JS="$ROOT_DIR/tests/interop/verify-bundle.js"
  [ -d "$ROOT_DIR/tests/interop/node_modules/@sigstore/verify" ] \
    || fail "sigstore-js is not installed: run 'make deps-sigstore-js' first"
  printf 'probe artifact\n' > "$T/blob"
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
}

@test "sigstore-js verifies a bundle signed with a known-answer key" {
  cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > /dev/null
  run -0 node "$JS" "$KEYS/sigstore-labeled.pub" "$T/b.json" "$T/blob"
  assert_output 'verified'
}

@test "sigstore-js verifies a bundle signed with a freshly generated key" {
  COSIGN_PASSWORD=pw cosign-wrap generate-key-pair --output-key-prefix "$T/gen"
  COSIGN_PASSWORD=pw COSIGN_KEY="$T/gen.key" cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > /dev/null
  run -0 node "$JS" "$T/gen.pub" "$T/b.json" "$T/blob"
  assert_output 'verified'
}

@test "sigstore-js refuses a changed blob, a changed signature and another key's hint" {
  cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > /dev/null
  printf 'probe artifact!\n' > "$T/blob2"
  run -1 node "$JS" "$KEYS/sigstore-labeled.pub" "$T/b.json" "$T/blob2"
  assert_output 'refused: SIGNATURE_ERROR: signature verification failed'
  sig=$(jq -r .messageSignature.signature "$T/b.json" | base64 -d | python3 -c 'import sys,base64
b = bytearray(sys.stdin.buffer.read()); b[-1] ^= 1; print(base64.b64encode(bytes(b)).decode())')
  jq --arg s "$sig" '.messageSignature.signature = $s' "$T/b.json" > "$T/bad.json"
  run -1 node "$JS" "$KEYS/sigstore-labeled.pub" "$T/bad.json" "$T/blob"
  assert_output 'refused: SIGNATURE_ERROR: signature verification failed'
  run -1 node "$JS" "$KEYS/cosign-labeled-ec.pub" "$T/b.json" "$T/blob"
  assert_output --partial 'refused: HINT_MISMATCH: '
}

@test "a tampered messageDigest: refused by the digest check and by cosign-wrap" {
  cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > /dev/null
  d=$(printf 'x' | openssl dgst -sha256 -binary | base64 -w0)
  jq --arg d "$d" '.messageSignature.messageDigest.digest = $d' "$T/b.json" > "$T/bad.json"
  run -1 node "$JS" "$KEYS/sigstore-labeled.pub" "$T/bad.json" "$T/blob"
  assert_output 'refused: DIGEST_MISMATCH: messageDigest is not the SHA-256 of the blob'
  run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/bad.json" < "$T/blob"
}
