"""Inbound OAuth (`client_auth: oauth`) end to end: a team identity provider over HTTPS
(idp_server.py: the MCP SDK's authorization server issuing JWTs that joserfc signs, and their
JWKS), a signed upstream that refuses any request still carrying a client's token, and the
proxy as the resource server between them. Tokens for each rule come from joserfc; the SDK
clients (both lines) sign in on their own; 1,000 distinct tokens go through under wrk."""
import asyncio, json, os, re, signal, subprocess, sys, tempfile, threading, time

import httpx

from interop_common import BINARY, HERE, free_port, run_steps, wait_port

PYTHON = sys.executable
SDK2_PYTHON = os.environ.get("MCP_SDK2_PYTHON")
DIR = tempfile.mkdtemp(prefix="client-oauth-")
CERT, KEY = os.path.join(DIR, "idp.pem"), os.path.join(DIR, "idp.key")
LOGS = []


def spawn(args, ready, env=None):
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen = []
    for line in process.stdout:
        seen.append(line)
        if ready(line):
            threading.Thread(target=lambda: [LOGS.append(l) for l in process.stdout], daemon=True).start()
            return process
    raise AssertionError("did not start: " + "".join(seen))


class Proxy:
    """The binary with one `client_auth: oauth` profile in front of the signed upstream."""

    def __init__(self, name, idp_port, upstream_port, authlib_port, exchange_upstream_port, required="[mcp]", jwks_refresh="5m"):
        self.jwks_refresh = jwks_refresh
        self.port, self.admin, self.onbehalf_port = free_port(), free_port(), free_port()
        self.config = os.path.join(DIR, f"{name}.yaml")
        self.idp_port, self.upstream_port = idp_port, upstream_port
        self.authlib_port, self.exchange_upstream_port = authlib_port, exchange_upstream_port
        self.write(required)
        env = dict(os.environ, TEAM_SECRET="team-secret-0123456789", INTROSPECT_SECRET="introspect-secret", GATEWAY_SECRET="gateway-secret")
        self.log = open(os.path.join(DIR, f"{name}.log"), "w+")
        self.process = subprocess.Popen([BINARY, "run", "--config", self.config], stderr=self.log, env=env)
        wait_port(self.port)
        self.url = f"http://127.0.0.1:{self.port}/mcp"

    def write(self, required):
        with open(self.config, "w") as file:
            file.write(f"""admin:
  listen_port: {self.admin}
profiles:
  team:
    upstream_url: http://127.0.0.1:{self.upstream_port}/mcp
    key_id: team-key-1
    secret_env: TEAM_SECRET
    listen_port: {self.port}
    ca_file: {CERT}
    client_auth: oauth
    client_oauth:
      issuer: https://localhost:{self.idp_port}
      audience: http://127.0.0.1:{self.port}/mcp
      required_scopes: {required}
      client_name_claim: preferred_username
      jwks_refresh: {self.jwks_refresh}
      introspection_client_id: introspector
      introspection_client_secret_env: INTROSPECT_SECRET
      introspection_endpoint: http://127.0.0.1:{self.authlib_port}/introspect
    tools:
      deny: ["*delete*"]
      by_scope:
        "mcp:admin": {{allow: ["*"], deny: []}}
        "mcp:read": {{allow: ["echo"]}}
  onbehalf:
    upstream_url: http://127.0.0.1:{self.exchange_upstream_port}/mcp
    auth_scheme: oauth
    listen_port: {self.onbehalf_port}
    ca_file: {CERT}
    client_auth: oauth
    client_oauth:
      issuer: https://localhost:{self.idp_port}
      audience: http://127.0.0.1:{self.onbehalf_port}/mcp
    oauth:
      grant: token_exchange
      client_id: gateway
      client_secret_env: GATEWAY_SECRET
      issuer: http://127.0.0.1:{self.authlib_port}
""")

    def reload(self, required):
        self.write(required)
        before = self.text().count("reload")
        self.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and self.text().count("reload") == before:
            time.sleep(0.05)

    def text(self):
        self.log.flush()
        with open(self.log.name) as file:
            return file.read()

    def stop(self):
        self.process.terminate()
        self.process.wait(10)


