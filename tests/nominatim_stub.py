"""A small Nominatim look-alike on 127.0.0.1 for tests and benchmarks, with fault injection.

It speaks ``GET /search?q=...&format=json|jsonv2[&addressdetails=1][&limit=N][&countrycodes=..]``
and answers with a JSON list of places shaped like Nominatim's, or with a fault:

>>> stub = NominatimStub()
>>> stub.add_place("Khasan railway station", 42.43, 130.64, country_code="ru", cls="railway", type="station")
>>> with stub:
...     stub.fail_next(Fault.http(500))
...     # a geopy Nominatim(domain=stub.domain, scheme="http") now gets one HTTP 500, then the place
...     stub.domain.startswith("127.0.0.1:")
True

Every request is recorded with its arrival time (``time.time()``), so tests can
check the request rate from the server's side.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from geomap.text import normalize_name

__all__ = ["Fault", "StubRequest", "NominatimStub"]


@dataclass(frozen=True)
class Fault:
    """One server-side misbehaviour. Build with the class methods."""

    kind: str
    status: int = 200
    retry_after: str | None = None
    seconds: float = 0.0

    @classmethod
    def http(cls, status: int) -> "Fault":
        return cls("http", status=status)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1) -> "Fault":
        return cls("http", status=429, retry_after=None if retry_after is None else str(retry_after))

    @classmethod
    def hang(cls, seconds: float = 30.0) -> "Fault":
        """Accept the request and send nothing for ``seconds`` (or until the server stops)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def delay(cls, seconds: float) -> "Fault":
        """Answer normally, ``seconds`` late."""
        return cls("delay", seconds=seconds)

    @classmethod
    def malformed(cls) -> "Fault":
        return cls("malformed")

    @classmethod
    def empty(cls) -> "Fault":
        """200 with an empty body."""
        return cls("empty")

    @classmethod
    def wrong_shape(cls) -> "Fault":
        """200 with valid JSON that lacks coordinates."""
        return cls("wrong_shape")


@dataclass(frozen=True)
class StubRequest:
    time: float
    path: str
    params: dict[str, str]
    user_agent: str | None


@dataclass
class _Place:
    name: str
    lat: float
    lon: float
    country_code: str | None
    cls: str
    type: str
    display_name: str
    importance: float
    extra: dict[str, Any] = field(default_factory=dict)


class NominatimStub:
    """A threaded HTTP server speaking Nominatim's ``/search``, on a free port of 127.0.0.1.

    Parameters
    ----------
    honour_country_codes
        Filter results by ``countrycodes`` as Nominatim does. Turn off to play a
        service that ignores the bias (so the client's own check is exercised).
    """

    def __init__(self, *, honour_country_codes: bool = True) -> None:
        self.honour_country_codes = honour_country_codes
        self._places: dict[str, list[_Place]] = {}
        self._faults: deque[Fault] = deque()
        self._query_faults: dict[str, deque[Fault]] = {}
        self.always: Fault | None = None
        self.requests: list[StubRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- data and faults ----------------------------------------------------------------------
    def add_place(
        self,
        query: str,
        lat: float,
        lon: float,
        *,
        country_code: str | None = None,
        cls: str = "place",
        type: str = "city",
        name: str | None = None,
        display_name: str | None = None,
        importance: float = 0.5,
        **extra: Any,
    ) -> None:
        """Make ``query`` (matched after :func:`geomap.text.normalize_name`) return this place, after earlier ones."""
        name = name or query
        display = display_name or ", ".join(filter(None, [name, (country_code or "").upper()]))
        place = _Place(name, lat, lon, country_code, cls, type, display, importance, extra)
        self._places.setdefault(normalize_name(query), []).append(place)

    def fail_next(self, *faults: Fault, query: str | None = None) -> None:
        """Queue faults for the next requests (for any query, or only for ``query``), one per request."""
        with self._lock:
            if query is None:
                self._faults.extend(faults)
            else:
                self._query_faults.setdefault(normalize_name(query), deque()).extend(faults)

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def times(self, path: str = "/search") -> list[float]:
        """Arrival times of the requests to ``path``, in order."""
        with self._lock:
            return sorted(r.time for r in self.requests if r.path == path)

    def count(self, path: str = "/search") -> int:
        return len(self.times(path))

    # -- server ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "start() the stub first"
        return self._server.server_address[1]

    @property
    def domain(self) -> str:
        """What geopy's ``Nominatim(domain=..., scheme="http")`` needs."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.domain}"

    def start(self) -> "NominatimStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the access log
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                stub._handle(self)

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="nominatim-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> "NominatimStub":
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------------
    def _next_fault(self, key: str) -> Fault | None:
        with self._lock:
            q = self._query_faults.get(key)
            if q:
                return q.popleft()
            if self._faults:
                return self._faults.popleft()
            return self.always

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        arrived = time.time()
        parts = urlsplit(h.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self._lock:
            self.requests.append(StubRequest(arrived, parts.path, params, h.headers.get("User-Agent")))
        if parts.path not in ("/search", "/search.php"):
            return self._send(h, 404, b'{"error": "not found"}')
        key = normalize_name(params.get("q", ""))
        fault = self._next_fault(key)
        if fault is not None:
            if fault.kind == "hang":
                self._stopping.wait(fault.seconds)
                h.close_connection = True
                return
            if fault.kind == "delay":
                self._stopping.wait(fault.seconds)
            elif fault.kind == "http":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return self._send(h, fault.status, f'{{"error": "HTTP {fault.status}"}}'.encode(), headers)
            elif fault.kind == "malformed":
                return self._send(h, 200, b'[{"place_id": 1, "lat": "42.4", "lon": ')
            elif fault.kind == "empty":
                return self._send(h, 200, b"")
            elif fault.kind == "wrong_shape":
                return self._send(h, 200, b'[{"place_id": 1, "display_name": "no coordinates"}]')
        places = list(self._places.get(key, []))
        codes = {c.strip().lower() for c in params.get("countrycodes", "").split(",") if c.strip()}
        if codes and self.honour_country_codes:
            places = [p for p in places if (p.country_code or "").lower() in codes]
        limit = int(params.get("limit") or 10)
        body = [self._render(p, i, params) for i, p in enumerate(places[:limit])]
        self._send(h, 200, json.dumps(body).encode())

    @staticmethod
    def _render(p: _Place, i: int, params: dict[str, str]) -> dict[str, Any]:
        v2 = params.get("format") == "jsonv2"
        out: dict[str, Any] = {
            "place_id": 100000 + i,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright",
            "osm_type": "node",
            "osm_id": 1000 + i,
            "lat": f"{p.lat:.7f}",
            "lon": f"{p.lon:.7f}",
            ("category" if v2 else "class"): p.cls,
            "type": p.type,
            "place_rank": 16,
            "importance": p.importance,
            "addresstype": p.type,
            "name": p.name,
            "display_name": p.display_name,
            "boundingbox": [f"{p.lat - 0.01:.7f}", f"{p.lat + 0.01:.7f}", f"{p.lon - 0.01:.7f}", f"{p.lon + 0.01:.7f}"],
        }
        if params.get("addressdetails") == "1":
            address: dict[str, Any] = {p.type: p.name}
            if p.country_code:
                address["country_code"] = p.country_code.lower()
            out["address"] = address
        out.update(p.extra)
        return out

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json; charset=utf-8")
            h.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            h.close_connection = True
