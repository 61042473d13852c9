"""Create, in moto, the AWS resources the deployed stack has: table, topic, photo bucket, user pool, staff.

The table's keys, indexes, stream view and TTL attribute come from table.json, the staff group from
api_config.json: the files the CDK app deploys from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from .config import api_config, table_schema

REGION = "us-east-1"
TABLE_NAME = "pitstop-tickets"
TOPIC_NAME = "pitstop-staff-notifications"
PHOTO_BUCKET = "pitstop-photos"
USER_POOL_NAME = "pitstop-staff"
USER_POOL_CLIENT_NAME = "pitstop-web"
STAFF_GROUP: str = api_config()["staffGroup"]
MFA_CONFIGURATION = "OPTIONAL"  # TOTP offered to each user, as deployed outside prod (cdk_app/auth.py)
MOTO_CREDENTIALS = "testing"
CUSTOMER_SENDER = "repairs@pitstop.local.example"


@dataclass(frozen=True)
class Resources:
    endpoint_url: str
    region: str
    table_name: str
    table_arn: str
    stream_arn: str
    topic_arn: str
    user_pool_id: str
    user_pool_client_id: str
    staff_group: str
    photo_bucket: str

    @property
    def issuer(self) -> str:
        """The `iss` moto puts in its tokens (the AWS form, although moto serves them locally)."""
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks_url(self) -> str:
        """Where moto's server publishes the pool's signing keys."""
        return f"{self.endpoint_url}/{self.user_pool_id}/.well-known/jwks.json"


def client(service: str, endpoint_url: str, region: str = REGION) -> Any:
    """A client for moto, with moto's customary credentials (moto accepts any)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=MOTO_CREDENTIALS,
        aws_secret_access_key=MOTO_CREDENTIALS,
    )


def create_table(ddb: Any, name: str = TABLE_NAME) -> dict[str, Any]:
    schema = table_schema()
    table = ddb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": kind}
            for attribute, kind in schema["attributeTypes"].items()
        ],
        KeySchema=[{"AttributeName": schema["partitionKey"], "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index["indexName"],
                "KeySchema": [
                    {"AttributeName": index["partitionKey"], "KeyType": "HASH"},
                    {"AttributeName": index["sortKey"], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in schema["globalSecondaryIndexes"]
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": schema["streamViewType"]},
    )["TableDescription"]
    ddb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": schema["timeToLiveAttribute"]},
    )
    return table


def create_user_pool(cognito: Any, staff_username: str, staff_password: str) -> tuple[str, str]:
    """User pool (optional TOTP MFA) + public app client (USER_PASSWORD_AUTH, SRP, refresh; no secret) +
    group + staff."""
    pool_id = cognito.create_user_pool(
        PoolName=USER_POOL_NAME,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 12,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
            }
        },
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=USER_POOL_CLIENT_NAME,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    # As deployed: TOTP (authenticator app) two-step sign-in, optional for each user; no SMS.
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration=MFA_CONFIGURATION,
    )
    cognito.create_group(UserPoolId=pool_id, GroupName=STAFF_GROUP, Description="Workshop staff")
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=staff_username,
        UserAttributes=[
            {"Name": "email", "Value": staff_username},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=staff_username, Password=staff_password, Permanent=True
    )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=staff_username, GroupName=STAFF_GROUP)
    return pool_id, client_id


def create_all(endpoint_url: str, staff_username: str, staff_password: str) -> Resources:
    table = create_table(client("dynamodb", endpoint_url))
    topic_arn = client("sns", endpoint_url).create_topic(Name=TOPIC_NAME)["TopicArn"]
    client("s3", endpoint_url).create_bucket(Bucket=PHOTO_BUCKET)  # private, as deployed (cdk_app/photos.py)
    # the customer e-mail's sender, verified (moto, like SES, refuses an unverified one)
    client("sesv2", endpoint_url).create_email_identity(EmailIdentity=CUSTOMER_SENDER)
    pool_id, client_id = create_user_pool(client("cognito-idp", endpoint_url), staff_username, staff_password)
    return Resources(
        endpoint_url=endpoint_url,
        region=REGION,
        table_name=table["TableName"],
        table_arn=table["TableArn"],
        stream_arn=table["LatestStreamArn"],
        topic_arn=topic_arn,
        user_pool_id=pool_id,
        user_pool_client_id=client_id,
        staff_group=STAFF_GROUP,
        photo_bucket=PHOTO_BUCKET,
    )
