#!/usr/bin/env bats
# cosign-wrap: cosign-compatible signing and verification with a key, offline.
# Independent checks: openssl dgst -verify for signatures, openssl pkey for
# public keys, tests/fixtures/cosign-wrap/cosignkey.py (hashlib scrypt +
# libsodium through ctypes) for the encrypted key format.

# shellcheck disable=SC2154 # stderr and stderr_lines are set by bats' run --separate-stderr
load test_helper
load lib/outfiles

setup() {
  KEYS="$VECTORS/cosign"
  T="$BATS_TEST_TMPDIR"
  PYKEY="$FIX/cosign-wrap/cosignkey.py"
  printf 'probe artifact\n' > "$T/blob"
  unset COSIGN_KEY COSIGN_PASSWORD
}

teardown() { unmount_full_fs; }

# a P-256 key pair made by openssl: $T/$1.pem (PKCS#8), $1.sec1, $1.der (PKCS#8 DER), $1.pub
openssl_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$1.pem" 2>/dev/null
  openssl ec -in "$T/$1.pem" -out "$T/$1.sec1" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$T/$1.pem" -outform DER -out "$T/$1.der"
  openssl pkey -in "$T/$1.pem" -pubout -out "$T/$1.pub"
}

# sign the blob with COSIGN_KEY and check the signature with openssl alone
sign_and_check() { # PUB
  run -0 --separate-stderr cosign-wrap sign < "$T/blob"
  printf '%s' "$output" > "$T/blob.sig"
  base64 -d "$T/blob.sig" > "$T/blob.der"
  run -0 openssl dgst -sha256 -verify "$1" -signature "$T/blob.der" "$T/blob"
  assert_output 'Verified OK'
}

@test "the commands' own usage errors exit 2 with their synopsis" {
  run -2 --separate-stderr cosign-wrap verify --signature x < "$T/blob"
  assert_equal "$output" ''
  assert_equal "${stderr_lines[0]}" 'cosign-wrap: verify needs --key PUB'
  assert_equal "${stderr_lines[1]}" 'usage: cosign-wrap verify --key PUB (--signature SIG | --bundle FILE) < BLOB'
  run -2 --separate-stderr cosign-wrap verify --key k --signature x --bundle y < "$T/blob"
  assert_equal "${stderr_lines[0]}" 'cosign-wrap: verify needs one of --signature or --bundle'
  run -2 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix ''
  assert_equal "${stderr_lines[0]}" 'cosign-wrap: --output-key-prefix must not be empty'
  # the repeatable operands of sign are files, not a second blob
  run -2 --separate-stderr cosign-wrap sign --output-signature "$T/x.sig" "$T/blob"
  assert_equal "${stderr_lines[0]}" 'cosign-wrap: --bundle and --output-signature sign stdin; with files use --bundles'
  assert_equal "${stderr_lines[1]}" 'usage: cosign-wrap sign [--bundle FILE] [--output-signature FILE] < BLOB > SIG'
}

@test "known-answer keys: the derived public key equals the .pub beside each" {
  export COSIGN_PASSWORD=hello
  COSIGN_KEY="$KEYS/sigstore-labeled.key" run -0 --separate-stderr cosign-wrap public-key
  assert_equal "$output" "$(cat "$KEYS/sigstore-labeled.pub")"
  assert_equal "$stderr" ''
  # cosign's pemcosigneckey holds SEC1 inside the box: cosign itself rejects it
  # (keys_test.go TestReadingPrivatePemTypes); cosign-wrap loads it and warns
  COSIGN_KEY="$KEYS/cosign-labeled-ec.key" run -0 --separate-stderr cosign-wrap public-key
  assert_equal "$output" "$(cat "$KEYS/cosign-labeled-ec.pub")"
  assert_equal "$stderr" 'cosign-wrap: warning: this cosign key holds a SEC1 EC key where cosign expects PKCS#8; cosign itself cannot load it (make a new one with generate-key-pair)'
  # and the public key output is byte-identical to what openssl writes
  run -0 bash -c "PW=hello '$PYKEY' decrypt '$KEYS/sigstore-labeled.key' | openssl pkey -inform DER -pubout"
  assert_equal "$output" "$(cat "$KEYS/sigstore-labeled.pub")"
}

@test "known-answer keys sign; openssl verifies the signature (both labels, N=32768 and N=65536)" {
  export COSIGN_PASSWORD=hello
  for k in sigstore-labeled cosign-labeled-ec; do
    export COSIGN_KEY="$KEYS/$k.key"
    sign_and_check "$KEYS/$k.pub"
    run -0 cosign-wrap verify --key "$KEYS/$k.pub" --signature "$T/blob.sig" < "$T/blob"
    assert_output 'Verified OK'
  done
}

@test "signature format: base64 of DER SEQUENCE{r,s}, no trailing newline, fresh each time" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  cosign-wrap sign < "$T/blob" > "$T/s1"
  cosign-wrap sign < "$T/blob" > "$T/s2"
  run -0 bash -c "tail -c 1 '$T/s1' | xxd -p"
  refute_output '0a'
  run -0 grep -cE '^[A-Za-z0-9+/]+=*$' "$T/s1"
  assert_output 1
  run -0 bash -c "base64 -d '$T/s1' | openssl asn1parse -inform DER"
  assert_line --index 0 --partial 'cons: SEQUENCE'
  assert_line --index 1 --partial 'prim: INTEGER'
  assert_line --index 2 --partial 'prim: INTEGER'
  run -1 cmp -s "$T/s1" "$T/s2"
}

@test "one flipped bit in the blob or in the signature fails verification (exit 1)" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  cosign-wrap sign < "$T/blob" > "$T/sig"
  base64 -d "$T/sig" > "$T/sig.der"
  for off in 0 7 -1; do
    flip_byte "$T/blob" "$off" 0x01 "$T/blob.bad"
    run -1 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/sig" < "$T/blob.bad"
    assert_equal "$output" ''
    assert_equal "$stderr" "cosign-wrap: invalid signature: it does not verify for this blob with key '$KEYS/sigstore-labeled.pub'"
  done
  # bits in s (the last bytes of the DER), each alone
  for mask in 0x01 0x10 0x80; do
    flip_byte "$T/sig.der" -1 "$mask" "$T/bad.der"
    run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/bad.der" < "$T/blob"
    base64 -w0 "$T/bad.der" > "$T/bad.sig"
    run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/bad.sig" < "$T/blob"
    run -1 openssl dgst -sha256 -verify "$KEYS/sigstore-labeled.pub" -signature "$T/bad.der" "$T/blob"
  done
  flip_byte "$T/sig.der" 10 0x04 "$T/bad.der"    # a bit of r
  run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/bad.der" < "$T/blob"
  # the wrong key
  run -1 cosign-wrap verify --key "$KEYS/cosign-labeled-ec.pub" --signature "$T/sig" < "$T/blob"
}

