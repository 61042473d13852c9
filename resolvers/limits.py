"""The rules' limits, read once from `limits.json` beside this module (it ships in the Lambda asset).

The numbers are declared only in that file; the CDK app, the local stack and the frontend build read
the same file. Loading checks each value this module exposes, so a bad edit fails at import (in
every test run), not in the middle of a request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

PATH = Path(__file__).with_name("limits.json")
#: Smallest sensible value per key (1 unless listed): a history holds SUBMITTED and the latest change.
_MINIMUM = {"historyMaxEntries": 2}


def load(path: Path = PATH) -> Mapping[str, int]:
    """The file's limits (keys not starting with `_`), each an integer of at least its minimum."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    limits = {k: v for k, v in raw.items() if not k.startswith("_")}
    for key, value in limits.items():
        least = _MINIMUM.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"{path.name}: {key} must be an integer of at least {least}, not {value!r}")
    return MappingProxyType(limits)


LIMITS: Mapping[str, int] = load()

#: Longest `note` of a status change, in characters (after trimming).
NOTE_MAX_LENGTH: int = LIMITS["noteMaxLength"]
#: Most history entries a ticket item holds: the SUBMITTED entry and the newest N-1 changes.
HISTORY_MAX_ENTRIES: int = LIMITS["historyMaxEntries"]
#: Most tracking links requestTrackingLink sends per ticket in any 60 minutes (a sliding window).
TRACKING_LINKS_PER_HOUR: int = LIMITS["trackingLinksPerHour"]
#: Days an issued tracking link (a token in a customer message) keeps working.
TRACKING_LINK_DAYS: int = LIMITS["trackingLinkDays"]
#: Most delivery-log entries a ticket item holds (the newest); each message's claim item keeps its own.
DELIVERY_LOG_MAX_ENTRIES: int = LIMITS["deliveryLogMaxEntries"]
