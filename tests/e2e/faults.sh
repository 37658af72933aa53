# faults: a destination that runs out of space (blocks or inodes: a small
# tmpfs, then a small loop-mounted ext4 with its journal and delayed
# allocation) or is read-only.  Every name that appears is complete and
# right, a replaced file keeps its old content when the new one does not fit, each failure
# is one diagnostic naming the path and what failed, the exit status is 1,
# and no temp file is left.
. "$(dirname "$0")/../lib/common.sh"
need_root "mounts small tmpfs filesystems"
M=$T/mnt
mkdir -p "$M" "$T/src/d"
mount -t tmpfs -o size=4m,nr_inodes=400 tmpfs "$M" 2>/dev/null || skip "cannot mount tmpfs"
trap 'umount "$M" 2>/dev/null; rm -rf "$T"' EXIT
python3 - "$T/src" <<'PY'
import os, sys
top = sys.argv[1]
for i in range(12):   # 12 x 700 KiB: about twice what fits in 4 MiB
    with open(os.path.join(top, "big%02d" % i), "wb") as f:
        f.write(os.urandom(700 * 1024))
for i in range(300):
    with open(os.path.join(top, "d", "s%03d" % i), "wb") as f:
        f.write(os.urandom(100))
PY

# Every regular file under $2 equals its source under $1; no temps.
complete_or_absent() {
	local f
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" || { echo "wrong or partial: $f"; return 1; }
	done < <(cd "$2" && find . -type f -print0)
	[ -z "$(find "$2" -name '.ucp.*' -print -quit)" ] || { echo "temp files left"; return 1; }
}

# no_space LABEL FS NAME MAX: copy the source tree into FS/dst, which cannot
# hold it: exit 1, every file there exact, at least 2 and fewer than MAX of
# the files matching NAME there, only ENOSPC diagnostics naming their paths.
no_space() {
	local n rc bad
	"$UCP" -r "$T/src" "$2/dst" 2>"$T/err"; rc=$?
	[ $rc = 1 ] || fail "$1: exit status $rc"
	complete_or_absent "$T/src" "$2/dst" || fail "$1: a published file is wrong"
	n=$(find "$2/dst" -type f -name "$3" | wc -l)
	[ "$n" -ge 2 ] && [ "$n" -lt "$4" ] || fail "$1: expected some of the files ($3) to fit, got $n"
	grep -q "No space left on device" "$T/err" || fail "$1: no such diagnostic: $(head -3 "$T/err")"
	bad=$(grep -v "^ucp: \(error writing\|cannot create [a-z ]*\) '$2/dst/[^']*': No space left on device$" "$T/err" | head -3)
	[ -z "$bad" ] || fail "$1: unexpected diagnostic: $bad"
	rm -rf "$2/dst"
}

# no_space_replace LABEL FS MIB: FS/keep replaced by a file of MIB MiB that
# does not fit keeps its old content; one diagnostic names it; no temps.
no_space_replace() {
	local rc
	printf 'old content\n' >"$2/keep"
	python3 -c 'import os, sys; open(sys.argv[1], "wb").write(os.urandom(int(sys.argv[2]) << 20))' "$T/huge" "$3"
	"$UCP" "$T/huge" "$2/keep" 2>"$T/err"; rc=$?
	[ $rc = 1 ] || fail "$1: exit status $rc"
	[ "$(cat "$2/keep")" = "old content" ] || fail "$1: old content lost"
	[ -z "$(find "$2" -name '.ucp.*' -print -quit)" ] || fail "$1: temp file left"
	grep -q "'$2/keep': No space left on device" "$T/err" || fail "$1: diagnostic: $(cat "$T/err")"
	rm -f "$2/keep"
}

# 1. Out of space: the files that fit are complete, the rest absent.
# Written in parallel, every file in flight can hit ENOSPC; ucp then
# retries them one at a time, so some complete, as with cp (about five).
no_space ENOSPC "$M" 'big*' 12

# 2. A replaced file keeps its old content when the new one does not fit.
no_space_replace replace "$M" 6

# 3. Out of inodes.
umount "$M"
mount -t tmpfs -o size=64m,nr_inodes=100 tmpfs "$M" || skip "cannot remount tmpfs"
"$UCP" -r "$T/src/d" "$M/dst" 2>"$T/err"; rc=$?
[ $rc = 1 ] || fail "inodes: exit status $rc"
complete_or_absent "$T/src/d" "$M/dst" || fail "inodes: a published file is wrong"
grep -q "No space left on device" "$T/err" || fail "inodes: diagnostic: $(head -3 "$T/err")"

# 4. A read-only destination: each file fails with its name, nothing made.
rm -rf "$M/dst" && mkdir "$M/ro"
mount -o remount,ro "$M" || skip "cannot remount read-only"
"$UCP" -r "$T/src/d" "$M/ro/" 2>"$T/err"; rc=$?
mount -o remount,rw "$M"
[ $rc = 1 ] || fail "read-only: exit status $rc"
[ -z "$(ls -A "$M/ro")" ] || fail "read-only: something was made"
grep -q "^ucp: cannot create directory '$M/ro/d': Read-only file system$" "$T/err" ||
	fail "read-only: diagnostic: $(cat "$T/err")"
umount "$M"

# 5. The same on a small ext4 (8 MiB, 128 inodes): blocks, inodes, and a
# replaced file that does not fit.
E=$T/e
if ! command -v mkfs.ext4 >/dev/null; then
	echo "note: no mkfs.ext4; the ext4 cases were not run"
elif ! { truncate -s 8M "$T/ext4.img" && mkfs.ext4 -q -F -N 128 "$T/ext4.img" &&
	mkdir -p "$E" && mount -o loop "$T/ext4.img" "$E"; } 2>/dev/null; then
	echo "note: cannot loop-mount an ext4 here; the ext4 cases were not run"
else
	trap 'umount "$E" 2>/dev/null; rm -rf "$T"' EXIT
	no_space ext4 "$E" '*' 312
	no_space_replace "ext4 replace" "$E" 12
	umount "$E"
fi
done_test
