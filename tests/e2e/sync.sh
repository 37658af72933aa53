# sync: --sync against rsync 3 on the same inputs: trees and metadata,
# itemized lines, exit codes; idempotence, dry runs, --delete and its
# safety rules, --max-delete, --link-dest, backups, filters, size and time
# checks, --files-from, several sources, atomic replacement.
# serial: --max-delete's budget cases depend on which entry the walk
# meets first, which a busy machine changes: it runs alone.
. "$(dirname "$0")/../lib/common.sh"
command -v rsync >/dev/null || skip "rsync is not installed"

# Fixed old times everywhere, so that rsync's one-second comparison of
# fresh directories never hides a difference (rsync leaves a directory's
# time alone when it falls in the same second as the source's).
settimes() { find "$1" -depth -exec touch -h -d '2021-03-04 05:06:07.123456789' {} +; }

fixture() {
	rm -rf "$1"
	mkdir -p "$1/d/e" "$1/gone/deep" "$1/todir" "$1/same"
	printf 'alpha\n' >"$1/f"
	printf 'beta\n' >"$1/d/g"
	mkfile "$1/d/e/big" 300000
	printf 'x\n' >"$1/gone/deep/x"
	printf 'tofile\n' >"$1/todir/t"
	printf 'keep\n' >"$1/same/k"
	printf 'mode\n' >"$1/m"
	printf 'abc\n' >"$1/samesize"
	: >"$1/empty"
	ln -s f "$1/ln"
	ln -s nowhere "$1/dangling"
	printf 'linked\n' >"$1/lk"
	ln "$1/lk" "$1/hl"
	mkfifo "$1/fifo"
	printf 'n\n' >"$1/notdir"
	printf 'a.o\n' >"$1/d/a.o"
	printf 'b.c\n' >"$1/d/b.c"
	mkdir -p "$1/d/cache/sub" "$1/build"
	printf 'c\n' >"$1/d/cache/sub/c"
	printf 'o\n' >"$1/build/out.o"
	chmod 640 "$1/m"
	settimes "$1"
}

mutate() {
	printf 'ALPHA!\n' >"$1/f"			# content + size
	printf 'xyz\n' >"$1/samesize"		# same size, new time
	chmod 600 "$1/m"			# mode only
	rm -rf "$1/gone"			# extraneous in DEST
	rm -rf "$1/todir"; printf 'now a file\n' >"$1/todir"
	rm "$1/notdir"; mkdir "$1/notdir"; printf 'in\n' >"$1/notdir/in"
	ln -sfn d "$1/ln"			# retarget
	printf 'new\n' >"$1/d/new"
	settimes "$1"
	touch -d '2022-01-01 00:00:00' "$1/samesize" "$1/f"
}

snapshot() { (cd "$1" && find . -printf '%p %y %m %s %T@ %C@ %i %n\n' | sort); }

# items OUT CMD...: run, keep sorted stdout, exit status in OUT.rc
items() {
	local out=$1
	shift
	"$@" >"$out.raw" 2>"$out.err"
	echo $? >"$out.rc"
	# Which link of a hard-linked file is copied and which linked to it
	# is the walk's choice (rsync: the first by name): compare them as
	# one kind of line.
	grep -v '^created directory' "$out.raw" |
		sed -E -e 's/^[>h]f( {9})/Xf........./' -e 's/^[>h]f/Xf/' \
			-e 's/ => .*//' | sort >"$out"
}

cmp_items() {
	if ! cmp -s "$1" "$2"; then
		fail "$3: itemized output differs from rsync's"
		diff "$1" "$2"
	fi
}

cmp_rc() {
	[ "$(cat "$1.rc")" = "$(cat "$2.rc")" ] ||
		fail "$3: exit $(cat "$2.rc"), rsync $(cat "$1.rc"): $(cat "$2.err")"
}

S=$T/s
fixture "$S"

# --- a fresh mirror, then a second run that changes and reports nothing
items "$T/r1" rsync -aHi "$S/" "$T/r/"
items "$T/u1" "$UCP" --sync --itemize-changes "$S" "$T/u"
cmp_rc "$T/r1" "$T/u1" "fresh sync"
cmp_items "$T/r1" "$T/u1" "fresh sync"
same_tree --mode --times --owner --links "$T/r" "$T/u" || fail "fresh: trees differ from rsync's"
same_tree --mode --times --owner --links "$S" "$T/u" || fail "fresh: not a mirror"
before=$(snapshot "$T/u")
items "$T/u1b" "$UCP" --sync --itemize-changes --delete "$S" "$T/u"
[ -s "$T/u1b" ] && { fail "second run reported changes"; cat "$T/u1b"; }
[ "$(cat "$T/u1b.rc")" = 0 ] || fail "second run: exit $(cat "$T/u1b.rc")"
[ "$before" = "$(snapshot "$T/u")" ] || fail "second run changed the destination (ctime/inode)"

# A killed run's temps in a directory that exists (a file, and a tree as
# a killed staged copy leaves) are swept silently, --delete or not; a live
# process's temp is neither swept nor deleted.  The directory keeps the
# source's times (the sweep comes before its attributes are set).  (A
# killed run leaves the directory's mtime changed too: that is fixed and
# reported, as rsync would; set back here to see the sweep alone.)
dead=$(sh -c 'echo $$')
printf 'half\n' >"$T/u/d/.ucp.$dead.0.1.g.tmp"
mkdir -p "$T/u/.ucp.$dead.1.0.sub.tmp/x"; printf 'y\n' >"$T/u/.ucp.$dead.1.0.sub.tmp/x/y"
printf 'live\n' >"$T/u/d/.ucp.$$.0.2.g.tmp"
touch -r "$S" "$T/u"; touch -r "$S/d" "$T/u/d"	# as the copy left them
items "$T/u1c" "$UCP" --sync --itemize-changes --delete "$S" "$T/u"
[ "$(cat "$T/u1c.rc")" = 0 ] || fail "temps: exit $(cat "$T/u1c.rc"): $(cat "$T/u1c.err")"
[ -s "$T/u1c" ] && { fail "temps: the sweep was reported"; cat "$T/u1c"; }
[ -e "$T/u/d/.ucp.$dead.0.1.g.tmp" ] && fail "temps: a dead run's temp file stayed"
[ -e "$T/u/.ucp.$dead.1.0.sub.tmp" ] && fail "temps: a dead run's temp tree stayed"
[ -e "$T/u/d/.ucp.$$.0.2.g.tmp" ] || fail "temps: a live process's temp was removed"
for x in "" /d; do
	[ "$(stat -c %y "$S$x")" = "$(stat -c %y "$T/u$x")" ] ||
		fail "temps: DEST$x lost the source's mtime"
done
rm "$T/u/d/.ucp.$$.0.2.g.tmp"; touch -r "$S/d" "$T/u/d"
same_tree --mode --times --owner --links "$S" "$T/u" || fail "temps: not a mirror after the sweep"

# --- changes: dry run first (changes nothing, says the same), then real
mutate "$S"
printf 'extra\n' >"$T/r/extra"; printf 'extra\n' >"$T/u/extra"
settimes "$T/r"; settimes "$T/u"
before=$(snapshot "$T/u")
items "$T/ud" "$UCP" --sync --itemize-changes --delete --dry-run "$S" "$T/u"
[ "$before" = "$(snapshot "$T/u")" ] || fail "--dry-run changed the destination"
items "$T/r2" rsync -aHi --delete "$S/" "$T/r/"
items "$T/u2" "$UCP" --sync --itemize-changes --delete "$S" "$T/u"
cmp_rc "$T/r2" "$T/u2" "update sync"
cmp_items "$T/r2" "$T/u2" "update sync"
cmp_items "$T/u2" "$T/ud" "--dry-run against the real run"
same_tree --mode --times --owner --links "$T/r" "$T/u" || fail "update: trees differ from rsync's"
same_tree --mode --times --owner --links "$S" "$T/u" || fail "update: not a mirror"

# A directory in DEST where SRC has a symlink, without --delete: only an
# empty one makes way.  The dry run says what the real run does (rsync's
# says so too): the same lines, the same error, exit 23.
rm -rf "$T/dw" && mkdir -p "$T/dw/s" "$T/dw/d/full" "$T/dw/d/empty"
ln -s nowhere "$T/dw/s/full"; ln -s nowhere "$T/dw/s/empty"
: >"$T/dw/d/full/f"
before=$(snapshot "$T/dw/d")
"$UCP" --sync --itemize-changes --dry-run "$T/dw/s" "$T/dw/d" >"$T/dw/n.out" 2>"$T/dw/n.err"; nrc=$?
[ "$before" = "$(snapshot "$T/dw/d")" ] || fail "type clash: --dry-run changed the destination"
"$UCP" --sync --itemize-changes "$T/dw/s" "$T/dw/d" >"$T/dw/r.out" 2>"$T/dw/r.err"; rrc=$?
[ $nrc = 23 ] && [ $rrc = 23 ] || fail "type clash: exit $nrc dry, $rrc real, want 23"
cmp -s "$T/dw/n.out" "$T/dw/r.out" || fail "type clash: the dry run's lines differ: $(cat "$T/dw/n.out")"
cmp -s "$T/dw/n.err" "$T/dw/r.err" || fail "type clash: the dry run's errors differ: $(cat "$T/dw/n.err")"
[ -L "$T/dw/d/empty" ] && [ -f "$T/dw/d/full/f" ] || fail "type clash: wrong entries replaced"

