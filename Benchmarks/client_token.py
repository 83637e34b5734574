"""The identity provider of the benchmarks' `client_auth: oauth` side, from openssl and the
standard library only: an RSA key's JWKS and one RS256 JWT for `audience`.
    client_token.py WORKDIR NAME AUDIENCE   -> WORKDIR/NAME.jwks.json, WORKDIR/NAME.jwt"""
import base64, json, subprocess, sys, time

work, name, audience = sys.argv[1], sys.argv[2], sys.argv[3]
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", f"{work}/{name}.key"],
               check=True, capture_output=True)
b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
modulus = subprocess.run(["openssl", "rsa", "-in", f"{work}/{name}.key", "-noout", "-modulus"], capture_output=True, text=True, check=True).stdout
n = bytes.fromhex(modulus.strip().split("=", 1)[1])
json.dump({"keys": [{"kty": "RSA", "kid": "bench", "use": "sig", "alg": "RS256", "n": b64(n), "e": "AQAB"}]}, open(f"{work}/{name}.jwks.json", "w"))
header = b64(json.dumps({"alg": "RS256", "kid": "bench", "typ": "at+jwt"}).encode())
claims = b64(json.dumps({"iss": "https://idp.bench", "aud": audience, "sub": "bench-user", "scope": "mcp",
                         "iat": int(time.time()), "exp": int(time.time()) + 86400}).encode())
signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", f"{work}/{name}.key"], input=f"{header}.{claims}".encode(),
                           capture_output=True, check=True).stdout
open(f"{work}/{name}.jwt", "w").write(f"{header}.{claims}.{b64(signature)}")
