# writeback: ucp asks the kernel to start writing out a large file every
# UCP_WRITEBACK_MB as it copies, and the rest of any file of at least
# UCP_WRITEBACK_TAIL_KB once its data is written (not with --fsync, which
# writes it out anyway).  Seen as sync_file_range(2) calls under strace,
# with the synchronous engine (whose requests are plain syscalls) whatever
# engine the runner chose; the copies stay exact.
. "$(dirname "$0")/../lib/common.sh"
command -v strace >/dev/null || skip "strace is not installed"
# LeakSanitizer cannot run under ptrace (make check SANITIZE=1).
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
S=$T/src
mkdir "$S"
mkfile "$S/big" $((20 << 20))		# 8 MiB, 16 MiB, then the rest
mkfile "$S/mid" $((100 << 10))		# over 64 KiB: the rest only
mkfile "$S/small" $((10 << 10))		# under: nothing

# kicks OUT [VAR=VAL...] -- [UCP ARG...]: copy $S with one synchronous
# worker under strace; OUT gets the sync_file_range calls, one "name
# offset length" line each, sorted.
kicks() {
	local out=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	rm -rf "$T/dst"
	env UCP_ENGINE=sync UCP_WORKERS=1 "${envs[@]}" strace -f -qq \
		-e trace=openat,openat2,sync_file_range -o "$T/trace.raw" \
		"$UCP" "$@" -r "$S" "$T/dst" || fail "$out: exit $?"
	same_tree "$S" "$T/dst" || fail "$out: the copy differs"
	# Each fd stands for the name it was last opened as.
	python3 - "$T/trace.raw" >"$T/$out" <<'PY'
import re, sys
names, out = {}, []
for line in open(sys.argv[1]):
    m = re.search(r'open(?:at2?)?\([^,]+, "([^"]+)".* = (\d+)$', line)
    if m:
        names[m.group(2)] = m.group(1)
    m = re.search(r'sync_file_range\((\d+), (\d+), (\d+),', line)
    if m:
        out.append("%s %s %s" % (names.get(m.group(1), "?"), m.group(2),
                                 m.group(3)))
for k in sorted(out):
    print(k)
PY
}

kicks default --
printf '%s\n' "big 0 8388608" "big 16777216 0" "big 8388608 8388608" "mid 0 0" >"$T/want"
diff "$T/want" "$T/default" || fail "default kicks differ (above)"

kicks notail UCP_WRITEBACK_TAIL_KB=0 --
printf '%s\n' "big 0 8388608" "big 8388608 8388608" >"$T/want"
diff "$T/want" "$T/notail" || fail "UCP_WRITEBACK_TAIL_KB=0: kicks differ (above)"

kicks off UCP_WRITEBACK_TAIL_KB=0 UCP_WRITEBACK_MB=0 --
[ ! -s "$T/off" ] || fail "kicks with both turned off: $(cat "$T/off")"

kicks fsync -- --fsync
diff "$T/want" "$T/fsync" || fail "--fsync: kicks differ (above)"
done_test
