"""The loopback simulator server: HTTP/1.1 behaviour, limits, shutdown and faults.

These tests talk to the server with raw sockets and an `h11` client, so that
they check the bytes on the wire and not a client's interpretation of them.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator

import h11
import pytest
import trustme

from transports.simulator import Fault, FaultPlan, SimulatorServer, serve, start
from transports.simulator.__main__ import main
from xms_core import HttpRequest, HttpResponse

TOKEN = "secret-token-123"
JSON = ("content-type", "application/json")


class Recorder:
    """A handler that records every request and answers a canned JSON body."""

    def __init__(self, status: int = 200, body: bytes = b'{"ok":true}') -> None:
        self.requests: list[HttpRequest] = []
        self.status = status
        self.body = body
        self.active = 0
        self.most_active = 0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        try:
            self.requests.append(request)
            if request.url.endswith("/boom"):
                raise RuntimeError("handler bug")
            time.sleep(0.001)  # widen the window in which a second caller could enter
            return HttpResponse(status=self.status, headers=[JSON], body=self.body)
        finally:
            self.active -= 1


class RawClient:
    """One TCP connection driven by an h11 client, for byte-exact checks."""

    def __init__(self, server: SimulatorServer, *, tls: ssl.SSLContext | None = None) -> None:
        sock = socket.create_connection((server.host, server.port), timeout=5)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server.host)
        self.sock = sock
        self.conn = h11.Connection(h11.CLIENT, max_incomplete_event_size=1 << 20)
        self.host = f"{server.host}:{server.port}"

    def close(self) -> None:
        self.sock.close()

    def send(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> None:
        head = [("host", self.host), *headers]
        if body and not any(k in {"content-length", "transfer-encoding"} for k, _ in head):
            head.append(("content-length", str(len(body))))
        self.sock.sendall(self.conn.send(h11.Request(method=method, target=target, headers=head)))
        if body:
            self.sock.sendall(self.conn.send(h11.Data(data=body)))
        self.sock.sendall(self.conn.send(h11.EndOfMessage()))

    def receive(self) -> tuple[h11.Response, bytes]:
        response: h11.Response | None = None
        body = bytearray()
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
                    self.conn.start_next_cycle()
                return response, bytes(body)
            else:
                raise AssertionError(event)

    def request(
        self,
        method: str = "GET",
        target: str = "/xms/v1/plan/batches",
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> tuple[h11.Response, bytes]:
        self.send(method, target, headers or [], body)
        return self.receive()

    def read_to_close(self) -> bytes:
        data = bytearray()
        while chunk := self.sock.recv(65536):
            data += chunk
        return bytes(data)


def header(response: h11.Response, name: str) -> str | None:
    wanted = name.encode()
    return next((v.decode() for k, v in response.headers if k == wanted), None)


def raw_exchange(server: SimulatorServer, data: bytes) -> bytes:
    """Send raw bytes and read everything until the server closes."""
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(data)
        received = bytearray()
        while chunk := sock.recv(65536):
            received += chunk
        return bytes(received)


def wait_for(condition: object, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)  # polls a condition met by a server thread, bounded by `timeout`
    return False


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[SimulatorServer]:
    with serve(recorder) as running:
        yield running


@pytest.fixture
def client(server: SimulatorServer) -> Iterator[RawClient]:
    raw = RawClient(server)
    yield raw
    raw.close()


# --- binding ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "", "::"])  # noqa: S104
def test_only_loopback_addresses_are_bound(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        start(Recorder(), host=host)


def test_localhost_binds_ipv4_loopback() -> None:
    with serve(Recorder(), host="localhost") as server:
        assert server.host == "127.0.0.1"
        assert server.url == f"http://127.0.0.1:{server.port}/xms"


def test_ipv6_loopback_url_has_brackets() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = start(Recorder(), host="::1")
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        assert server.url == f"http://[::1]:{server.port}/xms"
        with socket.create_connection(("::1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /xms/x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            assert sock.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        server.stop()


# --- HTTP/1.1 ------------------------------------------------------------------------------


def test_handler_sees_method_url_headers_and_body(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    response, body = client.request(
        "POST",
        "/xms/v1/plan/batches?page=2",
        [("authorization", f"Bearer {TOKEN}"), ("content-type", "application/json")],
        b'{"to":["+46"]}',
    )
    assert response.status_code == 200
    assert body == b'{"ok":true}'
    assert header(response, "content-length") == str(len(body))
    [seen] = recorder.requests
    assert seen.method == "POST"
    assert seen.url == f"{server.url}/v1/plan/batches?page=2"
    assert seen.header("authorization") == f"Bearer {TOKEN}"
    assert seen.header("content-type") == "application/json"
    assert seen.body == b'{"to":["+46"]}'


def test_request_without_body_has_none(client: RawClient, recorder: Recorder) -> None:
    client.request("GET")
    client.request("POST", headers=[("content-length", "0")])
    assert [r.body for r in recorder.requests] == [None, b""]


def test_keep_alive_serves_many_requests_on_one_connection(
    server: SimulatorServer, client: RawClient
) -> None:
    for _ in range(5):
        response, _ = client.request()
        assert response.status_code == 200
    assert server.connections_accepted == 1
    assert server.requests_served == 5


def test_connection_close_is_honoured(server: SimulatorServer, client: RawClient) -> None:
    response, _ = client.request(headers=[("connection", "close")])
    assert header(response, "connection") == "close"
    assert client.read_to_close() == b""
    client.close()
    assert wait_for(lambda: server.open_connections == 0)


def test_chunked_request_body_is_accepted(client: RawClient, recorder: Recorder) -> None:
    client.sock.sendall(
        b"POST /xms/v1/plan/batches HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    client.conn.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    response, _ = client.receive()
    assert response.status_code == 200
    assert recorder.requests[0].body == b"hello world"


def test_expect_100_continue_is_answered(client: RawClient, recorder: Recorder) -> None:
    client.sock.sendall(
        b"POST /xms/v1/plan/batches HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n"
        b"expect: 100-continue\r\n\r\n"
    )
    assert client.sock.recv(100).startswith(b"HTTP/1.1 100 ")
    client.sock.sendall(b"{}")
    client.conn.send(h11.Request(method="POST", target="/", headers=[("host", "x")]))
    response, _ = client.receive()
    assert response.status_code == 200
    assert recorder.requests[0].body == b"{}"


def test_oversized_request_body_is_refused_with_413(recorder: Recorder) -> None:
    with serve(recorder, max_request_body=100) as server:
        declared = raw_exchange(
            server, b"POST /xms/x HTTP/1.1\r\nhost: x\r\ncontent-length: 101\r\n\r\n"
        )
        chunked = raw_exchange(
            server,
            b"POST /xms/x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
            b"65\r\n" + b"a" * 101 + b"\r\n0\r\n\r\n",
        )
    assert declared.startswith(b"HTTP/1.1 413 ")
    assert chunked.startswith(b"HTTP/1.1 413 ")
    assert recorder.requests == []


def test_malformed_request_gets_400_and_close(server: SimulatorServer, recorder: Recorder) -> None:
    answer = raw_exchange(server, b"THIS IS NOT HTTP\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"connection: close" in answer
    assert recorder.requests == []


def test_oversized_request_head_gets_431(server: SimulatorServer) -> None:
    answer = raw_exchange(server, b"GET /xms/x HTTP/1.1\r\nx-big: " + b"a" * 70000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_peer_closing_mid_request_gets_no_answer(server: SimulatorServer) -> None:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"POST /xms/x HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc")
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(100) == b""
    assert server.requests_served == 0


def test_paths_outside_the_base_path_are_404(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    assert client.request(target="/other/v1/plan")[0].status_code == 404
    assert client.request(target="/xmsfoo")[0].status_code == 404
    assert recorder.requests == []
    assert client.request(target="/xms")[0].status_code == 200


def test_handler_errors_become_500_and_the_server_goes_on(
    client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response, _ = client.request(target="/xms/boom", headers=[("authorization", TOKEN)])
    assert response.status_code == 500
    assert client.request()[0].status_code == 200
    assert "handler failed" in caplog.text
    assert TOKEN not in caplog.text


def test_handler_is_never_called_concurrently(server: SimulatorServer, recorder: Recorder) -> None:
    def hammer() -> None:
        raw = RawClient(server)
        try:
            for _ in range(10):
                assert raw.request()[0].status_code == 200
        finally:
            raw.close()

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert recorder.most_active == 1
    assert server.requests_served == 60
    assert server.connections_accepted == 6


def test_max_concurrent_connections_counts_open_connections(server: SimulatorServer) -> None:
    server.inject(FaultPlan(fault=Fault.DELAY, delay=0.3, count=4))
    clients = [RawClient(server) for _ in range(4)]
    try:
        for raw in clients:
            raw.send("GET", "/xms/x", [], b"")
        for raw in clients:
            assert raw.receive()[0].status_code == 200
    finally:
        for raw in clients:
            raw.close()
    assert server.max_concurrent_connections == 4
    assert server.connections_accepted == 4
    assert wait_for(lambda: server.open_connections == 0)


# --- lifetime ------------------------------------------------------------------------------


def test_idle_connections_are_closed_after_the_idle_timeout(recorder: Recorder) -> None:
    with serve(recorder, idle_timeout=0.2) as server:
        raw = RawClient(server)
        try:
            assert raw.request()[0].status_code == 200
            started = time.monotonic()
            assert raw.read_to_close() == b""
            assert time.monotonic() - started < 2
        finally:
            raw.close()
        assert wait_for(lambda: server.open_connections == 0)


def test_stop_closes_idle_keep_alive_connections_quickly(recorder: Recorder) -> None:
    server = start(recorder)
    clients = [RawClient(server) for _ in range(3)]
    try:
        for raw in clients:
            assert raw.request()[0].status_code == 200
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 4  # generous: a stuck stop waits 5 s or more
        for raw in clients:
            assert raw.read_to_close() == b""
        assert server.open_connections == 0
        with pytest.raises(OSError), socket.create_connection((server.host, server.port), 1):
            pass
        server.stop()  # idempotent
    finally:
        for raw in clients:
            raw.close()


def test_stop_interrupts_a_delayed_answer(recorder: Recorder) -> None:
    server = start(recorder)
    server.inject(FaultPlan(fault=Fault.DELAY, delay=30))
    raw = RawClient(server)
    try:
        raw.send("GET", "/xms/x", [], b"")
        assert wait_for(lambda: server.requests_served == 1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 4  # generous: a stuck stop waits 5 s or more
        assert raw.read_to_close() == b""
    finally:
        raw.close()


def test_stop_with_a_silent_connection_and_no_request(recorder: Recorder) -> None:
    server = start(recorder)
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        assert wait_for(lambda: server.open_connections == 1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 4  # generous: a stuck stop waits 5 s or more
        assert sock.recv(10) == b""


# --- faults --------------------------------------------------------------------------------


def test_fault_plan_validates_its_fields() -> None:
    with pytest.raises(ValueError, match="count"):
        FaultPlan(fault=Fault.DELAY, count=0)
    with pytest.raises(ValueError, match="delay"):
        FaultPlan(fault=Fault.DELAY, delay=-1)
    with pytest.raises(ValueError, match="when"):
        FaultPlan(fault=Fault.DELAY, when="later")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        FaultPlan(fault="delay")  # type: ignore[arg-type]


def test_fault_applies_count_times_to_matching_paths_only(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE, count=2, path_contains="/groups"))
    assert client.request(target="/xms/v1/plan/batches")[0].status_code == 200
    assert client.request(target="/xms/v1/plan/groups")[0].status_code == 503
    assert client.request(target="/xms/v1/plan/groups?page=1")[0].status_code == 503
    assert client.request(target="/xms/v1/plan/groups")[0].status_code == 200
    assert [r.url.rsplit("/", 1)[1] for r in recorder.requests] == ["batches", "groups"]


def test_faults_queue_in_order_and_clear(server: SimulatorServer, client: RawClient) -> None:
    server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE))
    server.inject(FaultPlan(fault=Fault.TOO_MANY_REQUESTS))
    assert client.request()[0].status_code == 503
    assert client.request()[0].status_code == 429
    server.inject(FaultPlan(fault=Fault.SERVICE_UNAVAILABLE, count=5))
    server.clear_faults()
    assert client.request()[0].status_code == 200


def test_before_fault_never_reaches_the_handler(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    server.inject(FaultPlan(fault=Fault.CLOSE_BEFORE_ANSWER))
    client.send("POST", "/xms/v1/plan/batches", [], b"{}")
    assert client.read_to_close() == b""
    assert recorder.requests == []
    assert server.requests_served == 1


def test_after_fault_reaches_the_handler_then_spoils_the_answer(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    server.inject(FaultPlan(fault=Fault.CLOSE_BEFORE_ANSWER, when="after"))
    client.send("POST", "/xms/v1/plan/batches", [], b"{}")
    assert client.read_to_close() == b""
    assert len(recorder.requests) == 1


@pytest.mark.parametrize("when", ["before", "after"])
def test_close_mid_headers_cuts_the_status_line(server: SimulatorServer, when: str) -> None:
    server.inject(FaultPlan(fault=Fault.CLOSE_MID_HEADERS, when=when))  # type: ignore[arg-type]
    answer = raw_exchange(server, b"GET /xms/x HTTP/1.1\r\nhost: x\r\n\r\n")
    assert answer == b"HTTP/1.1 2"


@pytest.mark.parametrize("when", ["before", "after"])
def test_close_mid_body_sends_fewer_bytes_than_declared(
    server: SimulatorServer, recorder: Recorder, when: str
) -> None:
    server.inject(FaultPlan(fault=Fault.CLOSE_MID_BODY, when=when))  # type: ignore[arg-type]
    answer = raw_exchange(server, b"GET /xms/x HTTP/1.1\r\nhost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    declared = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
    assert 0 < len(body) < declared
    if when == "after":
        assert body == recorder.body[: len(recorder.body) // 2]


def test_truncated_chunked_never_sends_the_last_chunk(server: SimulatorServer) -> None:
    server.inject(FaultPlan(fault=Fault.TRUNCATED_CHUNKED))
    answer = raw_exchange(server, b"GET /xms/x HTTP/1.1\r\nhost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head
    assert body
    assert not body.endswith(b"0\r\n\r\n")


def test_delay_before_answers_late_after_calling_the_handler(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    server.inject(FaultPlan(fault=Fault.DELAY, delay=0.2))
    started = time.monotonic()
    response, body = client.request()
    assert time.monotonic() - started >= 0.2
    assert (response.status_code, body) == (200, recorder.body)


def test_invalid_json_and_html_answers_keep_the_connection(
    server: SimulatorServer, client: RawClient
) -> None:
    server.inject(FaultPlan(fault=Fault.INVALID_JSON))
    server.inject(FaultPlan(fault=Fault.NON_JSON_CONTENT_TYPE))
    response, body = client.request()
    assert response.status_code == 200
    assert header(response, "content-type") == "application/json"
    with pytest.raises(ValueError, match="Expecting value"):
        json.loads(body)
    response, body = client.request()
    assert response.status_code == 200
    assert header(response, "content-type") == "text/html"
    assert body.startswith(b"<html>")
    assert client.request()[0].status_code == 200
    assert server.connections_accepted == 1


def test_too_many_requests_carries_retry_after(server: SimulatorServer, client: RawClient) -> None:
    server.inject(FaultPlan(fault=Fault.TOO_MANY_REQUESTS, retry_after="7"))
    response, _ = client.request()
    assert response.status_code == 429
    assert header(response, "retry-after") == "7"


def test_huge_body_is_twenty_mebibytes_of_json(server: SimulatorServer, client: RawClient) -> None:
    server.inject(FaultPlan(fault=Fault.HUGE_BODY))
    response, body = client.request()
    assert response.status_code == 200
    assert len(body) == 20 * 1024 * 1024
    assert header(response, "content-length") == str(len(body))
    assert body.startswith(b'{"padding":"xxx')
    assert body.endswith(b'xxx"}')
    assert client.request()[0].status_code == 200


def test_oversized_header_is_128_kib(
    server: SimulatorServer, client: RawClient, recorder: Recorder
) -> None:
    server.inject(FaultPlan(fault=Fault.OVERSIZED_HEADER, when="after"))
    response, body = client.request()
    assert len(header(response, "x-oversized") or "") == 128 * 1024
    assert body == recorder.body


@pytest.mark.parametrize("when", ["before", "after"])
def test_http10_answer_without_length_ends_at_close(
    server: SimulatorServer, recorder: Recorder, when: str
) -> None:
    server.inject(FaultPlan(fault=Fault.HTTP10_NO_LENGTH, when=when))  # type: ignore[arg-type]
    answer = raw_exchange(server, b"GET /xms/x HTTP/1.1\r\nhost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"content-length" not in head.lower()
    assert json.loads(body) == {"ok": True}
    assert len(recorder.requests) == 1


# --- TLS -----------------------------------------------------------------------------------


def test_tls_serves_https(recorder: Recorder) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    with serve(recorder, ssl_context=server_context) as server:
        assert server.url.startswith("https://127.0.0.1:")
        raw = RawClient(server, tls=client_context)
        try:
            assert raw.request()[0].status_code == 200
        finally:
            raw.close()
        assert recorder.requests[0].url.startswith("https://")
        # A client that refuses the certificate costs the server nothing.
        with pytest.raises(ssl.SSLCertVerificationError):
            RawClient(server, tls=ssl.create_default_context())
        raw = RawClient(server, tls=client_context)
        try:
            assert raw.request()[0].status_code == 200
        finally:
            raw.close()


# --- python -m transports.simulator --------------------------------------------------------


def run_main(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "transports.simulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_main_serves_the_simulator_until_signalled(stop_signal: signal.Signals) -> None:
    process = run_main("--port", "0", "--service-plan-id", "my-plan", "--token", TOKEN)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"XMS simulator on (http://127\.0\.0\.1:\d+/xms) \(service plan 'my-plan'\)\n", line
        )
        assert match, line
        url = match.group(1) + "/v1/my-plan/batches"
        status_ok = _get_status(url, f"Bearer {TOKEN}")
        status_bad = _get_status(url, "Bearer wrong")
        assert (status_ok, status_bad) == (200, 401)
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert TOKEN not in line + out + err


def _get_status(url: str, authorization: str) -> int:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path, headers={"authorization": authorization})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_main_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--host", "0.0.0.0"])  # noqa: S104 - the point of the test
    assert info.value.code == 2
    assert "loopback" in capsys.readouterr().err


def test_main_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port), "--token", TOKEN]) == 1
    captured = capsys.readouterr()
    assert "cannot listen" in captured.err
    assert TOKEN not in captured.out + captured.err
