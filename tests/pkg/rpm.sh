#!/usr/bin/env bash
# packaging/rpm/ucp.spec builds with rpmbuild from the release tarball, and
# the binary package holds a working ucp, its man page, the completions and
# the license.  (On Debian, rpm's database knows none of the build
# dependencies, so they are not checked: --nodeps.)
. "$(dirname "$0")/../lib/common.sh"
command -v rpmbuild >/dev/null || skip "rpmbuild not installed (make deps installs the rpm package)"
make_dist
top=$T/rpmbuild
mkdir -p "$top/SOURCES" && cp "$DIST_TGZ" "$top/SOURCES/" || exit 1
nodeps=()
command -v dpkg >/dev/null && nodeps=(--nodeps)
# Fedora's debuginfo machinery (find-debuginfo) is not on Debian.
command -v find-debuginfo >/dev/null || nodeps+=(--define 'debug_package %{nil}')
if ! rpmbuild -bb "${nodeps[@]}" --define "_topdir $top" \
	"$DIST_DIR/packaging/rpm/ucp.spec" >"$T/build.log" 2>&1; then
	tail -30 "$T/build.log"
	fail "rpmbuild -bb"
	done_test
fi
grep -q 'unit/test_opts' "$T/build.log" || fail "%check did not run the unit tests"
rpm=$(find "$top/RPMS" -name "ucp-$VERSION-*.rpm" | head -1)
[ -n "$rpm" ] || { fail "no binary rpm was built"; done_test; }
rpm -qlp "$rpm" 2>/dev/null >"$T/contents"
for f in /usr/bin/ucp /usr/share/bash-completion/completions/ucp \
	/usr/share/zsh/site-functions/_ucp \
	/usr/share/fish/vendor_completions.d/ucp.fish; do
	grep -qxF "$f" "$T/contents" || fail "the rpm lacks $f"
done
grep -q '^/usr/share/man/man1/ucp\.1' "$T/contents" || fail "the rpm lacks the man page"
grep -q '/LICENSE$' "$T/contents" || fail "the rpm lacks the license"

mkdir "$T/root" && (cd "$T/root" && rpm2cpio "$rpm" | cpio -idm --quiet) || fail "rpm2cpio"
"$T/root/usr/bin/ucp" --version | grep -q "^ucp.* $VERSION\$" || fail "the rpm's ucp --version"
mkdir -p "$T/tree/d" && mkfile "$T/tree/d/f" 100000
"$T/root/usr/bin/ucp" -a "$T/tree" "$T/copy" &&
	same_tree --mode --times "$T/tree" "$T/copy" || fail "the rpm's ucp -a"
done_test
