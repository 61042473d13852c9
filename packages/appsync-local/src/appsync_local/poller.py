"""The DynamoDB stream → publisher Lambda event source mapping, locally.

Reads moto's stream with the dynamodbstreams API (describe_stream, get_shard_iterator, get_records,
following new shards, a child shard only after its parent is drained) and invokes the publisher with
the DynamoDB Streams event Lambda sends. It polls every `interval` and right away when woken
(`wake()`: the local server calls it after each GraphQL request, so a committed change is published
without waiting for the next poll). Failures are handled like an event source mapping with
ReportBatchItemFailures, BisectBatchOnFunctionError and MaximumRetryAttempts: `batchItemFailures`
→ resume from the first failed record; a raised exception → retry the batch, halved; exponential
backoff between tries (capped); records of one shard in order. A record that still fails after the
initial try and `retry_attempts` retries goes where the deployed mapping sends it, to the on-failure
destination: locally it is logged and kept in `discarded`, and the shard moves on (None = retry forever).
Records the mapping's filter criteria do not match are dropped unseen (`record_filter`, see
event_filter.py), as Lambda drops them.

Function timeout (`function_timeout`): an invocation still running after it is a function error, as
in Lambda ("Task timed out"), not a partial batch response: the batch is retried from its first
record, bisected, like a raised error. Lambda stops the timed-out instance; a thread cannot be
stopped, so locally the next invocation waits until the timed-out one has returned (one instance per
shard, as the deployed mapping with parallelization factor 1).
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

log = logging.getLogger("appsync_local.poller")

Invoke = Callable[[dict[str, Any]], Any]  # event -> the function's result (it raises on error)


class FunctionTimeout(Exception):
    """The invocation ran past the function's timeout (Lambda: "Task timed out after N seconds")."""


@dataclass
class _Shard:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    last_sequence: str | None = None
    ended: bool = False  # get_records returned no NextShardIterator: nothing more will come
    closed: bool = False  # ended and everything delivered
    failures: int = 0
    retry_at: float = 0.0
    batch_limit: int = 0


