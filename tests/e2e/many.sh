# many: 10,000 small files in 100 directories and one directory of 3,000.
# engines: ring sync threads
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
python3 - "$S" <<'PY'
import os, sys, random
random.seed(7)
top = sys.argv[1]
for i in range(10000):
    d = os.path.join(top, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(os.urandom(random.choice([0, 1, 100, 2000, 5000, 20000])))
flat = os.path.join(top, "flat")
os.makedirs(flat)
for i in range(3000):
    with open(os.path.join(flat, "%d" % i), "wb") as f:
        f.write(b"x" * (i % 50))
PY
check "ucp -r exits 0" "$UCP" -r "$S" "$T/dst"
check "tree equal" same_tree --mode --umask "$(umask)" "$S" "$T/dst"
n=$(find "$T/dst" -type f | wc -l)
[ "$n" = 13000 ] || fail "expected 13000 files, got $n"
done_test
