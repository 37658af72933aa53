# cpdiff: a grid of option sets x operand sets run by GNU cp and by ucp on
# identical fixtures; every case must give the same tree (modes, hard-link
# groups, symlink targets), stdout, stderr (as sets of lines: ucp runs
# operands together, so lines of different operands may come in another
# order) and exit status.  The operand sets are the ones where operands
# meet: the same entry twice, a file over a just-made one, directories
# merged, one operand's destination inside another's.  The engines
# differ only in how each operation is carried out, which these small
# trees do not stress, so one is enough:
# engines: ring
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

fixture() {
	mkdir -p "$1/s/d/e" "$1/t" "$1/u/d" "$1/old/d"
	printf 'new\n' >"$1/s/f"
	printf 'g\n' >"$1/s/d/g"
	printf 'h\n' >"$1/s/d/e/h"
	ln "$1/s/f" "$1/s/hl"
	ln -s f "$1/s/l"
	ln -s d "$1/s/dl"
	ln -s nowhere "$1/s/dang"
	ln -s s "$1/slink"
	printf 'u\n' >"$1/u/f"
	printf 'u\n' >"$1/u/p"
	printf 'ug\n' >"$1/u/d/g"
	printf 'OLD\n' >"$1/old/f"
	printf 'OLDG\n' >"$1/old/d/g"
	# a tree whose names clash in type with s's
	mkdir -p "$1/mix/s/f" "$1/mix/s/l" "$1/mix/s/p"
	printf 'x\n' >"$1/mix/s/d"
	printf 'x\n' >"$1/mix/s/dl"
	mkfifo "$1/s/p"
	# a tree with symlinks at s's names: to a file (written through),
	# to directories
	mkdir -p "$1/mix3/s"
	ln -s ../../u/f "$1/mix3/s/f"
	ln -s ../../u/d "$1/mix3/s/d"
	ln -s ../../u/d "$1/mix3/s/l"
	# a symlink to s where s would go; one to a file where s/d/g would
	mkdir "$1/mix4" "$1/mix5"
	ln -s ../s "$1/mix4/s"
	ln -s ../u/f "$1/mix5/g"
	# a symlink back to the directory that would be copied there
	mkdir "$1/mix6"
	ln -s ../s/d "$1/mix6/d"
	# a symlink into another operand's source: cp writes s/d/g into
	# s/d/e/h (a file with no other links: cp writes into it, ucp
	# replaces it, man STANDARDS)
	mkdir "$1/mix7"
	ln -s ../s/d/e/h "$1/mix7/g"
	touch -d 2000-01-01 "$1/s/f" "$1/u/f"
	touch -h -d 2005-01-01 "$1/s/l" "$1/s/dang"
	touch -d 2010-01-01 "$1/old/f"
}

optsets=(-r -av -rL -rH -rd -rn -ru -rb -rl -rP -aL "-r --parents"
	"-a --remove-destination" -rf "--backup=numbered -r" -rs -ps -as
	"-av --attributes-only" "-a --attributes-only -f"
	"-a --attributes-only --remove-destination" "-av -l" "-rv -l --remove-destination"
	"-rlv --preserve=links" -rPl -rHl)
opsets=("s t" "s old" "s/. old" "s/f old/f" "s/l old" "s/dl old"
	"s/dang t" "slink t" "s/d u/d t" "s/f s/hl t" "s/hl s/f old"
	"s/d/. u/d/. old/d" "s old/d/g" "s/d s/d/e t" "u/f s/d/. old/d"
	"s/d/e s t" "s mix" "s/. mix/s" "s/f s/d mix/s" "s mix3" "s mix4"
	"s/f s/l s/dang ." "s/d/g mix5" "s/p s/l u"
	# a directory refused where it lands is not remembered: the
	# operand that contains it still copies it
	"s/d s mix/s" "s/d s mix6"
	# an operand's destination leads to another's source: they run in
	# cp's order, whichever comes first
	"s/d/g s/d/e/h mix7" "s/d/e/h s/d/g mix7")
