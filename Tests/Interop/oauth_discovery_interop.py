"""OAuth discovery and registration, case by case, against the MCP Python SDK's authorization
server (oauth_server.py) varied the way real servers differ: the conformance suite's client auth
scenarios, written as tests against real parts. Each case logs in with `mcp-auth-proxy login`
(following the authorization URL as a browser would) and checks what was asked for and stored."""
import asyncio, json, os, subprocess, sys, tempfile

import httpx

from interop_common import BINARY, free_port, run_steps, wait_port
from oauth_interop import login, post_call, start_server, write_profile

DIRECTORY = tempfile.mkdtemp(prefix="oauth-discovery-")
LOG = []


def stored(name):
    return json.load(open(os.path.join(DIRECTORY, "state", f"{name}.json")))


def logged_in(name, *server_args, extra_oauth=""):
    server, as_port, rs_port = start_server(*server_args)
    try:
        config = write_profile(DIRECTORY, name, rs_port, free_port())
        if extra_oauth:
            with open(config, "a") as file:
                file.write("".join(f"      {line}\n" for line in extra_oauth.strip().split("\n")))
        code, output = login(config)
        LOG.append(output)
        assert code == 0, output
        return stored(name), as_port, rs_port
    finally:
        server.terminate()


async def main():
    async def metadata_variants():
        # An issuer with a path: its metadata at each of the three places the specification lists.
        for place in ["oauth", "oidc", "oidc-suffix"]:
            contents, as_port, _ = logged_in(f"variant-{place}", "--issuer-path", "/tenant1", "--metadata-at", place)
            assert contents["servers"][0]["issuer"] == f"http://127.0.0.1:{as_port}/tenant1", contents["servers"]
            assert contents["tokens"][0]["issuer"] == f"http://127.0.0.1:{as_port}/tenant1"
        # A root issuer: RFC 8414's place is the default case; OpenID Connect's is the second.
        contents, as_port, _ = logged_in("variant-root-oidc", "--metadata-at", "oidc")
        assert contents["servers"][0]["issuer"] == f"http://127.0.0.1:{as_port}/", contents["servers"]

    async def resource_metadata_without_the_challenge():
        # No resource_metadata in the challenge: the well-known URL at the path, else at the root.
        for place in ["path-only", "root"]:
            contents, _, rs_port = logged_in(f"prm-{place}", "--prm-at", place)
            assert contents["tokens"][0]["resource"] == f"http://127.0.0.1:{rs_port}/mcp", contents["tokens"][0]

    async def scope_from_the_challenge_then_scopes_supported():
        with_challenge, _, _ = logged_in("scope-challenge", "--challenge-scope", "mcp:tools mcp:extra")
        assert with_challenge["tokens"][0]["scope"] == "mcp:tools mcp:extra", with_challenge["tokens"][0]
        without, _, _ = logged_in("scope-supported")
        assert without["tokens"][0]["scope"] == "mcp:tools", without["tokens"][0]

    async def preregistered_client():
        port = free_port()
        os.environ["OAUTH_TEST_CLIENT_SECRET"] = "preregistered-secret-0123456789"
        contents, _, _ = logged_in("prereg", "--preregistered", f"hand-made:preregistered-secret-0123456789:{port}",
                                   extra_oauth=f"client_id: hand-made\nclient_secret_env: OAUTH_TEST_CLIENT_SECRET\nredirect_port: {port}")
        assert contents["tokens"][0]["client_id"] == "hand-made", contents["tokens"][0]
        assert all(r["client_id"] == "hand-made" for r in contents["registrations"])

    async def client_id_metadata_document():
        """The document `oauth client-metadata` prints, hosted at `client_metadata_url`: a server
        that supports CIMD fetches it, and the proxy logs in with that URL as its client_id."""
        import http.server, threading
        document_port, redirect_port = free_port(), free_port()
        url = f"http://127.0.0.1:{document_port}/mcp-client.json"
        server, _, rs_port = start_server("--cimd")
        config = write_profile(DIRECTORY, "cimd", rs_port, free_port())
        with open(config, "a") as file:
            file.write(f"      client_metadata_url: {url}\n      redirect_port: {redirect_port}\n")
        printed = subprocess.run([BINARY, "oauth", "client-metadata", "--config", config], capture_output=True, text=True)
        assert printed.returncode == 0, printed.stderr
        document = json.loads(printed.stdout)
        assert document["client_id"] == url and document["redirect_uris"] == [f"http://127.0.0.1:{redirect_port}/callback"], document

        class Document(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = printed.stdout.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        host = http.server.ThreadingHTTPServer(("127.0.0.1", document_port), Document)
        threading.Thread(target=host.serve_forever, daemon=True).start()
        try:
            code, output = login(config)
            assert code == 0, output
            contents = stored("cimd")
            assert contents["tokens"][0]["client_id"] == url, contents["tokens"][0]
            assert httpx.get(f"http://127.0.0.1:{server.as_port}/test/stats").json().get("cimd_fetches") == 1
        finally:
            host.shutdown()
            server.terminate()

    async def authorization_server_change_registers_anew():
        rs_port = free_port()
        name = "moved"
        first, first_as, _ = logged_in(name, "--rs-port-fixed", str(rs_port))
        second, second_as, _ = logged_in(name, "--rs-port-fixed", str(rs_port))
        issuers = sorted(r["issuer"] for r in second["registrations"])
        assert issuers == sorted([f"http://127.0.0.1:{first_as}/", f"http://127.0.0.1:{second_as}/"]), issuers
        assert second["tokens"][0]["issuer"] == f"http://127.0.0.1:{second_as}/"
        assert len(second["tokens"]) == 1, "the old server's token is replaced, not kept beside"

    async def client_credentials_without_login():
        """A confidential client against authlib's authorization server: no login, 5-second tokens
        fetched again under wrk load, zero failed requests."""
        server, _, rs_port = start_server("--client-credentials", "robot:robot-secret-0123456789")
        listen_port = free_port()
        config = write_profile(DIRECTORY, "robot", rs_port, listen_port)
        with open(config, "a") as file:
            file.write(f"      grant: client_credentials\n      client_id: robot\n      client_secret_env: ROBOT_SECRET\n"
                       f"      issuer: http://127.0.0.1:{server.client_credentials_port}\n")
        log_path = os.path.join(DIRECTORY, "robot.log")
        proxy = subprocess.Popen([BINARY, "--config", config], stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                                 env=dict(os.environ, ROBOT_SECRET="robot-secret-0123456789"))
        try:
            wait_port(listen_port)
            first = post_call(listen_port)
            assert first.status_code == 200 and "client=robot" in first.text, first.text
            script = os.path.join(DIRECTORY, "robot.lua")
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}})
            with open(script, "w") as file:
                file.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                           'wrk.headers["Accept"] = "application/json, text/event-stream"\n' f"wrk.body = {json.dumps(body)}\n")
            run = subprocess.run(["wrk", "-t2", "-c8", "-d8s", "-s", script, f"http://127.0.0.1:{listen_port}/mcp"],
                                 capture_output=True, text=True, timeout=60)
            print(run.stdout)
            assert "Non-2xx" not in run.stdout and "Socket errors" not in run.stdout, run.stdout
            issued = httpx.get(f"http://127.0.0.1:{server.as_port}/test/stats").json().get("client_credentials", 0)
            assert issued >= 3, f"8 s of 5-second tokens should have taken at least 3, took {issued}"
        finally:
            proxy.terminate()
            server.terminate()

    async def device_login():
        """`login --device` (RFC 8628) against authlib's device authorization: the code is shown,
        polling waits while it is pending, and the approved token serves a listener."""
        server, _, rs_port = start_server("--client-credentials", "robot:robot-secret-0123456789")
        listen_port = free_port()
        config = write_profile(DIRECTORY, "device", rs_port, listen_port)
        with open(config, "a") as file:
            file.write(f"      client_id: device-client\n      issuer: http://127.0.0.1:{server.client_credentials_port}\n")
        try:
            process = subprocess.Popen([BINARY, "login", "--config", config, "--device"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            lines = []
            for line in process.stderr:
                lines.append(line.strip())
                if line.startswith("Waiting"):
                    break
            code = lines[lines.index("and enter the code") + 2]
            assert code and any("/device" in line for line in lines), lines
            await asyncio.sleep(2.5)  # a few polls answered authorization_pending
            assert process.poll() is None, "login gave up while the code was pending"
            httpx.get(f"http://127.0.0.1:{server.client_credentials_port}/device/approve", params={"user_code": code})
            out, err = process.communicate(timeout=30)
            assert process.returncode == 0 and "Signed in: profile device" in out, out + err
            proxy = subprocess.Popen([BINARY, "--config", config], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_port(listen_port)
                answer = post_call(listen_port)
                assert answer.status_code == 200 and "client=device-client" in answer.text, answer.text
            finally:
                proxy.terminate()
        finally:
            server.terminate()

    async def step_up_on_403():
        server, as_port, rs_port = start_server("--admin-tool")
        listen_port = free_port()
        config = write_profile(DIRECTORY, "stepup", rs_port, listen_port)
        log_path = os.path.join(DIRECTORY, "stepup.log")
        proxy = subprocess.Popen([BINARY, "--config", config], stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
        try:
            wait_port(listen_port)
            code, output = login(config)
            assert code == 0, output
            call = lambda: httpx.post(f"http://127.0.0.1:{listen_port}/mcp", headers={"accept": "application/json, text/event-stream"},
                                      json={"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "admin_tool", "arguments": {}}}, timeout=10)
            for _ in range(100):
                refused = call()
                if refused.status_code != 503:
                    break
                await asyncio.sleep(0.1)
            assert refused.status_code == 403 and "www-authenticate" not in refused.headers, refused
            fix = 'mcp-auth-proxy login --profile stepup --scope \\"mcp:tools mcp:admin\\"'
            for _ in range(100):
                if fix in open(log_path).read():
                    break
                await asyncio.sleep(0.05)
            assert fix in open(log_path).read(), open(log_path).read()
            # What the log says to run, run: the new token carries the scope.
            process = subprocess.Popen([BINARY, "login", "--config", config, "--no-browser", "--scope", "mcp:tools mcp:admin"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            url = None
            for line in process.stderr:
                if "/authorize?" in line:
                    url = line.strip()
                    break
            assert url and "scope=mcp%3Atools+mcp%3Aadmin" in url.replace("%20", "+"), url
            redirect = httpx.get(url, follow_redirects=False)
            httpx.get(redirect.headers["location"])
            assert process.wait(timeout=30) == 0
            for _ in range(100):
                allowed = call()
                if allowed.status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert allowed.status_code == 200 and "admin ok" in allowed.text, allowed.text
        finally:
            proxy.terminate()
            server.terminate()

    passed = await run_steps("OAuth discovery", [
        ("oauth discovery: authorization server metadata under each URL variant (issuers with and without a path)", metadata_variants, 120),
        ("oauth discovery: no resource_metadata in the challenge: protected-resource metadata at the path, else the root", resource_metadata_without_the_challenge, 60),
        ("oauth discovery: scope from the challenge, else scopes_supported", scope_from_the_challenge_then_scopes_supported, 60),
        ("oauth registration: a pre-registered confidential client", preregistered_client, 40),
        ("oauth registration: a client ID metadata document the server fetches", client_id_metadata_document, 40),
        ("oauth registration: a changed authorization server means a new registration", authorization_server_change_registers_anew, 60),
        ("oauth: step-up after 403 insufficient_scope with login --scope", step_up_on_403, 60),
        ("oauth: client credentials (authlib), no login, 5-second tokens under wrk, zero failed", client_credentials_without_login, 60),
        ("oauth: login --device (RFC 8628, authlib): pending, approved, then serving", device_login, 60),
    ], "login output", lambda: "\n".join(LOG[-2:]))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    asyncio.run(main())
