# preserve: -p, -a, -d, -P, --preserve[=LIST] and --no-preserve keep what
# GNU cp keeps: modes (set-id included), owners, times to the nanosecond,
# hard-link groups, xattrs, POSIX ACLs, file capabilities, symlinks,
# FIFOs, sockets and (as root) device nodes; compared with cp's own result.
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"
S=$T/src
mkdir -p "$S/a/deep" "$S/b" "$S/ro"
printf 'data\n' >"$S/a/f"
mkfile "$S/a/big" 700000
ln "$S/a/f" "$S/b/hard1"
ln "$S/a/f" "$S/a/deep/hard2"
ln "$S/a/big" "$S/big-link"
printf 'x' >"$S/a/deep/x"
ln -s f "$S/a/sym"
ln -s ../nowhere "$S/b/dangling"
mkfifo "$S/fifo"
chmod 4751 "$S/a/big"
chmod 2755 "$S/a/deep/x"
chmod 0640 "$S/a/f"
printf 'r\n' >"$S/ro/f"
chmod 0555 "$S/ro"
chmod 1777 "$S/b"
xattrs=1
setfattr -n user.note -v hello "$S/a/f" 2>/dev/null || xattrs=0
[ $xattrs = 1 ] && setfattr -n user.dir -v d "$S/a/deep"
if [ "$(id -u)" = 0 ]; then
	chown 65534:65534 "$S/a/deep/x" "$S/b"
	chown -h 65534:65534 "$S/a/sym"
	mknod "$S/null" c 1 3 && mknod "$S/b/blk" b 7 250 || fail "mknod"
fi
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$S/sock"
# POSIX ACLs (access, and a directory's default) and, as root, a file
# capability: both are xattrs, kept by -a and --preserve=xattr.
acl=0
command -v setfacl >/dev/null && setfacl -m u:65534:rw,m::rw "$S/a/f" &&
	setfacl -d -m g:65534:rx "$S/a/deep" && acl=1
cap=0
[ "$(id -u)" = 0 ] && command -v setcap >/dev/null &&
	setcap cap_net_raw,cap_net_bind_service+ep "$S/a/deep/x" && cap=1
touch -d '2001-02-03 04:05:06.123456789' "$S/a/f" "$S/a/deep/x" "$S/fifo"
touch -h -d '2002-03-04 05:06:07.5' "$S/a/sym"
touch -d '2003-04-05 06:07:08.25' "$S/a/deep" "$S/a" "$S/b" "$S/ro"
opt_x=
[ $xattrs = 1 ] && opt_x=--xattrs

# compare OPTS...: run cp and ucp with OPTS on the tree and compare what
# they made (and their stderr and status).
compare() {
	local what=$1
	shift
	rm -rf "$T/c" "$T/u"
	cp "$@" "$S" "$T/c" 2>"$T/c.err"; echo $? >"$T/c.rc"
	"$UCP" "$@" "$S" "$T/u" 2>"$T/u.err"; echo $? >"$T/u.rc"
	sed -i 's/^cp: /ucp: /' "$T/c.err"
	cmp -s "$T/c.rc" "$T/u.rc" || fail "$*: exit $(cat "$T/u.rc"), cp $(cat "$T/c.rc")"
	cmp -s "$T/c.err" "$T/u.err" || { fail "$*: stderr differs"; diff "$T/c.err" "$T/u.err"; }
	same_tree $what "$T/c" "$T/u" || fail "$*: result differs from cp's"
}
compare "--mode --times --owner --links $opt_x" -a
compare "--mode --times --owner --links $opt_x" -dR --preserve=all
compare "--mode --times --owner" -rp
compare "--mode --times --owner" -r --preserve
compare "--mode --times" -r --preserve=mode,timestamps
compare "--mode --links" -r --preserve=links,mode
compare "--mode --times --links" -a --no-preserve=ownership
compare "--mode --owner --links $opt_x" -a --no-preserve=timestamps
compare "--mode" -rP
compare "--mode" -rd
# Attributes other than the mode: a directory made open to its owner (ro,
# 0555) still gets its own mode back.
compare "--mode --owner" -r --preserve=ownership
compare "--mode --times" -r --preserve=timestamps
compare "--mode $opt_x" -r --preserve=xattr
# The mode and owner are set only where the new file's differ from the
# source's (cp's rule): a restrictive umask or a default ACL in the
# destination make them differ, and the copy must still be exact.
old_umask=$(umask)
umask 077
compare "--mode --times --owner --links $opt_x" -a
umask "$old_umask"
if [ $acl = 1 ]; then
	mkdir -p "$T/dacl" && setfacl -d -m u::rwx,g::---,o::--- "$T/dacl"
	rm -rf "$T/dacl/c" "$T/dacl/u"
	cp -a "$S" "$T/dacl/c" && "$UCP" -a "$S" "$T/dacl/u" ||
		fail "-a under a default ACL failed"
	same_tree "--mode --times --owner --links $opt_x" "$T/dacl/c" "$T/dacl/u" ||
		fail "-a under a default ACL: result differs from cp's"
fi
# The ACLs and the capability by name, as getfacl and getcap show them.
rm -rf "$T/u" && "$UCP" -a "$S" "$T/u"
if [ $acl = 1 ]; then
	for f in a/f a/deep; do
		[ "$(cd "$S" && getfacl -p "$f")" = "$(cd "$T/u" && getfacl -p "$f")" ] ||
			fail "-a: ACL of $f differs: $(cd "$T/u" && getfacl -p "$f")"
	done
	getfacl -pn "$T/u/a/f" | grep -q '^user:65534:rw-' || fail "-a: ACL entry lost"
