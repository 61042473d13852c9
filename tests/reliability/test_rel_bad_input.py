"""Bad input: property-based fuzzing of every operation's arguments, generated from schema.graphql, plus
hand-written cases over HTTP and the real-time socket.

Every response must be what AppSync itself answers (packages/appsync-local/README.md lists it, with
sources): an errorType where our
rules decide (the ValidationError message names the field), AppSync's validation message without an
errorType for a bad document/variable/scalar, 400 MalformedHttpRequestException for an unreadable body,
a protocol error frame on the socket. Never a 500, never an internal detail; the server keeps serving
and two sentinel tickets read back unchanged.
"""

from __future__ import annotations

import asyncio
import json
import string
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_helpers import (
    CREATE,
    LIST,
    STAFF_GET,
    Caller,
    api_key_auth,
    check_http_response,
    host_of,
    iam_auth,
    jwt_auth,
    next_message,
    open_raw_ws,
    report_dir,
    start_message,
    ticket_input,
)

from pitstop_local.config import build_appsync_schema

FUZZ_EXAMPLES = int(
    __import__("os").environ.get("REL_FUZZ_EXAMPLES", "2200")
)  # >= 2,000 generated HTTP requests per run (plus the socket fuzz below)
WS_FUZZ_EXAMPLES = 300
SCHEMA = build_appsync_schema()
INPUT_FIELD_NAMES = {
    "input",
    "id",
    "status",
    "note",
    "expectedVersion",
    "vehicle",
    "make",
    "model",
    "year",
    "vin",
    "licensePlate",
    "mileage",
    "description",
    "customer",
    "name",
    "email",
    "phone",
    "clientToken",
    "limit",
    "nextToken",
    "reference",
    "trackingToken",
    "ticket",
    "ticketId",
    "lines",
    "kind",
    "quantity",
    "unitPrice",
    "taxRateBasisPoints",
    "estimateVersion",
    "decisions",
    "lineId",
    "decision",
    "signedBy",
    "comment",
    "photoId",
    "contentType",
    "size",
    "caption",
    "visibleToCustomer",
    "notifyBy",
}
OPERATIONS = [("query", name) for name in SCHEMA.query_type.fields] + [  # type: ignore[union-attr]
    ("mutation", name)
    for name in SCHEMA.mutation_type.fields  # type: ignore[union-attr]
]


# ------------------------------------------------------------------------------------------------ strategies

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def mostly(
    valid: st.SearchStrategy[Any], *odd: st.SearchStrategy[Any], odd_percent: int = 12
) -> st.SearchStrategy[Any]:
    """`valid` most of the time (so requests reach the resolver), one of `odd` (or junk) otherwise."""
    other = st.one_of(*odd, JUNK) if odd else JUNK
    return st.integers(0, 99).flatmap(lambda n: other if n < odd_percent else valid)


PLAIN = st.text(alphabet=string.ascii_letters + string.digits + " -.", min_size=1, max_size=30)
ODD_TEXT = st.one_of(
    st.text(max_size=40),  # any unicode: controls, surrogates, RTL, emoji
    st.sampled_from(
        ["", " ", "\x00", "\u202e", "'; DROP TABLE tickets; --", "{{7*7}}", "${jndi:x}", "../../etc"]
    ),
    st.integers(min_value=1, max_value=6000).map(lambda n: "x" * n),  # oversized
)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "String": mostly(PLAIN, ODD_TEXT, odd_percent=30),
    "ID": mostly(st.one_of(PLAIN, st.uuids().map(str)), ODD_TEXT),
    "Int": mostly(
        st.integers(min_value=-5, max_value=3000),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.sampled_from([0, 1, 100, 101, 2**31 - 1, 2**31, -(2**31) - 1]),
        odd_percent=25,
    ),
    "Boolean": st.booleans(),
    "Float": st.floats(allow_nan=False, allow_infinity=False),
    "AWSEmail": mostly(
        st.from_regex(r"[a-z]{1,10}@example\.(com|org)", fullmatch=True),
        st.emails().map(str),
        ODD_TEXT,
        st.sampled_from(["a@b", "no-at-sign.example.com"]),
    ),
    "AWSPhone": mostly(
        st.sampled_from(["+1 202 555 0143", "202-555-0143", "+44 20 7946 0958"]),
        st.sampled_from(["1110004444", "+", "12", "+1 (202) 555-0143 ext 7"]),
        ODD_TEXT,
    ),
    "AWSDateTime": mostly(
        st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(lambda d: d.isoformat()),
        st.sampled_from(["2024-01-01T00:00Z", "2024-13-01T00:00:00Z", "2024-01-01"]),
        ODD_TEXT,
    ),
}


