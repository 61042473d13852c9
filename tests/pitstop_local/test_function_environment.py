"""The local stack gives each function exactly its declared environment (api_config.json, as the CDK
app does): the resolver does not see the publisher's TOPIC_ARN or GRAPHQL_URL. The stack's own
function declarations run a probe handler in real worker processes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from appsync_local.engine.resolution import lambda_function
from appsync_local.engine.settings import EngineSettings

from pitstop_local.config import api_config
from pitstop_local.settings import LocalSettings
from pitstop_local.stack import LocalStack
from resolvers import comms

PROBE = "function_probe.lambda_handler"
HERE = str(Path(__file__).resolve().parent)


def _stack() -> LocalStack:
    stack = LocalStack(LocalSettings.from_env({}))
    stack.moto = SimpleNamespace(url="http://127.0.0.1:1")  # type: ignore[assignment]
    stack.resources = SimpleNamespace(  # type: ignore[assignment]
        table_name="table",
        topic_arn="arn:aws:sns:us-east-1:000000000000:topic",
        region="us-east-1",
        table_arn="arn:aws:dynamodb:us-east-1:000000000000:table/table",
        photo_bucket="photos",
    )
    return stack


def _seen(source: dict[str, Any], stack: LocalStack) -> dict[str, str]:
    settings = EngineSettings(api_config={}, schema_sdl="", lambda_environment=stack._lambda_environment())
    runtime = lambda_function("probe", {**source, "handler": PROBE}, settings)
    runtime.code_root = HERE
    try:
        return dict(runtime.invoke({}))
    finally:
        runtime.stop()


def test_the_resolver_sees_only_its_declared_environment() -> None:
    stack = _stack()
    source = stack._api_config_with_values()["dataSources"]["resolverLambda"]
    seen = _seen(source, stack)
    declared = api_config()["dataSources"]["resolverLambda"]["environment"]
    assert set(declared) <= set(seen) and seen["TABLE_NAME"] == "table"
    assert seen["STAFF_GROUP"] == api_config()["staffGroup"] and seen["BUCKET_NAME"] == "photos"
    for name in ("TOPIC_ARN", "GRAPHQL_URL", "STAFF_PAGE_URL", "PUBLISHER_SETTINGS"):
        assert name not in seen
    assert seen["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert seen["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == str(source["memorySize"])


def test_the_publisher_sees_its_declared_environment() -> None:
    stack = _stack()
    publisher = stack._publisher()
    assert set(api_config()["publisher"]["environment"]) <= set(publisher.environment)
    assert publisher.memory_mb == api_config()["publisher"]["memorySize"]


def test_the_local_stage_texts_customers_unless_told_not_to() -> None:
    """SMS on by default locally (texts reach the outbox only); PITSTOP_CUSTOMER_SMS=false runs a stage
    without SMS. Both functions and the outputs say the same."""
    for env, on in (
        ({}, True),
        ({"PITSTOP_CUSTOMER_SMS": "false"}, False),
        ({"PITSTOP_CUSTOMER_SMS": "1"}, True),
    ):
        stack = LocalStack(LocalSettings.from_env(env))
        stack.moto = SimpleNamespace(url="http://127.0.0.1:1")  # type: ignore[assignment]
        stack.resources = _stack().resources
        values = stack._function_values()
        assert comms.offered_channels(values) == (("EMAIL", "SMS") if on else ("EMAIL",))
        for source in (api_config()["dataSources"]["resolverLambda"], api_config()["publisher"]):
            assert comms.ENV_CUSTOMER_SMS in stack._function_environment(source["environment"])
