"""API: the AppSync GraphQL API from schema.graphql, wired from api_config.json, and its resolver Lambda."""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Duration, Expiration, RemovalPolicy, Validations
from aws_cdk import aws_appsync as appsync
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from resolvers import comms

from . import appsync_js
from .functions import declared_environment, logical_id, python_function, retention
from .photos import Photos
from .settings import Settings
from .waf import ApiFirewall

_MODES = {
    "AMAZON_COGNITO_USER_POOLS": appsync.AuthorizationType.USER_POOL,
    "API_KEY": appsync.AuthorizationType.API_KEY,
    "AWS_IAM": appsync.AuthorizationType.IAM,
}


# Exactly what resolvers/store.py calls: GetItem, Query, UpdateItem, and TransactWriteItems of
# conditional Puts (a transaction needs the actions of its parts only).
RESOLVER_TABLE_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)


class Api(Construct):
    """Exposes `api`, `resolver_function`, `graphql_url`, `realtime_url`, `api_key`, `resolvers`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        config: dict[str, Any],
        table: dynamodb.ITableV2,
        photos: Photos,
        user_pool: cognito.IUserPool,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config

        limits = config["limits"]
        disable_introspection = settings.is_prod and not limits["introspectionInProd"]
        self.api = appsync.GraphqlApi(
            self,
            "GraphqlApi",
            name=f"pitstop-{settings.stage}",
            definition=appsync.Definition.from_file(str(settings.root / config["schema"])),
            authorization_config=self._authorization(settings, config, user_pool),
            xray_enabled=settings.tracing,
            # AppSync refuses deeper or wider documents before any resolver runs.
            query_depth_limit=limits["queryDepthLimit"],
            resolver_count_limit=limits["resolverCountLimit"],
            # The console (and codegen) need introspection outside prod; prod's value is declared.
            introspection_config=(
                appsync.IntrospectionConfig.DISABLED
                if disable_introspection
                else appsync.IntrospectionConfig.ENABLED
            ),
        )
        # Field logs at ERROR into a log group we own, with a retention, written by a role that may
        # write there and nowhere else. Set on the L1: the L2's log_config always adds a LogRetention
        # custom resource (one more Lambda with a managed policy) for the same log group name.
        log_group = logs.LogGroup(
            self,
            "ApiLogs",
            log_group_name=f"/aws/appsync/apis/{self.api.api_id}",
            retention=retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if settings.is_prod else RemovalPolicy.DESTROY,
        )
        logs_role = iam.Role(
            self,
            "LogsRole",
            assumed_by=iam.ServicePrincipal("appsync.amazonaws.com"),
            description="AppSync field logs for the Pitstop API",
        )
        log_group.grant_write(logs_role)
        cfn_api = self.api.node.default_child
        assert isinstance(cfn_api, appsync.CfnGraphQLApi)
        # Field logs for the fields in error, without verbose content: verbose content copies request
        # headers and resolver arguments (customers' names, e-mails, phone numbers) into CloudWatch, and
        # no personal data goes to logs. cdk-nag's ASC3 passes only with verbose content on, so it is the
        # one AppSync finding acknowledged, not resolved (tests/cdk_app/test_cdk_public_surface.py).
        cfn_api.log_config = appsync.CfnGraphQLApi.LogConfigProperty(
            cloud_watch_logs_role_arn=logs_role.role_arn,
            field_log_level="ERROR",
            exclude_verbose_content=True,
        )
        Validations.of(self.api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-ASC3",
                reason="Field logs are on (ERROR) with verbose content excluded on purpose: verbose content "
                "would copy request headers and resolver arguments (customers' names, e-mails, phone "
                "numbers) into CloudWatch, and personal data stays out of logs.",
            )
        )
        self.firewall = ApiFirewall(self, "Firewall", api=self.api, limits=limits, stage=settings.stage)

        resolver_cfg = config["dataSources"]["resolverLambda"]
        self.resolver_function = python_function(
            self,
            "ResolverFunction",
            settings=settings,
            code=code,
            layer=layer,
            handler=resolver_cfg["handler"],
            description="Pitstop GraphQL resolvers (AppSync direct Lambda)",
            environment=declared_environment(
                resolver_cfg["environment"],
                {
                    "TABLE_NAME": table.table_name,
                    "STAFF_GROUP": config["staffGroup"],
                    "BUCKET_NAME": photos.bucket.bucket_name,
                    # refuses notifyBy SMS unless the stage texts customers
                    **comms.channels_environment(settings.customer_sms),
                },
            ),
            timeout=Duration.seconds(resolver_cfg["timeoutSeconds"]),
            memory_size=resolver_cfg["memorySize"],
        )
        # Key and index access only (the design has no Scan): TableV2.grant names the table and
        # its indexes. Transactions need no action of their own, only the ones they contain.
        table.grant(self.resolver_function, *RESOLVER_TABLE_ACTIONS)
        assert self.resolver_function.role is not None
        photos.grant_resolver(self.resolver_function.role)
        Validations.of(self.resolver_function.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{logical_id(table)}.Arn>/index/*]",
                reason="The resolvers Query the byStatus and byCreated GSIs of this one table; CDK's "
                "TableV2 grant names the table's indexes as <table>/index/*.",
            )
        )

        self.data_sources: dict[str, appsync.BaseDataSource] = {}
        for name, ds in config["dataSources"].items():
            if ds["type"] == "AWS_LAMBDA":
                lambda_ds = self.api.add_lambda_data_source(
                    f"{name}DataSource", self.resolver_function, name=name
                )
                Validations.of(lambda_ds).acknowledge(
                    Acknowledgment(
                        id=f"AwsSolutions-IAM5[Resource::<{logical_id(self.resolver_function)}.Arn>:*]",
                        reason="CDK's Lambda data source grant: lambda:InvokeFunction on this one function "
                        "and its versions/aliases (the ':*' suffix); nothing else.",
                    )
                )
                self.data_sources[name] = lambda_ds
            elif ds["type"] == "NONE":
                self.data_sources[name] = self.api.add_none_data_source(f"{name}DataSource", name=name)
            else:
                raise ValueError(f"data source type {ds['type']} is not supported by this app")

        self.resolvers: dict[str, appsync.Resolver] = {}
        for coordinate, ds_name in config["resolvers"].items():
            self.resolvers[coordinate] = self._resolver(coordinate, ds_name)

        self.graphql_url = self.api.graphql_url
        self.realtime_url = cfn_api.attr_realtime_url
        self.api_key = self.api.api_key
        # Rotation: -c apiKeyGeneration=N+1 gives the key a new logical id, so CloudFormation creates a
        # new key (and amplify_outputs.json carries it) and deletes the old one (docs/deploy.md).
        keys = [c for c in self.api.node.children if isinstance(c, appsync.CfnApiKey)]
        assert len(keys) == 1, "expected exactly one API key"
        self.api_key_resource = keys[0]
        if settings.api_key_generation > 1:
            self.api_key_resource.override_logical_id(f"PitstopApiKey{settings.api_key_generation}")

    @staticmethod
    def _authorization(
        settings: Settings, config: dict[str, Any], user_pool: cognito.IUserPool
    ) -> appsync.AuthorizationConfig:
        auth = config["authorization"]

        def mode(name: str) -> appsync.AuthorizationMode:
            kind = _MODES[name]
            if kind == appsync.AuthorizationType.USER_POOL:
                return appsync.AuthorizationMode(
                    authorization_type=kind,
                    user_pool_config=appsync.UserPoolConfig(user_pool=user_pool),
                )
            if kind == appsync.AuthorizationType.API_KEY:
                if settings.api_key_expires is not None:
                    expires = Expiration.at_timestamp(int(settings.api_key_expires.timestamp() * 1000))
                else:
                    expires = Expiration.after(Duration.days(settings.api_key_expiry_days))
                return appsync.AuthorizationMode(
                    authorization_type=kind,
                    api_key_config=appsync.ApiKeyConfig(
                        name="public-customer-page",
                        description="Customer page (createTicket, ticket/onTicketUpdated with a token)",
                        expires=expires,
                    ),
                )
            return appsync.AuthorizationMode(authorization_type=kind)

        return appsync.AuthorizationConfig(
            default_authorization=mode(auth["default"]),
            additional_authorization_modes=[mode(m) for m in auth["additional"]],
        )

    def _resolver(self, coordinate: str, ds_name: str) -> appsync.Resolver:
        type_name, field_name = coordinate.split(".")
        ds = self.data_sources[ds_name]
        rid = f"{type_name}{field_name[0].upper()}{field_name[1:]}Resolver"
        filter_decl = self.config.get("subscriptionFilters", {}).get(coordinate)
        if filter_decl is not None:
            if not isinstance(ds, appsync.LambdaDataSource):
                raise ValueError(f"{coordinate}: a filtered subscription must check its caller in a Lambda")
            check = appsync.AppsyncFunction(
                self,
                f"{rid}CheckFunction",
                name=f"{type_name}_{field_name}_check",
                api=self.api,
                data_source=ds,
                runtime=appsync.FunctionRuntime.JS_1_0_0,
                code=appsync.Code.from_inline(appsync_js.invoke_lambda_function_code()),
            )
            return appsync.Resolver(
                self,
                rid,
                api=self.api,
                type_name=type_name,
                field_name=field_name,
                runtime=appsync.FunctionRuntime.JS_1_0_0,
                pipeline_config=[check],
                code=appsync.Code.from_inline(appsync_js.subscription_resolver_code(filter_decl)),
            )
        if isinstance(ds, appsync.NoneDataSource):
            argument = self.config.get("noneResolverResult", {}).get(coordinate)
            if not argument:
                raise ValueError(
                    f"{coordinate}: NONE data source needs noneResolverResult in api_config.json"
                )
            return ds.create_resolver(
                rid,
                type_name=type_name,
                field_name=field_name,
                runtime=appsync.FunctionRuntime.JS_1_0_0,
                code=appsync.Code.from_inline(appsync_js.none_resolver_code(argument)),
            )
        # Direct Lambda resolver: no mapping code, AppSync sends the full context to the handler.
        return ds.create_resolver(rid, type_name=type_name, field_name=field_name)

    def grant_mutation(self, grantee: iam.IGrantable, field_name: str) -> iam.Grant:
        """appsync:GraphQL on exactly one Mutation field (the publisher's IAM mutation)."""
        return self.api.grant_mutation(grantee, field_name)
