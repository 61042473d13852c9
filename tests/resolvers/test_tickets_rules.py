"""resolvers.tickets: the pure rules, with plain pytest and hypothesis (no AWS)."""

from __future__ import annotations

import base64
import json
import re
import string
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers import limits, tickets
from resolvers.errors import ConflictError, ValidationError

ALL = set(tickets.STATUSES)
AT = "2024-05-06T07:08:09.123Z"


# ---------------------------------------------------------------------------------------------- lifecycle


def test_lifecycle_table_exactly() -> None:
    assert {
        "SUBMITTED": {"RECEIVED", "CANCELLED"},
        "RECEIVED": {"DIAGNOSING", "IN_REPAIR", "CANCELLED"},
        "DIAGNOSING": {"WAITING_FOR_PARTS", "IN_REPAIR", "READY_FOR_PICKUP", "CANCELLED"},
        "WAITING_FOR_PARTS": {"DIAGNOSING", "IN_REPAIR", "CANCELLED"},
        "AWAITING_APPROVAL": {
            "DIAGNOSING",
            "WAITING_FOR_PARTS",
            "IN_REPAIR",
            "READY_FOR_PICKUP",
            "CANCELLED",
        },
        "IN_REPAIR": {"DIAGNOSING", "WAITING_FOR_PARTS", "READY_FOR_PICKUP", "CANCELLED"},
        "READY_FOR_PICKUP": {"IN_REPAIR", "COMPLETED", "CANCELLED"},
        "COMPLETED": set(),
        "CANCELLED": set(),
    } == tickets.TRANSITIONS


def test_lifecycle_matches_the_schema_enum() -> None:
    from pathlib import Path

    sdl = (Path(__file__).resolve().parents[2] / "schema.graphql").read_text()
    enum = re.search(r"enum TicketStatus \{([^}]*)\}", sdl)
    assert enum is not None and set(enum.group(1).split()) == ALL


def test_lifecycle_invariants() -> None:
    assert {"COMPLETED", "CANCELLED"} == tickets.FINAL_STATUSES
    for status, following in tickets.TRANSITIONS.items():
        assert following <= ALL
        assert "SUBMITTED" not in following, "nothing goes back to SUBMITTED"
        assert status not in following, "no change without a change"
        if status not in tickets.FINAL_STATUSES:
            assert "CANCELLED" in following
    # every status is reachable from SUBMITTED, and COMPLETED from every non-final status
    reach = {"SUBMITTED"}
    frontier = ["SUBMITTED"]
    while frontier:
        current = frontier.pop()
        # sending an estimate is the one way into AWAITING_APPROVAL (not a row of the table)
        entered = {"AWAITING_APPROVAL"} if current in tickets.ESTIMATE_FROM else set()
        for nxt in tickets.TRANSITIONS[current] | entered:
            if nxt not in reach:
                reach.add(nxt)
                frontier.append(nxt)
    assert reach == ALL


@given(st.sampled_from(tickets.STATUSES), st.sampled_from(tickets.STATUSES))
def test_transition_check_agrees_with_table(current: str, new: str) -> None:
    allowed = new in tickets.TRANSITIONS[current]
    assert tickets.can_transition(current, new) is allowed
    assert (current in tickets.predecessors(new)) is allowed
    if allowed:
        tickets.check_transition(current, new)
    else:
        with pytest.raises(ConflictError, match=f"from {current} to {new}"):
            tickets.check_transition(current, new)


def test_unknown_status_cannot_transition() -> None:
    assert not tickets.can_transition("BROKEN", "RECEIVED")
    assert tickets.predecessors("SUBMITTED") == frozenset()


def test_history_entry_and_now() -> None:
    at = tickets.now_iso()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", at)
    assert datetime.fromisoformat(at.replace("Z", "+00:00")).tzinfo is not None
    assert tickets.history_entry("RECEIVED", at, "jane", "hi") == {
        "status": "RECEIVED",
        "at": at,
        "by": "jane",
        "note": "hi",
    }
    assert tickets.history_entry("RECEIVED", at, None) == {"status": "RECEIVED", "at": at}


