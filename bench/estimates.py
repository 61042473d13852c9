"""Figure: estimates through the local stack with gql, beside a status change on the same path.

Per ticket (interleaved, so load from elsewhere hits all alike): staff sendEstimate (3 lines: one
conditional UpdateItem), the customer's answerEstimate (API key: one conditional UpdateItem), a
revised sendEstimate (a transaction: the ticket and the superseded version's own item), and a
updateTicketStatus of another ticket for comparison. Each ticket's stream aftermath is let finish
before the next sample (the publish of its last change reaches the staff feed), as in request_path.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gql import gql

from . import gqlclient
from .common import Figure, at_most, info, latency_ms
from .request_path import _gql

TARGET = 2.0  # an estimate write costs about what a status change does: one read, one conditional write

ESTIMATE = "id version estimate { version total approvedTotal lines { id decision } }"
SEND = gql(f"mutation Send($input: SendEstimateInput!) {{ sendEstimate(input: $input) {{ {ESTIMATE} }} }}")
ANSWER = gql(
    f"mutation Answer($input: AnswerEstimateInput!) {{ answerEstimate(input: $input) {{ {ESTIMATE} }} }}"
)
LINES = [
    {"kind": "LABOR", "description": "Replace front brake pads", "quantity": 1.5, "unitPrice": 9000},
    {"kind": "PART", "description": "Brake pads (set)", "quantity": 2, "unitPrice": 3225},
    {"kind": "FEE", "description": "Disposal", "quantity": 1, "unitPrice": 450},
]


async def _samples(target: Any, count: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {k: [] for k in ("send", "answer", "revise", "update")}
    async with (
        gqlclient.http_client(target, gqlclient.api_key_auth(target)) as public,
        gqlclient.http_client(target, gqlclient.staff_auth(target)) as staff,
    ):
        for n in range(count + 2):  # 2 warm-ups
            tickets = []
            for k in range(2):
                _, made = await _gql(
                    public, gqlclient.CREATE_TICKET, {"input": gqlclient.ticket_input(90_000 + 2 * n + k)}
                )
                tickets.append((made["createTicket"]["ticket"]["id"], made["createTicket"]["trackingToken"]))
            (ticket_id, token), (other_id, _) = tickets
            for status in ("RECEIVED", "DIAGNOSING"):
                await _gql(staff, gqlclient.UPDATE_STATUS, {"input": {"id": ticket_id, "status": status}})
            send, sent = await _gql(staff, SEND, {"input": {"ticketId": ticket_id, "lines": LINES}})
            estimate = sent["sendEstimate"]["estimate"]
            decisions = [
                {"lineId": line["id"], "decision": "APPROVED" if i < 2 else "DECLINED"}
                for i, line in enumerate(estimate["lines"])
            ]
            answer_input = {
                "ticketId": ticket_id,
                "trackingToken": token,
                "estimateVersion": estimate["version"],
                "decisions": decisions,
                "signedBy": "Bench Customer",
            }
            answer, _ = await _gql(public, ANSWER, {"input": answer_input})
            revise, _ = await _gql(staff, SEND, {"input": {"ticketId": ticket_id, "lines": LINES[:2]}})
            update, _ = await _gql(
                staff, gqlclient.UPDATE_STATUS, {"input": {"id": other_id, "status": "RECEIVED"}}
            )
            if n >= 2:
                samples["send"].append(send)
                samples["answer"].append(answer)
                samples["revise"].append(revise)
                samples["update"].append(update)
            await asyncio.sleep(0.05)  # let the stream publish this ticket's changes before the next sample
    return samples


def run(target: Any, smoke: bool = False) -> tuple[list[Figure], dict[str, Any]]:
    samples = asyncio.run(_samples(target, 3 if smoke else 60))
    ms = latency_ms(samples)
    figures = [
        at_most(
            "estimates: sendEstimate p50 / updateTicketStatus p50",
            ms["send"]["p50"] / ms["update"]["p50"],
            "x",
            TARGET,
        ),
        at_most(
            "estimates: answerEstimate p50 / updateTicketStatus p50",
            ms["answer"]["p50"] / ms["update"]["p50"],
            "x",
            TARGET,
        ),
        info("estimates: sendEstimate p50", ms["send"]["p50"], "ms"),
        info("estimates: sendEstimate p99", ms["send"]["p99"], "ms"),
        info("estimates: revised sendEstimate (transaction) p50", ms["revise"]["p50"], "ms"),
        info("estimates: answerEstimate p50", ms["answer"]["p50"], "ms"),
        info("estimates: answerEstimate p99", ms["answer"]["p99"], "ms"),
        info("estimates: updateTicketStatus p50 (same run)", ms["update"]["p50"], "ms"),
    ]
    details: dict[str, Any] = {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in ms.items()}
    return figures, details
