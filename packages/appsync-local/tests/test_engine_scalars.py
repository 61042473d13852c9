"""AWS scalars: what each accepts, and AppSync's messages for literals, variables and output."""

from __future__ import annotations

import pytest
from appsync_local.engine.scalars import AWS_SCALARS, ScalarParseError
from engine_testkit import api_key_headers
from starlette.testclient import TestClient

VALID = {
    "AWSDate": [
        "1970-01-01",
        "2020-02-29",
        "2020-01-01Z",
        "2020-01-01+05:30",
        "2020-01-01-08:00:30",
        "-0044-03-15",
    ],
    "AWSTime": ["12:30", "12:30:15", "12:30:15.123456789", "23:59:59Z", "08:00+01:00", "12:00:34."],
    "AWSDateTime": [
        "2020-01-01T00:00Z",
        "2020-01-01T00:00+00:00",
        "2020-01-01T12:30:15.5-05:00",
        "2024-02-29T23:59:59Z",
    ],
    "AWSEmail": ["ada@example.com", "a.b+c@sub.example.org", "x@localhost"],
    "AWSJSON": ['{"a": 1}', "[1, 2]", '"text"', "3", "null", "true"],
    "AWSURL": ["https://example.com", "http://example.com/a/b?x=1", "mailto:ada@example.com", "ftp://h:21/f"],
    "AWSPhone": [
        "+1 206 555 0100",
        "206-555-0100",
        "(206) 555-0100".replace("(", "").replace(")", ""),
        "+44 20 7946 0958",
        "+358401234567",
    ],
    "AWSIPAddress": ["127.0.0.1", "10.0.0.0/8", "::1", "2001:db8::/32"],
}
INVALID = {
    "AWSDate": ["2020-1-01", "2020-02-30", "2020-13-01", "20200101", "2020-01-01T00:00Z", ""],
    "AWSTime": ["24:00", "12:60", "1230", "12:30:15.1234567890", "12:30 PM", "12:00.", "12:00:34.."],
    "AWSDateTime": [
        "2020-01-01T00:00:00",
        "2020-01-01",
        "2020-01-01 00:00Z",
        "yesterday",
        "2020-02-30T00:00Z",
    ],
    "AWSEmail": ["ada", "@example.com", "ada@", "a b@example.com", "a@@example.com"],
    "AWSJSON": ["{a: 1}", "bare text", "", "{"],
    "AWSURL": ["example.com", "http://example.com//x", "not a url", "/relative"],
    "AWSPhone": ["1110004444", "abc", "12345", "+1 111 555 0100"],
    "AWSIPAddress": ["256.0.0.1", "1.2.3", "::g", "10.0.0.0/33"],
}


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in VALID.items() for v in vs])
def test_valid_values(name: str, value: str) -> None:
    AWS_SCALARS[name].parse(value)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in INVALID.items() for v in vs])
def test_invalid_values(name: str, value: str) -> None:
    with pytest.raises(ScalarParseError):
        AWS_SCALARS[name].parse(value)


def test_timestamp_and_json_values() -> None:
    timestamp = AWS_SCALARS["AWSTimestamp"]
    assert timestamp.parse(1700000000) == 1700000000 and timestamp.parse(-5) == -5
    for bad in ("1700000000", 1.5, True, None):
        with pytest.raises(ScalarParseError):
            timestamp.parse(bad)
    json_scalar = AWS_SCALARS["AWSJSON"]
    assert json_scalar.parse('{"a": [1, 2]}') == {"a": [1, 2]}
    assert json_scalar.serialize({"a": 1}) == '{"a":1}'
    assert json_scalar.serialize('{"a":1}') == '{"a":1}'


def test_messages(client: TestClient) -> None:
    assert AWS_SCALARS["AWSPhone"].kind == "phone number"
    with pytest.raises(ScalarParseError, match=r"Unable to parse `1110004444` as a valid phone number\."):
        AWS_SCALARS["AWSPhone"].parse("1110004444")


def test_scalars_through_http(client: TestClient) -> None:
    mutation = "mutation($t: PublishedTicketInput!) { publishTicketChange(ticket: $t) { id } }"
    history = {"status": "SUBMITTED", "at": "2024-01-01"}
    ticket = {
        "id": "1",
        "reference": "r",
        "status": "SUBMITTED",
        "vehicle": {"make": "a", "model": "b"},
        "description": "d",
        "history": [history],
        "version": 1,
        "createdAt": "2024-01-01T00:00Z",
        "updatedAt": "2024-01-01T00:00Z",
    }
    body = client.post(
        "/graphql", json={"query": mutation, "variables": {"t": ticket}}, headers=api_key_headers()
    ).json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "Variable 'at' has an invalid value. Unable to parse `2024-01-01` as a valid DateTime Object."
    )
    literal = (
        'mutation { createTicket(input: {description: "d", vehicle: {make: "a", model: "b"}, '
        'customer: {name: "n", phone: 2065550100}}) { trackingToken } }'
    )
    message = client.post("/graphql", json={"query": literal}, headers=api_key_headers()).json()["errors"][0][
        "message"
    ]
    assert message == (
        "Validation error of type WrongType: argument 'input.customer.phone' with value "
        "'IntValue{value=2065550100}' is not a valid 'AWSPhone' @ 'createTicket'"
    )
