/// The JSON Schema (draft-07) of `config.yaml`, printed by `localrouter config schema` for
/// editors' YAML language servers. `config.schema.json` at the repository root holds the same
/// text (a test keeps them equal), so the example config's modeline finds it offline.
package enum ConfigSchema {
    package static let json: String = ##"""
{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "LocalRouter config.yaml",
  "description": "Configuration of the LocalRouter daemon (version 1). Strings may use ${VAR} (or ${VAR:-fallback}) to read environment variables; $${ is a literal ${.",
  "type": "object",
  "additionalProperties": false,
  "required": ["version"],
  "properties": {
    "version": {
      "description": "Config format version; must be 1.",
      "const": 1
    },
    "server": {
      "description": "The local HTTP endpoint.",
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "listen": {
          "description": "HOST:PORT to listen on; IPv6 in brackets, e.g. [::1]:3625. A non-loopback address requires allow_remote: true.",
          "type": "string",
          "default": "127.0.0.1:3625",
          "pattern": "^(\\[[0-9A-Fa-f:.%]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$|\\$\\{"
        },
        "allow_remote": {
          "description": "Allow listening on a non-loopback address (other machines can then connect).",
          "$ref": "#/definitions/boolean",
          "default": false
        },
        "request_timeout": {
          "description": "Limit on a whole request, streams included.",
          "$ref": "#/definitions/positiveDuration",
          "default": "600s"
        },
        "shutdown_grace": {
          "description": "On SIGTERM, how long in-flight requests get to finish.",
          "$ref": "#/definitions/duration",
          "default": "10s"
        },
        "max_body": {
          "description": "Largest request body accepted: bytes, or a whole number of KiB, MiB or GiB.",
          "$ref": "#/definitions/size",
          "default": "16MiB"
        }
      }
    },
    "providers": {
      "description": "Upstream providers, by name. Clients request provider/model.",
      "type": ["object", "null"],
      "propertyNames": { "$ref": "#/definitions/name" },
      "additionalProperties": { "$ref": "#/definitions/provider" }
    },
    "routes": {
      "description": "Model names clients may request beyond provider/model, each spread over targets.",
      "type": ["object", "null"],
      "propertyNames": { "$ref": "#/definitions/name" },
      "additionalProperties": { "$ref": "#/definitions/route" }
    },
    "health": {
      "description": "Active health checks and circuit breaking.",
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "interval": {
          "description": "How often each provider is checked (a cheap model listing).",
          "$ref": "#/definitions/positiveDuration",
          "default": "30s"
        },
        "failure_threshold": {
          "description": "Consecutive failures that open a target's circuit.",
          "$ref": "#/definitions/positiveInteger",
          "default": 3
        },
        "cooldown": {
          "description": "How long a circuit stays open before one probe request decides.",
          "$ref": "#/definitions/duration",
          "default": "30s"
        }
      }
    },
    "retry": {
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "attempts": {
          "description": "Targets tried per request at most.",
          "$ref": "#/definitions/positiveInteger",
          "default": 3
        }
      }
    },
    "limits": {
      "description": "Defaults for keys without limits of their own.",
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "rpm": {
          "description": "Requests per minute; 0 = unlimited.",
          "$ref": "#/definitions/nonNegativeInteger",
          "default": 0
        },
        "tpm": {
          "description": "Tokens per minute; 0 = unlimited.",
          "$ref": "#/definitions/nonNegativeInteger",
          "default": 0
        }
      }
    },
    "pricing": {
      "description": "USD per million tokens by provider/model; overrides the built-in table.",
      "type": ["object", "null"],
      "propertyNames": { "pattern": "^[^/]+/.+$" },
      "additionalProperties": {
        "type": "object",
        "additionalProperties": false,
        "required": ["input", "output"],
        "properties": {
          "input": { "description": "USD per million input tokens.", "$ref": "#/definitions/price" },
          "output": { "description": "USD per million output tokens.", "$ref": "#/definitions/price" }
        }
      }
    },
    "logging": {
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "access_log": {
          "description": "Write one JSON line per request (metadata only) to the state directory's logs/.",
          "$ref": "#/definitions/boolean",
          "default": true
        },
        "retention_days": {
          "description": "Days of access logs kept; 0 = keep forever.",
          "$ref": "#/definitions/nonNegativeInteger",
          "default": 30
        },
        "level": {
          "description": "Daemon log level.",
          "type": "string",
          "enum": ["trace", "debug", "info", "notice", "warning", "error", "critical"],
          "default": "info"
        }
      }
    }
  },
  "definitions": {
    "name": {
      "description": "Non-empty, without '/'.",
      "type": "string",
      "pattern": "^[^/]+$"
    },
    "provider": {
      "type": ["object", "null"],
      "additionalProperties": false,
      "properties": {
        "type": {
          "description": "The provider's API. May be left out when the provider's name is one of these.",
          "type": "string",
          "enum": ["openai", "anthropic", "gemini", "openrouter", "ollama", "openai-compatible", "mock"]
        },
        "api_key": {
          "description": "${ENV_VAR}, secret:NAME (see 'localrouter secrets set'), or left out for local servers. Required for openai, anthropic, gemini and openrouter.",
          "type": "string",
          "minLength": 1
        },
        "base_url": {
          "description": "API base including the version segment (e.g. https://api.openai.com/v1; ollama: the server root). Each type has a default; openai-compatible requires one.",
          "type": "string",
          "pattern": "^(https?://.+|mock://.*)$|\\$\\{"
        },
        "models": {
          "description": "Models offered; left out, they are discovered from the provider (mock: [echo]).",
          "type": "array",
          "minItems": 1,
          "uniqueItems": true,
          "items": { "type": "string", "minLength": 1 }
        },
        "timeout": {
          "description": "Connect plus time to the first byte.",
          "$ref": "#/definitions/positiveDuration",
          "default": "60s"
        },
        "headers": {
          "description": "Extra headers sent upstream.",
          "type": ["object", "null"],
          "propertyNames": { "pattern": "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" },
          "additionalProperties": { "type": ["string", "number", "boolean"] }
        }
      }
    },
    "route": {
      "type": "object",
      "additionalProperties": false,
      "required": ["targets"],
      "properties": {
        "strategy": {
          "description": "How a target is chosen for each request.",
          "type": "string",
          "enum": ["fallback", "round-robin", "weighted", "lowest-latency", "lowest-cost", "least-busy"],
          "default": "fallback"
        },
        "targets": {
          "description": "provider/model, or {target: provider/model, weight: N}.",
          "type": "array",
          "minItems": 1,
          "items": {
            "anyOf": [
              { "$ref": "#/definitions/modelReference" },
              {
                "type": "object",
                "additionalProperties": false,
                "required": ["target"],
                "properties": {
                  "target": { "$ref": "#/definitions/modelReference" },
                  "weight": {
                    "description": "Relative share for the weighted strategy; greater than 0.",
                    "type": ["number", "string"],
                    "exclusiveMinimum": 0,
                    "pattern": "\\$\\{",
                    "default": 1
                  }
                }
              }
            ]
          }
        }
      }
    },
    "modelReference": {
      "description": "provider/model, naming a provider defined under providers.",
      "type": "string",
      "pattern": "^[^/]+/.+$"
    },
    "duration": {
      "description": "A number and a unit (ms, s, m, h, d), e.g. 500ms, 1.5s, 1m30s, 7d; or 0.",
      "type": ["string", "integer"],
      "pattern": "^(0|([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+)$|\\$\\{",
      "minimum": 0,
      "maximum": 0
    },
    "positiveDuration": {
      "description": "A number and a unit (ms, s, m, h, d), e.g. 500ms, 1.5s, 1m30s, 7d.",
      "type": "string",
      "pattern": "^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+$|\\$\\{"
    },
    "size": {
      "description": "Bytes, or a whole number of KiB, MiB or GiB, e.g. 16MiB.",
      "type": ["string", "integer"],
      "pattern": "^[0-9]+(KiB|MiB|GiB)?$|\\$\\{",
      "minimum": 1
    },
    "boolean": {
      "type": ["boolean", "string"],
      "pattern": "\\$\\{"
    },
    "positiveInteger": {
      "type": ["integer", "string"],
      "minimum": 1,
      "pattern": "\\$\\{"
    },
    "nonNegativeInteger": {
      "type": ["integer", "string"],
      "minimum": 0,
      "pattern": "\\$\\{"
    },
    "price": {
      "type": ["number", "string"],
      "minimum": 0,
      "pattern": "\\$\\{"
    }
  }
}
"""##
}
