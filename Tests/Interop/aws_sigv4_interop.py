"""`auth_scheme: aws-sigv4` end to end: an MCP server (the official Python SDK) behind botocore's
own SigV4 check (sigv4_server.py), reached by the SDK's HTTP client through one listener per
credential source, and by its stdio client through the bridge:

  env        long-term keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  process    profile:vault of an AWS_CONFIG_FILE whose credential_process prints temporary keys
  container  AWS_CONTAINER_CREDENTIALS_FULL_URI + a token file, served here; the keys expire in
             8 seconds, so the proxy renews them halfway, every 4 seconds
  webid      AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN through STS at AWS_ENDPOINT_URL_STS, served here
  wrong      a credentials_command whose secret is not the key's: botocore must refuse it
"""
import asyncio, datetime, http.server, json, os, subprocess, sys, tempfile, threading, time, urllib.parse

PYTHON = sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))


def iso(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Credentials:
    """The keys the upstream knows (written to its file) and those the sources hand out."""

    def __init__(self, path):
        self.path, self.known = path, {}

    def add(self, key, secret, token=None):
        self.known[key] = [secret, token]
        with open(self.path + ".tmp", "w") as file:
            json.dump(self.known, file)
        os.replace(self.path + ".tmp", self.path)


def serve_control_plane(credentials, token_file_contents):
    """The container endpoint (GET /container) and STS (POST /sts) on one local port."""
    asked = {"container": 0, "sts": 0, "bad_token": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def answer(self, status, content_type, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.headers.get("authorization") != token_file_contents["container"]:
                asked["bad_token"] += 1
                return self.answer(401, "application/json", "{}")
            asked["container"] += 1
            key = f"ASIACONTAINER{asked['container']}"
            credentials.add(key, f"container-secret-{asked['container']}", f"container-token-{asked['container']}")
            self.answer(200, "application/json", json.dumps({
                "AccessKeyId": key, "SecretAccessKey": f"container-secret-{asked['container']}",
                "Token": f"container-token-{asked['container']}", "Expiration": iso(8)}))

        def do_POST(self):
            form = dict(urllib.parse.parse_qsl(self.rfile.read(int(self.headers["content-length"])).decode()))
            if form.get("Action") != "AssumeRoleWithWebIdentity" or form.get("WebIdentityToken") != token_file_contents["web"] \
                    or form.get("RoleArn") != "arn:aws:iam::123456789012:role/mcp-agents":
                return self.answer(400, "text/xml", "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>no</Message></Error></ErrorResponse>")
            asked["sts"] += 1
            credentials.add("ASIASTS", "sts-secret", "sts-token+/=")
            self.answer(200, "text/xml", f"""<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>
<AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>sts-secret</SecretAccessKey><SessionToken>sts-token+/=</SessionToken>
<Expiration>{iso(3600)}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>""")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, asked


async def main():
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client
    from interop_common import BINARY, echo_over_bridge, free_port, run_steps, wait_port

    work = tempfile.mkdtemp(prefix="sigv4-interop-")
    credentials = Credentials(os.path.join(work, "known.json"))
    credentials.add("AKIAENVEXAMPLE", "env-secret/with+slash")
    credentials.add("ASIAPROCESS", "process-secret", "process-token")
    credentials.add("AKIAWRONG", "the-real-secret")
    tokens = {"container": "pod-identity-token", "web": "eyJhbGciOi.oidc.token"}
    with open(os.path.join(work, "container-token"), "w") as file:
        file.write(tokens["container"] + "\n")
    with open(os.path.join(work, "web-token"), "w") as file:
        file.write(tokens["web"])
    process = os.path.join(work, "credential-process.py")
    with open(process, "w") as file:
        file.write("#!" + PYTHON + "\nimport json, sys\nprint(json.dumps({'Version': 1, 'AccessKeyId': sys.argv[1], 'SecretAccessKey': sys.argv[2], "
                   f"'SessionToken': sys.argv[3] if len(sys.argv) > 3 else None, 'Expiration': '{iso(3600)}'}}))\n")
    os.chmod(process, 0o700)
    with open(os.path.join(work, "aws-config"), "w") as file:
        file.write(f"[profile vault]\ncredential_process = {process} ASIAPROCESS process-secret process-token\nregion = us-east-1\n")
    control, asked = serve_control_plane(credentials, tokens)

    upstream_port = free_port()
    upstream = subprocess.Popen([PYTHON, os.path.join(HERE, "sigv4_server.py"), "--port", str(upstream_port), "--credentials", credentials.path])
    wait_port(upstream_port)
    sources = {
        "env": "credentials: env",
        "process": "credentials: profile:vault",
        "container": "credentials: container",
        "webid": "credentials: web_identity",
        "wrong": f"credentials: command\n      credentials_command: [{process}, AKIAWRONG, not-the-secret]",
    }
    ports = {name: free_port() for name in sources}
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as file:
        file.write("profiles:\n")
        for name, source in sources.items():
            file.write(f"""  {name}:
    upstream_url: http://127.0.0.1:{upstream_port}/mcp
    auth_scheme: aws-sigv4
    listen_port: {ports[name]}
    aws:
      region: eu-central-1
      service: bedrock-agentcore
      {source}
""")
    environment = dict(os.environ, AWS_ACCESS_KEY_ID="AKIAENVEXAMPLE", AWS_SECRET_ACCESS_KEY="env-secret/with+slash",
                       AWS_CONFIG_FILE=os.path.join(work, "aws-config"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "none"),
                       AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{control.server_port}/container",
                       AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=os.path.join(work, "container-token"),
                       AWS_WEB_IDENTITY_TOKEN_FILE=os.path.join(work, "web-token"), AWS_ROLE_ARN="arn:aws:iam::123456789012:role/mcp-agents",
                       AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{control.server_port}/sts")
    log = open(os.path.join(work, "proxy.log"), "w+")
    proxy = subprocess.Popen([BINARY, "run", "--config", config], stderr=log, env=environment)

    async def call(name, text):
        async with streamablehttp_client(f"http://127.0.0.1:{ports[name]}/mcp") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                result = await session.call_tool("echo", {"text": text})
                assert result.content[0].text == text, result
                return json.loads((await session.call_tool("stats", {})).content[0].text)

    async def each_source_through_its_listener():
        for name in ("env", "process", "container", "webid"):
            stats = await call(name, f"signed with {name}")
        for key in ("AKIAENVEXAMPLE", "ASIAPROCESS", "ASIACONTAINER1", "ASIASTS"):
            assert stats["accepted"].get(key, 0) >= 3, stats
        assert not stats["refused"], stats

    async def renewed_before_expiry():
        # The container's keys expire in 8 s: the keeper asks again after about 4 s.
        deadline = time.time() + 30
        while asked["container"] < 2 and time.time() < deadline:
            await asyncio.sleep(0.5)
        assert asked["container"] >= 2, asked
        seen = asked["container"]
        stats = await call("container", "after renewal")
        assert sum(stats["accepted"].get(f"ASIACONTAINER{n}", 0) for n in range(2, seen + 2)) >= 3, stats
        assert asked["bad_token"] == 0 and asked["sts"] == 1, asked

    async def a_wrong_secret_is_refused_upstream():
        try:
            await call("wrong", "never")
        except Exception:  # noqa: BLE001 - the SDK raises on the 401 in its own way per version
            pass
        else:
            raise AssertionError("a request signed with the wrong secret was accepted")
        stats = await call("env", "check")
        assert any("signature mismatch" in reason for reason in stats["refused"]), stats

    async def through_the_stdio_bridge():
        await echo_over_bridge(config, "process", os.path.join(work, "bridge.log"), env=environment)

    def proxy_log():
        log.flush()
        return open(log.name).read()[-3000:]

    steps = [
        ("env, credential_process, container and web identity keys: botocore accepts every signature", each_source_through_its_listener, 60),
        ("temporary container keys are renewed before they expire, and the new keys sign", renewed_before_expiry, 60),
        ("a signature made with the wrong secret is refused by botocore's check", a_wrong_secret_is_refused_upstream, 60),
        ("the stdio bridge signs its calls the same way", through_the_stdio_bridge, 60),
    ]
    try:
        for port in ports.values():
            wait_port(port)
        ok = await run_steps("AWS SigV4", steps, "proxy log", proxy_log)
    finally:
        for child in (proxy, upstream):
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        control.shutdown()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    asyncio.run(main())
