"""Lambda event filtering (an event source mapping's FilterCriteria), for the local stream poller.

The patterns are api_config.json's `publisher.filters`, the very ones the CDK app puts on the
deployed mapping. Lambda uses EventBridge's pattern language for them; moto's EventBridge pattern
matcher (through pitstop_local/moto_patches.py) evaluates it here. A record is delivered when it
matches any pattern (Lambda OR-s the filters); the others are dropped without invoking the function,
as Lambda drops them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .moto_patches import event_pattern

RecordFilter = Callable[[dict[str, Any]], bool]


def record_filter(patterns: Sequence[dict[str, Any]]) -> RecordFilter | None:
    """A predicate over Lambda-shaped stream records; None when there is no filter (deliver all)."""
    if not patterns:
        return None
    if len(patterns) > 5:
        raise ValueError("an event source mapping takes at most 5 filters")
    compiled = [event_pattern(json.dumps(pattern)) for pattern in patterns]

    def matches(record: dict[str, Any]) -> bool:
        return any(p.matches_event(record) for p in compiled)

    return matches