def test_new_ticket_starts_submitted() -> None:
    data = tickets.validate_create_input(VALID)
    ticket = tickets.new_ticket(data, "i" * 24, "PS-222222", "2024-01-01T00:00:00.000Z")
    assert ticket["status"] == "SUBMITTED" and ticket["version"] == 1
    assert ticket["history"] == [{"status": "SUBMITTED", "at": "2024-01-01T00:00:00.000Z", "by": "customer"}]
    assert "clientToken" not in ticket


# -------------------------------------------------------------------------------------------------- VIN


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # the 49 CFR 565 / Wikipedia example, check digit X
        "11111111111111111",  # all ones: the classic self-consistent test VIN
        "1HGCM82633A004352",  # Honda Accord 2003, check digit 3
    ],
)
def test_known_valid_vins(vin: str) -> None:
    assert tickets.vin_check_digit(vin) == vin[8]
    assert tickets.validate_vin(vin.lower()) == vin


def test_vin_with_wrong_check_digit() -> None:
    # Looks like a Tesla VIN, but the weighted sum is 288, 288 % 11 = 2: position 9 must be "2", not "7".
    assert tickets.vin_check_digit("5YJ3E1EA7KF317000") == "2"
    with pytest.raises(ValidationError, match=r"^vehicle.vin has an invalid check digit$"):
        tickets.validate_vin("5YJ3E1EA7KF317000")
    assert tickets.validate_vin("5YJ3E1EA2KF317000") == "5YJ3E1EA2KF317000"


@pytest.mark.parametrize("vin", ["1M8GDM9AXKP04278O", "IM8GDM9AXKP042788", "1M8GDM9AXKQ042788"])
def test_vin_rejects_i_o_q(vin: str) -> None:
    with pytest.raises(ValidationError, match="except I, O and Q"):
        tickets.validate_vin(vin)


def test_vin_other_lengths() -> None:
    assert tickets.validate_vin("  ") is None
    assert tickets.validate_vin(None) is None
    assert tickets.validate_vin("ab12345") == "AB12345"  # pre-1981
    for bad in ("AB1", "AB-12345", "1M8GDM9AXKP0427888"):
        with pytest.raises(ValidationError, match=r"^vehicle.vin "):
            tickets.validate_vin(bad)


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@given(st.text(alphabet=VIN_CHARS, min_size=16, max_size=16))
def test_any_vin_with_computed_check_digit_is_valid(chars: str) -> None:
    vin = chars[:8] + "0" + chars[8:]
    vin = vin[:8] + tickets.vin_check_digit(vin) + vin[9:]
    assert tickets.validate_vin(vin) == vin
    wrong = next(d for d in "0123456789X" if d != vin[8])
    with pytest.raises(ValidationError):
        tickets.validate_vin(vin[:8] + wrong + vin[9:])


# -------------------------------------------------------------------------------------------- references


def test_reference_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL") & set(tickets.REFERENCE_ALPHABET)
    assert len(set(tickets.REFERENCE_ALPHABET)) == len(tickets.REFERENCE_ALPHABET) == 31


def test_new_references() -> None:
    refs = {tickets.new_reference() for _ in range(2000)}
    assert len(refs) > 1990
    assert all(re.fullmatch(r"PS-[2-9A-HJKMNP-Z]{6}", r) for r in refs)


@given(st.text(alphabet=tickets.REFERENCE_ALPHABET, min_size=6, max_size=6))
def test_reference_normalisation_round_trip(code: str) -> None:
    ref = "PS-" + code
    assert tickets.normalize_reference(ref) == ref
    assert tickets.normalize_reference(f" ps {code.lower()} ") == ref
    assert tickets.normalize_reference(code) == ref


def test_a_bare_code_may_begin_with_ps() -> None:
    assert tickets.normalize_reference("PS2345") == "PS-PS2345"
    assert tickets.normalize_reference("ps-ps2345") == "PS-PS2345"


@pytest.mark.parametrize("bad", ["", "PS-", "PS-12345", "PS-OOOOOO", "PS-ABCDEFG", 7, None])
def test_reference_rejects(bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"^reference "):
        tickets.normalize_reference(bad)


# ------------------------------------------------------------------------------------------- ids, tokens


