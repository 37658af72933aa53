#!/usr/bin/env python3
"""sync_diff - a random differential test: ucp --sync against rsync -aH.

usage: tests/fuzz/sync_diff.py SEED_FROM SEED_TO    run seeds [FROM, TO)

For each seed: a random source tree, a destination that is missing or a
mirror made by rsync and then mutated (deletions, new data with and
without new times, same size and time with other data, modes, times, type
changes, extra entries and links), sometimes the source mutated too, and
an option set from OPTS.  `rsync -aH -i OPTS SRC/ A/` and `ucp --sync
--itemize-changes OPTS SRC B` run on copies of it; exit statuses, trees
(modes, contents, times, link groups, --link-dest links, --backup-dir
contents) are compared, then ucp runs again and must change and report
nothing (where the options allow).  A block is printed for each seed that
differs.  Not part of make check (needs rsync; what it finds is read by a
person: several differences are rsync's own quirks, listed in the notes).
Environment: UCP (default ./ucp), FZ (the scratch directory, default
/tmp/ucp-sync-diff), COMBO=1 adds one or two option groups from EXTRA,
ASUSER=1 runs both tools as uid 65534 over a tree it owns (half the seeds
with sources in group 0) and compares groups, ITEMIZE=1 compares the
itemized lines, STOP=1 stops at the first difference, LAST=N draws from
the last N option sets only.
"""
import os, random, shutil, stat, subprocess, sys, hashlib

UCP = os.path.abspath(os.environ.get('UCP', './ucp'))
BASE = os.environ.get('FZ', '/tmp/ucp-sync-diff')
EXF = BASE + '.exclude'       # the --exclude-from file
# rsync 3.5.0 was seen to hang (three processes in poll); a run that
# times out shows as exit status 124
TMO = ['timeout', '60']

def rname(r):
    return r.choice(['a', 'b', 'c', 'd', 'e', 'x.o', 'y.txt', 'z~', 'sub', 'k', 'tmp', '.h', 'a b'])

