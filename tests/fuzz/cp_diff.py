#!/usr/bin/env python3
"""cp_diff - a random differential test: GNU cp against ucp invoked as cp.

usage: tests/fuzz/cp_diff.py SEED_FROM SEED_TO    run seeds [FROM, TO)
       tests/fuzz/cp_diff.py show SEED            the fixture and command

For each seed: a random source tree (files of several sizes, some sparse,
modes, owners, an xattr, hard links, symlinks of every kind, FIFOs), a
destination that is missing, empty or a mutated copy, random cp options
and operands; run once as root and, for a third of the seeds, as uid 1000
(setpriv) over a tree mostly owned by it.  cp and ucp each run on a fresh
build of the same fixture; their exit status, stdout, stderr and the
resulting trees (types, modes, owners, sizes, contents, times unless made
by the run, xattrs, hard-link groups) are compared, and a block is printed
for each seed that differs.  Not part of make check: it needs root, and
what it finds is read by a person (man STANDARDS lists the known
differences).  Environment: UCP (default ./ucp), ROOT (the scratch
directory, default /tmp/ucp-cp-diff; a tmpfs is faster), GRP=1 also
reports seeds that differ only in hard-link grouping.
"""
import hashlib, os, random, shutil, stat, subprocess, sys, tempfile, time

UCP = os.path.abspath(os.environ.get("UCP", "./ucp"))
ROOT = os.environ.get("ROOT", "/tmp/ucp-cp-diff")
# For the runs as a user, each program is called through a link named cp
# in a directory of its own, so that both print "cp:" and the paths can
# be taken out of the messages.
BINS = tempfile.mkdtemp(prefix="ucp-cp-diff-bin.")
os.chmod(BINS, 0o755)
for d, target in (("g", "/usr/bin/cp"), ("u", UCP)):
    os.mkdir(os.path.join(BINS, d))
    os.chmod(os.path.join(BINS, d), 0o755)
    os.symlink(target, os.path.join(BINS, d, "cp"))
GBIN, UBIN = os.path.join(BINS, "g", "cp"), os.path.join(BINS, "u", "cp")
NOW0 = 0


def walk(top):
    """os.walk in name order: the same seed is the same case on every
    filesystem (their listing orders differ)."""
    for dp, dn, fn in os.walk(top):
        dn.sort()
        fn.sort()
        yield dp, dn, fn


def wfile(p, rnd, size):
    with open(p, "wb") as f:
        if size >= 65536 and rnd.random() < 0.3:
            # sparse: data, hole, data
            f.write(rnd.randbytes(4096))
            f.seek(size - 4096)
            f.write(rnd.randbytes(4096))
        else:
            f.write(rnd.randbytes(size))


def settime(p, rnd):
    t = rnd.choice([1000000000, 1300000000, 1600000000, 1700000000])
    ns = t * 10**9 + rnd.choice([0, 0, 123456789])
    os.utime(p, ns=(ns, ns), follow_symlinks=False)


SIZES = [0, 1, 100, 5000, 70000, 300000]
MODES = [0o644, 0o644, 0o600, 0o755, 0o444, 0o640, 0o700, 0o000, 0o200]


def build_src(rnd, top, files, dirs, links):
    """A random tree under top; record paths (relative to ROOT)."""
    def mk(d, depth):
        n = rnd.randint(0, 4 if depth else 6)
        for i in range(n):
            name = rnd.choice("abcfgk") + str(i)
            p = os.path.join(d, name)
            k = rnd.random()
            if k < 0.45:
                wfile(p, rnd, rnd.choice(SIZES))
                os.chmod(p, rnd.choice(MODES))
                if rnd.random() < 0.15:
                    os.chown(p, 1000, 1000)
                if rnd.random() < 0.15:
                    os.setxattr(p, "user.k", rnd.randbytes(3).hex().encode())
                settime(p, rnd)
                files.append(p)
            elif k < 0.65 and depth < 3:
                os.mkdir(p)
                mk(p, depth + 1)
                os.chmod(p, rnd.choice([0o755, 0o755, 0o700, 0o775, 0o555, 0o500, 0o300]))
                settime(p, rnd)
                dirs.append(p)
            elif k < 0.82:
                links.append(p)  # made later, once targets exist
            elif k < 0.95 and files:
                os.link(rnd.choice(files), p)
            elif k < 0.97:
                os.mkfifo(p)
                settime(p, rnd)
            else:
                wfile(p, rnd, 10)
                settime(p, rnd)
                files.append(p)
    mk(top, 0)
    for p in links:
        c = rnd.random()
        if c < 0.4 and files:
            t = os.path.relpath(rnd.choice(files), os.path.dirname(p))
        elif c < 0.6 and dirs:
            t = os.path.relpath(rnd.choice(dirs), os.path.dirname(p))
        elif c < 0.75:
            t = "nowhere"
        elif c < 0.9 and files:
            t = os.path.join(ROOT, rnd.choice(files))
        else:
            t = "../" * rnd.randint(0, 2) + "s"
        os.symlink(t, p)
        os.utime(p, ns=(1500000000 * 10**9,) * 2, follow_symlinks=False)