@test "verify reads signatures as cosign does: base64 with a newline, raw DER, raw r||s" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  cosign-wrap sign < "$T/blob" > "$T/sig"
  { cat "$T/sig"; echo; } > "$T/sig.nl"
  base64 -d "$T/sig" > "$T/sig.der"
  # r||s from the DER, through openssl's own parser
  openssl asn1parse -inform DER -in "$T/sig.der" | awk -F: '/INTEGER/{print $NF}' \
    | while read -r h; do printf '%064s' "$h" | tr ' ' 0; done | xxd -r -p > "$T/sig.raw"
  run -0 stat -c %s "$T/sig.raw"
  assert_output 64
  for s in sig.nl sig.der sig.raw; do
    run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/$s" < "$T/blob"
    assert_output 'Verified OK'
  done
}

@test "malformed signatures exit 65 with empty stdout and one stderr line" {
  printf 'not a signature' > "$T/junk"
  : > "$T/empty"
  printf 'MEUCIQ==' > "$T/short"       # base64 of a truncated DER
  for s in junk empty short; do
    run -65 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/$s" < "$T/blob"
    assert_equal "$output" ''
    assert_equal "$stderr" "cosign-wrap: malformed signature in '$T/$s': not an ECDSA signature (DER or 64-byte r||s)"
  done
}

@test "verify: a missing or malformed public key" {
  printf x > "$T/sig"
  run -66 --separate-stderr cosign-wrap verify --key "$T/nope.pub" --signature "$T/sig" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: cannot open '$T/nope.pub': No such file or directory"
  run -66 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/nope.sig" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: cannot open '$T/nope.sig': No such file or directory"
  head -c 60 "$KEYS/sigstore-labeled.pub" > "$T/trunc.pub"
  run -65 --separate-stderr cosign-wrap verify --key "$T/trunc.pub" --signature "$T/sig" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: public key '$T/trunc.pub': PEM block 'PUBLIC KEY' has no END line (truncated?)"
  run -65 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.key" --signature "$T/sig" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: public key '$KEYS/sigstore-labeled.key': expected a PUBLIC KEY PEM, found 'ENCRYPTED SIGSTORE PRIVATE KEY'"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null | openssl pkey -pubout > "$T/p384.pub"
  run -78 --separate-stderr cosign-wrap verify --key "$T/p384.pub" --signature "$T/sig" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: public key '$T/p384.pub': the key is EC secp384r1, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)"
}

@test "COSIGN_KEY holding the key text itself (as GitHub secrets carry it)" {
  COSIGN_KEY=$(cat "$KEYS/sigstore-labeled.key")
  export COSIGN_PASSWORD=hello COSIGN_KEY
  sign_and_check "$KEYS/sigstore-labeled.pub"
  run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat "$KEYS/sigstore-labeled.pub")"
}

@test "wrong password exits 77 for both labels; unset password is said so" {
  for k in sigstore-labeled cosign-labeled-ec; do
    COSIGN_PASSWORD=hellO COSIGN_KEY="$KEYS/$k.key" run -77 --separate-stderr cosign-wrap sign < "$T/blob"
    assert_equal "$output" ''
    assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the cosign key: wrong password, or the key file is corrupted'
  done
  COSIGN_PASSWORD='' COSIGN_KEY="$KEYS/sigstore-labeled.key" run -77 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the cosign key: wrong password, or the key file is corrupted'
  COSIGN_KEY="$KEYS/sigstore-labeled.key" run -77 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the cosign key: wrong password, or the key file is corrupted (COSIGN_PASSWORD is not set, so the empty password was tried)'
}

@test "session-key: one decryption, then a copy under a fresh random password that signs as the key does" {
  export COSIGN_KEY="$KEYS/sigstore-labeled.key" COSIGN_PASSWORD=hello
  run -0 --separate-stderr cosign-wrap session-key
  assert_equal "$stderr" ''
  # 64 hex digits of password, then the key as PKCS#8 PBES2 (PBKDF2, AES-256-CBC): no scrypt
  pw=$(sed -n 1p <<<"$output")
  [[ "$pw" =~ ^[0-9a-f]{64}$ ]]
  [ "$(sed -n 2p <<<"$output")" = '-----BEGIN ENCRYPTED PRIVATE KEY-----' ]
  [ "$(sed -n '$p' <<<"$output")" = '-----END ENCRYPTED PRIVATE KEY-----' ]
  session=$(sed 1d <<<"$output")
  run -0 openssl asn1parse -inform PEM <<<"$session"
  [[ "$output" == *":PBES2"* && "$output" == *":PBKDF2"* && "$output" == *":aes-256-cbc"* ]]
  [[ "$output" != *"scrypt"* ]]
  # openssl opens it with the password, and it is the same key
  SESSION_PW=$pw openssl pkey -passin env:SESSION_PW -pubout -out "$T/session.pub" <<<"$session"
  cmp "$T/session.pub" "$KEYS/sigstore-labeled.pub"
  # with it as COSIGN_KEY (text) and the password as COSIGN_PASSWORD: public-key and sign
  COSIGN_KEY=$session COSIGN_PASSWORD=$pw run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat "$KEYS/sigstore-labeled.pub")"
  COSIGN_KEY=$session COSIGN_PASSWORD=$pw sign_and_check "$KEYS/sigstore-labeled.pub"
  # the password is fresh each time; the wrong one is refused
  run -0 cosign-wrap session-key
  [ "$(sed -n 1p <<<"$output")" != "$pw" ]
  COSIGN_KEY=$session COSIGN_PASSWORD=${pw%?}x run -77 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the PKCS#8 key: wrong password, or the key is corrupted'
}

