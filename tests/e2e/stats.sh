# --stats in cp use: rsync's fields, with rsync's numbers for the same
# fresh copy (ucp -r SRC DST against rsync -a SRC/ DST/): entries by type,
# created, deleted, regular files transferred, total and transferred size.
. "$(dirname "$0")/../lib/common.sh"
command -v rsync >/dev/null || skip "rsync not installed (make deps installs it)"
S=$T/src
mkdir -p "$S/a/b" "$S/empty"
for n in 0 1 1000 70000; do mkfile "$S/f$n" "$n"; mkfile "$S/a/b/g$n" $((n + 3)); done
ln -s f1000 "$S/link"
ln -s a/b "$S/dirlink"
ln "$S/f1000" "$S/a/hard"
mkfifo "$S/a/fifo"

fields='^(Number of (files|created files|deleted files|regular files transferred)|Total (file|transferred file) size):'
rsync -a --stats "$S/" "$T/r/" | grep -E "$fields" >"$T/want"
"$UCP" -r --stats "$S" "$T/u" >"$T/out" 2>"$T/err" || fail "ucp -r --stats: exit $?: $(cat "$T/err")"
grep -E "$fields" "$T/out" >"$T/got"
[ "$(wc -l <"$T/want")" = 6 ] || fail "rsync printed: $(cat "$T/want")"
diff "$T/want" "$T/got" >"$T/diff" || fail "--stats differs from rsync's (< rsync, > ucp): $(cat "$T/diff")"
same_tree "$S" "$T/u" || fail "ucp -r --stats: trees differ"
# Onto the copy again: nothing is created, everything is transferred.
"$UCP" -r --stats "$S/." "$T/u" >"$T/out2" || fail "second ucp -r --stats"
grep -q '^Number of created files: 0$' "$T/out2" || fail "second run: $(grep created "$T/out2")"
grep -q "^Number of regular files transferred: $(find "$S" -type f | wc -l)\$" "$T/out2" ||
	fail "second run: $(grep transferred "$T/out2")"
done_test
