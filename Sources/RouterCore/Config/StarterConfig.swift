// The starter config `localrouter init` writes: the text of config.example.yaml, compiled in so
// the installed binary needs no data files. A test keeps the two identical.
package enum StarterConfig {
    package static let yaml = #"""
# yaml-language-server: $schema=./config.schema.json
#
# LocalRouter configuration (version 1).
#
# This file works as it is, with no API key: the `mock` provider answers offline,
# so you can try the router right away:
#
#   localrouter serve --config config.example.yaml
#   curl -s http://127.0.0.1:3625/v1/chat/completions \
#     -H "Authorization: Bearer lr-..." -H "Content-Type: application/json" \
#     -d '{"model": "default", "messages": [{"role": "user", "content": "hi"}]}'
#
# Then uncomment the providers you use. Keep keys out of this file: write
# ${ENV_VAR} to read an environment variable, or secret:NAME for a key stored
# encrypted with `localrouter secrets set NAME`. Check your edits with
# `localrouter config check`.
#
# Durations take ms, s, m, h, d (e.g. 500ms, 30s, 1m30s); sizes take KiB, MiB, GiB.

version: 1

server:
  # A non-loopback address (e.g. 0.0.0.0:3625) also needs `allow_remote: true`.
  listen: 127.0.0.1:3625
  allow_remote: false
  request_timeout: 600s   # the whole request, streams included
  shutdown_grace: 10s     # on SIGTERM, time in-flight requests get to finish
  max_body: 16MiB

# Upstream providers, by name. Clients may request `NAME/MODEL` directly.
providers:
  # Offline provider for trying things out: model `echo` answers with your message.
  mock:
    type: mock
    models: [echo]

  # openai:
  #   type: openai
  #   api_key: ${OPENAI_API_KEY}
  #   # base_url: https://api.openai.com/v1     # the default
  #   models: [gpt-4.1, gpt-4.1-mini]           # leave out to discover them
  #   timeout: 60s                              # connect + time to first byte

  # anthropic:
  #   type: anthropic
  #   api_key: secret:anthropic                 # from `localrouter secrets set anthropic`
  #   models: [claude-sonnet-4-5]

  # gemini:
  #   type: gemini
  #   api_key: ${GEMINI_API_KEY}

  # openrouter:
  #   type: openrouter
  #   api_key: ${OPENROUTER_API_KEY}
  #   headers:                                  # extra headers sent upstream
  #     X-Title: LocalRouter

  # local:
  #   type: ollama                              # default base_url http://127.0.0.1:11434
  #   models: [llama3.2]

  # vllm:
  #   type: openai-compatible                   # any server speaking OpenAI's API
  #   base_url: http://127.0.0.1:8000/v1        # required for this type
  #   api_key: ${VLLM_API_KEY:-none}            # ${VAR:-fallback} when VAR is unset or empty

# Names clients may request besides NAME/MODEL, each spread over targets.
routes:
  default:
    strategy: fallback   # fallback | round-robin | weighted | lowest-latency | lowest-cost | least-busy
    targets:
      - mock/echo

  # smart:
  #   strategy: fallback                        # try in order; the next on failure
  #   targets:
  #     - anthropic/claude-sonnet-4-5
  #     - openai/gpt-4.1
  #     - local/llama3.2

  # cheap:
  #   strategy: weighted
  #   targets:
  #     - { target: openai/gpt-4.1-mini, weight: 3 }
  #     - { target: openrouter/meta-llama/llama-3.3-70b-instruct, weight: 1 }

health:
  interval: 30s          # active check per provider (a cheap model listing)
  failure_threshold: 3   # consecutive failures that open a target's circuit
  cooldown: 30s          # open -> half-open; one probe request decides

retry:
  attempts: 3            # targets tried per request at most

limits:                  # defaults for keys without their own
  rpm: 0                 # requests per minute; 0 = unlimited
  tpm: 0                 # tokens per minute; 0 = unlimited

# USD per million tokens, by provider/model; overrides the built-in table.
# pricing:
#   openai/gpt-4.1: { input: 2.0, output: 8.0 }
#   local/llama3.2: { input: 0, output: 0 }

logging:
  access_log: true       # one JSON line per request, metadata only
  retention_days: 30     # 0 = keep forever
  level: info            # trace | debug | info | notice | warning | error | critical
"""#
}