# Where ucp differs (man STANDARDS): with --parents, a later operand
# naming a directory that cp made as an earlier one's parent gets a
# warning ("specified more than once") or an error ("File exists"); cp
# -rs (-as) removes a file in the way of a symlink it then fails to make.
known() {
	case "$1|$2" in
	"-r --parents|s/d/e s/d t" | "-r --parents|s/d/e s t") return 0 ;;
	"-r --parents|s/d s mix/s" | "-r --parents|s/d s mix6") return 0 ;;
	"-rs|s mix" | "-rs|s/. mix/s" | "-rs|s mix3") return 0 ;;
	"-as|s mix" | "-as|s/. mix/s" | "-as|s mix3") return 0 ;;
	"-rs|s/p s/l u" | "-as|s/p s/l u") return 0 ;;
	# which of f and its hard link hl the walk meets first decides
	# whose data an --attributes-only copy onto old/f keeps
	"-av --attributes-only|s/. old" | "-a --attributes-only -f|s/. old")
		return 0 ;;
	esac
	return 1
}

# A tree's names, types, modes, symlink targets, hard-link groups (each
# file shows the first name of its inode), symlinks' times (those of the
# fixture, or "new") and contents, as one listing: treecmp's python
# start-up would be most of this test's time.  (Other times are not
# compared: a directory's changes when ucp renames a new file over an
# old one, where cp writes into it.)
tree_sig() {
	(cd "$1" && find . -printf '%P\t%y\t%m\t%l\t%i\t%T@\n' | sort |
		awk -F'\t' -v t0="$t0" '{ g = $5; if (!(g in first)) first[g] = $1
			t = $2 != "l" ? "" : $6 < t0 ? $6 : "new"
			print $1 "\t" $2 "\t" $3 "\t" $4 "\t" ($2 == "f" ? first[g] : "") "\t" t }'
	 find . -type f -print0 | sort -z | xargs -0r md5sum)
}

fixture "$T/fx"
sleep 0.01
t0=$(date +%s.%N)
n=0
for opts in "${optsets[@]}"; do
	for ops in "${opsets[@]}"; do
		known "$opts" "$ops" && continue
		n=$((n + 1))
		rm -rf "$T/a" "$T/b"
		cp -a "$T/fx" "$T/a"
		cp -a "$T/fx" "$T/b"
		# shellcheck disable=SC2086 # the sets are word lists
		(cd "$T/a" && cp $opts $ops </dev/null >../a.out 2>../a.err; echo $? >../a.rc)
		# shellcheck disable=SC2086
		(cd "$T/b" && "$UCP" $opts $ops </dev/null >../b.out 2>../b.err; echo $? >../b.rc)
		sed -i -e 's/^cp: /ucp: /' -e "s/Try 'cp --help'/Try 'ucp --help'/" "$T/a.err"
		for f in a.out b.out a.err b.err; do sort -o "$T/$f" "$T/$f"; done
		# -v: whether f or its hard link hl is the group's first copy
		# (the other, linked to it, replacing an entry, is "removed"
		# after its line) is the order they are met in: cp's readdir
		# order, ucp's walk, whose jobs run together
		sed -i -E "/^removed '.*\/(f|hl)'\$/d" "$T/a.out" "$T/b.out"
		what="ucp $opts $ops"
		cmp -s "$T/a.rc" "$T/b.rc" ||
			fail "$what: exit $(cat "$T/b.rc"), cp $(cat "$T/a.rc")"
		cmp -s "$T/a.out" "$T/b.out" || { fail "$what: stdout differs"; diff "$T/a.out" "$T/b.out"; }
		cmp -s "$T/a.err" "$T/b.err" || { fail "$what: stderr differs"; diff "$T/a.err" "$T/b.err"; }
		if ! cmp -s <(tree_sig "$T/a") <(tree_sig "$T/b"); then
			fail "$what: trees differ"
			same_tree --mode --links "$T/a" "$T/b"
		fi
	done
done
[ "$n" -gt 300 ] || fail "only $n cases ran"
done_test
