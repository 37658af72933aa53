# --progress and SIGUSR1.  Not a terminal: nothing by default, whole lines
# with --progress=always; on a pseudo-terminal (script(1)): a bar redrawn
# in place, with an error printed as a whole line, cleared at the end;
# never with =never.  SIGUSR1 prints one status line and the copy goes on
# to an exact end.  Counts are of completed writes: the last line never
# shows more bytes than the file has.
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S" "$T/dst/f2"
mkfile "$S/f1" $((16 * 1024 * 1024))
printf 'x\n' >"$S/f2"
size=$((16 * 1024 * 1024))
# A pause per 128 KiB chunk written makes the copy last long enough to be
# watched on any machine (about 1.3 s).
export UCP_TEST_SLOW_US=10000
line_re='^ucp: ( *[0-9]+% |scanning )[0-9.]+ [KMGT]?i?B / [0-9.]+ [KMGT]?i?B\+? [0-9.]+ [KMGT]?i?B/s( ETA [0-9]+:[0-9][0-9]:[0-9][0-9])? [0-9]+/[0-9]+\+? files [0-9]+ errors$'

# Not a terminal.
"$UCP" "$S/f1" "$T/a" 2>"$T/err" || fail "plain copy"
[ -s "$T/err" ] && fail "--progress=auto printed without a terminal: $(cat "$T/err")"
UCP_PROGRESS_MS=100 "$UCP" --progress=always "$S/f1" "$T/b" 2>"$T/err" >"$T/out" ||
	fail "--progress=always: exit $?"
cmp -s "$S/f1" "$T/b" || fail "--progress=always: copy differs"
[ -s "$T/out" ] && fail "progress went to stdout"
grep -Eq "$line_re" "$T/err" || fail "no progress line, got: $(head -3 "$T/err")"
grep -Evq "$line_re" "$T/err" && fail "odd progress lines: $(grep -Ev "$line_re" "$T/err" | head -3)"
# Completed writes only: never more than the file, never decreasing.
python3 - "$T/err" "$size" <<'PY' || fail "progress counts are wrong"
import re, sys
units = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
last = -1
for l in open(sys.argv[1]):
    m = re.search(r"([0-9.]+) (\w+) / ([0-9.]+) (\w+)", l)
    done = float(m.group(1)) * units[m.group(2)]
    if done > int(sys.argv[2]) * 1.001 or done < last:
        print("bad line:", l.strip()); sys.exit(1)
    last = done
PY

# A pseudo-terminal: the bar, an error as a whole line, cleared at the end.
if command -v script >/dev/null; then
	script -qec "UCP_PROGRESS_MS=100 UCP_TEST_SLOW_US=10000 '$UCP' -r '$S/.' '$T/dst'; echo rc=\$?" "$T/tty" >/dev/null 2>&1
	python3 - "$T/tty" <<'PY' || fail "the terminal output is wrong: $(tail -c 400 "$T/tty" | cat -A)"
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
body = t.split("\n", 1)[1]            # after script's header
bars = re.findall(r"\r\x1b\[K( *[0-9]+% [^\r\n]*)", body)
assert bars, "no bar"
assert all("files" in b and "errors" in b for b in bars), bars[:3]
# The error is a whole line of its own.
assert re.search(r"(^|\n|\x1b\[K)ucp: cannot overwrite directory '[^']*f2' with non-directory\r?\n", body), "error line"
# Cleared at the end: the last thing before rc= is the clear.
assert re.search(r"\r\x1b\[Krc=1", body), "bar not cleared"
PY
	script -qec "UCP_PROGRESS_MS=100 UCP_TEST_SLOW_US=10000 '$UCP' --progress=never '$S/f1' '$T/c'" "$T/tty2" >/dev/null 2>&1
	grep -q $'\e\[K' "$T/tty2" && fail "--progress=never drew a bar"
else
	echo "note: script(1) not installed; terminal cases not run"
fi

# SIGUSR1: status lines, the copy goes on.
rm -f "$T/d"
"$UCP" "$S/f1" "$T/d" 2>"$T/err" &
pid=$!
# Not before its handler is set (SigCgt, bit 10 - 1): a signal sent
# sooner ends it, as it would end any program (ASan's start on a busy
# machine took longer than the first 0.1 s).
for i in $(seq 1 100); do
	m=$(sed -n 's/^SigCgt:\t*//p' /proc/$pid/status 2>/dev/null)
	[ -n "$m" ] && (( 0x$m & 0x200 )) && break
	sleep 0.02
done
for i in $(seq 1 50); do
	sleep 0.1
	kill -USR1 $pid 2>/dev/null || break
done
wait $pid
rc=$?
[ $rc = 0 ] || fail "SIGUSR1: exit $rc"
cmp -s "$S/f1" "$T/d" || fail "SIGUSR1: copy differs"
grep -Eq "$line_re" "$T/err" || fail "SIGUSR1 printed no status line: $(head -3 "$T/err")"
done_test