@test "session-key: a key that cannot be opened prints nothing; a terminal never sees the key" {
  COSIGN_KEY="$KEYS/sigstore-labeled.key" COSIGN_PASSWORD=wrong run -77 --separate-stderr cosign-wrap session-key
  assert_equal "$output" ''
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the cosign key: wrong password, or the key file is corrupted'
  run -78 --separate-stderr cosign-wrap session-key
  assert_equal "$output" ''
  # stdout a pseudo-terminal (script(1)): refused before the key is read
  export COSIGN_KEY="$KEYS/sigstore-labeled.key" COSIGN_PASSWORD=hello
  run -2 script -qec "cosign-wrap session-key" /dev/null
  [[ "$output" == *"cosign-wrap: refusing to print a key to a terminal"* ]]
  [[ "$output" != *"PRIVATE KEY"* ]]
  run -74 bash -c 'cosign-wrap session-key > /dev/full'
}

@test "COSIGN_KEY missing, empty, a missing file, a folder or a KMS reference" {
  run -78 --separate-stderr cosign-wrap sign < "$T/blob"
  assert_equal "$output" ''
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY is not set: give the path of a cosign.key, or the key text itself'
  COSIGN_KEY='' run -78 cosign-wrap public-key
  COSIGN_KEY="$T/absent.key" run -66 --separate-stderr cosign-wrap sign < "$T/blob"
  assert_equal "$stderr" 'cosign-wrap: cannot open the key file named by COSIGN_KEY: No such file or directory'
  COSIGN_KEY="$T" run -66 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: cannot read the key file named by COSIGN_KEY: not a regular file (a directory)'
  COSIGN_KEY=awskms:///alias/release run -78 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY holds a key reference (KMS, env://, ...): cosign-wrap takes a path or the key text'
}

@test "generate-key-pair: cosign's format (current label, N=65536), 0600, readable independently" {
  cd "$T"
  COSIGN_PASSWORD=s3cret run -0 --separate-stderr cosign-wrap generate-key-pair
  assert_equal "$output" ''
  run -0 stat -c '%a' cosign.key cosign.pub
  assert_output $'600\n644'
  run -0 head -1 cosign.key
  assert_output '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----'
  run -0 bash -c "'$PYKEY' json cosign.key | jq -c '{k: .kdf.name, p: .kdf.params, c: .cipher.name, keys: keys_unsorted}'"
  assert_output '{"k":"scrypt","p":{"N":65536,"r":8,"p":1},"c":"nacl/secretbox","keys":["kdf","cipher","ciphertext"]}'
  run -0 bash -c "'$PYKEY' json cosign.key | jq -r .kdf.salt | base64 -d | wc -c"
  assert_output 32
  # Go's field order, exactly
  run -0 bash -c "'$PYKEY' json cosign.key | grep -c '^{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":65536,\"r\":8,\"p\":1},\"salt\":\"'"
  assert_output 1
  # decrypted by an independent implementation: PKCS#8 DER whose public key is cosign.pub
  PW=s3cret "$PYKEY" decrypt cosign.key > plain.der
  run -0 openssl pkey -inform DER -in plain.der -pubout
  assert_equal "$output" "$(cat cosign.pub)"
  run -0 bash -c 'openssl asn1parse -inform DER -in plain.der | sed -n 4p'
  assert_output --partial ':id-ecPublicKey'
  PW=wrong run -1 "$PYKEY" decrypt cosign.key
  # and by cosign-wrap itself
  export COSIGN_PASSWORD=s3cret COSIGN_KEY=cosign.key
  run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat cosign.pub)"
  sign_and_check cosign.pub
}

@test "generate-key-pair refuses to overwrite and needs COSIGN_PASSWORD set" {
  cd "$T"
  COSIGN_PASSWORD='' cosign-wrap generate-key-pair --output-key-prefix dev
  cp dev.key dev.key.orig
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix dev
  assert_equal "$stderr" "cosign-wrap: 'dev.key' exists: refusing to overwrite it"
  cmp dev.key dev.key.orig
  rm dev.key
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix dev
  assert_equal "$stderr" "cosign-wrap: 'dev.pub' exists: refusing to overwrite it"
  run -0 ls dev.*
  assert_output $'dev.key.orig\ndev.pub'
  run -78 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix other
  assert_equal "$stderr" "cosign-wrap: COSIGN_PASSWORD is not set: set it to the new key's password (empty for none)"
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix "$T/no/such/dir/k"
  assert_equal "$stderr" "cosign-wrap: cannot create a temporary for '$T/no/such/dir/k.key': No such file or directory"
  # an empty password is a valid password
  COSIGN_PASSWORD='' COSIGN_KEY=dev.key.orig run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat dev.pub)"
}

@test "round trip: a generated key under both labels, and openssl keys as PKCS#8, SEC1 and encrypted PKCS#8" {
  cd "$T"
  COSIGN_PASSWORD=pw cosign-wrap generate-key-pair --output-key-prefix gen
  sed 's/ENCRYPTED SIGSTORE PRIVATE KEY/ENCRYPTED COSIGN PRIVATE KEY/' gen.key > legacy.key
  run -0 head -1 legacy.key
  assert_output '-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----'
  for k in gen.key legacy.key; do
    COSIGN_PASSWORD=pw COSIGN_KEY=$k sign_and_check gen.pub
    run -0 cosign-wrap verify --key gen.pub --signature blob.sig < blob
  done
  openssl_key ossl
  PW=pw openssl pkcs8 -topk8 -v2 aes-256-cbc -in ossl.pem -passout env:PW -out ossl.enc
  run -0 head -1 ossl.enc
  assert_output '-----BEGIN ENCRYPTED PRIVATE KEY-----'
  run -0 head -1 ossl.sec1
  assert_output '-----BEGIN EC PRIVATE KEY-----'
  for k in ossl.pem ossl.sec1 ossl.enc; do
    COSIGN_PASSWORD=pw COSIGN_KEY=$k run -0 cosign-wrap public-key
    assert_equal "$output" "$(cat ossl.pub)"
    COSIGN_PASSWORD=pw COSIGN_KEY=$k sign_and_check ossl.pub
    run -0 cosign-wrap verify --key ossl.pub --signature blob.sig < blob
  done
  COSIGN_PASSWORD=nope COSIGN_KEY=ossl.enc run -77 --separate-stderr cosign-wrap sign < blob
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: cannot decrypt the PKCS#8 key: wrong password, or the key is corrupted'
  # an openssl key wrapped in cosign's format by the independent writer
  PW=x "$PYKEY" encrypt ossl.der 32768 8 1 > ossl.cosign
  COSIGN_PASSWORD=x COSIGN_KEY=ossl.cosign sign_and_check ossl.pub
}

