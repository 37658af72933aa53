#!/usr/bin/env python3
"""mktree - make ucp's benchmark workloads, deterministically.

usage: mktree.py [-s SCALE] [-S SEED] OUTDIR small|large|mixed

Writes OUTDIR/<workload>/ and OUTDIR/<workload>.meta.  Names, sizes,
contents, modes, mtimes and links are a pure function of (workload, SCALE,
SEED): the same trees on every machine, no /dev/urandom.  A tree whose
.meta already matches is kept.

  small  a source tree: 100,000 files x SCALE in 1,000 x SCALE directories
         up to 5 deep (5 big directories take a tenth of the files), sizes
         log-normal around 2 KiB (at most 16 KiB, 1% empty), text, 5% mode
         0755, 0.2% same-directory symlinks, a dangling and a directory link
  large  4 files of 1 GiB x SCALE of incompressible data
  mixed  a home directory: 20,000 files x SCALE in 2,000 x SCALE
         directories, 85% of 0-64 KiB, 14% of 64 KiB-1 MiB, 1% of 1-16 MiB,
         0.1% of 16-100 MiB (stratified log-uniform, so the total is stable:
         about 3 GiB at SCALE 1), 4 sparse files (a VM image of 16 data
         extents, a hole at the head, one at the tail, all hole), 20 x SCALE
         hard links, 100 x SCALE symlinks, a dangling and a directory link,
         modes 0644/0600/0755
"""
import hashlib
import math
import os
import random
import sys

VERSION = 1
M = 1 << 20
MTIME_BASE = 1700000000
WORDS = ("core util net fs mm io lib drivers include arch test tools docs "
         "scripts crypto block sound kernel init ipc security virt usr "
         "samples firmware rust ext misc common api proto parser").split()
EXTS = "c h py txt md json S rs go js yaml mk".split()


