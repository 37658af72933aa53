# --checksum-file=FILE: one "<xxh128>  <path>" line per regular file
# written (hard links too), which xxh128sum -c checks without ucp; the same
# with --sync (the files it transferred), with clones of holes and short
# requests; a name with a newline is written escaped; an unwritable FILE
# fails the run before anything is copied.
. "$(dirname "$0")/../lib/common.sh"
command -v xxh128sum >/dev/null || skip "xxh128sum not installed (make deps installs xxhash)"
S=$T/src
mkdir -p "$S/d/e" "$S/sp ace"
for n in 0 1 4096 131073 700000; do mkfile "$S/f$n" "$n"; done
for i in $(seq 1 20); do mkfile "$S/d/e/g$i" $((i * 5003)); done
mkfile "$S/sp ace/back\\slash" 1234
ln "$S/f4096" "$S/d/hard"
ln -s f1 "$S/link"
python3 -c 'import sys
f = open(sys.argv[1], "wb"); f.seek(1 << 20); f.write(b"x" * 5000); f.truncate(3 << 20)' "$S/sparse"

nfiles=$(find "$S" -type f | wc -l)
cd "$T" || exit 1
for io in "" 4096; do
	rm -rf dst sums
	UCP_TEST_IOSIZE=$io "$UCP" -a --checksum-file=sums src dst || fail "ucp -a --checksum-file: exit $?"
	[ "$(wc -l <sums)" = "$nfiles" ] || fail "sums has $(wc -l <sums) lines for $nfiles files"
	xxh128sum -c --quiet sums || fail "xxh128sum -c rejects the manifest (iosize ${io:-default})"
	grep -q '^[0-9a-f]\{32\}  dst/d/hard$' sums || fail "the hard link is not listed"
	grep -q 'dst/link' sums && fail "a symlink is listed"
done
# A damaged copy is caught by the manifest (it lists the source's hash).
printf 'X' | dd of=dst/f700000 bs=1 seek=100 conv=notrunc status=none
xxh128sum -c --quiet sums 2>/dev/null && fail "xxh128sum -c passed a damaged copy"

# --sync lists what it transferred; a rerun lists nothing.
rm -rf mirror
"$UCP" --sync --checksum-file=sync1 src mirror || fail "--sync --checksum-file"
[ "$(wc -l <sync1)" = "$nfiles" ] || fail "--sync listed $(wc -l <sync1) of $nfiles files"
xxh128sum -c --quiet sync1 || fail "xxh128sum -c rejects the --sync manifest"
"$UCP" --sync --checksum-file=sync2 src mirror || fail "--sync rerun"
[ -s sync2 ] && fail "an unchanged --sync listed: $(cat sync2)"

# A newline in a name: escaped as GNU's *sum tools write it.
mkdir nl && printf 'z' >"nl/a"$'\n'"b"
"$UCP" -r --checksum-file=nlsum nl nlcopy || fail "copy of a name with a newline"
[ "$(wc -l <nlsum)" = 1 ] && [ "$(head -c1 nlsum)" = '\' ] &&
	grep -q '^\\[0-9a-f]\{32\}  nlcopy/a\\nb$' nlsum ||
	fail "the newline name was written as: $(cat -A nlsum)"

# An unwritable manifest: nothing is copied, exit 1 (cp) / 11 (--sync).
"$UCP" -r --checksum-file=no/such/sums src never 2>err
[ $? = 1 ] || fail "unwritable manifest: exit status"
grep -qxF "ucp: cannot open 'no/such/sums' for writing: No such file or directory" err ||
	fail "unwritable manifest said: $(cat err)"
[ -e never ] && fail "copied although the manifest could not be made"
"$UCP" --sync --checksum-file=no/such/sums src never2 2>/dev/null
[ $? = 11 ] || fail "--sync with an unwritable manifest: exit status"
done_test
