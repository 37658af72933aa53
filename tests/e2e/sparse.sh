# sparse: holes in a source stay holes in the copy (cp's --sparse=auto):
# head, middle and tail holes, an all-hole file; contents equal, and the
# copy allocates no more than the source.  --sparse=always and =never
# allocate what GNU cp's copies allocate.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir "$S"
python3 - "$S" <<'PY'
import os, sys
top = sys.argv[1]
M = 1 << 20
def mk(name, size, extents):
    fd = os.open(os.path.join(top, name), os.O_WRONLY | os.O_CREAT, 0o644)
    for off, n in extents:
        os.pwrite(fd, os.urandom(n), off)
    os.ftruncate(fd, size)
    os.close(fd)
mk("head-hole", 8 * M, [(6 * M, 2 * M)])
mk("tail-hole", 8 * M, [(0, M)])
mk("middle", 16 * M, [(0, M), (5 * M, 12345), (15 * M, M)])
mk("all-hole", 64 * M, [])
mk("vm-image", 64 * M, [(i * 4 * M, M) for i in range(16)])
# Dense, with runs of zeros: --sparse=always makes them holes, blocks
# aligned in the file, a partial zero tail included.
with open(os.path.join(top, "zeros"), "wb") as f:
    f.write(os.urandom(5000) + bytes(20000) + os.urandom(100) + bytes(M) +
            os.urandom(3) + bytes(9000))
PY
# Default requests, then small ones that end mid-extent.
for io in "" 4096; do
	rm -rf "$T/dst"
	UCP_TEST_IOSIZE=$io "$UCP" -r "$S" "$T/dst" || fail "exit status (iosize '$io')"
	same_tree "$S" "$T/dst" || fail "content differs (iosize '$io')"
	for f in "$S"/*; do
		n=${f##*/}
		sa=$(stat -c %b "$f"); da=$(stat -c %b "$T/dst/$n")
		[ "$da" -le $((sa + 64)) ] || fail "$n: copy allocates $da blocks, source $sa"
		[ "$(stat -c %s "$f")" = "$(stat -c %s "$T/dst/$n")" ] || fail "$n: size differs"
	done
done
# --sparse=WHEN against cp: the same allocation, the same data; with small
# requests too (zero blocks split across requests).
for when in always never auto; do
	for io in "" 3000; do
		rm -rf "$T/u" "$T/c"
		cp -r --sparse=$when "$S" "$T/c" || fail "cp --sparse=$when"
		UCP_TEST_IOSIZE=$io "$UCP" -r --sparse=$when "$S" "$T/u" ||
			fail "--sparse=$when (iosize '$io'): exit $?"
		same_tree "$S" "$T/u" || fail "--sparse=$when (iosize '$io'): content differs"
		# (within 64 blocks: chunks written out of order can take an
		# extent-tree block more than cp's sequential writes)
		for f in "$S"/*; do
			n=${f##*/}
			ua=$(stat -c %b "$T/u/$n"); ca=$(stat -c %b "$T/c/$n")
			[ "$ua" -le $((ca + 64)) ] && [ "$ua" -ge $((ca - 64)) ] ||
				fail "--sparse=$when (iosize '$io'): $n allocates $ua blocks, cp's copy $ca"
		done
	done
done
done_test