def test_ids_are_unguessable_and_url_safe() -> None:
    ids = {tickets.new_ticket_id() for _ in range(1000)}
    assert len(ids) == 1000
    for i in ids:
        assert len(i) == 24 and set(i) <= set(string.ascii_letters + string.digits + "-_")
        assert len(base64.urlsafe_b64decode(i)) * 8 >= 128
        assert tickets.is_ticket_id(i)
    assert not tickets.is_ticket_id("short") and not tickets.is_ticket_id(None)
    assert not tickets.is_ticket_id("a" * 23 + "/")


def test_random_tracking_tokens() -> None:
    a, b = tickets.new_tracking_token(None), tickets.new_tracking_token(None)
    assert a != b and len(a) >= 43
    assert tickets.token_matches(a, tickets.hash_token(a))
    assert not tickets.token_matches(b, tickets.hash_token(a))


def test_tracking_token_derived_from_client_token() -> None:
    t1 = tickets.new_tracking_token("client-token-00000001")
    assert t1 == tickets.new_tracking_token("client-token-00000001")
    assert t1 != tickets.new_tracking_token("client-token-00000002")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", t1)
    assert t1 != "client-token-00000001" and tickets.client_token_key("client-token-00000001") not in (
        t1,
        tickets.hash_token(t1),
    )


@pytest.mark.parametrize("token", [None, "", 5, "x" * 257])
def test_token_matches_rejects_junk(token: Any) -> None:
    assert not tickets.token_matches(token, tickets.hash_token("x" * 257))
    assert not tickets.token_matches("abc", None)


def test_token_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = tickets.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tickets.hmac, "compare_digest", spy)
    assert tickets.token_matches("abc", tickets.hash_token("abc"))
    assert calls


def test_input_hash_ignores_client_token_only() -> None:
    a = tickets.validate_create_input({**VALID, "clientToken": "a" * 16})
    b = tickets.validate_create_input({**VALID, "clientToken": "b" * 16})
    assert tickets.input_hash(a) == tickets.input_hash(b)
    c = tickets.validate_create_input({**VALID, "description": "Other"})
    assert tickets.input_hash(a) != tickets.input_hash(c)


# -------------------------------------------------------------------------------------------- validation

VALID: dict[str, Any] = {
    "vehicle": {"make": " Honda ", "model": "Accord", "year": 2003, "licensePlate": "7abc 123", "mileage": 0},
    "description": "  Noise.\nWhen braking.  ",
    "customer": {"name": "Zoë Example", "email": "Zoe@Example.COM"},
}


def test_valid_input_is_normalised() -> None:
    data = tickets.validate_create_input(VALID)
    assert data == {
        "vehicle": {
            "make": "Honda",
            "model": "Accord",
            "year": 2003,
            "licensePlate": "7ABC 123",
            "mileage": 0,
        },
        "description": "Noise.\nWhen braking.",
        "customer": {"name": "Zoë Example", "email": "Zoe@example.com", "notifyBy": ["EMAIL"]},
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(VALID))
    *parents, leaf = path.split(".")
    node = data
    for p in parents:
        node = node[p]
    if value is _DELETE:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return data