class Gen:
    def __init__(self, root, scale, seed):
        self.root, self.scale, self.seed = root, scale, seed
        self.st = dict(files=0, dirs=0, symlinks=0, hardlinks=0, sparse=0,
                       bytes=0, data_bytes=0)
        # Text comes from one 2 MiB block of pseudo-random source-like
        # characters (1 in 48 a newline); each file takes a slice of it at
        # a seeded offset.
        alpha = b"abcdefghijklmnopqrstuvwxyz_ ;(){}=+-*/0123456789ABCDEFGHIJ    \n"
        table = bytes(alpha[i % len(alpha)] if i % 48 else 10 for i in range(256))
        self.text = hashlib.shake_128(b"text:%d" % seed).digest(2 * M).translate(table)

    def n(self, base, low=1):
        return max(low, round(base * self.scale))

    def data(self, fseed, size):
        """size incompressible bytes, a function of (seed, fseed)."""
        out, i = [], 0
        while size > 0:
            k = min(size, M)
            out.append(hashlib.shake_128(b"%d:%d:%d" % (self.seed, fseed, i)).digest(k))
            size -= k
            i += 1
        return b"".join(out)

    def mkdir(self, path):
        os.mkdir(path, 0o755)
        self.st["dirs"] += 1

    def file(self, path, size, fseed, text, mode, mtime):
        if text:
            r = random.Random(fseed * 7919 + self.seed)
            off = r.randrange(0, len(self.text) - 16 * 1024)
            body = self.text[off:off + size]
        else:
            body = self.data(fseed, size)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view[:M]):]
        os.utime(fd, ns=(mtime * 10**9, mtime * 10**9))
        os.close(fd)
        self.st["files"] += 1
        self.st["bytes"] += size
        self.st["data_bytes"] += size

    def sparse(self, path, apparent, extents, fseed, mtime):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        for i, (off, length) in enumerate(extents):
            os.pwrite(fd, self.data(fseed * 100 + i, length), off)
            self.st["data_bytes"] += length
        os.ftruncate(fd, apparent)
        os.utime(fd, ns=(mtime * 10**9, mtime * 10**9))
        os.close(fd)
        self.st["files"] += 1
        self.st["sparse"] += 1
        self.st["bytes"] += apparent

    def symlink(self, target, path):
        os.symlink(target, path)
        self.st["symlinks"] += 1

    def dirs(self, r, ndirs, top=()):
        """A random tree of ndirs directories (the root first), <= 5 deep."""
        paths, depth = [self.root], [0]
        self.mkdir(self.root)
        for i in range(1, ndirs):
            if i <= len(top):
                par, name = 0, top[i - 1]
            else:
                for _ in range(64):
                    par = r.randrange(i)
                    if depth[par] < 5:
                        break
                else:
                    par = 0
                name = "%s%d" % (r.choice(WORDS), i)
            paths.append(os.path.join(paths[par], name))
            depth.append(depth[par] + 1)
            self.mkdir(paths[-1])
        return paths

    def mtime(self, r):
        return MTIME_BASE - r.randrange(3 * 365 * 86400)

    def small(self):
        r = random.Random(self.seed + 1)
        nfiles, ndirs = self.n(100000, 10), self.n(1000, 2)
        paths = self.dirs(r, ndirs)
        nbig = 5 if ndirs >= 50 else 1
        for i in range(nfiles):
            d = (r.randrange(nbig) * (ndirs // nbig) if r.random() < 0.1
                 else r.randrange(ndirs))
            if r.random() < 0.01:
                size = 0
            else:
                size = int(2 ** min(14, max(0, r.gauss(11, 1.8))))
            ext = r.choice(EXTS)
            mode = 0o755 if r.random() < 0.05 else 0o644
            name = "%s_%06d.%s" % (r.choice(WORDS), i, ext)
            self.file(os.path.join(paths[d], name), size, 1000000 + i, True,
                      mode, self.mtime(r))
            if r.random() < 0.002:
                self.symlink(name, os.path.join(paths[d], "link_%06d.%s" % (i, ext)))
        self.symlink("does/not/exist", os.path.join(self.root, "dangling.lnk"))
        if ndirs > 1:
            self.symlink(os.path.relpath(paths[1], self.root),
                         os.path.join(self.root, "dirlink"))

    def large(self):
        self.mkdir(self.root)
        size = max(4096, (round((1 << 30) * self.scale) + 4095) & ~4095)
        for i in range(4):
            self.file(os.path.join(self.root, "big%d.bin" % i), size,
                      2000000 + i, False, 0o644, MTIME_BASE - 86400 * (i + 1))

    def mixed(self):
        r = random.Random(self.seed + 3)
        top = ("Documents Downloads Pictures Music Videos .config .cache "
               ".local src Desktop .mozilla .ssh").split()
        ndirs = self.n(2000, len(top) + 1)
        paths = self.dirs(r, ndirs, top)
        tiers = ((17025, 1, 64 << 10, False), (2730, 64 << 10, M, False),
                 (225, M, 16 * M, True), (20, 16 * M, 100 * M, True))
        made, idx, nfirst = [], 0, 0
        for k, (count, lo, hi, media) in enumerate(tiers):
            n = self.n(count, 10 if k == 0 else 1)
            for j in range(n):
                size = int(lo * (hi / lo) ** ((j + r.random()) / n))
                if k == 0 and r.random() < 0.02:
                    size = 0
                d = 1 + r.randrange(5) if media else r.randrange(ndirs)
                u = r.random()
                mode = 0o600 if u < 0.03 else 0o755 if u < 0.06 else 0o644
                name = "%s_%05d.%s" % (r.choice(WORDS), idx,
                                       "dat" if k >= 2 else r.choice(EXTS))
                path = os.path.join(paths[d], name)
                self.file(path, size, 3000000 + idx, False, mode, self.mtime(r))
                made.append(path)
                idx += 1
            if k == 0:
                nfirst = len(made)
        vm = max(16 * M, int(256 * M * self.scale) & ~(M - 1))
        self.sparse(os.path.join(self.root, "Downloads/vm-disk.img"), vm,
                    [((vm // 16) * i + (((vm // 16 - M) // 2) & ~4095), M)
                     for i in range(16)], 4000001, MTIME_BASE - 1000)
        d = max(M, int(32 * M * self.scale) & ~4095)
        self.sparse(os.path.join(self.root, "Documents/sparse-tail.dat"),
                    3 * d, [(0, d)], 4000002, MTIME_BASE - 2000)
        self.sparse(os.path.join(self.root, "Documents/sparse-head.dat"),
                    d + d // 4, [(d, d // 4)], 4000003, MTIME_BASE - 3000)
        self.sparse(os.path.join(self.root, ".cache/all-hole.dat"),
                    int(100 * M * min(self.scale, 1)) + 4096, [], 4000004,
                    MTIME_BASE - 4000)
        for i in range(self.n(20, 2)):
            src = made[r.randrange(nfirst)]
            dst = os.path.join(paths[r.randrange(ndirs)], "hardlink_%03d_%s" %
                               (i, os.path.basename(src)))
            os.link(src, dst)
            self.st["hardlinks"] += 1
            self.st["files"] += 1
        for i in range(self.n(100, 3)):
            src = made[r.randrange(len(made))]
            self.symlink(os.path.basename(src), os.path.join(
                os.path.dirname(src), "symlink_%03d" % i))
        self.symlink("/nonexistent/ucp-bench/target",
                     os.path.join(self.root, ".config/dangling-link"))
        self.symlink("../Documents", os.path.join(self.root, "Desktop/Documents"))


def main(argv):
    scale, seed = 1.0, 20240601
    args = list(argv)
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt == "-s":
            scale = float(args.pop(0))
        elif opt == "-S":
            seed = int(args.pop(0))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if len(args) != 2 or args[1] not in ("small", "large", "mixed") or scale <= 0:
        print(__doc__, file=sys.stderr)
        return 2
    out, wl = args
    root, meta = os.path.join(out, wl), os.path.join(out, wl + ".meta")
    want = "workload=%s\nversion=%d\nscale=%g\nseed=%d\n" % (wl, VERSION, scale, seed)
    try:
        if open(meta).read().startswith(want) and os.path.isdir(root):
            return 0
    except OSError:
        pass
    if os.path.lexists(root):
        os.system("rm -rf -- '%s'" % root.replace("'", "'\\''"))
    os.makedirs(out, exist_ok=True)
    os.umask(0)
    g = Gen(root, scale, seed)
    getattr(g, wl)()
    # Directory times too are a function of the inputs (deepest first:
    # setting one does not touch its parent's).
    for path, _, _ in sorted(os.walk(root), key=lambda t: -t[0].count("/")):
        os.utime(path, ns=(MTIME_BASE * 10**9,) * 2)
    with open(meta, "w") as f:
        f.write(want + "".join("%s=%d\n" % kv for kv in g.st.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
