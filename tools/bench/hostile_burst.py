#!/usr/bin/env python3
"""A hostile burst against the REST gateway on loopback, for `./dev bench`'s allocator section.

For --seconds (8), all at once:
  - --big (32) keep-alive clients POST bodies of --body_bytes (1,000,000: just under the
    default 1 MiB MAX_BODY_BYTES, so the gateway reads, parses and transcodes each one),
    alternating the public /v1/track and the authenticated /v1/signups;
  - --slowloris (1000) connections that dribble a request: half send one header line a second,
    half declare a 1 MB body and send 1 KB of it a second;
  - --pipeliners (300) clients that write 16 pipelined requests (GET /openapi.json, the largest
    response, and a small POST /v1/track) in one go, then read the answers.
Then it closes everything and prints one line:
  RESULT name=hostile_burst big=N pipelined=N slowloris_open=N errors=N
The point is the memory the server keeps afterwards (bench.sh reads its RSS), not the answers:
429s and 4xx count as answers. Loopback only; bounded in time and connections.
"""

import argparse
import asyncio
import resource
import sys


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--api_key", default="")
    p.add_argument("--program_id", default="prg_bench")
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--big", type=int, default=32)
    p.add_argument("--body_bytes", type=int, default=1_000_000)
    p.add_argument("--slowloris", type=int, default=1000)
    p.add_argument("--pipeliners", type=int, default=300)
    p.add_argument("--pipeline_depth", type=int, default=16)
    args = p.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("hostile_burst: loopback only")
    return args


class Stats:
    big = 0
    pipelined = 0
    slowloris_open = 0
    errors = 0


async def read_response(reader):
    """Reads one HTTP/1.1 response (Content-Length bodies only); returns its status."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    length = 0
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed in headers")
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return int(status_line.split()[1])


async def connect(args):
    return await asyncio.open_connection(args.host, args.port, limit=1 << 22)


async def big_client(args, index, stop, stats):
    filler = b"a" * args.body_bytes
    n = 0
    while not stop.is_set():
        try:
            reader, writer = await connect(args)
            while not stop.is_set():
                n += 1
                if (index + n) % 2:
                    body = b'{"programId":"%s","landingQuery":"via=%s"}' % (
                        args.program_id.encode(), filler[: args.body_bytes - 64])
                    head = b"POST /v1/track HTTP/1.1\r\nOrigin: https://www.shop.example\r\n"
                else:
                    body = b'{"click_id":"hostile","email":"%s@example.com"}' % (
                        filler[: args.body_bytes - 64])
                    head = (b"POST /v1/signups HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
                            % args.api_key.encode())
                writer.write(head + b"Host: bench\r\nContent-Type: application/json\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
                await read_response(reader)
                stats.big += 1
            writer.close()
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats.errors += 1
            await asyncio.sleep(0.05)


async def tick(stop):
    """Waits a second, or less if the burst ends meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), 1.0)
    except asyncio.TimeoutError:
        pass


async def slowloris_client(args, index, stop, stats):
    try:
        _, writer = await connect(args)
    except OSError:
        stats.errors += 1
        return
    stats.slowloris_open += 1
    try:
        if index % 2:  # headers, one line a second
            writer.write(b"POST /v1/track HTTP/1.1\r\nHost: bench\r\n")
            chunk = lambda n: b"X-Dribble-%d: %s\r\n" % (n, b"b" * 64)
        else:  # a declared 1 MB body, 1 KB a second
            writer.write(b"POST /v1/track HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000000\r\n\r\n{\"landingQuery\":\"")
            chunk = lambda n: b"c" * 1024
        n = 0
        while not stop.is_set():
            n += 1
            writer.write(chunk(n))
            await writer.drain()
            await tick(stop)
    except (OSError, ConnectionError):
        pass  # the server's read timeout may close it: expected
    finally:
        writer.close()


async def pipeliner(args, index, stop, stats):
    track = b'{"programId":"%s","landingQuery":"via=x"}' % args.program_id.encode()
    requests = []
    for i in range(args.pipeline_depth):
        if i % 2:
            requests.append(b"GET /openapi.json HTTP/1.1\r\nHost: bench\r\n\r\n")
        else:
            requests.append(b"POST /v1/track HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                            b"Origin: https://www.shop.example\r\nContent-Length: %d\r\n\r\n%s"
                            % (len(track), track))
    batch = b"".join(requests)
    while not stop.is_set():
        try:
            reader, writer = await connect(args)
            while not stop.is_set():
                writer.write(batch)
                await writer.drain()
                for _ in requests:
                    await read_response(reader)
                    stats.pipelined += 1
            writer.close()
        except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, IndexError):
            stats.errors += 1
            await asyncio.sleep(0.05)


async def main():
    args = parse_args()
    wanted = args.big + args.slowloris + args.pipeliners + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    stats, stop = Stats(), asyncio.Event()
    tasks = [asyncio.create_task(slowloris_client(args, i, stop, stats)) for i in range(args.slowloris)]
    tasks += [asyncio.create_task(big_client(args, i, stop, stats)) for i in range(args.big)]
    tasks += [asyncio.create_task(pipeliner(args, i, stop, stats)) for i in range(args.pipeliners)]
    await asyncio.sleep(args.seconds)
    stop.set()
    # Whatever still waits on the server is cut off: the burst is over.
    done, pending = await asyncio.wait(tasks, timeout=3)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    print(f"RESULT name=hostile_burst big={stats.big} pipelined={stats.pipelined} "
          f"slowloris_open={stats.slowloris_open} errors={stats.errors}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