@test "scrypt: N=131072 is accepted; other parameter sets are refused before any work" {
  openssl_key k
  PW=x "$PYKEY" encrypt "$T/k.der" 131072 8 1 > "$T/n17.key"
  COSIGN_PASSWORD=x COSIGN_KEY="$T/n17.key" run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat "$T/k.pub")"
  for p in '16384 8 1' '262144 8 1' '1048576 8 1' '32768 16 1' '65536 8 2' '65536 4 1'; do
    PW=x "$PYKEY" encrypt "$T/k.der" $p > "$T/bad.key"
    set -- $p
    COSIGN_PASSWORD=x COSIGN_KEY="$T/bad.key" run -65 --separate-stderr cosign-wrap public-key
    assert_equal "$output" ''
    assert_equal "$stderr" "cosign-wrap: COSIGN_KEY: encrypted key: unsupported scrypt parameters N=$1 r=$2 p=$3 (cosign accepts N=32768, 65536 or 131072 with r=8, p=1)"
  done
}

@test "malformed encrypted keys exit 65 with one line" {
  openssl_key k
  PW=x "$PYKEY" encrypt "$T/k.der" 32768 8 1 --nonce-len 23 > "$T/nonce.key"
  COSIGN_PASSWORD=x COSIGN_KEY="$T/nonce.key" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: encrypted key: the secretbox nonce is not 24 bytes of base64'
  "$PYKEY" json "$KEYS/sigstore-labeled.key" > "$T/k.json"
  check() { # JQ-EDIT MESSAGE
    jq -c "$1" "$T/k.json" > "$T/edit.json"
    "$PYKEY" wrap "$T/edit.json" > "$T/edit.key"
    COSIGN_PASSWORD=hello COSIGN_KEY="$T/edit.key" run -65 --separate-stderr cosign-wrap public-key
    assert_equal "$output" ''
    assert_equal "$stderr" "cosign-wrap: COSIGN_KEY: encrypted key: $2"
  }
  check '.kdf.name = "argon2"' 'kdf is not scrypt'
  check '.cipher.name = "aes-gcm"' 'cipher is not nacl/secretbox'
  check 'del(.kdf.params.p)' 'scrypt params N, r, p are missing'
  check '.kdf.salt = "***"' 'the scrypt salt is not base64 (or exceeds 1 KiB)'
  check '.ciphertext = "AAAA"' 'the ciphertext is not base64 of a secretbox'
  check 'del(.cipher)' 'the JSON lacks the kdf or cipher object'
  printf '[1,2]' > "$T/arr.json"
  "$PYKEY" wrap "$T/arr.json" > "$T/arr.key"
  COSIGN_KEY="$T/arr.key" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: encrypted key: the JSON lacks the kdf or cipher object'
  printf 'not json' > "$T/nj"
  "$PYKEY" wrap "$T/nj" > "$T/nj.key"
  COSIGN_KEY="$T/nj.key" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: encrypted key: the PEM body is not JSON'
  printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n' > "$T/ssh.key"
  COSIGN_KEY="$T/ssh.key" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" "cosign-wrap: COSIGN_KEY: unsupported PEM type 'OPENSSH PRIVATE KEY' (expected ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY, PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)"
  COSIGN_KEY="$KEYS/sigstore-labeled.pub" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: this is a public key; a private key is needed'
  printf 'just text\n' > "$T/text.key"
  COSIGN_KEY="$T/text.key" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: no PEM block (-----BEGIN ...-----)'
}

@test "truncated key files exit 65 or 77, never crash, one stderr line" {
  key="$KEYS/sigstore-labeled.key"
  size=$(stat -c %s "$key")
  for n in 0 1 20 45 46 47 64 65 100 200 300 400 500 $((size - 50)) $((size - 46)) $((size - 2)); do
    head -c "$n" "$key" > "$T/t.key"
    COSIGN_PASSWORD=hello COSIGN_KEY="$T/t.key" run --separate-stderr cosign-wrap public-key
    [[ "$status" == 65 || "$status" == 77 ]] || fail "truncated at $n: exit $status: $stderr"
    assert_equal "$output" ''
    assert_equal "${#stderr_lines[@]}" 1
  done
  # truncated ciphertext inside a well-formed PEM: the box does not open
  python3 -c 'import base64,json,sys
d = json.load(open(sys.argv[1]))
d["ciphertext"] = base64.b64encode(base64.b64decode(d["ciphertext"])[:100]).decode()
print(json.dumps(d))' <("$PYKEY" json "$key") > "$T/short.json"
  "$PYKEY" wrap "$T/short.json" > "$T/short.key"
  COSIGN_PASSWORD=hello COSIGN_KEY="$T/short.key" run -77 cosign-wrap public-key
}

@test "tampered key files exit 65 or 77, never crash, one stderr line" {
  key="$KEYS/sigstore-labeled.key"
  # body characters swapped for other base64 characters, across the JSON:
  # structure, parameters, salt, nonce and ciphertext
  for off in 50 60 75 90 130 160 230 260 320 420 520 600; do
    python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read()); i = int(sys.argv[2])
while b[i] in b"\n-": i += 1
b[i] = ord("B") if b[i] != ord("B") else ord("C")
open(sys.argv[3], "wb").write(b)' "$key" "$off" "$T/t.key"
    COSIGN_PASSWORD=hello COSIGN_KEY="$T/t.key" run --separate-stderr cosign-wrap public-key
    [[ "$status" == 65 || "$status" == 77 ]] || fail "tampered at $off: exit $status: $stderr"
    assert_equal "$output" ''
    assert_equal "${#stderr_lines[@]}" 1
  done
  # a flipped bit of the ciphertext or the nonce: the MAC refuses (77)
  for field in ciphertext nonce salt; do
    python3 -c 'import base64,json,sys
