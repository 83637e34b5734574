"""stdio interop: the official MCP Python SDK's stdio client launches `mcp-auth-proxy stdio`,
which signs every message for a signature-checking SDK server, in both server modes (SSE with
sessions, stateless JSON). Also drives the bridge with raw lines for what the SDK client does not
expose: a cancellation, a parse error, an unreachable upstream, and the DELETE at the end.
"""
import asyncio, json, os, subprocess, sys, tempfile, time

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from interop_common import BINARY, HERE, check_tool_policy, free_port, run_step, server_name, wait_port

results = []


def write_config(profiles):
    directory = tempfile.mkdtemp(prefix="stdio-interop-")
    lines = ["profiles:"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for name, p in profiles.items():
        lines += [f"  {name}:", f"    upstream_url: http://127.0.0.1:{p['upstream']}/mcp", f"    key_id: {p['key_id']}",
                  f"    secret_env: SECRET_{name.upper()}", f"    listen_port: {p['port']}", "    connect_timeout: 2s"]
        lines += [f"    {line}" for line in p.get("extra", [])]
        env[f"SECRET_{name.upper()}"] = p["secret"]
    path = os.path.join(directory, "profiles.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, env, directory


async def step(name, coro, log_path=None):
    def tail():
        return open(log_path).read()[-4000:] if log_path and os.path.exists(log_path) else ""
    await run_step(results, name, coro, 60, "bridge stderr", tail)


async def sdk_session(config, env, profile, log_path, streams_progress):
    """Everything an SDK client does, through the bridge."""
    params = StdioServerParameters(command=BINARY, args=["stdio", "--config", config, "--profile", profile], env=env)
    asked = []

    async def on_elicit(context, params):
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"ok": True})

    with open(log_path, "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, elicitation_callback=on_elicit) as session:
                info = await session.initialize()
                assert server_name(info) == "interop", info
                tools = await session.list_tools()
                assert {"echo", "progress", "big", "slow", "confirm"} <= {t.name for t in tools.tools}, tools
                echoed = await session.call_tool("echo", {"text": "héllo\nworld"})
                assert echoed.content[0].text == "héllo\nworld", echoed

                progress = []

                async def on_progress(value, total, message):
                    progress.append((value, time.monotonic()))
                result = await session.call_tool("progress", {"steps": 5}, progress_callback=on_progress)
                finished = time.monotonic()
                assert result.content[0].text == "done after 5 steps", result
                if streams_progress:
                    assert [p[0] for p in progress] == [1, 2, 3, 4, 5], progress
                    assert progress[0][1] < finished - 0.1, "progress arrives during the call, not at its end"

                big = await session.call_tool("big", {"kib": 400})
                assert len(big.content[0].text) == 400 * 1024, len(big.content[0].text)

                # Two calls at once: the slow one must not delay the fast one.
                started = time.monotonic()
                fast_done = []

                async def fast():
                    reply = await session.call_tool("echo", {"text": "fast"})
                    fast_done.append(time.monotonic() - started)
                    return reply
                slow_reply, fast_reply = await asyncio.gather(session.call_tool("slow", {"seconds": 1.5}), fast())
                assert slow_reply.content[0].text == "slow done" and fast_reply.content[0].text == "fast"
                assert fast_done[0] < 1.0, f"the fast call took {fast_done[0]:.2f}s behind the slow one"

                if streams_progress:
                    confirmed = await session.call_tool("confirm", {"question": "proceed?"})
                    assert confirmed.content[0].text == "accept:True", confirmed
                    assert asked == ["proceed?"], asked


async def policy_session(config, env, log_path):
    params = StdioServerParameters(command=BINARY, args=["stdio", "--config", config, "--profile", "policy"], env=env)
    with open(log_path, "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                await check_tool_policy(session)
    assert '"refused_tool":"delete_note"' in open(log_path).read()


class RawBridge:
    """The bridge driven with raw lines, for what the SDK client does not expose."""

    def __init__(self, config, env, profile, log_path):
        self.log_path = log_path
        self.errlog = open(log_path, "a")
        self.process = subprocess.Popen([BINARY, "stdio", "--config", config, "--profile", profile], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errlog)
        self.pending = {}

    def send(self, message):
        line = message if isinstance(message, (bytes, str)) else json.dumps(message)
        self.process.stdin.write((line if isinstance(line, bytes) else line.encode()) + b"\n")
        self.process.stdin.flush()

    async def next_message(self, timeout=10):
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), timeout)
        assert line.endswith(b"\n"), line
        return json.loads(line)

    async def initialize(self):
        self.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
        reply = await self.next_message()
        assert reply["id"] == 0 and "result" in reply, reply
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    async def close(self):
        self.process.stdin.close()
        status = await asyncio.to_thread(self.process.wait, 15)
        self.errlog.close()
        return status


