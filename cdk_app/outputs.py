"""amplify_outputs.json (Amplify Gen 2 client configuration), the one builder for the local and the
deployed stack. Standard library only (no CDK import), so the local stack (pitstop_local/stack.py) uses
it as it is; cdk_app/stack.py fills it with CDK tokens for the ids.

    build_amplify_outputs(config, graphql_url=..., api_key=..., region=..., user_pool_id=...,
                          user_pool_client_id=..., mfa_configuration=..., customer_sms=...,
                          aws_endpoint_url=None, realtime_url=None, custom=None) -> dict

`config` is api_config.json: the staff group and the authorization modes come from there.
"""

from __future__ import annotations

import json
from typing import Any

OUTPUTS_VERSION = "1.4"
MFA_CONFIGURATIONS = ("NONE", "OPTIONAL", "REQUIRED")
#: `custom.customerSms`: whether the stage texts customers (the pages offer SMS only then)
CUSTOMER_SMS_KEY = "customerSms"


def build_amplify_outputs(
    config: dict[str, Any],
    *,
    graphql_url: str,
    api_key: str,
    region: str,
    user_pool_id: str,
    user_pool_client_id: str,
    mfa_configuration: str,
    customer_sms: bool,
    aws_endpoint_url: str | None = None,
    realtime_url: str | None = None,
    custom: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The client configuration in Amplify's outputs format (version 1.x).

    `authorization_types` lists the additional modes (Amplify's meaning); the default one is separate.
    `mfa_configuration` is the user pool's: NONE, OPTIONAL or REQUIRED (TOTP only).
    `aws_endpoint_url` (local stack only) is where the emulated AWS services listen; it goes to
    `custom.aws_endpoint_url` and the frontend's local mode points Amplify Auth's
    `userPoolEndpoint` at it. `realtime_url` goes to `custom.realtime_url` (Amplify derives its own).
    `customer_sms` (the stage's SMS switch) goes to `custom.customerSms`: the pages offer SMS only
    when it is true.
    """
    if mfa_configuration not in MFA_CONFIGURATIONS:
        raise ValueError(f"mfa_configuration must be one of {MFA_CONFIGURATIONS}, not {mfa_configuration!r}")
    outputs: dict[str, Any] = {
        "version": OUTPUTS_VERSION,
        "auth": {
            "aws_region": region,
            "user_pool_id": user_pool_id,
            "user_pool_client_id": user_pool_client_id,
            "username_attributes": ["email"],
            "standard_required_attributes": ["email"],
            "user_verification_types": ["email"],
            "groups": [{config["staffGroup"]: {"precedence": 0}}],
            "password_policy": {
                "min_length": 12,
                "require_lowercase": True,
                "require_uppercase": True,
                "require_numbers": True,
                "require_symbols": True,
            },
            "mfa_configuration": mfa_configuration,
            "mfa_methods": [] if mfa_configuration == "NONE" else ["TOTP"],
            "unauthenticated_identities_enabled": False,
        },
        "data": {
            "url": graphql_url,
            "aws_region": region,
            "api_key": api_key,
            "default_authorization_type": config["authorization"]["default"],
            "authorization_types": list(config["authorization"]["additional"]),
        },
    }
    extra: dict[str, Any] = {**(custom or {}), CUSTOMER_SMS_KEY: bool(customer_sms)}
    if aws_endpoint_url:
        extra["aws_endpoint_url"] = aws_endpoint_url
    if realtime_url:
        extra["realtime_url"] = realtime_url
    outputs["custom"] = extra
    return outputs


def dumps(outputs: dict[str, Any]) -> str:
    return json.dumps(outputs, indent=2) + "\n"
