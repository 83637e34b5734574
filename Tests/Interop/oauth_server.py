"""An OAuth-protected MCP server for the proxy's OAuth tests, built from the official MCP Python
SDK's own authorization-server support (mcp.server.auth: metadata, /authorize, /token, /register,
/revoke with PKCE and client authentication) and a FastMCP resource server that checks tokens,
their scopes and their RFC 8707 resource.

Only the provider's storage is ours (in memory, as the SDK leaves it to applications), plus:
- /authorize approves at once (a test stands in for the person at the browser);
- `--token-lifetime` seconds per access token; refresh tokens rotate on every use;
- `--iss present|absent|wrong` for the RFC 9207 `iss` authorization response parameter;
- `--resource-path` for a protected resource whose metadata names another resource;
- `--issuer-path /t` and `--metadata-at oauth|oidc|oidc-suffix`: an issuer with a path whose
  metadata sits at one RFC 8414 / OpenID Connect location only;
- `--prm-at root`: the protected-resource metadata only at the root, `path-only`: only at the
  path; both with a challenge without `resource_metadata`; `--challenge-scope`: a `scope` in the
  challenge; `--metadata-at oidc` without `--issuer-path`: a root issuer's metadata only at
  /.well-known/openid-configuration;
- `--preregistered ID:SECRET:PORT`: a client registered by hand (dynamic registration off);
- `--cimd`: client ID metadata documents: a client_id that is a URL is fetched, checked
  (its `client_id` is its own URL) and used; dynamic registration off;
- `--admin-tool`: `admin_tool` answers 403 insufficient_scope unless the token has mcp:admin;
- `--client-credentials ID:SECRET`: a second authorization server, authlib's (Flask), for the
  client credentials and device authorization grants the SDK's server does not offer; its tokens
  are good at the same resource server. Its port is the fourth word of the READY line.
- POST /test/revoke-refresh-tokens, POST /test/revoke-access-tokens and GET /test/stats on the
  authorization server, for tests.

Prints `READY <as_port> <rs_port> [<cc_port>]` once the servers listen.
"""

import argparse
import asyncio
import secrets
import socket
import sys
import threading
import time

import uvicorn
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.routes import build_metadata, create_auth_routes
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.fastmcp import Context, FastMCP
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

SCOPES = ["mcp:tools", "mcp:admin", "mcp:extra"]


class MemoryProvider:
    def __init__(self, issuer, lifetime, iss_mode):
        self.issuer = issuer
        self.lifetime = lifetime
        self.iss_mode = iss_mode
        self.clients = {}
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.stats = {"authorization_code": 0, "refresh_token": 0, "refresh_rejected": 0, "registrations": 0}
        self.cimd = False

    async def get_client(self, client_id):
        if self.cimd and client_id.startswith("http") and client_id not in self.clients:
            # A client ID metadata document: fetched from the client's own URL, which it must name.
            import httpx
            async with httpx.AsyncClient() as http:
                document = (await http.get(client_id)).json()
            if document.get("client_id") != client_id:
                return None
            self.stats["cimd_fetches"] = self.stats.get("cimd_fetches", 0) + 1
            self.clients[client_id] = OAuthClientInformationFull(
                client_id=client_id, redirect_uris=document["redirect_uris"], token_endpoint_auth_method="none",
                grant_types=document.get("grant_types", ["authorization_code"]), response_types=["code"],
                scope=document.get("scope", "mcp:tools"), client_name=document.get("client_name"))
        return self.clients.get(client_id)

    async def register_client(self, client_info):
        self.stats["registrations"] += 1
        self.clients[client_info.client_id] = client_info

    async def authorize(self, client, params: AuthorizationParams):
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            code=code, scopes=params.scopes or [], expires_at=time.time() + 300, client_id=client.client_id,
            code_challenge=params.code_challenge, redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly, resource=params.resource)
        extra = {}
        if self.iss_mode == "present":
            extra["iss"] = self.issuer
        elif self.iss_mode == "wrong":
            extra["iss"] = "https://attacker.example"
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state, **extra)

    async def load_authorization_code(self, client, code):
        return self.codes.get(code)

    def issue(self, client_id, scopes, resource):
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        expires = int(time.time() + self.lifetime)
        self.access[access] = AccessToken(token=access, client_id=client_id, scopes=scopes, expires_at=expires, resource=resource)
        self.refresh[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes, resource=resource)
        return OAuthToken(access_token=access, token_type="Bearer", expires_in=self.lifetime, refresh_token=refresh,
                          scope=" ".join(scopes) or None)

    async def exchange_authorization_code(self, client, code):
        self.codes.pop(code.code, None)
        self.stats["authorization_code"] += 1
        return self.issue(client.client_id, code.scopes, code.resource)

    async def load_refresh_token(self, client, token):
        found = self.refresh.get(token)
        if found is None:
            self.stats["refresh_rejected"] += 1
        return found

    async def exchange_refresh_token(self, client, refresh, scopes):
        if self.refresh.pop(refresh.token, None) is None:
            self.stats["refresh_rejected"] += 1
            raise TokenError("invalid_grant", "refresh token already used")
        self.stats["refresh_token"] += 1
        return self.issue(client.client_id, scopes or refresh.scopes, refresh.resource)

    async def load_access_token(self, token):
        found = self.access.get(token)
        if found is None or (found.expires_at and found.expires_at < time.time()):
            return None
        return found

    async def revoke_token(self, token):
        self.access.pop(token.token, None)
        self.refresh.pop(token.token, None)


