"""What scripts/bench and scripts/soak share: a throwaway HOME with XDG dirs, the fake upstream,
a client key made the way a user makes one, and readings from /proc."""
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_for(path: Path, pattern: str, timeout: float = 20.0) -> re.Match:
    """The first match of `pattern` in the log at `path`; exits with the log when none comes."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists():
            match = re.search(pattern, path.read_text(errors="replace"))
            if match:
                return match
        time.sleep(0.002)
    raise SystemExit(f"timed out waiting for {pattern!r} in {path}:\n{path.read_text(errors='replace') if path.exists() else ''}")


def sandbox(prefix: str) -> tuple[Path, dict]:
    """A temporary HOME and the environment that points every XDG dir into it."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_STATE_HOME=str(home / "state"), XDG_RUNTIME_DIR=str(home / "run"))
    env.pop("LOCALROUTER_CONFIG", None)
    (home / "run").mkdir(mode=0o700)
    return home, env


def start_fake_upstream(bins: Path, home: Path) -> tuple[subprocess.Popen, int]:
    log = home / "upstream.log"
    process = subprocess.Popen([str(bins / "lr-fake-upstream")], stdout=open(log, "w"), stderr=subprocess.STDOUT)
    return process, int(wait_for(log, r"listening on (\d+)").group(1))


def create_client_key(localrouter: str, env: dict, home: Path, name: str) -> str:
    """`localrouter init` (for the master key) then `keys create NAME`; returns the lr- key."""
    subprocess.run([localrouter, "init", "--no-detect", "--config", str(home / "init.yaml")], env=env, check=True, capture_output=True)
    created = subprocess.run([localrouter, "keys", "create", name], env=env, check=True, capture_output=True, text=True)
    return created.stdout.strip().splitlines()[-1]


def start_router(localrouter: str, env: dict, home: Path, upstream_port: int, fake_models: list[str], extra_config: str = "",
                 wrap: list[str] = (), preexec_fn=None) -> tuple[subprocess.Popen, int, float, Path]:
    """Writes a config with the offline `mock` provider and `fake` (the fake upstream), starts
    `localrouter serve` on it and waits until it logs its port. Returns the process, the port,
    start-to-ready in milliseconds and the daemon's log."""
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
    models: [{", ".join(fake_models)}]
""" + extra_config)
    log = home / "router.log"
    started = time.perf_counter()
    process = subprocess.Popen(list(wrap) + [localrouter, "serve", "--config", str(config)], env=env, preexec_fn=preexec_fn,
                               stdout=open(log, "w"), stderr=subprocess.STDOUT)
    # Ready = the daemon logged the port it is listening on.
    port = int(wait_for(log, r"listening on http://127\.0\.0\.1:(\d+)").group(1))
    return process, port, (time.perf_counter() - started) * 1000, log

