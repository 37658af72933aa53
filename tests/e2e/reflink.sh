# reflink: on filesystems that share extents (loop-mounted btrfs and xfs)
# ucp clones by default (--reflink=auto, as cp 9) and with =always;
# --reflink=never copies; on ext4 =always fails as cp fails, =auto copies.
. "$(dirname "$0")/../lib/common.sh"
need_root "mounts loop filesystems"
command -v filefrag >/dev/null || skip "no filefrag (e2fsprogs)"
S=$T/src
mkdir "$S"
mkfile "$S/a" 3000000
mkfile "$S/b" 1
# Shared extents, as filefrag reports them.
shared() { filefrag -v "$1" 2>/dev/null | grep -c shared; }
tested=0
for fs in btrfs xfs; do
	command -v mkfs.$fs >/dev/null || { echo "note: no mkfs.$fs"; continue; }
	img=$T/$fs.img
	truncate -s 400M "$img"
	mkfs.$fs -q "$img" >/dev/null 2>&1 || mkfs.$fs "$img" >/dev/null 2>&1 || { echo "note: mkfs.$fs failed"; continue; }
	mkdir -p "$T/mnt"
	mount -o loop "$img" "$T/mnt" 2>/dev/null || { echo "note: cannot mount $fs"; continue; }
	tested=1
	"$UCP" -r "$S" "$T/mnt/src" && "$UCP" -r "$T/mnt/src" "$T/mnt/auto" || fail "$fs: copy failed"
	same_tree "$S" "$T/mnt/auto" || fail "$fs: auto copy differs"
	[ "$(shared "$T/mnt/auto/a")" -gt 0 ] || fail "$fs: --reflink=auto did not clone"
	"$UCP" -r --reflink=always "$T/mnt/src" "$T/mnt/always" || fail "$fs: =always failed"
	[ "$(shared "$T/mnt/always/a")" -gt 0 ] || fail "$fs: --reflink=always did not clone"
	"$UCP" -r --reflink=never "$T/mnt/src" "$T/mnt/never" || fail "$fs: =never failed"
	same_tree "$S" "$T/mnt/never" || fail "$fs: never copy differs"
	# The never copy shares nothing with a source that was itself copied.
	"$UCP" -r --reflink=never "$S" "$T/mnt/plain" || fail "$fs: plain copy failed"
	[ "$(shared "$T/mnt/plain/a")" = 0 ] || fail "$fs: --reflink=never shared extents"
	# --verify on a clone reads the source again: a clone damaged after
	# it was made is caught, an intact one passes.
	"$UCP" -r --verify "$T/mnt/src" "$T/mnt/verified" || fail "$fs: --verify of clones failed"
	[ "$(shared "$T/mnt/verified/a")" -gt 0 ] || fail "$fs: --verify did not clone"
	"$UCP" --debug "$T/mnt/src/a" "$T/mnt/dbg" | grep -q '^copy offload: unknown, reflink: yes, sparse detection: unknown, method: FICLONE$' ||
		fail "$fs: --debug does not say the file was cloned"
	UCP_TEST_CORRUPT=a "$UCP" -r --verify "$T/mnt/src" "$T/mnt/damaged" 2>"$T/err" &&
		fail "$fs: --verify published a damaged clone"
	grep -q "damaged/a': verification failed" "$T/err" || fail "$fs: --verify said: $(cat "$T/err")"
	[ -e "$T/mnt/damaged/a" ] && fail "$fs: the damaged clone is at its name"
	umount "$T/mnt"
done
[ $tested = 1 ] || skip "neither btrfs nor xfs could be mounted"
# ext4 (or whatever TMPDIR is) has no clones: =always fails like cp.
if ! cp --reflink=always "$S/a" "$T/cp-a" 2>/dev/null; then
	rm -f "$T/cp-a"
	cp --reflink=always "$S/a" "$T/c" 2>"$T/c.err"; c=$?
	"$UCP" --reflink=always "$S/a" "$T/u" 2>"$T/u.err"; u=$?
	sed -i 's/^cp: /ucp: /' "$T/c.err"
	sed -i "s|'$T/c'|'$T/u'|" "$T/c.err"
	[ $c = $u ] || fail "=always on a non-cloning fs: exit $u, cp $c"
	cmp -s "$T/c.err" "$T/u.err" || { fail "=always message"; diff "$T/c.err" "$T/u.err"; }
	[ -e "$T/u" ] && fail "=always left a file after failing"
	"$UCP" --reflink=auto "$S/a" "$T/auto" && cmp -s "$S/a" "$T/auto" || fail "=auto on a non-cloning fs"
fi
done_test
