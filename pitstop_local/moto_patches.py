"""Everything of moto's beyond its public API (mock_aws, its server), in one place, for one moto version.

The local stack and the tests use moto's internals for: the EventBridge pattern matcher (Lambda's event
filtering), its server's per-service apps, the DynamoDB shims (one lock around the backend, transactions
without whole-table copies) and pruning DynamoDB Streams shard iterators. Internals change between
releases without notice, so importing this module checks that moto is the version they were written
against and stops with a clear message otherwise (re-check each shim against the new moto's source,
then update MOTO_VERSION and requirements.txt together).
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import moto

MOTO_VERSION = "5.2.5"


class UnsupportedMotoVersion(RuntimeError):
    pass


def require_moto_version(installed: str | None = None) -> None:
    """Raise UnsupportedMotoVersion unless moto is MOTO_VERSION (`installed` defaults to moto's own)."""
    found = moto.__version__ if installed is None else installed
    if found != MOTO_VERSION:
        raise UnsupportedMotoVersion(
            f"pitstop_local/moto_patches.py reaches into moto's internals as of moto {MOTO_VERSION}, "
            f"but moto {found} is installed. Install moto=={MOTO_VERSION} (requirements.txt), or "
            "check each patch in that module against the new version and update MOTO_VERSION."
        )


require_moto_version()

from moto.dynamodb import models  # noqa: E402 - only once the version is known
from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
from moto.dynamodbstreams.models import dynamodbstreams_backends  # noqa: E402
from moto.events.models import EventPattern, EventPatternParser  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

__all__ = [
    "MOTO_VERSION",
    "DomainDispatcherApplication",
    "DynamoDBBackend",
    "MotoRequestHandler",
    "Table",
    "UnsupportedMotoVersion",
    "create_backend_app",
    "event_pattern",
    "linearize_dynamodb",
    "linearized_dynamodb_methods",
    "make_dynamodb_linearizable",
    "models",
    "prune_shard_iterators",
    "require_moto_version",
    "transactions_without_table_copies",
]


def event_pattern(pattern: str) -> Any:
    """An EventBridge pattern (JSON text), validated; `.matches_event(event)` tells whether it matches."""
    return EventPattern(pattern, EventPatternParser(pattern).parse())  # parse validates


def linearize_dynamodb(setattr_: Any = setattr) -> None:
    """Set the locked methods on DynamoDBBackend with `setattr_` (pytest's monkeypatch.setattr undoes it)."""
    for name, method in linearized_dynamodb_methods().items():
        setattr_(DynamoDBBackend, name, method)


def prune_shard_iterators(stop: threading.Event, keep: int) -> None:
    """Every 10 s until `stop`, drop all but the newest `keep` shard iterators of every streams backend."""
    while not stop.wait(10):
        for account in list(dynamodbstreams_backends.values()):
            for backend in list(account.values()):
                iterators = backend.shard_iterators
                excess = len(iterators) - keep
                if excess > 0:
                    for arn in list(iterators)[:excess]:
                        iterators.pop(arn, None)


def linearized_dynamodb_methods() -> dict[str, Any]:
    """moto's DynamoDB backend methods as they are now, each wrapped in one shared reentrant lock.

    DynamoDB is atomic per item and per transaction; moto checks conditions and writes without a
    lock, and a cancelled transaction restores a copy of the whole table taken when it started,
    erasing writes that committed meanwhile. Setting these on DynamoDBBackend serialises the calls
    (the server child does; so do the in-process resolver tests that run writers concurrently).
    """
    lock = threading.RLock()
    names = ("get_item", "put_item", "update_item", "delete_item", "query", "transact_write_items",
             "transact_get_items", "batch_write_item")  # fmt: skip
    wrapped: dict[str, Any] = {}
    for name in names:
        method = getattr(DynamoDBBackend, name, None)
        if method is None:
            continue

        def locked(*args: object, _method: Any = method, **kwargs: object) -> object:
            with lock:
                return _method(*args, **kwargs)

        wrapped[name] = functools.wraps(method)(locked)
    return wrapped


def make_dynamodb_linearizable() -> None:
    """The threaded server handles concurrent requests (the reliability tests send twenty at once):
    without this, moto would lose committed writes, which real DynamoDB never does."""
    for name, method in linearized_dynamodb_methods().items():
        setattr(DynamoDBBackend, name, method)


class _NoTableCopy:
    """Stands in for the `copy` module inside moto.dynamodb.models while a checked transaction applies:
    whole tables (the rollback backup) are not copied; anything else (e.g. an item) is, as before."""

    def __init__(self, copier: Any) -> None:
        self._copier = copier  # what moto.dynamodb.models used as `copy` until now

    def deepcopy(self, value: object, memo: Any = None) -> object:
        return value if isinstance(value, Table) else self._copier.deepcopy(value, memo)


def transactions_without_table_copies() -> None:
    """Stop moto deep-copying whole tables on every TransactWriteItems.

    moto copies each table a transaction touches (items and stream records) so that it can roll back:
    O(table) time and garbage per createTicket, which makes a long-running local stack ever slower.
    Under the lock of `make_dynamodb_linearizable`, the conditions are checked first: a failing one
    raises the very cancellation moto would (and nothing was written); when all hold, moto applies the
    writes with the copy made a no-op, as nothing is left to roll back. Anything unusual (a repeated
    key, an unknown table) takes moto's own path, copy included, so its errors stay moto's.
    """
    original = models.DynamoDBBackend.transact_write_items

    def failed_condition(backend: Any, op_type: str, op: dict[str, Any], keys: set[str]) -> Any:
        """None when the operation's condition holds, else moto's reason tuple; raises LookupError
        for anything that should take moto's own path."""
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        marker = f"{op['TableName']}|{sorted(key.items())}"
        if marker in keys:
            raise LookupError(marker)
        keys.add(marker)
        condition = op.get("ConditionExpression")
        if condition is None:
            return None
        current = backend.get_item(op["TableName"], key)
        check = models.get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        )
        if check.expr(current):
            return None
        old = None
        if current is not None and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            old = current.to_json()["Attributes"]
        return ("ConditionalCheckFailed", ConditionalCheckFailed().message, old)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        reasons: list[Any] = []
        keys: set[str] = set()
        try:
            for item in transact_items:
                (op_type, op), *rest = item.items()
                if rest or op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise LookupError(op_type)
                reasons.append(failed_condition(self, op_type, op, keys) or (None, None, None))
        except Exception:  # moto's own path reports it the way moto does
            return original(self, transact_items)
        if any(code is not None for code, _, _ in reasons):
            raise TransactionCanceledException(reasons)
        saved = models.copy
        models.copy = _NoTableCopy(saved)
        try:
            return original(self, transact_items)
        finally:
            models.copy = saved

    models.DynamoDBBackend.transact_write_items = transact_write_items