def to_lambda_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A record as boto3's get_records returns it → the record as Lambda's event carries it."""
    ddb = dict(record["dynamodb"])
    created = ddb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        ddb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    for key in ("Keys", "NewImage", "OldImage"):
        if key in ddb:
            ddb[key] = _b64_binaries(ddb[key])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", region),
        "dynamodb": ddb,
        "eventSourceARN": stream_arn,
    }


def _b64_binaries(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {k: _b64_binaries(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_b64_binaries(v) for v in value]
    return value


def first_failure(result: Any, batch: list[dict[str, Any]]) -> int | None:
    """Index of the first record to retry per the handler's partial-batch response, None = all done.

    As Lambda does: an unparseable response or an identifier that is empty or not in the batch
    fails the whole batch.
    """
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return None
    failures = result["batchItemFailures"]
    sequences = [r["dynamodb"]["SequenceNumber"] for r in batch]
    indexes: list[int] = []
    for failure in failures if isinstance(failures, list) else [None]:
        ident = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not ident or ident not in sequences:
            return 0
        indexes.append(sequences.index(ident))
    return min(indexes)


class StreamPoller:
    """Polls one table stream in a background thread and feeds the publisher."""

    def __init__(
        self,
        streams: Any,
        stream_arn: str,
        invoke: Invoke,
        *,
        region: str = "us-east-1",
        interval: float = 0.05,
        batch_size: int = 100,
        base_backoff: float = 0.1,
        max_backoff: float = 5.0,
        shard_refresh: float = 1.0,
        starting_position: str = "TRIM_HORIZON",
        retry_attempts: int | None = None,
        record_filter: Callable[[dict[str, Any]], bool] | None = None,
        function_timeout: float | None = None,
    ) -> None:
        self.streams = streams
        self.stream_arn = stream_arn
        self.invoke = invoke
        self.region = region
        self.interval = interval
        self.batch_size = batch_size
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.shard_refresh = shard_refresh
        self.starting_position = starting_position
        self.retry_attempts = retry_attempts
        self.record_filter = record_filter  # Lambda-shaped record -> deliver? (FilterCriteria)
        self.filtered_out = 0
        self.function_timeout = function_timeout  # seconds; None = wait for the function however long
        self.timed_out_invocations = 0
        self._timed_out: threading.Thread | None = None  # still running after its timeout
        self.discarded: list[dict[str, Any]] = []
        self.shards: dict[str, _Shard] = {}
        self.invocations = 0
        self.failed_invocations = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_refresh = 0.0

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="stream-poller", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Poll now (a write just committed) instead of at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.poll_once()
            except Exception as exc:  # moto unreachable for a moment, a bug: keep the mapping alive
                if self._stop.is_set():
                    return
                log.warning(
                    "stream poller: reading %s failed (%s); retrying in 1 s",
                    self.stream_arn,
                    exc,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
                busy = False
                self._stop.wait(1.0)
            if not busy:
                self._wake.wait(self.interval)
            self._wake.clear()

    # ------------------------------------------------------------------ one round

    def poll_once(self) -> bool:
        """Fetch and deliver what is available. True when there may be more right away."""
        now = time.monotonic()
        if now >= self._next_refresh:
            self._refresh_shards()
            self._next_refresh = now + self.shard_refresh
        busy = False
        for shard in list(self.shards.values()):
            if shard.closed or not self._parent_done(shard):
                continue
            if shard.retry_at > time.monotonic():
                continue
            if not shard.pending:
                if shard.ended:
                    shard.closed = True
                    continue
                self._fetch(shard)
            if shard.pending:
                busy = self._deliver(shard) or busy
        return busy

    def _parent_done(self, shard: _Shard) -> bool:
        parent = self.shards.get(shard.parent_id or "")
        return parent is None or parent.closed

    def _refresh_shards(self) -> None:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for info in description.get("Shards", []):
            shard_id = info["ShardId"]
            if shard_id not in self.shards:
                self.shards[shard_id] = _Shard(
                    shard_id=shard_id, parent_id=info.get("ParentShardId"), batch_limit=self.batch_size
                )

    def _iterator(self, shard: _Shard) -> str:
        if shard.last_sequence is not None:
            kwargs: dict[str, Any] = {
                "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                "SequenceNumber": shard.last_sequence,
            }
        else:
            kwargs = {"ShardIteratorType": self.starting_position}
        shard_ids = {"StreamArn": self.stream_arn, "ShardId": shard.shard_id}
        iterator: str = self.streams.get_shard_iterator(**shard_ids, **kwargs)["ShardIterator"]
        return iterator

    def _fetch(self, shard: _Shard) -> None:
        if shard.iterator is None:
            shard.iterator = self._iterator(shard)
        try:
            response = self.streams.get_records(ShardIterator=shard.iterator, Limit=self.batch_size)
        except self.streams.exceptions.ExpiredIteratorException:
            shard.iterator = None
            return
        records = response.get("Records", [])
        shard.iterator = response.get("NextShardIterator")
        shard.ended = shard.iterator is None
        if records:
            shard.last_sequence = records[-1]["dynamodb"]["SequenceNumber"]
            # Converted once, as they arrive: the filter, every (re)delivery and `discarded` see the
            # records as Lambda's event carries them.
            converted = [to_lambda_record(r, self.stream_arn, self.region) for r in records]
            if self.record_filter is not None:
                kept = [r for r in converted if self.record_filter(r)]
                self.filtered_out += len(converted) - len(kept)
                converted = kept
            shard.pending.extend(converted)

    def _deliver(self, shard: _Shard) -> bool:
        batch = shard.pending[: max(1, shard.batch_limit)]
        event = {"Records": list(batch)}
        self.invocations += 1
        try:
            result = self._invoke(event)
        except Exception as exc:
            self.failed_invocations += 1
            log.warning(
                "publisher failed (%s) on %d record(s) of %s; retrying the whole batch (bisecting)",
                type(exc).__name__,
                len(batch),
                shard.shard_id,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            shard.batch_limit = max(1, len(batch) // 2)
            if len(batch) == 1 and self._give_up_on_head(shard):
                return True
            self._backoff(shard)
            return False
        failed_at = first_failure(result, batch)
        if failed_at is None:
            del shard.pending[: len(batch)]
            self._succeeded(shard)
            return True
        self.failed_invocations += 1
        if failed_at > 0:
            shard.failures = 0  # progress: retries are counted per record
        del shard.pending[:failed_at]
        log.warning(
            "publisher reported %d failed record(s) of %d on %s; retrying from sequence number %s",
            len(result["batchItemFailures"]),
            len(batch),
            shard.shard_id,
            batch[failed_at]["dynamodb"]["SequenceNumber"],
        )
        if self._give_up_on_head(shard):
            return True
        self._backoff(shard)
        return False

    def _invoke(self, event: dict[str, Any]) -> Any:
        """Invoke the function; past `function_timeout` raise FunctionTimeout (the call runs on)."""
        if self.function_timeout is None:
            return self.invoke(event)
        if self._timed_out is not None:
            self._timed_out.join()  # Lambda would have stopped it: the retry gets a fresh instance
            self._timed_out = None
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["result"] = self.invoke(event)
            except Exception as exc:
                outcome["error"] = exc

        started = time.monotonic()
        thread = threading.Thread(target=run, name="stream-poller-invocation", daemon=True)
        thread.start()
        thread.join(self.function_timeout)
        if thread.is_alive():
            self._timed_out = thread
            self.timed_out_invocations += 1
            raise FunctionTimeout(f"Task timed out after {time.monotonic() - started:.2f} seconds")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]

    def _give_up_on_head(self, shard: _Shard) -> bool:
        """After the initial try and `retry_attempts` retries, drop the first pending record."""
        if self.retry_attempts is None or shard.failures < self.retry_attempts:
            return False
        record = shard.pending.pop(0)
        self.discarded.append(record)
        log.error(
            "stream record %s failed %d times; sent to the on-failure destination (kept in memory)",
            record["dynamodb"]["SequenceNumber"],
            shard.failures + 1,
        )
        self._succeeded(shard)
        return True

    def _succeeded(self, shard: _Shard) -> None:
        shard.failures = 0
        shard.retry_at = 0.0
        shard.batch_limit = self.batch_size

    def _backoff(self, shard: _Shard) -> None:
        delay = min(self.max_backoff, self.base_backoff * (2**shard.failures))
        shard.failures += 1
        shard.retry_at = time.monotonic() + delay

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and the demo seeding: True once nothing is pending (best effort)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(not s.pending for s in self.shards.values()):
                return True
            time.sleep(0.02)
        return False
