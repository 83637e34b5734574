"""The MCP Python SDK 2.x client, run by oauth_interop.py (an SDK 1.x process) against an
`auth_scheme: oauth` listener and bridge: `oauth_sdk2_client.py URL-or---stdio ARGS…` prints the
whoami tool's text, once with the initialize handshake and once in `auto` mode (2026-07-28
discovery, falling back to what the SDK 1.x upstream speaks)."""
import asyncio, sys

from mcp import StdioServerParameters
from mcp.client.client import Client


async def main():
    if sys.argv[1] == "--stdio":
        target = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:])
    else:
        target = sys.argv[1]
    for mode in ["legacy", "auto"]:
        async with Client(target, mode=mode) as client:
            result = await client.call_tool("whoami", {})
            print(result.content[0].text)


asyncio.run(main())