d = json.load(open(sys.argv[1])); f = sys.argv[2]
o = d["kdf"] if f == "salt" else d["cipher"] if f == "nonce" else d
b = bytearray(base64.b64decode(o[f])); b[len(b) // 2] ^= 1
o[f] = base64.b64encode(bytes(b)).decode()
print(json.dumps(d))' <("$PYKEY" json "$key") "$field" > "$T/f.json"
    "$PYKEY" wrap "$T/f.json" > "$T/f.key"
    COSIGN_PASSWORD=hello COSIGN_KEY="$T/f.key" run -77 cosign-wrap public-key
  done
  # unencrypted PEM with a damaged body
  openssl_key k
  flip_byte "$T/k.pem" 40 0x01 "$T/bad.pem"
  COSIGN_KEY="$T/bad.pem" run -65 --separate-stderr cosign-wrap public-key
  assert_equal "${#stderr_lines[@]}" 1
}

@test "keys that are not P-256 exit 78" {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.pem" 2>/dev/null
  COSIGN_KEY="$T/p384.pem" run -78 --separate-stderr cosign-wrap sign < "$T/blob"
  assert_equal "$output" ''
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: the key is EC secp384r1, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)'
  openssl genpkey -algorithm ED25519 -out "$T/ed.pem"
  COSIGN_KEY="$T/ed.pem" run -78 --separate-stderr cosign-wrap sign < "$T/blob"
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: the key is ED25519, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)'
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
  COSIGN_KEY="$T/rsa.pem" run -78 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: the key is RSA 2048-bit, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)'
  openssl rsa -in "$T/rsa.pem" -traditional -out "$T/rsa1.pem" 2>/dev/null
  COSIGN_KEY="$T/rsa1.pem" run -78 --separate-stderr cosign-wrap public-key
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: the key is RSA (PKCS#1 PEM), not ECDSA P-256'
  # a P-384 key inside cosign's encrypted format
  openssl pkcs8 -topk8 -nocrypt -in "$T/p384.pem" -outform DER -out "$T/p384.der"
  PW=x "$PYKEY" encrypt "$T/p384.der" 32768 8 1 > "$T/p384.key"
  COSIGN_PASSWORD=x COSIGN_KEY="$T/p384.key" run -78 --separate-stderr cosign-wrap sign < "$T/blob"
  assert_equal "$stderr" 'cosign-wrap: COSIGN_KEY: the key is EC secp384r1, not ECDSA P-256 (the only key cosign verify-blob --key checks with SHA-256)'
}

@test "bundle: v0.3 fields checked with jq and openssl; cosign-wrap verifies it" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  run -0 cosign-wrap sign --bundle "$T/b.json" < "$T/blob"
  sig=$output
  run -0 jq -r '.mediaType' "$T/b.json"
  assert_output 'application/vnd.dev.sigstore.bundle.v0.3+json'
  run -0 jq -r '[paths(scalars)|join(".")]|join(" ")' "$T/b.json"
  assert_output 'mediaType messageSignature.messageDigest.algorithm messageSignature.messageDigest.digest messageSignature.signature verificationMaterial.publicKey.hint'
  run -0 jq -r '.messageSignature.messageDigest.algorithm' "$T/b.json"
  assert_output 'SHA2_256'
  run -0 jq -r '.messageSignature.messageDigest.digest' "$T/b.json"
  assert_output "$(openssl dgst -sha256 -binary "$T/blob" | base64 -w0)"
  run -0 jq -r '.messageSignature.signature' "$T/b.json"
  assert_output "$sig"
  run -0 jq -r '.verificationMaterial.publicKey.hint' "$T/b.json"
  assert_output "$(openssl pkey -pubin -in "$KEYS/sigstore-labeled.pub" -outform DER | openssl dgst -sha256 -binary | base64 -w0)"
  jq -r '.messageSignature.signature' "$T/b.json" | base64 -d > "$T/b.der"
  run -0 openssl dgst -sha256 -verify "$KEYS/sigstore-labeled.pub" -signature "$T/b.der" "$T/blob"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/b.json" < "$T/blob"
  assert_output 'Verified OK'
  # the hint is ignored when --key is given (as cosign does), so the other spelling of the media type
  jq '.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.3" | del(.verificationMaterial)' "$T/b.json" > "$T/b2.json"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/b2.json" < "$T/blob"
}

@test "bundle: a tampered digest, signature or blob fails with exit 1" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > /dev/null
  other=$(printf 'other' | openssl dgst -sha256 -binary | base64 -w0)
  jq --arg d "$other" '.messageSignature.messageDigest.digest = $d' "$T/b.json" > "$T/bad.json"
  run -1 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/bad.json" < "$T/blob"
  assert_equal "$output" ''
  assert_equal "$stderr" "cosign-wrap: bundle '$T/bad.json': messageDigest does not match the SHA-256 of the blob"
  # the digest of the tampered blob with the original signature: the signature check refuses
  printf 'tampered\n' > "$T/blob2"
  d2=$(openssl dgst -sha256 -binary "$T/blob2" | base64 -w0)
  jq --arg d "$d2" '.messageSignature.messageDigest.digest = $d' "$T/b.json" > "$T/bad2.json"
  run -1 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/bad2.json" < "$T/blob2"
  assert_equal "$stderr" "cosign-wrap: invalid signature: it does not verify for this blob with key '$KEYS/sigstore-labeled.pub'"
  run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/b.json" < "$T/blob2"
  sigb=$(jq -r .messageSignature.signature "$T/b.json" | base64 -d | python3 -c 'import sys,base64
b = bytearray(sys.stdin.buffer.read()); b[-1] ^= 1; print(base64.b64encode(bytes(b)).decode())')
  jq --arg s "$sigb" '.messageSignature.signature = $s' "$T/b.json" > "$T/bad3.json"
  run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/bad3.json" < "$T/blob"
}