# hard links: a new link to an unchanged file joins it; a changed linked
# file stays linked (which name is copied first may differ from rsync's
# choice, so only the trees are compared)
ln "$S/same/k" "$S/k2"
printf 'LINKED, CHANGED\n' >"$S/lk"
settimes "$S"
rsync -aH --delete "$S/" "$T/r/"
"$UCP" --sync --delete "$S" "$T/u" || fail "hard links: exit $?"
same_tree --mode --times --owner --links "$T/r" "$T/u" || fail "hard links: trees differ from rsync's"
[ "$(stat -c %i "$T/u/k2")" = "$(stat -c %i "$T/u/same/k")" ] ||
	fail "a new link to an unchanged file was not linked"
[ "$(stat -c %i "$T/u/lk")" = "$(stat -c %i "$T/u/hl")" ] ||
	fail "a changed linked file lost its link"

# -v lists names as rsync -v does (without its header and totals)
fixture "$S"
rm -rf "$T/r" "$T/u"
rsync -aH "$S/" "$T/r/"; "$UCP" --sync "$S" "$T/u"
mutate "$S"
rsync -aHv --delete "$S/" "$T/r/" | sed -e '1d' -e '/^$/,$d' | sort >"$T/rv"
"$UCP" --sync -v --delete "$S" "$T/u" | sort >"$T/uv"
cmp_items "$T/rv" "$T/uv" "-v"

# --- filters: a table of patterns, each against rsync
fixture "$S"
# merge files: comments, blank lines, a merge inside a merge
printf -- '# built\n- *.o\n\n; kept\n+ d/\n. %s\n- d/cache/\n' "$T/rules2" >"$T/rules"
printf -- '- gone/\n+ *.c\n- b*\n' >"$T/rules2"
while IFS= read -r args; do
	[ -z "$args" ] && continue
	rm -rf "$T/r" "$T/u"
	eval "rsync -aH $args \"\$S/\" \"\$T/r/\"" 2>"$T/rerr"
	eval "\"\$UCP\" --sync $args \"\$S\" \"\$T/u\"" 2>"$T/uerr" ||
		{ fail "filter $args: exit $?: $(cat "$T/uerr")"; continue; }
	if ! diff <(cd "$T/r" && find . | sort) <(cd "$T/u" && find . | sort) >"$T/fd"; then
		fail "filter $args: file list differs from rsync's"
		cat "$T/fd"
	fi
done <<'EOF'
--exclude='*.o'
--exclude=/f
--exclude=e/
--exclude='d/*.c'
--exclude='d/**/c'
--exclude=cache
--exclude='/d/cache/***'
--exclude='d/****'
--exclude='d/*/***'
--exclude='[a-c].*'
--exclude='?'
--exclude='**/sub'
--exclude='**/d'
--exclude='**/d/cache'
--exclude='/**/cache'
--exclude='/**/d'
--exclude='**f'
--include='*.c' --exclude='d/*'
--include='*/' --include='*.c' --exclude='*'
--filter='- *.o' --filter='+ d/' --filter='- d/e'
--exclude=build/
--exclude='big'
--filter="merge $T/rules"
--filter=". $T/rules2" --exclude='*.c'
--exclude='*.c' --filter=". $T/rules2"
EOF

# Exit codes of rule files, as rsync's: one that cannot be read is a file
# I/O error (11), a bad rule in one a usage error (1).
printf 'bogus rule\n' >"$T/badrules"
printf '. %s\n' "$T/selfrules" >"$T/selfrules"
for args in "--filter=merge\\ $T/none" "--exclude-from=$T/none" \
	    "--filter=merge\\ $T/badrules" "--filter=merge\\ $T/selfrules"; do
	eval "rsync -a $args \"\$S/\" \"\$T/r/\"" >/dev/null 2>&1
	echo $? >"$T/rr.rc"
	eval "\"\$UCP\" --sync $args \"\$S\" \"\$T/u\"" >/dev/null 2>"$T/ur.err"
	echo $? >"$T/ur.rc"
	cmp_rc "$T/rr" "$T/ur" "$args"
done
grep -q 'nest more than 32 deep' "$T/ur.err" || fail "self-merge said: $(cat "$T/ur.err")"
# A merge file that is a symlink loop is an open error, not nesting.
ln -s loop2 "$T/loop1" && ln -s loop1 "$T/loop2"
"$UCP" --sync --filter="merge $T/loop1" "$S" "$T/u" 2>"$T/ur.err"
[ $? = 11 ] || fail "merge of a symlink loop: exit status"
grep -q 'Too many levels of symbolic links' "$T/ur.err" ||
	fail "merge of a symlink loop said: $(cat "$T/ur.err")"

# --delete keeps excluded names, --delete-excluded removes them
for extra in "" --delete-excluded; do
	fixture "$S"
	rm -rf "$T/r" "$T/u"
	mkdir -p "$T/r" "$T/u"
	printf 'x\n' >"$T/r/junk.o"; printf 'x\n' >"$T/u/junk.o"
	rsync -aH --delete $extra --exclude='*.o' "$S/" "$T/r/"
	"$UCP" --sync --delete $extra --exclude='*.o' "$S" "$T/u" ||
		fail "--delete $extra: exit $?"
	diff <(cd "$T/r" && find . | sort) <(cd "$T/u" && find . | sort) ||
		fail "--delete $extra --exclude: differs from rsync"
done

# ... also inside a directory that is itself extraneous: an excluded file
# there stays, and so does its directory (rsync's notice on stdout, not a
# failure, and no "*deleting" line for it), nested too; the rest goes.
for extra in "" --delete-excluded; do
	for when in --delete-during --delete-before --delete-after; do
		fixture "$S"
		rm -rf "$T/r" "$T/u"
		for m in r u; do
			mkdir -p "$T/$m/gone/deeper/x" "$T/$m/gone/plain"
			printf 'x\n' >"$T/$m/gone/keep.o"
			printf 'x\n' >"$T/$m/gone/deeper/x/keep.o"
			printf 'x\n' >"$T/$m/gone/deeper/x/drop"
			printf 'x\n' >"$T/$m/gone/plain/drop"
		done
		rsync -aH --delete $when $extra --exclude='*.o' -i "$S/" "$T/r/" >"$T/r.out"
		rrc=$?
		# A dry run lists the same deletions and notices (rsync's own
		# dry run also lists a kept subdirectory as deleted).
		"$UCP" --sync --delete $when $extra --exclude='*.o' --itemize-changes \
			--dry-run "$S" "$T/u" >"$T/n.out" 2>&1 || fail "dry run: exit $?"
		"$UCP" --sync --delete $when $extra --exclude='*.o' --itemize-changes \
			"$S" "$T/u" >"$T/u.out" 2>"$T/u.err"
		urc=$?
		what="--delete $when $extra, excluded inside an extraneous directory"
		[ $urc = $rrc ] || fail "$what: exit $urc, rsync $rrc: $(cat "$T/u.err")"
		diff <(cd "$T/r" && find . | sort) <(cd "$T/u" && find . | sort) ||
			fail "$what: differs from rsync"
		diff <(grep -e deleting -e non-empty "$T/r.out" | sort -u) \
		     <(grep -e deleting -e non-empty "$T/u.out" | sort -u) ||
			fail "$what: deletions reported differently from rsync"
		diff <(grep -e deleting -e non-empty "$T/n.out" | sort) \
		     <(grep -e deleting -e non-empty "$T/u.out" | sort) ||
			fail "$what: the dry run said otherwise"
		[ -f "$T/u/gone/deeper/x/keep.o" ] || [ -n "$extra" ] ||
			fail "$what: the excluded file was deleted"
		[ ! -e "$T/u/gone/plain" ] || fail "$what: gone/plain stayed"
	done
done

# Hard-linked FIFOs and sockets are linked, as by rsync -aH, and itemized
# as rsync itemizes them; a second run changes nothing.
rm -rf "$T/hs" "$T/hr" "$T/hu"
mkdir -p "$T/hs/sub"
mkfifo "$T/hs/p" && ln "$T/hs/p" "$T/hs/p2" && ln "$T/hs/p" "$T/hs/sub/p3"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/hs/sock" &&
	ln "$T/hs/sock" "$T/hs/sub/sock2"