_DELETE = object()
NEXT_YEAR = datetime.now(UTC).year + 1


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("vehicle", _DELETE, "vehicle is required"),
        ("vehicle", "car", "vehicle must be an object"),
        ("vehicle.make", _DELETE, "vehicle.make is required"),
        ("vehicle.make", "   ", "vehicle.make must not be empty"),
        ("vehicle.make", 5, "vehicle.make must be a string"),
        ("vehicle.make", "x" * 51, "vehicle.make must be at most 50 characters"),
        ("vehicle.model", "Acc\nord", "vehicle.model must not contain control characters"),
        ("vehicle.model", "Acc\x07ord", "vehicle.model must not contain control characters"),
        ("vehicle.year", 1885, f"vehicle.year must be between 1886 and {NEXT_YEAR}"),
        ("vehicle.year", NEXT_YEAR + 1, f"vehicle.year must be between 1886 and {NEXT_YEAR}"),
        ("vehicle.year", "2003", "vehicle.year must be an integer"),
        ("vehicle.year", True, "vehicle.year must be an integer"),
        ("vehicle.mileage", -1, "vehicle.mileage must be between 0 and 2000000"),
        ("vehicle.mileage", 2_000_001, "vehicle.mileage must be between 0 and 2000000"),
        ("vehicle.licensePlate", "AB/12", "vehicle.licensePlate may hold only"),
        ("vehicle.licensePlate", "X" * 17, "vehicle.licensePlate must be at most 16"),
        ("vehicle.vin", "1M8GDM9A0KP042788", "vehicle.vin has an invalid check digit"),
        ("description", _DELETE, "description is required"),
        ("description", "\n \t", "description must not be empty"),
        ("description", "x" * 4001, "description must be at most 4000 characters"),
        ("description", "bad\x00byte", "description must not contain control characters"),
        ("customer", None, "customer is required"),
        ("customer.name", "", "customer.name must not be empty"),
        ("customer.name", "x" * 101, "customer.name must be at most 100"),
        ("customer.email", _DELETE, "customer needs an email or a phone"),
        ("customer.email", "a@b", "customer.email must be an e-mail address"),
        ("customer.email", "a b@c.com", "customer.email must be an e-mail address"),
        ("customer.email", "a@-b.com", "customer.email must be an e-mail address"),
        ("customer.email", "a" * 65 + "@b.com", "customer.email must be an e-mail address"),
        ("customer.phone", "+1 (111) 555-0123", "customer.phone is not a valid North American number"),
        ("customer.phone", "555-0123", "customer.phone must be a phone number with country code"),
        ("customer.phone", "+0 123 456 789", "customer.phone must be a phone number with country code"),
        ("customer.phone", "+49 30 1234 5678 9012 34", "customer.phone must be a phone number"),
        ("customer.phone", "+49 30 abc", "customer.phone must be a phone number"),
        ("clientToken", "too-short", "clientToken must be 16 to 128 characters"),
        ("clientToken", "x" * 129, "clientToken must be 16 to 128 characters"),
        ("clientToken", "has space in it 123", "clientToken must be 16 to 128 characters"),
        ("clientToken", 1234567890123456789, "clientToken must be 16 to 128 characters"),
    ],
)
def test_validation_messages_name_the_field(path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=f"^{re.escape(message)}"):
        tickets.validate_create_input(_with(path, value))


def test_input_must_be_an_object() -> None:
    with pytest.raises(ValidationError, match=r"^input is required$"):
        tickets.validate_create_input(None)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 415 555 0123", "+14155550123"),
        ("(415) 555-0123", "+14155550123"),
        ("1-415-555-0123", "+14155550123"),
        ("0049 30 12345678", "+493012345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49.30.1234.5678", "+493012345678"),
    ],
)
def test_phone_normalised_to_e164(raw: str, e164: str) -> None:
    assert tickets.normalize_phone(raw) == e164
    data = tickets.validate_create_input(_with("customer.phone", raw))
    assert data["customer"]["phone"] == e164


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_e164_numbers_stay_or_are_refused_as_nanp(number: str) -> None:
    try:
        out = tickets.normalize_phone(number)
    except ValidationError as exc:
        assert number.startswith("+1") and "North American" in str(exc)
    else:
        assert out == number


def test_phone_only_is_enough_and_empty_optionals_are_absent() -> None:
    data = tickets.validate_create_input(
        {
            "vehicle": {"make": "VW", "model": "Golf", "vin": "", "licensePlate": " ", "year": None},
            "description": "x",
            "customer": {"name": "A", "email": "", "phone": "+44 20 7946 0958"},
        }
    )
    assert data["vehicle"] == {"make": "VW", "model": "Golf"}
    assert data["customer"] == {"name": "A", "phone": "+442079460958", "notifyBy": []}


@given(
    st.fixed_dictionaries(
        {
            "make": st.text(min_size=0, max_size=60),
            "model": st.text(min_size=0, max_size=70),
            "year": st.one_of(st.none(), st.integers(-5000, 5000)),
            "mileage": st.one_of(st.none(), st.integers(-10, 3_000_000)),
        }
    )
)
def test_vehicle_validation_never_crashes(vehicle: dict[str, Any]) -> None:
    try:
        out = tickets.validate_vehicle(vehicle)
    except ValidationError as exc:
        assert str(exc).startswith("vehicle.")
    else:
        assert out["make"] == out["make"].strip() and 1 <= len(out["make"]) <= tickets.MAX_MAKE
        assert 1886 <= out.get("year", 1886) <= NEXT_YEAR
        assert 0 <= out.get("mileage", 0) <= tickets.MAX_MILEAGE


