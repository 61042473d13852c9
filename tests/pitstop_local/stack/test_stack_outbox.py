"""The outbox: moto's SNS really delivers to an http endpoint of ours, with the filter policy."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from pitstop_local import bootstrap, moto_server, outbox
from resolvers.events import TICKET_CREATED


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served_outbox() -> Iterator[dict[str, Any]]:
    moto = moto_server.start()
    sns = bootstrap.client("sns", moto.url)
    topic = sns.create_topic(Name="outbox-test")["TopicArn"]
    box = outbox.Outbox(topic)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=box.routes()), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    outbox.subscribe(sns, topic, box.endpoint(base))
    try:
        yield {"sns": sns, "topic": topic, "box": box, "base": base}
    finally:
        server.should_exit = True
        thread.join(5)
        moto.stop()


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def publish(served: dict[str, Any], subject: str, event: str) -> None:
    served["sns"].publish(
        TopicArn=served["topic"],
        Subject=subject,
        Message=f"body of {subject}",
        MessageAttributes={"event": {"DataType": "String", "StringValue": event}},
    )


def test_only_ticket_created_reaches_the_outbox_newest_last(served_outbox: dict[str, Any]) -> None:
    publish(served_outbox, "first", TICKET_CREATED)
    publish(served_outbox, "ignored", "TICKET_UPDATED")
    publish(served_outbox, "second", TICKET_CREATED)
    listed = httpx.get(f"{served_outbox['base']}{outbox.OUTBOX_PATH}").json()
    assert [m["subject"] for m in listed][-2:] == ["first", "second"]
    assert all(m["subject"] != "ignored" for m in listed)
    last = listed[-1]
    assert set(last) == {"channel", "event", "to", "subject", "message", "at"}
    assert (last["channel"], last["event"], last["to"]) == ("staff-email", "TICKET_CREATED", [])
    assert last["message"] == "body of second"
    assert last["at"].endswith("Z")


def test_subscription_is_http_with_the_filter_policy(served_outbox: dict[str, Any]) -> None:
    sns = served_outbox["sns"]
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=served_outbox["topic"])["Subscriptions"]
    box = served_outbox["box"]
    assert sub["Protocol"] == "http" and sub["Endpoint"] == box.endpoint(served_outbox["base"])
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"event": [TICKET_CREATED]}


def test_foreign_or_malformed_deliveries_are_refused(served_outbox: dict[str, Any]) -> None:
    url = served_outbox["box"].endpoint(served_outbox["base"])
    before = len(served_outbox["box"].messages())
    assert httpx.post(url, content=b"not json").status_code == 400
    foreign = {"Type": "Notification", "TopicArn": "arn:other", "Message": "x"}
    assert httpx.post(url, json=foreign).status_code == 400
    ours = {"Type": "Notification", "TopicArn": served_outbox["topic"], "Subject": "forged", "Message": "x"}
    for path in (outbox.SNS_PATH, f"{outbox.SNS_PATH}/guessed"):  # without the subscription's secret
        assert httpx.post(f"{served_outbox['base']}{path}", json=ours).status_code in (403, 404, 405)
    assert len(served_outbox["box"].messages()) == before


def test_a_subscription_confirmation_is_confirmed() -> None:
    confirmed: list[tuple[str, str]] = []
    done = threading.Event()

    def confirm(arn: str, token: str) -> None:
        confirmed.append((arn, token))
        done.set()

    box = outbox.Outbox("arn:aws:sns:us-east-1:123456789012:t", confirm=confirm)
    box.receive({"Type": "SubscriptionConfirmation", "TopicArn": box.topic_arn, "Token": "tok"})
    assert done.wait(5)
    assert confirmed == [(box.topic_arn, "tok")]
    assert box.messages() == []
