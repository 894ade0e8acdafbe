#!/usr/bin/env python3
"""A TCP proxy on loopback that makes a server look far away: a fixed one-way delay in each
direction, and optionally a rate cap per direction shared by all connections (a link).

Usage: benches/delay_proxy.py --upstream HOST:PORT --delay-ms D [--rate-mbps R] [--port P]

Listens on 127.0.0.1 only (the given port, or a free one) and prints `PORT=<n>` on stdout once
it accepts. Every byte read from one side is written to the other D ms after it was read,
in order, so a request-response costs 2*D more (the round trip, RTT = 2*D). A new connection
costs one round trip more before its first byte goes through, as TCP's handshake would.
With --rate-mbps the bytes of each direction leave at most at that rate (a token bucket over
all connections), as through one link. Standard library only (asyncio); benches/compare
starts it with --delay-ms and measures its own overhead with the raw client at 0 ms.
"""

import argparse
import asyncio
import collections
import sys
import time

READ = 256 << 10
# Bytes held per connection and direction at most: what TCP's windows bound on a real path.
HELD = 16 << 20


class Link:
    """One direction's rate cap, shared by every connection: a token bucket of bytes."""

    def __init__(self, rate: float | None):
        self.rate = rate
        self.tokens = 0.0
        self.at = time.monotonic()
        self.lock = asyncio.Lock()

    async def take(self, n: int) -> None:
        if not self.rate:
            return
        async with self.lock:
            now = time.monotonic()
            # At most 10 ms of burst.
            self.tokens = min(self.tokens + (now - self.at) * self.rate, self.rate / 100)
            self.at = now
            self.tokens -= n
            if self.tokens < 0:
                await asyncio.sleep(-self.tokens / self.rate)


async def pipe(reader, writer, delay: float, link: Link, start: float) -> None:
    """Copies reader to writer, each block `delay` s after it was read."""
    queue: collections.deque = collections.deque()
    ready, room = asyncio.Event(), asyncio.Event()
    done, held = False, 0

    async def read_side():
        nonlocal done, held
        try:
            while block := await reader.read(READ):
                queue.append((time.monotonic() + delay, block))
                held += len(block)
                ready.set()
                while held > HELD:
                    room.clear()
                    await room.wait()
        except (ConnectionError, OSError):
            pass
        done = True
        ready.set()

    task = asyncio.create_task(read_side())
    try:
        await asyncio.sleep(max(0.0, start - time.monotonic()))
        while True:
            if not queue:
                if done:
                    break
                ready.clear()
                await ready.wait()
                continue
            due, block = queue.popleft()
            held -= len(block)
            room.set()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await link.take(len(block))
            writer.write(block)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        task.cancel()
    finally:
        await asyncio.gather(task, return_exceptions=True)


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--upstream", required=True, help="HOST:PORT of the server")
    p.add_argument("--delay-ms", type=float, required=True, help="one-way delay, each direction")
    p.add_argument("--rate-mbps", type=float, default=None, help="cap per direction, Mbit/s")
    p.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    delay = args.delay_ms / 1000
    rate = args.rate_mbps * 1e6 / 8 if args.rate_mbps else None
    up, down = Link(rate), Link(rate)

    async def serve(client_r, client_w):
        try:
            server_r, server_w = await asyncio.open_connection(host, int(port))
        except OSError:
            client_w.close()
            return
        # The handshake's round trip before the first byte of either side goes through.
        start = time.monotonic() + 2 * delay
        await asyncio.gather(pipe(client_r, server_w, delay, up, start),
                             pipe(server_r, client_w, delay, down, start),
                             return_exceptions=True)
        for w in (client_w, server_w):
            w.close()

    server = await asyncio.start_server(serve, "127.0.0.1", args.port, backlog=1024)
    print(f"PORT={server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
