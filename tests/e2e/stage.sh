# stage: a directory copied to a new name is built under a temp name in
# the destination's parent and appears under its own name only when
# complete; a killed run's temp tree is removed by the next run there; a
# name that appears meanwhile is never replaced.  --sync's new DEST too.
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S/sub/deeper" "$S/ro"
# 2 x 8 MiB of dense data with a 5 ms pause per 128 KiB chunk written:
# about half a second, long enough to look at the copy while it runs.
python3 - "$S" <<'PY'
import os, sys
top = sys.argv[1]
for i in range(2):
    with open(os.path.join(top, "big%d" % i), "wb") as f:
        f.write(os.urandom(8 << 20))
for i in range(50):
    with open(os.path.join(top, "sub", "s%d" % i), "wb") as f:
        f.write(os.urandom(i * 10))
open(os.path.join(top, "sub", "deeper", "f"), "w").write("deep\n")
open(os.path.join(top, "ro", "f"), "w").write("in a read-only directory\n")
os.symlink("sub/s1", os.path.join(top, "link"))
os.link(os.path.join(top, "sub", "s2"), os.path.join(top, "hard"))
PY
chmod 555 "$S/ro"

temps() { find "$1" -maxdepth 1 -name '.ucp.*' | wc -l; }

# 1. While it runs, only the temp name exists; afterwards only the name.
UCP_TEST_SLOW_US=5000 "$UCP" -a "$S" "$T/dst" &
pid=$!
sleep 0.2
[ -e "$T/dst" ] && fail "the destination appeared before the copy was complete"
[ "$(temps "$T")" = 1 ] || fail "no temp tree while copying: $(ls -a "$T")"
wait $pid || fail "staged copy: exit status $?"
same_tree "$S" "$T/dst" || fail "staged copy differs"
[ "$(stat -c %h "$T/dst/hard")" = 2 ] || fail "hard links not kept in the staged tree"
[ "$(temps "$T")" = 0 ] || fail "temp tree left: $(ls -a "$T")"
# The top directory keeps its times (set before the rename).
[ "$(stat -c %Y "$S")" = "$(stat -c %Y "$T/dst")" ] || fail "top directory mtime not kept"

# 2. UCP_STAGE=0: the tree is built in place, as cp builds it.
rm -rf "$T/inplace"
UCP_STAGE=0 UCP_TEST_SLOW_US=5000 "$UCP" -r "$S" "$T/inplace" &
pid=$!
sleep 0.2
[ -d "$T/inplace" ] || fail "UCP_STAGE=0: the destination is not being built in place"
wait $pid || fail "UCP_STAGE=0: exit status"
same_tree "$S" "$T/inplace" || fail "UCP_STAGE=0: copy differs"

# 3. Killed: the temp tree stays (its files may be partial); the next run
# into the same parent removes it, but not the temp of a live process.
mkdir -p "$T/k"
UCP_TEST_SLOW_US=5000 "$UCP" -r "$S" "$T/k/dst" &
pid=$!
sleep 0.2
kill -KILL $pid
wait $pid 2>/dev/null
[ -e "$T/k/dst" ] && fail "killed run: the destination name appeared"
[ "$(temps "$T/k")" = 1 ] || fail "killed run: no temp tree to sweep"
# A read-only directory inside it must not stop the sweep.
for d in "$T"/k/.ucp.*; do [ -d "$d" ] || continue; mkdir -p "$d/ro2/x"; chmod 555 "$d/ro2"; done
mkdir "$T/k/.ucp.$$.0.0.live.tmp"	# this shell is alive: kept
"$UCP" -r "$S" "$T/k/again" || fail "run after the killed one failed"
same_tree "$S" "$T/k/again" || fail "run after the killed one differs"
[ -d "$T/k/.ucp.$$.0.0.live.tmp" ] || fail "a live process's temp was removed"
rmdir "$T/k/.ucp.$$.0.0.live.tmp"
[ "$(temps "$T/k")" = 0 ] || fail "killed run's temp tree not removed: $(ls -a "$T/k")"

# 4. The name is taken while the copy runs: not replaced, the copy stays
# complete under its temp name, and the message names both.
mkdir -p "$T/c"
UCP_TEST_SLOW_US=5000 "$UCP" -r "$S" "$T/c/dst" 2>"$T/c.err" &
pid=$!
sleep 0.2
mkdir "$T/c/dst"
wait $pid
rc=$?
[ $rc = 1 ] || fail "name taken: exit status $rc, want 1"
grep -q "^ucp: cannot move '$T/c/\.ucp\.[0-9.]*dst\.tmp' to '$T/c/dst': File exists$" "$T/c.err" ||
	fail "name taken: message: $(cat "$T/c.err")"
