#!/usr/bin/env bash
# run.sh - the test runner behind `make check`.
#
# usage: tests/run.sh [NAME...]    (names filter: unit/test_log, e2e/cli, ...)
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
set -u
cd "$(dirname "$0")/.." || exit 2
export UCP=${UCP:-$PWD/ucp}
export LC_ALL=C.UTF-8
pass=0 failn=0 skipn=0
failed=()
filter=("$@")

wanted() {
	[ ${#filter[@]} -eq 0 ] && return 0
	local f
	for f in "${filter[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
	return 1
}

run_one() { # run_one LABEL CMD...
	local label=$1 out rc start
	shift
	start=$EPOCHREALTIME
	# A hung test fails (124) instead of stalling the whole suite.
	out=$(timeout -k 10 "${UCP_TEST_TIMEOUT:-900}" "$@" 2>&1)
	rc=$?
	[ $rc = 124 ] && out+=$'\n'"timed out after ${UCP_TEST_TIMEOUT:-900} s"
	local secs
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b - a}')
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
		run_one "unit/${t##*/}" sh -c "echo '$t is not built (make check builds it)'; exit 1"
		continue
	fi
	run_one "unit/${t##*/}" "$t"
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
	for eng in $engines; do
		run_one "$name [$eng]" env UCP_ENGINE=$eng bash "$t"
	done
done
for t in tests/pkg/*.sh; do
	name=pkg/$(basename "$t" .sh)
	wanted "$name" || continue
	run_one "$name" bash "$t"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $failn failed, $skipn skipped"
[ $failn -eq 0 ]
