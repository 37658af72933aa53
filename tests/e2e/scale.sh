# scale: 100,000 entries in one directory, and 1,000,000 empty files in
# 1,000 directories copied with a peak RSS under 200 MiB (the walk keeps a
# bounded queue, not the tree, in memory).  On a tmpfs of its own (root),
# so that it neither fills nor slows the test machine's disk.
. "$(dirname "$0")/../lib/common.sh"
need_root "mounts a tmpfs for 2 million inodes"
[ -x /usr/bin/time ] || skip "needs GNU time (/usr/bin/time) for the peak RSS"
M=$T/mnt
mkdir "$M"
mount -t tmpfs -o size=4g,nr_inodes=3000000 tmpfs "$M" || skip "cannot mount a tmpfs"
trap 'umount -l "$M"; rm -rf "$T"' EXIT

# Makes DIRS directories of FILES empty files (plus, in the first, one
# with data, so that contents are compared too).
python3 - "$M/wide" 1 100000 "$M/many" 1000 1000 <<'PY'
import os, sys
for top, ndirs, nfiles in ((sys.argv[1], int(sys.argv[2]), int(sys.argv[3])),
                           (sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))):
    os.mkdir(top)
    for d in range(ndirs):
        dd = os.path.join(top, "d%04d" % d) if ndirs > 1 else top
        if ndirs > 1:
            os.mkdir(dd)
        for f in range(nfiles):
            os.close(os.open(os.path.join(dd, "f%06d" % f), os.O_CREAT | os.O_WRONLY, 0o644))
    with open(os.path.join(top, "data"), "w") as f:
        f.write("some data\n")
PY
[ $? = 0 ] || { echo "FAIL: cannot make the trees"; exit 1; }

"$UCP" -r "$M/wide" "$M/wide2" || fail "100,000 entries in one directory: exit $?"
[ "$(find "$M/wide2" -maxdepth 1 -type f | wc -l)" = 100001 ] ||
	fail "100,000 entries in one directory: $(find "$M/wide2" -maxdepth 1 -type f | wc -l) copied"
same_tree --mode "$M/wide" "$M/wide2" || fail "100,000 entries in one directory: tree differs"

/usr/bin/time -f %M -o "$T/rss" "$UCP" -r "$M/many" "$M/many2" || fail "1,000,000 files: exit $?"
n=$(find "$M/many2" -type f | wc -l)
[ "$n" = 1000001 ] || fail "1,000,000 files: $n copied"
cmp -s "$M/many/data" "$M/many2/data" || fail "1,000,000 files: data differs"
rss=$(($(tail -1 "$T/rss") / 1024))
echo "note: peak RSS for 1,000,000 files: $rss MiB"
# (ASan's shadow memory and quarantine would measure the sanitizer.)
if [ "${SANITIZE:-}" != 1 ]; then
	[ $rss -lt 200 ] || fail "1,000,000 files: peak RSS $rss MiB, want < 200"
fi
done_test
