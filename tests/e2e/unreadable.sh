# unreadable: as an unprivileged user, files and directories that cannot be
# read or searched are reported as GNU cp reports them (one line each,
# naming the path and what failed), everything else is copied, the exit
# status is 1, and the tree left is the one cp leaves (an unreadable
# directory is made, empty, with its mode).
. "$(dirname "$0")/../lib/common.sh"
need_root "runs ucp and cp as another user"
command -v setpriv >/dev/null || skip "setpriv not installed"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"
chmod 755 "$T"
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# Run cp in $T/a and ucp in $T/b as the user, with the words of $args, and
# compare their output, errors (sorted when asked: operands run together)
# and exit statuses; what names the case in failures.
cmp_as_user() {
	local what=$1 sorted=${2:-}
	# shellcheck disable=SC2086
	(cd "$T/a" && as_user cp $args >../a.out 2>../a.err; echo $? >../a.rc)
	# shellcheck disable=SC2086
	(cd "$T/b" && as_user "$UCP" $args >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i 's/^cp: /ucp: /' "$T/a.err"
	if [ -n "$sorted" ]; then
		for f in a.err b.err; do sort -o "$T/$f" "$T/$f"; done
	fi
	for f in out err rc; do
		cmp -s "$T/a.$f" "$T/b.$f" || { fail "$what: $f differs from cp's"; diff "$T/a.$f" "$T/b.$f"; }
	done
}

fixture() {
	mkdir -p "$1/src/locked" "$1/src/ok/deep" "$1/src/noexec"
	printf 'a\n' >"$1/src/ok/f"
	printf 'b\n' >"$1/src/ok/deep/g"
	printf 's\n' >"$1/src/secret"
	printf 'x\n' >"$1/src/locked/x"
	printf 'y\n' >"$1/src/noexec/y"
	ln -s ok/f "$1/src/link"
	chown -R 65534:65534 "$1"
	chmod 000 "$1/src/secret" "$1/src/locked"
	chmod 644 "$1/src/noexec"
}

# -v: cp lists a file before it opens it, so an unreadable one is listed
# as well as reported.
for args in "-r" "-a" "-rp" "-r --preserve=mode" "-rv"; do
	rm -rf "$T/a" "$T/b"
	mkdir "$T/a" "$T/b"
	fixture "$T/a"
	fixture "$T/b"
	# shellcheck disable=SC2086
	(cd "$T/a" && as_user cp $args src dst >../a.out 2>../a.err; echo $? >../a.rc)
	# shellcheck disable=SC2086
	(cd "$T/b" && as_user "$UCP" $args src dst >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i 's/^cp: /ucp: /' "$T/a.err"
	for f in a.out b.out a.err b.err; do sort -o "$T/$f" "$T/$f"; done
	cmp -s "$T/a.out" "$T/b.out" || { fail "$args: stdout differs from cp's"; diff "$T/a.out" "$T/b.out"; }
	cmp -s "$T/a.rc" "$T/b.rc" || fail "$args: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
	[ "$(cat "$T/b.rc")" = 1 ] || fail "$args: exit $(cat "$T/b.rc"), want 1"
	cmp -s "$T/a.err" "$T/b.err" || { fail "$args: stderr differs from cp's"; diff "$T/a.err" "$T/b.err"; }
	[ "$(wc -l <"$T/b.err")" = 3 ] || fail "$args: not one line per failure: $(cat "$T/b.err")"
	# (modes compared; the unreadable directories' contents cannot be)
	chmod 755 "$T/a/src/locked" "$T/b/src/locked" "$T/a/src/noexec" "$T/b/src/noexec"
	chmod 644 "$T/a/src/secret" "$T/b/src/secret"
	same_tree --mode "$T/a/dst" "$T/b/dst" || fail "$args: the tree left differs from cp's"
	cmp -s "$T/b/src/ok/deep/g" "$T/b/dst/ok/deep/g" || fail "$args: the readable files were not copied"
done

# A source directory that cannot be read: cp still gives its copy, new
# or existing, the attributes it preserves (mode, times).
for args in "-a" "-rp" "-r --preserve=timestamps" "-r"; do
	for new in yes no; do
		for side in a b; do
			rm -rf "${T:?}/$side"
			mkdir "$T/$side"
			fixture "$T/$side"
			touch -d 2001-02-03 "$T/$side/src/locked"
			if [ $new = no ]; then
				mkdir -p "$T/$side/dst/locked"
				chown -R 65534:65534 "$T/$side/dst"
			fi
		done
		# shellcheck disable=SC2086
		(cd "$T/a" && as_user cp $args src/. dst 2>/dev/null)
		# shellcheck disable=SC2086
		(cd "$T/b" && as_user "$UCP" $args src/. dst 2>/dev/null)
		a=$(stat -c '%a %Y' "$T/a/dst/locked") b=$(stat -c '%a %Y' "$T/b/dst/locked")
		case $args in -r) a=${a% *} b=${b% *} ;; esac	# (times: now)
		[ "$a" = "$b" ] || fail "unreadable directory, $args, new: $new: $b, cp $a"
	done
done

# An unreadable file onto a destination that cannot be made (its
# directory is missing; "DIR/" that is not there): cp opens the source
# first, so that is the error.
for args in "src/secret nodir/x" "src/secret nodir/" "-v src/secret nodir/"; do
	rm -rf "${T:?}/a" "$T/b"
	mkdir "$T/a" "$T/b"
	fixture "$T/a"
	fixture "$T/b"
	cmp_as_user "$args"
done

# Into a directory that can be read but not searched: cp stats the source
# first, so a directory without -r is omitted and a missing source is the
# error; a file's destination cannot be stat'ed.
for args in "src/ok closed" "src/missing closed" "src/ok/f closed" \
	    "src/ok src/ok/f closed"; do
	for side in a b; do
		rm -rf "${T:?}/$side"
		mkdir "$T/$side"
		fixture "$T/$side"
		mkdir "$T/$side/closed"
		chown 65534:65534 "$T/$side/closed"
		chmod 600 "$T/$side/closed"
	done
	cmp_as_user "unsearchable, $args" sorted
done

# Into an existing destination directory that can be searched and
# written but not read (mode 0300, a drop box): cp copies into it by name,
# and gives it the preserved attributes; also for an empty source.
for args in "-r src/ok box" "-a src/ok box" "-a src/ok/deep box/ok" "-rp src/ok box"; do
	for side in a b; do
		rm -rf "${T:?}/$side"
		mkdir "$T/$side"
		fixture "$T/$side"
		mkdir -p "$T/$side/box/ok/deep"
		find "$T/$side/src/ok" -exec touch -h -d 2001-01-01 {} +
		touch -d 2002-02-02 "$T/$side/box/ok"
		chown -R 65534:65534 "$T/$side/box"
		chmod 300 "$T/$side/box/ok" "$T/$side/box/ok/deep"
	done
	cmp_as_user "into a -wx directory, $args"
	chmod -R u+rx "$T/a/box" "$T/b/box"
	t= && case $args in -a*|-rp*) t=--times ;; esac
	same_tree --mode $t "$T/a/box/ok" "$T/b/box/ok" || fail "into a -wx directory, $args: trees differ from cp's"
