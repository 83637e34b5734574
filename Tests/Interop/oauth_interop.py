"""OAuth 2.1 toward the upstream, end to end: the official MCP Python SDK's authorization server
and an SDK resource server (oauth_server.py), `mcp-auth-proxy login` driven by following the
authorization URL as a browser would, the SDK's HTTP client through a listener and its stdio
client through two bridges sharing one token file, tokens that live 5 seconds under wrk load,
a revoked refresh token, the RFC 9207 `iss` cases, a resource mismatch, and logout."""
import asyncio, json, os, re, stat, subprocess, sys, tempfile, threading, time

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from interop_common import BINARY, HERE, free_port, run_steps, wait_port

PYTHON = sys.executable
LOGS = []


def start_server(*extra, lifetime=5):
    as_port, rs_port = free_port(), free_port()
    if "--rs-port-fixed" in extra:
        index = extra.index("--rs-port-fixed")
        rs_port = int(extra[index + 1])
        extra = extra[:index] + extra[index + 2:]
    process = subprocess.Popen([PYTHON, os.path.join(HERE, "oauth_server.py"), "--as-port", str(as_port), "--rs-port", str(rs_port),
                                "--token-lifetime", str(lifetime), *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("READY"):
            # Keep draining its output so that the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            process.as_port = as_port
            words = line.split()
            if len(words) > 3:
                process.client_credentials_port = int(words[3])
            return process, as_port, rs_port
    raise AssertionError("the OAuth test server did not start: " + "".join(seen))


def write_profile(directory, name, rs_port, listen_port):
    path = os.path.join(directory, f"{name}.yaml")
    with open(path, "w") as file:
        file.write(f"""profiles:
  {name}:
    upstream_url: http://127.0.0.1:{rs_port}/mcp
    auth_scheme: oauth
    listen_port: {listen_port}
    oauth:
      token_file: {directory}/state/{name}.json
""")
    return path


def login(config, expect_success=True):
    """Runs `login --no-browser`, follows the printed URL like a browser, returns (exit code, output)."""
    process = subprocess.Popen([BINARY, "login", "--config", config, "--no-browser", "--timeout", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = None
    for line in process.stderr:
        match = re.search(r"(http://127\.0\.0\.1:\d+/\S*authorize\?\S+)", line)
        if match:
            url = match.group(1)
            break
    assert url, "login printed no authorization URL"
    redirect = httpx.get(url, follow_redirects=False)
    assert redirect.status_code == 302, redirect
    callback = httpx.get(redirect.headers["location"])
    assert callback.status_code == 200, callback
    out, err = process.communicate(timeout=30)
    return process.returncode, out + err


def post_call(port):
    return httpx.post(f"http://127.0.0.1:{port}/mcp", headers={"accept": "application/json, text/event-stream"},
                      json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}, timeout=10)


async def main():
    directory = tempfile.mkdtemp(prefix="oauth-interop-")
    server, as_port, rs_port = start_server()
    listen_port = free_port()
    config = write_profile(directory, "demo", rs_port, listen_port)
    log_path = os.path.join(directory, "proxy.log")
    proxy = subprocess.Popen([BINARY, "--config", config], stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    wait_port(listen_port)
    proxy_log = lambda: open(log_path).read()

    async def before_login():
        response = post_call(listen_port)
        assert response.status_code == 503, response
        assert "www-authenticate" not in response.headers, response.headers
        message = response.json()["error"]["message"]
        assert "mcp-auth-proxy login --profile demo" in message, message
        check = subprocess.run([BINARY, "check", "--config", config], capture_output=True, text=True)
        assert "login needed" in check.stdout, check.stdout

    async def login_by_following_the_url():
        code, output = login(config)
        assert code == 0, output
        assert "Signed in: profile demo" in output, output
        state = os.path.join(directory, "state")
        assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.join(state, "demo.json")).st_mode) == 0o600
        stored = json.load(open(os.path.join(state, "demo.json")))
        assert stored["tokens"][0]["resource"] == f"http://127.0.0.1:{rs_port}/mcp", stored["tokens"][0]["resource"]
        # The running listener picks the token up from the file.
        for _ in range(100):
            if post_call(listen_port).status_code == 200:
                break
            await asyncio.sleep(0.1)
        check = subprocess.run([BINARY, "check", "--config", config], capture_output=True, text=True)
        assert "valid until" in check.stdout and stored["tokens"][0]["access_token"] not in check.stdout + check.stderr, check.stdout
        assert f"issuer http://127.0.0.1:{as_port}/, client " in check.stdout and "(registered dynamically), scopes mcp:tools" in check.stdout, check.stdout

    async def sdk_client_through_the_listener():
        async with streamablehttp_client(f"http://127.0.0.1:{listen_port}/mcp") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("whoami", {})
                assert result.content[0].text.startswith("client=") and "mcp:tools" in result.content[0].text, result

    async def sdk2_client_through_listener_and_bridge():
        """The SDK 2.x client (its own venv, named by MCP_SDK2_PYTHON) through the same profile."""
        sdk2 = os.environ.get("MCP_SDK2_PYTHON")
        assert sdk2 and os.path.exists(sdk2), "MCP_SDK2_PYTHON names no SDK 2.x interpreter (Tests/Interop/run sets it)"
        script = os.path.join(HERE, "oauth_sdk2_client.py")
        for target in [[f"http://127.0.0.1:{listen_port}/mcp"], ["--stdio", BINARY, "stdio", "--config", config]]:
            run = subprocess.run([sdk2, script, *target], capture_output=True, text=True, timeout=60)
            assert run.returncode == 0, run.stdout + run.stderr
            assert run.stdout.count("client=") == 2 and "mcp:tools" in run.stdout, run.stdout

    async def expiry_under_load():
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}})
        script = os.path.join(directory, "post.lua")
        with open(script, "w") as file:
            file.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                       'wrk.headers["Accept"] = "application/json, text/event-stream"\n'
                       f"wrk.body = {json.dumps(body)}\n")
        before = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        run = subprocess.run(["wrk", "-t2", "-c8", "-d9s", "-s", script, f"http://127.0.0.1:{listen_port}/mcp"],
                             capture_output=True, text=True, timeout=60)
        after = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        print(run.stdout)
        assert "Non-2xx" not in run.stdout and "Socket errors" not in run.stdout, run.stdout
        requests = int(re.search(r"(\d+) requests in", run.stdout).group(1))
        assert requests > 100, run.stdout
        # 9 s of 5-second tokens: at least two refreshes, none refused.
        assert after["refresh_token"] - before["refresh_token"] >= 2, (before, after)
        assert after["refresh_rejected"] == before["refresh_rejected"], (before, after)

    async def revoked_access_token_under_load():
        """The server stops accepting the access token mid-load: each refused request waits for the
        refresh and goes once more, so wrk sees no failure at all."""
        script = os.path.join(directory, "post.lua")
        before = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        load = subprocess.Popen(["wrk", "-t2", "-c8", "-d6s", "-s", script, f"http://127.0.0.1:{listen_port}/mcp"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        await asyncio.sleep(2)
        revoked = httpx.post(f"http://127.0.0.1:{as_port}/test/revoke-access-tokens").json()
        out, _ = load.communicate(timeout=60)
        after = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        print(out)
        assert revoked["revoked"] >= 1, revoked
        assert "Non-2xx" not in out and "Socket errors" not in out, out
        assert after["refresh_token"] > before["refresh_token"], (before, after)
        await asyncio.sleep(0.2)  # the log is written in batches
        assert "oauth_token_rejected" in proxy_log(), "the refusal was not what renewed the token"

    async def bridge_resends_after_revocation():
        """The stdio bridge does as the listener: a call refused with 401 goes again with a fresh token."""
        params = StdioServerParameters(command=BINARY, args=["stdio", "--config", config], env=dict(os.environ))
        with open(os.path.join(directory, "bridge-revoked.log"), "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    before = await session.call_tool("whoami", {})
                    assert not before.isError, before
                    revoked = httpx.post(f"http://127.0.0.1:{as_port}/test/revoke-access-tokens").json()
                    assert revoked["revoked"] >= 1, revoked
                    after = await session.call_tool("whoami", {})
                    assert not after.isError and after.content[0].text.startswith("client="), after

    async def bridges_and_listener_share_one_store():
        env = dict(os.environ)
        params = StdioServerParameters(command=BINARY, args=["stdio", "--config", config], env=env)

        async def bridge(errlog):
            calls = 0
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    deadline = time.time() + 8
                    while time.time() < deadline:
                        result = await session.call_tool("whoami", {})
                        assert not result.isError and result.content[0].text.startswith("client="), result
                        assert post_call(listen_port).status_code == 200
                        calls += 1
                        await asyncio.sleep(0.2)
            return calls

        before = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        with open(os.path.join(directory, "bridge1.log"), "w") as one, open(os.path.join(directory, "bridge2.log"), "w") as two:
            counts = await asyncio.gather(bridge(one), bridge(two))
        after = httpx.get(f"http://127.0.0.1:{as_port}/test/stats").json()
        assert all(count > 10 for count in counts), counts
        # Three processes, rotating refresh tokens: nobody logged anybody out.
        assert after["refresh_rejected"] == before["refresh_rejected"], (before, after)

    async def revoked_refresh_token():
        httpx.post(f"http://127.0.0.1:{as_port}/test/revoke-refresh-tokens")
        message = None
        for _ in range(100):
            response = post_call(listen_port)
            if response.status_code == 503:
                message = response.json()["error"]["message"]
                break
            await asyncio.sleep(0.1)
        assert message and "mcp-auth-proxy login --profile demo" in message, message
        for _ in range(50):  # the log is written in batches
            if "oauth_token_unavailable" in proxy_log():
                break
            await asyncio.sleep(0.05)
        assert "oauth_token_unavailable" in proxy_log(), proxy_log()[-3000:]
        check = subprocess.run([BINARY, "check", "--config", config], capture_output=True, text=True)
        assert "login needed" in check.stdout, check.stdout
        # Logging in again brings the listener back without a restart.
        code, output = login(config)
        assert code == 0, output
        for _ in range(100):
            if post_call(listen_port).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert post_call(listen_port).status_code == 200

    async def logout():
        out = subprocess.run([BINARY, "logout", "--config", config], capture_output=True, text=True)
        # The SDK's revocation endpoint (1.30) requires a client_secret field even from a public
        # client, so a dynamically registered proxy's revocation is refused there; the tokens are
        # forgotten all the same, and the message says which happened.
        assert out.returncode == 0 and "logged out" in out.stdout and "/revoke" in out.stdout, out.stdout + out.stderr
        stored = json.load(open(os.path.join(directory, "state", "demo.json")))
        assert stored["tokens"] == [], stored

    async def issuer_parameter_cases():
        for mode, succeeds in [("absent", True), ("wrong", False)]:
            other, _, other_rs = start_server("--iss", mode)
            try:
                other_config = write_profile(directory, f"iss-{mode}", other_rs, free_port())
                code, output = login(other_config)
                if succeeds:
                    assert code == 0, output
                else:
                    assert code != 0 and "RFC 9207" in output, output
            finally:
                other.terminate()

    async def resource_mismatch_refused():
        other, _, other_rs = start_server("--resource-path", "/elsewhere")
        try:
            other_config = write_profile(directory, "mismatch", other_rs, free_port())
            process = subprocess.run([BINARY, "login", "--config", other_config, "--no-browser", "--timeout", "5"],
                                     capture_output=True, text=True, timeout=30)
            assert process.returncode != 0 and "refusing to get a token for another server" in process.stdout + process.stderr, process.stderr
        finally:
            other.terminate()

    try:
        passed = await run_steps("OAuth interop", [
            ("oauth: before login, a 503 naming the login command", before_login, 20),
            ("oauth: login by following the authorization URL", login_by_following_the_url, 40),
            ("oauth: SDK client through the listener", sdk_client_through_the_listener, 20),
            ("oauth: SDK 2.x client through the listener and the bridge", sdk2_client_through_listener_and_bridge, 120),
            ("oauth: 5-second tokens under wrk, zero failed requests", expiry_under_load, 60),
            ("oauth: access tokens revoked under wrk: refused requests go again, zero failed", revoked_access_token_under_load, 60),
            ("oauth: bridge: a call refused after revocation goes again with a fresh token", bridge_resends_after_revocation, 60),
            ("oauth: two bridges and a listener share one token file", bridges_and_listener_share_one_store, 60),
            ("oauth: a revoked refresh token, then a new login", revoked_refresh_token, 60),
            ("oauth: logout revokes and forgets", logout, 20),
            ("oauth: iss absent accepted, wrong refused (RFC 9207)", issuer_parameter_cases, 60),
            ("oauth: a protected resource naming another resource is refused", resource_mismatch_refused, 30),
        ], "proxy log", proxy_log)
    finally:
        proxy.terminate()
        server.terminate()
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    asyncio.run(main())
