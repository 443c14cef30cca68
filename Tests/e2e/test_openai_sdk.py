"""The official OpenAI Python SDK against the real daemon."""
import json

import openai
import pytest

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


@pytest.fixture()
def client(router):
    return openai.OpenAI(base_url=router.base_url + "/v1", api_key=router.key, max_retries=0)


def test_mock_answers_without_any_upstream_key(client):
    response = client.chat.completions.create(model="default", messages=[{"role": "user", "content": "hello"}])
    assert response.choices[0].message.content == "Mock reply: hello"
    assert response.usage.completion_tokens == 3


def test_mock_streams(client):
    stream = client.chat.completions.create(model="mock/echo", messages=[{"role": "user", "content": "a b c"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Mock reply: a b c"


def test_fake_openai_upstream_non_streamed(client):
    response = client.chat.completions.create(model="fake/gpt-test", messages=[{"role": "user", "content": "hi"}])
    assert response.choices[0].message.content == "Hello there"
    assert response.usage.prompt_tokens == 9


def test_fake_openai_upstream_streamed_with_usage(client):
    stream = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert text == "Hello there!"
    assert chunks[-1].usage.completion_tokens == 3


def test_unknown_model_is_not_found(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.code == "model_not_found"


def test_embeddings(client):
    response = client.embeddings.create(model="mock/echo", input=["one", "two"])
    assert len(response.data) == 2
    assert len(response.data[0].embedding) == 8


def test_anthropic_provider_translated_tool_call_round_trip(client):
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Weather in Paris?"}]
    first = client.chat.completions.create(model="claude/claude-test", messages=messages, tools=[WEATHER_TOOL])
    call = first.choices[0].message.tool_calls[0]
    assert first.choices[0].finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}

    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}]
    second = client.chat.completions.create(model="claude/claude-test", messages=messages, tools=[WEATHER_TOOL])
    assert second.choices[0].message.content == "It is sunny in Paris."
    assert second.choices[0].finish_reason == "stop"


def test_anthropic_provider_translated_streaming_tool_call(client):
    stream = client.chat.completions.create(
        model="claude/claude-test", messages=[{"role": "user", "content": "Weather?"}], tools=[WEATHER_TOOL], stream=True)
    arguments, names, finish = "", [], None
    for chunk in stream:
        if not chunk.choices:
            continue
        for call in chunk.choices[0].delta.tool_calls or []:
            assert call.index == 0
            if call.function.name:
                names.append(call.function.name)
            arguments += call.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert names == ["get_weather"]
    assert json.loads(arguments) == {"city": "Paris"}
    assert finish == "tool_calls"


def test_anthropic_provider_translated_text_stream(client):
    stream = client.chat.completions.create(model="claude/claude-test", messages=[{"role": "user", "content": "hi"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Hello from Claude"


def test_overloaded_upstream_is_a_server_error(client):
    with pytest.raises(openai.InternalServerError) as raised:
        client.chat.completions.create(model="claude/claude-overloaded", messages=[{"role": "user", "content": "hi"}])
    assert raised.value.status_code == 503