async def raw_cancellation(config, env, log_path):
    bridge = RawBridge(config, env, "sse", log_path)
    await bridge.initialize()
    bridge.send({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "slow", "arguments": {"seconds": 5}}})
    await asyncio.sleep(0.3)
    bridge.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7, "reason": "user"}})
    bridge.send({"jsonrpc": "2.0", "id": 8, "method": "ping"})
    reply = await bridge.next_message(timeout=3)
    if reply.get("id") == 7:  # the server may answer the cancelled request with its own error (1.x: 0, 2.x: -32800)
        assert "error" in reply and "cancel" in reply["error"]["message"].lower(), reply
        reply = await bridge.next_message(timeout=3)
    assert reply == {"jsonrpc": "2.0", "id": 8, "result": {}}, reply
    assert await bridge.close() == 0
    log = open(log_path).read()
    assert '"event":"stdio_stopped"' in log, log


async def raw_errors(config, env, log_path):
    bridge = RawBridge(config, env, "json", log_path)
    bridge.send(b"this is not json")
    reply = await bridge.next_message()
    assert reply["id"] is None and reply["error"]["code"] == -32700, reply
    await bridge.initialize()
    bridge.send({"jsonrpc": "2.0", "id": "a", "method": "ping"})
    reply = await bridge.next_message()
    assert reply == {"jsonrpc": "2.0", "id": "a", "result": {}}, reply
    assert await bridge.close() == 0


async def raw_dead_upstream(config, env, log_path):
    bridge = RawBridge(config, env, "dead", log_path)
    bridge.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    reply = await bridge.next_message()
    assert reply["id"] == 1 and reply["error"]["code"] == -32000, reply
    assert "profile dead" in reply["error"]["message"] and "unreachable" in reply["error"]["message"], reply
    bridge.send({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    assert (await bridge.next_message())["id"] == 2, "the bridge keeps answering"
    assert await bridge.close() == 0


async def raw_wrong_secret(config, env, log_path):
    bridge = RawBridge(config, env, "wrong", log_path)
    bridge.send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}})
    reply = await bridge.next_message()
    assert reply["error"]["data"]["status"] == 401, reply
    assert "invalid signature" in reply["error"]["data"]["body"], reply
    assert await bridge.close() == 0


async def main():
    secrets = {"sse": "sse-secret-0123456789abcdef", "json": "json-secret-0123456789abcdef"}
    ports = {name: free_port() for name in ["sse_up", "json_up", "dead_up"]}
    log_path = os.path.join(tempfile.mkdtemp(prefix="stdio-log-"), "bridge.log")
    servers = [
        subprocess.Popen([sys.executable, os.path.join(HERE, "signed_server.py"), "--port", str(ports["sse_up"]), "--key-id", "sse-key", "--secret", secrets["sse"]]),
        subprocess.Popen([sys.executable, os.path.join(HERE, "signed_server.py"), "--port", str(ports["json_up"]), "--key-id", "json-key", "--secret", secrets["json"], "--stateless"]),
    ]
    try:
        for port in (ports["sse_up"], ports["json_up"]):
            wait_port(port)
        config, env, _ = write_config({
            "sse": {"upstream": ports["sse_up"], "key_id": "sse-key", "secret": secrets["sse"], "port": free_port()},
            "json": {"upstream": ports["json_up"], "key_id": "json-key", "secret": secrets["json"], "port": free_port()},
            "wrong": {"upstream": ports["sse_up"], "key_id": "sse-key", "secret": "not-the-right-secret-000", "port": free_port()},
            "dead": {"upstream": ports["dead_up"], "key_id": "dead-key", "secret": "dead-secret-0123456789ab", "port": free_port()},
            "policy": {"upstream": ports["sse_up"], "key_id": "sse-key", "secret": secrets["sse"], "port": free_port(),
                       "extra": ["tools:", '  deny: ["delete_*"]']},
        })
        await step("stdio: SDK stdio client, SSE/session server (initialize, list, call, progress, 400 KiB, concurrency, elicitation)",
                   sdk_session(config, env, "sse", log_path, streams_progress=True), log_path)
        await step("stdio: SDK stdio client, stateless JSON server", sdk_session(config, env, "json", log_path, streams_progress=False), log_path)
        await step("stdio: tool policy (deny delete_*): the list lacks delete_note, calling it is an error",
                   policy_session(config, env, log_path), log_path)
        await step("stdio: a cancelled call does not hold back a ping; EOF exits 0", raw_cancellation(config, env, log_path), log_path)
        await step("stdio: a line that is not JSON gets -32700 and the bridge carries on", raw_errors(config, env, log_path), log_path)
        await step("stdio: an unreachable upstream is an error response naming the profile", raw_dead_upstream(config, env, log_path), log_path)
        await step("stdio: a 401 from the upstream is an error response with its status and body", raw_wrong_secret(config, env, log_path), log_path)

        async def no_secret_in_output():
            log = open(log_path).read()
            for secret in list(secrets.values()) + ["not-the-right-secret-000"]:
                assert secret not in log
            assert '"event":"stdio_started"' in log
        await step("stdio: the bridge's stderr never shows a secret", no_secret_in_output(), log_path)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"stdio interop: {passed} passed, {failed} failed")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
