"""amplify_outputs.json (Amplify Gen 2 client configuration), one builder for the local and the deployed
stack. Standard library only, no local-only imports: cdk_app can import and reuse it.

    build_amplify_outputs(graphql_url=..., api_key=..., region=..., user_pool_id=...,
                          user_pool_client_id=..., aws_endpoint_url=None, realtime_url=None) -> dict
"""

from __future__ import annotations

import json
from typing import Any

DEFAULT_AUTHORIZATION_TYPE = "AMAZON_COGNITO_USER_POOLS"
ADDITIONAL_AUTHORIZATION_TYPES = ("API_KEY", "AWS_IAM")


def build_amplify_outputs(
    *,
    graphql_url: str,
    api_key: str,
    region: str,
    user_pool_id: str,
    user_pool_client_id: str,
    aws_endpoint_url: str | None = None,
    realtime_url: str | None = None,
    default_authorization_type: str = DEFAULT_AUTHORIZATION_TYPE,
    authorization_types: tuple[str, ...] | list[str] = ADDITIONAL_AUTHORIZATION_TYPES,
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The client configuration in Amplify's outputs format (version 1.x).

    `authorization_types` lists the additional modes (Amplify's meaning); the default one is separate.
    `aws_endpoint_url` (local stack only) is where the emulated AWS services listen; it goes to
    `custom.aws_endpoint_url` and the frontend's local mode points Amplify Auth's
    `userPoolEndpoint` at it. `realtime_url` goes to `custom.realtime_url` (Amplify derives its own).
    """
    outputs: dict[str, Any] = {
        "version": "1.4",
        "auth": {
            "aws_region": region,
            "user_pool_id": user_pool_id,
            "user_pool_client_id": user_pool_client_id,
            "username_attributes": ["email"],
            "standard_required_attributes": ["email"],
            "user_verification_types": ["email"],
            "groups": [{"staff": {"precedence": 0}}],
            "password_policy": {
                "min_length": 12,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
            },
            "mfa_configuration": "NONE",
            "unauthenticated_identities_enabled": False,
        },
        "data": {
            "url": graphql_url,
            "aws_region": region,
            "api_key": api_key,
            "default_authorization_type": default_authorization_type,
            "authorization_types": list(authorization_types),
        },
    }
    extra: dict[str, Any] = dict(custom or {})
    if aws_endpoint_url:
        extra["aws_endpoint_url"] = aws_endpoint_url
    if realtime_url:
        extra["realtime_url"] = realtime_url
    if extra:
        outputs["custom"] = extra
    return outputs


def dumps(outputs: dict[str, Any]) -> str:
    return json.dumps(outputs, indent=2) + "\n"
