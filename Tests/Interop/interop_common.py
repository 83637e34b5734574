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
