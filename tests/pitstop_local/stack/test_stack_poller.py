"""The stream poller against moto's real DynamoDB stream, with a stand-in publisher."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from appsync_local.poller import StreamPoller, first_failure, to_lambda_record

from pitstop_local import bootstrap, moto_server
from pitstop_local.config import api_config
from pitstop_local.event_filter import record_filter


@pytest.fixture(scope="module")
def moto() -> Iterator[moto_server.MotoProcess]:
    process = moto_server.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def table(moto: moto_server.MotoProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    ddb = bootstrap.client("dynamodb", moto.url)
    name = f"t{time.monotonic_ns()}"
    description = bootstrap.create_table(ddb, name)
    yield {"ddb": ddb, "name": name, "stream_arn": description["LatestStreamArn"], "url": moto.url}
    ddb.delete_table(TableName=name)


class Recorder:
    """A publisher stand-in: records events; fails as told."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.fail_sequences: dict[str, int] = {}  # SequenceNumber -> times left to fail
        self.raise_times = 0
        self.slow_times = 0  # this many calls take `slow_seconds` (then answer "all done")
        self.slow_seconds = 0.0
        self.running = 0
        self.most_running = 0
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> Any:
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            slow = self.slow_times > 0
            self.slow_times -= slow
        try:
            if slow:
                time.sleep(self.slow_seconds)
            return self._answer(event)
        finally:
            with self.lock:
                self.running -= 1

    def _answer(self, event: dict[str, Any]) -> Any:
        with self.lock:
            self.events.append(event)
            if self.raise_times:
                self.raise_times -= 1
                raise RuntimeError("boom")
            failures = []
            for record in event["Records"]:
                seq = record["dynamodb"]["SequenceNumber"]
                if self.fail_sequences.get(seq, 0) > 0:
                    self.fail_sequences[seq] -= 1
                    failures.append({"itemIdentifier": seq})
            return {"batchItemFailures": failures}

    def delivered_pks(self) -> list[str]:
        return [r["dynamodb"]["Keys"]["pk"]["S"] for e in self.events for r in e["Records"]]


def put(table: dict[str, Any], pk: str, entity: str = "TICKET", **attrs: Any) -> None:
    item = {"pk": {"S": pk}, "entity": {"S": entity}, **{k: {"S": str(v)} for k, v in attrs.items()}}
    table["ddb"].put_item(TableName=table["name"], Item=item)


def poller_for(table: dict[str, Any], handler: Recorder, **kwargs: Any) -> StreamPoller:
    streams = bootstrap.client("dynamodbstreams", table["url"])
    options = {"interval": 0.02, "base_backoff": 0.05, "max_backoff": 0.2, **kwargs}
    return StreamPoller(streams, table["stream_arn"], handler, **options)


def sequence_numbers(table: dict[str, Any], poller: StreamPoller) -> list[str]:
    """The stream's records so far, read beside the poller (to tell it which ones to fail)."""
    streams = bootstrap.client("dynamodbstreams", table["url"])
    records = streams.get_records(ShardIterator=poller._iterator(_first_shard(poller)))["Records"]
    return [r["dynamodb"]["SequenceNumber"] for r in records]


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_event_has_lambdas_dynamodb_streams_shape(table: dict[str, Any]) -> None:
    recorder = Recorder()
    poller = poller_for(table, recorder)
    put(table, "TICKET#1", status="SUBMITTED")
    poller.poll_once()
    (event,) = recorder.events
    (record,) = event["Records"]
    assert set(record) == {
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    }
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == table["stream_arn"]
    ddb = record["dynamodb"]
    assert ddb["Keys"] == {"pk": {"S": "TICKET#1"}}
    assert ddb["NewImage"]["status"] == {"S": "SUBMITTED"}
    assert ddb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(ddb["SequenceNumber"], str) and isinstance(ddb["SizeBytes"], int)
    assert isinstance(ddb["ApproximateCreationDateTime"], float)


def test_delivers_in_order_in_a_background_thread(table: dict[str, Any]) -> None:
    recorder = Recorder()
    poller = poller_for(table, recorder)
    poller.start()
    try:
        for i in range(5):
            put(table, f"TICKET#{i}")
        wait_for(lambda: len(recorder.delivered_pks()) == 5)
    finally:
        poller.stop()
    assert recorder.delivered_pks() == [f"TICKET#{i}" for i in range(5)]


def test_batch_item_failure_retries_from_the_first_failed_record(table: dict[str, Any]) -> None:
    recorder = Recorder()
    poller = poller_for(table, recorder)
    for i in range(4):
        put(table, f"TICKET#{i}")
    shard_seqs = sequence_numbers(table, poller)
    recorder.fail_sequences = {shard_seqs[1]: 2}
    poller.start()
    try:
        wait_for(lambda: poller.failed_invocations == 2 and not _first_shard(poller).pending)
    finally:
        poller.stop()
    batches = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in recorder.events]
    # first batch all four; then twice from record 1 on (never record 0 again, never skipping 1)
    assert batches[0] == ["TICKET#0", "TICKET#1", "TICKET#2", "TICKET#3"]
    assert batches[1] == batches[2] == ["TICKET#1", "TICKET#2", "TICKET#3"]
    assert len(batches) == 3


