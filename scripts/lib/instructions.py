"""Instructions per request through the router, counted by callgrind (see scripts/instructions)."""
import argparse
import http.client
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from daemon_sandbox import create_client_key, sandbox, start_fake_upstream, start_router


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--model", default="fake/gpt-test", help="fake/gpt-test (through the fake upstream) or mock/echo")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--prompt-bytes", type=int, default=2,
                        help="length of the user message (default 2: 'hi'); a long one shows what a request's size costs")
    parser.add_argument("--keep", help="directory to keep the callgrind file in")
    args = parser.parse_args()

    # Valgrind 3.19 cannot read the DWARF 5 that Swift 6.3 writes: a copy without debug info
    # (its symbol table is enough for callgrind's function names).
    work = Path(tempfile.mkdtemp(prefix="lr-instructions-"))
    bins = work / "bin"
    bins.mkdir()
    subprocess.run(["objcopy", "--strip-debug", str(Path(args.bin_dir) / "localrouter"), str(bins / "localrouter")], check=True)
    shutil.copy(Path(args.bin_dir) / "lr-fake-upstream", bins / "lr-fake-upstream")

    home, env = sandbox("lr-instructions-")
    upstream, upstream_port = start_fake_upstream(bins, home)
    key = create_client_key(str(bins / "localrouter"), env, home, "instructions")
    output = work / "callgrind.out"
    router, port, _, log = start_router(
        str(bins / "localrouter"), env, home, upstream_port, ["gpt-test"],
        wrap=["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={output}"])
    try:
        content = "hi" if args.prompt_bytes == 2 else ("lorem ipsum " * (args.prompt_bytes // 12 + 1))[:args.prompt_bytes]
        body = json.dumps({"model": args.model, "messages": [{"role": "user", "content": content}]})
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

        def send(count: int) -> None:
            for _ in range(count):
                connection.request("POST", "/v1/chat/completions", body, headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    raise SystemExit(f"HTTP {response.status}: {answer[:300]!r}")

        send(300)
        subprocess.run(["callgrind_control", "--instr=on", str(router.pid)], check=True, capture_output=True)
        send(args.requests)
        subprocess.run(["callgrind_control", "--instr=off", str(router.pid)], check=True, capture_output=True)
        subprocess.run(["callgrind_control", "--dump", str(router.pid)], check=True, capture_output=True)
    finally:
        router.terminate()
        router.wait()
        upstream.terminate()
    dumps = sorted(work.glob("callgrind.out.*"))
    if not dumps:
        raise SystemExit(f"callgrind wrote nothing; see {log}")
    total = 0
    for line in dumps[-1].read_text(errors="replace").splitlines():
        if match := re.match(r"totals: (\d+)", line):
            total = int(match.group(1))
    prompt = "" if args.prompt_bytes == 2 else f", a {args.prompt_bytes:,}-byte prompt"
    print(f"{args.model}: {total / args.requests:,.0f} instructions per request "
          f"({args.requests} requests after 300 to warm up, release build, one keep-alive connection{prompt})")
    if args.keep:
        kept = Path(args.keep) / "callgrind.out"
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(dumps[-1], kept)
        print(f"callgrind file: {kept} (callgrind_annotate {kept} | head -60)")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
