"""An MCP server (the official Python SDK) behind an AWS Signature Version 4 check done by
botocore, AWS's own signer: for each request it reads the Credential scope and SignedHeaders from
`Authorization`, rebuilds the request from the signed headers, the path and query as received
and the body, has botocore's `SigV4Auth` compute the canonical request, string to sign and
signature with the secret of that access key, and refuses (401) any mismatch, a body whose
SHA-256 is not the `x-amz-content-sha256` sent, a missing or wrong session token, or a time more than
5 minutes off. Each access key id it accepted is counted, for the tests to see renewals.

    sigv4_server.py --port N --credentials FILE   (FILE: JSON {access key id: [secret, token or null]},
                                                   re-read when it changes, so tests can add keys)
"""
import argparse, datetime, hashlib, json, os, re, sys

AUTHORIZATION = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                           r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


def verify(method, host_url, raw_path, query, headers, body, credentials):
    """None when botocore computes the same signature; the reason otherwise."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    match = AUTHORIZATION.match(headers.get("authorization", ""))
    if not match:
        return f"no SigV4 authorization: {headers.get('authorization', '')[:40]!r}"
    key, day, region, service, signed, signature = match.groups()
    if key not in credentials:
        return f"unknown access key {key}"
    secret, token = credentials[key]
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(day):
        return "x-amz-date is not the scope's day"
    sent = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - sent).total_seconds()) > 300:
        return "x-amz-date is more than 5 minutes off"
    # Optional for services other than S3 (botocore sends none); when sent, it must be the body's.
    if "x-amz-content-sha256" in headers and headers["x-amz-content-sha256"] != hashlib.sha256(body).hexdigest():
        return "x-amz-content-sha256 is not the body's SHA-256"
    names = signed.split(";")
    if token is not None and (headers.get("x-amz-security-token") != token or "x-amz-security-token" not in names):
        return "the session token is missing, wrong or unsigned"
    if "host" not in names:
        return "host is not signed"
    url = host_url + raw_path + (("?" + query) if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers={name: headers.get(name, "") for name in names})
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(key, secret, token), service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    if expected != signature:
        return f"signature mismatch; botocore's canonical request:\n{canonical}"
    return None


def serve(port, credentials_file):
    import uvicorn
    try:
        from mcp.server.fastmcp import FastMCP as MCPServer
    except ImportError:
        from mcp.server.mcpserver import MCPServer

    state = {"mtime": None, "credentials": {}, "accepted": {}, "refused": []}

    def credentials():
        mtime = os.stat(credentials_file).st_mtime_ns
        if mtime != state["mtime"]:
            with open(credentials_file) as file:
                state["credentials"] = {key: tuple(value) for key, value in json.load(file).items()}
            state["mtime"] = mtime
        return state["credentials"]

    server = MCPServer("sigv4-upstream", stateless_http=True, json_response=True)

    @server.tool()
    def echo(text: str) -> str:
        """Returns its input."""
        return text

    @server.tool()
    def stats() -> str:
        """Requests accepted per access key id, and the reasons of refusals."""
        return json.dumps({"accepted": state["accepted"], "refused": state["refused"][-5:]})

    app = server.streamable_http_app()

    async def checked(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {}
        for name, value in scope["headers"]:
            headers.setdefault(name.decode().lower(), value.decode())
        problem = verify(scope["method"], f"{scope['scheme']}://{headers.get('host', '')}", scope["raw_path"].decode(),
                         scope["query_string"].decode(), headers, body, credentials())
        if problem:
            state["refused"].append(problem)
            print(f"refused: {problem}", file=sys.stderr, flush=True)
            await send({"type": "http.response.start", "status": 401, "headers": [(b"content-type", b"application/json")]})
            return await send({"type": "http.response.body", "body": json.dumps({"error": problem}).encode()})
        key = AUTHORIZATION.match(headers["authorization"]).group(1)
        state["accepted"][key] = state["accepted"].get(key, 0) + 1
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        await app(scope, replay, send)

    uvicorn.run(checked, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--credentials", required=True)
    arguments = parser.parse_args()
    serve(arguments.port, arguments.credentials)
