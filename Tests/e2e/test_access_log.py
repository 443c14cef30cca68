"""The daemon's access log: one JSON line per request with SPEC §7's fields, no secrets."""
import json
import time

import openai

import fake_anthropic

FIELDS = ["ts", "request_id", "key", "method", "path", "model", "route", "provider", "upstream_model", "status",
          "stream", "input_tokens", "output_tokens", "cost_usd", "latency_ms", "ttfb_ms", "attempts", "error"]


def read_lines(router, wanted_request_id, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        lines = []
        for path in sorted((router.home / "state" / "localrouter" / "logs").glob("access-*.jsonl")):
            lines += [json.loads(line) for line in path.read_text().splitlines() if line]
        if any(line["request_id"] == wanted_request_id for line in lines):
            return lines
        time.sleep(0.05)
    raise AssertionError(f"request {wanted_request_id} never reached the access log")


def test_each_request_is_one_line_with_metadata_only(router):
    client = openai.OpenAI(base_url=router.base_url + "/v1", api_key=router.key, max_retries=0)
    prompt = "a very private prompt 7f3a"
    raw = client.chat.completions.with_raw_response.create(
        model="fake/gpt-test", messages=[{"role": "user", "content": prompt}], stream=False)
    request_id = raw.headers["x-request-id"]
    lines = read_lines(router, request_id)
    line = next(line for line in lines if line["request_id"] == request_id)
    assert list(line.keys()) == FIELDS
    assert line["path"] == "/v1/chat/completions"
    assert line["provider"] == "fake" and line["upstream_model"] == "gpt-test" and line["status"] == 200
    assert line["input_tokens"] == 9 and line["output_tokens"] == 2 and line["attempts"] == 1
    assert line["latency_ms"] >= 0 and line["error"] is None

    everything = "".join(path.read_text(errors="replace") for path in router.home.rglob("*")
                         if path.is_file() and path.suffix in (".jsonl", ".log"))
    assert prompt not in everything
    assert "Hello there" not in "".join(p.read_text() for p in (router.home / "state").rglob("*.jsonl"))
    assert fake_anthropic.API_KEY not in everything
    if router.key.startswith("lr-") and "no-key" not in router.key:
        assert router.key not in everything
