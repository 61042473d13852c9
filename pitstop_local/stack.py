"""The local stack, assembled: moto + resources, the engine app with our routes, the stream poller.

stack = LocalStack(LocalSettings.from_env())
app = stack.start()        # moto up, resources created, environment set, the ASGI app built
...serve app on settings.host:settings.port...
stack.after_serving()      # poller running, demo data seeded
stack.stop()
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appsync_local.engine.guard import LOOPBACK_NAMES
from appsync_local.engine.lambda_runtime import LambdaRuntime
from appsync_local.poller import StreamPoller
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from cdk_app.outputs import build_amplify_outputs
from resolvers import (
    comms,  # the stage's SMS switch, as the CDK app sets it
    customer_messages,  # the names of the publisher's message settings
    publisher_settings,  # the function's settings variable, as the CDK app sets it
)

from . import bootstrap, moto_server, outbox, static
from .config import api_config, schema_sdl
from .event_filter import record_filter
from .settings import LocalSettings

log = logging.getLogger("pitstop_local")
RESOLVER_CONCURRENCY = 8
PUBLISHER_FUNCTION = str(api_config()["publisher"]["functionName"])
ROOT = Path(__file__).resolve().parent.parent  # the directory holding the functions' package (resolvers/)


def publisher_timeout() -> float:
    """The publisher's function timeout, as deployed (api_config.json); PITSTOP_PUBLISHER_TIMEOUT_SECONDS
    shortens it for the fault tests."""
    override = os.environ.get("PITSTOP_PUBLISHER_TIMEOUT_SECONDS")
    return float(override) if override else float(api_config()["publisher"]["timeouts"]["functionSeconds"])


class LocalStack:
    def __init__(self, settings: LocalSettings) -> None:
        self.settings = settings
        self.moto: moto_server.MotoProcess | None = None
        self.resources: bootstrap.Resources | None = None
        self.outbox: outbox.Outbox | None = None
        self.poller: StreamPoller | None = None
        self.outputs: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        self.demo_references: list[str] = []
        self.ready = False

    # ------------------------------------------------------------------ start

    def start(self) -> ASGIApp:
        t0 = time.monotonic()
        # exits by itself if we die before ready(); CORS for our pages only (they call Cognito)
        starting = moto_server.launch(self.settings.host, self._origins())
        self._set_environment()
        self._preload()  # while moto boots in its own process
        self.moto = starting.ready()
        os.environ["AWS_ENDPOINT_URL"] = self.moto.url
        self.timings["moto"] = time.monotonic() - t0
        s = self.settings
        self.resources = res = bootstrap.create_all(self.moto.url, s.staff_username, s.staff_password)
        self.timings["resources"] = time.monotonic() - t0
        sns = bootstrap.client("sns", res.endpoint_url)
        self.outbox = outbox.Outbox(
            res.topic_arn,
            confirm=lambda arn, token: sns.confirm_subscription(TopicArn=arn, Token=token),
            customer_messages=outbox.moto_sent(self.moto.url),
        )
        outbox.subscribe(sns, res.topic_arn, self.outbox.endpoint(s.base_url))
        self.outputs = build_amplify_outputs(
            api_config(),
            mfa_configuration=bootstrap.MFA_CONFIGURATION,
            graphql_url=s.graphql_url,
            api_key=s.api_key,
            region=res.region,
            user_pool_id=res.user_pool_id,
            user_pool_client_id=res.user_pool_client_id,
            aws_endpoint_url=res.endpoint_url,
            realtime_url=s.realtime_url,
            customer_sms=s.customer_sms,
        )
        self.poller = StreamPoller(
            bootstrap.client("dynamodbstreams", res.endpoint_url),
            res.stream_arn,
            self._publisher().invoke,
            region=res.region,
            interval=0.1,  # plus a wake-up after every mutation (EngineSettings.after_mutation)
            batch_size=api_config()["publisher"]["batchSize"],
            retry_attempts=api_config()["publisher"]["retryAttempts"],
            record_filter=record_filter(api_config()["publisher"].get("filters") or []),
            function_timeout=publisher_timeout(),
        )
        app = self._engine_app(self._routes())
        self.timings["app"] = time.monotonic() - t0
        return app

    def _host_names(self) -> tuple[str, ...]:
        """The names this server answers to (Host header): loopback, and PITSTOP_HOST if it is a name."""
        host = self.settings.host
        return LOOPBACK_NAMES if host in moto_server.WILDCARD_HOSTS else (*LOOPBACK_NAMES, host)

    def _origins(self) -> tuple[str, ...]:
        """Our pages' origins: any of the names at our port."""
        return tuple(f"http://{name}:{self.settings.port}" for name in dict.fromkeys(self._host_names()))

    def _publisher(self) -> LambdaRuntime:
        assert self.resources is not None
        declared = api_config()["publisher"]
        return LambdaRuntime(
            declared["handler"],
            function_name=PUBLISHER_FUNCTION,
            region=self.resources.region,
            account_id=self.resources.table_arn.split(":")[4],
            memory_mb=declared["memorySize"],
            timeout_seconds=publisher_timeout(),
            environment={**self._lambda_environment(), **self._function_environment(declared["environment"])},
            code_root=str(ROOT),
        )

    def _function_values(self) -> dict[str, str]:
        """The values of the variables a function may declare (the CDK app gives the same names)."""
        s, res = self.settings, self.resources
        assert res is not None
        return {
            "TABLE_NAME": res.table_name,
            "TOPIC_ARN": res.topic_arn,
            "BUCKET_NAME": res.photo_bucket,
            "GRAPHQL_URL": s.graphql_url,
            "STAFF_PAGE_URL": f"{s.base_url}/staff",
            "STAFF_GROUP": str(api_config()["staffGroup"]),
            publisher_settings.ENV: publisher_settings.environment_value(api_config()["publisher"]),
            customer_messages.ENV_SITE: s.base_url,  # links open the local tracking page
            customer_messages.ENV_WORKSHOP: s.workshop_name,
            customer_messages.ENV_SENDER: bootstrap.CUSTOMER_SENDER,
            customer_messages.ENV_SMS_SENDER_ID: "",
            customer_messages.ENV_SMS_ORIGINATION: "",
            **comms.channels_environment(s.customer_sms),
        }

    def _function_environment(self, names: list[str]) -> dict[str, str]:
        """Exactly the declared variables (api_config.json), as the CDK app sets them."""
        values = self._function_values()
        return {name: values[name] for name in names}

    def _lambda_environment(self) -> dict[str, str]:
        """What every function gets besides its declared variables: what the CDK app gives every
        function (cdk_app/functions.py), local credentials and the emulated AWS endpoint (moto).
        The publisher signs its IAM mutation with these credentials; moto accepts any.
        A service's own endpoint set for the stack (botocore's `AWS_ENDPOINT_URL_<SERVICE>`, e.g. a
        fault-injecting proxy in front of moto's SNS) is passed on, like the general one."""
        s = self.settings
        assert self.moto is not None
        per_service = {k: v for k, v in os.environ.items() if k.startswith("AWS_ENDPOINT_URL_")}
        return {
            "POWERTOOLS_SERVICE_NAME": "pitstop",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL") or s.log_level.upper(),
            "AWS_ACCESS_KEY_ID": s.iam_access_key_id,
            "AWS_SECRET_ACCESS_KEY": s.iam_secret_access_key,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": self.moto.url,
            **per_service,
        }

    @staticmethod
    def _preload() -> None:
        """Import the engine now, not on the first request (the functions load in their workers)."""
        from appsync_local import engine  # noqa: F401

    def _set_environment(self) -> None:
        """The server's own AWS client settings (moto accepts any credentials). The functions do not
        inherit these: their workers get only their own environment."""
        s = self.settings
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(name, None)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": s.iam_access_key_id,
                "AWS_SECRET_ACCESS_KEY": s.iam_secret_access_key,
                "AWS_REGION": bootstrap.REGION,
                "AWS_DEFAULT_REGION": bootstrap.REGION,
                "AWS_EC2_METADATA_DISABLED": "true",
            }
        )

    def _routes(self) -> list[BaseRoute]:
        assert self.outbox is not None

        async def amplify_outputs(_: Request) -> Response:
            return JSONResponse(self.outputs, headers={"Cache-Control": "no-cache"})

        async def ready(_: Request) -> Response:
            return JSONResponse({"ready": self.ready}, status_code=200 if self.ready else 503)

        return [
            Route("/amplify_outputs.json", amplify_outputs, methods=["GET", "HEAD"]),
            Route("/_local/ready", ready, methods=["GET"]),
            *self.outbox.routes(),
            # the pages call the real-time socket and moto (Cognito; S3: photo POSTs) besides their own
            # origin, and show photos from moto's S3 (presigned GETs, path style: same origin)
            *static.routes(
                connect_src=(self.settings.realtime_url, self.resources.endpoint_url),
                img_src=(self.resources.endpoint_url,),
            ),
        ]

    def _api_config_with_values(self) -> dict[str, Any]:
        """api_config.json with each Lambda data source's declared variable names given their values."""
        config = api_config()
        sources = {
            name: {**source, "environment": self._function_environment(source.get("environment") or [])}
            if source.get("type") == "AWS_LAMBDA"
            else source
            for name, source in config["dataSources"].items()
        }
        return {**config, "dataSources": sources}

    def _engine_app(self, routes: list[BaseRoute]) -> Starlette:
        from appsync_local.engine import create_app
        from appsync_local.engine.settings import CognitoSettings, EngineSettings, IamPrincipal

        s, res = self.settings, self.resources
        assert res is not None
        account = res.table_arn.split(":")[4]
        publisher = f"{PUBLISHER_FUNCTION}-role"
        limits = api_config()["limits"]  # the deployed API's limits, enforced locally the same way
        engine_settings = EngineSettings(
            api_config=self._api_config_with_values(),
            schema_sdl=schema_sdl(),
            api_keys={s.api_key: datetime.fromtimestamp(s.api_key_expires, UTC)},
            cognito=CognitoSettings.for_moto(
                res.endpoint_url, res.region, res.user_pool_id, [res.user_pool_client_id]
            ),
            # the publisher's role, as AppSync would report an assumed-role caller
            iam_principals={
                s.iam_access_key_id: IamPrincipal(
                    secret_access_key=s.iam_secret_access_key,
                    account_id=account,
                    user_arn=f"arn:aws:sts::{account}:assumed-role/{publisher}/{PUBLISHER_FUNCTION}",
                    username=f"AROALOCALPUBLISHER0001:{PUBLISHER_FUNCTION}",
                )
            },
            region=res.region,
            query_depth_limit=limits["queryDepthLimit"],
            resolver_count_limit=limits["resolverCountLimit"],
            extra_routes=routes,
            host_names=self._host_names(),
            # Loopback names at any port: a rebound name is what DNS rebinding needs, and the name check
            # refuses it; a local proxy in front of the stack (the reconnect fault test) keeps working.
            port=None,
            # the deployed API's body limit (its WAF rule's), so local refuses what AWS would
            max_request_body_bytes=api_config()["limits"]["maxRequestBodyBytes"],
            lambda_environment=self._lambda_environment(),
            lambda_concurrency=RESOLVER_CONCURRENCY,  # worker processes per function
            # a mutation's write is committed before its response: publish it now, not at the next poll
            after_mutation=self.poller.wake if self.poller else None,
        )
        return create_app(engine_settings)

    # ------------------------------------------------------------------ after the server listens

    def after_serving(self) -> None:
        assert self.resources is not None
        assert self.poller is not None
        self.poller.start()
        if self.settings.demo_data:
            from .demo import seed

            t0 = time.monotonic()
            try:
                self.demo_references = seed(self.settings, self.outputs)
            except Exception:
                log.exception("demo data: seeding failed (the stack runs without it)")
            self.timings["demo"] = time.monotonic() - t0

    # ------------------------------------------------------------------ stop

    def stop(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        if self.moto is not None:
            self.moto.stop()
