#!/usr/bin/env bash
# run.sh - the test runner behind `make check`.
#
# usage: tests/run.sh [-j N] [NAME...]
#        (names filter: unit/test_log, e2e/cli, ...)
#
# Runs the unit test programs (tests/unit/test_*) once, every end-to-end
# test (tests/e2e/*.sh) under both engines (UCP_ENGINE=ring, then sync; a
# test with an "# engines: ..." line under the engines it lists), and
# the packaging tests (tests/pkg/*.sh: man page, completions, install,
# packages) once.
# Each test exits 0 (pass), 77 (skip, with a "SKIP: reason" line) or
# anything else (fail; its output is shown); one that runs longer than
# UCP_TEST_TIMEOUT seconds (900) is killed and fails.  Ends with one line:
#     N passed, N failed, N skipped
#
# -j N (or UCP_CHECK_JOBS=N; default: the number of CPUs) runs up to N
# tests at once; a line is printed as each ends.  A test that changes
# something the whole machine shares (a sysctl), or whose outcome
# depends on timing a busy machine changes, says "# serial" and runs
# alone, after the others, as do the packaging tests (they share the
# source tree's `make dist`).
set -u
cd "$(dirname "$0")/.." || exit 2
export UCP=${UCP:-$PWD/ucp}
export LC_ALL=C.UTF-8
jobs=${UCP_CHECK_JOBS:-$(nproc 2>/dev/null || echo 1)}
# (Not UCP_TEST_JOBS: that one is ucp's own knob, the jobs in flight per
# worker, and the tests would inherit it.)
unset UCP_CHECK_JOBS
# `make -s check` would pass its -s on to the builds the packaging tests
# make, whose logs they read for the compiler's command lines.
unset MAKEFLAGS MFLAGS MAKELEVEL
if [ "${1:-}" = -j ]; then
	jobs=${2:?-j needs a number}
	shift 2
fi
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad job count '$jobs'" >&2; exit 2; }
pass=0 failn=0 skipn=0
failed=()
filter=("$@")
OUT=$(mktemp -d "${TMPDIR:-/tmp}/ucp-run.XXXXXX") || exit 2
trap 'rm -rf "$OUT"' EXIT

wanted() {
	[ ${#filter[@]} -eq 0 ] && return 0
	local f
	for f in "${filter[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
	return 1
}

# The tests to run, in order: labels[i], cmds[i] (a command line for
# eval) and serial[i] (1: alone, after the others).
labels=() cmds=() serial=()
add() { labels+=("$1"); cmds+=("$2"); serial+=("$3"); }

# run_one I: run test I, its output to $OUT/I.out, then "RC SECONDS"
# to $OUT/I.rc.
run_one() {
	local i=$1 rc start
	start=$EPOCHREALTIME
	# A hung test fails (124) instead of stalling the whole suite.
	eval "timeout -k 10 ${UCP_TEST_TIMEOUT:-900} ${cmds[i]}" >"$OUT/$i.out" 2>&1 </dev/null
	rc=$?
	[ $rc = 124 ] && echo "timed out after ${UCP_TEST_TIMEOUT:-900} s" >>"$OUT/$i.out"
	echo "$rc $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}')" >"$OUT/$i.rc"
}

# report I: print test I's line (and a failure's output) and count it.
report() {
	local i=$1 label=${labels[$1]} rc secs out
	read -r rc secs <"$OUT/$i.rc"
	out=$(cat "$OUT/$i.out")
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %s (%ss)\n' "$label" "$secs" ;;
	77) skipn=$((skipn + 1))
	    printf 'SKIP %s: %s\n' "$label" "$(grep -m1 '^SKIP:' <<<"$out" | sed 's/^SKIP: //')" ;;
	*) failn=$((failn + 1)); failed+=("$label")
	   printf 'FAIL %s (exit %d)\n' "$label" "$rc"
	   show_output "$out" ;;
	esac
}

# A failing test's output: all of it when short, else its first lines
# (the first failures) and its last (how it ended).
show_output() {
	local n
	n=$(wc -l <<<"$1")
	if [ "$n" -le 60 ]; then
		sed 's/^/    /' <<<"$1"
		return
	fi
	head -n 20 <<<"$1" | sed 's/^/    /'
	printf '    ... (%d lines left out)\n' $((n - 60))
	tail -n 40 <<<"$1" | sed 's/^/    /'
}

for src in tests/unit/test_*.c; do
	t=${src%.c}
	wanted "unit/${t##*/}" || continue
	if [[ ! -x $t ]]; then
		# Never skip a test silently: a missing binary is a failure.
		add "unit/${t##*/}" "sh -c \"echo '$t is not built (make check builds it)'; exit 1\"" 0
		continue
	fi
	add "unit/${t##*/}" "$t" 0
done
for t in tests/e2e/*.sh; do
	name=e2e/$(basename "$t" .sh)
	wanted "$name" || continue
	# A "# engines: ..." line lists the engines a test runs under:
	# those that exercise the data path add the thread-pool engine
	# (kept to be measured against the ring); those about the command
	# line alone run once.
	engines=$(sed -n 's/^# engines: //p' "$t" | head -n 1)
	engines=${engines:-ring sync}
	s=0
	grep -q '^# serial' "$t" && s=1
	for eng in $engines; do
		add "$name [$eng]" "env UCP_ENGINE=$eng bash $t" $s
	done
done
for t in tests/pkg/*.sh; do
	name=pkg/$(basename "$t" .sh)
	wanted "$name" || continue
	add "$name" "bash $t" 1
done

# The others, up to $jobs at a time, each reported as it ends; then the
# serial ones, one at a time.
declare -A running=()
# Wait for one running test to end, and report it.
reap() {
	local done_pid
	wait -n -p done_pid "${!running[@]}"
	report "${running[$done_pid]}"
	unset "running[$done_pid]"
}
for i in "${!labels[@]}"; do
	[ "${serial[i]}" = 0 ] || continue
	while [ ${#running[@]} -ge "$jobs" ]; do
		reap
	done
	run_one "$i" &
	running[$!]=$i
done
while [ ${#running[@]} -gt 0 ]; do
	reap
done
for i in "${!labels[@]}"; do
	[ "${serial[i]}" = 1 ] || continue
	run_one "$i"
	report "$i"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