settimes "$T/hs"
rsync -aHi "$T/hs/" "$T/hr/" | sort >"$T/r.out"
"$UCP" --sync --itemize-changes "$T/hs" "$T/hu" | sort >"$T/u.out" ||
	fail "linked specials: exit $?"
diff <(grep -v '^created directory' "$T/r.out") <(grep -v '^created directory' "$T/u.out") ||
	fail "linked specials: itemized differently from rsync -aH"
diff <(cd "$T/hr" && find . ! -type d -printf '%n %y %p\n' | sort -k3) \
     <(cd "$T/hu" && find . ! -type d -printf '%n %y %p\n' | sort -k3) ||
	fail "linked specials: link counts differ from rsync -aH"
out=$("$UCP" --sync --itemize-changes "$T/hs" "$T/hu") || fail "linked specials, second run: exit $?"
[ -z "$out" ] || fail "linked specials, second run: $out"
# A new name of the group, and a separate FIFO in DEST where the source
# has a link: both end up linked to the group, as rsync -aH does.
ln "$T/hs/p" "$T/hs/sub/p4"
ln "$T/hs/p" "$T/hs/p5" && mkfifo "$T/hu/p5" "$T/hr/p5"
settimes "$T/hs"
rsync -aH "$T/hs/" "$T/hr/"
"$UCP" --sync "$T/hs" "$T/hu" || fail "linked specials, new links: exit $?"
diff <(cd "$T/hr" && find . ! -type d -printf '%n %y %p\n' | sort -k3) \
     <(cd "$T/hu" && find . ! -type d -printf '%n %y %p\n' | sort -k3) ||
	fail "linked specials, new links: link counts differ from rsync -aH"
[ "$(stat -c %i "$T/hu/p")" = "$(stat -c %i "$T/hu/p5")" ] ||
	fail "linked specials: the separate FIFO was not relinked"

# DEST inside SRC (a backup of / kept in /backup), with and without an
# exclude for it: no refusal, DEST is SRC's mirror without DEST, never a
# mirror nested in itself; a run after the settling one changes nothing.
for args in "" "--exclude=/backup" "--delete"; do
	fixture "$S"
	rm -rf "$T/in"
	cp -a "$S" "$T/in"
	for run in 1 2; do
		"$UCP" --sync $args "$T/in" "$T/in/backup" 2>"$T/err" ||
			fail "DEST in SRC ($args), run $run: exit $?: $(cat "$T/err")"
	done
	out=$("$UCP" --sync --itemize-changes $args "$T/in" "$T/in/backup") ||
		fail "DEST in SRC ($args), run 3: exit $?"
	[ -z "$out" ] || fail "DEST in SRC ($args), run 3 changed: $out"
	[ ! -e "$T/in/backup/backup" ] || fail "DEST in SRC ($args): mirrored into itself"
	mv "$T/in/backup" "$T/in.backup"
	same_tree --mode --links "$T/in" "$T/in.backup" || fail "DEST in SRC ($args): not a mirror"
	rm -rf "$T/in.backup"
done

# --delete-before and --delete-after give the same tree as during, and
# the same itemized lines as rsync (before: the directories that deletions
# changed are listed with their times, then fixed)
for when in --delete-before --delete-after --delete-during; do
	fixture "$S"
	rm -rf "$T/u" "$T/r"
	"$UCP" --sync "$S" "$T/u"; rsync -aH "$S/" "$T/r/"
	mutate "$S"
	for x in "$T/u" "$T/r"; do
		: >"$x/extra"; : >"$x/d/extra"
		touch -d '2021-03-04 05:06:07.123456789' "$x" "$x/d"
	done
	items "$T/ra" rsync -aHi $when "$S/" "$T/r/"
	items "$T/ua" "$UCP" --sync --itemize-changes $when "$S" "$T/u"
	cmp_items "$T/ra" "$T/ua" "$when"
	same_tree --mode --times --links "$S" "$T/u" || fail "$when: not a mirror"
done

# --max-delete: stops, exit 25 (rsync's)
fixture "$S"
rm -rf "$T/u" "$T/r"
"$UCP" --sync "$S" "$T/u"; rsync -aH "$S/" "$T/r/"
for i in 1 2 3; do : >"$T/u/x$i"; : >"$T/r/x$i"; done
rsync -aH --delete --max-delete=1 "$S/" "$T/r/" >/dev/null 2>&1; rrc=$?
"$UCP" --sync --delete --max-delete=1 "$S" "$T/u" 2>"$T/err"; rc=$?
[ $rc = 25 ] || fail "--max-delete: exit $rc, want 25 (rsync $rrc)"
[ "$(ls "$T/u" | grep -c '^x')" = 2 ] || fail "--max-delete=1 deleted more than one"
grep -q 'max-delete limit (2 skipped)' "$T/err" || fail "--max-delete: no message: $(cat "$T/err")"
# A directory whose entries the limit kept stays, with rsync's notice, and
# is not counted as skipped itself: the same count as rsync's.
mkdir -p "$T/u/xd" "$T/r/xd"; : >"$T/u/xd/y"; : >"$T/r/xd/y"
rsync -aH --delete --max-delete=0 "$S/" "$T/r/" >"$T/r.out" 2>"$T/r.err"
"$UCP" --sync --delete --max-delete=0 "$S" "$T/u" >"$T/u.out" 2>"$T/err"; rc=$?
[ $rc = 25 ] || fail "--max-delete=0: exit $rc, want 25"
diff "$T/r.out" "$T/u.out" || fail "--max-delete=0: notices differ from rsync's"
n=$(grep -o '([0-9]* skipped)' "$T/r.err")
grep -qF "$n" "$T/err" || fail "--max-delete=0: rsync said $n, ucp: $(cat "$T/err")"
# A failure as well (a symlink where DEST has a directory the limit
# keeps): rsync's 23 outranks 25, as 24 does.
ln -s nowhere "$S/xl"
mkdir -p "$T/u/xl" "$T/r/xl"; : >"$T/u/xl/y"; : >"$T/r/xl/y"
rsync -aH --delete --max-delete=0 "$S/" "$T/r/" >/dev/null 2>&1; rrc=$?
"$UCP" --sync --delete --max-delete=0 "$S" "$T/u" >/dev/null 2>&1; rc=$?
[ $rrc = 23 ] && [ $rc = 23 ] || fail "--max-delete and a failure: exit $rc, rsync $rrc, want 23"
rm "$S/xl"
# Making room for a symlink and a file (directories in the way, one of
# them nested) with the limit reached: what was in them counts, and so
# does a directory inside one that goes (rsync tries it against the
# limit); the directory in the way itself does not.  rsync's notices.
rm -rf "$T/mr" && mkdir -p "$T/mr/s"
ln -s x "$T/mr/s/a" && printf 'f\n' >"$T/mr/s/b"
for x in r u; do
	mkdir -p "$T/mr/$x/a" "$T/mr/$x/b/c"
	: >"$T/mr/$x/a/in"; : >"$T/mr/$x/b/c/in"; : >"$T/mr/$x/extra"
done
rsync -aHi --delete --max-delete=1 "$T/mr/s/" "$T/mr/r/" >"$T/r.out" 2>"$T/r.err"; rrc=$?
"$UCP" --sync --itemize-changes --delete --max-delete=1 "$T/mr/s" "$T/mr/u" >"$T/u.out" 2>"$T/err"; rc=$?
[ $rc = $rrc ] || fail "--max-delete, making room: exit $rc, rsync $rrc"
diff <(sort -u "$T/r.out") <(sort -u "$T/u.out") || fail "--max-delete, making room: notices differ from rsync's"
n=$(grep -o '([0-9]* skipped)' "$T/r.err")
grep -qF "$n" "$T/err" || fail "--max-delete, making room: rsync said $n, ucp: $(cat "$T/err")"
same_tree --links "$T/mr/r" "$T/mr/u" || fail "--max-delete, making room: trees differ from rsync's"
# Over the limit with --backup-dir, or with what is in it excluded: the
# directory stays whole (it was moved into the backup directory once), and
# the entry is not made, as rsync.
for args in "--max-delete=0 --backup --backup-dir=../bk" "--exclude=in"; do
	for x in r u; do
		rm -rf "$T/mr/$x" "$T/mr/bk" && mkdir -p "$T/mr/$x/a" && : >"$T/mr/$x/a/in"
	done
	rsync -aH --delete $args "$T/mr/s/" "$T/mr/r/" >/dev/null 2>&1; rrc=$?
	"$UCP" --sync --delete $args "$T/mr/s" "$T/mr/u" >/dev/null 2>"$T/err"; rc=$?
	[ $rc = $rrc ] || fail "making room, $args: exit $rc, rsync $rrc: $(cat "$T/err")"
	[ -f "$T/mr/u/a/in" ] && [ ! -e "$T/mr/bk/a" ] ||
		fail "making room, $args: the directory did not stay"
	grep -q "could not make way for '$T/mr/u/a'" "$T/err" || fail "making room, $args: $(cat "$T/err")"
