# ruff: noqa: E501 - AppSync messages are compared verbatim
"""GraphQL over HTTP: request errors, validation wording, Lambda events and error mapping."""

from __future__ import annotations

import threading
from typing import Any

from appsync_local.engine import create_app
from engine_testkit import API_KEY, LOCAL, api_key_headers, make_settings, staff_headers
from starlette.testclient import TestClient

TICKET_Q = '{ ticket(id: "t-1") { id status vehicle { make } } }'


def post(client: TestClient, query: str, variables: Any = None, headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return client.post("/graphql", json=body, headers=headers or api_key_headers())


def test_query_resolves_through_the_lambda_handler(client: TestClient, events: list[Any]) -> None:
    response = post(client, TICKET_Q)
    assert response.status_code == 200
    assert response.json() == {
        "data": {"ticket": {"id": "t-1", "status": "SUBMITTED", "vehicle": {"make": "Volvo"}}}
    }
    assert response.headers["content-type"].startswith("application/json")
    assert len(events) == 1


def test_empty_body_is_malformed(client: TestClient) -> None:
    response = client.post("/graphql", content=b"", headers=api_key_headers())
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"errorType": "MalformedHttpRequestException", "message": "Request body is empty."}]
    }


def test_unparseable_bodies_and_queries(client: TestClient) -> None:
    for raw in (b"meow", b"[]", b'{"query": "meow"}', b'{"query": "{}"}', b'{"query": "{}}"}', b"{}"):
        response = client.post("/graphql", content=raw, headers=api_key_headers())
        assert response.status_code == 400, raw
        assert response.json() == {
            "errors": [
                {"errorType": "MalformedHttpRequestException", "message": "Unable to parse GraphQL query."}
            ]
        }


def test_token_limit(client: TestClient) -> None:
    query = '{ ticket(id: "1") { ' + "id " * 15_001 + "} }"
    response = post(client, query)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Maximum char length exceeded"


def test_unknown_field_is_an_appsync_validation_error(client: TestClient, events: list[Any]) -> None:
    response = post(client, "{ x }")
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "path": None,
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "Validation error of type FieldUndefined: Field 'x' in type 'Query' is undefined @ 'x'",
            }
        ],
    }
    assert events == []


def test_validation_wording(client: TestClient) -> None:
    cases = {
        '{ ticket(id: "1") { id nope } }': "Validation error of type FieldUndefined: Field 'nope' in type 'Ticket' "
        "is undefined @ 'ticket/nope'",
        '{ ticket(id: "1") }': "Validation error of type SubSelectionRequired: Sub selection required for type "
        "Ticket of field ticket @ 'ticket'",
        "{ ticket { id } }": "Validation error of type MissingFieldArgument: Missing field argument id @ 'ticket'",
        '{ ticket(id: "1", foo: 1) { id } }': "Validation error of type UnknownArgument: Unknown field argument "
        "foo @ 'ticket'",
        '{ ticket(id: "1") { id { x } } }': "Validation error of type SubSelectionNotAllowed: Sub selection not "
        "allowed on leaf type ID! of field id @ 'ticket/id'",
        "{ tickets(status: NOPE) { nextToken } }": "Validation error of type WrongType: argument 'status' with value "
        "'EnumValue{name='NOPE'}' is not a valid 'TicketStatus' @ 'tickets'",
        'query($v: Int) { ticket(id: "1") { id } }': "Validation error of type UnusedVariable: Unused variable v",
    }
    for query, message in cases.items():
        body = post(client, query).json()
        assert body["data"] is None
        assert body["errors"][0]["message"] == message, query
        assert "errorType" not in body["errors"][0]


def test_literal_input_errors_name_the_nested_argument(client: TestClient) -> None:
    query = (
        'mutation { createTicket(input: {description: "d", vehicle: {make: "a", model: "b"}, '
        'customer: {name: "n", email: "nope"}}) { trackingToken } }'
    )
    assert post(client, query).json()["errors"][0]["message"] == (
        "Validation error of type WrongType: argument 'input.customer.email' with value "
        "'StringValue{value='nope'}' is not a valid 'AWSEmail' @ 'createTicket'"
    )
    missing = 'mutation { createTicket(input: {description: "d", customer: {name: "n"}}) { trackingToken } }'
    message = post(client, missing).json()["errors"][0]["message"]
    assert message.startswith("Validation error of type WrongType: argument 'input' with value 'ObjectValue{")
    assert message.endswith("is missing required fields '[vehicle]' @ 'createTicket'")


