"""Every network transport through a loopback proxy that behaves, or does not.

"Provably not sent" means a failure to reach the proxy or a refused tunnel,
nothing else: a proxy that drops the connection after forwarding a create
gives `ConnectionLostException` after one attempt, and the create exists once.
Proxy credentials go in the proxy URL, work for http and https alike, and
never reach the XMS host. A 407 and a certificate that fails verification
are final at once. `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` are honoured by all.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
import trustme

from tests.adapters import Subject
from tests.misbehaving_proxy import MisbehavingProxy, Mode
from transports.simulator import Simulator
from xms_core import HttpRequest, HttpResponse
from xms_core.api import MtBatchTextSmsCreate
from xms_core.exceptions import (
    ApiException,
    ConnectException,
    ConnectionLostException,
    TlsException,
    UnexpectedResponseException,
)

SubjectFactory = Callable[..., AbstractAsyncContextManager[Subject]]
BATCH = MtBatchTextSmsCreate(recipients=["+46701234567"], body="exactly once", sender="123")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def bundle(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


class Recording:
    """The simulator, remembering every request that reached the XMS host."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator
        self.seen: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.seen.append(request)
        return self.simulator.handle(request)


@pytest.fixture
def origin(simulator: Simulator) -> Recording:
    return Recording(simulator)


@pytest.fixture
def subject_via(
    network_kind: str, origin: Recording, server_context: ssl.SSLContext, bundle: str
) -> Callable[..., AbstractAsyncContextManager[Subject]]:
    from tests.adapters import open_subject

    def make(
        *, https: bool, proxy: str | None = None, verify: bool = True, trust_env: bool = True
    ) -> object:
        options: dict[str, object] = {"verify": bundle if verify else True, "trust_env": trust_env}
        if proxy is not None:
            options["proxy"] = proxy
        return open_subject(
            network_kind,
            origin,
            timeout=2.0,
            options=options,
            ssl_context=server_context if https else None,
        )

    return make  # type: ignore[return-value]


@pytest.fixture
def proxy_factory() -> Iterator[Callable[..., MisbehavingProxy]]:
    opened: list[MisbehavingProxy] = []

    def make(mode: Mode, **kwargs: object) -> MisbehavingProxy:
        proxy = MisbehavingProxy(mode, **kwargs)  # type: ignore[arg-type]
        opened.append(proxy)
        return proxy

    yield make
    for proxy in opened:
        proxy.close()


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_an_honest_proxy_carries_every_call(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
    https: bool,
) -> None:
    proxy = proxy_factory(Mode.HONEST)
    async with subject_via(https=https, proxy=proxy.url) as subject:
        created = await subject.create_batch(BATCH)
        assert (await subject.fetch_batch(created.batch_id)).body == "exactly once"
    assert simulator.batch_count == 1
    assert proxy.heads[0].startswith(b"connect " if https else b"post http://127.0.0.1:")


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_a_proxy_that_drops_after_forwarding_never_causes_a_resend(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
    https: bool,
) -> None:
    proxy = proxy_factory(Mode.DROP_AFTER_FORWARD, acted=lambda: simulator.batch_count > 0)
    async with subject_via(https=https, proxy=proxy.url) as subject:
        with pytest.raises(ApiException) as info:
            await subject.create_batch(BATCH)
    assert type(info.value) is ConnectionLostException, info.value
    assert info.value.attempts == 1
    assert simulator.batch_count == 1


async def test_a_refused_tunnel_is_provably_not_sent_and_retried(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
) -> None:
    proxy = proxy_factory(Mode.REFUSE_CONNECT)
    async with subject_via(https=True, proxy=proxy.url) as subject:
        with pytest.raises(ApiException) as info:
            await subject.create_batch(BATCH)
    assert type(info.value) is ConnectException, info.value
    assert info.value.attempts == 3
    assert "403" in str(info.value)
    assert simulator.batch_count == 0


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_a_407_is_final_and_named(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
    https: bool,
) -> None:
    proxy = proxy_factory(Mode.REQUIRE_AUTH, user="proxyuser", password="proxy-secret")
    no_credentials = proxy.url.replace("proxyuser:proxy-secret@", "")
    async with subject_via(https=https, proxy=no_credentials) as subject:
        with pytest.raises(ApiException) as info:
            await subject.fetch_batches().get(0)
    expected = ConnectException if https else UnexpectedResponseException
    assert type(info.value) is expected, info.value
    assert "407 Proxy Authentication Required" in str(info.value)
    assert info.value.attempts == 1
    assert len(proxy.heads) == 1
    assert simulator.batch_count == 0


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_proxy_credentials_in_the_url_reach_the_proxy_only(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    origin: Recording,
    https: bool,
) -> None:
    proxy = proxy_factory(Mode.REQUIRE_AUTH, user="proxyuser", password="proxy-secret")
    async with subject_via(https=https, proxy=proxy.url) as subject:
        await subject.create_batch(BATCH)
    assert origin.simulator.batch_count == 1
    assert all(b"proxy-authorization: basic " in head for head in proxy.heads)
    assert origin.seen
    for request in origin.seen:
        assert request.header("proxy-authorization") is None


async def test_a_certificate_that_fails_verification_is_final(
    subject_via: SubjectFactory, simulator: Simulator
) -> None:
    async with subject_via(https=True, verify=False) as subject:
        with pytest.raises(ApiException) as info:
            await subject.fetch_batches().get(0)
    assert type(info.value) is TlsException, info.value
    assert info.value.permanent
    assert info.value.attempts == 1


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
async def test_the_environment_proxies_are_honoured_by_every_transport(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    https: bool,
) -> None:
    proxy = proxy_factory(Mode.HONEST)
    monkeypatch.setenv("HTTPS_PROXY" if https else "HTTP_PROXY", proxy.url)
    async with subject_via(https=https) as subject:
        await subject.create_batch(BATCH)
    assert len(proxy.heads) == 1
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with subject_via(https=https) as subject:
        await subject.create_batch(BATCH)
    assert len(proxy.heads) == 1  # bypassed
    assert simulator.batch_count == 2


async def test_trust_env_false_ignores_the_environment_proxies(
    subject_via: SubjectFactory,
    proxy_factory: Callable[..., MisbehavingProxy],
    simulator: Simulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = proxy_factory(Mode.HONEST)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    async with subject_via(https=True, trust_env=False) as subject:
        await subject.create_batch(BATCH)
    assert proxy.heads == []
    assert simulator.batch_count == 1
