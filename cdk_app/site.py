"""Site: the built frontend in a private bucket behind CloudFront (OAC), plus amplify_outputs.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Acknowledgment, Annotations, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from .csp import content_security_policy
from .functions import logical_id, retention
from .settings import Settings

# The SPA routes (/, /track, /staff) share index.html; /console is the developer console's page.
ROUTER_JS = """\
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/console' || uri === '/console/') {
    request.uri = '/console.html';
  } else if (uri.endsWith('/') || uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = '/index.html';
  }
  return request;
}
"""

# prod: no console (GraphiQL with a ?query= prefill on the origin that holds staff tokens). Its page
# is not deployed, and /console* answers 404 instead of falling through to the SPA.
PROD_ROUTER_JS = """\
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/console' || uri.startsWith('/console/') || uri.startsWith('/console.')) {
    return { statusCode: 404, statusDescription: 'Not Found' };
  }
  if (uri.endsWith('/') || uri.lastIndexOf('.') < uri.lastIndexOf('/')) {
    request.uri = '/index.html';
  }
  return request;
}
"""
CONSOLE_PAGE = "console.html"

CONTENT_SECURITY_POLICY = content_security_policy()  # without the stage's endpoints: connect-src 'self'


def frontend_sources(dist: Path, *, with_console: bool = True) -> list[s3deploy.ISource]:
    """The built frontend if there is one (its own amplify_outputs.json, if any, never ships; nor does
    the console page when `with_console` is false)."""
    if (dist / "index.html").is_file():
        exclude = ["amplify_outputs.json"] + ([] if with_console else [CONSOLE_PAGE])
        return [s3deploy.Source.asset(str(dist), exclude=exclude)]
    return []


class Site(Construct):
    """`bucket`, `distribution`, `url`, `deployment`; `frontend_deployed` says whether dist/ was found."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        outputs_json: dict[str, Any] | None = None,
        connect_src: tuple[str, ...] = (),
        img_src: tuple[str, ...] = (),
    ) -> None:
        """`connect_src`: the stage's endpoints the pages call (AppSync https + wss, Cognito, the photo
        bucket); `img_src`: where they show images from besides 'self' (the photo bucket)."""
        super().__init__(scope, construct_id)
        self._settings = settings
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=False,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Pitstop: security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(connect_src, img_src), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    preload=True,
                    override=True,
                ),
                # "0": the legacy XSS auditor is off (it could be abused to blank pages); the CSP protects.
                xss_protection=cloudfront.ResponseHeadersXSSProtection(protection=False, override=True),
            ),
        )
        router = cloudfront.Function(
            self,
            "Router",
            code=cloudfront.FunctionCode.from_inline(PROD_ROUTER_JS if settings.is_prod else ROUTER_JS),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="Pitstop: SPA routes to index.html, /console "
            + ("answers 404" if settings.is_prod else "to console.html"),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Pitstop frontend ({settings.stage})",
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=router, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"

        sources = frontend_sources(settings.frontend_dist, with_console=not settings.is_prod)
        self.frontend_deployed = bool(sources)
        if not sources:
            Annotations.of(self).add_warning_v2(
                "pitstop:no-frontend-build",
                f"{settings.frontend_dist} has no index.html: only amplify_outputs.json is deployed. "
                "Run `make frontend` (or `npm --prefix frontend run build`) before `cdk deploy`.",
            )
        if outputs_json is not None:
            sources.append(s3deploy.Source.json_data("amplify_outputs.json", outputs_json))
        deploy_logs = logs.LogGroup(
            self,
            "DeploymentLogs",
            retention=retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deployment",
            sources=sources,
            destination_bucket=self.bucket,
            distribution=self.distribution,
            distribution_paths=["/*"],
            prune=True,
            # Outside prod, deleting the stack deletes the files too, so the bucket can go with it.
            retain_on_delete=settings.is_prod,
            # index.html and amplify_outputs.json must never be stale; hashed assets revalidate by ETag.
            cache_control=[s3deploy.CacheControl.from_string("public, max-age=0, must-revalidate")],
            memory_limit=512,
            log_group=deploy_logs,
        )

        self._acknowledge_deployment_handler()
        Validations.of(self.bucket).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="The bucket holds only the public, built frontend (no customer data); every read "
                "goes through CloudFront, and the data itself is accessed and logged via AppSync.",
            )
        )
        Validations.of(self.distribution).acknowledge(
            Acknowledgment(
                id="AwsSolutions-CFR1",
                reason="Customers of a local workshop, no legal need to restrict countries.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR2",
                reason="Static files only; WAF (from 5 USD/month per web ACL + requests) would protect no "
                "data. The API is protected by AppSync auth modes.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR3",
                reason="Access logs of static files carry no business value here; standard logging "
                "needs an ACL-enabled log bucket. AppSync logs the API calls that matter.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR4",
                reason="The default *.cloudfront.net certificate has a fixed security policy (CloudFront "
                "ignores a minimum protocol without a custom certificate); with a custom domain and an "
                "ACM certificate, set minimum_protocol_version=TLS_V1_2_2021.",
            ),
        )

    def _acknowledge_deployment_handler(self) -> None:
        """BucketDeployment's handler is a stack-level singleton Lambda owned by aws-cdk-lib."""
        stack = Stack.of(self)
        handlers = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
        assert handlers, "BucketDeployment handler not found"
        bucket = logical_id(self.bucket)
        owned_by_cdk = (
            "CDK's BucketDeployment handler (a Lambda owned by aws-cdk-lib, run only during deploy)"
        )
        for handler in handlers:
            Validations.of(handler).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                    "AWSLambdaBasicExecutionRole]",
                    reason=f"{owned_by_cdk}: its role is defined by the library with the basic "
                    "execution policy (CloudWatch Logs only).",
                ),
                Acknowledgment(
                    id="AwsSolutions-L1",
                    reason=f"{owned_by_cdk}: the library pins the runtime its bundled AWS CLI layer needs.",
                ),
                *[
                    Acknowledgment(
                        id=f"AwsSolutions-IAM5[Action::{action}]",
                        reason=f"{owned_by_cdk}: it copies the asset zip from the CDK staging bucket and "
                        "syncs (put/delete) the site bucket; scoped to those two buckets.",
                    )
                    for action in (
                        "s3:GetObject*",
                        "s3:GetBucket*",
                        "s3:List*",
                        "s3:DeleteObject*",
                        "s3:Abort*",
                    )
                ],
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::"
                    "cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]",
                    reason=f"{owned_by_cdk}: reads the frontend asset zip from the CDK bootstrap bucket.",
                ),
                Acknowledgment(
                    id=f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/*]",
                    reason=f"{owned_by_cdk}: writes and prunes the objects of the site bucket.",
                ),
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::*]",
                    reason=f"{owned_by_cdk}: cloudfront:CreateInvalidation/GetInvalidation after the "
                    "upload, which the library grants on '*'. The unit tests allow '*' for these only.",
                ),
            )