ASUSER = False


def build(seed):
    rnd = random.Random(seed)
    if os.path.lexists(ROOT):
        subprocess.run(["chmod", "-R", "u+rwx", ROOT])
        shutil.rmtree(ROOT)
    os.makedirs(ROOT)
    os.chdir(ROOT)
    os.mkdir("s")
    files, dirs, links = [], [], []
    build_src(rnd, "s", files, dirs, links)
    srcs = files + dirs + links
    # destination pre-state
    c = rnd.random()
    dst_state = "none"
    if c < 0.25:
        pass
    elif c < 0.45:
        os.mkdir("d")
        dst_state = "empty"
    else:
        dst_state = "copy"
        subprocess.run(["cp", "-r", "--preserve=mode,ownership,timestamps,xattr", "s", "d"], check=True)
        # mutate
        all_d = []
        for dp, dn, fn in walk("d"):
            for n in dn + fn:
                all_d.append(os.path.join(dp, n))
        rnd.shuffle(all_d)
        for p in all_d[: rnd.randint(0, 6)]:
            if not os.path.lexists(p):
                continue
            m = rnd.random()
            isdir = os.path.isdir(p) and not os.path.islink(p)
            try:
                if m < 0.2:
                    if isdir:
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                elif m < 0.4 and not isdir and not os.path.islink(p) \
                        and stat.S_ISREG(os.lstat(p).st_mode):
                    wfile(p, rnd, rnd.choice(SIZES))
                    if rnd.random() < 0.5:
                        settime(p, rnd)
                elif m < 0.5:
                    if isdir:
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                    os.mkdir(p)
                    if rnd.random() < 0.5:
                        wfile(os.path.join(p, "z"), rnd, 10)
                elif m < 0.6:
                    if isdir:
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                    wfile(p, rnd, 7)
                elif m < 0.75:
                    if isdir:
                        shutil.rmtree(p)
                    else:
                        os.unlink(p)
                    t = "nowhere" if not srcs else rnd.choice(["nowhere", os.path.join(ROOT, rnd.choice(srcs)),
                                    os.path.relpath(rnd.choice(srcs), os.path.dirname(p))])
                    os.symlink(t, p)
                elif m < 0.85 and not os.path.islink(p):
                    os.chmod(p, rnd.choice(MODES))
                elif not os.path.islink(p):
                    settime(p, rnd)
            except OSError:
                pass
        if rnd.random() < 0.2:
            wfile("d/extra", rnd, 5)
    # command
    opts = []
    pool = ["-r", "-R", "-a", "-p", "-d", "-P", "-L", "-H", "-l", "-s", "-u",
            "-n", "-f", "--remove-destination", "-b", "--backup=numbered",
            "--backup=existing", "--backup=none",
            "-S.bak", "--parents", "--preserve=links", "--preserve=mode",
            "--preserve=timestamps", "--preserve=xattr", "--preserve=all",
            "--no-preserve=mode", "--no-preserve=timestamps",
            "--no-preserve=links", "--no-preserve=all", "--attributes-only",
            "--sparse=always", "--sparse=never", "-x",
            "--strip-trailing-slashes", "-v",
            "-i", "--preserve=ownership", "--no-preserve=ownership"]
    rec = rnd.random() < 0.75
    if rec:
        opts.append(rnd.choice(["-r", "-R", "-a", "-a", "-rp", "-dR"]))
    for o in rnd.sample(pool, rnd.choice([0, 0, 1, 1, 2, 3])):
        opts.append(o)
    # operands
    def src_operand():
        c = rnd.random()
        if c < 0.1:
            return "s/missing"
        if c < 0.15:
            return "s"
        p = rnd.choice(srcs) if srcs else "s"
        if rnd.random() < 0.1:
            p += "/"
        return p
    def dst_operand():
        c = rnd.random()
        dentries = []
        if os.path.isdir("d"):
            for dp, dn, fn in walk("d"):
                for n in dn + fn:
                    dentries.append(os.path.join(dp, n))
        if c < 0.5:
            return "d" + ("/" if rnd.random() < 0.1 else "")
        if c < 0.8 and dentries:
            return rnd.choice(dentries)
        return "d/new" if os.path.isdir("d") else "d"
    global ASUSER
    ASUSER = rnd.random() < 0.35
    if ASUSER:
        os.chmod(ROOT, 0o755)
        for dp, dn, fn in walk(ROOT):
            for n in dn + fn + ["."]:
                q = os.path.join(dp, n)
                if rnd.random() < 0.9 or n == ".":
                    os.lchown(q, 1000, 1000)
        if os.path.isdir("d") and rnd.random() < 0.3:
            os.chmod("d", 0o555)
    form = rnd.random()
    if form < 0.6:
        args = opts + [src_operand(), dst_operand()]
    elif form < 0.8:
        args = opts + [src_operand() for _ in range(rnd.randint(2, 3))] + [dst_operand()]
    elif form < 0.9:
        args = opts + ["-t", dst_operand()] + [src_operand() for _ in range(rnd.randint(1, 3))]
    else:
        args = opts + ["-T", src_operand(), dst_operand()]
    return args


