"""DynamoDB verbs for estimates: the latest estimate lives in the ticket item (the board and the
tracking page read it with the ticket); each superseded version is an item of its own,
`ESTIMATE#<ticket id>#<version>`, so the ticket item stays bounded however often an estimate is revised.

`write` is one conditional write holding the ticket's version and status and the estimate's version
and state the change was decided on; when any of them moved on it raises store.StaleWrite and writes
nothing. History entries leaving the ticket go to HIST items in the same transaction, as for status
changes (store.write_change). The verbs store what they are given: deciding it belongs to the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from . import dynamo_json, store, tickets

_ENTITY = "ESTIMATE"


def _superseded_key(ticket_id: str, version: int) -> str:
    return f"{_ENTITY}#{ticket_id}#{version}"


def _put_new(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": store.table_name(),
            "Item": dynamo_json.serialize_item(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def write(change: tickets.Change, decided_on: Mapping[str, Any] | None) -> None:
    """Store the changed ticket (estimate, status, history, version); `decided_on` is the estimate
    the change was decided on (None: the ticket had none). A new version moves `decided_on` to its
    own item in the same transaction."""
    ticket: Mapping[str, Any] = change.ticket
    estimate = ticket["estimate"]
    names = {
        "#status": "status",
        "#history": "history",
        "#version": "version",
        "#updatedAt": "updatedAt",
        "#estimate": "estimate",
    }
    values: dict[str, Any] = {
        ":status": ticket["status"],
        ":history": ticket["history"],
        ":next": ticket["version"],
        ":at": ticket["updatedAt"],
        ":estimate": estimate,
        ":version": change.from_version,
        ":current": change.from_status,
    }
    expression = "SET " + ", ".join(
        f"#{name} = :{value}"
        for name, value in (
            ("status", "status"),
            ("history", "history"),
            ("version", "next"),
            ("updatedAt", "at"),
            ("estimate", "estimate"),
        )
    )
    condition = "#version = :version AND #status = :current"
    if decided_on is None:
        condition += " AND attribute_not_exists(#estimate)"
    else:
        names |= {"#ev": "version", "#state": "state"}
        values |= {":ev": int(decided_on["version"]), ":state": decided_on["state"]}
        condition += " AND #estimate.#ev = :ev AND #estimate.#state = :state"
    if change.moved_out:
        names["#older"] = "olderHistoryCount"
        values[":older"] = ticket["olderHistoryCount"]
        expression += ", #older = :older"
    update = {
        "TableName": store.table_name(),
        "Key": {"pk": {"S": f"TICKET#{ticket['id']}"}},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": dynamo_json.serialize_item(values),
    }
    items: list[dict[str, Any]] = [{"Update": update}]
    if decided_on is not None and int(decided_on["version"]) != int(estimate["version"]):
        key = _superseded_key(str(ticket["id"]), int(decided_on["version"]))
        items.append(_put_new({**decided_on, "pk": key, "entity": _ENTITY, "ticketId": ticket["id"]}))
    if change.moved_out:
        archive = {
            "pk": f"HIST#{ticket['id']}#{change.moved_out_position}",
            "entity": "HIST",
            "ticketId": ticket["id"],
            "entries": list(change.moved_out),
        }
        items.append(_put_new(archive))
    try:
        if len(items) == 1:
            store.client().update_item(**update)
        else:
            store.client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code == "ConditionalCheckFailedException":
            raise store.StaleWrite() from None
        if code == "TransactionCanceledException":
            reasons = [str(r.get("Code")) for r in exc.response.get("CancellationReasons", [])]
            if reasons[:1] == ["ConditionalCheckFailed"] or "TransactionConflict" in reasons:
                raise store.StaleWrite() from None
            raise store.StoreError(f"estimate write cancelled: {reasons}") from None
        raise


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
