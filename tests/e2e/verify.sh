# --verify and --fsync.  A verified copy of a tree whose files span chunk
# boundaries, holes and short reads is exact and reports nothing; a copy
# damaged after it was written (UCP_TEST_CORRUPT, as a disk losing a write)
# is published without --verify (the injector works) and never with it:
# the file fails with a message naming it, an older file at its name stays,
# the other files complete, no temp is left, and the exit status says so,
# in cp use (1) and with --sync (23).  --fsync flushes every file and every
# destination directory.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S/d/e"
for n in 0 1 4095 4096 4097 131071 131072 131073 1000000; do
	mkfile "$S/f$n" "$n"
done
for i in $(seq 1 30); do mkfile "$S/d/e/g$i" $((i * 7919)); done
python3 -c 'import sys
f = open(sys.argv[1], "wb")
for off in (0, 3 << 20, 7 << 20):
    f.seek(off); f.write(b"data%d" % off * 5000)
f.truncate(10 << 20)' "$S/sparse"
printf 'victim\n%.0s' $(seq 1 2000) >"$S/d/victim"

# temps NAME...: the temp files a run left in its destination.
temps() { find "$@" -name '.ucp*' -o -name '*.tmp*' | head -3; }

# (Short reads, 40% of them cut: the read-back continues them.)
for io in "" 4096 1021 short; do
	rm -rf "$T/dst"
	short=0
	[ "$io" = short ] && io=4096 short=40
	UCP_TEST_IOSIZE=$io UCP_TEST_OVERREAD=$([ -n "$io" ] && echo 2 || echo 0) \
		UCP_TEST_SHORT_READS=$short \
		"$UCP" -r --verify "$S" "$T/dst" 2>"$T/err" ||
		fail "ucp -r --verify (iosize ${io:-default}, short $short%): exit $?: $(cat "$T/err")"
	[ -s "$T/err" ] && fail "ucp -r --verify printed: $(cat "$T/err")"
	same_tree "$S" "$T/dst" || fail "ucp -r --verify (iosize ${io:-default}, short $short%): trees differ"
done
# Holes stay holes when verified.
[ "$(stat -c %b "$T/dst/sparse")" -lt 2000 ] || fail "--verify filled the holes of sparse"

# The injector: without --verify, the damage goes through unnoticed.
rm -rf "$T/dst"
UCP_TEST_CORRUPT=victim "$UCP" -r "$S" "$T/dst" || fail "damaged copy without --verify: exit $?"
cmp -s "$S/d/victim" "$T/dst/d/victim" && fail "UCP_TEST_CORRUPT damaged nothing"

# With --verify: not published, named, others complete.
for eng_io in "" 4096; do
	rm -rf "$T/dst"
	UCP_TEST_IOSIZE=$eng_io UCP_TEST_CORRUPT=victim "$UCP" -r --verify "$S" "$T/dst" 2>"$T/err"
	rc=$?
	[ $rc = 1 ] || fail "damaged copy with --verify: exit $rc, want 1"
	grep -qxF "ucp: '$T/dst/d/victim': verification failed: the data read back differs from the source" "$T/err" ||
		fail "the diagnostic was: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "more than one diagnostic: $(cat "$T/err")"
	[ -e "$T/dst/d/victim" ] && fail "the damaged copy was published"
	rm -f "$S/d/victim.keep" && mv "$S/d/victim" "$T/victim.keep"
	same_tree "$S" "$T/dst" || fail "the other files differ after a failed verification"
	mv "$T/victim.keep" "$S/d/victim"
	[ -z "$(temps "$T/dst")" ] || fail "temps left: $(temps "$T/dst")"
done

# Replacing: the older file at the name stays.
rm -rf "$T/dst" && "$UCP" -r "$S" "$T/dst" || fail "plain copy"
printf 'old\n' >"$T/dst/d/victim"
UCP_TEST_CORRUPT=victim "$UCP" -r --verify "$S/." "$T/dst" 2>"$T/err"
[ $? = 1 ] || fail "replacing with a damaged copy: exit status"
[ "$(cat "$T/dst/d/victim")" = old ] || fail "the old file was replaced by a damaged copy"

# --sync: exit 23, the old file stays, and a clean rerun completes it.
rm -rf "$T/mirror"
"$UCP" --sync "$S" "$T/mirror" || fail "--sync"
printf 'changed\n' >>"$S/d/victim"
cp "$T/mirror/d/victim" "$T/before"
UCP_TEST_CORRUPT=victim "$UCP" --sync --verify "$S" "$T/mirror" 2>"$T/err"
rc=$?
[ $rc = 23 ] || fail "--sync --verify with a damaged copy: exit $rc, want 23"
grep -q "verification failed" "$T/err" || fail "--sync diagnostic: $(cat "$T/err")"
cmp -s "$T/before" "$T/mirror/d/victim" || fail "--sync replaced the file with a damaged copy"
"$UCP" --sync --verify "$S" "$T/mirror" || fail "--sync --verify rerun: exit $?"
same_tree --mode --times "$S" "$T/mirror" || fail "--sync --verify rerun: trees differ"

# --fsync: one successful fsync per file and per destination directory
# (the parent of the destination included).  The ring's FSYNCs are not
# syscalls strace can see: here they run as plain fsync calls
# (UCP_RING_DISABLE=fsync); fuse-faults.sh has a failing one on the ring.
if command -v strace >/dev/null; then
	rm -rf "$T/dst"
	# (LeakSanitizer cannot run under ptrace: off for this run)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		UCP_RING_DISABLE=fsync strace -f -qq -e trace=fsync -o "$T/strace" "$UCP" -r --fsync "$S" "$T/dst" ||
		fail "ucp -r --fsync: exit $?"
	same_tree "$S" "$T/dst" || fail "ucp -r --fsync: trees differ"
	want=$(( $(find "$S" | wc -l) + 1 ))
	got=$(grep -c 'fsync.*= 0$' "$T/strace")  # (also the "<... fsync resumed>" halves)
	[ "$got" = "$want" ] || fail "--fsync: $got successful fsyncs, want $want"
	# Files named one by one into a directory: each file, and the
	# directory once, not once per operand.
	mkdir "$T/ops" "$T/opsd"
	for i in $(seq 40); do echo "$i" >"$T/ops/f$i"; done
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		UCP_RING_DISABLE=fsync strace -f -qq -e trace=fsync -o "$T/strace" "$UCP" --fsync "$T"/ops/f* "$T/opsd" ||
		fail "ucp --fsync f* DIR: exit $?"
	diff -r "$T/ops" "$T/opsd" || fail "ucp --fsync f* DIR: trees differ"
	got=$(grep -c 'fsync.*= 0$' "$T/strace")
	[ "$got" = 41 ] || fail "--fsync f* DIR: $got successful fsyncs, want 41"
else
	rm -rf "$T/dst"
	"$UCP" -r --fsync "$S" "$T/dst" && same_tree "$S" "$T/dst" || fail "ucp -r --fsync"
	echo "note: strace not installed; fsync calls not counted"
fi
done_test
