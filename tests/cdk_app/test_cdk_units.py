"""Units of the CDK app that need no synth: generated APPSYNC_JS (run in Node) and context parsing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from aws_cdk import App

from cdk_app import appsync_js
from cdk_app.settings import Settings

NODE = shutil.which("node")

# A stand-in for AppSync's '@aws-appsync/utils': records what the resolver code does.
UTILS_STUB = """
export const calls = { filters: [], errors: [] };
export const util = {
  transform: { toSubscriptionFilter: (f) => ({ converted: f }) },
  error: (message, type) => { calls.errors.push({ message, type }); throw new Error(message); },
};
export const extensions = { setSubscriptionFilter: (f) => calls.filters.push(f) };
"""


def run_js(tmp_path: Path, code: str, script: str) -> object:
    """Evaluate the generated module with the stub and print JSON of what `script` returns."""
    (tmp_path / "utils.mjs").write_text(UTILS_STUB)
    (tmp_path / "resolver.mjs").write_text(code.replace("'@aws-appsync/utils'", "'./utils.mjs'"))
    (tmp_path / "main.mjs").write_text(
        "import * as r from './resolver.mjs';\nimport { calls } from './utils.mjs';\n"
        f"const out = (() => {{ {script} }})();\nconsole.log(JSON.stringify(out));\n"
    )
    done = subprocess.run(
        [NODE, "main.mjs"], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=30
    )
    return json.loads(done.stdout)


def test_filter_expression_single_and_or() -> None:
    one = {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "eq", "valueFromArgument": "id"}]}]}
    assert appsync_js.filter_expression(one) == '{ "id": { eq: ctx.args.id } }'
    two = {
        "filterGroup": [
            {
                "filters": [
                    {"fieldName": "id", "operator": "eq", "valueFromArgument": "id"},
                    {"fieldName": "status", "operator": "ne", "value": "CANCELLED"},
                ]
            },
            {"filters": [{"fieldName": "version", "operator": "gt", "value": 3}]},
        ]
    }
    assert appsync_js.filter_expression(two) == (
        '{ or: [{ and: [{ "id": { eq: ctx.args.id } }, { "status": { ne: "CANCELLED" } }] }, '
        '{ "version": { gt: 3 } }] }'
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"filterGroup": []},
        {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "like", "value": 1}]}]},
        {"filterGroup": [{"filters": [{"fieldName": "id); evil(", "operator": "eq", "value": 1}]}]},
        {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "eq", "valueFromArgument": "a-b"}]}]},
        {"filterGroup": [{"filters": [{"fieldName": "id", "operator": "eq"}]}]},
    ],
)
def test_filter_expression_rejects_what_it_cannot_render_safely(bad: dict) -> None:
    with pytest.raises((ValueError, KeyError)):
        appsync_js.filter_expression(bad)


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_subscription_resolver_sets_the_api_config_filter(tmp_path: Path, api_config) -> None:
    decl = api_config["subscriptionFilters"]["Subscription.onTicketUpdated"]
    out = run_js(
        tmp_path,
        appsync_js.subscription_resolver_code(decl),
        "const ctx = { args: { id: 'T-1', trackingToken: 'secret' } };"
        "const result = r.response(ctx); return { result, filters: calls.filters, request: r.request(ctx) };",
    )
    # Exactly api_config's declaration, with the subscription's own argument; the token is not in it.
    assert out == {"result": None, "filters": [{"converted": {"id": {"eq": "T-1"}}}], "request": {}}


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_check_function_invokes_with_the_direct_lambda_event_and_relays_errors(tmp_path: Path) -> None:
    out = run_js(
        tmp_path,
        appsync_js.invoke_lambda_function_code(),
        "const ctx = { args: { id: 'T-1' }, identity: null, source: null, request: { headers: {} },"
        " info: { fieldName: 'onTicketUpdated', parentTypeName: 'Subscription' }, prev: null, stash: {} };"
        "const req = r.request(ctx);"
        "const failed = { error: { message: 'Ticket not found', type: 'NotFoundError' } };"
        "let raised = null; try { r.response(failed); }"
        " catch (e) { raised = calls.errors[0]; }"
        "const refusal = { result: { errorType: 'NotFoundError', errorMessage: 'Ticket not found' } };"
        "let refused = null; try { r.response(refusal); }"
        " catch (e) { refused = calls.errors[1]; }"
        "return { req, ok: r.response({ result: null }), raised, refused };",
    )
    assert out["req"]["operation"] == "Invoke"
    assert set(out["req"]["payload"]) == {
        "arguments",
        "identity",
        "source",
        "request",
        "info",
        "prev",
        "stash",
    }
    assert out["req"]["payload"]["info"]["parentTypeName"] == "Subscription"
    assert out["ok"] is None
    assert out["raised"] == {"message": "Ticket not found", "type": "NotFoundError"}
    # The resolver Lambda's returned refusal (resolvers.errors.as_refusal) is raised with its own type.
    assert out["refused"] == {"message": "Ticket not found", "type": "NotFoundError"}


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_none_resolver_returns_the_ticket_argument(tmp_path: Path) -> None:
    out = run_js(
        tmp_path,
        appsync_js.none_resolver_code("ticket"),
        "const ticket = { id: 'T-1', version: 2 };"
        "const req = r.request({ args: { ticket } }); return r.response({ result: req.payload });",
    )
    assert out == {"id": "T-1", "version": 2}


def _settings(**context: object) -> Settings:
    return Settings.from_context(App(context=context).node)


def test_settings_defaults() -> None:
    s = _settings()
    assert (s.stage, s.staff_emails, s.api_key_expiry_days, s.is_prod) == ("dev", [], 365, False)


@pytest.mark.parametrize(
    "value",
    [
        ["a@example.com", "b@example.com"],
        "a@example.com,b@example.com",
        " a@example.com , b@example.com ",
        '["a@example.com", "b@example.com"]',
    ],
)
def test_staff_emails_from_cdk_json_or_command_line(value: object) -> None:
    assert _settings(staffEmails=value).staff_emails == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize(
    "context",
    [
        {"staffEmails": "not-an-address"},
        {"stage": "Prod!"},
        {"apiKeyExpiryDays": 0},
        {"apiKeyExpiryDays": 366},
        {"logRetentionDays": 5},
    ],
)
def test_bad_context_is_refused(context: dict) -> None:
    with pytest.raises(ValueError):
        _settings(**context)


def test_api_key_expiry_absolute_date() -> None:
    s = _settings(apiKeyExpires="2030-01-31T00:00:00Z")
    assert s.api_key_expires is not None and s.api_key_expires.isoformat() == "2030-01-31T00:00:00+00:00"


def test_prod_stage() -> None:
    assert _settings(stage="prod").is_prod


def test_pinned_version_reads_requirements_txt(tmp_path: Path) -> None:
    from cdk_app.settings import pinned_version

    (tmp_path / "requirements.txt").write_text(
        "# pins\naws-lambda-powertools-extra==9.9.9\n"
        "AWS-Lambda-Powertools[tracer]==3.37.0  # layer\nboto3==1.0\n"
    )
    assert pinned_version(tmp_path, "aws-lambda-powertools") == "3.37.0"
    assert pinned_version(tmp_path, "boto3") == "1.0"
    with pytest.raises(ValueError, match="pins no moto"):
        pinned_version(tmp_path, "moto")
