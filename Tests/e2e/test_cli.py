"""The CLI as a user runs it: exit codes, one-line errors, file:line:col diagnostics."""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, bin_dir


@pytest.fixture(scope="module")
def localrouter():
    return str(bin_dir() / "localrouter")


@pytest.fixture()
def env(tmp_path):
    environment = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                       XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"),
                       XDG_RUNTIME_DIR=str(tmp_path / "run"), XDG_CONFIG_DIRS=str(tmp_path / "etc"))
    environment.pop("LOCALROUTER_CONFIG", None)
    environment.pop("OPENAI_API_KEY", None)
    return environment


def run(*args, env, input=None):
    return subprocess.run(list(args), env=env, capture_output=True, text=True, input=input)


def test_version(localrouter, env):
    result = run(localrouter, "--version", env=env)
    assert result.returncode == 0
    assert result.stdout.strip().startswith("localrouter ")


def test_config_check_accepts_the_example(localrouter, env):
    result = run(localrouter, "config", "check", str(REPO / "config.example.yaml"), env=env)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_config_check_pins_every_problem_to_line_and_column(localrouter, env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nproviders:\n  mock:\n    type: mock\n    modles: [echo]\nserver:\n  request_timeout: soon\n")
    result = run(localrouter, "config", "check", str(bad), env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert f"{bad}:5:5: unknown key 'modles' (did you mean 'models'?)" in lines
    assert any(line.startswith(f"{bad}:7:20: ") for line in lines), lines


def test_config_check_reports_yaml_syntax_errors(localrouter, env, tmp_path):
    bad = tmp_path / "syntax.yaml"
    bad.write_text("version: 1\nproviders: [mock\n")
    result = run(localrouter, "config", "check", str(bad), env=env)
    assert result.returncode != 0
    assert result.stderr.startswith(f"{bad}:"), result.stderr


def test_serve_without_config_fails_with_one_line(localrouter, env):
    result = run(localrouter, "serve", env=env)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "no config file found" in result.stderr


def test_serve_refuses_a_non_loopback_listen_without_allow_remote(localrouter, env):
    result = run(localrouter, "serve", "--config", str(REPO / "config.example.yaml"), "--listen", "0.0.0.0:3999", env=env)
    assert result.returncode != 0
    assert "allow_remote" in result.stderr


def test_init_writes_a_valid_config_once(localrouter, env, tmp_path):
    first = run(localrouter, "init", env=env)
    assert first.returncode == 0, first.stderr
    config = tmp_path / "config" / "localrouter" / "config.yaml"
    assert config.exists()
    master_key = tmp_path / "data" / "localrouter" / "master.key"
    assert master_key.stat().st_mode & 0o777 == 0o600
    assert run(localrouter, "config", "check", str(config), env=env).returncode == 0
    before = config.read_text()
    second = run(localrouter, "init", env=env)
    assert second.returncode != 0
    assert "already exist" in second.stderr
    assert config.read_text() == before


def test_config_path_lists_the_xdg_places(localrouter, env, tmp_path):
    result = run(localrouter, "config", "path", env=env)
    assert result.returncode == 0
    assert f"data:    {tmp_path}/data/localrouter" in result.stdout
    assert f"logs:    {tmp_path}/state/localrouter/logs" in result.stdout


def test_models_lists_routes_and_targets(localrouter, env):
    result = run(localrouter, "models", "--config", str(REPO / "config.example.yaml"), env=env)
    assert result.returncode == 0
    assert "default" in result.stdout and "mock/echo" in result.stdout
