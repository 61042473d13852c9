"""S3 adapter for the photo bucket (BUCKET_NAME): presign a POST, inspect an upload, promote or discard
it, presign a GET. The bytes never pass through the function: browsers POST to S3 and GET from it.

Keys: an upload lands at `pending/<ticket>/<photo>` (a bucket lifecycle rule deletes what is never
confirmed) and a confirmed photo lives at `photos/<ticket>/<photo>`.

botocore's S3 client has generate_presigned_post itself (botocore.signers.add_generate_presigned_post),
so no boto3 import (see aws.py for why).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from . import aws

PENDING_PREFIX = "pending/"
FINAL_PREFIX = "photos/"
UPLOAD_SECONDS = 300  # a presigned POST is good for five minutes
READ_SECONDS = 600  # a presigned GET for ten
_CALLS = aws.CallLimits(connect_seconds=2, read_seconds=5, max_attempts=3)
# SigV4 everywhere. Deployed: virtual-hosted, regional endpoint (https://<bucket>.s3.<region>.amazonaws.com,
# the one origin the site's CSP allows, us-east-1 included); locally (AWS_ENDPOINT_URL, moto): path
# style, http://127.0.0.1:<port>/<bucket>, which the browser reaches as is.
_DEPLOYED = Config(
    signature_version="s3v4", s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"}
)
_LOCAL = Config(signature_version="s3v4", s3={"addressing_style": "path"})


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class StoredUpload:
    """What S3 holds at an upload's key: its size, its Content-Type and its first bytes."""

    size: int
    content_type: str
    head: bytes


def bucket() -> str:
    return os.environ["BUCKET_NAME"]


def _client() -> Any:
    return aws.client("s3", _CALLS, _LOCAL if os.environ.get("AWS_ENDPOINT_URL") else _DEPLOYED)


def pending_key(ticket_id: str, photo_id: str) -> str:
    return f"{PENDING_PREFIX}{ticket_id}/{photo_id}"


def final_key(ticket_id: str, photo_id: str) -> str:
    return f"{FINAL_PREFIX}{ticket_id}/{photo_id}"


def _missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return str(error.get("Code")) in {"404", "NoSuchKey", "NotFound"} or status == 404


def presign_post(key: str, content_type: str, size: int) -> PresignedPost:
    """A POST that can store exactly `key`, with exactly this Content-Type and exactly `size` bytes
    (content-length-range size..size), for UPLOAD_SECONDS. S3 refuses anything else. `expires_at` is
    the signed policy's own expiration (botocore reads the clock itself), so the two never differ."""
    post = _client().generate_presigned_post(
        Bucket=bucket(),
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", size, size]],
        ExpiresIn=UPLOAD_SECONDS,
    )
    fields = dict(post["fields"])
    policy = json.loads(base64.b64decode(fields["policy"]))
    expires_at = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return PresignedPost(url=post["url"], fields=fields, expires_at=expires_at)


def inspect(key: str, head_bytes: int) -> StoredUpload | None:
    """HeadObject (size, type) and a ranged GET of the first `head_bytes`; None when nothing is there."""
    s3 = _client()
    try:
        head = s3.head_object(Bucket=bucket(), Key=key)
        body = s3.get_object(Bucket=bucket(), Key=key, Range=f"bytes=0-{head_bytes - 1}")["Body"]
        try:
            first = body.read(head_bytes)
        finally:
            body.close()
    except ClientError as exc:
        if _missing(exc):
            return None
        raise
    return StoredUpload(
        size=int(head.get("ContentLength", -1)), content_type=str(head.get("ContentType", "")), head=first
    )


def promote(source: str, target: str) -> bool:
    """Copy an accepted upload to its final key (type and metadata kept); False if it is gone."""
    try:
        _client().copy_object(
            Bucket=bucket(),
            Key=target,
            CopySource={"Bucket": bucket(), "Key": source},
            MetadataDirective="COPY",
        )
    except ClientError as exc:
        if _missing(exc):
            return False
        raise
    return True


def discard(key: str) -> None:
    """Delete an object (S3 answers 204 for a key that is not there)."""
    _client().delete_object(Bucket=bucket(), Key=key)


def presign_get(key: str) -> str:
    """A GET of `key` valid for READ_SECONDS (a signature computed here: no AWS call)."""
    return str(
        _client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket(), "Key": key}, ExpiresIn=READ_SECONDS
        )
    )
