"""The demo's client: the official SDK client lists and calls a tool through the proxy."""
import asyncio, sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main(url):
    async with streamablehttp_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            print(f"initialized: server {info.serverInfo.name!r}, protocol {info.protocolVersion}")
            tools = await session.list_tools()
            print("tools:", ", ".join(t.name for t in tools.tools))
            result = await session.call_tool("echo", {"text": "hello through mcp-auth-proxy"})
            print("echo ->", result.content[0].text)

            async def on_progress(value, total, message):
                print(f"  progress {value:.0f}/{total:.0f} {message or ''}")
            result = await session.call_tool("progress", {"steps": 3}, progress_callback=on_progress)
            print("progress ->", result.content[0].text)


asyncio.run(main(sys.argv[1]))
