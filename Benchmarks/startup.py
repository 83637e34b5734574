"""Start-up benchmark: time from exec to every listener accepting, and idle RSS.

  python3 startup.py BINARY CONFIG PORT [PORT ...]
Runs the binary 5 times and prints the median start-up time and the idle RSS.
"""
import os, socket, statistics, subprocess, sys, time

binary, config, ports = sys.argv[1], sys.argv[2], [int(p) for p in sys.argv[3:]]
times, rss = [], 0
for _ in range(5):
    start = time.perf_counter()
    process = subprocess.Popen([binary, "--config", config], stderr=subprocess.DEVNULL)
    pending = set(ports)
    while pending and time.perf_counter() - start < 10:
        for port in list(pending):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
                pending.discard(port)
            except OSError:
                pass
    times.append((time.perf_counter() - start) * 1000)
    time.sleep(0.5)
    with open(f"/proc/{process.pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
    process.terminate()
    process.wait()
print(f"start-up with {len(ports)} profiles: median {statistics.median(times):.1f} ms (min {min(times):.1f}, max {max(times):.1f}); idle RSS {rss / 1024:.1f} MiB")