@test "bundle: malformed bundles exit 65; cosign's legacy bundle is read" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  sig=$(cosign-wrap sign --bundle "$T/b.json" < "$T/blob")
  pub="$KEYS/sigstore-labeled.pub"
  bad() { # JQ-FILTER MESSAGE
    jq "$1" "$T/b.json" > "$T/m.json"
    run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/m.json" < "$T/blob"
    assert_equal "$output" ''
    assert_equal "$stderr" "cosign-wrap: bundle '$T/m.json': $2"
  }
  bad '.mediaType = "application/vnd.dev.sigstore.bundle.v0.1+json"' "unsupported mediaType 'application/vnd.dev.sigstore.bundle.v0.1+json' (expected application/vnd.dev.sigstore.bundle.v0.3+json)"
  bad 'del(.mediaType)' 'no mediaType (not a Sigstore bundle)'
  bad 'del(.messageSignature) | .dsseEnvelope = {}' 'DSSE envelopes are not supported (blob signatures only)'
  bad 'del(.messageSignature)' 'no messageSignature'
  bad '.messageSignature.messageDigest.algorithm = "SHA2_384"' 'messageDigest algorithm is not SHA2_256'
  bad '.messageSignature.messageDigest.digest = "AAAA"' 'messageDigest digest is not 32 bytes of base64'
  bad '.messageSignature.signature = "%%%"' 'messageSignature signature is not a base64 ECDSA signature'
  bad '[.]' 'not a JSON object'
  printf '{"mediaType":' > "$T/trunc.json"
  run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/trunc.json" < "$T/blob"
  assert_equal "${#stderr_lines[@]}" 1
  run -66 cosign-wrap verify --key "$pub" --bundle "$T/none.json" < "$T/blob"
  # cosign's legacy --bundle JSON (new-bundle-format=false, no tlog)
  jq -n --arg s "$sig" --arg c "$(base64 -w0 "$pub")" '{base64Signature: $s, cert: $c}' > "$T/legacy.json"
  run -0 cosign-wrap verify --key "$pub" --bundle "$T/legacy.json" < "$T/blob"
  run -1 cosign-wrap verify --key "$pub" --bundle "$T/legacy.json" < "$KEYS/sigstore-labeled.pub"
}

@test "--output-signature writes the same bytes to a file; nothing on stdout" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  run -0 --separate-stderr cosign-wrap sign --output-signature "$T/f.sig" --bundle "$T/f.json" < "$T/blob"
  assert_equal "$output" ''
  run -0 jq -r .messageSignature.signature "$T/f.json"
  assert_output "$(cat "$T/f.sig")"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/f.sig" < "$T/blob"
  run -0 ls "$T"
  refute_output --partial '.tmp'
}

@test "sign FILE...: one key load, FILE.sig and FILE.sigstore.json for each, openssl agrees" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  printf 'one\n' > "$T/a.json"
  printf 'two\n' > "$T/b.md"
  run -0 --separate-stderr cosign-wrap sign --bundles "$T/a.json" "$T/b.md"
  assert_equal "$output" ''
  for f in a.json b.md; do
    run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/$f.sig" < "$T/$f"
    run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/$f.sigstore.json" < "$T/$f"
    base64 -d "$T/$f.sig" > "$T/$f.der"
    run -0 openssl dgst -sha256 -verify "$KEYS/sigstore-labeled.pub" -signature "$T/$f.der" "$T/$f"
  done
  # each signature belongs to its own file
  run -1 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/a.json.sig" < "$T/b.md"
  run -0 cosign-wrap sign "$T/a.json"
  [ ! -e "$T/a.json.sigstore.json.sig" ]
  # a missing file stops with 66; --bundle does not mix with files; --bundles needs them
  run -66 --separate-stderr cosign-wrap sign "$T/a.json" "$T/missing"
  [[ "$stderr" == *"cannot open '$T/missing'"* ]]
  run -2 --separate-stderr cosign-wrap sign --bundle "$T/x.json" "$T/a.json"
  run -2 --separate-stderr cosign-wrap sign --bundles < "$T/blob"
}

@test "an empty blob and a 3 MiB blob sign and verify" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  : > "$T/blob"
  sign_and_check "$KEYS/sigstore-labeled.pub"
  head -c 3145728 /dev/urandom > "$T/blob"
  sign_and_check "$KEYS/sigstore-labeled.pub"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/blob.sig" < "$T/blob"
}

@test "> /dev/full exits 74 (sign, public-key, verify); no bundle or signature file is left behind" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  run -74 --separate-stderr bash -c "cosign-wrap sign --bundle '$T/full.json' < '$T/blob' > /dev/full"
  assert_equal "$stderr" 'cosign-wrap: cannot write to standard output: No space left on device'
  [ ! -e "$T/full.json" ]
  [ -z "$(temporaries "$T")" ]
  # a bundle written into a device is not unlinked after the failure
  dev_null_at "$T/null"
  run -74 --separate-stderr bash -c "cosign-wrap sign --bundle '$T/null' < '$T/blob' > /dev/full"
  [ -c "$T/null" ]
  run -74 bash -c 'cosign-wrap public-key > /dev/full'
  cosign-wrap sign < "$T/blob" > "$T/sig"
  run -74 bash -c "cosign-wrap verify --key '$KEYS/sigstore-labeled.pub' --signature '$T/sig' < '$T/blob' > /dev/full"
  run -74 --separate-stderr cosign-wrap sign --bundle "$T/nodir/b.json" < "$T/blob"
  assert_equal "$output" ''
  assert_equal "$stderr" "cosign-wrap: cannot create a temporary for '$T/nodir/b.json': No such file or directory"
}

@test "the password and the key never appear in output, errors or /proc/PID/cmdline" {
  pw='Pw-7e1d-do-not-leak'
  cd "$T"
  COSIGN_PASSWORD="$pw" cosign-wrap generate-key-pair --output-key-prefix leak
  keytext=$(cat leak.key)
  body=$(sed -n 2p leak.key)            # 64 characters of the encrypted key
  openssl_key plain
  plainbody=$(sed -n 2p plain.pem)      # 64 characters of an unencrypted key
  # error paths: wrong password, damaged key text, a key body given as a "path"
  keys=("$T/leak.key" "$keytext" "${keytext/-----END/junk}" "$(sed 1d leak.key)" "$body" "$plainbody"
        "$(head -3 plain.pem)")
  pws=("wrong-$pw" "wrong-$pw" "$pw" "$pw" "$pw" "$pw" "$pw")
  all=""
  for i in "${!keys[@]}"; do
    COSIGN_KEY="${keys[$i]}" COSIGN_PASSWORD="${pws[$i]}" run --separate-stderr cosign-wrap sign < blob
    [ "$status" -ne 0 ] || fail "case $i signed"
    all+="$output$stderr"
  done
  [[ "$all" != *"$pw"* ]] || fail "password leaked: $all"
  [[ "$all" != *"$body"* ]] || fail "key leaked: $all"
  [[ "$all" != *"$plainbody"* ]] || fail "key leaked: $all"
  [[ "$all" != *"${body:10:16}"* ]] || fail "key fragment leaked: $all"
  # a signing process, caught while it waits for its input
  mkfifo in.fifo
  COSIGN_KEY="$keytext" COSIGN_PASSWORD="$pw" cosign-wrap sign < in.fifo > out.sig 2> err.txt &
  pid=$!
  exec {wfd}> in.fifo
  for _ in $(seq 100); do grep -q cosign-wrap "/proc/$pid/cmdline" 2>/dev/null && break; sleep 0.05; done
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline")
  cat "$T/blob" >&"$wfd"
  exec {wfd}>&-
  wait "$pid"
  [[ "$cmdline" == *cosign-wrap*sign* ]] || fail "did not catch the process: $cmdline"
  [[ "$cmdline" != *"$pw"* && "$cmdline" != *"$body"* ]] || fail "secret in cmdline: $cmdline"
  run -0 cat err.txt
  assert_output ''
  base64 -d out.sig > out.der
  run -0 openssl dgst -sha256 -verify leak.pub -signature out.der "$T/blob"
}

