"""The one Pitstop stack: it only wires the constructs (data, auth, api, site, notifications)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, Fn, Stack, Tags
from constructs import Construct

from .api import Api
from .auth import Auth
from .data import Data
from .functions import RUNTIME, powertools_layer
from .lambda_asset import resolvers_code
from .notifications import Notifications
from .outputs import build_amplify_outputs
from .photos import Photos
from .settings import Settings, load_api_config
from .site import Site


class PitstopStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        config = load_api_config(settings.root)
        Tags.of(self).add("project", "pitstop")
        Tags.of(self).add("stage", settings.stage)

        # One code asset and one layer for both functions: the same `resolvers` package.
        code = resolvers_code(self, settings.root, RUNTIME)
        layer = powertools_layer(self, settings)

        self.data = Data(self, "Data", settings=settings)
        self.auth = Auth(self, "Auth", settings=settings, staff_group=config["staffGroup"])
        self.photos = Photos(self, "Photos", settings=settings)
        self.api = Api(
            self,
            "Api",
            settings=settings,
            config=config,
            table=self.data.table,
            photos=self.photos,
            user_pool=self.auth.user_pool,
            code=code,
            layer=layer,
        )
        self.site = Site(
            self,
            "Site",
            settings=settings,
            outputs_json=amplify_outputs(config, self.api, self.auth, settings),
            # the pages POST photos to the bucket and show them from it (presigned), nothing wider
            connect_src=(*api_origins(self.api), self.photos.origin),
            img_src=(self.photos.origin,),
        )
        self.photos.allow_site(self.site.url)
        self.notifications = Notifications(
            self,
            "Notifications",
            settings=settings,
            config=config,
            table=self.data.table,
            api=self.api,
            staff_page_url=f"{self.site.url}/staff",
            site_url=self.site.url,
            code=code,
            layer=layer,
        )

        outputs = {
            "GraphqlUrl": (self.api.graphql_url, "AppSync GraphQL endpoint (data.url)"),
            "RealtimeUrl": (self.api.realtime_url, "AppSync real-time WebSocket endpoint"),
            "SiteUrl": (
                self.site.url,
                "Customer page; staff page at /staff; outputs at /amplify_outputs.json",
            ),
            "UserPoolId": (self.auth.user_pool.user_pool_id, "Staff user pool"),
            "UserPoolClientId": (self.auth.client.user_pool_client_id, "Staff web client"),
            "StaffGroup": (self.auth.staff_group_name, "Cognito group for staff users"),
            "TopicArn": (self.notifications.topic.topic_arn, "Staff notifications topic"),
            "PublisherFailureQueueUrl": (self.notifications.failures.queue_url, "Unpublished stream records"),
            "TableName": (self.data.table.table_name, "Tickets table"),
            "PhotoBucketName": (self.photos.bucket.bucket_name, "Photo bucket (empty it before destroy)"),
            "SiteBucketName": (self.site.bucket.bucket_name, "Frontend bucket (empty it before destroy)"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)


def _origin(url: str) -> str:
    """`scheme://host` of a deploy-time URL (a token): what a CSP source names."""
    parts = Fn.split("/", url)
    return Fn.join("//", [Fn.select(0, parts), Fn.select(2, parts)])


def api_origins(api: Api) -> tuple[str, ...]:
    """The origins the pages call: this stage's AppSync (https, wss real-time) and Cognito's IdP."""
    return (
        _origin(api.graphql_url),
        _origin(api.realtime_url),
        f"https://cognito-idp.{Aws.REGION}.{Aws.URL_SUFFIX}",
    )


def amplify_outputs(config: dict[str, Any], api: Api, auth: Auth, settings: Settings) -> dict[str, Any]:
    """The one builder (cdk_app/outputs.py, the local stack's too), with the deployed ids."""
    return build_amplify_outputs(
        config,
        graphql_url=api.graphql_url,
        api_key=api.api_key,
        region=Aws.REGION,
        user_pool_id=auth.user_pool.user_pool_id,
        user_pool_client_id=auth.client.user_pool_client_id,
        mfa_configuration=auth.mfa_configuration,
        realtime_url=api.realtime_url,
        custom={"stage": settings.stage},
        customer_sms=settings.customer_sms,
    )
