# seccomp: a container's profile that refuses syscalls.  io_uring_setup
# refused with EPERM (Docker's default profile): one notice, an exact copy
# with the synchronous engine.  openat2 refused with ENOSYS (or EPERM, as
# runtimes answer syscalls they do not know): destination names fall back
# to openat with O_NOFOLLOW and the copy is exact, under every engine.
# renameat2 refused with EINVAL when asked for RENAME_NOREPLACE (a
# filesystem without it): new trees, replacements and --sync still work.
# Without a filter, destination names are opened with openat2 and
# RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS (seen with strace on the syscall
# engines; the ring's OPENAT2 is not visible to strace).
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
NOSYS=$TESTS_DIR/lib/nosys
[ -x "$NOSYS" ] || skip "tests/lib/nosys not built"
"$NOSYS" 38 openat2 -- true || skip "cannot install a seccomp filter here"
mkdir -p "$T/src/sub/deeper"
mkfile "$T/src/a" 300000
mkfile "$T/src/sub/b" 10
mkfile "$T/src/sub/deeper/c" 131073
mkfile "$T/src/sub/large" $((1536 << 10))	# replaced as an O_TMPFILE
ln -s a "$T/src/link"

if [ "${UCP_ENGINE:-ring}" = ring ]; then
	UCP_ENGINE= "$NOSYS" 1 io_uring_setup -- "$UCP" -r "$T/src" "$T/d1" 2>"$T/err" ||
		fail "io_uring_setup refused: exit $?"
	same_tree "$T/src" "$T/d1" || fail "io_uring_setup refused: tree differs"
	n=$(grep -c 'using the synchronous engine' "$T/err")
	[ "$n" = 1 ] || fail "io_uring_setup refused: expected one notice, got $n: $(cat "$T/err")"
fi

for e in 38 1; do
	rm -rf "$T/d2"
	"$NOSYS" $e openat2 -- "$UCP" -r "$T/src" "$T/d2" 2>"$T/err" ||
		fail "openat2 refused ($e): exit $?: $(cat "$T/err")"
	same_tree "$T/src" "$T/d2" || fail "openat2 refused ($e): tree differs"
	[ -s "$T/err" ] && fail "openat2 refused ($e): unexpected output: $(cat "$T/err")"
	# A second run over the copy (existing directories, replaced files).
	"$NOSYS" $e openat2 -- "$UCP" -r "$T/src/." "$T/d2" 2>"$T/err" ||
		fail "openat2 refused ($e), second run: exit $?: $(cat "$T/err")"
	same_tree "$T/src" "$T/d2" || fail "openat2 refused ($e), second run: tree differs"
done

if [ "${UCP_ENGINE:-ring}" != ring ] && command -v strace >/dev/null; then
	# (LeakSanitizer cannot run under ptrace: off there, under SANITIZE=1)
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	strace -f -qq -e trace=openat2 -o "$T/st" "$UCP" -r "$T/src" "$T/d3" ||
		fail "under strace: exit $?"
	same_tree "$T/src" "$T/d3" || fail "under strace: tree differs"
	grep -q 'openat2(.*"sub".*O_DIRECTORY.*RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH' "$T/st" ||
		fail "the destination directory was not opened with openat2: $(head -3 "$T/st")"
	# A new tree (built under a temp name): files created at their names.
	grep -q 'openat2(.*O_CREAT|O_EXCL.*RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH' "$T/st" ||
		fail "the new file was not made with openat2: $(head -3 "$T/st")"
	# Into the existing tree: replacements are made as named temps
	# (below 1 MiB) or O_TMPFILE.
	strace -f -qq -e trace=openat2 -o "$T/st" "$UCP" -rT "$T/src" "$T/d3" ||
		fail "under strace, replacing: exit $?"
	same_tree "$T/src" "$T/d3" || fail "under strace, replacing: tree differs"
	grep -q 'openat2(.*O_TMPFILE.*RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH' "$T/st" ||
		fail "the large file's temp was not made with openat2: $(head -3 "$T/st")"
	grep -q 'openat2(.*"\.ucp\.[^"]*\.b\.tmp".*O_CREAT|O_EXCL.*RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH' "$T/st" ||
		fail "the small file's temp was not made with openat2: $(grep -m3 'b\.tmp' "$T/st")"
	rm -rf "$T/d3"
	UCP_RING_DISABLE=openat2 strace -f -qq -e trace=openat2 -o "$T/st" "$UCP" -r "$T/src" "$T/d3" ||
		fail "openat2 disabled: exit $?"
	same_tree "$T/src" "$T/d3" || fail "openat2 disabled: tree differs"
	[ -s "$T/st" ] && fail "openat2 disabled, yet used: $(head -3 "$T/st")"
fi

# A filesystem without RENAME_NOREPLACE answers EINVAL (refused here only
# when renameat2 asks for it): a new tree, built under a temp name, still
# gets its name by a plain rename where the name is free; replacements and
# --sync work; no temp is left.
rm -rf "$T/d5" "$T/d6"
"$NOSYS" 22 renameat2-noreplace -- "$UCP" -r "$T/src" "$T/d5" 2>"$T/err" ||
	fail "no RENAME_NOREPLACE: exit $?: $(cat "$T/err")"
same_tree "$T/src" "$T/d5" || fail "no RENAME_NOREPLACE: tree differs"
"$NOSYS" 22 renameat2-noreplace -- "$UCP" -rT "$T/src" "$T/d5" 2>"$T/err" ||
	fail "no RENAME_NOREPLACE, replacing: exit $?: $(cat "$T/err")"
same_tree "$T/src" "$T/d5" || fail "no RENAME_NOREPLACE, replacing: tree differs"
"$NOSYS" 22 renameat2-noreplace -- "$UCP" --sync "$T/src" "$T/d6" 2>"$T/err" ||
	fail "no RENAME_NOREPLACE, --sync: exit $?: $(cat "$T/err")"
same_tree "$T/src" "$T/d6" || fail "no RENAME_NOREPLACE, --sync: tree differs"
[ -z "$(find "$T" -name '.ucp.*' -print -quit)" ] || fail "no RENAME_NOREPLACE: temp left"
if command -v strace >/dev/null; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	rm -rf "$T/d7"
	"$NOSYS" 22 renameat2-noreplace -- strace -f -qq -e trace=renameat2,renameat \
		-o "$T/st" "$UCP" -r "$T/src" "$T/d7" || fail "under strace: exit $?"
	same_tree "$T/src" "$T/d7" || fail "no RENAME_NOREPLACE, under strace: tree differs"
	grep -q 'renameat2(.*RENAME_NOREPLACE.*EINVAL' "$T/st" && grep -q 'renameat(.*"d7"' "$T/st" ||
		fail "the plain-rename fallback did not run: $(cat "$T/st")"
fi
done_test
