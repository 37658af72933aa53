# overwrite: an existing destination file is replaced atomically (a temp
# file renamed over it), keeping its mode and owner as cp's write into it
# does.  Where cp writes into the file, ucp differs in one documented way:
# other hard links of the old file keep the old data (a snapshot sharing
# the inode is not changed through the copy).  Where no temp file can be
# made (a directory we may not write to, holding a file we may), ucp
# writes into the file as cp does instead of failing where cp succeeds.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

# fixture DIR: a source file and destinations: hard-linked across
# directories, and single.
fixture() {
	mkdir -p "$1/src" "$1/dst/sub"
	mkfile "$1/src/f" 200000
	printf 'old linked\n' >"$1/dst/f"
	ln "$1/dst/f" "$1/dst/sub/f-link"
	printf 'old single\n' >"$1/dst/single"
	chmod 640 "$1/dst/f"
}

# Hard-linked destinations: a new inode at the name; the other link keeps
# the old data.  Mode and owner of the replaced file are kept, as by cp.
for args in "src/f dst/f" "-r src/. dst"; do
	rm -rf "$T/b"
	fixture "$T/b"
	(cd "$T/b" && "$UCP" $args) || fail "$args: exit $?"
	cmp -s "$T/b/src/f" "$T/b/dst/f" || fail "$args: dst/f not replaced"
	[ "$(cat "$T/b/dst/sub/f-link")" = "old linked" ] ||
		fail "$args: the other link of dst/f was written through"
	[ "$(stat -c %h "$T/b/dst/sub/f-link")" = 1 ] || fail "$args: link count"
	[ "$(stat -c %a "$T/b/dst/f")" = 640 ] || fail "$args: dst/f lost its mode"
done
# A single link is replaced too: a new inode, never written over.
ino=$(stat -c %i "$T/b/dst/single")
"$UCP" "$T/b/src/f" "$T/b/dst/single" || fail "replace single: exit $?"
cmp -s "$T/b/src/f" "$T/b/dst/single" || fail "replace single: content"
[ "$(stat -c %i "$T/b/dst/single")" != "$ino" ] || fail "a single-link file was written in place"

# -av of a hard-linked pair onto two files: one name is the group's
# first copy, the other is linked to it and replaces its file, which cp
# -v reports as "removed" after the file's line: one such line (whose
# name depends on which is met first).
rm -rf "$T/rv" && mkdir -p "$T/rv/s" "$T/rv/d"
printf 'x\n' >"$T/rv/s/f" && ln "$T/rv/s/f" "$T/rv/s/g"
printf 'o\n' >"$T/rv/d/f" && printf 'o\n' >"$T/rv/d/g"
n=$("$UCP" -av "$T/rv/s/." "$T/rv/d" | grep -c "^removed '$T/rv/d/./[fg]'\$")
[ "$n" = 1 ] || fail "-av, a linked pair onto two files: $n 'removed' lines, cp 1"
[ "$(stat -c %i "$T/rv/d/f")" = "$(stat -c %i "$T/rv/d/g")" ] || fail "-av, a linked pair: not linked"

# -u skips a file whose copy is not older but, as cp, records it for its
# group: another name skipped after it, or (with --preserve=links) copied,
# becomes a link to it, replacing what is there ("removed" with -v).  Two
# newer separate copies (with -r too), and a new link added to the source
# since a copy (the backup idiom cp -au).
for o in -ru -au -auv; do
	rm -rf "$T/uu" && mkdir -p "$T/uu/s" "$T/uu/d"
	printf 'x\n' >"$T/uu/s/f" && ln "$T/uu/s/f" "$T/uu/s/g"
	printf 'o\n' >"$T/uu/d/f" && printf 'o\n' >"$T/uu/d/g"
	touch -d 2030-01-01 "$T/uu/d/f" "$T/uu/d/g"
	"$UCP" $o "$T/uu/s/." "$T/uu/d" >"$T/uu.out" || fail "$o, newer copies: exit $?"
	[ "$(stat -c %i "$T/uu/d/f")" = "$(stat -c %i "$T/uu/d/g")" ] ||
		fail "$o, newer separate copies of a linked pair: not linked, as cp links them"
	[ "$(cat "$T/uu/d/f")" = o ] || fail "$o, newer copies: data replaced"
	if [ "$o" = -auv ]; then
		[ "$(grep -c "^removed '$T/uu/d/./[fg]'\$" "$T/uu.out")" = 1 ] &&
			[ "$(wc -l <"$T/uu.out")" = 1 ] ||
			fail "$o, newer copies: cp says only 'removed' once: $(cat "$T/uu.out")"
	fi
