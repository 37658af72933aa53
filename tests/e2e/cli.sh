# cli: refusals, diagnostics, exit status and -v/-i/-n/-f behaviour match
# GNU cp: both run the same arguments on identical fixtures; stdout, stderr
# (program name swapped), exit status and the resulting trees must match.
. "$(dirname "$0")/../lib/common.sh"
command -v cp >/dev/null || skip "no GNU cp"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

fixture() {
	mkdir -p "$1/d/sub" "$1/e"
	printf 'f\n' >"$1/f"
	printf 'g\n' >"$1/g"
	printf 'x\n' >"$1/d/x"
	printf 'y\n' >"$1/d/sub/y"
	ln -s f "$1/l"
	chmod 600 "$1/g"
}

# same_as_cp [--sorted] [--no-tree] [--stdin TEXT] [--setup SH] ARGS...
# (--setup: a shell command run in both fixtures first)
same_as_cp() {
	local sorted=0 tree=1 input="" setup=:
	while :; do
		case ${1:-} in
		--sorted) sorted=1; shift ;;
		--no-tree) tree=0; shift ;;
		--stdin) input=$2; shift 2 ;;
		--setup) setup=$2; shift 2 ;;
		*) break ;;
		esac
	done
	rm -rf "$T/a" "$T/b"
	mkdir "$T/a" "$T/b"
	fixture "$T/a"
	fixture "$T/b"
	(cd "$T/a" && eval "$setup") && (cd "$T/b" && eval "$setup") || fail "setup: $setup"
	(cd "$T/a" && printf '%s' "$input" | cp "$@" >../a.out 2>../a.err; echo $? >../a.rc)
	(cd "$T/b" && printf '%s' "$input" | "$UCP" "$@" >../b.out 2>../b.err; echo $? >../b.rc)
	# (a message can follow a prompt on its line: "overwrite 'g'? cp: ...")
	sed -i -e 's/^cp: /ucp: /' -e 's/? cp: /? ucp: /g' \
		-e "s/Try 'cp --help'/Try 'ucp --help'/" "$T/a.err"
	if [ $sorted = 1 ]; then	# a parallel walk's order is not cp's
		for f in a.out b.out a.err b.err; do sort -o "$T/$f" "$T/$f"; done
	fi
	local what="ucp $*"
	cmp -s "$T/a.rc" "$T/b.rc" || fail "$what: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
	cmp -s "$T/a.out" "$T/b.out" || { fail "$what: stdout differs"; diff "$T/a.out" "$T/b.out"; }
	cmp -s "$T/a.err" "$T/b.err" || { fail "$what: stderr differs"; diff "$T/a.err" "$T/b.err"; }
	if [ $tree = 1 ]; then
		same_tree --mode "$T/a" "$T/b" >/dev/null || {
			fail "$what: resulting trees differ"
			same_tree --mode "$T/a" "$T/b"
		}
	fi
}