def value_for(type_: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """A JSON value for a GraphQL input type: mostly of the type (edge values included), sometimes junk."""
    if isinstance(type_, GraphQLNonNull):
        inner = value_for(type_.of_type, depth)
        return mostly(inner, st.none(), odd_percent=4) if depth else inner
    if isinstance(type_, GraphQLList):
        return mostly(st.lists(value_for(type_.of_type, depth + 1), max_size=3), odd_percent=5)
    if isinstance(type_, GraphQLEnumType):
        return mostly(
            st.sampled_from(list(type_.values)),
            st.sampled_from(["submitted", "DELETED", "", "SUBMITTED "]),
            ODD_TEXT,
            odd_percent=15,
        )
    if isinstance(type_, GraphQLInputObjectType):
        required = {
            n: value_for(f.type, depth + 1)
            for n, f in type_.fields.items()
            if isinstance(f.type, GraphQLNonNull)
        }
        optional = {
            n: value_for(f.type, depth + 1)
            for n, f in type_.fields.items()
            if not isinstance(f.type, GraphQLNonNull)
        }
        obj = st.fixed_dictionaries(required, optional=optional)
        with_extra = st.builds(lambda d, k: {**d, k: 1}, obj, st.sampled_from(["extra", "__proto__", "pk"]))
        return mostly(obj, with_extra, odd_percent=6)
    assert isinstance(type_, GraphQLScalarType)
    return SCALARS[type_.name]


def selection(type_: Any, depth: int = 0) -> str:
    named = get_named_type(type_)
    if not isinstance(named, GraphQLObjectType):
        return ""
    parts = [name + selection(f.type, depth + 1) for name, f in named.fields.items() if depth < 3]
    return " { " + " ".join(parts) + " }"


def document(kind: str, name: str, args: dict[str, Any], omitted: set[str]) -> str:
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    field = root.fields[name]  # type: ignore[union-attr]
    used = [a for a in field.args if a not in omitted]
    var_defs = ", ".join(f"${a}: {field.args[a].type}" for a in used)
    call = ", ".join(f"{a}: ${a}" for a in used)
    head = f"{kind} Fuzz" + (f"({var_defs})" if used else "")
    return f"{head} {{ {name}" + (f"({call})" if used else "") + selection(field.type) + " }"


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, str, dict[str, Any]]:
    kind, name = draw(st.sampled_from(OPERATIONS))
    root = SCHEMA.query_type if kind == "query" else SCHEMA.mutation_type
    field = root.fields[name]  # type: ignore[union-attr]
    variables = {a: draw(value_for(arg.type)) for a, arg in field.args.items()}
    omitted: set[str] = set()
    if field.args and draw(st.integers(0, 99)) < 15:
        omitted = draw(st.sets(st.sampled_from(sorted(field.args))))
    if draw(st.integers(0, 9)) == 0:  # sometimes declare the variable but do not send it
        variables = {k: v for k, v in variables.items() if k not in omitted}
        omitted = set()
    else:
        variables = {k: v for k, v in variables.items() if k not in omitted}
    caller = draw(
        st.sampled_from(
            ["api", "staff", "staff", "iam"] if name == "publishTicketChange" else ["api", "staff"]
        )
    )
    return caller, name, document(kind, name, variables, omitted), variables


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def sentinels(local_stack: Any) -> dict[str, Any]:
    """Two tickets no rejected call may change: one open (version 1), one CANCELLED (final)."""
    stack = local_stack
    staff = Caller("staff", jwt_auth(stack))
    with httpx.Client(timeout=30) as client:
        made = []
        for n in ("open", "final"):
            body = json.dumps({"query": CREATE, "variables": {"input": ticket_input(f"sentinel-{n}")}})
            response = client.post(
                stack.graphql_url,
                content=body,
                headers=Caller("api", api_key_auth(stack)).http_headers(body, ""),
            )
            made.append(response.json()["data"]["createTicket"])
        body = json.dumps(
            {
                "query": "mutation M($i: UpdateTicketStatusInput!) { updateTicketStatus(input: $i) { id } }",
                "variables": {"i": {"id": made[1]["ticket"]["id"], "status": "CANCELLED"}},
            }
        )
        assert (
            client.post(stack.graphql_url, content=body, headers=staff.http_headers(body, "")).status_code
            == 200
        )
    ids = [m["ticket"]["id"] for m in made]
    return {
        "open": ids[0],
        "final": ids[1],
        "tokens": [m["trackingToken"] for m in made],
        "before": read_back(stack, ids),
    }


