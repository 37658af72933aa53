#!/usr/bin/env bash
# make install / make uninstall from the release tarball: PREFIX, DESTDIR,
# BINDIR, MANDIR and the completion directories are honoured, the binary is
# not stripped, a parallel build logs full compiler command lines and is
# reproducible, the installed binary copies a tree, and each shell finds
# its completion where it was installed.
. "$(dirname "$0")/../lib/common.sh"
make_dist
cd "$DIST_DIR" || exit 1

make -j4 >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "make -j4"; done_test; }
grep -Eq '^[^ ]*(cc|gcc|clang)[^ ]* .* -c -o src/copy\.o src/copy\.c$' "$T/build.log" ||
	fail "the build log lacks the full compile command for src/copy.c"
sum1=$(sha256sum ucp | cut -d' ' -f1)
make clean >/dev/null && make -j4 >/dev/null 2>&1 || fail "rebuild"
sum2=$(sha256sum ucp | cut -d' ' -f1)
[ "$sum1" = "$sum2" ] || fail "two builds of the same tree differ ($sum1, $sum2)"
mkdir "$T/again" && make -s -C "$TESTS_DIR/.." dist DISTDIR="$T/again" || fail "make dist"
cmp -s "$DIST_TGZ" "$T/again/ucp-$VERSION.tar.gz" || fail "make dist is not reproducible"

# installed_files ROOT: the files under ROOT, sorted, with their modes.
installed_files() { (cd "$1" && find . -type f -printf '%m %p\n' | sort -k2); }

make -j4 install DESTDIR="$T/root" PREFIX=/usr >/dev/null || fail "make install PREFIX=/usr"
cat >"$T/want" <<EOT
755 ./usr/bin/ucp
644 ./usr/share/bash-completion/completions/ucp
644 ./usr/share/fish/vendor_completions.d/ucp.fish
644 ./usr/share/man/man1/ucp.1
644 ./usr/share/zsh/vendor-completions/_ucp
EOT
installed_files "$T/root" >"$T/got"
diff "$T/want" "$T/got" >"$T/diff" || fail "PREFIX=/usr installed: $(cat "$T/diff")"
readelf -S "$T/root/usr/bin/ucp" | grep -q '\.symtab' || fail "make install stripped the binary"

make install DESTDIR="$T/local" >/dev/null || fail "make install (default PREFIX)"
installed_files "$T/local" | sed 's/^[0-9]* //' >"$T/got"
cat >"$T/want" <<EOT
./usr/local/bin/ucp
./usr/local/share/bash-completion/completions/ucp
./usr/local/share/fish/vendor_completions.d/ucp.fish
./usr/local/share/man/man1/ucp.1
./usr/local/share/zsh/site-functions/_ucp
EOT
diff "$T/want" "$T/got" >"$T/diff" || fail "default PREFIX installed: $(cat "$T/diff")"

dirs=(BINDIR=/o/bin MANDIR=/o/man BASHCOMPDIR=/o/bash ZSHCOMPDIR=/o/zsh FISHCOMPDIR=/o/fish)
make install DESTDIR="$T/custom" PREFIX=/nowhere "${dirs[@]}" >/dev/null || fail "make install with dirs"
installed_files "$T/custom" | sed 's/^[0-9]* //' >"$T/got"
printf '%s\n' ./o/bash/ucp ./o/bin/ucp ./o/fish/ucp.fish ./o/man/man1/ucp.1 ./o/zsh/_ucp >"$T/want"
diff "$T/want" "$T/got" >"$T/diff" || fail "custom dirs installed: $(cat "$T/diff")"
make uninstall DESTDIR="$T/custom" PREFIX=/nowhere "${dirs[@]}" >/dev/null || fail "make uninstall"
[ -z "$(find "$T/custom" -type f)" ] || fail "make uninstall left: $(find "$T/custom" -type f)"

# The installed binary works, and its man page renders.
"$T/root/usr/bin/ucp" --version | grep -q "^ucp.* $VERSION\$" || fail "installed ucp --version"
mkdir -p "$T/tree/d" && mkfile "$T/tree/d/f" 100000 && ln -s d/f "$T/tree/l"
"$T/root/usr/bin/ucp" -a "$T/tree" "$T/copy" || fail "installed ucp -a"
same_tree --mode --times --links "$T/tree" "$T/copy" || fail "installed ucp copied a different tree"
if command -v man >/dev/null; then
	man -l "$T/root/usr/share/man/man1/ucp.1" 2>/dev/null | grep -q 'copy files and directory trees' ||
		fail "the installed man page does not render"
fi

# Each shell finds the completion where it was installed.
share=$T/root/usr/share
if [ -r /usr/share/bash-completion/bash_completion ]; then
	got=$(XDG_DATA_DIRS=$share bash -c 'source /usr/share/bash-completion/bash_completion
		__load_completion ucp && complete -p ucp' 2>&1)
	[ "$got" = "complete -F _ucp ucp" ] || fail "bash-completion did not load ucp's: $got"
fi
if command -v zsh >/dev/null; then
	got=$(zsh -fc "fpath=($share/zsh/vendor-completions \$fpath)
		autoload -Uz compinit && compinit -u -D && print -r -- \$_comps[ucp]")
	[ "$got" = _ucp ] || fail "zsh's compinit did not find _ucp: $got"
fi
if command -v fish >/dev/null; then
	# (fish autoloads the completions of commands it finds on PATH)
	got=$(HOME=$T XDG_DATA_DIRS=$share PATH=$T/root/usr/bin:$PATH \
		fish -c 'complete -C "ucp --refl"' | cut -f1 | head -1)
	[ "$got" = --reflink ] || fail "fish did not load ucp.fish from vendor_completions.d: $got"
fi
done_test
