"""Sign-in for the local notes board without a user pool: signs Cognito-shaped ID tokens with a
key made on first use (.dev-key.pem, never committed) and writes its public half to jwks.json,
which config.json's local.cognito.jwksFile gives appsync-local.

    python dev_token.py alice        # prints an ID token for user "alice"
    python dev_token.py --init       # only make the key and jwks.json
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = Path(__file__).resolve().parent
KEY_FILE = HERE / ".dev-key.pem"
JWKS_FILE = HERE / "jwks.json"
CONFIG = json.loads((HERE / "config.json").read_text(encoding="utf-8"))["local"]["cognito"]
REGION = CONFIG.get("region", "us-east-1")
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{CONFIG['userPoolId']}"
KID = "notes-dev-key"


def private_key() -> rsa.RSAPrivateKey:
    if not KEY_FILE.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        KEY_FILE.write_bytes(pem)
        KEY_FILE.chmod(0o600)
    loaded = serialization.load_pem_private_key(KEY_FILE.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(loaded.public_key()))
    JWKS_FILE.write_text(json.dumps({"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}))
    return loaded


def id_token(username: str, groups: list[str] | None = None) -> str:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
        "iss": ISSUER,
        "aud": CONFIG["clientIds"][0],
        "token_use": "id",
        "cognito:username": username,
        "iat": now,
        "auth_time": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    if groups:
        claims["cognito:groups"] = groups
    return jwt.encode(claims, private_key(), algorithm="RS256", headers={"kid": KID})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("username", nargs="?", default="alice")
    parser.add_argument("--init", action="store_true", help="only make the key and jwks.json")
    args = parser.parse_args()
    if args.init:
        private_key()
        print(f"wrote {JWKS_FILE}")
    else:
        print(id_token(args.username))
