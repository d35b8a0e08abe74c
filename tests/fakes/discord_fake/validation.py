"""Request-body validation against Discord's published OpenAPI description.

The document is loaded once per process (it is over a megabyte) and one validator per
operation is compiled lazily and cached. ``SnowflakeType`` is widened to accept
non-negative integers, as Discord does (discord.py sends attachment ids as ints).
The documented message limits the description leaves out are checked by hand.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .limits import check_message, error_tree, message_parts

log = logging.getLogger(__name__)

SPEC_ENV = "DISCORD_API_SPEC"
_SPEC_URI = "urn:discord-openapi"
_DEFAULT_SPEC = Path(__file__).resolve().parents[3].parent / "shared/discord-api-spec/openapi.json"


def spec_path() -> Path:
    """Where the OpenAPI document is read from (``DISCORD_API_SPEC`` overrides)."""
    override = os.environ.get(SPEC_ENV)
    return Path(override) if override else _DEFAULT_SPEC


@dataclass
class _Spec:
    document: dict[str, Any]
    registry: Any
    validators: dict[tuple[str, str], Any] = field(default_factory=dict)


_lock = threading.Lock()
_loaded: dict[Path, _Spec | None] = {}


def _load(path: Path) -> _Spec | None:
    with _lock:
        if path in _loaded:
            return _loaded[path]
        spec: _Spec | None = None
        if not path.is_file():
            log.warning("Discord OpenAPI spec not found at %s: request validation is off", path)
        else:
            from referencing import Registry
            from referencing.jsonschema import DRAFT202012

            document = json.loads(path.read_text(encoding="utf-8"))
            document["components"]["schemas"]["SnowflakeType"] = {
                "anyOf": [
                    {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
                    {"type": "integer", "minimum": 0},
                ]
            }
            registry = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(document))
            spec = _Spec(document=document, registry=registry)
        _loaded[path] = spec
        return spec


def preload() -> bool:
    """Load the document now (``FakeDiscord.start`` does); False when it is absent."""
    return _load(spec_path()) is not None


def _pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _validator(spec: _Spec, method: str, template: str) -> Any:
    key = (method, template)
    if key in spec.validators:
        return spec.validators[key]
    validator = None
    operation = spec.document["paths"].get(template, {}).get(method.lower())
    content = ((operation or {}).get("requestBody") or {}).get("content") or {}
    if "application/json" in content:
        from jsonschema import Draft202012Validator

        pointer = "/".join(
            _pointer_escape(p)
            for p in ("paths", template, method.lower(), "requestBody", "content")
        )
        schema = {"$ref": f"{_SPEC_URI}#/{pointer}/application~1json/schema"}
        validator = Draft202012Validator(schema, registry=spec.registry)
    spec.validators[key] = validator
    return validator


def _is_discriminator(error: Any) -> bool:
    path = list(error.relative_path)
    return bool(path) and path[-1] == "type" and error.validator in ("enum", "const")


def _leaf_errors(error: Any) -> list[Any]:
    """Expand anyOf/oneOf failures into the errors of the branch the body was meant for."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0] if sub.schema_path else None, []).append(sub)
    candidates = [
        errs
        for errs in branches.values()
        if not any(
            _is_discriminator(e) or (e.validator == "type" and not e.relative_path) for e in errs
        )
    ]
    if len(candidates) != 1:
        return [error]
    return [leaf for sub in candidates[0] for leaf in _leaf_errors(sub)]


def _describe(error: Any) -> tuple[str, str]:
    kind, value = error.validator, error.validator_value
    if kind == "maxLength":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
    if kind == "minLength":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
    if kind == "maxItems":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length."
    if kind == "minItems":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length."
    if kind == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"  # path fixed by the caller
    if kind in ("anyOf", "oneOf"):
        return "SCHEMA_" + kind.upper(), "Value does not match any of the accepted shapes."
    return "SCHEMA_" + str(kind).upper(), error.message[:300]


@lru_cache(maxsize=4096)
def _cached_result(method: str, template: str, body_text: str) -> str | None:
    errors = _compute(method, template, json.loads(body_text))
    return json.dumps(errors) if errors else None


def _compute(method: str, template: str, body: Any) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    spec = _load(spec_path())
    if spec is not None:
        validator = _validator(spec, method, template)
        if validator is not None:
            for error in validator.iter_errors(body):
                for leaf in _leaf_errors(error):
                    code, message = _describe(leaf)
                    path = list(leaf.absolute_path)
                    if leaf.validator == "required" and isinstance(leaf.instance, dict):
                        missing = [k for k in leaf.validator_value if k not in leaf.instance]
                        path.extend(missing[:1])
                    error_tree(errors, path, code, message)
    for prefix, msg in message_parts(template, body):
        check_message(prefix, msg, errors)
    return errors


def validate_body(method: str, template: str, body: Any, body_text: str | None = None) -> dict:
    """Discord-style ``errors`` tree for ``body``; empty when the body is accepted.

    Identical bodies are answered from a cache, so repeated edits cost one validation.
    """
    if body_text is None:
        body_text = json.dumps(body, sort_keys=True)
    result = _cached_result(method, template, body_text)
    return json.loads(result) if result else {}


def validate_response(schema_name: str, value: Any) -> list[str]:
    """Check an object the fake returns against a response schema (for self-tests)."""
    spec = _load(spec_path())
    if spec is None:
        return []
    from jsonschema import Draft202012Validator

    schema = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    validator = Draft202012Validator(schema, registry=spec.registry)
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(value)]


def flatten_errors(errors: dict[str, Any], prefix: str = "") -> list[str]:
    """``["embeds.0.title: Must be 256 or fewer in length."]`` from an errors tree."""
    out: list[str] = []
    for key, value in errors.items():
        if key == "_errors":
            out.extend(f"{prefix or '<body>'}: {e['message']}" for e in value)
        else:
            out.extend(flatten_errors(value, f"{prefix}.{key}" if prefix else key))
    return out
