"""IAM least privilege, cdk-nag AwsSolutions, cfn-lint: on the session's synthesized template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_s3 as s3
from cdk_helpers import Synth
from cdk_nag import AwsSolutionsChecks

from cdk_app.app import build_app

# Actions that AWS only grants on "*" (no resource-level permissions), and nothing else may be on "*".
STAR_RESOURCE_ALLOWED = {
    "xray:PutTraceSegments",  # Lambda active tracing
    "xray:PutTelemetryRecords",
    "cloudfront:CreateInvalidation",  # BucketDeployment handler (aws-cdk-lib), invalidates after upload
    "cloudfront:GetInvalidation",
    "sns:CheckIfPhoneNumberIsOptedOut",  # the customer SMS's opt-out check has no resource type
}
DATA_SERVICES = ("dynamodb", "s3", "sns", "sqs", "kms", "appsync", "cognito-idp", "lambda", "logs")


def _statements(synth: Synth) -> list[tuple[str, dict]]:
    out = []
    for name, res in synth.json["Resources"].items():
        if res["Type"] == "AWS::IAM::Policy":
            out += [(name, s) for s in res["Properties"]["PolicyDocument"]["Statement"]]
        if res["Type"] == "AWS::IAM::Role":
            for policy in res["Properties"].get("Policies", []):
                out += [(name, s) for s in policy["PolicyDocument"]["Statement"]]
    return out


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _policy_of(synth: Synth, handler: str) -> list[dict]:
    fn = next(
        f for f in synth.resources("AWS::Lambda::Function").values() if f["Properties"]["Handler"] == handler
    )
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statements: list[dict]) -> set[str]:
    return {a for s in statements for a in _as_list(s["Action"])}


# the default stage (customer SMS off) and prod (customerSms on: the SMS grants and their acknowledgement)
BOTH_SYNTHS = pytest.mark.parametrize("synth_name", ["synth", "prod_synth"])


@BOTH_SYNTHS
def test_no_wildcard_actions_and_star_resources_only_where_aws_requires(
    synth_name: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(synth_name)
    statements = _statements(synth)
    assert statements
    for name, s in statements:
        if s["Effect"] != "Allow":
            continue
        for action in _as_list(s["Action"]):
            assert action != "*", name
            service, _, verb = action.partition(":")
            assert verb != "*", f"{name}: {action}"
            if service in DATA_SERVICES:
                # Prefix wildcards are CDK's grant families (e.g. kms:GenerateDataKey*), never "svc:*".
                assert verb.rstrip("*"), f"{name}: {action}"
        if "NotResource" in s:
            # the one NotResource: SMS to phone numbers, i.e. anything but an SNS ARN (never a topic)
            assert (s["Action"], s["NotResource"]) == ("sns:Publish", "arn:aws:sns:*:*:*"), name
            continue
        if "*" in _as_list(s["Resource"]):
            assert set(_as_list(s["Action"])) <= STAR_RESOURCE_ALLOWED, f"{name}: {s['Action']} on *"


def test_only_the_publisher_may_call_the_api_and_only_the_publish_mutation(synth: Synth, api_config) -> None:
    graphql = [(n, s) for n, s in _statements(synth) if "appsync:GraphQL" in _as_list(s["Action"])]
    assert len(graphql) == 1
    _, statement = graphql[0]
    (resource,) = _as_list(statement["Resource"])
    text = json.dumps(resource)
    assert text.endswith(f'/types/Mutation/fields/{api_config["publisher"]["mutation"]}"]]}}')
    publisher = _policy_of(synth, api_config["publisher"]["handler"])
    assert statement in publisher


def test_resolver_role_key_and_index_access_only(synth: Synth, api_config) -> None:
    actions = _actions(_policy_of(synth, api_config["dataSources"]["resolverLambda"]["handler"]))
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"} <= actions
    assert "dynamodb:Scan" not in actions  # the design has no Scan anywhere
    assert not any(a.startswith(("sns:", "appsync:", "sqs:")) for a in actions)


def test_publisher_role_stream_topic_queue_mutation_only(synth: Synth, api_config) -> None:
    actions = _actions(_policy_of(synth, api_config["publisher"]["handler"]))
    assert {"sns:Publish", "appsync:GraphQL", "dynamodb:GetRecords", "sqs:SendMessage"} <= actions
    # item access for the staff-mail claims only (resolvers/staffmail.py), nothing else on the table
    item_actions = {
        a for a in actions if (a.startswith("dynamodb:") and "Item" in a) or a == "dynamodb:Query"
    }
    assert item_actions == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}


@BOTH_SYNTHS
def test_cdk_nag_aws_solutions_has_no_unacknowledged_finding(
    synth_name: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(synth_name)
    report = AwsSolutionsChecks().validate_scope(synth.stack)
    findings = [
        f"{v.rule_name} at {r.construct_path}" for v in report.violations for r in v.violating_resources
    ]
    assert findings == [], "\n".join(findings)


def test_every_acknowledgement_has_a_real_reason(synth: Synth) -> None:
    key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    acks: dict[str, str] = {}
    for construct in synth.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == key and entry.data:
                for rule, reason in dict(entry.data).items():
                    acks[f"{construct.node.path}: {rule}"] = reason
    assert acks, "expected the documented acknowledgements"
    for where, reason in acks.items():
        assert len(reason.split()) >= 8, f"{where}: reason too thin: {reason!r}"


def test_nag_is_registered_by_the_app_and_fails_synth(tmp_path: Path, cdk_context) -> None:
    """A finding nobody acknowledged makes the app's own synth (`cdk synth`) fail."""
    app, stack = build_app({**cdk_context, "frontendDist": str(tmp_path / "none")}, outdir=str(tmp_path))
    s3.Bucket(stack, "Unreviewed")
    with pytest.raises(RuntimeError, match="ValidationFailed") as failure:
        app.synth()
    assert "Pitstop-test/Unreviewed" in str(failure.value)
    assert "AwsSolutions-S1" in str(failure.value)


def test_validations_acknowledge_is_what_cdk_nag_reads() -> None:
    """Guards the cdk-nag 3 contract the app relies on (Validations, not Aspects/NagSuppressions)."""
    stack = Stack(App(), "Probe")
    bucket = s3.Bucket(stack, "B", enforce_ssl=True)
    before = {v.rule_name for v in AwsSolutionsChecks().validate_scope(stack).violations}
    assert "AwsSolutions-S1" in before
    from aws_cdk import Acknowledgment

    Validations.of(bucket).acknowledge(Acknowledgment(id="AwsSolutions-S1", reason="probe only"))
    after = {v.rule_name for v in AwsSolutionsChecks().validate_scope(stack).violations}
    assert "AwsSolutions-S1" not in after


# cfn-lint rules ignored, and why (keep this list short and explained):
CFN_LINT_IGNORED: dict[str, str] = {
    "W3005": "aws-cdk-lib gives every Lambda an explicit DependsOn on its role and the role's policy "
    "(so the permissions exist before the first invoke); the GetAtt on the role already orders it, "
    "so cfn-lint calls the entry redundant. Harmless, and not ours to remove.",
}


def test_cfn_lint_clean(synth: Synth) -> None:
    from cfnlint.api import ManualArgs, lint_file

    template = synth.outdir / f"{synth.stack.stack_name}.template.json"
    matches = lint_file(
        template,
        ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=list(CFN_LINT_IGNORED)),
    )
    assert [str(m) for m in matches] == []
