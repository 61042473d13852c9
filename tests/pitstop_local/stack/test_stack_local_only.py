"""The local stack's data stays on this machine: other web sites' pages cannot read or forge it.

Real stack, real httpx / websockets clients (what a browser would send: Origin, Sec-Fetch-Site, Host).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from pitstop_local import outbox as outbox_module
from pitstop_local.config import api_config

EVIL = "http://evil.example"


def _staff_topic(stack: Any) -> str:
    sns = stack.aws_client("sns")
    return next(
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("staff-notifications")
    )


def _forged(topic_arn: str, subject: str) -> dict[str, Any]:
    return {
        "Type": "Notification",
        "TopicArn": topic_arn,
        "Subject": subject,
        "Message": "Your staff password expired: re-enter it at http://evil.example/login",
        "Timestamp": "2026-01-01T00:00:00.000Z",
    }


def _subjects(stack: Any) -> list[Any]:
    return [m.get("subject") for m in stack.get_json("/_local/outbox")]


@pytest.mark.parametrize("path", ["/_local/outbox", "/amplify_outputs.json", "/_local/ready"])
def test_local_data_is_not_readable_cross_origin(local_only: Any, path: str) -> None:
    response = httpx.get(f"{local_only.base_url}{path}", headers={"Origin": EVIL})
    assert "access-control-allow-origin" not in response.headers
    preflight = httpx.options(
        f"{local_only.base_url}{path}", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_graphql_still_answers_any_origin(local_only: Any) -> None:
    preflight = httpx.options(
        local_only.graphql_url,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    assert preflight.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/_local/outbox", "/amplify_outputs.json", "/graphql", "/"])
def test_a_rebound_host_name_is_refused(local_only: Any, path: str) -> None:
    port = urlsplit(local_only.base_url).port
    response = httpx.get(f"{local_only.base_url}{path}", headers={"Host": f"rebind.evil.example:{port}"})
    assert response.status_code == 421


def test_a_rebound_websocket_upgrade_is_refused(local_only: Any) -> None:
    port = urlsplit(local_only.base_url).port

    async def attempt() -> None:
        async with connect(
            local_only.realtime_url,
            subprotocols=["graphql-ws"],
            additional_headers={"Host": f"rebind.evil.example:{port}"},
            open_timeout=20,
        ):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 421


def test_a_forged_sns_notification_never_reaches_the_outbox(local_only: Any) -> None:
    topic = _staff_topic(local_only)
    subject = "Pitstop: re-enter your staff password"
    forged = json.dumps(_forged(topic, subject))
    plain = {"Content-Type": "text/plain"}
    for path in (outbox_module.SNS_PATH, f"{outbox_module.SNS_PATH}/not-the-secret"):
        response = httpx.post(f"{local_only.base_url}{path}", content=forged, headers=plain)
        assert response.status_code in (403, 404, 405), path
    # even with the secret, a page on another site cannot post it (a "simple" request needs no preflight)
    endpoint = outbox_module.subscribed_endpoint(local_only.aws_client("sns"), topic)
    for browser in ({"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"}):
        assert httpx.post(endpoint, content=forged, headers={**plain, **browser}).status_code == 403
    assert subject not in _subjects(local_only)


def test_moto_is_not_readable_cross_origin(local_only: Any) -> None:
    moto = local_only.aws_endpoint_url
    for origin in (EVIL, local_only.base_url):  # no page needs moto's dump, not even ours
        dump = httpx.get(f"{moto}/moto-api/data.json", headers={"Origin": origin})
        assert dump.status_code == 403
        assert "access-control-allow-origin" not in dump.headers
    preflight = httpx.options(
        moto,
        headers={
            "Origin": EVIL,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    # a form POST needs no preflight: SNS's query API would publish; refused
    publish = httpx.post(
        moto,
        data={"Action": "Publish", "TopicArn": _staff_topic(local_only), "Message": "x"},
        headers={"Origin": EVIL},
    )
    assert publish.status_code == 403


def test_moto_refuses_a_rebound_host_name(local_only: Any) -> None:
    moto = local_only.aws_endpoint_url
    port = urlsplit(moto).port
    response = httpx.get(f"{moto}/moto-api/data.json", headers={"Host": f"rebind.evil.example:{port}"})
    assert response.status_code == 421


def test_a_body_over_the_api_limit_is_refused(local_only: Any) -> None:
    limit = api_config()["limits"]["maxRequestBodyBytes"]
    body = json.dumps({"query": "{ __typename }" + " " * limit})
    response = httpx.post(
        local_only.graphql_url,
        content=body,
        headers={"x-api-key": local_only.api_key, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["errorType"] == "MalformedHttpRequestException"
