"""The online fallback against a misbehaving server on 127.0.0.1: dripping bytes, huge answers,
coordinates out of range. Each lookup ends in bounded time, and nothing wrong is cached."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geomap.geocoders.cache import cache_info
from geomap.geocoders.fallback import FallbackResolver

UA = "geomap-tests/1.0 (tests@example.org)"


class _Bad(BaseHTTPRequestHandler):
    """``/search?q=drip ...``: one byte every 0.3 s; ``huge``: 5 MB; ``lon488``: longitude 488;
    anything else: a good answer at Lake Vostok."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits += 1
        q = self.path
        good = [{"lat": "-77.5", "lon": "106.0", "display_name": "Lake Vostok, Antarctica", "name": "Lake Vostok",
                 "class": "natural", "type": "water", "address": {}}]
        if "drip" in q:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for ch in json.dumps(good).encode():
                    self.wfile.write(bytes([ch]))
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                return
            return
        if "huge" in q:
            body = json.dumps([{**good[0], "pad": "x" * (5 * 2**20)}]).encode()
        elif "lon488" in q:
            body = json.dumps([{**good[0], "lon": "488.0", "display_name": "Nowhere"}]).encode()
        else:
            body = json.dumps(good).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


@pytest.fixture()
def bad_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    srv.daemon_threads = True
    srv.hits = 0
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _resolver(srv, cache, timeout=1.0):
    return FallbackResolver(
        service="nominatim", options={"domain": f"127.0.0.1:{srv.server_address[1]}", "scheme": "http", "proxies": {}},
        user_agent=UA, cache_path=cache, offline=False, rate=100.0, timeout=timeout, retries=3, backoff=0.01,
    )


def test_a_dripping_server_cannot_hold_a_lookup_past_its_deadline(bad_server, tmp_path):
    fb = _resolver(bad_server, tmp_path / "c.sqlite", timeout=1.0)
    t = time.monotonic()
    ans = fb.resolve("drip")
    took = time.monotonic() - t
    fb.close()
    assert ans.candidate is None and ans.failed and "timeout" in ans.reason
    assert took < 6.0  # each try <= 1 s in all, no new try after 2 s; the answer alone would take ~40 s
    assert cache_info(tmp_path / "c.sqlite")["entries"] == 0


def test_a_huge_answer_is_not_read_whole_nor_cached(bad_server, tmp_path):
    fb = _resolver(bad_server, tmp_path / "c.sqlite", timeout=5.0)
    ans = fb.resolve("huge")
    assert ans.failed and "too large" in ans.reason
    assert bad_server.hits == 1  # not retried: it would be as large again
    good = fb.resolve("Lake Vostok")  # the same adapter still works afterwards
    fb.close()
    assert good.candidate is not None and good.candidate.lat == -77.5
    assert cache_info(tmp_path / "c.sqlite")["entries"] == 1


def test_coordinates_out_of_range_are_rejected_not_wrapped(bad_server, tmp_path):
    fb = _resolver(bad_server, tmp_path / "c.sqlite")
    ans = fb.resolve("lon488")
    fb.close()
    assert ans.candidate is None and ans.failed
    assert cache_info(tmp_path / "c.sqlite")["entries"] == 0
