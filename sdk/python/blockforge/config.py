"""A block's config: a dataclass whose JSON Schema (draft 2020-12) is derived from its fields,
and parsed from the pipeline's config object before each call."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Dict, Optional

from .errors import BlockError

_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}


def setting(default: Any = dataclasses.MISSING, description: str = "", **schema: Any) -> Any:
    """A config field with a default, a description for the editor and extra JSON Schema
    keywords (``format="jinja2"``, ``enum=[...]``, ``minimum=0``...). Mutable defaults (lists,
    dicts) are copied for each call."""
    metadata = dict(schema)
    if description:
        metadata["description"] = description
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    if isinstance(default, (list, dict, set)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def type_schema(hint: Any) -> Dict[str, Any]:
    """The JSON Schema of a Python type hint (scalars, lists, dicts, Optional, Literal, Any)."""
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}
    if hint is Any:
        return {}
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is list or origin is list:
        return {"type": "array", "items": type_schema(args[0])} if args else {"type": "array"}
    if hint is dict or origin is dict:
        schema: Dict[str, Any] = {"type": "object"}
        if len(args) == 2:
            schema["additionalProperties"] = type_schema(args[1])
        return schema
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is typing.Union or type(hint).__name__ == "UnionType":
        others = [a for a in args if a is not type(None)]
        schema = type_schema(others[0]) if len(others) == 1 else {"anyOf": [type_schema(a) for a in others]}
        if len(others) < len(args):
            if isinstance(schema.get("type"), str):
                schema = dict(schema, type=[schema["type"], "null"])
            else:
                schema = {"anyOf": [schema, {"type": "null"}]}
        return schema
    raise TypeError(
        f"config field type {hint!r} has no JSON Schema; use str, int, float, bool, list, dict, "
        "Optional, Literal or Any"
    )


def config_schema(config_class: Optional[type]) -> Dict[str, Any]:
    """The JSON Schema of ``config_class`` (a dataclass), or of any object when it is None."""
    schema: Dict[str, Any] = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    if config_class is None:
        return schema
    if not dataclasses.is_dataclass(config_class):
        raise TypeError(f"Config must be a dataclass, got {config_class!r}")
    hints = typing.get_type_hints(config_class)
    properties: Dict[str, Any] = {}
    required = []
    for field in dataclasses.fields(config_class):
        prop = type_schema(hints[field.name])
        prop.update(field.metadata)
        if field.default is not dataclasses.MISSING:
            prop["default"] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            prop["default"] = field.default_factory()
        else:
            required.append(field.name)
        properties[field.name] = prop
    schema["title"] = config_class.__name__
    if config_class.__doc__ and not config_class.__doc__.startswith(config_class.__name__ + "("):
        schema["description"] = config_class.__doc__.strip()
    schema["properties"] = properties
    schema["additionalProperties"] = False
    if required:
        schema["required"] = required
    return schema


def parse_config(config_class: Optional[type], raw: Dict[str, Any]) -> Any:
    """``raw`` as an instance of ``config_class`` (defaults filled in), or ``raw`` itself when
    the block has no config class; a :class:`BlockError` naming the key at fault otherwise."""
    if config_class is None:
        return raw
    names = {f.name for f in dataclasses.fields(config_class)}
    unknown = sorted(set(raw) - names)
    if unknown:
        raise BlockError.invalid_config(
            f"unknown config key(s) {', '.join(unknown)}; known: {', '.join(sorted(names)) or 'none'}"
        )
    try:
        return config_class(**raw)
    except TypeError as error:
        raise BlockError.invalid_config(f"config: {error}") from None
