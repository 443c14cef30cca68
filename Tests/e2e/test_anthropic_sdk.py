"""The official Anthropic Python SDK against the daemon's /v1/messages."""
import anthropic
import pytest


@pytest.fixture()
def client(router):
    return anthropic.Anthropic(base_url=router.base_url, api_key=router.key, max_retries=0)


def test_passthrough_to_anthropic_provider(client):
    message = client.messages.create(model="claude/claude-test", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
    assert message.content[0].text == "Hello from Claude"
    assert message.usage.output_tokens == 12


def test_passthrough_stream(client):
    with client.messages.stream(model="claude/claude-test", max_tokens=100, messages=[{"role": "user", "content": "hi"}]) as stream:
        text = stream.get_final_text()
    assert text == "Hello from Claude"


def test_translated_to_openai_speaking_provider(client):
    message = client.messages.create(model="default", max_tokens=100, system="be brief", messages=[{"role": "user", "content": "hi there"}])
    assert message.content[0].text == "Mock reply: hi there"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 4


def test_translated_stream(client):
    with client.messages.stream(model="fake/gpt-test", max_tokens=100, messages=[{"role": "user", "content": "hi"}]) as stream:
        text = stream.get_final_text()
        final = stream.get_final_message()
    assert text == "Hello there!"
    assert final.usage.output_tokens == 3


def test_tool_use_round_trip(client):
    tools = [{"name": "get_weather", "description": "weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    messages = [{"role": "user", "content": "Weather in Paris?"}]
    first = client.messages.create(model="claude/claude-test", max_tokens=100, tools=tools, messages=messages)
    tool_use = next(block for block in first.content if block.type == "tool_use")
    assert tool_use.input == {"city": "Paris"}
    messages += [{"role": "assistant", "content": first.content},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "sunny"}]}]
    second = client.messages.create(model="claude/claude-test", max_tokens=100, tools=tools, messages=messages)
    assert second.content[0].text == "It is sunny in Paris."


def test_unknown_model_is_anthropic_shaped_not_found(client):
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="nope", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["error"]["type"] == "not_found_error"


def test_count_tokens_passes_through_to_anthropic(client):
    result = client.messages.count_tokens(model="claude/claude-test", messages=[{"role": "user", "content": "hi"}])
    assert result.input_tokens == 42


def test_count_tokens_for_other_providers_is_a_clear_not_found(client):
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.count_tokens(model="default", messages=[{"role": "user", "content": "hi"}])
    assert "anthropic provider" in raised.value.body["error"]["message"]
