#!/usr/bin/env python3
"""Soak driver behind scripts/soak: one proxy process, one nginx upstream, rounds of load phases.

Loopback only, every loop bounded in time. Prints a sample line after each phase and the slopes,
then one closing line `soak: N passed, M failed`; exits 1 when a check fails.
"""
import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

WARMUP_ROUNDS = 1
BOUND_KIB_PER_MILLION = 1024  # 1 MiB of RSS growth per million requests after the warm-up
GROWTH_FLOOR_KIB = 2048       # allocator noise a short run may show without any leak


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refusing_socket():
    """A bound port that never listens: connecting to it is refused, and no other test can take it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    return s


class Rig:
    """nginx upstream (plain and TLS), the proxy with four profiles, and the files they need."""

    def __init__(self, binary):
        self.work = tempfile.mkdtemp(prefix="soak.")
        os.chmod(self.work, 0o755)  # nginx workers (user nobody) read the event file from here
        self.up, self.up_tls = free_port(), free_port()
        self.refused = refusing_socket()
        self.plain, self.tls, self.failing, self.beats = (free_port() for _ in range(4))
        self.binary = binary
        self.processes = []

    def start(self):
        w = self.work
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", f"{w}/key.pem", "-out", f"{w}/cert.pem", "-days", "2",
                        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                       check=True, capture_output=True)
        event = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n'
        with open(f"{w}/events.txt", "w") as f:
            f.write(event * 20000)
        os.chmod(f"{w}/events.txt", 0o644)
        with open(f"{w}/upstream.conf", "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {w}/nginx.pid; error_log {w}/nginx.err;
events {{ worker_connections 16384; }}
http {{ access_log off; keepalive_timeout 2s;
  server {{ listen 127.0.0.1:{self.up}; keepalive_requests 1000;
    location = /mcp {{ default_type application/json; return 200 '{{"jsonrpc":"2.0","id":1,"result":{{}}}}'; }}
    location = /mcp/err {{ default_type application/json; return 503 '{{"error":"unavailable"}}'; }}
    location = /mcp/reset {{ return 444; }}
    location = /mcp/sse {{ default_type text/event-stream; alias {w}/events.txt; limit_rate 8k; }} }}
  server {{ listen 127.0.0.1:{self.up_tls} ssl; keepalive_requests 50;
    ssl_certificate {w}/cert.pem; ssl_certificate_key {w}/key.pem;
    location = /mcp {{ default_type application/json; return 200 '{{"jsonrpc":"2.0","id":1,"result":{{}}}}'; }} }} }}
""")
        refused = self.refused.getsockname()[1]
        with open(f"{w}/profiles.yaml", "w") as f:
            f.write(f"""defaults:
  key_id: soak-key
  secret_env: SOAK_SECRET
  request_timeout: 5s
profiles:
  plain: {{ upstream_url: "http://127.0.0.1:{self.up}/mcp", listen_port: {self.plain}, upstream_streaming: "on" }}
  tls: {{ upstream_url: "https://127.0.0.1:{self.up_tls}/mcp", listen_port: {self.tls}, ca_file: "{w}/cert.pem" }}
  failing: {{ upstream_url: "http://127.0.0.1:{refused}/mcp", listen_port: {self.failing} }}
  beats: {{ upstream_url: "http://127.0.0.1:{self.up}/mcp", listen_port: {self.beats}, upstream_streaming: "off", heartbeat_interval: 250ms }}
""")
        lua = {
            "post.lua": 'wrk.method = "POST"\nwrk.body = \'{"jsonrpc":"2.0","id":1,"method":"ping"}\'\n'
                        'wrk.headers["Content-Type"] = "application/json"\n',
            "errors.lua": 'local paths = {"/mcp/err", "/mcp/reset"}\nlocal i = 0\n'
                          'request = function()\n  i = i % #paths + 1\n'
                          '  return wrk.format("POST", paths[i], {["Content-Type"] = "application/json", ["Connection"] = "close"},'
                          ' \'{"jsonrpc":"2.0","id":1,"method":"ping"}\')\nend\n',
            # Every kind of local answer: 404, 403 (Origin), 400 (JSON), discovery 404, 405, 413, malformed HTTP.
            "rejects.lua": 'local ping = \'{"jsonrpc":"2.0","id":1,"method":"ping"}\'\nlocal i = 0\n'
                           'request = function()\n  i = i % 7 + 1\n'
                           '  if i == 1 then return wrk.format("GET", "/elsewhere", {["Connection"] = "close"}) end\n'
                           '  if i == 2 then return wrk.format("POST", "/mcp", {["Origin"] = "http://evil.example", ["Connection"] = "close"}, ping) end\n'
                           '  if i == 3 then return wrk.format("POST", "/mcp", {["Connection"] = "close"}, "{not json") end\n'
                           '  if i == 4 then return wrk.format("GET", "/.well-known/oauth-authorization-server", {["Connection"] = "close"}) end\n'
                           '  if i == 5 then return wrk.format("PUT", "/mcp", {["Connection"] = "close"}, ping) end\n'
                           '  if i == 6 then return wrk.format("POST", "/mcp", {["Content-Length"] = "99999999", ["Connection"] = "close"}) end\n'
                           '  return "BROKEN REQUEST LINE\\r\\n\\r\\n"\nend\n',
        }
        for name, text in lua.items():
            with open(f"{w}/{name}", "w") as f:
                f.write(text)
        self.processes.append(subprocess.Popen(["nginx", "-c", f"{w}/upstream.conf"], stderr=subprocess.DEVNULL))
        env = dict(os.environ, SOAK_SECRET="soak-secret-0123456789abcdef")
        self.log = open(f"{w}/proxy.log", "wb")
        self.proxy = subprocess.Popen([self.binary, "--config", f"{w}/profiles.yaml", "--log-level", "warning"],
                                      env=env, stderr=self.log, stdout=subprocess.DEVNULL)
        self.processes.append(self.proxy)
        for port in (self.up, self.up_tls, self.plain, self.tls, self.failing, self.beats):
            wait_for_port(port)

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        self.refused.close()
        shutil.rmtree(self.work, ignore_errors=True)

    def rss_kib(self):
        with open(f"/proc/{self.proxy.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def fds(self):
        return len(os.listdir(f"/proc/{self.proxy.pid}/fd"))


def wait_for_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"soak: nothing listens on 127.0.0.1:{port}")


