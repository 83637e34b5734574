"""stdio benchmark: one SDK client workload (tools/call, sequential and 8 concurrent sessions)
against one signature-checking SDK server, three ways in one run:

  direct     the SDK's HTTP client signs each request itself (an httpx auth hook)
  bridge     the SDK's stdio client launches `mcp-auth-proxy stdio`
  mcp-proxy  the SDK's stdio client launches the `mcp-proxy` package (PyPI) in stdio-to-remote
             mode, with the three signature headers computed once at start (valid for the run)

Prints calls/s, p50 and p99 per way, and the ratios bridge/direct and bridge/mcp-proxy.

With `--revision 2026-07-28` (SDK 2.x) the client is `Client(..., mode=…)`, which speaks that
revision (no initialize, no session); `mcp-proxy` cannot carry it, so the ways are direct and bridge.

With `--sigv4` the server checks AWS Signature Version 4 with botocore (Tests/Interop/sigv4_server.py)
and the ways are:

  direct             the SDK's HTTP client signs each request with botocore's SigV4Auth (an httpx auth hook)
  bridge             `mcp-auth-proxy stdio` with an `aws-sigv4` profile, keys from the environment
  mcp-proxy-for-aws  AWS's own stdio bridge (PyPI), keys from the environment
"""
import argparse, asyncio, hashlib, hmac, os, statistics, subprocess, sys, tempfile, time

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Interop"))
from interop_common import BINARY, HERE, free_port, wait_port  # noqa: E402

try:
    from mcp.client.streamable_http import streamablehttp_client as http_client
except ImportError:
    from mcp.client.streamable_http import streamable_http_client as http_client

KEY_ID, SECRET = "bench-key", "bench-secret-0123456789abcdef"
AWS_KEY, AWS_SECRET, AWS_REGION, AWS_SERVICE = "AKIABENCHEXAMPLE", "bench-aws-secret-0123456789abcdef", "us-east-1", "execute-api"


def signature(method, target, timestamp):
    return hmac.new(SECRET.encode(), f"{method}\n{target}\n{timestamp}".encode(), hashlib.sha256).hexdigest()


class SigningAuth(httpx.Auth):
    """What a client that signs for itself does: fresh headers on every request."""

    def auth_flow(self, request):
        timestamp = str(int(time.time()))
        target = request.url.raw_path.decode()
        request.headers["x-api-key-id"] = KEY_ID
        request.headers["x-timestamp"] = timestamp
        request.headers["x-signature"] = signature(request.method, target, timestamp)
        yield request


class SigV4Signing(httpx.Auth):
    """A client that signs for itself with botocore, as AWS's SDKs do: fresh SigV4 per request."""
    requires_request_body = True

    def auth_flow(self, request):
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        signed = AWSRequest(method=request.method, url=str(request.url), data=request.content,
                            headers={"host": request.url.netloc.decode()})
        SigV4Auth(Credentials(AWS_KEY, AWS_SECRET), AWS_SERVICE, AWS_REGION).add_auth(signed)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = signed.headers[name]
        yield request


async def run_calls(session, count, latencies):
    """`session`: a ClientSession, or an SDK 2.x Client (the same call_tool)."""
    for index in range(count):
        started = time.perf_counter()
        result = await session.call_tool("echo", {"text": f"call {index}"})
        latencies.append(time.perf_counter() - started)
        assert result.content[0].text == f"call {index}", result


async def session_direct(url, count, latencies, auth=None):
    auth = auth or SigningAuth()
    async with httpx.AsyncClient(auth=auth, timeout=30) as client:
        try:
            context = http_client(url, http_client=client)
        except TypeError:  # SDK 1.x takes the auth directly
            context = http_client(url, auth=auth)
        async with context as streams:
            async with ClientSession(streams[0], streams[1]) as session:
                await session.initialize()
                await run_calls(session, 3, [])  # warm-up
                await run_calls(session, count, latencies)


async def session_stdio(command, args, env, count, latencies):
    with open(os.devnull, "w") as devnull:
        async with stdio_client(StdioServerParameters(command=command, args=args, env=env), errlog=devnull) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await run_calls(session, 3, [])
                await run_calls(session, count, latencies)


async def session_revision(target, revision, count, latencies):
    """A client pinned to `revision`; `target` is StdioServerParameters or a URL (signed here)."""
    from mcp.client.client import Client
    async with httpx.AsyncClient(auth=SigningAuth(), timeout=30) as http:
        server = target if isinstance(target, StdioServerParameters) else http_client(target, http_client=http)
        async with Client(server, mode=revision) as client:
            await run_calls(client, 3, [])
            await run_calls(client, count, latencies)


