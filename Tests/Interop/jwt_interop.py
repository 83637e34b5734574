"""`auth_scheme: jwt` end to end: an MCP server (the official Python SDK) behind a check written
with joserfc, a real JOSE library, that accepts a request only with a JWT signed by the expected
key (RS256, ES256 or EdDSA, keys made by openssl), with the right iss, aud and exp, and a jti it
has not seen on a per-request profile. The SDK's HTTP client goes through a listener per profile,
its stdio client through the bridge.

`jwt_interop.py --serve PORT KEYDIR` runs that upstream (used by the test itself)."""
import asyncio, json, os, subprocess, sys, tempfile, time

PYTHON = sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))
PROFILES = {  # name: (algorithm, openssl genpkey arguments, header, per_request)
    "rs": ("RS256", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"], "authorization", False),
    "ec": ("ES256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "x-assertion", True),
    "ed": ("EdDSA", ["-algorithm", "ed25519"], "authorization", False),
}


def serve(port, keydir):
    import uvicorn
    from joserfc import jwt
    from joserfc.jwk import KeySet, import_key
    from mcp.server.fastmcp import FastMCP

    keys = {name: import_key(open(os.path.join(keydir, f"{name}.pem")).read()) for name in PROFILES}
    seen = {"tokens": {}, "jti": set(), "refused": []}
    server = FastMCP("jwt-upstream", stateless_http=True, json_response=True)

    @server.tool()
    def echo(text: str) -> str:
        """Returns its input."""
        return text

    @server.tool()
    def stats() -> str:
        """Distinct tokens and jti seen per profile."""
        return json.dumps({name: len(tokens) for name, tokens in seen["tokens"].items()} | {"refused": seen["refused"]})

    app = server.streamable_http_app()

    async def checked(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        problem, name = "no assertion", None
        for candidate, (algorithm, _, header, per_request) in PROFILES.items():
            value = headers.get(header, "")
            token = value.removeprefix("Bearer ") if header == "authorization" else value
            if not token or (header == "authorization") != value.startswith("Bearer "):
                continue
            try:
                claims = jwt.decode(token, keys[candidate], algorithms=[algorithm]).claims
            except Exception as error:  # noqa: BLE001 - another profile's key, or a bad token
                problem = f"{candidate}: {error}"
                continue
            if claims.get("iss") != f"svc-{candidate}" or claims.get("aud") != f"https://mcp.example.com/{candidate}" \
                    or not claims["iat"] <= time.time() + 5 < claims["exp"] + 5 or claims.get("tenant") != "acme":
                problem = f"{candidate}: claims {claims}"
                continue
            if per_request and claims["jti"] in seen["jti"]:
                problem = f"{candidate}: jti replayed"
                continue
            seen["jti"].add(claims["jti"])
            seen["tokens"].setdefault(candidate, set()).add(token)
            name = candidate
            break
        if name is None:
            seen["refused"].append(problem)
            body = json.dumps({"error": problem}).encode()
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"application/json")]})
            return await send({"type": "http.response.body", "body": body})
        await app(scope, receive, send)

    uvicorn.run(checked, host="127.0.0.1", port=port, log_level="warning")


async def main():
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client
    from interop_common import BINARY, echo_over_bridge, free_port, run_steps, wait_port

    keydir = tempfile.mkdtemp(prefix="jwt-interop-")
    for name, (_, arguments, _, _) in PROFILES.items():
        subprocess.run(["openssl", "genpkey", *arguments, "-out", os.path.join(keydir, f"{name}.pem")], check=True, capture_output=True)
    upstream_port = free_port()
    upstream = subprocess.Popen([PYTHON, os.path.abspath(__file__), "--serve", str(upstream_port), keydir])
    wait_port(upstream_port)
    ports = {name: free_port() for name in PROFILES}
    config = os.path.join(keydir, "config.yaml")
    with open(config, "w") as file:
        file.write("profiles:\n")
        for name, (algorithm, _, header, per_request) in PROFILES.items():
            file.write(f"""  {name}:
    upstream_url: http://127.0.0.1:{upstream_port}/mcp
    auth_scheme: jwt
    listen_port: {ports[name]}
    jwt:
      algorithm: {algorithm}
      private_key_file: {keydir}/{name}.pem
      issuer: svc-{name}
      audience: https://mcp.example.com/{name}
      claims: {{tenant: acme}}
      per_request: {str(per_request).lower()}
      header: {header}
""")
    os.chmod(os.path.join(keydir, "config.yaml"), 0o600)
    for name in PROFILES:
        os.chmod(os.path.join(keydir, f"{name}.pem"), 0o600)
    log = open(os.path.join(keydir, "proxy.log"), "w+")
    proxy = subprocess.Popen([BINARY, "run", "--config", config], stderr=log)
    for port in ports.values():
        wait_port(port)

    async def call(url, text):
        async with streamablehttp_client(url) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("echo", {"text": text})
                assert result.content[0].text == text, result
                return json.loads((await session.call_tool("stats", {})).content[0].text)

    async def each_algorithm_through_its_listener():
        for name in PROFILES:
            stats = await call(f"http://127.0.0.1:{ports[name]}/mcp", f"signed by {name}")
            assert not stats["refused"], stats

    async def reused_until_near_expiry_or_fresh_per_request():
        for _ in range(3):
            stats = await call(f"http://127.0.0.1:{ports['rs']}/mcp", "again")
            stats = await call(f"http://127.0.0.1:{ports['ec']}/mcp", "again")
        assert stats["rs"] == 1, stats  # one token for a minute's requests
        assert stats["ec"] >= 12, stats  # a token (and jti) per request: 4 sessions x (initialize, call, call) and more
        assert not stats["refused"], stats

    async def through_the_stdio_bridge():
        await echo_over_bridge(config, "ed", os.path.join(keydir, "bridge.log"))

    def proxy_log():
        log.flush()
        return open(log.name).read()[-3000:]

    steps = [
        ("RS256, ES256 (per request, x-assertion) and EdDSA tokens verify with joserfc upstream", each_algorithm_through_its_listener, 60),
        ("one token is reused; per_request mints a new token and jti every time", reused_until_near_expiry_or_fresh_per_request, 60),
        ("the stdio bridge signs its calls the same way", through_the_stdio_bridge, 60),
    ]
    try:
        ok = await run_steps("JWT assertion", steps, "proxy log", proxy_log)
    finally:
        proxy.terminate()
        upstream.terminate()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        sys.path.insert(0, HERE)
        asyncio.run(main())