class Wrk:
    """One wrk run in the background; `wait()` returns its request count."""

    def __init__(self, rig, port, seconds, connections, script, close=False, path="/mcp"):
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", f"{rig.work}/{script}"]
        if close:
            command += ["-H", "Connection: close"]
        self.close = close
        self.process = subprocess.Popen(command + [f"http://127.0.0.1:{port}{path}"], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.connections = connections

    def wait(self):
        out, _ = self.process.communicate()
        match = re.search(r"(\d+) requests in", out)
        if not match:
            raise SystemExit(f"soak: wrk failed:\n{out}")
        return int(match.group(1))


async def bare_connections(port, seconds, limit):
    """Connections opened and closed without a request, half of them with a reset."""
    count, end = 0, time.monotonic() + seconds
    loop = asyncio.get_running_loop()
    while time.monotonic() < end and count < limit:
        s = socket.socket()
        s.setblocking(False)
        try:
            await loop.sock_connect(s, ("127.0.0.1", port))
            if count % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            count += 1
        except OSError:
            pass
        finally:
            s.close()
        if count % 64 == 0:
            await asyncio.sleep(0.01)
    return count


async def streams_cut(targets, seconds, workers=32):
    """SSE streams opened, read until their first bytes, held briefly and cut (half of them by reset)."""
    count, end = 0, time.monotonic() + seconds

    async def worker(index):
        nonlocal count
        while time.monotonic() < end:
            port, path = targets[(index + count) % len(targets)]
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 2)
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
                await writer.drain()
                await asyncio.wait_for(reader.read(4096), 2)
                await asyncio.sleep(random.uniform(0, 0.2))
                if index % 2:
                    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.close()
                count += 1
            except (OSError, asyncio.TimeoutError):
                await asyncio.sleep(0.05)

    await asyncio.gather(*(worker(i) for i in range(workers)))
    return count


def run_phase(rig, name, seconds):
    """Runs one phase; returns (requests, connections) it made."""
    d = seconds
    if name == "keep-alive":
        runs = [Wrk(rig, rig.plain, d, 32, "post.lua")]
    elif name == "conn-per-request":
        runs = [Wrk(rig, rig.plain, d, 32, "post.lua", close=True)]
    elif name == "tls-upstream":
        runs = [Wrk(rig, rig.tls, d, 8, "post.lua"), Wrk(rig, rig.tls, d, 8, "post.lua", close=True)]
    elif name == "upstream-errors":
        runs = [Wrk(rig, rig.plain, d, 8, "errors.lua", close=True), Wrk(rig, rig.failing, d, 8, "post.lua", close=True)]
    elif name == "rejections":
        runs = [Wrk(rig, rig.plain, d, 16, "rejects.lua", close=True)]
        bare = asyncio.run(bare_connections(rig.plain, d, 20000))
        return sum_runs(runs, extra_connections=bare)
    elif name == "streams":
        runs = [Wrk(rig, rig.plain, d, 4, "post.lua")]
        streams = asyncio.run(streams_cut([(rig.beats, "/mcp"), (rig.plain, "/mcp/sse")], d))
        requests, connections = sum_runs(runs)
        return requests + streams, connections + streams
    else:
        raise ValueError(name)
    return sum_runs(runs)


