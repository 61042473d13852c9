"""A customer's and a staff member's whole session against the real stack, with gql as users run it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from appsync_clients import (
    CREATE_TICKET,
    LIST_TICKETS,
    MOVE_ID_ONLY,
    ON_ACTIVITY,
    ON_TICKET_UPDATED,
    TRACK_TICKET,
    Api,
    ticket_input,
)


def wait_for_outbox(local_stack: Any, reference: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        mails = [m for m in local_stack.get_json("/_local/outbox") if reference in (m["subject"] or "")]
        if mails or time.monotonic() > deadline:
            return mails
        time.sleep(0.05)


def test_customer_and_staff_session(api: Api, local_stack: Any) -> None:
    async def session() -> None:
        track: dict[str, Any] = {}
        # --- the staff member signs in and watches the activity feed
        staff_auth = api.jwt_auth()
        async with api.realtime(staff_auth) as staff_ws:
            feed = await api.subscribe(staff_ws, ON_ACTIVITY)

            # --- the customer submits a ticket with the API key
            async with api.http(api.api_key_auth()) as customer:
                created = (await customer.execute(CREATE_TICKET, variable_values={"input": ticket_input(1)}))[
                    "createTicket"
                ]
            ticket, token = created["ticket"], created["trackingToken"]
            track.update(id=ticket["id"], token=token)
            assert ticket["status"] == "SUBMITTED" and ticket["version"] == 1
            assert [h["status"] for h in ticket["history"]] == ["SUBMITTED"]

            # the staff feed gets the new ticket, customer details included
            event = (await feed.next())["onTicketActivity"]
            assert event["id"] == ticket["id"] and event["version"] == 1
            assert event["customer"]["email"] == "customer1@example.com"

            # --- the customer tracks it with the token and subscribes to changes
            async with api.http(api.api_key_auth()) as customer:
                tracked = await customer.execute(TRACK_TICKET, variable_values=track)
            assert tracked["ticket"]["reference"] == ticket["reference"]

            async with api.realtime(api.api_key_auth()) as customer_ws:
                updates = await api.subscribe(
                    customer_ws, ON_TICKET_UPDATED, {"id": ticket["id"], "token": token}
                )

                # --- staff: list, then move the ticket twice, selecting only `id`
                async with api.http(staff_auth) as staff:
                    page = (await staff.execute(LIST_TICKETS, variable_values={"limit": 50}))["tickets"]
                    assert ticket["id"] in [t["id"] for t in page["items"]]
                    for status, note in (("RECEIVED", None), ("DIAGNOSING", "Pads worn out.")):
                        move = {"id": ticket["id"], "status": status, "note": note}
                        moved = await staff.execute(MOVE_ID_ONLY, variable_values={"input": move})
                        assert moved == {"updateTicketStatus": {"id": ticket["id"]}}

                # the customer receives each change with every field it asked for
                seen = [(await updates.next())["onTicketUpdated"] for _ in range(2)]
                assert [(t["status"], t["version"]) for t in seen] == [("RECEIVED", 2), ("DIAGNOSING", 3)]
                last = seen[-1]
                assert last["reference"] == ticket["reference"]
                assert last["vehicle"] == ticket["vehicle"]
                assert last["description"] == ticket["description"]
                assert [h["status"] for h in last["history"]] == ["SUBMITTED", "RECEIVED", "DIAGNOSING"]
                assert last["history"][-1]["note"] == "Pads worn out."
                assert last["createdAt"] == ticket["createdAt"] and last["updatedAt"] >= ticket["updatedAt"]
                await updates.stop()

            # the staff feed saw both changes too
            changes = [(await feed.next())["onTicketActivity"] for _ in range(2)]
            assert [(t["status"], t["version"]) for t in changes] == [("RECEIVED", 2), ("DIAGNOSING", 3)]
            await feed.stop()

        # --- the customer's page after the fact
        async with api.http(api.api_key_auth()) as customer:
            tracked = await customer.execute(TRACK_TICKET, variable_values=track)
        assert tracked["ticket"]["status"] == "DIAGNOSING" and tracked["ticket"]["version"] == 3

        # --- and the staff e-mail went out, once (local outbox)
        if local_stack.is_local:
            mails = wait_for_outbox(local_stack, ticket["reference"])
            assert len(mails) == 1
            assert ticket["reference"] in mails[0]["message"]
            assert "customer1@example.com" in mails[0]["message"]

    asyncio.run(session())
