"""SSE benchmark helper: an upstream that streams one timestamped event per second to every
connection, and a client that holds N streams and reports event latency percentiles.

  python3 sse_streams.py upstream PORT
  python3 sse_streams.py client PORT COUNT SECONDS
The client prints one line: streams, events, p50/p99/max latency in ms (receive time minus the
upstream's send timestamp, same machine clock). The first event of each stream is not counted: the
upstream sends it while the stream is being set up, so it measures connection set-up under the
ramp of new streams, not the relaying of events on an open stream.
"""
import asyncio, sys, time


async def upstream(port):
    async def handle(reader, writer):
        try:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            await writer.drain()
            while True:
                event = f"data: {time.time():.6f}\n\n".encode()
                writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                await writer.drain()
                await asyncio.sleep(1)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


async def client(port, count, seconds):
    latencies, connected = [], 0

    async def stream(index):
        nonlocal connected
        await asyncio.sleep(index * 0.0005)  # spread the connects
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        connected += 1
        end = time.time() + seconds
        buffer = b""
        first = True
        try:
            while time.time() < end:
                data = await asyncio.wait_for(reader.read(65536), timeout=max(0.1, end - time.time()))
                if not data:
                    break
                now = time.time()
                buffer += data
                while b"data: " in buffer and b"\n\n" in buffer:
                    start = buffer.index(b"data: ") + 6
                    stop = buffer.index(b"\n\n", start)
                    if not first:
                        latencies.append((now - float(buffer[start:stop])) * 1000)
                    first = False
                    buffer = buffer[stop + 2:]
        except asyncio.TimeoutError:
            pass
        writer.close()

    await asyncio.gather(*(stream(i) for i in range(count)))
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else float("nan")
    print(f"{connected} streams, {len(latencies)} events, latency p50 {pick(0.5):.3f} ms, p99 {pick(0.99):.3f} ms, max {pick(1.0) if latencies else float('nan'):.3f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "upstream":
        asyncio.run(upstream(int(sys.argv[2])))
    else:
        asyncio.run(client(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
