#!/usr/bin/env python3
"""run - ucp's benchmark: ucp against cp, rsync and tar, interleaved.

usage: bench/run.py [--quick | --full] [options]

  --quick          small scales, hot cache, 3 repetitions: about a minute
  --full           the foundation scales (small 25k files, mixed 3k files /
                   550 MiB, large 4 x 512 MiB), hot and cold, 5 repetitions
  --engines        compare ucp's engines instead of the tools: the ring, the
                   synchronous engine and the thread pool (4 and 8 threads),
                   with CPU use and syscall counts (strace -c)
  --sync           sync scenarios instead: a fresh mirror, a no-op run and a
                   1%-changed run, ucp --sync against rsync -a
  --dir DIR        where the trees and copies go (default /var/tmp/ucp-bench;
                   the filesystem measured)
  --workloads L    comma list of small, mixed, large
  --cache L        comma list of hot, cold (cold needs root)
  -n N             repetitions
  --ucp PATH       the ucp binary (default: ./ucp)
  --out DIR        results: table.md, raw.tsv, chart.png (default DIR/results)
  --syscalls       also count syscalls with strace (one untimed run each)
  --cmd L=TEMPLATE measure these commands instead (repeat; {src} {dst}
                   {ucp} are filled in; ratios are to the first)
  --settle S       seconds to wait after deleting many inodes (see below)

Each repetition runs every command once, in order (A B C A B C ...), so
slow drift of a shared machine hits them alike.  Before each run: the last
destination is moved aside (deleted in bulk later), caches are dropped
(root), and for "hot" the source is read back, so hot means the source
alone is cached; then the machine must be quiet (other processes < 0.25
cores).  A run's time is the command plus `sync -f` of the destination:
dirty pages left for later are counted.  The first copy of each command is
verified (content, and the metadata that command keeps).  Ratios are
paired: the median over repetitions of (a / b) within a repetition.

On an ext4 without a journal, inodes deleted in the last minutes slow down
new creations (the allocator skips them), so copies are moved to a trash
directory, purged when it grows past 20 GiB (or 40% of the free space),
and --full waits --settle
(default there 370 s) after purging more than 1000 inodes.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
TREECMP = os.path.join(TOP, "tests", "lib", "treecmp.py")

SCALES = {
    "quick": {"small": 0.05, "mixed": 0.03, "large": 0.0625},
    "full": {"small": 0.25, "mixed": 0.15, "large": 0.5},
}

# label, template, what the copy must keep (treecmp options)
TOOLS = [
    ("cp -r", "cp -r {src} {dst}", ""),
    ("ucp -r", "{ucp} -r {src} {dst}", ""),
    ("cp -a", "cp -a {src} {dst}", "--mode --times --links"),
    ("ucp -a", "{ucp} -a {src} {dst}", "--mode --times --links"),
    ("rsync -a", "rsync -a {src}/ {dst}/", "--mode --times"),
    ("tar", "mkdir {dst} && tar -C {src} -cf - . | tar -C {dst} -xpf -",
     "--mode --times --links"),
]
PAIRS = [("ucp -r", "cp -r"), ("ucp -a", "cp -a"), ("ucp -a", "rsync -a"),
         ("ucp -a", "tar")]

ENGINES = [
    ("ring", "UCP_ENGINE=ring {ucp} -a {src} {dst}", "--mode --times --links"),
    ("sync", "UCP_ENGINE=sync {ucp} -a {src} {dst}", "--mode --times --links"),
    ("threads 4", "UCP_ENGINE=threads UCP_THREADS=4 {ucp} -a {src} {dst}",
     "--mode --times --links"),
    ("threads 8", "UCP_ENGINE=threads UCP_THREADS=8 {ucp} -a {src} {dst}",
     "--mode --times --links"),
]
ENGINE_PAIRS = [("sync", "ring"), ("threads 4", "ring"), ("threads 8", "ring")]

SYNCS = [
    ("rsync -a", "rsync -a {src}/ {dst}/", "--mode --times"),
    ("ucp --sync", "{ucp} --sync {src} {dst}", "--mode --times --links"),
]
SYNC_PAIRS = [("ucp --sync", "rsync -a")]


def die(msg):
    sys.exit("run.py: " + msg)


def meta(trees, wl):
    out = {}
    for line in open(os.path.join(trees, wl + ".meta")):
        k, _, v = line.strip().partition("=")
        out[k] = v
    return out


def busy_jiffies():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def quiet(limit=0.25, longest=120):
    """Wait until the rest of the machine uses less than `limit` cores."""
    ncpu = os.cpu_count() or 1
    t0 = time.monotonic()
    while time.monotonic() - t0 < longest:
        b0, a0 = busy_jiffies()
        time.sleep(0.5)
        b1, a1 = busy_jiffies()
        if a1 > a0 and (b1 - b0) / (a1 - a0) * ncpu < limit:
            return
    print("note: the machine stayed busy; measuring anyway", file=sys.stderr)


def drop_caches():
    subprocess.run(["sync"])
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def read_tree(top):
    for path, dirs, files in os.walk(top):
        for name in files:
            p = os.path.join(path, name)
            if os.path.islink(p):
                continue
            try:
                with open(p, "rb", buffering=0) as f:
                    while f.read(1 << 20):
                        pass
            except OSError:
                pass


def allocated(top):
    total, seen = 0, set()
    for path, dirs, files in os.walk(top):
        for name in files:
            st = os.lstat(os.path.join(path, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def journal_less_ext4(path):
    """Is path on an ext4 without a journal (see the docstring)?"""
    dev = os.stat(path).st_dev
    name = "%d:%d" % (os.major(dev), os.minor(dev))
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[2] == name and f[f.index("-") + 1] == "ext4":
            src = os.path.basename(f[f.index("-") + 2])
            try:
                return open("/sys/fs/ext4/%s/journal_task" % src).read().strip() == "<none>"
            except OSError:
                return False
    return False


class Trash:
    def __init__(self, scratch, budget, settle):
        self.dir = os.path.join(scratch, ".trash")
        os.makedirs(self.dir, exist_ok=True)
        self.budget, self.settle = budget, settle
        self.bytes = self.inodes = self.n = 0
        self.slow_fs = journal_less_ext4(scratch)

    def put(self, path, nbytes, ninodes):
        if not os.path.lexists(path):
            return
        self.n += 1
        os.rename(path, os.path.join(self.dir, str(self.n)))
        self.bytes += nbytes
        self.inodes += ninodes
        if self.bytes > self.budget or self.inodes > 2_000_000:
            self.purge()

    def purge(self, final=False):
        if not self.n:
            return
        subprocess.run(["rm", "-rf", self.dir])
        os.makedirs(self.dir, exist_ok=True)
        many = self.inodes > 1000
        self.bytes = self.inodes = self.n = 0
        if many and self.slow_fs and self.settle and not final:
            print("note: waiting %d s after deleting many inodes (ext4 "
                  "without a journal)" % self.settle, file=sys.stderr)
            time.sleep(self.settle)


def run_timed(cmd, dst, scratch):
    """Time cmd and the flush of what it wrote.  CPU and peak RSS come from
    GNU time, whose own small process is what the command forks from (a
    child forked from this Python would start with Python's RSS as its
    high-water mark)."""
    tf = os.path.join(scratch, ".time")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%U %S %M", "bash",
                        "-c", cmd], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    t1 = time.monotonic()
    subprocess.run(["sync", "-f", dst if os.path.exists(dst) else os.path.dirname(dst)])
    t2 = time.monotonic()
    fields = open(tf).read().split()
    if len(fields) < 3:	# the destination's filesystem is full
        fields = ["0", "0", "0"]
    u, s, m = fields[-3:]
    return dict(secs=t2 - t0, cmd_s=t1 - t0, sync_s=t2 - t1,
                cpu=float(u) + float(s), rss=int(m) / 1024, rc=p.returncode,
                err=p.stderr.decode(errors="replace")[-400:])


def syscalls(cmd, dst, scratch):
    out = os.path.join(scratch, ".strace")
    subprocess.run(["strace", "-f", "-c", "-o", out, "bash", "-c", cmd],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = None
    for line in open(out):
        f = line.split()
        if f and f[-1] == "total":
            total = int(f[3]) if len(f) >= 5 else int(f[2])
    os.unlink(out)
    return total


def ratio(rows, a, b):
    """Median of the per-repetition ratios a/b."""
    ra = {r["rep"]: r["secs"] for r in rows if r["label"] == a}
    rb = {r["rep"]: r["secs"] for r in rows if r["label"] == b}
    v = [ra[k] / rb[k] for k in ra if k in rb and rb[k] > 0]
    return statistics.median(v) if v else None


def main(argv):
    mode, what = "quick", "tools"
    trees = "/var/tmp/ucp-bench"
    wls = caches = reps = out = settle = None
    ucp = os.path.join(TOP, "ucp")
    want_sys = False
    custom = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("--quick", "--full"):
            mode = a[2:]
        elif a in ("--engines", "--sync"):
            what = a[2:]
        elif a == "--dir":
            trees = args.pop(0)
        elif a == "--workloads":
            wls = args.pop(0).split(",")
        elif a == "--cache":
            caches = args.pop(0).split(",")
        elif a == "-n":
            reps = int(args.pop(0))
        elif a == "--ucp":
            ucp = os.path.abspath(args.pop(0))
        elif a == "--out":
            out = args.pop(0)
        elif a == "--syscalls":
            want_sys = True
        elif a == "--settle":
            settle = int(args.pop(0))
        elif a == "--cmd":
            label, _, tmpl = args.pop(0).partition("=")
            custom.append((label, tmpl, ""))
        else:
            print(__doc__)
            return 0 if a in ("-h", "--help") else 2
    root = os.geteuid() == 0
    wls = wls or ["small", "mixed", "large"]
    caches = caches or (["hot", "cold"] if mode == "full" else ["hot"])
    if "cold" in caches and not root:
        print("note: not root: no cold runs", file=sys.stderr)
        caches = [c for c in caches if c != "cold"]
    reps = reps or (5 if mode == "full" else 3)
    settle = settle if settle is not None else (370 if mode == "full" else 0)
    cmds, pairs = {"tools": (TOOLS, PAIRS), "engines": (ENGINES, ENGINE_PAIRS),
                   "sync": (SYNCS, SYNC_PAIRS)}[what]
    if custom:
        cmds, pairs = custom, [(c[0], custom[0][0]) for c in custom[1:]]
    scen = ["copy", "noop", "change"] if what == "sync" else ["copy"]
    want_sys = want_sys or what == "engines"
    if want_sys and not shutil.which("strace"):
        print("note: strace not installed: no syscall counts", file=sys.stderr)
        want_sys = False
    if not os.access("/usr/bin/time", os.X_OK):
        die("needs GNU time (/usr/bin/time; Debian package time)")
    if not os.access(ucp, os.X_OK):
        die("no ucp binary at %s (make first, or --ucp PATH)" % ucp)
    out = out or os.path.join(trees, "results")
    os.makedirs(out, exist_ok=True)
    scratch = os.path.join(trees, ".dst")
    # An interrupted run leaves its copies and trash behind, under the
    # names this run is about to use.
    subprocess.run(["rm", "-rf", scratch])
    os.makedirs(scratch)
    st = os.statvfs(scratch)
    trash = Trash(scratch, min(20 << 30, st.f_bavail * st.f_frsize * 2 // 5), settle)

    for wl in wls:
        subprocess.run([sys.executable, os.path.join(HERE, "mktree.py"), "-s",
                        str(SCALES[mode][wl]), trees, wl], check=True)
    rows = []
    t_start = time.monotonic()
    for wl in wls:
        src = os.path.join(trees, wl)
        m = meta(trees, wl)
        nbytes, nfiles = int(m["bytes"]), int(m["files"])
        for sc in scen:
            for cache in caches:
                print("== %s %s %s (%d files, %.0f MB)" % (wl, sc, cache, nfiles,
                                                          nbytes / 1e6))
                for rep in range(reps):
                    for label, tmpl, keep in cmds:
                        dst = os.path.join(scratch, "%s-%d" % (wl, len(rows)))
                        cmd = tmpl.format(src=src, dst=dst, ucp=ucp)
                        if sc != "copy":
                            subprocess.run(["bash", "-c", cmd], check=False)
                            if sc == "change":
                                damage(dst)
                        if root:
                            drop_caches()
                        if cache == "hot":
                            read_tree(src)
                        quiet()
                        r = run_timed(cmd, dst, scratch)
                        r.update(wl=wl, scen=sc, cache=cache, label=label,
                                 rep=rep, files=nfiles, bytes=nbytes)
                        if r["rc"]:
                            print("  %s exited %d: %s" % (label, r["rc"], r["err"].strip()))
                        if rep == 0:
                            r["check"] = verify(src, dst, keep)
                        rows.append(r)
                        print("  %-10s %7.3f s (cmd %.3f + sync %.3f)  cpu %.2f s  %5.1f MiB%s" %
                              (label, r["secs"], r["cmd_s"], r["sync_s"], r["cpu"], r["rss"],
                               "  " + r["check"] if "check" in r else ""))
                        if want_sys and rep == reps - 1:
                            sdst = dst + ".strace"
                            r["syscalls"] = syscalls(tmpl.format(src=src, dst=sdst, ucp=ucp),
                                                     sdst, scratch)
                            trash.put(sdst, nbytes, nfiles)
                        trash.put(dst, nbytes, nfiles)
            trash.purge()
    trash.purge(final=True)
    report(rows, cmds, pairs, out, mode, what, time.monotonic() - t_start)
    return 1 if any(r["rc"] or r.get("check", "OK").startswith("FAIL") for r in rows) else 0


def damage(dst):
    """1% of the regular files: 4/5 get 2 bytes rewritten and an old
    mtime, 1/5 are deleted (as the sync scenario of shared/bench)."""
    files = sorted(os.path.join(p, n) for p, _, fs in os.walk(dst) for n in fs
                   if not os.path.islink(os.path.join(p, n)))
    for i, f in enumerate(files[::100]):
        if i % 5 == 4:
            os.unlink(f)
            continue
        try:
            with open(f, "r+b") as fh:
                fh.write(b"##")
            os.utime(f, (1000000000, 1000000000))
        except OSError:
            pass


def verify(src, dst, keep):
    r = subprocess.run([sys.executable, TREECMP] + keep.split() + [src, dst],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    a_src = allocated(src)
    alloc = allocated(dst) / a_src if a_src else 1
    if r.returncode:
        return "FAIL(%s)" % r.stdout.decode(errors="replace").splitlines()[0]
    return "OK(alloc=%.2f)" % alloc


def report(rows, cmds, pairs, out, mode, what, secs):
    labels = [c[0] for c in cmds]
    lines = ["# ucp bench (%s, %s)" % (what, mode), "",
             "`bench/run.py --%s%s` on %s, %s; %d runs in %.0f s. Times are "
             "command + `sync -f`, medians; ratios are paired medians "
             "(lower is better for ucp)." % (
                 mode, "" if what == "tools" else " --" + what, os.uname().release,
                 time.strftime("%Y-%m-%d"), len(rows), secs), ""]
    hdr = "| workload | scenario | cache | command | median s | MB/s | files/s | CPU s | CPU/wall | peak RSS MiB | syscalls | check |"
    lines += [hdr, "|" + "---|" * (hdr.count("|") - 1)]
    tsv = ["\t".join("wl scen cache label rep secs cmd_s sync_s cpu rss rc".split())]
    groups = []
    for r in rows:
        g = (r["wl"], r["scen"], r["cache"])
        if g not in groups:
            groups.append(g)
        tsv.append("\t".join(str(r[k]) for k in
                             "wl scen cache label rep secs cmd_s sync_s cpu rss rc".split()))
    chart = []
    for g in groups:
        gr = [r for r in rows if (r["wl"], r["scen"], r["cache"]) == g]
        for label in labels:
            lr = [r for r in gr if r["label"] == label]
            if not lr:
                continue
            med = statistics.median(r["secs"] for r in lr)
            cpu = statistics.median(r["cpu"] for r in lr)
            check = next((r["check"] for r in lr if "check" in r), "")
            sysc = next((r["syscalls"] for r in lr if r.get("syscalls")), None)
            lines.append("| %s | %s | %s | %s | %.3f | %.0f | %.0f | %.2f | %.2f | %.1f | %s | %s |" % (
                g[0], g[1], g[2], label, med, lr[0]["bytes"] / 1e6 / med,
                lr[0]["files"] / med, cpu, cpu / med, max(r["rss"] for r in lr),
                "%d" % sysc if sysc else "", check))
        for a, b in pairs:
            v = ratio(gr, a, b)
            if v is not None:
                chart.append((g, a, b, v))
    lines += ["", "| workload | scenario | cache | ratio | value |", "|---|---|---|---|---|"]
    for g, a, b, v in chart:
        lines.append("| %s | %s | %s | %s / %s | %.3f |" % (g[0], g[1], g[2], a, b, v))
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    open(os.path.join(out, "table.md"), "w").write(text)
    open(os.path.join(out, "raw.tsv"), "w").write("\n".join(tsv) + "\n")
    plot(chart, pairs, out, what, mode)


def plot(chart, pairs, out, what, mode):
    if not shutil.which("gnuplot") or not chart:
        print("note: gnuplot not installed: no chart", file=sys.stderr)
        return
    groups = []
    for g, _, _, _ in chart:
        if g not in groups:
            groups.append(g)
    names = ["%s / %s" % p for p in pairs]
    dat = os.path.join(out, "chart.dat")
    with open(dat, "w") as f:
        f.write("group\t" + "\t".join('"%s"' % n for n in names) + "\n")
        for g in groups:
            vals = {"%s / %s" % (a, b): v for gg, a, b, v in chart if gg == g}
            label = " ".join(x for x in g if x != "copy")
            f.write('"%s"\t' % label + "\t".join("%.3f" % vals.get(n, float("nan"))
                                                  for n in names) + "\n")
    script = """set terminal pngcairo size 1000,520 font ",10"
set output "%s"
set title "ucp: time relative to the other tool (%s, %s; lower is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
set ylabel "time ratio"
set grid ytics
set key outside right top vertical
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
plot for [i=2:%d] "%s" using i:xtic(1) title columnheader(i)
""" % (os.path.join(out, "chart.png"), what, mode, len(names) + 1, dat)
    r = subprocess.run(["gnuplot"], input=script.encode(), stderr=subprocess.PIPE)
    if r.returncode:
        print("note: gnuplot failed: %s" % r.stderr.decode(errors="replace"), file=sys.stderr)
    else:
        print("chart: %s" % os.path.join(out, "chart.png"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
