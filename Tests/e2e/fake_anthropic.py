"""A fake Anthropic Messages API upstream for the end-to-end tests, in the wire format of
Anthropic's public docs (messages, streaming events, tool use, errors).

Behaviour: with `tools` and no tool_result yet, it calls the first tool with {"city": "Paris"};
after a tool_result it answers "It is sunny in Paris."; otherwise "Hello from Claude".
The model `claude-overloaded` answers 529 overloaded_error.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "sk-ant-fake-upstream-key"


def answer_blocks(body):
    messages = body.get("messages", [])
    last = messages[-1] if messages else {}
    content = last.get("content")
    has_tool_result = isinstance(content, list) and any(b.get("type") == "tool_result" for b in content)
    tools = body.get("tools") or []
    if tools and not has_tool_result:
        return [{"type": "tool_use", "id": "toolu_01A", "name": tools[0]["name"], "input": {"city": "Paris"}}], "tool_use"
    text = "It is sunny in Paris." if has_tool_result else "Hello from Claude"
    return [{"type": "text", "text": text}], "end_turn"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/models":
            self.send_json(200, {"data": [{"type": "model", "id": "claude-test", "display_name": "Claude Test"}], "has_more": False})
        else:
            self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "no such path"}})

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.headers.get("x-api-key") != API_KEY:
            self.send_json(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
            return
        if not self.headers.get("anthropic-version"):
            self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version header is required"}})
            return
        if self.path == "/v1/messages/count_tokens":
            self.send_json(200, {"input_tokens": 42})
            return
        if self.path != "/v1/messages":
            self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "no such path"}})
            return
        if body.get("model") == "claude-overloaded":
            self.send_json(529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
            return
        if "max_tokens" not in body:
            self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}})
            return
        blocks, stop_reason = answer_blocks(body)
        usage = {"input_tokens": 25, "output_tokens": 12, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        if not body.get("stream"):
            self.send_json(200, {
                "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "model": body["model"],
                "content": blocks, "stop_reason": stop_reason, "stop_sequence": None, "usage": usage,
            })
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()

        def event(name, payload):
            self.wfile.write(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())
            self.wfile.flush()

        event("message_start", {"type": "message_start", "message": {
            "id": "msg_01XFDUDYJgAACzvnptvVoYEL", "type": "message", "role": "assistant", "content": [], "model": body["model"],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 25, "output_tokens": 1}}})
        for index, block in enumerate(blocks):
            if block["type"] == "text":
                event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}})
                event("ping", {"type": "ping"})
                words = block["text"].split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}})
            else:
                event("content_block_start", {"type": "content_block_start", "index": index, "content_block": {
                    "type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}})
                arguments = json.dumps(block["input"])
                for start in range(0, len(arguments), 7):
                    event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {
                        "type": "input_json_delta", "partial_json": arguments[start:start + 7]}})
            event("content_block_stop", {"type": "content_block_stop", "index": index})
        event("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None}, "usage": {"output_tokens": 12}})
        event("message_stop", {"type": "message_stop"})
        self.close_connection = True


def start():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


if __name__ == "__main__":
    server = start()
    print(f"listening on {server.server_address[1]}", flush=True)
    threading.Event().wait()