def read_back(stack: Any, ids: list[str]) -> list[dict[str, Any]]:
    staff = Caller("staff", jwt_auth(stack))
    out = []
    with httpx.Client(timeout=30) as client:
        for ticket_id in ids:
            body = json.dumps({"query": STAFF_GET, "variables": {"id": ticket_id}})
            out.append(
                client.post(stack.graphql_url, content=body, headers=staff.http_headers(body, "")).json()
            )
    return out


def check_rule_error_names_a_field(body: dict[str, Any]) -> None:
    for error in body.get("errors") or []:
        if error.get("errorType") == "ValidationError":
            words = set(error["message"].replace(".", " ").replace(",", " ").replace(":", " ").split())
            assert words & INPUT_FIELD_NAMES, f"ValidationError does not name a field: {error}"


# ------------------------------------------------------------------------------------------------ fuzz (HTTP)


def test_fuzz_every_operation_from_the_schema(local_stack: Any, sentinels: dict[str, Any]) -> None:
    stack = local_stack
    callers = {
        "api": Caller("api", api_key_auth(stack)),
        "staff": Caller("staff", jwt_auth(stack)),
        "iam": Caller("iam", iam_auth(stack)),
    }
    host = host_of(stack.graphql_url)
    stats: dict[str, int] = {}
    client = httpx.Client(timeout=10)  # one connection for the whole run

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(), st.sampled_from(["none", "open", "final"]))
    def fuzz(request: tuple[str, str, str, dict[str, Any]], target: str) -> None:
        caller, name, query, variables = request
        if name == "setNotifyBy" and caller == "staff":
            target = "none"  # staff may change a ticket's channels: a valid call would change a sentinel
        if target != "none":  # aim some requests at the sentinels; they must be rejected
            ticket_id = sentinels[target]
            if "id" in variables:
                variables["id"] = ticket_id
            if isinstance(variables.get("input"), dict) and "ticketId" in variables["input"]:
                variables["input"]["ticketId"] = ticket_id  # an estimate: neither sentinel may take one
            if isinstance(variables.get("input"), dict) and "id" in variables["input"]:
                variables["input"]["id"] = ticket_id
                if target == "open":  # a valid move of the open sentinel needs version 1: never send it
                    ev = variables["input"].get("expectedVersion")
                    if ev is None or ev == 1 or not isinstance(ev, int) or isinstance(ev, bool):
                        variables["input"]["expectedVersion"] = 7
        body = json.dumps({"query": query, "variables": variables})
        response = client.post(
            stack.graphql_url, content=body, headers=callers[caller].http_headers(body, host)
        )
        kind = check_http_response(response)
        stats[kind] = stats.get(kind, 0) + 1
        stats["requests"] = stats.get("requests", 0) + 1
        if kind in ("ok", "errors"):
            parsed = response.json()
            check_rule_error_names_a_field(parsed)
            for error in parsed.get("errors") or []:
                key = error.get("errorType") or "AppSync validation"
                stats[key] = stats.get(key, 0) + 1

    try:
        fuzz()
    finally:
        client.close()
    (report_dir() / "fuzz.json").write_text(json.dumps(stats, indent=1))
    print(f"\nfuzz: {stats}")
    assert stats["requests"] >= 2000, stats
    assert read_back(stack, [sentinels["open"], sentinels["final"]]) == sentinels["before"]


# ------------------------------------------------------------------------------------------ hand-written HTTP

