# operands: thousands of file operands into one existing directory, as
# "ucp DIR/* DEST" gives them.  There ucp opens each directory once for
# all the operands, takes the plan's stat of each source, lists DEST once
# instead of looking up each name (a name missing from the listing is not
# looked at again), and runs more than one worker.  Whatever DEST held
# must still decide each file as it does for GNU cp: a file replaced, a
# symlink written through, a dangling one refused, a directory refused,
# -n keeping what is there.  Compared with cp: the trees, the sorted
# messages (operands run together) and the exit status.
. "$(dirname "$0")/../lib/common.sh"
cp --version 2>/dev/null | grep -q 'GNU coreutils' || skip "cp is not GNU cp"

mkdir -p "$T/s/sub"
python3 - "$T/s" <<'PY'
import os, sys
top = sys.argv[1]
for i in range(2100):	# more than 2,048: every worker runs
    p = os.path.join(top, "f%04d" % i)
    with open(p, "wb") as f:
        f.write(b"%d\n" % i * (i % 7 + 1))
    os.chmod(p, 0o600 if i % 3 == 0 else 0o644)
    os.utime(p, ns=(1_600_000_000_000_000_000 + i, 1_500_000_000_000_000_000 + i))
PY
echo sub >"$T/s/sub/x"

# DEST: what the operands meet there
prefill() {
	mkdir -p "$1/tgt"
	printf 'old\n' >"$1/f0005"
	printf 'old target\n' >"$1/tgt/f0010"
	ln -s tgt/f0010 "$1/f0010"
	mkdir "$1/f0020"
	ln -s tgt/missing "$1/f0030"
	printf 'mine\n' >"$1/zzz"
	chmod 640 "$1/f0005"
	touch -h -d @1000000000 "$1"/* "$1/tgt/f0010"
}

# both NAME DIR PRE GLOB OPTION...: cp and ucp run in DIR with OPTION...
# and GLOB (expanded there) into PREc-NAME and PREu-NAME; their exit
# status, sorted messages and trees must agree.
both() {
	local name=$1 dir=$2 pre=$3 glob=$4 rc_cp rc_ucp
	shift 4
	(cd "$dir" && cp "$@" $glob "${pre}c-$name") >"$T/c.out" 2>"$T/c.err"
	rc_cp=$?
	(cd "$dir" && "$UCP" "$@" $glob "${pre}u-$name") >"$T/u.out" 2>"$T/u.err"
	rc_ucp=$?
	[ $rc_cp = $rc_ucp ] || fail "$name: exit $rc_ucp, cp $rc_cp"
	for f in out err; do
		sed "s/^[^:]*: //; s/[cu]-$name/D/g" "$T/c.$f" | sort >"$T/c.$f.s"
		sed "s/^[^:]*: //; s/[cu]-$name/D/g" "$T/u.$f" | sort >"$T/u.$f.s"
		cmp -s "$T/c.$f.s" "$T/u.$f.s" ||
			fail "$name: std$f differs from cp's: $(diff "$T/c.$f.s" "$T/u.$f.s" | head -5)"
	done
	same_tree --mode "$T/c-$name" "$T/u-$name" ||
		fail "$name: tree differs from cp's"
}

run_both() { # run_both NAME GLOB OPTION...
	local name=$1 glob=$2
	shift 2
	prefill "$T/c-$name"
	prefill "$T/u-$name"
	both "$name" "$T/s" ../ "$glob" "$@"
	# times: as cp left them, where they are preserved or kept
	python3 - "$T/c-$name" "$T/u-$name" "$*" <<'PY' || fail "$name: times differ from cp's"
import os, sys
c, u, opts = sys.argv[1:]
keep = "-a" in opts or "-p" in opts
bad = [n for n in sorted(os.listdir(c))
       if (keep or not n.startswith("f")) and n != "tgt" and
       os.lstat(os.path.join(c, n)).st_mtime_ns !=
       os.lstat(os.path.join(u, n)).st_mtime_ns]
if bad:
    sys.exit("mtime differs: " + " ".join(bad[:5]))
PY
}

run_both plain 'f*'
run_both noclobber 'f*' -n
run_both verbose 'f*' -v
run_both archive '*' -a
run_both preserve 'f*' -p --remove-destination
[ "$(cat "$T/u-plain/f0005")" = "$(cat "$T/s/f0005")" ] ||
	fail "plain: the existing file was not replaced"
[ "$(cat "$T/u-noclobber/f0005")" = old ] || fail "-n: the existing file was replaced"

# The same files as one operand's contents ("ucp -r s/. DEST"), into a
# DEST holding the same entries and two more old files: after eight
# names found missing, the worker lists DEST and looks up only the names
# the listing has (dir_missed()); the names there must still be found.
run_contents() { # run_contents NAME OPTION...
	local name=$1
	shift
	for t in c u; do
		prefill "$T/$t-$name"
		printf 'old\n' >"$T/$t-$name/f1500"
		printf 'old\n' >"$T/$t-$name/f2099"
		touch -d @1000000000 "$T/$t-$name/f1500" "$T/$t-$name/f2099"
	done
	both "$name" "$T" "" s/. -r "$@"
}
run_contents contents
run_contents contents-n -n
run_contents contents-a -a
[ "$(cat "$T/u-contents/f1500")" = "$(cat "$T/s/f1500")" ] ||
	fail "contents: an existing file was not replaced"
[ "$(cat "$T/u-contents-n/f2099")" = old ] ||
	fail "contents -n: an existing file was replaced"
# The synchronous engine makes its STATX a syscall: DEST's names are
# looked up until the listing, and then only those it has (2,100 before).
if [ "${UCP_ENGINE:-ring}" = sync ] && command -v strace >/dev/null; then
	mkdir "$T/cs"
	printf 'old\n' >"$T/cs/f1500"
	(cd "$T" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=statx -o "$T/trace" "$UCP" -r s/. cs) ||
		fail "contents, strace: exit status"
	n=$(grep -cE 'statx\([0-9]+, "f[0-9]{4}", [A-Z_|]*AT_SYMLINK_NOFOLLOW' "$T/trace")
	# (the jobs in flight when the listing comes have looked already:
	# 64 per worker)
	[ "$n" -le 300 ] || fail "contents: $n lookups of DEST's names, want <= 300"
	[ "$(cat "$T/cs/f1500")" = "$(cat "$T/s/f1500")" ] ||
		fail "contents, strace: the existing file was not replaced"
	# A DEST of more than 8,192 names is not listed (the cap of
	# copy_list_names()): every name is looked up, and -n still keeps
	# the files there, wherever a listing would have cut them off.
	mkdir "$T/cb"
	python3 - "$T/cb" <<'PY'
import os, sys
for i in range(8200):
    open(os.path.join(sys.argv[1], "g%04d" % i), "wb").close()
for i in range(0, 2100, 97):
    with open(os.path.join(sys.argv[1], "f%04d" % i), "w") as f:
        f.write("old\n")
PY
	(cd "$T" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=statx -o "$T/trace.cb" "$UCP" -rn s/. cb) ||
		fail "contents, 8,200 names: exit status"
	n=$(grep -cE 'statx\([0-9]+, "f[0-9]{4}", [A-Z_|]*AT_SYMLINK_NOFOLLOW' "$T/trace.cb")
	[ "$n" -ge 2100 ] ||
		fail "contents, 8,200 names: $n lookups of DEST's names, want all 2,100"
	for i in $(seq 0 97 2099); do
		f=$(printf 'f%04d' "$i")
		[ "$(cat "$T/cb/$f")" = old ] ||
			fail "contents, 8,200 names: -n replaced $f"
	done
	for i in 1 500 2099; do
		f=$(printf 'f%04d' "$i")
		cmp -s "$T/s/$f" "$T/cb/$f" || fail "contents, 8,200 names: $f"
	done
	[ "$(find "$T/cb" -type f | wc -l)" -eq $((8200 + 2100 + 1)) ] ||
		fail "contents, 8,200 names: file count (and sub/x)"
fi

# A destination that appears while its file is copied (after the plan
# found it missing) is decided on as cp decides on what it finds when it
# looks: -n keeps it, -u keeps it unless it is older than the source, -i
# asks, -b backs it up.  Where it stays, the copy is dropped.
mkdir -p "$T/late/s"
mkfile "$T/late/s/big" $((2 << 20))
echo small >"$T/late/s/small"
# late NAME WANT AGE ANSWER OPTION...: copy big and small into late/NAME,
# slowed (32 reads, 30 ms apart), with ANSWER on stdin; 0.4 s in, another
# process makes NAME/big, with its mtime now or 2001 (AGE: new or old).
# WANT: which data big holds afterwards, theirs or ours.
late() {
	local name=$1 want=$2 age=$3 answer=$4 d="$T/late/$1" pid extra
	shift 4
	mkdir "$d"
	(cd "$T/late/s" && echo "$answer" | UCP_TEST_IOSIZE=65536 \
		UCP_TEST_SLOW_US=30000 "$UCP" "$@" big small "$d" 2>"$d.err") &
	pid=$!
	sleep 0.4
	echo theirs >"$d.new"
	[ "$age" = new ] || touch -d @1000000000 "$d.new"
	mv "$d.new" "$d/big"
	wait $pid || fail "$name, late destination: exit status: $(cat "$d.err")"
	if [ "$want" = theirs ]; then
		printf 'theirs\n' | cmp -s - "$d/big" ||
			fail "$name: a destination that appeared during the copy was replaced"
	else
		cmp -s "$T/late/s/big" "$d/big" ||
			fail "$name: a destination that appeared during the copy was kept"
	fi
	[ "$(cat "$d/small")" = small ] || fail "$name, late destination: the other file"
	extra=$(ls -A "$d" | grep -v '^big$\|^small$')
	[ "$name" != b ] || extra=$(echo "$extra" | grep -v '^big~$')
	[ -z "$extra" ] || fail "$name, late destination: left $extra"
}
late n theirs new '' -n
[ ! -s "$T/late/n.err" ] || fail "-n, late destination: $(cat "$T/late/n.err")"
late u-newer theirs new '' -u
late u-older ours old '' -u
late i-no theirs new n -i
grep -q "overwrite '$T/late/i-no/big'? " "$T/late/i-no.err" ||
	fail "-i, late destination: no question: $(cat "$T/late/i-no.err")"
late i-yes ours new y -i
late b ours new '' -b
printf 'theirs\n' | cmp -s - "$T/late/b/big~" ||
	fail "-b: a destination that appeared during the copy has no backup"

# A killed run's temp in DEST is swept, though DEST was listed by the plan.
mkdir "$T/sw"
pid=$(sh -c 'echo $$')	# a process that has exited
: >"$T/sw/.ucp.$pid.0.0.f0001.tmp"
(cd "$T/s" && "$UCP" f* ../sw) || fail "sweep: exit status"
[ ! -e "$T/sw/.ucp.$pid.0.0.f0001.tmp" ] || fail "sweep: a dead run's temp is left"
n=$(find "$T/sw" -type f | wc -l)
[ "$n" = 2100 ] || fail "sweep: $n files in DEST, want 2100"

# The descriptors and lookups that make it fast: the two directories are
# opened once, not once per operand, and each file costs one stat in the
# plan (the listing stands for the lookups of DEST's names).
if command -v strace >/dev/null; then
	mkdir "$T/st"
	(cd "$T/s" && ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=openat,newfstatat,stat,lstat \
		-o "$T/trace" "$UCP" f* ../st) || fail "strace run: exit status"
	n=$(grep -c 'O_PATH' "$T/trace")
	[ "$n" -le 4 ] || fail "$n O_PATH opens for 2,100 operands, want <= 4"
	n=$(grep -c 'st/f[0-9]' "$T/trace")
	[ "$n" = 0 ] || fail "$n lookups of DEST's names, want none (one listing)"
	n=$(grep -cE '^[0-9]+ +(newfstatat|stat|lstat)\(.*"f[0-9]{4}"' "$T/trace")
	[ "$n" -le 2100 ] || fail "$n stats of the sources, want <= 2100"
	diff -r --exclude=sub "$T/s" "$T/st" >/dev/null || fail "strace run: copy differs"
else
	echo "note: strace is not installed; the syscall counts are not checked"
fi
done_test
