"""What the fake resolver saw, kept in a file: the resolver runs in the engine's worker processes, the
tests read it here. Outside the fake resolver package, so a reload of the package keeps what was recorded."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, overload

VARIABLE = "ENGINE_FAKE_RECORDER"  # the fake resolver's declared environment names the file
PATH = Path(tempfile.gettempdir()) / f"engine-fake-recorder-{os.getpid()}.jsonl"


def record(event: dict[str, Any], context: Any) -> None:
    """In the worker: append the event and what the context said."""
    entry = {
        "event": event,
        "pid": os.getpid(),
        "context": {
            "function_name": context.function_name,
            "aws_request_id": context.aws_request_id,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
    }
    with open(os.environ[VARIABLE], "a", encoding="utf-8") as file:
        file.write(json.dumps(entry) + "\n")


def entries() -> list[dict[str, Any]]:
    if not PATH.exists():
        return []
    return [json.loads(line) for line in PATH.read_text(encoding="utf-8").splitlines() if line]


def clear() -> None:
    PATH.write_text("", encoding="utf-8")


def contexts() -> list[SimpleNamespace]:
    return [SimpleNamespace(**entry["context"]) for entry in entries()]


def pids() -> list[int]:
    return [int(entry["pid"]) for entry in entries()]


class Events(Sequence[dict[str, Any]]):
    """The recorded events, read afresh on every access."""

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return [entry["event"] for entry in entries()][index]

    def __len__(self) -> int:
        return len(entries())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter([entry["event"] for entry in entries()])

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]

    def clear(self) -> None:
        clear()