BIG = "x" * 1_000_000
DEEP = 5000
HTTP_CASES: list[tuple[str, bytes | None, dict[str, str], int, str | None]] = [
    # name, body (None = GET), extra headers, expected status, expected message (or prefix)
    ("empty body", b"", {}, 400, "Request body is empty."),
    ("not JSON", b"meow", {}, 400, "Unable to parse GraphQL query."),
    ("JSON without query", b"{}", {}, 400, "Unable to parse GraphQL query."),
    ("broken JSON", b'{"query": "{ __typename }"', {}, 400, "Unable to parse GraphQL query."),
    ("unbalanced document", b'{"query": "{}}"}', {}, 400, "Unable to parse GraphQL query."),
    (
        "JSON array (batch)",
        json.dumps([{"query": "{ __typename }"}] * 5).encode(),
        {},
        400,
        "Unable to parse GraphQL query.",
    ),
    ("query not a string", b'{"query": 5}', {}, 400, "Unable to parse GraphQL query."),
    ("invalid UTF-8", b'{"query": "{ __typename \xff\xfe }"}', {}, 400, "Unable to parse GraphQL query."),
    (
        "NUL in document",
        json.dumps({"query": "{ __typename \u0000 }"}).encode(),
        {},
        400,
        "Unable to parse GraphQL query.",
    ),
    (
        "form-encoded",
        b"query=%7B__typename%7D",
        {"content-type": "application/x-www-form-urlencoded"},
        400,
        "Unable to parse GraphQL query.",
    ),
    (
        "over 15,000 tokens",  # short tokens, so that the body stays under the size limit
        json.dumps({"query": "{ " + "a " * 15500 + "}"}).encode(),
        {},
        400,
        "Maximum char length exceeded",
    ),
    (
        "deeply nested selection",
        json.dumps({"query": "{" + "a{" * DEEP + "}" * (DEEP + 1)}).encode(),
        {},
        400,
        None,
    ),
    (
        "deeply nested list literal",
        json.dumps({"query": "{ ticket(id: " + "[" * DEEP + "1" + "]" * DEEP + ") { id } }"}).encode(),
        {},
        400,
        None,
    ),
    (
        "unknown field",
        json.dumps({"query": "{ nope }"}).encode(),
        {},
        200,
        "Validation error of type FieldUndefined: Field 'nope' in type 'Query' is undefined @ 'nope'",
    ),
    (
        "unknown operation name",
        json.dumps({"query": "{ __typename }", "operationName": "Nope"}).encode(),
        {},
        200,
        "Unknown operation named 'Nope'.",
    ),
    (
        "100 operations, no name",
        json.dumps({"query": " ".join(f"query Q{i} {{ __typename }}" for i in range(100))}).encode(),
        {},
        200,
        "Must provide operation name if query contains multiple operations.",
    ),
    (
        "variables not an object",
        json.dumps({"query": "{ __typename }", "variables": "x"}).encode(),
        {},
        200,
        "Variables must be a JSON object.",
    ),
    (
        "null for a non-null variable",
        json.dumps(
            {"query": "query($id: ID!) { ticket(id: $id) { id } }", "variables": {"id": None}}
        ).encode(),
        {},
        200,
        "Variable 'id' has coerced Null value for NonNull type 'ID!'",
    ),
    (
        "huge limit (variable)",
        json.dumps(
            {"query": "query($l: Int) { tickets(limit: $l) { nextToken } }", "variables": {"l": 2**40}}
        ).encode(),
        {"auth": "staff"},
        200,
        "Variable 'l' has an invalid value.",
    ),
    (
        "huge limit (literal)",
        json.dumps({"query": "{ tickets(limit: 99999999999) { nextToken } }"}).encode(),
        {"auth": "staff"},
        200,
        "Validation error of type WrongType: argument 'limit'",
    ),
    (
        "limit 2^31-1",
        json.dumps({"query": "{ tickets(limit: 2147483647) { nextToken } }"}).encode(),
        {"auth": "staff"},
        200,
        "limit must be between 1 and 100",
    ),
    (
        "negative limit",
        json.dumps({"query": "{ tickets(limit: -1) { nextToken } }"}).encode(),
        {"auth": "staff"},
        200,
        "limit must be between 1 and 100",
    ),
    (
        "forged nextToken",
        json.dumps({"query": '{ tickets(nextToken: "eyJwayI6IlRJQ0tFVCMxIn0=") { nextToken } }'}).encode(),
        {"auth": "staff"},
        200,
        "nextToken is invalid",
    ),
    (
        "bad AWSEmail",
        json.dumps(
            {
                "query": CREATE,
                "variables": {"input": ticket_input("bad", customer={"name": "N", "email": "not-an-email"})},
            }
        ).encode(),
        {},
        200,
        "Variable '",
    ),
    (
        "bad AWSPhone",
        json.dumps(
            {
                "query": CREATE,
                "variables": {"input": ticket_input("bad", customer={"name": "N", "phone": "1110004444"})},
            }
        ).encode(),
        {},
        200,
        "Variable '",
    ),
    (
        "1 MB description: the body is over the limit, refused before anything else",
        json.dumps({"query": CREATE, "variables": {"input": ticket_input("big", description=BIG)}}).encode(),
        {},
        413,
        "Request body exceeds",
    ),
    (
        "a description over its limit (the body under it)",
        json.dumps(
            {"query": CREATE, "variables": {"input": ticket_input("long", description="x" * 5000)}}
        ).encode(),
        {},
        200,
        "description must be at most",
    ),
    (
        "control characters in a name",
        json.dumps(
            {
                "query": CREATE,
                "variables": {
                    "input": ticket_input(
                        "ctl", customer={"name": "A\u0000\u0007B", "email": "a@example.com"}
                    )
                },
            }
        ).encode(),
        {},
        200,
        "customer.name must not contain control characters",
    ),
    (
        "no customer contact",
        json.dumps(
            {"query": CREATE, "variables": {"input": ticket_input("nc", customer={"name": "N"})}}
        ).encode(),
        {},
        200,
        "customer",
    ),
    (
        "text/plain content type (accepted)",
        json.dumps({"query": "{ __typename }"}).encode(),
        {"content-type": "text/plain"},
        200,
        None,
    ),
    (
        "introspection, API key (allowed)",
        json.dumps({"query": "{ __schema { queryType { name } } }"}).encode(),
        {},
        200,
        None,
    ),
    (
        "introspection, no credential",
        json.dumps({"query": "{ __schema { queryType { name } } }"}).encode(),
        {"auth": "none"},
        401,
        "Valid authorization header not provided.",
    ),
    ("GET with bad variables", None, {}, 400, "Unable to parse GraphQL query."),
]


