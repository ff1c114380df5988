"""The HTTP/1.1 stack the h11 transports share: bytes and policy, no sockets.

`TrioTransport`, `AsyncioTransport` and `H11Transport` differ only in how they
move bytes; everything else lives here once, one module per concern:

* `routing`: an absolute URL to a `Route` (which connection, which target,
  which `host`), proxies and the proxy environment included.
* `heads`: the h11 request events, h11's checks done once per distinct head.
* `exchange`: one connection's `Conversation` (request bytes out, response
  in, size caps, reusability) and the proxy `Tunnel`.
* `options`: the settings the transports take, checked once, and TLS.
* `pool`: which connection serves which request (`Pool`), the attempt's
  deadline (`Budget`).
* `async_engine`: the request flow over an adapter's primitives, written
  once; `sync_engine` is generated from it by `./dev unasync`.
* `shell`: what the public transport classes share (options, repr, pool
  counters), so each public module holds only its I/O.

Nothing here is public API; the public names are in `transports.h11`,
`transports.trio` and `transports.asyncio`.
"""