def write(path, r, size=None):
    if size is None:
        size = r.choice([0, 1, 5, 100, 4096, 70000, 300000])
    with open(path, 'wb') as f:
        f.write(bytes(r.getrandbits(8) for _ in range(min(size, 64))) * (size // 64 + 1))
        f.truncate(size)

def settime(path, r, follow=True):
    t = r.choice([1000000000, 1500000000, 1600000000, 1700000000]) + r.randint(0, 3)
    os.utime(path, ns=(t * 10**9, t * 10**9 + r.choice([0, 0, 123456789])), follow_symlinks=follow)

def gen(root, r, depth=0):
    os.makedirs(root, exist_ok=True)
    files = []
    for _ in range(r.randint(0, 6)):
        n = rname(r)
        p = os.path.join(root, n)
        if os.path.lexists(p):
            continue
        k = r.random()
        if k < 0.55:
            write(p, r)
            os.chmod(p, r.choice([0o644, 0o600, 0o755, 0o444]))
            settime(p, r)
            files.append(p)
        elif k < 0.7 and depth < 3:
            sub = gen(p, r, depth + 1)
            files += sub
        elif k < 0.85:
            os.symlink(r.choice(['a', '../a', 'nowhere', 'sub/b', '/etc/hostname']), p)
            settime(p, r, follow=False)
        elif files:
            os.link(r.choice(files), p)
    if r.random() < 0.3:
        os.chmod(root, r.choice([0o755, 0o700, 0o775]))
    return files

def walk(root):
    out = []
    for dp, dns, fns in os.walk(root):
        dns.sort()      # name order: the same case on every filesystem
        fns.sort()
        for n in dns + fns:
            out.append(os.path.join(dp, n))
    return out

def mutate(root, r):
    paths = walk(root)
    r.shuffle(paths)
    for p in paths[: r.randint(0, max(1, len(paths) // 3))]:
        if not os.path.lexists(p):
            continue
        st = os.lstat(p)
        k = r.random()
        try:
            if k < 0.15:
                if stat.S_ISDIR(st.st_mode):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
            elif k < 0.3 and stat.S_ISREG(st.st_mode):
                write(p, r)          # new content, new size, new time
                settime(p, r)
            elif k < 0.4 and stat.S_ISREG(st.st_mode):
                # same size, same time, other content
                with open(p, 'r+b') as f:
                    f.write(b'Q')
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
            elif k < 0.5 and not stat.S_ISLNK(st.st_mode):
                os.chmod(p, r.choice([0o600, 0o700, 0o640, 0o777]))
            elif k < 0.6 and not stat.S_ISLNK(st.st_mode):
                settime(p, r)
            elif k < 0.7:
                # type clash
                if stat.S_ISDIR(st.st_mode):
                    shutil.rmtree(p)
                    write(p, r)
                else:
                    os.unlink(p)
                    if r.random() < 0.5:
                        os.mkdir(p)
                        write(os.path.join(p, 'inner'), r)
                    else:
                        os.symlink('elsewhere', p)
            elif k < 0.85 and stat.S_ISDIR(st.st_mode):
                q = os.path.join(p, 'extra' + str(r.randint(0, 9)))
                if not os.path.lexists(q):
                    write(q, r)
            elif stat.S_ISREG(st.st_mode):
                q = p + '.ln'
                if not os.path.lexists(q):
                    os.link(p, q)
        except OSError:
            pass

def snap(root):
    res = {}
    ino = {}
    for p in sorted(walk(root)):
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        m = stat.S_IFMT(st.st_mode)
        e = [oct(st.st_mode)] + (['g%d' % st.st_gid] if os.environ.get('ASUSER') else [])
        if stat.S_ISREG(st.st_mode):
            e.append(hashlib.md5(open(p, 'rb').read()).hexdigest())
            lp = os.path.join(BASE, 'ldx', rel)
            if os.path.lexists(lp) and os.lstat(lp).st_ino == st.st_ino and root != os.path.join(BASE, 'src'):
                e.append('LD')
            e.append(st.st_mtime_ns)
            ino.setdefault((st.st_dev, st.st_ino), []).append(rel)
        elif stat.S_ISLNK(st.st_mode):
            e.append(os.readlink(p))
            e.append(st.st_mtime_ns)
        elif stat.S_ISDIR(st.st_mode):
            e.append(st.st_mtime_ns)
        res[rel] = e
    groups = sorted(sorted(v) for v in ino.values() if len(v) > 1)
    return res, groups

OPTS = [
    [], ['--delete'], ['--checksum'], ['--size-only'], ['--ignore-times'],
    ['--update'], ['--existing'], ['--ignore-existing'], ['--inplace'],
    ['--delete', '--exclude=*.o'], ['--delete', '--delete-excluded', '--exclude=*.o'],
    ['--exclude=sub/', '--delete'], ['--include=*/', '--include=*.txt', '--exclude=*', '--delete'],
    ['--backup', '--delete'], ['--backup', '--suffix=.bak', '--delete'],
    ['--max-size=5000'], ['--min-size=100', '--delete'],
    ['--delete-after'], ['--delete-before'], ['--checksum', '--delete', '--inplace'],
    ['--exclude=/a', '--delete'], ['--exclude=**/k', '--delete'],
    ['--backup', '--backup-dir=BK', '--delete'],
    ['--modify-window=5'],
    ['--link-dest=LDX'], ['--link-dest=LDX', '--delete'],
    ['--dry-run', '--delete'], ['--dry-run', '--checksum'],
    ['--exclude=a*', '--include=*/', '--delete'], ['--exclude=sub/***', '--delete'],
    ['--exclude=[a-c]', '--delete-excluded', '--delete'],
]

EXTRA = [
    ['--checksum'], ['--inplace'], ['--delete'], ['--exclude=*.txt'],
    ['--filter=- x.o'], ['--filter=+ */', '--filter=- k'], ['--files-from=FF'],
    ['--max-delete=0', '--delete'], ['--exclude-from=' + EXF],
    ['--include=sub/', '--include=sub/a', '--exclude=sub/*'], ['--size-only'],
    ['--delete-excluded'], ['--existing'], ['--update'], ['--backup'],
    ['--exclude=.h'], ['--exclude=*/'], ['--exclude=a b'],
]

def run(seed):
    r = random.Random(seed)
    shutil.rmtree(BASE, ignore_errors=True)
    src = os.path.join(BASE, 'src')
    gen(src, r)
    os.makedirs(src, exist_ok=True)
    base_dst = os.path.join(BASE, 'd0')
    kind = r.random()
    if kind < 0.2:
        pass
    else:
        subprocess.run(['rsync', '-aH', src + '/', base_dst + '/'], check=True)
        mutate(base_dst, r)
        if r.random() < 0.5:
            mutate(src, r)
    opts = list(r.choice(OPTS[-int(os.environ['LAST']):] if os.environ.get('LAST') else OPTS))
    if os.environ.get('COMBO'):
        for _ in range(r.choice([1, 1, 2])):
            for o in r.choice(EXTRA):
                if o not in opts:
                    opts.append(o)
        if '--files-from=FF' in opts and any(o.startswith('--delete') for o in opts):
            opts.remove('--files-from=FF')
    if '--files-from=FF' in opts:
        names = [os.path.relpath(p, src) for p in walk(src)]
        pick = r.sample(names, min(len(names), r.randint(0, 5)))
        pick = [p + '/' if os.path.isdir(os.path.join(src, p)) and r.random() < 0.5 else p for p in pick]
        if r.random() < 0.2:
            pick.append('.')
        if r.random() < 0.1:
            pick.append('missing')
        with open(os.path.join(BASE, 'FF'), 'w') as f:
            f.write(''.join(p + '\n' for p in pick))
    da, db = os.path.join(BASE, 'ra'), os.path.join(BASE, 'ub')
    for d in (da, db):
        if os.path.exists(base_dst):
            subprocess.run(['cp', '-a', base_dst, d], check=True)
    ldx = os.path.join(BASE, 'ldx')
    if any('LDX' in o for o in opts):
        subprocess.run(['rsync', '-aH', src + '/', ldx + '/'], check=True)
        mutate(ldx, r)
    def fix(o, d):
        return [x.replace('BK', os.path.join(BASE, 'bk_' + os.path.basename(d))).replace('LDX', ldx).replace('=FF', '=' + os.path.join(BASE, 'FF')) for x in o]
    AS = []
    if os.environ.get('ASUSER'):
        subprocess.run(['chown', '-R', '65534:65534', BASE])
        if r.random() < 0.5:
            subprocess.run(['chgrp', '-R', '0', src])
        os.chmod(BASE, 0o755)
        AS = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--']
    globals()['AS'] = AS
    ra = subprocess.run(TMO + AS + ['rsync', '-aH', '-i'] + fix(opts, da) + [src + '/', da + '/'], capture_output=True, text=True)
    ub = subprocess.run(TMO + AS + [UCP, '--sync', '--itemize-changes'] + fix(opts, db) + [src, db], capture_output=True, text=True)
    bad = []
    if ra.returncode != ub.returncode:
        bad.append('rc rsync %d ucp %d: %s %s' % (ra.returncode, ub.returncode, ra.stderr, ub.stderr))
    sa, sb = snap(da), snap(db)
    if sa != sb or True:
        ka, kb = sa[0], sb[0]
        ks = snap(src)[0]
        for k in sorted(set(ka) | set(kb)):
            va, vb = ka.get(k), kb.get(k)
            if va and vb and va[:-1] == vb[:-1] and ks.get(k) == vb:
                continue
            if va != vb:
                bad.append('%s: rsync %s ucp %s' % (k, ka.get(k), kb.get(k)))
        if sa[1] != sb[1]:
            bad.append('links: rsync %s ucp %s' % (sa[1], sb[1]))
    if '--backup-dir=BK' in opts:
        ba, bb = snap(os.path.join(BASE, 'bk_ra')), snap(os.path.join(BASE, 'bk_ub'))
        if ba[0].keys() != bb[0].keys():
            bad.append('backup dirs: rsync %s ucp %s' % (sorted(ba[0]), sorted(bb[0])))
    ia = sorted(l.replace('/ra', '/X') for l in ra.stdout.splitlines() if l.strip())
    ib = sorted(l.replace('/ub', '/X') for l in ub.stdout.splitlines() if l.strip())
    if any(l.startswith('hf') for l in ia + ib):
        ia = ib = []
    if os.environ.get('ITEMIZE') and ia != ib:
        bad.append('itemize:\n  rsync %s\n  ucp   %s' % (ia, ib))
    # idempotence
    ub2 = subprocess.run(TMO + AS + [UCP, '--sync', '--itemize-changes'] + fix(opts, db) + [src, db], capture_output=True, text=True)
    # rsync's own second run: what it still says (a directory kept by a
    # backup it holds: "cannot delete non-empty directory") is no fault.
    # As sets of lines: rsync says it twice of a nested directory.
    ra2 = subprocess.run(TMO + AS + ['rsync', '-aH', '-i'] + fix(opts, da) + [src + '/', da + '/'], capture_output=True, text=True)
    same2 = ra2.returncode == ub2.returncode and set(ra2.stdout.splitlines()) == set(ub2.stdout.splitlines())
    if ub.returncode == 0 and '--dry-run' not in opts and not same2 and (ub2.returncode != 0 or (ub2.stdout.strip() and '--ignore-times' not in opts and '--checksum' not in opts)):
        if not ('--backup' in opts and '--delete-excluded' in opts) and not any(o in opts for o in ('--ignore-times', '--update', '--size-only', '--modify-window=5', '--existing', '--ignore-existing', '--max-size=5000', '--min-size=100')):
            bad.append('second run: rc %d out %r' % (ub2.returncode, ub2.stdout))
    return opts, bad

if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(EXF, 'w') as f:
        f.write('z~\n# comment\n\n*.o\n/e\n')
    a, b = int(sys.argv[1]), int(sys.argv[2])
    nbad = 0
    for s in range(a, b):
        opts, bad = run(s)
        if bad:
            nbad += 1
            print('seed', s, opts)
            for x in bad[:12]:
                print('   ', x)
            if os.environ.get('STOP'):
                break
    print('bad', nbad, 'of', b - a)
