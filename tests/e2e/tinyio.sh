# tinyio: tiny requests and reads planned past EOF force every short-read,
# cancelled-link and partial-write path; the copy must stay exact.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S/d"
for n in 0 1 2 6 7 8 13 14 15 100 4095 4096 4097 65537; do
	mkfile "$S/f$n" "$n"
	mkfile "$S/d/g$n" $((n * 3 + 1))
done
for io in 1 7 4096; do
	for over in 0 3; do
		rm -rf "$T/dst"
		# Fixed files (opt-in) on every other run, so both paths see
		# the short and cancelled requests.
		UCP_FIXED_FILES=$((over > 0)) UCP_TEST_IOSIZE=$io UCP_TEST_OVERREAD=$over "$UCP" -r "$S" "$T/dst" ||
			fail "exit status with iosize=$io overread=$over"
		same_tree "$S" "$T/dst" || fail "tree differs with iosize=$io overread=$over"
	done
done
# Each ring feature turned off in turn still copies exactly.
# (UCP_RING_ALL=1 first: every op on the ring, none of the defaults that
# run a few inline.)
for off in all regbuf link defer fixed openat2 statx openat read write close linkat \
	mkdirat symlinkat create diropen fstat; do
	rm -rf "$T/dst"
	UCP_RING_ALL=$([ $off = all ] && echo 1) UCP_FIXED_FILES=1 UCP_RING_DISABLE=$off \
		UCP_TEST_IOSIZE=7 UCP_TEST_OVERREAD=1 "$UCP" -r "$S" "$T/dst" ||
		fail "exit status with $off disabled"
	same_tree "$S" "$T/dst" || fail "tree differs with $off disabled"
done
done_test
