"""The deployed public surface: WAF, AppSync limits, introspection, staff MFA, CSP, console, IAM, concurrency.

The WAF test evaluates the synthesized rules' statements (and the documented conditions of the managed
rules that look at sizes and headers) against the requests our own clients send.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Validations
from cdk_helpers import Synth
from cdk_nag import AwsSolutionsChecks

from cdk_app.api import RESOLVER_TABLE_ACTIONS
from cdk_app.settings import Settings
from cdk_app.site import PROD_ROUTER_JS, ROUTER_JS
from cdk_app.waf import APPSYNC_BODY_INSPECTION_LIMIT, MANAGED_RULE_GROUPS, greater_than_pattern

NODE = shutil.which("node")


def _web_acl(synth: Synth) -> dict[str, Any]:
    return synth.one("AWS::WAFv2::WebACL")[1]["Properties"]


def _rules(synth: Synth) -> dict[str, dict[str, Any]]:
    return {r["Name"]: r for r in _web_acl(synth)["Rules"]}


# --- WAF: shape and values ------------------------------------------------------------------------


def test_web_acl_is_regional_and_associated_with_the_graphql_api(synth: Synth) -> None:
    acl_id, acl = synth.one("AWS::WAFv2::WebACL")
    assert acl["Properties"]["Scope"] == "REGIONAL"
    assert acl["Properties"]["DefaultAction"] == {"Allow": {}}
    _, assoc = synth.one("AWS::WAFv2::WebACLAssociation")
    api_id, _ = synth.one("AWS::AppSync::GraphQLApi")
    assert assoc["Properties"]["ResourceArn"] == {"Fn::GetAtt": [api_id, "Arn"]}
    assert assoc["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    priorities = [r["Priority"] for r in acl["Properties"]["Rules"]]
    assert len(set(priorities)) == len(priorities)


def test_rate_rules_take_their_values_from_api_config(synth: Synth, api_config: dict) -> None:
    waf = api_config["limits"]["waf"]
    rules = _rules(synth)
    anonymous = rules["RateLimitAnonymous"]["Statement"]["RateBasedStatement"]
    per_ip = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]
    assert anonymous["Limit"] == waf["rateLimitAnonymous"]
    assert per_ip["Limit"] == waf["rateLimitAuthenticated"]
    assert anonymous["Limit"] < per_ip["Limit"]
    for rule in (anonymous, per_ip):
        assert rule["AggregateKeyType"] == "IP"
        assert rule["EvaluationWindowSec"] == waf["evaluationWindowSeconds"]
    for name in ("RateLimitAnonymous", "RateLimitPerIp", "RequestBodyTooLarge"):
        assert rules[name]["Action"] == {"Block": {}}


def test_managed_rule_groups_and_their_count_overrides(synth: Synth) -> None:
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in _web_acl(synth)["Rules"]
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(managed) == set(MANAGED_RULE_GROUPS)
    for name, rule in managed.items():
        statement = rule["Statement"]["ManagedRuleGroupStatement"]
        assert statement["VendorName"] == "AWS"
        assert rule["OverrideAction"] == {"None": {}}  # the group's own actions (block) apply
        overrides = {o["Name"]: o["ActionToUse"] for o in statement.get("RuleActionOverrides", [])}
        assert overrides == {r: {"Count": {}} for r in MANAGED_RULE_GROUPS[name]}


@pytest.mark.parametrize("limit", [16384, 8192, 1000, 999, 9, 10, 100000, 12345])
def test_greater_than_pattern_matches_exactly_the_larger_numbers(limit: int) -> None:
    pattern = re.compile(greater_than_pattern(limit))
    numbers = [*range(0, 3 * limit + 20), 10**7, 10**9 + 7]
    for n in numbers:
        assert bool(pattern.match(str(n))) == (n > limit), n
    assert pattern.match(f"00{limit + 1}") and not pattern.match(f"00{limit}")
    assert not pattern.match("") and not pattern.match(f"{limit + 1}x")


# --- WAF: our own requests get through ------------------------------------------------------------


@dataclass
class Request:
    name: str
    method: str
    headers: dict[str, str]
    body: bytes = b""
    query_string: str = ""
    uri: str = "/graphql"
    labels: set[str] = field(default_factory=set)


def _evaluate(statement: dict[str, Any], request: Request) -> bool:
    """The subset of WAF's statement semantics our rules use (documented in the WAF API reference)."""
    if "NotStatement" in statement:
        return not _evaluate(statement["NotStatement"]["Statement"], request)
    if "AndStatement" in statement:
        return all(_evaluate(s, request) for s in statement["AndStatement"]["Statements"])
    if "OrStatement" in statement:
        return any(_evaluate(s, request) for s in statement["OrStatement"]["Statements"])
    kind, spec = next(iter(statement.items()))
    target = spec["FieldToMatch"]
    if "SingleHeader" in target:
        value = request.headers.get(target["SingleHeader"]["Name"].lower())
        if value is None:
            return False  # WAF does not match a header the request lacks
        data = value.encode()
    elif "Body" in target:
        data = request.body
        if len(data) > APPSYNC_BODY_INSPECTION_LIMIT:
            handling = target["Body"].get("OversizeHandling", "CONTINUE")
            if handling in ("MATCH", "NO_MATCH"):
                return handling == "MATCH"
            data = data[:APPSYNC_BODY_INSPECTION_LIMIT]
    else:
        raise AssertionError(f"field not modelled: {target}")
    assert spec["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    if kind == "SizeConstraintStatement":
        compare = {"GT": int.__gt__, "GE": int.__ge__, "LT": int.__lt__, "LE": int.__le__}
        return compare[spec["ComparisonOperator"]](len(data), spec["Size"])
    if kind == "RegexMatchStatement":
        return re.search(spec["RegexString"], data.decode()) is not None
    if kind == "ByteMatchStatement":
        assert spec["PositionalConstraint"] == "STARTS_WITH"
        return data.startswith(spec["SearchString"].encode())
    raise AssertionError(f"statement not modelled: {kind}")


# The documented conditions of the managed rules that look at sizes and headers, which are the ones
# our own requests could meet (https://docs.aws.amazon.com/waf/latest/developerguide/
# aws-managed-rule-groups-baseline.html). The signature rules (XSS, LFI, Log4j, ...) never match a
# GraphQL document with plain text arguments, and reputation lists depend on the caller's IP only.
def _managed_matches(request: Request) -> dict[str, set[str]]:
    common = set()
    if "user-agent" not in request.headers:
        common.add("NoUserAgent_HEADER")
    if len(request.query_string.encode()) > 2048:
        common.add("SizeRestrictions_QUERYSTRING")
    if len(request.body) > 8192:
        common.add("SizeRestrictions_BODY")
    if len(request.headers.get("cookie", "").encode()) > 10240:
        common.add("SizeRestrictions_Cookie_HEADER")
    if len(request.uri.encode()) > 1024:
        common.add("SizeRestrictions_URIPATH")
    return {"AWSManagedRulesCommonRuleSet": common}


def _graphql_post(name: str, document: str, variables: dict, headers: dict[str, str]) -> Request:
    # Serialized as gql's HTTP transport and the browser's fetch do: json.dumps / JSON.stringify.
    body = json.dumps({"query": document, "variables": variables}).encode()
    return Request(
        name,
        "POST",
        {
            "host": "abc.appsync-api.eu-west-1.amazonaws.com",
            "content-type": "application/json",
            "content-length": str(len(body)),
            "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0",
            **headers,
        },
        body,
    )


API_KEY = {"x-api-key": "da2-" + "k" * 26}
# A Cognito access token of a staff user in a group: ~1,100 characters.
JWT = ".".join(base64.urlsafe_b64encode(b"x" * n).decode().rstrip("=") for n in (300, 500, 256))
SIGV4 = {
    "authorization": "AWS4-HMAC-SHA256 Credential=ASIA.../20250101/eu-west-1/appsync/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=" + "0" * 64,
    "x-amz-date": "20250101T000000Z",
    "x-amz-security-token": "t" * 900,
}


def _our_requests(max_body: int) -> list[Request]:
    ticket_input = {
        "name": "Ana Example",
        "email": "ana@example.com",
        "phone": "+351 912 345 678",
        "vehicle": "Bike",
        "description": ("The rear brake squeals when wet. " * 125)[:4000],
    }
    assert len(ticket_input["description"]) == 4000
    create = "mutation Create($input: CreateTicketInput!) { createTicket(input: $input) { id reference } }"
    handshake_header = base64.b64encode(
        json.dumps({"host": "abc.appsync-api.eu-west-1.amazonaws.com", "Authorization": JWT}).encode()
    ).decode()
    requests = [
        _graphql_post(
            "public query",
            "query T($id: ID!, $token: String!) { ticket(id: $id, token: $token) { id status } }",
            {"id": "t-1", "token": "x" * 43},
            API_KEY,
        ),
        _graphql_post("createTicket, 4,000-character description", create, {"input": ticket_input}, API_KEY),
        _graphql_post("staff list", "{ tickets(status: OPEN) { items { id } } }", {}, {"authorization": JWT}),
        _graphql_post(
            "publisher IAM mutation",
            "mutation P($t: TicketInput!) { publishTicketChange(ticket: $t) { id } }",
            {"t": {"id": "t-1", "description": "d" * 4000}},
            {**SIGV4, "user-agent": "Botocore/1.35"},
        ),
        Request(
            "subscription handshake (header in the query string)",
            "GET",
            {"host": "abc.appsync-realtime-api.eu-west-1.amazonaws.com", "user-agent": "Mozilla/5.0"},
            query_string=f"header={handshake_header}&payload=e30=",
        ),
    ]
    assert all(len(r.body) <= max_body for r in requests)
    return requests


def test_no_rule_blocks_our_own_requests(synth: Synth, api_config: dict) -> None:
    max_body = api_config["limits"]["maxRequestBodyBytes"]
    rules = _rules(synth)
    for request in _our_requests(max_body):
        assert not _evaluate(rules["RequestBodyTooLarge"]["Statement"], request), request.name
        for name, matched in _managed_matches(request).items():
            statement = rules[name]["Statement"]["ManagedRuleGroupStatement"]
            counted = {o["Name"] for o in statement.get("RuleActionOverrides", [])}
            assert matched <= counted, f"{request.name}: {name} blocks it by {matched - counted}"


def test_body_rule_blocks_what_is_over_the_declared_limit(synth: Synth, api_config: dict) -> None:
    max_body = api_config["limits"]["maxRequestBodyBytes"]
    statement = _rules(synth)["RequestBodyTooLarge"]["Statement"]
    overhead = len(_graphql_post("x", "{ a }", {"pad": ""}, API_KEY).body)
    at_limit = _graphql_post("x", "{ a }", {"pad": "p" * (max_body - overhead)}, API_KEY)
    assert len(at_limit.body) == max_body
    assert not _evaluate(statement, at_limit)
    over = _graphql_post("x", "{ a }", {"pad": "p" * max_body}, API_KEY)
    assert _evaluate(statement, over)
    # Without a Content-Length (chunked), what WAF cannot inspect is blocked.
    chunked = Request(
        "chunked", "POST", {"user-agent": "x"}, b"{" + b" " * APPSYNC_BODY_INSPECTION_LIMIT + b"}"
    )
    assert _evaluate(statement, chunked)
    small_chunked = Request("chunked", "POST", {"user-agent": "x"}, b'{"query":"{ a }"}')
    assert not _evaluate(statement, small_chunked)


def test_rate_rule_scopes(synth: Synth, api_config: dict) -> None:
    rules = _rules(synth)
    anonymous = rules["RateLimitAnonymous"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    per_ip = rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    public, _, staff, publisher, _ = _our_requests(api_config["limits"]["maxRequestBodyBytes"])
    assert _evaluate(anonymous, public)  # API key, no Authorization: the stricter limit
    assert not _evaluate(anonymous, staff) and not _evaluate(anonymous, publisher)
    assert _evaluate(per_ip, public) and _evaluate(per_ip, staff)
    assert not _evaluate(per_ip, publisher)  # SigV4: never throttled with the public


# --- AppSync limits, introspection, request logging -----------------------------------------------


def test_appsync_depth_and_resolver_count_limits(synth: Synth, api_config: dict) -> None:
    props = synth.one("AWS::AppSync::GraphQLApi")[1]["Properties"]
    assert props["QueryDepthLimit"] == api_config["limits"]["queryDepthLimit"]
    assert props["ResolverCountLimit"] == api_config["limits"]["resolverCountLimit"]


def test_introspection_kept_outside_prod_and_as_declared_in_prod(
    synth: Synth, prod_synth: Synth, api_config: dict
) -> None:
    assert synth.one("AWS::AppSync::GraphQLApi")[1]["Properties"]["IntrospectionConfig"] == "ENABLED"
    prod = prod_synth.one("AWS::AppSync::GraphQLApi")[1]["Properties"]["IntrospectionConfig"]
    assert prod == ("ENABLED" if api_config["limits"]["introspectionInProd"] else "DISABLED")
    assert prod == "DISABLED"


def test_request_logging_is_on_without_personal_data(synth: Synth) -> None:
    """Verbose content would copy resolver arguments (customers' contact data) into the logs."""
    log_config = synth.one("AWS::AppSync::GraphQLApi")[1]["Properties"]["LogConfig"]
    assert log_config["ExcludeVerboseContent"] is True
    assert log_config["FieldLogLevel"] == "ERROR"


def _acknowledged(synth: Synth) -> set[str]:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    return {
        rule
        for construct in synth.stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == key and entry.data
        for rule in dict(entry.data)
    }


def test_appsync_and_waf_findings_are_resolved_not_acknowledged(synth: Synth, prod_synth: Synth) -> None:
    # ASC3 alone is acknowledged: it passes only with verbose logging, which would log personal data
    for s in (synth, prod_synth):
        acknowledged = {r for r in _acknowledged(s) if r.startswith(("AwsSolutions-ASC", "AwsSolutions-WAF"))}
        assert acknowledged <= {"AwsSolutions-ASC3"}
    assert not {
        r for r in _acknowledged(prod_synth) if r.startswith(("AwsSolutions-COG2", "AwsSolutions-COG8"))
    }
    report = AwsSolutionsChecks().validate_scope(prod_synth.stack)
    findings = [
        f"{v.rule_name} at {r.construct_path}" for v in report.violations for r in v.violating_resources
    ]
    assert findings == [], "\n".join(findings)


# --- staff accounts -------------------------------------------------------------------------------


def test_prod_requires_totp_mfa_srp_only_and_threat_protection(prod_synth: Synth) -> None:
    pool = prod_synth.one("AWS::Cognito::UserPool")[1]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    client = prod_synth.one("AWS::Cognito::UserPoolClient")[1]["Properties"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}


def test_other_stages_offer_totp_and_keep_password_auth(synth: Synth) -> None:
    pool = synth.one("AWS::Cognito::UserPool")[1]["Properties"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool.get("UserPoolTier", "ESSENTIALS") == "ESSENTIALS"
    client = synth.one("AWS::Cognito::UserPoolClient")[1]["Properties"]
    assert "ALLOW_USER_PASSWORD_AUTH" in client["ExplicitAuthFlows"]


@pytest.mark.parametrize("which", ["synth", "prod_synth"])
def test_refresh_tokens_last_one_shift(which: str, request: pytest.FixtureRequest) -> None:
    client = request.getfixturevalue(which).one("AWS::Cognito::UserPoolClient")[1]["Properties"]
    units = client["TokenValidityUnits"]
    minutes = (
        client["RefreshTokenValidity"] * {"minutes": 1, "hours": 60, "days": 1440}[units["RefreshToken"]]
    )
    assert minutes == 12 * 60


def test_prod_refuses_password_auth_in_context() -> None:
    with pytest.raises(ValueError, match="allowPasswordAuth"):
        Settings.from_context(App(context={"stage": "prod", "allowPasswordAuth": "true"}).node)
    assert Settings.from_context(App(context={"stage": "prod"}).node).allow_password_auth is False
    assert Settings.from_context(App(context={"stage": "dev"}).node).allow_password_auth is True


# --- publisher concurrency ------------------------------------------------------------------------


def _function(synth: Synth, handler: str) -> dict[str, Any]:
    (fn,) = [
        f["Properties"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == handler
    ]
    return fn


def test_publisher_reservation_is_off_by_default_and_set_from_context(
    synth: Synth, prod_synth: Synth, api_config: dict
) -> None:
    publisher, resolver = (
        api_config["publisher"]["handler"],
        api_config["dataSources"]["resolverLambda"]["handler"],
    )
    assert "ReservedConcurrentExecutions" not in _function(synth, publisher)  # cdk.json: 0
    assert _function(prod_synth, publisher)["ReservedConcurrentExecutions"] == 2
    assert "ReservedConcurrentExecutions" not in _function(prod_synth, resolver)


def test_reservation_context_is_validated() -> None:
    with pytest.raises(ValueError, match="publisherReservedConcurrency"):
        Settings.from_context(App(context={"publisherReservedConcurrency": "-1"}).node)
    assert (
        Settings.from_context(
            App(context={"publisherReservedConcurrency": "3"}).node
        ).publisher_reserved_concurrency
        == 3
    )
    assert Settings.from_context(App().node).publisher_reserved_concurrency == 0


# --- IAM: exactly what the code uses ---------------------------------------------------------------


def _actions_of(synth: Synth, handler: str) -> set[str]:
    role = _function(synth, handler)["Role"]["Fn::GetAtt"][0]
    return {
        a
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }


# The test synth has tracing off (the default); X-Ray's two actions come only with `-c tracing=true`.
LOGS_AND_TRACES = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
}
TRACES = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# With customerSms on (the prod synth), the publisher may also text: the opt-out check (sns:Publish to
# phone numbers is one more statement with an action the role already has for the topic).
SMS_ACTIONS = {"sns:CheckIfPhoneNumberIsOptedOut"}


def test_tracing_and_sms_add_only_their_actions_to_the_function_roles(
    synth: Synth, prod_synth: Synth, api_config: dict
) -> None:
    resolver, publisher = (
        api_config["dataSources"]["resolverLambda"]["handler"],
        api_config["publisher"]["handler"],
    )
    assert _actions_of(prod_synth, resolver) - _actions_of(synth, resolver) == TRACES
    assert _actions_of(prod_synth, publisher) - _actions_of(synth, publisher) == TRACES | SMS_ACTIONS


def test_resolver_role_has_exactly_the_actions_store_py_uses(synth: Synth, api_config: dict) -> None:
    actions = _actions_of(synth, api_config["dataSources"]["resolverLambda"]["handler"])
    assert (
        actions
        == {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"}
        | {"s3:PutObject", "s3:GetObject", "s3:DeleteObject"}  # photos (tests/cdk_app/test_cdk_photos.py)
        | LOGS_AND_TRACES
    )


# DynamoDB client operations -> the actions they need (a transaction needs its parts' actions only).
OPERATION_ACTIONS = {
    "get_item": {"dynamodb:GetItem"},
    "query": {"dynamodb:Query"},
    "update_item": {"dynamodb:UpdateItem"},
    "put_item": {"dynamodb:PutItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "scan": {"dynamodb:Scan"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_get_items": {"dynamodb:GetItem"},
    "describe_table": {"dynamodb:DescribeTable"},
}
TRANSACTION_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


def test_the_grant_is_what_the_resolvers_call() -> None:
    """Reads resolvers/store.py: the client calls it makes and the parts of its transactions."""
    source = (Path(__file__).resolve().parents[2] / "resolvers" / "store.py").read_text(encoding="utf-8")
    used: set[str] = set()
    for operation in re.findall(r"client\(\)\.(\w+)\(", source):
        if operation == "transact_write_items":
            used |= {a for part, a in TRANSACTION_PARTS.items() if re.search(rf'"{part}":\s*\{{', source)}
        else:
            used |= OPERATION_ACTIONS[operation]
    assert used == set(RESOLVER_TABLE_ACTIONS)


def test_publisher_role_has_exactly_stream_topic_queue_and_its_mutation(
    synth: Synth, api_config: dict
) -> None:
    actions = _actions_of(synth, api_config["publisher"]["handler"])
    assert (
        actions
        == {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
            # the staff-mail claims (resolvers/staffmail.py), on their own key prefixes only
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "sns:Publish",
            "kms:Decrypt",
            "kms:GenerateDataKey*",
            "appsync:GraphQL",
            "sqs:SendMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            # customer messages: e-mail from the sender identity (SMS only with customerSms on)
            "ses:SendEmail",
        }
        | LOGS_AND_TRACES
    )


# --- site: CSP, X-XSS-Protection, /console --------------------------------------------------------


def _headers_config(synth: Synth) -> dict[str, Any]:
    _, policy = synth.one("AWS::CloudFront::ResponseHeadersPolicy")
    return policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]


def test_csp_connect_src_names_this_stage_endpoints_only(synth: Synth) -> None:
    security = _headers_config(synth)
    csp = synth.stack.resolve(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    text = json.dumps(csp)
    assert "*.amazonaws.com" not in text and "*" not in text.replace("'unsafe-inline'", "")
    api_id, _ = synth.one("AWS::AppSync::GraphQLApi")
    # scheme://host of each URL (split on "/", items 0 and 2), nothing else of the account's APIs.
    assert text.count(f'"{api_id}", "GraphQLUrl"') == 2
    assert text.count(f'"{api_id}", "RealtimeUrl"') == 2
    assert text.count("amazonaws") == 0  # Cognito's host is built from AWS::URLSuffix
    assert "https://cognito-idp." in text
    assert security["XSSProtection"] == {"Override": True, "Protection": False}  # "X-XSS-Protection: 0"


@pytest.mark.skipif(NODE is None, reason="node is needed to run the CloudFront function")
@pytest.mark.parametrize(
    ("uri", "dev", "prod"),
    [
        ("/console", "/console.html", 404),
        ("/console/", "/console.html", 404),
        ("/console.html", "/console.html", 404),
        ("/staff", "/index.html", "/index.html"),
        ("/", "/index.html", "/index.html"),
        ("/assets/main.js", "/assets/main.js", "/assets/main.js"),
    ],
)
def test_router_serves_console_outside_prod_only(tmp_path: Path, uri: str, dev: Any, prod: Any) -> None:
    def route(code: str) -> Any:
        script = code + f"\nconst out = handler({{request: {{uri: {json.dumps(uri)}}}}});\n"
        script += "console.log(JSON.stringify(out.statusCode || out.uri));\n"
        (tmp_path / "router.js").write_text(script)
        done = subprocess.run([NODE, "router.js"], cwd=tmp_path, capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    assert route(ROUTER_JS) == dev
    assert route(PROD_ROUTER_JS) == prod


def _deployed_files(synth: Synth) -> set[str]:
    _, deployment = synth.one("Custom::CDKBucketDeployment")
    key = deployment["Properties"]["SourceObjectKeys"][0].removesuffix(".zip")
    return {p.name for p in (synth.outdir / f"asset.{key}").rglob("*") if p.is_file()}


def test_console_page_ships_outside_prod_only(synth: Synth, prod_synth: Synth) -> None:
    assert "console.html" in _deployed_files(synth)
    assert _deployed_files(prod_synth) == {"index.html", "main.js"}
    code = prod_synth.one("AWS::CloudFront::Function")[1]["Properties"]["FunctionCode"]
    assert code == PROD_ROUTER_JS