@pytest.mark.parametrize(
    ("name", "body", "extra", "status", "message"), HTTP_CASES, ids=[c[0] for c in HTTP_CASES]
)
def test_hand_written_http_cases(
    local_stack: Any, name: str, body: bytes | None, extra: dict[str, str], status: int, message: str | None
) -> None:
    stack = local_stack
    extra = dict(extra)
    who = extra.pop("auth", "api")
    caller = {
        "api": Caller("api", api_key_auth(stack)),
        "staff": Caller("staff", jwt_auth(stack)),
        "none": Caller("none", None),
    }[who]
    host = host_of(stack.graphql_url)
    with httpx.Client(timeout=30) as client:
        if body is None:
            response = client.get(
                stack.graphql_url,
                params={"query": "{ __typename }", "variables": "{bad"},
                headers={k: v for k, v in caller.http_headers("", host).items() if k != "content-type"},
            )
        else:
            headers = caller.http_headers(body.decode("utf-8", "replace"), host)
            if who == "staff":  # JWT: the body is not signed
                headers = caller.http_headers("", host)
            headers.update(extra)
            response = client.post(stack.graphql_url, content=body, headers=headers)
        assert response.status_code == status, f"{name}: HTTP {response.status_code} {response.text[:300]}"
        check_http_response(response)
        text = response.text
        if message is not None:
            messages = [e["message"] for e in response.json().get("errors") or []]
            assert any(m.startswith(message) for m in messages), f"{name}: {messages}"
        if name.startswith("introspection, API key"):
            assert response.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
        # still serving
        ok = client.post(
            stack.graphql_url, json={"query": "{ __typename }"}, headers={"x-api-key": stack.api_key}
        )
        assert ok.json() == {"data": {"__typename": "Query"}}, text[:200]


def test_deeply_nested_json_is_a_parse_error_not_a_500(local_stack: Any) -> None:
    """DEFECT (engine): json.loads raises RecursionError (not a ValueError) on deeply nested JSON.

    appsync_local/engine/http.py `_params` catches only ValueError -> Starlette's bare
    `500 Internal Server Error` (text/plain) and a traceback in the log; appsync_local/engine/realtime.py
    `Connection.handle` and `Connection.start` likewise -> an `InternalFailure` error frame. AppSync answers
    400 MalformedHttpRequestException "Unable to parse GraphQL query." (socket: UnsupportedOperation).
    Fix: `except (ValueError, RecursionError)` around the three json.loads calls.
    """
    stack = local_stack
    host = host_of(stack.graphql_url)
    nested = b"[" * DEEP + b"]" * DEEP
    bodies = {
        "variables": b'{"query": "{ __typename }", "variables": {"a": ' + nested + b"}}",
        "body": nested,
    }
    statuses = {}
    for name, body in bodies.items():  # a fresh connection each: a 500 may drop the keep-alive one
        response = httpx.post(
            stack.graphql_url, content=body, headers={"x-api-key": stack.api_key}, timeout=30
        )
        statuses[name] = (response.status_code, response.text[:120])

    async def socket() -> list[str]:
        ws, first = await open_raw_ws(stack, Caller("api", api_key_auth(stack)).connect_headers(host))
        assert first["type"] == "connection_ack"
        got = [
            await ws_answer(ws, nested.decode(), allow_internal=True),
            await ws_answer(
                ws, {"type": "start", "id": "dd", "payload": {"data": nested.decode()}}, allow_internal=True
            ),
        ]
        await ws.close()
        return got

    frames = asyncio.run(socket())
    expected = (
        400,
        '{"errors":[{"errorType":"MalformedHttpRequestException","message":"Unable to parse GraphQL '
        'query."}]}'[:120],
    )
    assert (statuses, frames) == (
        {"variables": expected, "body": expected},
        ["error:UnsupportedOperation", "error:UnsupportedOperation"],
    )