done
# Room made within the limit: the directory itself is not counted.
for x in r u; do rm -rf "$T/mr/$x" && mkdir -p "$T/mr/$x/a" && : >"$T/mr/$x/a/in"; done
rsync -aHi --delete --max-delete=1 "$T/mr/s/" "$T/mr/r/" >/dev/null 2>&1; rrc=$?
"$UCP" --sync --delete --max-delete=1 "$T/mr/s" "$T/mr/u" 2>"$T/err"; rc=$?
[ $rc = 0 ] && [ $rrc = 0 ] || fail "--max-delete, room within the limit: exit $rc, rsync $rrc: $(cat "$T/err")"
same_tree --links "$T/mr/r" "$T/mr/u" || fail "--max-delete, room within the limit: trees differ from rsync's"

# --link-dest: unchanged files are links into the earlier snapshot
fixture "$S"
rm -rf "$T/b"; mkdir "$T/b"
"$UCP" --sync "$S" "$T/b/1" || fail "snapshot 1"
printf 'changed\n' >"$S/d/g"
"$UCP" --sync --link-dest=../1 "$S" "$T/b/2" || fail "snapshot 2: exit $?"
rsync -aH --link-dest=../1 "$S/" "$T/b/r2/"
same_tree --mode --times "$S" "$T/b/2" || fail "--link-dest: not a mirror"
[ "$(stat -c %i "$T/b/1/same/k")" = "$(stat -c %i "$T/b/2/same/k")" ] ||
	fail "--link-dest: unchanged file not linked"
[ "$(stat -c %i "$T/b/1/d/g")" != "$(stat -c %i "$T/b/2/d/g")" ] ||
	fail "--link-dest: changed file linked"
links() { (cd "$1" && find . ! -type d -printf '%p %y %n\n' | sort); }
diff <(links "$T/b/r2") <(links "$T/b/2") ||
	fail "--link-dest: link counts differ from rsync's"
# Symlinks and FIFOs are linked too, and what is new is itemized against
# the earlier snapshot's namesake: a mode, a retargeted symlink, a new
# directory's time, a changed file.
chmod 600 "$S/m"; ln -sfn d "$S/ln"; touch -d 2023-01-01 "$S/d/e"
for n in 3 4; do
	rm -rf "$T/b/$n" "$T/b/r$n"
	items "$T/ri$n" rsync -aHi --link-dest=../1 "$S/" "$T/b/r$n/"
	items "$T/ui$n" "$UCP" --sync --itemize-changes --link-dest=../1 "$S" "$T/b/$n"
	cmp_items "$T/ri$n" "$T/ui$n" "--link-dest into a new DEST"
	diff <(links "$T/b/r$n") <(links "$T/b/$n") ||
		fail "--link-dest: link counts (specials, changes) differ from rsync's"
	# Into a DEST that has its own copies (an earlier run, stopped):
	# rsync links each that --link-dest has the same, up to date or not.
	rm -rf "$S.p"; cp -a "$S" "$S.p"
	"$UCP" --sync "$S.p" "$T/b/u$n"; rsync -aH "$S.p/" "$T/b/v$n/"
	printf 'stale\n' >"$T/b/u$n/same/k"; printf 'stale\n' >"$T/b/v$n/same/k"
	items "$T/rj$n" rsync -aHi --link-dest=../1 "$S/" "$T/b/v$n/"
	items "$T/uj$n" "$UCP" --sync --itemize-changes --link-dest=../1 "$S" "$T/b/u$n"
	# Known difference: rsync also prints the second name of a
	# hard-linked pair as "hf lk => hl" there; ucp links both names to
	# the snapshot silently (the same tree).
	grep -v ' lk$' "$T/rj$n" >"$T/rj$n.x"
	cmp_items "$T/rj$n.x" "$T/uj$n" "--link-dest into a DEST with copies"
	diff <(links "$T/b/v$n") <(links "$T/b/u$n") ||
		fail "--link-dest into a DEST with copies: links differ from rsync's"
	same_tree --mode --times --links "$S" "$T/b/u$n" ||
		fail "--link-dest into a DEST with copies: not a mirror"
	# The dry run says the same, and links nothing.
	before=$(links "$T/b/u$n")
	items "$T/uk$n" "$UCP" --sync --itemize-changes --dry-run --link-dest=../1 "$S" "$T/b/u$n"
	[ "$before" = "$(links "$T/b/u$n")" ] || fail "--link-dest --dry-run changed DEST"
	[ ! -s "$T/uk$n" ] || fail "--link-dest: settled DEST itemized: $(cat "$T/uk$n")"
	cp -a "$S" "$S.q" && rm -rf "$S" && mv "$S.q" "$S"	# other inodes
done
# With --backup: a copy with the same data is replaced by the link with
# no backup (rsync's tree); one whose data differs is backed up first
# (rsync makes no backup there: ucp keeps --backup's promise).
rm -rf "$T/b/k" && "$UCP" --sync "$S" "$T/b/k"
printf 'stale\n' >"$T/b/k/same/k"
"$UCP" --sync --backup --link-dest=../1 "$S" "$T/b/k" || fail "--link-dest --backup: exit $?"
[ "$(stat -c %i "$T/b/1/f")" = "$(stat -c %i "$T/b/k/f")" ] &&
	[ "$(stat -c %i "$T/b/1/same/k")" = "$(stat -c %i "$T/b/k/same/k")" ] ||
	fail "--link-dest --backup: not linked"
[ ! -e "$T/b/k/f~" ] || fail "--link-dest --backup: a copy with the same data backed up"
[ "$(cat "$T/b/k/same/k~" 2>/dev/null)" = stale ] ||
	fail "--link-dest --backup: the replaced data was not backed up"
# ... with --size-only too: a copy of the same size with other data and
# time is not "the same data" for its backup.
rm -rf "$T/b/k" && "$UCP" --sync "$S" "$T/b/k"
printf 'ALPHA\n' >"$T/b/k/f" && touch -d 2011-01-01 "$T/b/k/f"
"$UCP" --sync --backup --size-only --link-dest=../1 "$S" "$T/b/k" ||
	fail "--link-dest --backup --size-only: exit $?"
[ "$(stat -c %i "$T/b/1/f")" = "$(stat -c %i "$T/b/k/f")" ] ||
	fail "--link-dest --backup --size-only: not linked"
[ "$(cat "$T/b/k/f~" 2>/dev/null)" = ALPHA ] ||
	fail "--link-dest --backup --size-only: the replaced data was not backed up"
# DEST has another type where the snapshot has the same file: the file is
# linked in its place, as rsync (a symlink is made anew, as rsync).
rm -rf "$T/b/w" "$T/b/rw"; mkdir -p "$T/b/w" "$T/b/rw"
for x in w rw; do ln -s elsewhere "$T/b/$x/f"; printf 'file\n' >"$T/b/$x/ln"; done
items "$T/rw" rsync -aHi --link-dest=../1 "$S/" "$T/b/rw/"
items "$T/uw" "$UCP" --sync --itemize-changes --link-dest=../1 "$S" "$T/b/w"
cmp_items "$T/rw" "$T/uw" "--link-dest over another type"
diff <(links "$T/b/rw") <(links "$T/b/w") ||
	fail "--link-dest over another type: links differ from rsync's"
[ "$(stat -c %i "$T/b/1/f")" = "$(stat -c %i "$T/b/w/f")" ] ||
	fail "--link-dest over another type: the file was not linked"
# A hard-linked pair of which the snapshot has one name: one file in the
# new DEST, linked into the snapshot (rsync -H: the other name joins it),
# whichever name the walk meets first (see also "groups met as a new
# name" below).
for x in hl lk; do
	rm -rf "$T/b/p" "$T/b/up" "$T/b/rp"; cp -a "$T/b/1" "$T/b/p"; rm "$T/b/p/$x"
	items "$T/rp" rsync -aHi --link-dest=../p "$S/" "$T/b/rp/"
	items "$T/up" "$UCP" --sync --itemize-changes --link-dest=../p "$S" "$T/b/up"
	cmp_items "$T/rp" "$T/up" "--link-dest, half a pair (no $x)"
	i=$(stat -c %i "$T/b/p/$( [ $x = hl ] && echo lk || echo hl)")
	[ "$(stat -c %i "$T/b/up/lk")" = "$i" ] && [ "$(stat -c %i "$T/b/up/hl")" = "$i" ] ||
		fail "--link-dest, half a pair (no $x): not one file linked into the snapshot"
done
# A DEST that holds the pair as one file already keeps it (no temp left).
"$UCP" --sync --itemize-changes --link-dest=../1 "$S" "$T/b/up" >"$T/up2" ||
	fail "--link-dest, the pair again: exit $?"
