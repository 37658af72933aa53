# basic: a tree of every file kind and boundary size copies exactly.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
B=$((128 * 1024))	# the default request size (copy.c)
S=$T/src
mkdir -p "$S/sub/deeper" "$S/empty dir"
for n in 0 1 $((B - 1)) $B $((B + 1)) $((5 * B)) $((5 * B + 7)) $((17 * B)); do
	mkfile "$S/f$n" "$n"
done
: >"$S/sub/empty"
mkfile "$S/sub/deeper/x" 4097
printf 'sp' >"$S/with space"
printf 'nl' >"$S/new
line"
printf 'hi' >"$S/$(printf 'bytes\x80\xff\xfe')"
printf 'ctl' >"$S/$(printf 'ctl\001\033')"
ln -s f1 "$S/link"
ln -s "does/not/exist" "$S/dangling"
ln -s sub "$S/dirlink"
ln -s "$(printf 'odd\ntarget\xff')" "$S/oddlink"
mkfifo "$S/fifo"
chmod 0755 "$S/f1"
chmod 0600 "$S/f0"
chmod 0700 "$S/sub/deeper"
umask 022

check "ucp -r exits 0" "$UCP" -r "$S" "$T/dst"
check "tree equal" same_tree --mode --umask 022 "$S" "$T/dst"
# A second copy onto an existing directory lands inside it (cp semantics).
check "ucp -r into existing dir" "$UCP" -r "$S" "$T/dst"
check "nested copy equal" same_tree "$S" "$T/dst/src"
# Single files, with and without -r, to a name and into a directory.
check "file to name" "$UCP" "$S/f1" "$T/one"
check "file content" cmp "$S/f1" "$T/one"
mkdir "$T/into"
check "files into dir" "$UCP" "$S/f0" "$S/f$B" "$T/into"
check "into dir content" cmp "$S/f$B" "$T/into/f$B"
check "-t DIR" "$UCP" -t "$T/into" "$S/f1"
check "-t content" cmp "$S/f1" "$T/into/f1"
# Without -r a symlink operand is followed; with -r it is copied as a link.
check "follow link" "$UCP" "$S/link" "$T/followed"
check "followed is file" test -f "$T/followed" -a ! -L "$T/followed"
check "-r keeps link" "$UCP" -r "$S/link" "$T/kept"
check "kept is link" test "$(readlink "$T/kept")" = f1
# No temp files anywhere.
left=$(find "$T" -name '.ucp.*' | wc -l)
[ "$left" = 0 ] || fail "temp files left: $left"
done_test
