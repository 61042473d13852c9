"""The staff e-mail for new tickets: one e-mail per ticket, or one digest for a burst; each ticket in
exactly one e-mail, however often the stream delivers its record.

A burst is more than `maxSingleMails` (api_config.json "publisher" → "staffDigest") new tickets in
one stream batch: they go out as one digest. Fewer go out one e-mail each.

Why a claim record and not Powertools idempotency: an idempotency key would be the set of ticket ids
of one call, but a retried batch is not the same set (the mapping bisects a failed batch, and resumes
from the first failed record), so a ticket could land in two digests. Claims are per ticket instead,
in the tickets table (entity STAFFMAIL, which the mapping's filter keeps out of the stream):

- `STAFFMAIL#<mail id>`: the e-mail exactly as it will be sent (subject, text, its tickets), and
  `state` PENDING, then SENT;
- `STAFFMAIL-TICKET#<ticket id>`: the claim, naming the mail the ticket is in.

The mail item and its claims are written in one transaction, each with attribute_not_exists, before
anything is sent: a ticket is never in two mails. Then the mail is published and marked SENT. A
retry of the stream record finds the claim: a SENT mail is not sent again; a PENDING one (the
function stopped between the claim and SNS accepting the e-mail) is sent as stored. The one window
left is SNS accepting the e-mail and the function dying before the SENT mark: then the retry sends it
a second time. SNS e-mail has no deduplication (FIFO topics do not deliver to e-mail), so we choose a
rare duplicate over a lost notification there. Both items expire (TTL `expiresAt`) after
`claimTtlHours`, well after the stream's 24 h retention, so no retry outlives its claim.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from . import aws, dynamo_json, notify
from .publisher_settings import PublisherSettings

ENTITY = "STAFFMAIL"
MAIL_PREFIX = "STAFFMAIL#"
CLAIM_PREFIX = "STAFFMAIL-TICKET#"
PENDING, SENT = "PENDING", "SENT"
# TransactGetItems takes 100 items since 2022; moto 5.2.5 still refuses more than 25, so read in 25s
READ_LIMIT = 25
FIRST_MAIL_CALLS = 5  # read claims, read their mails, write a mail and its claims, SNS, mark SENT
NEXT_MAIL_CALLS = 3  # write, SNS, mark SENT


class OutOfTime(Exception):
    """Not enough time left for the next e-mail: the rest is left to the stream's retry."""


def mail_groups(tickets: Sequence[Mapping[str, Any]], max_single: int) -> list[list[Mapping[str, Any]]]:
    """A burst (more than `max_single` tickets) is one digest; otherwise one e-mail per ticket."""
    if len(tickets) > max_single:
        return [list(tickets)]
    return [[t] for t in tickets]


def mail_id(tickets: Sequence[Mapping[str, Any]]) -> str:
    """Derived from its tickets, so a lost response to the claim transaction is retried harmlessly."""
    return hashlib.sha256("\n".join(str(t["id"]) for t in tickets).encode()).hexdigest()[:32]


def _as_is(mail: Mapping[str, Any]) -> Mapping[str, Any]:
    """An e-mail an earlier invocation claimed but did not send: it goes as it is."""
    return mail


class StaffMailer:
    def __init__(self, settings: PublisherSettings, has_time: Callable[[int], bool]) -> None:
        self.settings = settings
        self.has_time = has_time  # calls -> is there time for that many more calls?
        self.ddb = aws.client("dynamodb", settings.calls)
        self.table = os.environ["TABLE_NAME"]

    def deliver(self, tickets: Sequence[Mapping[str, Any]]) -> int:
        """E-mail every ticket not yet in a sent e-mail; returns how many e-mails were published.
        Raises (OutOfTime, ClientError, ...) when some are left: the caller has them retried."""
        if not tickets:
            return 0
        claims = self._get([CLAIM_PREFIX + str(t["id"]) for t in tickets])
        claimed_in = {key[len(CLAIM_PREFIX) :]: item["mail"] for key, item in claims.items()}
        earlier = self._get(list(dict.fromkeys(MAIL_PREFIX + m for m in claimed_in.values())))
        to_send = [item for item in earlier.values() if item.get("state") == PENDING]
        fresh = [t for t in tickets if str(t["id"]) not in claimed_in]
        groups = mail_groups(fresh, self.settings.max_single_mails)
        sent = 0
        work: list[Callable[[], Mapping[str, Any]]] = [partial(_as_is, item) for item in to_send]
        work += [partial(self._claim, group) for group in groups]
        for index, next_mail in enumerate(work):
            # the first e-mail of an invocation always goes: the caller reserved FIRST_MAIL_CALLS for it
            if index and not self.has_time(NEXT_MAIL_CALLS):
                raise OutOfTime(f"{len(work) - index} staff e-mail(s) left for the retry")
            self._send(next_mail())
            sent += 1
        return sent

    # -------------------------------------------------------------------------------------- steps

    def _get(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), READ_LIMIT):
            chunk = keys[start : start + READ_LIMIT]
            response = self.ddb.transact_get_items(
                TransactItems=[{"Get": {"TableName": self.table, "Key": {"pk": {"S": k}}}} for k in chunk]
            )
            for response_item in response["Responses"]:
                if response_item.get("Item"):
                    item = dynamo_json.deserialize_item(response_item["Item"])
                    found[str(item["pk"])] = item
        return found

    def _claim(self, group: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Write the mail (PENDING) and one claim per ticket, all or nothing."""
        mail = notify.new_ticket_mail(group)
        ident = mail_id(group)
        expires = int(time.time() + self.settings.claim_ttl_hours * 3600)
        item = {
            "pk": MAIL_PREFIX + ident,
            "entity": ENTITY,
            "state": PENDING,
            "subject": mail.subject,
            "message": mail.message,
            "tickets": [str(t["id"]) for t in group],
            "expiresAt": expires,
        }
        claims = [
            {"pk": CLAIM_PREFIX + str(t["id"]), "entity": ENTITY, "mail": ident, "expiresAt": expires}
            for t in group
        ]
        self.ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": dynamo_json.serialize_item(i),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for i in (item, *claims)
            ]
        )
        return item

    def _send(self, item: Mapping[str, Any]) -> None:
        mail = notify.StaffMail(str(item["subject"]), str(item["message"]))
        message_id = notify.send(mail, self.settings.calls)
        try:
            self.ddb.update_item(
                TableName=self.table,
                Key={"pk": {"S": str(item["pk"])}},
                UpdateExpression="SET #state = :sent, messageId = :id",
                ConditionExpression="#state = :pending",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":sent": {"S": SENT},
                    ":pending": {"S": PENDING},
                    ":id": {"S": message_id},
                },
            )
        except ClientError as exc:
            # Already SENT: an earlier invocation got there first (locally, the timed-out one).
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