@test "make keys: a development key pair under ARTIFACTS/keys, made once" {
  art="$T/art"
  cw=$(command -v cosign-wrap)
  run -0 env -u COSIGN_PASSWORD make -C "$ROOT" -s keys ARTIFACTS="$art" COSIGN_WRAP="$cw"
  run -0 ls "$art/keys"
  assert_output $'dev-cosign.key\ndev-cosign.pub'
  run -0 stat -c %a "$art/keys/dev-cosign.key"
  assert_output 600
  sum=$(cat "$art/keys/dev-cosign.key" "$art/keys/dev-cosign.pub" | sha256sum)
  run -0 make -C "$ROOT" -s keys ARTIFACTS="$art" COSIGN_WRAP="$cw"
  assert_equal "$(cat "$art/keys/dev-cosign.key" "$art/keys/dev-cosign.pub" | sha256sum)" "$sum"
  # the development key's password is empty by default
  COSIGN_PASSWORD='' COSIGN_KEY="$art/keys/dev-cosign.key" run -0 cosign-wrap public-key
  assert_equal "$output" "$(cat "$art/keys/dev-cosign.pub")"
  # a lost .pub is derived again from the key, not regenerated
  rm "$art/keys/dev-cosign.pub"
  run -0 env -u COSIGN_PASSWORD make -C "$ROOT" -s keys ARTIFACTS="$art" COSIGN_WRAP="$cw"
  assert_equal "$(cat "$art/keys/dev-cosign.key" "$art/keys/dev-cosign.pub" | sha256sum)" "$sum"
}

@test "sign: --output-signature and --bundle write devices in place, which stay devices; a full device exits 74" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  dev_null_at "$T/null1"
  dev_null_at "$T/null2"
  run -0 --separate-stderr cosign-wrap sign --output-signature "$T/null1" --bundle "$T/null2" < "$T/blob"
  assert_equal "$output" ''
  [ -c "$T/null1" ]
  [ -c "$T/null2" ]
  dev_full_at "$T/full"
  run -74 --separate-stderr cosign-wrap sign --output-signature "$T/full" < "$T/blob"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot write '$T/full': No space left on device"
  run -74 --separate-stderr cosign-wrap sign --bundle "$T/full" < "$T/blob"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot write '$T/full': No space left on device"
  [ -c "$T/full" ]
  # the bundle failed: the signature did not go out either
  run -74 --separate-stderr cosign-wrap sign --bundle "$T/full" --output-signature "$T/s.sig" < "$T/blob"
  [ ! -e "$T/s.sig" ]
  [ -z "$(temporaries "$T")" ]
}

@test "sign: links at the final names are replaced (targets untouched); links at temporary names are never followed" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  local d="$T/out" n
  mkdir "$d"
  echo precious > "$T/target"
  for n in s.sig b.json blob.sig blob.sigstore.json; do
    ln -s "$T/target" "$d/$n"
    plant_links "$d" "$n" "$T/target"
  done
  cp "$T/blob" "$d/blob"
  run -0 --separate-stderr cosign-wrap sign --output-signature "$d/s.sig" --bundle "$d/b.json" < "$T/blob"
  run -0 --separate-stderr cosign-wrap sign --bundles "$d/blob"
  [ "$(cat "$T/target")" = precious ]
  for n in s.sig b.json blob.sig blob.sigstore.json; do
    [ -f "$d/$n" ] && [ ! -L "$d/$n" ] || { echo "not replaced: $n"; return 1; }
    [ -L "$d/$n.tmp" ] && [ -L "$d/.$n.tmp" ] && [ -L "$d/$n.new" ] || { echo "link removed: $n"; return 1; }
  done
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$d/s.sig" < "$T/blob"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$d/b.json" < "$T/blob"
  run -0 cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$d/blob.sigstore.json" < "$T/blob"
  [ "$(stat -c %a "$d/s.sig")" = 644 ]
  [ -z "$(temporaries "$d")" ]
}

@test "a full file system exits 74 and leaves no temporary (sign, sign FILE..., generate-key-pair)" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  full_fs "$T/small" "$T/blob"
  run -74 --separate-stderr cosign-wrap sign --bundle "$T/small/b.json" < "$T/blob"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot write '$T/small/b.json': No space left on device"
  run -74 --separate-stderr cosign-wrap sign --output-signature "$T/small/s.sig" < "$T/blob"
  one_line
  run -74 --separate-stderr cosign-wrap sign --bundles "$T/small/blob"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot write '$T/small/blob.sig': No space left on device"
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix "$T/small/k"
  one_line
  [ ! -e "$T/small/k.key" ]
  [ ! -e "$T/small/k.pub" ]
  [ -z "$(temporaries "$T/small")" ]
  [ "$(ls -A "$T/small" | tr '\n' ' ')" = "blob filler " ]
}

@test "generate-key-pair: room for the key but not the public key leaves neither (no half pair)" {
  full_fs "$T/small"
  # free one page: the key's temporary fits, the public key's does not
  truncate -s $(($(stat -c %s "$T/small/filler") - 4096)) "$T/small/filler"
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix "$T/small/k"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot write '$T/small/k.pub': No space left on device"
  [ ! -e "$T/small/k.key" ]
  [ ! -e "$T/small/k.pub" ]
  [ -z "$(temporaries "$T/small")" ]
}

