"""Starts the real `localrouter` binary with a fake OpenAI upstream (lr-fake-upstream) and a
fake Anthropic upstream, in a temporary HOME, for the official SDKs to talk to."""
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import fake_anthropic

REPO = Path(__file__).resolve().parents[2]


def bin_dir() -> Path:
    if os.environ.get("LOCALROUTER_BIN_DIR"):
        return Path(os.environ["LOCALROUTER_BIN_DIR"])
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


def wait_for_line(path: Path, pattern: str, process: subprocess.Popen, timeout: float = 20) -> re.Match:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            match = re.search(pattern, path.read_text(errors="replace"))
            if match:
                return match
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}: {path.read_text(errors='replace')}")
        time.sleep(0.02)
    raise TimeoutError(f"no line matching {pattern!r} in {path}")


class Router:
    def __init__(self, base_url: str, key: str, home: Path, process: subprocess.Popen, log: Path):
        self.base_url = base_url
        self.key = key
        self.home = home
        self.process = process
        self.log = log


@pytest.fixture(scope="session")
def router():
    binaries = bin_dir()
    home = Path(tempfile.mkdtemp(prefix="lr-e2e-"))
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_RUNTIME_DIR": str(home / "run"),
        "FAKE_ANTHROPIC_KEY": fake_anthropic.API_KEY,
    })
    env.pop("LOCALROUTER_CONFIG", None)
    (home / "run").mkdir(mode=0o700)

    upstream_log = home / "fake-upstream.log"
    upstream = subprocess.Popen([str(binaries / "lr-fake-upstream")], stdout=open(upstream_log, "w"), stderr=subprocess.STDOUT)
    upstream_port = wait_for_line(upstream_log, r"listening on (\d+)", upstream).group(1)
    anthropic_server = fake_anthropic.start()
    anthropic_port = anthropic_server.server_address[1]

    config = home / "config.yaml"
    config.write_text(f"""version: 1
server:
  listen: 127.0.0.1:0
providers:
  mock:
    type: mock
    models: [echo]
  fake:
    type: openai-compatible
    base_url: http://127.0.0.1:{upstream_port}/v1
    models: [gpt-test, slow-stream]
  claude:
    type: anthropic
    base_url: http://127.0.0.1:{anthropic_port}/v1
    api_key: ${{FAKE_ANTHROPIC_KEY}}
    models: [claude-test, claude-overloaded]
routes:
  default:
    targets: [mock/echo]
""")

    localrouter = str(binaries / "localrouter")
    key = "lr-no-key-management-in-this-build"
    root_help = subprocess.run([localrouter, "--help"], env=env, capture_output=True, text=True).stdout
    has_keys = re.search(r"^\s+keys\s", root_help, re.MULTILINE) is not None
    if has_keys:
        subprocess.run([localrouter, "init", "--config", str(home / "init-config.yaml")], env=env, check=True, capture_output=True)
        created = subprocess.run([localrouter, "keys", "create", "e2e"], env=env, check=True, capture_output=True, text=True)
        key = created.stdout.strip().splitlines()[-1]

    log = home / "router.log"
    process = subprocess.Popen([localrouter, "serve", "--config", str(config)], env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    port = wait_for_line(log, r"listening on http://127\.0\.0\.1:(\d+)", process).group(1)
    yield Router(f"http://127.0.0.1:{port}", key, home, process, log)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, log.read_text()
    upstream.terminate()
    upstream.wait(timeout=5)
    anthropic_server.shutdown()