[ ! -s "$T/up2" ] || fail "--link-dest, the pair again: itemized $(cat "$T/up2")"
same_tree --mode --times --links "$S" "$T/b/up" || fail "--link-dest, the pair again: not a mirror"
# A DEST with the pair as its own file, the snapshot with one name: the
# pair stays one file (at DEST's or the snapshot's), no temp name left.
for x in hl lk; do
	rm -rf "$T/b/uq" "$T/b/q"; "$UCP" --sync "$S" "$T/b/uq"
	cp -a "$T/b/1" "$T/b/q"; rm "$T/b/q/$x"
	"$UCP" --sync --link-dest=../q "$S" "$T/b/uq" || fail "--link-dest, own pair ($x): exit $?"
	[ "$(stat -c %i "$T/b/uq/lk")" = "$(stat -c %i "$T/b/uq/hl")" ] ||
		fail "--link-dest, own pair ($x): two files"
	[ -z "$(find "$T/b/uq" -name '.ucp.*')" ] || fail "--link-dest, own pair ($x): a temp name left"
	same_tree --mode --times --links "$S" "$T/b/uq" || fail "--link-dest, own pair ($x): not a mirror"
done
# A --link-dest on another filesystem cannot be linked to: each entry it
# has the same is copied instead (rsync's fallback), and nothing fails.
if [ "$(id -u)" = 0 ] && mkdir -p "$T/ldfs" &&
	mount -t tmpfs -o size=16m tmpfs "$T/ldfs" 2>/dev/null; then
	cp -a "$T/b/1" "$T/ldfs/1"
	for d in new old; do
		rm -rf "$T/b/x"
		[ $d = old ] && "$UCP" --sync "$S.p" "$T/b/x"	# DEST has copies
		"$UCP" --sync --link-dest="$T/ldfs/1" "$S" "$T/b/x" >"$T/xo" 2>&1 ||
			fail "--link-dest on another filesystem ($d DEST): exit $?: $(cat "$T/xo")"
		same_tree --mode --times --links "$S" "$T/b/x" ||
			fail "--link-dest on another filesystem ($d DEST): not a mirror"
	done
	umount "$T/ldfs"
fi

# Groups met as a new name: DEST (or the --link-dest snapshot) has one
# name of a hard-linked group and the source another.  rsync -H links the
# new name to the one DEST has, whichever it lists first; so does ucp,
# whichever name the walk meets first and whatever completes first (the
# synchronous engine and the ring met them in different orders before).
# Pairs in one directory, in both name orders, one across directories,
# and one with a third link outside the source (the walk's end lets it
# go), against rsync's itemized lines and inodes.
H=$T/hg
rm -rf "$H"; mkdir -p "$H/s/d1" "$H/s/d2"
for i in 1 2 3 4 5 6; do
	mkfile "$H/s/a$i" $((i * 70000)); ln "$H/s/a$i" "$H/s/z$i"
done
printf 'across\n' >"$H/s/d1/x"; ln "$H/s/d1/x" "$H/s/d2/y"
printf 'outside\n' >"$H/s/o1"; ln "$H/s/o1" "$H/s/o2"; ln "$H/s/o1" "$H/out"
# ... and one DEST has no name of: it waits for the walk's end.
printf 'none\n' >"$H/s/q1"; ln "$H/s/q1" "$H/s/q2"; ln "$H/s/q1" "$H/out2"
settimes "$H/s"
# drop NAMES...: a mirror without these names; its other names' inodes.
drop() {
	local d=$1 n
	shift
	rm -rf "$d"; rsync -aH "$H/s/" "$d/"
	for n; do rm "$d/$n"; done
	touch -h -d '2021-03-04 05:06:07.123456789' "$d" "$d/d1" "$d/d2"
}
gone="a1 z2 a3 z4 a5 z6 d2/y o2 q1 q2"
drop "$H/ru" $gone; drop "$H/uu" $gone
items "$H/r" rsync -aHi "$H/s/" "$H/ru/"
items "$H/u" "$UCP" --sync --itemize-changes "$H/s" "$H/uu"
cmp_items "$H/r" "$H/u" "groups met as a new name"
same_tree --mode --times --links "$H/s" "$H/uu" || fail "groups met as a new name: not a mirror"
for n in a1 a2 a3 a4 a5 a6 d1/x o1 q1; do
	m=$(echo "$n" | sed -e 's/^a/z/' -e 's,^d1/x,d2/y,' -e 's/^o1/o2/' -e 's/^q1/q2/')
	for t in ru uu; do
		[ "$(stat -c %i "$H/$t/$n")" = "$(stat -c %i "$H/$t/$m")" ] ||
			fail "groups met as a new name ($t): $n and $m are two files"
	done
done
# The name DEST had is the group's file: its inode stays.
drop "$H/uu" $gone
for n in z1 a2 z3 a4 z5 a6 d1/x o1; do echo "$n $(stat -c %i "$H/uu/$n")"; done >"$H/ino"
"$UCP" --sync "$H/s" "$H/uu" || fail "groups met as a new name: exit $?"
while read -r n i; do
	[ "$(stat -c %i "$H/uu/$n")" = "$i" ] ||
		fail "groups met as a new name: $n was copied anew, not kept"
done <"$H/ino"
# The same against a --link-dest snapshot, into a new DEST: every group
# linked into the snapshot.
drop "$H/snap" $gone
rm -rf "$H/rl" "$H/ul"
items "$H/r" rsync -aHi --link-dest="$H/snap" "$H/s/" "$H/rl/"
items "$H/u" "$UCP" --sync --itemize-changes --link-dest="$H/snap" "$H/s" "$H/ul"
cmp_items "$H/r" "$H/u" "groups met as a new name, --link-dest"
same_tree --mode --times --links "$H/s" "$H/ul" ||
	fail "groups met as a new name, --link-dest: not a mirror"
for n in z1 a2 z3 a4 z5 a6 d1/x o1; do
	[ "$(stat -c %i "$H/ul/$n")" = "$(stat -c %i "$H/snap/$n")" ] ||
		fail "groups met as a new name, --link-dest: $n not linked into the snapshot"
done
# With nothing to find (a new DEST), no name waits: the run still links
# every group, the outside link included.
rm -rf "$H/new"
"$UCP" --sync "$H/s" "$H/new" || fail "groups, new DEST: exit $?"
same_tree --mode --times --links "$H/s" "$H/new" || fail "groups, new DEST: not a mirror"

# --backup (and --suffix, --backup-dir) keep what is replaced or deleted
# A second run after more changes: rsync keeps the backups beside the
# files from deletion (an implicit "P *SUFFIX" rule), except with
# --delete-excluded, where it deletes them without backups of backups.
for args in "--backup" "--backup --suffix=.bak" "--backup-dir=../bk" \
	    "--backup --delete-excluded" "--backup --suffix=.bak --delete-excluded"; do
	fixture "$S"
	rm -rf "$T/r" "$T/u" "$T/bk"
	rsync -aH "$S/" "$T/r/"; "$UCP" --sync "$S" "$T/u"
	# Files only: rsync itself cannot delete a directory whose files
	# it keeps as backups beside them.
	printf 'ALPHA!\n' >"$S/f"; rm "$S/d/g" "$S/same/k"
	settimes "$S"
	rsync -aH --delete $args "$S/" "$T/r/"
	rm -rf "$T/rbk"; [ -d "$T/bk" ] && mv "$T/bk" "$T/rbk"
	"$UCP" --sync --delete $args "$S" "$T/u" || fail "$args: exit $?"
	# (rsync leaves the times of directories it put backups in as the
	# backups left them; ucp puts the source's back: no --times here)
	same_tree --mode --links "$T/r" "$T/u" || fail "$args: trees differ from rsync's"
	if [ -d "$T/rbk" ]; then
		same_tree --mode --links "$T/rbk" "$T/bk" || fail "$args: backup dir differs"
	fi
	printf 'ALPHA, again\n' >"$S/f"; rm "$S/m"
	settimes "$S"
	rm -rf "$T/ubk"; [ -d "$T/bk" ] && mv "$T/bk" "$T/ubk"
	[ -d "$T/rbk" ] && mv "$T/rbk" "$T/bk"
	rsync -aH --delete $args "$S/" "$T/r/"
	rm -rf "$T/rbk"; [ -d "$T/bk" ] && mv "$T/bk" "$T/rbk"
	[ -d "$T/ubk" ] && mv "$T/ubk" "$T/bk"
	"$UCP" --sync --delete $args "$S" "$T/u" || fail "$args, again: exit $?"
	same_tree --mode --links "$T/r" "$T/u" || fail "$args, again: trees differ from rsync's"
	if [ -d "$T/rbk" ]; then
		same_tree --mode --links "$T/rbk" "$T/bk" || fail "$args, again: backup dir differs"
	fi
