# shellcheck shell=bash
# Shared by the release scripts of mk/release/ (publish, release-policy, verify,
# verify-node, audit). Programs come from $BIN. Every value arrives in the
# environment, checked by mk/knobs.mk before anything ran; secrets (COSIGN_KEY,
# COSIGN_PASSWORD, GH_RELEASE_TOKEN) are read by the programs themselves and
# never appear in a command line. Values are always passed as separate
# arguments, never pasted into a shell string.
set -u -o pipefail
bin=$(cd "${BIN:-bin}" && pwd) || exit 70
REL_PROG=${REL_PROG:-release}

say() { printf '%s: %s\n' "$REL_PROG" "$*"; }
# die CODE MESSAGE: one line on stderr, exit CODE
die() {
  local code=$1
  shift
  printf '%s: %s\n' "$REL_PROG" "$*" >&2
  exit "$code"
}

# fresh DIR: an empty work folder of this run (artifacts/ only)
fresh() { rm -rf -- "$1" && mkdir -p -- "$1"; }

# signer_pub OUT: the public key of COSIGN_KEY into OUT; when COSIGN_PUB exists it
# must be that key (a release signed with another key would not verify)
signer_pub() {
  [ -n "${COSIGN_KEY:+set}" ] || die 78 "COSIGN_KEY (the release signing key) is not set in the environment"
  local rc=0
  "$bin/cosign-wrap" public-key > "$1" || rc=$?
  [ "$rc" -eq 0 ] || die "$rc" "cannot read the signing key COSIGN_KEY"
  if [ -f "$COSIGN_PUB" ] && ! cmp -s "$1" "$COSIGN_PUB"; then
    die 78 "COSIGN_KEY is not the key of COSIGN_PUB ($COSIGN_PUB): its signatures would not verify"
  fi
  return 0
}

# verify_sig PUB FILE SIG|BUNDLE: 0 when the signature (or bundle) verifies FILE
verify_sig() {
  case $3 in
    *.sigstore.json) "$bin/cosign-wrap" verify --key "$1" --bundle "$3" < "$2" > /dev/null 2>&1 ;;
    *) "$bin/cosign-wrap" verify --key "$1" --signature "$3" < "$2" > /dev/null 2>&1 ;;
  esac
}