same_as_cp
same_as_cp f
same_as_cp nonexist x
same_as_cp d x
same_as_cp f d x
same_as_cp f f
same_as_cp -r f f
same_as_cp -n f f
same_as_cp f g nodir
same_as_cp f g f
same_as_cp -r d f
same_as_cp -T f e
same_as_cp -Tt e f
same_as_cp -T f g h
same_as_cp --bogus
same_as_cp -Q
same_as_cp -t
same_as_cp -t nodir f
same_as_cp -t f g
same_as_cp f nonex/x
same_as_cp -r d nonex/x
# A destination whose parent is not a directory: cp's lstat of it fails
# first, so "cannot stat", whatever the source.
same_as_cp f g/x
same_as_cp -r d g/x
same_as_cp -P l g/x
same_as_cp f g/x/y
# Without -r a directory is omitted before anything about the destination.
same_as_cp d g
same_as_cp -T d g
same_as_cp -T d e
same_as_cp -l d g
same_as_cp -s d g
# -T onto a symlink: to the source itself it is cp's "same file" (its
# same-file test follows the link and comes first); to another directory
# a non-directory.
same_as_cp --setup 'ln -s d ld' -rT d ld
same_as_cp --setup 'ln -s e le' -rT d le
same_as_cp f nonex/
# "DEST/": an existing non-directory fails cp's stat; a missing name is
# made only for a directory, anything else fails with its create's words.
same_as_cp f g/
same_as_cp -r d g/
same_as_cp --setup 'ln -s g lg' f lg/
same_as_cp -P l nonex/
same_as_cp -r l nonex/
same_as_cp --setup 'mkfifo p' -r p nonex/
same_as_cp -r d nonex/
same_as_cp f h
same_as_cp f g
same_as_cp -f f g
same_as_cp -n f g
same_as_cp -r d e
same_as_cp -r d newd
same_as_cp -rT d e
same_as_cp -r d/ e
same_as_cp -r d/. e
same_as_cp -r l newl
same_as_cp l newl
same_as_cp -r f d e
same_as_cp -v f h
same_as_cp --sorted -rv d newd
same_as_cp --sorted -rv d e
same_as_cp --stdin 'n
' -i f g
same_as_cp --stdin 'y
' -i f g
same_as_cp --stdin 'y
' -iv f g
# A directory named twice whose copy failed (a file in its way): cp
# tries again, and fails again, rather than warn.
same_as_cp --setup 'echo x >e/d' -r d d e
same_as_cp --setup 'echo x >e/d' -r d d/ d e
# ... each time in operand order: the later ones wait for every earlier
# one they meet (they once ran together; a case like this one came out
# of order about once in 20 runs).
for i in 1 2 3 4 5; do
	same_as_cp --setup 'echo x >e/d' -r d d/ d d/ d d/ d d/ e
done
# -s with a relative source outside the current directory is refused
# after cp -v has listed it; so is a link onto an existing name (-l, -s).
same_as_cp -vs f d
same_as_cp --setup 'echo x >e/f' -vs f e
same_as_cp --setup 'echo x >e/f' -vl f e
# -l with a backup option and a file named twice: the second finds the
# link it would make there (cp: done, silently).
same_as_cp -lb f f e
same_as_cp -l --backup=numbered f f e
# A file named a third time after a copy refused as "just-created": cp
# met that source before, and says so first (lines sorted: ucp says it
# when it plans the operands).
same_as_cp --sorted --setup 'mkdir d2 && echo 2 >d2/f' f d2/f d2/f e
same_as_cp --sorted --setup 'mkdir d2 && echo 2 >d2/f' f d2/f d2/f f e
# An operand named twice under -i: cp asks about (or warns of) it in its
# turn, before the operands after it.
same_as_cp --stdin 'n
n
' --setup 'echo old >e/f' -i f f nonexist e
same_as_cp --stdin 'n
n
' --setup 'echo old >e/f' -i --backup=existing f f nonexist e
same_as_cp --stdin 'y
n
' --setup 'echo old >e/l' -a -i l l nonexist e
# A destination symlink that cannot be followed for another reason than
# a missing target (a file on its way, a loop) is cp's "cannot stat".
same_as_cp --setup 'ln -s f/x lf && ln -s lp lp' g lf
same_as_cp --setup 'ln -s f/x lf && ln -s lp lp' g lp
same_as_cp --setup 'ln -s f/x lf' -f g lf
same_as_cp --setup 'ln -s lp lp' --remove-destination g lp
same_as_cp --setup 'mkdir -p e2/d && ln -s ../../f/x e2/d/x' -r d e2
# Questions come in the operands' order, whatever each operand is (a
# symlink, a hard link, a file), so piped answers meet the same ones.
same_as_cp --setup 'mkdir t && ln f fh && ln -s g lk &&
	for n in lk fh g f; do echo old >t/$n; done' --stdin 'y
n
y
n
y
' -di lk fh g f t
# cp leaves a partial copy behind after this refusal; ucp refuses before
# creating anything, so only the messages and status are compared.
same_as_cp --no-tree -r d d/sub/new
same_as_cp --no-tree -r d d