def test_aliased_batch_of_mutations_is_bounded_by_the_resolver_count_limit(local_stack: Any) -> None:
    """A 30-alias createTicket document: the API's resolverCountLimit (api_config.json) lets the first
    ones run and answers ResolverExecutionLimitReached for the rest, as AppSync does."""
    limit = json.loads((Path(__file__).resolve().parents[2] / "api_config.json").read_text())["limits"][
        "resolverCountLimit"
    ]
    stack = local_stack
    marker = uuid.uuid4().hex[:8]
    fields = " ".join(
        f'm{i}: createTicket(input: {{vehicle: {{make: "A", model: "B"}}, description: "{marker}", '
        f'customer: {{name: "N", email: "n@example.com"}}}}) {{ ticket {{ id }} }}'
        for i in range(30)
    )
    with httpx.Client(timeout=60) as client:
        response = client.post(
            stack.graphql_url,
            json={"query": f"mutation {{ {fields} }}"},
            headers={"x-api-key": stack.api_key},
        )
    assert check_http_response(response) == "errors"
    body = response.json()
    refused = [e for e in body["errors"] if e.get("errorType") == "ResolverExecutionLimitReached"]
    # m0..m{limit-1} ran; the next is refused, and its non-null result ends the serial mutation
    assert refused and refused[0]["path"] == [f"m{limit}"]


# ------------------------------------------------------------------------------------------------ the socket


WS_CASES: list[tuple[str, Any, str]] = [
    # name, frame (str, bytes or dict), expected answer: "UnsupportedOperation", "error:<type>", "ignored"
    ("not JSON", "meow", "error:UnsupportedOperation"),
    ("invalid UTF-8 bytes", b"\xff\xfe{", "error:UnsupportedOperation"),
    ("JSON array", "[1, 2]", "error:UnsupportedOperation"),
    ("JSON number", "42", "error:UnsupportedOperation"),
    ("unknown type", {"type": "subscribe", "id": "x"}, "error:UnsupportedOperation"),
    ("start without id", {"type": "start", "payload": {"data": "{}"}}, "error:UnsupportedOperation"),
    (
        "start with empty id",
        {"type": "start", "id": "", "payload": {"data": "{}"}},
        "error:UnsupportedOperation",
    ),
    ("start without payload", {"type": "start", "id": "p"}, "error:UnsupportedOperation"),
    (
        "start, data not JSON",
        {"type": "start", "id": "d", "payload": {"data": "meow"}},
        "error:UnsupportedOperation",
    ),
    (
        "start, a query",
        {"type": "start", "id": "q", "payload": {"data": json.dumps({"query": "{ __typename }"})}},
        "error:UnsupportedOperation",
    ),
    (
        "start, unparseable document",
        {"type": "start", "id": "u", "payload": {"data": json.dumps({"query": "subscription {"})}},
        "error:MalformedHttpRequestException",
    ),
    (
        "start, unknown field",
        {"type": "start", "id": "f", "payload": {"data": json.dumps({"query": "subscription { nope }"})}},
        "error:None",
    ),
    (
        "start, staff-only field",
        {
            "type": "start",
            "id": "s",
            "payload": {"data": json.dumps({"query": "subscription { onTicketActivity { id } }"})},
        },
        "error:Unauthorized",
    ),
    (
        "start, missing id variable",
        {
            "type": "start",
            "id": "v",
            "payload": {
                "data": json.dumps(
                    {"query": "subscription($id: ID!) { onTicketUpdated(id: $id) { id } }", "variables": {}}
                )
            },
        },
        "error:None",
    ),
    (
        "start, unknown ticket",
        {
            "type": "start",
            "id": "n",
            "payload": {
                "data": json.dumps(
                    {"query": 'subscription { onTicketUpdated(id: "nope", trackingToken: "x") { id } }'}
                )
            },
        },
        "error:NotFoundError",
    ),
    ("stop without id", {"type": "stop"}, "error:UnsupportedOperation"),
    (
        "oversized frame (> 240 KB)",
        json.dumps({"type": "start", "id": "big", "payload": {"data": "x" * 300_000}}),
        "ignored",
    ),
]


