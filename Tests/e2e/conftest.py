"""Starts the real `localrouter` binary with a fake OpenAI upstream (lr-fake-upstream) and a
fake Anthropic upstream, in a temporary HOME, for the official SDKs to talk to. The sandbox, the
fake upstream, the client key and the daemon start as scripts/bench and scripts/soak start them
(scripts/lib/daemon_sandbox.py)."""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import fake_anthropic

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
from daemon_sandbox import create_client_key, sandbox, start_fake_upstream, start_router  # noqa: E402


def bin_dir() -> Path:
    if os.environ.get("LOCALROUTER_BIN_DIR"):
        return Path(os.environ["LOCALROUTER_BIN_DIR"])
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True)
    return Path(out.stdout.strip())


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
    home, env = sandbox("lr-e2e-")
    env["FAKE_ANTHROPIC_KEY"] = fake_anthropic.API_KEY
    upstream, upstream_port = start_fake_upstream(binaries, home)
    anthropic_server = fake_anthropic.start()
    anthropic_port = anthropic_server.server_address[1]

    localrouter = str(binaries / "localrouter")
    key = create_client_key(localrouter, env, home, "e2e")
    # More providers after `fake`, then the routes.
    extra_config = f"""  claude:
    type: anthropic
    base_url: http://127.0.0.1:{anthropic_port}/v1
    api_key: ${{FAKE_ANTHROPIC_KEY}}
    models: [claude-test, claude-overloaded]
routes:
  default:
    targets: [mock/echo]
"""
    process, port, _, log = start_router(localrouter, env, home, upstream_port, ["gpt-test", "slow-stream"], extra_config)
    yield Router(f"http://127.0.0.1:{port}", key, home, process, log)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0, log.read_text()
    upstream.terminate()
    upstream.wait(timeout=5)
    anthropic_server.shutdown()
