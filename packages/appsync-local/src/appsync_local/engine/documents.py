"""Documents, checked once each: parse, bound, validate; off the event loop; cached, valid or not.

    cache = DocumentCache(schema, settings)
    cache.cached(query)                         # DocumentNode | errors | None (not checked yet)
    cache.check(query)                          # DocumentNode | errors; raises DocumentError (→ 400)
    await cache.in_worker(fn, *args)            # fn(*args) in a worker thread

Clients send the same few documents over and over, so each text is checked once and the outcome
kept, invalid ones included (their errors are as costly to find again). AppSync caches parsed
documents too. Execution never mutates the AST, so one DocumentNode serves every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from graphql import DocumentNode, ExecutableDefinitionNode, FieldNode, GraphQLSchema, SelectionSetNode

from .settings import EngineSettings
from .validation import DocumentError, parse_document, validate_document

T = TypeVar("T")
Checked = DocumentNode | list[dict[str, Any]] | DocumentError


def field_count(document: DocumentNode, limit: int) -> int:
    """Field selections written in the document (fragments counted once, as written), counting up to
    `limit + 1` at most: linear in the document, and bounded by the parser's token limit."""
    count = 0
    stack: list[SelectionSetNode] = [
        d.selection_set for d in document.definitions if isinstance(d, ExecutableDefinitionNode)
    ]
    while stack and count <= limit:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                count += 1
            nested = getattr(selection, "selection_set", None)  # fields and inline fragments
            if nested is not None:
                stack.append(nested)
    return count


def too_many_fields(count: int, limit: int) -> list[dict[str, Any]]:
    # A local bound with no AppSync counterpart: AppSync bounds a document only by its 15,000 tokens
    # (and execution by resolverCountLimit), so the wording and error type are ours.
    return [
        {
            "path": None,
            "locations": None,
            "errorType": "QueryTooComplex",
            "message": (
                f"The query selects more than {limit} fields ({count} or more); the local AppSync "
                "refuses it before validation."
            ),
        }
    ]


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, settings: EngineSettings) -> None:
        self.schema = schema
        self.settings = settings
        self._entries: OrderedDict[str, Checked] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._limiter: CapacityLimiter | None = None

    def cached(self, query: Any) -> Checked | None:
        if not isinstance(query, str):
            return None
        with self._lock:
            entry = self._entries.get(query)
            if entry is not None:
                self._entries.move_to_end(query)
            return entry

    def check(self, query: Any) -> DocumentNode | list[dict[str, Any]]:
        entry = self.cached(query)
        if entry is None:
            entry = self._check(query)
            if isinstance(query, str):
                with self._lock:
                    self._entries[query] = entry
                    while len(self._entries) > self.settings.document_cache_size:
                        self._entries.popitem(last=False)
        if isinstance(entry, DocumentError):
            raise DocumentError(str(entry))
        return entry

    def _check(self, query: Any) -> Checked:
        try:
            document = parse_document(query, self.settings.max_query_tokens)
        except DocumentError as exc:
            return exc
        limit = self.settings.max_query_fields
        count = field_count(document, limit)
        if count > limit:
            return too_many_fields(count, limit)
        return validate_document(self.schema, document) or document

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in a worker thread. At most `document_workers` run at once, so a flood of
        new documents waits its turn instead of taking every thread (Lambda invocations use threads
        too); the event loop keeps serving everyone else meanwhile."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.settings.document_workers)
        return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
