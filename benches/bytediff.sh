#!/usr/bin/env bash
# Whether two hindsight binaries write the same site, byte for byte.
#
#   benches/bytediff.sh OLD_BINARY NEW_BINARY ARCHIVE...
#
# Builds each ARCHIVE with both binaries, in both editions and with drafts, from nothing
# (no output, no .hindsight-cache), with SOURCE_DATE_EPOCH fixed so that "today" is the
# same, and prints the files that differ (`diff -rq`). Exits 1 when any differs or a build
# fails. The outputs are left in $BYTEDIFF_DIR (default target/bytediff) for a closer look.
set -uo pipefail

[ $# -ge 3 ] || { sed -n 2,9p "$0"; exit 2; }
old=$1 new=$2
shift 2
dir=${BYTEDIFF_DIR:-$(cd "$(dirname "$0")/.." && pwd)/target/bytediff}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1796000000}
# A key of its own, so that the builds neither make nor use the user's.
export XDG_CACHE_HOME=$dir/xdg-cache
mkdir -p "$dir"
status=0
for archive in "$@"; do
  name=$(basename "$(cd "$archive" && pwd)")
  for edition in internal public; do
    for which in old new; do
      binary=$old
      [ "$which" = new ] && binary=$new
      out=$dir/$name-$edition-$which
      rm -rf "$out" "$archive/.hindsight-cache"
      if ! "$binary" build --root "$archive" --out "$out" --edition "$edition" --drafts \
        >"$out.log" 2>&1; then
        echo "$name $edition: the $which binary's build failed (see $out.log)"
        status=1
      fi
    done
    differ=$(diff -rq "$dir/$name-$edition-old" "$dir/$name-$edition-new")
    echo "$name $edition: $(printf '%s' "$differ" | grep -c . ) files differ"
    [ -z "$differ" ] || { printf '%s\n' "$differ" | head -20; status=1; }
  done
  rm -rf "$archive/.hindsight-cache"
done
exit $status
