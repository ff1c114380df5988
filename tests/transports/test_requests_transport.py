"""RequestsTransport against the loopback simulator server with a recording handler."""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme
import urllib3.util.connection

from transports.base import SyncTransport
from transports.requests import RequestsTransport
from transports.simulator import Fault, FaultPlan, SimulatorServer, serve
from xms_core import HttpRequest, HttpResponse
from xms_core.exceptions import (
    ConnectException,
    ConnectionLostException,
    TimeoutException,
    TlsException,
    TransportException,
)

TOKEN = "secret-token-123"
JSON = ("content-type", "application/json")
HEADERS = (
    ("authorization", f"Bearer {TOKEN}"),
    ("accept", "application/json"),
    ("user-agent", "xms-python/test"),
)


class Recorder:
    """Records requests; answers with whatever `reply` says (200 JSON by default)."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []
        self.reply = HttpResponse(status=200, headers=[JSON], body=b'{"ok":true}')

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        return self.reply


@pytest.fixture(autouse=True)
def _no_proxies_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[SimulatorServer]:
    with serve(recorder) as running:
        yield running


@pytest.fixture
def transport() -> Iterator[RequestsTransport]:
    with RequestsTransport() as subject:
        yield subject


def get(server: SimulatorServer, path: str = "/v1/plan/batches") -> HttpRequest:
    return HttpRequest(method="GET", url=server.url + path, headers=HEADERS)


def post(server: SimulatorServer, body: bytes = b'{"to":["+4670"]}') -> HttpRequest:
    return HttpRequest(
        method="POST", url=server.url + "/v1/plan/batches", headers=[*HEADERS, JSON], body=body
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_it_is_a_sync_transport(transport: RequestsTransport) -> None:
    assert isinstance(transport, SyncTransport)


def test_request_goes_out_exactly_as_given(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    request = HttpRequest(
        method="PUT",
        url=server.url + "/v1/plan/groups/g%2F1?page=0&tags=a%2Cb",
        headers=[*HEADERS, JSON, ("x-twice", "1"), ("x-twice", "2")],
        body=b'{"name":"\xc3\xa5"}',
    )
    transport.handle_request(request, timeout=5)
    [seen] = recorder.requests
    assert seen.method == "PUT"
    assert seen.url == request.url
    assert seen.body == request.body
    # Only what HTTP itself needs is added (the transport contract): host and framing.
    # A repeated header travels as repeated lines, in order, never merged.
    added = {
        "host": f"127.0.0.1:{server.port}",
        "content-length": str(len(request.body or b"")),
    }
    expected = [*HEADERS, JSON, ("x-twice", "1"), ("x-twice", "2")]
    assert sorted(seen.headers) == sorted([*expected, *added.items()])
    assert [v for k, v in seen.headers if k == "x-twice"] == ["1", "2"]


def test_no_user_agent_is_invented(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    transport.handle_request(HttpRequest(method="GET", url=server.url + "/v1/x"), timeout=5)
    assert [name for name, _ in recorder.requests[0].headers] == ["host"]


def test_a_netrc_never_replaces_the_authorization(
    server: SimulatorServer,
    transport: RequestsTransport,
    recorder: Recorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other\n")
    monkeypatch.setenv("NETRC", str(netrc))
    transport.handle_request(get(server), timeout=5)
    assert recorder.requests[0].header("authorization") == f"Bearer {TOKEN}"


def test_a_given_session_is_used_but_its_headers_are_not_sent(
    server: SimulatorServer, recorder: Recorder
) -> None:
    session = requests.Session()
    session.headers["x-session"] = "1"
    try:
        transport = RequestsTransport(session=session)
        transport.handle_request(get(server), timeout=5)
        transport.close()
        assert recorder.requests[0].header("x-session") is None
        assert recorder.requests[0].header("user-agent") == "xms-python/test"
        # The caller's session stays open: the caller owns it.
        session.get(server.url + "/x", timeout=5).close()
        assert len(recorder.requests) == 2
    finally:
        session.close()


def test_cookies_are_never_kept_nor_sent(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    recorder.reply = HttpResponse(status=200, headers=[("set-cookie", "session=abc; Path=/")])
    transport.handle_request(get(server), timeout=5)
    transport.handle_request(get(server), timeout=5)
    assert recorder.requests[1].header("cookie") is None


@pytest.mark.parametrize("status", [200, 201, 204, 302, 400, 401, 404, 429, 500, 503])
def test_every_status_comes_back_as_is(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder, status: int
) -> None:
    body = b"" if status == 204 else b'{"status":%d}' % status
    recorder.reply = HttpResponse(
        status=status, headers=[JSON, ("location", server.url + "/elsewhere")], body=body
    )
    response = transport.handle_request(post(server), timeout=5)
    assert response.status == status
    assert response.body == body
    assert response.header("location") == server.url + "/elsewhere"
    assert len(recorder.requests) == 1  # a 302 is not followed


def test_repeated_response_headers_are_kept_apart(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    recorder.reply = HttpResponse(status=200, headers=[("x-dup", "a"), ("x-dup", "b")])
    response = transport.handle_request(get(server), timeout=5)
    assert [v for k, v in response.headers if k == "x-dup"] == ["a", "b"]


def test_keep_alive_reuses_one_connection(
    server: SimulatorServer, transport: RequestsTransport
) -> None:
    for _ in range(10):
        assert transport.handle_request(get(server), timeout=5).status == 200
    assert server.connections_accepted == 1
    assert server.requests_served == 10


def test_concurrent_callers_get_concurrent_connections(
    server: SimulatorServer, transport: RequestsTransport
) -> None:
    server.inject(FaultPlan(fault=Fault.DELAY, delay=0.2, count=3))
    statuses: list[int] = []

    def call() -> None:
        statuses.append(transport.handle_request(get(server), timeout=5).status)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200, 200]
    assert server.max_concurrent_connections == 3


# --- failures ------------------------------------------------------------------------------


def test_refused_connection_is_a_connect_exception(transport: RequestsTransport) -> None:
    url = f"http://127.0.0.1:{free_port()}/xms/v1/plan/batches"
    with pytest.raises(ConnectException) as info:
        transport.handle_request(HttpRequest(method="POST", url=url, headers=HEADERS), timeout=5)
    assert type(info.value) is ConnectException
    assert isinstance(info.value.__cause__, requests.ConnectionError)
    assert TOKEN not in str(info.value)


def test_dns_failure_is_a_connect_exception(
    transport: RequestsTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    request = HttpRequest(method="GET", url="https://xms.invalid/xms/v1/plan/batches")
    with pytest.raises(ConnectException) as info:
        transport.handle_request(request, timeout=5)
    assert type(info.value) is ConnectException


def test_connect_timeout_is_a_timeout(
    transport: RequestsTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(*args: object, **kwargs: object) -> socket.socket:
        raise TimeoutError("timed out")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", too_slow)
    with pytest.raises(TimeoutException) as info:
        transport.handle_request(
            HttpRequest(method="GET", url="http://127.0.0.1:9/xms/v1"), timeout=0.2
        )
    assert isinstance(info.value.__cause__, requests.ConnectTimeout)


def test_unreachable_proxy_is_a_connect_exception(server: SimulatorServer) -> None:
    proxy = f"http://127.0.0.1:{free_port()}"
    with RequestsTransport(proxies={"http": proxy}) as transport, pytest.raises(ConnectException):
        transport.handle_request(get(server), timeout=5)
    assert server.requests_served == 0


def test_proxies_are_used(recorder: Recorder) -> None:
    with (
        serve(recorder, base_path="") as proxy,
        RequestsTransport(proxies={"http": proxy.url}) as transport,
    ):
        url = "http://xms.test/xms/v1/plan/batches"
        transport.handle_request(HttpRequest(method="GET", url=url, headers=HEADERS), timeout=5)
    # A plain-http proxy is sent the absolute URL as the request target.
    assert recorder.requests[0].url == "http://xms.test/xms/v1/plan/batches"
    assert recorder.requests[0].header("host") == "xms.test"


def test_silent_server_times_out_on_time(
    server: SimulatorServer, transport: RequestsTransport
) -> None:
    server.inject(FaultPlan(fault=Fault.DELAY, delay=10))
    started = time.monotonic()
    with pytest.raises(TimeoutException) as info:
        transport.handle_request(get(server), timeout=0.3)
    assert 0.25 < time.monotonic() - started < 5  # generous: the answer would take 10 s
    assert isinstance(info.value.__cause__, requests.ReadTimeout)
    assert transport.handle_request(get(server), timeout=5).status == 200


def test_body_that_stalls_times_out(transport: RequestsTransport) -> None:
    release = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def answer_partly() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc")
                release.wait(5)

        thread = threading.Thread(target=answer_partly)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/xms/v1/plan/batches"
        started = time.monotonic()
        try:
            with pytest.raises(TimeoutException):
                transport.handle_request(HttpRequest(method="GET", url=url), timeout=0.2)
            assert time.monotonic() - started < 4  # generous: the stall lasts 5 s
        finally:
            release.set()
            thread.join()


@pytest.mark.parametrize(
    "fault",
    [
        Fault.CLOSE_BEFORE_ANSWER,
        Fault.CLOSE_MID_HEADERS,
        Fault.CLOSE_MID_BODY,
        Fault.TRUNCATED_CHUNKED,
        Fault.OVERSIZED_HEADER,
    ],
)
@pytest.mark.parametrize("when", ["before", "after"])
def test_broken_answers_are_connection_lost(
    server: SimulatorServer,
    transport: RequestsTransport,
    recorder: Recorder,
    fault: Fault,
    when: str,
) -> None:
    server.inject(FaultPlan(fault=fault, when=when))  # type: ignore[arg-type]
    with pytest.raises(ConnectionLostException) as info:
        transport.handle_request(post(server), timeout=5)
    assert info.value.__cause__ is not None
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)
    # Nothing was sent twice: the handler saw the create once ("after") or never ("before").
    assert len(recorder.requests) == (1 if when == "after" else 0)
    assert transport.handle_request(get(server), timeout=5).status == 200


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        (Fault.INVALID_JSON, 200, "application/json"),
        (Fault.NON_JSON_CONTENT_TYPE, 200, "text/html"),
        (Fault.TOO_MANY_REQUESTS, 429, "application/json"),
        (Fault.SERVICE_UNAVAILABLE, 503, "application/json"),
        (Fault.HTTP10_NO_LENGTH, 200, "application/json"),
    ],
)
def test_odd_but_complete_answers_come_back_as_is(
    server: SimulatorServer,
    transport: RequestsTransport,
    fault: Fault,
    status: int,
    content_type: str,
) -> None:
    server.inject(FaultPlan(fault=fault, retry_after="3"))
    response = transport.handle_request(get(server), timeout=5)
    assert response.status == status
    assert response.header("content-type") == content_type
    if fault is Fault.TOO_MANY_REQUESTS:
        assert response.header("retry-after") == "3"
    if fault is Fault.HTTP10_NO_LENGTH:
        assert response.body == b'{"ok":true}'
        assert response.header("content-length") is None
    assert transport.handle_request(get(server), timeout=5).status == 200


def test_body_over_the_cap_is_connection_lost(server: SimulatorServer) -> None:
    server.inject(FaultPlan(fault=Fault.HUGE_BODY))
    with RequestsTransport(max_response_bytes=1024 * 1024) as transport:
        with pytest.raises(ConnectionLostException, match="larger than 1048576"):
            transport.handle_request(get(server), timeout=5)
        assert transport.handle_request(get(server), timeout=5).status == 200


def test_body_at_the_cap_is_read_whole(server: SimulatorServer, recorder: Recorder) -> None:
    server.inject(FaultPlan(fault=Fault.HUGE_BODY))
    with RequestsTransport(max_response_bytes=20 * 1024 * 1024) as transport:
        response = transport.handle_request(get(server), timeout=5)
    assert len(response.body) == 20 * 1024 * 1024


def test_gzip_body_is_decoded_and_a_broken_one_is_connection_lost(
    server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    encoded = gzip.compress(b'{"ok":true}')
    recorder.reply = HttpResponse(status=200, headers=[("content-encoding", "gzip")], body=encoded)
    assert transport.handle_request(get(server), timeout=5).body == b'{"ok":true}'
    recorder.reply = HttpResponse(
        status=200, headers=[("content-encoding", "gzip")], body=b"not gzip at all"
    )
    with pytest.raises(ConnectionLostException):
        transport.handle_request(get(server), timeout=5)


def test_invalid_url_is_a_transport_exception(transport: RequestsTransport) -> None:
    with pytest.raises(TransportException):
        transport.handle_request(HttpRequest(method="GET", url="nope://x/y"), timeout=5)


# --- TLS -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA, recorder: Recorder) -> Iterator[SimulatorServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with serve(recorder, ssl_context=context) as running:
        yield running


def test_unknown_certificate_authority_is_a_tls_exception(
    tls_server: SimulatorServer, transport: RequestsTransport, recorder: Recorder
) -> None:
    with pytest.raises(TlsException) as info:
        transport.handle_request(post(tls_server), timeout=5)
    assert isinstance(info.value.__cause__, requests.exceptions.SSLError)
    assert recorder.requests == []


def test_a_ca_bundle_makes_tls_work(
    tls_server: SimulatorServer, ca: trustme.CA, recorder: Recorder, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with RequestsTransport(verify=str(bundle)) as transport:
        for _ in range(3):
            assert transport.handle_request(post(tls_server), timeout=5).status == 200
    assert recorder.requests[0].url.startswith("https://127.0.0.1:")
    assert tls_server.connections_accepted == 1


# --- lifetime ------------------------------------------------------------------------------


def test_closed_transport_refuses_to_send(server: SimulatorServer) -> None:
    transport = RequestsTransport()
    transport.close()
    transport.close()
    with pytest.raises(ConnectException, match="closed"):
        transport.handle_request(get(server), timeout=5)
    assert server.requests_served == 0


def test_repr_shows_no_secrets() -> None:
    transport = RequestsTransport(proxies={"https": "http://user:pw@127.0.0.1:1"})
    try:
        assert "pw" not in repr(transport)
        assert repr(transport).startswith("RequestsTransport(")
    finally:
        transport.close()


def test_negative_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_response_bytes"):
        RequestsTransport(max_response_bytes=-1)
