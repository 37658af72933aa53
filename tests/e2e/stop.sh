# stop: a signal ends a run even when a request never comes back.  Copying
# a FIFO (cp's rule without -r: its contents) blocks in open until a
# writer comes, and in read while the writer is quiet; SIGINT or SIGTERM
# must still end ucp, as they end cp: after a grace of two seconds, or at
# once on a second signal.  It dies of the signal, and nothing is left at
# the destination name.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
mkfifo "$T/fifo" || skip "cannot make a FIFO here"
writer=

# stopped SIG N GRACE LABEL: ucp copies the FIFO; after it blocks, send SIG
# N times; it must exit of SIG within 10 s and leave no $T/out.
stopped() {
	local sig=$1 n=$2 grace=$3 label=$4 pid rc i t0 ms want
	rm -f "$T/out"
	UCP_TEST_STOP_GRACE_S=$grace "$UCP" "$T/fifo" "$T/out" 2>"$T/err" &
	pid=$!
	sleep 0.5
	if [ "$label" = "mid-read" ]; then
		# A writer that sends a little and then stays quiet: ucp now
		# waits in read with part of the data in its temp file.
		(printf 'partial'; exec sleep 30) >"$T/fifo" &
		writer=$!
		sleep 0.5
	fi
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do
		kill -s "$sig" $pid 2>/dev/null
		sleep 0.05
	done
	for ((i = 0; i < 100; i++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		kill -9 $pid
		wait $pid 2>/dev/null
		fail "$label: SIG$sig x$n did not end ucp within 10 s"
	else
		wait $pid
		rc=$?
		ms=$((($(date +%s%N) - t0) / 1000000))
		want=$((128 + $(kill -l "$sig")))
		[ $rc = $want ] || fail "$label: SIG$sig x$n: exit status $rc, not $want"
		[ $n = 1 ] || [ $ms -lt 5000 ] ||
			fail "$label: a second SIG$sig took $ms ms (grace ${grace}s)"
	fi
	[ -e "$T/out" ] && fail "$label: $T/out exists after SIG$sig"
	[ -s "$T/err" ] && fail "$label: unexpected output: $(cat "$T/err")"
	if [ -n "$writer" ]; then
		kill $writer 2>/dev/null
		wait $writer 2>/dev/null
		writer=
	fi
}

stopped INT 1 2 "open"
stopped TERM 1 2 "open"
stopped INT 2 60 "open"
stopped TERM 2 60 "mid-read"
stopped INT 1 1 "mid-read"

# --sync ends with rsync's status 20, on one signal or two.
mkdir -p "$T/src"
python3 -c 'import os, sys
for i in range(3):
    open(os.path.join(sys.argv[1], "f%d" % i), "wb").write(os.urandom(8 << 20))' "$T/src"
for n in 1 2; do
	rm -rf "$T/dst"
	UCP_TEST_SLOW_US=5000 UCP_TEST_STOP_GRACE_S=60 "$UCP" --sync "$T/src" "$T/dst" &
	pid=$!
	sleep 0.3
	for ((i = 0; i < n; i++)); do
		kill -INT $pid 2>/dev/null
		sleep 0.05
	done
	wait $pid
	rc=$?
	[ $rc = 20 ] || fail "--sync, SIGINT x$n: exit status $rc, not 20"
	if [ -d "$T/dst" ]; then
		for f in "$T"/dst/*; do
			[ -e "$f" ] || continue
			cmp -s "$f" "$T/src/${f##*/}" || fail "--sync, SIGINT x$n: partial ${f##*/}"
		done
	fi
done
done_test
