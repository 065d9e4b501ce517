"""JSON Schema for every event, generated from the models, and a compatibility check.

Snapshots live in `json/` (one file per event type and version). A contract may
change compatibly: a new optional field, or a new allowed value (consumers are
deployed before the producers that send it). Anything that breaks data or code
built on the old schema (a field removed or retyped, a new required field, an
allowed value taken away) needs a new schema version instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .envelope import Envelope
from .registry import EVENT_MODELS

SNAPSHOT_DIR = Path(__file__).parent / "json"


def snapshot_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.schema.json"


def generate() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {"envelope.v1.schema.json": Envelope.model_json_schema()}
    for (event_type, version), model in sorted(EVENT_MODELS.items()):
        schema = model.model_json_schema()
        schema["$comment"] = f"data of CloudEvents type {event_type}, schemaversion {version}"
        schemas[snapshot_name(event_type, version)] = schema
    return schemas


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _variants(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        out: list[dict[str, Any]] = []
        for option in schema["anyOf"]:
            out.extend(_variants(option, root))
        return out
    return [schema]


def _shape(schema: dict[str, Any], root: dict[str, Any]) -> str:
    """A comparable description of a schema node's type (not its documentation)."""
    parts = []
    for variant in _variants(schema, root):
        if "enum" in variant:
            parts.append("enum:" + ",".join(sorted(map(str, variant["enum"]))))
        elif "const" in variant:
            parts.append(f"const:{variant['const']}")
        elif variant.get("type") == "array":
            parts.append("array<" + _shape(variant.get("items", {}), root) + ">")
        elif variant.get("type") == "object" and "properties" in variant:
            parts.append("object")
        else:
            fmt = variant.get("format")
            parts.append(f"{variant.get('type', 'any')}{':' + fmt if fmt else ''}")
    return "|".join(sorted(parts))


def _enum_widened(old_variants: list[dict], new_variants: list[dict]) -> bool:
    """Only allowed values were added (none removed), everything else alike."""
    if len(old_variants) != len(new_variants):
        return False
    widened = False
    for old_v, new_v in zip(old_variants, new_variants, strict=True):
        if "enum" in old_v and "enum" in new_v:
            if not set(old_v["enum"]) <= set(new_v["enum"]):
                return False
            widened = widened or set(old_v["enum"]) != set(new_v["enum"])
        elif {k: v for k, v in old_v.items() if k not in ("title", "description")} != {
                k: v for k, v in new_v.items() if k not in ("title", "description")}:
            return False
    return widened


def incompatibilities(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What in `new` would break a consumer or producer built against `old`."""
    return _compare(old, old, new, new, path or "$")


def _compare(old: dict, old_root: dict, new: dict, new_root: dict, path: str) -> list[str]:
    problems: list[str] = []
    old_variants = _variants(old, old_root)
    new_variants = _variants(new, new_root)
    old_shape, new_shape = _shape(old, old_root), _shape(new, new_root)
    if old_shape != new_shape:
        if _enum_widened(old_variants, new_variants):
            return []
        return [f"{path}: type changed from {old_shape} to {new_shape}"]
    for old_v, new_v in zip(old_variants, new_variants, strict=True):
        if old_v.get("type") == "array":
            problems += _compare(old_v.get("items", {}), old_root, new_v.get("items", {}), new_root, path + "[]")
        if "properties" in old_v:
            old_props, new_props = old_v["properties"], new_v.get("properties", {})
            old_required, new_required = set(old_v.get("required", [])), set(new_v.get("required", []))
            for name, old_prop in old_props.items():
                if name not in new_props:
                    problems.append(f"{path}.{name}: removed")
                    continue
                problems += _compare(old_prop, old_root, new_props[name], new_root, f"{path}.{name}")
            for name in sorted(new_required - old_required):
                problems.append(f"{path}.{name}: now required")
            if old_v.get("additionalProperties") is False and new_v.get("additionalProperties") is False:
                # New optional fields are fine: old producers simply never send them.
                pass
    return problems


def load_snapshots(directory: Path = SNAPSHOT_DIR) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(directory.glob("*.schema.json"))}


def write_snapshots(directory: Path = SNAPSHOT_DIR) -> list[str]:
    """Write current schemas; refuse to overwrite a snapshot with an incompatible schema."""
    directory.mkdir(parents=True, exist_ok=True)
    existing = load_snapshots(directory)
    refused: list[str] = []
    for name, schema in generate().items():
        if name in existing:
            problems = incompatibilities(existing[name], schema)
            if problems:
                refused.append(f"{name}: " + "; ".join(problems))
                continue
        (directory / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    return refused
