# engine: which engine a run takes when UCP_ENGINE does not say, and when
# the ring registers its buffers.  A few files (at most 16, at most 32
# MiB), named on the command line or in flat directories named there,
# take the synchronous engine, which starts in a third of the time; a
# directory with a subdirectory, more files or more bytes take the ring.  Seen under strace as whether io_uring_setup is called; each copy
# is compared with its source.  UCP_DEBUG counts the workers that
# registered their buffers, and the workers started.
# engines: ring
. "$(dirname "$0")/../lib/common.sh"
command -v strace >/dev/null || skip "strace is not installed"
unset UCP_ENGINE

mkdir -p "$T/s/d"
for i in $(seq 17); do printf '%s\n' "$i" >"$T/s/f$i"; done
echo x >"$T/s/d/x"
truncate -s $((32 << 20)) "$T/s/sparse32"
truncate -s $(((32 << 20) + 1)) "$T/s/sparse32p"
cd "$T/s" || exit 1

# takes WANT NAME ARGS...: copy ARGS into a fresh $T/NAME under strace;
# WANT is ring or sync.
takes() {
	local want=$1 name=$2 got
	shift 2
	mkdir "$T/$name"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=io_uring_setup -o "$T/$name.trace" \
		"$UCP" "$@" "$T/$name" || fail "$name: exit status"
	got=sync
	grep -q '^[0-9]* *io_uring_setup(.*= [0-9]' "$T/$name.trace" && got=ring
	[ "$got" = "$want" ] || fail "$name: the $got engine, want the $want engine"
	for f in "$@"; do
		case $f in -*) continue ;; esac
		[ -d "$f" ] || cmp -s "$f" "$T/$name/$f" ||
			fail "$name: $f differs"
	done
}

# UCP_ENGINE=ring keeps the ring for a single file, where the kernel
# allows one at all.
mkdir "$T/probe"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 UCP_ENGINE=ring \
	strace -f -qq -e trace=io_uring_setup -o "$T/probe.trace" \
	"$UCP" f1 "$T/probe" 2>"$T/probe.err" || fail "UCP_ENGINE=ring: exit status"
grep -q 'io_uring unavailable' "$T/probe.err" &&
	skip "io_uring is refused here: every run takes the synchronous engine"
cmp -s f1 "$T/probe/f1" || fail "UCP_ENGINE=ring: the copy"
grep -q 'io_uring_setup(.*= [0-9]' "$T/probe.trace" ||
	fail "UCP_ENGINE=ring: no ring for one file"

takes sync one f1
takes sync sixteen f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16
takes ring seventeen f1 f2 f3 f4 f5 f6 f7 f8 f9 f10 f11 f12 f13 f14 f15 f16 f17
takes sync mib32 sparse32
takes ring mib32p sparse32p
takes sync dir -r d
same_tree d "$T/dir/d" || fail "dir: trees differ"
# Flat directories count their files: 16 in all (and their symlinks,
# unless -L follows them), or 32 MiB.
mkdir -p g15 g16 mib mibp links sub/d fifo
for i in $(seq 15); do cp "f$i" g15/; cp "f$i" g16/; done
cp f16 g16/
cp sparse32 mib/; cp sparse32p mibp/
ln -s f1 links/l; cp f1 links/
echo x >sub/d/x
mkfifo fifo/p
takes sync d16 -r g16
takes sync d15f1 -r g15 f16
takes ring d15f2 -r g15 f16 f17
takes ring d16d1 -r g16 d
takes sync dmib -r mib
takes ring dmibp -r mibp
takes ring dmibf -r mib f1
takes sync dlinks -r links
takes ring dlinksL -rL links
takes ring dsub -r sub
takes ring dfifo -r fifo
for d in d16:g16 dmib:mib dmibp:mibp dlinks:links dsub:sub dfifo:fifo; do
	same_tree "${d#*:}" "$T/${d%%:*}/${d#*:}" || fail "-r ${d#*:}: trees differ"
done

# The ring's buffers are registered once a worker has taken as many as
# its pool holds: not for a small tree, but for a file of 128 chunks.
UCP_DEBUG=1 UCP_ENGINE=ring "$UCP" -r d "$T/smalltree" 2>"$T/small.err" ||
	fail "small tree: exit status"
grep -q 'regbuf=0 ' "$T/small.err" ||
	fail "small tree: buffers registered: $(cat "$T/small.err")"
# A flat directory starts with one worker and starts the others when it
# holds more than one worker's entries in flight (64), or after a time
# (made long here, UCP_TEST_LAZY_MS, so that only the counts decide); a
# directory with subdirectories starts them all at once.  (The ring:
# flat3 alone would take the synchronous engine.)
mkdir -p flat3 flat100 tree/sub
for i in 1 2 3; do echo "$i" >"flat3/f$i"; echo "$i" >"tree/sub/f$i"; done
for i in $(seq 100); do echo "$i" >"flat100/f$i"; done
started() { # started WANT DIR: workers started for ucp -r DIR
	rm -rf "$T/lazy"
	UCP_DEBUG=1 UCP_WORKERS=2 UCP_TEST_LAZY_MS=600000 UCP_ENGINE=ring \
		"$UCP" -r "$2" "$T/lazy" 2>"$T/lazy.err" || fail "$2: exit status"
	same_tree "$2" "$T/lazy" || fail "$2: trees differ"
	grep -q "started=$1 " "$T/lazy.err" ||
		fail "$2: want $1 workers started: $(cat "$T/lazy.err")"
}
started 1 flat3
started 2 flat100
started 2 tree
# ... and the timer starts them for a flat directory still being copied.
mkfile flat3/big $((4 << 20))
rm -rf "$T/lazy"
UCP_DEBUG=1 UCP_WORKERS=2 UCP_TEST_LAZY_MS=1 UCP_TEST_SLOW_US=10000 \
	UCP_ENGINE=ring "$UCP" -r flat3 "$T/lazy" 2>"$T/lazy.err" || fail "flat3, timer: exit status"
same_tree flat3 "$T/lazy" || fail "flat3, timer: trees differ"
grep -q "started=2 " "$T/lazy.err" ||
	fail "flat3, timer: want 2 workers started: $(cat "$T/lazy.err")"
rm flat3/big

mkfile big $((16 << 20))
UCP_DEBUG=1 UCP_ENGINE=ring "$UCP" big "$T/big" 2>"$T/big.err" || fail "big: exit status"
cmp -s big "$T/big" || fail "big: the copy differs"
# (2 MiB of buffers; a smaller RLIMIT_MEMLOCK, where it counts, refuses
# them and the copy goes on with plain ones)
lim=$(ulimit -l)
if [ "$lim" = unlimited ] || [ "$lim" -ge 4096 ]; then
	grep -q 'regbuf=1 ' "$T/big.err" ||
		fail "big: buffers not registered: $(cat "$T/big.err")"
else
	echo "note: RLIMIT_MEMLOCK of $lim KiB: registration not checked"
fi
done_test
