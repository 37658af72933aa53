# fdtable: the descriptor table grows before the first thread.
#
# The kernel grows a process's descriptor table on demand, and while
# threads share it each growth waits for an RCU grace period (8-16 ms on
# the development machine).  A child of sh -c starts with 64 slots, a
# copy of a tree holds more descriptors than that, and the waits cost a
# third of a small copy's time.  So ucp grows the table to its peak while
# it has one thread.  Under strace -f, started by sh -c with a table of 64:
# the descriptors returned after the first clone must all have numbers no
# higher than one returned before it (the table already held them), and
# the copy must need more than 64 (or this proves nothing).
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
command -v strace >/dev/null || skip "strace is not installed"

mkdir -p "$T/s"
for d in 1 2 3 4; do
	mkdir "$T/s/d$d"
	for i in $(seq 100); do printf '%s\n' "$d $i" >"$T/s/d$d/f$i"; done
done

cd "$T" || exit 1
# A fork copies the table only up to the highest open descriptor.  sh
# (dash on Debian) keeps none high, so its children, grep and ucp alike,
# start with 64 slots (bash hands down 256: its fd 255).  Python starts
# strace with every descriptor above 2 closed, whatever this test was
# handed.
# (LeakSanitizer cannot run under ptrace: off for this run)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
python3 -c 'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))' \
	strace -f -qq -o trace \
	-e trace=clone,clone3,openat,openat2,open,fcntl,dup,dup2,dup3,io_uring_setup,pipe2,eventfd2 \
	sh -c 'grep FDSize /proc/self/status >fdsize; "$@"' sh \
	"$UCP" -r s d || fail "copy under strace: exit status"
same_tree s d || fail "copy under strace: trees differ"
read -r _ slots <fdsize
[ "$slots" = 64 ] || skip "sh's children get a table of $slots slots, not 64"

python3 - trace <<'PY' || fail "the descriptor table grew while threads shared it"
import re, sys
call = re.compile(r'^\d+\s+(?:<\.\.\. (\w+) resumed>|(\w+)\().*\)\s+= (\d+)')
fdcalls = {"openat", "openat2", "open", "fcntl", "dup", "dup2", "dup3",
           "io_uring_setup", "pipe2", "eventfd2"}
before = after = -1
threaded = False
for line in open(sys.argv[1]):
    m = call.match(line)
    if not m:
        continue
    name, ret = m.group(1) or m.group(2), int(m.group(3))
    if name in ("clone", "clone3"):
        threaded = True
    elif name in fdcalls and (name != "fcntl" or "F_DUPFD" in line):
        if threaded:
            after = max(after, ret)
        else:
            before = max(before, ret)
print("highest descriptor: %d before the first thread, %d after" % (before, after))
if after < 64:
    print("the copy never needed more than 64 descriptors: nothing is shown")
    sys.exit(1)
sys.exit(0 if after <= before else 1)
PY
done_test
