"""An estimate's whole exchange against the real stack, with gql as users run it: staff send, the
customer's socket receives it, the customer answers (2 of 3), the staff feed receives the answer; a
stale version and a second answer are refused, the same clientToken returns the same ticket."""

from __future__ import annotations

import asyncio
from typing import Any

from appsync_clients import CREATE_TICKET, MOVE_ID_ONLY, Api, ticket_input
from gql import gql
from gql.transport.exceptions import TransportQueryError

ESTIMATE_FIELDS = """
  estimate {
    version currency subtotal tax total approvedTotal sentAt answeredAt signedBy comment
    lines { id kind description quantity unitPrice amount decision }
  }
"""
TICKET = f"id status version history {{ status by note }} {ESTIMATE_FIELDS}"
SEND = gql(f"mutation Send($input: SendEstimateInput!) {{ sendEstimate(input: $input) {{ {TICKET} }} }}")
SEND_ID_ONLY = gql("mutation Send($input: SendEstimateInput!) { sendEstimate(input: $input) { id } }")
ANSWER = gql(
    f"mutation Answer($input: AnswerEstimateInput!) {{ answerEstimate(input: $input) {{ {TICKET} }} }}"
)
ANSWER_ID_ONLY = gql("mutation Answer($input: AnswerEstimateInput!) { answerEstimate(input: $input) { id } }")
ON_UPDATED = gql(
    "subscription U($id: ID!, $token: String) "
    f"{{ onTicketUpdated(id: $id, trackingToken: $token) {{ {TICKET} }} }}"
)
ON_ACTIVITY = gql(f"subscription A {{ onTicketActivity {{ {TICKET} }} }}")

LINES = [
    {"kind": "LABOR", "description": "Replace front brake pads", "quantity": 1.5, "unitPrice": 9000},
    {"kind": "PART", "description": "Brake pads (set)", "quantity": 2, "unitPrice": 3225},
    {"kind": "FEE", "description": "Disposal", "quantity": 0.29, "unitPrice": 1000},
]


async def _ready_ticket(api: Api) -> tuple[str, str]:
    async with api.http(api.api_key_auth()) as customer:
        created = (await customer.execute(CREATE_TICKET, variable_values={"input": ticket_input(14)}))[
            "createTicket"
        ]
    ticket_id = created["ticket"]["id"]
    async with api.http(api.jwt_auth()) as staff:
        for status in ("RECEIVED", "DIAGNOSING"):
            await staff.execute(MOVE_ID_ONLY, variable_values={"input": {"id": ticket_id, "status": status}})
    return ticket_id, created["trackingToken"]


def _decisions(estimate: dict[str, Any], choices: list[str]) -> list[dict[str, str]]:
    return [{"lineId": ln["id"], "decision": c} for ln, c in zip(estimate["lines"], choices, strict=True)]


async def _until(subscription: Any, field: str, check: Any) -> dict[str, Any]:
    """The first event of this subscription that passes `check` (earlier changes may still arrive:
    the stream publishes them after the subscription started)."""
    while True:
        event = (await subscription.next())[field]
        if check(event):
            return event


async def _error_type(call: Any) -> str:
    try:
        await call
    except TransportQueryError as exc:
        return str((exc.errors or [{}])[0].get("errorType"))
    raise AssertionError("the call was not refused")