done

# A new link to a file DEST has unchanged: no backup of the unchanged
# file, whichever name the walk meets first (rsync makes none).
fixture "$S"
rm -rf "$T/r" "$T/u"
rsync -aH "$S/" "$T/r/"; "$UCP" --sync "$S" "$T/u"
ln "$S/same/k" "$S/same/k2"
rsync -aH --delete --backup "$S/" "$T/r/"
"$UCP" --sync --delete --backup "$S" "$T/u" || fail "--backup, new link: exit $?"
same_tree --mode --links "$T/r" "$T/u" || fail "--backup, new link: trees differ from rsync's"
[ ! -e "$T/u/same/k~" ] && [ ! -e "$T/u/same/k2~" ] || fail "--backup, new link: an unchanged file was backed up"

# An entry of another type whose name ends in the suffix, replaced by a
# file: rsync deletes it first, and its delete step backs up no backup
# (a symlink or FIFO z~ goes with no z~~); a file over a file, or any
# entry replaced by a symlink, is still backed up (checked by rsync).
rm -rf "$T/bs" "$T/r" "$T/u"
mkdir -p "$T/bs" "$T/r"
for n in lf pf ff fl; do
	case $n in
	l?) ln -s elsewhere "$T/r/$n~" ;;
	p?) mkfifo "$T/r/$n~" ;;
	f?) printf 'older data\n' >"$T/r/$n~" ;;
	esac
	case $n in
	?f) printf 'new\n' >"$T/bs/$n~" ;;
	?l) ln -s new "$T/bs/$n~" ;;
	esac
done
cp -a "$T/r" "$T/u"
rsync -aH --backup "$T/bs/" "$T/r/"
"$UCP" --sync --backup "$T/bs" "$T/u" || fail "--backup, suffixed names: exit $?"
same_tree --mode --links "$T/r" "$T/u" || fail "--backup, suffixed names: trees differ from rsync's"
[ ! -e "$T/u/lf~~" ] && [ ! -e "$T/u/pf~~" ] && [ -f "$T/u/ff~~" ] &&
	[ -f "$T/u/fl~~" ] || fail "--backup, suffixed names: wrong backups: $(ls "$T/u")"

# A deleted directory whose files were backed up in it (--backup without
# --backup-dir) cannot go: rsync says so on stdout, does not itemize it as
# deleted, and it is no failure.
# (rsync prints some of these lines twice: compared as sets.)
fixture "$S"
rm -rf "$T/r" "$T/u"
rsync -aH "$S/" "$T/r/"; "$UCP" --sync "$S" "$T/u"
rm -r "$S/d"
settimes "$S"
rsync -aH --delete --backup -i "$S/" "$T/r/" >"$T/r.out"; rrc=$?
"$UCP" --sync --delete --backup --itemize-changes "$S" "$T/u" >"$T/u.out" 2>"$T/u.err"; urc=$?
[ $urc = $rrc ] || fail "--backup, deleted directory: exit $urc, rsync $rrc: $(cat "$T/u.err")"
grep -q '^cannot delete non-empty directory: d$' "$T/r.out" ||
	fail "rsync's message changed: $(cat "$T/r.out")"
diff <(sort -u "$T/r.out") <(sort -u "$T/u.out") ||
	fail "--backup, deleted directory: notices differ from rsync's"
same_tree --mode --links "$T/r" "$T/u" || fail "--backup, deleted directory: trees differ"

# size and time options against rsync
# (Times that differ by less than a second in DEST: the same to rsync
# unless --modify-window is negative.)
for args in "" --size-only --ignore-times --checksum --existing --ignore-existing \
	    --update "--max-size=100K" "--min-size=5" "--modify-window=2" \
	    "--modify-window=-1" "--update --modify-window=1" \
	    "--ignore-times --size-only" "--ignore-times --checksum"; do
	fixture "$S"
	rm -rf "$T/r" "$T/u"
	rsync -aH "$S/" "$T/r/"; "$UCP" --sync "$S" "$T/u"
	printf 'xyz\n' >"$S/samesize"
	printf 'abcd\n' >"$S/f"
	printf 'brand new\n' >"$S/newfile"
	settimes "$S"
	touch -d '2021-03-04 05:06:08' "$S/samesize"
	printf 'newer in dst\n' >"$T/r/m"; printf 'newer in dst\n' >"$T/u/m"
	touch -d '2030-01-01' "$T/r/m" "$T/u/m"
	# a symlink and a FIFO newer in DEST, and a symlink newer in DEST
	# where the source has a file (--update is for files onto files)
	for x in r u; do
		ln -sfn elsewhere "$T/$x/ln" && rm "$T/$x/fifo" && ln -s f "$T/$x/fifo"
		rm "$T/$x/d/g" && ln -s f "$T/$x/d/g"
		touch -h -d '2030-01-01' "$T/$x/ln" "$T/$x/fifo" "$T/$x/d/g"
	done
	touch -d '2021-03-04 05:06:07.5' "$T/r/same/k" "$T/u/same/k" "$T/r/d" "$T/u/d"
	printf 'KEEP\n' >"$T/r/empty"; printf 'KEEP\n' >"$T/u/empty"
	touch -d '2021-03-04 05:06:07.9' "$T/r/empty" "$T/u/empty"
	items "$T/ra" rsync -aHi $args "$S/" "$T/r/"
	items "$T/ua" "$UCP" --sync --itemize-changes $args "$S" "$T/u"
	cmp_rc "$T/ra" "$T/ua" "$args"
	cmp_items "$T/ra" "$T/ua" "$args"
	same_tree --mode --times --links "$T/r" "$T/u" || fail "$args: trees differ from rsync's"
done

# --existing where an entry changes type: the name exists, so rsync
# replaces it (a directory in the way only with --delete or empty); what
# is in a new directory is not made.
for args in --existing "--existing --delete"; do
	rm -rf "$T/ex" && mkdir -p "$T/ex/s/d" "$T/ex/s/e" "$T/ex/r/l" "$T/ex/r/m"
	printf '1\n' >"$T/ex/s/d/f"; ln -s x "$T/ex/s/l"; ln -s y "$T/ex/s/m"
	printf 'e\n' >"$T/ex/s/e/g"
	printf '2\n' >"$T/ex/r/d"; printf '3\n' >"$T/ex/r/l/in"; ln -s z "$T/ex/r/e"
	settimes "$T/ex"
	cp -a "$T/ex/r" "$T/ex/u"
	items "$T/ra" rsync -aHi $args "$T/ex/s/" "$T/ex/r/"
	items "$T/ua" "$UCP" --sync --itemize-changes $args "$T/ex/s" "$T/ex/u"
	cmp_rc "$T/ra" "$T/ua" "$args, types change"
	cmp_items "$T/ra" "$T/ua" "$args, types change"
	same_tree --mode --links "$T/ex/r" "$T/ex/u" || fail "$args, types change: trees differ from rsync's"
done

# -u with a negative --modify-window: DEST's file newer by a fraction of a
# second is kept, an older one replaced (rsync compares whole seconds
# there, off by one: man STANDARDS).
rm -rf "$T/nw" && mkdir -p "$T/nw/s" && printf 'new\n' >"$T/nw/s/newer" && printf 'new\n' >"$T/nw/s/older"
touch -d '2021-03-04 05:06:07.5' "$T/nw/s/newer" "$T/nw/s/older"
"$UCP" --sync "$T/nw/s" "$T/nw/d" || fail "-u window: first run"
printf 'dst\n' >"$T/nw/d/newer"; printf 'dst\n' >"$T/nw/d/older"
touch -d '2021-03-04 05:06:07.6' "$T/nw/d/newer"
touch -d '2021-03-04 05:06:07.4' "$T/nw/d/older"
"$UCP" --sync -u --modify-window=-1 "$T/nw/s" "$T/nw/d" || fail "-u window: exit $?"
[ "$(cat "$T/nw/d/newer")" = dst ] || fail "-u --modify-window=-1 replaced a newer file"
[ "$(cat "$T/nw/d/older")" = new ] || fail "-u --modify-window=-1 kept an older file"

