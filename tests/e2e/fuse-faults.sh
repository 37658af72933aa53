# fuse-faults: I/O faults injected by a FUSE filesystem (tests/lib/faultfs)
# on the source side (read EIO, short, slow, shrinking, growing and
# vanishing files) and the destination side (write EIO and ENOSPC, fsync
# EIO, close EIO, a flipped byte under --verify, SIGKILL).  Each ends with:
# no file at a final name that differs from its source, one diagnostic
# naming the path and the operation per failure, the documented exit
# status, no temp files left, no hang.  FUSE has no O_TMPFILE, so the
# destination side also runs ucp's named-temp path.
. "$(dirname "$0")/../lib/common.sh"
need_root "mounts a FUSE filesystem"
FAULTFS=$TESTS_DIR/lib/faultfs
[ -x "$FAULTFS" ] || skip "tests/lib/faultfs is not built (needs libfuse3-dev; make deps installs it)"
[ -c /dev/fuse ] || skip "no /dev/fuse"

MNT=$T/mnt
mkdir -p "$MNT" "$T/back"
mounted=0
cleanup_mount() {
	[ $mounted = 1 ] && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	mounted=0
}
trap 'cleanup_mount; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT

# mount_faults RULES: faultfs over $T/back on $MNT with these rules.
mount_faults() {
	cleanup_mount
	FAULTFS_RULES=$1 "$FAULTFS" "$T/back" "$MNT" -f 2>"$T/faultfs.err" &
	for _ in $(seq 100); do
		mountpoint -q "$MNT" && { mounted=1; return 0; }
		sleep 0.05
	done
	echo "FAIL: faultfs did not mount: $(cat "$T/faultfs.err")"
	exit 1
}

# A source tree: a few files of several sizes in two directories.
mk_src() {
	rm -rf "$1"; mkdir -p "$1/sub"
	mkfile "$1/a" 300000
	mkfile "$1/victim" 200000
	mkfile "$1/sub/b" 1000
	mkfile "$1/sub/c" 0
	mkfile "$1/shrinkme" 100000
	mkfile "$1/growme" 100000
	mkfile "$1/vanish" 5000
}

no_temps() {
	[ -z "$(find "$1" -name '.ucp.*' 2>/dev/null)" ] || fail "$2: temp files left: $(find "$1" -name '.ucp.*')"
}

# run_ucp NAME ARGS...: run with a time limit (a hang is a failure).
run_ucp() {
	local name=$1
	shift
	timeout 60 "$UCP" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc = 124 ] && fail "$name: hung"
}

# Every regular file that exists in $2 equals the one in $1.
published_exact() {
	local f
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" || fail "$3: $f is at its name but differs from its source"
	done < <(cd "$2" && find . -type f ! -name '.ucp.*' -print0)
}

# ---- source side: faults while reading from the FUSE mount ----
mk_src "$T/back/src"
mount_faults "read:victim:eio"
run_ucp "read EIO" -r "$MNT/src" "$T/d1"
[ $rc = 1 ] || fail "read EIO: exit $rc, want 1"
[ "$(cat "$T/err")" = "ucp: error reading '$MNT/src/victim': Input/output error" ] ||
	fail "read EIO: stderr: $(cat "$T/err")"
[ -e "$T/d1/victim" ] && fail "read EIO: the unreadable file was published"
published_exact "$T/back/src" "$T/d1" "read EIO"
[ -f "$T/d1/sub/b" ] && [ -f "$T/d1/a" ] || fail "read EIO: the other files were not copied"
no_temps "$T/d1" "read EIO"

mount_faults "read:*:short:1000"
run_ucp "short reads" -r "$MNT/src" "$T/d2"
[ $rc = 0 ] || fail "short reads: exit $rc: $(cat "$T/err")"
same_tree "$T/back/src" "$T/d2" || fail "short reads: tree differs"

mount_faults "read:*:delay:2000"
run_ucp "slow reads" -r "$MNT/src" "$T/d3"
[ $rc = 0 ] || fail "slow reads: exit $rc: $(cat "$T/err")"
same_tree "$T/back/src" "$T/d3" || fail "slow reads: tree differs"

for kind in shrink grow; do
	mount_faults "read:${kind}me:$kind:5000"
	run_ucp "$kind" -r "$MNT/src" "$T/d-$kind"
	[ $rc = 1 ] || fail "$kind: exit $rc, want 1"
	[ "$(cat "$T/err")" = "ucp: '$MNT/src/${kind}me': file changed as we read it" ] ||
		fail "$kind: stderr: $(cat "$T/err")"
	[ -e "$T/d-$kind/${kind}me" ] && fail "$kind: a file that changed was published"
	published_exact "$T/back/src" "$T/d-$kind" "$kind"
	no_temps "$T/d-$kind" "$kind"
done

