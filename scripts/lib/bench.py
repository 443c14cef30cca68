"""scripts/bench's engine: direct vs nginx vs LocalRouter, in one run, on loopback."""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

from daemon_sandbox import create_client_key, rss_kib, sandbox, start_fake_upstream, start_router




CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and of its direct children (nginx's workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        total += sum(cpu_seconds(int(child)) for child in children.read_text().split())
    return total


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(tmp: Path, upstream_port: int) -> tuple[subprocess.Popen, int]:
    """nginx as a plain reverse proxy with keep-alive to the same fake upstream, as the current user."""
    prefix = tmp / "nginx"
    (prefix / "logs").mkdir(parents=True)
    port = free_port()
    # Root runs the workers as root too, so they can reach the 0700 temp dir.
    user = "user root;\n" if os.getuid() == 0 else ""
    (prefix / "nginx.conf").write_text(f"""{user}worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log {prefix}/logs/access.log combined buffer=64k flush=1s;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream fake {{ server 127.0.0.1:{upstream_port}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://fake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Streams relayed as they arrive, as LocalRouter does.
            proxy_buffering off;
        }}
    }}
}}
""")
    process = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(prefix), "-e", str(prefix / "logs/error.log"),
                                "-c", str(prefix / "nginx.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"nginx did not start: {(prefix / 'logs/error.log').read_text(errors='replace')}")




def to_ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url: str, body: str, key: str | None, connections: int, duration: int, tmp: Path, pause_ms: int = 0,
            random_gaps: bool = False) -> dict:
    """wrk's closed loop: every connection sends its next request as soon as the last answer is
    in, or `pause_ms` later (a paced load, well below saturation). With `random_gaps` the pause is
    drawn from an exponential distribution of that mean, so the connections behave as independent
    clients instead of staying lined up in bursts."""
    script = tmp / "post.lua"
    headers = 'wrk.headers["Content-Type"] = "application/json"\n'
    if key:
        headers += f'wrk.headers["Authorization"] = "Bearer {key}"\n'
    pacing = f"function delay()\n  return {pause_ms}\nend\n" if pause_ms else ""
    if pause_ms and random_gaps:
        pacing = ("local threads = 0\n"
                  "function setup(thread) thread:set(\"seed\", threads); threads = threads + 1 end\n"
                  "function init(args) math.randomseed(os.time() * 1000 + tonumber(wrk.thread:get(\"seed\"))) end\n"
                  f"function delay()\n  return math.floor(-math.log(1 - math.random()) * {pause_ms} + 0.5)\nend\n")
    script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{headers}{pacing}')
    threads = min(connections, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "p50": to_ms(percentiles["50"]), "p99": to_ms(percentiles["99"]),
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def median_of(results: list[dict]) -> dict:
    """Each figure's median over several runs of the same measurement; errors summed."""
    merged = {name: statistics.median(result[name] for result in results)
              for name in ("p50", "p99", "rps", "cpu_us") if name in results[0]}
    merged["requests"] = sum(result["requests"] for result in results)
    merged["errors"] = sum(result["errors"] for result in results)
    merged["socket_errors"] = "; ".join(result["socket_errors"] for result in results if result["socket_errors"])
    return merged


def first_byte_ms(port: int, body: str, key: str | None, path: str, samples: int = 50) -> float:
    times = []
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    for _ in range(samples):
        start = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read1(1)
        times.append((time.perf_counter() - start) * 1000)
        response.read()
    connection.close()
    return statistics.median(times)


def print_targets(rows: list, paced, paced_random, idle_rss_kib: int, ready_ms: float) -> None:
    """Each of issue #8's targets with this run's figure and whether it was met."""
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    lines = []
    for connections, direct, proxied, routed, peak in rows:
        ratio = routed["rps"] / proxied["rps"]
        plural = "" if connections == 1 else "s"
        lines.append(f"throughput >= half of nginx's at {connections} connection{plural}: {ratio:.2f} ({verdict(ratio >= 0.5)})")
        if connections == 16:
            added = routed["p99"] - direct["p99"]
            lines.append(f"added p99 < 1 ms at 16 connections, saturated: {added:+.2f} ms ({verdict(added < 1)})")
        if connections == 64:
            lines.append(f"RSS under 64-connection load < 80 MB: {peak / 1024:.1f} MB ({verdict(peak / 1024 < 80)})")
    if paced and paced[0] == 16:
        _, _, direct, _, routed = paced
        added = routed["p99"] - direct["p99"]
        lines.append(f"added p99 < 1 ms at 16 connections, paced: {added:+.2f} ms ({verdict(added < 1)})")
        if paced_random:
            direct, _, routed = paced_random
            added = routed["p99"] - direct["p99"]
            lines.append(f"added p99 < 1 ms at 16 connections, paced with random gaps: {added:+.2f} ms ({verdict(added < 1)})")
    lines.append(f"idle RSS < 30 MB: {idle_rss_kib / 1024:.1f} MB ({verdict(idle_rss_kib / 1024 < 30)})")
    lines.append(f"start to ready < 200 ms: {ready_ms:.0f} ms ({verdict(ready_ms < 200)})")
    print("targets:\n  " + "\n  ".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of direct, nginx and router, interleaved, per row; each figure is their median")
    parser.add_argument("--paced", default="16:1000", help="CONNECTIONS:REQUESTS_PER_SECOND for the paced run ('' to skip)")
    args = parser.parse_args()
    bins = Path(args.bin_dir)
    tmp, env = sandbox("lr-bench-")
    processes = []
    try:
        upstream, upstream_port = start_fake_upstream(bins, tmp)
        processes.append(upstream)

        localrouter = str(bins / "localrouter")
        key = create_client_key(localrouter, env, tmp, "bench")
        router, router_port, ready_ms, router_log = start_router(localrouter, env, tmp, upstream_port, ["gpt-test"])
        processes.append(router)
        if "not running on the event loops" in router_log.read_text(errors="replace"):
            print("WARNING: the router says Swift Concurrency is not on its event loops; these figures are not representative")
        if router_port is None:
            raise SystemExit(f"router did not report its port: {router_log.read_text()}")

        direct_body = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]})
        routed_body = json.dumps({"model": "fake/gpt-test", "messages": [{"role": "user", "content": "hi"}]})
        stream_direct = json.dumps({"model": "gpt-test", "stream": True, "messages": [{"role": "user", "content": "hi"}]})
        stream_routed = json.dumps({"model": "fake/gpt-test", "stream": True, "messages": [{"role": "user", "content": "hi"}]})

        nginx, nginx_port = start_nginx(tmp, upstream_port)
        processes.append(nginx)
        direct_url = f"http://127.0.0.1:{upstream_port}/v1/chat/completions"
        nginx_url = f"http://127.0.0.1:{nginx_port}/v1/chat/completions"
        router_url = f"http://127.0.0.1:{router_port}/v1/chat/completions"

        # Warm up every path (connection pools, lazy initialisation).
        run_wrk(direct_url, direct_body, None, 4, 1, tmp)
        run_wrk(nginx_url, direct_body, None, 4, 1, tmp)
        run_wrk(router_url, routed_body, key, 4, 1, tmp)
        time.sleep(1)
        idle_rss = rss_kib(router.pid)

        def measured(url: str, body: str, auth: str | None, connections: int, pid: int) -> dict:
            """One wrk run, with the proxy's CPU time per request (utime + stime over the run)."""
            before = cpu_seconds(pid)
            result = run_wrk(url, body, auth, connections, args.duration, tmp)
            result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["requests"], 1) * 1e6
            return result

        rows = []
        peak_rss = idle_rss
        peak = [0]

        def sample_peak_rss(run):
            """`run()`, sampling the router's RSS meanwhile into `peak`."""
            sampling = [True]

            def sample() -> None:
                while sampling[0]:
                    peak[0] = max(peak[0], rss_kib(router.pid))
                    time.sleep(0.1)

            sampler = threading.Thread(target=sample)
            sampler.start()
            try:
                return run()
            finally:
                sampling[0] = False
                sampler.join()

        for connections in [int(c) for c in args.connections.split(",")]:
            # Interleaved rounds: a VM whose speed drifts moves all three alike.
            directs, proxieds, routeds = [], [], []
            peak[0] = 0
            for _ in range(args.rounds):
                directs.append(run_wrk(direct_url, direct_body, None, connections, args.duration, tmp))
                proxieds.append(measured(nginx_url, direct_body, None, connections, nginx.pid))
                routeds.append(sample_peak_rss(lambda: measured(router_url, routed_body, key, connections, router.pid)))
            direct, proxied, routed = median_of(directs), median_of(proxieds), median_of(routeds)
            peak_rss = max(peak_rss, peak[0])
            rows.append((connections, direct, proxied, routed, peak[0]))

        # The saturated runs above measure capacity: there, latency is queueing (connections over
        # throughput). A paced run measures what one request costs at the load an editor and a
        # few agents produce: the time each request spends inside the proxy.
        paced = paced_random = None
        if args.paced:
            paced_connections, paced_rate = (int(part) for part in args.paced.split(":"))
            pause = max(1, round(paced_connections * 1000 / paced_rate))
            runs = [[], [], []]
            for _ in range(args.rounds):
                runs[0].append(run_wrk(direct_url, direct_body, None, paced_connections, args.duration, tmp, pause))
                runs[1].append(run_wrk(nginx_url, direct_body, None, paced_connections, args.duration, tmp, pause))
                runs[2].append(run_wrk(router_url, routed_body, key, paced_connections, args.duration, tmp, pause))
            paced = (paced_connections, paced_rate, *(median_of(results) for results in runs))
            # The same rate with random gaps: the fixed pause keeps the 16 connections in step, so
            # their requests reach the proxy together and the last of each burst waits for the rest.
            runs = [[], [], []]
            for _ in range(args.rounds):
                runs[0].append(run_wrk(direct_url, direct_body, None, paced_connections, args.duration, tmp, pause, random_gaps=True))
                runs[1].append(run_wrk(nginx_url, direct_body, None, paced_connections, args.duration, tmp, pause, random_gaps=True))
                runs[2].append(run_wrk(router_url, routed_body, key, paced_connections, args.duration, tmp, pause, random_gaps=True))
            paced_random = tuple(median_of(results) for results in runs)

        # The router's own cost: the same request answered by the in-process mock provider.
        mock_body = json.dumps({"model": "mock/echo", "messages": [{"role": "user", "content": "hi"}]})
        alone = measured(router_url, mock_body, key, 16, router.pid)

        ttfb_direct = first_byte_ms(upstream_port, stream_direct, None, "/v1/chat/completions")
        ttfb_nginx = first_byte_ms(nginx_port, stream_direct, None, "/v1/chat/completions")
        ttfb_routed = first_byte_ms(router_port, stream_routed, key, "/v1/chat/completions")

        rounds = f", median of {args.rounds} interleaved rounds" if args.rounds > 1 else ""
        print(f"\nLocalRouter benchmark ({'debug' if args.debug else 'release'} build), {args.duration}s per run{rounds}, loopback, "
              f"fake upstream = lr-fake-upstream, nginx = plain reverse proxy with keep-alive, "
              f"router auth: {'lr- key' if key else 'none'}; added = over direct; CPU = proxy's utime+stime per request")
        print(f"{'conns':>5} | {'direct p50':>10} {'p99':>8} {'req/s':>7} | {'nginx p50':>9} {'p99':>8} {'req/s':>7} {'CPU':>6} | "
              f"{'router p50':>10} {'p99':>8} {'req/s':>7} {'CPU':>6} | {'added p50':>9} {'p99':>8} | "
              f"{'rps/nginx':>9} {'rps/direct':>10} | {'errors':>6} {'RSS MB':>6}")
        for connections, direct, proxied, routed, peak in rows:
            print(f"{connections:>5} | {direct['p50']:>8.3f}ms {direct['p99']:>6.3f}ms {direct['rps']:>7.0f} | "
                  f"{proxied['p50']:>7.3f}ms {proxied['p99']:>6.3f}ms {proxied['rps']:>7.0f} {proxied['cpu_us']:>4.0f}us | "
                  f"{routed['p50']:>8.3f}ms {routed['p99']:>6.3f}ms {routed['rps']:>7.0f} {routed['cpu_us']:>4.0f}us | "
                  f"{routed['p50'] - direct['p50']:>7.3f}ms {routed['p99'] - direct['p99']:>6.3f}ms | "
                  f"{routed['rps'] / proxied['rps']:>9.2f} {routed['rps'] / direct['rps']:>10.2f} | "
                  f"{routed['errors'] + proxied['errors']:>6} {peak / 1024:>6.1f}")
            for name, result in (("nginx", proxied), ("router", routed)):
                if result["socket_errors"]:
                    print(f"      {name} socket errors: {result['socket_errors']}")
        if paced:
            paced_connections, paced_rate, direct, proxied, routed = paced
            print(f"paced, {paced_connections} connections at ~{paced_rate} req/s in all (achieved: direct {direct['rps']:.0f}, "
                  f"router {routed['rps']:.0f}): direct p50 {direct['p50']:.3f} p99 {direct['p99']:.3f} ms, "
                  f"nginx p50 {proxied['p50']:.3f} p99 {proxied['p99']:.3f} ms, router p50 {routed['p50']:.3f} p99 {routed['p99']:.3f} ms; "
                  f"router added p50 {routed['p50'] - direct['p50']:.3f} p99 {routed['p99'] - direct['p99']:.3f} ms, "
                  f"nginx added p50 {proxied['p50'] - direct['p50']:.3f} p99 {proxied['p99'] - direct['p99']:.3f} ms")
            direct, proxied, routed = paced_random
            print(f"paced with random gaps (same mean rate; achieved: direct {direct['rps']:.0f}, router {routed['rps']:.0f}): "
                  f"direct p50 {direct['p50']:.3f} p99 {direct['p99']:.3f} ms, nginx p50 {proxied['p50']:.3f} p99 {proxied['p99']:.3f} ms, "
                  f"router p50 {routed['p50']:.3f} p99 {routed['p99']:.3f} ms; "
                  f"router added p50 {routed['p50'] - direct['p50']:.3f} p99 {routed['p99'] - direct['p99']:.3f} ms, "
                  f"nginx added p50 {proxied['p50'] - direct['p50']:.3f} p99 {proxied['p99'] - direct['p99']:.3f} ms")
        print(f"router alone (mock provider, no upstream hop), 16 connections: p50 {alone['p50']:.3f} p99 {alone['p99']:.3f} ms, "
              f"{alone['rps']:.0f} req/s, CPU {alone['cpu_us']:.0f} us per request")
        print(f"time to first streamed byte (median of 50): direct {ttfb_direct:.3f} ms, nginx {ttfb_nginx:.3f} ms, "
              f"router {ttfb_routed:.3f} ms (added {ttfb_routed - ttfb_direct:.3f} ms)")
        print(f"router RSS idle {idle_rss / 1024:.1f} MB, peak under load {peak_rss / 1024:.1f} MB; start to ready {ready_ms:.0f} ms")
        print_targets(rows, paced, paced_random, idle_rss, ready_ms)
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
