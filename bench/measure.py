#!/usr/bin/env python3
"""measure.py CMD... — runs CMD, prints one JSON line: wall seconds, peak RSS
(MiB) of the command's process tree (children's maxrss, which covers the
largest single process), and its exit code. Output of CMD goes to /dev/null
unless BENCH_KEEP_OUTPUT is set."""
import json, os, resource, subprocess, sys, time

out = None if os.environ.get("BENCH_KEEP_OUTPUT") else subprocess.DEVNULL
t0 = time.monotonic()
p = subprocess.run(sys.argv[1:], stdout=out, stderr=out)
dt = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": round(dt, 4), "peak_rss_mib": round(ru.ru_maxrss / 1024, 1),
                  "rc": p.returncode}))