# Listed, then gone when opened: cp's words in cp use, rsync's "vanished"
# (exit 24) with --sync.
mount_faults "open:vanish:enoent"
run_ucp "vanished" -r "$MNT/src" "$T/d4"
[ $rc = 1 ] || fail "vanished: exit $rc, want 1"
[ "$(cat "$T/err")" = "ucp: cannot open '$MNT/src/vanish' for reading: No such file or directory" ] ||
	fail "vanished: stderr: $(cat "$T/err")"
run_ucp "vanished --sync" --sync "$MNT/src" "$T/d5"
[ $rc = 24 ] || fail "vanished --sync: exit $rc, want 24"
[ "$(cat "$T/err")" = "ucp: file has vanished: '$MNT/src/vanish'" ] ||
	fail "vanished --sync: stderr: $(cat "$T/err")"
published_exact "$T/back/src" "$T/d5" "vanished --sync"
cleanup_mount

# ---- destination side: faults while writing to the FUSE mount ----
mk_src "$T/src"
rm -rf "$T/back"/*

mount_faults ""
run_ucp "named temps" -a "$T/src" "$MNT/ok"
[ $rc = 0 ] || fail "copy onto FUSE: exit $rc: $(cat "$T/err")"
same_tree --mode --times "$T/src" "$T/back/ok" || fail "copy onto FUSE: tree differs"
no_temps "$T/back/ok" "copy onto FUSE"
# A second run replaces every file (through named temps, renamed over).
touch "$T/src/a"
run_ucp "replace onto FUSE" -a "$T/src" "$MNT/ok2"
[ $rc = 0 ] || fail "copy onto FUSE (2): exit $rc: $(cat "$T/err")"
run_ucp "replace onto FUSE" -aT "$T/src" "$MNT/ok2"
[ $rc = 0 ] || fail "replace onto FUSE: exit $rc: $(cat "$T/err")"
same_tree --mode --times "$T/src" "$T/back/ok2" || fail "replace onto FUSE: tree differs"

i=0
for f in "write:victim:eio|error writing|Input/output error" \
	"write:victim:enospc|error writing|No space left on device" \
	"fsync:victim:eio|error syncing|Input/output error" \
	"flush:victim:eio|failed to close|Input/output error" \
	"read:victim:eio|error reading back|Input/output error|--verify"; do
	IFS='|' read -r rule what msg opt <<<"$f"
	mount_faults "$rule"
	i=$((i + 1))
	d=$MNT/w$i	# (a name that no rule matches)
	run_ucp "$rule" -r "${opt:---fsync}" "$T/src" "$d"
	[ $rc = 1 ] || fail "$rule: exit $rc, want 1"
	[ "$(cat "$T/err")" = "ucp: $what '$d/victim': $msg" ] || fail "$rule: stderr: $(cat "$T/err")"
	[ -e "$T/back/${d#$MNT/}/victim" ] && fail "$rule: the failed file was published"
	published_exact "$T/src" "$T/back/${d#$MNT/}" "$rule"
	[ -f "$T/back/${d#$MNT/}/a" ] || fail "$rule: the other files were not copied"
	no_temps "$T/back/${d#$MNT/}" "$rule"
done

# Files named one by one into a directory: its single fsync after the
# run (main.c) fails, is reported with its name, and fails the exit.
mkdir -p "$T/back/fsd"
mount_faults "fsyncdir:fsd:eio"
run_ucp "fsyncdir EIO" --fsync "$T/src/a" "$T/src/victim" "$MNT/fsd"
[ $rc = 1 ] || fail "fsyncdir EIO: exit $rc, want 1"
[ "$(cat "$T/err")" = "ucp: error syncing '$MNT/fsd': Input/output error" ] ||
	fail "fsyncdir EIO: stderr: $(cat "$T/err")"
cmp -s "$T/src/a" "$T/back/fsd/a" && cmp -s "$T/src/victim" "$T/back/fsd/victim" ||
	fail "fsyncdir EIO: the files were not copied"

# A failed replacement keeps the old content at the name.
mkdir -p "$T/back/keep" && printf 'old\n' >"$T/back/keep/victim"
mount_faults "write:victim:eio"
run_ucp "replace, write EIO" "$T/src/victim" "$MNT/keep/victim"
[ $rc = 1 ] || fail "replace, write EIO: exit $rc"
[ "$(cat "$T/back/keep/victim")" = old ] || fail "replace, write EIO: the old content is gone"
no_temps "$T/back/keep" "replace, write EIO"

# --verify reads the copy back: a byte lost by the medium fails the file.
mount_faults "write:victim:flip:100"
run_ucp "--verify, flipped byte" -r --verify "$T/src" "$MNT/v"
[ $rc = 1 ] || fail "--verify: exit $rc, want 1"
[ "$(cat "$T/err")" = "ucp: '$MNT/v/victim': verification failed: the data read back differs from the source" ] ||
	fail "--verify: stderr: $(cat "$T/err")"
[ -e "$T/back/v/victim" ] && fail "--verify: a corrupt copy was published"
published_exact "$T/src" "$T/back/v" "--verify"
# ... and short reads of it are continued (a read error fails it: above).
mount_faults "read:*:short:1000"
run_ucp "--verify, short read-back" -r --verify "$T/src" "$MNT/vs"
[ $rc = 0 ] || fail "--verify, short read-back: exit $rc: $(cat "$T/err")"
same_tree "$T/src" "$T/back/vs" || fail "--verify, short read-back: tree differs"
mount_faults "write:victim:flip:100"
run_ucp "no --verify, flipped byte" -r "$T/src" "$MNT/nv"
[ $rc = 0 ] && ! cmp -s "$T/src/victim" "$T/back/nv/victim" ||
	fail "the flip rule did not corrupt an unverified copy (the test proves nothing)"

# SIGKILL while named temps exist (in a directory that existed: there each
# file is a named temp until complete): a rerun removes them and completes.
mkdir -p "$T/back/k"
mount_faults "write:*:delay:200000"	# 0.2 s a write: seconds in all
"$UCP" -rT "$T/src" "$MNT/k" 2>/dev/null &
pid=$!
for _ in $(seq 500); do
	[ -n "$(find "$T/back/k" -name '.ucp.*' 2>/dev/null)" ] && break
	sleep 0.01
done
[ -n "$(find "$T/back/k" -name '.ucp.*' 2>/dev/null)" ] || fail "SIGKILL: no temp file was seen (the test proves nothing)"
{ kill -KILL $pid; wait $pid; } 2>/dev/null
published_exact "$T/src" "$T/back/k" "SIGKILL"
mount_faults ""
run_ucp "rerun after SIGKILL" -rT "$T/src" "$MNT/k"
[ $rc = 0 ] || fail "rerun after SIGKILL: exit $rc: $(cat "$T/err")"
same_tree "$T/src" "$T/back/k" || fail "rerun after SIGKILL: tree differs"
no_temps "$T/back/k" "rerun after SIGKILL"

# SIGKILL while a new tree is built under its temp name: its name never
# appears, and a rerun into the same parent removes the temp tree.
mount_faults "write:*:delay:200000"
"$UCP" -r "$T/src" "$MNT/k2" 2>/dev/null &
pid=$!
for _ in $(seq 500); do
	[ -n "$(find "$T/back" -maxdepth 1 -name '.ucp.*' 2>/dev/null)" ] && break
	sleep 0.01
done
[ -n "$(find "$T/back" -maxdepth 1 -name '.ucp.*')" ] || fail "staged SIGKILL: no temp tree was seen"
{ kill -KILL $pid; wait $pid; } 2>/dev/null
[ -e "$T/back/k2" ] && fail "staged SIGKILL: the name appeared before the tree was complete"
mount_faults ""
run_ucp "rerun after staged SIGKILL" -r "$T/src" "$MNT/k2"
[ $rc = 0 ] || fail "rerun after staged SIGKILL: exit $rc: $(cat "$T/err")"
same_tree "$T/src" "$T/back/k2" || fail "rerun after staged SIGKILL: tree differs"
[ -z "$(find "$T/back" -maxdepth 1 -name '.ucp.*')" ] || fail "staged SIGKILL: temp tree left after the rerun"

# A filesystem whose stats are slow (2 ms each): the STATX of every name
# goes on the ring, many at once, and the mirror is right.
rm -rf "$T/back/slow"
"$UCP" --sync "$T/src" "$T/back/slow" || fail "slow stats: making the mirror"
for i in $(seq 1 150); do printf '%s\n' "$i" >"$T/src/many$i"; done
mount_faults "getattr:*:delay:2000"
timeout 120 "$UCP" --sync "$T/src" "$MNT/slow" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 0 ] || fail "slow stats: exit $rc: $(cat "$T/err")"
mount_faults ""
same_tree --mode --times "$T/src" "$T/back/slow" || fail "slow stats: mirror differs"
rm -f "$T"/src/many*

# -i asks about the operands in their order even when the first one's
# destination is slow to stat, so piped answers meet the questions cp
# would ask: yes for slowa, no for b.
rm -rf "$T/back/ask"
mkdir "$T/back/ask"
printf 'old\n' >"$T/back/ask/slowa"
printf 'old\n' >"$T/back/ask/b"
mount_faults "getattr:ask/slowa:delay:300000"
(cd "$T/src" && printf 'new\n' >slowa && printf 'new\n' >b &&
	printf 'y\nn\n' | timeout 60 "$UCP" -i slowa b "$MNT/ask" 2>"$T/err")
rc=$?
mount_faults ""
[ $rc = 0 ] || fail "-i in order: exit $rc: $(cat "$T/err")"
[ "$(cat "$T/err")" = "ucp: overwrite '$MNT/ask/slowa'? ucp: overwrite '$MNT/ask/b'? " ] ||
	fail "-i in order: questions: $(cat "$T/err")"
[ "$(cat "$T/back/ask/slowa")" = new ] && [ "$(cat "$T/back/ask/b")" = old ] ||
	fail "-i in order: answers met the wrong files"
rm -f "$T/src/slowa" "$T/src/b"
cleanup_mount
done_test