def test_variable_errors(client: TestClient) -> None:
    query = "query($id: ID!) { ticket(id: $id) { id } }"
    body = post(client, query, {}).json()
    assert body == {
        "data": None,
        "errors": [
            {
                "path": None,
                "locations": [{"line": 1, "column": 7, "sourceName": None}],
                "message": "Variable 'id' has coerced Null value for NonNull type 'ID!'",
            }
        ],
    }
    create = "mutation($input: CreateTicketInput!) { createTicket(input: $input) { trackingToken } }"
    base = {"description": "d", "vehicle": {"make": "a", "model": "b"}, "customer": {"name": "n"}}
    phone = post(client, create, {"input": {**base, "customer": {"name": "n", "phone": "1110004444"}}}).json()
    assert phone["errors"][0]["message"] == (
        "Variable 'phone' has an invalid value. Unable to parse `1110004444` as a valid phone number."
    )
    unknown = post(client, create, {"input": {**base, "bogus": 1}}).json()
    assert unknown["errors"] == [
        {
            "path": None,
            "locations": None,
            "message": "The variables input contains a field that is not defined for input object type "
            "'CreateTicketInput' ",
        }
    ]
    nested_null = post(client, create, {"input": {**base, "vehicle": {"make": "a"}}}).json()
    assert (
        nested_null["errors"][0]["message"]
        == "Variable 'input' has coerced Null value for NonNull type 'String!'"
    )
    enum = post(
        client,
        "query($s: TicketStatus) { tickets(status: $s) { nextToken } }",
        {"s": "NOPE"},
        headers=api_key_headers(),
    ).json()
    assert enum["errors"][0]["message"].startswith(
        "Variable 's' has an invalid value. Invalid input for Enum"
    )


def test_lambda_event_shape(client: TestClient, events: list[Any], keys: Any) -> None:
    query = (
        'query Q($id: ID!) { ticket(id: $id, trackingToken: "tok") { id v: vehicle { make } ...F } }'
        " fragment F on Ticket { history { status } }"
    )
    headers = {**staff_headers(keys), "Cookie": "a=b", "X-Forwarded-For": "203.0.113.9"}
    response = client.post("/graphql", json={"query": query, "variables": {"id": "t-1"}}, headers=headers)
    assert response.status_code == 200, response.text
    event = events[-1]
    assert set(event) == {"arguments", "identity", "source", "request", "prev", "info", "stash"}
    assert event["arguments"] == {"id": "t-1", "trackingToken": "tok"}
    assert event["source"] is None and event["prev"] is None and event["stash"] == {}
    assert event["info"]["fieldName"] == "ticket"
    assert event["info"]["parentTypeName"] == "Query"
    assert event["info"]["variables"] == {"id": "t-1"}
    assert event["info"]["selectionSetList"] == ["id", "v", "v/make", "history", "history/status"]
    assert event["info"]["selectionSetGraphQL"].startswith(
        "{\n  id\n  v: vehicle {\n    make\n  }\n  ...F\n}"
    )
    assert "fragment F on Ticket" in event["info"]["selectionSetGraphQL"]
    request_headers = event["request"]["headers"]
    assert "cookie" not in request_headers and request_headers["x-forwarded-for"] == "203.0.113.9"
    assert all(name == name.lower() for name in request_headers)
    assert event["request"]["domainName"] is None
    identity = event["identity"]
    assert identity["username"] == "staff@example.com" and identity["groups"] == ["staff"]
    assert identity["claims"]["cognito:groups"] == ["staff"]
    assert identity["sourceIp"][0] == "203.0.113.9"
    assert identity["defaultAuthStrategy"] == "ALLOW"
    assert identity["issuer"].startswith("https://cognito-idp.")


def test_lambda_context_object(client: TestClient, events: list[Any]) -> None:
    import engine_fake_recorder

    post(client, TICKET_Q)
    context = engine_fake_recorder.contexts()[-1]
    assert context.function_name and context.aws_request_id
    assert context.memory_limit_in_mb > 0
    assert context.invoked_function_arn.startswith("arn:aws:lambda:us-east-1:")
    assert 0 < context.remaining_ms <= 30_000


def test_api_key_identity_is_null(client: TestClient, events: list[Any]) -> None:
    post(client, TICKET_Q)
    assert events[-1]["identity"] is None


def test_raised_exception_becomes_a_field_error(client: TestClient) -> None:
    body = post(client, '{ ticket(id: "missing") { id } }').json()
    assert body == {
        "data": {"ticket": None},
        "errors": [
            {
                "path": ["ticket"],
                "data": None,
                "errorType": "NotFoundError",
                "errorInfo": None,
                "locations": [{"line": 1, "column": 3, "sourceName": None}],
                "message": "Ticket not found",
            }
        ],
    }
    assert post(client, '{ ticket(id: "boom") { id } }').json()["errors"][0]["errorType"] == "RuntimeError"
    denied = post(client, '{ ticket(id: "denied") { id } }').json()["errors"][0]
    assert denied["errorType"] == "UnauthorizedException"
    assert denied["message"] == "You are not authorized to make this call."


def test_lambda_unhandled_switch(keys: Any) -> None:
    with TestClient(
        create_app(make_settings(keys, lambda_unhandled_error_type=True)), base_url=LOCAL
    ) as client:
        error = post(client, '{ ticket(id: "missing") { id } }').json()["errors"][0]
    assert error["errorType"] == "Lambda:Unhandled"