def test_a_raised_error_retries_with_bisected_batches_and_backoff(table: dict[str, Any]) -> None:
    recorder = Recorder()
    recorder.raise_times = 2
    poller = poller_for(table, recorder)
    for i in range(4):
        put(table, f"TICKET#{i}")
    started = time.monotonic()
    poller.start()
    try:
        wait_for(lambda: len(recorder.events) >= 3 and not _first_shard(poller).pending)
    finally:
        poller.stop()
    sizes = [len(e["Records"]) for e in recorder.events]
    assert sizes[:3] == [4, 2, 1]  # halved after each error
    assert time.monotonic() - started >= 0.05 + 0.1  # backed off twice
    delivered_after_success = recorder.delivered_pks()[4 + 2 :]
    assert delivered_after_success == [f"TICKET#{i}" for i in range(4)]  # nothing skipped, in order


def test_a_function_timeout_retries_the_whole_batch_once_the_timed_out_call_returned(
    table: dict[str, Any],
) -> None:
    """As Lambda: a timeout is a function error, so the late "all done" of the timed-out call counts
    for nothing and the batch is retried from its first record (bisected); never two calls at once."""
    recorder = Recorder()
    recorder.slow_times, recorder.slow_seconds = 1, 0.6
    poller = poller_for(table, recorder, function_timeout=0.2)
    for i in range(4):
        put(table, f"TICKET#{i}")
    poller.start()
    try:
        wait_for(lambda: len(recorder.delivered_pks()) >= 8 and not _first_shard(poller).pending)
    finally:
        poller.stop()
    assert poller.timed_out_invocations == 1 and poller.failed_invocations == 1
    batches = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in recorder.events]
    assert batches == [
        ["TICKET#0", "TICKET#1", "TICKET#2", "TICKET#3"],  # timed out
        ["TICKET#0", "TICKET#1"],  # the whole batch again, in halves
        ["TICKET#2", "TICKET#3"],
    ]
    assert recorder.most_running == 1


def test_a_record_failing_past_the_retry_attempts_is_discarded_and_the_shard_moves_on(
    table: dict[str, Any],
) -> None:
    """As the deployed mapping (retry attempts, then the on-failure queue): a poison record never blocks."""
    recorder = Recorder()
    poller = poller_for(table, recorder, retry_attempts=2)
    for i in range(3):
        put(table, f"TICKET#{i}")
    seqs = sequence_numbers(table, poller)
    recorder.fail_sequences = {seqs[1]: 99}
    poller.start()
    try:
        wait_for(lambda: poller.discarded and not _first_shard(poller).pending)
    finally:
        poller.stop()
    assert [r["dynamodb"]["SequenceNumber"] for r in poller.discarded] == [seqs[1]]
    batches = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]] for e in recorder.events]
    # the first try, then 2 retries from the poison record, then the rest without it
    assert batches == [
        ["TICKET#0", "TICKET#1", "TICKET#2"],
        ["TICKET#1", "TICKET#2"],
        ["TICKET#1", "TICKET#2"],
        ["TICKET#2"],
    ]


def test_the_mappings_filter_criteria_drop_records_unseen(table: dict[str, Any]) -> None:
    """api_config.json's publisher filters, as on the deployed mapping: ticket records only."""
    recorder = Recorder()
    poller = poller_for(table, recorder, record_filter=record_filter(api_config()["publisher"]["filters"]))
    put(table, "TICKET#1", status="SUBMITTED")
    put(table, "REF#PS-AAAAAA", entity="REF")
    put(table, "CLIENT#abc", entity="CLIENT")
    table["ddb"].delete_item(TableName=table["name"], Key={"pk": {"S": "TICKET#1"}})  # no NewImage
    put(table, "TICKET#2", status="SUBMITTED")
    while poller.poll_once():
        pass
    assert recorder.delivered_pks() == ["TICKET#1", "TICKET#2"]
    assert poller.filtered_out == 3


def test_record_filter_rules() -> None:
    assert record_filter([]) is None
    ref = {"dynamodb": {"NewImage": {"entity": {"S": ["REF"]}}}}
    either = record_filter([{"eventName": ["INSERT"]}, ref])
    assert either is not None
    assert either({"eventName": "INSERT", "dynamodb": {}})
    assert either({"eventName": "MODIFY", "dynamodb": {"NewImage": {"entity": {"S": "REF"}}}})
    assert not either({"eventName": "MODIFY", "dynamodb": {"NewImage": {"entity": {"S": "TICKET"}}}})
    with pytest.raises(ValueError, match="at most 5"):
        record_filter([{"eventName": ["INSERT"]}] * 6)
    with pytest.raises(Exception, match="must be an object or an array"):
        record_filter([{"eventName": "INSERT"}])


def test_first_failure_follows_lambdas_rules() -> None:
    batch = [{"dynamodb": {"SequenceNumber": s}} for s in ("10", "11", "12")]
    assert first_failure({"batchItemFailures": []}, batch) is None
    assert first_failure(None, batch) is None
    two = {"batchItemFailures": [{"itemIdentifier": "12"}, {"itemIdentifier": "11"}]}
    assert first_failure(two, batch) == 1
    assert first_failure({"batchItemFailures": [{"itemIdentifier": ""}]}, batch) == 0
    assert first_failure({"batchItemFailures": [{"itemIdentifier": "99"}]}, batch) == 0
    assert first_failure({"batchItemFailures": "nonsense"}, batch) == 0


def test_binary_attributes_are_base64_as_in_lambda_events() -> None:
    record = {
        "eventID": "e",
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"B": b"\x01\x02"}}, "SequenceNumber": "1", "SizeBytes": 3},
    }
    converted = to_lambda_record(record, "arn:stream", "us-east-1")
    assert converted["dynamodb"]["Keys"]["pk"]["B"] == "AQI="
    assert converted["eventSource"] == "aws:dynamodb" and converted["awsRegion"] == "us-east-1"


def _first_shard(poller: StreamPoller) -> Any:
    if not poller.shards:
        poller._refresh_shards()
    return next(iter(poller.shards.values()))
