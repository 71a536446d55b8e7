"""The fault proxy itself: each fate does what the sync fault tests rely on."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.flaky_proxy import FaultPlan, FlakyProxy


class _Counting(BaseHTTPRequestHandler):
    hits = 0
    body = b"x" * 20000

    def do_POST(self) -> None:  # noqa: N802 - http.server's API
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture
def upstream():
    _Counting.hits = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _post(url: str, timeout: float = 5) -> requests.Response:
    return requests.post(url, data=b"hello", timeout=timeout, headers={"Connection": "close"})


@pytest.mark.parametrize("fate, reaches_server", [("refuse", False), ("drop_request", False),
                                                   ("drop_reply", True), ("cut_reply", True)])
def test_each_fault_fails_the_request_and_says_whether_the_server_saw_it(upstream, fate,
                                                                         reaches_server):
    plan = FaultPlan(**{fate: 1.0})
    with FlakyProxy("127.0.0.1", upstream.server_port, plan=plan) as proxy:
        try:
            reply = _post(proxy.url)
        except requests.RequestException:
            pass
        else:  # a reply cut inside its headers can even parse as an empty 200: clients must
            assert fate == "cut_reply" and reply.content != _Counting.body  # check the body
        assert proxy.fates[fate] == 1
    assert _Counting.hits == (1 if reaches_server else 0)


def test_ok_and_delay_forward_the_whole_reply(upstream):
    with FlakyProxy("127.0.0.1", upstream.server_port, plan=FaultPlan(delay=0.5, delay_s=0.05)) \
            as proxy:
        for _ in range(6):
            assert _post(proxy.url).content == _Counting.body
    assert _Counting.hits == 6


def test_a_delay_longer_than_the_read_timeout_times_out_after_the_server_did_the_work(upstream):
    with FlakyProxy("127.0.0.1", upstream.server_port,
                    plan=FaultPlan(delay=1.0, delay_s=2.0)) as proxy:
        with pytest.raises(requests.Timeout):
            _post(proxy.url, timeout=0.5)
    assert _Counting.hits == 1