@test "generate-key-pair: a link planted at a key name is refused (never followed); links at temporary names too" {
  cd "$T"
  ln -s "$T/absent.key" dev.key
  COSIGN_PASSWORD='' run -74 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix dev
  assert_equal "$stderr" "cosign-wrap: 'dev.key' exists: refusing to overwrite it"
  [ ! -e "$T/absent.key" ]
  [ -L dev.key ]
  echo precious > target
  plant_links "$T" other.key "$T/target"
  plant_links "$T" other.pub "$T/target"
  COSIGN_PASSWORD='' run -0 --separate-stderr cosign-wrap generate-key-pair --output-key-prefix other
  [ "$(cat target)" = precious ]
  [ -f other.key ]
  [ ! -L other.key ]
  [ "$(stat -c %a other.key)" = 600 ]
  [ -f other.pub ]
  [ "$(stat -c %a other.pub)" = 644 ]
  [ -L other.key.tmp ]
  [ -L .other.key.tmp ]
  [ -L other.pub.new ]
  [ -z "$(temporaries "$T")" ]
  # a umask does not narrow the public key
  (umask 077 && COSIGN_PASSWORD='' cosign-wrap generate-key-pair --output-key-prefix masked)
  [ "$(stat -c %a masked.pub)" = 644 ]
}

@test "a NUL byte inside base64 key or signature text is refused with 65" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  pub="$KEYS/sigstore-labeled.pub"
  cosign-wrap sign --bundle "$T/b.json" < "$T/blob" > "$T/sig"
  python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
sig = open(t + "/sig", "rb").read()
open(t + "/sig-nul", "wb").write(sig[:8] + b"\0" + sig[8:])
open(t + "/sig-nul-end", "wb").write(sig + b"\0")
PY
  for f in sig-nul sig-nul-end; do
    run -65 --separate-stderr cosign-wrap verify --key "$pub" --signature "$T/$f" < "$T/blob"
    one_line
    assert_equal "$stderr" "cosign-wrap: malformed signature in '$T/$f': a NUL byte inside its base64 text"
  done
  # in a bundle: the JSON string holds \u0000
  jq '.messageSignature.signature |= .[0:8] + "\u0000" + .[8:]' "$T/b.json" > "$T/b-nul.json"
  run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/b-nul.json" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: bundle '$T/b-nul.json': messageSignature signature is not a base64 ECDSA signature"
  jq '.messageSignature.signature += "\u0000AAAA"' "$T/b.json" > "$T/b-nul2.json"
  run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/b-nul2.json" < "$T/blob"
  jq '.messageSignature.messageDigest.digest += "\u0000"' "$T/b.json" > "$T/b-nul3.json"
  run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/b-nul3.json" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: bundle '$T/b-nul3.json': messageDigest digest is not 32 bytes of base64"
  jq -n --arg s "$(cat "$T/sig")" '{base64Signature: ($s + "\u0000")}' > "$T/legacy-nul.json"
  run -65 --separate-stderr cosign-wrap verify --key "$pub" --bundle "$T/legacy-nul.json" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: malformed signature in the bundle's base64Signature: a NUL byte inside its base64 text"
  # in a key: the PEM body, and the base64 fields of cosign's JSON inside it
  python3 - "$KEYS/sigstore-labeled.key" "$T" <<'PY'
import base64, json, sys
k = open(sys.argv[1], "rb").read()
lines = k.split(b"\n")
lines[1] = lines[1][:10] + b"\0" + lines[1][10:]
open(sys.argv[2] + "/key-nul", "wb").write(b"\n".join(lines))
lines = k.split(b"\n")
lines.insert(1, b"\0")
open(sys.argv[2] + "/key-nul-line", "wb").write(b"\n".join(lines))
body = base64.b64decode(b"".join(k.split(b"\n")[1:-2]))
doc = json.loads(body)
doc["kdf"]["salt"] += "\0"
enc = base64.b64encode(json.dumps(doc, separators=(",", ":")).encode())
pem = b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n" + b"\n".join(enc[i:i + 64] for i in range(0, len(enc), 64)) + b"\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
open(sys.argv[2] + "/key-nul-salt", "wb").write(pem)
PY
  for f in key-nul key-nul-line; do
    COSIGN_KEY="$T/$f" run -65 --separate-stderr cosign-wrap public-key
    one_line
    assert_equal "$stderr" "cosign-wrap: COSIGN_KEY: PEM block 'ENCRYPTED SIGSTORE PRIVATE KEY' holds a NUL byte in its base64 text"
  done
  COSIGN_KEY="$T/key-nul-salt" run -65 --separate-stderr cosign-wrap public-key
  one_line
  assert_equal "$stderr" "cosign-wrap: COSIGN_KEY: encrypted key: the scrypt salt is not base64 (or exceeds 1 KiB)"
}

@test "a folder where a file is expected is 66: --key, --signature, --bundle, sign FILE" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  mkdir "$T/dir"
  cosign-wrap sign < "$T/blob" > "$T/sig"
  run -66 --separate-stderr cosign-wrap verify --key "$T/dir" --signature "$T/sig" < "$T/blob"
  one_line
  assert_equal "$stderr" "cosign-wrap: cannot read '$T/dir': not a regular file (a directory)"
  run -66 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --signature "$T/dir" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: cannot read '$T/dir': not a regular file (a directory)"
  run -66 --separate-stderr cosign-wrap verify --key "$KEYS/sigstore-labeled.pub" --bundle "$T/dir" < "$T/blob"
  assert_equal "$stderr" "cosign-wrap: cannot read '$T/dir': not a regular file (a directory)"
  run -66 --separate-stderr cosign-wrap sign "$T/blob" "$T/dir"
  assert_equal "$stderr" "cosign-wrap: cannot read '$T/dir': not a regular file (a directory)"
  [ ! -e "$T/dir.sig" ]
}

@test "a closed output pipe ends it by SIGPIPE (status 141), as other filters" {
  export COSIGN_PASSWORD=hello COSIGN_KEY="$KEYS/sigstore-labeled.key"
  for cmd in "sign" "public-key"; do
    run -0 python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[2:], stdin=open(sys.argv[1], "rb"), stdout=w, stderr=subprocess.DEVNULL)
print(128 - p.returncode if p.returncode < 0 else p.returncode)' "$T/blob" cosign-wrap $cmd
    assert_output 141
  done
}
