"""A real MCP server built with the official Python SDK, behind an auth-gateway signature check.

The check is written from docs/signing.md, independently of the proxy's Swift code: a request
with a missing, stale or wrong signature gets 401 before the SDK sees it.
"""
import argparse, hashlib, hmac, json, logging, time

import anyio
import uvicorn
from pydantic import BaseModel
try:  # SDK 1.x
    from mcp.server.fastmcp import Context, FastMCP as MCPServer
    SDK_LINE = 1
except ModuleNotFoundError:  # SDK 2.x renamed FastMCP to MCPServer and moved the HTTP options
    from mcp.server.mcpserver import Context, MCPServer
    SDK_LINE = 2


def signature_check(app, key_id, secret, refuse_authorization=False):
    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if refuse_authorization and "authorization" in headers:
            # A client's own token must never reach the upstream (client_auth: bearer and oauth).
            body = b'{"error": "a client token reached the upstream"}'
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        target = scope.get("raw_path", scope["path"].encode()).decode()
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode()
        ts, sig = headers.get("x-timestamp", ""), headers.get("x-signature", "")
        expected = hmac.new(secret.encode(), f'{scope["method"]}\n{target}\n{ts}'.encode(), hashlib.sha256).hexdigest()
        fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
        if headers.get("x-api-key-id") != key_id or not fresh or not hmac.compare_digest(expected, sig):
            body = json.dumps({"error": "invalid signature", "key_id": headers.get("x-api-key-id")}).encode()
            await send({"type": "http.response.start", "status": 401,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)
    return guarded


class Answer(BaseModel):
    ok: bool


def build(stateless: bool) -> MCPServer:
    if SDK_LINE == 1:
        server = MCPServer("interop", stateless_http=stateless, json_response=stateless)
    else:
        server = MCPServer("interop")

    @server.tool()
    def echo(text: str) -> str:
        """Returns its input."""
        return text

    @server.tool()
    async def progress(steps: int, ctx: Context) -> str:
        """Reports progress during the call."""
        for step in range(1, steps + 1):
            await ctx.report_progress(step, steps, f"step {step}")
            await anyio.sleep(0.05)
        return f"done after {steps} steps"

    @server.tool()
    def big(kib: int) -> str:
        """Returns a large result."""
        return "x" * (kib * 1024)

    @server.tool()
    async def slow(seconds: float) -> str:
        """Answers after a while."""
        await anyio.sleep(seconds)
        return "slow done"

    @server.tool()
    def delete_note(title: str) -> str:
        """Deletes a note: the tool the interop profiles' tool policy refuses."""
        return f"deleted {title}"

    @server.tool()
    async def confirm(question: str, ctx: Context) -> str:
        """Asks the client (elicitation), a server-to-client request."""
        result = await ctx.elicit(question, Answer)
        return f"{result.action}:{result.data.ok}" if result.action == "accept" else result.action

    if SDK_LINE == 2:
        add_modern_tools(server)
    return server


# What the 2026-07-28 tests ask of the server: how many calls it saw cancelled (their stream
# closed), a tool whose argument travels in an Mcp-Param header, a multi round-trip call, and a
# change a `subscriptions/listen` stream announces.
cancelled_calls = 0


def add_modern_tools(server):
    from typing import Annotated
    from pydantic import Field
    import mcp_types

    @server.tool()
    async def sleepy(seconds: float) -> str:
        """Answers after a while, and counts the calls cancelled before that."""
        global cancelled_calls
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            cancelled_calls += 1
            raise
        return "slept"

    @server.tool()
    def cancellations() -> str:
        """How many sleepy calls were cancelled."""
        return str(cancelled_calls)

    @server.tool()
    def route(region: Annotated[str, Field(json_schema_extra={"x-mcp-header": "Region"})]) -> str:
        """Its region argument is mirrored into Mcp-Param-Region, which the server checks."""
        return f"routed to {region}"

    @server.tool()
    async def ask(topic: str, ctx: Context) -> str | mcp_types.InputRequiredResult:
        """Needs the client's answer first: input_required, then the retry."""
        answers = ctx.input_responses
        if not answers:
            request = mcp_types.ElicitRequest(params=mcp_types.ElicitRequestFormParams(
                message=f"about {topic}?", requested_schema={"type": "object", "properties": {"ok": {"type": "boolean"}}}))
            return mcp_types.InputRequiredResult(input_requests={"q": request}, request_state="asked")
        answer = answers["q"]
        return f"{answer.action}:{answer.content}"

    @server.tool()
    async def touch(ctx: Context) -> str:
        """Announces a changed tool list to subscribers."""
        await ctx.notify_tools_changed()
        return "touched"


class TeardownNoise(logging.Filter):
    """Drops the SDK's traceback for a stream closed at session teardown (the SDK 1.x standalone
    SSE writer logs `anyio.ClosedResourceError` when a client ends its session): it is no error."""

    def filter(self, record):
        return not (record.exc_info and isinstance(record.exc_info[1], anyio.ClosedResourceError))


def quiet_sdk_logging():
    # The SDK logs every request at INFO ("Processing request of type …"); its warnings stay.
    logging.getLogger("mcp").setLevel(logging.WARNING)
    # A logger's filter sees only the records logged on it, so each emitting logger gets one.
    for name in ("mcp.server.streamable_http", "mcp.server.streamable_http_manager"):
        logging.getLogger(name).addFilter(TeardownNoise())


if __name__ == "__main__":
    quiet_sdk_logging()
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key-id", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--refuse-authorization", action="store_true")
    args = parser.parse_args()
    server = build(args.stateless)
    if SDK_LINE == 1:
        http_app = server.streamable_http_app()
    else:
        http_app = server.streamable_http_app(stateless_http=args.stateless, json_response=args.stateless)
    app = signature_check(http_app, args.key_id, args.secret, args.refuse_authorization)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