async def ws_answer(ws: Any, frame: Any, allow_internal: bool = False) -> str:
    if isinstance(frame, dict):
        frame = json.dumps(frame)
    await ws.send(frame)
    try:
        answer = await next_message(ws, timeout=1.5)
    except TimeoutError:
        return "ignored"
    assert answer.get("type") == "error", answer
    errors = answer["payload"]["errors"]
    error = errors[0] if isinstance(errors, list) else errors
    assert "Traceback" not in json.dumps(answer), answer
    assert allow_internal or "InternalFailure" not in json.dumps(answer), answer
    return f"error:{error.get('errorType')}"


def test_malformed_socket_frames(local_stack: Any) -> None:
    stack = local_stack
    host = host_of(stack.graphql_url)

    async def scenario() -> dict[str, str]:
        ws, first = await open_raw_ws(stack, Caller("api", api_key_auth(stack)).connect_headers(host))
        assert first["type"] == "connection_ack"
        got = {}
        for name, frame, _ in WS_CASES:
            got[name] = await ws_answer(ws, frame)
        # the same connection still works: a valid subscription is acknowledged
        await ws.send(json.dumps({"type": "connection_init"}))
        assert (await next_message(ws))["type"] == "connection_ack"
        await ws.close()
        return got

    got = asyncio.run(scenario())
    expected = {name: want for name, _, want in WS_CASES}
    assert got == expected


def test_subscribe_before_connection_init_keeps_auth(local_stack: Any) -> None:
    """`start` before `connection_init`: the engine processes it (AppSync: init is optional for its own
    clients; see docs/security.md) - but the connection's credential still decides."""
    stack = local_stack
    host = host_of(stack.graphql_url)
    api = Caller("api", api_key_auth(stack))

    async def scenario() -> list[dict[str, Any]]:
        ws, _ = await open_raw_ws(stack, api.connect_headers(host), init=False)
        data = json.dumps({"query": "subscription { onTicketActivity { id } }", "variables": {}})
        answers = []
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {"data": data}}))
        answers.append(await next_message(ws, timeout=3))
        await ws.send(
            json.dumps(
                start_message(
                    "2", "subscription { onTicketActivity { id } }", {}, api.start_authorization(data, host)
                )
            )
        )
        answers.append(await next_message(ws, timeout=3))
        await ws.close()
        return answers

    for answer in asyncio.run(scenario()):
        assert answer["type"] == "error", answer
        assert answer["payload"]["errors"][0]["errorType"] == "Unauthorized", answer


def test_bad_subprotocols(local_stack: Any) -> None:
    stack = local_stack
    host = host_of(stack.graphql_url)
    api = Caller("api", api_key_auth(stack))

    async def scenario() -> list[dict[str, Any]]:
        out = []
        for protocols in (["graphql-transport-ws"], ["nonsense"]):
            ws, _ = await open_raw_ws(stack, api.connect_headers(host), init=False, subprotocols=protocols)
            out.append(await next_message(ws))
            await ws.close()
        return out

    wrong, nonsense = asyncio.run(scenario())
    for answer in (wrong, nonsense):
        assert answer == {
            "type": "connection_error",
            "payload": {"errors": [{"message": "SubProtocolNotSupportedError", "errorCode": 400}]},
        }


