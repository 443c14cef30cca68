"""The soak behind scripts/soak: load through the real daemon, then check nothing leaked.

Standard library only: a minimal asyncio HTTP/1.1 client (keep-alive, Content-Length and
chunked bodies) so that 1,000 simultaneous streams and 100,000 requests need no packages.
Exits non-zero when any check fails.
"""
import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from daemon_sandbox import create_client_key, rss_kib, sandbox, start_fake_upstream, start_router




def daemon_pid(launched: int) -> int:
    """The daemon's own pid: the launched process, or under --wrap the descendant named localrouter."""
    pending = [launched]
    while pending:
        pid = pending.pop()
        if Path(f"/proc/{pid}/comm").read_text().strip() == "localrouter":
            return pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        pending += [int(child) for child in children.read_text().split()] if children.exists() else []
    return launched


def fd_targets(pid: int) -> list[str]:
    targets = []
    for fd in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            targets.append(f"{fd}->{os.readlink(f'/proc/{pid}/fd/{fd}')}")
        except OSError:
            pass
    return targets


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))




class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, key: str):
        self.port, self.key = port, key
        self.reader = self.writer = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        response_head = await self.reader.readuntil(b"\r\n\r\n")
        lines = response_head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            payload = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append((await self.reader.readexactly(size + 2))[:-2])
            payload = b"".join(parts)
        else:
            payload = await self.reader.read()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = self.reader = None


