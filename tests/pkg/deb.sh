#!/usr/bin/env bash
# The Debian package: dpkg-buildpackage builds it from the release tarball
# with packaging/debian (debhelper compat 13), lintian finds no error or
# warning, blhc finds no missing hardening flag, and the installed package
# gives a working ucp, its man page and the three shells' completions.
. "$(dirname "$0")/../lib/common.sh"
command -v dpkg-buildpackage >/dev/null || skip "not a Debian system (no dpkg-buildpackage)"
command -v dh >/dev/null || skip "debhelper not installed (make deps installs it)"
make_dist
cd "$DIST_DIR" && cp -r packaging/debian debian || exit 1

if ! dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1; then
	tail -30 "$T/build.log"
	fail "dpkg-buildpackage -us -uc -b"
	done_test
fi
deb=$(echo "$T"/ucp_"$VERSION"-*_*.deb)
changes=$(echo "$T"/ucp_"$VERSION"-*_*.changes)
[ -f "$deb" ] || { fail "no .deb was built"; done_test; }

if command -v lintian >/dev/null; then
	# (lintian warns that it runs as root; that line is not a finding)
	lintian --fail-on error,warning "$changes" >"$T/lintian" 2>&1 ||
		fail "lintian: $(grep -v 'running with root' "$T/lintian")"
else
	fail "lintian not installed (make deps installs it)"
fi
if command -v blhc >/dev/null; then
	blhc "$T/build.log" >"$T/blhc" 2>&1 || fail "blhc: $(head -5 "$T/blhc")"
else
	fail "blhc not installed (make deps installs it)"
fi

dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$' | sort >"$T/contents"
for f in ./usr/bin/ucp ./usr/share/man/man1/ucp.1.gz \
	./usr/share/bash-completion/completions/ucp \
	./usr/share/zsh/vendor-completions/_ucp \
	./usr/share/fish/vendor_completions.d/ucp.fish \
	./usr/share/doc/ucp/copyright; do
	grep -qxF "$f" "$T/contents" || fail "the .deb lacks $f"
done

# Install it on this machine when we may (root, ucp not installed by
# anything else), and remove it afterwards; otherwise unpack it.
if [ "$(id -u)" = 0 ] && ! dpkg -s ucp >/dev/null 2>&1; then
	trap 'dpkg -P ucp >/dev/null 2>&1; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
	dpkg -i "$deb" >"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "dpkg -i"; done_test; }
	root=
else
	echo "note: not root or ucp already installed: unpacking the .deb instead"
	dpkg-deb -x "$deb" "$T/root" || fail "dpkg-deb -x"
	root=$T/root
fi
bin=$root/usr/bin/ucp
"$bin" --version | grep -q "^ucp.* $VERSION\$" || fail "installed ucp --version: $("$bin" --version 2>&1)"
mkdir -p "$T/tree/d" && mkfile "$T/tree/d/f" 300000 && ln -s d/f "$T/tree/l"
"$bin" -a "$T/tree" "$T/copy" || fail "installed ucp -a"
same_tree --mode --times --links "$T/tree" "$T/copy" || fail "installed ucp copied a different tree"
"$bin" --sync "$T/tree" "$T/mirror" && same_tree --mode --times --links "$T/tree" "$T/mirror" ||
	fail "installed ucp --sync"

if [ -z "$root" ]; then
	[ "$(man -w ucp 2>/dev/null)" = /usr/share/man/man1/ucp.1.gz ] ||
		fail "man -w ucp: $(man -w ucp 2>&1)"
	if [ -r /usr/share/bash-completion/bash_completion ]; then
		got=$(bash -c 'source /usr/share/bash-completion/bash_completion
			__load_completion ucp && complete -p ucp' 2>&1)
		[ "$got" = "complete -F _ucp ucp" ] || fail "bash did not load the completion: $got"
	fi
	if command -v zsh >/dev/null; then
		got=$(zsh -fc 'autoload -Uz compinit && compinit -u -D && print -r -- $_comps[ucp]')
		[ "$got" = _ucp ] || fail "zsh did not find _ucp: $got"
	fi
	if command -v fish >/dev/null; then
		got=$(HOME=$T fish -c 'complete -C "ucp --refl"' | cut -f1 | head -1)
		[ "$got" = --reflink ] || fail "fish did not load ucp.fish: $got"
	fi
	dpkg -r ucp >/dev/null 2>&1 || fail "dpkg -r ucp"
	[ ! -e /usr/bin/ucp ] || fail "dpkg -r left /usr/bin/ucp"
fi
done_test