def test_fuzz_socket_start_arguments(local_stack: Any, sentinels: dict[str, Any]) -> None:
    """Hypothesis over onTicketUpdated's arguments and the start frame, on one socket."""
    stack = local_stack
    host = host_of(stack.graphql_url)
    api = Caller("api", api_key_auth(stack))
    counts: dict[str, int] = {}

    async def scenario() -> None:
        ws, first = await open_raw_ws(stack, api.connect_headers(host))
        assert first["type"] == "connection_ack"
        field = SCHEMA.subscription_type.fields["onTicketUpdated"]  # type: ignore[union-attr]
        strategy = st.tuples(
            st.fixed_dictionaries({}, optional={a: value_for(arg.type) for a, arg in field.args.items()}),
            st.sampled_from(["id", "sentinel"]),
        )
        examples: list[Any] = []

        @settings(
            max_examples=WS_FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def collect(example: Any) -> None:
            examples.append(example)

        collect()
        for n, (variables, aim) in enumerate(examples):
            if aim == "sentinel" and isinstance(variables.get("id"), str):
                variables["id"] = sentinels["open"]  # with a fuzzed token: must be refused
            query = (
                "subscription S($id: ID!, $trackingToken: String) { onTicketUpdated(id: $id, "
                "trackingToken: $trackingToken) { id description } }"
            )
            data = json.dumps({"query": query, "variables": variables})
            sid = f"f{n}"
            await ws.send(
                json.dumps(start_message(sid, query, variables, api.start_authorization(data, host)))
            )
            answer = await next_message(ws)
            assert answer.get("id") == sid, answer
            assert answer["type"] == "error", answer  # no fuzzed token is the sentinel's token
            errors = answer["payload"]["errors"]
            error_type = str(errors[0].get("errorType"))
            assert error_type in {"NotFoundError", "None", "ValidationError"}, answer
            assert "description" not in json.dumps(answer) or "Sentinel" not in json.dumps(answer)
            counts[error_type] = counts.get(error_type, 0) + 1
        await ws.close()

    asyncio.run(scenario())
    print(f"\nsocket fuzz: {counts}")
    assert sum(counts.values()) == WS_FUZZ_EXAMPLES


# ------------------------------------------------------------------------------- a stage without SMS

M_SET_NOTIFY_BY = (
    "mutation M($id: ID!, $token: String, $by: [Channel!]!) "
    "{ setNotifyBy(id: $id, trackingToken: $token, notifyBy: $by) { id version } }"
)
SMS_OFF = "this workshop does not send text messages; choose EMAIL"


def test_a_stage_without_sms_refuses_sms_from_the_public_and_writes_nothing(local_stack_factory: Any) -> None:
    """PITSTOP_CUSTOMER_SMS=false (a deployed stage's default, context customerSms): an API-key caller
    asking for SMS gets a ValidationError shaped as AppSync shapes it, and no ticket, change or message
    comes of it; e-mail still works, and the pages are told (custom.customerSms)."""
    stack = local_stack_factory({"PITSTOP_CUSTOMER_SMS": "false"})
    assert stack.get_json("/amplify_outputs.json")["custom"]["customerSms"] is False
    public, staff = Caller("api", api_key_auth(stack)), Caller("staff", jwt_auth(stack))
    host = host_of(stack.graphql_url)

    def post(caller: Caller, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"query": query, "variables": variables})
        signed = body if caller is public else ""  # JWT: the body is not signed
        with httpx.Client(timeout=30) as client:
            response = client.post(stack.graphql_url, content=body, headers=caller.http_headers(signed, host))
        check_http_response(response)
        result: dict[str, Any] = response.json()
        return result

    def refused(body: dict[str, Any], path: str) -> None:
        [error] = body["errors"]
        assert (error["errorType"], error["message"]) == ("ValidationError", f"{path}: {SMS_OFF}"), body
        check_rule_error_names_a_field(body)

    phone = {"name": "Rel Customer", "email": "rel-sms@example.com", "phone": "+1 415 555 0123"}
    for channels in (["SMS"], ["EMAIL", "SMS"]):
        body = post(public, CREATE, {"input": ticket_input("sms", customer={**phone, "notifyBy": channels})})
        refused(body, "customer.notifyBy")
        assert body["data"] is None or body["data"]["createTicket"] is None
    assert post(staff, LIST, {"limit": 10})["data"]["tickets"]["items"] == []  # nothing was written

    made = post(public, CREATE, {"input": ticket_input("sms", customer=phone)})["data"]["createTicket"]
    ticket_id, token = made["ticket"]["id"], made["trackingToken"]
    refused(post(public, M_SET_NOTIFY_BY, {"id": ticket_id, "token": token, "by": ["SMS"]}), "notifyBy")
    assert post(staff, STAFF_GET, {"id": ticket_id})["data"]["ticket"]["version"] == 1
    assert [m for m in stack.get_json("/_local/outbox") if m["channel"] == "sms"] == []
