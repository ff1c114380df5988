"""asyncio code hosted in a trio program: the trio client behind an asyncio face.

An application that runs its asyncio code inside trio with trio-asyncio
(`trio_asyncio.run(trio_asyncio.aio_as_trio(main))`, or inside
`trio_asyncio.open_loop()`) keeps one `AsyncClient` on the `TrioTransport` and
wraps it in `AsyncioClient`. Every method of `AsyncioClient` is an asyncio
coroutine function; it crosses into trio at exactly one place,
`trio_asyncio.trio_as_aio`, as trio-asyncio's explicit translation asks.

On a plain `asyncio.run()` loop there is no trio to cross into: use
`AsyncClient` with `transports.asyncio.AsyncioTransport` there instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar, final

from transports._optional import missing_extra

try:
    import trio_asyncio
except ImportError as error:
    raise missing_extra(__name__, error, "trio-asyncio") from error

from transports._async_client import AsyncClient
from xms_core import Command, Page
from xms_core._pages import AsyncPages

T = TypeVar("T")

_LISTINGS = frozenset({"fetch_batches", "fetch_groups", "fetch_inbounds", "fetch_delivery_reports"})


def _to_asyncio(function: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    wrapped: Callable[..., Awaitable[T]] = trio_asyncio.trio_as_aio(function)
    return wrapped


@final
class AsyncioPages(Generic[T]):
    """`AsyncPages` for asyncio code: `async for` over pages, `items()` over items."""

    def __init__(self, pages: AsyncPages[T]) -> None:
        self._pages = pages

    def __repr__(self) -> str:
        return f"AsyncioPages({self._pages!r})"

    async def get(self, page: int) -> Page[T]:
        """Fetch page number `page` (from 0)."""
        return await _to_asyncio(self._pages.get)(page)

    async def __aiter__(self) -> AsyncIterator[Page[T]]:
        iterator = self._pages.__aiter__()
        step = _to_asyncio(iterator.__anext__)
        while True:
            try:
                page = await step()
            except StopAsyncIteration:
                return
            yield page

    async def items(self) -> AsyncIterator[T]:
        """Iterate over the items of every page."""
        async for page in self:
            for item in page.content:
                yield item


@final
class AsyncioClient:
    """The asyncio-facing twin of `AsyncClient`; needs a trio-asyncio loop.

    Every operation of `AsyncClient` is available under the same name and
    arguments as an asyncio coroutine function; listings return `AsyncioPages`.

    Args:
        client: An `AsyncClient`, normally on a `TrioTransport`.
    """

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"AsyncioClient({self._client!r})"

    @property
    def client(self) -> AsyncClient:
        """The trio-side client."""
        return self._client

    async def send(self, command: Command[T]) -> T:
        """Run any command on the trio side and return its result."""
        result: T = await _to_asyncio(self._client.send)(command)
        return result

    async def aclose(self) -> None:
        """Close the trio client's connections."""
        await _to_asyncio(self._client.aclose)()

    async def __aenter__(self) -> AsyncioClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - mirrors AsyncClient's methods
        if name.startswith("_"):
            raise AttributeError(name)
        target = getattr(self._client, name)
        if name in _LISTINGS:

            def listing(*args: Any, **kwargs: Any) -> AsyncioPages[Any]:  # noqa: ANN401
                return AsyncioPages(target(*args, **kwargs))

            return listing
        if not callable(target):
            return target
        return _to_asyncio(target)
