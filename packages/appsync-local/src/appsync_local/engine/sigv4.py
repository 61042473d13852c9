"""AWS SigV4 verification: recompute the signature over the received request with botocore."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<sig>[0-9a-f]{64})\s*$"
)


class SigV4Error(Exception):
    """The request's signature does not verify."""


@dataclass(frozen=True)
class SignedRequest:
    """What a SigV4 signature covers: method, host + path + query, headers, body."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


def is_sigv4(authorization: str | None) -> bool:
    return authorization is not None and authorization.startswith("AWS4-HMAC-SHA256")


def access_key_id(authorization: str) -> str:
    match = AUTH_RE.match(authorization.strip())
    if not match:
        raise SigV4Error("malformed Authorization header")
    return match.group("akid")


def verify(
    request: SignedRequest,
    secret_key: str,
    region: str,
    session_token: str | None = None,
    max_skew_seconds: int = 300,
    now: datetime | None = None,
) -> str:
    """Verify a SigV4-signed request; return the access key id. Raises SigV4Error."""
    headers = request.headers
    match = AUTH_RE.match(headers.get("authorization", "").strip())
    if not match:
        raise SigV4Error("malformed Authorization header")
    if match.group("service") != "appsync" or match.group("region") != region:
        raise SigV4Error("wrong credential scope")
    amz_date = headers.get("x-amz-date", "")
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError as exc:
        raise SigV4Error("missing or malformed X-Amz-Date") from exc
    if amz_date[:8] != match.group("date"):
        raise SigV4Error("credential date differs from X-Amz-Date")
    if abs(((now or datetime.now(UTC)) - signed_at).total_seconds()) > max_skew_seconds:
        raise SigV4Error("signature expired or not yet valid")
    signed_names = match.group("signed").split(";")
    if "host" not in signed_names:
        raise SigV4Error("host is not signed")
    if session_token is not None and headers.get("x-amz-security-token") != session_token:
        raise SigV4Error("security token mismatch")
    # botocore signs whatever X-Amz-Content-SHA256 claims instead of the body: check the claim.
    # AppSync's SigV4 covers the payload, so UNSIGNED-PAYLOAD (S3's opt-out) is refused.
    claimed = headers.get("x-amz-content-sha256")
    if claimed is not None and not hmac.compare_digest(
        claimed.strip().lower(), hashlib.sha256(request.body).hexdigest()
    ):
        raise SigV4Error("payload hash does not match the body")
    missing = [name for name in signed_names if name not in headers]
    if missing:
        raise SigV4Error(f"signed header missing: {missing[0]}")
    url = f"https://{headers['host']}{request.path}" + (f"?{request.query}" if request.query else "")
    aws_request = AWSRequest(
        method=request.method, url=url, headers={n: headers[n] for n in signed_names}, data=request.body
    )
    aws_request.context["timestamp"] = amz_date
    signer = SigV4Auth(
        Credentials(match.group("akid"), secret_key, session_token), "appsync", match.group("region")
    )
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, match.group("sig")):
        raise SigV4Error("signature mismatch")
    return match.group("akid")
