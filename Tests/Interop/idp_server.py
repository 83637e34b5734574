"""A team identity provider for the proxy's inbound OAuth tests (`client_auth: oauth`), over
HTTPS: the official MCP Python SDK's authorization-server support (metadata, /authorize,
/token, /register with PKCE, from oauth_server.py's provider) issuing JWT access tokens that
joserfc signs, and the JWKS those tokens verify with.

A second authorization server in the same process, authlib's (Flask, plain http on loopback),
carries what the SDK's lacks: RFC 7662 introspection of opaque tokens (authlib's
IntrospectionEndpoint, for the client `introspector`) and RFC 8693 token exchange for the client
`gateway` (authlib 1.9 ships no RFC 8693 grant, so `TokenExchangeGrant` is written here from the
RFC on authlib's grant framework: client authentication, the subject token verified by joserfc,
a JWT for the requested resource with `act` naming the gateway). An MCP server (`--upstream-port`)
accepts only such exchanged tokens and answers `whoami` with the subject it acts for.

For the tests: POST /test/mint {"claims": {...}, "header": {...}, "key": KID, "raw_signature": ...}
returns a token joserfc signed (or, for the attacks no library signs, the raw parts); POST
/test/keys {"kid": K, "kind": "RSA"|"EC", "publish": bool, "sign": bool} adds a key; POST
/test/publish {"kid": K} publishes one; POST /test/jwks {"down": bool} takes the JWKS away
(503); GET /test/stats counts JWKS fetches, introspections and exchanges; POST /test/opaque
{"claims": {...}} returns an opaque token whose introspection answers those claims.

Prints `READY <port> <authlib_port>` once it listens on https://localhost:<port>.
"""
import argparse, asyncio, base64, hashlib, hmac, json, os, secrets, sys, threading, time

import uvicorn
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oauth_server import MemoryProvider  # noqa: E402
from mcp.server.auth.routes import build_metadata, create_auth_routes  # noqa: E402
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions  # noqa: E402
from mcp.shared.auth import OAuthToken  # noqa: E402

SCOPES = ["mcp", "mcp:read", "mcp:admin"]


class Keys:
    """The provider's keys: those published in the JWKS, and the one that signs new tokens."""

    def __init__(self):
        self.keys, self.published = {}, []
        self.signing = None
        self.add("rsa-1", "RSA", publish=True, sign=True)
        self.add("ec-1", "EC", publish=True)

    def add(self, kid, kind, publish, sign=False):
        key = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}) if kind == "RSA" \
            else ECKey.generate_key("P-256", parameters={"kid": kid, "use": "sig"})
        self.keys[kid] = key
        if publish:
            self.published.append(kid)
        if sign:
            self.signing = kid

    def jwks(self):
        return {"keys": [self.keys[kid].as_dict(private=False) for kid in self.published]}

    def alg(self, kid):
        return "RS256" if isinstance(self.keys[kid], RSAKey) else "ES256"


class JWTProvider(MemoryProvider):
    """oauth_server.py's provider (the SDK's authorization server API), issuing RFC 9068 JWTs."""

    def __init__(self, issuer, keys):
        super().__init__(issuer, 3600, "present")
        self.keys = keys

    def issue(self, client_id, scopes, resource):
        now = int(time.time())
        kid = self.keys.signing
        claims = {"iss": self.issuer, "aud": resource, "sub": f"user-of-{client_id}", "client_id": client_id,
                  "preferred_username": "ada", "scope": " ".join(scopes), "iat": now, "exp": now + 600, "jti": os.urandom(8).hex()}
        token = jwt.encode({"alg": self.keys.alg(kid), "kid": kid, "typ": "at+jwt"}, claims, self.keys.keys[kid])
        self.stats["issued"] = self.stats.get("issued", 0) + 1
        return OAuthToken(access_token=token, token_type="Bearer", expires_in=600, scope=" ".join(scopes) or None)


