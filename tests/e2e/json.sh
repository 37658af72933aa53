# --json: every stdout line is a JSON record; "start" (schema 1) first,
# "summary" last, also after a failure and after a fatal error; one "file"
# record per entry made, whose sizes add up to the tree's; names that are
# not UTF-8 as path_b64 (decoding to the exact bytes); errors as "error"
# records while the human diagnostics stay on stderr; -v, --itemize-changes
# and --stats print nothing on stdout then; "progress" records while a
# copy runs.
. "$(dirname "$0")/../lib/common.sh"
S=$T/src
mkdir -p "$S/d/e"
for n in 0 1 5000 200000; do mkfile "$S/f$n" "$n"; done
printf 'x' >"$S/d/bad$(printf '\377')name"
printf 'y' >"$S/d/new"$'\n'"line"
printf 'z' >"$S/d/quo\"te\\back"
ln -s f1 "$S/link"

# check_json FILE STATUS: parse, check the record order and the summary.
check_json() {
	python3 - "$@" <<'PY'
import base64, json, os, sys
path, status = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(path, "rb").read().decode("utf-8").splitlines()]
assert recs and recs[0]["type"] == "start" and recs[0]["schema"] == 1, recs[:1]
assert recs[-1]["type"] == "summary", recs[-1]
assert [r["type"] for r in recs].count("summary") == 1
assert recs[-1]["exit"] == status, (recs[-1], status)
for r in recs:
    assert r["type"] in ("start", "file", "error", "progress", "summary"), r
    for k in ("path", "source"):
        if k + "_b64" in r:
            b = base64.b64decode(r[k + "_b64"])
            try:
                b.decode("utf-8")
                raise AssertionError("b64 for a UTF-8 name: %r" % b)
            except UnicodeDecodeError:
                pass
print(json.dumps(recs))
PY
}

"$UCP" -r -v --json "$S" "$T/dst" >"$T/out" 2>"$T/err" || fail "ucp -r --json: exit $?"
[ -s "$T/err" ] && fail "stderr: $(cat "$T/err")"
check_json "$T/out" 0 >"$T/recs" || fail "the --json output is wrong: $(head -c 600 "$T/out")"
same_tree "$S" "$T/dst" || fail "ucp -r --json: trees differ"
python3 - "$T/recs" "$S" "$T/dst" <<'PY' || fail "file records do not match the tree"
import base64, json, os, sys
recs, src, dst = json.load(open(sys.argv[1])), sys.argv[2].encode(), sys.argv[3].encode()
files = [r for r in recs if r["type"] == "file"]
def name(r, k):
    return base64.b64decode(r[k + "_b64"]) if k + "_b64" in r else r[k].encode()
got = sorted(name(r, "path") for r in files)
want = sorted([dst] + [os.path.join(dst, os.path.relpath(os.path.join(d, n), src))
                       for d, ds, fs in os.walk(src) for n in ds + fs])
assert got == want, (got, want)
size = sum(r.get("size", 0) for r in files)
want_size = sum(os.lstat(os.path.join(d, n)).st_size for d, ds, fs in os.walk(src) for n in fs
                if not os.path.islink(os.path.join(d, n)))
assert size == want_size, (size, want_size)
s = recs[-1]
assert s["entries"] == len(want) and s["failed"] == 0, s
assert any(b"\xff" in name(r, "path") for r in files if "path_b64" in r)
PY

# A failure: an "error" record, the diagnostic on stderr, exit 1 last.
mkdir -p "$T/dst2/f1"
"$UCP" -r --json "$S/." "$T/dst2" >"$T/out" 2>"$T/err"
[ $? = 1 ] || fail "failing copy: exit status"
check_json "$T/out" 1 >"$T/recs" || fail "failing copy: wrong output: $(head -c 600 "$T/out")"
grep -q 'cannot overwrite directory' "$T/err" || fail "no diagnostic on stderr"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
e=[x for x in r if x["type"]=="error"]
assert len(e)==1 and "cannot overwrite directory" in e[0]["message"], e
assert r[-1]["failed"]==1' "$T/recs" || fail "failing copy: error records"

# A fatal error: the summary still comes, last.
"$UCP" -r --json "$S" "$T/no/such/dir" >"$T/out" 2>/dev/null
check_json "$T/out" 1 >/dev/null || fail "fatal error: wrong output: $(cat "$T/out")"

# --sync: itemize and stats stay off stdout.
"$UCP" --sync --json --itemize-changes --stats "$S" "$T/mirror" >"$T/out" 2>"$T/err" ||
	fail "--sync --json: exit $?"
check_json "$T/out" 0 >/dev/null || fail "--sync --json: wrong output: $(head -c 600 "$T/out")"

# Progress records during a slow copy.
mkfile "$T/big" $((8 * 1024 * 1024))
UCP_PROGRESS_MS=50 UCP_TEST_SLOW_US=10000 "$UCP" --json "$T/big" "$T/big2" >"$T/out" ||
	fail "slow copy: exit $?"
check_json "$T/out" 0 >"$T/recs" || fail "slow copy: wrong output"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))
p=[x for x in r if x["type"]=="progress"]
assert p, "no progress record"
assert all(x["bytes_done"] <= 8*1024*1024 for x in p)
assert [x["bytes_done"] for x in p] == sorted(x["bytes_done"] for x in p)' "$T/recs" ||
	fail "progress records are wrong"
done_test