done

# Onto an existing copy: cp decides about the destination before it opens
# the source, so -n and -u skip an unreadable file quietly, -i asks first,
# and a directory in its way is the error rather than the read.
for args in "-rn" "-ru" "-ri" "-r" "-a"; do
	for side in a b; do
		rm -rf "${T:?}/$side"
		mkdir -p "$T/$side/src/sub" "$T/$side/dst/sub/dir"
		printf 'x\n' >"$T/$side/src/sub/f"
		printf 'x\n' >"$T/$side/src/sub/dir"
		printf 'y\n' >"$T/$side/dst/sub/f"
		# -u: the copy of f is newer, the directory in the way older
		touch -d 2010-01-01 "$T/$side/src/sub/f" "$T/$side/dst/sub/dir"
		touch -d 2020-01-01 "$T/$side/dst/sub/f" "$T/$side/src/sub/dir"
		chown -R 65534:65534 "$T/$side"
		chmod 000 "$T/$side/src/sub/f" "$T/$side/src/sub/dir"
	done
	# shellcheck disable=SC2086
	(cd "$T/a" && as_user cp $args src/sub dst </dev/null >../a.out 2>../a.err; echo $? >../a.rc)
	# shellcheck disable=SC2086
	(cd "$T/b" && as_user "$UCP" $args src/sub dst </dev/null >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i -e 's/^cp: /ucp: /' -e 's/? cp: /? ucp: /g' "$T/a.err"
	for f in a.err b.err; do sed 's/? /?\n/g' "$T/$f" | sort -o "$T/$f"; done
	cmp -s "$T/a.rc" "$T/b.rc" || fail "onto a copy, $args: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
	cmp -s "$T/a.err" "$T/b.err" || { fail "onto a copy, $args: stderr differs from cp's"; diff "$T/a.err" "$T/b.err"; }
	same_tree --mode "$T/a/dst" "$T/b/dst" || fail "onto a copy, $args: the tree left differs from cp's"
done
done_test
