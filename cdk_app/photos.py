"""Photos: the private bucket the browsers POST photos to (presigned by the resolver) and read them from
(presigned GETs), its access-log bucket, and the resolver's exact grants on it.

Keys (resolvers/photo_storage.py): uploads land under `pending/` (deleted after a day unless confirmed),
confirmed photos live under `photos/`.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .functions import logical_id
from .settings import Settings

PENDING_PREFIX = "pending/"
FINAL_PREFIX = "photos/"
# What resolvers/photo_storage.py calls, per prefix. The browser's POST is signed by the resolver's role,
# so that role needs s3:PutObject on pending/; HeadObject and the ranged GET are s3:GetObject; the copy
# reads pending/ and writes photos/; presigned GETs of photos/ need s3:GetObject there.
PENDING_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:DeleteObject")
FINAL_ACTIONS = ("s3:PutObject", "s3:GetObject")
PENDING_DAYS = 1
CORS_MAX_AGE_SECONDS = 3600


def bucket_name(stage: str) -> str:
    """Fixed per stage, account and region (pseudo parameters, no reference to a resource), so that the
    site's CSP can name the bucket's endpoint while the bucket's CORS names the site: no cycle."""
    return f"pitstop-photos-{stage}-{Aws.ACCOUNT_ID}-{Aws.REGION}"


def bucket_origin(stage: str) -> str:
    """The one origin the pages POST to and load photos from: the regional virtual-hosted endpoint, as
    resolvers/photo_storage.py presigns it."""
    return f"https://{bucket_name(stage)}.s3.{Aws.REGION}.{Aws.URL_SUFFIX}"


class Photos(Construct):
    """`bucket`, `logs`, `origin`; `grant_resolver(role)`; `allow_site(origin)` adds the CORS rule."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY
        # Server access logs (who read or wrote which photo). The log bucket cannot log to itself.
        self.logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=removal,
        )
        Validations.of(self.logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the photo bucket's server access log bucket; logging it would need "
                "another log bucket without end.",
            )
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=bucket_name(settings.stage),
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="photos/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="unconfirmed-uploads",
                    prefix=PENDING_PREFIX,
                    expiration=Duration.days(PENDING_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(PENDING_DAYS),
                )
            ],
            removal_policy=removal,
        )
        self.origin = bucket_origin(settings.stage)

    def allow_site(self, site_origin: str) -> None:
        """CORS for the site's pages: the upload POST only (images load through <img>, which needs none)."""
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=[site_origin],
            allowed_headers=["*"],
            max_age=CORS_MAX_AGE_SECONDS,
        )

    def grant_resolver(self, role: iam.IRole) -> None:
        """Exactly the object actions the resolver uses, on exactly its two prefixes of this bucket."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(PENDING_ACTIONS), resources=[self.bucket.arn_for_objects(f"{PENDING_PREFIX}*")]
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(FINAL_ACTIONS), resources=[self.bucket.arn_for_objects(f"{FINAL_PREFIX}*")]
            )
        )
        for prefix in (PENDING_PREFIX, FINAL_PREFIX):
            Validations.of(role).acknowledge(
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::<{self._bucket_id()}.Arn>/{prefix}*]",
                    reason="Photo objects are created per ticket and photo at run time; the grant names "
                    f"only this bucket's {prefix} prefix.",
                )
            )

    def _bucket_id(self) -> str:
        return logical_id(self.bucket)
