#!/usr/bin/env bash
# packaging/arch/PKGBUILD builds with makepkg from the release tarball (as
# an unprivileged user: makepkg refuses root), running the unit tests in
# check(), and the package holds a working ucp, its man page, the
# completions and the license.  (Not on Arch, pacman's database knows none
# of the dependencies, so they are not checked: makepkg -d.)
. "$(dirname "$0")/../lib/common.sh"
command -v makepkg >/dev/null || skip "makepkg not installed (make deps installs it)"
command -v bsdtar >/dev/null || skip "bsdtar not installed (make deps installs libarchive-tools)"
make_dist
b=$T/arch
mkdir "$b" && cp "$DIST_DIR/packaging/arch/PKGBUILD" "$DIST_TGZ" "$b/" || exit 1
run=()
if [ "$(id -u)" = 0 ]; then
	chmod 711 "$T" && chown -R nobody: "$b" || exit 1
	run=(runuser -u nobody --)
fi
if ! (cd "$b" && "${run[@]}" env HOME="$b" PKGDEST="$b" SRCDEST="$b" \
	BUILDDIR="$b/build" makepkg -d --noconfirm) >"$T/build.log" 2>&1; then
	tail -30 "$T/build.log"
	fail "makepkg"
	done_test
fi
grep -q 'unit/test_opts' "$T/build.log" || fail "check() did not run the unit tests"
pkg=$(echo "$b"/ucp-"$VERSION"-*.pkg.tar.*)
[ -f "$pkg" ] || { fail "no package was built"; done_test; }
bsdtar -tf "$pkg" | sort >"$T/contents"
for f in usr/bin/ucp usr/share/man/man1/ucp.1.gz \
	usr/share/bash-completion/completions/ucp \
	usr/share/zsh/site-functions/_ucp \
	usr/share/fish/vendor_completions.d/ucp.fish \
	usr/share/licenses/ucp/LICENSE; do
	grep -qxF "$f" "$T/contents" || fail "the package lacks $f"
done
mkdir "$T/root" && bsdtar -C "$T/root" -xf "$pkg" 2>/dev/null || fail "cannot unpack $pkg"
"$T/root/usr/bin/ucp" --version | grep -q "^ucp.* $VERSION\$" || fail "the package's ucp --version"
mkdir -p "$T/tree/d" && mkfile "$T/tree/d/f" 100000
"$T/root/usr/bin/ucp" -a "$T/tree" "$T/copy" &&
	same_tree --mode --times "$T/tree" "$T/copy" || fail "the package's ucp -a"
done_test
