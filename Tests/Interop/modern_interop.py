"""2026-07-28 interop: the official MCP Python SDK 2.x `Client(..., mode="2026-07-28")` — the
current protocol revision, with no initialize and no session — through the stdio bridge and
through a listener, against SDK servers in both modes (SSE, stateless JSON). Run for SDK 2.x only.
"""
import asyncio, os, subprocess, sys, tempfile, time

import anyio
import mcp_types as types
from mcp import StdioServerParameters
from mcp.client.client import Client

from interop_common import BINARY, HERE, free_port, run_step, wait_port

REVISION = "2026-07-28"
results = []


def write_config(profiles, directory):
    lines = ["profiles:"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for name, p in profiles.items():
        lines += [f"  {name}:", f"    upstream_url: http://127.0.0.1:{p['upstream']}/mcp", f"    key_id: {p['key_id']}",
                  f"    secret_env: SECRET_{name.upper()}", f"    listen_port: {p['port']}", "    connect_timeout: 2s"]
        env[f"SECRET_{name.upper()}"] = p["secret"]
    path = os.path.join(directory, "profiles.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, env


async def on_elicit(context, params):
    return types.ElicitResult(action="accept", content={"ok": True})


async def modern_session(target, streams, log_path):
    """What a 2026-07-28 client does; `target` is the listener's URL or the bridge's command."""
    async with Client(target, mode=REVISION, elicitation_callback=on_elicit) as client:
        tools = await client.list_tools()
        names = {t.name for t in tools.tools}
        assert {"echo", "progress", "big", "sleepy", "route", "ask", "touch"} <= names, names

        echoed = await client.call_tool("echo", {"text": "héllo\nworld"})
        assert echoed.content[0].text == "héllo\nworld", echoed

        progress = []

        async def on_progress(value, total, message):
            progress.append(value)
        result = await client.call_tool("progress", {"steps": 3}, progress_callback=on_progress)
        assert result.content[0].text == "done after 3 steps", result
        if streams:
            assert progress == [1, 2, 3], progress

        big = await client.call_tool("big", {"kib": 400})
        assert len(big.content[0].text) == 400 * 1024, len(big.content[0].text)

        # Two calls at once: the slow one must not delay the fast one.
        started = time.monotonic()

        async def fast():
            reply = await client.call_tool("echo", {"text": "fast"})
            return reply, time.monotonic() - started
        slow_reply, (fast_reply, fast_took) = await asyncio.gather(client.call_tool("sleepy", {"seconds": 1.0}), fast())
        assert slow_reply.content[0].text == "slept" and fast_reply.content[0].text == "fast"
        assert fast_took < 0.9, f"the fast call took {fast_took:.2f}s behind the slow one"

        # Cancelling a call closes its exchange: an SSE server sees its request cancelled. (A
        # server answering plain JSON does not watch its connection while the tool runs, on the
        # direct path either; there the call just ends for the client.)
        before = int((await client.call_tool("cancellations", {})).content[0].text)
        with anyio.move_on_after(0.5):
            await client.call_tool("sleepy", {"seconds": 10})
        for _ in range(40 if streams else 0):
            after = int((await client.call_tool("cancellations", {})).content[0].text)
            if after > before:
                break
            await anyio.sleep(0.1)
        if streams:
            assert after == before + 1, f"the server saw {after - before} cancelled calls"

        # The argument annotated x-mcp-header travels in Mcp-Param-Region; the server checks it.
        routed = await client.call_tool("route", {"region": "eu-west ü"})
        assert routed.content[0].text == "routed to eu-west ü", routed

        # input_required: the client answers and retries; the proxy passes both rounds as they are.
        asked = await client.call_tool("ask", {"topic": "deploy"})
        assert asked.content[0].text == "accept:{'ok': True}", asked

        if streams:
            async with client.listen(tools_list_changed=True) as subscription:
                await client.call_tool("touch", {})
                with anyio.fail_after(10):
                    async for event in subscription:
                        break
            assert "tools" in type(event).__name__.lower() or "tools" in repr(event).lower(), event


async def main():
    secrets = {"sse": "sse-secret-0123456789abcdef", "json": "json-secret-0123456789abcdef"}
    directory = tempfile.mkdtemp(prefix="modern-interop-")
    log_path = os.path.join(directory, "proxy.log")
    ports = {"sse_up": free_port(), "json_up": free_port(), "sse": free_port(), "json": free_port()}
    servers = [
        subprocess.Popen([sys.executable, os.path.join(HERE, "signed_server.py"), "--port", str(ports["sse_up"]), "--key-id", "sse-key", "--secret", secrets["sse"]]),
        subprocess.Popen([sys.executable, os.path.join(HERE, "signed_server.py"), "--port", str(ports["json_up"]), "--key-id", "json-key", "--secret", secrets["json"], "--stateless"]),
    ]
    config, env = write_config({
        "sse": {"upstream": ports["sse_up"], "key_id": "sse-key", "secret": secrets["sse"], "port": ports["sse"]},
        "json": {"upstream": ports["json_up"], "key_id": "json-key", "secret": secrets["json"], "port": ports["json"]},
    }, directory)
    log = open(log_path, "a")
    proxy = subprocess.Popen([BINARY, "--config", config], env=env, stderr=log)

    def tail():
        return open(log_path).read()[-4000:]
    try:
        for port in ports.values():
            wait_port(port)
        for mode, streams in (("sse", True), ("json", False)):
            server = "SSE server" if streams else "stateless JSON server"
            await run_step(results, f"2026-07-28 client over a listener, {server}",
                           modern_session(f"http://127.0.0.1:{ports[mode]}/mcp", streams, log_path), 90, "proxy stderr", tail)
            bridge = StdioServerParameters(command=BINARY, args=["stdio", "--config", config, "--profile", mode], env=env)
            await run_step(results, f"2026-07-28 client over the stdio bridge, {server}",
                           modern_session(bridge, streams, log_path), 90, "proxy stderr", tail)
        async def no_secret_in_output():
            text = open(log_path).read()
            assert all(secret not in text for secret in secrets.values())
        await run_step(results, "2026-07-28: no secret in the proxy's output", no_secret_in_output(), 10, "proxy stderr", tail)
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    passed = sum(1 for _, ok in results if ok)
    print(f"2026-07-28 interop: {passed} passed, {len(results) - passed} failed")
    return 1 if passed != len(results) or not results else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