async def measure(name, make_session, calls, sessions):
    rows = []
    for concurrency in (1, sessions):
        latencies = []
        per_session = calls // concurrency
        started = time.perf_counter()
        await asyncio.gather(*[make_session(per_session, latencies) for _ in range(concurrency)])
        elapsed = time.perf_counter() - started
        latencies.sort()
        rows.append((name, concurrency, len(latencies) / elapsed, statistics.median(latencies) * 1000,
                     latencies[int(len(latencies) * 0.99) - 1] * 1000))
    return rows


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--mcp-proxy", default=os.environ.get("MCP_PROXY_BIN", "mcp-proxy"))
    parser.add_argument("--revision", help="pin the client to this protocol revision (SDK 2.x), e.g. 2026-07-28")
    parser.add_argument("--sigv4", action="store_true", help="AWS SigV4 against mcp-proxy-for-aws instead of auth-gateway against mcp-proxy")
    parser.add_argument("--mcp-proxy-for-aws", default=os.environ.get("MCP_PROXY_FOR_AWS_BIN", "mcp-proxy-for-aws"))
    args = parser.parse_args()
    port = free_port()
    directory = tempfile.mkdtemp(prefix="stdio-bench-")
    if args.sigv4:
        with open(os.path.join(directory, "known.json"), "w") as f:
            f.write('{"%s": ["%s", null]}' % (AWS_KEY, AWS_SECRET))
        command = [sys.executable, os.path.join(HERE, "sigv4_server.py"), "--port", str(port), "--credentials", os.path.join(directory, "known.json")]
    else:
        command = [sys.executable, os.path.join(HERE, "signed_server.py"), "--port", str(port), "--key-id", KEY_ID, "--secret", SECRET]
    server = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        wait_port(port)
        config = os.path.join(directory, "profiles.yaml")
        with open(config, "w") as f:
            f.write(f"profiles:\n  bench:\n    upstream_url: {url}\n    key_id: {KEY_ID}\n    secret_env: BENCH_SECRET\n    listen_port: {free_port()}\n")
        env = {"PATH": os.environ.get("PATH", ""), "BENCH_SECRET": SECRET}
        timestamp = str(int(time.time()))
        headers = ["-H", "x-api-key-id", KEY_ID, "-H", "x-timestamp", timestamp, "-H", "x-signature", signature("POST", "/mcp", timestamp)]
        ways = [
            ("direct", lambda n, lat: session_direct(url, n, lat)),
            ("bridge", lambda n, lat: session_stdio(BINARY, ["stdio", "--config", config, "--log-level", "warning"], env, n, lat)),
            ("mcp-proxy", lambda n, lat: session_stdio(args.mcp_proxy, ["--transport", "streamablehttp", *headers, url], env, n, lat)),
        ]
        if args.sigv4:
            with open(config, "w") as f:
                f.write(f"profiles:\n  bench:\n    upstream_url: {url}\n    auth_scheme: aws-sigv4\n    listen_port: {free_port()}\n"
                        f"    aws: {{region: {AWS_REGION}, service: {AWS_SERVICE}}}\n")
            env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": AWS_KEY, "AWS_SECRET_ACCESS_KEY": AWS_SECRET, "AWS_REGION": AWS_REGION}
            ways = [
                ("direct", lambda n, lat: session_direct(url, n, lat, auth=SigV4Signing())),
                ("bridge", lambda n, lat: session_stdio(BINARY, ["stdio", "--config", config, "--log-level", "warning"], env, n, lat)),
                ("mcp-proxy-for-aws", lambda n, lat: session_stdio(args.mcp_proxy_for_aws, [url, "--service", AWS_SERVICE, "--region", AWS_REGION], env, n, lat)),
            ]
        if args.revision:
            bridge = StdioServerParameters(command=BINARY, args=["stdio", "--config", config, "--log-level", "warning"], env=env)
            ways = [
                ("direct", lambda n, lat: session_revision(url, args.revision, n, lat)),
                ("bridge", lambda n, lat: session_revision(bridge, args.revision, n, lat)),
            ]
        rows = []
        for name, make in ways:
            rows += await measure(name, make, args.calls, args.sessions)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{'way':<18} {'sessions':>8} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, concurrency, rate, p50, p99 in rows:
        print(f"{name:<18} {concurrency:>8} {rate:>9.1f} {p50:>8.2f} {p99:>8.2f}")
    by = {(name, concurrency): rate for name, concurrency, rate, _, _ in rows}
    for concurrency in (1, args.sessions):
        bridge = by[("bridge", concurrency)]
        peers = [name for name in ("mcp-proxy", "mcp-proxy-for-aws") if (name, concurrency) in by]
        peer = "".join(f", bridge/{name} {bridge / by[(name, concurrency)]:.2f}x" for name in peers)
        print(f"{concurrency} session(s): bridge/direct {bridge / by[('direct', concurrency)]:.2f}x{peer}")


if __name__ == "__main__":
    asyncio.run(main())
