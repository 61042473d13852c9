"""The stage's SMS switch (context `customerSms`, cdk.json default false): the functions' environment,
the publisher's SMS grants (only when on) and `custom.customerSms` in amplify_outputs.json.

The session's default synth runs cdk.json's context (SMS off); the prod synth turns it on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App
from cdk_helpers import ROOT, Synth

from cdk_app.outputs import CUSTOMER_SMS_KEY
from cdk_app.settings import Settings
from cdk_app.stack import amplify_outputs
from resolvers import comms

SMS_ACTIONS = {"sns:CheckIfPhoneNumberIsOptedOut"}


def _env(synth: Synth, handler: str) -> dict[str, str]:
    return next(
        f["Properties"]["Environment"]["Variables"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == handler
    )


def _publisher_statements(synth: Synth, api_config: dict[str, Any]) -> list[dict[str, Any]]:
    fn = next(
        f
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Handler") == api_config["publisher"]["handler"]
    )
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def _sms_statements(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Publishing to phone numbers (NotResource: not an SNS ARN) and the opt-out check."""
    actions = lambda s: set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])  # noqa: E731
    return [s for s in statements if "NotResource" in s or actions(s) & SMS_ACTIONS]


def test_cdk_json_declares_sms_off_and_settings_read_it() -> None:
    context = json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    assert context["customerSms"] is False
    for given, expected in ((None, False), (False, False), ("false", False), (True, True), ("true", True)):
        app = App(context={} if given is None else {"customerSms": given})
        assert Settings.from_context(app.node).customer_sms is expected


@pytest.mark.parametrize(("fixture", "value"), [("synth", "false"), ("prod_synth", "true")])
def test_both_functions_get_the_switch(
    fixture: str, value: str, request: pytest.FixtureRequest, api_config: dict[str, Any]
) -> None:
    synth: Synth = request.getfixturevalue(fixture)
    for handler in (
        api_config["dataSources"]["resolverLambda"]["handler"],
        api_config["publisher"]["handler"],
    ):
        assert _env(synth, handler)[comms.ENV_CUSTOMER_SMS] == value
    for declared in (api_config["dataSources"]["resolverLambda"], api_config["publisher"]):
        assert comms.ENV_CUSTOMER_SMS in declared["environment"]


def test_sms_off_grants_no_sms(synth: Synth, api_config: dict[str, Any]) -> None:
    statements = _publisher_statements(synth, api_config)
    assert statements and _sms_statements(statements) == []
    # the staff topic's own grant stays (sns:Publish on that topic's ARN only)
    topic = [s for s in statements if s["Action"] == "sns:Publish"]
    assert len(topic) == 1 and "Ref" in json.dumps(topic[0]["Resource"])


def test_sms_on_grants_phone_numbers_and_the_opt_out_check(
    prod_synth: Synth, api_config: dict[str, Any]
) -> None:
    statements = _sms_statements(_publisher_statements(prod_synth, api_config))
    phone = [s for s in statements if "NotResource" in s]
    assert phone == [{"Action": "sns:Publish", "Effect": "Allow", "NotResource": "arn:aws:sns:*:*:*"}]
    # the opt-out check is on "*" (IAM minimises it into one statement with X-Ray's "*" actions)
    (opt_out,) = (s for s in statements if "NotResource" not in s)
    assert opt_out["Resource"] == "*" and "sns:CheckIfPhoneNumberIsOptedOut" in opt_out["Action"]


@pytest.mark.parametrize(("fixture", "value"), [("synth", False), ("prod_synth", True)])
def test_outputs_say_whether_the_pages_offer_sms(
    fixture: str, value: bool, request: pytest.FixtureRequest, api_config: dict[str, Any]
) -> None:
    synth: Synth = request.getfixturevalue(fixture)
    s = synth.stack
    outputs = amplify_outputs(api_config, s.api, s.auth, s.settings)
    assert outputs["custom"][CUSTOMER_SMS_KEY] is value
    assert CUSTOMER_SMS_KEY == "customerSms"  # frontend/src/config.ts reads this key
