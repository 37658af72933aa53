# torture: 500 files of random sizes (mostly a request size +-1, and
# multiples of it +-1), copied with a random request size, random depths
# (buffers, entries and chunks in flight), buffers registered or not,
# reads linked to writes or not, and a random share of reads forced
# short; the copy is exact on each of 20 seeds (TORTURE_SEEDS).
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
seeds=${TORTURE_SEEDS:-20}
for seed in $(seq 1 "$seeds"); do
	# The seed's settings and tree, a pure function of the seed.
	eval "$(python3 - "$T/src" "$seed" <<'PY'
import os, random, sys
top, seed = sys.argv[1], int(sys.argv[2])
r = random.Random(seed)
io = r.choice([1, 7, 512, 4095, 4096, 4097, 65536, 131072, 131071])
os.system("rm -rf '%s'" % top)
os.makedirs(top)
dirs = [top]
for i in range(r.randrange(1, 20)):
    d = os.path.join(r.choice(dirs), "d%d" % i)
    os.mkdir(d)
    dirs.append(d)
# Tiny requests make big files slow: sizes are in units of the request
# size, with at most 64 requests' worth of data per file.
cap = max(io * 16, 4096) if io < 512 else io * 64
for i in range(500):
    k = r.random()
    if k < 0.6:
        size = max(0, io * r.randrange(1, 9) + r.choice([-1, 0, 1]))
    elif k < 0.7:
        size = r.choice([0, 1, 2])
    else:
        size = r.randrange(cap)
    size = min(size, cap)
    with open(os.path.join(r.choice(dirs), "f%d" % i), "wb") as f:
        f.write(r.randbytes(size))
print("io=%d nbufs=%d jobs=%d chunks=%d short=%d regbuf=%d link=%d" % (
    io, r.choice([1, 2, 3, 8, 64]), r.choice([1, 2, 5, 64]),
    r.choice([1, 2, 3, 16]), r.choice([0, 5, 30, 90]),
    r.random() < 0.5, r.random() < 0.7))
PY
)"
	off=
	[ "$regbuf" = 1 ] || off=regbuf
	[ "$link" = 1 ] || off=$off${off:+,}link
	rm -rf "$T/dst"
	UCP_TEST_IOSIZE=$io UCP_TEST_NBUFS=$nbufs UCP_TEST_JOBS=$jobs \
		UCP_TEST_CHUNKS=$chunks UCP_TEST_SHORT_READS=$short UCP_RING_DISABLE=$off \
		timeout 120 "$UCP" -r "$T/src" "$T/dst" 2>"$T/err" ||
		fail "seed $seed (io=$io nbufs=$nbufs jobs=$jobs chunks=$chunks short=$short off=$off): exit $?: $(head -3 "$T/err")"
	same_tree "$T/src" "$T/dst" >"$T/diff" ||
		fail "seed $seed (io=$io nbufs=$nbufs jobs=$jobs chunks=$chunks short=$short off=$off): $(head -3 "$T/diff")"
	[ -z "$(find "$T/dst" -name '.ucp.*' -print -quit)" ] || fail "seed $seed: temp files left"
done
done_test