done
for o in -au -ru; do
	rm -rf "$T/uu" && mkdir -p "$T/uu/s"
	printf 'x\n' >"$T/uu/s/f"
	cp -a "$T/uu/s" "$T/uu/d" && cp -a "$T/uu/s" "$T/uu/c"
	ln "$T/uu/s/f" "$T/uu/s/g"
	cp $o "$T/uu/s/." "$T/uu/c"
	"$UCP" $o "$T/uu/s/." "$T/uu/d" || fail "$o, a new link: exit $?"
	cl=$(stat -c %h "$T/uu/c/f") ul=$(stat -c %h "$T/uu/d/f")
	[ "$cl" = "$ul" ] || fail "$o, a new link in the source: $ul links, cp $cl"
	same_tree --links "$T/uu/c" "$T/uu/d" || fail "$o, a new link: trees differ from cp's"
done

# --attributes-only over a copy of a hard-linked pair: the files are
# opened, not replaced, so the second name is that link already; it
# stays so, with no temp name left beside it, and -v lists both as cp.
rm -rf "$T/al" && mkdir -p "$T/al/s"
printf 'x\n' >"$T/al/s/f" && ln "$T/al/s/f" "$T/al/s/g"
cp -a "$T/al/s" "$T/al/d"
"$UCP" -av --attributes-only "$T/al/s/." "$T/al/d" >"$T/al.out" || fail "--attributes-only, links: exit $?"
[ -z "$(find "$T/al/d" -name '.ucp.*' -print -quit)" ] || fail "--attributes-only, links: temp names left"
[ "$(stat -c %i "$T/al/d/f")" = "$(stat -c %i "$T/al/d/g")" ] || fail "--attributes-only, links: not one inode"
grep -q "^'$T/al/s/./g' -> '$T/al/d/./g'\$" "$T/al.out" || fail "--attributes-only, links: g not listed: $(cat "$T/al.out")"

