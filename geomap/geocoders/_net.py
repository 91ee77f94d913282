"""Network plumbing of the online fallback: the shared rate limit, fault classification, retries.

Private: :mod:`geomap.geocoders.fallback` is the only user. Nothing here knows
about places; it only knows that a call may fail and how politely to try again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from geopy import exc as gexc

from .cache import GeocodeCache

__all__ = ["Throttle", "Failure", "classify", "call_with_retries", "adapter_factory"]

T = TypeVar("T")

# One lock per (cache file, service) in this process, shared by every resolver using them.
_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: tuple[str, str]) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class Throttle:
    """At most ``rate`` requests per second to one service, across threads and processes.

    Requests go one at a time: a request may start only ``1 / rate`` seconds
    after the previous one *finished*, so the service never sees two requests
    closer than that, whatever the network latency. The state lives in the
    cache's ``throttle`` table (``IMMEDIATE`` transactions), so processes sharing
    the cache share the limit; a per-process lock keeps this process's threads
    from polling it at once. A process killed mid-request holds the service for
    at most ``lease`` seconds. :meth:`defer` pushes the next start back for
    everyone, which is how ``Retry-After`` and back-off are shared.
    """

    def __init__(self, cache: GeocodeCache, service: str, rate: float, *, lease: float = 60.0) -> None:
        self.cache = cache
        self.service = service
        self.interval = 1.0 / rate if rate != float("inf") else 0.0
        self.lease = lease + self.interval
        self._lock = _lock_for((str(cache.path) if cache.shared else f"memory:{id(cache)}", service))

    @contextmanager
    def request(self) -> Iterator[float]:
        """Hold the service for one request; yields the seconds waited for it."""
        waited = 0.0
        with self._lock:
            while True:
                pause = self.cache.try_acquire(self.service, self.lease)
                if pause <= 0:
                    break
                time.sleep(pause)
                waited += pause
        try:
            yield waited
        finally:
            self.cache.release(self.service, self.interval)

    def defer(self, seconds: float) -> None:
        """No request to this service for ``seconds`` from now."""
        self.cache.defer(self.service, time.time() + seconds)


@dataclass(frozen=True)
class Failure:
    """Why a call failed: a short label for the reason, and how to react."""

    label: str
    retryable: bool
    retry_after: float | None = None
    #: the service refuses us as a client (bad key, blocked, quota): stop asking it
    fatal: bool = False


def _status(error: BaseException) -> int | None:
    cause = error.__cause__
    return getattr(cause, "status_code", None)


def classify(error: BaseException) -> Failure:
    """Map a geopy (or any) exception to a :class:`Failure`.

    >>> classify(gexc.GeocoderTimedOut("Service timed out")).label
    'timeout'
    >>> classify(gexc.GeocoderParseError("Could not deserialize using deserializer:\\n")).label
    'empty response'
    """
    status = _status(error)
    if isinstance(error, ResponseTooLarge):
        return Failure("response too large", False)
    if isinstance(error, gexc.GeocoderRateLimited):
        return Failure("HTTP 429", True, error.retry_after)
    if isinstance(error, gexc.GeocoderTimedOut):
        return Failure(f"HTTP {status}" if status else "timeout", True)
    if isinstance(error, gexc.GeocoderUnavailable):
        return Failure("unavailable", True)
    if isinstance(error, gexc.GeocoderParseError):
        text = str(error)
        empty = text.rstrip("\n").endswith("deserializer:") or not text.split("\n", 1)[-1].strip()
        return Failure("empty response" if empty else "malformed JSON", True)
    if isinstance(error, (gexc.GeocoderAuthenticationFailure, gexc.GeocoderInsufficientPrivileges)):
        return Failure(f"HTTP {status} (access denied)" if status else "access denied", False, fatal=True)
    if isinstance(error, gexc.GeocoderQuotaExceeded):
        return Failure(f"HTTP {status} (quota exceeded)" if status else "quota exceeded", False, fatal=True)
    if isinstance(error, gexc.GeocoderQueryError):
        return Failure(f"HTTP {status} (bad query)" if status else f"bad query ({error})", False)
    if isinstance(error, gexc.GeocoderServiceError):
        if status is not None:
            return Failure(f"HTTP {status}", status >= 500)
        return Failure("connection failed", True)
    if isinstance(error, (KeyError, IndexError, TypeError, ValueError, AttributeError)):
        # the service answered 200 with JSON of an unexpected shape
        return Failure("malformed response", True)
    return Failure(f"{type(error).__name__}", False)


@dataclass(frozen=True)
class Outcome:
    """What :func:`call_with_retries` ended with: a value, or the last failure and the tries made."""

    value: Any = None
    failure: Failure | None = None
    tries: int = 0

    @property
    def reason(self) -> str | None:
        if self.failure is None:
            return None
        tail = f" after {self.tries} tries" if self.tries > 1 else ""
        return f"service error: {self.failure.label}{tail}"


def call_with_retries(
    fn: Callable[[], T],
    *,
    throttle: Throttle,
    tries: int,
    backoff: float,
    max_wait: float,
    on_request: Callable[[], None] | None = None,
    deadline: float | None = None,
) -> Outcome:
    """Call ``fn`` (one network request) at most ``tries`` times, each holding ``throttle``.

    Between tries the service's next slot is pushed back by ``Retry-After`` when
    the service gave one, else by an exponential back-off (``backoff`` × 2^n,
    with jitter, capped at ``max_wait``). A ``Retry-After`` longer than
    ``max_wait`` ends the attempts at once rather than blocking the run. No try
    starts after ``deadline`` (a ``time.monotonic()`` value): the lookup's overall limit.
    """
    failure: Failure | None = None
    for attempt in range(1, max(1, tries) + 1):
        try:
            with throttle.request():
                if on_request is not None:
                    on_request()
                return Outcome(value=fn(), tries=attempt)
        except Exception as error:  # noqa: BLE001 - every failure is classified and reported
            failure = classify(error)
        if not failure.retryable or attempt >= tries:
            return Outcome(failure=failure, tries=attempt)
        if deadline is not None and time.monotonic() >= deadline:
            return Outcome(failure=Failure(f"{failure.label} (lookup deadline reached)", False), tries=attempt)
        if failure.retry_after is not None:
            if failure.retry_after > max_wait:
                label = f"{failure.label} (Retry-After {failure.retry_after:g} s)"
                return Outcome(failure=Failure(label, False, failure.retry_after), tries=attempt)
            throttle.defer(failure.retry_after)
        else:
            pause = min(max_wait, backoff * 2 ** (attempt - 1))
            throttle.defer(pause * random.uniform(0.8, 1.2))
    return Outcome(failure=failure, tries=max(1, tries))  # pragma: no cover - loop always returns


#: Largest answer read from a service; a longer one is a service error (a place is a few kB).
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


class ResponseTooLarge(gexc.GeocoderParseError):
    """The service sent more than :data:`MAX_RESPONSE_BYTES`; the rest was not read."""


def _bounded_adapter_class() -> type:
    from geopy.adapters import RequestsAdapter

    class BoundedRequestsAdapter(RequestsAdapter):
        """geopy's ``RequestsAdapter`` with one request per call (no transport retries), an answer
        complete within ``timeout`` seconds *in all* (a server that drips bytes cannot hold a lookup
        for longer) and at most ``max_bytes`` read."""

        def __init__(self, *, proxies: Any, ssl_context: Any, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
            super().__init__(proxies=proxies, ssl_context=ssl_context, max_retries=0)
            self.session.stream = True  # the body is read below, in bounded pieces
            self.max_bytes = max_bytes

        def _request(self, url: str, *, timeout: float, headers: Any) -> Any:
            box: dict[str, Any] = {}

            def fetch() -> None:
                try:
                    box["resp"] = self._fetch(url, timeout=timeout, headers=headers)
                except BaseException as error:  # noqa: BLE001 - handed to the caller below
                    box["error"] = error

            worker = threading.Thread(target=fetch, name="geomap-request", daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.is_alive():
                self.session.close()  # closes the socket, so the reading thread ends too
                raise gexc.GeocoderTimedOut(f"Service timed out (no complete answer within {timeout:g} s)")
            if "error" in box:
                raise box["error"]
            return box["resp"]

        def _fetch(self, url: str, *, timeout: float, headers: Any) -> Any:
            resp = RequestsAdapter._request(self, url, timeout=timeout, headers=headers)
            chunks, size = [], 0
            try:
                for chunk in resp.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise ResponseTooLarge(f"response larger than {self.max_bytes // 1024} kB; not read")
                    chunks.append(chunk)
            except ResponseTooLarge:
                resp.close()
                raise
            except Exception as error:  # noqa: BLE001 - a broken body is a failed request
                resp.close()
                raise gexc.GeocoderUnavailable(f"answer cut off ({error})") from None
            resp._content = b"".join(chunks)
            resp._content_consumed = True
            return resp

    return BoundedRequestsAdapter


def adapter_factory() -> Callable[..., Any]:
    """A geopy adapter that makes exactly one HTTP request per call (no hidden transport retries).

    geopy's default ``RequestsAdapter`` retries failed requests twice on its own,
    which would send requests past the rate limit and the retry count. The
    adapter also bounds each answer in time (``timeout`` for the whole answer,
    not per read) and in size (:data:`MAX_RESPONSE_BYTES`).
    """
    from geopy.adapters import RequestsAdapter, URLLibAdapter

    if RequestsAdapter.is_available:
        return _bounded_adapter_class()
    return URLLibAdapter