def test_estimate_exchange_live(api: Api) -> None:
    async def session() -> None:
        ticket_id, token = await _ready_ticket(api)
        async with api.realtime(api.jwt_auth()) as staff_ws, api.realtime(api.api_key_auth()) as customer_ws:
            feed = await api.subscribe(staff_ws, ON_ACTIVITY)
            updates = await api.subscribe(customer_ws, ON_UPDATED, {"id": ticket_id, "token": token})

            # staff send, selecting only `id`: subscribers still get the whole estimate
            async with api.http(api.jwt_auth()) as staff:
                send = {"ticketId": ticket_id, "lines": LINES, "taxRateBasisPoints": 2100}
                await staff.execute(SEND_ID_ONLY, variable_values={"input": send})
            sent = await _until(updates, "onTicketUpdated", lambda t: t["estimate"] is not None)
            estimate = sent["estimate"]
            assert sent["status"] == "AWAITING_APPROVAL"
            assert [ln["amount"] for ln in estimate["lines"]] == [13500, 6450, 290]
            assert (estimate["subtotal"], estimate["tax"], estimate["total"]) == (20240, 4250, 24490)
            assert estimate["lines"][2]["quantity"] == 0.29 and estimate["currency"] == "EUR"
            assert sent["history"][-1]["note"] == "Estimate 1 sent: 3 lines, €244.90"

            # the customer answers 2 of 3
            answer = {
                "ticketId": ticket_id,
                "trackingToken": token,
                "estimateVersion": 1,
                "decisions": _decisions(estimate, ["APPROVED", "APPROVED", "DECLINED"]),
                "signedBy": "Ada Lovelace",
                "clientToken": "estimate-answer-0001-abcdef",
            }
            async with api.http(api.api_key_auth()) as customer:
                await customer.execute(ANSWER_ID_ONLY, variable_values={"input": answer})
                # the same clientToken again: the same ticket, nothing recorded twice
                again = (await customer.execute(ANSWER, variable_values={"input": answer}))["answerEstimate"]
                # a different answer to the answered estimate: refused
                other = {**answer, "clientToken": "estimate-answer-0002-abcdef"}
                assert await _error_type(customer.execute(ANSWER, variable_values={"input": other})) == (
                    "ConflictError"
                )
            answered = await _until(feed, "onTicketActivity", lambda t: (t["estimate"] or {}).get("signedBy"))
            assert answered["estimate"]["approvedTotal"] == 19950 + 4190
            assert answered["estimate"]["signedBy"] == "Ada Lovelace"
            assert (
                answered["history"][-1]["note"]
                == "Estimate 1 answered by Ada Lovelace: 2 of 3 approved, €241.40"
            )
            assert again["version"] == answered["version"]
            seen = await _until(updates, "onTicketUpdated", lambda t: t["version"] == answered["version"])
            assert seen["estimate"]["approvedTotal"] == 24140

            # a revision; answering the old version now is stale
            async with api.http(api.jwt_auth()) as staff:
                revised = await staff.execute(
                    SEND, variable_values={"input": {"ticketId": ticket_id, "lines": LINES[:2]}}
                )
            assert revised["sendEstimate"]["estimate"]["version"] == 2
            stale = {**answer, "clientToken": None}
            async with api.http(api.api_key_auth()) as customer:
                assert (
                    await _error_type(customer.execute(ANSWER, variable_values={"input": stale}))
                    == "ConflictError"
                )
                # invalid and stale: ValidationError first
                bad = {**stale, "decisions": [{"lineId": "v1l1", "decision": "PENDING"}]}
                assert (
                    await _error_type(customer.execute(ANSWER, variable_values={"input": bad}))
                    == "ValidationError"
                )
            await feed.stop()
            await updates.stop()

    asyncio.run(session())


def test_a_customer_cannot_answer_another_tickets_estimate(api: Api) -> None:
    async def session() -> None:
        ticket_id, _ = await _ready_ticket(api)
        _, other_token = await _ready_ticket(api)
        async with api.http(api.jwt_auth()) as staff:
            sent = await staff.execute(
                SEND, variable_values={"input": {"ticketId": ticket_id, "lines": LINES}}
            )
        estimate = sent["sendEstimate"]["estimate"]
        answer = {
            "ticketId": ticket_id,
            "trackingToken": other_token,
            "estimateVersion": 1,
            "decisions": _decisions(estimate, ["APPROVED"] * 3),
            "signedBy": "Mallory",
        }
        async with api.http(api.api_key_auth()) as customer:
            assert (
                await _error_type(customer.execute(ANSWER, variable_values={"input": answer}))
                == "NotFoundError"
            )
            # and a customer may not send one
            send = {"ticketId": ticket_id, "lines": LINES}
            assert await _error_type(customer.execute(SEND, variable_values={"input": send})) in {
                "Unauthorized",
                "UnauthorizedException",
            }
        async with api.http(api.jwt_auth()) as staff:
            fifty_one = {"ticketId": ticket_id, "lines": [LINES[0]] * 51}
            assert (
                await _error_type(staff.execute(SEND, variable_values={"input": fifty_one}))
                == "ValidationError"
            )
            huge = {"ticketId": ticket_id, "lines": [{**LINES[0], "quantity": 1e300}]}
            assert (
                await _error_type(staff.execute(SEND, variable_values={"input": huge})) == "ValidationError"
            )
            max_out = {
                "ticketId": ticket_id,
                "lines": [{**LINES[0], "quantity": 10000, "unitPrice": 10_000_000}] * 3,
            }
            assert (
                await _error_type(staff.execute(SEND, variable_values={"input": max_out}))
                == "ValidationError"
            )

    asyncio.run(session())
