# serial: sets kernel.io_uring_disabled for the whole machine.
# fallback: where the kernel refuses io_uring (here kernel.io_uring_disabled,
# as a container's seccomp profile would), ucp says so once and copies
# exactly with the synchronous engine.
. "$(dirname "$0")/../lib/common.sh"
need_root "sets kernel.io_uring_disabled"
f=/proc/sys/kernel/io_uring_disabled
[ -w $f ] || skip "no writable $f (kernel without the switch, or a container)"
old=$(cat $f)
trap 'echo "$old" >'$f'; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
mkdir -p "$T/src/sub"
mkfile "$T/src/a" 300000
mkfile "$T/src/sub/b" 10
ln -s a "$T/src/link"
echo 2 >$f
UCP_ENGINE= "$UCP" -r "$T/src" "$T/dst" 2>"$T/err"
rc=$?
echo "$old" >$f
[ $rc = 0 ] || fail "exit status $rc"
same_tree "$T/src" "$T/dst" || fail "tree differs"
n=$(grep -c 'using the synchronous engine' "$T/err")
[ "$n" = 1 ] || fail "expected one notice, got $n: $(cat "$T/err")"
grep -q "io_uring unavailable (Operation not permitted)" "$T/err" || fail "notice lacks the reason: $(cat "$T/err")"
done_test
