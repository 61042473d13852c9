"""The one way this app makes a Python Lambda: ARM64, Python 3.13, Powertools layer, own log group."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Aws, CfnElement, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from .settings import POWERTOOLS_LAYER_ACCOUNT, POWERTOOLS_PACKAGE, Settings, pinned_version

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64


def powertools_layer_arn(region: str, version: int) -> str:
    """The public layer, per region (a token at synth, resolved by CloudFormation). Commercial partition."""
    python = RUNTIME.name.replace(".", "")
    return (
        f"arn:aws:lambda:{region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"AWSLambdaPowertoolsPythonV3-{python}-{ARCHITECTURE.name}:{version}"
    )


def powertools_layer_parameter(release: str) -> str:
    """Powertools' public SSM parameter that holds the layer ARN of `release` for this runtime."""
    return f"/aws/service/powertools/python/{ARCHITECTURE.name}/{RUNTIME.name}/{release}"


def powertools_layer(scope: Construct, settings: Settings) -> lambda_.ILayerVersion:
    """The public Powertools layer of the release requirements.txt pins, so that the deployed functions
    run the Powertools every local run and test runs. CloudFormation reads the ARN from Powertools'
    public SSM parameter at deploy time (no lookup at synth); a layer number given in context wins."""
    if settings.powertools_layer_version:
        arn = powertools_layer_arn(Aws.REGION, settings.powertools_layer_version)
    else:
        release = pinned_version(settings.root, POWERTOOLS_PACKAGE)
        arn = ssm.StringParameter.value_for_string_parameter(scope, powertools_layer_parameter(release))
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def retention(days: int) -> logs.RetentionDays:
    if days not in _RETENTION:
        raise ValueError(f"logRetentionDays must be one of {sorted(_RETENTION)}")
    return _RETENTION[days]


def declared_environment(names: list[str], values: dict[str, str]) -> dict[str, str]:
    """The function's environment: exactly the names api_config.json declares for it (the local stack
    gives its emulated function the same names)."""
    if sorted(names) != sorted(values):
        raise ValueError(f"environment {sorted(values)} differs from the declared {sorted(names)}")
    return values


def python_function(
    scope: Construct,
    construct_id: str,
    *,
    settings: Settings,
    code: lambda_.Code,
    layer: lambda_.ILayerVersion,
    handler: str,
    description: str,
    environment: dict[str, str],
    timeout: Duration,
    memory_size: int = 512,
    reserved_concurrency: int | None = None,
) -> lambda_.Function:
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        retention=retention(settings.log_retention_days),
        removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
    )
    # Own role instead of AWSLambdaBasicExecutionRole: logs only into this function's log group.
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{construct_id}: its log group, plus what the construct grants",
    )
    log_group.grant_write(role)
    fn = lambda_.Function(
        scope,
        construct_id,
        role=role,
        description=description,
        runtime=RUNTIME,
        architecture=ARCHITECTURE,
        handler=handler,
        code=code,
        layers=[layer],
        memory_size=memory_size,
        reserved_concurrent_executions=reserved_concurrency,
        timeout=timeout,
        tracing=lambda_.Tracing.ACTIVE if settings.tracing else lambda_.Tracing.DISABLED,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        environment={
            "POWERTOOLS_SERVICE_NAME": "pitstop",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            **environment,
        },
    )
    Validations.of(fn).acknowledge(
        Acknowledgment(
            id="AwsSolutions-L1",
            reason="Pinned to python3.13 on purpose: the public Powertools layer is published per Python "
            "version (…-python313-arm64) and the code is tested on 3.11-3.13; 3.14 gets its own change.",
        ),
    )
    Validations.of(role).acknowledge(
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::*]",
            reason="Active X-Ray tracing: xray:PutTraceSegments/PutTelemetryRecords support no "
            "resource-level permissions. The unit tests allow '*' for these actions only.",
        ),
    )
    return fn


def logical_id(construct: Construct) -> str:
    """The CloudFormation logical id of an L2's resource (cdk-nag names resources by it in finding ids)."""
    child = construct.node.default_child
    assert isinstance(child, CfnElement)
    return Stack.of(construct).get_logical_id(child)
