"""GET /metrics read by the reference Prometheus text parser (prometheus_client)."""
import json
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

FAMILIES = {
    "localrouter_requests": "counter",
    "localrouter_request_errors": "counter",
    "localrouter_input_tokens": "counter",
    "localrouter_output_tokens": "counter",
    "localrouter_cost_usd": "counter",
    "localrouter_request_duration_seconds": "histogram",
    "localrouter_time_to_first_byte_seconds": "histogram",
    "localrouter_requests_in_flight": "gauge",
    "localrouter_rate_limit_rejections": "counter",
    "localrouter_budget_used_ratio": "gauge",
    "localrouter_target_circuit_state": "gauge",
    "localrouter_start_time_seconds": "gauge",
}


def scrape(router):
    with urllib.request.urlopen(router.base_url + "/metrics", timeout=5) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return text, {family.name: family for family in text_string_to_metric_families(text)}


def sample(families, family, name, **labels):
    for s in families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0.0


def post(router, body):
    request = urllib.request.Request(
        router.base_url + "/v1/chat/completions", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {router.key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_metrics_parse_and_count_requests(router):
    _, before = scrape(router)
    assert post(router, {"model": "fake/gpt-test", "messages": [{"role": "user", "content": "hi"}]}) == 200
    assert post(router, {"model": "no-such-model-e2e", "messages": []}) == 404
    text, after = scrape(router)

    for name, kind in FAMILIES.items():
        assert name in after, name
        assert after[name].type == kind, (name, after[name].type)

    labels = {"provider": "fake", "model": "gpt-test", "code": "200"}
    delta = sample(after, "localrouter_requests", "localrouter_requests_total", **labels) \
        - sample(before, "localrouter_requests", "localrouter_requests_total", **labels)
    assert delta == 1
    assert sample(after, "localrouter_input_tokens", "localrouter_input_tokens_total", provider="fake", model="gpt-test") >= 9
    assert sample(after, "localrouter_requests", "localrouter_requests_total", model="unknown", code="404") >= 1
    assert not any(s.labels.get("model") == "no-such-model-e2e" for s in after["localrouter_requests"].samples)

    # Histograms: cumulative buckets ending in +Inf, which equals _count.
    for name in ("localrouter_request_duration_seconds", "localrouter_time_to_first_byte_seconds"):
        series = {}
        for s in after[name].samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {"buckets": [], "count": None})
            if s.name.endswith("_bucket"):
                series[key]["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                series[key]["count"] = s.value
        assert series, name
        for values in series.values():
            buckets = sorted(values["buckets"])
            assert buckets[-1][0] == float("inf")
            assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
            assert buckets[-1][1] == values["count"]

    assert router.key not in text
    assert "req_" not in text


def test_serve_keeps_its_spend_ledger_in_the_state_directory(router):
    ledger = router.home / "state" / "localrouter" / "spend.jsonl"
    assert ledger.exists()
    assert oct(ledger.stat().st_mode & 0o777) == oct(0o600)