# --files-from (and --from0)
fixture "$S"
printf 'f\nd/e/big\nsame\n' >"$T/list"
printf 'f\0d/e/big\0same\0' >"$T/list0"
rm -rf "$T/r" "$T/u" "$T/u0"
rsync -a --files-from="$T/list" "$S/" "$T/r/"
"$UCP" --sync --files-from="$T/list" "$S" "$T/u" || fail "--files-from: exit $?"
"$UCP" --sync --from0 --files-from="$T/list0" "$S" "$T/u0" || fail "--from0: exit $?"
diff <(cd "$T/r" && find . | sort) <(cd "$T/u" && find . | sort) || fail "--files-from differs from rsync"
diff <(cd "$T/u" && find . | sort) <(cd "$T/u0" && find . | sort) || fail "--from0 differs"
# A listed path SRC does not have: an error (exit 23, as rsync), the others
# transferred.
printf 'f\nmissing\nnodir/x\n' >"$T/list"
rm -rf "$T/r" "$T/u"
rsync -a --files-from="$T/list" "$S/" "$T/r/" 2>/dev/null; rrc=$?
"$UCP" --sync --files-from="$T/list" "$S" "$T/u" 2>"$T/err"; rc=$?
[ $rc = 23 ] && [ $rrc = 23 ] || fail "--files-from, missing paths: exit $rc, rsync $rrc"
[ "$(grep -c "^ucp: cannot stat '$S/[mn].*': No such file or directory\$" "$T/err")" = 2 ] ||
	fail "--files-from, missing paths: $(cat "$T/err")"
diff <(cd "$T/r" && find . | sort) <(cd "$T/u" && find . | sort) || fail "--files-from, missing paths: differs from rsync"

# --files-from as rsync's --dirs: "dir/" and "." bring a directory's
# entries (subdirectories empty), a bare "dir" only itself; DEST's own
# attributes are transferred only when "." is listed, otherwise left
# alone (not itemized, not counted), new or existing.
for list in 'f\nd/\n' '.\nd/e/big\n' 'd\nsame/k\n' './\n'; do
	for new in 1 0; do
		rm -rf "$T/r" "$T/u"
		if [ $new = 0 ]; then
			mkdir "$T/r" "$T/u"
			chmod 711 "$T/r" "$T/u"
			touch -d 2001-01-01 "$T/r" "$T/u"
		fi
		printf "$list" >"$T/list"
		items "$T/rf" rsync -aHi --stats --files-from="$T/list" "$S/" "$T/r/"
		items "$T/uf" "$UCP" --sync --itemize-changes --stats \
			--files-from="$T/list" "$S" "$T/u"
		# rsync counts an entry twice when both "." and a path below
		# it bring it (d, for d/e/big): its counts only without that
		pat='^([.ch>X]|Number of (created )?files)'
		[ "$list" = '.\nd/e/big\n' ] && pat='^[.ch>X]'
		grep -E "$pat" "$T/rf" >"$T/rf2"
		grep -E "$pat" "$T/uf" >"$T/uf2"
		cmp_rc "$T/rf" "$T/uf" "--files-from '$list'"
		cmp_items "$T/rf2" "$T/uf2" "--files-from '$list' (new DEST $new)"
		case $list in
		.*) ;;
		*)	[ "$(stat -c %a "$T/u")" = "$(stat -c %a "$T/r")" ] ||
				fail "--files-from '$list': DEST's mode changed"
			# entries made in it changed its time, for both
			touch -d 2001-01-01 "$T/r" "$T/u" ;;
		esac
		same_tree --mode --times --links "$T/r" "$T/u" ||
			fail "--files-from '$list' (new DEST $new): differs from rsync"
	done
done
# ... and its paths are relative to one SRC: two are a usage error
printf 'f\n' >"$T/list"
rm -rf "$T/r" "$T/u"
items "$T/r2s" rsync -a --files-from="$T/list" "$S/" "$S/d/" "$T/r/"
items "$T/u2s" "$UCP" --sync --files-from="$T/list" "$S" "$S/d" "$T/u"
cmp_rc "$T/r2s" "$T/u2s" "--files-from with two sources"
[ -e "$T/u" ] && fail "--files-from with two sources made DEST"

# several sources: each to DEST/NAME, as rsync -a A B DEST/
fixture "$S"
rm -rf "$T/r" "$T/u"
rsync -aH "$S/d" "$S/f" "$T/r/"
"$UCP" --sync "$S/d" "$S/f" "$T/u" || fail "several sources: exit $?"
touch -d 2001-01-01 "$T/r" "$T/u"	# DEST itself is not a mirror of anything
same_tree --mode --times --links "$T/r" "$T/u" || fail "several sources differ from rsync"

# --stats uses rsync's names and counts
fixture "$S"
rm -rf "$T/r" "$T/u"
rsync -aH --stats "$S/" "$T/r/" | grep -E '^(Number of|Total file size|Total transferred)' >"$T/rs"
"$UCP" --sync --stats "$S" "$T/u" | grep -E '^(Number of|Total file size|Total transferred)' >"$T/us"
cmp_items "$T/rs" "$T/us" "--stats"

# exit codes: usage 1, missing source 23
"$UCP" --delete a b 2>/dev/null; [ $? = 1 ] || fail "--delete without --sync: not a usage error"
"$UCP" --sync -n a b 2>"$T/err"; [ $? = 1 ] || fail "--sync -n: not a usage error"
grep -q "cannot be used with --sync" "$T/err" || fail "--sync -n: message: $(cat "$T/err")"
# A backup named as its file would leave the old data at a temp name that
# the next run sweeps; one with a '/' cannot be made: refused, as rsync
# refuses them (and nothing is copied).
rm -rf "$T/u"; mkdir "$T/u"; printf 'old\n' >"$T/u/f"
for args in "--backup --suffix=" "--suffix=" "--backup --suffix=a/b"; do
	rsync -a $args "$S/" "$T/u/" 2>/dev/null; rrc=$?
	"$UCP" --sync $args "$S" "$T/u" 2>"$T/err"; rc=$?
	[ $rc = 1 ] && [ $rrc = 1 ] || fail "$args: exit $rc (rsync $rrc), want 1"
	grep -q "^ucp: --suffix cannot" "$T/err" || fail "$args: message: $(cat "$T/err")"
	[ "$(ls -A "$T/u")" = f ] && [ "$(cat "$T/u/f")" = old ] || fail "$args: DEST changed"
done
"$UCP" --sync "$T/nonexistent" "$T/u" 2>/dev/null; rc=$?
[ $rc = 23 ] || fail "missing source: exit $rc, want 23"

# a source that cannot be read fully never drives deletions (rsync's
# rule); as an unprivileged user, for whom permissions bite
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	fixture "$S"
	rm -rf "$T/u"
	mkdir "$S/locked"; : >"$S/locked/secret"
	"$UCP" --sync "$S" "$T/u"
	: >"$T/u/extra"; : >"$T/u/locked/extra"
	chmod 000 "$S/locked"
	chown -R 65534:65534 "$S" "$T/u"; chmod 755 "$T"
	# Before and after: an error anywhere stops every deletion.
	for when in --delete-before --delete-after; do
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$UCP" --sync $when "$S" "$T/u" 2>"$T/err"; rc=$?
		[ $rc = 23 ] || fail "$when, unreadable source dir: exit $rc, want 23"
		[ -e "$T/u/extra" ] || fail "$when: deleted after a source read error"
		grep -q 'IO error encountered -- skipping file deletion' "$T/err" ||
			fail "$when: no 'skipping file deletion' message: $(cat "$T/err")"
	done
	# During: nothing in the directory that could not be read.
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$UCP" --sync --delete "$S" "$T/u" 2>"$T/err"; rc=$?
	[ $rc = 23 ] || fail "--delete, unreadable source dir: exit $rc, want 23"
	[ -e "$T/u/locked/extra" ] || fail "--delete: deleted in an unread directory"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$UCP" --sync --delete --ignore-errors "$S" "$T/u" 2>/dev/null
	[ -e "$T/u/extra" ] && fail "--ignore-errors: extraneous file kept"
	chmod 755 "$S/locked"; chown -R 0:0 "$S"

	# As a user, a source file's group we are not a member of cannot be
	# given to the copy (rsync keeps only our groups): the second run is
	# silent, as rsync's.
	fixture "$S"
	rm -rf "$T/u" "$T/r" && mkdir "$T/u" "$T/r"
	chown -R 65534:0 "$S"; chown 65534:65534 "$T/u" "$T/r"
	for x in 1 2; do
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			rsync -aHi "$S/" "$T/r/" >"$T/r.out$x" 2>&1
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$UCP" --sync --itemize-changes "$S" "$T/u" >"$T/u.out$x" 2>&1
	done
	[ ! -s "$T/r.out2" ] || fail "rsync's second run as a user said: $(cat "$T/r.out2")"
	[ ! -s "$T/u.out2" ] || fail "second run as a user, groups not ours: $(cat "$T/u.out2")"
	same_tree --mode --owner --links "$T/r" "$T/u" || fail "as a user, groups not ours: trees differ from rsync's"
	chown -R 0:0 "$S"

	# As a user, DEST's directories of ours that we may not list, search
	# or write (0600, 0500) are opened to us while their entries are
	# copied and deleted, and get the source's mode after (rsync's
	# rule); a read-only file of ours is written --inplace all the same.
	for args in --delete "--delete --inplace"; do
		fixture "$S"
		rm -rf "$T/u" "$T/r"
		rsync -aH "$S/" "$T/r/" && rsync -aH "$S/" "$T/u/"
		for x in r u; do
			: >"$T/$x/d/extra"; printf 'old\n' >"$T/$x/f"
			chmod 444 "$T/$x/f"; touch -d 2001-01-01 "$T/$x/f"
			chmod 600 "$T/$x/d"; chmod 500 "$T/$x/d/e"
		done
		chmod 711 "$S/d"
		chown -R 65534:65534 "$S" "$T/u" "$T/r"
		items "$T/ra" setpriv --reuid=65534 --regid=65534 --clear-groups \
			rsync -aHi $args "$S/" "$T/r/"
		items "$T/ua" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$UCP" --sync --itemize-changes $args "$S" "$T/u"
		cmp_rc "$T/ra" "$T/ua" "as a user, $args, closed directories"
		sort -o "$T/ra" "$T/ra"; sort -o "$T/ua" "$T/ua"
		cmp_items "$T/ra" "$T/ua" "as a user, $args, closed directories"
		same_tree --mode --links "$T/r" "$T/u" ||
			fail "as a user, $args, closed directories: trees differ from rsync's"
		chown -R 0:0 "$S"
	done

	# Extraneous directories of ours that we may not list, search or
	# write go all the same (rsync makes them writable and fails on those
	# it cannot search); one that stays (its contents protected, or the
	# deletion limit) gets its own mode back.
	for m in 640 500 300 000; do
		rm -rf "$T/bs" "$T/u" && mkdir -p "$T/bs" "$T/u/k/sub" "$T/u/e"
		: >"$T/u/k/f"; : >"$T/u/k/sub/g"
		chmod $m "$T/u/k" "$T/u/e"
		chown -R 65534:65534 "$T/bs" "$T/u"
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$UCP" --sync --delete "$T/bs" "$T/u" 2>"$T/err" ||
			fail "as a user, --delete of a mode $m directory: exit $?: $(cat "$T/err")"
		[ ! -e "$T/u/k" ] && [ ! -e "$T/u/e" ] ||
			fail "as a user, --delete of a mode $m directory: kept"
	done
	for args in "--exclude=f" "--max-delete=0"; do
		rm -rf "$T/bs" "$T/u" && mkdir -p "$T/bs" "$T/u/k"
		: >"$T/u/k/f"; : >"$T/u/k/g"; chmod 500 "$T/u/k"
		chown -R 65534:65534 "$T/bs" "$T/u"
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$UCP" --sync --delete $args "$T/bs" "$T/u" >/dev/null 2>&1
		[ "$(stat -c %a "$T/u/k")" = 500 ] && [ -e "$T/u/k/f" ] ||
			fail "as a user, $args: a kept directory's mode $(stat -c %a "$T/u/k")"
	done