else
	echo "note: setfacl unavailable here; ACL checks not run"
fi
if [ $cap = 1 ]; then
	[ "$(getcap "$T/u/a/deep/x" | sed 's/^[^ ]* //')" = "$(getcap "$S/a/deep/x" | sed 's/^[^ ]* //')" ] ||
		fail "-a: capability not kept: '$(getcap "$T/u/a/deep/x")'"
	[ "$(stat -c %u:%g "$T/u/a/deep/x")" = 65534:65534 ] || fail "-a: owner of the file with a capability"
	rm -rf "$T/u2" && "$UCP" -r --preserve=mode "$S" "$T/u2"
	[ -z "$(getcap "$T/u2/a/deep/x")" ] || fail "capability kept without --preserve=xattr"
else
	echo "note: not root or no setcap; capability checks not run"
fi
if [ "$(id -u)" = 0 ]; then
	[ "$(stat -c '%F %t:%T' "$T/u/null")" = "character special file 1:3" ] &&
		[ "$(stat -c '%F %t:%T' "$T/u/b/blk")" = "block special file 7:fa" ] ||
		fail "-a: device nodes: $(stat -c '%n %F %t:%T' "$T/u/null" "$T/u/b/blk")"
fi
[ -S "$T/u/sock" ] || fail "-a: socket not recreated"
# Times really are kept (not just equal by accident): the copy's mtime is
# the source's, to the nanosecond.
rm -rf "$T/u" && "$UCP" -a "$S" "$T/u"
[ "$(stat -c %y "$T/u/a/f")" = "$(stat -c %y "$S/a/f")" ] || fail "-a: mtime not kept"
[ "$(stat -c %h "$T/u/a/f")" = 3 ] || fail "-a: hard links not kept ($(stat -c %h "$T/u/a/f"))"
# Hard-linked FIFOs, sockets and (as root) devices stay linked, as cp -a
# links them; -r makes separate nodes.
mkdir -p "$T/hs/sub"
mkfifo "$T/hs/p" && ln "$T/hs/p" "$T/hs/p2" && ln "$T/hs/p" "$T/hs/sub/p3"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/hs/sock" &&
	ln "$T/hs/sock" "$T/hs/sub/sock2"
[ "$(id -u)" = 0 ] && mknod "$T/hs/nul" c 1 3 && ln "$T/hs/nul" "$T/hs/sub/nul2"
links_of() { (cd "$1" && find . ! -type d -printf '%n %y %p\n' | sort -k3); }
for opt in -a -r; do
	rm -rf "$T/hc" "$T/hu"
	cp $opt "$T/hs" "$T/hc"
	"$UCP" $opt "$T/hs" "$T/hu" || fail "linked specials, $opt: exit $?"
	diff <(links_of "$T/hc") <(links_of "$T/hu") ||
		fail "linked specials, $opt: link counts differ from cp's"
	if [ $opt = -a ]; then
		[ "$(stat -c %i "$T/hu/p")" = "$(stat -c %i "$T/hu/sub/p3")" ] ||
			fail "-a: hard-linked FIFOs not linked"
	fi
done

# Without -r, -P copies a command-line symlink as a symlink.
"$UCP" -P "$S/a/sym" "$T/plink" && [ -L "$T/plink" ] || fail "-P did not keep the link"
"$UCP" "$S/a/sym" "$T/flink" && [ -f "$T/flink" ] && [ ! -L "$T/flink" ] || fail "default should follow"
# Bad attribute lists are refused as cp refuses them.
for arg in --preserve=bogus --preserve= --no-preserve=x "--preserve=mode,nope"; do
	cp $arg "$S/a/f" "$T/z" 2>"$T/c.err"; c=$?
	"$UCP" $arg "$S/a/f" "$T/z" 2>"$T/u.err"; u=$?
	sed -i -e 's/^cp: /ucp: /' -e "s/Try 'cp --help'/Try 'ucp --help'/" "$T/c.err"
	[ $c = $u ] || fail "$arg: exit $u, cp $c"
	cmp -s "$T/c.err" "$T/u.err" || { fail "$arg: message differs"; diff "$T/c.err" "$T/u.err"; }
done
# As an unprivileged user, a read-only file keeps its xattrs (setting one
# takes write permission on the copy, which it gets meanwhile, as from cp).
if [ $xattrs = 1 ] && [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$T/ux"
	printf 'ro\n' >"$T/ux/f"
	setfattr -n user.k -v kept "$T/ux/f"
	chmod 444 "$T/ux/f"
	chown -R 65534:65534 "$T/ux"
	chmod 755 "$T"
	for args in -a --preserve=xattr "--preserve=xattr,mode" "-a --no-preserve=mode"; do
		for side in c u; do
			rm -f "$T/ux/$side"
			prog=cp; [ $side = u ] && prog=$UCP
			# shellcheck disable=SC2086
			(cd "$T/ux" && setpriv --reuid=65534 --regid=65534 --clear-groups $prog $args f $side) ||
				fail "$args as nobody: $prog failed"
		done
		[ "$(getfattr --absolute-names --only-values -n user.k "$T/ux/u" 2>&1)" = kept ] ||
			fail "$args as nobody: xattr of a read-only file lost"
		[ "$(stat -c %a "$T/ux/u")" = "$(stat -c %a "$T/ux/c")" ] ||
			fail "$args as nobody: mode $(stat -c %a "$T/ux/u"), cp's $(stat -c %a "$T/ux/c")"
	done
fi
done_test