def test_update_input() -> None:
    assert tickets.validate_update_input({"id": " abc ", "status": "RECEIVED", "note": " ok "}) == {
        "id": "abc",
        "status": "RECEIVED",
        "note": "ok",
    }
    with pytest.raises(ValidationError, match=r"^id is required$"):
        tickets.validate_update_input({"id": " ", "status": "RECEIVED"})
    with pytest.raises(ValidationError, match=r"^status must be one of SUBMITTED, "):
        tickets.validate_update_input({"id": "a", "status": ["RECEIVED"]})


# ------------------------------------------------------------------------------------------------- paging


def test_limit() -> None:
    assert tickets.validate_limit(None) == 20
    assert tickets.validate_limit(1) == 1 and tickets.validate_limit(100) == 100
    for bad in (0, 101, "5", 2.5, False):
        with pytest.raises(ValidationError, match=r"^limit must be between 1 and 100$"):
            tickets.validate_limit(bad)


def test_view_hides_customer_and_internals() -> None:
    ticket: Any = {k: k for k in tickets.PUBLIC_FIELDS} | {
        "history": [],
        "customer": {"name": "x"},
        "tokenHash": "h",
        "pk": "p",
        "olderHistoryCount": 3,
    }
    assert set(tickets.view(ticket, staff=False)) == set(tickets.PUBLIC_FIELDS)
    assert set(tickets.view(ticket, staff=True)) == {*tickets.PUBLIC_FIELDS, "customer", "notifications"}


def test_view_drops_internal_notes_for_public_callers_only() -> None:
    ticket: Any = tickets.new_ticket(tickets.validate_create_input(VALID), "i" * 24, "PS-222222", AT)
    ticket["history"].append(tickets.history_entry("RECEIVED", AT, "jane", "public", "internal"))
    assert "internalNote" not in tickets.view(ticket, staff=False)["history"][-1]
    assert tickets.view(ticket, staff=True)["history"][-1]["internalNote"] == "internal"
    assert tickets.view(ticket, staff=True)["customer"]["notifyBy"] == ["EMAIL"]


def test_view_shows_public_callers_a_role_never_a_staff_identity() -> None:
    history = [
        tickets.history_entry("SUBMITTED", AT, tickets.SUBMITTER),
        tickets.history_entry("RECEIVED", AT, "0b9c6f1e-staff-sub", "In bay 3."),
        tickets.history_entry("CANCELLED", AT, None),
    ]
    ticket = tickets.new_ticket(tickets.validate_create_input(VALID), "i" * 24, "PS-222222", AT)
    ticket["history"] = history
    public = tickets.view(ticket, staff=False)["history"]
    assert [h["by"] for h in public] == ["customer", "staff", "staff"]
    assert "0b9c6f1e-staff-sub" not in json.dumps(public)
    assert public[1]["note"] == "In bay 3." and public[1]["status"] == "RECEIVED"
    assert tickets.view(ticket, staff=True)["history"] == history  # staff see who, unchanged
    assert ticket["history"][1]["by"] == "0b9c6f1e-staff-sub"  # the view did not change the ticket


# ---------------------------------------------------------------------------------------- limits, history


def test_limits_are_read_from_limits_json() -> None:
    declared = json.loads((Path(limits.__file__).parent / "limits.json").read_text())
    assert declared["noteMaxLength"] == limits.NOTE_MAX_LENGTH
    assert declared["historyMaxEntries"] == limits.HISTORY_MAX_ENTRIES
    assert dict(limits.LIMITS) == {k: v for k, v in declared.items() if not k.startswith("_")}
    n = limits.NOTE_MAX_LENGTH
    assert (
        tickets.validate_update_input({"id": "a", "status": "RECEIVED", "note": "x" * n})["note"] == "x" * n
    )
    with pytest.raises(ValidationError, match=rf"^note must be at most {n} characters$"):
        tickets.validate_update_input({"id": "a", "status": "RECEIVED", "note": "x" * (n + 1)})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"noteMaxLength": 0}, "noteMaxLength must be an integer of at least 1, not 0"),
        ({"noteMaxLength": "1000"}, "noteMaxLength must be an integer of at least 1, not '1000'"),
        ({"noteMaxLength": True}, "noteMaxLength must be an integer of at least 1, not True"),
        ({"historyMaxEntries": 1}, "historyMaxEntries must be an integer of at least 2, not 1"),
    ],
)
def test_limits_refuse_bad_values(tmp_path: Path, content: dict[str, Any], message: str) -> None:
    path = tmp_path / "limits.json"
    path.write_text(json.dumps({"_comment": "ignored", **content}))
    with pytest.raises(ValueError, match=re.escape(message)):
        limits.load(path)


