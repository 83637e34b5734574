"""The official MCP Python SDK client (run by either SDK line) logging in through a
`client_auth: oauth` listener on its own: it reads the listener's 401 and protected-resource
metadata, registers with the identity provider, follows the authorization URL (a test stands in
for the person at the browser), gets a JWT access token and calls a tool on the signed upstream.
`client_oauth_login.py URL CAFILE` prints the echo tool's text."""
import asyncio, ssl, sys
from urllib.parse import parse_qs, urlparse

import httpx
from mcp import ClientSession
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import OAuthClientMetadata

try:  # SDK 1.x
    from mcp.client.streamable_http import streamablehttp_client as http_client
    SDK_LINE = 1
except ImportError:
    from mcp.client.streamable_http import streamable_http_client as http_client
    SDK_LINE = 2


class MemoryStorage:
    def __init__(self):
        self.tokens = self.client = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client

    async def set_client_info(self, info):
        self.client = info


async def main(url, cafile):
    context = ssl.create_default_context(cafile=cafile)
    redirect = {}

    async def follow(authorization_url):
        # The identity provider approves at once; its redirect carries the code.
        async with httpx.AsyncClient(verify=context) as browser:
            response = await browser.get(authorization_url, follow_redirects=False)
        assert response.status_code in (302, 303, 307), response.text
        redirect.update({k: v[0] for k, v in parse_qs(urlparse(response.headers["location"]).query).items()})

    async def callback():
        if SDK_LINE == 2:
            from mcp.shared.auth import AuthorizationCodeResult
            return AuthorizationCodeResult(code=redirect["code"], state=redirect.get("state"), iss=redirect.get("iss"))
        return redirect["code"], redirect.get("state")

    metadata = OAuthClientMetadata(client_name=f"sdk-{SDK_LINE}", redirect_uris=["http://127.0.0.1:9/callback"],
                                   grant_types=["authorization_code", "refresh_token"], response_types=["code"])
    auth = OAuthClientProvider(url, metadata, MemoryStorage(), redirect_handler=follow, callback_handler=callback)
    if SDK_LINE == 2:
        import httpx2
        transport = http_client(url, http_client=httpx2.AsyncClient(auth=auth, verify=context, timeout=30))
    else:
        def factory(headers=None, timeout=None, auth=None):
            return httpx.AsyncClient(headers=headers, timeout=timeout, auth=auth, verify=context)
        transport = http_client(url, auth=auth, httpx_client_factory=factory)
    async with transport as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await session.initialize()
            names = sorted(tool.name for tool in (await session.list_tools()).tools)
            echoed = await session.call_tool("echo", {"text": f"signed in with SDK {SDK_LINE}"})
            print(echoed.content[0].text, " ".join(names))


asyncio.run(main(sys.argv[1], sys.argv[2]))