[ -z "$(ls -A "$T/c/dst")" ] || fail "name taken: the other directory was written into"
tmp=$(find "$T/c" -maxdepth 1 -name '.ucp.*')
[ -n "$tmp" ] && same_tree "$S" "$tmp" || fail "name taken: the staged copy is not complete"

# 5. A failing entry inside the tree: reported, the rest copied, no
# partial file (as non-root: an unreadable file).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/u"
	cp -r "$S/sub" "$T/u/src"
	chmod 000 "$T/u/src/s3"
	chown -R 65534:65534 "$T/u"
	chmod 755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$UCP" -r "$T/u/src" "$T/u/dst" 2>"$T/u.err"
	rc=$?
	[ $rc = 1 ] || fail "unreadable entry: exit status $rc"
	grep -q "cannot open '$T/u/src/s3' for reading: Permission denied" "$T/u.err" ||
		fail "unreadable entry: message: $(cat "$T/u.err")"
	[ -e "$T/u/dst/s3" ] && fail "unreadable entry: a file was left at its name"
	cmp -s "$T/u/src/s4" "$T/u/dst/s4" || fail "unreadable entry: the others were not copied"
	[ "$(temps "$T/u")" = 0 ] || fail "unreadable entry: temp tree left"
fi
# 6. --sync to a DEST that does not exist: the same, for the whole DEST.
mkdir -p "$T/s"
UCP_TEST_SLOW_US=5000 "$UCP" --sync "$S" "$T/s/mirror" &
pid=$!
sleep 0.2
[ -e "$T/s/mirror" ] && fail "--sync: DEST appeared before the run was over"
[ "$(temps "$T/s")" = 1 ] || fail "--sync: no temp DEST while syncing: $(ls -a "$T/s")"
wait $pid || fail "--sync staged: exit status $?"
same_tree --mode --times "$S" "$T/s/mirror" || fail "--sync staged: mirror differs"
[ "$(temps "$T/s")" = 0 ] || fail "--sync staged: temp left"
out=$("$UCP" --sync --itemize-changes "$S" "$T/s/mirror") || fail "--sync rerun: exit"
[ -z "$out" ] || fail "--sync rerun changed something: $out"
# Killed, then run again: the temp DEST is removed, the mirror made.
UCP_TEST_SLOW_US=5000 "$UCP" --sync "$S" "$T/s/m2" &
pid=$!
sleep 0.2
kill -KILL $pid
wait $pid 2>/dev/null
[ -e "$T/s/m2" ] && fail "--sync killed: DEST appeared"
"$UCP" --sync "$S" "$T/s/m2" || fail "--sync after a kill: exit status"
same_tree --mode --times "$S" "$T/s/m2" || fail "--sync after a kill: mirror differs"
[ "$(temps "$T/s")" = 0 ] || fail "--sync after a kill: temp DEST left: $(ls -a "$T/s")"
# UCP_STAGE=0: DEST is made first, as rsync makes it.
UCP_STAGE=0 UCP_TEST_SLOW_US=5000 "$UCP" --sync "$S" "$T/s/m3" &
pid=$!
sleep 0.2
[ -d "$T/s/m3" ] || fail "--sync, UCP_STAGE=0: DEST not made first"
wait $pid || fail "--sync, UCP_STAGE=0: exit status"
same_tree --mode --times "$S" "$T/s/m3" || fail "--sync, UCP_STAGE=0: mirror differs"
# 7. The sweep lists a directory once: operands that share their
# destination directory share its sweep (not one listing per operand),
# and a directory that existed is listed once, when it is done.
if command -v strace >/dev/null; then
	mkdir -p "$T/many/in" "$T/many/out/sub"
	for i in $(seq 40); do echo "$i" >"$T/many/in/f$i"; done
	mkdir "$T/many/in/sub"; echo s >"$T/many/in/sub/s"
	# (LeakSanitizer cannot run under ptrace.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=getdents64 -o "$T/gd" \
		"$UCP" -r "$T"/many/in/* "$T/many/out/" ||
		fail "many operands: exit status"
	n=$(grep -c 'getdents64(' "$T/gd")
	# out/ once (and its end-of-listing call), in/sub once, out/sub once
	[ "$n" -le 6 ] || fail "many operands: $n getdents64 calls, want <= 6"
	same_tree "$T/many/in" "$T/many/out" || fail "many operands: copy differs"
else
	echo "sweep count: skipped (strace is not installed)"
fi
chmod -R u+w "$S" "$T"
done_test