# As an unprivileged user: a directory without write permission, a file in
# it that may be written (cp writes into it), one that may not, and a
# sparse source written into such a file (its holes kept, as by cp); with
# -b the old file cannot be moved aside there ("cannot backup").  An
# operand named twice whose first copy failed is tried again, as by cp
# (not "specified more than once" or "will not overwrite just-created").
# A source that cannot be read onto a file that cannot be written, or
# Onto a symlink to a file with other hard links: cp's stat follows the
# link, and under --preserve=links it removes the link first ("removed"
# with -v) and makes a new file.  (Without it cp writes into the target,
# which its other link sees; ucp replaces the target: man STANDARDS.)
for args in "-a" "-av" "-rv --preserve=links" "-rL --preserve=links" "-av --attributes-only"; do
	for side in a b; do
		rm -rf "$T/$side" && mkdir -p "$T/$side/s" "$T/$side/t" "$T/$side/d"
		printf 'new\n' >"$T/$side/s/f"
		printf 'old\n' >"$T/$side/t/x" && ln "$T/$side/t/x" "$T/$side/t/x2"
		ln -s ../t/x "$T/$side/d/l"
	done
	(cd "$T/a" && cp $args s/f d/l >../a.out 2>../a.err; echo $? >../a.rc)
	(cd "$T/b" && "$UCP" $args s/f d/l >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i 's/^cp: /ucp: /' "$T/a.err"
	for f in out err rc; do
		cmp -s "$T/a.$f" "$T/b.$f" || { fail "onto a link to a linked file, $args: $f differs"; diff "$T/a.$f" "$T/b.$f"; }
	done
	same_tree --mode --links "$T/a" "$T/b" || fail "onto a link to a linked file, $args: trees differ"
done

# onto a dangling symlink: cp opens the source first and says so (with
# -b it moves the old file aside first, and that fails).  A FIFO or symlink over a file
# there: cp removes (or backs up) the old one first, and that fails, as
# for any entry with --remove-destination, a file with other links under
# --preserve=links, and a symlink or FIFO -l links under -P; all before
# cp's -v line.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	for side in a b; do
		rm -rf "$T/$side"
		mkdir -p "$T/$side/ro"
		mkfile "$T/$side/new" 300000
		truncate -s 8M "$T/$side/sparse"
		printf 'tail' | dd of="$T/$side/sparse" bs=1 seek=$((6 << 20)) \
			conv=notrunc status=none
		for f in mine theirs holes fifo sym two; do printf 'old\n' >"$T/$side/ro/$f"; done
		ln "$T/$side/ro/two" "$T/$side/ro/two2"
		mkfifo "$T/$side/fifo" "$T/$side/rfifo" && ln -s x "$T/$side/sym"
		ln -s nowhere "$T/$side/dang"
		mkdir "$T/$side/sd" && printf 'x\n' >"$T/$side/sd/x"
		cp "$T/$side/new" "$T/$side/sd/mine"
		chown -R 65534:65534 "$T/$side"
		chown 0:0 "$T/$side/ro/theirs" "$T/$side/rfifo"
		printf 's\n' >"$T/$side/secret" && chmod 000 "$T/$side/secret"
		chmod 555 "$T/$side/ro"
	done
	chmod 755 "$T"
	for args in "new ro/mine" "new ro/theirs" "sparse ro/holes" "-p new ro/mine" \
		    "-b new ro/mine" "-a --backup=numbered new ro/mine" \
		    "-b new new ro" "-r sd sd ro" "-b -t ro sd/mine sd/mine" \
		    "secret ro/theirs" "-b secret ro/mine" "-v new ro/theirs" "-R fifo sym ro" \
		    "-Rb fifo sym ro" "-RL fifo ro" "-av -l fifo sym ro" \
		    "-av -lb fifo sym ro" "-rv --remove-destination new ro/mine" \
		    "-av new ro/two" "-v -l --preserve=links new ro/two" \
		    "-rHvl fifo sym ro" "secret dang" "-av secret dang" \
		    "-a -l rfifo ro/fifo" "-f new ro/theirs" "-fv new ro/theirs" \
		    "-af new ro/theirs"; do
		(cd "$T/a" && as_nobody cp $args >../a.out 2>../a.err; echo $? >../a.rc)
		(cd "$T/b" && as_nobody "$UCP" $args >../b.out 2>../b.err; echo $? >../b.rc)
		cmp -s "$T/a.out" "$T/b.out" || { fail "read-only dir, $args: stdout differs"; diff "$T/a.out" "$T/b.out"; }
		sed -i 's/^cp: /ucp: /' "$T/a.err"
		# (operands run together: their lines in any order)
		for f in a.err b.err; do sort -o "$T/$f" "$T/$f"; done
		cmp -s "$T/a.rc" "$T/b.rc" || fail "read-only dir, $args: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
		cmp -s "$T/a.err" "$T/b.err" || { fail "read-only dir, $args: stderr differs"; diff "$T/a.err" "$T/b.err"; }
	done
	same_tree --mode --owner "$T/a" "$T/b" || fail "read-only dir: trees differ"
	cmp -s "$T/b/new" "$T/b/ro/mine" || fail "read-only dir: ro/mine not written"
	[ "$(stat -c %.9Y "$T/b/new")" = "$(stat -c %.9Y "$T/b/ro/mine")" ] ||
		fail "read-only dir: -p did not keep the mtime of ro/mine"
	a=$(stat -c %b "$T/a/ro/holes") b=$(stat -c %b "$T/b/ro/holes")
	[ "$b" -le $((a + 64)) ] || fail "sparse source written into ro/holes: $b blocks, cp $a"
	chmod 755 "$T/a/ro" "$T/b/ro"

	# -i onto files we may not write: cp's question names the mode
	# ("unwritable ... try anyway?", with -f or --remove-destination
	# "replace ..., overriding mode ..."); a symlink, a file we may
	# write, or root get the plain "overwrite ...?".  Answered y and n.
	for side in a b; do
		rm -rf "$T/$side"
		mkdir -p "$T/$side/w"
		printf 's\n' >"$T/$side/w/s"
		for f in d e g ok; do printf 'old\n' >"$T/$side/w/$f"; done
		chmod 555 "$T/$side/w/d"; chmod 4555 "$T/$side/w/e"
		chmod 1444 "$T/$side/w/g"; ln -s d "$T/$side/w/l"
		chown -R 65534:65534 "$T/$side"
	done
	for ans in n y; do
		for args in "-i s d" "-if s e" "-i --remove-destination s g" \
			    "-i s g" "-i s l" "-i s ok"; do
			(cd "$T/a/w" && printf '%s\n' $ans | as_nobody cp $args >../../a.out 2>../../a.err; echo $? >../../a.rc)
			(cd "$T/b/w" && printf '%s\n' $ans | as_nobody "$UCP" $args >../../b.out 2>../../b.err; echo $? >../../b.rc)
			sed -i -e 's/^cp: /ucp: /' -e 's/? cp: /? ucp: /' "$T/a.err"
			cmp -s "$T/a.rc" "$T/b.rc" || fail "-i as a user, $args ($ans): exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
			cmp -s "$T/a.err" "$T/b.err" || { fail "-i as a user, $args ($ans): stderr differs"; diff "$T/a.err" "$T/b.err"; }
		done
	done
	same_tree --mode --owner "$T/a" "$T/b" || fail "-i as a user: trees differ"

	printf 'n\n' | "$UCP" -i "$T/b/w/s" "$T/b/w/d" 2>"$T/b.err"
	[ "$(cat "$T/b.err")" = "ucp: overwrite '$T/b/w/d'? " ] ||
		fail "-i as root: $(cat "$T/b.err")"

	# Through a symlink to a file we may not write, in a directory we
	# may: cp's open fails ("cannot create regular file"), and -f then
	# replaces the link by a new file.  The target stays as it is.  As
	# for a file we may not write (cp -v: "removed" after its line).
	for side in a b; do
		rm -rf "$T/$side"
		mkdir -p "$T/$side/w/t"
		mkfile "$T/$side/w/new" 3000
		for f in theirs mine other; do printf 'old\n' >"$T/$side/w/t/$f"; done
		for l in l1 l2 l3 l4 l5; do ln -s t/theirs "$T/$side/w/$l"; done
		ln -s t/mine "$T/$side/w/l6"
		chown -R 65534:65534 "$T/$side"
		chown 0:0 "$T/$side/w/t/theirs" "$T/$side/w/t/other"
		printf 's\n' >"$T/$side/w/secret" && chmod 000 "$T/$side/w/secret"
	done
	for args in "new l1" "-f new l2" "-rpf new l3" "-v new l4" "-fv new l5" \
		    "-f new l6" "secret l1" "-fv new t/other"; do
		(cd "$T/a/w" && as_nobody cp $args >../../a.out 2>../../a.err; echo $? >../../a.rc)
		(cd "$T/b/w" && as_nobody "$UCP" $args >../../b.out 2>../../b.err; echo $? >../../b.rc)
		sed -i 's/^cp: /ucp: /' "$T/a.err"
		cmp -s "$T/a.out" "$T/b.out" || { fail "through a link, $args: stdout differs"; diff "$T/a.out" "$T/b.out"; }
		cmp -s "$T/a.rc" "$T/b.rc" || fail "through a link, $args: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
		cmp -s "$T/a.err" "$T/b.err" || { fail "through a link, $args: stderr differs"; diff "$T/a.err" "$T/b.err"; }
	done
	same_tree --mode --owner "$T/a" "$T/b" || fail "through a link: trees differ"
	[ "$(cat "$T/b/w/t/theirs")" = old ] && [ "$(stat -c %u "$T/b/w/t/theirs")" = 0 ] ||
		fail "through a link: the unwritable target was replaced"
	cmp -s "$T/b/w/new" "$T/b/w/t/mine" || fail "through a link: t/mine not written"
else
	echo "note: not root (or no setpriv): the read-only directory case is not run"
fi
done_test