fi

# atomic replacement: a reader polling during a slow sync of a large
# file sees the old or the new content, never a mix
rm -rf "$T/a"; mkdir -p "$T/a/s" "$T/a/d"
python3 -c 'open("'"$T"'/a/s/big","wb").write(b"N"*(48<<20))'
python3 -c 'open("'"$T"'/a/d/big","wb").write(b"O"*(48<<20))'
touch -d 2000-01-01 "$T/a/d/big"
python3 - "$T/a/d/big" "$T/a/stop" >"$T/a/reader" <<'EOF' &
import os, sys
path, stop = sys.argv[1], sys.argv[2]
seen = set(); n = 0
while not os.path.exists(stop):
    with open(path, "rb") as f:
        head = f.read(4096); f.seek(-4096, 2); tail = f.read(4096)
        size = os.fstat(f.fileno()).st_size
    kinds = {bytes(set(head)), bytes(set(tail))}
    if len(kinds) != 1 or size != 48 << 20:
        print("MIXED", head[:1], tail[:1], size); sys.exit(1)
    seen |= kinds; n += 1
print("ok", n, sorted(seen))
EOF
reader=$!
sleep 0.2
UCP_TEST_SLOW_US=2000 "$UCP" --sync "$T/a/s" "$T/a/d" || fail "large replace: exit $?"
sleep 0.2; : >"$T/a/stop"
wait $reader || fail "a reader saw a half-written file: $(cat "$T/a/reader")"
cmp -s "$T/a/s/big" "$T/a/d/big" || fail "large replace: content differs"

# --inplace: changed files are written into (their inodes stay), with
# rsync's result and lines; a hard-linked pair that is linked in DEST
# already stays so, with no temp name left beside it.  With --backup the
# old file is copied to its backup first (rsync's way: a link would share
# the inode written), with its data, mode and times, holes kept.
for args in --inplace "--inplace --backup" "--inplace --backup --backup-dir=old"; do
	fixture "$T/ip/s"
	rm -rf "$T/ip/r" "$T/ip/u"
	rsync -aH "$T/ip/s/" "$T/ip/r/"
	truncate -s 4M "$T/ip/r/d/e/big"	# a hole at the end
	cp -a "$T/ip/r" "$T/ip/u"
	printf 'ALPHA, longer\n' >"$T/ip/s/f"
	printf 'LINKED, longer\n' >"$T/ip/s/lk"	# both names: one inode
	settimes "$T/ip/s"
	ino_before=$(stat -c %i "$T/ip/u/f" "$T/ip/u/lk" "$T/ip/u/d/e/big")
	ftime=$(stat -c %.9Y "$T/ip/u/f")
	items "$T/ipr" rsync -aHi $args "$T/ip/s/" "$T/ip/r/"
	items "$T/ipu" "$UCP" --sync --itemize-changes $args "$T/ip/s" "$T/ip/u"
	cmp_rc "$T/ipr" "$T/ipu" "$args"
	cmp_items "$T/ipr" "$T/ipu" "$args"
	# (Times: with --backup rsync leaves directories' times alone and
	# gives an in-place backup the time of its making; ucp keeps both.)
	t=--times && case $args in *backup*) t= ;; esac
	same_tree --mode $t --owner --links "$T/ip/r" "$T/ip/u" || fail "$args: trees differ from rsync's"
	[ "$ino_before" = "$(stat -c %i "$T/ip/u/f" "$T/ip/u/lk" "$T/ip/u/d/e/big")" ] ||
		fail "$args: a file got a new inode"
	[ -z "$(find "$T/ip/u" -name '.ucp.*' -print -quit)" ] || fail "$args: temp names left: $(find "$T/ip/u" -name '.ucp.*')"
	case $args in
	*backup-dir*) b=$T/ip/u/old/ x= ;;
	*backup*) b=$T/ip/u/ x='~' ;;
	*) continue ;;
	esac
	[ "$(cat "${b}f$x")" = alpha ] && [ "$(stat -c %.9Y "${b}f$x")" = "$ftime" ] ||
		fail "$args: the backup of f is not the old file"
	[ "$(stat -c %i "${b}f$x")" != "$(stat -c %i "$T/ip/u/f")" ] || fail "$args: the backup shares the inode"
	[ "$(stat -c %b "${b}d/e/big$x")" -le $(( $(stat -c %b "$T/ip/u/d/e/big") + 64 )) ] ||
		fail "$args: the backup of a file with a hole is not sparse"
done
# --backup-dir on another filesystem (/dev/shm, a tmpfs, where there is
# one): copy_file_range may refuse (EXDEV), and the copy falls back to
# reads and writes.
bk=/dev/shm/ucp-test-bk.$$
if [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm)" != "$(stat -f -c %T "$T")" ]; then
	rm -rf "$T/ip/x" "$bk" && mkdir -p "$T/ip/x/s" "$T/ip/x/d"
	printf 'new\n' >"$T/ip/x/s/f" && mkfile "$T/ip/x/d/f" 200000
	cp "$T/ip/x/d/f" "$T/ip/x/old"
	"$UCP" --sync --inplace --backup --backup-dir="$bk" "$T/ip/x/s" "$T/ip/x/d" ||
		fail "--inplace --backup-dir on another filesystem: exit $?"
	cmp -s "$bk/f" "$T/ip/x/old" || fail "--inplace --backup-dir on another filesystem: backup differs"
	rm -rf "$bk"
fi
# The backup cannot be made (--backup-dir is a file): the file is left
# as it was, and that is a failure.
rm -rf "$T/ip/b" && mkdir -p "$T/ip/b" && printf 'old\n' >"$T/ip/b/f" && : >"$T/ip/b/bk"
"$UCP" --sync --inplace --backup --backup-dir=bk "$T/ip/s" "$T/ip/b" 2>"$T/err"; rc=$?
[ $rc = 23 ] && [ "$(cat "$T/ip/b/f")" = old ] && grep -q "cannot back up '$T/ip/b/f'" "$T/err" ||
	fail "--inplace, the backup fails: exit $rc, f: $(cat "$T/ip/b/f"): $(cat "$T/err")"

done_test
