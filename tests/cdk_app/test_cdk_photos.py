"""The photo bucket as synthesized: private, TLS only, encrypted, logged, CORS for the site and POST
only, unconfirmed uploads expire, the resolver's exact grants, its BUCKET_NAME, and the site's CSP."""

from __future__ import annotations

import json
from typing import Any

from cdk_helpers import Synth

from cdk_app import photos as photos_construct

PHOTOS = "PhotosBucket"


def _bucket(synth: Synth, prefix: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in synth.resources("AWS::S3::Bucket").items() if k.startswith(prefix)]
    return found


def _policy_of(synth: Synth, bucket_id: str) -> dict[str, Any]:
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    return policy


def test_photo_bucket_private_encrypted_tls_only_and_logged(synth: Synth) -> None:
    bucket_id, bucket = _bucket(synth, PHOTOS)
    props = bucket["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    logs_id, _ = _bucket(synth, "PhotosAccessLogs")
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    statements = _policy_of(synth, bucket_id)["Statement"]
    (deny,) = statements  # nothing is allowed by the bucket policy: only the resolver role's grants
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert all(s["Effect"] == "Deny" for s in _policy_of(synth, logs_id)["Statement"][:1])


def test_cors_for_the_site_origin_and_post_only(synth: Synth) -> None:
    _, bucket = _bucket(synth, PHOTOS)
    (rule,) = bucket["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    (origin,) = rule["AllowedOrigins"]
    assert json.dumps(origin) == json.dumps(
        {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [_distribution_id(synth), "DomainName"]}]]}
    )


def _distribution_id(synth: Synth) -> str:
    distribution_id, _ = synth.one("AWS::CloudFront::Distribution")
    return distribution_id


def test_unconfirmed_uploads_deleted_after_a_day(synth: Synth) -> None:
    _, bucket = _bucket(synth, PHOTOS)
    (rule,) = bucket["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["Prefix"] == "pending/" and rule["ExpirationInDays"] == 1 and rule["Status"] == "Enabled"


def test_resolver_may_do_exactly_what_photo_storage_calls_on_exactly_this_bucket(
    synth: Synth, api_config: dict[str, Any]
) -> None:
    bucket_id, _ = _bucket(synth, PHOTOS)
    handler = api_config["dataSources"]["resolverLambda"]["handler"]
    (fn,) = [
        f for f in synth.resources("AWS::Lambda::Function").values() if f["Properties"]["Handler"] == handler
    ]
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    s3_statements = [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if any(
            str(a).startswith("s3:")
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        )
    ]
    granted = {
        json.dumps(s["Resource"], sort_keys=True): sorted(s["Action"])
        for s in s3_statements
        if s["Effect"] == "Allow"
    }

    def objects(prefix: str) -> str:
        return json.dumps(
            {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, f"/{prefix}*"]]}, sort_keys=True
        )

    assert granted == {
        objects("pending/"): ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
        objects("photos/"): ["s3:GetObject", "s3:PutObject"],
    }
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["BUCKET_NAME"] == {"Ref": bucket_id}
    # no other function may touch photos
    others = [
        p
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} not in p["Properties"]["Roles"] and bucket_id in json.dumps(p)
    ]
    assert others == []


def test_csp_allows_exactly_the_stage_bucket_endpoint(synth: Synth) -> None:
    _, headers = synth.one("AWS::CloudFront::ResponseHeadersPolicy")
    csp = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"][
        "ContentSecurityPolicy"
    ]
    parts = csp["ContentSecurityPolicy"]["Fn::Join"][1]
    text = "".join(p if isinstance(p, str) else f"<{json.dumps(p, separators=(',', ':'))}>" for p in parts)
    account, region, suffix = (
        f"<{json.dumps({'Ref': name}, separators=(',', ':'))}>"
        for name in ("AWS::AccountId", "AWS::Region", "AWS::URLSuffix")
    )
    origin = f"https://pitstop-photos-test-{account}-{region}.s3.{region}.{suffix}"
    directives = {d.split(" ", 1)[0]: d.split(" ")[1:] for d in text.split("; ")}
    assert directives["img-src"] == ["'self'", "data:", "blob:", origin]
    assert directives["connect-src"][-1] == origin and directives["connect-src"].count(origin) == 1
    assert not any("*" in source for source in directives["img-src"] + directives["connect-src"])
    assert photos_construct.PENDING_DAYS == 1