def body(model: str, stream: bool) -> bytes:
    return json.dumps({"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}]}).encode()


async def streams(port: int, key: str, count: int, errors: list) -> None:
    """`count` streaming requests at once, each on its own connection; every one must end in [DONE]."""
    request = body("fake/slow-stream", True)
    start_together = asyncio.Event()

    async def one() -> None:
        connection = Connection(port, key)
        try:
            await connection.open()
            await start_together.wait()
            status, payload = await connection.post("/v1/chat/completions", request)
            if status != 200 or not payload.rstrip().endswith(b"data: [DONE]") or b'"error"' in payload:
                errors.append(f"stream: {status} {payload[-200:]!r}")
        except Exception as error:  # noqa: BLE001 - every failure is a counted error
            errors.append(f"stream: {type(error).__name__}: {error}")
        finally:
            await connection.close()

    tasks = [asyncio.create_task(one()) for _ in range(count)]
    await asyncio.sleep(0.5)  # Let every connection open first, so all requests are in flight together.
    start_together.set()
    await asyncio.gather(*tasks)


async def short_requests(port: int, key: str, count: int, connections: int, errors: list, model: str = "fake/gpt-test") -> None:
    request = body(model, False)
    remaining = [count]

    async def worker() -> None:
        connection = Connection(port, key)
        while remaining[0] > 0:
            remaining[0] -= 1
            try:
                status, payload = await connection.post("/v1/chat/completions", request)
                if status != 200 or b'"chat.completion"' not in payload:
                    errors.append(f"short: {status} {payload[:200]!r}")
            except Exception as error:  # noqa: BLE001
                errors.append(f"short: {type(error).__name__}: {error}")
                await connection.close()
        await connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


async def sample_peak(pid: int, peak: list, stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        peak[1] = max(peak[1], open_fds(pid))
        await asyncio.sleep(0.05)


async def load(pid: int, port: int, key: str, args) -> dict:
    peak = [0, 0]
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_peak(pid, peak, stop))
    results = {}
    errors: list[str] = []
    started = time.perf_counter()
    await streams(port, key, args.streams, errors)
    results["streams_seconds"] = time.perf_counter() - started
    results["stream_errors"] = list(errors)
    errors.clear()
    started = time.perf_counter()
    await short_requests(port, key, args.requests, args.connections, errors, args.short_model)
    results["short_seconds"] = time.perf_counter() - started
    results["short_errors"] = list(errors)
    stop.set()
    await sampler
    results["peak_rss_kib"], results["peak_fds"] = peak
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--settle", type=float, default=15.0)
    parser.add_argument("--passes", type=int, default=2, help="the load again on the same daemon: a leak grows every pass")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--short-model", default="fake/gpt-test", help="mock/echo leaves the upstream client out")
    parser.add_argument("--config-extra", default="", help="YAML appended to the daemon's config (to isolate a component)")
    parser.add_argument("--wrap", default="", help="a command to run the daemon under, e.g. 'heaptrack -o /tmp/lr'")
    args = parser.parse_args()
    bins = Path(args.bin_dir)

    # The client holds a socket per stream; the daemon gets what systemd gives a service (a soft
    # limit of 1,024) and must raise it itself.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.streams * 4 + 1024)), hard))

    def systemd_like_limits() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))

    tmp, env = sandbox("lr-soak-")
    processes = []
    failures = []
    pid = 0
    try:
        upstream, upstream_port = start_fake_upstream(bins, tmp)
        processes.append(upstream)

        localrouter = str(bins / "localrouter")
        key = create_client_key(localrouter, env, tmp, "soak")
        router, port, _, router_log = start_router(localrouter, env, tmp, upstream_port, ["gpt-test", "slow-stream"],
                                                   args.config_extra.replace("\\n", "\n"), args.wrap.split(), systemd_like_limits)
        processes.append(router)
        pid = daemon_pid(router.pid)

        idle_rss = rss_kib(pid)
        # Warm-up: lazy initialisation, the first pooled upstream connections and the first use of
        # the streaming path (runtime metadata and caches made once: ~1.4 MiB that stays) are not a leak.
        warm_errors: list[str] = []
        asyncio.run(short_requests(port, key, 500, 8, warm_errors))
        asyncio.run(streams(port, key, 50, warm_errors))
        time.sleep(5)  # The upstream pool's 4 s idle timeout closes the warm-up connections.
        before_rss, before_fds, before_targets = rss_kib(pid), open_fds(pid), fd_targets(pid)
        print(f"soak ({'debug' if args.debug else 'release'}), fake upstream = lr-fake-upstream, auth: lr- key, "
              f"daemon started with a soft open-file limit of {min(1024, hard)}")
        print(f"  RSS idle {idle_rss / 1024:.1f} MiB, after warm-up (500 short requests, 50 streams) {before_rss / 1024:.1f} MiB; "
              f"open descriptors {before_fds}")
        for number in range(1, args.passes + 1):
            results = asyncio.run(load(pid, port, key, args))
            time.sleep(args.settle)
            # A leaked descriptor never closes; a health check's pooled upstream connection (kept 4 s
            # idle) may just be open at any one reading: the lowest of readings over 5 s counts.
            after_rss, after_fds = rss_kib(pid), open_fds(pid)
            for _ in range(10):
                if after_fds <= before_fds:
                    break
                time.sleep(0.5)
                after_fds = min(after_fds, open_fds(pid))
            alive = router.poll() is None

            stream_errors, short_errors = results["stream_errors"], results["short_errors"]
            print(f"  pass {number}:")
            print(f"    {args.streams} concurrent streams (slow-stream, ~0.9 s each): {results['streams_seconds']:.2f} s, "
                  f"{len(stream_errors)} errors")
            print(f"    {args.requests} short requests over {args.connections} keep-alive connections: "
                  f"{results['short_seconds']:.2f} s ({args.requests / results['short_seconds']:.0f} req/s), {len(short_errors)} errors")
            print(f"    RSS: peak {results['peak_rss_kib'] / 1024:.1f} MiB, after {args.settle:.0f} s settle {after_rss / 1024:.1f} MiB "
                  f"({(after_rss - before_rss) * 100 / before_rss:+.1f}% of the figure before the first pass)")
            print(f"    open descriptors: peak {results['peak_fds']}, after {after_fds}")
            for label, errors in (("stream", stream_errors), ("short", short_errors), ("warm-up", warm_errors)):
                if errors:
                    failures.append(f"pass {number}: {len(errors)} {label} errors, e.g. {errors[:3]}")
            warm_errors = []
            if not alive:
                failures.append(f"pass {number}: the daemon exited")
                break
            if after_rss > before_rss * 1.10:
                failures.append(f"pass {number}: RSS did not come back within 10%: {before_rss} KiB before, {after_rss} KiB after")
            if after_fds > before_fds:
                failures.append(f"pass {number}: descriptors leaked: {before_fds} before, {after_fds} after: "
                                f"new {sorted(set(fd_targets(pid)) - set(before_targets))}")
        if "open-file limit raised" not in router_log.read_text(errors="replace") and min(1024, hard) < hard:
            failures.append("the daemon did not raise its open-file limit")
    finally:
        if pid and pid != router.pid:
            os.kill(pid, signal.SIGTERM)  # under --wrap: the daemon itself, so the wrapper sees a clean exit
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        print(f"logs in {tmp}")
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