def authlib_server(keys, subject_issuer, port, opaque, stats):
    """Introspection and token exchange, on authlib's authorization server framework."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2.rfc6749 import ClientMixin
    from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, UnauthorizedClientError
    from authlib.oauth2.rfc6749.grants.base import BaseGrant, TokenEndpointMixin
    from authlib.oauth2.rfc7662 import IntrospectionEndpoint
    from flask import Flask, jsonify
    from werkzeug.serving import make_server

    issuer = f"http://127.0.0.1:{port}"
    secrets_by_client = {"gateway": "gateway-secret", "introspector": "introspect-secret"}

    class Client(ClientMixin):
        def __init__(self, cid):
            self.cid = cid

        def get_client_id(self):
            return self.cid

        def check_client_secret(self, client_secret):
            return hmac.compare_digest(client_secret, secrets_by_client[self.cid])

        def check_endpoint_auth_method(self, method, endpoint):
            return method in ("client_secret_basic", "client_secret_post")

        def check_grant_type(self, grant_type):
            return self.cid == "gateway" and grant_type == TokenExchangeGrant.GRANT_TYPE

        def get_allowed_scope(self, scope):
            return scope or ""

    class TokenExchangeGrant(BaseGrant, TokenEndpointMixin):
        GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def validate_token_request(self):
            client = self.authenticate_token_endpoint_client()
            if not client.check_grant_type(self.GRANT_TYPE):
                raise UnauthorizedClientError("not allowed to exchange tokens")
            form = self.request.form
            if form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:access_token" or not form.get("subject_token"):
                raise InvalidRequestError("subject_token and its type are required")
            try:
                claims = jwt.decode(form["subject_token"], KeySet([keys.keys[k] for k in keys.published]), algorithms=["RS256", "ES256"]).claims
            except Exception as error:  # noqa: BLE001 - any decoding failure is an invalid grant
                raise InvalidGrantError(f"the subject token does not verify: {error}")
            if claims.get("iss") != subject_issuer or claims.get("exp", 0) < time.time():
                raise InvalidGrantError("the subject token is not a valid token of this provider")
            self.request.client = client
            self.request.subject_claims = claims

        def create_token_response(self):
            now = int(time.time())
            resource = self.request.form.get("resource")
            subject = self.request.subject_claims
            claims = {"iss": issuer, "aud": resource, "sub": subject["sub"], "act": {"sub": self.request.client.cid},
                      "scope": self.request.form.get("scope", ""), "iat": now, "exp": now + 120}
            token = jwt.encode({"alg": "RS256", "kid": keys.signing}, claims, keys.keys[keys.signing])
            stats["exchanges"] = stats.get("exchanges", 0) + 1
            return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 120,
                         "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}, self.TOKEN_RESPONSE_HEADER

    class OpaqueToken:
        def __init__(self, claims):
            self.claims = claims

        def is_expired(self):
            return self.claims.get("exp", 0) < time.time()

        def is_revoked(self):
            return False

    class Introspection(IntrospectionEndpoint):
        CLIENT_AUTH_METHODS = ["client_secret_basic"]

        def query_token(self, token, token_type_hint):
            stats["introspections"] = stats.get("introspections", 0) + 1
            found = opaque.get(token)
            return OpaqueToken(found) if found else None

        def introspect_token(self, token):
            return dict(token.claims, active=True)

        def check_permission(self, token, client, request):
            return client.cid == "introspector"

    app = Flask("authlib-gateway")
    server = AuthorizationServer(app, query_client=lambda cid: Client(cid) if cid in secrets_by_client else None,
                                 save_token=lambda token, request: None)
    server.register_grant(TokenExchangeGrant)
    server.register_endpoint(Introspection)

    @app.post("/token")
    def token():
        return server.create_token_response()

    @app.post("/introspect")
    def introspect():
        return server.create_endpoint_response(Introspection.ENDPOINT_NAME)

    @app.get("/.well-known/oauth-authorization-server")
    def metadata():
        return jsonify(issuer=issuer, token_endpoint=f"{issuer}/token", introspection_endpoint=f"{issuer}/introspect",
                       grant_types_supported=[TokenExchangeGrant.GRANT_TYPE], token_endpoint_auth_methods_supported=["client_secret_basic"])

    http = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    return issuer


def exchanged_token_upstream(keys, exchange_issuer, port):
    """An MCP server that accepts only tokens exchanged for it, and says on whose behalf."""
    from mcp.server.auth.provider import AccessToken
    from mcp.server.auth.settings import AuthSettings
    from mcp.server.fastmcp import FastMCP

    resource = f"http://127.0.0.1:{port}/mcp"

    class Verifier:
        async def verify_token(self, token):
            try:
                claims = jwt.decode(token, KeySet([keys.keys[k] for k in keys.published]), algorithms=["RS256"]).claims
            except Exception:  # noqa: BLE001
                return None
            if claims.get("iss") != exchange_issuer or claims.get("aud") != resource or claims.get("exp", 0) < time.time():
                return None
            Verifier.last[token] = claims
            return AccessToken(token=token, client_id=claims["act"]["sub"], scopes=(claims.get("scope") or "").split(),
                               expires_at=claims["exp"], resource=resource)
    Verifier.last = {}

    mcp = FastMCP("on-behalf-upstream", stateless_http=True, json_response=True, token_verifier=Verifier(),
                  auth=AuthSettings(issuer_url=AnyHttpUrl(exchange_issuer), resource_server_url=AnyHttpUrl(resource)))

    @mcp.tool()
    def whoami() -> str:
        """The subject the exchanged token acts for, and who acts."""
        from mcp.server.auth.middleware.auth_context import get_access_token
        claims = Verifier.last[get_access_token().token]
        return f"sub={claims['sub']} act={claims['act']['sub']}"

    return mcp.streamable_http_app()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--authlib-port", type=int, required=True)
    parser.add_argument("--upstream-port", type=int, required=True)
    args = parser.parse_args()
    issuer = f"https://localhost:{args.port}"
    keys = Keys()
    provider = JWTProvider(issuer, keys)
    state = {"down": False, "jwks_fetches": 0}
    opaque = {}
    exchange_issuer = authlib_server(keys, issuer, args.authlib_port, opaque, state)

    registration = ClientRegistrationOptions(enabled=True, valid_scopes=SCOPES, default_scopes=["mcp"])
    metadata = build_metadata(AnyHttpUrl(issuer), None, registration, RevocationOptions(enabled=False)).model_dump(mode="json", exclude_none=True)
    metadata["jwks_uri"] = f"{issuer}/jwks"
    # The SDK writes the issuer as a URL with a trailing slash; tokens and the listener's metadata
    # name it without, and SDK 2.x compares the two exactly (RFC 8414 §3.3).
    metadata["issuer"] = issuer

    async def metadata_route(request):
        return JSONResponse(metadata)

    async def jwks(request):
        state["jwks_fetches"] += 1
        if state["down"]:
            return JSONResponse({"error": "down for the test"}, status_code=503)
        return JSONResponse(keys.jwks())

    async def mint(request: Request):
        body = await request.json()
        kid = body.get("key", keys.signing)
        header = {"alg": keys.alg(kid), "kid": kid, "typ": "at+jwt"}
        header.update(body.get("header", {}))
        header = {k: v for k, v in header.items() if v is not None}
        claims = body["claims"]
        if body.get("forge") == "none":
            token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."
        elif body.get("forge") == "hs256-public-key":
            # Algorithm confusion: an HMAC keyed with the published public key's PEM.
            public_pem = keys.keys[kid].as_pem(private=False)
            signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
            token = signing_input + "." + b64(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
        else:
            token = jwt.encode(header, claims, keys.keys[kid], algorithms=[header["alg"]])
        return JSONResponse({"token": token})

    async def add_key(request: Request):
        body = await request.json()
        keys.add(body["kid"], body.get("kind", "RSA"), body.get("publish", False), body.get("sign", False))
        return JSONResponse({"kid": body["kid"]})

    async def publish(request: Request):
        keys.published.append((await request.json())["kid"])
        return JSONResponse({"published": keys.published})

    async def jwks_state(request: Request):
        state["down"] = (await request.json())["down"]
        return JSONResponse(state)

    async def mint_opaque(request: Request):
        token = secrets.token_urlsafe(32)
        opaque[token] = (await request.json())["claims"]
        return JSONResponse({"token": token})

    async def stats(request):
        return JSONResponse(dict(provider.stats, **state))

    auth_routes = [route for route in create_auth_routes(provider, AnyHttpUrl(issuer), client_registration_options=registration)
                   if not route.path.startswith("/.well-known")]
    app = Starlette(routes=[Route("/.well-known/oauth-authorization-server", metadata_route), Route("/jwks", jwks),
                            Route("/test/mint", mint, methods=["POST"]), Route("/test/keys", add_key, methods=["POST"]),
                            Route("/test/publish", publish, methods=["POST"]), Route("/test/jwks", jwks_state, methods=["POST"]),
                            Route("/test/opaque", mint_opaque, methods=["POST"]), Route("/test/stats", stats)] + auth_routes)

    async def serve():
        servers = [uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                                                 ssl_certfile=args.cert, ssl_keyfile=args.key)),
                   uvicorn.Server(uvicorn.Config(exchanged_token_upstream(keys, exchange_issuer, args.upstream_port),
                                                 host="127.0.0.1", port=args.upstream_port, log_level="warning"))]
        tasks = [asyncio.create_task(server.serve()) for server in servers]
        while not all(server.started for server in servers):
            await asyncio.sleep(0.05)
        print(f"READY {args.port} {args.authlib_port}", flush=True)
        await asyncio.gather(*tasks)

    asyncio.run(serve())


if __name__ == "__main__":
    main()
