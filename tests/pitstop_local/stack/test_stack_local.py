"""`python -m pitstop_local` as a whole: outputs, static files, Cognito, CORS, start-up, demo data, stop."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

import httpx
import jwt
import pytest
from appsync_clients import CREATE_TICKET, LIST_TICKETS, ON_TICKET_UPDATED, TICKET_FIELDS, Api, ticket_input

from pitstop_local import outbox as outbox_module
from pitstop_local.static import DIST


def test_amplify_outputs_has_the_contract_keys(local_stack: Any) -> None:
    outputs = local_stack.outputs
    data, auth = outputs["data"], outputs["auth"]
    assert data["url"] == local_stack.graphql_url
    assert data["api_key"] == local_stack.api_key
    assert data["aws_region"] == auth["aws_region"] == "us-east-1"
    assert data["default_authorization_type"] == "AMAZON_COGNITO_USER_POOLS"
    assert data["authorization_types"] == ["API_KEY", "AWS_IAM"]
    assert auth["user_pool_id"].startswith("us-east-1_") and auth["user_pool_client_id"]
    if local_stack.is_local:
        endpoint = outputs["custom"]["aws_endpoint_url"]
        assert endpoint.startswith("http://127.0.0.1:")
        assert outputs["custom"]["realtime_url"] == local_stack.realtime_url


def test_staff_user_signs_in_and_is_in_the_staff_group(local_stack: Any) -> None:
    tokens = local_stack.staff_tokens()
    claims = jwt.decode(tokens["IdToken"], options={"verify_signature": False})
    pool = local_stack.outputs["auth"]["user_pool_id"]
    assert claims["iss"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    assert claims["token_use"] == "id" and claims["aud"] == local_stack.outputs["auth"]["user_pool_client_id"]
    assert "staff" in claims["cognito:groups"]
    assert claims["email"] == local_stack.staff_username


def test_local_cognito_answers_a_browser_page_from_the_stack(local_only: Any) -> None:
    """moto's server sends CORS headers: Amplify Auth on http://127.0.0.1:PORT can sign in directly."""
    endpoint, origin = local_only.aws_endpoint_url, local_only.base_url
    preflight = httpx.options(
        endpoint,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent,cache-control",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in (origin, "*")
    assert "x-amz-target" in preflight.headers["access-control-allow-headers"].lower()
    auth = local_only.outputs["auth"]
    response = httpx.post(
        endpoint,
        headers={
            "Origin": origin,
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        content=json.dumps(
            {
                "AuthFlow": "USER_PASSWORD_AUTH",
                "ClientId": auth["user_pool_client_id"],
                "AuthParameters": {
                    "USERNAME": local_only.staff_username,
                    "PASSWORD": local_only.staff_password,
                },
            }
        ),
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] in (origin, "*")
    assert response.json()["AuthenticationResult"]["IdToken"]


@pytest.mark.parametrize("path", ["/", "/track", "/staff", "/console"])
def test_pages_are_html(local_only: Any, path: str) -> None:
    response = httpx.get(f"{local_only.base_url}{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


@pytest.mark.parametrize("path", ["/", "/staff", "/console"])
def test_pages_carry_the_deployed_security_headers(local_only: Any, path: str) -> None:
    """The CSP is the one CloudFront sends (cdk_app/content_security_policy.json), so the browser tests
    run the pages under it; locally the real-time socket and moto's Cognito and S3 are allowed as well."""
    from cdk_app.site import CONTENT_SECURITY_POLICY

    response = httpx.get(f"{local_only.base_url}{path}")
    csp = response.headers["content-security-policy"]
    deployed = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    local = dict(d.split(" ", 1) for d in csp.split("; "))
    assert set(local) == set(deployed)
    assert {k: v for k, v in local.items() if k not in ("connect-src", "img-src")} == {
        k: v for k, v in deployed.items() if k not in ("connect-src", "img-src")
    }
    assert local["connect-src"].startswith(deployed["connect-src"])
    # photos: shown from the local S3 (moto) and nothing wider
    assert local["img-src"] == f"{deployed['img-src']} {local_only.aws_endpoint_url}"
    assert local_only.realtime_url in local["connect-src"]
    assert local_only.aws_endpoint_url in local["connect-src"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_built_files_have_their_mime_types(local_only: Any) -> None:
    built = [p for p in DIST.rglob("*") if p.is_file() and p.suffix in {".js", ".css", ".svg"}]
    if not built:
        pytest.skip("frontend/dist is not built")
    expected = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for path in built[:10]:
        response = httpx.get(f"{local_only.base_url}/{path.relative_to(DIST).as_posix()}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(expected[path.suffix])
        assert response.content == path.read_bytes()


def test_no_file_outside_dist_and_unknown_files_are_404(local_only: Any) -> None:
    base = local_only.base_url
    assert httpx.get(f"{base}/nope.js").status_code == 404
    for raw in ("/%2e%2e/pyproject.toml", "/..%2fpyproject.toml", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"):
        response = httpx.get(f"{base}{raw}")
        assert "[project]" not in response.text and "root:" not in response.text


def test_outbox_is_a_json_list(local_only: Any) -> None:
    response = httpx.get(f"{local_only.base_url}/_local/outbox")
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_publisher_failure_is_retried_and_the_mail_arrives_once(local_only: Any, api: Api) -> None:
    """Break the topic: the publisher's SNS call fails, the stream retries; mend it: exactly one mail."""
    sns = local_only.aws_client("sns")
    topic_arn = next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("staff-notifications")
    )
    endpoint = outbox_module.subscribed_endpoint(sns, topic_arn)
    sns.delete_topic(TopicArn=topic_arn)
    try:

        async def create() -> tuple[dict[str, Any], list[dict[str, Any]]]:
            async with api.http(api.api_key_auth()) as customer:
                result = await customer.execute(CREATE_TICKET, variable_values={"input": ticket_input(7)})
            return result["createTicket"], []

        created, _ = asyncio.run(create())
        reference = created["ticket"]["reference"]
        time.sleep(1.0)  # several failed attempts (backoff 0.1, 0.2, 0.4 s, ...)
        assert not [
            m
            for m in local_only.get_json("/_local/outbox")
            if m["channel"] == "staff-email" and reference in (m["subject"] or "")
        ]
    finally:
        assert sns.create_topic(Name=topic_arn.rsplit(":", 1)[1])["TopicArn"] == topic_arn
        outbox_module.subscribe(sns, topic_arn, endpoint)
    deadline = time.monotonic() + 15
    mails: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not mails:
        mails = [
            m
            for m in local_only.get_json("/_local/outbox")
            if m["channel"] == "staff-email" and reference in (m["subject"] or "")
        ]
        time.sleep(0.1)
    time.sleep(0.5)
    mails = [
        m
        for m in local_only.get_json("/_local/outbox")
        if m["channel"] == "staff-email" and reference in (m["subject"] or "")
    ]
    assert len(mails) == 1


def test_iam_caller_may_publish_and_subscribers_receive_it(local_only: Any, api: Api) -> None:
    """The backend's IAM principal (the publisher's credentials) calls publishTicketChange itself."""
    from gql import gql

    # the full selection: subscribers get only what the publishing mutation selected (AppSync's rule)
    publish = gql(
        f"mutation P($t: PublishedTicketInput!) {{ publishTicketChange(ticket: $t) {{ {TICKET_FIELDS} }} }}"
    )

    async def run() -> None:
        async with api.http(api.api_key_auth()) as customer:
            created = (await customer.execute(CREATE_TICKET, variable_values={"input": ticket_input(8)}))[
                "createTicket"
            ]
        ticket, token = created["ticket"], created["trackingToken"]
        async with api.realtime(api.api_key_auth()) as ws:
            updates = await api.subscribe(ws, ON_TICKET_UPDATED, {"id": ticket["id"], "token": token})
            keys = ("id", "reference", "status", "description", "createdAt", "updatedAt")
            fake = {k: ticket[k] for k in keys}
            fake.update(vehicle=ticket["vehicle"], history=ticket["history"], version=99)
            async with api.http(api.iam_auth()) as backend:
                result = await backend.execute(publish, variable_values={"t": fake})
            assert result["publishTicketChange"] == {**ticket, "version": 99}
            received = (await updates.next())["onTicketUpdated"]
            while received["version"] != 99:  # the stream's own publish of version 1 may come first
                received = (await updates.next())["onTicketUpdated"]
            assert received["reference"] == ticket["reference"]
            await updates.stop()

    asyncio.run(run())


def test_demo_data_and_a_clean_ctrl_c(local_stack_factory: Any) -> None:
    """A second stack with demo data: tickets made through GraphQL, mails sent; SIGINT stops it quietly."""
    target = local_stack_factory({"PITSTOP_DEMO_DATA": "1"})
    try:
        api = Api(target)

        async def listed() -> list[dict[str, Any]]:
            async with api.http(api.jwt_auth()) as staff:
                return (await staff.execute(LIST_TICKETS, variable_values={"limit": 50}))["tickets"]["items"]

        items = asyncio.run(listed())
        assert len(items) == 3
        assert {t["status"] for t in items} == {"SUBMITTED", "RECEIVED", "AWAITING_APPROVAL"}
        assert all(t["customer"]["email"] is None or "example." in t["customer"]["email"] for t in items)

        def staff_mails() -> list[Any]:  # customers' own e-mails and SMS are in the outbox too
            return [m for m in target.get_json("/_local/outbox") if m["channel"] == "staff-email"]

        deadline = time.monotonic() + 60
        while len(staff_mails()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(staff_mails()) == 3
        assert all(t["reference"] in target.log_tail() for t in items)  # printed in the banner
    finally:
        assert target.process is not None
        target.process.send_signal(signal.SIGINT)
        code = target.process.wait(15)
    log = target.log_tail(100_000)
    assert code == 0, log
    assert "Traceback" not in log, log
    assert "stopped" in log
