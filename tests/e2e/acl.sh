# acl: ACLs follow cp's rules.  They go with the mode, not with the xattrs:
# -p and --preserve=mode copy them (default ACLs of directories too),
# --preserve=xattr alone and -a --no-preserve=mode do not.  A file that
# replaces an existing one keeps what cp's write into that file keeps: its
# xattrs and ACLs (its ACLs give way to the source's when the mode is
# preserved), but not a file capability, which a write clears.  Each case
# is run with GNU cp on an identical tree, and the trees are compared,
# xattrs and ACLs included.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"
command -v setfacl >/dev/null || skip "no setfacl (package acl)"
mkdir -p "$T/probe"
setfacl -m u:65534:r "$T/probe" 2>/dev/null || skip "no ACLs on $T"
setfattr -n user.probe -v 1 "$T/probe" 2>/dev/null || skip "no user xattrs on $T"

# fixture DIR: a source file and directory with ACLs and an xattr; a
# destination file with its own ACL and xattrs (and, as root, a capability).
fixture() {
	mkdir -p "$1/src/d" "$1/dst" "$1/new"
	printf 'new\n' >"$1/src/f"
	printf 'in d\n' >"$1/src/d/g"
	setfacl -m u:65534:r "$1/src/f"
	setfattr -n user.s -v src "$1/src/f"
	setfacl -m u:65534:rx "$1/src/d"
	setfacl -d -m u:65534:rx "$1/src/d"
	printf 'old\n' >"$1/dst/f"
	chmod 664 "$1/dst/f"
	setfacl -m g:65534:rw "$1/dst/f"
	setfattr -n user.old -v kept "$1/dst/f"
	setfattr -n user.s -v old "$1/dst/f"
	[ "$(id -u)" = 0 ] && command -v setcap >/dev/null &&
		setcap cap_net_raw+ep "$1/dst/f"
	# The same mtime on both sides, so -p's copies compare equal.
	touch -d 2024-01-02T03:04:05 "$1/src/f" "$1/src/d/g" "$1/src/d"
}

# both ARGS...: run cp in $T/a and ucp in $T/b, from src; compare status,
# messages and the trees with their modes and xattrs.
both() {
	local what="ucp $*"
	rm -rf "$T/a" "$T/b"
	fixture "$T/a"
	fixture "$T/b"
	(cd "$T/a/src" && cp "$@" 2>../../a.err; echo $? >../../a.rc)
	(cd "$T/b/src" && "$UCP" "$@" 2>../../b.err; echo $? >../../b.rc)
	sed -i 's/^cp: /ucp: /' "$T/a.err"
	cmp -s "$T/a.rc" "$T/b.rc" || fail "$what: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
	cmp -s "$T/a.err" "$T/b.err" || { fail "$what: stderr differs"; diff "$T/a.err" "$T/b.err"; }
	same_tree --mode --xattrs "$T/a" "$T/b" || fail "$what: trees differ"
}

# New files and directories.
for opts in "" "-p" "--preserve=mode" "--preserve=xattr" "-a" \
	    "-a --no-preserve=mode" "--preserve=mode,xattr"; do
	both -r $opts f d ../new
done
# getfacl's view of one case, so that a treecmp blind to system.* names
# would not hide a lost ACL.
both -p f ../pf
getfacl -pn "$T/b/pf" | grep -q '^user:65534:r--' || fail "-p: the ACL entry was lost"
both -rp d ../pd
getfacl -pn "$T/b/pd" | grep -q '^default:user:65534:r-x' || fail "-rp: the default ACL was lost"

# Replacing an existing file.
for opts in "" "-p" "--preserve=mode" "--preserve=xattr" "-a" "-a --no-preserve=mode" "-f"; do
	both $opts f ../dst/f
done
both f ../dst/f
getfattr -n user.old --only-values "$T/b/dst/f" 2>/dev/null | grep -qx kept ||
	fail "the replaced file's xattr was lost"
getfacl -pn "$T/b/dst/f" | grep -q '^group:65534:rw-' || fail "the replaced file's ACL was lost"
[ -z "$(getcap "$T/b/dst/f" 2>/dev/null)" ] || fail "a capability survived the replacement"
# Where listxattrat(2) is missing (older kernels, or refused by a seccomp
# profile) the old file is opened and listed instead: the same result.
NOSYS=$TESTS_DIR/lib/nosys
if [ -x "$NOSYS" ] && "$NOSYS" 38 listxattrat -- true 2>/dev/null; then
	for e in 38 1; do
		rm -rf "$T/b"
		fixture "$T/b"
		(cd "$T/b/src" && "$NOSYS" $e listxattrat -- "$UCP" f ../dst/f) ||
			fail "listxattrat refused ($e): exit $?"
		getfattr -n user.old --only-values "$T/b/dst/f" 2>/dev/null | grep -qx kept ||
			fail "listxattrat refused ($e): the replaced file's xattr was lost"
		getfacl -pn "$T/b/dst/f" | grep -q '^group:65534:rw-' ||
			fail "listxattrat refused ($e): the replaced file's ACL was lost"
	done
else
	echo "note: no seccomp here; the listxattrat fallback is not run"
fi
done_test
