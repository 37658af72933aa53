# limits: ucp works within the limits a user may have: 64 file
# descriptors for a tree of 10,000 files; as an unprivileged user, ten
# back-to-back runs that each register (pin) their buffers within
# RLIMIT_MEMLOCK: a run that did not unregister before exit would leave
# pinned pages charged to the user and make the next registration fail.
. "$(dirname "$0")/../lib/common.sh"
python3 - "$T/src" <<'PY'
import os, sys
for i in range(10000):
    d = os.path.join(sys.argv[1], "d%02d" % (i % 100), "e%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%d" % i), "wb") as f:
        f.write(b"x" * (i % 300))
PY
(ulimit -n 64 && "$UCP" -r "$T/src" "$T/dst") || fail "ulimit -n 64: exit status"
same_tree "$T/src" "$T/dst" || fail "ulimit -n 64: tree differs"
# -aL links a file reached twice to its first copy through a descriptor
# of that copy's directory kept open: within 64 descriptors most are not
# kept, and those files are copied again instead.
ln -s d00 "$T/src/alias"
(ulimit -n 64 && "$UCP" -aL "$T/src" "$T/dstL") || fail "ulimit -n 64, -aL: exit status"
cp -rL "$T/src" "$T/refL"
same_tree --mode "$T/refL" "$T/dstL" || fail "ulimit -n 64, -aL: tree differs"
rm -rf "$T/refL" "$T/dstL" "$T/src/alias"
# Each operand holds descriptors until it is done: 700 operands (the
# files of one directory, as "ucp DIR/* DEST" gives them) within 64.
mkdir "$T/flat" "$T/ops"
for i in $(seq 700); do printf '%d\n' "$i" >"$T/flat/f$i"; done
(ulimit -n 64 && "$UCP" "$T"/flat/* "$T/ops") || fail "ulimit -n 64, 700 operands: exit status"
same_tree "$T/flat" "$T/ops" || fail "ulimit -n 64, 700 operands: tree differs"
# A file copied through a destination symlink is copied by a job of its
# own at the link's target: 700 of them at once stay within 64 too.
mkdir -p "$T/thru/dst/flat" "$T/thru/targets"
for i in $(seq 700); do
	printf 'old\n' >"$T/thru/targets/f$i"
	ln -s "../../targets/f$i" "$T/thru/dst/flat/f$i"
done
(ulimit -n 64 && "$UCP" -r "$T/flat" "$T/thru/dst") || fail "ulimit -n 64, 700 through links: exit status"
same_tree "$T/flat" "$T/thru/targets" || fail "ulimit -n 64, 700 through links: targets differ"
[ "$(find "$T/thru/dst/flat" -type l | wc -l)" = 700 ] || fail "ulimit -n 64, 700 through links: links replaced"

if [ "$(id -u)" != 0 ]; then
	echo "note: not root, the unprivileged-user part is skipped"
	done_test
fi
command -v setpriv >/dev/null || { echo "note: no setpriv"; done_test; }
chmod 755 "$T"
mkdir -p "$T/user" "$T/usrc/d"
mkfile "$T/user/big" $((3 << 20))
python3 -c 'import os, sys
for i in range(1, 201):
    open(os.path.join(sys.argv[1], "f%d" % i), "wb").write(os.urandom(i * 37))' "$T/usrc/d"
chown -R 65534:65534 "$T/user"
# Under the usual 8 MiB limit (which only CAP_SYS_RESOURCE could raise),
# two workers' pools of 64 x 32 KiB take half of it: every run registers
# (at a worker's first data copy; UCP_DEBUG counts the workers that did).
want='regbuf=[12] '
[ "${UCP_ENGINE:-ring}" = sync ] && want='regbuf=0 '
for i in $(seq 10); do
	(ulimit -l 8192 && setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
		"mkdir \"$T/user/run$i\" && UCP_DEBUG=1 UCP_WORKERS=2 UCP_TEST_IOSIZE=32768 exec \"$UCP\" -r \"$T/usrc\" \"$T/user/big\" \"$T/user/run$i\"") \
		2>"$T/err" || { fail "unprivileged run $i failed: $(cat "$T/err")"; break; }
	grep -q "$want" "$T/err" || fail "run $i: expected $want: $(cat "$T/err")"
	[ "$(grep -vc '^ucp: engine' "$T/err")" = 0 ] || fail "run $i printed: $(cat "$T/err")"
done
# With a limit too small for the pools, buffers stay unregistered and the
# copy still works.
(ulimit -l 1024 && setpriv --reuid=65534 --regid=65534 --clear-groups bash -c \
	"mkdir \"$T/user/small\" && UCP_DEBUG=1 UCP_WORKERS=2 exec \"$UCP\" -r \"$T/usrc\" \"$T/user/small\"") \
	2>"$T/err" || fail "small memlock run failed: $(cat "$T/err")"
grep -q "regbuf=0 " "$T/err" || fail "small memlock: buffers registered anyway: $(cat "$T/err")"
same_tree "$T/usrc" "$T/user/small/usrc" || fail "small memlock copy differs"
same_tree "$T/usrc" "$T/user/run10/usrc" || fail "unprivileged copy differs"
cmp -s "$T/user/big" "$T/user/run10/big" || fail "unprivileged big file differs"
done_test