class ResourceServerVariant:
    """The SDK's resource server, varied by the command line: protected-resource metadata at the
    root only, a scope in the challenge, a 403 step-up for admin_tool."""

    def __init__(self, app, args, resource, provider):
        self.app, self.args, self.resource, self.provider = app, args, resource, provider

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if self.args.prm_at == "root" and path.startswith("/.well-known/oauth-protected-resource"):
            if path != "/.well-known/oauth-protected-resource":
                return await JSONResponse({"error": "not here"}, status_code=404)(scope, receive, send)
            body = {"resource": self.resource, "authorization_servers": [self.provider.issuer], "scopes_supported": ["mcp:tools"]}
            return await JSONResponse(body)(scope, receive, send)
        if self.args.admin_tool and scope["method"] == "POST":
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            raw = b"".join(chunks)
            token = dict(scope["headers"]).get(b"authorization", b"").decode().removeprefix("Bearer ")
            found = await self.provider.load_access_token(token)
            if b'"admin_tool"' in raw and found is not None and "mcp:admin" not in found.scopes:
                response = JSONResponse({"error": "insufficient_scope"}, status_code=403, headers={
                    "www-authenticate": 'Bearer error="insufficient_scope", scope="mcp:tools mcp:admin"'})
                return await response(scope, receive, send)
            replayed = False

            async def receive_again():
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": raw, "more_body": False}
                return await receive()
            receive = receive_again

        async def send_varied(message):
            if message["type"] == "http.response.start" and message["status"] == 401:
                headers = []
                for name, value in message["headers"]:
                    if name.lower() == b"www-authenticate":
                        text = value.decode()
                        if self.args.prm_at in ("root", "path-only"):
                            text = ", ".join(part for part in text.split(", ") if not part.startswith("resource_metadata="))
                        if self.args.challenge_scope:
                            text += f', scope="{self.args.challenge_scope}"'
                        value = text.encode()
                    headers.append((name, value))
                message = dict(message, headers=headers)
            await send(message)
        return await self.app(scope, receive, send_varied)