# Odd names are quoted the way cp quotes them.
for n in "$(printf 'new\nline')" "it's" "sp ace" "$(printf 'hi\xffgh')" 'q"x' "$(printf 'tab\there')"; do
	same_as_cp "$n" nonex/
	same_as_cp "nonexistent $n" x
done

# The program name in messages is the name ucp was invoked by, as given
# (cp's too: "/bin/cp: ..." when run as /bin/cp).
ln -s "$(command -v "$UCP")" "$T/mycp"
out=$("$T/mycp" nonexist x 2>&1)
[ "$out" = "$T/mycp: cannot stat 'nonexist': No such file or directory" ] ||
	fail "invoked name not used: $out"
out=$(PATH=$T:$PATH mycp nonexist x 2>&1)
[ "$out" = "mycp: cannot stat 'nonexist': No such file or directory" ] ||
	fail "invoked name not used (from PATH): $out"
ln -s "$(command -v cp)" "$T/gnucp"
[ "$("$T/gnucp" nonexist x 2>&1)" = "$T/gnucp: cannot stat 'nonexist': No such file or directory" ] ||
	fail "GNU cp names itself otherwise: $("$T/gnucp" nonexist x 2>&1)"

# --sync's options are refused by name in cp use, not ignored.
out=$("$UCP" --delete "$T/a/f" "$T/x" 2>&1); rc=$?
[ $rc = 1 ] || fail "sync-only option exit status $rc"
case $out in *"option --delete requires --sync"*) ;; *) fail "sync-only option message: $out" ;; esac
[ -e "$T/x" ] && fail "sync-only option still copied"

# -s, -l onto existing names; -b, -S, --backup=CONTROL; FIFOs and devices.
same_as_cp -s f newl
same_as_cp -s f g
same_as_cp -sf f g
same_as_cp -s --remove-destination f g
same_as_cp -sv f newl
same_as_cp -s f d/
same_as_cp -s f f
same_as_cp -s l newl
same_as_cp --sorted -rs d newd
same_as_cp -l f g
same_as_cp -lf f g
same_as_cp --stdin 'y
' -li f g
same_as_cp --stdin 'y
' -si f g
same_as_cp --setup 'ln f hl' -l f hl
same_as_cp --setup 'ln f hl' hl f
same_as_cp --setup 'ln f hl' -b hl f
same_as_cp -b f g
same_as_cp -bv f g
same_as_cp -bv f newf
same_as_cp -b f f
same_as_cp -bf f f
same_as_cp --backup=numbered -v f g
same_as_cp --setup 'echo 1 >g.~1~; echo 3 >g.~3~; echo x >g.~x~' --backup=existing -v f g
same_as_cp --setup 'echo 1 >g.~1~' --backup=t -v f g
same_as_cp --backup=existing -v f g
same_as_cp --backup=simple -S .bak -v f g
same_as_cp -S .old -v f g
same_as_cp --backup=none -v f g
same_as_cp --backup=off f g
same_as_cp --backup=n f g
same_as_cp --backup=bogus f g
same_as_cp -bn f g
same_as_cp -b -S x/y f g
same_as_cp --sorted -rbv d e
same_as_cp --setup 'cp -r d e/' --sorted -rbv d e
same_as_cp -bv l g
same_as_cp -bl f g
same_as_cp -bs f g
same_as_cp -rb d f
same_as_cp --setup 'mkfifo p' -rv p q
same_as_cp --setup 'mkfifo p' -bv f p
same_as_cp --setup 'mkfifo p' -bv --copy-contents -r f p
same_as_cp /dev/null empty
same_as_cp -v /dev/null g
same_as_cp -sl f g
same_as_cp --sparse=bogus f g
same_as_cp --sparse=never --reflink f g
same_as_cp --sparse=always -v f g
VERSION_CONTROL=numbered same_as_cp -b f g
VERSION_CONTROL=bogus same_as_cp -b f g
VERSION_CONTROL=bogus same_as_cp f g
SIMPLE_BACKUP_SUFFIX=.env same_as_cp -bv f g

"$UCP" --help | grep -q -- '--recursive' || fail "--help lacks --recursive"
"$UCP" --version | grep -q '^ucp ' || fail "--version"
done_test
