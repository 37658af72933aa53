# options: -H, -l, -x, -u, --remove-destination, --strip-trailing-slashes,
# -Z/--context, --update=WHEN, -rs, --copy-contents give what GNU cp gives
# on the same input (trees, inode sharing, stdout, stderr, exit status);
# --keep-directory-symlink and --debug, which cp 9.1 lacks, what cp's
# documentation says.
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

fixture() {
	mkdir -p "$1/s/d" "$1/old" "$1/t" "$1/u/d"
	printf 'u\n' >"$1/u/f"
	printf 'ug\n' >"$1/u/d/g"
	printf 'new\n' >"$1/s/f"
	printf 'g\n' >"$1/s/d/g"
	ln -s f "$1/s/l"
	ln -s d "$1/s/dl"
	ln -s s "$1/slink"
	printf 'OLD\n' >"$1/old/f"
	printf 'OLD\n' >"$1/old/g"
	chmod 600 "$1/old/f"
	touch -d 2000-01-01 "$1/old/g"
	touch -d 2030-01-01 "$1/old/f"
}

# same_as_cp ARGS...: run in identical fixtures, compare everything.
same_as_cp() {
	rm -rf "$T/a" "$T/b"
	mkdir "$T/a" "$T/b"
	"${FIXTURE:-fixture}" "$T/a"
	"${FIXTURE:-fixture}" "$T/b"
	(cd "$T/a" && cp "$@" >../a.out 2>../a.err; echo $? >../a.rc)
	(cd "$T/b" && "$UCP" "$@" >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i -e 's/^cp: /ucp: /' -e "s/Try 'cp --help'/Try 'ucp --help'/" "$T/a.err"
	sort -o "$T/a.out" "$T/a.out"
	sort -o "$T/b.out" "$T/b.out"
	cmp -s "$T/a.rc" "$T/b.rc" || fail "ucp $*: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
	cmp -s "$T/a.out" "$T/b.out" || { fail "ucp $*: stdout differs"; diff "$T/a.out" "$T/b.out"; }
	cmp -s "$T/a.err" "$T/b.err" || { fail "ucp $*: stderr differs"; diff "$T/a.err" "$T/b.err"; }
	same_tree --mode --links "$T/a" "$T/b" || fail "ucp $*: trees differ"
}

same_as_cp -rH slink h
same_as_cp -rL s deref
same_as_cp -rL slink deref2
same_as_cp -L s/l followed
# With links preserved, a file that -L (or -H, for operands) reaches a
# second time through a symlink is linked to its first copy, one link or
# not; without, copied again.
same_as_cp -aL s derefa
same_as_cp -rL --preserve=links slink s deref3
same_as_cp --preserve=links s/l s/f old
same_as_cp -aH s/l s/d/g s/f old
same_as_cp -aH slink s/f old
same_as_cp -rl s linked
same_as_cp -rlP s linkedP
same_as_cp -l s/f hardf
same_as_cp -r --strip-trailing-slashes s/ stripped
same_as_cp -rv --strip-trailing-slashes s/// stripped2
same_as_cp -rv s/// notstripped
# Only with a target directory does cp strip them (and then names the
# operand without them); "SRC/ DEST" still follows a link to a directory.
same_as_cp -rv --strip-trailing-slashes slink/ stripped3
same_as_cp -rv --strip-trailing-slashes slink/ s/dl/ old
same_as_cp -rv --strip-trailing-slashes -t old slink/
same_as_cp -Z s/f z
same_as_cp --context=x s/f z
same_as_cp -u s/f old/f
same_as_cp -uv s/f s/d/g old
same_as_cp -r --remove-destination s/f old/f
same_as_cp s/f old/f
same_as_cp -rx s x
# --parents: the directories leading to SOURCE are made under DIRECTORY
# (with -v listed as cp lists them), existing ones left alone; without a
# directory destination it is refused with cp's words.
same_as_cp --parents s/d/g old
same_as_cp -v --parents s/d/g s/f old
same_as_cp -rv --parents s/d old
same_as_cp -pv --parents s/d/g old
same_as_cp -v --parents ./s/d/g old
same_as_cp --parents s/f newname
same_as_cp --parents -T s/f old
same_as_cp -r --parents s/. old
same_as_cp -r --parents s/d/.. old
same_as_cp -r --parents s/d/ old
# --attributes-only: new files are made empty, existing ones keep their
# data; only attributes are copied.
same_as_cp --attributes-only s/f new
same_as_cp --attributes-only s/f old/f
same_as_cp --attributes-only -p s/f old/g
same_as_cp -r --attributes-only s copy
same_as_cp -rv --attributes-only s/. old
# Operands that meet at the destination: cp copies them one after the
# other, ucp in rounds where they overlap.  The same entry named twice is
# skipped with a warning; a file over one an earlier operand just made is
# refused (unless -n, -u, -i or numbered backups decide); directories
# merge, the later operand's files winning.
same_as_cp s/f s/f t
same_as_cp -r s/d s/d t
same_as_cp -r s/d ./s/d/ t
same_as_cp s/d s/d t
same_as_cp s/f u/f t
same_as_cp -b s/f s/f t
same_as_cp -f s/f u/f t
same_as_cp --remove-destination -a s/f u/f t
same_as_cp --backup=numbered s/f u/f t
same_as_cp -n s/f u/f t
same_as_cp -u s/f u/f t
same_as_cp -l s/f u/f t
same_as_cp -d s/l u/f s/f t
same_as_cp -d --remove-destination s/l u/f t
same_as_cp -r s/. u/. t
same_as_cp -r u/. s/. t
same_as_cp -r s/d u/d t
same_as_cp -r u/f s/d/. t
same_as_cp -r s/d/. s/d t
same_as_cp -rL s/d s/dl t
same_as_cp -rH slink s t
same_as_cp -r s/d/g u/d/. t
same_as_cp -r --parents s s/d old
same_as_cp -rv --parents s/d/g s/d old
# Operands are ordered only where their destinations overlap: s/d/g after
# s/d (g's second copy makes the backup), with s/d.x sorting between them
# by bytes.
dotted_fixture() {
	fixture "$1"
	printf 'x\n' >"$1/s/d.x"
}
FIXTURE=dotted_fixture same_as_cp -r --parents --backup=numbered s/d s/d.x s/d/g old
FIXTURE=dotted_fixture same_as_cp -rv --parents -n s/d.x s/d s/d/g s/f old
rm -rf "$T/ov" && mkdir -p "$T/ov/big" "$T/ov/small" "$T/ov/t"
head -c $((32 << 20)) /dev/urandom >"$T/ov/big/f"
printf 'small\n' >"$T/ov/small/f"
"$UCP" -r "$T/ov/big/." "$T/ov/small/." "$T/ov/t" || fail "overlay: exit status"
cmp -s "$T/ov/small/f" "$T/ov/t/f" || fail "overlay: the first operand won"
rm -rf "$T/ov"
# Cycles through followed symlinks are refused (-L and -rl), like cp.
rm -rf "$T/cy" && mkdir -p "$T/cy/s/a" && printf x >"$T/cy/s/a/f"
ln -s .. "$T/cy/s/a/up"
ln -s nowhere "$T/cy/s/dang"
for o in -rL -rl; do
	(cd "$T/cy" && rm -rf c u && cp $o s c 2>c.err; echo $? >c.rc; "$UCP" $o s u 2>u.err; echo $? >u.rc)
	sed -i 's/^cp: /ucp: /' "$T/cy/c.err"
	sort -o "$T/cy/c.err" "$T/cy/c.err"; sort -o "$T/cy/u.err" "$T/cy/u.err"
	cmp -s "$T/cy/c.rc" "$T/cy/u.rc" || fail "cycle $o: exit $(cat "$T/cy/u.rc")"
	cmp -s "$T/cy/c.err" "$T/cy/u.err" || { fail "cycle $o: messages"; diff "$T/cy/c.err" "$T/cy/u.err"; }
	same_tree --links "$T/cy/c" "$T/cy/u" || fail "cycle $o: trees differ"
done

# cp 9.1 has no --update=WHEN: check it against the documented meaning.
rm -rf "$T/w" && mkdir "$T/w" && fixture "$T/w"
(cd "$T/w" && "$UCP" --update=none s/f old/f) || fail "--update=none exit status"
[ "$(cat "$T/w/old/f")" = OLD ] || fail "--update=none replaced the file"
(cd "$T/w" && "$UCP" --update=none-fail s/f old/f 2>"$T/err"); rc=$?
[ $rc = 1 ] || fail "--update=none-fail exit $rc"
grep -q "not replacing 'old/f'" "$T/err" || fail "--update=none-fail message: $(cat "$T/err")"
(cd "$T/w" && "$UCP" --update=all s/f old/f) && [ "$(cat "$T/w/old/f")" = new ] ||
	fail "--update=all did not replace"
(cd "$T/w" && "$UCP" --update=older s/d/g old/g) && [ "$(cat "$T/w/old/g")" = g ] ||
	fail "--update=older did not replace an older file"

# -x stops at a mount point (it is made, empty).
if [ "$(id -u)" = 0 ]; then
	rm -rf "$T/m" && mkdir -p "$T/m/s/mnt"
	printf 'x' >"$T/m/s/file"
	if mount -t tmpfs -o size=1m tmpfs "$T/m/s/mnt" 2>/dev/null; then
		printf 'inner' >"$T/m/s/mnt/inner"
		cp -rx "$T/m/s" "$T/m/c"
		"$UCP" -rx "$T/m/s" "$T/m/u" || fail "-x exit status"
		umount "$T/m/s/mnt"
		same_tree --mode "$T/m/c" "$T/m/u" || fail "-x differs from cp"
		[ -e "$T/m/u/mnt/inner" ] && fail "-x crossed the mount point"
	fi
fi
# -s with relative sources: only in the current directory; elsewhere
# refused before an existing name is found taken.
same_as_cp -s s/f ff
same_as_cp -s s/f t
same_as_cp -s s/f old/f
same_as_cp -sf s/f old/f
same_as_cp -rs u/d/. s/d
# A missing destination directory: -l and -s name the link they could
# not make; -v lists the file before the error, as cp does.
same_as_cp -l s/f nonexist/x
same_as_cp -rs s/f nonexist/x
same_as_cp -l s/f nodir/
same_as_cp -sv s/f nodir/
same_as_cp -v s/f nodir/
same_as_cp -rv s/f nonexist/x
# -v says "removed" where cp removes the entry before making the new one:
# --remove-destination, another hard link with links kept, anything but
# a regular file when nothing is dereferenced; not with a backup.
same_as_cp -v --remove-destination s/f old/f
same_as_cp -rv s/l old/f
same_as_cp -Pv s/l old/g
same_as_cp -v s/l old/f
same_as_cp -rbv s/l old/f
same_as_cp -rHv s/l old/f
same_as_cp -rv --remove-destination s/. u

# A destination reached through symlinks (cp's same_file_ok()): a link
# copied onto the file it points to would leave that file a link to
# itself, its data gone; a file onto a link to itself truncates it in cp.
# Both are refused, as are a directory onto itself, a file onto a link to
# a directory, and creating a file through a dangling link (also with -f,
# -n, -u); a backup or --remove-destination makes them copies.
links_fixture() {
	mkdir "$1/t"
	printf 'hi\n' >"$1/f"
	printf 'a\n' >"$1/t/a"
	ln "$1/f" "$1/hl"
	ln -s f "$1/l"
	ln -s l "$1/ll"
	ln -s nowhere "$1/dang"
	mkdir "$1/d"
	ln -s d "$1/dl"
	# -u compares with what the link leads to, not with the link
	touch -d 2030-01-01 "$1/f"
	touch -h -d 2000-01-01 "$1/l"
	# links to files elsewhere, written through (the file replaced,
	# the link kept), directly, in a chain, inside a tree
	printf 'g\n' >"$1/d/g"
	chmod 640 "$1/d/g"
	ln -s d/g "$1/lg"
	ln -s lg "$1/lc"
	mkdir -p "$1/u/t"
	ln -s ../../d/g "$1/u/t/a"
}
FIXTURE=links_fixture
for args in "-r l f" "-P l f" "-a ll f" "-P --remove-destination l f" \
	"-L --remove-destination l f" "-Pb l f" "-rs l f" "f l" "-r f ll" \
	"-f f l" "--remove-destination f l" "-b f l" "-rs f l" "-n f l" \
	"-u f l" "--remove-destination f hl" "-a --remove-destination hl f" \
	"f dang" "-n f dang" "-u f dang" "-f f dang" "-rL l dang" \
	"-b f dang" "--remove-destination f dang" "-rT t t" "-r t ." \
	"-rn t ." "-rlT t t" "-rbT t t" "-v f dang" "-T f dl" "-rT f dl" \
	"-bT f dl" "-T --remove-destination f dl" "-rT l dl" "-nT f t" \
	"-uT f t" "-rnT f d" "-ruT l d" "-av t/a hl" "-nT f dl" \
	"-uT t/a l" "f lg" "-p f lg" "-v f lc" "-r t u" "-a t u" "-n f lg" \
	"-b f lg" "--remove-destination f lg"; do
	# shellcheck disable=SC2086 # a word list
	same_as_cp $args
done
FIXTURE=fixture

# --no-preserve=mode: new entries get cp's default modes, not the
# source's (set-id bits dropped, a directory's sticky bit kept), unless a
# later -p/-a/--preserve=mode restores them; an existing file keeps its own.
modes_fixture() {
	mkdir -p "$1/s/d" "$1/e"
	printf 'hi\n' >"$1/s/f"
	printf 'e\n' >"$1/e/f"
	mkfifo -m 640 "$1/s/p"
	chmod 4750 "$1/s/f"
	chmod 600 "$1/e/f"
	chmod 2750 "$1/s/d"
	chmod 1700 "$1/s"
}
FIXTURE=modes_fixture
mask=$(umask)
umask 027
for args in "-r --no-preserve=mode s e" "-rp --no-preserve=mode s e" \
	"-r --no-preserve=all s e" "--no-preserve=mode -a s e" \
	"-a --no-preserve=mode --preserve=mode s e" \
	"--no-preserve=mode s/f e/f" "--no-preserve=mode s/f e/g"; do
	# shellcheck disable=SC2086 # a word list
	same_as_cp $args
done
umask "$mask"
FIXTURE=fixture
# -rs with absolute sources: links to each source file, as cp makes them.
rm -rf "$T/a" "$T/b"; mkdir "$T/a" "$T/b"; fixture "$T/a"
cp -rs "$T/a/s" "$T/a/sl-cp" || fail "cp -rs"
"$UCP" -rs "$T/a/s" "$T/a/sl-ucp" || fail "ucp -rs: exit $?"
same_tree --mode "$T/a/sl-cp" "$T/a/sl-ucp" || fail "-rs: trees differ from cp's"
[ "$(readlink "$T/a/sl-ucp/d/g")" = "$T/a/s/d/g" ] || fail "-rs: link target $(readlink "$T/a/sl-ucp/d/g")"

# --copy-contents: a FIFO in a tree is read (a writer feeds it) into a
# regular file, as cp does; without it, a FIFO is made and nothing waits.
for tool in cp "$UCP"; do
	rm -rf "$T/cc"; mkdir -p "$T/cc/s"; mkfifo "$T/cc/s/p"; printf 'f\n' >"$T/cc/s/f"
	(sleep 0.2; printf 'through the pipe\n' >"$T/cc/s/p") &
	timeout 10 "$tool" -r --copy-contents "$T/cc/s" "$T/cc/d" || fail "$tool --copy-contents: exit $?"
	wait
	[ -f "$T/cc/d/p" ] && [ "$(cat "$T/cc/d/p")" = "through the pipe" ] ||
		fail "$tool --copy-contents: $(ls -l "$T/cc/d")"
	timeout 10 "$tool" -r "$T/cc/s" "$T/cc/e" || fail "$tool -r with a FIFO: exit $?"
	[ -p "$T/cc/e/p" ] || fail "$tool -r did not make a FIFO"
done

# --keep-directory-symlink (cp 9.1 has none): a symlink to a directory at
# a destination directory's name is followed and the copy merges into
# its target; without the option it is refused as a non-directory.
rm -rf "$T/k"; mkdir -p "$T/k/s/d" "$T/k/real" "$T/k/out"
printf 'g\n' >"$T/k/s/d/g"
ln -s ../real "$T/k/out/d"
"$UCP" -r "$T/k/s/d" "$T/k/out" 2>"$T/err" && fail "a directory copied onto a symlink"
grep -q "cannot overwrite non-directory '$T/k/out/d' with directory" "$T/err" ||
	fail "without --keep-directory-symlink: $(cat "$T/err")"
"$UCP" -r --keep-directory-symlink "$T/k/s/d" "$T/k/out" || fail "--keep-directory-symlink: exit $?"
[ -L "$T/k/out/d" ] && [ "$(cat "$T/k/real/g" 2>/dev/null)" = g ] ||
	fail "--keep-directory-symlink did not copy into the link's directory"

# --debug (GNU cp 9.1 here has none to compare with): -v's line, then how
# the data got there, in cp 9.2's words plus the method; nothing for a
# hard link.
mkdir -p "$T/dbg"
printf 'data\n' >"$T/dbg/f"
truncate -s 1M "$T/dbg/holes"
out=$(cd "$T/dbg" && "$UCP" --debug --reflink=never f g)
[ "$(sed -n 1p <<<"$out")" = "'f' -> 'g'" ] || fail "--debug: first line: $out"
[ "$(wc -l <<<"$out")" = 2 ] || fail "--debug: not two lines: $out"
grep -Eqx "copy offload: no, reflink: avoided, sparse detection: no, method: $UCP_ENGINE engine, 128 KiB requests" <<<"$out" ||
	fail "--debug said: $out"
out=$(cd "$T/dbg" && "$UCP" --debug holes h2)
grep -q 'sparse detection: SEEK_HOLE, ' <<<"$out" || fail "--debug on a sparse file said: $out"
out=$(cd "$T/dbg" && "$UCP" --debug -l f hl)
[ "$out" = "'f' -> 'hl'" ] || fail "--debug -l said: $out"

# --parents makes its directories with cp's modes: the source's (0777
# with --no-preserve=mode) under the umask, opened to their owner while
# copied into, then given the mode they were made with (the source's
# with -p).  As an unprivileged user a read-only source directory must
# not stop the copy into its copy.
parents_modes() {
	local um m o side
	for um in 022 077; do
	for m in 700 555 1777 2750; do
	for o in "" -p --no-preserve=mode "-a --no-preserve=all" \
		 --preserve=ownership; do
		for side in a b; do
			rm -rf "${T:?}/$side"
			mkdir -p "$T/$side/s/x" "$T/$side/d"
			printf 'f\n' >"$T/$side/s/x/f"
			chmod "$m" "$T/$side/s/x"
			[ $# = 0 ] || chown -R 65534:65534 "$T/$side"
		done
		# shellcheck disable=SC2086 # $o is a word list
		(cd "$T/a" && umask $um && "$@" cp --parents $o s/x/f d 2>&1; echo "exit $?") >"$T/a.out"
		# shellcheck disable=SC2086
		(cd "$T/b" && umask $um && "$@" "$UCP" --parents $o s/x/f d 2>&1; echo "exit $?") >"$T/b.out"
		sed -i 's/^cp: /ucp: /' "$T/a.out"
		for side in a b; do
			(cd "$T/$side/d" && stat -c '%n %a %U' s s/x s/x/f 2>&1) >>"$T/$side.out"
		done
		cmp -s "$T/a.out" "$T/b.out" || {
			fail "--parents $o, source dir $m, umask $um${1:+, as $1}:"
			diff "$T/a.out" "$T/b.out"
		}
		chmod -R u+rwx "$T/a" "$T/b"
	done
	done
	done
}
parents_modes
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$T"
	parents_modes setpriv --reuid=65534 --regid=65534 --clear-groups
else
	echo "note: not root (or no setpriv): --parents as an unprivileged user is not run"
fi
done_test
