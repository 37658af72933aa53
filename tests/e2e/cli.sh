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

# same_as_cp [--sorted] [--no-tree] [--stdin TEXT] ARGS...
same_as_cp() {
	local sorted=0 tree=1 input=""
	while :; do
		case ${1:-} in
		--sorted) sorted=1; shift ;;
		--no-tree) tree=0; shift ;;
		--stdin) input=$2; shift 2 ;;
		*) break ;;
		esac
	done
	rm -rf "$T/a" "$T/b"
	mkdir "$T/a" "$T/b"
	fixture "$T/a"
	fixture "$T/b"
	(cd "$T/a" && printf '%s' "$input" | cp "$@" >../a.out 2>../a.err; echo $? >../a.rc)
	(cd "$T/b" && printf '%s' "$input" | "$UCP" "$@" >../b.out 2>../b.err; echo $? >../b.rc)
	sed -i -e 's/^cp: /ucp: /' -e "s/Try 'cp --help'/Try 'ucp --help'/" "$T/a.err"
	if [ $sorted = 1 ]; then
		sort -o "$T/a.out" "$T/a.out"
		sort -o "$T/b.out" "$T/b.out"
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
same_as_cp f nonex/
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
# cp leaves a partial copy behind after this refusal; ucp refuses before
# creating anything, so only the messages and status are compared.
same_as_cp --no-tree -r d d/sub/new
same_as_cp --no-tree -r d d

# Odd names are quoted the way cp quotes them.
for n in "$(printf 'new\nline')" "it's" "sp ace" "$(printf 'hi\xffgh')" 'q"x' "$(printf 'tab\there')"; do
	same_as_cp "$n" nonex/
	same_as_cp "nonexistent $n" x
done

# The program name in messages is the name ucp was invoked by.
ln -s "$UCP" "$T/mycp"
out=$("$T/mycp" nonexist x 2>&1)
[ "$out" = "mycp: cannot stat 'nonexist': No such file or directory" ] ||
	fail "invoked name not used: $out"

# Options that are not implemented are refused by name, not ignored.
out=$("$UCP" -s "$T/a/f" "$T/x" 2>&1); rc=$?
[ $rc = 1 ] || fail "unimplemented option exit status $rc"
case $out in *"option --symbolic-link (-s) is not implemented"*) ;; *) fail "unimplemented message: $out" ;; esac
[ -e "$T/x" ] && fail "unimplemented option still copied"

"$UCP" --help | grep -q -- '--recursive' || fail "--help lacks --recursive"
"$UCP" --version | grep -q '^ucp ' || fail "--version"
done_test