# sign_all PUB CURRENT FILE...: FILE.sig and FILE.sigstore.json beside each FILE. The
# release's own (in CURRENT) are kept when it already holds FILE's bytes and they
# verify with PUB, so that the same inputs again upload nothing (ECDSA signatures
# differ every time); the others are made in one run of cosign-wrap.
sign_all() {
  local pub=$1 cur=$2 f n todo=()
  shift 2
  for f; do
    n=${f##*/}
    if cmp -s "$f" "$cur/$n" && [ -f "$cur/$n.sig" ] && [ -f "$cur/$n.sigstore.json" ] &&
      verify_sig "$pub" "$f" "$cur/$n.sig" && verify_sig "$pub" "$f" "$cur/$n.sigstore.json"; then
      cp -- "$cur/$n.sig" "$cur/$n.sigstore.json" "${f%/*}/"
    else
      todo+=("$f")
    fi
  done
  [ ${#todo[@]} -eq 0 ] || "$bin/cosign-wrap" sign --bundles "${todo[@]}" || die $? "cannot sign ${todo[*]}"
}

# fetch CURRENT ASSET...: the release's current ASSETs (those it has) into CURRENT,
# the receipt in CURRENT.json; a release that does not exist yet has none
fetch() {
  local cur=$1 a args=()
  shift
  for a; do args+=(--asset "$a"); done
  local rc=0
  "$bin/release-fetch" --repo "$RELEASE_REPO" --tag "$RELEASE_TAG" --dir "$cur" --if-exists "${args[@]}" \
    > "$cur.json" || rc=$?
  [ "$rc" -eq 0 ] || die "$rc" "cannot read the release $RELEASE_TAG of $RELEASE_REPO"
}

# new_checksums CURRENT NEW NAME FILE...: NEW/NAME, the release's checksums file
# NAME (when it has one, in CURRENT) with the lines of FILE... replaced or added.
# The lines kept are checked first against the release's assets themselves, so
# that the file signed again never vouches for bytes nobody checked.
new_checksums() {
  local cur=$1 new=$2 name=$3 n f mine keep=() base=()
  shift 3
  if [ -f "$cur/$name" ]; then
    "$bin/release-sums" names "$cur/$name" > "$cur/$name.names" || die 65 "the release's $name is malformed"
    while IFS= read -r n; do
      mine=
      for f; do [ "${f##*/}" = "$n" ] && mine=1; done
      [ -n "$mine" ] || keep+=("$n")
    done < "$cur/$name.names"
    if [ ${#keep[@]} -gt 0 ]; then
      local args=() check=() rc=0
      for n in "${keep[@]}"; do args+=(--asset "$n") check+=(--name "$n"); done
      mkdir -p "$cur/kept"
      "$bin/release-fetch" --repo "$RELEASE_REPO" --tag "$RELEASE_TAG" --dir "$cur/kept" --if-exists "${args[@]}" \
        > "$cur/kept.json" || rc=$?
      [ "$rc" -eq 0 ] || die "$rc" "cannot read the assets $name lists"
      "$bin/release-sums" check --dir "$cur/kept" "${check[@]}" "$cur/$name" > "$cur/kept.check" ||
        die 1 "the release's $name lists files that are not on the release as listed ($(grep -v ': OK$' "$cur/kept.check" | paste -sd ';' -)): fix the release first"
    fi
    base=(--base "$cur/$name")
  fi
  "$bin/release-sums" update "${base[@]}" --output "$new/$name" "$@" || die $? "cannot write $name"
}

# plan CURRENT NOTES FILE...: what an upload would do (DRY_RUN=1), one line a file
plan() {
  local cur=$1 notes=$2 f n what changes=0
  shift 2
  for f; do
    n=${f##*/}
    if cmp -s "$f" "$cur/$n"; then
      what=unchanged
    elif [ -e "$cur/$n" ]; then
      what="would replace"
    else
      what="would upload"
    fi
    [ "$what" = unchanged ] || changes=$((changes + 1))
    printf '  %-14s %s\n' "$what" "$n"
  done
  if [ "$(jq -r '.body // ""' "$cur.json")" != "$(cat "$notes")" ]; then
    printf '  %-14s %s\n' "would set" "the release notes"
    changes=$((changes + 1))
  fi
  say "DRY_RUN=1: $changes change(s) planned, nothing uploaded (files in ${notes%/*})"
}

# upload RECEIPT ARGS...: release-upload ARGS, its receipt kept
upload() {
  local out=$1 rc=0
  shift
  "$bin/release-upload" --repo "$RELEASE_REPO" --tag "$RELEASE_TAG" "$@" > "$out" || rc=$?
  [ "$rc" -eq 0 ] || die "$rc" "the upload to $RELEASE_TAG stopped (re-run to complete it)"
}

# summary RECEIPT...: what the uploads did; "nothing to upload" when nothing changed
summary() {
  local changed
  changed=$(jq -s -r '[.[] | (.assets[] | select(.result != "identical") | "\(.result) \(.name)"),
      (select(.notes == "created" or .notes == "updated") | "\(.notes) the release notes"),
      (select(.created) | "created the draft release"), (select(.published) | "published the release")] | .[]' "$@")
  if [ -z "$changed" ]; then
    say "nothing to upload: the release $RELEASE_TAG already holds these files and notes"
  else
    printf '%s\n' "$changed" | sed 's/^/  /'
    say "$RELEASE_TAG of $RELEASE_REPO: $(printf '%s\n' "$changed" | wc -l) change(s)"
  fi
}