def sum_runs(runs, extra_connections=0):
    requests = connections = 0
    for run in runs:
        count = run.wait()
        requests += count
        connections += count if run.close else run.connections
    return requests, connections + extra_connections


PHASES = ["keep-alive", "conn-per-request", "tls-upstream", "upstream-errors", "rejections", "streams"]


def slope(points):
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def still_serves(port):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/mcp", method="POST",
                                     data=b'{"jsonrpc":"2.0","id":1,"method":"ping"}',
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("minutes", nargs="?", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="two rounds of 4-second phases (about 60 s)")
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    phase_seconds = 4 if args.smoke else 10
    rounds = 2 if args.smoke else max(WARMUP_ROUNDS + 1, round(args.minutes * 60 / (phase_seconds * len(PHASES))))

    rig = Rig(args.binary)
    try:
        rig.start()
        time.sleep(1)
        start_rss, start_fds = rig.rss_kib(), rig.fds()
        print(f"soak: {rounds} rounds of {len(PHASES)} phases x {phase_seconds}s; the first round is the warm-up")
        print(f"{'round':>5} {'phase':<17} {'time':>6} {'requests':>10} {'connections':>11} {'RSS MiB':>8} {'fds':>5}")
        row = lambda r, p, t, q, c, rss, fds: print(f"{r:>5} {p:<17} {t:>5.0f}s {q:>10} {c:>11} {rss / 1024:>8.1f} {fds:>5}", flush=True)
        row("-", "start", 0, 0, 0, start_rss, start_fds)
        began = time.monotonic()
        requests = connections = 0
        samples, per_phase = [], {}
        warm = None
        for number in range(1, rounds + 1):
            for phase in PHASES:
                q, c = run_phase(rig, phase, phase_seconds)
                requests += q
                connections += c
                per_phase[phase] = per_phase.get(phase, 0) + q
                rss, fds = rig.rss_kib(), rig.fds()
                samples.append((number, requests, connections, rss))
                row(number, phase, time.monotonic() - began, requests, connections, rss, fds)
            if number == WARMUP_ROUNDS:
                warm = (requests, connections, rss)
        loaded_rss = rig.rss_kib()
        # Idle: pooled upstream connections close with the upstream's 2 s keep-alive timeout.
        deadline = time.monotonic() + 20
        while rig.fds() != start_fds and time.monotonic() < deadline:
            time.sleep(0.5)
        idle_rss, idle_fds = rig.rss_kib(), rig.fds()
        row("-", "idle", time.monotonic() - began, requests, connections, idle_rss, idle_fds)

        # Slopes from the end of each round (the same phase, so like is compared with like), from
        # the end of the warm-up on.
        round_ends = [sample for index, sample in enumerate(samples, 1) if index % len(PHASES) == 0][WARMUP_ROUNDS - 1:]
        after = [(q, rss) for _, q, _, rss in round_ends]
        after_c = [(c, rss) for _, _, c, rss in round_ends]
        measured_requests = requests - warm[0]
        measured_connections = connections - warm[1]
        growth = loaded_rss - warm[2]
        bound = max(GROWTH_FLOOR_KIB, BOUND_KIB_PER_MILLION * measured_requests / 1e6)
        per_million = slope(after) * 1e6
        per_thousand = slope(after_c) * 1e3
        print(f"after the warm-up: {measured_requests} requests, {measured_connections} connections; "
              f"RSS {growth:+d} KiB (bound {bound:.0f} KiB)")
        if len(round_ends) >= 3:
            print(f"slope over {len(round_ends)} round ends: {per_million:.1f} KiB per million requests, "
                  f"{per_thousand:.2f} KiB per thousand connections ({per_thousand * 1024 / 1000:.2f} bytes per connection)")
        else:
            # Two points make a slope of page-sized noise over a short run; the growth bound decides.
            print("slope: needs three or more rounds (run scripts/soak for minutes); this run checks the growth bound only")

        checks = [
            ("every phase made requests", all(per_phase.get(p, 0) > 0 for p in PHASES), str(per_phase)),
            ("RSS flat after the warm-up", growth <= bound, f"{growth} KiB grown, bound {bound:.0f} KiB"),
            ("descriptors back to the baseline when idle", idle_fds == start_fds, f"{idle_fds} open, {start_fds} at start"),
            ("the proxy still serves", rig.proxy.poll() is None and still_serves(rig.plain), ""),
        ]
        failed = 0
        for name, ok, detail in checks:
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}" + (f" ({detail})" if detail and not ok else ""))
        print(f"soak: {len(checks) - failed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        rig.stop()


if __name__ == "__main__":
    sys.exit(main())
