#!/usr/bin/env python3
"""timeline - what a block device does during a command and its flush.

usage: bench/timeline.py [--dev NAME] [--every MS] --sync DIR -- CMD...

Runs CMD, then `sync -f DIR`, sampling /sys/block/NAME/stat (default
the disk under DIR's filesystem, or NAME) every MS milliseconds (25):
MB written so far, requests in flight, and the milliseconds the device
was busy.  Shows when the data reaches the disk and what the final flush
waits on (the last line: when 95% of the writes were done); doc/
PERFORMANCE.md uses it on `mixed`.  Prepare the caches
yourself (drop them, read the source back) before calling it.
"""
import os
import subprocess
import sys
import time


def stat(dev):
    with open("/sys/block/%s/stat" % dev) as f:
        a = f.read().split()
    return int(a[6]), int(a[8]), int(a[9])  # sectors written, in flight, busy ms


def main(argv):
    dev, every, syncdir = None, 0.025, None
    while argv and argv[0] != "--":
        a = argv.pop(0)
        if a == "--dev":
            dev = argv.pop(0)
        elif a == "--every":
            every = float(argv.pop(0)) / 1000
        elif a == "--sync":
            syncdir = argv.pop(0)
        else:
            print(__doc__)
            return 2
    if not argv or not syncdir:
        print(__doc__)
        return 2
    cmd = argv[1:]
    if not dev:
        st = os.stat(syncdir)
        link = os.path.realpath("/sys/dev/block/%d:%d" % (os.major(st.st_dev),
                                                         os.minor(st.st_dev)))
        dev = os.path.basename(link)
        if not os.path.exists("/sys/block/%s/stat" % dev):  # a partition
            dev = os.path.basename(os.path.dirname(link))
    t0 = time.monotonic()
    w0, _, b0 = stat(dev)
    p = subprocess.Popen(cmd)
    phase, q, t_cmd, last, marks = "cmd", None, 0.0, -1, []
    while True:
        t = time.monotonic() - t0
        w, inflight, busy = stat(dev)
        marks.append((t, w - w0))
        if int(t / every) != last:
            last = int(t / every)
            print("%6.3f %-4s %7.0f MB written  %3d in flight  busy %5d ms" %
                  (t, phase, (w - w0) * 512 / 1e6, inflight, busy - b0))
        if phase == "cmd" and p.poll() is not None:
            phase, t_cmd = "sync", t
            q = subprocess.Popen(["sync", "-f", syncdir])
        if phase == "sync" and q.poll() is not None:
            break
        time.sleep(0.002)
    total = marks[-1][1]
    t95 = next(t for t, w in marks if w >= 0.95 * total)
    print("%s: command %.3f s, 95%% of %.0f MB written by %.3f s, total %.3f s"
          " (exit %d)" % (dev, t_cmd, total * 512 / 1e6, t95,
                          time.monotonic() - t0, p.returncode))
    return p.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
