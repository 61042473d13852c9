"""Template assertions: every resource of the stack, with its security properties."""

from __future__ import annotations

import json
import time
from pathlib import Path

from aws_cdk import App, Stack
from aws_cdk.assertions import Annotations, Match, Template
from aws_lambda_powertools.shared.version import VERSION as POWERTOOLS_VERSION
from cdk_helpers import ROOT, STAFF_EMAILS, Synth, make_fake_dist

from cdk_app.data import Data
from cdk_app.functions import RUNTIME
from cdk_app.lambda_package import bytecode_report, runtime_python, runtime_version
from cdk_app.settings import Settings
from cdk_app.site import Site
from cdk_app.stack import amplify_outputs
from resolvers.events import TICKET_CREATED


def _ref_name(value) -> str:
    """The logical id inside a Ref or Fn::GetAtt."""
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    raise AssertionError(f"not a reference: {value}")


# --- data -----------------------------------------------------------------------------------------


def test_table_matches_the_single_table_design(synth: Synth) -> None:
    _, table = synth.one("AWS::DynamoDB::GlobalTable")
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert indexes["byStatus"]["KeySchema"] == [
        {"AttributeName": "status", "KeyType": "HASH"},
        {"AttributeName": "createdKey", "KeyType": "RANGE"},
    ]
    assert indexes["byCreated"]["KeySchema"] == [
        {"AttributeName": "entity", "KeyType": "HASH"},
        {"AttributeName": "createdKey", "KeyType": "RANGE"},
    ]
    assert all(i["Projection"] == {"ProjectionType": "ALL"} for i in indexes.values())
    replica = props["Replicas"][0]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    # Not prod: disposable.
    assert replica["DeletionProtectionEnabled"] is False
    assert table["DeletionPolicy"] == "Delete"


def test_prod_stage_retains_and_protects_the_table() -> None:
    stack = Stack(App(), "ProdData")
    Data(stack, "Data", settings=Settings(stage="prod"))
    template = Template.from_stack(stack)
    template.has_resource(
        "AWS::DynamoDB::GlobalTable",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like(
                {"Replicas": [Match.object_like({"DeletionProtectionEnabled": True})]}
            ),
        },
    )


# --- auth -----------------------------------------------------------------------------------------


