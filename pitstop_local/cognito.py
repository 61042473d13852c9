"""Sign a user in with Cognito's USER_PASSWORD_AUTH flow, from amplify_outputs.json (local or deployed)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config


def sign_in(outputs: dict[str, Any], username: str, password: str) -> dict[str, Any]:
    """USER_PASSWORD_AUTH against the pool in `outputs` → AuthenticationResult (IdToken, AccessToken, ...).

    Unsigned, as a browser does it; locally against `custom.aws_endpoint_url` (moto).
    """
    auth = outputs["auth"]
    endpoint = (outputs.get("custom") or {}).get("aws_endpoint_url")
    cognito = boto3.session.Session().client(
        "cognito-idp",
        region_name=auth["aws_region"],
        endpoint_url=endpoint,
        config=Config(signature_version=UNSIGNED),
    )
    response = cognito.initiate_auth(
        ClientId=auth["user_pool_client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if "AuthenticationResult" not in response:
        raise RuntimeError(f"sign-in needs a challenge: {response.get('ChallengeName')}")
    result: dict[str, Any] = response["AuthenticationResult"]
    return result


def staff_id_token(outputs: dict[str, Any], username: str, password: str) -> str:
    return str(sign_in(outputs, username, password)["IdToken"])
