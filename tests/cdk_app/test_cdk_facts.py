"""Facts declared once and read by the CDK app: the deployed template carries the declared values."""

from __future__ import annotations

import json
from typing import Any

from cdk_helpers import ROOT, Synth

from cdk_app.outputs import build_amplify_outputs
from cdk_app.publish_selection import current_text
from cdk_app.stack import amplify_outputs
from resolvers import handler, publish_selection


def _table(synth: Synth) -> dict[str, Any]:
    (table,) = synth.template.find_resources("AWS::DynamoDB::GlobalTable").values()
    return table["Properties"]


def test_the_deployed_table_is_table_json(synth: Synth) -> None:
    declared = json.loads((ROOT / "table.json").read_text(encoding="utf-8"))
    table = _table(synth)
    assert {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]} == declared[
        "attributeTypes"
    ]
    assert table["KeySchema"] == [{"AttributeName": declared["partitionKey"], "KeyType": "HASH"}]
    assert [(g["IndexName"], g["KeySchema"], g["Projection"]) for g in table["GlobalSecondaryIndexes"]] == [
        (
            i["indexName"],
            [
                {"AttributeName": i["partitionKey"], "KeyType": "HASH"},
                {"AttributeName": i["sortKey"], "KeyType": "RANGE"},
            ],
            {"ProjectionType": "ALL"},
        )
        for i in declared["globalSecondaryIndexes"]
    ]
    assert table["StreamSpecification"] == {"StreamViewType": declared["streamViewType"]}
    assert table["TimeToLiveSpecification"] == {
        "AttributeName": declared["timeToLiveAttribute"],
        "Enabled": True,
    }


def test_the_resolver_gets_the_staff_group_of_api_config(synth: Synth, api_config: dict[str, Any]) -> None:
    functions = synth.template.find_resources("AWS::Lambda::Function")
    resolver = next(
        f for f in functions.values() if f["Properties"]["Handler"] == "resolvers.handler.lambda_handler"
    )
    assert resolver["Properties"]["Environment"]["Variables"]["STAFF_GROUP"] == api_config["staffGroup"]
    synth.template.has_resource_properties(
        "AWS::Cognito::UserPoolGroup", {"GroupName": api_config["staffGroup"]}
    )
    # Outside Lambda (tests, benchmarks) the handler falls back to the same value.
    assert api_config["staffGroup"] == handler.STAFF_GROUP


def test_deployed_and_local_outputs_come_from_one_builder(synth: Synth, api_config: dict[str, Any]) -> None:
    deployed = amplify_outputs(api_config, synth.stack.api, synth.stack.auth, synth.stack.settings)
    local = build_amplify_outputs(
        api_config,
        graphql_url="http://127.0.0.1:4000/graphql",
        api_key="da2-local",
        region="us-east-1",
        user_pool_id="us-east-1_local",
        user_pool_client_id="client",
        mfa_configuration="OPTIONAL",
        customer_sms=True,
        aws_endpoint_url="http://127.0.0.1:5000",
        realtime_url="ws://127.0.0.1:4000/graphql/realtime",
    )
    assert deployed["version"] == local["version"] == "1.4"
    assert set(deployed) == set(local) and set(deployed["auth"]) == set(local["auth"])
    assert set(deployed["data"]) == set(local["data"])
    assert (
        deployed["auth"]["groups"]
        == local["auth"]["groups"]
        == [{api_config["staffGroup"]: {"precedence": 0}}]
    )
    assert deployed["auth"]["mfa_configuration"] == "OPTIONAL"  # stage test: TOTP offered, not required
    assert set(local["custom"]) - set(deployed["custom"]) == {"aws_endpoint_url"}


def test_prod_outputs_say_mfa_is_required(prod_synth: Synth, api_config: dict[str, Any]) -> None:
    s = prod_synth.stack
    outputs = amplify_outputs(api_config, s.api, s.auth, s.settings)
    assert outputs["auth"]["mfa_configuration"] == "REQUIRED" and outputs["auth"]["mfa_methods"] == ["TOTP"]
    prod_synth.template.has_resource_properties("AWS::Cognito::UserPool", {"MfaConfiguration": "ON"})


def test_the_publish_mutation_module_is_generated_from_the_current_schema() -> None:
    """Regenerate with `python -m cdk_app.publish_selection` after changing schema.graphql."""
    assert (ROOT / "resolvers" / "publish_selection.py").read_text(encoding="utf-8") == current_text()
    assert publish_selection.OPERATION_NAME == "PublishTicketChange"


def test_a_schema_change_changes_the_publish_mutation(tmp_path) -> None:
    (tmp_path / "api_config.json").write_text((ROOT / "api_config.json").read_text(encoding="utf-8"))
    sdl = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    (tmp_path / "schema.graphql").write_text(
        sdl.replace("  mileage: Int\n}", "  mileage: Int\n  colour: String\n}", 1)
    )
    changed = current_text(tmp_path)
    assert "licensePlate mileage colour }" in changed and changed != current_text()
