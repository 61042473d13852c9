"""Shared fixtures: moto (mock_aws), the tickets table exactly as the brief designs it, SNS -> SQS."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from pitstop_local import bootstrap, moto_patches

EVENTS = Path(__file__).resolve().parent.parent / "events"
REGION = "us-east-1"
TABLE = "pitstop-tickets-test"
SENDER = "repairs@shop.example.com"


def create_table(client: Any, name: str = TABLE) -> dict[str, Any]:
    """The single table as the local stack creates it (one definition: pitstop_local.bootstrap)."""
    return bootstrap.create_table(client, name)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and the resolvers' environment; never a real endpoint."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "TABLE_NAME": TABLE,
        "POWERTOOLS_SERVICE_NAME": "pitstop",
        "STAFF_PAGE_URL": "https://shop.example.com/staff",
        "SITE_URL": "https://shop.example.com",
        "CUSTOMER_MAIL_FROM": SENDER,
        "WORKSHOP_NAME": "Garage Nováková",
        "CUSTOMER_SMS": "true",  # as the local stack runs; tests of a stage without SMS set "false"
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "TOPIC_ARN", "GRAPHQL_URL"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto, with its DynamoDB backend made linearizable.

    moto checks conditions and writes without a lock, and a cancelled transaction restores a deep copy
    of the whole table taken when it started, erasing writes that committed meanwhile. DynamoDB itself
    is atomic per item and serializable per transaction; the tests that run writers concurrently
    model that by serialising moto's backend calls.
    """
    moto_patches.linearize_dynamodb(monkeypatch.setattr)
    with mock_aws():
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
        yield


@pytest.fixture
def ddb(aws: None) -> Any:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def table(ddb: Any) -> dict[str, Any]:
    return create_table(ddb)


@pytest.fixture
def inbox(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An SNS topic (TOPIC_ARN) with an SQS queue subscribed; returns a function reading what arrived."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name="pitstop-staff")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="staff-mail")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=attributes["QueueArn"])
    monkeypatch.setenv("TOPIC_ARN", topic_arn)

    def read() -> list[dict[str, Any]]:
        out = []
        while True:
            msgs = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])

    return read


def load_event(name: str, **arguments: Any) -> dict[str, Any]:
    """A recorded AppSync direct-Lambda event from tests/events, with its arguments replaced if given."""
    event = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8")))
    if arguments:
        event["arguments"] = arguments
        event["info"]["variables"] = copy.deepcopy(arguments)
    return event


@pytest.fixture(name="load_event")
def load_event_fixture() -> Any:
    return load_event
