# common.sh - sourced by every end-to-end test.
#
# A test is a bash script that exits 0 (pass), 1 (fail) or 77 (skip, after
# printing "SKIP: reason").  $UCP is the binary under test; UCP_ENGINE
# (ring or sync) is set by the runner, which runs each test under both.
set -u
UCP=${UCP:?UCP must point at the ucp binary}
# ucp runs by name from PATH, as a user runs it: its messages begin with
# the name it was invoked by, path and all ("/usr/bin/cp: ..." from cp).
PATH="$(cd "$(dirname "$UCP")" && pwd):$PATH"
UCP=$(basename "$UCP")
TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TREECMP="python3 $TESTS_DIR/lib/treecmp.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/ucp-test.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
skip() { echo "SKIP: $*"; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root: $*"; }
done_test() { [ "$FAILS" = 0 ] && exit 0; exit 1; }

# check DESC CMD...: run CMD, fail with DESC when it exits non-zero.
check() {
	local desc=$1
	shift
	if ! "$@"; then fail "$desc"; fi
}

# The tree comparison every copy test ends with.
same_tree() { $TREECMP "$@"; }

# Make a file of N bytes of deterministic non-repeating content.
mkfile() {
	python3 -c 'import sys,hashlib
n=int(sys.argv[2]); out=bytearray(); i=0
while len(out) < n:
    out += hashlib.sha256(b"%d" % i).digest(); i += 1
open(sys.argv[1], "wb").write(out[:n])' "$1" "$2"
}

# Packaging tests build their own binary from the release tarball, so they
# run once, in the plain `make check`; under SANITIZE=1 they skip.
# make_dist: the tarball `make dist` makes, unpacked as $T/ucp-VERSION.
make_dist() {
	[ "${SANITIZE:-}" != 1 ] ||
		skip "builds a plain binary of its own; runs in the plain make check"
	make -s -C "$TESTS_DIR/.." dist DISTDIR="$T" >"$T/dist.log" 2>&1 ||
		{ cat "$T/dist.log"; echo "FAIL: make dist"; exit 1; }
	DIST_TGZ=$(echo "$T"/ucp-*.tar.gz)
	DIST_DIR=${DIST_TGZ%.tar.gz}
	VERSION=${DIST_DIR##*/ucp-}
	tar -C "$T" -xzf "$DIST_TGZ" || { echo "FAIL: cannot unpack $DIST_TGZ"; exit 1; }
}
