# Helpers for the tests of output files written through the library's safe
# writer (as root): device nodes made here, never the machine's own /dev
# entries, and a small full file system.

# dev_null_at PATH, dev_full_at PATH: twins of /dev/null and /dev/full
dev_null_at() { mknod -m 666 "$1" c 1 3; }
dev_full_at() { mknod -m 666 "$1" c 1 7; }

# full_fs DIR [FILE...]: DIR becomes a 16 KiB tmpfs holding copies of the
# FILEs and no space left; the test's teardown must call unmount_full_fs
full_fs() {
  local d=$1
  shift
  mkdir -p "$d"
  mount -t tmpfs -o size=16k,mode=0755 tmpfs "$d"
  echo "$d" >> "$BATS_TEST_TMPDIR/.mounts"
  [ $# -eq 0 ] || cp "$@" "$d/"
  # dd ends with "No space left on device": that is the point
  if dd if=/dev/zero of="$d/filler" bs=4k 2>/dev/null; then
    echo "full_fs: $d is not full" >&2
    return 1
  fi
}

unmount_full_fs() {
  local d
  [ -f "$BATS_TEST_TMPDIR/.mounts" ] || return 0
  while read -r d; do umount "$d"; done < "$BATS_TEST_TMPDIR/.mounts"
  rm -f "$BATS_TEST_TMPDIR/.mounts"
}

# temporaries DIR: the regular files the safe writer would have left in DIR
# (.NAME.XXXXXXXXXXXX.tmp), one per line
temporaries() { find "$1" -maxdepth 1 -type f -name '.*.tmp'; }

# plant_links DIR NAME TARGET: links at NAME's likely temporary names
# (NAME.tmp, .NAME.tmp, NAME.new) that point at TARGET
plant_links() {
  ln -s "$3" "$1/$2.tmp"
  ln -s "$3" "$1/.$2.tmp"
  ln -s "$3" "$1/$2.new"
}