async def main():
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY, "-out", CERT, "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    idp_port, upstream_port, authlib_port, exchange_upstream_port = free_port(), free_port(), free_port(), free_port()
    idp = spawn([PYTHON, os.path.join(HERE, "idp_server.py"), "--port", str(idp_port), "--cert", CERT, "--key", KEY,
                 "--authlib-port", str(authlib_port), "--upstream-port", str(exchange_upstream_port)],
                lambda line: line.startswith("READY"))
    upstream = subprocess.Popen([PYTHON, os.path.join(HERE, "signed_server.py"), "--port", str(upstream_port), "--key-id", "team-key-1",
                                 "--secret", "team-secret-0123456789", "--stateless", "--refuse-authorization"])
    wait_port(upstream_port)
    idp_http = httpx.AsyncClient(base_url=f"https://localhost:{idp_port}", verify=CERT, timeout=30)
    proxy = Proxy("team", idp_port, upstream_port, authlib_port, exchange_upstream_port)
    client = httpx.AsyncClient(timeout=30)
    issuer = f"https://localhost:{idp_port}"
    processes = [idp, upstream, proxy.process]

    def claims(**changes):
        now = int(time.time())
        base = {"iss": issuer, "aud": proxy.url, "sub": "u-1", "preferred_username": "ada", "scope": "mcp", "iat": now, "exp": now + 300}
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    async def mint(**body):
        response = await idp_http.post("/test/mint", json=body)
        response.raise_for_status()
        return response.json()["token"]

    async def call(token, method="tools/list", params=None, url=None):
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        return await client.post(url or proxy.url, headers=headers, json=body)

    def tool_names(response):
        assert response.status_code == 200, (response.status_code, response.text)
        return sorted(tool["name"] for tool in response.json()["result"]["tools"])

    async def metadata_and_challenges():
        for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]:
            response = await client.get(f"http://127.0.0.1:{proxy.port}{path}")
            assert response.status_code == 200, (path, response.status_code)
            assert response.json() == {"resource": proxy.url, "authorization_servers": [issuer], "scopes_supported": ["mcp"],
                                       "bearer_methods_supported": ["header"]}, response.json()
        assert (await client.get(f"http://127.0.0.1:{proxy.port}/.well-known/oauth-authorization-server")).status_code == 404
        response = await call(None)
        assert response.status_code == 401, response.status_code
        expected = f'Bearer resource_metadata="http://127.0.0.1:{proxy.port}/.well-known/oauth-protected-resource/mcp", scope="mcp"'
        assert response.headers["www-authenticate"] == expected, response.headers["www-authenticate"]
        assert response.json()["error"]["code"] == -32600, response.text

    async def valid_tokens_reach_the_signed_upstream():
        for key in ["rsa-1", "ec-1"]:
            names = tool_names(await call(await mint(key=key, claims=claims())))
            assert "echo" in names and "delete_note" not in names, names
        # The second use of a token is a cache hit; the upstream refuses any Authorization it sees.
        token = await mint(claims=claims())
        for _ in range(3):
            tool_names(await call(token))

    async def each_rule_refuses_its_token():
        now = int(time.time())
        cases = {
            "expired": dict(claims=claims(exp=now - 120)),
            "not yet valid": dict(claims=claims(nbf=now + 600)),
            "wrong iss": dict(claims=claims(iss="https://idp.example.org")),
            "wrong aud": dict(claims=claims(aud="http://127.0.0.1:1/mcp")),
            "alg none": dict(claims=claims(), header={"alg": "none"}, forge="none"),
            "HS256 with the public key": dict(claims=claims(), header={"alg": "HS256"}, forge="hs256-public-key"),
        }
        for name, body in cases.items():
            response = await call(await mint(**body))
            assert response.status_code == 401, (name, response.status_code, response.text)
            assert 'error="invalid_token"' in response.headers["www-authenticate"], (name, response.headers)
        response = await call(await mint(claims=claims(scope="mcp:read")))
        assert response.status_code == 403, response.status_code
        assert 'error="insufficient_scope"' in response.headers["www-authenticate"], response.headers
        problems = ["expired", "not yet valid", "iss is not", "aud does not contain", "is not accepted", "lacks a required scope"]
        deadline = time.time() + 5  # the log is written off the event loop
        while not all(problem in proxy.text() for problem in problems) and time.time() < deadline:
            await asyncio.sleep(0.1)
        for problem in problems:
            assert problem in proxy.text(), (problem, proxy.text()[-3000:])

    async def scopes_decide_the_tools():
        reader = await mint(claims=claims(scope="mcp mcp:read"))
        assert tool_names(await call(reader)) == ["echo"]
        refused = await call(reader, "tools/call", {"name": "big", "arguments": {"kib": 1}})
        assert "not allowed by the tool policy" in refused.text, refused.text
        admin = await mint(claims=claims(scope="mcp mcp:admin"))
        names = tool_names(await call(admin))
        assert "big" in names and "delete_note" not in names, names
        refused = await call(admin, "tools/call", {"name": "delete_note", "arguments": {"title": "x"}})
        assert "not allowed by the tool policy" in refused.text, refused.text
        plain = await mint(claims=claims())
        assert tool_names(await call(plain)) == names

    async def unknown_kid_waits_for_the_rotated_key():
        await idp_http.post("/test/keys", json={"kid": "rsa-2", "publish": True, "sign": True})
        token = await mint(key="rsa-2", claims=claims())
        fetches = (await idp_http.get("/test/stats")).json()["jwks_fetches"]
        # The request waits for the refetch its unknown kid starts, and goes through.
        tool_names(await call(token))
        # Another unknown kid within 30 s asks for no fetch.
        await idp_http.post("/test/keys", json={"kid": "ghost", "publish": False})
        after = (await idp_http.get("/test/stats")).json()["jwks_fetches"]
        assert (await call(await mint(key="ghost", claims=claims()))).status_code == 401
        await asyncio.sleep(0.5)
        assert (await idp_http.get("/test/stats")).json()["jwks_fetches"] == after == fetches + 1, (fetches, after)

    async def jwks_down_at_start_and_mid_run():
        await idp_http.post("/test/jwks", json={"down": True})
        late = Proxy("late", idp_port, upstream_port, authlib_port, exchange_upstream_port, jwks_refresh="1s")
        processes.append(late.process)
        try:
            token = await mint(claims=claims(aud=late.url))
            assert (await call(token, url=late.url)).status_code == 401
            ready = (await client.get(f"http://127.0.0.1:{late.admin}/readyz")).json()
            assert "team" in ready.get("client_keys", {}), ready
            metrics = (await client.get(f"http://127.0.0.1:{late.admin}/metrics")).text
            assert re.search(r'client_keys_fetches_total\{profile="team",result="error"\} [1-9]', metrics), metrics[-2000:]
            await idp_http.post("/test/jwks", json={"down": False})
            deadline = time.time() + 20
            while (await call(token, url=late.url)).status_code != 200:
                assert time.time() < deadline, "keys never fetched after the provider came back"
                await asyncio.sleep(0.25)
            assert "team" not in (await client.get(f"http://127.0.0.1:{late.admin}/readyz")).json().get("client_keys", {})
            # Mid-run: the provider goes away again (jwks_refresh: 1s notices); the last good set stays.
            await idp_http.post("/test/jwks", json={"down": True})
            deadline = time.time() + 10
            while "team" not in (await client.get(f"http://127.0.0.1:{late.admin}/readyz")).json().get("client_keys", {}):
                assert time.time() < deadline, "/readyz never said the keys were failing"
                await asyncio.sleep(0.1)
            fresh = await mint(key="rsa-1", claims=claims(aud=late.url, preferred_username="grace"))
            tool_names(await call(fresh, url=late.url))
        finally:
            await idp_http.post("/test/jwks", json={"down": False})
            late.stop()

    async def opaque_tokens_are_introspected_once():
        token = (await idp_http.post("/test/opaque", json={"claims": claims(preferred_username="opal")})).json()["token"]
        before = (await idp_http.get("/test/stats")).json().get("introspections", 0)
        for _ in range(3):
            names = tool_names(await call(token))
            assert "echo" in names and "delete_note" not in names, names
        assert (await idp_http.get("/test/stats")).json()["introspections"] == before + 1
        unknown = await call("not-a-token-this-provider-issued")
        assert unknown.status_code == 401 and 'error="invalid_token"' in unknown.headers["www-authenticate"], unknown.headers
        other = (await idp_http.post("/test/opaque", json={"claims": claims(aud="http://127.0.0.1:1/mcp")})).json()["token"]
        assert (await call(other)).status_code == 401
        reader = (await idp_http.post("/test/opaque", json={"claims": claims(scope="mcp mcp:read")})).json()["token"]
        assert tool_names(await call(reader)) == ["echo"]

    async def token_exchange_on_behalf_of_the_user():
        url = f"http://127.0.0.1:{proxy.onbehalf_port}/mcp"
        token = await mint(claims=claims(aud=url, sub="user-42"))
        before = (await idp_http.get("/test/stats")).json().get("exchanges", 0)
        for _ in range(3):
            response = await call(token, "tools/call", {"name": "whoami", "arguments": {}}, url=url)
            assert response.status_code == 200, (response.status_code, response.text)
            text = response.json()["result"]["content"][0]["text"]
            assert text == "sub=user-42 act=gateway", text
        assert (await idp_http.get("/test/stats")).json()["exchanges"] == before + 1, "one exchange per subject while it lasts"
        # Another person gets their own exchanged token.
        other = await mint(claims=claims(aud=url, sub="user-7"))
        response = await call(other, "tools/call", {"name": "whoami", "arguments": {}}, url=url)
        assert response.json()["result"]["content"][0]["text"] == "sub=user-7 act=gateway", response.text

    async def sdk_clients_sign_in_on_their_own():
        pythons = [PYTHON] + ([SDK2_PYTHON] if SDK2_PYTHON else [])
        for python in pythons:
            result = subprocess.run([python, os.path.join(HERE, "client_oauth_login.py"), proxy.url, CERT],
                                    capture_output=True, text=True, timeout=120, env=dict(os.environ, SSL_CERT_FILE=CERT))
            assert result.returncode == 0, result.stdout + result.stderr
            assert "signed in with SDK" in result.stdout and "delete_note" not in result.stdout, result.stdout
        stats = (await idp_http.get("/test/stats")).json()
        assert stats["registrations"] >= len(pythons) and stats["issued"] >= len(pythons), stats

    async def reload_rechecks_accepted_tokens():
        token = await mint(claims=claims(scope="mcp"))
        tool_names(await call(token))
        proxy.reload("[mcp, mcp:read]")
        assert (await call(token)).status_code == 403
        proxy.reload("[mcp]")
        tool_names(await call(token))

    async def a_thousand_tokens_under_load():
        lua = os.path.join(DIR, "tokens.lua")
        tokens = [await mint(claims=claims(preferred_username=f"user-{i}", sub=f"u-{i}")) for i in range(1000)]
        with open(lua, "w") as file:
            file.write("tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n")
            file.write('i = 0\nwrk.method = "POST"\nwrk.body = \'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}\'\n')
            file.write('request = function()\n  i = i % #tokens + 1\n  return wrk.format(nil, nil, {["Authorization"] = "Bearer " .. tokens[i], '
                       '["Content-Type"] = "application/json", ["Accept"] = "application/json, text/event-stream"})\nend\n')
        def rss():
            with open(f"/proc/{proxy.process.pid}/status") as status:
                return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1))
        before = rss()
        result = subprocess.run(["wrk", "-t1", "-c8", "-d5s", "-s", lua, proxy.url], capture_output=True, text=True, timeout=60)
        assert "Non-2xx" not in result.stdout and "Socket errors" not in result.stdout, result.stdout
        requests = int(re.search(r"(\d+) requests in", result.stdout).group(1))
        assert requests > 1000, result.stdout
        grown = rss() - before
        assert grown < 64 * 1024, f"RSS grew {grown} KiB"
        metrics = (await client.get(f"http://127.0.0.1:{proxy.admin}/metrics")).text
        series = re.findall(r'client_requests_total\{profile="team",client="([^"]+)"\}', metrics)
        assert len(series) <= 101 and "other" in series, (len(series), series[-3:])
        print(f"      {requests} requests with 1000 tokens in 5 s, RSS +{grown} KiB, {len(series)} client series")

    def proxy_log():
        return proxy.text()[-4000:] + "".join(LOGS[-40:])

    steps = [
        ("protected-resource metadata at the path and the root; 401 names it", metadata_and_challenges, 30),
        ("RS256 and ES256 tokens from joserfc reach the signed upstream, never the token itself", valid_tokens_reach_the_signed_upstream, 30),
        ("expired, not yet valid, wrong iss, wrong aud, alg none, HS256 with the public key: 401; no scope: 403", each_rule_refuses_its_token, 30),
        ("by_scope decides tools/call and the tools/list filter alike", scopes_decide_the_tools, 30),
        ("opaque tokens: introspected once (authlib, RFC 7662), then cached; unknown or foreign ones refused", opaque_tokens_are_introspected_once, 30),
        ("token exchange (RFC 8693): the upstream gets a token for the same person, never the client's", token_exchange_on_behalf_of_the_user, 30),
        ("an unknown kid waits for one refetch of the JWKS and the rotated key verifies; another within 30 s is refused", unknown_kid_waits_for_the_rotated_key, 30),
        ("JWKS down at start and mid-run: refused, then accepted; the last good set stays; /readyz and metrics say so", jwks_down_at_start_and_mid_run, 60),
        ("the MCP SDK clients sign in through the listener on their own (both lines)", sdk_clients_sign_in_on_their_own, 240),
        ("a reload re-checks tokens accepted under the old settings", reload_rechecks_accepted_tokens, 30),
        ("1,000 distinct tokens under wrk: no errors, memory and label count bounded", a_thousand_tokens_under_load, 120),
    ]
    try:
        ok = await run_steps("client OAuth", steps, "proxy log", proxy_log)
    finally:
        for process in processes:
            process.terminate()
    sys.exit(0 if ok else 1)


asyncio.run(main())