def test_user_pool_admin_only_strong_passwords_staff_group(synth: Synth) -> None:
    _, pool = synth.one("AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    policy = props["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    for requirement in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        assert policy[requirement] is True
    assert props["MfaConfiguration"] in {"OPTIONAL", "ON"}
    assert props["UsernameAttributes"] == ["email"]
    synth.template.has_resource_properties("AWS::Cognito::UserPoolGroup", {"GroupName": "staff"})


def test_web_client_uses_srp_and_no_secret(synth: Synth) -> None:
    _, client = synth.one("AWS::Cognito::UserPoolClient")
    props = client["Properties"]
    assert "ALLOW_USER_SRP_AUTH" in props["ExplicitAuthFlows"]
    # USER_PASSWORD_AUTH: the remote test mode signs in like the local tests do (see cdk_app/auth.py).
    assert set(props["ExplicitAuthFlows"]) <= {
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert props["GenerateSecret"] is False
    assert props["PreventUserExistenceErrors"] == "ENABLED"


# --- api ------------------------------------------------------------------------------------------


def test_graphql_api_auth_modes_logs_and_tracing(synth: Synth, api_config) -> None:
    _, api = synth.one("AWS::AppSync::GraphQLApi")
    props = api["Properties"]
    assert props["AuthenticationType"] == api_config["authorization"]["default"]
    assert [p["AuthenticationType"] for p in props["AdditionalAuthenticationProviders"]] == (
        api_config["authorization"]["additional"]
    )
    assert props["XrayEnabled"] is False  # X-Ray only with -c tracing=true (its cost: bench/cost.py)
    assert props["LogConfig"]["FieldLogLevel"] == "ERROR"
    role = _ref_name(props["LogConfig"]["CloudWatchLogsRoleArn"])
    assert synth.json["Resources"][role]["Type"] == "AWS::IAM::Role"
    # The log group AppSync writes to has a retention.
    groups = [
        g
        for g in synth.resources("AWS::Logs::LogGroup").values()
        if "/aws/appsync/apis/" in json.dumps(g["Properties"].get("LogGroupName", ""))
    ]
    assert len(groups) == 1 and groups[0]["Properties"]["RetentionInDays"] == 30


def test_schema_is_schema_graphql_verbatim(synth: Synth) -> None:
    _, schema = synth.one("AWS::AppSync::GraphQLSchema")
    assert schema["Properties"]["Definition"] == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_api_key_expiry_comes_from_context(synth: Synth) -> None:
    _, key = synth.one("AWS::AppSync::ApiKey")
    expires = key["Properties"]["Expires"]
    # cdk.json: apiKeyExpiryDays=365, counted from synth time (a deploy extends it; docs/deploy.md).
    assert abs(expires - (time.time() + 365 * 86400)) < 2 * 86400


def test_every_resolver_is_wired_as_api_config_says(synth: Synth, api_config) -> None:
    resolvers = {
        f"{r['Properties']['TypeName']}.{r['Properties']['FieldName']}": r["Properties"]
        for r in synth.resources("AWS::AppSync::Resolver").values()
    }
    assert set(resolvers) == set(api_config["resolvers"]), "a resolver too many or missing"
    data_sources = {
        d["Properties"]["Name"]: d["Properties"] for d in synth.resources("AWS::AppSync::DataSource").values()
    }
    assert {n: d["Type"] for n, d in data_sources.items()} == {
        n: d["type"] for n, d in api_config["dataSources"].items()
    }
    functions = synth.resources("AWS::AppSync::FunctionConfiguration")
    for coordinate, ds_name in api_config["resolvers"].items():
        props = resolvers[coordinate]
        if props["Kind"] == "PIPELINE":
            # The subscription resolver: one function on the Lambda data source, then the filter.
            ids = [_ref_name(f) for f in props["PipelineConfig"]["Functions"]]
            assert [functions[i]["Properties"]["DataSourceName"] for i in ids] == [ds_name]
            assert coordinate in api_config["subscriptionFilters"]
        else:
            assert props["DataSourceName"] == ds_name, coordinate
        if api_config["dataSources"][ds_name]["type"] == "AWS_LAMBDA" and props["Kind"] == "UNIT":
            # Direct Lambda resolver: no mapping code at all.
            assert "Code" not in props and "RequestMappingTemplate" not in props, coordinate
    lambda_ds = data_sources["resolverLambda"]
    fn = _ref_name(lambda_ds["LambdaConfig"]["LambdaFunctionArn"])
    handler = synth.json["Resources"][fn]["Properties"]["Handler"]
    assert handler == api_config["dataSources"]["resolverLambda"]["handler"]


def test_publish_mutation_returns_its_argument_on_none(synth: Synth) -> None:
    props = next(
        r["Properties"]
        for r in synth.resources("AWS::AppSync::Resolver").values()
        if r["Properties"]["FieldName"] == "publishTicketChange"
    )
    assert props["Runtime"] == {"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}
    assert "return { payload: ctx.args.ticket };" in props["Code"]


def test_subscription_resolver_sets_the_declared_filter(synth: Synth) -> None:
    props = next(
        r["Properties"]
        for r in synth.resources("AWS::AppSync::Resolver").values()
        if r["Properties"]["FieldName"] == "onTicketUpdated"
    )
    assert props["Kind"] == "PIPELINE"
    code = props["Code"]
    assert "extensions.setSubscriptionFilter(util.transform.toSubscriptionFilter(filter))" in code
    assert '{ "id": { eq: ctx.args.id } }' in code
    (fn,) = synth.resources("AWS::AppSync::FunctionConfiguration").values()
    assert "operation: 'Invoke'" in fn["Properties"]["Code"]
    assert "util.error(ctx.error.message, ctx.error.type)" in fn["Properties"]["Code"]


# --- lambdas --------------------------------------------------------------------------------------


def _functions(synth: Synth) -> dict[str, dict]:
    return {
        f["Properties"]["Handler"]: f["Properties"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler", "").startswith("resolvers.")
    }


def test_both_lambdas_python_arm64_powertools_layer_tracing(synth: Synth, api_config) -> None:
    functions = _functions(synth)
    assert set(functions) == {
        api_config["dataSources"]["resolverLambda"]["handler"],
        api_config["publisher"]["handler"],
    }
    for props in functions.values():
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert "TracingConfig" not in props  # off unless -c tracing=true (see test_tracing_on_request)
        assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "pitstop"
        assert props["LoggingConfig"]["LogGroup"]
        (layer,) = props["Layers"]
        # The layer of the Powertools release every local run uses, from Powertools' public SSM
        # parameter, resolved by CloudFormation at deploy time (per region).
        parameter = synth.json["Parameters"][_ref_name(layer)]
        assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
        assert parameter["Default"] == f"/aws/service/powertools/python/arm64/python3.13/{POWERTOOLS_VERSION}"
    # One asset for both: the same code, the same hash.
    assert len({json.dumps(p["Code"]) for p in functions.values()}) == 1


def test_a_layer_number_in_context_names_the_layer_instead(cdk_context: dict, tmp_path: Path) -> None:
    from cdk_app.app import build_app

    dist = make_fake_dist(tmp_path / "dist")
    context = {**cdk_context, "powertoolsLayerVersion": 42, "frontendDist": str(dist)}
    _, stack = build_app(context, outdir=str(tmp_path / "out"), nag=False)
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    (joined,) = {
        json.dumps(f["Properties"].get("Layers"))
        for f in functions.values()
        if f["Properties"].get("Handler", "").startswith("resolvers.")
    }
    assert ":017000801446:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:42" in joined
    assert '{"Ref": "AWS::Region"}' in joined  # per region, resolved by CloudFormation


def test_lambda_environments(synth: Synth, api_config) -> None:
    functions = _functions(synth)
    resolver = functions[api_config["dataSources"]["resolverLambda"]["handler"]]["Environment"]["Variables"]
    assert set(resolver) >= {"TABLE_NAME", "POWERTOOLS_SERVICE_NAME"}
    publisher = functions[api_config["publisher"]["handler"]]["Environment"]["Variables"]
    assert set(publisher) >= {"TABLE_NAME", "TOPIC_ARN", "GRAPHQL_URL", "STAFF_PAGE_URL"}
    assert "GraphQLUrl" in json.dumps(publisher["GRAPHQL_URL"])
    assert json.dumps(publisher["STAFF_PAGE_URL"]).endswith('"/staff"]]}')
    assert "AWS_ENDPOINT_URL" not in resolver and "AWS_ENDPOINT_URL" not in publisher


def test_lambda_asset_holds_only_the_resolvers_package(synth: Synth) -> None:
    """The package's sources and, when this machine has the runtime's Python, their bytecode."""
    (props,) = {json.dumps(p["Code"]): p for p in _functions(synth).values()}.values()
    key = props["Code"]["S3Key"]
    asset_dir = synth.outdir / f"asset.{key.removesuffix('.zip')}"
    shipped = {p.relative_to(asset_dir).as_posix() for p in asset_dir.rglob("*") if p.is_file()}
    sources = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "resolvers").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    version = runtime_version(RUNTIME.name)
    python = runtime_python(version)
    warnings = Annotations.from_stack(synth.stack).find_warning("*", Match.string_like_regexp("precompile"))
    if python is None:
        assert shipped == set(sources)
        assert warnings, "a source-only asset must be reported at synth"
        return
    tag = f"cpython-{version[0]}{version[1]}"
    compiled = {
        f"{Path(s).parent.as_posix()}/__pycache__/{Path(s).stem}.{tag}.pyc"
        for s in sources
        if s.endswith(".py")
    }
    assert shipped == set(sources) | compiled
    assert "resolvers/__init__.py" in shipped
    assert not warnings
    report = bytecode_report(asset_dir / "resolvers", python)
    assert report and set(report.values()) == {"ok"}, report


def test_publisher_event_source_mapping(synth: Synth, api_config: dict) -> None:
    _, esm = synth.one("AWS::Lambda::EventSourceMapping")
    props = esm["Properties"]
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert patterns == api_config["publisher"]["filters"]  # the patterns the local poller applies
    assert patterns == [{"dynamodb": {"NewImage": {"entity": {"S": ["TICKET", "LINKREQ"]}}}}]
    assert 1 <= props["BatchSize"] <= 100
    assert props["BisectBatchOnFunctionError"] is True
    assert 0 < props["MaximumRetryAttempts"] <= 10
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props.get("MaximumBatchingWindowInSeconds", 0) == 0  # live updates are not held back
    queue = _ref_name(props["DestinationConfig"]["OnFailure"]["Destination"])
    assert synth.json["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    assert _ref_name(props["EventSourceArn"]) == synth.one("AWS::DynamoDB::GlobalTable")[0]


def test_on_failure_queue_encrypted_and_tls_only(synth: Synth) -> None:
    _, queue = synth.one("AWS::SQS::Queue")
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    _, policy = synth.one("AWS::SQS::QueuePolicy")
    assert _denies_plain_http(policy["Properties"]["PolicyDocument"])


# --- notifications --------------------------------------------------------------------------------


def _denies_plain_http(document: dict) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in document["Statement"]
    )


def test_topic_kms_encrypted_tls_only(synth: Synth) -> None:
    _, topic = synth.one("AWS::SNS::Topic")
    key_id = _ref_name(topic["Properties"]["KmsMasterKeyId"])
    key = synth.json["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    _, policy = synth.one("AWS::SNS::TopicPolicy")
    assert _denies_plain_http(policy["Properties"]["PolicyDocument"])


def test_staff_email_subscriptions_only_for_new_tickets(synth: Synth) -> None:
    subs = [s["Properties"] for s in synth.resources("AWS::SNS::Subscription").values()]
    assert sorted(s["Endpoint"] for s in subs) == sorted(STAFF_EMAILS)
    for s in subs:
        assert s["Protocol"] == "email"
        assert s["FilterPolicy"] == {"event": [TICKET_CREATED]}


# --- site -----------------------------------------------------------------------------------------


def test_site_bucket_private_tls_only_readable_by_cloudfront_only(synth: Synth) -> None:
    (site_bucket_id, bucket), *others = [
        (k, v) for k, v in synth.resources("AWS::S3::Bucket").items() if k.startswith("SiteBucket")
    ]
    assert not others
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "BucketEncryption" in bucket["Properties"]
    (policy,) = [
        p
        for p in synth.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": site_bucket_id}
    ]
    document = policy["Properties"]["PolicyDocument"]
    assert _denies_plain_http(document)
    allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]  # this distribution only


def test_distribution_oac_https_security_headers(synth: Synth) -> None:
    _, dist = synth.one("AWS::CloudFront::Distribution")
    config = dist["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == ["GET", "HEAD"]
    assert config["DefaultRootObject"] == "index.html"
    _, oac = synth.one("AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    policy_id = _ref_name(behavior["ResponseHeadersPolicyId"])
    headers = synth.json["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"]["Override"] is True
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert "frame-ancestors 'none'" in json.dumps(csp)
    (assoc,) = behavior["FunctionAssociations"]
    assert assoc["EventType"] == "viewer-request"


def test_deployment_ships_the_build_and_generated_outputs(synth: Synth) -> None:
    _, deployment = synth.one("Custom::CDKBucketDeployment")
    props = deployment["Properties"]
    assert len(props["SourceObjectKeys"]) == 2  # frontend/dist + amplify_outputs.json
    assert props["DistributionPaths"] == ["/*"]
    assert props["RetainOnDelete"] is False  # not prod: `cdk destroy` empties the bucket
    markers = json.dumps(props["SourceMarkers"])
    for ref in ("GraphQLUrl", "AuthStaffPool", "WebClient", "ApiKey"):
        assert ref in markers, ref
    # The frontend asset: the build, without a stray local amplify_outputs.json.
    dist_key = props["SourceObjectKeys"][0].removesuffix(".zip")
    files = {p.name for p in (synth.outdir / f"asset.{dist_key}").rglob("*") if p.is_file()}
    assert files == {"index.html", "console.html", "main.js"}


def test_amplify_outputs_has_the_contract_keys(synth: Synth, api_config) -> None:
    outputs = amplify_outputs(api_config, synth.stack.api, synth.stack.auth, synth.stack.settings)
    assert set(outputs["data"]) >= {
        "url",
        "api_key",
        "aws_region",
        "default_authorization_type",
        "authorization_types",
    }
    assert set(outputs["auth"]) >= {"user_pool_id", "user_pool_client_id", "aws_region"}
    assert outputs["data"]["default_authorization_type"] == "AMAZON_COGNITO_USER_POOLS"
    assert outputs["data"]["authorization_types"] == ["API_KEY", "AWS_IAM"]
    assert "aws_endpoint_url" not in outputs.get("custom", {})  # local only


def test_missing_frontend_build_deploys_outputs_only_and_warns(tmp_path: Path) -> None:
    stack = Stack(App(), "NoDist")
    site = Site(
        stack,
        "Site",
        settings=Settings(stage="test", frontend_dist=tmp_path / "nothing-here"),
        outputs_json={"data": {"url": "https://example.invalid/graphql"}},
    )
    assert site.frontend_deployed is False
    template = Template.from_stack(stack)
    deployment = next(iter(template.find_resources("Custom::CDKBucketDeployment").values()))
    assert len(deployment["Properties"]["SourceObjectKeys"]) == 1
    Annotations.from_stack(stack).has_warning("/NoDist/Site", Match.string_like_regexp("no index.html"))


# --- outputs --------------------------------------------------------------------------------------


def test_stack_outputs(synth: Synth) -> None:
    assert set(synth.json["Outputs"]) >= {
        "GraphqlUrl",
        "RealtimeUrl",
        "SiteUrl",
        "UserPoolId",
        "UserPoolClientId",
        "TopicArn",
    }
    assert "RealtimeUrl" in json.dumps(synth.json["Outputs"]["RealtimeUrl"]["Value"])


def test_resource_inventory(synth: Synth) -> None:
    """The whole stack, by type: a new resource type shows up here and gets its own assertions."""
    counts: dict[str, int] = {}
    for r in synth.json["Resources"].values():
        counts[r["Type"]] = counts.get(r["Type"], 0) + 1
    assert counts == EXPECTED_RESOURCES


EXPECTED_RESOURCES = {
    "AWS::AppSync::ApiKey": 1,
    "AWS::AppSync::DataSource": 2,
    "AWS::AppSync::FunctionConfiguration": 1,
    "AWS::AppSync::GraphQLApi": 1,
    "AWS::AppSync::GraphQLSchema": 1,
    # one per api_config.json "resolvers" entry (test_every_resolver_is_wired_as_api_config_says)
    "AWS::AppSync::Resolver": len(
        json.loads((ROOT / "api_config.json").read_text(encoding="utf-8"))["resolvers"]
    ),
    "AWS::CloudFront::Distribution": 1,
    "AWS::CloudFront::Function": 1,
    "AWS::CloudFront::OriginAccessControl": 1,
    "AWS::CloudFront::ResponseHeadersPolicy": 1,
    "AWS::Cognito::UserPool": 1,
    "AWS::Cognito::UserPoolClient": 1,
    "AWS::Cognito::UserPoolGroup": 1,
    "AWS::DynamoDB::GlobalTable": 1,
    "AWS::IAM::Policy": 5,
    "AWS::IAM::Role": 5,
    "AWS::KMS::Key": 1,
    "AWS::Lambda::EventSourceMapping": 1,
    "AWS::Lambda::Function": 3,
    "AWS::Lambda::LayerVersion": 1,
    "AWS::Logs::LogGroup": 4,
    "AWS::S3::Bucket": 3,  # site, photos, photos' access logs
    "AWS::S3::BucketPolicy": 3,
    "AWS::SNS::Subscription": 2,
    "AWS::SNS::Topic": 1,
    "AWS::SES::EmailIdentity": 1,
    "AWS::SNS::TopicPolicy": 1,
    "AWS::SQS::Queue": 1,
    "AWS::SQS::QueuePolicy": 1,
    "AWS::WAFv2::WebACL": 1,
    "AWS::WAFv2::WebACLAssociation": 1,
    "Custom::CDKBucketDeployment": 1,
}


def test_customer_messages_grants_are_least_privilege(synth: Synth, prod_synth: Synth) -> None:
    """SES: SendEmail on the sender identity only; SMS (a stage with customerSms on, here prod):
    sns:Publish to anything that is not an SNS ARN (phone numbers), never a topic; the sender and
    workshop name reach the publisher from context."""
    statements = [
        s
        for _, policy in prod_synth.resources("AWS::IAM::Policy").items()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    ses = [s for s in statements if "ses:SendEmail" in json.dumps(s["Action"])]
    assert len(ses) == 1 and ses[0]["Action"] == "ses:SendEmail"
    assert "EmailIdentity" in json.dumps(ses[0]["Resource"]) or "identity/" in json.dumps(ses[0]["Resource"])
    phone = [s for s in statements if s.get("NotResource")]
    assert phone == [{"Action": "sns:Publish", "Effect": "Allow", "NotResource": "arn:aws:sns:*:*:*"}]
    _, identity = synth.one("AWS::SES::EmailIdentity")
    assert identity["Properties"]["EmailIdentity"] == "repairs@example.com"
    env = next(
        f["Properties"]["Environment"]["Variables"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == "resolvers.publisher.lambda_handler"
    )
    assert env["CUSTOMER_MAIL_FROM"] == "repairs@example.com" and env["WORKSHOP_NAME"] == "Pitstop Garage"
    assert "SITE_URL" in env and env["SMS_SENDER_ID"] == ""


def test_tracing_on_request(prod_synth: Synth, api_config) -> None:
    """`-c tracing=true` (the prod synth of these tests sets it) turns on X-Ray for AppSync and both
    functions."""
    _, api = prod_synth.one("AWS::AppSync::GraphQLApi")
    assert api["Properties"]["XrayEnabled"] is True
    functions = _functions(prod_synth)
    assert len(functions) == 2
    for props in functions.values():
        assert props["TracingConfig"] == {"Mode": "Active"}
