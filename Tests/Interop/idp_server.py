"""A team identity provider for the proxy's inbound OAuth tests (`client_auth: oauth`), over
HTTPS: the official MCP Python SDK's authorization-server support (metadata, /authorize,
/token, /register with PKCE, from oauth_server.py's provider) issuing JWT access tokens that
joserfc signs, and the JWKS those tokens verify with.

For the tests: POST /test/mint {"claims": {...}, "header": {...}, "key": KID, "raw_signature": ...}
returns a token joserfc signed (or, for the attacks no library signs, the raw parts); POST
/test/keys {"kid": K, "kind": "RSA"|"EC", "publish": bool, "sign": bool} adds a key; POST
/test/publish {"kid": K} publishes one; POST /test/jwks {"down": bool} takes the JWKS away
(503); GET /test/stats counts JWKS fetches.

Prints `READY <port>` once it listens on https://localhost:<port>.
"""
import argparse, asyncio, base64, hashlib, hmac, json, os, sys, time

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


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    args = parser.parse_args()
    issuer = f"https://localhost:{args.port}"
    keys = Keys()
    provider = JWTProvider(issuer, keys)
    state = {"down": False, "jwks_fetches": 0}

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

    async def stats(request):
        return JSONResponse(dict(provider.stats, **state))

    auth_routes = [route for route in create_auth_routes(provider, AnyHttpUrl(issuer), client_registration_options=registration)
                   if not route.path.startswith("/.well-known")]
    app = Starlette(routes=[Route("/.well-known/oauth-authorization-server", metadata_route), Route("/jwks", jwks),
                            Route("/test/mint", mint, methods=["POST"]), Route("/test/keys", add_key, methods=["POST"]),
                            Route("/test/publish", publish, methods=["POST"]), Route("/test/jwks", jwks_state, methods=["POST"]),
                            Route("/test/stats", stats)] + auth_routes)

    async def serve():
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                                               ssl_certfile=args.cert, ssl_keyfile=args.key))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        print(f"READY {args.port}", flush=True)
        await task

    asyncio.run(serve())


if __name__ == "__main__":
    main()