def test_error_on_non_null_field_nulls_the_parent(client: TestClient) -> None:
    create = (
        'mutation { createTicket(input: {description: "", vehicle: {make: "a", model: "b"}, '
        'customer: {name: "n"}}) { trackingToken } }'
    )
    body = post(client, create).json()
    assert body["data"] is None
    assert body["errors"][0]["errorType"] == "ValidationError"
    assert body["errors"][0]["message"] == "description must not be empty"


def test_non_null_violation_and_serialization_errors(client: TestClient, keys: Any) -> None:
    partial = post(client, '{ ticket(id: "partial") { id status } }', headers=staff_headers(keys)).json()
    assert partial == {
        "data": {"ticket": None},
        "errors": [
            {
                "path": ["ticket", "status"],
                "locations": None,
                "message": "Cannot return null for non-nullable type: 'TicketStatus' within parent 'Ticket' "
                "(/ticket/status)",
            }
        ],
    }
    bad = post(client, '{ ticket(id: "bad-date") { id createdAt } }', headers=staff_headers(keys)).json()
    assert bad["errors"][0]["message"] == (
        "Can't serialize value (/ticket/createdAt) : Unable to serialize `yesterday` as a valid DateTime Object."
    )
    unserializable = post(client, '{ ticket(id: "unserializable") { id } }').json()
    assert unserializable["errors"][0]["errorType"] == "Lambda:Unhandled"


def test_none_data_source_returns_the_argument(client: TestClient, events: list[Any]) -> None:
    # publishTicketChange is IAM only; tested with SigV4 in test_engine_auth. Here: the denial for API key.
    query = "mutation($t: PublishedTicketInput!) { publishTicketChange(ticket: $t) { id } }"
    variables = {
        "t": {
            "id": "1",
            "reference": "r",
            "status": "RECEIVED",
            "vehicle": {"make": "a", "model": "b"},
            "description": "d",
            "history": [],
            "version": 2,
            "createdAt": "2024-01-01T00:00:00Z",
            "updatedAt": "2024-01-01T00:00:00Z",
        }
    }
    body = post(client, query, variables).json()
    assert body["data"] == {"publishTicketChange": None}
    assert body["errors"][0]["message"] == "Not Authorized to access publishTicketChange on type Mutation"
    assert events == []


def test_get_requests(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": TICKET_Q}, headers=api_key_headers())
    assert response.status_code == 200
    assert response.json()["data"]["ticket"]["id"] == "t-1"


def test_introspection_is_allowed(client: TestClient) -> None:
    body = post(client, "{ __schema { queryType { name } } __typename }").json()
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}, "__typename": "Query"}}


def test_depth_and_resolver_limits(keys: Any) -> None:
    with TestClient(create_app(make_settings(keys, query_depth_limit=2)), base_url=LOCAL) as client:
        body = post(client, '{ ticket(id: "t-1") { id vehicle { make } } }').json()
    assert body["data"] == {"ticket": None}
    assert body["errors"][0]["errorType"] == "QueryDepthLimitReached"
    with TestClient(create_app(make_settings(keys, resolver_count_limit=1)), base_url=LOCAL) as client:
        body = post(client, '{ a: ticket(id: "t-1") { id } b: ticket(id: "t-2") { id } }').json()
    assert body["data"]["a"] == {"id": "t-1"} and body["data"]["b"] is None
    assert body["errors"][0]["errorType"] == "ResolverExecutionLimitReached"


def test_concurrent_requests_never_share_an_invocation(client: TestClient, events: list[Any]) -> None:
    import engine_fake_recorder

    threads = [
        threading.Thread(target=post, args=(client, '{ ticket(id: "slow") { id } }')) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(events) == 4
    # concurrency 1 (the default): one instance, which runs one event at a time
    assert len(set(engine_fake_recorder.pids())) == 1


def test_cors_preflight(client: TestClient) -> None:
    response = client.options(
        "/graphql",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")


def test_api_key_constant_is_valid() -> None:
    assert API_KEY.startswith("da2-")


def test_after_mutation_runs_once_per_mutation_and_never_for_queries(keys: Any) -> None:
    """The stack wakes its stream poller there: only a mutation can have committed a write."""
    calls: list[str] = []
    app = create_app(make_settings(keys, after_mutation=lambda: calls.append("woken")))
    with TestClient(app, base_url=LOCAL) as client:
        assert post(client, TICKET_Q).status_code == 200
        assert calls == []
        create = (
            'mutation { createTicket(input: {description: "d", vehicle: {make: "a", model: "b"}, '
            'customer: {name: "n", email: "n@example.com"}}) { trackingToken } }'
        )
        response = post(client, create)
        assert response.json()["data"]["createTicket"]["trackingToken"] == "tok"
        assert calls == ["woken"]
        failing = 'mutation { createTicket(input: {description: "", vehicle: {make: "a", model: "b"}, '
        failing += 'customer: {name: "n", email: "n@example.com"}}) { trackingToken } }'
        assert post(client, failing).json()["errors"][0]["errorType"] == "ValidationError"
        assert calls == ["woken", "woken"]  # a failed mutation may still have written before failing
