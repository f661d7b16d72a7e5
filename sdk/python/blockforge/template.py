"""Jinja rendering with the host's engine (minijinja), the same in every block language."""

import json
from typing import Any, Dict

from componentize_py_types import Err
from wit_world.imports import template as _wit

from .errors import BlockError


def render(source: str, context: Dict[str, Any]) -> str:
    """Renders ``source`` against ``context`` (a dict); a ``host-call-failed`` error naming
    the line and cause when the template is wrong (an undefined variable included)."""
    try:
        return _wit.render(source, json.dumps(context))
    except Err as error:
        raise BlockError.host_call_failed(f"template: {error.value}") from None
