"""resolvers.store's storage formats (page tokens, index sort key): pure, no AWS needed."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resolvers import store
from resolvers.errors import ValidationError

AT = "2024-05-06T07:08:09.123Z"
TID = "Zq3x9VbN2mK7pLr4Tw8yHc1D"


def test_created_key_sorts_by_time_then_id() -> None:
    assert store.created_key(AT, TID) == f"{AT}#{TID}"


@pytest.mark.parametrize("status", [None, "RECEIVED"])
def test_next_token_round_trip(status: str | None) -> None:
    token = store.encode_next_token(status, AT, TID)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert store.decode_next_token(token, status) == (AT, TID)
    assert store.decode_next_token(None, status) is None


def _raw_token(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "!!!!",
        "x" * 513,
        12,
        _raw_token([1, 2]),
        _raw_token({"v": 1, "s": None, "c": AT}),
        _raw_token({"v": 1, "s": None, "c": AT, "i": TID, "extra": 1}),
        _raw_token({"v": 2, "s": None, "c": AT, "i": TID}),
        _raw_token({"v": 1, "s": "RECEIVED", "c": AT, "i": TID}),
        _raw_token({"v": 1, "s": None, "c": "yesterday", "i": TID}),
        _raw_token({"v": 1, "s": None, "c": 5, "i": TID}),
        _raw_token({"v": 1, "s": None, "c": AT, "i": "../../x"}),
        _raw_token({"v": 1, "s": None, "c": AT, "i": None}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_next_token_tampered(token: Any) -> None:
    with pytest.raises(ValidationError, match=r"^nextToken is invalid$"):
        store.decode_next_token(token, None)


@given(st.text(max_size=80))
def test_next_token_garbage_never_crashes(token: str) -> None:
    try:
        store.decode_next_token(token, None)
    except ValidationError as exc:
        assert str(exc) == "nextToken is invalid"
