# faults: a destination that runs out of space (blocks or inodes: a small
# tmpfs, then a small loop-mounted ext4 with its journal and delayed
# allocation) or is read-only.  Every name that appears is complete and right, a replaced
# file keeps its old content when the new one does not fit, each failure
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

# 1. Out of space: the files that fit are complete, the rest absent.
# Written in parallel, every file in flight can hit ENOSPC; ucp then
# retries them one at a time, so some complete, as with cp (about five).
"$UCP" -r "$T/src" "$M/dst" 2>"$T/err"; rc=$?
[ $rc = 1 ] || fail "ENOSPC: exit status $rc"
complete_or_absent "$T/src" "$M/dst" || fail "ENOSPC: a published file is wrong"
n=$(find "$M/dst" -type f -name 'big*' | wc -l)
[ "$n" -ge 2 ] && [ "$n" -lt 12 ] || fail "ENOSPC: expected some of the 12 big files to fit, got $n"
grep -q "No space left on device" "$T/err" || fail "ENOSPC: no such diagnostic: $(head -3 "$T/err")"
bad=$(grep -v "^ucp: \(error writing\|cannot create [a-z ]*\) '$M/dst/[^']*': No space left on device$" "$T/err" | head -3)
[ -z "$bad" ] || fail "ENOSPC: unexpected diagnostic: $bad"
rm -rf "$M/dst"

# 2. A replaced file keeps its old content when the new one does not fit.
printf 'old content\n' >"$M/keep"
python3 -c 'import os; open(os.sys.argv[1], "wb").write(os.urandom(6 << 20))' "$T/huge"
"$UCP" "$T/huge" "$M/keep" 2>"$T/err"; rc=$?
[ $rc = 1 ] || fail "replace: exit status $rc"
[ "$(cat "$M/keep")" = "old content" ] || fail "replace: old content lost"
[ -z "$(find "$M" -name '.ucp.*' -print -quit)" ] || fail "replace: temp file left"
grep -q "'$M/keep': No space left on device" "$T/err" || fail "replace: diagnostic: $(cat "$T/err")"
rm -f "$M/keep"

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
	"$UCP" -r "$T/src" "$E/dst" 2>"$T/err"; rc=$?
	[ $rc = 1 ] || fail "ext4: exit status $rc"
	complete_or_absent "$T/src" "$E/dst" || fail "ext4: a published file is wrong"
	n=$(find "$E/dst" -type f | wc -l)
	[ "$n" -ge 2 ] && [ "$n" -lt 312 ] || fail "ext4: expected some files to fit, got $n"
	bad=$(grep -v "^ucp: \(error writing\|cannot create [a-z ]*\) '$E/dst/[^']*': No space left on device$" "$T/err" | head -3)
	[ -z "$bad" ] || fail "ext4: unexpected diagnostic: $bad"
	grep -q "No space left on device" "$T/err" || fail "ext4: no ENOSPC diagnostic: $(head -3 "$T/err")"
	rm -rf "$E/dst"
	printf 'old content\n' >"$E/keep"
	python3 -c 'import os; open(os.sys.argv[1], "wb").write(os.urandom(12 << 20))' "$T/huge"
	"$UCP" "$T/huge" "$E/keep" 2>"$T/err"; rc=$?
	[ $rc = 1 ] || fail "ext4 replace: exit status $rc"
	[ "$(cat "$E/keep")" = "old content" ] || fail "ext4 replace: old content lost"
	grep -q "'$E/keep': No space left on device" "$T/err" || fail "ext4 replace: diagnostic: $(cat "$T/err")"
	[ -z "$(find "$E" -name '.ucp.*' -print -quit)" ] || fail "ext4 replace: temp file left"
	umount "$E"
fi
done_test
