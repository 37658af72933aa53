# interrupt: SIGINT, SIGTERM or SIGKILL in the middle of a copy leaves no
# partial file at a final name and no temp file (a killed run's temp tree
# goes with the rerun); a rerun completes it.
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S/sub"
# Dense data: holes would be skipped (sparse copy) and the copy would end
# before any signal arrives.  3 x 16 MiB with a 5 ms pause per 128 KiB
# chunk written take over a second on any machine.
python3 - "$S" <<'PY'
import os, sys
top = sys.argv[1]
for i in range(3):
    with open(os.path.join(top, "big%d" % i), "wb") as f:
        for k in range(16):
            f.write(os.urandom(1 << 20))
for i in range(200):
    with open(os.path.join(top, "sub", "s%d" % i), "wb") as f:
        f.write(os.urandom(i * 10))
PY

# Every name that exists in the copy must be complete and equal.
published_ok() {
	local src=$1 dst=$2 f
	[ -d "$dst" ] || return 0
	while IFS= read -r -d '' f; do
		cmp -s "$src/$f" "$dst/$f" || { echo "partial or wrong: $f"; return 1; }
	done < <(cd "$dst" && find . -type f -print0)
	[ -z "$(find "$dst" -name '.ucp.*' -print -quit)" ] || { echo "temp files left"; return 1; }
	return 0
}

interrupted=0
for sig in INT TERM KILL; do
	rm -rf "$T/dst"
	# The test pause makes the copy slow enough to be interrupted.
	UCP_TEST_SLOW_US=5000 "$UCP" -r "$S" "$T/dst" &
	pid=$!
	sleep 0.3
	kill -s $sig $pid 2>/dev/null
	wait $pid
	rc=$?
	case $sig in
	INT) [ $rc = 130 ] || [ $rc = 0 ] || fail "SIGINT exit status $rc" ;;
	TERM) [ $rc = 143 ] || [ $rc = 0 ] || fail "SIGTERM exit status $rc" ;;
	KILL) [ $rc = 137 ] || [ $rc = 0 ] || fail "SIGKILL exit status $rc" ;;
	esac
	if [ $rc = 0 ]; then
		echo "note: copy finished before SIG$sig"
	else
		interrupted=$((interrupted + 1))
	fi
	published_ok "$S" "$T/dst" || fail "after SIG$sig"
	# A rerun into the same place completes the copy.
	"$UCP" -rT "$S" "$T/dst" || fail "rerun after SIG$sig exit status"
	same_tree "$S" "$T/dst" || fail "rerun after SIG$sig: tree differs"
	# A killed run's temp tree (a new directory is built under a temp
	# name) is removed by the rerun into the same parent.
	[ -z "$(find "$T" -maxdepth 1 -name '.ucp.*' -print -quit)" ] ||
		fail "temp tree left after SIG$sig and a rerun"
done

# SIGKILL while small files replace older ones: each is written to a named
# temp beside its old version and renamed over it, so a killed run leaves
# every name with its old or its new content, and the temps it left are
# removed by the next run into their directory.
mkdir -p "$T/old"
for f in "$S"/sub/*; do echo "old ${f##*/}" >"$T/old/${f##*/}"; done
UCP_TEST_SLOW_US=20000 "$UCP" -rT "$S/sub" "$T/old" &
pid=$!
for _ in $(seq 500); do
	[ -n "$(find "$T/old" -name '.ucp.*' -print -quit)" ] && break
	sleep 0.01
done
[ -n "$(find "$T/old" -name '.ucp.*' -print -quit)" ] ||
	fail "replace: no temp file was seen (the test proves nothing)"
{ kill -KILL $pid; wait $pid; } 2>/dev/null
for f in "$S"/sub/*; do
	n=${f##*/}
	cmp -s "$f" "$T/old/$n" || [ "$(cat "$T/old/$n")" = "old $n" ] ||
		fail "replace: $n is neither the old nor the new file"
done
"$UCP" -rT "$S/sub" "$T/old" || fail "rerun after a killed replace: exit status"
same_tree "$S/sub" "$T/old" || fail "rerun after a killed replace: tree differs"
[ -z "$(find "$T/old" -name '.ucp.*' -print -quit)" ] ||
	fail "rerun after a killed replace: temp files left"

# A copy that always finished first would prove nothing.
[ $interrupted -gt 0 ] || fail "no copy was interrupted: make the source bigger"
done_test
