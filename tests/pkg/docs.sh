#!/usr/bin/env bash
# The man page against the program's option table, both ways: every option
# (in cp use or with --sync) has an entry (.It) in the man page, and every
# option the man page documents is in the table.  The page is clean under
# mandoc -Tlint and renders without warnings through man-db (as lintian
# checks it), with a fixed date.
. "$(dirname "$0")/../lib/common.sh"
OPTDUMP=$TESTS_DIR/unit/optdump
MAN=$TESTS_DIR/../man/ucp.1
[ -x "$OPTDUMP" ] || { echo "FAIL: $OPTDUMP is not built (make check builds it)"; exit 1; }

# Spellings the man page documents in .It lines.
python3 - "$MAN" >"$T/items" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    if line.startswith(".It "):
        for m in re.finditer(r"\bFl (\\-[a-z0-9-]+|[A-Za-z])(?=[ ,]|$)", line.rstrip("\n")):
            print(m.group(1).replace("\\-", "--") if m.group(1).startswith("\\") else "-" + m.group(1))
PY

"$OPTDUMP" >"$T/table"
[ -s "$T/table" ] || fail "optdump printed no options"
: >"$T/spellings"
while read -r long short arg flags; do
	case $flags in *hidden*) continue ;; esac
	sp=()
	[ "$long" != - ] && sp+=("--$long")
	[ "$short" != - ] && sp+=("-$short")
	for s in "${sp[@]}"; do
		printf "%s\n" "$s" >>"$T/spellings"
		grep -qxF -- "$s" "$T/items" ||
			fail "man page has no entry (.It) for $s"
	done
done <"$T/table"
sort -u "$T/items" | while read -r s; do
	grep -qxF -- "$s" "$T/spellings" ||
		echo "man page documents $s, which is not in the option table"
done >"$T/extra"
[ -s "$T/extra" ] && fail "$(cat "$T/extra")"

# The sections a man page needs, and the ones this project promises.
for sh in NAME SYNOPSIS DESCRIPTION "SYNC MODE" ENVIRONMENT "EXIT STATUS" \
	EXAMPLES "SEE ALSO"; do
	grep -qx "\.Sh $sh" "$MAN" || fail "man page lacks the $sh section"
done
grep -q '^\.Xr rsync 1' "$MAN" || fail "SEE ALSO lacks rsync(1)"
grep -q '^\.Dd [A-Z][a-z]* [0-9]*, [0-9]*$' "$MAN" ||
	fail "man page date is not a fixed .Dd Month D, YYYY"

if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -W warning "$MAN" 2>&1) || fail "mandoc -Tlint: $out"
	[ -z "$out" ] || fail "mandoc -Tlint: $out"
else
	echo "note: mandoc not installed, lint skipped"
fi
if command -v man >/dev/null && man --help 2>&1 | grep -q -- --warnings; then
	out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
		man --warnings -E UTF-8 -l -Tutf8 -Z "$MAN" 2>&1 >/dev/null)
	[ -z "$out" ] || fail "man --warnings: $out"
fi
done_test