def snap():
    out = {}
    inos = {}
    for dp, dn, fn in os.walk(".", followlinks=False):
        dn.sort()
        for n in sorted(dn + fn):
            p = os.path.join(dp, n)[2:]
            st = os.lstat(p)
            m = st.st_mode
            key = (st.st_dev, st.st_ino)
            grp = inos.setdefault(key, p) if not stat.S_ISDIR(m) else None
            mt = st.st_mtime_ns if st.st_mtime_ns < NOW0 else "NEW"
            rec = [stat.filemode(m), st.st_uid, st.st_gid]
            if stat.S_ISLNK(m):
                rec += ["->" + os.readlink(p)]
                rec += [mt]
            elif stat.S_ISREG(m):
                h = hashlib.sha1(open(p, "rb").read()).hexdigest()[:12]
                rec += [st.st_size, h, mt, "grp=" + str(grp)]
                try:
                    rec += [os.getxattr(p, "user.k", follow_symlinks=False)]
                except OSError:
                    pass
            elif stat.S_ISDIR(m):
                rec += [mt]
                try:
                    rec += [os.getxattr(p, "user.k", follow_symlinks=False)]
                except OSError:
                    pass
            else:
                rec += [mt, "grp=" + str(grp)]
            out[p] = rec
    return out


def run(seed, which):
    global NOW0
    args = build(seed)
    NOW0 = time.time_ns() - 10**9  # nothing in the fixture is this recent
    if which == "cp":
        exe, argv = "/usr/bin/cp", ["cp"] + args
    else:
        exe, argv = UCP, ["cp"] + args
    if ASUSER:
        argv = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups",
                "--", GBIN if which == "cp" else UBIN] + argv[1:]
        exe = "/usr/bin/setpriv"
    try:
        p = subprocess.run(argv, executable=exe, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=20)
        rc, so, se = p.returncode, p.stdout.decode(errors="replace"), \
            p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        rc, so, se = "TIMEOUT", "", ""
    se = se.replace(GBIN, "cp").replace(UBIN, "cp")
    return args, rc, sorted(so.splitlines()), sorted(se.splitlines()), snap()


def main():
    a, b = int(sys.argv[1]), int(sys.argv[2])
    nd = 0
    for seed in range(a, b):
        args, rc1, o1, e1, t1 = run(seed, "cp")
        _, rc2, o2, e2, t2 = run(seed, "ucp")
        diffs = []
        if rc1 != rc2:
            diffs.append("rc cp=%s ucp=%s" % (rc1, rc2))
        if o1 != o2:
            diffs.append("stdout:\n  cp : %s\n  ucp: %s" % ("\n       ".join(o1), "\n       ".join(o2)))
        if e1 != e2:
            diffs.append("stderr:\n  cp : %s\n  ucp: %s" % ("\n       ".join(e1), "\n       ".join(e2)))
        gonly = 0
        for k in sorted(set(t1) | set(t2)):
            x, y = t1.get(k), t2.get(k)
            if x != y:
                if x and y and [v for v in x if not str(v).startswith("grp=")] == \
                        [v for v in y if not str(v).startswith("grp=")]:
                    gonly += 1
                    continue
                if x and y and x[0].startswith("d") and x[:3] == y[:3] \
                        and y[3] == "NEW" and x[4:] == y[4:]:
                    continue  # a directory whose file was renamed over
                diffs.append("  %s: cp=%s ucp=%s" % (k, x, y))
        if gonly and not diffs and os.environ.get("GRP"):
            diffs.append("  (hard-link groups only: %d)" % gonly)
        if diffs:
            nd += 1
            print("=== seed %d: %scp %s" % (seed, "(user) " if ASUSER else "", " ".join(args)))
            for d in diffs[:20]:
                print(d)
            sys.stdout.flush()
    print("%d of %d differ" % (nd, b - a))



def show(seed):
    args = build(seed)
    print("cp " + " ".join(args))
    subprocess.run("find . -printf '%M %n %i %p %l %T@\\n' | sort -k4", shell=True)

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    try:
        show(int(sys.argv[2])) if sys.argv[1] == "show" else main()
    finally:
        shutil.rmtree(BINS, ignore_errors=True)
