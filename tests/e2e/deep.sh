# deep: a tree whose paths are longer than PATH_MAX (4096) copies fully.
. "$(dirname "$0")/../lib/common.sh"
python3 - "$T/src" <<'PY'
import os, sys
os.mkdir(sys.argv[1])
fd = os.open(sys.argv[1], os.O_RDONLY)
name = "d" * 200
for level in range(30):           # 30 * 201 bytes = 6030 > PATH_MAX
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY, dir_fd=fd)
    f = os.open("file%d" % level, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=nfd)
    os.write(f, b"level %d\n" % level)
    os.close(f)
    os.symlink("file%d" % level, "link", dir_fd=nfd)
    os.close(fd)
    fd = nfd
os.close(fd)
PY
check "ucp -r exits 0" "$UCP" -r "$T/src" "$T/dst"
check "deep tree equal" same_tree "$T/src" "$T/dst"
n=$(cd "$T/dst" && find . -name 'file*' | wc -l)
[ "$n" = 30 ] || fail "expected 30 files at depth, got $n"
done_test