def _entries(n: int) -> list[tickets.HistoryEntry]:
    return [tickets.history_entry(f"S{i}", AT, None) for i in range(1, n + 1)]


@given(st.integers(min_value=1, max_value=30), st.integers(min_value=2, max_value=8))
def test_bound_history_keeps_the_first_and_the_newest(count: int, most: int) -> None:
    entries = _entries(count)
    kept, moved = tickets.bound_history(entries, most)
    assert len(kept) == min(count, most)
    assert kept[0] == entries[0] and kept[-1] == entries[-1]
    assert [kept[0], *moved, *kept[1:]] == entries  # nothing lost, order kept


def test_decide_status_change_appends_and_bumps_the_version() -> None:
    ticket = tickets.new_ticket(tickets.validate_create_input(VALID), "i" * 24, "PS-222222", AT)
    change = tickets.decide_status_change(ticket, "RECEIVED", "jane", "ok", 1, "2024-05-06T08:00:00.000Z")
    assert (change.from_version, change.from_status, change.moved_out) == (1, "SUBMITTED", ())
    after = change.ticket
    assert after["status"] == "RECEIVED" and after["version"] == 2
    assert after["updatedAt"] == "2024-05-06T08:00:00.000Z" and "olderHistoryCount" not in after
    assert after["history"][-1] == {
        "status": "RECEIVED",
        "at": after["updatedAt"],
        "by": "jane",
        "note": "ok",
    }
    assert ticket["status"] == "SUBMITTED" and len(ticket["history"]) == 1  # the input is not changed
    with pytest.raises(ConflictError, match="not expectedVersion 7"):
        tickets.decide_status_change(ticket, "RECEIVED", "jane", None, 7, AT)
    with pytest.raises(ConflictError, match="from SUBMITTED to COMPLETED"):
        tickets.decide_status_change(ticket, "COMPLETED", "jane", None, None, AT)


def test_decide_status_change_bounds_the_history() -> None:
    most = limits.HISTORY_MAX_ENTRIES
    ticket = tickets.new_ticket(tickets.validate_create_input(VALID), "i" * 24, "PS-222222", AT)
    statuses = ["RECEIVED", *(["DIAGNOSING", "IN_REPAIR"] * most)]
    moved: list[tickets.HistoryEntry] = []
    for i, status in enumerate(statuses):
        change = tickets.decide_status_change(ticket, status, "jane", f"n{i}", None, AT)
        assert change.moved_out_position == 2 + len(moved)
        moved.extend(change.moved_out)
        ticket = change.ticket
        assert len(ticket["history"]) == min(i + 2, most)
        assert ticket["history"][0]["status"] == "SUBMITTED"
        assert ticket.get("olderHistoryCount", 0) == len(moved)
    assert len(moved) == len(statuses) + 1 - most
    assert [h.get("note") for h in [*moved, *ticket["history"][1:]]] == [
        f"n{i}" for i in range(len(statuses))
    ]


def test_a_full_ticket_stays_far_below_the_dynamodb_item_limit() -> None:
    """Worst case: longest description, every entry with the longest note of 4-byte characters."""
    data = tickets.validate_create_input({**VALID, "description": "\U0001f527" * tickets.MAX_DESCRIPTION})
    ticket = tickets.new_ticket(data, "i" * 24, "PS-222222", AT)
    note = "\U0001f527" * limits.NOTE_MAX_LENGTH
    ticket["history"] = [ticket["history"][0]] + [
        tickets.history_entry("IN_REPAIR", AT, "x" * 128, note) for _ in range(limits.HISTORY_MAX_ENTRIES - 1)
    ]
    size = len(json.dumps(ticket, ensure_ascii=False).encode())
    assert size < 300 * 1024, size  # DynamoDB's item limit is 400 KB; the stored item adds < 1 KB of keys
