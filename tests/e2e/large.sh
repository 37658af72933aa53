# large: a file over 1 GiB (sparse source, data at both ends and inside)
# copies byte for byte.
. "$(dirname "$0")/../lib/common.sh"
avail=$(df -P -k "$T" | awk 'NR==2{print $4}')
[ "$avail" -gt $((3 * 1024 * 1024)) ] || skip "needs 3 GiB free in ${TMPDIR:-/tmp}"
S=$T/src
mkdir "$S"
python3 - "$S/big" <<'PY'
import os, sys
size = (1 << 30) + 12345
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for off in (0, 300 << 20, (1 << 30) - 7, size - 4096):
    os.pwrite(fd, os.urandom(4096), off)
os.ftruncate(fd, size)
os.close(fd)
PY
check "ucp exits 0" "$UCP" -r "$S" "$T/dst"
check "big file equal" cmp "$S/big" "$T/dst/big"
done_test
