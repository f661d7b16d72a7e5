"""Chat completions through the host's LLM gateway. Declare the ``"llm"`` capability."""

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from componentize_py_types import Err
from wit_world.imports import llm as _wit

from .errors import llm_failure

_ROLES = {"system": _wit.Role.SYSTEM, "user": _wit.Role.USER, "assistant": _wit.Role.ASSISTANT}


@dataclass
class Reply:
    """A model's answer: its text, the model that answered and the token usage
    (``input_tokens``, ``output_tokens``, ``cached_tokens``)."""

    content: str
    model: str
    usage: Dict[str, int]


Message = Union[Tuple[str, str], Dict[str, str]]


def chat(
    prompt: Optional[str] = None,
    *,
    system: Optional[str] = None,
    messages: Sequence[Message] = (),
    model: Optional[str] = None,
    temperature: Optional[float] = None,
    max_tokens: Optional[int] = None,
    json_schema: Optional[Union[str, Dict[str, Any]]] = None,
) -> Reply:
    """Runs one chat completion: ``system`` and ``prompt`` as the system and user messages,
    after any ``messages`` (``("user", "...")`` pairs or ``{"role", "content"}`` dicts).
    ``model=None`` takes the host's default; ``json_schema`` asks for structured output. A
    failed call raises a ``host-call-failed`` :class:`BlockError` with the provider's reason."""
    wit_messages: List[_wit.Message] = []
    if system is not None:
        wit_messages.append(_wit.Message(_wit.Role.SYSTEM, system))
    for message in messages:
        role, content = (message["role"], message["content"]) if isinstance(message, dict) else message
        if role not in _ROLES:
            raise ValueError(f"message role must be system, user or assistant, got {role!r}")
        wit_messages.append(_wit.Message(_ROLES[role], content))
    if prompt is not None:
        wit_messages.append(_wit.Message(_wit.Role.USER, prompt))
    if json_schema is not None and not isinstance(json_schema, str):
        json_schema = json.dumps(json_schema)
    request = _wit.ChatRequest(model, wit_messages, temperature, max_tokens, json_schema)
    try:
        response = _wit.chat(request)
    except Err as error:
        raise llm_failure("llm.chat", error.value) from None
    usage = response.usage
    return Reply(
        response.content,
        response.model,
        {
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cached_tokens": usage.cached_tokens,
        },
    )
