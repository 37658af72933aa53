#!/usr/bin/env python3
"""treecmp - compare two trees entry for entry.

usage: treecmp.py [--mode] [--umask] [--times] [--owner] [--links] [--xattrs] SRC DST

Always compared: the set of names, file types, regular-file contents byte
for byte, symlink targets, device numbers.  Optional: --mode (permission
bits; with --umask MASK, the destination must have src & ~MASK & 0777 for
copied entries), --times (mtime to the nanosecond), --owner, --links
(hard-link groups), --xattrs (names and values, files and directories).
Works fd-relative (os.fwalk and dir_fd), so trees
deeper than PATH_MAX compare fine.  Prints each difference; exit 1 if any.
"""
import os, stat, sys

def main():
    args = sys.argv[1:]
    opts = set()
    umask = None
    while args and args[0].startswith("--"):
        a = args.pop(0)
        if a == "--umask":
            umask = int(args.pop(0), 8)
        else:
            opts.add(a[2:])
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = (os.fsencode(a) for a in args)
    diffs = []

    def entries(top):
        out = {}
        fd0 = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
        out[b"."] = (os.stat(fd0), None, None)
        os.close(fd0)
        for path, dirs, files, dfd in os.fwalk(top, follow_symlinks=False):
            rel = os.path.relpath(path, top)
            for name in dirs + files:
                st = os.stat(name, dir_fd=dfd, follow_symlinks=False)
                key = os.path.normpath(os.path.join(rel, name))
                data = None
                if stat.S_ISLNK(st.st_mode):
                    data = os.readlink(name, dir_fd=dfd)
                elif stat.S_ISREG(st.st_mode):
                    fd = os.open(name, os.O_RDONLY, dir_fd=dfd)
                    chunks = []
                    while True:
                        b = os.read(fd, 1 << 20)
                        if not b:
                            break
                        chunks.append(b)
                    os.close(fd)
                    data = b"".join(chunks)
                    if len(data) > 1 << 24:   # keep memory small
                        import hashlib
                        data = hashlib.sha256(data).digest()
                xa = None
                if "xattrs" in opts and (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=dfd)
                    xa = {k: os.getxattr(fd, k) for k in os.listxattr(fd)}
                    os.close(fd)
                out[key] = (st, data, xa)
        return out

    a, b = entries(src), entries(dst)
    for k in sorted(set(a) | set(b)):
        name = k.decode(errors="backslashreplace")
        if k not in b:
            diffs.append("missing in dst: %s" % name); continue
        if k not in a:
            diffs.append("extra in dst: %s" % name); continue
        sa, da, xa = a[k]; sb, db, xb = b[k]
        if xa != xb:
            diffs.append("xattrs differ: %s %r != %r" % (name, xb, xa))
        if stat.S_IFMT(sa.st_mode) != stat.S_IFMT(sb.st_mode):
            diffs.append("type differs: %s" % name); continue
        if da != db:
            diffs.append("content/target differs: %s" % name)
        if stat.S_ISCHR(sa.st_mode) or stat.S_ISBLK(sa.st_mode):
            if sa.st_rdev != sb.st_rdev:
                diffs.append("rdev differs: %s" % name)
        if "mode" in opts and not stat.S_ISLNK(sa.st_mode) and k != b".":
            want = stat.S_IMODE(sa.st_mode)
            if umask is not None:
                want &= ~umask & 0o777
            if stat.S_IMODE(sb.st_mode) != want:
                diffs.append("mode differs: %s %o != %o" % (name, stat.S_IMODE(sb.st_mode), want))
        if "times" in opts and not stat.S_ISLNK(sa.st_mode):
            if sa.st_mtime_ns != sb.st_mtime_ns:
                diffs.append("mtime differs: %s" % name)
        if "owner" in opts and (sa.st_uid, sa.st_gid) != (sb.st_uid, sb.st_gid):
            diffs.append("owner differs: %s" % name)
    if "links" in opts:
        def groups(t):
            g = {}
            for k, (st, _, _) in t.items():
                if stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
                    g.setdefault((st.st_dev, st.st_ino), set()).add(k)
            # Groups inside the tree: a file linked only to names
            # outside it (--link-dest's snapshot) is no group here.
            return sorted(sorted(v) for v in g.values() if len(v) > 1)
        if groups(a) != groups(b):
            diffs.append("hard-link groups differ")
    for d in diffs:
        print("treecmp: " + d)
    return 1 if diffs else 0

sys.exit(main())
