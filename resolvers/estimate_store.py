"""DynamoDB verbs for estimates: the latest estimate lives in the ticket item (the board and the
tracking page read it with the ticket); each superseded version is an item of its own,
`ESTIMATE#<ticket id>#<version>`, so the ticket item stays bounded however often an estimate is revised.

Each verb is one conditional write that holds the ticket's version and the estimate's version and
state the caller decided on; when that state has moved on it raises Stale and writes nothing.
The verbs store what they are given: deciding what that is belongs to the rules (estimates.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo_json, store

_ENTITY = "ESTIMATE"
_NAMES = {
    "#status": "status",
    "#history": "history",
    "#version": "version",
    "#updatedAt": "updatedAt",
    "#estimate": "estimate",
    "#ev": "version",
    "#state": "state",
}


class Stale(Exception):
    """The ticket or its estimate changed since it was read: nothing was written."""


def _superseded_key(ticket_id: str, version: int) -> str:
    return f"{_ENTITY}#{ticket_id}#{version}"


def _estimate_condition(current: Mapping[str, Any] | None, values: dict[str, Any]) -> str:
    """The ticket's version, plus the estimate's version and state as they were read."""
    if current is None:
        return "#version = :version AND attribute_not_exists(#estimate)"
    values[":ev"] = int(current["version"])
    values[":state"] = current["state"]
    return "#version = :version AND #estimate.#ev = :ev AND #estimate.#state = :state"


def _changed(
    ticket: Mapping[str, Any], changes: Mapping[str, Any], entry: Mapping[str, Any]
) -> dict[str, Any]:
    """The ticket as the write left it (the condition guarantees it was exactly `ticket` before)."""
    return {
        **ticket,
        **changes,
        "history": [*ticket.get("history", []), dict(entry)],
        "version": int(ticket["version"]) + 1,
    }


def _update(
    ticket: Mapping[str, Any], changes: Mapping[str, Any], entry: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(UpdateItem parameters, the resulting ticket) for SET changes + history entry + version + 1."""
    values: dict[str, Any] = {
        ":entry": [dict(entry)],
        ":next": int(ticket["version"]) + 1,
        ":version": int(ticket["version"]),
        ":at": changes["updatedAt"],
        ":estimate": changes["estimate"],
    }
    sets = [
        "#estimate = :estimate",
        "#history = list_append(#history, :entry)",
        "#version = :next",
        "#updatedAt = :at",
    ]
    if "status" in changes:
        values[":status"] = changes["status"]
        sets.append("#status = :status")
    condition = _estimate_condition(ticket.get("estimate"), values)
    names = {k: v for k, v in _NAMES.items() if k in condition or k in " ".join(sets)}
    params = {
        "TableName": store.table_name(),
        "Key": {"pk": {"S": f"TICKET#{ticket['id']}"}},
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dynamo_json.serialize_item(values),
    }
    return params, _changed(ticket, changes, entry)


def put_estimate(
    ticket: Mapping[str, Any], estimate: Mapping[str, Any], status: str, entry: Mapping[str, Any]
) -> dict[str, Any]:
    """Store a new latest estimate (and the status) in the ticket, moving the one it replaces to its
    own item, in one transaction; returns the ticket as written."""
    changes = {"estimate": dict(estimate), "status": status, "updatedAt": entry["at"]}
    update, result = _update(ticket, changes, entry)
    previous = ticket.get("estimate")
    if previous is None:
        _write(lambda: store.client().update_item(**update))
        return result
    superseded = {
        **previous,
        "pk": _superseded_key(str(ticket["id"]), int(previous["version"])),
        "entity": _ENTITY,
        "ticketId": ticket["id"],
    }
    items = [
        {"Update": update},
        {
            "Put": {
                "TableName": store.table_name(),
                "Item": dynamo_json.serialize_item(superseded),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    _write(lambda: store.client().transact_write_items(TransactItems=items))
    return result


def put_answer(
    ticket: Mapping[str, Any], answered: Mapping[str, Any], entry: Mapping[str, Any]
) -> dict[str, Any]:
    """Store the answered estimate in the ticket: one conditional UpdateItem; returns the ticket."""
    update, result = _update(ticket, {"estimate": dict(answered), "updatedAt": entry["at"]}, entry)
    _write(lambda: store.client().update_item(**update))
    return result


def get_superseded(ticket_id: str, version: int) -> dict[str, Any] | None:
    resp = store.client().get_item(
        TableName=store.table_name(),
        Key={"pk": {"S": _superseded_key(ticket_id, version)}},
        ConsistentRead=True,
    )
    item = resp.get("Item")
    if not item:
        return None
    data = store.deserialize(item)
    return {k: v for k, v in data.items() if k not in {"pk", "entity", "ticketId"}}


def _write(call: Any) -> None:
    try:
        call()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
            raise Stale() from None
        raise