def authlib_server(provider, client_id, secret, port, lifetime, resource):
    """authlib's authorization server with the grants the SDK's lacks: client credentials for the
    confidential client `client_id` (HTTP Basic or form authentication), and device authorization
    (RFC 8628) for the public client `device-client`, approved by GET /device/approve?user_code=.
    Tokens are saved where the resource server looks them up."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2.rfc6749 import ClientMixin, grants
    from authlib.oauth2.rfc6750 import BearerTokenGenerator
    from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict
    from flask import Flask, jsonify, request
    from werkzeug.serving import make_server

    issuer = f"http://127.0.0.1:{port}"
    device_credentials, approvals = {}, {}

    class Client(ClientMixin):
        def __init__(self, cid):
            self.cid = cid
            self.public = cid == "device-client"

        def get_client_id(self):
            return self.cid

        def get_default_redirect_uri(self):
            return None

        def get_allowed_scope(self, scope):
            return " ".join(s for s in (scope or "mcp:tools").split() if s in SCOPES)

        def check_redirect_uri(self, redirect_uri):
            return False

        def check_client_secret(self, client_secret):
            return not self.public and secrets.compare_digest(client_secret, secret)

        def check_endpoint_auth_method(self, method, endpoint):
            return method == "none" if self.public else method in ("client_secret_basic", "client_secret_post")

        def check_response_type(self, response_type):
            return False

        def check_grant_type(self, grant_type):
            return grant_type == (DeviceCodeGrant.GRANT_TYPE if self.public else "client_credentials")

    class DeviceEndpoint(DeviceAuthorizationEndpoint):
        INTERVAL = 1
        CLIENT_AUTH_METHODS = ["none"]

        def get_verification_uri(self):
            return f"{issuer}/device"

        def save_device_credential(self, cid, scope, data):
            device_credentials[data["device_code"]] = dict(data, client_id=cid, scope=scope, expires_at=int(time.time()) + data["expires_in"])

    class DeviceGrant(DeviceCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

        def query_device_credential(self, device_code):
            found = device_credentials.get(device_code)
            return DeviceCredentialDict(found) if found else None

        def query_user_grant(self, user_code):
            return ("person", True) if approvals.get(user_code) else None

        def should_slow_down(self, credential):
            return False

    app = Flask("authlib")

    def save_token(token, oauth_request):
        provider.stats["client_credentials"] = provider.stats.get("client_credentials", 0) + 1
        provider.access[token["access_token"]] = AccessToken(
            token=token["access_token"], client_id=oauth_request.client.get_client_id(), scopes=token.get("scope", "").split(),
            expires_at=int(time.time() + lifetime), resource=request.form.get("resource"))

    server = AuthorizationServer(app, query_client=lambda cid: Client(cid) if cid in (client_id, "device-client") else None, save_token=save_token)
    class ClientCredentialsGrant(grants.ClientCredentialsGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    server.register_grant(ClientCredentialsGrant)
    server.register_grant(DeviceGrant)
    server.register_endpoint(DeviceEndpoint)

    @app.post("/device_authorization")
    def device_authorization():
        return server.create_endpoint_response(DeviceEndpoint.ENDPOINT_NAME)

    @app.get("/device/approve")
    def approve():
        approvals[request.args["user_code"]] = True
        return "approved"
    server.register_token_generator("default", BearerTokenGenerator(
        access_token_generator=lambda *args, **kwargs: secrets.token_urlsafe(30), expires_generator=lambda client, grant_type: lifetime))

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.get("/.well-known/oauth-authorization-server")
    def metadata():
        return jsonify(issuer=issuer, token_endpoint=f"{issuer}/token", device_authorization_endpoint=f"{issuer}/device_authorization",
                       grant_types_supported=["client_credentials", DeviceCodeGrant.GRANT_TYPE],
                       token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"], scopes_supported=SCOPES)

    http = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()


class ProviderVerifier:
    def __init__(self, provider):
        self.provider = provider

    async def verify_token(self, token):
        return await self.provider.load_access_token(token)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rs-port", type=int, required=True)
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--iss", choices=["present", "absent", "wrong"], default="present")
    parser.add_argument("--as-port", type=int, required=True)
    parser.add_argument("--resource-path", default="/mcp", help="the resource its metadata names (another path: a mismatch)")
    parser.add_argument("--issuer-path", default="")
    parser.add_argument("--metadata-at", choices=["oauth", "oidc", "oidc-suffix"], default="oauth")
    parser.add_argument("--prm-at", choices=["path", "path-only", "root"], default="path")
    parser.add_argument("--challenge-scope")
    parser.add_argument("--preregistered")
    parser.add_argument("--admin-tool", action="store_true")
    parser.add_argument("--cimd", action="store_true")
    parser.add_argument("--client-credentials")
    args = parser.parse_args()

    issuer = f"http://127.0.0.1:{args.as_port}{args.issuer_path}"
    resource = f"http://127.0.0.1:{args.rs_port}{args.resource_path}"
    provider = MemoryProvider(issuer, args.token_lifetime, args.iss)

    async def revoke_refresh(request):
        count = len(provider.refresh)
        provider.refresh.clear()
        return JSONResponse({"revoked": count})

    async def revoke_access(request):
        count = len(provider.access)
        provider.access.clear()
        return JSONResponse({"revoked": count})

    async def stats(request):
        return JSONResponse(provider.stats)

    provider.cimd = args.cimd
    registration = ClientRegistrationOptions(enabled=args.preregistered is None and not args.cimd, valid_scopes=SCOPES,
                                             default_scopes=["mcp:tools"])
    if args.preregistered:
        client_id, secret, port = args.preregistered.split(":")
        provider.clients[client_id] = OAuthClientInformationFull(
            client_id=client_id, client_secret=secret, redirect_uris=[f"http://127.0.0.1:{port}/callback"],
            token_endpoint_auth_method="client_secret_post", grant_types=["authorization_code", "refresh_token"],
            response_types=["code"], scope=" ".join(SCOPES))
    auth_routes = create_auth_routes(provider, AnyHttpUrl(issuer), client_registration_options=registration,
                                     revocation_options=RevocationOptions(enabled=True))
    test_routes = [Route("/test/revoke-refresh-tokens", revoke_refresh, methods=["POST"]),
                   Route("/test/revoke-access-tokens", revoke_access, methods=["POST"]), Route("/test/stats", stats)]
    if args.issuer_path:
        # The SDK serves its endpoints under the issuer's path; its metadata goes to one of the
        # places a client must look for an issuer with a path, and nowhere else.
        metadata = MetadataHandler(build_metadata(AnyHttpUrl(issuer), None, registration, RevocationOptions(enabled=True))).handle
        place = {"oauth": f"/.well-known/oauth-authorization-server{args.issuer_path}",
                 "oidc": f"/.well-known/openid-configuration{args.issuer_path}",
                 "oidc-suffix": f"{args.issuer_path}/.well-known/openid-configuration"}[args.metadata_at]
        endpoints = [route for route in auth_routes if not route.path.startswith("/.well-known")]
        authorization_server = Starlette(routes=[Route(place, metadata, methods=["GET"])] + test_routes
                                         + [Mount(args.issuer_path, routes=endpoints)])
    elif args.cimd:
        built = build_metadata(AnyHttpUrl(issuer), None, registration, RevocationOptions(enabled=True))
        built.client_id_metadata_document_supported = True
        endpoints = [route for route in auth_routes if not route.path.startswith("/.well-known")]
        authorization_server = Starlette(routes=[Route("/.well-known/oauth-authorization-server", MetadataHandler(built).handle, methods=["GET"])]
                                         + endpoints + test_routes)
    elif args.metadata_at == "oidc":
        metadata = MetadataHandler(build_metadata(AnyHttpUrl(issuer), None, registration, RevocationOptions(enabled=True))).handle
        endpoints = [route for route in auth_routes if not route.path.startswith("/.well-known")]
        authorization_server = Starlette(routes=[Route("/.well-known/openid-configuration", metadata, methods=["GET"])] + endpoints + test_routes)
    else:
        authorization_server = Starlette(routes=auth_routes + test_routes)

    mcp = FastMCP(
        "oauth-upstream", stateless_http=True, json_response=True,
        token_verifier=ProviderVerifier(provider),
        auth=AuthSettings(issuer_url=AnyHttpUrl(issuer), resource_server_url=AnyHttpUrl(resource),
                          required_scopes=["mcp:tools"], validate_token_resource=True))

    @mcp.tool()
    def whoami(ctx: Context) -> str:
        """The client the access token was issued to."""
        from mcp.server.auth.middleware.auth_context import get_access_token
        token = get_access_token()
        return f"client={token.client_id if token else None} scopes={' '.join(token.scopes) if token else ''}"

    @mcp.tool()
    def admin_tool() -> str:
        """Needs mcp:admin (see --admin-tool)."""
        return "admin ok"

    resource_server = ResourceServerVariant(mcp.streamable_http_app(), args, resource, provider)

    async def serve():
        servers = [
            uvicorn.Server(uvicorn.Config(authorization_server, host="127.0.0.1", port=args.as_port, log_level="warning")),
            uvicorn.Server(uvicorn.Config(resource_server, host="127.0.0.1", port=args.rs_port, log_level="warning")),
        ]
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        while not all(server.started for server in servers):
            await asyncio.sleep(0.05)
        cc_port = ""
        if args.client_credentials:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                cc_port = probe.getsockname()[1]
            client_id, secret = args.client_credentials.split(":")
            authlib_server(provider, client_id, secret, cc_port, args.token_lifetime, resource)
        print(f"READY {args.as_port} {args.rs_port} {cc_port}".rstrip(), flush=True)
        await asyncio.gather(*tasks)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
