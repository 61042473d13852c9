"""The publisher's customer messages: from a committed change (or a link request) to e-mail and SMS,
each sent at most once per (ticket, event, version, channel).

For each message: claim it (a conditional put, comms_store.claim); a claim already SENT or SKIPPED
means a stream retry, and nothing is sent. Otherwise issue a new tracking link, send, and settle the
claim and the delivery log in one transaction. A failed send settles FAILED (logged once) and raises,
so the stream retries the record; a later success logs SENT. When the stream's retries are exhausted
the record goes to the on-failure queue and the log's last word on that message is FAILED. The one
window left is the provider accepting a message and the function dying before it settles: then the
retry sends it again (neither SES nor SNS SMS deduplicates), a rare duplicate rather than a lost one.

Tokens are never logged: log lines carry the ticket id, event, channel and state only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from . import aws, comms, comms_store, store, tickets

logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "pitstop"))

# Environment (the CDK app sets it from context; the local stack sets its own values)
ENV_SENDER = "CUSTOMER_MAIL_FROM"  # a verified SES identity (an address)
ENV_WORKSHOP = "WORKSHOP_NAME"
ENV_SITE = "SITE_URL"  # the tracking page's origin: links are <site>/track#id=...&token=...
ENV_SMS_SENDER_ID = "SMS_SENDER_ID"  # optional (countries that allow alphanumeric sender IDs)
ENV_SMS_ORIGINATION = "SMS_ORIGINATION_NUMBER"  # optional (a registered number, e.g. a US toll-free)
# and comms.ENV_CUSTOMER_SMS: whether this stage sends SMS at all (the resolver reads it too)
CALLS_PER_MESSAGE = 5  # claim (+ read), opt-out check, link, send, settle
CHANNEL_CALLS = CALLS_PER_MESSAGE * len(comms.CHANNELS)


@dataclass(frozen=True)
class Sender:
    """The two adapters and the settings they need."""

    limits: aws.CallLimits
    claim_ttl_seconds: float

    @property
    def workshop(self) -> str:
        return os.environ.get(ENV_WORKSHOP, "").strip() or "Pitstop"

    @property
    def site(self) -> str:
        return os.environ[ENV_SITE]

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels this stage sends on (SMS only when the stage turned it on)."""
        return comms.offered_channels(os.environ)

    def email(self, event: str, to: str, message: comms.Message) -> str:
        """SES v2 SendEmail, plain text and HTML, in the workshop's name; returns the MessageId."""
        sender = os.environ[ENV_SENDER]
        display = comms.ascii_only(self.workshop).replace('"', "")
        resp = aws.client("sesv2", self.limits).send_email(
            FromEmailAddress=f'"{display}" <{sender}>',
            Destination={"ToAddresses": [to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": message.text, "Charset": "UTF-8"},
                        "Html": {"Data": message.html, "Charset": "UTF-8"},
                    },
                }
            },
            EmailTags=[{"Name": "event", "Value": event}],
        )
        return str(resp["MessageId"])

    def opted_out(self, phone: str) -> bool:
        resp = aws.client("sns", self.limits).check_if_phone_number_is_opted_out(phoneNumber=phone)
        return bool(resp.get("isOptedOut"))

    def sms(self, event: str, to: str, text: str) -> str:
        """SNS Publish(PhoneNumber), transactional; returns the MessageId."""
        attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "event": {"DataType": "String", "StringValue": event},
        }
        sender_id = os.environ.get(ENV_SMS_SENDER_ID, "").strip()
        if sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": sender_id}
        origination = os.environ.get(ENV_SMS_ORIGINATION, "").strip()
        if origination:
            attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination}
        resp = aws.client("sns", self.limits).publish(
            PhoneNumber=to, Message=text, MessageAttributes=attributes
        )
        return str(resp["MessageId"])


def deliver(
    sender: Sender, ticket: Mapping[str, Any], event: str, version: str, channel: str, address: str
) -> str:
    """One message, at most once; returns its final state (raises after a failed send)."""
    ticket_id = str(ticket["id"])
    key = comms_store.claim_key(ticket_id, event, version, channel)
    state = comms_store.claim(key, sender.claim_ttl_seconds)
    log = {"ticketId": ticket_id, "event": event, "channel": channel}
    if state in (comms.SENT, comms.SKIPPED):
        logger.info("customer message already settled", extra={**log, "state": state})
        return state

    def entry(status: str) -> dict[str, Any]:
        return {"channel": channel, "event": event, "to": address, "status": status, "at": tickets.now_iso()}

    if channel not in sender.channels:
        # chosen while the stage offered it (or asked for by phone): this stage sends no SMS now
        comms_store.settle(key, ticket_id, comms.SKIPPED, entry(comms.SKIPPED))
        logger.info("customer message skipped: the channel is off", extra={**log, "state": comms.SKIPPED})
        return comms.SKIPPED
    if channel == comms.SMS and sender.opted_out(address):
        comms_store.settle(key, ticket_id, comms.SKIPPED, entry(comms.SKIPPED))
        logger.info("customer message skipped: the number opted out", extra={**log, "state": comms.SKIPPED})
        return comms.SKIPPED
    link = comms.tracking_link(sender.site, ticket_id, comms_store.issue_link(ticket_id))
    send: Callable[[], str]
    if channel == comms.EMAIL:
        note = comms.latest_note(ticket, str(ticket.get("status"))) if event != comms.TRACKING_LINK else None
        mail = comms.email_message(event, ticket, link, sender.workshop, note)
        send = lambda: sender.email(event, address, mail)  # noqa: E731
    else:
        text = comms.sms_text(event, ticket, link, sender.workshop)
        send = lambda: sender.sms(event, address, text)  # noqa: E731
    try:
        send()
    except Exception:
        # logged once per message: the first failure; a later success adds SENT after it
        comms_store.settle(key, ticket_id, comms.FAILED, entry(comms.FAILED), log=state != comms.FAILED)
        logger.warning("customer message failed; the stream retries it", extra={**log, "state": comms.FAILED})
        raise
    comms_store.settle(key, ticket_id, comms.SENT, entry(comms.SENT))
    logger.info("customer message sent", extra={**log, "state": comms.SENT})
    return comms.SENT


def for_change(sender: Sender, old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> int:
    """Every message one committed ticket change causes; returns how many were settled now."""
    done = 0
    customer = new.get("customer") or {}
    for event in comms.customer_events(old, new):
        for channel, address in comms.recipients(event, customer):
            deliver(sender, new, event, str(new["version"]), channel, address)
            done += 1
    return done


def for_link_request(sender: Sender, request: Mapping[str, Any]) -> int:
    """A recorded link request: a fresh link to the ticket's contact that matches, whatever the
    customer's channel choices (they asked). No ticket or no match: nothing, silently."""
    reference = str(request.get("reference", ""))
    stored = store.get_by_reference(reference) if reference else None
    if stored is None:
        return 0
    match = comms.matching_channel(str(request.get("contactHash", "")), stored.ticket.get("customer") or {})
    if match is None:
        logger.info("link request without a matching contact", extra={"ticketId": stored.ticket["id"]})
        return 0
    channel, address = match
    version = comms_store.link_request_version(request)
    deliver(sender, stored.ticket, comms.TRACKING_LINK, version, channel, address)
    return 1
