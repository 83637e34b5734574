"""What both interop scripts share: the binary under test, free ports, and how a step reports."""
import asyncio, os, socket, time, traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("MCP_AUTH_PROXY_BINARY", os.path.join(ROOT, ".build", "debug", "mcp-auth-proxy"))
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def server_name(info):
    """InitializeResult's server name: `serverInfo` in SDK 1.x, `server_info` in 2.x."""
    return (getattr(info, "serverInfo", None) or info.server_info).name


async def run_step(results, name, coro, timeout, log_title, log_text):
    """Runs one named step: `ok` or `FAIL` with the error, its traceback and the log under test."""
    try:
        await asyncio.wait_for(coro, timeout=timeout)
        results.append((name, True))
        print(f"ok    {name}")
    except BaseException as error:  # noqa: BLE001 - report every failure the same way
        results.append((name, False))
        print(f"FAIL  {name}: {error!r}")
        traceback.print_exc()
        print(f"----- {log_title} -----\n" + log_text() + "-" * (len(log_title) + 12))


async def echo_over_bridge(config, profile, errlog_path, env=None):
    """The SDK's stdio client through `mcp-auth-proxy stdio --profile PROFILE`: initialize and
    one `echo` call, the bridge's stderr kept in `errlog_path`."""
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    params = StdioServerParameters(command=BINARY, args=["stdio", "--config", config, "--profile", profile], env=env)
    with open(errlog_path, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("echo", {"text": "over stdio"})
                assert result.content[0].text == "over stdio", result


async def check_tool_policy(session):
    """Through a profile with `tools: {deny: ["delete_*"]}`: the listed tools lack delete_note,
    calling it anyway is a JSON-RPC error naming the policy, and the session carries on."""
    tools = await session.list_tools()
    names = {tool.name for tool in tools.tools}
    assert {"echo", "big"} <= names and "delete_note" not in names, names
    try:
        result = await session.call_tool("delete_note", {"title": "x"})
    except Exception as error:  # noqa: BLE001 - McpError in SDK 1.x, MCPError in 2.x
        assert "not allowed by the tool policy" in str(error), repr(error)
    else:
        raise AssertionError(f"the refused tool answered: {result}")
    echoed = await session.call_tool("echo", {"text": "after the refusal"})
    assert echoed.content[0].text == "after the refusal", echoed


async def run_steps(label, steps, log_title, log_text):
    """Runs (name, coroutine function, timeout) steps in order, prints the tally, and returns
    whether all passed."""
    results = []
    for name, step, timeout in steps:
        await run_step(results, name, step(), timeout, log_title, log_text)
    failed = [name for name, ok in results if not ok]
    print(f"{len(results) - len(failed)}/{len(results)} {label} steps passed")
    return not failed
