"""The ticket rules: types, validation, lifecycle, history, references, ids, tokens, views.

Pure: values in, values out or a named error; no AWS import and no storage format (keys, indexes,
page tokens: store.py), so it is tested without moto.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, Required, TypedDict, cast

from . import comms, limits
from .errors import ConflictError, ValidationError

# ------------------------------------------------------------------------------------------------- types


class HistoryEntry(TypedDict, total=False):
    """One StatusChange: the status reached, when, by whom (a staff username, or SUBMITTER), and why."""

    status: Required[str]
    at: Required[str]
    by: str
    note: str
    internalNote: str  # staff only (tickets.view drops it for public callers)


class Vehicle(TypedDict, total=False):
    make: Required[str]
    model: Required[str]
    year: int
    vin: str
    licensePlate: str
    mileage: int


class Customer(TypedDict, total=False):
    name: Required[str]
    email: str
    phone: str
    notifyBy: list[str]  # comms.validate_notify_by


class CreateInput(TypedDict, total=False):
    """A validated CreateTicketInput."""

    vehicle: Required[Vehicle]
    description: Required[str]
    customer: Required[Customer]
    clientToken: str


class UpdateInput(TypedDict, total=False):
    """A validated UpdateTicketStatusInput."""

    id: Required[str]
    status: Required[str]
    note: str
    internalNote: str
    expectedVersion: int


class Ticket(TypedDict, total=False):
    """A ticket as the rules see it: the GraphQL fields (customer included) and the history count.

    `history` holds at most limits.HISTORY_MAX_ENTRIES entries, oldest first: the SUBMITTED entry,
    then the newest changes. `olderHistoryCount` (absent = 0) counts the entries between those two
    that left the ticket (see bound_history); where they are kept is the store's business.
    """

    id: Required[str]
    reference: Required[str]
    status: Required[str]
    vehicle: Required[Vehicle]
    description: Required[str]
    customer: Customer
    history: Required[list[HistoryEntry]]
    version: Required[int]
    createdAt: Required[str]
    updatedAt: Required[str]
    olderHistoryCount: int
    notifications: list[dict[str, Any]]  # the customer messages' delivery log (comms_store.settle)
    estimate: dict[str, Any]  # the latest estimate (estimates.py decides what it holds)
    photos: list[dict[str, Any]]  # the photos' metadata (photos.py decides what each holds)


# ---------------------------------------------------------------------------------------------- lifecycle

SUBMITTED = "SUBMITTED"
RECEIVED = "RECEIVED"
DIAGNOSING = "DIAGNOSING"
WAITING_FOR_PARTS = "WAITING_FOR_PARTS"
AWAITING_APPROVAL = "AWAITING_APPROVAL"
IN_REPAIR = "IN_REPAIR"
READY_FOR_PICKUP = "READY_FOR_PICKUP"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"

#: status -> the statuses that may follow it. The lifecycle is this table and nothing else:
#: COMPLETED and CANCELLED are final, nothing leads back to SUBMITTED, and every non-final status
#: may be CANCELLED. AWAITING_APPROVAL is entered only by sending an estimate (ESTIMATE_FROM below).
#: A car may bounce between diagnosing, waiting for parts and repair, and a car
#: that is ready may go back into repair (e.g. a problem found at pick-up).
TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({RECEIVED, CANCELLED}),
    RECEIVED: frozenset({DIAGNOSING, IN_REPAIR, CANCELLED}),
    DIAGNOSING: frozenset({WAITING_FOR_PARTS, IN_REPAIR, READY_FOR_PICKUP, CANCELLED}),
    WAITING_FOR_PARTS: frozenset({DIAGNOSING, IN_REPAIR, CANCELLED}),
    AWAITING_APPROVAL: frozenset({DIAGNOSING, WAITING_FOR_PARTS, IN_REPAIR, READY_FOR_PICKUP, CANCELLED}),
    IN_REPAIR: frozenset({DIAGNOSING, WAITING_FOR_PARTS, READY_FOR_PICKUP, CANCELLED}),
    READY_FOR_PICKUP: frozenset({IN_REPAIR, COMPLETED, CANCELLED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}
#: The statuses sendEstimate may start from. Sending an estimate is the only way into AWAITING_APPROVAL
#: (no row above leads to it, so a status change to it is refused); from AWAITING_APPROVAL it is a
#: revision and the status stays.
ESTIMATE_FROM: frozenset[str] = frozenset({DIAGNOSING, WAITING_FOR_PARTS, IN_REPAIR, AWAITING_APPROVAL})
STATUSES: tuple[str, ...] = tuple(TRANSITIONS)
FINAL_STATUSES: frozenset[str] = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)

SUBMITTER = "customer"  # history `by` of the submission
STAFF_ROLE = "staff"  # what public callers see as `by` of every other entry


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def predecessors(status: str) -> frozenset[str]:
    """Statuses from which `status` may be reached (used as the update's condition)."""
    return frozenset(s for s, nxt in TRANSITIONS.items() if status in nxt)


def check_transition(current: str, new: str) -> None:
    if not can_transition(current, new):
        raise ConflictError(f"status cannot change from {current} to {new}")


def now_iso() -> str:
    """AWSDateTime in UTC with milliseconds and a `Z`; fixed width, so it also sorts as text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def history_entry(
    status: str, at: str, by: str | None, note: str | None = None, internal_note: str | None = None
) -> HistoryEntry:
    entry: HistoryEntry = {"status": status, "at": at}
    if by is not None:
        entry["by"] = by
    if note is not None:
        entry["note"] = note
    if internal_note is not None:
        entry["internalNote"] = internal_note
    return entry


def bound_history(
    entries: Sequence[HistoryEntry], max_entries: int
) -> tuple[list[HistoryEntry], list[HistoryEntry]]:
    """(kept, moved out): the first entry (SUBMITTED) and the newest max_entries-1 stay, oldest first.

    So `history` still starts with SUBMITTED and ends with the current status, and a ticket's size no
    longer grows with its number of changes. Normally one entry moves out per change once the history
    is full; a ticket written before the bound existed sheds all its surplus at its next change.
    """
    if len(entries) <= max_entries:
        return list(entries), []
    cut = len(entries) - (max_entries - 1)
    return [entries[0], *entries[cut:]], list(entries[1:cut])


# A NamedTuple rather than a frozen dataclass: as immutable, at a fraction of the class-creation cost
# on import (cold start of the resolver Lambdas; bench/cold_start.py).
class Change(NamedTuple):
    """A decided status change: the state it was decided on, and the ticket as it becomes.

    `moved_out` are the history entries that leave the ticket with this change; the first of them is
    entry number `moved_out_position` (1-based, SUBMITTED is 1) of the ticket's whole history.
    """

    from_version: int
    from_status: str
    ticket: Ticket
    moved_out: tuple[HistoryEntry, ...]
    moved_out_position: int


def decide_status_change(
    ticket: Ticket,
    status: str,
    by: str | None,
    note: str | None,
    expected_version: int | None,
    at: str,
    internal_note: str | None = None,
) -> Change:
    """The status change of `ticket`, or ConflictError (stale expectedVersion, forbidden transition)."""
    version = int(ticket["version"])
    if expected_version is not None and expected_version != version:
        raise ConflictError(f"ticket has version {version}, not expectedVersion {expected_version}")
    check_transition(ticket["status"], status)
    entries = [*ticket["history"], history_entry(status, at, by, note, internal_note)]
    kept, moved_out = bound_history(entries, limits.HISTORY_MAX_ENTRIES)
    older = int(ticket.get("olderHistoryCount", 0))
    after: Ticket = {**ticket, "status": status, "history": kept, "version": version + 1, "updatedAt": at}
    if moved_out:
        after["olderHistoryCount"] = older + len(moved_out)
    return Change(
        from_version=version,
        from_status=ticket["status"],
        ticket=after,
        moved_out=tuple(moved_out),
        moved_out_position=older + 2,
    )


# ----------------------------------------------------------------------------------------- ids and codes

REFERENCE_PREFIX = "PS-"
#: Digits and capitals without the look-alikes 0/O, 1/I/L: 31 symbols, 31**6 ≈ 8.9e8 codes.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
# The validation patterns below are strings, compiled on first use by re's own cache: only the paths
# that validate input need them, not the resolver Lambdas' import (cold start; bench/cold_start.py).
_REFERENCE_RE = f"^{REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}}$"
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_reference() -> str:
    return REFERENCE_PREFIX + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def normalize_reference(value: Any) -> str:
    """Accept what a person reads out on the phone: any case, spaces, with or without `PS-`."""
    if not isinstance(value, str):
        raise ValidationError("reference is required")
    text = re.sub(r"[\s-]", "", value).upper()
    if len(text) == len(REFERENCE_PREFIX) - 1 + REFERENCE_LENGTH and text.startswith("PS"):
        text = text[2:]  # only then: a bare code may itself begin with "PS" (e.g. PS2345)
    reference = REFERENCE_PREFIX + text
    if not re.match(_REFERENCE_RE, reference):
        raise ValidationError("reference must look like PS-7K2P9Q")
    return reference


def new_ticket_id() -> str:
    """144 random bits, URL-safe (24 characters)."""
    return secrets.token_urlsafe(18)


def is_ticket_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID_RE.match(value))


# ------------------------------------------------------------------------------------------------ tokens

_TRACKING_TOKEN_PREFIX = "pitstop-tracking-token:v1:"  # noqa: S105 (a domain separator, not a secret)


def new_tracking_token(client_token: str | None) -> str:
    """The ticket's tracking token; only its sha256 is stored.

    Without a clientToken it is 256 random bits. With one it is derived from it,
    base64url(sha256("pitstop-tracking-token:v1:" + clientToken)), so a retried create (which finds
    the ticket its first attempt made) can return the very same token although the server kept only
    its hash. The clientToken is therefore as secret as the tracking token: clients must generate it
    randomly (e.g. crypto.randomUUID()) and never show it; knowing it already lets a caller replay the
    create and receive the token, so deriving adds no new exposure.
    """
    if client_token is None:
        return secrets.token_urlsafe(32)
    digest = hashlib.sha256((_TRACKING_TOKEN_PREFIX + client_token).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: Any, token_hash: str | None) -> bool:
    """Constant-time check of a presented tracking token against the stored hash."""
    if not isinstance(token, str) or not token or not token_hash or len(token) > 256:
        return False
    return hmac.compare_digest(hash_token(token).encode(), token_hash.encode())


def client_token_key(client_token: str) -> str:
    """sha256 hex of the clientToken: the CLIENT item key (the raw token is never stored)."""
    return hashlib.sha256(client_token.encode()).hexdigest()


def input_hash(ticket_input: Mapping[str, Any]) -> str:
    """Fingerprint of a normalised create input without its clientToken (same token, other input?)."""
    data = {k: v for k, v in ticket_input.items() if k != "clientToken"}
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# -------------------------------------------------------------------------------------------- validation

MAX_MAKE = 50
MAX_MODEL = 60
MAX_PLATE = 16
MAX_DESCRIPTION = 4000
MAX_NAME = 100
MAX_EMAIL = 254
MIN_YEAR = 1886  # the first automobile
MAX_MILEAGE = 2_000_000

# Validation patterns: compiled on first use (re's cache), not at import (cold start, as above).
_CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_EMAIL_RE = (
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_CLIENT_TOKEN_RE = r"^[A-Za-z0-9_-]{16,128}$"  # noqa: S105 (a pattern, not a secret)
_PLATE_RE = r"^[A-Za-z0-9][A-Za-z0-9 .-]*$"


def _text(value: Any, path: str, max_len: int, *, required: bool, multiline: bool = False) -> str | None:
    """A trimmed string without control characters; optional empty strings count as absent."""
    if value is None:
        if required:
            raise ValidationError(f"{path} is required")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{path} must be a string")
    # Lazy: the unicode database is only needed to normalise text (cold start; bench/cold_start.py).
    import unicodedata

    text = unicodedata.normalize("NFC", value).strip()
    if not text:
        if required:
            raise ValidationError(f"{path} must not be empty")
        return None
    if len(text) > max_len:
        raise ValidationError(f"{path} must be at most {max_len} characters")
    if re.search(_CONTROL_RE, text) or (not multiline and re.search(r"[\n\r\t]", text)):
        raise ValidationError(f"{path} must not contain control characters")
    return text


def _int(value: Any, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{path} must be an integer")
    if not low <= value <= high:
        raise ValidationError(f"{path} must be between {low} and {high}")
    return value


# VIN check digit, ISO 3779 / 49 CFR 565: letters map to values, positions carry weights, sum mod 11.
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN17_RE = r"^[A-HJ-NPR-Z0-9]{17}$"
_VIN_OLD_RE = r"^[A-Z0-9]{5,16}$"


def vin_check_digit(vin: str) -> str:
    """The check digit (position 9) a 17-character VIN must carry: '0'..'9' or 'X' for 10."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def validate_vin(value: Any, path: str = "vehicle.vin") -> str | None:
    """A VIN, upper-cased.

    17-character VINs (every car since 1981) must use no I, O or Q and carry a valid ISO 3779 check
    digit in position 9. Strictly, the check digit is mandatory only in North America; European and
    other VINs may put anything there. We require it for all 17-character VINs (the issue asks so):
    the shop mostly sees North American VINs, and a typo is far more likely than a foreign VIN with
    an invalid digit. Older (pre-1981) VINs, 5..16 letters and digits, are accepted without a check.
    """
    text = _text(value, path, 17, required=False)
    if text is None:
        return None
    vin = text.upper()
    if len(vin) == 17:
        if not re.match(_VIN17_RE, vin):
            raise ValidationError(f"{path} must contain only digits and letters except I, O and Q")
        if vin[8] != vin_check_digit(vin):
            raise ValidationError(f"{path} has an invalid check digit")
        return vin
    if not re.match(_VIN_OLD_RE, vin):
        raise ValidationError(f"{path} must be 17 letters and digits (older vehicles: 5 to 16)")
    return vin


def validate_email(value: Any, path: str = "customer.email") -> str | None:
    text = _text(value, path, MAX_EMAIL, required=False)
    if text is None:
        return None
    if not re.match(_EMAIL_RE, text):
        raise ValidationError(f"{path} must be an e-mail address like name@example.com")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalize_phone(value: Any, path: str = "customer.phone") -> str | None:
    """E.164 (`+` and 8..15 digits), the form AppSync's AWSPhone accepts and returns.

    Spaces, dots, hyphens and parentheses are dropped; a leading `00` means `+`; a number without a
    country code is read as North American (as AWSPhone does) and must then be a valid NANP number.
    """
    text = _text(value, path, 32, required=False)
    if text is None:
        return None
    compact = re.sub(r"[\s().-]", "", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        digits = compact[1:]
    elif len(compact) == 10:
        digits = "1" + compact
    elif len(compact) == 11 and compact.startswith("1"):
        digits = compact
    else:
        raise ValidationError(f"{path} must be a phone number with country code, like +1 415 555 0123")
    if not digits.isascii() or not digits.isdigit() or not 8 <= len(digits) <= 15 or digits[0] == "0":
        raise ValidationError(f"{path} must be a phone number with country code, like +1 415 555 0123")
    if digits[0] == "1" and (len(digits) != 11 or digits[1] in "01" or digits[4] in "01"):
        raise ValidationError(f"{path} is not a valid North American number")
    return "+" + digits


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        raise ValidationError(f"{path} is required")
    if not isinstance(value, Mapping):
        raise ValidationError(f"{path} must be an object")
    return value


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def validate_vehicle(value: Any, path: str = "vehicle") -> Vehicle:
    raw = _mapping(value, path)
    next_year = datetime.now(UTC).year + 1
    plate = _text(raw.get("licensePlate"), f"{path}.licensePlate", MAX_PLATE, required=False)
    if plate is not None and not re.match(_PLATE_RE, plate):
        raise ValidationError(f"{path}.licensePlate may hold only letters, digits, spaces, dots and hyphens")
    vehicle = _drop_none(
        {
            "make": _text(raw.get("make"), f"{path}.make", MAX_MAKE, required=True),
            "model": _text(raw.get("model"), f"{path}.model", MAX_MODEL, required=True),
            "year": _int(raw.get("year"), f"{path}.year", MIN_YEAR, next_year),
            "vin": validate_vin(raw.get("vin"), f"{path}.vin"),
            "licensePlate": plate.upper() if plate else None,
            "mileage": _int(raw.get("mileage"), f"{path}.mileage", 0, MAX_MILEAGE),
        }
    )
    return cast(Vehicle, vehicle)


def validate_customer(
    value: Any, path: str = "customer", *, channels: Sequence[str] = comms.CHANNELS
) -> Customer:
    raw = _mapping(value, path)
    customer = _drop_none(
        {
            "name": _text(raw.get("name"), f"{path}.name", MAX_NAME, required=True),
            "email": validate_email(raw.get("email"), f"{path}.email"),
            "phone": normalize_phone(raw.get("phone"), f"{path}.phone"),
        }
    )
    if "email" not in customer and "phone" not in customer:
        raise ValidationError(f"{path} needs an email or a phone")
    customer["notifyBy"] = comms.validate_notify_by(
        raw.get("notifyBy"), customer, f"{path}.notifyBy", offered=channels
    )
    return cast(Customer, customer)


def validate_client_token(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.match(_CLIENT_TOKEN_RE, value):
        raise ValidationError("clientToken must be 16 to 128 characters of A-Z, a-z, 0-9, _ and -")
    return value


def validate_create_input(value: Any, *, channels: Sequence[str] = comms.CHANNELS) -> CreateInput:
    """CreateTicketInput -> normalised (vehicle, description, customer, clientToken?); `channels` are
    the ones the stage offers (comms.offered_channels)."""
    raw = _mapping(value, "input")
    data = _drop_none(
        {
            "vehicle": validate_vehicle(raw.get("vehicle")),
            "description": _text(
                raw.get("description"), "description", MAX_DESCRIPTION, required=True, multiline=True
            ),
            "customer": validate_customer(raw.get("customer"), channels=channels),
            "clientToken": validate_client_token(raw.get("clientToken")),
        }
    )
    return cast(CreateInput, data)


def validate_status(value: Any, path: str = "status") -> str:
    if not isinstance(value, str) or value not in TRANSITIONS:
        raise ValidationError(f"{path} must be one of {', '.join(STATUSES)}")
    return str(value)


def validate_update_input(value: Any) -> UpdateInput:
    """UpdateTicketStatusInput -> {id, status, note?, internalNote?, expectedVersion?}."""
    raw = _mapping(value, "input")
    ticket_id = raw.get("id")
    if not isinstance(ticket_id, str) or not ticket_id.strip():
        raise ValidationError("id is required")
    data = _drop_none(
        {
            "id": ticket_id.strip(),
            "status": validate_status(raw.get("status")),
            "note": _text(raw.get("note"), "note", limits.NOTE_MAX_LENGTH, required=False, multiline=True),
            "internalNote": _text(
                raw.get("internalNote"),
                "internalNote",
                limits.NOTE_MAX_LENGTH,
                required=False,
                multiline=True,
            ),
            "expectedVersion": _int(raw.get("expectedVersion"), "expectedVersion", 1, 2**31 - 1),
        }
    )
    return cast(UpdateInput, data)


def new_ticket(data: CreateInput, ticket_id: str, reference: str, at: str) -> Ticket:
    """The public attributes of a just-submitted ticket."""
    return {
        "id": ticket_id,
        "reference": reference,
        "status": SUBMITTED,
        "vehicle": Vehicle(**data["vehicle"]),
        "description": data["description"],
        "customer": Customer(**data["customer"]),
        "history": [history_entry(SUBMITTED, at, SUBMITTER)],
        "version": 1,
        "createdAt": at,
        "updatedAt": at,
    }


# -------------------------------------------------------------------------------------------- pagination

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def validate_limit(value: Any) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    return value


# ---------------------------------------------------------------------------------------------- views

PUBLIC_FIELDS = (
    "id",
    "reference",
    "status",
    "vehicle",
    "description",
    "history",
    "version",
    "createdAt",
    "updatedAt",
)


def public_entry(entry: HistoryEntry) -> HistoryEntry:
    """A history entry for a public caller: `by` is a role word, never a staff identity. The internal
    note stays: the published payload carries it like `customer`, and the schema's field-level
    directive (staff, IAM) keeps it from API-key callers; a query's public view drops it (view)."""
    out = HistoryEntry(**entry)
    out["by"] = SUBMITTER if entry.get("by") == SUBMITTER else STAFF_ROLE
    return out


def view(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    """What a caller may see: the public fields, plus `customer` and who made each change for staff only.

    Public callers see `by` as "customer" (the submission) or "staff" (every change staff made): staff
    usernames are Cognito identities, which a customer has no business knowing.
    """
    fields: Mapping[str, object] = ticket
    out: dict[str, Any] = {k: fields[k] for k in PUBLIC_FIELDS if k in fields}
    if staff:
        if "customer" in ticket:
            out["customer"] = {**ticket["customer"], "notifyBy": comms.notify_by(ticket["customer"])}
        out["notifications"] = list(ticket.get("notifications") or [])
    else:
        out["history"] = [
            {k: v for k, v in public_entry(e).items() if k != "internalNote"} for e in ticket["history"]
        ]
    return out
